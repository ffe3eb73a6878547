/*
 * gen_kinds.c - the instruction kinds the generator draws groups from.
 *
 * Each builder appends one self-contained group (gen_internal.h): setup
 * (flag fixers, register loads, base registers of memory operands), then
 * the instructions under test, each annotated with the EFLAGS it reads,
 * defines and leaves undefined (Intel SDM, "Flags Affected").
 */
#include <string.h>

#include "gen_internal.h"

#define M(x) ZYDIS_MNEMONIC_##x
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The six condition codes' flag needs, with their Jcc/SETcc/CMOVcc forms. */
static const struct cc {
	ZydisMnemonic j, set, cmov;
	uint32_t rd;
} ccs[] = {
    {M(JO), M(SETO), M(CMOVO), DIFF_OF},
    {M(JNO), M(SETNO), M(CMOVNO), DIFF_OF},
    {M(JB), M(SETB), M(CMOVB), DIFF_CF},
    {M(JNB), M(SETNB), M(CMOVNB), DIFF_CF},
    {M(JZ), M(SETZ), M(CMOVZ), DIFF_ZF},
    {M(JNZ), M(SETNZ), M(CMOVNZ), DIFF_ZF},
    {M(JBE), M(SETBE), M(CMOVBE), DIFF_CF | DIFF_ZF},
    {M(JNBE), M(SETNBE), M(CMOVNBE), DIFF_CF | DIFF_ZF},
    {M(JS), M(SETS), M(CMOVS), DIFF_SF},
    {M(JNS), M(SETNS), M(CMOVNS), DIFF_SF},
    {M(JP), M(SETP), M(CMOVP), DIFF_PF},
    {M(JNP), M(SETNP), M(CMOVNP), DIFF_PF},
    {M(JL), M(SETL), M(CMOVL), DIFF_SF | DIFF_OF},
    {M(JNL), M(SETNL), M(CMOVNL), DIFF_SF | DIFF_OF},
    {M(JLE), M(SETLE), M(CMOVLE), DIFF_ZF | DIFF_SF | DIFF_OF},
    {M(JNLE), M(SETNLE), M(CMOVNLE), DIFF_ZF | DIFF_SF | DIFF_OF},
};

/* pick_cc: a condition whose flags are defined here, usually; otherwise a
 * random one after a fixer that defines its flags. */
static const struct cc *pick_cc(struct gen_ctx *x)
{
	uint32_t mask = gen_cur_mask(x);
	const struct cc *ok[N(ccs)];
	unsigned n = 0;
	for (unsigned k = 0; k < N(ccs); k++)
		if (!(ccs[k].rd & ~mask))
			ok[n++] = &ccs[k];
	if (n && gen_pct(x, 85))
		return ok[gen_below(x, n)];
	const struct cc *c = &ccs[gen_below(x, N(ccs))];
	gen_need(x, c->rd);
	return c;
}

/* rm_operand: either a register of size (not in avoid) or a memory
 * operand; appended to i.  Returns true for memory. */
static bool rm_operand(struct gen_ctx *x, struct gen_insn **ip, ZydisMnemonic m, unsigned size,
		       uint32_t avoid, unsigned mem_pct)
{
	if (gen_pct(x, mem_pct)) {
		ZydisEncoderOperand o = gen_mem(x, size, 1, 0, avoid);
		*ip = gen_add(x, m);
		gen_op_mem(*ip, o);
		return true;
	}
	*ip = gen_add(x, m);
	gen_op_reg(*ip, gen_reg(x, size, avoid));
	return false;
}

/* ALU binary: add adc sub sbb and or xor cmp test, r/m with r/imm. */
static void k_alu(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[] = {M(ADD), M(ADC), M(SUB), M(SBB), M(AND),
					    M(OR),  M(XOR), M(CMP), M(TEST)};
	ZydisMnemonic m = ops[gen_below(x, N(ops))];
	unsigned size = gen_size(x);
	bool carry = m == M(ADC) || m == M(SBB);
	bool logic = m == M(AND) || m == M(OR) || m == M(XOR) || m == M(TEST);
	if (carry)
		gen_need(x, DIFF_CF);
	struct gen_insn *i;
	unsigned form = gen_below(x, 5);
	if (form == 2 && m != M(TEST)) { /* r, m */
		ZydisEncoderOperand o = gen_mem(x, size, 1, 0, 0);
		i = gen_add(x, m);
		gen_op_reg(i, gen_reg(x, size, 0));
		gen_op_mem(i, o);
	} else {
		bool mem = rm_operand(x, &i, m, size, 0, form >= 2 ? 100 : 0);
		if (form & 1)
			gen_op_imm(i, gen_value(x), size);
		else
			gen_op_reg(i, gen_src(x, size, 0));
		if (mem && m != M(CMP) && m != M(TEST) && gen_pct(x, 20))
			i->req.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
	}
	gen_flags(i, carry ? DIFF_CF : 0, logic ? F_LOGIC : F_ALL, logic ? DIFF_AF : 0);
}

