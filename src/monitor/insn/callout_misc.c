/*
 * callout_misc.c - opcodes that do not exist in 64-bit mode (DAA, DAS, AAA,
 * AAS, AAM, AAD, SALC, PUSHA/POPA, the 0x82 group), LZCNT/TZCNT (BSR/BSF on
 * this CPU model), x87/MMX/SSE instructions under CR0.TS/EM, and #UD.
 */
#include "monitor/insn/callout_priv.h"

/* co_bcd: the decimal adjusts on AL/AH, flags as callout_alu.c describes;
 * AAM 0 raises #DE. */
enum callout_result co_bcd(struct vcpu *v, const struct callout_site *s)
{
	ZydisMnemonic m = s->insn.mnemonic;
	uint8_t imm = 0;

	if (m == ZYDIS_MNEMONIC_AAM || m == ZYDIS_MNEMONIC_AAD)
		imm = (uint8_t)s->ops[0].imm.value.u;
	if (m == ZYDIS_MNEMONIC_AAM && imm == 0) {
		cpu_raise(v, EXC_DE, false, 0);
		return co_fault(v, s);
	}
	v->gpr[R_EAX] = callout_bcd_op(m, v->gpr[R_EAX], imm, &v->eflags);
	return co_next(v, s);
}

/* co_salc: AL = CF ? 0xff : 0 (flags unchanged). */
enum callout_result co_salc(struct vcpu *v, const struct callout_site *s)
{
	v->gpr[R_EAX] = callout_bcd_op(ZYDIS_MNEMONIC_SALC, v->gpr[R_EAX], 0, &v->eflags);
	return co_next(v, s);
}

/* put_le: store the low size bytes of val at b, little-endian. */
static void put_le(uint8_t *b, uint32_t val, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(val >> (8 * i));
}

/* co_pusha: PUSHA/PUSHAD: EAX, ECX, EDX, EBX, the original ESP, EBP, ESI,
 * EDI, written as one block below ESP (nothing changes if it faults). */
enum callout_result co_pusha(struct vcpu *v, const struct callout_site *s)
{
	unsigned size = co_opsize(s), len = 8 * size;
	uint8_t b[32];
	uint32_t sp = v->gpr[R_ESP] - len;

	/* lowest address first: EDI ESI EBP ESP EBX EDX ECX EAX */
	for (int r = 0; r < 8; r++)
		put_le(b + (7 - r) * size, v->gpr[r], size);
	if (co_stack_size(v) == 2) {
		sp &= 0xffff;
		if (sp + len > 0x10000) { /* wraps: one element at a time */
			for (unsigned i = 0; i < 8; i++)
				if (cpu_write_seg(v, S_SS, (sp + i * size) & 0xffff, b + i * size,
						  size))
					return co_fault(v, s);
			co_stack_adjust(v, -(int32_t)len);
			return co_next(v, s);
		}
	}
	if (cpu_write_seg(v, S_SS, sp, b, len))
		return co_fault(v, s);
	co_stack_adjust(v, -(int32_t)len);
	return co_next(v, s);
}

/* co_enter: ENTER size, level in every operand and stack size (SDM,
 * ENTER): push (E)BP; copy level-1 frame pointers from (E)BP down (the
 * pointer steps by the operand size and wraps at the stack size), each
 * read after the pushes before it, as the CPU does; push the new frame
 * pointer; then (E)BP = that pointer and (E)SP -= size.  Registers change
 * only when every access has been made.  The translator's reference
 * path, and what runs a nested 16-bit ENTER. */
enum callout_result co_enter(struct vcpu *v, const struct callout_site *s)
{
	unsigned os = co_opsize(s), level = (unsigned)s->ops[1].imm.value.u & 31;
	uint32_t size = (uint32_t)s->ops[0].imm.value.u & 0xffff;
	uint32_t mask = co_stack_size(v) == 4 ? 0xffffffffu : 0xffffu;
	uint32_t esp = v->gpr[R_ESP], bp = v->gpr[R_EBP], frame = (esp - os) & mask;
	unsigned n = 0;

	for (unsigned k = 0; k <= (level ? level : 0); k++) {
		uint32_t val = v->gpr[R_EBP]; /* k = 0: the old frame pointer */
		uint8_t b[4];
		if (k > 0 && k < level) { /* a frame pointer of an outer level */
			bp = (bp - os) & mask;
			val = 0;
			if (cpu_read_seg(v, S_SS, bp, &val, os))
				return co_fault(v, s);
		} else if (k > 0) {
			val = frame; /* the new frame pointer, last */
		}
		put_le(b, val, os);
		if (cpu_write_seg(v, S_SS, (esp - os * (k + 1)) & mask, b, os))
			return co_fault(v, s);
		n++;
	}
	if (os == 4)
		v->gpr[R_EBP] = frame;
	else
		v->gpr[R_EBP] = (v->gpr[R_EBP] & 0xffff0000u) | (frame & 0xffff);
	co_stack_adjust(v, -(int32_t)(os * n + size));
	return co_next(v, s);
}

