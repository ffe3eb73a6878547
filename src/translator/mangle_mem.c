/*
 * mangle_mem.c - guest memory operands (docs/design.md §3.2): every access goes
 * through the GS base with a 0x67 address-size prefix.  Accesses through a
 * segment with a base (FS/GS always; DS/ES/SS/CS when the block's mode says
 * so) and 16-bit addressing compute the linear address into r11 with
 * flag-free LEAs and access [gs:r11d].  Innocuous instructions with memory
 * operands are copied with their ModRM/SIB re-encoded.
 *
 * Scratch use: r11 = address, r10 = segment base, r9 = AH..BH stand-in;
 * the stack helpers (emit_ss_access) use r9/r10 only, so a value in r8 or
 * r11 survives them.
 */
#include "translator/emit.h"
#include "monitor/base/util.h"

#include <string.h>

#define R(name) ZYDIS_REGISTER_##name

/* movzx_r11_r11w: r11d = r11w (the 16-bit effective address). */
static void movzx_r11_r11w(struct bt_ctx *x)
{
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(R(R11D)), enc_reg(R(R11W)));
}

/* --- segments and the mode key ----------------------------------------------- */

/* bt_seg_mode: one BT_MODE_SEG_BASED bit per DS/ES/SS/CS with base != 0.
 * Limits are not part of it: translated code does not check them. */
uint32_t bt_seg_mode(const struct vcpu *v)
{
	static const int segs[] = {S_ES, S_CS, S_SS, S_DS};
	uint32_t mode = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
		if (v->seg[segs[i]].base != 0)
			mode |= BT_MODE_SEG_BASED(segs[i]);
	return mode;
}

/* seg_of: the S_* index of a segment register, -1 for none. */
static int seg_of(ZydisRegister r)
{
	switch (r) {
	case ZYDIS_REGISTER_ES:
		return S_ES;
	case ZYDIS_REGISTER_CS:
		return S_CS;
	case ZYDIS_REGISTER_SS:
		return S_SS;
	case ZYDIS_REGISTER_DS:
		return S_DS;
	case ZYDIS_REGISTER_FS:
		return S_FS;
	case ZYDIS_REGISTER_GS:
		return S_GS;
	default:
		return -1;
	}
}

/* seg_based: accesses through seg must add its base in this block. */
static bool seg_based(const struct bt_ctx *x, int seg)
{
	if (seg == S_FS || seg == S_GS)
		return true;
	return seg >= 0 && (x->blk->mode & BT_MODE_SEG_BASED(seg));
}

/* bt_ss_based: stack accesses need the computed-address path: SS has a
 * base, or SS is 16-bit (the address wraps at 64 KiB, emit_ss_access). */
bool bt_ss_based(const struct bt_ctx *x)
{
	return seg_based(x, S_SS) || (x->blk->mode & BT_MODE_SS16);
}

/* emit_esp_add: ESP += d, flag-free: "lea esp,[esp+d]" (0x67: wraps at
 * 4 GiB), or with a 16-bit SS "lea sp,[esp+d]", which writes SP only and
 * leaves ESP's upper half as the CPU does. */
void emit_esp_add(struct bt_ctx *x, int32_t d)
{
	if (!(x->blk->mode & BT_MODE_SS16)) {
		e_lea_esp(&x->e, d);
		return;
	}
	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(R(SP)), enc_mem(4, R(ESP), R(NONE), 0, d));
}

/* emit_seg_base_add: "mov tmp, [r12 + seg_base[seg]]; lea addr, [addr +
 * tmp]" (32-bit registers, the LEA wraps at 4 GiB). */
void emit_seg_base_add(struct bt_ctx *x, int seg, ZydisRegister addr, ZydisRegister tmp)
{
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, 0, enc_reg(tmp),
		enc_mem(4, R(R12), R(NONE), 0, BTC_SEG_BASE + 4 * seg));
	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(addr), enc_mem(4, addr, tmp, 1, 0));
}

/* emit_add_seg_base: r11d += base of seg (flag-free, r10 scratch), if seg
 * is based. */
static void emit_add_seg_base(struct bt_ctx *x, int seg)
{
	if (seg_based(x, seg))
		emit_seg_base_add(x, seg, R(R11D), R(R10D));
}

/* --- memory operands --------------------------------------------------------- */

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

/* reg64_of: the 64-bit register holding a 16/32-bit guest register, or
 * none. */
static ZydisRegister reg64_of(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return r;
	return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
}

/* emit_lea_a16: lea dst, [base64 + index64 + disp] for a 16-bit addressing
 * form (BX/BP/SI/DI + disp16): its low 16 bits are the 16-bit effective
 * address.  dst is a 16- or 32-bit host register. */
