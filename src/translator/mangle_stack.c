/*
 * mangle_stack.c - stack instructions expanded inline (docs/design.md §3.2):
 * PUSH/POP/PUSHA/POPA/ENTER/LEAVE as accesses through [gs:esp+d] (0x67
 * keeps the address 32-bit) followed by "lea esp,[esp+d]".  Host RSP is
 * the guest's ESP, so no host PUSH/POP is ever used.  Every load or store
 * that can fault comes before ESP or a register changes (precise state).
 * With a based SS (block mode) the accesses go through emit_ss_access.
 */
#include "translator/emit.h"
#include "translator/bt_offsets.h"
#include "monitor/insn/operand.h"

#include <stddef.h>
#include "monitor/base/util.h"

/* gpr: the 16/32-bit host register with number id (0-15). */
static ZydisRegister gpr(bool o16, int id)
{
	return ZydisRegisterEncode(o16 ? ZYDIS_REGCLASS_GPR16 : ZYDIS_REGCLASS_GPR32, (ZyanU8)id);
}

/* e_mov_rr: mov dst, src (register numbers, 16/32-bit). */
static void e_mov_rr(struct bt_emit *e, bool o16, int dst, int src)
{
	ZydisEncoderOperand o[2] = {enc_reg(gpr(o16, dst)), enc_reg(gpr(o16, src))};
	e_insn(e, ZYDIS_MNEMONIC_MOV, 0, 2, o);
}

/* e_gs_r11: mov between r11d and [gs:base32 + d] (load if load). */
static void e_gs_r11(struct bt_emit *e, bool load, ZydisRegister base, int32_t d)
{
	ZydisEncoderOperand m = enc_mem(4, base, ZYDIS_REGISTER_NONE, 0, d);
	ZydisEncoderOperand r = enc_reg(ZYDIS_REGISTER_R11D);
	ZydisEncoderOperand o[2] = {load ? r : m, load ? m : r};
	e_insn(e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, 2, o);
}

/* e_lea32: lea dst32, [base32 + d] (0x67: the address wraps at 4 GiB). */
static void e_lea32(struct bt_emit *e, ZydisRegister dst, ZydisRegister base, int32_t d)
{
	ZydisEncoderOperand o[2] = {enc_reg(dst), enc_mem(4, base, ZYDIS_REGISTER_NONE, 0, d)};
	e_insn(e, ZYDIS_MNEMONIC_LEA, 0, 2, o);
}

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
			emit_esp_add(x, -sz);
			x->how = HOW_REWRITE;
			return;
		}
		ZydisEncoderOperand st[2] = {
		    enc_mem((unsigned)sz, ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_NONE, 0, -sz),
		    enc_imm(o16 ? (int16_t)imm : (int32_t)imm)};
		e_insn(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, 2, st);
	} else {
		if (!emit_load_scratch(x, op, 3, o16)) {
			mangle_callout(x, SITE_UNSUPP, "push from FS/GS");
			return;
		}
		emit_stack_access(x, o16, REX_R, 0x89, 3, (int8_t)-sz);
	}
	emit_esp_add(x, -sz);
	x->how = HOW_REWRITE;
}

/* mangle_push_seg: PUSH Sreg without a callout: the selector, which only
 * callouts change, from the vCPU into r11, zero-extended for a 32-bit
 * push (as co_push_seg does), then stored like a register push:
 *   mov r11, [r12 + vcpu]; movzx r11d, word [r11 + seg[s].sel]
 *   mov [ss:esp - size], r11d/r11w; lea esp, [esp - size] */
bool mangle_push_seg(struct bt_ctx *x)
{
	int seg = insn_seg_index(x->ops[0].reg.value);
	bool o16 = x->insn->operand_width == 16;
	int sz = o16 ? 2 : 4;

	if (seg < 0)
		return false;
	ZydisEncoderOperand vc[2] = {
	    enc_reg(ZYDIS_REGISTER_R11),
	    enc_mem(8, ZYDIS_REGISTER_R12, ZYDIS_REGISTER_NONE, 0, BTC_VCPU)};
	ZydisEncoderOperand sel[2] = {enc_reg(ZYDIS_REGISTER_R11D),
				      enc_mem(2, ZYDIS_REGISTER_R11, ZYDIS_REGISTER_NONE, 0,
					      (int64_t)offsetof(struct vcpu, seg) +
						  seg * (int64_t)sizeof(struct seg) +
						  (int64_t)offsetof(struct seg, sel))};
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, vc);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, 2, sel);
	emit_stack_access(x, o16, REX_R, 0x89, 3, (int8_t)-sz);
	emit_esp_add(x, -sz);
	x->how = HOW_REWRITE;
	return true;
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
		if (!o16) { /* the load faults before anything changes */
			emit_stack_access(x, false, 0, 0x8b, r, 0);
			emit_esp_add(x, sz);
			return;
		}
		/* load into r11 first: a 16-bit pop keeps the register's top half */
		emit_stack_access(x, o16, REX_R, 0x8b, 3, 0);
		emit_esp_add(x, sz);
		e_mov_rr(&x->e, o16, r, 11);
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
	emit_esp_add(x, sz);
}

/* mangle_pusha: probe both ends of the 32-byte area, then store, then ESP.
 * False for the 16-bit form or a 16-bit SS (the callout runs it). */
bool mangle_pusha(struct bt_ctx *x)
{
	if (x->insn->operand_width == 16 || (x->blk->mode & BT_MODE_SS16))
		return false;
	for (int r = 0; r < 8; r++)
		emit_stack_access(x, false, 0, 0x89, r, (int8_t)(-4 - 4 * r));
	emit_esp_add(x, -32);
	x->how = HOW_REWRITE;
	return true;
}

