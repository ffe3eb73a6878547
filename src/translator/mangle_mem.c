/*
 * mangle_mem.c - guest memory operands (DESIGN.md §3.2): every access goes
 * through the GS base with a 0x67 address-size prefix; FS/GS-based accesses
 * compute the linear address with flag-free LEAs; innocuous instructions
 * with memory operands are copied with their ModRM/SIB re-encoded.
 */
#include "translator/emit.h"
#include "monitor/util.h"

/* --- memory operands ------------------------------------------------------- */

/* mem_operand: the explicit memory operand (not LEA's), or NULL. */
static const ZydisDecodedOperand *mem_operand(const struct bt_ctx *x)
{
	for (int i = 0; i < x->insn->operand_count; i++) {
		const ZydisDecodedOperand *op = &x->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && op->mem.type == ZYDIS_MEMOP_TYPE_MEM &&
		    op->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
			return op;
	}
	return NULL;
}

/* emit_modrm_ea: ModRM (with reg) + SIB + displacement of the guest's
 * addressing form; [disp32] (mod 00 rm 101, RIP-relative in 64-bit mode) is
 * re-encoded with a SIB byte that has neither base nor index. */
static void emit_modrm_ea(struct bt_ctx *x, int reg)
{
	const ZydisDecodedInstruction *in = x->insn;
	uint8_t mod = in->raw.modrm.mod, rm = in->raw.modrm.rm;

	if (mod == 0 && rm == 5) {
		e8(&x->e, (uint8_t)((reg & 7) << 3 | 4));
		e8(&x->e, 0x25);
		e32(&x->e, (uint32_t)in->raw.disp.value);
		return;
	}
	e8(&x->e, (uint8_t)(mod << 6 | (reg & 7) << 3 | rm));
	if (rm == 4)
		e8(&x->e, x->bytes[in->raw.sib.offset]);
	if (in->raw.disp.size)
		e_bytes(&x->e, x->bytes + in->raw.disp.offset, in->raw.disp.size / 8);
}

/* uses_high_byte_reg: an operand is AH, CH, DH or BH (no REX possible). */
static bool uses_high_byte_reg(const struct bt_ctx *x)
{
	for (int i = 0; i < x->insn->operand_count; i++) {
		ZydisRegister r = x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER
				      ? x->ops[i].reg.value
				      : ZYDIS_REGISTER_NONE;
		if (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH ||
		    r == ZYDIS_REGISTER_BH)
			return true;
	}
	return false;
}

/* seg_index: S_FS/S_GS for an FS/GS operand, else -1 (flat DS/ES/SS/CS). */
static int seg_index(ZydisRegister s)
{
	if (s == ZYDIS_REGISTER_FS)
		return S_FS;
	if (s == ZYDIS_REGISTER_GS)
		return S_GS;
	return -1;
}

/* emit_mem_insn: the instruction mi with the guest memory operand made a
 * guest access: "65 67 ... [ea]" for flat segments; for FS/GS,
 * "lea r11d,[ea]; mov r10d,[seg base]; lea r11d,[r11+r10]" (flag-free,
 * 32-bit wrap) then "65 67 ... [r11]".  Returns false if it cannot encode
 * (FS/GS with AH..BH). */
bool emit_mem_insn(struct bt_ctx *x, const struct mem_insn *mi)
{
	const ZydisDecodedOperand *mop = mem_operand(x);
	int seg = mop ? seg_index(mop->mem.segment) : -1;

	if (seg < 0) {
		e8(&x->e, 0x65);
		e8(&x->e, 0x67);
		e_bytes(&x->e, mi->pfx, mi->npfx);
		if (mi->rex)
			e8(&x->e, mi->rex);
		e_bytes(&x->e, mi->opc, mi->nopc);
		emit_modrm_ea(x, mi->reg);
		e_bytes(&x->e, mi->tail, mi->ntail);
		return true;
	}
	if (mi->rex == 0 && uses_high_byte_reg(x))
		return false;
	static const uint8_t lea_r11[] = {0x67, 0x44, 0x8d};
	static const uint8_t mov_r10[] = {0x45, 0x8b, 0x94, 0x24};
	static const uint8_t add[] = {0x67, 0x47, 0x8d, 0x1c, 0x13};
	x->how = HOW_REWRITE;
	e_bytes(&x->e, lea_r11, sizeof(lea_r11));
	emit_modrm_ea(x, 3);
	e_bytes(&x->e, mov_r10, sizeof(mov_r10));
	e32(&x->e, BTC_SEG_BASE + 4 * seg);
	e_bytes(&x->e, add, sizeof(add));
	e8(&x->e, 0x65);
	e8(&x->e, 0x67);
	e_bytes(&x->e, mi->pfx, mi->npfx);
	e8(&x->e, (uint8_t)(0x40 | mi->rex | REX_B));
	e_bytes(&x->e, mi->opc, mi->nopc);
	e8(&x->e, (uint8_t)((mi->reg & 7) << 3 | 3));
	e_bytes(&x->e, mi->tail, mi->ntail);
	return true;
}

/* kept_prefixes: the guest's legacy prefixes minus segment overrides. */
static int kept_prefixes(const struct bt_ctx *x, uint8_t *out)
{
	int n = 0;
	for (int i = 0; i < x->insn->raw.prefix_count; i++) {
		uint8_t p = x->bytes[i];
		if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x64 || p == 0x65)
			continue;
		out[n++] = p;
	}
	return n;
}