/* inc dec neg not on r/m. */
static void k_unary(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[] = {M(INC), M(DEC), M(NEG), M(NOT)};
	ZydisMnemonic m = ops[gen_below(x, N(ops))];
	struct gen_insn *i;
	if (rm_operand(x, &i, m, gen_size(x), 0, 40) && gen_pct(x, 20))
		i->req.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
	uint32_t def = m == M(NOT) ? 0 : m == M(NEG) ? F_ALL : F_ALL & ~DIFF_CF;
	gen_flags(i, 0, def, 0);
}

/* shift_flags: EFLAGS effect of a shift/rotate by masked count c on size
 * bytes (SDM: count 0 changes nothing; OF only for count 1; CF undefined
 * for SHL/SHR by the operand width or more; AF undefined for shifts). */
static void shift_flags(struct gen_insn *i, ZydisMnemonic m, unsigned c, unsigned size)
{
	bool rot = m == M(ROL) || m == M(ROR) || m == M(RCL) || m == M(RCR);
	uint32_t rd = (m == M(RCL) || m == M(RCR)) ? DIFF_CF : 0;
	uint32_t def = 0, undef = 0;
	if (c) {
		def = rot ? DIFF_CF : (DIFF_CF | DIFF_PF | DIFF_ZF | DIFF_SF);
		undef = rot ? 0 : DIFF_AF;
		if (!rot && c >= size * 8)
			undef |= DIFF_CF;
		if (c == 1)
			def |= DIFF_OF;
		else
			undef |= DIFF_OF;
	}
	gen_flags(i, rd, def & ~undef, undef);
}

/* shifts and rotates by 1, CL or imm8, on r/m. */
static void k_shift(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[] = {M(SHL), M(SHR), M(SAR), M(ROL), M(ROR), M(RCL), M(RCR)};
	ZydisMnemonic m = ops[gen_below(x, N(ops))];
	unsigned size = gen_size(x), form = gen_below(x, 3);
	unsigned count = gen_pct(x, 15) ? gen_below(x, 256) : gen_below(x, 34);
	if (m == M(RCL) || m == M(RCR))
		gen_need(x, DIFF_CF);
	if (form == 0)
		count = 1;
	if (form == 1)
		gen_mov_imm(x, ZYDIS_REGISTER_CL, count);
	struct gen_insn *i;
	rm_operand(x, &i, m, size, form == 1 ? GPR_ECX : 0, 35);
	if (form == 1)
		gen_op_reg(i, ZYDIS_REGISTER_CL);
	else
		gen_op_u8(i, count);
	shift_flags(i, m, count & 31, size);
}

/* shld/shrd r/m16/32, r, imm8/CL (counts above 15 on 16 bits are undefined). */
static void k_shd(struct gen_ctx *x)
{
	ZydisMnemonic m = gen_pct(x, 50) ? M(SHLD) : M(SHRD);
	unsigned size = gen_pct(x, 30) ? 2 : 4;
	unsigned count = gen_below(x, size == 2 ? 16 : 32);
	bool cl = gen_pct(x, 50);
	if (cl)
		gen_mov_imm(x, ZYDIS_REGISTER_CL, count + (size == 4 && gen_pct(x, 20) ? 32 : 0));
	struct gen_insn *i;
	rm_operand(x, &i, m, size, cl ? GPR_ECX : 0, 35);
	gen_op_reg(i, gen_src(x, size, 0));
	if (cl)
		gen_op_reg(i, ZYDIS_REGISTER_CL);
	else
		gen_op_u8(i, count);
	uint32_t def = 0, undef = 0;
	if (count) {
		def = DIFF_CF | DIFF_PF | DIFF_ZF | DIFF_SF | (count == 1 ? DIFF_OF : 0);
		undef = DIFF_AF | (count == 1 ? 0 : DIFF_OF);
	}
	gen_flags(i, 0, def, undef);
}

/* mul, imul (1, 2 and 3 operands): CF/OF defined, the rest undefined. */
static void k_mul(struct gen_ctx *x)
{
	unsigned form = gen_below(x, 4), size = gen_size(x);
	struct gen_insn *i;
	if (form <= 1) {
		rm_operand(x, &i, form ? M(IMUL) : M(MUL), size, 0, 35);
	} else {
		size = gen_pct(x, 30) ? 2 : 4;
		ZydisRegister dst = gen_reg(x, size, 0);
		bool mem = gen_pct(x, 35);
		ZydisEncoderOperand o = {0};
		if (mem)
			o = gen_mem(x, size, 1, 0, 0);
		i = gen_add(x, M(IMUL));
		gen_op_reg(i, dst);
		if (mem)
			gen_op_mem(i, o);
		else
			gen_op_reg(i, gen_src(x, size, 0));
		if (form == 3)
			gen_op_imm(i, gen_value(x), gen_pct(x, 50) ? 1 : size);
	}
	gen_flags(i, 0, DIFF_CF | DIFF_OF, DIFF_PF | DIFF_AF | DIFF_ZF | DIFF_SF);
}

/* div/idiv with a dividend and divisor that cannot raise #DE: divisor
 * forced odd (non-zero, not in the dividend registers); DIV's high half
 * zeroed; IDIV's dividend a small positive number, sign-extended. */