static void emit_lea_a16(struct bt_ctx *x, const ZydisDecodedOperand *mop, ZydisRegister dst)
{
	ZydisRegister b = reg64_of(mop->mem.base), i = reg64_of(mop->mem.index);

	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(dst),
		enc_mem(8, b, i, 1, (int32_t)mop->mem.disp.value));
}

/* emit_ea_r11: r11d = the guest effective address of mop (16- or 32-bit
 * addressing), plus adj when the base register is ESP (folded into the
 * displacement: the sum wraps at 4 GiB like the address). */
static void emit_ea_r11(struct bt_ctx *x, const ZydisDecodedOperand *mop, int32_t adj)
{
	if (x->insn->address_width == 16) {
		emit_lea_a16(x, mop, R(R11D));
		movzx_r11_r11w(x);
		return;
	}
	uint32_t d = (uint32_t)mop->mem.disp.value;
	if (mop->mem.base == ZYDIS_REGISTER_ESP)
		d += (uint32_t)adj;
	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(R(R11D)),
		enc_mem(4, mop->mem.base, mop->mem.index, mop->mem.scale, (int32_t)d));
}

/* high_byte_op: the ModRM.reg operand if it is AH/CH/DH/BH (-> *gpr =
 * EAX..EBX), else NULL. */
static const ZydisDecodedOperand *high_byte_op(const struct bt_ctx *x, int *gpr)
{
	static const ZydisRegister hb[] = {ZYDIS_REGISTER_AH, ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH,
					   ZYDIS_REGISTER_BH};
	for (int i = 0; i < x->insn->operand_count; i++)
		for (int r = 0; r < 4; r++)
			if (x->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    x->ops[i].reg.value == hb[r]) {
				*gpr = r;
				return &x->ops[i];
			}
	return NULL;
}

/* emit_rorx: rorx dst32, src32, imm (BMI2: rotate without touching flags). */
static void emit_rorx(struct bt_ctx *x, int dst, int src, uint8_t imm)
{
	ZydisEncoderOperand o[3] = {enc_reg(enc_gpr(32, dst)), enc_reg(enc_gpr(32, src)),
				    enc_imm(imm)};
	e_insn(&x->e, ZYDIS_MNEMONIC_RORX, 0, 3, o);
}

/* emit_access_r11: "65 67 pfx rex+B opc modrm(reg,[r11]) tail".  A ModRM.reg
 * of AH..BH cannot be encoded with the REX that r11 needs: it is replaced
 * by r9b, loaded with "rorx r9d, e?x, 8" and, when written, put back with
 * "rorx e?x, r9d, 24" after the access (flag-free, the access still comes
 * first).  False if that is impossible (no BMI2 on the host). */
