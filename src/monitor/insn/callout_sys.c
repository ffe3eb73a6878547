/*
 * callout_sys.c - system instructions: control and debug registers, the
 * descriptor-table registers, LAR/LSL/VERR/VERW, TLB and cache control,
 * HLT, MSRs, CPUID, RDTSC, RDPMC.
 */
#include "monitor/insn/callout_priv.h"
#include "monitor/machine/machine.h"

/* co_cr_changed: tell the engine about a TLB flush implied by CPU_CHG_*
 * bits (CR3 write, paging mode change); the caller returns CO_EXIT. */
static void co_cr_changed(struct vcpu *v, unsigned chg)
{
	struct machine *m = v->machine;

	if (!m || !m->engine || !m->engine->flush_tlb)
		return;
	if (chg & CPU_CHG_PAGING)
		m->engine->flush_tlb(m, true);
	else if (chg & CPU_CHG_CR3)
		m->engine->flush_tlb(m, false);
}

/* co_mov_cr: MOV CRn, r32 (0F 22) and MOV r32, CRn (0F 20); always a
 * register operand, whatever the mod bits say. */
enum callout_result co_mov_cr(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedOperand *dst = &s->ops[0], *src = &s->ops[1];
	unsigned chg = 0;
	uint32_t val;

	if (ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_CONTROL) {
		val = insn_reg_read(v, src->reg.value);
		if (cpu_mov_to_cr(v, ZydisRegisterGetId(dst->reg.value), val, &chg))
			return co_fault(v, s);
		co_cr_changed(v, chg);
		co_next(v, s);
		return CO_EXIT;
	}
	if (cpu_mov_from_cr(v, ZydisRegisterGetId(src->reg.value), &val))
		return co_fault(v, s);
	insn_reg_write(v, dst->reg.value, val);
	return co_next(v, s);
}

/* co_mov_dr: MOV DRn, r32 / MOV r32, DRn.  A write may arm breakpoints,
 * so it leaves translated code. */
enum callout_result co_mov_dr(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedOperand *dst = &s->ops[0], *src = &s->ops[1];
	uint32_t val;

	if (ZydisRegisterGetClass(dst->reg.value) == ZYDIS_REGCLASS_DEBUG) {
		if (cpu_mov_to_dr(v, ZydisRegisterGetId(dst->reg.value),
				  insn_reg_read(v, src->reg.value)))
			return co_fault(v, s);
		co_next(v, s);
		return CO_EXIT;
	}
	if (cpu_mov_from_dr(v, ZydisRegisterGetId(src->reg.value), &val))
		return co_fault(v, s);
	insn_reg_write(v, dst->reg.value, val);
	return co_next(v, s);
}

/* co_lmsw: LMSW r/m16 (PE, MP, EM, TS; PE cannot be cleared). */
enum callout_result co_lmsw(struct vcpu *v, const struct callout_site *s)
{
	uint32_t val;
	unsigned chg = 0;

	if (insn_op_read(v, s, &s->ops[0], &val) || cpu_lmsw(v, (uint16_t)val, &chg))
		return co_fault(v, s);
	co_cr_changed(v, chg);
	co_next(v, s);
	return CO_EXIT;
}

/* co_smsw: SMSW r16/r32/m16.  A 32-bit register receives all of CR0 (as
 * P6-family processors do); memory and 16-bit registers its low word. */
enum callout_result co_smsw(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedOperand *op = &s->ops[0];
	uint32_t cr0 = cpu_smsw(v);

	if (cpu_umip_blocks(v))
		return co_fault(v, s);
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		insn_reg_write(v, op->reg.value, cr0);
		return co_next(v, s);
	}
	uint8_t b[2] = {cr0, cr0 >> 8};
	if (insn_mem_write(v, s, op, 0, b, 2))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_clts: clear CR0.TS (CPL0); x87/SSE translation changes: exit. */
enum callout_result co_clts(struct vcpu *v, const struct callout_site *s)
{
	if (cpu_clts(v))
		return co_fault(v, s);
	co_next(v, s);
	return CO_EXIT;
}

/* co_sgdt_sidt: store limit (2 bytes) and the full 32-bit base (4 bytes)
 * of the virtual GDTR/IDTR, whatever the operand size (SDM: "full 32-bit
 * base address stored" in legacy mode). */