static void k_div(struct gen_ctx *x)
{
	bool sgn = gen_pct(x, 50);
	unsigned size = gen_size(x);
	ZydisRegister acc = gen_sized(0, size == 1 ? 2 : size);
	struct gen_insn *i;
	if (sgn) {
		i = gen_add(x, M(AND));
		gen_op_reg(i, acc);
		gen_op_imm(i,
			   size == 1   ? 0x7f
			   : size == 2 ? 0x7fff
				       : 0x7fffffff,
			   size == 1 ? 2 : size);
		gen_flags(i, 0, F_LOGIC, DIFF_AF);
		gen_add(x, size == 1 ? M(CBW) : size == 2 ? M(CWD) : M(CDQ));
	} else if (size == 1) {
		gen_mov_imm(x, ZYDIS_REGISTER_AH, 0);
	} else {
		gen_mov_imm(x, gen_sized(2, size), 0);
	}
	uint32_t avoid = GPR_EAX | GPR_EDX;
	bool mem = gen_pct(x, 40);
	ZydisEncoderOperand o = {0};
	ZydisRegister r = ZYDIS_REGISTER_NONE;
	if (mem)
		o = gen_mem(x, size, 1, 0, avoid);
	else
		r = gen_reg(x, size, avoid);
	i = gen_add(x, M(OR));
	if (mem)
		gen_op_mem(i, o);
	else
		gen_op_reg(i, r);
	gen_op_imm(i, 1u << gen_below(x, size * 8) | 1, size);
	gen_flags(i, 0, F_LOGIC, DIFF_AF);
	i = gen_add(x, sgn ? M(IDIV) : M(DIV));
	if (mem)
		gen_op_mem(i, o);
	else
		gen_op_reg(i, r);
	gen_flags(i, 0, 0, F_ALL);
}

/* bt/bts/btr/btc with imm8 or register offset; a register offset on a
 * memory operand addresses the bit string beyond it, so it is kept small. */
static void k_bt(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[] = {M(BT), M(BTS), M(BTR), M(BTC)};
	ZydisMnemonic m = ops[gen_below(x, N(ops))];
	unsigned size = gen_pct(x, 30) ? 2 : 4;
	bool mem = gen_pct(x, 50), imm = gen_pct(x, 40);
	struct gen_insn *i;
	ZydisRegister off = ZYDIS_REGISTER_NONE;
	if (mem && !imm) {
		off = gen_reg(x, size, 0);
		gen_mov_imm(x, off, gen_below(x, 512) - 128);
		ZydisEncoderOperand o = gen_mem(x, size, 1, 96, GPR(gen_gpr_of(off)));
		o.mem.displacement += 16;
		i = gen_add(x, m);
		gen_op_mem(i, o);
		if (m != M(BT) && gen_pct(x, 30))
			i->req.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
	} else {
		rm_operand(x, &i, m, size, 0, mem ? 100 : 0);
		if (!imm)
			off = gen_src(x, size, 0);
	}
	if (imm)
		gen_op_u8(i, gen_below(x, 256));
	else
		gen_op_reg(i, off);
	gen_flags(i, 0, DIFF_CF, DIFF_OF | DIFF_SF | DIFF_AF | DIFF_PF);
}

/* bsf/bsr from a source made non-zero first (the destination is undefined
 * for a zero source). */
static void k_bsf(struct gen_ctx *x)
{
	unsigned size = gen_pct(x, 30) ? 2 : 4;
	bool mem = gen_pct(x, 40);
	ZydisEncoderOperand o = {0};
	ZydisRegister src = ZYDIS_REGISTER_NONE;
	if (mem)
		o = gen_mem(x, size, 1, 0, 0);
	else
		src = gen_src(x, size, GPR_ESP);
	struct gen_insn *i = gen_add(x, M(OR));
	if (mem)
		gen_op_mem(i, o);
	else
		gen_op_reg(i, src);
	gen_op_imm(i, 1u << gen_below(x, size * 8), size);
	gen_flags(i, 0, F_LOGIC, DIFF_AF);
	i = gen_add(x, gen_pct(x, 50) ? M(BSF) : M(BSR));
	gen_op_reg(i, gen_reg(x, size, 0));
	if (mem)
		gen_op_mem(i, o);
	else
		gen_op_reg(i, src);
	gen_flags(i, 0, DIFF_ZF, DIFF_CF | DIFF_OF | DIFF_SF | DIFF_AF | DIFF_PF);
}

/* setcc r/m8, cmovcc r, r/m. */
static void k_cc(struct gen_ctx *x)
{
	const struct cc *c = pick_cc(x);
	struct gen_insn *i;
	if (gen_pct(x, 50)) {
		rm_operand(x, &i, c->set, 1, 0, 30);
	} else {
		unsigned size = gen_pct(x, 30) ? 2 : 4;
		ZydisRegister dst = gen_reg(x, size, 0);
		bool mem = gen_pct(x, 35);
		ZydisEncoderOperand o = {0};
		if (mem)
			o = gen_mem(x, size, 1, 0, 0);
		i = gen_add(x, c->cmov);
		gen_op_reg(i, dst);
		if (mem)
			gen_op_mem(i, o);
		else
			gen_op_reg(i, gen_src(x, size, 0));
	}
	gen_flags(i, c->rd, 0, 0);
}