static bool emit_access_r11(struct bt_ctx *x, const struct mem_insn *mi)
{
	int gpr = -1;
	const ZydisDecodedOperand *hop = mi->rex ? NULL : high_byte_op(x, &gpr);
	int reg = mi->reg;
	uint8_t rex = (uint8_t)(0x40 | mi->rex | REX_B);

	if (hop) {
		if (hop->encoding != ZYDIS_OPERAND_ENCODING_MODRM_REG ||
		    !__builtin_cpu_supports("bmi2"))
			return false;
		emit_rorx(x, 9, gpr, 8);
		reg = 1;
		rex |= REX_R;
	}
	e_guest_prefix(&x->e);
	e_bytes(&x->e, mi->pfx, mi->npfx);
	e8(&x->e, rex);
	e_bytes(&x->e, mi->opc, mi->nopc);
	e8(&x->e, (uint8_t)((reg & 7) << 3 | 3));
	e_bytes(&x->e, mi->tail, mi->ntail);
	if (hop && (hop->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
		emit_rorx(x, gpr, 9, 24);
	return true;
}

/* emit_mem_insn_adj: the instruction mi with the guest memory operand made
 * a guest access: "65 67 ... [ea]" for a flat segment and 32-bit
 * addressing; otherwise "r11d = ea (+adj) [+ segment base]" then
 * "65 67 ... [r11d]".  adj is added when the base register is ESP.
 * Returns false if it cannot encode (AH..BH without BMI2). */
bool emit_mem_insn_adj(struct bt_ctx *x, const struct mem_insn *mi, int32_t adj)
{
	const ZydisDecodedOperand *mop = mem_operand(x);
	int seg = mop ? seg_of(mop->mem.segment) : -1;
	bool a16 = x->insn->address_width == 16;
	bool esp_adj = adj && mop && mop->mem.base == ZYDIS_REGISTER_ESP;

	if (!mop)
		die("emit_mem_insn: no memory operand at %#x", x->eip);
	if (!a16 && !esp_adj && !seg_based(x, seg)) {
		e_guest_prefix(&x->e);
		e_bytes(&x->e, mi->pfx, mi->npfx);
		if (mi->rex)
			e8(&x->e, mi->rex);
		e_bytes(&x->e, mi->opc, mi->nopc);
		emit_modrm_ea(x, mi->reg);
		e_bytes(&x->e, mi->tail, mi->ntail);
		return true;
	}
	uint8_t *start = x->e.p;
	x->how = HOW_REWRITE;
	emit_ea_r11(x, mop, adj);
	emit_add_seg_base(x, seg);
	if (!emit_access_r11(x, mi)) {
		if (!x->e.full)
			x->e.p = start;
		return false;
	}
	return true;
}

/* emit_mem_insn: emit_mem_insn_adj without an ESP adjustment. */
bool emit_mem_insn(struct bt_ctx *x, const struct mem_insn *mi)
{
	return emit_mem_insn_adj(x, mi, 0);
}

/* osz_flips: the instruction comes from a 16-bit code segment and its
 * operand size follows the segment's default, so the host (default 32)
 * needs the opposite 0x66.  Decided by decoding the same bytes as 32-bit
 * code: the operand width differs exactly when the default matters (not
 * for byte operations, fixed-size forms, or an SSE mandatory 0x66). */
static bool osz_flips(const struct bt_ctx *x)
{
	ZydisDecodedInstruction in32;
	uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH] = {0};

	if (x->blk->mode & BT_MODE_CS32)
		return false;
	/* the 32-bit reading may be longer (imm32, SIB, disp32): decode a
	 * zero-padded copy; only the prefixes and opcode decide the width */
	memcpy(b, x->bytes, MIN(x->avail, sizeof(b)));
	if (ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&x->bt->dec, NULL, b, sizeof(b), &in32)))
		return in32.operand_width != x->insn->operand_width;
	return false;
}

/* host_prefixes: the guest's legacy prefixes as the host needs them in
 * out: 0x66 added (first: F2/F3 stay next to the opcode) or dropped where
 * 16-bit code's operand size needs it (osz_flips); for an instruction with
 * a memory access (mem), also without segment overrides and 0x67 (the
 * access carries its own 0x67).  Returns the count; *flipped (may be
 * NULL): 0x66 was changed. */
static int host_prefixes(const struct bt_ctx *x, bool mem, uint8_t *out, bool *flipped)
{
	bool flip = osz_flips(x);
	int n = 0;

	if (flip && x->insn->operand_width == 16)
		out[n++] = 0x66;
	for (int i = 0; i < x->insn->raw.prefix_count; i++) {
		uint8_t p = x->bytes[i];
		if ((flip && p == 0x66) ||
		    (mem && (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x64 ||
			     p == 0x65 || p == 0x67)))
			continue;
		out[n++] = p;
	}
	if (flipped)
		*flipped = flip;
	return n;
}

/* emit_load_scratch: mov rN(d), guest operand `op` (register or memory),
 * rN = r8 (reg 0) or r11 (reg 3); 32 or 16 bits (o16). */
bool emit_load_scratch(struct bt_ctx *x, const ZydisDecodedOperand *op, int reg, bool o16)
{
	static const uint8_t p66 = 0x66, mov_load = 0x8b;
	unsigned bits = o16 ? 16 : 32;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int g = ZydisRegisterGetId(op->reg.value) & 7;
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, 0, enc_reg(enc_gpr(bits, 8 + reg)),
			enc_reg(enc_gpr(bits, g)));
		return true;
	}
	struct mem_insn mi = {
	    .pfx = &p66, .npfx = o16, .rex = REX_R, .opc = &mov_load, .nopc = 1, .reg = reg};
	return emit_mem_insn(x, &mi);
}

/* --- stack accesses through SS ---------------------------------------------- */

/* emit_ss_access: see emit.h; base is a guest register number (R_ESP or
 * R_EBP); opc is 0x8b (load), 0x89 (store) or 0xc7 (store of the 2- or
 * 4-byte immediate in tail). */
