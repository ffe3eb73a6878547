/*
 * kvm_regs.c - struct vcpu <-> KVM's register structures (see kvm.h).
 *
 * The conversions are pure functions, so they can be tested without
 * /dev/kvm.  Segment attributes in struct seg already use the VMX/KVM bit
 * layout (vcpu.h); a segment whose present bit is clear is passed to KVM as
 * unusable (a null selector loaded into a data segment register).
 */
#include "kvm/kvm.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "monitor/base/util.h"

/* MSRs kept in struct vcpu_msrs (other than the APIC base, in kvm_sregs). */
#define MSR_SYSENTER_CS	 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_MISC_ENABLE	 0x1a0u
#define MSR_PAT		 0x277u

enum { KVM_NR_MSRS = 5 };

/* The msrs in the order kvm_msrs_fill and kvm_msrs_store use. */
static const uint32_t kvm_msr_index[KVM_NR_MSRS] = {
    MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_MISC_ENABLE, MSR_PAT,
};

/* struct kvm_msrs with room for the entries (its header spelled out: a
 * struct ending in a flexible array may not be a member). */
struct kvm_msr_buf {
	uint32_t nmsrs, pad;
	struct kvm_msr_entry e[KVM_NR_MSRS];
};
_Static_assert(offsetof(struct kvm_msr_buf, e) == offsetof(struct kvm_msrs, entries),
	       "kvm_msr_buf must have the layout of struct kvm_msrs");

void kvm_seg_from_vcpu(const struct seg *sg, bool usable_always, struct kvm_segment *k)
{
	memset(k, 0, sizeof(*k));
	k->base = sg->base;
	k->limit = sg->limit;
	k->selector = sg->sel;
	k->type = SEG_ATTR_TYPE(sg->attr);
	k->s = !!(sg->attr & SEG_ATTR_S);
	k->dpl = SEG_ATTR_DPL(sg->attr);
	k->present = !!(sg->attr & SEG_ATTR_P);
	k->avl = !!(sg->attr & SEG_ATTR_AVL);
	k->l = !!(sg->attr & SEG_ATTR_L);
	k->db = !!(sg->attr & SEG_ATTR_DB);
	k->g = !!(sg->attr & SEG_ATTR_G);
	k->unusable = !usable_always && !k->present;
}

void kvm_seg_to_vcpu(const struct kvm_segment *k, struct seg *sg)
{
	uint16_t a = k->type & 0xf;

	a |= k->s ? SEG_ATTR_S : 0;
	a |= (k->dpl & 3) << 5;
	a |= (k->present && !k->unusable) ? SEG_ATTR_P : 0;
	a |= k->avl ? SEG_ATTR_AVL : 0;
	a |= k->l ? SEG_ATTR_L : 0;
	a |= k->db ? SEG_ATTR_DB : 0;
	a |= k->g ? SEG_ATTR_G : 0;
	sg->sel = k->selector;
	sg->attr = a;
	sg->base = (uint32_t)k->base;
	sg->limit = k->limit;
}

void kvm_regs_from_vcpu(const struct vcpu *v, struct kvm_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rax = v->gpr[R_EAX];
	r->rcx = v->gpr[R_ECX];
	r->rdx = v->gpr[R_EDX];
	r->rbx = v->gpr[R_EBX];
	r->rsp = v->gpr[R_ESP];
	r->rbp = v->gpr[R_EBP];
	r->rsi = v->gpr[R_ESI];
	r->rdi = v->gpr[R_EDI];
	r->rip = v->eip;
	r->rflags = v->eflags | EFL_FIXED;
}

/* kvm_segment_of: KVM's field for segment register s. */
static struct kvm_segment *kvm_segment_of(struct kvm_sregs *s, int sreg)
{
	switch (sreg) {
	case S_ES:
		return &s->es;
	case S_CS:
		return &s->cs;
	case S_SS:
		return &s->ss;
	case S_DS:
		return &s->ds;
	case S_FS:
		return &s->fs;
	default:
		return &s->gs;
	}
}

void kvm_sregs_from_vcpu(const struct vcpu *v, struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < S_NR; i++)
		kvm_seg_from_vcpu(&v->seg[i], i == S_CS, kvm_segment_of(s, i));
	kvm_seg_from_vcpu(&v->ldtr, false, &s->ldt);
	kvm_seg_from_vcpu(&v->tr, true, &s->tr);
	s->gdt.base = v->gdtr.base;
	s->gdt.limit = v->gdtr.limit;
	s->idt.base = v->idtr.base;
	s->idt.limit = v->idtr.limit;
	s->cr0 = v->cr0;
	s->cr2 = v->cr2;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	s->efer = v->efer;
	s->apic_base = v->msr.apic_base;
}