/* jcc/jmp forward over 0..3 whole groups; jecxz over the rest of its group. */
static void k_jcc(struct gen_ctx *x)
{
	struct gen_insn *i;
	unsigned k = gen_below(x, 10);
	if (k == 0) {
		gen_mov_imm(x, ZYDIS_REGISTER_ECX, gen_below(x, 2));
		i = gen_add(x, M(JECXZ));
		i->req.operand_count = 1;
		i->branch = true;
		i->flow = FLOW_COND;
		i->br_insn = -1;
		i->req.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
		i->req.branch_width = ZYDIS_BRANCH_WIDTH_8;
		unsigned size = gen_size(x);
		struct gen_insn *b = gen_add(x, M(ADD));
		gen_op_reg(b, gen_reg(x, size, 0));
		gen_op_imm(b, gen_value(x), size);
		gen_flags(b, 0, F_ALL, 0);
		return;
	}
	if (k == 1) {
		i = gen_add(x, M(JMP));
		i->flow = FLOW_JMP;
	} else {
		const struct cc *c = pick_cc(x);
		i = gen_add(x, c->j);
		gen_flags(i, c->rd, 0, 0);
		i->flow = FLOW_COND;
	}
	i->req.operand_count = 1;
	gen_branch_to(x, i, 1 + gen_below(x, 4));
}

/* xchg, xadd, cmpxchg (sometimes with a matching accumulator), cmpxchg8b, bswap. */
static void k_xchg(struct gen_ctx *x)
{
	unsigned k = gen_below(x, 5), size = gen_size(x);
	struct gen_insn *i;
	if (k == 4) {
		i = gen_add(x, M(BSWAP));
		gen_op_reg(i, gen_reg(x, 4, 0));
		return;
	}
	if (k == 3) { /* cmpxchg8b m64: EDX:EAX vs memory, ECX:EBX stored */
		ZydisEncoderOperand o = gen_mem(x, 8, 1, 0, GPR_EAX | GPR_ECX | GPR_EDX | GPR_EBX);
		if (gen_pct(x, 50)) {
			o.mem.size = 4;
			i = gen_add(x, M(MOV));
			gen_op_reg(i, ZYDIS_REGISTER_EAX);
			gen_op_mem(i, o);
			o.mem.displacement += 4;
			i = gen_add(x, M(MOV));
			gen_op_reg(i, ZYDIS_REGISTER_EDX);
			gen_op_mem(i, o);
			o.mem.displacement -= 4;
			o.mem.size = 8;
		}
		i = gen_add(x, M(CMPXCHG8B));
		gen_op_mem(i, o);
		if (gen_pct(x, 50))
			i->req.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
		gen_flags(i, 0, DIFF_ZF, 0);
		return;
	}
	static const ZydisMnemonic ops[] = {M(XCHG), M(XADD), M(CMPXCHG)};
	ZydisMnemonic m = ops[k];
	bool mem = gen_pct(x, 50);
	ZydisEncoderOperand o = {0};
	ZydisRegister dst = ZYDIS_REGISTER_NONE;
	if (mem)
		o = gen_mem(x, size, 1, 0, m == M(CMPXCHG) ? GPR_EAX : 0);
	else
		dst = gen_reg(x, size, 0);
	if (m == M(CMPXCHG) && gen_pct(x, 50)) { /* make the compare succeed */
		i = gen_add(x, M(MOV));
		gen_op_reg(i, gen_sized(0, size));
		if (mem)
			gen_op_mem(i, o);
		else
			gen_op_reg(i, dst);
	}
	i = gen_add(x, m);
	if (mem)
		gen_op_mem(i, o);
	else
		gen_op_reg(i, dst);
	gen_op_reg(i, gen_reg(x, size, 0));
	if (mem && m != M(XCHG) && gen_pct(x, 30))
		i->req.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
	if (m != M(XCHG))
		gen_flags(i, 0, F_ALL, 0);
}

/* mov r/m, r/imm; mov r, m; movzx/movsx; cbw/cwde/cwd/cdq. */
static void k_mov(struct gen_ctx *x)
{
	static const ZydisMnemonic conv[] = {M(CBW), M(CWDE), M(CWD), M(CDQ)};
	unsigned k = gen_below(x, 8), size = gen_size(x);
	struct gen_insn *i;
	if (k == 7) {
		gen_add(x, conv[gen_below(x, 4)]);
		return;
	}
	if (k >= 5) { /* movzx / movsx */
		unsigned ssz = gen_pct(x, 60) ? 1 : 2;
		unsigned dsz = ssz == 2 || gen_pct(x, 60) ? 4 : 2;
		ZydisMnemonic m = gen_pct(x, 50) ? M(MOVZX) : M(MOVSX);
		ZydisRegister dst = gen_reg(x, dsz, 0);
		if (gen_pct(x, 50)) {
			ZydisEncoderOperand o = gen_mem(x, ssz, 1, 0, 0);
			i = gen_add(x, m);
			gen_op_reg(i, dst);
			gen_op_mem(i, o);
		} else {
			i = gen_add(x, m);
			gen_op_reg(i, dst);
			gen_op_reg(i, gen_src(x, ssz, 0));
		}
		return;
	}
	if (k == 4) { /* r, m */
		ZydisEncoderOperand o = gen_mem(x, size, 1, 0, 0);
		i = gen_add(x, M(MOV));
		gen_op_reg(i, gen_reg(x, size, 0));
		gen_op_mem(i, o);
		return;
	}
	rm_operand(x, &i, M(MOV), size, 0, 50);
	if (k & 1)
		gen_op_imm(i, gen_value(x), size);
	else
		gen_op_reg(i, gen_src(x, size, 0));
}