/* co_popa: POPA/POPAD: EDI, ESI, EBP, (ESP skipped), EBX, EDX, ECX, EAX;
 * a 16-bit operand size loads only the low words. */
enum callout_result co_popa(struct vcpu *v, const struct callout_site *s)
{
	unsigned size = co_opsize(s);
	uint32_t val[8];

	for (unsigned i = 0; i < 8; i++)
		if (co_stack_peek(v, i * size, size, &val[i]))
			return co_fault(v, s);
	for (int r = 0; r < 8; r++) {
		if (r == R_ESP)
			continue;
		uint32_t x = val[7 - r];
		v->gpr[r] = size == 2 ? (v->gpr[r] & ~0xffffu) | (x & 0xffff) : x;
	}
	co_stack_adjust(v, (int32_t)(8 * size));
	return co_next(v, s);
}

/* co_grp82: opcode 0x82 (an alias of 0x80): ALU op r/m8, imm8. */
enum callout_result co_grp82(struct vcpu *v, const struct callout_site *s)
{
	unsigned op = s->insn.raw.modrm.reg;
	uint32_t a, b;

	if (insn_op_read(v, s, &s->ops[0], &a) || insn_op_read(v, s, &s->ops[1], &b))
		return co_fault(v, s);
	uint8_t r = callout_alu8(op, (uint8_t)a, (uint8_t)b, &v->eflags);
	if (op != 7 && insn_op_write(v, s, &s->ops[0], r))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_bitscan: LZCNT/TZCNT decode as such, but this CPU model ignores the
 * F3 prefix and runs BSR/BSF: a zero source sets ZF and leaves the
 * destination unchanged; the other flags are the host's BSR/BSF ones. */
enum callout_result co_bitscan(struct vcpu *v, const struct callout_site *s)
{
	bool rev = s->insn.mnemonic == ZYDIS_MNEMONIC_LZCNT;
	uint32_t src, dst = insn_reg_read(v, s->ops[0].reg.value);
	uint64_t fl;

	if (insn_op_read(v, s, &s->ops[1], &src))
		return co_fault(v, s);
	if (rev)
		__asm__("bsr %k[s], %k[d]\n\tpushf\n\tpop %q[f]"
			: [d] "+r"(dst), [f] "=r"(fl)
			: [s] "r"(src)
			: "cc");
	else
		__asm__("bsf %k[s], %k[d]\n\tpushf\n\tpop %q[f]"
			: [d] "+r"(dst), [f] "=r"(fl)
			: [s] "r"(src)
			: "cc");
	if (src)
		insn_reg_write(v, s->ops[0].reg.value, dst);
	v->eflags = (v->eflags & ~EFL_ARITH) | ((uint32_t)fl & EFL_ARITH);
	return co_next(v, s);
}

/* uses_xmm: an operand is an XMM register or the instruction is
 * LDMXCSR/STMXCSR (those need CR4.OSFXSR). */
static bool uses_xmm(const struct callout_site *s)
{
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_LDMXCSR ||
	    s->insn.mnemonic == ZYDIS_MNEMONIC_STMXCSR)
		return true;
	for (unsigned i = 0; i < s->insn.operand_count; i++)
		if (s->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetClass(s->ops[i].reg.value) == ZYDIS_REGCLASS_XMM)
			return true;
	return false;
}

/* co_fpu_trap: an x87/MMX/SSE instruction under CR0.TS or CR0.EM (or SSE
 * with CR4.OSFXSR clear): raise #NM or #UD as the SDM orders them.  WAIT
 * with TS but not MP runs (a no-op: no unmasked x87 exception is pending
 * in the monitor's model).  When no fault applies, callout_exec runs the
 * instruction's handler, or (none: sent here only for the trap, and the
 * state changed since translation) lets the dispatcher retranslate. */
bool co_fpu_trap(struct vcpu *v, const struct callout_site *s, enum callout_result *r)
{
	uint32_t cr0 = v->cr0;

	switch (insn_fpu_class(&s->insn)) {
	case 'x':
	case 'f':
		if (cr0 & (CR0_EM | CR0_TS))
			goto nm;
		return false;
	case 'w':
		if ((cr0 & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP))
			goto nm;
		*r = co_next(v, s);
		return true;
	default:
		if ((cr0 & CR0_EM) || (!(v->cr4 & CR4_OSFXSR) && uses_xmm(s))) {
			*r = co_ud(v, s);
			return true;
		}
		if (cr0 & CR0_TS)
			goto nm;
		return false;
	}
nm:
	cpu_raise(v, EXC_NM, false, 0);
	*r = co_fault(v, s);
	return true;
}

/* co_ud: #UD (UD0/UD1/UD2, RSM outside SMM, instructions the CPU model
 * lacks, invalid LOCK prefixes). */
enum callout_result co_ud(struct vcpu *v, const struct callout_site *s)
{
	cpu_raise_ud(v);
	return co_fault(v, s);
}
