/*
 * cpu_sys.c - flags and privileged registers: EFLAGS/POPF/CLI/STI, control
 * and debug registers, MSRs, CPUID, RDTSC, HLT (see cpu.h).
 *
 * Debug registers are stored and read back; hardware breakpoints are not
 * implemented (DR7 enables have no effect).
 */
#include "monitor/x86/cpu_internal.h"

#include <string.h>
#include <x86intrin.h>

/* Guest CPU model: family 6, model 13, stepping 8 (a Pentium M class CPU). */
#define CPU_SIGNATURE 0x000006d8u

/* Flags POPF can ever write (ID included: the CPU has CPUID). */
#define EFL_POPF_BASE                                                                              \
	(EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_TF | EFL_DF | EFL_OF | EFL_NT | EFL_AC | \
	 EFL_ID)

int cpu_unsupported(struct vcpu *v, const char *what)
{
	static const char *last;

	if (last != what)
		util_error("guest used an unsupported feature: %s (giving it #GP(0))", what);
	last = what;
	return cpu_raise_gp(v, 0);
}

uint32_t cpu_get_eflags(const struct vcpu *v)
{
	return (v->eflags & ~(EFL_VM | EFL_RF)) | EFL_FIXED;
}

void cpu_write_eflags(struct vcpu *v, uint32_t val, unsigned opsize, unsigned cpl, bool iret)
{
	uint32_t mask = EFL_POPF_BASE;

	if (cpl == 0)
		mask |= EFL_IOPL;
	if (cpl <= cpu_iopl(v))
		mask |= EFL_IF;
	if (iret) {
		mask |= EFL_RF;
		if (cpl == 0)
			mask |= EFL_VIF | EFL_VIP;
	}
	if (opsize == 2)
		mask &= 0xffff;
	v->eflags = (v->eflags & ~mask) | (val & mask) | EFL_FIXED;
}

int cpu_popf(struct vcpu *v, uint32_t val, unsigned opsize)
{
	if (vcpu_vm86(v) && cpu_iopl(v) < 3)
		return cpu_raise_gp(v, 0);
	/* virtual-8086 mode counts as CPL 3: IF with IOPL 3, never IOPL */
	cpu_write_eflags(v, val, opsize, vcpu_vm86(v) ? 3 : cpu_pmode(v) ? v->cpl : 0, false);
	return 0;
}

/* io_privileged: CPL > IOPL in protected or virtual-8086 mode. */
static bool io_privileged(const struct vcpu *v)
{
	return (v->cr0 & CR0_PE) && (vcpu_vm86(v) ? 3 : v->cpl) > cpu_iopl(v);
}

int cpu_cli(struct vcpu *v)
{
	if (io_privileged(v))
		return cpu_raise_gp(v, 0);
	v->eflags &= ~EFL_IF;
	return 0;
}

int cpu_sti(struct vcpu *v)
{
	if (io_privileged(v))
		return cpu_raise_gp(v, 0);
	if (!(v->eflags & EFL_IF))
		v->intr_shadow = true;
	v->eflags |= EFL_IF;
	return 0;
}

int cpu_require_cpl0(struct vcpu *v)
{
	if ((v->cr0 & CR0_PE) && (v->cpl != 0 || (v->eflags & EFL_VM)))
		return cpu_raise_gp(v, 0);
	return 0;
}

/* CR0 bits that are stored; the others are reserved and read as 0 (ET
 * reads as 1). */
#define CR0_KEEP                                                                                   \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR4 bits the guest CPU implements (CPUID: no VME). */
#define CR4_VALID                                                                                  \
	(CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR |         \
	 CR4_OSXMMEXCPT | CR4_UMIP | CR4_SMEP)

/* PDPTE bits that must be 0: 1-2, 5-8 and above MAXPHYADDR (32). */
#define PDPTE_RSVD 0xffffffff000001e6ull

/* load_pdptes: PAE paging is (going to be) on with CR3 = cr3: load the
 * four PDPTEs from the 32-byte table there, as MOV to CR3 (or the CR0/CR4
 * write that turns PAE paging on) does; #GP(0), nothing loaded, if a
 * present one has a reserved bit set or the table is not in RAM. */
