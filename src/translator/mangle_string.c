/*
 * mangle_string.c - single (non-REP) string instructions expanded inline
 * (DESIGN.md §3.2): MOVS, STOS, LODS, CMPS, SCAS, byte/word/dword.
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
#include "monitor/util.h"

static const int8_t df_step[3] = {-1, 0, 1};

/* emit_df_step: r8 = -1 (DF=1) or +1 (DF=0), flag-free; rax, rsi kept. */
static void emit_df_step(struct bt_ctx *x)
{
	static const uint8_t a[] = {0x49, 0x89, 0xc1,	    /* mov r9, rax */
				    0x49, 0x89, 0xf2,	    /* mov r10, rsi */
				    0x48, 0xbe};	    /* movabs rsi, imm64 */
	static const uint8_t b[] = {0xac,		    /* lodsb */
				    0x4c, 0x0f, 0xbe, 0x06, /* movsx r8, byte [rsi] */
				    0x4c, 0x89, 0xd6,	    /* mov rsi, r10 */
				    0x4c, 0x89, 0xc8};	    /* mov rax, r9 */
	e_bytes(&x->e, a, sizeof(a));
	e64(&x->e, (uint64_t)(uintptr_t)&df_step[1]);
	e_bytes(&x->e, b, sizeof(b));
}

/* emit_advance: lea reg, [reg + r8*size] with 0x67 (32-bit wrap). */
static void emit_advance(struct bt_ctx *x, int reg, int size)
{
	int scale = size == 4 ? 2 : size == 2 ? 1 : 0;
	e8(&x->e, 0x67);
	e8(&x->e, REX_X);
	e8(&x->e, 0x8d);
	e8(&x->e, (uint8_t)(reg << 3 | 4));
	e8(&x->e, (uint8_t)(scale << 6 | 0 << 3 | reg));
}

/* emit_str_access: [66] opc modrm(data, [seg:areg]) as a guest access:
 * flat: "65 67 [rex] opc [areg]"; based: "mov r11d, areg; mov r10d,
 * [base]; lea r11d, [r11+r10]; 65 67 rex+B opc [r11]".  data is a host
 * register (0-15); rex carries REX.R for r8-r15 and forces a REX for byte
 * access to r9b. */
static void emit_str_access(struct bt_ctx *x, int seg, bool based, int areg, bool o16, uint8_t opc,
			    int data)
{
	uint8_t rex = data & 8 ? REX_R : 0;

	if (based) {
		static const uint8_t mov_r10[] = {0x45, 0x8b, 0x94, 0x24};
		static const uint8_t add[] = {0x67, 0x47, 0x8d, 0x1c, 0x13};
		e8(&x->e, REX_B); /* mov r11d, areg */
		e8(&x->e, 0x89);
		e8(&x->e, (uint8_t)(0xc0 | areg << 3 | 3));
		e_bytes(&x->e, mov_r10, sizeof(mov_r10));
		e32(&x->e, BTC_SEG_BASE + 4 * seg);
		e_bytes(&x->e, add, sizeof(add));
	}
	if (o16)
		e8(&x->e, 0x66);
	e8(&x->e, 0x65);
	e8(&x->e, 0x67);
	if (based)
		rex |= REX_B;
	if (rex)
		e8(&x->e, (uint8_t)(0x40 | rex));
	e8(&x->e, opc);
	e8(&x->e, (uint8_t)((data & 7) << 3 | (based ? 3 : areg)));
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
	uint8_t mov_ld = wide ? 0x8b : 0x8a, mov_st = wide ? 0x89 : 0x88, cmp = wide ? 0x3b : 0x3a;

	x->how = HOW_REWRITE;
	if ((op & ~1) == 0xac && !sb) { /* LODS, flat source: the host's own */
		if (o16)
			e8(&x->e, 0x66);
		e8(&x->e, 0x65);
		e8(&x->e, 0x67);
		e8(&x->e, op);
		return true;
	}
	emit_df_step(x);
	switch (op & ~1) {
	case 0xa4: /* MOVS: r9 = [src:esi]; [es:edi] = r9 */
		emit_str_access(x, ss, sb, R_ESI, o16, mov_ld, 9);
		emit_str_access(x, S_ES, db, R_EDI, o16, mov_st, 9);
		break;
	case 0xa6: /* CMPS: cmp [src:esi], [es:edi] */
		emit_str_access(x, ss, sb, R_ESI, o16, mov_ld, 9);
		emit_str_access(x, S_ES, db, R_EDI, o16, cmp, 9);
		break;
	case 0xaa: /* STOS */
		emit_str_access(x, S_ES, db, R_EDI, o16, mov_st, R_EAX);
		break;
	case 0xac: /* LODS through a based source */
		emit_str_access(x, ss, sb, R_ESI, o16, mov_ld, R_EAX);
		break;
	case 0xae: /* SCAS: cmp eAX, [es:edi] */
		emit_str_access(x, S_ES, db, R_EDI, o16, cmp, R_EAX);
		break;
	}
	if ((op & ~1) == 0xa4 || (op & ~1) == 0xa6 || (op & ~1) == 0xac)
		emit_advance(x, R_ESI, size);
	if ((op & ~1) != 0xac)
		emit_advance(x, R_EDI, size);
	return true;
}
