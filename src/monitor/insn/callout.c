/*
 * callout.c - which instructions become callouts (callout_needed) and the
 * dispatch to their handlers (callout_exec), both read from the instruction
 * table (insn_table.c); effective addresses and the operand helpers every
 * handler uses.
 */
#include "monitor/insn/callout_priv.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

/* --- the decision, from the instruction table --------------------------- */

bool callout_needed(const ZydisDecodedInstruction *insn, bool fpu_trap, const char **why)
{
	const struct insn_rule *r = insn_rule(insn);
	const char *w = NULL;

	if (r->flags & INSN_MODEL)
		w = r->why;
	else if (fpu_trap && insn_fpu_class(insn))
		w = "x87/SSE with CR0.TS/EM";
	else if (!(r->flags & INSN_FALLBACK))
		w = r->why;
	if (why)
		*why = w ? w : "";
	return w != NULL;
}

enum callout_result callout_exec(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedInstruction *in = &s->insn;
	const struct insn_rule *r = insn_rule(in);

	v->eip = s->eip;
	if (!(r->flags & INSN_MODEL) && insn_fpu_class(in)) {
		/* x87/SSE: CR0.TS/EM first; those the copy cannot do run here */
		enum callout_result res;
		if (co_fpu_trap(v, s, &res))
			return res;
		if (!r->run) {
			v->eip = s->eip;
			return CO_EXIT; /* no longer trapped: retranslate */
		}
	}
	if (!r->run)
		die("callout for an instruction with no handler: %s at %#x",
		    ZydisMnemonicGetString(in->mnemonic), s->eip);
	return r->run(v, s);
}

/* --- effective addresses and operands ------------------------------------ */

int co_seg_index(ZydisRegister r)
{
	if (ZydisRegisterGetClass(r) != ZYDIS_REGCLASS_SEGMENT)
		return -1;
	return ZydisRegisterGetId(r); /* ES CS SS DS FS GS: the S_* order */
}

int co_reg_index(ZydisRegister r)
{
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		return ZydisRegisterGetId(r) & 3; /* AH..BH: the high byte of 0..3 */
	case ZYDIS_REGCLASS_GPR16:
	case ZYDIS_REGCLASS_GPR32:
		return ZydisRegisterGetId(r);
	default:
		return -1;
	}
}

uint32_t co_reg_read(const struct vcpu *v, ZydisRegister r)
{
	int i = co_reg_index(r);

	if (i < 0)
		die("callout: %s is not a general register", ZydisRegisterGetString(r));
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		return ZydisRegisterGetId(r) >= 4 ? (v->gpr[i] >> 8) & 0xff : v->gpr[i] & 0xff;
	case ZYDIS_REGCLASS_GPR16:
		return v->gpr[i] & 0xffff;
	default:
		return v->gpr[i];
	}
}

void co_reg_write(struct vcpu *v, ZydisRegister r, uint32_t val)
{
	int i = co_reg_index(r);

	if (i < 0)
		die("callout: %s is not a general register", ZydisRegisterGetString(r));
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		if (ZydisRegisterGetId(r) >= 4)
			v->gpr[i] = (v->gpr[i] & ~0xff00u) | (val & 0xff) << 8;
		else
			v->gpr[i] = (v->gpr[i] & ~0xffu) | (val & 0xff);
		break;
	case ZYDIS_REGCLASS_GPR16:
		v->gpr[i] = (v->gpr[i] & ~0xffffu) | (val & 0xffff);
		break;
	default:
		v->gpr[i] = val;
		break;
	}
}

uint32_t callout_ea(const struct vcpu *v, const struct callout_site *s,
		    const ZydisDecodedOperand *op, int *seg)
{
	uint32_t ea = (uint32_t)op->mem.disp.value;

	if (op->mem.base != ZYDIS_REGISTER_NONE)
		ea += co_reg_read(v, op->mem.base);
	if (op->mem.index != ZYDIS_REGISTER_NONE)
		ea += co_reg_read(v, op->mem.index) * (op->mem.scale ? op->mem.scale : 1);
	if (s->insn.address_width == 16)
		ea &= 0xffff;
	if (seg) {
		/* Zydis resolved the override or the default (SS for EBP/ESP) */
		int sg = co_seg_index(op->mem.segment);
		*seg = sg >= 0 ? sg : S_DS;
	}
	return ea;
}

