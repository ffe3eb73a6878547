/*
 * mangle.c - from one decoded guest instruction to host code (docs/design.md
 * §3.2-3.4): one mangle function per construct.
 *
 * Copied guest instructions keep their own bytes (prefixes added, ModRM/SIB
 * re-encoded); every instruction the translator adds of its own (stubs,
 * lookups, poll loads, callout entries, stack expansions, LEAs) is built
 * with the Zydis encoder (emit.c).  Rules kept by every function:
 *   - no host PUSH/POP/CALL (host RSP is guest ESP);
 *   - inside one guest instruction, every access that can fault comes before
 *     any change of guest state (precise faults, §3.5);
 *   - scratch registers are r8-r11 only; sequences that run between guest
 *     instructions with live flags use flag-free instructions only.
 */
#include "translator/emit.h"
#include "monitor/base/util.h"

/* --- exits, callouts, lookups ---------------------------------------------- */

/* e_r12: a qword/byte operand [r12 + disp]. */
static ZydisEncoderOperand e_r12(unsigned size, int64_t disp)
{
	return enc_mem(size, ZYDIS_REGISTER_R12, ZYDIS_REGISTER_NONE, 0, disp);
}

/* e_jmp_via: jmp qword [r12 + disp] (one of the exit entry points). */
static void e_jmp_via(struct bt_emit *e, int64_t disp)
{
	ZydisEncoderOperand m = e_r12(8, disp);
	e_insn(e, ZYDIS_MNEMONIC_JMP, 0, 1, &m);
}

/* e_movabs_r11: mov r11, imm (the exit record or callout site). */
static void e_movabs_r11(struct bt_emit *e, uint64_t imm)
{
	ZydisEncoderOperand o[2] = {enc_reg(ZYDIS_REGISTER_R11), enc_imm((int64_t)imm)};
	e_insn(e, ZYDIS_MNEMONIC_MOV, 0, 2, o);
}

/* bt_emit_poll: mov r11b, [r12 + BTC_POLL] - faults while a kick is
 * pending; BT_POLL_LEN bytes, the body of the block follows. */
void bt_emit_poll(struct bt_ctx *x)
{
	ZydisEncoderOperand o[2] = {enc_reg(ZYDIS_REGISTER_R11B), e_r12(1, BTC_POLL)};
	uint8_t *p = x->e.p;

	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, o);
	if (!x->e.full && x->e.p - p != BT_POLL_LEN)
		die("poll load is %d bytes", (int)(x->e.p - p));
}

/* bt_emit_exit: movabs r11, &exit; jmp [r12+BTC_FN_DIRECT], padded with
 * int3 to EXIT_STUB_LEN bytes (the first 5 become "jmp rel32" when chained). */
void bt_emit_exit(struct bt_ctx *x, uint32_t target)
{
	if (x->n_exits >= x->max_exits)
		die("too many exits in one block");
	struct bt_exit *ex = &x->exits[x->n_exits++];
	ex->target = target;
	ex->stub = x->e.p;
	ex->from = x->blk;
	e_movabs_r11(&x->e, (uint64_t)ex);
	e_jmp_via(&x->e, BTC_FN_DIRECT);
	if (x->e.full)
		return;
	if (x->e.p - ex->stub > EXIT_STUB_LEN)
		die("exit stub longer than %d bytes", EXIT_STUB_LEN);
	while (x->e.p - ex->stub < EXIT_STUB_LEN)
		e8(&x->e, 0xcc);
}

/* emit_callout_site: movabs r11, site; lea r10, [rip+N]; jmp [r12+BTC_FN_CALL],
 * where rip+N is the end of the sequence (the code after the callout). */
static void emit_callout_site(struct bt_ctx *x, struct bt_site *site)
{
	struct bt_emit jmp = {.p = (uint8_t[16]){0}, .end = NULL};
	uint8_t *buf = jmp.p;

	jmp.end = buf + 16;
	e_jmp_via(&jmp, BTC_FN_CALL);
	e_movabs_r11(&x->e, (uint64_t)site);
	ZydisEncoderOperand o[2] = {
	    enc_reg(ZYDIS_REGISTER_R10),
	    enc_mem(8, ZYDIS_REGISTER_RIP, ZYDIS_REGISTER_NONE, 0, jmp.p - buf)};
	e_insn(&x->e, ZYDIS_MNEMONIC_LEA, 0, 2, o);
	e_bytes(&x->e, buf, (size_t)(jmp.p - buf));
}