int cpu_load_pdptes(struct vcpu *v, uint32_t cr3)
{
	const void *p = v->machine ? ram_ptr(&v->machine->ram, cr3 & ~0x1fu, 32) : NULL;
	uint64_t e[4];

	if (!p)
		return cpu_raise_gp(v, 0);
	memcpy(e, p, sizeof(e));
	for (int i = 0; i < 4; i++)
		if ((e[i] & 1) && (e[i] & PDPTE_RSVD))
			return cpu_raise_gp(v, 0);
	memcpy(v->pdpte, e, sizeof(e));
	return 0;
}

/* set_cr0: MOV to CR0 (and LMSW) with the reserved-combination checks. */
static int set_cr0(struct vcpu *v, uint32_t val, unsigned *chg)
{
	uint32_t old = v->cr0;

	val = (val & CR0_KEEP) | CR0_ET;
	if ((val & CR0_PG) && !(val & CR0_PE))
		return cpu_raise_gp(v, 0);
	if ((val & CR0_NW) && !(val & CR0_CD))
		return cpu_raise_gp(v, 0);
	if ((val & CR0_PG) && !(old & CR0_PG) && (v->cr4 & CR4_PAE) &&
	    cpu_load_pdptes(v, v->cr3) < 0)
		return CPU_FAULT;
	v->cr0 = val;
	if ((old ^ val) & (CR0_PG | CR0_WP))
		*chg |= CPU_CHG_PAGING;
	if ((old ^ val) & (CR0_PE | CR0_TS | CR0_EM | CR0_MP))
		*chg |= CPU_CHG_MODE;
	return 0;
}

int cpu_mov_to_cr(struct vcpu *v, int cr, uint32_t val, unsigned *chg)
{
	*chg = 0;
	if (cr != 0 && cr != 2 && cr != 3 && cr != 4)
		return cpu_raise_ud(v);
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	switch (cr) {
	case 0:
		return set_cr0(v, val, chg);
	case 2:
		v->cr2 = val;
		return 0;
	case 3:
		if ((v->cr0 & CR0_PG) && (v->cr4 & CR4_PAE) && cpu_load_pdptes(v, val) < 0)
			return CPU_FAULT;
		v->cr3 = val;
		*chg |= CPU_CHG_CR3;
		return 0;
	default:
		if (val & ~CR4_VALID)
			return cpu_raise_gp(v, 0);
		if ((v->cr0 & CR0_PG) && (val & CR4_PAE) &&
		    ((v->cr4 ^ val) & (CR4_PAE | CR4_PSE | CR4_PGE)) &&
		    cpu_load_pdptes(v, v->cr3) < 0)
			return CPU_FAULT;
		if ((v->cr4 ^ val) & (CR4_PSE | CR4_PGE | CR4_PAE | CR4_SMEP))
			*chg |= CPU_CHG_PAGING; /* SMEP: translations were checked without it */
		v->cr4 = val;
		return 0;
	}
}

int cpu_mov_from_cr(struct vcpu *v, int cr, uint32_t *val)
{
	if (cr != 0 && cr != 2 && cr != 3 && cr != 4)
		return cpu_raise_ud(v);
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	*val = cr == 0 ? v->cr0 : cr == 2 ? v->cr2 : cr == 3 ? v->cr3 : v->cr4;
	return 0;
}

/* dr_index: DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD); -1 for #UD. */
static int dr_index(const struct vcpu *v, int dr)
{
	if (dr == 4 || dr == 5)
		return (v->cr4 & CR4_DE) ? -1 : dr + 2;
	return dr >= 0 && dr < 8 ? dr : -1;
}

int cpu_mov_to_dr(struct vcpu *v, int dr, uint32_t val)
{
	int i = dr_index(v, dr);

	if (i < 0)
		return cpu_raise_ud(v);
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	if (i == 6)
		val = (val & 0x0000e00fu) | 0xffff0ff0u;
	else if (i == 7)
		val = (val & ~0x0000d800u) | 0x400u;
	v->dr[i] = val;
	return 0;
}

