/*
 * kvm_exit.c - what the monitor does with each exit of KVM_RUN (see kvm.h).
 *
 * Port I/O and MMIO go to the machine's buses on this (the vCPU) thread;
 * input data is stored back into the kvm_run page, where KVM picks it up on
 * the next KVM_RUN to complete the instruction.  HLT waits in the event
 * loop.  A triple fault ends the run as on the bt engine; anything KVM
 * cannot do (entry failure, internal error, an exit this engine does not
 * expect) ends the run with one line naming the reason and the guest's
 * CS:EIP, so a guest this KVM cannot run never hangs the monitor.
 */
#include "kvm/kvm.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "monitor/base/util.h"

/* kvm_exit_name: see kvm.h. */
const char *kvm_exit_name(uint32_t reason)
{
	static const char *const names[] = {
	    [KVM_EXIT_UNKNOWN] = "unknown",
	    [KVM_EXIT_EXCEPTION] = "exception",
	    [KVM_EXIT_IO] = "io",
	    [KVM_EXIT_HYPERCALL] = "hypercall",
	    [KVM_EXIT_DEBUG] = "debug",
	    [KVM_EXIT_HLT] = "hlt",
	    [KVM_EXIT_MMIO] = "mmio",
	    [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq-window-open",
	    [KVM_EXIT_SHUTDOWN] = "shutdown",
	    [KVM_EXIT_FAIL_ENTRY] = "fail-entry",
	    [KVM_EXIT_INTR] = "intr",
	    [KVM_EXIT_SET_TPR] = "set-tpr",
	    [KVM_EXIT_TPR_ACCESS] = "tpr-access",
	    [KVM_EXIT_NMI] = "nmi",
	    [KVM_EXIT_INTERNAL_ERROR] = "internal-error",
	    [KVM_EXIT_SYSTEM_EVENT] = "system-event",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "other";
}

/* kvm_internal_name: a readable name for a KVM_EXIT_INTERNAL_ERROR suberror. */
static const char *kvm_internal_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "instruction emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "simultaneous exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit during event delivery";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	default:
		return "unknown suberror";
	}
}

/* kvm_fail: end the run with EXIT_ENGINE_ERROR and the one-line message
 * "kvm: <what> at CS:EIP xxxx:xxxxxxxx<extra>", followed by a hint when the
 * host CPU has no VT-x/SVM (the likely cause).  Returns -1. */
static int kvm_fail(struct machine *m, const char *what, const char *extra)
{
	struct kvm_state *ks = kvm_state_of(m);
	uint16_t cs;
	uint32_t eip;

	kvm_guest_pc(m, &cs, &eip);
	machine_request_exit(m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
			     "kvm: %s at CS:EIP %04x:%08x%s%s", what, cs, eip, extra ? extra : "",
			     ks && !ks->host_vt ? " (host CPU without VT-x/SVM: its KVM cannot "
						  "run protected-mode guests)"
						: "");
	return -1;
}

/* kvm_io: KVM_EXIT_IO: `count` accesses of `size` bytes (count > 1 for
 * string I/O), data at run + data_offset. */
static int kvm_io(struct machine *m, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	if (size != 1 && size != 2 && size != 4)
		return kvm_fail(m, "port I/O of bad size", NULL);
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		uint32_t v = 0;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&v, data, size);
			machine_io_out(m, run->io.port, size, v);
		} else {
			v = machine_io_in(m, run->io.port, size);
			memcpy(data, &v, size);
		}
	}
	return 0;
}

/* kvm_mmio: KVM_EXIT_MMIO: one access outside RAM to the MMIO bus.  Sizes
 * the bus does not take (KVM splits accesses into at most 8 bytes, but may
 * pass 3, 5, 6 or 7) are done byte by byte. */
static int kvm_mmio(struct machine *m, struct kvm_run *run)
{
	uint64_t addr = run->mmio.phys_addr;
	unsigned len = run->mmio.len;
	uint64_t v = 0;

	if (len == 0 || len > 8)
		return kvm_fail(m, "MMIO access of bad size", NULL);
	if (run->mmio.is_write) {
		memcpy(&v, run->mmio.data, len);
		if (len == 1 || len == 2 || len == 4 || len == 8) {
			bus_write(&m->mmio, addr, len, v);
		} else {
			for (unsigned i = 0; i < len; i++)
				bus_write(&m->mmio, addr + i, 1, (v >> (8 * i)) & 0xff);
		}
		return 0;
	}
	if (len == 1 || len == 2 || len == 4 || len == 8) {
		v = bus_read(&m->mmio, addr, len);
	} else {
		for (unsigned i = 0; i < len; i++)
			v |= (bus_read(&m->mmio, addr + i, 1) & 0xff) << (8 * i);
	}
	memcpy(run->mmio.data, &v, len);
	return 0;
}