/* mangle_callout: the instruction runs in the monitor (kind), why says why. */
void mangle_callout(struct bt_ctx *x, enum bt_site_kind kind, const char *why)
{
	/* only the operands the instruction has are kept */
	size_t ops = offsetof(struct bt_site, s) + offsetof(struct callout_site, ops);
	struct bt_site *site =
	    bt_meta_alloc(x->bt, ops + x->insn->operand_count * sizeof(ZydisDecodedOperand));

	x->how = HOW_CALLOUT;
	x->why = why;
	if (!site) {
		x->e.full = true;
		return;
	}
	site->s.eip = x->eip;
	site->s.len = x->insn->length;
	site->s.insn = *x->insn;
	memcpy(site->s.ops, x->ops, x->insn->operand_count * sizeof(ZydisDecodedOperand));
	site->kind = kind;
	site->why = why;
	emit_callout_site(x, site);
	if (kind == SITE_UD || kind == SITE_GP || kind == SITE_UNSUPP)
		x->end = true;
}

/* emit_ind_lookup: the guest EIP in r8d (or in idx) indexes the direct-mapped table
 * (r13) of TC offsets (r14 = TC base); offset 0 is the miss stub, which
 * leaves through bt_exit_indirect with r8d.  Flag-free, no compare:
 *   mov r10d, [r13 + r8*4]; lea r10, [r10 + r14]; jmp r10 */
static void emit_ind_lookup(struct bt_ctx *x, ZydisRegister idx)
{
	ZydisEncoderOperand ld[2] = {enc_reg(ZYDIS_REGISTER_R10D),
				     enc_mem(4, ZYDIS_REGISTER_R13, idx, 4, 0)};
	ZydisEncoderOperand lea[2] = {enc_reg(ZYDIS_REGISTER_R10),
				      enc_mem(8, ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R14, 1, 0)};
	ZydisEncoderOperand jmp = enc_reg(ZYDIS_REGISTER_R10);

	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, ld);
	e_insn(&x->e, ZYDIS_MNEMONIC_LEA, 0, 2, lea);
	e_insn(&x->e, ZYDIS_MNEMONIC_JMP, 0, 1, &jmp);
	x->end = true;
}

/* mangle_incdec: 40+r / 48+r are REX in 64-bit mode: the encoder gives
 * FF /0, FF /1 on the same 16/32-bit register. */
static void mangle_incdec(struct bt_ctx *x)
{
	ZydisEncoderOperand r = enc_reg(x->ops[0].reg.value);
	e_insn(&x->e, x->insn->mnemonic, 0, 1, &r);
	x->how = HOW_REWRITE;
}

/* mangle_cli: CLI at CPL 0 (from the mode key; CPL <= IOPL always holds)
 * clears vcpu->eflags.IF inline and flag-free, through a 256-entry table:
 *   mov r11, [r12+vcpu]; movzx r10d, byte [r11+eflags+1]
 *   movzx r10d, byte [r12+r10+clr_if]; mov [r11+eflags+1], r10b
 * (the live arithmetic bits in memory are stale in translated code and
 * are merged from RFLAGS on the next exit, so rewriting the byte is safe).
 * False (callout) above CPL 0, where IOPL decides. */
static bool mangle_cli(struct bt_ctx *x)
{
	if (x->insn->mnemonic != ZYDIS_MNEMONIC_CLI || BT_MODE_CPL(x->blk->mode) != 0)
		return false;
	ZydisEncoderOperand a[2] = {enc_reg(ZYDIS_REGISTER_R11), e_r12(8, BTC_VCPU)};
	ZydisEncoderOperand fl =
	    enc_mem(1, ZYDIS_REGISTER_R11, ZYDIS_REGISTER_NONE, 0, VCPU_EFLAGS + 1);
	ZydisEncoderOperand b[2] = {enc_reg(ZYDIS_REGISTER_R10D), fl};
	ZydisEncoderOperand c[2] = {
	    enc_reg(ZYDIS_REGISTER_R10D),
	    enc_mem(1, ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R10, 1, BTC_CLR_IF)};
	ZydisEncoderOperand d[2] = {fl, enc_reg(ZYDIS_REGISTER_R10B)};

	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, a);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, 2, b);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, 2, c);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, d);
	x->how = HOW_REWRITE;
	return true;
}