void emit_ss_access(struct bt_ctx *x, bool o16, uint8_t rex, uint8_t opc, int reg, int base,
		    int32_t d, const void *tail, int ntail)
{
	unsigned size = o16 ? 2 : 4;
	ZydisEncoderOperand m = enc_mem(size, R(R10D), R(NONE), 0, 0);
	ZydisEncoderOperand r = enc_reg(enc_gpr(size * 8, (reg & 7) | (rex & REX_R ? 8 : 0)));

	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(R(R10D)),
		enc_mem(4, enc_gpr(32, base), R(NONE), 0, d));
	if (x->blk->mode & BT_MODE_SS16) /* SP/BP + d wraps at 64 KiB */
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(R(R10D)), enc_reg(R(R10W)));
	emit_seg_base_add(x, S_SS, R(R10D), R(R9D));
	if (opc == 0x8b) {
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, r, m);
	} else if (opc == 0x89) {
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, m, r);
	} else if (opc == 0xc7 && tail && ntail == (int)size) {
		int32_t imm = 0;
		if (o16) {
			int16_t v;
			memcpy(&v, tail, 2);
			imm = v;
		} else {
			memcpy(&imm, tail, 4);
		}
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, m, enc_imm(imm));
	} else {
		die("emit_ss_access: opcode %#x with %d tail bytes", opc, ntail);
	}
	x->how = HOW_REWRITE;
}

/* emit_stack_access: e_stack_access, or its based-SS form. */
void emit_stack_access(struct bt_ctx *x, bool o16, uint8_t rex, uint8_t opc, int reg, int8_t d)
{
	if (!bt_ss_based(x))
		e_stack_access(&x->e, o16, rex, opc, reg, d);
	else
		emit_ss_access(x, o16, rex, opc, reg, R_ESP, d, NULL, 0);
}

/* --- copied and re-encoded instructions ------------------------------------ */

/* mangle_lea_a16: LEA with 16-bit addressing: the 16-bit EA into the
 * destination (zero-extended for a 32-bit operand), flag-free. */
static void mangle_lea_a16(struct bt_ctx *x)
{
	const ZydisDecodedOperand *mop = NULL;
	int dst = x->insn->raw.modrm.reg;
	bool o16 = x->insn->operand_width == 16;

	for (int i = 0; i < x->insn->operand_count; i++)
		if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mop = &x->ops[i];
	emit_lea_a16(x, mop, enc_gpr(o16 ? 16 : 32, dst));
	if (!o16) /* movzx dst32, dst16 */
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(enc_gpr(32, dst)),
			enc_reg(enc_gpr(16, dst)));
	x->how = HOW_REWRITE;
}

/* copy_hazard: the isolation rule.  A guest instruction may be copied
 * only if every memory access it makes is its one explicit ModRM operand
 * (which emit_mem_insn makes [gs: 32-bit guest address]) and it reads or
 * writes no state the host CPU holds for itself: segment registers (the
 * host's FS/GS bases, selectors), control, debug and descriptor-table
 * registers, or the x87 pointers (host RIP and addresses); and the
 * instruction table (insn.h) neither forbids the copy nor lists memory it
 * touches beyond that operand.  Returns why x
 * breaks it, or NULL.  Callers route such instructions elsewhere first
 * (callout.c, mangle_*.c); one that still gets here is refused with #UD. */
const char *copy_hazard(const struct bt_ctx *x)
{
	for (unsigned i = 0; i < x->insn->operand_count; i++) {
		const ZydisDecodedOperand *op = &x->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (op->mem.type == ZYDIS_MEMOP_TYPE_AGEN &&
			    x->insn->mnemonic == ZYDIS_MNEMONIC_LEA)
				continue; /* an address, no access */
			if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
			    op->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
				return "hidden memory operand";
			continue;
		}
		if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
			continue;
		switch (ZydisRegisterGetClass(op->reg.value)) {
		case ZYDIS_REGCLASS_SEGMENT:
			return "segment register";
		case ZYDIS_REGCLASS_CONTROL:
		case ZYDIS_REGCLASS_DEBUG:
		case ZYDIS_REGCLASS_TEST:
		case ZYDIS_REGCLASS_BOUND:
			return "system register";
		case ZYDIS_REGCLASS_IP:
			return "instruction pointer";
		default:
			break;
		}
		switch (op->reg.value) {
		case ZYDIS_REGISTER_GDTR:
		case ZYDIS_REGISTER_LDTR:
		case ZYDIS_REGISTER_IDTR:
		case ZYDIS_REGISTER_TR:
		case ZYDIS_REGISTER_XCR0:
			return "system register";
		default:
			break;
		}
	}
	/* and what the instruction table says of it */
	const struct insn_rule *r = insn_rule(x->insn);
	if ((r->flags & INSN_NO_COPY) || (r->mem & ~MEM_OPERAND))
		return r->why ? r->why : "not copyable";
	return NULL;
}

/* mangle_copy: an innocuous instruction; memory operands become guest
 * accesses.  opcode0 >= 0 replaces the first opcode byte (0x82 -> 0x80).
 * Nothing is copied that breaks the isolation rule (copy_hazard). */
