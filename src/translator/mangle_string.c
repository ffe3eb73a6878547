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
 * r8 = step, r9 = data, r10/r11 = address.  REP forms, 16-bit addressing
 * and string I/O stay callouts.
 */
#include "translator/emit.h"
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