/* lea in every addressing form, from random registers (no access is made). */
static void k_lea(struct gen_ctx *x)
{
	static const uint8_t scales[] = {1, 2, 4, 8};
	unsigned size = gen_pct(x, 20) ? 2 : 4;
	struct gen_insn *i = gen_add(x, M(LEA));
	gen_op_reg(i, gen_reg(x, size, 0));
	ZydisEncoderOperand o = {0};
	o.type = ZYDIS_OPERAND_TYPE_MEMORY;
	o.mem.size = 4; /* the address size, as Zydis wants it for LEA */
	if (gen_pct(x, 85))
		o.mem.base = gen_src(x, 4, 0);
	if (gen_pct(x, 60) || !o.mem.base) {
		o.mem.index = gen_reg(x, 4, 0);
		o.mem.scale = scales[gen_below(x, 4)];
	}
	unsigned d = gen_below(x, 3);
	o.mem.displacement = d == 0 ? 0 : d == 1 ? (int8_t)gen_rand(x) : (int32_t)gen_rand(x);
	gen_op_mem(i, o);
}

/* push_one: push a register, ESP, an immediate or memory (size 2 or 4). */
static void push_one(struct gen_ctx *x, unsigned size)
{
	struct gen_insn *i;
	unsigned k = gen_below(x, 4);
	if (k == 2) {
		ZydisEncoderOperand o = gen_mem(x, size, 1, 0, 0);
		i = gen_add(x, M(PUSH));
		gen_op_mem(i, o);
	} else {
		i = gen_add(x, M(PUSH));
		if (k == 3)
			gen_op_imm(i, gen_value(x), size == 2 ? 2 : gen_pct(x, 50) ? 1 : 4);
		else
			gen_op_reg(i, gen_src(x, size, 0));
	}
	if (size == 2)
		i->req.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_16;
	x->push += size;
}

/* pop_one: pop into a register or memory (ESP-based memory is addressed
 * after ESP moves). */
static void pop_one(struct gen_ctx *x, unsigned size)
{
	struct gen_insn *i;
	x->push -= size;
	if (gen_pct(x, 35)) {
		ZydisEncoderOperand o = gen_mem(x, size, 1, 0, 0);
		i = gen_add(x, M(POP));
		gen_op_mem(i, o);
	} else {
		i = gen_add(x, M(POP));
		gen_op_reg(i, gen_reg(x, size, 0));
	}
	if (size == 2)
		i->req.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_16;
}

/* balanced push/pop groups, pushad/popad. */
static void k_stack(struct gen_ctx *x)
{
	unsigned k = gen_below(x, 5);
	struct gen_insn *i;
	if (k == 0) { /* pushad; modify the saved frame; popad */
		gen_add(x, M(PUSHAD));
		ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
		o.mem.base = ZYDIS_REGISTER_ESP;
		o.mem.displacement = 4 * gen_below(x, 8);
		o.mem.size = 4;
		i = gen_add(x, M(MOV));
		gen_op_mem(i, o);
		gen_op_reg(i, gen_src(x, 4, 0));
		gen_add(x, M(POPAD));
		return;
	}
	unsigned n = 1 + gen_below(x, 3), sizes[4];
	for (unsigned j = 0; j < n; j++) {
		sizes[j] = gen_pct(x, 20) ? 2 : 4;
		push_one(x, sizes[j]);
	}
	if (gen_pct(x, 40)) { /* work on the pushed values */
		ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
		o.mem.base = ZYDIS_REGISTER_ESP;
		o.mem.displacement = gen_below(x, x->push - 1);
		o.mem.size = 1;
		i = gen_add(x, M(ADD));
		gen_op_mem(i, o);
		gen_op_reg(i, gen_src(x, 1, 0));
		gen_flags(i, 0, F_ALL, 0);
	}
	while (n--)
		pop_one(x, sizes[n]);
}

/* enter n, level (0..2, EBP pointing into the data area); a load from the
 * frame; leave. */
static void k_enter(struct gen_ctx *x)
{
	struct gen_insn *i;
	unsigned level = gen_below(x, 3);
	if (level)
		gen_mov_imm(x, ZYDIS_REGISTER_EBP,
			    DIFF_DATA_ADDR + DIFF_MEM_LO + 64 + gen_below(x, 1024) * 4);
	i = gen_add(x, M(ENTER));
	gen_op_imm(i, gen_below(x, 8) * 4, 2);
	gen_op_u8(i, level);
	i = gen_add(x, M(MOV));
	gen_op_reg(i, gen_reg(x, 4, GPR_EBP));
	ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
	o.mem.base = ZYDIS_REGISTER_EBP;
	o.mem.displacement = -4 * (int)gen_below(x, 2 + level);
	o.mem.size = 4;
	gen_op_mem(i, o);
	gen_add(x, M(LEAVE));
}

