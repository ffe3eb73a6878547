/*
 * callout_seg.c - instructions that read or load segment registers: MOV
 * to/from Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS, ARPL.
 *
 * A load whose hidden part (base, limit, attributes) ends up unchanged goes
 * on inline (CO_NEXT): reloading the same flat selector, as kernels do on
 * every entry, stays cheap.  Any other load leaves translated code, whose
 * segment assumptions may no longer hold.
 */
#include "monitor/insn/callout_priv.h"
#include "monitor/base/util.h"

/* seg_same: the hidden parts of a and b are equal. */
static bool seg_same(const struct seg *a, const struct seg *b)
{
	return a->base == b->base && a->limit == b->limit && a->attr == b->attr;
}

/* load_seg: cpu_load_seg with the MOV SS/POP SS interrupt shadow; *changed
 * tells whether the hidden part changed. */
static int load_seg(struct vcpu *v, int seg, uint16_t sel, bool *changed)
{
	struct seg old = v->seg[seg];

	if (cpu_load_seg(v, seg, sel))
		return CPU_FAULT;
	if (seg == S_SS)
		v->intr_shadow = true;
	*changed = !seg_same(&old, &v->seg[seg]);
	return 0;
}

/* seg_done: the result after a successful segment load. */
static enum callout_result seg_done(struct vcpu *v, const struct callout_site *s, bool changed)
{
	co_next(v, s);
	return changed ? CO_EXIT : CO_NEXT;
}

/* co_mov_seg: MOV Sreg, r/m16 (8E) or MOV r/m, Sreg (8C).  A 32-bit
 * register destination receives the selector zero-extended; memory 16
 * bits.  The RPL of CS/SS shows the virtual CPL. */
enum callout_result co_mov_seg(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedOperand *dst = &s->ops[0], *src = &s->ops[1];
	int seg;

	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    (seg = insn_seg_index(dst->reg.value)) >= 0) {
		uint32_t sel;
		bool changed;

		if (seg == S_CS) {
			cpu_raise_ud(v);
			return co_fault(v, s);
		}
		if (insn_op_read(v, s, src, &sel) || load_seg(v, seg, (uint16_t)sel, &changed))
			return co_fault(v, s);
		return seg_done(v, s, changed);
	}
	seg = insn_seg_index(src->reg.value);
	if (seg < 0)
		die("callout: MOV without a segment register at %#x", s->eip);
	if (insn_op_write(v, s, dst, cpu_selector_value(v, seg)))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_push_seg: PUSH Sreg.  With a 32-bit operand size the selector is
 * pushed zero-extended (one of the two behaviours the SDM allows). */
enum callout_result co_push_seg(struct vcpu *v, const struct callout_site *s)
{
	int seg = insn_seg_index(s->ops[0].reg.value);

	if (seg < 0)
		die("callout: PUSH of %s is not a segment push",
		    ZydisRegisterGetString(s->ops[0].reg.value));
	if (cpu_push(v, cpu_selector_value(v, seg), co_opsize(s)))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_pop_seg: POP Sreg: ESP moves only after the load succeeded. */
enum callout_result co_pop_seg(struct vcpu *v, const struct callout_site *s)
{
	int seg = insn_seg_index(s->ops[0].reg.value);
	unsigned size = co_opsize(s);
	uint32_t sel;
	bool changed;

	if (seg < 0)
		die("callout: POP to %s is not a segment pop",
		    ZydisRegisterGetString(s->ops[0].reg.value));
	if (co_stack_peek(v, 0, size, &sel) || load_seg(v, seg, (uint16_t)sel, &changed))
		return co_fault(v, s);
	co_stack_adjust(v, (int32_t)size);
	return seg_done(v, s, changed);
}

/* co_load_far_ptr: LDS/LES/LFS/LGS/LSS r, m16:16/m16:32: the offset, then
 * the selector; the register is written only after the segment load. */
enum callout_result co_load_far_ptr(struct vcpu *v, const struct callout_site *s)
{
	static const struct {
		ZydisMnemonic m;
		int seg;
	} map[] = {{ZYDIS_MNEMONIC_LDS, S_DS},
		   {ZYDIS_MNEMONIC_LES, S_ES},
		   {ZYDIS_MNEMONIC_LFS, S_FS},
		   {ZYDIS_MNEMONIC_LGS, S_GS},
		   {ZYDIS_MNEMONIC_LSS, S_SS}};
	const ZydisDecodedOperand *mem = &s->ops[1];
	unsigned size = co_opsize(s);
	uint8_t b[6] = {0};
	int seg = -1;
	bool changed;

	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].m == s->insn.mnemonic)
			seg = map[i].seg;
	if (seg < 0 || mem->type != ZYDIS_OPERAND_TYPE_MEMORY) {
		cpu_raise_ud(v);
		return co_fault(v, s);
	}
	if (insn_mem_read(v, s, mem, 0, b, size + 2))
		return co_fault(v, s);
	uint32_t off = b[0] | b[1] << 8 | (size == 4 ? (b[2] << 16 | (uint32_t)b[3] << 24) : 0);
	uint16_t sel = b[size] | b[size + 1] << 8;
	if (load_seg(v, seg, sel, &changed))
		return co_fault(v, s);
	insn_reg_write(v, s->ops[0].reg.value, off);
	return seg_done(v, s, changed);
}

/* co_arpl: ARPL r/m16, r16: raise the destination's RPL to the source's;
 * ZF = 1 if it was changed.  #UD in real and virtual-8086 mode. */
enum callout_result co_arpl(struct vcpu *v, const struct callout_site *s)
{
	uint32_t dst, src;

	if (co_pm_only(v) || insn_op_read(v, s, &s->ops[0], &dst) ||
	    insn_op_read(v, s, &s->ops[1], &src))
		return co_fault(v, s);
	if ((dst & 3) < (src & 3)) {
		if (insn_op_write(v, s, &s->ops[0], (dst & ~3u) | (src & 3)))
			return co_fault(v, s);
		co_set_zf(v, true);
	} else {
		co_set_zf(v, false);
	}
	return co_next(v, s);
}
