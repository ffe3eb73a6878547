/*
 * mangle_flags.c - PUSHF, POPF and STI inline on the virtual EFLAGS
 * (docs/design.md §3.3, §8): short sequences on struct vcpu instead of
 * callouts for the common cases.
 *
 * Under bt the guest EFLAGS lives in two places: CF PF AF ZF SF OF and DF
 * in host RFLAGS (live), every other bit (IF, IOPL, TF, NT, AC, ID, VM,
 * RF...) in vcpu->eflags, whose live bits are stale inside translated code.
 * Host RSP is guest ESP, so PUSHFQ/POPFQ cannot be used; the live flags are
 * read and written with LAHF/SAHF (SF ZF AF PF CF through AH), SETO and
 * `add r8b, 0x7f` (OF: 1 + 0x7f overflows, 0 + 0x7f does not), and DF is
 * read flag-free by the host's own LODSD from the middle of {DF, 0, 0}
 * (the same trick as mangle_string.c) and written with CLD/STD.
 *
 * Precise state: in each sequence the guest stack access is the only thing
 * that can fault, and it runs while every guest register and flag holds its
 * value from before the instruction, and before ESP or vcpu changes.
 */
#include "translator/emit.h"
#include "monitor/base/util.h"

/* The value LODSD leaves beside RSI: the DF bit when DF=1 (RSI steps back
 * to [0]), 0 when DF=0 (RSI steps to [2]). */
static const uint32_t df_bit[3] = {EFL_DF, 0, 0};

/* Bits of vcpu->eflags PUSHF never stores: the live ones (RFLAGS has
 * them) and VM/RF (read as 0, cpu_get_eflags). */
#define PUSHF_VIRT_MASK (~(uint32_t)(BT_LIVE_FLAGS | EFL_VM | EFL_RF))
/* Virtual bits whose change by POPF takes the callout (IOPL decides at
 * CPL > 0, TF/AC/NT/IOPL/ID make the callout leave translated code). */
#define POPF_SLOW_BITS (EFL_TF | EFL_IOPL | EFL_NT | EFL_AC | EFL_ID)

#define R(n) ZYDIS_REGISTER_##n

/* cpl: the CPL the block was translated for (mode key). */
static unsigned cpl(const struct bt_ctx *x)
{
	return BT_MODE_CPL(x->blk->mode);
}

/* op2 / op1 / op0: host instruction with 2 / 1 / 0 operands. */
static void op2(struct bt_ctx *x, ZydisMnemonic mn, ZydisEncoderOperand a, ZydisEncoderOperand b)
{
	ZydisEncoderOperand o[2] = {a, b};
	e_insn(&x->e, mn, 0, 2, o);
}

static void op1(struct bt_ctx *x, ZydisMnemonic mn, ZydisEncoderOperand a)
{
	e_insn(&x->e, mn, 0, 1, &a);
}

static void op0(struct bt_ctx *x, ZydisMnemonic mn)
{
	e_insn(&x->e, mn, 0, 0, NULL);
}

/* reg / imm / mem32 / vcpu_flags: operand shorthands. */
static ZydisEncoderOperand reg(ZydisRegister r)
{
	return enc_reg(r);
}

static ZydisEncoderOperand imm(int64_t v)
{
	return enc_imm(v);
}

static ZydisEncoderOperand vcpu_flags(void) /* dword [r11 + eflags] */
{
	return enc_mem(4, R(R11), R(NONE), 0, VCPU_EFLAGS);
}

/* load_vcpu: mov r11, [r12 + BTC_VCPU]. */
static void load_vcpu(struct bt_ctx *x)
{
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R11)), enc_mem(8, R(R12), R(NONE), 0, BTC_VCPU));
}

/* jshort: a rel8 branch whose target is set later by land(); returns the
 * address just past it (NULL when the buffer is full). */
static uint8_t *jshort(struct bt_ctx *x, ZydisMnemonic mn)
{
	e_jshort(&x->e, mn, 0);
	return x->e.full ? NULL : x->e.p;
}

/* land: point the rel8 branch ending at end to the current position. */
static void land(struct bt_ctx *x, uint8_t *end)
{
	if (x->e.full || !end)
		return;
	if (!e_patch_rel8(end, x->e.p))
		die("inline flags: short branch out of range (%td)", x->e.p - end);
}

/* emit_df_read: r8d = EFL_DF if DF is set, else 0; flag-free, RAX and RSI
 * kept (through r9/r10). */
static void emit_df_read(struct bt_ctx *x)
{
	static const uint8_t lodsd = 0xad;

	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R9)), reg(R(RAX)));
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R10)), reg(R(RSI)));
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RSI)), imm((int64_t)(uintptr_t)&df_bit[1]));
	e_bytes(&x->e, &lodsd, 1);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R8D)), enc_mem(4, R(RSI), R(NONE), 0, 0));
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RSI)), reg(R(R10)));
}