/* a call to a local routine: call L; jmp over; L: body; ret [n]; over: */
static void k_call(struct gen_ctx *x)
{
	bool args = gen_pct(x, 30);
	struct gen_insn *i;
	if (args)
		push_one(x, 4);
	unsigned call = x->g->n;
	i = gen_add(x, M(CALL));
	i->req.operand_count = 1;
	i->branch = true;
	i->req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
	i->req.branch_width = ZYDIS_BRANCH_WIDTH_32;
	unsigned jmp = x->g->n;
	i = gen_add(x, M(JMP));
	i->req.operand_count = 1;
	i->branch = true;
	i->br_insn = -1;
	i->req.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
	i->req.branch_width = ZYDIS_BRANCH_WIDTH_8;
	x->g->insn[call].br_insn = x->g->n;
	x->push += 4;
	/* body: read the return address, an argument, do some arithmetic */
	ZydisEncoderOperand o = {.type = ZYDIS_OPERAND_TYPE_MEMORY};
	o.mem.base = ZYDIS_REGISTER_ESP;
	o.mem.displacement = args ? 4 * gen_below(x, 2) : 0;
	o.mem.size = 4;
	ZydisRegister r = gen_reg(x, 4, 0);
	i = gen_add(x, M(MOV));
	gen_op_reg(i, r);
	gen_op_mem(i, o);
	i = gen_add(x, M(ADD));
	gen_op_reg(i, r);
	gen_op_reg(i, gen_src(x, 4, 0));
	gen_flags(i, 0, F_ALL, 0);
	x->push -= 4;
	i = gen_add(x, M(RET));
	if (args) {
		gen_op_imm(i, 4, 2);
		x->push -= 4;
	}
	(void)jmp;
}

/* string instructions, single or with REP/REPE/REPNE, DF 0 or 1, ECX small,
 * ESI/EDI inside the data area. */
static void k_string(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[5][3] = {
	    {M(MOVSB), M(MOVSW), M(MOVSD)}, {M(STOSB), M(STOSW), M(STOSD)},
	    {M(LODSB), M(LODSW), M(LODSD)}, {M(CMPSB), M(CMPSW), M(CMPSD)},
	    {M(SCASB), M(SCASW), M(SCASD)},
	};
	unsigned op = gen_below(x, 5), sz = gen_below(x, 3), count = gen_below(x, 9);
	bool down = gen_pct(x, 40), rep = gen_pct(x, 60);
	struct gen_insn *i = gen_add(x, down ? M(STD) : M(CLD));
	gen_flags(i, 0, DIFF_DF, 0);
	uint32_t span = DIFF_MEM_HI - DIFF_MEM_LO - 128;
	gen_mov_imm(x, ZYDIS_REGISTER_ESI, DIFF_DATA_ADDR + DIFF_MEM_LO + 64 + gen_below(x, span));
	gen_mov_imm(x, ZYDIS_REGISTER_EDI, DIFF_DATA_ADDR + DIFF_MEM_LO + 64 + gen_below(x, span));
	if (gen_pct(x, 20)) /* overlapping copy */
		gen_mov_imm(x, ZYDIS_REGISTER_EDI,
			    x->g->insn[x->g->n - 2].req.operands[1].imm.s + (int)gen_below(x, 9) -
				4);
	if (rep)
		gen_mov_imm(x, ZYDIS_REGISTER_ECX, count);
	i = gen_add(x, ops[op][sz]);
	bool cmp = op >= 3;
	if (rep)
		i->req.prefixes = !cmp		   ? ZYDIS_ATTRIB_HAS_REP
				  : gen_pct(x, 50) ? ZYDIS_ATTRIB_HAS_REPE
						   : ZYDIS_ATTRIB_HAS_REPNE;
	if (cmp)
		gen_flags(i, 0, rep && count == 0 ? 0 : F_ALL, 0);
	if (gen_pct(x, 50)) {
		i = gen_add(x, M(CLD));
		gen_flags(i, 0, DIFF_DF, 0);
	}
}

/* flag instructions: clc stc cmc cld std lahf sahf. */
static void k_flagops(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[] = {M(CLC), M(STC),  M(CMC), M(CLD),
					    M(STD), M(LAHF), M(SAHF)};
	ZydisMnemonic m = ops[gen_below(x, N(ops))];
	const uint32_t lahf = DIFF_SF | DIFF_ZF | DIFF_AF | DIFF_PF | DIFF_CF;
	if (m == M(CMC))
		gen_need(x, DIFF_CF);
	if (m == M(LAHF))
		gen_need(x, lahf);
	struct gen_insn *i = gen_add(x, m);
	if (m == M(CLC) || m == M(STC))
		gen_flags(i, 0, DIFF_CF, 0);
	else if (m == M(CMC))
		gen_flags(i, DIFF_CF, DIFF_CF, 0);
	else if (m == M(CLD) || m == M(STD))
		gen_flags(i, 0, DIFF_DF, 0);
	else if (m == M(LAHF))
		gen_flags(i, lahf, 0, 0);
	else
		gen_flags(i, 0, lahf, 0);
}