void kvm_vcpu_from_kvm(struct vcpu *v, const struct kvm_regs *r, const struct kvm_sregs *s)
{
	v->gpr[R_EAX] = (uint32_t)r->rax;
	v->gpr[R_ECX] = (uint32_t)r->rcx;
	v->gpr[R_EDX] = (uint32_t)r->rdx;
	v->gpr[R_EBX] = (uint32_t)r->rbx;
	v->gpr[R_ESP] = (uint32_t)r->rsp;
	v->gpr[R_EBP] = (uint32_t)r->rbp;
	v->gpr[R_ESI] = (uint32_t)r->rsi;
	v->gpr[R_EDI] = (uint32_t)r->rdi;
	v->eip = (uint32_t)r->rip;
	v->eflags = (uint32_t)r->rflags | EFL_FIXED;
	for (int i = 0; i < S_NR; i++)
		kvm_seg_to_vcpu(kvm_segment_of((struct kvm_sregs *)s, i), &v->seg[i]);
	kvm_seg_to_vcpu(&s->ldt, &v->ldtr);
	kvm_seg_to_vcpu(&s->tr, &v->tr);
	v->gdtr.base = (uint32_t)s->gdt.base;
	v->gdtr.limit = s->gdt.limit;
	v->idtr.base = (uint32_t)s->idt.base;
	v->idtr.limit = s->idt.limit;
	v->cr0 = (uint32_t)s->cr0;
	v->cr2 = (uint32_t)s->cr2;
	v->cr3 = (uint32_t)s->cr3;
	v->cr4 = (uint32_t)s->cr4;
	v->efer = s->efer;
	v->msr.apic_base = s->apic_base;
	if (vcpu_real_mode(v))
		v->cpl = 0;
	else if (v->eflags & EFL_VM)
		v->cpl = 3;
	else
		v->cpl = v->seg[S_CS].sel & 3;
}

/*
 * FXSAVE image offsets: FCW 0, FSW 2, FTW (abridged) 4, FOP 6, FIP/FCS 8,
 * FDP/FDS 16, MXCSR 24, ST0-7 at 32 (16 bytes each), XMM0-7 at 160.
 */
void kvm_fpu_from_vcpu(const struct vcpu *v, struct kvm_fpu *f)
{
	const uint8_t *x = v->fxsave;

	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, x + 0, 2);
	memcpy(&f->fsw, x + 2, 2);
	f->ftwx = x[4];
	memcpy(&f->last_opcode, x + 6, 2);
	memcpy(&f->last_ip, x + 8, 8);
	memcpy(&f->last_dp, x + 16, 8);
	memcpy(&f->mxcsr, x + 24, 4);
	memcpy(f->fpr, x + 32, 8 * 16);
	memcpy(f->xmm, x + 160, 8 * 16);
}

void kvm_vcpu_from_fpu(struct vcpu *v, const struct kvm_fpu *f)
{
	uint8_t *x = v->fxsave;

	memcpy(x + 0, &f->fcw, 2);
	memcpy(x + 2, &f->fsw, 2);
	x[4] = f->ftwx;
	memcpy(x + 6, &f->last_opcode, 2);
	memcpy(x + 8, &f->last_ip, 8);
	memcpy(x + 16, &f->last_dp, 8);
	memcpy(x + 24, &f->mxcsr, 4);
	memcpy(x + 32, f->fpr, 8 * 16);
	memcpy(x + 160, f->xmm, 8 * 16);
}

/* kvm_msrs_fill: the MSR list for KVM_SET_MSRS (values from v) or for
 * KVM_GET_MSRS (v == NULL: values zero). */
static void kvm_msrs_fill(const struct vcpu *v, struct kvm_msr_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->nmsrs = KVM_NR_MSRS;
	for (int i = 0; i < KVM_NR_MSRS; i++)
		b->e[i].index = kvm_msr_index[i];
	if (!v)
		return;
	b->e[0].data = v->msr.sysenter_cs;
	b->e[1].data = v->msr.sysenter_esp;
	b->e[2].data = v->msr.sysenter_eip;
	b->e[3].data = v->msr.misc_enable;
	b->e[4].data = v->msr.pat;
}

