/*
 * cpu_event.c - exceptions and interrupts: recording (cpu_raise), delivery
 * through the IDT or the real-mode IVT, double-fault and triple-fault
 * escalation, and the external-interrupt check (see cpu.h).
 *
 * A task gate in the IDT switches tasks (cpu_task.c); the error code, if
 * any, goes on the new task's stack.  An event in virtual-8086 mode goes
 * to ring 0 with the segment registers on the stack (deliver_v86).
 */
#include "monitor/x86/cpu_internal.h"
#include "monitor/base/trace.h"
#include "monitor/base/stats.h"

#include <string.h>

/* Result of one delivery attempt that must stop the run (unsupported). */
#define DELIVER_STOP (-2)

enum exc_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PF, CLASS_DF };

/* exc_class: the double-fault class of an exception vector (SDM 6.15). */
static enum exc_class exc_class(int vector)
{
	switch (vector) {
	case EXC_DE:
	case EXC_TS:
	case EXC_NP:
	case EXC_SS:
	case EXC_GP:
		return CLASS_CONTRIBUTORY;
	case EXC_PF:
		return CLASS_PF;
	case EXC_DF:
		return CLASS_DF;
	default:
		return CLASS_BENIGN;
	}
}

/* combine: the event that results when `second` occurs while `first` is
 * being delivered: EXC_DF for a double fault, -1 for a triple fault, or
 * `second` (handled serially). */
static int combine(int first, int second)
{
	enum exc_class a = exc_class(first), b = exc_class(second);

	if (a == CLASS_DF && (b == CLASS_CONTRIBUTORY || b == CLASS_PF))
		return -1;
	if (a == CLASS_CONTRIBUTORY && b == CLASS_CONTRIBUTORY)
		return EXC_DF;
	if (a == CLASS_PF && (b == CLASS_CONTRIBUTORY || b == CLASS_PF))
		return EXC_DF;
	return second;
}

/* triple_fault: shut the machine down with a message naming the vectors. */
static void triple_fault(struct vcpu *v, int first, int second)
{
	machine_request_exit(v->machine, EXIT_SHUTDOWN, EXIT_STATUS_TRIPLE,
			     "triple fault: exception %d while delivering exception %d "
			     "(eip=%08x cs=%04x)",
			     second, first, v->eip, v->seg[S_CS].sel);
}

int cpu_raise(struct vcpu *v, int vector, bool has_err, uint32_t err)
{
	if (v->exc.valid) {
		int r = combine(v->exc.vector, vector);

		if (r < 0) {
			triple_fault(v, v->exc.vector, vector);
			v->exc.valid = false;
			return CPU_FAULT;
		}
		if (r == EXC_DF) {
			has_err = true;
			err = 0;
		}
		vector = r;
	}
	v->exc.valid = true;
	v->exc.vector = (uint8_t)vector;
	v->exc.has_err = has_err;
	v->exc.err = has_err ? err : 0;
	return CPU_FAULT;
}

int cpu_raise_gp(struct vcpu *v, uint32_t err)
{
	return cpu_raise(v, EXC_GP, true, err);
}

int cpu_raise_ud(struct vcpu *v)
{
	return cpu_raise(v, EXC_UD, false, 0);
}

int cpu_raise_pf(struct vcpu *v, uint32_t lin, uint32_t err)
{
	v->cr2 = lin;
	return cpu_raise(v, EXC_PF, true, err);
}

/* deliver_real: real-mode delivery through the IVT: push FLAGS, CS, IP;
 * clear IF, TF, AC; no error code. */
static int deliver_real(struct vcpu *v, int vector)
{
	uint16_t ent[2];
	uint16_t frame[3];

	if ((uint32_t)vector * 4 + 3 > v->idtr.limit)
		return cpu_raise_gp(v, 0);
	if (cpu_read_lin(v, v->idtr.base + vector * 4, ent, 4, ACC_SYS) < 0)
		return CPU_FAULT;
	frame[0] = (uint16_t)v->eip;
	frame[1] = v->seg[S_CS].sel;
	frame[2] = (uint16_t)cpu_get_eflags(v);
	if (cpu_stack_write(v, &v->seg[S_SS], v->gpr[R_ESP], frame, 6, 0, 0) < 0)
		return CPU_FAULT;
	cpu_stack_adjust(v, -6);
	v->eflags &= ~(EFL_IF | EFL_TF | EFL_AC | EFL_RF);
	v->seg[S_CS].sel = ent[1];
	v->seg[S_CS].base = (uint32_t)ent[1] << 4;
	v->eip = ent[0];
	return 0;
}