/* kvm_hlt: KVM_EXIT_HLT (KVM has already stepped past the HLT): wait in
 * the event loop until an interrupt can wake the CPU or the run ends.  With
 * IF=0 only the end of the run wakes it, as on a real CPU. */
static int kvm_hlt(struct machine *m, struct kvm_run *run)
{
	bool can_wake = run->if_flag;

	if (!can_wake) { /* where it stopped, for the message */
		kvm_guest_pc(m, &m->vcpu.seg[S_CS].sel, &m->vcpu.eip);
		machine_halt_dead(m);
		return -1;
	}
	m->vcpu.halted = true;
	while (m->exit.reason == EXIT_NONE) {
		if (__atomic_load_n(&m->events_pending, __ATOMIC_SEQ_CST))
			machine_service(m);
		if (m->exit.reason != EXIT_NONE || (can_wake && machine_intr_pending(m)))
			break;
		machine_wait(m);
	}
	m->vcpu.halted = false;
	return m->exit.reason == EXIT_NONE ? 0 : -1;
}

/* kvm_internal: KVM_EXIT_INTERNAL_ERROR: report the suberror and, for an
 * emulation failure, the instruction bytes when KVM gives them. */
static int kvm_internal(struct machine *m, struct kvm_run *run)
{
	char what[96], extra[96] = "";
	uint32_t sub = run->internal.suberror;

	snprintf(what, sizeof(what), "internal error %u (%s)", sub, kvm_internal_name(sub));
	if (sub == KVM_INTERNAL_ERROR_EMULATION && run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned n = MIN(run->emulation_failure.insn_size, 15u);
		int pos = snprintf(extra, sizeof(extra), ", instruction bytes");

		for (unsigned i = 0; i < n && pos < (int)sizeof(extra) - 4; i++)
			pos += snprintf(extra + pos, sizeof(extra) - pos, " %02x",
					run->emulation_failure.insn_bytes[i]);
	}
	return kvm_fail(m, what, extra);
}

/* kvm_shutdown: KVM_EXIT_SHUTDOWN: the guest triple-faulted. */
static int kvm_shutdown(struct machine *m)
{
	uint16_t cs;
	uint32_t eip;

	kvm_guest_pc(m, &cs, &eip);
	machine_request_exit(m, EXIT_SHUTDOWN, EXIT_STATUS_TRIPLE,
			     "triple fault (KVM shutdown exit) at CS:EIP %04x:%08x", cs, eip);
	return -1;
}

int kvm_handle_exit(struct machine *m, struct kvm_run *run)
{
	char what[64];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return kvm_io(m, run);
	case KVM_EXIT_MMIO:
		return kvm_mmio(m, run);
	case KVM_EXIT_HLT:
		return kvm_hlt(m, run);
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		/* Injection and event service happen before the next KVM_RUN. */
		return 0;
	case KVM_EXIT_SHUTDOWN:
		return kvm_shutdown(m);
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return kvm_fail(m, what, NULL);
	case KVM_EXIT_INTERNAL_ERROR:
		return kvm_internal(m, run);
	default:
		snprintf(what, sizeof(what), "unexpected exit %u (%s)", run->exit_reason,
			 kvm_exit_name(run->exit_reason));
		return kvm_fail(m, what, NULL);
	}
}

int kvm_inject_pending(struct machine *m, struct kvm_run *run)
{
	struct kvm_state *ks = kvm_state_of(m);
	struct kvm_interrupt irq;

	if (!machine_intr_pending(m)) {
		run->request_interrupt_window = 0;
		return 0;
	}
	if (!run->ready_for_interrupt_injection || !run->if_flag || !ks) {
		run->request_interrupt_window = 1;
		return 0;
	}
	irq.irq = (uint32_t)machine_intr_ack(m);
	if (ioctl(ks->vcpu_fd, KVM_INTERRUPT, &irq) < 0) {
		kvm_fail(m, "KVM_INTERRUPT refused the interrupt", NULL);
		return 0;
	}
	ks->injected++;
	run->request_interrupt_window = 0;
	return 1;
}