/* mangle_pushf: PUSHF/PUSHFD at any CPL outside virtual-8086 mode (there
 * IOPL decides: the callout, mangle.c):
 *   <r8d = DF bit, r9 = rax>  lahf; seto r10b
 *   movzx r11d, ax; shr r11d, 8; or r8d, r11d           ; SF ZF AF PF CF, bit 1
 *   movzx r11d, r10b; shl r11d, 11; or r8d, r11d         ; OF
 *   mov r11, [r12+vcpu]; mov r11d, [r11+eflags]
 *   and r11d, ~(live|VM|RF); or r8d, r11d                ; virtual bits
 *   add r10b, 0x7f; sahf; mov rax, r9                     ; flags, RAX back
 *   mov [ss:esp-4], r8d; lea esp, [esp-4]                 ; (16-bit: r8w, 2)
 * The store comes last, with all guest state restored, so a fault there
 * is precise. */
void mangle_pushf(struct bt_ctx *x)
{
	bool o16 = x->insn->operand_width == 16;
	int sz = o16 ? 2 : 4;

	emit_df_read(x);
	op0(x, ZYDIS_MNEMONIC_LAHF);
	op1(x, ZYDIS_MNEMONIC_SETO, reg(R(R10B)));
	op2(x, ZYDIS_MNEMONIC_MOVZX, reg(R(R11D)), reg(R(AX)));
	op2(x, ZYDIS_MNEMONIC_SHR, reg(R(R11D)), imm(8));
	op2(x, ZYDIS_MNEMONIC_OR, reg(R(R8D)), reg(R(R11D)));
	op2(x, ZYDIS_MNEMONIC_MOVZX, reg(R(R11D)), reg(R(R10B)));
	op2(x, ZYDIS_MNEMONIC_SHL, reg(R(R11D)), imm(11));
	op2(x, ZYDIS_MNEMONIC_OR, reg(R(R8D)), reg(R(R11D)));
	load_vcpu(x);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R11D)), vcpu_flags());
	op2(x, ZYDIS_MNEMONIC_AND, reg(R(R11D)), imm((int32_t)PUSHF_VIRT_MASK));
	op2(x, ZYDIS_MNEMONIC_OR, reg(R(R8D)), reg(R(R11D)));
	op2(x, ZYDIS_MNEMONIC_ADD, reg(R(R10B)), imm(0x7f));
	op0(x, ZYDIS_MNEMONIC_SAHF);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RAX)), reg(R(R9)));
	emit_stack_access(x, o16, REX_R, 0x89, 0, (int8_t)-sz); /* r9/r10 only */
	emit_esp_add(x, -sz);
	x->how = HOW_REWRITE;
	x->why = "inline";
}

/* emit_popf_checks: with r8d = the popped value and r11 = vcpu: branch to
 * the slow path (returned rel8 ends, to land()) when a virtual bit other
 * than IF changes, or (CPL 0) IF goes 0 -> 1, or (CPL > 0) IF changes at
 * all (IOPL decides).  At CPL 0 an IF 1 -> 0 is written to vcpu here.
 * Uses EAX (saved in r9) as scratch. */
static void emit_popf_checks(struct bt_ctx *x, uint8_t *slow[2])
{
	uint32_t chk = POPF_SLOW_BITS | (cpl(x) ? EFL_IF : 0);

	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(EAX)), vcpu_flags());
	op2(x, ZYDIS_MNEMONIC_XOR, reg(R(EAX)), reg(R(R8D)));
	op2(x, ZYDIS_MNEMONIC_TEST, reg(R(EAX)), imm(chk));
	slow[0] = jshort(x, ZYDIS_MNEMONIC_JNZ);
	slow[1] = NULL;
	if (cpl(x))
		return;
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(EAX)), vcpu_flags()); /* IF 0 -> 1? */
	op1(x, ZYDIS_MNEMONIC_NOT, reg(R(EAX)));
	op2(x, ZYDIS_MNEMONIC_AND, reg(R(EAX)), reg(R(R8D)));
	op2(x, ZYDIS_MNEMONIC_TEST, reg(R(EAX)), imm(EFL_IF));
	slow[1] = jshort(x, ZYDIS_MNEMONIC_JNZ);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(EAX)), reg(R(R8D))); /* IF 1 -> 0 (or kept) */
	op2(x, ZYDIS_MNEMONIC_OR, reg(R(EAX)), imm((int32_t)~EFL_IF));
	op2(x, ZYDIS_MNEMONIC_AND, reg(R(EAX)), vcpu_flags());
	op2(x, ZYDIS_MNEMONIC_MOV, vcpu_flags(), reg(R(EAX)));
}

/* emit_popf_flags: host RFLAGS' live bits from r8d (RAX saved in r9,
 * restored): DF by CLD/STD, then OF and SF ZF AF PF CF.
 *   cld; test r8d, DF; jz 1f; std; 1: bt r8d, 11; setc r10b
 *   mov eax, r8d; shl eax, 8; add r10b, 0x7f; sahf; mov rax, r9 */