/* emit_load_scratch: mov rN(d), guest operand `op` (register or memory),
 * rN = r8 (reg 0) or r11 (reg 3); 32 or 16 bits (o16). */
bool emit_load_scratch(struct bt_ctx *x, const ZydisDecodedOperand *op, int reg, bool o16)
{
	static const uint8_t p66 = 0x66, mov_load = 0x8b;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int g = ZydisRegisterGetId(op->reg.value) & 7;
		if (o16)
			e8(&x->e, 0x66);
		e8(&x->e, REX_B);
		e8(&x->e, 0x89);
		e8(&x->e, (uint8_t)(0xc0 | g << 3 | reg));
		return true;
	}
	struct mem_insn mi = {
	    .pfx = &p66, .npfx = o16, .rex = REX_R, .opc = &mov_load, .nopc = 1, .reg = reg};
	return emit_mem_insn(x, &mi);
}

/* --- copied and re-encoded instructions ------------------------------------ */

/* mangle_copy: an innocuous instruction; memory operands become guest
 * accesses.  opcode0 >= 0 replaces the first opcode byte (0x82 -> 0x80). */
void mangle_copy(struct bt_ctx *x, int opcode0)
{
	const ZydisDecodedInstruction *in = x->insn;
	bool has_modrm = in->attributes & ZYDIS_ATTRIB_HAS_MODRM;
	bool is_lea = in->mnemonic == ZYDIS_MNEMONIC_LEA;
	uint8_t pfx[16], opc[4];
	int npfx = kept_prefixes(x, pfx);
	int op_start = in->raw.prefix_count;

	if (!has_modrm || in->raw.modrm.mod == 3 ||
	    (is_lea && !(in->raw.modrm.mod == 0 && in->raw.modrm.rm == 5))) {
		x->how = HOW_COPY;
		e_bytes(&x->e, x->bytes, in->length);
		if (opcode0 >= 0 && !x->e.full) {
			x->e.p[op_start - in->length] = (uint8_t)opcode0;
			x->how = HOW_REWRITE;
		}
		return;
	}
	int nopc = in->raw.modrm.offset - op_start;
	memcpy(opc, x->bytes + op_start, nopc);
	if (opcode0 >= 0)
		opc[0] = (uint8_t)opcode0;
	int tail = in->raw.imm[0].size ? in->raw.imm[0].offset : in->length;
	if (is_lea) {
		e_bytes(&x->e, pfx, npfx);
		e_bytes(&x->e, opc, nopc);
		emit_modrm_ea(x, in->raw.modrm.reg);
		x->how = HOW_REWRITE;
		return;
	}
	struct mem_insn mi = {.pfx = pfx,
			      .npfx = npfx,
			      .opc = opc,
			      .nopc = nopc,
			      .reg = in->raw.modrm.reg,
			      .tail = x->bytes + tail,
			      .ntail = in->length - tail};
	x->how = HOW_COPY; /* emit_mem_insn says "rewritten" for FS/GS */
	if (!emit_mem_insn(x, &mi))
		mangle_callout(x, SITE_UNSUPP, "FS/GS operand with AH..BH");
}

/* mangle_moffs: MOV A0-A3 and XLAT: no ModRM, 0x67 makes the offset 32-bit. */
void mangle_moffs(struct bt_ctx *x)
{
	const ZydisDecodedOperand *mop = NULL;
	for (int i = 0; i < x->insn->operand_count; i++)
		if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mop = &x->ops[i];
	uint8_t pfx[16];
	int npfx = kept_prefixes(x, pfx);
	int seg = mop ? seg_index(mop->mem.segment) : -1;
	if (seg >= 0) {
		uint8_t op = x->bytes[x->insn->raw.prefix_count];
		if (x->insn->mnemonic == ZYDIS_MNEMONIC_XLAT) {
			mangle_callout(x, SITE_UNSUPP, "XLAT with FS/GS");
			return;
		}
		/* mov r11d,[r12+base]; lea r11d,[r11+moffs]; A0-A3 -> 8A/8B/88/89 [r11] */
		static const uint8_t mov_r11[] = {0x45, 0x8b, 0x9c, 0x24};
		static const uint8_t lea[] = {0x67, 0x45, 0x8d, 0x9b};
		static const uint8_t opc[] = {0x8a, 0x8b, 0x88, 0x89};
		e_bytes(&x->e, mov_r11, sizeof(mov_r11));
		e32(&x->e, BTC_SEG_BASE + 4 * seg);
		e_bytes(&x->e, lea, sizeof(lea));
		e32(&x->e, (uint32_t)x->insn->raw.disp.value);
		e8(&x->e, 0x65);
		e8(&x->e, 0x67);
		e_bytes(&x->e, pfx, npfx);
		e8(&x->e, REX_B);
		e8(&x->e, opc[op - 0xa0]);
		e8(&x->e, 0x03);
		x->how = HOW_REWRITE;
		return;
	}
	e8(&x->e, 0x65);
	e8(&x->e, 0x67);
	e_bytes(&x->e, pfx, npfx);
	e_bytes(&x->e, x->bytes + x->insn->raw.prefix_count,
		x->insn->length - x->insn->raw.prefix_count);
	x->how = HOW_REWRITE;
}

