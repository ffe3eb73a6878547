/*
 * mangle_string.c - single (non-REP) string instructions expanded inline
 * (docs/design.md §3.2): MOVS, STOS, LODS, CMPS, SCAS, byte/word/dword.
 *
 * ES:EDI cannot take the GS override a guest access needs, so each access
 * is emitted as an ordinary MOV/CMP through [gs:esi] / [gs:edi] (or, for
 * a based segment, through r11 = register + base).  Then ESI/EDI advance
 * by +-size according to DF, which lives in the host RFLAGS and must be
 * read without touching the arithmetic flags.  The host's own LODSB does
 * that: with RSI pointing at the middle of {-1, 0, +1} it steps RSI to the
 * entry that holds the step, which MOVSX loads into r8:
 *
 *   mov r9, rax ; mov r10, rsi ; movabs rsi, &df_step[1] ; lodsb
 *   movsx r8, byte [rsi] ; mov rsi, r10 ; mov rax, r9
 *   ... the accesses ...
 *   lea esi, [esi + r8d*size] ; lea edi, [edi + r8d*size]   (0x67)
 *
 * So DF needs no shadow copy and no block key, whatever set it (CLD/STD,
 * POPF, IRET, a callout).  Every access comes before ESI/EDI/EAX change,
 * so a fault leaves the guest before the instruction (§3.5).  Scratch:
 * r8 = step, r9 = data, r10/r11 = address.
 *
 * REP MOVS and REP STOS on flat segments with DF=0 (kernels clearing and
 * copying pages) run as the host's own REP MOVS/STOS on the guest view:
 *
 *   mov r9, rsp ; mov rsp, [r12+BTC_MON_RSP] ; pushfq      guest flags kept
 *   test byte [rsp+1], 4 ; jnz slow                        DF=1: callout
 *   mov ecx, ecx ; mov edi, edi ; add rdi, [r12+BTC_GS_BASE]  (and RSI)
 *   rep stos/movs                                          the work
 *   sub rdi, [r12+BTC_GS_BASE] ; mov edi, edi              (and RSI)
 *   popfq ; mov rsp, r9 ; jmp done
 *   slow: mov rsp, [r12+BTC_MON_RSP] ; lea rsp, [rsp-8]    (the same RSP)
 *         popfq ; mov rsp, r9 ; <callout>
 *   done:
 *
 * The REP instruction is the only one that touches guest memory.  A fault
 * on it that the shadow fills resumes it where it stopped (RDI, RSI, RCX
 * hold its progress); any other fault leaves through the signal handler,
 * which first gives the registers back their guest values (fault.c,
 * fault_rep_fixup): EDI/ESI from the host pointers, flags from the pushed
 * copy, ESP from r9.  The guest sees an interrupted REP, as the
 * architecture allows.  Running up past 4 GiB meets the guard page above
 * the view, which leaves for the emulator like any wrapping access.  CMPS,
 * SCAS, LODS, 16-bit addressing, based segments and string I/O with REP
 * stay callouts.
 */
#include "translator/emit.h"
#include "translator/bt_offsets.h"
#include "monitor/base/util.h"

#define R(name) ZYDIS_REGISTER_##name

static const int8_t df_step[3] = {-1, 0, 1};

/* mov2: mov a, b (no prefixes). */
static void mov2(struct bt_ctx *x, ZydisEncoderOperand a, ZydisEncoderOperand b)
{
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, 0, a, b);
}

/* emit_df_step: r8 = -1 (DF=1) or +1 (DF=0), flag-free; rax, rsi kept. */
static void emit_df_step(struct bt_ctx *x)
{
	mov2(x, enc_reg(R(R9)), enc_reg(R(RAX)));
	mov2(x, enc_reg(R(R10)), enc_reg(R(RSI)));
	mov2(x, enc_reg(R(RSI)), enc_imm((int64_t)(uintptr_t)&df_step[1]));
	e_insn(&x->e, ZYDIS_MNEMONIC_LODSB, 0, 0, NULL); /* al = [rsi], rsi +-= 1 */
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOVSX, 0, enc_reg(R(R8)), enc_mem(1, R(RSI), R(NONE), 0, 0));
	mov2(x, enc_reg(R(RSI)), enc_reg(R(R10)));
	mov2(x, enc_reg(R(RAX)), enc_reg(R(R9)));
}

/* emit_advance: lea reg, [reg + r8d*size] with 0x67 (32-bit wrap); reg is
 * a guest register number. */
static void emit_advance(struct bt_ctx *x, int reg, int size)
{
	ZydisRegister r = enc_gpr(32, reg);
	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(r), enc_mem(4, r, R(R8D), (unsigned)size, 0));
}

/* emit_str_access: "mn data, [seg:areg]" (store: "mn [seg:areg], data") as
 * a guest access of size bytes: flat: "65 67 mn .. [areg]"; based: "mov
 * r11d, areg; mov r10d, [base]; lea r11d, [r11+r10]; 65 67 mn .. [r11d]".
 * data is a host register number (0-15), areg a guest one. */
