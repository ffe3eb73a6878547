/*
 * operand.c - the one operand reader of the monitor: registers, effective
 * addresses and memory operands of a decoded instruction on saved vCPU
 * state, for the callouts and the one-instruction emulator (operand.h).
 */
#include "monitor/insn/operand.h"
#include "monitor/x86/cpu.h"
#include "monitor/base/util.h"

int insn_seg_index(ZydisRegister r)
{
	if (ZydisRegisterGetClass(r) != ZYDIS_REGCLASS_SEGMENT)
		return -1;
	return ZydisRegisterGetId(r); /* ES CS SS DS FS GS: the S_* order */
}

int insn_reg_index(ZydisRegister r)
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

bool insn_is_gpr(ZydisRegister r)
{
	return insn_reg_index(r) >= 0;
}

uint32_t insn_reg_read(const struct vcpu *v, ZydisRegister r)
{
	int i = insn_reg_index(r);

	if (i < 0)
		die("operand: %s is not a general register", ZydisRegisterGetString(r));
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		return ZydisRegisterGetId(r) >= 4 ? (v->gpr[i] >> 8) & 0xff : v->gpr[i] & 0xff;
	case ZYDIS_REGCLASS_GPR16:
		return v->gpr[i] & 0xffff;
	default:
		return v->gpr[i];
	}
}

void insn_reg_write(struct vcpu *v, ZydisRegister r, uint32_t val)
{
	int i = insn_reg_index(r);

	if (i < 0)
		die("operand: %s is not a general register", ZydisRegisterGetString(r));
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

uint32_t insn_ea(const struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		 uint32_t extra, int *seg)
{
	uint32_t ea = (uint32_t)op->mem.disp.value + extra;

	if (op->mem.base != ZYDIS_REGISTER_NONE)
		ea += insn_reg_read(v, op->mem.base);
	if (op->mem.index != ZYDIS_REGISTER_NONE)
		ea += insn_reg_read(v, op->mem.index) * (op->mem.scale ? op->mem.scale : 1);
	if (s->insn.address_width == 16)
		ea &= 0xffff;
	if (seg) {
		/* Zydis resolved the override or the default (SS for EBP/ESP) */
		int sg = insn_seg_index(op->mem.segment);
		*seg = sg >= 0 ? sg : S_DS;
	}
	return ea;
}

int insn_mem_read(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		  uint32_t extra, void *dst, unsigned len)
{
	int seg;
	uint32_t ea = insn_ea(v, s, op, extra, &seg);

	return cpu_read_seg(v, seg, ea, dst, len);
}

int insn_mem_write(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		   uint32_t extra, const void *src, unsigned len)
{
	int seg;
	uint32_t ea = insn_ea(v, s, op, extra, &seg);

	return cpu_write_seg(v, seg, ea, src, len);
}

int insn_op_read(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		 uint32_t *val)
{
	unsigned len = op->size / 8;

	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		if (insn_seg_index(op->reg.value) >= 0)
			*val = cpu_selector_value(v, insn_seg_index(op->reg.value));
		else
			*val = insn_reg_read(v, op->reg.value);
		return 0;
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		*val = (uint32_t)op->imm.value.u;
		return 0;
	case ZYDIS_OPERAND_TYPE_MEMORY: {
		uint8_t b[4] = {0};

		if (len > 4)
			die("operand: %u-byte operand read", len);
		if (insn_mem_read(v, s, op, 0, b, len))
			return CPU_FAULT;
		*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
		return 0;
	}
	default:
		die("operand: operand type %d not readable", op->type);
	}
}

int insn_op_write(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		  uint32_t val)
{
	unsigned len = op->size / 8;
	uint8_t b[4] = {val, val >> 8, val >> 16, val >> 24};

	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		insn_reg_write(v, op->reg.value, val);
		return 0;
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (len > 4)
			die("operand: %u-byte operand write", len);
		return insn_mem_write(v, s, op, 0, b, len);
	default:
		die("operand: operand type %d not writable", op->type);
	}
}

uint32_t insn_next_eip(const struct vcpu *v, const struct callout_site *s)
{
	uint32_t next = s->eip + s->len;

	if (!(v->seg[S_CS].attr & SEG_ATTR_DB))
		next &= 0xffff;
	return next;
}