/* mangle_flags: PUSHF/POPF/STI inline where mangle_flags.c can (see
 * there); false for a plain callout. */
static bool mangle_flags(struct bt_ctx *x)
{
	switch (x->insn->mnemonic) {
	case ZYDIS_MNEMONIC_PUSHF:
	case ZYDIS_MNEMONIC_PUSHFD:
		mangle_pushf(x);
		return true;
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_POPFD:
		return mangle_popf(x);
	case ZYDIS_MNEMONIC_STI:
		return mangle_sti(x);
	default:
		return false;
	}
}

/* mangle_mov_from_cr: MOV r32, CR0/2/3/4 at CPL 0 (known from the mode
 * key) reads the vcpu field inline: mov r11, [r12+BTC_VCPU]; mov r32,
 * [r11+crN].  False (callout) otherwise: #GP above CPL 0, #UD for others. */
static bool mangle_mov_from_cr(struct bt_ctx *x)
{
	const ZydisDecodedOperand *d = &x->ops[0], *c = &x->ops[1];

	if (x->insn->mnemonic != ZYDIS_MNEMONIC_MOV || x->insn->operand_count_visible != 2 ||
	    d->type != ZYDIS_OPERAND_TYPE_REGISTER || c->type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ZydisRegisterGetClass(c->reg.value) != ZYDIS_REGCLASS_CONTROL ||
	    BT_MODE_CPL(x->blk->mode) != 0)
		return false;
	size_t off;
	switch (ZydisRegisterGetId(c->reg.value)) {
	case 0:
		off = offsetof(struct vcpu, cr0);
		break;
	case 2:
		off = offsetof(struct vcpu, cr2);
		break;
	case 3:
		off = offsetof(struct vcpu, cr3);
		break;
	case 4:
		off = offsetof(struct vcpu, cr4);
		break;
	default:
		return false;
	}
	ZydisEncoderOperand a[2] = {enc_reg(ZYDIS_REGISTER_R11), e_r12(8, BTC_VCPU)};
	ZydisEncoderOperand b[2] = {
	    enc_reg(d->reg.value),
	    enc_mem(4, ZYDIS_REGISTER_R11, ZYDIS_REGISTER_NONE, 0, (int64_t)off)};
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, a);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, b);
	x->how = HOW_REWRITE;
	return true;
}

/* mangle_rdtsc: RDTSC where it cannot fault (CPL 0, or CR4.TSD clear: both
 * in the mode key), flag-free, with BMI2's RORX:
 *   rdtsc; rorx rdx, rdx, 32; lea rax, [rax + rdx]       ; host TSC
 *   mov r11, [r12+vcpu]; mov r11, [r11+tsc_offset]; lea rax, [rax + r11]
 *   rorx rdx, rax, 32; mov edx, edx; mov eax, eax        ; EDX:EAX
 * RDTSCP also: mov r11, [r12+vcpu]; mov ecx, [r11+tsc_aux] (the host's
 * own RDTSC is used: its RDTSCP would give the host's TSC_AUX).
 * False (callout) where it can #GP, or on a host without BMI2. */
