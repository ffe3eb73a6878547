/*
 * callout.c - which instructions become callouts (callout_needed), the
 * dispatch from mnemonic to handler (callout_exec), effective addresses and
 * the operand helpers every handler uses.
 */
#include "monitor/insn/callout_priv.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

/* --- the guest CPU model ------------------------------------------------- */

/* model_has: the guest CPU (Pentium M class: x87, MMX, SSE, SSE2, CMOV,
 * CX8, FXSR, SEP, CLFLUSH, PAUSE; no SSE3 or later, no AVX, no long mode,
 * no VMX/SVM) implements the instruction. */
static bool model_has(const ZydisDecodedInstruction *in)
{
	switch (in->meta.isa_set) {
	case ZYDIS_ISA_SET_I86:
	case ZYDIS_ISA_SET_I186:
	case ZYDIS_ISA_SET_I286PROTECTED:
	case ZYDIS_ISA_SET_I286REAL:
	case ZYDIS_ISA_SET_I386:
	case ZYDIS_ISA_SET_I486:
	case ZYDIS_ISA_SET_I486REAL:
	case ZYDIS_ISA_SET_PENTIUMREAL:
	case ZYDIS_ISA_SET_PPRO:
	case ZYDIS_ISA_SET_CMOV:
	case ZYDIS_ISA_SET_FCMOV:
	case ZYDIS_ISA_SET_X87:
	case ZYDIS_ISA_SET_PENTIUMMMX:
	case ZYDIS_ISA_SET_SSE:
	case ZYDIS_ISA_SET_SSE2:
	case ZYDIS_ISA_SET_SSE2MMX:
	case ZYDIS_ISA_SET_SSEMXCSR:
	case ZYDIS_ISA_SET_SSE_PREFETCH:
	case ZYDIS_ISA_SET_FXSAVE:
	case ZYDIS_ISA_SET_CLFSH:
	case ZYDIS_ISA_SET_PAUSE:
	case ZYDIS_ISA_SET_LAHF:
	case ZYDIS_ISA_SET_RDPMC:
	case ZYDIS_ISA_SET_FAT_NOP:	 /* 0F 18..1F hint NOPs */
	case ZYDIS_ISA_SET_PREFETCH_NOP: /* 0F 0D: a NOP on this model */
	case ZYDIS_ISA_SET_MPX:		 /* 0F 1A/1B: hint NOPs before MPX */
		return true;
	case ZYDIS_ISA_SET_CET: /* ENDBR32/64 are hint NOPs before CET */
		return in->mnemonic == ZYDIS_MNEMONIC_ENDBR32 ||
		       in->mnemonic == ZYDIS_MNEMONIC_ENDBR64;
	default:
		return false;
	}
}

/* lock_invalid: a LOCK prefix the CPU answers with #UD (an instruction
 * that does not accept it, or a register destination). */
static bool lock_invalid(const ZydisDecodedInstruction *in)
{
	if (!(in->attributes & ZYDIS_ATTRIB_HAS_LOCK))
		return false;
	return !(in->attributes & ZYDIS_ATTRIB_ACCEPTS_LOCK) || in->raw.modrm.mod == 3;
}

int co_fpu_class(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FWAIT:
		return 'w';
	case ZYDIS_MNEMONIC_FXSAVE:
	case ZYDIS_MNEMONIC_FXRSTOR:
		return 'f';
	case ZYDIS_MNEMONIC_SFENCE:
	case ZYDIS_MNEMONIC_LFENCE:
	case ZYDIS_MNEMONIC_MFENCE:
	case ZYDIS_MNEMONIC_CLFLUSH:
	case ZYDIS_MNEMONIC_MOVNTI:
	case ZYDIS_MNEMONIC_PAUSE:
	case ZYDIS_MNEMONIC_PREFETCHNTA:
	case ZYDIS_MNEMONIC_PREFETCHT0:
	case ZYDIS_MNEMONIC_PREFETCHT1:
	case ZYDIS_MNEMONIC_PREFETCHT2:
		return 0;
	default:
		break;
	}
	switch (in->meta.isa_ext) {
	case ZYDIS_ISA_EXT_X87:
		return 'x';
	case ZYDIS_ISA_EXT_MMX:
	case ZYDIS_ISA_EXT_SSE:
	case ZYDIS_ISA_EXT_SSE2:
		return 's';
	default:
		return 0;
	}
}

