/*
 * vcpu.h - the architectural state of one guest x86 CPU (IA-32).
 *
 * Engine-neutral: the loaders write the start state here, the bt engine runs
 * from it (and keeps it current at every callout and exit), the KVM engine
 * copies it to and from KVM's registers.  The cpu layer (cpu.h) implements
 * the architecture's rules on top of it.
 */
#ifndef BT86_VCPU_H
#define BT86_VCPU_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

struct machine;

/* General registers, in the hardware encoding order. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* Segment registers, in the hardware encoding order (sreg field of ModRM). */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NR };

/* EFLAGS bits. */
#define EFL_CF	       (1u << 0)
#define EFL_FIXED      (1u << 1) /* always 1 */
#define EFL_PF	       (1u << 2)
#define EFL_AF	       (1u << 4)
#define EFL_ZF	       (1u << 6)
#define EFL_SF	       (1u << 7)
#define EFL_TF	       (1u << 8)
#define EFL_IF	       (1u << 9)
#define EFL_DF	       (1u << 10)
#define EFL_OF	       (1u << 11)
#define EFL_IOPL       (3u << 12)
#define EFL_IOPL_SHIFT 12
#define EFL_NT	       (1u << 14)
#define EFL_RF	       (1u << 16)
#define EFL_VM	       (1u << 17)
#define EFL_AC	       (1u << 18)
#define EFL_VIF	       (1u << 19)
#define EFL_VIP	       (1u << 20)
#define EFL_ID	       (1u << 21)
/* Arithmetic flags: the ones that live in host RFLAGS under bt. */
#define EFL_ARITH (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

/* Control register bits. */
#define CR0_PE	       (1u << 0)
#define CR0_MP	       (1u << 1)
#define CR0_EM	       (1u << 2)
#define CR0_TS	       (1u << 3)
#define CR0_ET	       (1u << 4)
#define CR0_NE	       (1u << 5)
#define CR0_WP	       (1u << 16)
#define CR0_AM	       (1u << 18)
#define CR0_NW	       (1u << 29)
#define CR0_CD	       (1u << 30)
#define CR0_PG	       (1u << 31)
#define CR4_VME	       (1u << 0)
#define CR4_PVI	       (1u << 1)
#define CR4_TSD	       (1u << 2)
#define CR4_DE	       (1u << 3)
#define CR4_PSE	       (1u << 4)
#define CR4_PAE	       (1u << 5)
#define CR4_MCE	       (1u << 6)
#define CR4_PGE	       (1u << 7)
#define CR4_PCE	       (1u << 8)
#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP       (1u << 11)
#define CR4_SMEP       (1u << 20)

/* Exception vectors. */
enum {
	EXC_DE = 0,
	EXC_DB = 1,
	EXC_NMI = 2,
	EXC_BP = 3,
	EXC_OF = 4,
	EXC_BR = 5,
	EXC_UD = 6,
	EXC_NM = 7,
	EXC_DF = 8,
	EXC_TS = 10,
	EXC_NP = 11,
	EXC_SS = 12,
	EXC_GP = 13,
	EXC_PF = 14,
	EXC_MF = 16,
	EXC_AC = 17,
	EXC_MC = 18,
	EXC_XM = 19,
};

/* Page-fault error code bits. */
#define PFEC_P	  (1u << 0)
#define PFEC_W	  (1u << 1)
#define PFEC_U	  (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I	  (1u << 4)

#define EFER_NXE (1ull << 11) /* execute-disable (PAE paging) */

/*
 * A segment register with its hidden part (descriptor cache).  attr holds
 * descriptor bits 40..55 shifted down by 8: type(0-3) S(4) DPL(5-6) P(7)
 * AVL(12) L(13) D/B(14) G(15), the layout VMX and KVM use.  limit is the
 * expanded byte limit (already scaled by G).
 */
struct seg {
	uint16_t sel;
	uint16_t attr;
	uint32_t base;
	uint32_t limit;
};
#define SEG_ATTR_TYPE(a) ((a)&0xf)
#define SEG_ATTR_S	 (1u << 4)
#define SEG_ATTR_DPL(a)	 (((a) >> 5) & 3)
#define SEG_ATTR_P	 (1u << 7)
#define SEG_ATTR_AVL	 (1u << 12)
#define SEG_ATTR_L	 (1u << 13)
#define SEG_ATTR_DB	 (1u << 14)
#define SEG_ATTR_G	 (1u << 15)