void mangle_copy(struct bt_ctx *x, int opcode0)
{
	const ZydisDecodedInstruction *in = x->insn;
	bool has_modrm = in->attributes & ZYDIS_ATTRIB_HAS_MODRM;
	bool is_lea = in->mnemonic == ZYDIS_MNEMONIC_LEA;
	bool a16 = in->address_width == 16;
	uint8_t pfx[16], opc[4];
	bool reg_only = !has_modrm || in->raw.modrm.mod == 3 ||
			(is_lea && !(in->raw.modrm.mod == 0 && in->raw.modrm.rm == 5));
	bool flipped;
	int npfx = host_prefixes(x, !reg_only, pfx, &flipped);
	int op_start = in->raw.prefix_count;
	const char *hazard = copy_hazard(x);

	if (hazard) {
		mangle_callout(x, SITE_UD, hazard);
		return;
	}
	if (is_lea && a16 && in->raw.modrm.mod != 3) {
		mangle_lea_a16(x);
		return;
	}
	if (reg_only) { /* the bytes, with the prefixes the host needs */
		e_bytes(&x->e, pfx, npfx);
		e_bytes(&x->e, x->bytes + op_start, in->length - op_start);
		if (opcode0 >= 0 && !x->e.full)
			x->e.p[op_start - in->length] = (uint8_t)opcode0;
		x->how = opcode0 >= 0 || flipped ? HOW_REWRITE : HOW_COPY;
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
	x->how = HOW_COPY; /* emit_mem_insn says "rewritten" for the r11 path */
	if (!emit_mem_insn(x, &mi))
		mangle_callout(x, SITE_UNSUPP, "AH..BH with a segment base (host without BMI2)");
}

/* mangle_xlat_r11: XLAT through r11: movzx r11d, al; lea r11d, [ebx+r11d]
 * (16-bit addressing: movzx r11d, r11w); + segment base; mov al, [gs:r11d]. */
static void mangle_xlat_r11(struct bt_ctx *x, int seg)
{
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOVZX, 0, enc_reg(R(R11D)), enc_reg(R(AL)));
	e_insn2(&x->e, ZYDIS_MNEMONIC_LEA, 0, enc_reg(R(R11D)), enc_mem(4, R(EBX), R(R11D), 1, 0));
	if (x->insn->address_width == 16)
		movzx_r11_r11w(x);
	emit_add_seg_base(x, seg);
	e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, enc_reg(R(AL)),
		enc_mem(1, R(R11D), R(NONE), 0, 0));
	x->how = HOW_REWRITE;
}

/* mangle_moffs: MOV A0-A3 and XLAT: no ModRM, 0x67 makes the offset
 * 32-bit.  Based segments and 16-bit addressing go through r11. */
void mangle_moffs(struct bt_ctx *x)
{
	const ZydisDecodedOperand *mop = NULL;
	for (int i = 0; i < x->insn->operand_count; i++)
		if (x->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mop = &x->ops[i];
	uint8_t pfx[16];
	int npfx = host_prefixes(x, true, pfx, NULL);
	int seg = mop ? seg_of(mop->mem.segment) : -1;
	bool a16 = x->insn->address_width == 16;

	if (x->insn->mnemonic == ZYDIS_MNEMONIC_XLAT && (a16 || seg_based(x, seg))) {
		mangle_xlat_r11(x, seg);
		return;
	}
	if (a16 || seg_based(x, seg)) {
		/* mov r11d, moffs; + base; A0-A3 -> mov al/eAX <-> [gs:r11d] */
		uint8_t op = x->bytes[x->insn->raw.prefix_count];
		uint32_t off = (uint32_t)x->insn->raw.disp.value;
		unsigned size = op & 1 ? x->insn->operand_width / 8 : 1;
		ZydisEncoderOperand acc = enc_reg(enc_gpr(size * 8, 0));
		ZydisEncoderOperand m = enc_mem(size, R(R11D), R(NONE), 0, 0);
		e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, 0, enc_reg(R(R11D)),
			enc_imm((int32_t)(a16 ? off & 0xffff : off)));
		emit_add_seg_base(x, seg);
		if (op < 0xa2)
			e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, acc, m);
		else
			e_insn2(&x->e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, m, acc);
		x->how = HOW_REWRITE;
		return;
	}
	e_guest_prefix(&x->e);
	e_bytes(&x->e, pfx, npfx);
	e_bytes(&x->e, x->bytes + x->insn->raw.prefix_count,
		x->insn->length - x->insn->raw.prefix_count);
	x->how = HOW_REWRITE;
}
