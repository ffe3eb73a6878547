/*
 * mangle_stack.c - stack instructions expanded inline (DESIGN.md §3.2):
 * PUSH/POP/PUSHA/POPA/ENTER/LEAVE as accesses through [gs:esp+d] (0x67
 * keeps the address 32-bit) followed by "lea esp,[esp+d]".  Host RSP is
 * the guest's ESP, so no host PUSH/POP is ever used.  Every load or store
 * that can fault comes before ESP or a register changes (precise state).
 * With a based SS (block mode) the accesses go through emit_ss_access.
 */
#include "translator/emit.h"
#include "monitor/util.h"

/* mangle_push: store first, then lea esp. */
void mangle_push(struct bt_ctx *x)
{
	const ZydisDecodedOperand *op = &x->ops[0];
	bool o16 = x->insn->operand_width == 16;
	int sz = o16 ? 2 : 4;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int r = ZydisRegisterGetId(op->reg.value) & 7;
		if (ZydisRegisterGetClass(op->reg.value) == ZYDIS_REGCLASS_SEGMENT) {
			mangle_callout(x, SITE_EXEC, "segment register push");
			return;
		}
		emit_stack_access(x, o16, 0, 0x89, r, (int8_t)-sz);
	} else if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		uint32_t imm = (uint32_t)op->imm.value.s;
		if (bt_ss_based(x)) { /* based SS (mangle_mem.c) */
			emit_ss_access(x, o16, 0, 0xc7, 0, R_ESP, -sz, &imm, sz);
			e_lea_esp(&x->e, -sz);
			x->how = HOW_REWRITE;
			return;
		}
		if (o16)
			e8(&x->e, 0x66);
		static const uint8_t st[] = {0x65, 0x67, 0xc7, 0x44, 0x24};
		e_bytes(&x->e, st, sizeof(st));
		e8(&x->e, (uint8_t)-sz);
		uint32_t v = (uint32_t)op->imm.value.s;
		e_bytes(&x->e, &v, sz);
	} else {
		if (!emit_load_scratch(x, op, 3, o16)) {
			mangle_callout(x, SITE_UNSUPP, "push from FS/GS");
			return;
		}
		emit_stack_access(x, o16, REX_R, 0x89, 3, (int8_t)-sz);
	}
	e_lea_esp(&x->e, -sz);
	x->how = HOW_REWRITE;
}

/* mangle_pop: load first; POP ESP takes the loaded value; POP m32 stores
 * through an address computed with the incremented ESP. */
void mangle_pop(struct bt_ctx *x)
{
	const ZydisDecodedOperand *op = &x->ops[0];
	bool o16 = x->insn->operand_width == 16;
	int sz = o16 ? 2 : 4;

	x->how = HOW_REWRITE;
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (ZydisRegisterGetClass(op->reg.value) == ZYDIS_REGCLASS_SEGMENT) {
			mangle_callout(x, SITE_EXEC, "segment register pop");
			return;
		}
		int r = ZydisRegisterGetId(op->reg.value) & 7;
		if (r == R_ESP && !o16) {
			emit_stack_access(x, false, 0, 0x8b, R_ESP, 0);
			return;
		}
		/* load into r11 first: a 16-bit pop keeps the register's top half */
		emit_stack_access(x, o16, REX_R, 0x8b, 3, 0);
		e_lea_esp(&x->e, sz);
		if (o16)
			e8(&x->e, 0x66);
		e8(&x->e, REX_R);
		e8(&x->e, 0x89);
		e8(&x->e, (uint8_t)(0xc0 | 3 << 3 | r));
		return;
	}
	/* POP m: load into r8, store (address computed with ESP+sz, as the
	 * CPU does), then move ESP: a faulting store leaves ESP unchanged. */
	static const uint8_t p66 = 0x66, mov_store = 0x89;
	emit_stack_access(x, o16, REX_R, 0x8b, 0, 0);
	struct mem_insn mi = {
	    .pfx = &p66, .npfx = o16, .rex = REX_R, .opc = &mov_store, .nopc = 1, .reg = 0};
	if (!emit_mem_insn_adj(x, &mi, sz))
		die("pop m: no REX problem expected");
	e_lea_esp(&x->e, sz);
}

/* mangle_pusha: probe both ends of the 32-byte area, then store, then ESP. */
void mangle_pusha(struct bt_ctx *x)
{
	if (x->insn->operand_width == 16) {
		mangle_callout(x, SITE_UNSUPP, "16-bit PUSHA");
		return;
	}
	for (int r = 0; r < 8; r++)
		emit_stack_access(x, false, 0, 0x89, r, (int8_t)(-4 - 4 * r));
	e_lea_esp(&x->e, -32);
	x->how = HOW_REWRITE;
}