enum callout_result co_sgdt_sidt(struct vcpu *v, const struct callout_site *s)
{
	const struct dtr *t = s->insn.mnemonic == ZYDIS_MNEMONIC_SGDT ? &v->gdtr : &v->idtr;
	uint8_t b[6] = {t->limit,     t->limit >> 8, t->base,
			t->base >> 8, t->base >> 16, t->base >> 24};

	if (s->ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) {
		cpu_raise_ud(v);
		return co_fault(v, s);
	}
	if (cpu_umip_blocks(v) || insn_mem_write(v, s, &s->ops[0], 0, b, 6))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_lgdt_lidt: load GDTR/IDTR from m16&32; with a 16-bit operand size
 * only 24 bits of the base are used. */
enum callout_result co_lgdt_lidt(struct vcpu *v, const struct callout_site *s)
{
	uint8_t b[6];
	int r;

	if (s->ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) {
		cpu_raise_ud(v);
		return co_fault(v, s);
	}
	if (cpu_require_cpl0(v) || insn_mem_read(v, s, &s->ops[0], 0, b, 6))
		return co_fault(v, s);
	uint16_t limit = b[0] | b[1] << 8;
	uint32_t base = b[2] | b[3] << 8 | b[4] << 16 | (uint32_t)b[5] << 24;
	if (co_opsize(s) == 2)
		base &= 0x00ffffff;
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_LGDT)
		r = cpu_lgdt(v, base, limit);
	else
		r = cpu_lidt(v, base, limit);
	if (r)
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_sldt_str: store the LDTR/TR selector: 16 bits to memory, zero-extended
 * to a 32-bit register.  #UD in real and virtual-8086 mode. */
enum callout_result co_sldt_str(struct vcpu *v, const struct callout_site *s)
{
	uint16_t sel = s->insn.mnemonic == ZYDIS_MNEMONIC_SLDT ? v->ldtr.sel : v->tr.sel;

	if (co_pm_only(v) || cpu_umip_blocks(v) || insn_op_write(v, s, &s->ops[0], sel))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_lldt_ltr: LLDT/LTR r/m16 (checks in the cpu layer). */
enum callout_result co_lldt_ltr(struct vcpu *v, const struct callout_site *s)
{
	uint32_t sel;
	int r;

	if (co_pm_only(v) || insn_op_read(v, s, &s->ops[0], &sel))
		return co_fault(v, s);
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_LLDT)
		r = cpu_lldt(v, (uint16_t)sel);
	else
		r = cpu_ltr(v, (uint16_t)sel);
	if (r)
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_lar_lsl: LAR/LSL r, r/m16: ZF tells whether the selector was valid;
 * the destination is written only then (its low 16 bits for a 16-bit
 * operand size). */
enum callout_result co_lar_lsl(struct vcpu *v, const struct callout_site *s)
{
	uint32_t sel, out = 0;
	bool zf = false;
	int r;

	if (co_pm_only(v) || insn_op_read(v, s, &s->ops[1], &sel))
		return co_fault(v, s);
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_LAR)
		r = cpu_lar(v, (uint16_t)sel, &out, &zf);
	else
		r = cpu_lsl(v, (uint16_t)sel, &out, &zf);
	if (r)
		return co_fault(v, s);
	if (zf)
		insn_reg_write(v, s->ops[0].reg.value, out);
	co_set_zf(v, zf);
	return co_next(v, s);
}

/* co_verr_verw: VERR/VERW r/m16: ZF = segment readable/writable. */
enum callout_result co_verr_verw(struct vcpu *v, const struct callout_site *s)
{
	uint32_t sel;
	bool zf = false;
	int r;

	if (co_pm_only(v) || insn_op_read(v, s, &s->ops[0], &sel))
		return co_fault(v, s);
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_VERR)
		r = cpu_verr(v, (uint16_t)sel, &zf);
	else
		r = cpu_verw(v, (uint16_t)sel, &zf);
	if (r)
		return co_fault(v, s);
	co_set_zf(v, zf);
	return co_next(v, s);
}

/* co_invlpg: INVLPG m (CPL0): the engine's invlpg hook drops the page of
 * the linear address; translations may have changed: exit. */