/* has_seg_operand: the instruction names a segment register (MOV, PUSH,
 * POP of a segment register, LDS...). */
static bool has_seg_operand(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_LDS:
	case ZYDIS_MNEMONIC_LES:
	case ZYDIS_MNEMONIC_LFS:
	case ZYDIS_MNEMONIC_LGS:
	case ZYDIS_MNEMONIC_LSS:
		return true;
	case ZYDIS_MNEMONIC_PUSH:
	case ZYDIS_MNEMONIC_POP:
		/* 06/07 0E 16/17 1E/1F, 0F A0/A1 A8/A9 */
		if (in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT)
			return in->opcode < 0x20 && (in->opcode & 6) == 6;
		return in->opcode_map == ZYDIS_OPCODE_MAP_0F &&
		       (in->opcode == 0xa0 || in->opcode == 0xa1 || in->opcode == 0xa8 ||
			in->opcode == 0xa9);
	case ZYDIS_MNEMONIC_MOV:
		return in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		       (in->opcode == 0x8c || in->opcode == 0x8e);
	default:
		return false;
	}
}

/* sensitive_reason: why a model instruction cannot be copied, or NULL. */
static const char *sensitive_reason(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_SGDT:
	case ZYDIS_MNEMONIC_SIDT:
	case ZYDIS_MNEMONIC_SLDT:
	case ZYDIS_MNEMONIC_STR:
	case ZYDIS_MNEMONIC_SMSW:
	case ZYDIS_MNEMONIC_LAR:
	case ZYDIS_MNEMONIC_LSL:
	case ZYDIS_MNEMONIC_VERR:
	case ZYDIS_MNEMONIC_VERW:
	case ZYDIS_MNEMONIC_PUSHF:
	case ZYDIS_MNEMONIC_PUSHFD:
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_POPFD:
	case ZYDIS_MNEMONIC_CPUID:
	case ZYDIS_MNEMONIC_RDTSC:
	case ZYDIS_MNEMONIC_RDPMC:
		return "sensitive";
	case ZYDIS_MNEMONIC_CLI:
	case ZYDIS_MNEMONIC_STI:
	case ZYDIS_MNEMONIC_SYSENTER:
	case ZYDIS_MNEMONIC_SYSEXIT:
		return "privileged";
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1:
	case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_BOUND:
		return "interrupt";
	case ZYDIS_MNEMONIC_PUSHA:
	case ZYDIS_MNEMONIC_PUSHAD:
	case ZYDIS_MNEMONIC_POPA:
	case ZYDIS_MNEMONIC_POPAD:
	case ZYDIS_MNEMONIC_SALC:
	case ZYDIS_MNEMONIC_ARPL:
		return "not in 64-bit mode";
	case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2:
	case ZYDIS_MNEMONIC_RSM:
		return "undefined opcode";
	case ZYDIS_MNEMONIC_MASKMOVQ:
	case ZYDIS_MNEMONIC_MASKMOVDQU:
		return "hidden memory operand";
	default:
		break;
	}
	if (callout_x87_pointers(in))
		return "x87 state with pointers";
	switch (in->meta.category) {
	case ZYDIS_CATEGORY_DECIMAL:
		return "not in 64-bit mode";
	case ZYDIS_CATEGORY_IO:
		return "port I/O";
	case ZYDIS_CATEGORY_IOSTRINGOP:
		return "string I/O";
	case ZYDIS_CATEGORY_STRINGOP:
		if (in->attributes &
		    (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE))
			return "rep string";
		break;
	default:
		break;
	}
	if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
		return "far transfer";
	if (has_seg_operand(in))
		return "segment register";
	if (in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && in->opcode == 0x82)
		return "not in 64-bit mode";
	if (in->attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
		return "privileged";
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_LGDT:
	case ZYDIS_MNEMONIC_LIDT:
	case ZYDIS_MNEMONIC_LLDT:
	case ZYDIS_MNEMONIC_LTR:
	case ZYDIS_MNEMONIC_LMSW:
	case ZYDIS_MNEMONIC_CLTS:
	case ZYDIS_MNEMONIC_INVLPG:
	case ZYDIS_MNEMONIC_INVD:
	case ZYDIS_MNEMONIC_WBINVD:
	case ZYDIS_MNEMONIC_HLT:
	case ZYDIS_MNEMONIC_RDMSR:
	case ZYDIS_MNEMONIC_WRMSR:
		return "privileged";
	case ZYDIS_MNEMONIC_MOV:
		if (in->opcode_map == ZYDIS_OPCODE_MAP_0F && (in->opcode & 0xfc) == 0x20)
			return "privileged";
		break;
	default:
		break;
	}
	return NULL;
}