/* mangle_popa: probe [esp] and [esp+28] first, then load (ESP skipped). */
void mangle_popa(struct bt_ctx *x)
{
	if (x->insn->operand_width == 16) {
		mangle_callout(x, SITE_UNSUPP, "16-bit POPA");
		return;
	}
	emit_stack_access(x, false, REX_R, 0x8b, 3, 28);
	emit_stack_access(x, false, REX_R, 0x8b, 3, 0);
	for (int r = 7; r >= 0; r--)
		if (r != R_ESP)
			emit_stack_access(x, false, 0, 0x8b, r, (int8_t)(4 * (7 - r)));
	e_lea_esp(&x->e, 32);
	x->how = HOW_REWRITE;
}

/* mangle_enter: ENTER size, level.  All loads and stores come first
 * (precise), then EBP and ESP.  Level L > 0 copies L-1 frame pointers from
 * [ebp-4i] and pushes the new frame pointer (SDM, ENTER). */
void mangle_enter(struct bt_ctx *x)
{
	uint32_t size = (uint32_t)x->ops[0].imm.value.u & 0xffff;
	unsigned level = (unsigned)x->ops[1].imm.value.u & 31;

	if (x->insn->operand_width == 16) {
		mangle_callout(x, SITE_UNSUPP, "16-bit ENTER");
		return;
	}
	x->how = HOW_REWRITE;
	emit_stack_access(x, false, 0, 0x89, R_EBP, -4);
	if (level == 0) {
		static const uint8_t lea_ebp[] = {0x67, 0x8d, 0x6c, 0x24, 0xfc};
		e_bytes(&x->e, lea_ebp, sizeof(lea_ebp));
		e_lea_esp(&x->e, -4 - (int32_t)size);
		return;
	}
	static const uint8_t ld[] = {0x65, 0x67, 0x44, 0x8b, 0x9d};	  /* mov r11d,[ebp+d32] */
	static const uint8_t st[] = {0x65, 0x67, 0x44, 0x89, 0x9c, 0x24}; /* [esp+d32],r11d */
	bool based = bt_ss_based(x); /* based SS: accesses add the base (mangle_mem.c) */
	for (unsigned i = 1; i < level && based; i++) {
		emit_ss_access(x, false, REX_R, 0x8b, 3, R_EBP, -4 * (int32_t)i, NULL, 0);
		emit_ss_access(x, false, REX_R, 0x89, 3, R_ESP, -4 - 4 * (int32_t)i, NULL, 0);
	}
	for (unsigned i = 1; i < level && !based; i++) {
		e_bytes(&x->e, ld, sizeof(ld));
		e32(&x->e, (uint32_t)(-4 * (int32_t)i));
		e_bytes(&x->e, st, sizeof(st));
		e32(&x->e, (uint32_t)(-4 - 4 * (int32_t)i));
	}
	static const uint8_t frame[] = {0x67, 0x44, 0x8d, 0x5c, 0x24, 0xfc}; /* lea r11d,[esp-4] */
	static const uint8_t mov_ebp[] = {0x44, 0x89, 0xdd};		     /* mov ebp, r11d */
	e_bytes(&x->e, frame, sizeof(frame));
	if (based) {
		emit_ss_access(x, false, REX_R, 0x89, 3, R_ESP, -4 - 4 * (int32_t)level, NULL, 0);
	} else {
		e_bytes(&x->e, st, sizeof(st));
		e32(&x->e, (uint32_t)(-4 - 4 * (int32_t)level));
	}
	e_bytes(&x->e, mov_ebp, sizeof(mov_ebp));
	e_lea_esp(&x->e, -4 - 4 * (int32_t)level - (int32_t)size);
}

/* mangle_leave: mov r11d,[ebp]; lea esp,[ebp+4]; mov ebp,r11d. */
void mangle_leave(struct bt_ctx *x)
{
	static const uint8_t op[] = {0x65, 0x67, 0x44, 0x8b, 0x5d, 0x00, 0x67,
				     0x8d, 0x65, 0x04, 0x44, 0x89, 0xdd};
	if (x->insn->operand_width == 16) {
		mangle_callout(x, SITE_UNSUPP, "16-bit LEAVE");
		return;
	}
	if (bt_ss_based(x)) { /* based SS: mov r11d,[ss:ebp] (mangle_mem.c) */
		emit_ss_access(x, false, REX_R, 0x8b, 3, R_EBP, 0, NULL, 0);
		e_bytes(&x->e, op + 6, sizeof(op) - 6);
		return;
	}
	e_bytes(&x->e, op, sizeof(op));
	x->how = HOW_REWRITE;
}
