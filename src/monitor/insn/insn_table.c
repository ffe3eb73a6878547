/*
 * insn_table.c - the instruction table (insn.h): one entry per instruction
 * or class, and insn_rule(), which finds the entry of a decoded instruction.
 *
 * An instruction with no entry is copied (mangle_copy, under the isolation
 * rule copy_hazard).  The reasons are the ones `bt86 xlat` shows.
 */
#include "monitor/insn/callout_priv.h"

/* Classes: a mnemonic split by its encoding or operands.  Numbered after
 * the mnemonics, so one array holds both. */
enum {
	INSN_MOV_CR = ZYDIS_MNEMONIC_MAX_VALUE + 1, /* MOV to/from CRn (0F 20/22) */
	INSN_MOV_DR,				    /* MOV to/from DRn (0F 21/23) */
	INSN_MOV_SEG,				    /* MOV to/from Sreg (8C/8E) */
	INSN_MOV_MOFFS,				    /* MOV A0-A3 */
	INSN_PUSH_SEG,				    /* PUSH ES/CS/SS/DS/FS/GS */
	INSN_POP_SEG,				    /* POP ES/SS/DS/FS/GS */
	INSN_FAR_JMP_CALL,			    /* JMP/CALL ptr16:32 or m16:32 */
	INSN_FAR_RET,				    /* RETF */
	INSN_JCC,				    /* Jcc rel8/rel32 */
	INSN_INCDEC,				    /* INC/DEC 40-4F */
	INSN_GRP82,				    /* 82 /n */
	INSN_STRING,				    /* MOVS/CMPS/STOS/LODS/SCAS */
	INSN_REP_STRING,			    /* the same with REP/REPE/REPNE */
	INSN_STRING_IO,				    /* INS/OUTS (with or without REP) */
	INSN_HINT_NOP,				    /* 0F 18-1F, MPX space: hint NOPs */
	INSN_NOT_MODEL,				    /* not in the guest CPU model */
	INSN_BAD_LOCK,				    /* a LOCK prefix it does not take */
	INSN_PRIVILEGED,			    /* privileged, no entry of its own */
	INSN_COPY,				    /* no entry: copied */
	INSN_NR
};

#define M(mn, ...)  [ZYDIS_MNEMONIC_##mn] = {__VA_ARGS__, .name = #mn}
#define C(cls, ...) [INSN_##cls] = {__VA_ARGS__, .name = #cls}

#define PRIV  "privileged"
#define SENS  "sensitive"
#define INTR  "interrupt"
#define NOT64 "not in 64-bit mode"
#define SEGR  "segment register"
#define X87P  "x87 state with pointers"
#define UND   "undefined opcode"