/* BCD adjustments (opcodes that do not exist in 64-bit mode). */
static void k_bcd(struct gen_ctx *x)
{
	static const ZydisMnemonic ops[] = {M(DAA), M(DAS), M(AAA), M(AAS), M(AAM), M(AAD)};
	ZydisMnemonic m = ops[gen_below(x, N(ops))];
	struct gen_insn *i;
	if (m == M(DAA) || m == M(DAS)) {
		gen_need(x, DIFF_CF | DIFF_AF);
		i = gen_add(x, m);
		gen_flags(i, DIFF_CF | DIFF_AF, F_ALL & ~DIFF_OF, DIFF_OF);
	} else if (m == M(AAA) || m == M(AAS)) {
		gen_need(x, DIFF_AF);
		i = gen_add(x, m);
		gen_flags(i, DIFF_AF, DIFF_AF | DIFF_CF, DIFF_OF | DIFF_SF | DIFF_ZF | DIFF_PF);
	} else {
		i = gen_add(x, m);
		gen_op_u8(i, gen_pct(x, 50) ? 10 : 1 + gen_below(x, 255));
		gen_flags(i, 0, DIFF_SF | DIFF_ZF | DIFF_PF, DIFF_OF | DIFF_AF | DIFF_CF);
	}
}

/* x87: load, one to three arithmetic ops with memory operands, store (an
 * integer anywhere, a float into an x87 result slot). */
static void k_x87(struct gen_ctx *x)
{
	static const ZydisMnemonic ar[] = {M(FADD), M(FMUL), M(FSUB), M(FSUBR), M(FDIV), M(FDIVR)};
	struct gen_insn *i;
	bool ild = gen_pct(x, 30);
	unsigned sz = ild ? (gen_pct(x, 50) ? 2 : 4) : (gen_pct(x, 50) ? 4 : 8);
	ZydisEncoderOperand o = gen_mem(x, sz, 1, 0, 0);
	i = gen_add(x, ild ? M(FILD) : M(FLD));
	gen_op_mem(i, o);
	for (unsigned n = 1 + gen_below(x, 3); n; n--) {
		o = gen_mem(x, gen_pct(x, 50) ? 4 : 8, 1, 0, 0);
		i = gen_add(x, ar[gen_below(x, N(ar))]);
		gen_op_mem(i, o);
	}
	bool ist = gen_pct(x, 30);
	sz = ist ? (gen_pct(x, 50) ? 2 : 4) : (gen_pct(x, 50) ? 4 : 8);
	if (ist) {
		o = gen_mem(x, sz, 1, 0, 0);
		i = gen_add(x, M(FISTP));
		gen_op_mem(i, o);
		return;
	}
	/* a float result goes to a slot of its own size that nothing reads
	 * (quirks.h: a reference's NaN payloads are compared there only) */
	unsigned slot = sz == 8 ? x->gi % 8 : 8 + x->gi % 16;
	o = gen_mem_at(x, DIFF_DATA_ADDR + DIFF_X87_SLOT_OFF(slot), sz, 0);
	i = gen_add(x, M(FSTP));
	gen_op_mem(i, o);
	i->x87_slot = slot + 1;
}

/* k_maskmov: MASKMOVDQU xmm, xmm or MASKMOVQ mm, mm (the MMX registers
 * loaded from memory, EMMS after): the masked store to DS:EDI that no
 * ModRM byte shows (docs/isolation.md). */
static void k_maskmov(struct gen_ctx *x)
{
	uint32_t off = DIFF_MEM_LO + gen_below(x, DIFF_MEM_HI - DIFF_MEM_LO - 16);
	struct gen_insn *i;
	if (gen_pct(x, 50)) {
		gen_mov_imm(x, ZYDIS_REGISTER_EDI, DIFF_DATA_ADDR + off);
		i = gen_add(x, M(MASKMOVDQU));
		gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
		gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
		return;
	}
	unsigned a = gen_below(x, 8), b = gen_below(x, 8);
	ZydisEncoderOperand o = gen_mem(x, 8, 1, 0, 0);
	i = gen_add(x, M(MOVQ));
	gen_op_reg(i, ZYDIS_REGISTER_MM0 + a);
	gen_op_mem(i, o);
	o = gen_mem(x, 8, 1, 0, 0);
	i = gen_add(x, M(MOVQ));
	gen_op_reg(i, ZYDIS_REGISTER_MM0 + b);
	gen_op_mem(i, o);
	gen_mov_imm(x, ZYDIS_REGISTER_EDI, DIFF_DATA_ADDR + off);
	i = gen_add(x, M(MASKMOVQ));
	gen_op_reg(i, ZYDIS_REGISTER_MM0 + a);
	gen_op_reg(i, ZYDIS_REGISTER_MM0 + b);
	gen_add(x, M(EMMS));
}

