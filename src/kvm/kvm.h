/*
 * kvm.h - the KVM engine's internal interface (src/kvm/ only).
 *
 * The engine runs the machine's one vCPU with /dev/kvm.  Guest RAM is the
 * machine's memfd mapping (m->ram.host), registered as memory slot 0 at
 * guest-physical 0, so KVM and the monitor see the same bytes.  There is no
 * in-kernel irqchip: port I/O, MMIO outside RAM and HLT come back to the
 * vCPU thread as exits and go to the same devices as under the bt engine,
 * and the 8259's interrupts are injected with KVM_INTERRUPT when KVM reports
 * an open interrupt window.
 *
 * Files:
 *   kvm.c       engine ops: init (VM, slot, vCPU, CPUID), run loop, kick,
 *               stats, destroy
 *   kvm_regs.c  struct vcpu <-> kvm_regs/kvm_sregs/kvm_fpu (pure functions)
 *               and the ioctls that move them
 *   kvm_exit.c  one exit of KVM_RUN -> devices, HLT wait, error reports
 *   kvm_cpuid.c the guest CPU model (filtered KVM_GET_SUPPORTED_CPUID) and
 *               detection of hardware VT on the host
 */
#ifndef BT86_KVM_H
#define BT86_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <linux/kvm.h>

#include "monitor/machine/machine.h"

/* The signal the kicker thread sends to the vCPU thread to end KVM_RUN. */
#define KVM_KICK_SIGNAL SIGUSR1

/* Where KVM puts the real-mode TSS and identity page table that VMX without
 * unrestricted guest needs: 3 + 1 pages just below the 4 GiB boundary's
 * BIOS area, never RAM (RAM ends at 3.5 GiB at most). */
#define KVM_TSS_ADDR	  0xfffbd000u
#define KVM_IDENTITY_ADDR 0xfffbc000u

/* Exit kinds counted for --stats (KVM's numbering is sparse). */
#define KVM_EXIT_KINDS 64

#define KVM_STATE_MAGIC 0x6b766d31u /* "kvm1" */

/* The engine this directory exports (kvm.c; chosen by monitor/cli/engine.c). */
extern const struct engine kvm_engine;

/* The engine's state, in m->engine_data. */
struct kvm_state {
	uint32_t magic; /* KVM_STATE_MAGIC */
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run; /* the vCPU's shared page(s), mmap of vcpu_fd */
	size_t run_size;
	pthread_t thread; /* the vCPU thread while run() is active */
	volatile int thread_valid;
	bool host_vt; /* the host CPU shows VT-x or SVM */
	uint64_t exits[KVM_EXIT_KINDS];
	uint64_t exits_other; /* exit reasons >= KVM_EXIT_KINDS */
	uint64_t runs;	      /* KVM_RUN calls */
	uint64_t eintr;	      /* KVM_RUN interrupted by a kick */
	uint64_t injected;    /* interrupts injected with KVM_INTERRUPT */
};

/* kvm_state_of: the KVM engine state of m, or NULL when m does not run on
 * an initialised KVM engine (unit tests feeding synthetic exits). */
static inline struct kvm_state *kvm_state_of(struct machine *m)
{
	struct kvm_state *ks = m->engine_data;

	if (m->engine && m->engine != &kvm_engine)
		return NULL;
	return ks && ks->magic == KVM_STATE_MAGIC ? ks : NULL;
}

/* --- kvm_exit.c ------------------------------------------------------------ */

/* kvm_handle_exit: act on the exit KVM_RUN left in run (I/O and MMIO to the
 * machine's buses, HLT wait, shutdown and error reports).  Afterwards run is
 * ready for the next KVM_RUN (input data stored where KVM expects it).
 * Returns 0 to go on, or -1 when the exit ended the run (m->exit is set).
 * Needs no KVM file descriptor, so tests can feed hand-made exits. */
int kvm_handle_exit(struct machine *m, struct kvm_run *run);

/* kvm_exit_name: a short name for a KVM exit reason ("io", "mmio", ...). */
const char *kvm_exit_name(uint32_t reason);

/* kvm_inject_pending: before KVM_RUN: if the PIC has an interrupt for the
 * CPU, inject it when KVM says the guest can take it now (IF=1, no shadow),
 * else ask for an interrupt-window exit.  Returns 1 if it injected. */
int kvm_inject_pending(struct machine *m, struct kvm_run *run);

/* --- kvm_regs.c ------------------------------------------------------------ */

/* kvm_regs_from_vcpu / kvm_sregs_from_vcpu / kvm_fpu_from_vcpu: fill KVM's
 * structures from v (whole structures are written). */
void kvm_regs_from_vcpu(const struct vcpu *v, struct kvm_regs *r);
void kvm_sregs_from_vcpu(const struct vcpu *v, struct kvm_sregs *s);
void kvm_fpu_from_vcpu(const struct vcpu *v, struct kvm_fpu *f);
/* kvm_vcpu_from_kvm: the reverse of the above: update v's GPRs, EIP,
 * EFLAGS, segments, descriptor tables, control registers, EFER, APIC base
 * and CPL from r and s. */
void kvm_vcpu_from_kvm(struct vcpu *v, const struct kvm_regs *r, const struct kvm_sregs *s);
/* kvm_vcpu_from_fpu: update v->fxsave from f. */
void kvm_vcpu_from_fpu(struct vcpu *v, const struct kvm_fpu *f);
/* kvm_seg_from_vcpu / kvm_seg_to_vcpu: one segment register; `usable_always`
 * is true for CS and TR, which KVM never treats as unusable. */
void kvm_seg_from_vcpu(const struct seg *sg, bool usable_always, struct kvm_segment *k);
void kvm_seg_to_vcpu(const struct kvm_segment *k, struct seg *sg);

/* kvm_put_vcpu: load m->vcpu into the KVM vCPU (registers, system
 * registers, FPU, debug registers, MSRs); -errno with one line printed. */
int kvm_put_vcpu(struct machine *m, struct kvm_state *ks);
/* kvm_get_vcpu: copy the KVM vCPU back into m->vcpu; -errno on failure. */
int kvm_get_vcpu(struct machine *m, struct kvm_state *ks);
/* kvm_guest_pc: the guest's CS selector and EIP now (from KVM when there is
 * a vCPU, else from m->vcpu), for messages. */
void kvm_guest_pc(struct machine *m, uint16_t *cs, uint32_t *eip);

/* --- kvm_cpuid.c ----------------------------------------------------------- */

/* kvm_host_has_vt: the host CPU announces VMX (CPUID.1:ECX[5]) or SVM
 * (CPUID.80000001h:ECX[2]). */
bool kvm_host_has_vt(void);
/* kvm_setup_cpuid: give the vCPU a 32-bit CPU model built from
 * KVM_GET_SUPPORTED_CPUID; -errno with one line printed. */
int kvm_setup_cpuid(struct kvm_state *ks);
/* kvm_cpuid_filter: rewrite the `n` supported entries in e[] into the guest
 * model in place; returns the number of entries kept (pure). */
unsigned kvm_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n);

#endif