/* The table.  Columns: why, run, expand, mem, flags. */
static const struct insn_rule rules[INSN_NR] = {
    /* system registers and tables */
    M(SGDT, SENS, co_sgdt_sidt, XP_NONE, MEM_OPERAND, 0),
    M(SIDT, SENS, co_sgdt_sidt, XP_NONE, MEM_OPERAND, 0),
    M(SLDT, SENS, co_sldt_str, XP_NONE, MEM_OPERAND, 0),
    M(STR, SENS, co_sldt_str, XP_NONE, MEM_OPERAND, 0),
    M(SMSW, SENS, co_smsw, XP_NONE, MEM_OPERAND, 0),
    M(LGDT, PRIV, co_lgdt_lidt, XP_NONE, MEM_OPERAND, 0),
    M(LIDT, PRIV, co_lgdt_lidt, XP_NONE, MEM_OPERAND, 0),
    M(LLDT, PRIV, co_lldt_ltr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    M(LTR, PRIV, co_lldt_ltr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    M(LMSW, PRIV, co_lmsw, XP_NONE, MEM_OPERAND, 0),
    M(CLTS, PRIV, co_clts, XP_NONE, 0, 0),
    C(MOV_CR, PRIV, co_mov_cr, XP_MOV_FROM_CR, 0, 0),
    C(MOV_DR, PRIV, co_mov_dr, XP_NONE, 0, 0),
    M(INVLPG, PRIV, co_invlpg, XP_NONE, 0, 0),
    M(INVD, PRIV, co_cache, XP_NONE, 0, 0),
    M(WBINVD, PRIV, co_cache, XP_NONE, 0, 0),
    M(HLT, PRIV, co_hlt, XP_NONE, 0, INSN_ENDS_BLOCK),
    M(RDMSR, PRIV, co_rdmsr, XP_NONE, 0, 0),
    M(WRMSR, PRIV, co_wrmsr, XP_NONE, 0, 0),
    M(CPUID, SENS, co_cpuid, XP_NONE, 0, 0),
    M(RDTSC, SENS, co_rdtsc, XP_RDTSC, 0, 0),
    M(RDTSCP, SENS, co_rdtscp, XP_RDTSC, 0, 0),
    M(RDPMC, SENS, co_rdpmc, XP_NONE, 0, 0),

    /* segments and descriptors */
    M(LAR, SENS, co_lar_lsl, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    M(LSL, SENS, co_lar_lsl, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    M(VERR, SENS, co_verr_verw, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    M(VERW, SENS, co_verr_verw, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    C(MOV_SEG, SEGR, co_mov_seg, XP_NONE, MEM_OPERAND | MEM_SYSTEM, 0),
    C(PUSH_SEG, SEGR, co_push_seg, XP_PUSH_SEG, MEM_STACK, 0),
    C(POP_SEG, SEGR, co_pop_seg, XP_NONE, MEM_STACK | MEM_SYSTEM, 0),
    M(LDS, SEGR, co_load_far_ptr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, INSN_NO_COPY),
    M(LES, SEGR, co_load_far_ptr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, INSN_NO_COPY),
    M(LFS, SEGR, co_load_far_ptr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, INSN_NO_COPY),
    M(LGS, SEGR, co_load_far_ptr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, INSN_NO_COPY),
    M(LSS, SEGR, co_load_far_ptr, XP_NONE, MEM_OPERAND | MEM_SYSTEM, INSN_NO_COPY),
    M(ARPL, NOT64, co_arpl, XP_NONE, MEM_OPERAND, INSN_NO_COPY),

    /* control transfers */
    M(JMP, NULL, NULL, XP_BRANCH, MEM_OPERAND, 0),
    M(CALL, NULL, NULL, XP_BRANCH, MEM_OPERAND | MEM_STACK, 0),
    M(RET, NULL, NULL, XP_BRANCH, MEM_STACK, 0),
    C(JCC, NULL, NULL, XP_JCC, 0, 0),
    M(LOOP, NULL, NULL, XP_LOOP, 0, 0),
    M(LOOPE, NULL, NULL, XP_LOOP, 0, 0),
    M(LOOPNE, NULL, NULL, XP_LOOP, 0, 0),
    M(JCXZ, NULL, NULL, XP_LOOP, 0, 0),
    M(JECXZ, NULL, NULL, XP_LOOP, 0, 0),
    C(FAR_JMP_CALL, "far transfer", co_far_jmp_call, XP_NONE, MEM_OPERAND | MEM_STACK | MEM_SYSTEM,
      INSN_ENDS_BLOCK),
    C(FAR_RET, "far transfer", co_far_ret, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK),
    M(IRET, INTR, co_iret, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK),
    M(IRETD, INTR, co_iret, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK),
    M(INT, INTR, co_int, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK),
    M(INT1, INTR, co_int, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK),
    M(INT3, INTR, co_int, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK),
    M(INTO, INTR, co_int, XP_NONE, MEM_STACK | MEM_SYSTEM, INSN_ENDS_BLOCK | INSN_NO_COPY),
    M(BOUND, INTR, co_bound, XP_NONE, MEM_OPERAND | MEM_STACK | MEM_SYSTEM,
      INSN_ENDS_BLOCK | INSN_NO_COPY),
    M(SYSENTER, PRIV, co_sysenter, XP_NONE, 0, INSN_ENDS_BLOCK),
    M(SYSEXIT, PRIV, co_sysexit, XP_NONE, 0, INSN_ENDS_BLOCK),

    /* the stack and EFLAGS */
    M(PUSH, NULL, NULL, XP_PUSH, MEM_OPERAND | MEM_STACK, 0),
    M(POP, NULL, NULL, XP_POP, MEM_OPERAND | MEM_STACK, 0),
    M(PUSHA, NOT64, co_pusha, XP_PUSHA, MEM_STACK, INSN_NO_COPY),
    M(PUSHAD, NOT64, co_pusha, XP_PUSHA, MEM_STACK, INSN_NO_COPY),
    M(POPA, NOT64, co_popa, XP_POPA, MEM_STACK, INSN_NO_COPY),
    M(POPAD, NOT64, co_popa, XP_POPA, MEM_STACK, INSN_NO_COPY),
    M(ENTER, NULL, co_enter, XP_ENTER, MEM_STACK, 0),
    M(LEAVE, NULL, NULL, XP_LEAVE, MEM_STACK, 0),
    M(PUSHF, SENS, co_pushf, XP_FLAGS, MEM_STACK, INSN_NO_COPY),
    M(PUSHFD, SENS, co_pushf, XP_FLAGS, MEM_STACK, INSN_NO_COPY),
    M(POPF, SENS, co_popf, XP_FLAGS, MEM_STACK, INSN_NO_COPY),
    M(POPFD, SENS, co_popf, XP_FLAGS, MEM_STACK, INSN_NO_COPY),
    M(CLI, PRIV, co_cli, XP_CLI, 0, 0),
    M(STI, PRIV, co_sti, XP_FLAGS, 0, 0),

    /* ports and strings */
    M(IN, "port I/O", co_in_out, XP_NONE, 0, 0),
    M(OUT, "port I/O", co_in_out, XP_NONE, 0, 0),
    C(STRING_IO, "string I/O", co_string_io, XP_NONE, MEM_STRING, 0),
    C(REP_STRING, "rep string", co_string_op, XP_REP_STRING, MEM_STRING, INSN_NO_COPY),
    C(STRING, "string instruction (ES:EDI)", co_string_op, XP_STRING, MEM_STRING,
      INSN_NO_COPY | INSN_FALLBACK),
    M(XLAT, NULL, NULL, XP_MOFFS, MEM_OPERAND, 0),
    C(MOV_MOFFS, NULL, NULL, XP_MOFFS, MEM_OPERAND, 0),

    /* opcodes 64-bit mode gave another meaning or took away */
    M(DAA, NOT64, co_bcd, XP_NONE, 0, INSN_NO_COPY),
    M(DAS, NOT64, co_bcd, XP_NONE, 0, INSN_NO_COPY),
    M(AAA, NOT64, co_bcd, XP_NONE, 0, INSN_NO_COPY),
    M(AAS, NOT64, co_bcd, XP_NONE, 0, INSN_NO_COPY),
    M(AAM, NOT64, co_bcd, XP_NONE, 0, INSN_NO_COPY),
    M(AAD, NOT64, co_bcd, XP_NONE, 0, INSN_NO_COPY),
    M(SALC, NOT64, co_salc, XP_NONE, 0, INSN_NO_COPY),
    C(GRP82, NOT64, co_grp82, XP_GRP82, MEM_OPERAND, 0),
    C(INCDEC, NULL, NULL, XP_INCDEC, 0, 0),
    C(HINT_NOP, NULL, NULL, XP_HINT_NOP, 0, 0),

    /* x87 and SSE state the host holds for itself */
    M(FNSTENV, X87P, co_fnstenv_fnsave, XP_NONE, MEM_FPU_IMAGE, INSN_NO_COPY),
    M(FNSAVE, X87P, co_fnstenv_fnsave, XP_NONE, MEM_FPU_IMAGE, INSN_NO_COPY),
    M(FLDENV, X87P, co_fldenv_frstor, XP_NONE, MEM_FPU_IMAGE, INSN_NO_COPY),
    M(FRSTOR, X87P, co_fldenv_frstor, XP_NONE, MEM_FPU_IMAGE, INSN_NO_COPY),
    M(FXSAVE, X87P, co_fxsave, XP_NONE, MEM_FPU_IMAGE, INSN_NO_COPY),
    M(FXRSTOR, X87P, co_fxrstor, XP_NONE, MEM_FPU_IMAGE, INSN_NO_COPY),
    M(MASKMOVQ, "hidden memory operand", co_maskmov, XP_NONE, MEM_MASKED, INSN_NO_COPY),
    M(MASKMOVDQU, "hidden memory operand", co_maskmov, XP_NONE, MEM_MASKED, INSN_NO_COPY),

    /* #UD and the CPU model */
    M(UD0, UND, co_ud, XP_NONE, 0, INSN_ENDS_BLOCK),
    M(UD1, UND, co_ud, XP_NONE, 0, INSN_ENDS_BLOCK),
    M(UD2, UND, co_ud, XP_NONE, 0, INSN_ENDS_BLOCK),
    M(RSM, UND, co_ud, XP_NONE, 0, INSN_ENDS_BLOCK),
    M(LZCNT, "BSR/BSF on this model", co_bitscan, XP_NONE, MEM_OPERAND, INSN_MODEL),
    M(TZCNT, "BSR/BSF on this model", co_bitscan, XP_NONE, MEM_OPERAND, INSN_MODEL),
    C(NOT_MODEL, "not in the CPU model", co_ud, XP_NONE, 0,
      INSN_MODEL | INSN_ENDS_BLOCK | INSN_NO_COPY),
    C(BAD_LOCK, "invalid LOCK", co_ud, XP_NONE, 0, INSN_MODEL | INSN_ENDS_BLOCK | INSN_NO_COPY),
    C(PRIVILEGED, PRIV, NULL, XP_NONE, 0, INSN_NO_COPY),
    C(COPY, NULL, NULL, XP_NONE, MEM_OPERAND, 0),
};

bool insn_model_has(const ZydisDecodedInstruction *in)
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
	case ZYDIS_ISA_SET_RDTSCP:
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

int insn_fpu_class(const ZydisDecodedInstruction *in)
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

/* class_of_mov: MOV split by opcode (CRn, DRn, Sreg, moffs, or plain). */
static unsigned class_of_mov(const ZydisDecodedInstruction *in)
{
	if (in->opcode_map == ZYDIS_OPCODE_MAP_0F && (in->opcode & 0xf8) == 0x20)
		return (in->opcode & 1) ? INSN_MOV_DR : INSN_MOV_CR;
	if (in->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return INSN_COPY;
	if (in->opcode == 0x8c || in->opcode == 0x8e)
		return INSN_MOV_SEG;
	if (in->opcode >= 0xa0 && in->opcode <= 0xa3)
		return INSN_MOV_MOFFS;
	return INSN_COPY;
}

/* is_seg_push_pop: PUSH or POP of a segment register (06/07 0E 16/17
 * 1E/1F, 0F A0/A1 A8/A9). */
static bool is_seg_push_pop(const ZydisDecodedInstruction *in)
{
	if (in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT)
		return in->opcode < 0x20 && (in->opcode & 6) == 6;
	return in->opcode_map == ZYDIS_OPCODE_MAP_0F && (in->opcode == 0xa0 || in->opcode == 0xa1 ||
							 in->opcode == 0xa8 || in->opcode == 0xa9);
}

/* class_of_mnemonic: the class of an instruction of the model whose
 * mnemonic alone does not decide. */
static unsigned class_of_mnemonic(const ZydisDecodedInstruction *in)
{
	bool far = in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;

	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		return class_of_mov(in);
	case ZYDIS_MNEMONIC_PUSH:
		return is_seg_push_pop(in) ? INSN_PUSH_SEG : in->mnemonic;
	case ZYDIS_MNEMONIC_POP:
		return is_seg_push_pop(in) ? INSN_POP_SEG : in->mnemonic;
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL:
		return far ? INSN_FAR_JMP_CALL : in->mnemonic;
	case ZYDIS_MNEMONIC_RET:
		return far ? INSN_FAR_RET : in->mnemonic;
	case ZYDIS_MNEMONIC_NOP:
		return in->opcode_map == ZYDIS_OPCODE_MAP_0F ? INSN_HINT_NOP : INSN_COPY;
	default:
		break;
	}
	if (rules[in->mnemonic].name)
		return in->mnemonic;
	switch (in->meta.category) {
	case ZYDIS_CATEGORY_STRINGOP:
		return (in->attributes &
			(ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE))
			   ? INSN_REP_STRING
			   : INSN_STRING;
	case ZYDIS_CATEGORY_IOSTRINGOP:
		return INSN_STRING_IO;
	case ZYDIS_CATEGORY_COND_BR:
		return INSN_JCC;
	default:
		break;
	}
	if (in->meta.isa_set == ZYDIS_ISA_SET_MPX)
		return INSN_HINT_NOP;
	if (in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT) {
		if (in->opcode >= 0x40 && in->opcode <= 0x4f)
			return INSN_INCDEC;
		if (in->opcode == 0x82)
			return INSN_GRP82;
	}
	return (in->attributes & ZYDIS_ATTRIB_IS_PRIVILEGED) ? INSN_PRIVILEGED : INSN_COPY;
}

const struct insn_rule *insn_rule(const ZydisDecodedInstruction *in)
{
	if (in->mnemonic == ZYDIS_MNEMONIC_LZCNT || in->mnemonic == ZYDIS_MNEMONIC_TZCNT)
		return &rules[in->mnemonic]; /* before the model: BSR/BSF here */
	if (!insn_model_has(in))
		return &rules[INSN_NOT_MODEL];
	if (lock_invalid(in))
		return &rules[INSN_BAD_LOCK];
	return &rules[class_of_mnemonic(in)];
}