struct dtr {
	uint32_t base;
	uint16_t limit;
};

/* Kinds of event the cpu layer delivers (cpu_deliver_event). */
enum event_type {
	EV_EXCEPTION, /* fault/trap raised by an instruction */
	EV_HWINT,     /* external interrupt from the PIC */
	EV_SOFTINT,   /* INT n */
	EV_SOFTEXC,   /* INT3, INTO (trap-like, DPL-checked) */
	EV_NMI,
};

/* An exception recorded by the cpu layer and waiting to be delivered. */
struct pending_exc {
	bool valid;
	uint8_t vector;
	bool has_err;
	uint32_t err;
};

/* MSRs the machine implements (the guest CPU model is a Pentium M class
 * CPU with SEP, TSC, MSR, PSE, PGE, CMOV, PAT, FXSR, SSE, SSE2: cpu_sys.c). */
struct vcpu_msrs {
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_offset; /* guest TSC = host TSC + tsc_offset */
	uint64_t pat;
	uint64_t apic_base;
	uint64_t misc_enable;
};

#define A20_BIT 0x100000u

struct vcpu;
/* vcpu_a20: physical address pa as the A20 gate lets it through. */
#define vcpu_a20(v, pa) ((v)->a20_off ? (pa) & ~A20_BIT : (pa))

struct vcpu {
	uint32_t gpr[8]; /* EAX..EDI */
	uint32_t eip;
	uint32_t eflags; /* full guest EFLAGS (virtual IF, IOPL, ...) */
	struct seg seg[S_NR];
	struct seg ldtr, tr;
	struct dtr gdtr, idtr;
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	uint64_t efer;	   /* IA32_EFER: NXE only (EFER_NXE) */
	uint64_t pdpte[4]; /* PAE: the PDPTEs loaded by the last CR3 load */
	struct vcpu_msrs msr;
	unsigned cpl;	  /* current privilege level (CS.RPL in protected mode) */
	bool a20_off;	  /* the A20 gate is off: physical addresses lose bit 20
			   * (with paging off; docs/platform.md) */
	bool halted;	  /* in HLT, waiting for an interrupt */
	bool intr_shadow; /* STI / MOV SS shadow: no interrupt before the next insn */
	bool nmi_pending;
	struct pending_exc exc; /* set by cpu_raise() */
	/* x87/SSE state, FXSAVE format. */
	uint8_t fxsave[512] __attribute__((aligned(16)));
	/* The x87 pointers the guest last loaded (FXRSTOR, FLDENV, FRSTOR),
	 * as the host image holds them (fip, fdp) and as the guest gave them:
	 * while the saved FIP/FDP still equal these, no x87 instruction ran
	 * since (callout_fpu.c); all zero until the first load. */
	struct {
		uint32_t fip, fdp;
		uint16_t fcs, fds, fop;
	} fpu_loaded;
	uint64_t mc0_ctl; /* machine-check bank 0 control (MCA, cpu_sys.c) */
	uint32_t tsc_aux; /* IA32_TSC_AUX, what RDTSCP puts in ECX */
	struct machine *machine;
};

/* vcpu_real_mode: CR0.PE clear. */
static inline bool vcpu_real_mode(const struct vcpu *v)
{
	return !(v->cr0 & CR0_PE);
}

/* vcpu_vm86: protected mode with EFLAGS.VM set. */
static inline bool vcpu_vm86(const struct vcpu *v)
{
	return (v->cr0 & CR0_PE) && (v->eflags & EFL_VM);
}

/* vcpu_reset: the state of an x86 CPU after RESET (CS:IP F000:FFF0, base
 * FFFF0000, real mode, EDX = CPU signature). */
void vcpu_reset(struct vcpu *v);

/* vcpu_set_flat32: protected mode, CPL0, flat 4 GiB code (selector cs) and
 * data (selector ds) segments in all of DS/ES/SS/FS/GS, EFLAGS = 2,
 * CR0 = PE|ET: the start state of multiboot and of the Linux 32-bit entry. */
void vcpu_set_flat32(struct vcpu *v, uint16_t cs, uint16_t ds);

/* vcpu_seg_name / vcpu_reg_name: "es".."gs", "eax".."edi", for messages. */
const char *vcpu_seg_name(int s);
const char *vcpu_reg_name(int r);

/* vcpu_dump: print the registers, one block, for triple-fault messages. */
void vcpu_dump(const struct vcpu *v, FILE *f);

#endif