int co_mem_read(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		uint32_t extra, void *dst, unsigned len)
{
	int seg;
	uint32_t ea = callout_ea(v, s, op, &seg) + extra;

	if (s->insn.address_width == 16)
		ea &= 0xffff;
	return cpu_read_seg(v, seg, ea, dst, len);
}

int co_mem_write(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		 uint32_t extra, const void *src, unsigned len)
{
	int seg;
	uint32_t ea = callout_ea(v, s, op, &seg) + extra;

	if (s->insn.address_width == 16)
		ea &= 0xffff;
	return cpu_write_seg(v, seg, ea, src, len);
}

int co_op_read(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
	       uint32_t *val)
{
	unsigned len = op->size / 8;

	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		if (co_seg_index(op->reg.value) >= 0)
			*val = cpu_selector_value(v, co_seg_index(op->reg.value));
		else
			*val = co_reg_read(v, op->reg.value);
		return 0;
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		*val = (uint32_t)op->imm.value.u;
		return 0;
	case ZYDIS_OPERAND_TYPE_MEMORY: {
		uint8_t b[4] = {0};

		if (len > 4)
			die("callout: %u-byte operand read", len);
		if (co_mem_read(v, s, op, 0, b, len))
			return CPU_FAULT;
		*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
		return 0;
	}
	default:
		die("callout: operand type %d not readable", op->type);
	}
}

int co_op_write(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		uint32_t val)
{
	unsigned len = op->size / 8;
	uint8_t b[4] = {val, val >> 8, val >> 16, val >> 24};

	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		co_reg_write(v, op->reg.value, val);
		return 0;
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (len > 4)
			die("callout: %u-byte operand write", len);
		return co_mem_write(v, s, op, 0, b, len);
	default:
		die("callout: operand type %d not writable", op->type);
	}
}

/* --- small shared helpers ------------------------------------------------ */

uint32_t co_next_eip(const struct vcpu *v, const struct callout_site *s)
{
	uint32_t next = s->eip + s->len;

	if (!(v->seg[S_CS].attr & SEG_ATTR_DB))
		next &= 0xffff;
	return next;
}

enum callout_result co_next(struct vcpu *v, const struct callout_site *s)
{
	v->eip = co_next_eip(v, s);
	return CO_NEXT;
}

enum callout_result co_fault(struct vcpu *v, const struct callout_site *s)
{
	v->eip = s->eip;
	return CO_FAULT;
}

unsigned co_opsize(const struct callout_site *s)
{
	return s->insn.operand_width == 16 ? 2 : 4;
}

unsigned co_addrsize(const struct callout_site *s)
{
	return s->insn.address_width == 16 ? 2 : 4;
}

unsigned co_stack_size(const struct vcpu *v)
{
	return (v->seg[S_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

int co_stack_peek(struct vcpu *v, uint32_t off, unsigned size, uint32_t *val)
{
	uint8_t b[4] = {0};
	uint32_t sp = v->gpr[R_ESP] + off;

	if (co_stack_size(v) == 2)
		sp &= 0xffff;
	if (cpu_read_seg(v, S_SS, sp, b, size))
		return CPU_FAULT;
	*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

void co_stack_adjust(struct vcpu *v, int32_t delta)
{
	if (co_stack_size(v) == 2)
		v->gpr[R_ESP] = (v->gpr[R_ESP] & ~0xffffu) | ((v->gpr[R_ESP] + delta) & 0xffff);
	else
		v->gpr[R_ESP] += delta;
}

void co_set_zf(struct vcpu *v, bool zf)
{
	if (zf)
		v->eflags |= EFL_ZF;
	else
		v->eflags &= ~EFL_ZF;
}

int co_pm_only(struct vcpu *v)
{
	if (vcpu_real_mode(v) || vcpu_vm86(v))
		return cpu_raise_ud(v);
	return 0;
}

void callout_decoder_init(ZydisDecoder *d, bool big)
{
	ZydisDecoderInit(d, big ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16,
			 big ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CET, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CLDEMOTE, ZYAN_FALSE);
}