/* build_frame: the interrupt frame, lowest address first, in buf (entries
 * of `w` bytes): [err] EIP CS EFLAGS [ESP SS]; returns its length. */
static unsigned build_frame(struct vcpu *v, uint8_t *buf, unsigned w, bool has_err, uint32_t err,
			    bool outer)
{
	uint32_t vals[6];
	unsigned n = 0;

	if (has_err)
		vals[n++] = err;
	vals[n++] = v->eip;
	vals[n++] = v->seg[S_CS].sel;
	vals[n++] = cpu_get_eflags(v) | (v->eflags & EFL_RF);
	if (outer) {
		vals[n++] = v->gpr[R_ESP];
		vals[n++] = v->seg[S_SS].sel;
	}
	for (unsigned i = 0; i < n; i++)
		memcpy(buf + i * w, &vals[i], w);
	return n * w;
}

/* GATE_TASK: fetch_gate found a task gate. */
#define GATE_TASK 1

/* fetch_gate: read and check the IDT gate for vector; returns the gate
 * (GATE_TASK for a task gate). */
static int fetch_gate(struct vcpu *v, enum event_type type, int vector, unsigned ext,
		      uint64_t *gate)
{
	uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
	unsigned gt;

	if ((uint32_t)vector * 8 + 7 > v->idtr.limit)
		return cpu_raise_gp(v, idt_err);
	if (cpu_read_lin(v, v->idtr.base + vector * 8, gate, 8, ACC_SYS) < 0)
		return CPU_FAULT;
	gt = desc_type(*gate);
	if (desc_s(*gate) || (gt != 5 && gt != 6 && gt != 7 && gt != 14 && gt != 15))
		return cpu_raise_gp(v, idt_err);
	if ((type == EV_SOFTINT || type == EV_SOFTEXC) && desc_dpl(*gate) < v->cpl)
		return cpu_raise_gp(v, idt_err);
	if (!desc_p(*gate))
		return cpu_raise(v, EXC_NP, true, idt_err);
	return gt == 5 ? GATE_TASK : 0;
}

/* deliver_v86: an event in virtual-8086 mode (SDM, INT n,
 * INTERRUPT-FROM-VIRTUAL-8086-MODE): through a gate to a non-conforming
 * ring-0 code segment only (#GP(selector) otherwise), on the ring-0 stack
 * from the TSS, pushing GS, FS, DS, ES, SS, ESP, EFLAGS (VM set), CS, EIP
 * [, error code]; DS, ES, FS, GS become null and VM, TF, RF, NT (and IF
 * for an interrupt gate) clear. */
static int deliver_v86(struct vcpu *v, const uint64_t *gate, unsigned ext, bool has_err,
		       uint32_t err)
{
	bool g32 = desc_type(*gate) & 8;
	uint16_t sel = gate_sel(*gate), ss_sel;
	uint32_t off = gate_off(*gate, g32), nesp, vals[10];
	uint64_t cs, ssd;
	unsigned n = 0, w = g32 ? 4 : 2;
	uint8_t frame[40];
	struct seg nss, ncs;

	if (!(sel & 0xfffc))
		return cpu_raise_gp(v, ext);
	if (cpu_desc_fetch(v, sel, &cs, EXC_GP, ext) < 0)
		return CPU_FAULT;
	if (!desc_is_code(cs) || desc_conforming(cs) || desc_dpl(cs) != 0)
		return cpu_raise_gp(v, (sel & 0xfffc) | ext);
	if (!desc_p(cs))
		return cpu_raise(v, EXC_NP, true, (sel & 0xfffc) | ext);
	if (cpu_tss_stack(v, 0, ext, &ss_sel, &nesp) < 0 ||
	    cpu_check_ss(v, ss_sel, 0, EXC_TS, ext, &ssd) < 0)
		return CPU_FAULT;
	cpu_desc_to_seg(ssd, ss_sel, &nss);
	cpu_desc_to_seg(cs, sel, &ncs);
	if (!g32)
		off &= 0xffff;
	if (off > ncs.limit)
		return cpu_raise_gp(v, ext);
	if (has_err)
		vals[n++] = err;
	vals[n++] = v->eip;
	vals[n++] = v->seg[S_CS].sel;
	vals[n++] = v->eflags | EFL_FIXED; /* VM set, as the handler's IRET needs */
	vals[n++] = v->gpr[R_ESP];
	vals[n++] = v->seg[S_SS].sel;
	vals[n++] = v->seg[S_ES].sel;
	vals[n++] = v->seg[S_DS].sel;
	vals[n++] = v->seg[S_FS].sel;
	vals[n++] = v->seg[S_GS].sel;
	for (unsigned i = 0; i < n; i++)
		memcpy(frame + i * w, &vals[i], w);
	if (cpu_stack_write(v, &nss, nesp, frame, n * w, 0, (ss_sel & 0xfffc) | ext) < 0 ||
	    cpu_desc_set_accessed(v, sel, &cs) < 0 || cpu_desc_set_accessed(v, ss_sel, &ssd) < 0)
		return CPU_FAULT;
	/* Commit. */
	cpu_desc_to_seg(ssd, ss_sel, &v->seg[S_SS]);
	v->gpr[R_ESP] = nesp;
	cpu_stack_adjust(v, -(int32_t)(n * w));
	static const int data[] = {S_ES, S_DS, S_FS, S_GS};
	for (unsigned i = 0; i < 4; i++)
		v->seg[data[i]] = (struct seg){0};
	v->eflags &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	cpu_load_cs_desc(v, sel, cs, 0);
	v->eip = off;
	if (!(desc_type(*gate) & 1))
		v->eflags &= ~EFL_IF;
	return 0;
}