/* xmm_op: an SSE2 instruction on a random xmm destination. */
static struct gen_insn *xmm_op(struct gen_ctx *x, ZydisMnemonic m, unsigned msize, unsigned align)
{
	ZydisRegister dst = ZYDIS_REGISTER_XMM0 + gen_below(x, 8);
	if (gen_pct(x, 50)) {
		ZydisEncoderOperand o = gen_mem(x, msize, align, 0, 0);
		struct gen_insn *i = gen_add(x, m);
		gen_op_reg(i, dst);
		gen_op_mem(i, o);
		return i;
	}
	struct gen_insn *i = gen_add(x, m);
	gen_op_reg(i, dst);
	gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
	return i;
}

/* SSE2: loads, integer and double arithmetic, conversions, stores. */
static void k_sse(struct gen_ctx *x)
{
	struct gen_insn *i;
	switch (gen_below(x, 7)) {
	case 0:
		xmm_op(x, M(MOVDQU), 16, 1);
		break;
	case 1:
		xmm_op(x, gen_pct(x, 50) ? M(PADDD) : M(PXOR), 16, 16);
		break;
	case 2:
		xmm_op(x, gen_pct(x, 50) ? M(ADDSD) : M(MULSD), 8, 1);
		break;
	case 3: /* cvtsi2sd xmm, r/m32 */
		if (gen_pct(x, 50)) {
			xmm_op(x, M(CVTSI2SD), 4, 1);
			if (x->g->insn[x->g->n - 1].req.operands[1].type ==
			    ZYDIS_OPERAND_TYPE_REGISTER)
				x->g->insn[x->g->n - 1].req.operands[1].reg.value =
				    gen_src(x, 4, 0);
		} else {
			i = gen_add(x, M(CVTSI2SD));
			gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
			gen_op_reg(i, gen_src(x, 4, 0));
		}
		break;
	case 4: /* cvttsd2si r32, xmm/m64 */
		if (gen_pct(x, 50)) {
			ZydisEncoderOperand o = gen_mem(x, 8, 1, 0, 0);
			i = gen_add(x, M(CVTTSD2SI));
			gen_op_reg(i, gen_reg(x, 4, 0));
			gen_op_mem(i, o);
		} else {
			i = gen_add(x, M(CVTTSD2SI));
			gen_op_reg(i, gen_reg(x, 4, 0));
			gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
		}
		break;
	case 5: /* movd xmm <-> r32 */
		i = gen_add(x, M(MOVD));
		if (gen_pct(x, 50)) {
			gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
			gen_op_reg(i, gen_src(x, 4, 0));
		} else {
			gen_op_reg(i, gen_reg(x, 4, 0));
			gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
		}
		break;
	default: { /* store: movdqu m128, xmm / movd m32, xmm */
		bool q = gen_pct(x, 60);
		ZydisEncoderOperand o = gen_mem(x, q ? 16 : 4, 1, 0, 0);
		i = gen_add(x, q ? M(MOVDQU) : M(MOVD));
		gen_op_mem(i, o);
		gen_op_reg(i, ZYDIS_REGISTER_XMM0 + gen_below(x, 8));
	}
	}
}

/* loop over a short body (a backward branch) and xlat. */
static void k_loop(struct gen_ctx *x)
{
	struct gen_insn *i;
	if (gen_pct(x, 40)) {
		gen_mov_imm(x, ZYDIS_REGISTER_EBX,
			    DIFF_DATA_ADDR + DIFF_MEM_LO +
				gen_below(x, DIFF_MEM_HI - DIFF_MEM_LO - 256));
		gen_add(x, M(XLAT));
		return;
	}
	gen_mov_imm(x, ZYDIS_REGISTER_ECX, 1 + gen_below(x, 5));
	unsigned body = x->g->n;
	unsigned size = gen_size(x);
	i = gen_add(x, gen_pct(x, 50) ? M(ADD) : M(XOR));
	gen_op_reg(i, gen_reg(x, size, GPR_ECX));
	gen_op_reg(i, gen_src(x, size, 0));
	gen_flags(i, 0, i->req.mnemonic == M(XOR) ? F_LOGIC : F_ALL,
		  i->req.mnemonic == M(XOR) ? DIFF_AF : 0);
	i = gen_add(x, M(LOOP));
	i->req.operand_count = 1;
	i->branch = true;
	i->br_insn = body;
	i->req.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
	i->req.branch_width = ZYDIS_BRANCH_WIDTH_8;
}

const struct gen_kind gen_kinds[] = {
    {"alu", 14, k_alu},	 {"unary", 5, k_unary},	    {"shift", 8, k_shift},
    {"shd", 3, k_shd},	 {"mul", 4, k_mul},	    {"div", 3, k_div},
    {"bt", 3, k_bt},	 {"bsf", 2, k_bsf},	    {"cc", 5, k_cc},
    {"jcc", 5, k_jcc},	 {"xchg", 4, k_xchg},	    {"mov", 8, k_mov},
    {"lea", 4, k_lea},	 {"stack", 4, k_stack},	    {"enter", 1, k_enter},
    {"call", 2, k_call}, {"string", 4, k_string},   {"flagops", 2, k_flagops},
    {"bcd", 2, k_bcd},	 {"x87", 3, k_x87},	    {"sse", 4, k_sse},
    {"loop", 2, k_loop}, {"maskmov", 2, k_maskmov},
};
const unsigned gen_nkinds = N(gen_kinds);