static bool mangle_rdtsc(struct bt_ctx *x)
{
	uint32_t mode = x->blk->mode;
	ZydisRegister rax = ZYDIS_REGISTER_RAX, rdx = ZYDIS_REGISTER_RDX;
	ZydisRegister r11 = ZYDIS_REGISTER_R11;

	if (((mode & BT_MODE_TSD) && BT_MODE_CPL(mode) != 0) || !__builtin_cpu_supports("bmi2"))
		return false;
	ZydisEncoderOperand hi[3] = {enc_reg(rdx), enc_reg(rdx), enc_imm(32)};
	ZydisEncoderOperand join[2] = {enc_reg(rax), enc_mem(8, rax, rdx, 1, 0)};
	ZydisEncoderOperand vc[2] = {enc_reg(r11), e_r12(8, BTC_VCPU)};
	ZydisEncoderOperand off[2] = {enc_reg(r11),
				      enc_mem(8, r11, ZYDIS_REGISTER_NONE, 0,
					      (int64_t)offsetof(struct vcpu, msr.tsc_offset))};
	ZydisEncoderOperand add[2] = {enc_reg(rax), enc_mem(8, rax, r11, 1, 0)};
	ZydisEncoderOperand split[3] = {enc_reg(rdx), enc_reg(rax), enc_imm(32)};
	ZydisEncoderOperand zx_d[2] = {enc_reg(ZYDIS_REGISTER_EDX), enc_reg(ZYDIS_REGISTER_EDX)};
	ZydisEncoderOperand zx_a[2] = {enc_reg(ZYDIS_REGISTER_EAX), enc_reg(ZYDIS_REGISTER_EAX)};

	e_insn(&x->e, ZYDIS_MNEMONIC_RDTSC, 0, 0, NULL);
	e_insn(&x->e, ZYDIS_MNEMONIC_RORX, 0, 3, hi);
	e_insn(&x->e, ZYDIS_MNEMONIC_LEA, 0, 2, join);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, vc);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, off);
	e_insn(&x->e, ZYDIS_MNEMONIC_LEA, 0, 2, add);
	e_insn(&x->e, ZYDIS_MNEMONIC_RORX, 0, 3, split);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, zx_d);
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, zx_a);
	if (x->insn->mnemonic == ZYDIS_MNEMONIC_RDTSCP) {
		ZydisEncoderOperand aux[2] = {enc_reg(ZYDIS_REGISTER_ECX),
					      enc_mem(4, r11, ZYDIS_REGISTER_NONE, 0,
						      (int64_t)offsetof(struct vcpu, tsc_aux))};

		e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, vc);
		e_insn(&x->e, ZYDIS_MNEMONIC_MOV, 0, 2, aux);
	}
	x->how = HOW_REWRITE;
	return true;
}

/* --- control flow ------------------------------------------------------------ */

/* rel_target: the target of a relative branch; a 16-bit operand size
 * truncates EIP to 16 bits (SDM, JMP/Jcc/CALL/LOOP). */
static uint32_t rel_target(const struct bt_ctx *x)
{
	uint32_t t = x->next + (uint32_t)x->insn->raw.imm[0].value.s;
	return x->insn->operand_width == 16 ? t & 0xffff : t;
}