/* mangle_popa: probe [esp] and [esp+28] first, then load (ESP skipped).
 * False for the 16-bit form or a 16-bit SS (the callout runs it). */
bool mangle_popa(struct bt_ctx *x)
{
	if (x->insn->operand_width == 16 || (x->blk->mode & BT_MODE_SS16))
		return false;
	emit_stack_access(x, false, REX_R, 0x8b, 3, 28);
	emit_stack_access(x, false, REX_R, 0x8b, 3, 0);
	for (int r = 7; r >= 0; r--)
		if (r != R_ESP)
			emit_stack_access(x, false, 0, 0x8b, r, (int8_t)(4 * (7 - r)));
	emit_esp_add(x, 32);
	x->how = HOW_REWRITE;
	return true;
}

/* mangle_enter16: ENTER with a 16-bit operand size or a 16-bit SS, level
 * 0 (what compilers emit): push (E)BP; (E)BP = (E)SP; (E)SP -= size, the
 * store first.  The nested forms (level > 0) run as the callout. */
static void mangle_enter16(struct bt_ctx *x, uint32_t size, unsigned level)
{
	bool o16 = x->insn->operand_width == 16;
	bool ss16 = x->blk->mode & BT_MODE_SS16;
	int sz = o16 ? 2 : 4;

	if (level != 0) {
		mangle_callout(x, SITE_EXEC, "nested ENTER in 16-bit code");
		return;
	}
	emit_stack_access(x, o16, 0, 0x89, R_EBP, (int8_t)-sz);
	/* the frame pointer: (E)SP - sz, in the stack's width */
	e_lea32(&x->e, ZYDIS_REGISTER_R11D, ZYDIS_REGISTER_ESP, -sz);
	if (ss16)
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(ZYDIS_REGISTER_R11D),
			enc_reg(ZYDIS_REGISTER_R11W));
	e_mov_rr(&x->e, o16, R_EBP, 11);
	emit_esp_add(x, -sz - (int32_t)size);
	x->how = HOW_REWRITE;
}

/* mangle_enter: ENTER size, level.  All loads and stores come first
 * (precise), then EBP and ESP.  Level L > 0 copies L-1 frame pointers from
 * [ebp-4i] and pushes the new frame pointer (SDM, ENTER). */
void mangle_enter(struct bt_ctx *x)
{
	uint32_t size = (uint32_t)x->ops[0].imm.value.u & 0xffff;
	unsigned level = (unsigned)x->ops[1].imm.value.u & 31;

	if (x->insn->operand_width == 16 || (x->blk->mode & BT_MODE_SS16)) {
		mangle_enter16(x, size, level);
		return;
	}
	x->how = HOW_REWRITE;
	emit_stack_access(x, false, 0, 0x89, R_EBP, -4);
	if (level == 0) {
		e_lea32(&x->e, ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESP, -4);
		emit_esp_add(x, -4 - (int32_t)size);
		return;
	}
	bool based = bt_ss_based(x); /* based SS: accesses add the base (mangle_mem.c) */
	for (unsigned i = 1; i < level && based; i++) {
		emit_ss_access(x, false, REX_R, 0x8b, 3, R_EBP, -4 * (int32_t)i, NULL, 0);
		emit_ss_access(x, false, REX_R, 0x89, 3, R_ESP, -4 - 4 * (int32_t)i, NULL, 0);
	}
	for (unsigned i = 1; i < level && !based; i++) {
		e_gs_r11(&x->e, true, ZYDIS_REGISTER_EBP, -4 * (int32_t)i);
		e_gs_r11(&x->e, false, ZYDIS_REGISTER_ESP, -4 - 4 * (int32_t)i);
	}
	e_lea32(&x->e, ZYDIS_REGISTER_R11D, ZYDIS_REGISTER_ESP, -4); /* the new frame */
	if (based)
		emit_ss_access(x, false, REX_R, 0x89, 3, R_ESP, -4 - 4 * (int32_t)level, NULL, 0);
	else
		e_gs_r11(&x->e, false, ZYDIS_REGISTER_ESP, -4 - 4 * (int32_t)level);
	e_mov_rr(&x->e, false, R_EBP, 11);
	emit_esp_add(x, -4 - 4 * (int32_t)level - (int32_t)size);
}

/* mangle_leave: mov r11d,[ebp]; lea esp,[ebp+4]; mov ebp,r11d. */
void mangle_leave(struct bt_ctx *x)
{
	bool o16 = x->insn->operand_width == 16;
	bool ss16 = x->blk->mode & BT_MODE_SS16;

	if (bt_ss_based(x)) /* based or 16-bit SS: mov r11,[ss:ebp] (mangle_mem.c) */
		emit_ss_access(x, o16, REX_R, 0x8b, 3, R_EBP, 0, NULL, 0);
	else if (o16) /* mov r11w, [gs:ebp] */
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS,
			enc_reg(ZYDIS_REGISTER_R11W),
			enc_mem(2, ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_NONE, 0, 0));
	else
		e_gs_r11(&x->e, true, ZYDIS_REGISTER_EBP, 0);
	/* ESP (SP with a 16-bit SS) = EBP + the popped size */
	e_lea32(&x->e, ss16 ? ZYDIS_REGISTER_SP : ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP,
		o16 ? 2 : 4);
	e_mov_rr(&x->e, o16, R_EBP, 11);
	x->how = HOW_REWRITE;
}