static void emit_str_access(struct bt_ctx *x, int seg, bool based, int areg, int size,
			    ZydisMnemonic mn, bool store, int data)
{
	ZydisRegister a = enc_gpr(32, areg);

	if (based) {
		mov2(x, enc_reg(R(R11D)), enc_reg(a));
		emit_seg_base_add(x, seg, R(R11D), R(R10D));
		a = R(R11D);
	}
	ZydisEncoderOperand m = enc_mem((unsigned)size, a, R(NONE), 0, 0);
	ZydisEncoderOperand d = enc_reg(enc_gpr((unsigned)size * 8, data));
	if (store)
		e_insn2(&x->e, mn, ZYDIS_ATTRIB_HAS_SEGMENT_GS, m, d);
	else
		e_insn2(&x->e, mn, ZYDIS_ATTRIB_HAS_SEGMENT_GS, d, m);
}

/* emit_lods_flat: the host's own LODS through [gs:esi] (65 67 [66] ac/ad). */
static void emit_lods_flat(struct bt_ctx *x, int size)
{
	ZydisEncoderRequest req;

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.mnemonic = size == 1   ? ZYDIS_MNEMONIC_LODSB
		       : size == 2 ? ZYDIS_MNEMONIC_LODSW
				   : ZYDIS_MNEMONIC_LODSD;
	req.prefixes = ZYDIS_ATTRIB_HAS_SEGMENT_GS;
	req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
	e_enc(&x->e, &req);
}

/* src_seg: the segment of the source operand [esi]: DS or the override. */
static int src_seg(const struct bt_ctx *x)
{
	for (int i = 0; i < x->insn->operand_count; i++) {
		const ZydisDecodedOperand *op = &x->ops[i];
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.base != ZYDIS_REGISTER_ESI)
			continue;
		switch (op->mem.segment) {
		case ZYDIS_REGISTER_ES:
			return S_ES;
		case ZYDIS_REGISTER_CS:
			return S_CS;
		case ZYDIS_REGISTER_SS:
			return S_SS;
		case ZYDIS_REGISTER_FS:
			return S_FS;
		case ZYDIS_REGISTER_GS:
			return S_GS;
		default:
			return S_DS;
		}
	}
	return S_DS;
}

/* seg_is_based: as mangle_mem.c decides: FS/GS always, others by mode. */
static bool seg_is_based(const struct bt_ctx *x, int seg)
{
	return seg == S_FS || seg == S_GS || (x->blk->mode & BT_MODE_SEG_BASED(seg));
}

/* mangle_string: see emit.h. */
bool mangle_string(struct bt_ctx *x)
{
	const ZydisDecodedInstruction *in = x->insn;
	uint8_t op = x->bytes[in->raw.prefix_count];

	if (in->meta.category != ZYDIS_CATEGORY_STRINGOP ||
	    in->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT || op < 0xa4 || op > 0xaf ||
	    in->address_width != 32 ||
	    (in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
			       ZYDIS_ATTRIB_HAS_REPNE | ZYDIS_ATTRIB_HAS_LOCK)))
		return false;
	bool wide = op & 1, o16 = wide && in->operand_width == 16;
	int size = !wide ? 1 : o16 ? 2 : 4;
	int ss = src_seg(x);
	bool sb = seg_is_based(x, ss), db = seg_is_based(x, S_ES);
	const ZydisMnemonic mov = ZYDIS_MNEMONIC_MOV, cmp = ZYDIS_MNEMONIC_CMP;

	x->how = HOW_REWRITE;
	if ((op & ~1) == 0xac && !sb) { /* LODS, flat source: the host's own */
		emit_lods_flat(x, size);
		return true;
	}
	emit_df_step(x);
	switch (op & ~1) {
	case 0xa4: /* MOVS: r9 = [src:esi]; [es:edi] = r9 */
		emit_str_access(x, ss, sb, R_ESI, size, mov, false, 9);
		emit_str_access(x, S_ES, db, R_EDI, size, mov, true, 9);
		break;
	case 0xa6: /* CMPS: cmp [src:esi], [es:edi] */
		emit_str_access(x, ss, sb, R_ESI, size, mov, false, 9);
		emit_str_access(x, S_ES, db, R_EDI, size, cmp, false, 9);
		break;
	case 0xaa: /* STOS */
		emit_str_access(x, S_ES, db, R_EDI, size, mov, true, R_EAX);
		break;
	case 0xac: /* LODS through a based source */
		emit_str_access(x, ss, sb, R_ESI, size, mov, false, R_EAX);
		break;
	case 0xae: /* SCAS: cmp eAX, [es:edi] */
		emit_str_access(x, S_ES, db, R_EDI, size, cmp, false, R_EAX);
		break;
	}
	if ((op & ~1) == 0xa4 || (op & ~1) == 0xa6 || (op & ~1) == 0xac)
		emit_advance(x, R_ESI, size);
	if ((op & ~1) != 0xac)
		emit_advance(x, R_EDI, size);
	return true;
}