/* jcc_mnemonic: the Jcc of condition code cc. */
static ZydisMnemonic jcc_mnemonic(int cc)
{
	static const ZydisMnemonic mn[16] = {
	    ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
	    ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
	    ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
	    ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
	return mn[cc & 15];
}

/* e_jcc32: "jcc rel32" (6 bytes) with displacement rel from its end. */
static void e_jcc32(struct bt_emit *e, int cc, int32_t rel)
{
	ZydisEncoderRequest req;

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.mnemonic = jcc_mnemonic(cc);
	req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
	req.branch_width = ZYDIS_BRANCH_WIDTH_32;
	req.operand_count = 1;
	req.operands[0] = enc_imm(rel);
	e_enc(e, &req);
}

/* set_rel32: point the rel32 ending at end (a jmp/jcc) at dest. */
static void set_rel32(uint8_t *end, const uint8_t *dest)
{
	int32_t r = (int32_t)(dest - end);
	memcpy(end - 4, &r, 4);
}

/* mangle_jcc: a side exit while the block has room: "jcc rel32" to a stub
 * placed after the body, and the fall-through path goes on inline (the
 * block becomes a superblock).  Otherwise the block ends: "jcc rel32" to
 * the taken stub, the fall-through stub, the taken stub.  Chaining
 * retargets the jcc itself, so a taken branch costs one host jump. */
static void mangle_jcc(struct bt_ctx *x, int cc)
{
	x->how = HOW_BRANCH;
	if (!x->one && x->n_pend < BT_MAX_SIDE) {
		e_jcc32(&x->e, cc, 0);
		if (x->e.full)
			return;
		x->pend_jcc[x->n_pend] = x->e.p - 6;
		x->pend_target[x->n_pend++] = rel_target(x);
		return;
	}
	e_jcc32(&x->e, cc, EXIT_STUB_LEN);
	uint8_t *jcc = x->e.p - 6;
	bt_emit_exit(x, x->next);
	bt_emit_exit(x, rel_target(x));
	if (!x->e.full)
		x->exits[x->n_exits - 1].jcc = jcc;
	x->end = true;
}

/* bt_emit_side_stubs: one exit stub per side exit, its jcc pointed at it. */
void bt_emit_side_stubs(struct bt_ctx *x)
{
	for (unsigned i = 0; i < x->n_pend && !x->e.full; i++) {
		uint8_t *stub = x->e.p;
		bt_emit_exit(x, x->pend_target[i]);
		if (x->e.full)
			return;
		set_rel32(x->pend_jcc[i] + 6, stub);
		x->exits[x->n_exits - 1].jcc = x->pend_jcc[i];
	}
}

/* e_xchg_rcx_r11: xchg rcx, r11 (flag-free). */
static void e_xchg_rcx_r11(struct bt_emit *e)
{
	e_insn2(e, ZYDIS_MNEMONIC_XCHG, 0, enc_reg(ZYDIS_REGISTER_RCX),
		enc_reg(ZYDIS_REGISTER_R11));
}

/* mangle_loop16: LOOP/LOOPE/LOOPNE/JCXZ with a 16-bit address size count
 * in CX.  JRCXZ is the only flag-free test, so CX goes into RCX for it
 * and the guest's RCX waits in r11:
 *   [loop: lea r11d,[rcx-1]; mov cx,r11w]
 *   movzx r11d,cx; xchg rcx,r11; jrcxz zero; xchg rcx,r11
 *   jcxz:  <fall stub>;           zero: xchg rcx,r11; <taken stub>
 *   loop:  [jz/jnz fall;] <taken stub>; zero: xchg rcx,r11; fall: <fall stub> */
static void mangle_loop16(struct bt_ctx *x, uint8_t op)
{
	bool jcxz = op == 0xe3, cond = op == 0xe0 || op == 0xe1;

	x->how = HOW_BRANCH;
	x->end = true;
	if (!jcxz) {
		e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(ZYDIS_REGISTER_R11D),
			enc_mem(4, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_NONE, 0, -1));
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, 0, enc_reg(ZYDIS_REGISTER_CX),
			enc_reg(ZYDIS_REGISTER_R11W));
	}
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(ZYDIS_REGISTER_R11D),
		enc_reg(ZYDIS_REGISTER_CX));
	e_xchg_rcx_r11(&x->e);
	/* xchg is 3 bytes, a short jcc 2 */
	e_jshort(&x->e, ZYDIS_MNEMONIC_JRCXZ, 3 + (cond ? 2 : 0) + EXIT_STUB_LEN);
	e_xchg_rcx_r11(&x->e);
	if (jcxz) {
		bt_emit_exit(x, x->next);
		e_xchg_rcx_r11(&x->e);
		bt_emit_exit(x, rel_target(x));
		return;
	}
	if (cond) /* LOOPE (e1) goes on while ZF, LOOPNE (e0) while !ZF */
		e_jshort(&x->e, op == 0xe1 ? ZYDIS_MNEMONIC_JNZ : ZYDIS_MNEMONIC_JZ,
			 EXIT_STUB_LEN + 3);
	bt_emit_exit(x, rel_target(x));
	e_xchg_rcx_r11(&x->e);
	bt_emit_exit(x, x->next);
}

/* mangle_loop: LOOP/LOOPE/LOOPNE/JECXZ without touching flags:
 *   jecxz:  jecxz taken; <fall stub>; taken: <taken stub>
 *   loop:   lea ecx,[rcx-1]; jrcxz fall; [jz/jnz +2; jmp fall;] <taken stub>;
 *           fall: <fall stub> */
static void mangle_loop(struct bt_ctx *x, uint8_t op)
{
	if (x->insn->address_width == 16) {
		mangle_loop16(x, op);
		return;
	}
	x->how = HOW_BRANCH;
	x->end = true;
	if (op == 0xe3) {
		e_jshort(&x->e, ZYDIS_MNEMONIC_JECXZ, EXIT_STUB_LEN);
		bt_emit_exit(x, x->next);
		bt_emit_exit(x, rel_target(x));
		return;
	}
	ZydisEncoderOperand dec[2] = {enc_reg(ZYDIS_REGISTER_ECX),
				      enc_mem(4, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_NONE, 0, -1)};
	e_insn(&x->e, ZYDIS_MNEMONIC_LEA, 0, 2, dec);
	if (op == 0xe2) {
		e_jshort(&x->e, ZYDIS_MNEMONIC_JRCXZ, EXIT_STUB_LEN);
	} else {
		e_jshort(&x->e, ZYDIS_MNEMONIC_JRCXZ, 2 + 2 + EXIT_STUB_LEN);
		e_jshort(&x->e, op == 0xe1 ? ZYDIS_MNEMONIC_JZ : ZYDIS_MNEMONIC_JNZ, 2);
		e_jshort(&x->e, ZYDIS_MNEMONIC_JMP, EXIT_STUB_LEN);
	}
	bt_emit_exit(x, rel_target(x));
	bt_emit_exit(x, x->next);
}