enum callout_result co_invlpg(struct vcpu *v, const struct callout_site *s)
{
	struct machine *m = v->machine;
	int seg;

	if (s->ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) {
		cpu_raise_ud(v);
		return co_fault(v, s);
	}
	if (cpu_require_cpl0(v))
		return co_fault(v, s);
	uint32_t lin = insn_ea(v, s, &s->ops[0], 0, &seg) + v->seg[seg].base;
	if (m && m->engine && m->engine->invlpg)
		m->engine->invlpg(m, lin);
	co_next(v, s);
	return CO_EXIT;
}

/* co_cache: INVD/WBINVD: CPL0 check; caches are not modelled. */
enum callout_result co_cache(struct vcpu *v, const struct callout_site *s)
{
	if (cpu_require_cpl0(v))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_hlt: HLT (CPL0): halted with EIP at the next instruction. */
enum callout_result co_hlt(struct vcpu *v, const struct callout_site *s)
{
	if (cpu_hlt(v))
		return co_fault(v, s);
	co_next(v, s);
	return CO_HALT;
}

/* co_rdmsr: EDX:EAX = MSR[ECX]. */
enum callout_result co_rdmsr(struct vcpu *v, const struct callout_site *s)
{
	uint64_t val;

	if (cpu_rdmsr(v, v->gpr[R_ECX], &val))
		return co_fault(v, s);
	v->gpr[R_EAX] = (uint32_t)val;
	v->gpr[R_EDX] = (uint32_t)(val >> 32);
	return co_next(v, s);
}

/* co_wrmsr: MSR[ECX] = EDX:EAX; may change state the engine caches. */
enum callout_result co_wrmsr(struct vcpu *v, const struct callout_site *s)
{
	uint64_t val = (uint64_t)v->gpr[R_EDX] << 32 | v->gpr[R_EAX];
	uint64_t efer = v->efer;

	if (cpu_wrmsr(v, v->gpr[R_ECX], val))
		return co_fault(v, s);
	if (v->efer != efer) /* NXE: which fetches fault changes, like CR4.PAE */
		co_cr_changed(v, CPU_CHG_PAGING);
	co_next(v, s);
	return CO_EXIT;
}

/* co_cpuid: the guest model's leaf EAX (subleaf ECX). */
enum callout_result co_cpuid(struct vcpu *v, const struct callout_site *s)
{
	uint32_t out[4];

	cpu_cpuid(v, v->gpr[R_EAX], v->gpr[R_ECX], out);
	v->gpr[R_EAX] = out[0];
	v->gpr[R_EBX] = out[1];
	v->gpr[R_ECX] = out[2];
	v->gpr[R_EDX] = out[3];
	return co_next(v, s);
}

/* co_rdtsc: EDX:EAX = guest TSC (#GP with CR4.TSD above CPL0). */
enum callout_result co_rdtsc(struct vcpu *v, const struct callout_site *s)
{
	uint64_t tsc;

	if (cpu_rdtsc(v, &tsc))
		return co_fault(v, s);
	v->gpr[R_EAX] = (uint32_t)tsc;
	v->gpr[R_EDX] = (uint32_t)(tsc >> 32);
	return co_next(v, s);
}

/* co_rdtscp: EDX:EAX = guest TSC, ECX = IA32_TSC_AUX (as RDTSC for
 * CR4.TSD). */
enum callout_result co_rdtscp(struct vcpu *v, const struct callout_site *s)
{
	enum callout_result r = co_rdtsc(v, s);

	if (r != CO_FAULT)
		v->gpr[R_ECX] = v->tsc_aux;
	return r;
}

/* co_rdpmc: P6-family counters 0 and 1, which count nothing here (read 0).
 * #GP(0) above CPL0 without CR4.PCE, or for another ECX. */
enum callout_result co_rdpmc(struct vcpu *v, const struct callout_site *s)
{
	if ((v->cpl > 0 && !(v->cr4 & CR4_PCE)) || v->gpr[R_ECX] > 1) {
		cpu_raise_gp(v, 0);
		return co_fault(v, s);
	}
	v->gpr[R_EAX] = 0;
	v->gpr[R_EDX] = 0;
	return co_next(v, s);
}