/* kvm_msrs_store: copy the first n MSR values read by KVM_GET_MSRS to v. */
static void kvm_msrs_store(struct vcpu *v, const struct kvm_msr_buf *b, int n)
{
	for (int i = 0; i < n && i < KVM_NR_MSRS; i++) {
		uint64_t d = b->e[i].data;

		switch (b->e[i].index) {
		case MSR_SYSENTER_CS:
			v->msr.sysenter_cs = (uint32_t)d;
			break;
		case MSR_SYSENTER_ESP:
			v->msr.sysenter_esp = (uint32_t)d;
			break;
		case MSR_SYSENTER_EIP:
			v->msr.sysenter_eip = (uint32_t)d;
			break;
		case MSR_MISC_ENABLE:
			v->msr.misc_enable = d;
			break;
		case MSR_PAT:
			v->msr.pat = d;
			break;
		}
	}
}

/* kvm_ioctl_checked: ioctl(fd, req, arg); on failure print "kvm: what:
 * error" and return -errno. */
static int kvm_ioctl_checked(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0) {
		int e = errno;

		util_error("kvm: %s: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

/* kvm_put_debugregs: DR0-3, DR6, DR7 from v. */
static int kvm_put_debugregs(struct kvm_state *ks, const struct vcpu *v)
{
	struct kvm_debugregs d;

	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 4; i++)
		d.db[i] = v->dr[i];
	d.dr6 = v->dr[6] ? v->dr[6] : 0xffff0ff0;
	d.dr7 = v->dr[7] ? v->dr[7] : 0x400;
	return kvm_ioctl_checked(ks->vcpu_fd, KVM_SET_DEBUGREGS, &d, "KVM_SET_DEBUGREGS");
}

int kvm_put_vcpu(struct machine *m, struct kvm_state *ks)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	struct kvm_msr_buf b;
	int err;

	kvm_regs_from_vcpu(&m->vcpu, &r);
	kvm_sregs_from_vcpu(&m->vcpu, &s);
	kvm_fpu_from_vcpu(&m->vcpu, &f);
	if ((err = kvm_ioctl_checked(ks->vcpu_fd, KVM_SET_SREGS, &s, "KVM_SET_SREGS")) ||
	    (err = kvm_ioctl_checked(ks->vcpu_fd, KVM_SET_REGS, &r, "KVM_SET_REGS")) ||
	    (err = kvm_ioctl_checked(ks->vcpu_fd, KVM_SET_FPU, &f, "KVM_SET_FPU")) ||
	    (err = kvm_put_debugregs(ks, &m->vcpu)))
		return err;
	/* KVM_SET_MSRS returns how many it set; MSRs this KVM refuses keep
	 * its defaults, which is what a CPU without them would show. */
	kvm_msrs_fill(&m->vcpu, &b);
	if (ioctl(ks->vcpu_fd, KVM_SET_MSRS, &b) < 0) {
		util_error("kvm: KVM_SET_MSRS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int kvm_get_vcpu(struct machine *m, struct kvm_state *ks)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	struct kvm_debugregs d;
	struct kvm_msr_buf b;
	int n;

	if (ioctl(ks->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(ks->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	kvm_vcpu_from_kvm(&m->vcpu, &r, &s);
	if (ioctl(ks->vcpu_fd, KVM_GET_FPU, &f) == 0)
		kvm_vcpu_from_fpu(&m->vcpu, &f);
	if (ioctl(ks->vcpu_fd, KVM_GET_DEBUGREGS, &d) == 0) {
		for (int i = 0; i < 4; i++)
			m->vcpu.dr[i] = (uint32_t)d.db[i];
		m->vcpu.dr[6] = (uint32_t)d.dr6;
		m->vcpu.dr[7] = (uint32_t)d.dr7;
	}
	kvm_msrs_fill(NULL, &b);
	n = ioctl(ks->vcpu_fd, KVM_GET_MSRS, &b);
	if (n > 0)
		kvm_msrs_store(&m->vcpu, &b, n);
	return 0;
}

void kvm_guest_pc(struct machine *m, uint16_t *cs, uint32_t *eip)
{
	struct kvm_state *ks = kvm_state_of(m);
	struct kvm_regs r;
	struct kvm_sregs s;

	*cs = m->vcpu.seg[S_CS].sel;
	*eip = m->vcpu.eip;
	if (!ks || ks->vcpu_fd < 0)
		return;
	if (ioctl(ks->vcpu_fd, KVM_GET_REGS, &r) == 0 &&
	    ioctl(ks->vcpu_fd, KVM_GET_SREGS, &s) == 0) {
		*cs = s.cs.selector;
		*eip = (uint32_t)r.rip;
	}
}