/* store_return: mov dword [gs:esp-4], next; lea esp,[esp-4] (a word
 * and 2 for a 16-bit operand size). */
static void store_return(struct bt_ctx *x)
{
	bool o16 = x->insn->operand_width == 16;
	int sz = o16 ? 2 : 4;
	uint16_t next16 = (uint16_t)x->next;

	if (bt_ss_based(x)) { /* based SS: the store adds the base (mangle_mem.c) */
		emit_ss_access(x, o16, 0, 0xc7, 0, R_ESP, -sz,
			       o16 ? (const void *)&next16 : &x->next, sz);
		emit_esp_add(x, -sz);
		return;
	}
	ZydisEncoderOperand st[2] = {
	    enc_mem((unsigned)sz, ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_NONE, 0, -sz),
	    enc_imm(o16 ? (int16_t)next16 : (int32_t)x->next)};
	e_insn(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, 2, st);
	emit_esp_add(x, -sz);
}

/* e_movzx_r8w: movzx r8d, r8w (a 16-bit branch target). */
static void e_movzx_r8w(struct bt_emit *e)
{
	e_insn2(e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(ZYDIS_REGISTER_R8D),
		enc_reg(ZYDIS_REGISTER_R8W));
}

/* mangle_branch: JMP/CALL (near, relative or indirect) and RET. */
static void mangle_branch(struct bt_ctx *x)
{
	const ZydisDecodedInstruction *in = x->insn;
	const ZydisDecodedOperand *op = &x->ops[0];

	if (in->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR || in->mnemonic == ZYDIS_MNEMONIC_IRETD) {
		mangle_callout(x, SITE_EXEC, "far transfer");
		x->end = true;
		return;
	}
	bool o16 = in->operand_width == 16;
	x->how = HOW_BRANCH;
	x->end = true;
	if (in->mnemonic == ZYDIS_MNEMONIC_RET) {
		if (bt_ss_based(x)) /* based SS: mov r8d, [ss:esp] (mangle_mem.c) */
			emit_ss_access(x, o16, REX_R, 0x8b, 0, R_ESP, 0, NULL, 0);
		else
			e_stack_access(&x->e, o16, REX_R, 0x8b, 0, 0); /* mov r8d,[gs:esp] */
		if (o16)
			e_movzx_r8w(&x->e);
		uint32_t imm = in->operand_count_visible ? (uint32_t)op->imm.value.u : 0;
		emit_esp_add(x, (o16 ? 2 : 4) + (int32_t)imm);
		emit_ind_lookup(x, ZYDIS_REGISTER_R8);
		return;
	}
	bool call = in->mnemonic == ZYDIS_MNEMONIC_CALL;
	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		if (call)
			store_return(x);
		bt_emit_exit(x, rel_target(x));
		return;
	}
	if (!emit_load_scratch(x, op, 0, o16)) {
		mangle_callout(x, SITE_UNSUPP, "indirect branch through FS/GS");
		return;
	}
	if (o16)
		e_movzx_r8w(&x->e);
	if (call)
		store_return(x);
	/* jmp/call r32: index with the guest register itself (upper half
	 * zero), so the table load does not wait for the copy into r8d */
	ZydisRegister idx = ZYDIS_REGISTER_R8;
	if (!o16 && op->type == ZYDIS_OPERAND_TYPE_REGISTER && op->reg.value != ZYDIS_REGISTER_ESP)
		idx = ZydisRegisterEncode(ZYDIS_REGCLASS_GPR64,
					  (ZyanU8)ZydisRegisterGetId(op->reg.value));
	emit_ind_lookup(x, idx);
}

/* --- dispatch by construct -------------------------------------------------- */

/* mangle_jcc_insn: Jcc rel8 (7x) or rel16/32 (0F 8x). */
static void mangle_jcc_insn(struct bt_ctx *x, uint8_t op0)
{
	const ZydisDecodedInstruction *in = x->insn;
	int cc = op0 == 0x0f ? x->bytes[in->raw.prefix_count + 1] & 0xf : op0 & 0xf;

	mangle_jcc(x, cc);
}