int cpu_mov_from_dr(struct vcpu *v, int dr, uint32_t *val)
{
	int i = dr_index(v, dr);

	if (i < 0)
		return cpu_raise_ud(v);
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	*val = v->dr[i];
	return 0;
}

int cpu_lmsw(struct vcpu *v, uint16_t val, unsigned *chg)
{
	*chg = 0;
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	/* PE can be set but not cleared; MP, EM, TS are loaded. */
	uint32_t nv = (v->cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | (val & 0xe) | (val & CR0_PE);

	return set_cr0(v, nv, chg);
}

bool cpu_umip_blocks(struct vcpu *v)
{
	if ((v->cr4 & CR4_UMIP) && (v->cr0 & CR0_PE) && (v->cpl > 0 || vcpu_vm86(v))) {
		cpu_raise_gp(v, 0);
		return true;
	}
	return false;
}

uint32_t cpu_smsw(const struct vcpu *v)
{
	return v->cr0;
}

int cpu_clts(struct vcpu *v)
{
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	v->cr0 &= ~CR0_TS;
	return 0;
}

/* MSR numbers. */
enum {
	MSR_TSC = 0x10,
	MSR_PLATFORM_ID = 0x17,
	MSR_APIC_BASE = 0x1b,
	MSR_BIOS_SIGN = 0x8b,
	MSR_MTRRCAP = 0xfe,
	MSR_MCG_CAP = 0x179,
	MSR_MCG_STATUS = 0x17a,
	MSR_MC0_CTL = 0x400,
	MSR_MC0_STATUS = 0x401,
	MSR_MC0_ADDR = 0x402,
	MSR_MC0_MISC = 0x403,
	MSR_SYSENTER_CS = 0x174,
	MSR_SYSENTER_ESP = 0x175,
	MSR_SYSENTER_EIP = 0x176,
	MSR_ARCH_CAPABILITIES = 0x10a,
	MSR_MISC_ENABLE = 0x1a0,
	MSR_PAT = 0x277,
	MSR_MTRR_DEF = 0x2ff,
	MSR_TSC_DEADLINE = 0x6e0,
	MSR_EFER = 0xc0000080,
	MSR_TSC_AUX = 0xc0000103,
};

/* msr_is_mtrr: the variable and fixed MTRRs (read as 0, writes dropped). */
static bool msr_is_mtrr(uint32_t msr)
{
	return (msr >= 0x200 && msr <= 0x20f) || msr == 0x250 || msr == 0x258 || msr == 0x259 ||
	       (msr >= 0x268 && msr <= 0x26f) || msr == MSR_MTRR_DEF;
}

/* CPUID.7.0:EDX: IA32_ARCH_CAPABILITIES (29), which says RDCL_NO: guest
 * code cannot read supervisor pages speculatively, under bt because a
 * user view never maps them (docs/architecture.md, "Guest CPU model"). */
#define CPUID7_EDX (1u << 29)
/* CPUID.7.0:EBX SMEP (7): supervisor fetches from user pages fault, which
 * the walker checks when code is translated; ECX UMIP (2): SGDT, SIDT,
 * SLDT, SMSW and STR above CPL 0 are #GP.  No SMAP: the supervisor view
 * maps user pages for data, and STAC/CLAC would have to remap them. */
#define CPUID7_EBX (1u << 7)
#define CPUID7_ECX (1u << 2)
/* Machine-check architecture (CPUID.1:EDX MCE and MCA): one bank, no
 * MCG_CTL; #MC is never raised, since no error is ever found. */
#define MCG_CAP_BANKS	 1ull
#define ARCH_CAP_RDCL_NO 1ull

int cpu_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	switch (msr) {
	case MSR_TSC:
		*val = __rdtsc() + v->msr.tsc_offset;
		return 0;
	case MSR_PLATFORM_ID:
	case MSR_BIOS_SIGN:
	case MSR_MTRRCAP:
		*val = 0;
		return 0;
	case MSR_ARCH_CAPABILITIES:
		*val = ARCH_CAP_RDCL_NO;
		return 0;
	case MSR_MCG_CAP:
		*val = MCG_CAP_BANKS;
		return 0;
	case MSR_MCG_STATUS:
	case MSR_MC0_STATUS:
	case MSR_MC0_ADDR:
	case MSR_MC0_MISC:
		*val = 0; /* no machine check has happened */
		return 0;
	case MSR_MC0_CTL:
		*val = v->mc0_ctl;
		return 0;
	case MSR_APIC_BASE:
		*val = v->msr.apic_base;
		return 0;
	case MSR_TSC_DEADLINE:
		*val = board_tsc_deadline_value(v->machine);
		return 0;
	case MSR_SYSENTER_CS:
		*val = v->msr.sysenter_cs;
		return 0;
	case MSR_SYSENTER_ESP:
		*val = v->msr.sysenter_esp;
		return 0;
	case MSR_SYSENTER_EIP:
		*val = v->msr.sysenter_eip;
		return 0;
	case MSR_MISC_ENABLE:
		*val = v->msr.misc_enable;
		return 0;
	case MSR_PAT:
		*val = v->msr.pat;
		return 0;
	case MSR_EFER:
		*val = v->efer;
		return 0;
	case MSR_TSC_AUX:
		*val = v->tsc_aux;
		return 0;
	}
	if (msr_is_mtrr(msr)) {
		*val = 0;
		return 0;
	}
	return cpu_raise_gp(v, 0);
}