/* deliver_prot: protected-mode delivery through an interrupt or trap gate,
 * with a stack switch from the TSS on a privilege change. */
static int deliver_prot(struct vcpu *v, enum event_type type, int vector, bool has_err,
			uint32_t err)
{
	unsigned ext = (type == EV_SOFTINT || type == EV_SOFTEXC) ? 0 : 1;
	uint64_t gate, cs, ssd = 0;
	uint8_t frame[24];
	int r;

	if ((r = fetch_gate(v, type, vector, ext, &gate)) < 0)
		return r;
	if (r == GATE_TASK)
		return cpu_task_switch(v, gate_sel(gate), TASK_INT, has_err, err, ext);
	if (v->eflags & EFL_VM)
		return deliver_v86(v, &gate, ext, has_err, err);
	bool g32 = desc_type(gate) & 8;
	uint16_t sel = gate_sel(gate);
	uint32_t off = gate_off(gate, g32);

	if (!(sel & 0xfffc))
		return cpu_raise_gp(v, ext);
	if (cpu_desc_fetch(v, sel, &cs, EXC_GP, ext) < 0)
		return CPU_FAULT;
	if (!desc_is_code(cs) || desc_dpl(cs) > v->cpl)
		return cpu_raise_gp(v, (sel & 0xfffc) | ext);
	if (!desc_p(cs))
		return cpu_raise(v, EXC_NP, true, (sel & 0xfffc) | ext);

	bool outer = !desc_conforming(cs) && desc_dpl(cs) < v->cpl;
	unsigned ncpl = outer ? desc_dpl(cs) : v->cpl;
	struct seg nss = v->seg[S_SS];
	uint32_t nesp = v->gpr[R_ESP];
	uint16_t ss_sel = 0;

	if (outer) {
		if (cpu_tss_stack(v, ncpl, ext, &ss_sel, &nesp) < 0)
			return CPU_FAULT;
		if (cpu_check_ss(v, ss_sel, ncpl, EXC_TS, ext, &ssd) < 0)
			return CPU_FAULT;
		cpu_desc_to_seg(ssd, ss_sel, &nss);
	}
	/* The code segment's offset check. */
	struct seg ncs;

	cpu_desc_to_seg(cs, sel, &ncs);
	if (!g32)
		off &= 0xffff;
	if (off > ncs.limit)
		return cpu_raise_gp(v, ext);

	unsigned len = build_frame(v, frame, g32 ? 4 : 2, has_err, err, outer);
	uint32_t ss_err = outer ? ((ss_sel & 0xfffc) | ext) : ext;

	if (cpu_stack_write(v, &nss, nesp, frame, len, ncpl, ss_err) < 0)
		return CPU_FAULT;
	if (cpu_desc_set_accessed(v, sel, &cs) < 0)
		return CPU_FAULT;
	if (outer && cpu_desc_set_accessed(v, ss_sel, &ssd) < 0)
		return CPU_FAULT;

	/* Commit. */
	if (outer) {
		cpu_desc_to_seg(ssd, ss_sel, &v->seg[S_SS]);
		v->gpr[R_ESP] = nesp;
	}
	cpu_stack_adjust(v, -(int32_t)len);
	cpu_load_cs_desc(v, sel, cs, ncpl);
	v->eip = off;
	v->eflags &= ~(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
	if (!(desc_type(gate) & 1))
		v->eflags &= ~EFL_IF;
	return 0;
}

/* deliver_once: one delivery attempt; CPU_FAULT with v->exc set when the
 * delivery itself faulted, DELIVER_STOP when the run must end. */
static int deliver_once(struct vcpu *v, enum event_type type, int vector, bool has_err,
			uint32_t err)
{
	if (!(v->cr0 & CR0_PE))
		return deliver_real(v, vector);
	return deliver_prot(v, type, vector, has_err, err);
}

int cpu_deliver_event(struct vcpu *v, enum event_type type, int vector, bool has_err, uint32_t err)
{
	int ret = 0;

	if (type == EV_EXCEPTION) {
		STAT_INC(exceptions);
		if (unlikely(trace_mask & TRACE_EXC)) {
			char code[24] = "";
			if (has_err)
				snprintf(code, sizeof(code), " error %#x", err);
			trace_printf("exception %d%s at %04x:%08x cpl %u", vector, code,
				     v->seg[S_CS].sel, v->eip, v->cpl);
		}
	} else {
		if (type == EV_HWINT)
			STAT_INC(interrupts);
		TRACE(TRACE_INT, "%s %#x at %04x:%08x cpl %u",
		      type == EV_HWINT ? "interrupt" : "INT", vector, v->seg[S_CS].sel, v->eip,
		      v->cpl);
	}
	for (;;) {
		v->exc.valid = false;
		int r = deliver_once(v, type, vector, has_err, err);

		if (r == 0)
			break;
		if (r == DELIVER_STOP || !v->exc.valid) {
			v->exc.valid = false;
			return CPU_FAULT;
		}
		/* A fault during delivery: escalate by the double-fault rules
		 * (software interrupts and external events count as benign). */
		int first = (type == EV_EXCEPTION) ? vector : -1;
		int second = v->exc.vector;
		int next = first < 0 ? second : combine(first, second);

		ret = CPU_FAULT;
		v->exc.valid = false;
		if (next < 0) {
			triple_fault(v, first, second);
			return CPU_FAULT;
		}
		type = EV_EXCEPTION;
		has_err = next == EXC_DF ? true : v->exc.has_err;
		err = next == EXC_DF ? 0 : v->exc.err;
		vector = next;
	}
	v->halted = false;
	v->intr_shadow = false;
	return ret;
}

int cpu_int(struct vcpu *v, int vector, enum event_type type)
{
	int r;

	/* INT n is IOPL-sensitive in virtual-8086 mode; INT3 and INTO are not */
	if (vcpu_vm86(v) && type == EV_SOFTINT && cpu_iopl(v) < 3)
		return cpu_raise_gp(v, 0);
	/* A fault while delivering INT n is a fault of the instruction: it is
	 * reported to the caller (nothing changed), which restarts from the
	 * instruction and delivers it. */
	v->exc.valid = false;
	r = deliver_once(v, type, vector, false, 0);
	if (r == 0) {
		v->halted = false;
		v->intr_shadow = false;
		return 0;
	}
	return CPU_FAULT;
}

void cpu_deliver_pending(struct vcpu *v)
{
	struct pending_exc e = v->exc;

	if (!e.valid)
		return;
	v->exc.valid = false;
	cpu_deliver_event(v, EV_EXCEPTION, e.vector, e.has_err, e.err);
}

bool cpu_check_interrupts(struct vcpu *v)
{
	struct machine *m = v->machine;

	if (v->nmi_pending) {
		v->nmi_pending = false;
		cpu_deliver_event(v, EV_NMI, EXC_NMI, false, 0);
		return true;
	}
	if (!(v->eflags & EFL_IF) || v->intr_shadow || !machine_intr_pending(m))
		return false;
	int vec = machine_intr_ack(m);

	cpu_deliver_event(v, EV_HWINT, vec & 0xff, false, 0);
	return true;
}