/* mangle_expand: the translator's own code for the instruction (the
 * expand column of the instruction table, insn.h).  False when there is
 * none or it declines: the entry's callout or the copy follow. */
static bool mangle_expand(struct bt_ctx *x, enum insn_expand e)
{
	uint8_t op0 = x->bytes[x->insn->raw.prefix_count];

	/* virtual-8086 mode: IOPL decides CLI/STI/PUSHF/POPF (#GP below 3) */
	if ((x->blk->mode & BT_MODE_V86) && (e == XP_CLI || e == XP_FLAGS))
		return false;
	switch (e) {
	case XP_NONE:
	case XP_COUNT:
		return false;
	case XP_BRANCH:
		mangle_branch(x);
		return true;
	case XP_JCC:
		mangle_jcc_insn(x, op0);
		return true;
	case XP_LOOP:
		mangle_loop(x, op0);
		return true;
	case XP_PUSH:
		mangle_push(x);
		return true;
	case XP_POP:
		mangle_pop(x);
		return true;
	case XP_PUSHA:
		return mangle_pusha(x);
	case XP_POPA:
		return mangle_popa(x);
	case XP_ENTER:
		mangle_enter(x);
		return true;
	case XP_LEAVE:
		mangle_leave(x);
		return true;
	case XP_MOFFS:
		mangle_moffs(x);
		return true;
	case XP_INCDEC:
		mangle_incdec(x);
		return true;
	case XP_GRP82:
		mangle_copy(x, 0x80);
		return true;
	case XP_PUSH_SEG:
		return mangle_push_seg(x);
	case XP_STRING:
		return mangle_string(x);
	case XP_REP_STRING:
		return mangle_rep_string(x);
	case XP_CLI:
		return mangle_cli(x);
	case XP_FLAGS:
		return mangle_flags(x);
	case XP_MOV_FROM_CR:
		return mangle_mov_from_cr(x);
	case XP_RDTSC:
		return mangle_rdtsc(x);
	case XP_HINT_NOP:
		/* hint NOPs of the guest model (0F 18-1F): nothing to run.  The
		 * host may give the same bytes a meaning: MPX bound-table loads,
		 * CET's RDSSP, CLDEMOTE. */
		x->how = HOW_REWRITE;
		return true;
	}
	return false;
}

/* uses_xmm: an XMM operand, or LDMXCSR/STMXCSR: #UD while CR4.OSFXSR is
 * clear (SDM vol. 3, 13.1). */
static bool uses_xmm(const struct bt_ctx *x)
{
	if (x->insn->mnemonic == ZYDIS_MNEMONIC_LDMXCSR ||
	    x->insn->mnemonic == ZYDIS_MNEMONIC_STMXCSR)
		return true;
	for (unsigned i = 0; i < x->insn->operand_count; i++)
		if (x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetClass(x->ops[i].reg.value) == ZYDIS_REGCLASS_XMM)
			return true;
	return false;
}

/* bt_mangle: decide how the instruction is translated and emit it: by
 * its entry in the instruction table (insn.h), the translator's expansion
 * first, then the callout (the rule in bt->hooks.needed, or an entry that
 * must never be copied), else the copy. */
void bt_mangle(struct bt_ctx *x)
{
	const ZydisDecodedInstruction *in = x->insn;
	const struct insn_rule *r = insn_rule(in);
	const char *why = NULL;
	bool fpu_trap = x->blk->mode & BT_MODE_FPU_TRAP;

	if (in->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) {
		mangle_callout(x, SITE_UD, "not in the guest CPU model");
		return;
	}
	if ((x->blk->mode & BT_MODE_NO_OSFXSR) && uses_xmm(x)) {
		mangle_callout(x, SITE_UD, "SSE with CR4.OSFXSR clear");
		return;
	}
	if (mangle_expand(x, r->expand))
		return;
	if (x->bt->hooks.needed(in, fpu_trap, &why) || (r->flags & INSN_NO_COPY)) {
		mangle_callout(x, SITE_EXEC, why && *why ? why : r->why);
		if (r->flags & INSN_ENDS_BLOCK)
			x->end = true;
		return;
	}
	mangle_copy(x, -1);
}

/* bt_mangle_ud: bytes Zydis cannot decode: raise #UD when reached. */
void bt_mangle_ud(struct bt_ctx *x)
{
	mangle_callout(x, SITE_UD, "undefined opcode");
}