static void emit_popf_flags(struct bt_ctx *x)
{
	op0(x, ZYDIS_MNEMONIC_CLD);
	op2(x, ZYDIS_MNEMONIC_TEST, reg(R(R8D)), imm(EFL_DF));
	uint8_t *df0 = jshort(x, ZYDIS_MNEMONIC_JZ);
	op0(x, ZYDIS_MNEMONIC_STD);
	land(x, df0);
	op2(x, ZYDIS_MNEMONIC_BT, reg(R(R8D)), imm(11));
	op1(x, ZYDIS_MNEMONIC_SETB, reg(R(R10B)));
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(EAX)), reg(R(R8D)));
	op2(x, ZYDIS_MNEMONIC_SHL, reg(R(EAX)), imm(8));
	op2(x, ZYDIS_MNEMONIC_ADD, reg(R(R10B)), imm(0x7f));
	op0(x, ZYDIS_MNEMONIC_SAHF);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RAX)), reg(R(R9)));
}

/* mangle_popf: POPFD inline when it changes no virtual bit but IF, and IF
 * does not go 0 -> 1 (CPL 0) or does not change (CPL > 0); every other
 * case runs the callout, chosen at run time:
 *   mov r8d, [ss:esp]                          ; the only access: faults first
 *   mov r9, rax; lahf; seto al; movzx r10d, ax ; guest flags kept for the slow path
 *   mov r11, [r12+vcpu]; <checks, jnz slow>; <IF 1->0 into vcpu (CPL 0)>
 *   <live flags from r8d>; lea esp, [esp+4]; jmp done
 *   slow: mov eax, r10d; add al, 0x7f; sahf; mov rax, r9; <POPF callout>
 *   done:
 * The callout leaves translated code when IF went 0 -> 1 (a pending
 * interrupt is then delivered before the next instruction) or TF/AC/IOPL/NT
 * changed.  POPF with a 16-bit operand size stays a callout. */
bool mangle_popf(struct bt_ctx *x)
{
	uint8_t *slow[2];

	if (x->insn->operand_width != 32)
		return false;
	emit_stack_access(x, false, REX_R, 0x8b, 0, 0); /* mov r8d, [ss:esp] */
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R9)), reg(R(RAX)));
	op0(x, ZYDIS_MNEMONIC_LAHF);
	op1(x, ZYDIS_MNEMONIC_SETO, reg(R(AL)));
	op2(x, ZYDIS_MNEMONIC_MOVZX, reg(R(R10D)), reg(R(AX)));
	load_vcpu(x);
	emit_popf_checks(x, slow);
	emit_popf_flags(x);
	emit_esp_add(x, 4);
	uint8_t *done = jshort(x, ZYDIS_MNEMONIC_JMP);
	land(x, slow[0]);
	land(x, slow[1]);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(EAX)), reg(R(R10D)));
	op2(x, ZYDIS_MNEMONIC_ADD, reg(R(AL)), imm(0x7f));
	op0(x, ZYDIS_MNEMONIC_SAHF);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RAX)), reg(R(R9)));
	mangle_callout(x, SITE_EXEC, "POPF slow path");
	land(x, done);
	x->how = HOW_REWRITE;
	x->why = "inline, callout when IF 0->1 or TF/IOPL/NT/AC/ID change";
	return true;
}

/* mangle_sti: STI at CPL 0 (mode key) when IF is already set is a no-op;
 * with IF clear it runs the callout (IF 0 -> 1 needs the interrupt shadow
 * and a pending-interrupt check only the dispatcher can make).  The test
 * is flag-free: a 256-byte table in bt_cpu maps byte 1 of EFLAGS to 0 when
 * IF is set, and JRCXZ branches on it (RCX kept in r9):
 *   mov r9, rcx; mov r11, [r12+vcpu]; movzx ecx, byte [r11+eflags+1]
 *   movzx ecx, byte [r12+rcx+if_clear]; jrcxz 1f
 *   mov rcx, r9; <STI callout>; mov r9, rcx
 *   1: mov rcx, r9
 * False (plain callout) above CPL 0, where IOPL decides. */
bool mangle_sti(struct bt_ctx *x)
{
	if (cpl(x) != 0)
		return false;
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R9)), reg(R(RCX)));
	load_vcpu(x);
	op2(x, ZYDIS_MNEMONIC_MOVZX, reg(R(ECX)), enc_mem(1, R(R11), R(NONE), 0, VCPU_EFLAGS + 1));
	op2(x, ZYDIS_MNEMONIC_MOVZX, reg(R(ECX)), enc_mem(1, R(R12), R(RCX), 1, BTC_IF_CLEAR));
	uint8_t *noop = jshort(x, ZYDIS_MNEMONIC_JRCXZ);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RCX)), reg(R(R9)));
	mangle_callout(x, SITE_EXEC, "STI with IF clear");
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(R9)), reg(R(RCX)));
	land(x, noop);
	op2(x, ZYDIS_MNEMONIC_MOV, reg(R(RCX)), reg(R(R9)));
	x->how = HOW_REWRITE;
	x->why = "inline when IF is set, callout otherwise";
	return true;
}