/* e_rep_op: the host's REP MOVS/STOS of size bytes, 64-bit addressing. */
static void e_rep_op(struct bt_ctx *x, bool movs, int size)
{
	static const ZydisMnemonic mn[2][3] = {
	    {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD},
	    {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD}};
	ZydisEncoderRequest req;

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.mnemonic = mn[movs][size == 1 ? 0 : size == 2 ? 1 : 2];
	req.prefixes = ZYDIS_ATTRIB_HAS_REP;
	e_enc(&x->e, &req);
}

/* e_view_ptr: reg (a guest register number) between guest offset and host
 * pointer: add (to_host) or sub the view's base, then 32 bits again. */
static void e_view_ptr(struct bt_ctx *x, int reg, bool to_host)
{
	ZydisRegister r32 = enc_gpr(32, reg), r64 = enc_gpr(64, reg);
	ZydisEncoderOperand base = enc_mem(8, R(R12), R(NONE), 0, BTC_GS_BASE);

	if (to_host) {
		mov2(x, enc_reg(r32), enc_reg(r32));
		e_insn2(&x->e, ZYDIS_MNEMONIC_ADD, 0, enc_reg(r64), base);
	} else {
		e_insn2(&x->e, ZYDIS_MNEMONIC_SUB, 0, enc_reg(r64), base);
		mov2(x, enc_reg(r32), enc_reg(r32));
	}
}

/* e_flags_back: popfq ; mov rsp, r9 (guest flags and stack again). */
static void e_flags_back(struct bt_ctx *x)
{
	e_insn(&x->e, ZYDIS_MNEMONIC_POPFQ, 0, 0, NULL);
	mov2(x, enc_reg(R(RSP)), enc_reg(R(R9)));
}

/* mangle_rep_string: see emit.h and the top of this file. */
bool mangle_rep_string(struct bt_ctx *x)
{
	const ZydisDecodedInstruction *in = x->insn;
	uint8_t op = x->bytes[in->raw.prefix_count];
	bool movs = (op & ~1) == 0xa4;

	if (in->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT ||
	    ((op & ~1) != 0xa4 && (op & ~1) != 0xaa) || in->address_width != 32 ||
	    !(in->attributes & ZYDIS_ATTRIB_HAS_REP) || (in->attributes & ZYDIS_ATTRIB_HAS_LOCK) ||
	    seg_is_based(x, S_ES) || (movs && seg_is_based(x, src_seg(x))))
		return false;
	int size = !(op & 1) ? 1 : in->operand_width == 16 ? 2 : 4;

	mov2(x, enc_reg(R(R9)), enc_reg(R(RSP)));
	mov2(x, enc_reg(R(RSP)), enc_mem(8, R(R12), R(NONE), 0, BTC_MON_RSP));
	e_insn(&x->e, ZYDIS_MNEMONIC_PUSHFQ, 0, 0, NULL);
	e_insn2(&x->e, ZYDIS_MNEMONIC_TEST, 0, enc_mem(1, R(RSP), R(NONE), 0, 1), enc_imm(4));
	e_jshort(&x->e, ZYDIS_MNEMONIC_JNZ, 0);
	uint8_t *to_slow = x->e.p;
	mov2(x, enc_reg(R(ECX)), enc_reg(R(ECX)));
	e_view_ptr(x, R_EDI, true);
	if (movs)
		e_view_ptr(x, R_ESI, true);
	e_rep_op(x, movs, size);
	e_view_ptr(x, R_EDI, false);
	if (movs)
		e_view_ptr(x, R_ESI, false);
	e_flags_back(x);
	e_jshort(&x->e, ZYDIS_MNEMONIC_JMP, 0);
	uint8_t *to_done = x->e.p;
	if (!x->e.full && !e_patch_rel8(to_slow, x->e.p))
		die("rep string: slow path out of rel8 reach");
	/* RSP again from r12 (it is the same): each path reads as trusted */
	mov2(x, enc_reg(R(RSP)), enc_mem(8, R(R12), R(NONE), 0, BTC_MON_RSP));
	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(R(RSP)), enc_mem(8, R(RSP), R(NONE), 0, -8));
	e_flags_back(x);
	mangle_callout(x, SITE_EXEC, "rep string with DF=1");
	if (!x->e.full && !e_patch_rel8(to_done, x->e.p))
		die("rep string: end out of rel8 reach");
	x->how = HOW_REWRITE;
	x->why = "inline: the host's REP on the guest view; DF=1: callout";
	return true;
}

bool bt_rep_string_at(const uint8_t *pc, bool *movs)
{
	bool rep = false;

	for (; *pc == 0x66 || *pc == 0xf3; pc++)
		rep |= *pc == 0xf3;
	*movs = (*pc & ~1) == 0xa4;
	return rep && ((*pc & ~1) == 0xa4 || (*pc & ~1) == 0xaa);
}