/* pat_valid: every PAT entry is a defined memory type (0, 1, 4, 5, 6, 7). */
static bool pat_valid(uint64_t val)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (val >> (8 * i)) & 0xff;

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* cpu_tsc_deadline: IA32_TSC_DEADLINE = val: when the guest TSC (host TSC
 * plus the offset) reaches it, in host nanoseconds, for the local APIC. */
static void cpu_tsc_deadline(struct vcpu *v, uint64_t val)
{
	uint64_t now_tsc = __rdtsc() + v->msr.tsc_offset, now_ns = util_now_ns(), at = now_ns;

	if (val > now_tsc)
		at += (uint64_t)((double)(val - now_tsc) * 1e9 / util_tsc_hz());
	board_tsc_deadline(v->machine, val, at);
}

int cpu_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	switch (msr) {
	case MSR_TSC:
		v->msr.tsc_offset = val - __rdtsc();
		return 0;
	case MSR_BIOS_SIGN:
		return 0;
	case MSR_MCG_STATUS:
	case MSR_MC0_STATUS:
	case MSR_MC0_ADDR:
	case MSR_MC0_MISC:
		return val ? cpu_raise_gp(v, 0) : 0; /* only 0 may be written */
	case MSR_MC0_CTL:
		v->mc0_ctl = val;
		return 0;
	case MSR_APIC_BASE:
		if (val & ~0xffffff900ull)
			return cpu_raise_gp(v, 0);
		v->msr.apic_base = val;
		board_apic_base(v->machine, val);
		return 0;
	case MSR_TSC_DEADLINE:
		cpu_tsc_deadline(v, val);
		return 0;
	case MSR_SYSENTER_CS:
		v->msr.sysenter_cs = (uint32_t)val & 0xffff;
		return 0;
	case MSR_SYSENTER_ESP:
		v->msr.sysenter_esp = (uint32_t)val;
		return 0;
	case MSR_SYSENTER_EIP:
		v->msr.sysenter_eip = (uint32_t)val;
		return 0;
	case MSR_MISC_ENABLE:
		v->msr.misc_enable = val;
		return 0;
	case MSR_PAT:
		if (!pat_valid(val))
			return cpu_raise_gp(v, 0);
		v->msr.pat = val;
		return 0;
	case MSR_TSC_AUX:
		if (val >> 32)
			return cpu_raise_gp(v, 0);
		v->tsc_aux = (uint32_t)val;
		return 0;
	case MSR_EFER: /* NXE only: no long mode, no SYSCALL */
		if (val & ~EFER_NXE)
			return cpu_raise_gp(v, 0);
		v->efer = val;
		return 0;
	}
	if (msr_is_mtrr(msr))
		return 0;
	return cpu_raise_gp(v, 0);
}

/* CPUID.1:EDX: FPU DE PSE TSC MSR PAE MCE CX8 APIC SEP PGE MCA CMOV PAT CLFSH MMX FXSR SSE
 * SSE2. */