bool callout_x87_pointers(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_FNSTENV:
	case ZYDIS_MNEMONIC_FNSAVE:
	case ZYDIS_MNEMONIC_FXSAVE:
	case ZYDIS_MNEMONIC_FXRSTOR:
	case ZYDIS_MNEMONIC_FLDENV:
	case ZYDIS_MNEMONIC_FRSTOR:
		return true;
	default:
		return false;
	}
}

bool callout_needed(const ZydisDecodedInstruction *insn, bool fpu_trap, const char **why)
{
	const char *r = NULL;

	if (insn->mnemonic == ZYDIS_MNEMONIC_LZCNT || insn->mnemonic == ZYDIS_MNEMONIC_TZCNT)
		r = "BSR/BSF on this model";
	else if (!model_has(insn))
		r = "not in the CPU model";
	else if (lock_invalid(insn))
		r = "invalid LOCK";
	else if (fpu_trap && co_fpu_class(insn))
		r = "x87/SSE with CR0.TS/EM";
	else
		r = sensitive_reason(insn);
	if (why)
		*why = r ? r : "";
	return r != NULL;
}

/* --- dispatch ------------------------------------------------------------ */

/* handler_for: the handler of a model instruction, by mnemonic. */
static co_handler handler_for(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		if (in->opcode_map == ZYDIS_OPCODE_MAP_0F)
			return (in->opcode & 1) ? co_mov_dr : co_mov_cr;
		return co_mov_seg;
	case ZYDIS_MNEMONIC_LMSW:
		return co_lmsw;
	case ZYDIS_MNEMONIC_SMSW:
		return co_smsw;
	case ZYDIS_MNEMONIC_CLTS:
		return co_clts;
	case ZYDIS_MNEMONIC_SGDT:
	case ZYDIS_MNEMONIC_SIDT:
		return co_sgdt_sidt;
	case ZYDIS_MNEMONIC_LGDT:
	case ZYDIS_MNEMONIC_LIDT:
		return co_lgdt_lidt;
	case ZYDIS_MNEMONIC_SLDT:
	case ZYDIS_MNEMONIC_STR:
		return co_sldt_str;
	case ZYDIS_MNEMONIC_LLDT:
	case ZYDIS_MNEMONIC_LTR:
		return co_lldt_ltr;
	case ZYDIS_MNEMONIC_LAR:
	case ZYDIS_MNEMONIC_LSL:
		return co_lar_lsl;
	case ZYDIS_MNEMONIC_VERR:
	case ZYDIS_MNEMONIC_VERW:
		return co_verr_verw;
	case ZYDIS_MNEMONIC_INVLPG:
		return co_invlpg;
	case ZYDIS_MNEMONIC_INVD:
	case ZYDIS_MNEMONIC_WBINVD:
		return co_cache;
	case ZYDIS_MNEMONIC_HLT:
		return co_hlt;
	case ZYDIS_MNEMONIC_RDMSR:
		return co_rdmsr;
	case ZYDIS_MNEMONIC_WRMSR:
		return co_wrmsr;
	case ZYDIS_MNEMONIC_CPUID:
		return co_cpuid;
	case ZYDIS_MNEMONIC_RDTSC:
		return co_rdtsc;
	case ZYDIS_MNEMONIC_RDPMC:
		return co_rdpmc;
	case ZYDIS_MNEMONIC_PUSH:
		return co_push_seg;
	case ZYDIS_MNEMONIC_POP:
		return co_pop_seg;
	case ZYDIS_MNEMONIC_LDS:
	case ZYDIS_MNEMONIC_LES:
	case ZYDIS_MNEMONIC_LFS:
	case ZYDIS_MNEMONIC_LGS:
	case ZYDIS_MNEMONIC_LSS:
		return co_load_far_ptr;
	case ZYDIS_MNEMONIC_ARPL:
		return co_arpl;
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL:
		return co_far_jmp_call;
	case ZYDIS_MNEMONIC_RET:
		return co_far_ret;
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
		return co_iret;
	case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1:
	case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_INTO:
		return co_int;
	case ZYDIS_MNEMONIC_BOUND:
		return co_bound;
	case ZYDIS_MNEMONIC_SYSENTER:
		return co_sysenter;
	case ZYDIS_MNEMONIC_SYSEXIT:
		return co_sysexit;
	case ZYDIS_MNEMONIC_CLI:
		return co_cli;
	case ZYDIS_MNEMONIC_STI:
		return co_sti;
	case ZYDIS_MNEMONIC_PUSHF:
	case ZYDIS_MNEMONIC_PUSHFD:
		return co_pushf;
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_POPFD:
		return co_popf;
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT:
		return co_in_out;
	case ZYDIS_MNEMONIC_SALC:
		return co_salc;
	case ZYDIS_MNEMONIC_PUSHA:
	case ZYDIS_MNEMONIC_PUSHAD:
		return co_pusha;
	case ZYDIS_MNEMONIC_POPA:
	case ZYDIS_MNEMONIC_POPAD:
		return co_popa;
	case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2:
	case ZYDIS_MNEMONIC_RSM:
		return co_ud;
	case ZYDIS_MNEMONIC_LZCNT:
	case ZYDIS_MNEMONIC_TZCNT:
		return co_bitscan;
	case ZYDIS_MNEMONIC_FNSTENV:
	case ZYDIS_MNEMONIC_FNSAVE:
		return co_fnstenv_fnsave;
	case ZYDIS_MNEMONIC_FXSAVE:
		return co_fxsave;
	case ZYDIS_MNEMONIC_FXRSTOR:
		return co_fxrstor;
	case ZYDIS_MNEMONIC_FLDENV:
	case ZYDIS_MNEMONIC_FRSTOR:
		return co_fldenv_frstor;
	case ZYDIS_MNEMONIC_MASKMOVQ:
	case ZYDIS_MNEMONIC_MASKMOVDQU:
		return co_maskmov;
	default:
		break;
	}
	switch (in->meta.category) {
	case ZYDIS_CATEGORY_DECIMAL:
		return co_bcd;
	case ZYDIS_CATEGORY_IOSTRINGOP:
		return co_string_io;
	case ZYDIS_CATEGORY_STRINGOP:
		return co_string_op;
	default:
		break;
	}
	if (in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && in->opcode == 0x82)
		return co_grp82;
	return NULL;
}

enum callout_result callout_exec(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedInstruction *in = &s->insn;
	co_handler h;

	v->eip = s->eip;
	if (in->mnemonic == ZYDIS_MNEMONIC_LZCNT || in->mnemonic == ZYDIS_MNEMONIC_TZCNT)
		return co_bitscan(v, s);
	if (!model_has(in) || lock_invalid(in))
		return co_ud(v, s);
	h = handler_for(in);
	if (co_fpu_class(in)) {
		/* x87/SSE: CR0.TS/EM first; those the copy cannot do run here */
		enum callout_result r;
		if (co_fpu_trap(v, s, &r))
			return r;
		if (!h) {
			v->eip = s->eip;
			return CO_EXIT; /* no longer trapped: retranslate */
		}
	}
	if (!h)
		die("callout for an instruction with no handler: %s at %#x",
		    ZydisMnemonicGetString(in->mnemonic), s->eip);
	return h(v, s);
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