#define CPUID1_EDX                                                                                 \
	((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) |       \
	 (1u << 8) | (1u << 9) | (1u << 11) | (1u << 13) | (1u << 14) | (1u << 15) | (1u << 16) |  \
	 (1u << 19) | (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26))
/* CPUID.80000001h:EDX: NX (execute-disable, with PAE). */
#define CPUIDX1_EDX ((1u << 20) | (1u << 27)) /* NX, RDTSCP */
/* CPUID.1:ECX: TSC-deadline (24, the local APIC's third timer mode) and
 * the hypervisor-present bit (31), as every VMM sets it; leaf 0x40000000
 * then names the hypervisor. */
#define CPUID1_ECX	((1u << 24) | (1u << 31))
#define CPUID_MAX_BASIC 7u
#define CPUID_MAX_EXT	0x80000008u
#define CPUID_HV_LEAF	0x40000000u

/* cpuid_str: pack 4 characters of s (NUL-padded) into a register. */
static uint32_t cpuid_str(const char *s, size_t len, size_t at)
{
	uint32_t r = 0;

	for (int i = 0; i < 4; i++)
		if (at + i < len)
			r |= (uint32_t)(uint8_t)s[at + i] << (8 * i);
	return r;
}

void cpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	static const char brand[] = "bt86 virtual CPU";
	static const char vendor[] = "GenuineIntel";
	static const char hypervisor[] = "bt86bt86bt86";

	(void)v;
	memset(out, 0, 4 * sizeof(uint32_t));
	/* Out-of-range leaves return the highest basic leaf, as Intel CPUs do. */
	if ((leaf > CPUID_MAX_BASIC && leaf < 0x80000000u && leaf != CPUID_HV_LEAF) ||
	    leaf > CPUID_MAX_EXT)
		leaf = CPUID_MAX_BASIC;
	switch (leaf) {
	case 0:
		out[0] = CPUID_MAX_BASIC;
		out[1] = cpuid_str(vendor, 12, 0); /* EBX "Genu" */
		out[3] = cpuid_str(vendor, 12, 4); /* EDX "ineI" */
		out[2] = cpuid_str(vendor, 12, 8); /* ECX "ntel" */
		break;
	case 1:
		out[0] = CPU_SIGNATURE;
		out[1] = 8u << 8; /* CLFLUSH line size: 8 x 8 = 64 bytes */
		out[2] = CPUID1_ECX;
		out[3] = CPUID1_EDX;
		break;
	case CPUID_HV_LEAF:
		out[0] = CPUID_HV_LEAF;
		out[1] = cpuid_str(hypervisor, 12, 0);
		out[2] = cpuid_str(hypervisor, 12, 4);
		out[3] = cpuid_str(hypervisor, 12, 8);
		break;
	case 2:
		/* One iteration; L1D 32K (2c), L1I 32K (30), L2 2M (7d),
		 * ITLB 4K (b0), DTLB 4K (b3). */
		out[0] = 0x7d302c01u;
		out[1] = 0x0000b3b0u;
		break;
	case 7:
		if (subleaf == 0) {
			out[1] = CPUID7_EBX;
			out[2] = CPUID7_ECX;
			out[3] = CPUID7_EDX;
		}
		break;
	case 0x80000000u:
		out[0] = CPUID_MAX_EXT;
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		for (int i = 0; i < 4; i++)
			out[i] = cpuid_str(brand, sizeof(brand) - 1,
					   (leaf - 0x80000002u) * 16 + (size_t)i * 4);
		break;
	case 0x80000001u:
		out[3] = CPUIDX1_EDX;
		break;
	case 0x80000008u:
		out[0] = 0x2020; /* 32-bit physical and linear addresses */
		break;
	default:
		break;
	}
}

int cpu_rdtsc(struct vcpu *v, uint64_t *tsc)
{
	if ((v->cr4 & CR4_TSD) && (v->cr0 & CR0_PE) && (v->cpl != 0 || vcpu_vm86(v)))
		return cpu_raise_gp(v, 0);
	*tsc = __rdtsc() + v->msr.tsc_offset;
	return 0;
}

int cpu_hlt(struct vcpu *v)
{
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	v->halted = true;
	return 0;
}
