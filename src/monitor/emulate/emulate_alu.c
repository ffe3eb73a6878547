/*
 * emulate_alu.c - the emulator's integer arithmetic: the ALU group, TEST,
 * INC/DEC/NEG/NOT, shifts and rotates, SHLD/SHRD, bit tests and scans,
 * MUL/IMUL/DIV/IDIV, XCHG, XADD, CMPXCHG, CMPXCHG8B.
 *
 * Flags are exact because the operation itself runs on the host (same
 * ISA): the guest's arithmetic flags are loaded into RFLAGS, the
 * instruction runs on host registers, and CF PF AF ZF SF OF are read back,
 * the undefined ones included (as translated code would leave them).  The
 * asm steps over the red zone before pushing, so it is safe in any C
 * function.
 */
#include "monitor/emulate/emulate_priv.h"
#include "monitor/base/util.h"

/* Load the guest flags from %[f] (arithmetic bits only) / store RFLAGS to
 * %[f]; ~0x8d5 clears CF PF AF ZF SF OF of the host value. */
#define FL_IN                                                                                      \
	"lea -128(%%rsp), %%rsp\n\tpushfq\n\tandq $-0x8d6, (%%rsp)\n\torq %[f], "                  \
	"(%%rsp)\n\tpopfq\n\t"
#define FL_OUT "\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"

/* OP2: x = x <insn> y in size sz (1, 2, 4). */
#define OP2(insn)                                                                                  \
	do {                                                                                       \
		if (sz == 1)                                                                       \
			__asm__ volatile(FL_IN insn "b %b[y], %b[x]" FL_OUT                        \
					 : [x] "+q"(x), [f] "+r"(f)                                \
					 : [y] "q"(y)                                              \
					 : "cc");                                                  \
		else                                                                               \
			OP2W(insn);                                                                \
	} while (0)
/* OP2W: the same for sizes 2 and 4 only. */
#define OP2W(insn)                                                                                 \
	do {                                                                                       \
		if (sz == 2)                                                                       \
			__asm__ volatile(FL_IN insn "w %w[y], %w[x]" FL_OUT                        \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 : [y] "r"(y)                                              \
					 : "cc");                                                  \
		else                                                                               \
			__asm__ volatile(FL_IN insn "l %k[y], %k[x]" FL_OUT                        \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 : [y] "r"(y)                                              \
					 : "cc");                                                  \
	} while (0)
/* OP1: x = <insn> x. */
#define OP1(insn)                                                                                  \
	do {                                                                                       \
		if (sz == 1)                                                                       \
			__asm__ volatile(FL_IN insn "b %b[x]" FL_OUT                               \
					 : [x] "+q"(x), [f] "+r"(f)                                \
					 :                                                         \
					 : "cc");                                                  \
		else if (sz == 2)                                                                  \
			__asm__ volatile(FL_IN insn "w %w[x]" FL_OUT                               \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 :                                                         \
					 : "cc");                                                  \
		else                                                                               \
			__asm__ volatile(FL_IN insn "l %k[x]" FL_OUT                               \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 :                                                         \
					 : "cc");                                                  \
	} while (0)
/* OPC: x = x <insn> by CL = c (shifts and rotates). */
#define OPC(insn)                                                                                  \
	do {                                                                                       \
		if (sz == 1)                                                                       \
			__asm__ volatile(FL_IN insn "b %%cl, %b[x]" FL_OUT                         \
					 : [x] "+q"(x), [f] "+r"(f)                                \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
		else if (sz == 2)                                                                  \
			__asm__ volatile(FL_IN insn "w %%cl, %w[x]" FL_OUT                         \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
		else                                                                               \
			__asm__ volatile(FL_IN insn "l %%cl, %k[x]" FL_OUT                         \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 : "c"(c)                                                  \
					 : "cc");                                                  \
	} while (0)
/* OP3W: x = SHLD/SHRD x, y, CL (sizes 2 and 4). */
#define OP3W(insn)                                                                                 \
	do {                                                                                       \
		if (sz == 2)                                                                       \
			__asm__ volatile(FL_IN insn "w %%cl, %w[y], %w[x]" FL_OUT                  \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 : [y] "r"(y), "c"(c)                                      \
					 : "cc");                                                  \
		else                                                                               \
			__asm__ volatile(FL_IN insn "l %%cl, %k[y], %k[x]" FL_OUT                  \
					 : [x] "+r"(x), [f] "+r"(f)                                \
					 : [y] "r"(y), "c"(c)                                      \
					 : "cc");                                                  \
	} while (0)

/* host_two: the two-operand ALU instructions; false if m is not one. */
static bool host_two(ZydisMnemonic m, unsigned sz, uint32_t *px, uint32_t y, uint64_t *pf)
{
	uint32_t x = *px;
	uint64_t f = *pf;

	switch (m) {
	case ZYDIS_MNEMONIC_ADD:
		OP2("add");
		break;
	case ZYDIS_MNEMONIC_OR:
		OP2("or");
		break;
	case ZYDIS_MNEMONIC_ADC:
		OP2("adc");
		break;
	case ZYDIS_MNEMONIC_SBB:
		OP2("sbb");
		break;
	case ZYDIS_MNEMONIC_AND:
		OP2("and");
		break;
	case ZYDIS_MNEMONIC_SUB:
		OP2("sub");
		break;
	case ZYDIS_MNEMONIC_XOR:
		OP2("xor");
		break;
	case ZYDIS_MNEMONIC_CMP:
		OP2("cmp");
		break;
	case ZYDIS_MNEMONIC_TEST:
		OP2("test");
		break;
	default:
		return false;
	}
	*px = x;
	*pf = f;
	return true;
}

/* host_wide: instructions with 16/32-bit forms only (bit tests and scans,
 * two-operand IMUL); false if m is not one. */
static bool host_wide(ZydisMnemonic m, unsigned sz, uint32_t *px, uint32_t y, uint64_t *pf)
{
	uint32_t x = *px;
	uint64_t f = *pf;

	switch (m) {
	case ZYDIS_MNEMONIC_BT:
		OP2W("bt");
		break;
	case ZYDIS_MNEMONIC_BTS:
		OP2W("bts");
		break;
	case ZYDIS_MNEMONIC_BTR:
		OP2W("btr");
		break;
	case ZYDIS_MNEMONIC_BTC:
		OP2W("btc");
		break;
	case ZYDIS_MNEMONIC_BSF:
		OP2W("bsf");
		break;
	case ZYDIS_MNEMONIC_BSR:
		OP2W("bsr");
		break;
	case ZYDIS_MNEMONIC_IMUL:
		OP2W("imul");
		break;
	default:
		return false;
	}
	*px = x;
	*pf = f;
	return true;
}

/* host_one: INC/DEC/NEG/NOT, shifts and rotates by c, SHLD/SHRD x, y, c;
 * false if m is not one. */
static bool host_one(ZydisMnemonic m, unsigned sz, uint32_t *px, uint32_t y, uint8_t c,
		     uint64_t *pf)
{
	uint32_t x = *px;
	uint64_t f = *pf;

	switch (m) {
	case ZYDIS_MNEMONIC_INC:
		OP1("inc");
		break;
	case ZYDIS_MNEMONIC_DEC:
		OP1("dec");
		break;
	case ZYDIS_MNEMONIC_NEG:
		OP1("neg");
		break;
	case ZYDIS_MNEMONIC_NOT:
		OP1("not");
		break;
	case ZYDIS_MNEMONIC_ROL:
		OPC("rol");
		break;
	case ZYDIS_MNEMONIC_ROR:
		OPC("ror");
		break;
	case ZYDIS_MNEMONIC_RCL:
		OPC("rcl");
		break;
	case ZYDIS_MNEMONIC_RCR:
		OPC("rcr");
		break;
	case ZYDIS_MNEMONIC_SHL:
		OPC("shl");
		break;
	case ZYDIS_MNEMONIC_SHR:
		OPC("shr");
		break;
	case ZYDIS_MNEMONIC_SAR:
		OPC("sar");
		break;
	case ZYDIS_MNEMONIC_SHLD:
		OP3W("shld");
		break;
	case ZYDIS_MNEMONIC_SHRD:
		OP3W("shrd");
		break;
	default:
		return false;
	}
	*px = x;
	*pf = f;
	return true;
}

uint32_t emu_host_alu(ZydisMnemonic m, unsigned sz, uint32_t x, uint32_t y, uint8_t c,
		      uint32_t *eflags, bool *ok)
{
	uint64_t f = *eflags & EFL_ARITH;
	bool wide = sz == 2 || sz == 4;

	*ok = host_two(m, sz, &x, y, &f) || (wide && host_wide(m, sz, &x, y, &f)) ||
	      ((wide || (m != ZYDIS_MNEMONIC_SHLD && m != ZYDIS_MNEMONIC_SHRD)) &&
	       host_one(m, sz, &x, y, c, &f));
	if (*ok)
		*eflags = (*eflags & ~EFL_ARITH) | ((uint32_t)f & EFL_ARITH);
	return x;
}

/* --- handlers ------------------------------------------------------------------ */

/* size_mask: all ones in the low sz bytes. */
static uint32_t size_mask(unsigned sz)
{
	return sz >= 4 ? 0xffffffffu : (1u << (sz * 8)) - 1;
}

/* alu_writes: the instruction stores its result (not CMP, TEST, BT). */
static bool alu_writes(ZydisMnemonic m)
{
	return m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST && m != ZYDIS_MNEMONIC_BT;
}

/* emu_arith: dst op= src for the ALU group, TEST, INC/DEC/NEG/NOT, shifts,
 * rotates, SHLD/SHRD, BSF/BSR, IMUL r, r/m (, imm). */
static enum callout_result emu_arith(struct emu *e)
{
	const ZydisDecodedInstruction *in = &e->s.insn;
	const ZydisDecodedOperand *ops = e->s.ops;
	unsigned n = in->operand_count_visible, sz = ops[0].size / 8;
	struct emu_loc dst;
	uint32_t x = 0, y = 0, cnt = 1, fl = e->v->eflags;
	bool ok, shift = (in->meta.category == ZYDIS_CATEGORY_SHIFT ||
			  in->meta.category == ZYDIS_CATEGORY_ROTATE) &&
			 in->mnemonic != ZYDIS_MNEMONIC_SHLD && in->mnemonic != ZYDIS_MNEMONIC_SHRD;

	if (ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY && !insn_is_gpr(ops[0].reg.value))
		return EMU_REFUSE(e, "register operand");
	emu_loc(e, &ops[0], &dst);
	if (alu_writes(in->mnemonic) && emu_rmw_check(e, &dst) < 0)
		return emu_fault(e);
	if (in->mnemonic == ZYDIS_MNEMONIC_IMUL && n == 3) {
		if (insn_op_read(e->v, &e->s, &ops[1], &x) < 0 ||
		    insn_op_read(e->v, &e->s, &ops[2], &y) < 0)
			return emu_fault(e);
	} else {
		if (emu_loc_read(e, &dst, &x) < 0)
			return emu_fault(e);
		if (shift)
			cnt = n > 1 ? 0 : 1;
		if (n > 1 && insn_op_read(e->v, &e->s, &ops[1], shift ? &cnt : &y) < 0)
			return emu_fault(e);
		if (n > 2 && insn_op_read(e->v, &e->s, &ops[2], &cnt) < 0)
			return emu_fault(e);
	}
	x = emu_host_alu(in->mnemonic, sz, x, y, (uint8_t)cnt, &fl, &ok);
	if (!ok)
		return EMU_REFUSE(e, "operand size");
	if (alu_writes(in->mnemonic) && emu_loc_write(e, &dst, x) < 0)
		return emu_fault(e);
	e->v->eflags = fl;
	return emu_next(e);
}

/* emu_bt: BT/BTS/BTR/BTC r/m, r/imm8.  With a register bit offset and a
 * memory operand the offset is signed and may select any dword (word) of
 * memory around the operand. */
static enum callout_result emu_bt(struct emu *e)
{
	const ZydisDecodedOperand *ops = e->s.ops;
	unsigned sz = ops[0].size / 8, bits = sz * 8;
	struct emu_loc dst;
	uint32_t x, off, fl = e->v->eflags;
	int32_t extra = 0;
	bool ok;

	if (insn_op_read(e->v, &e->s, &ops[1], &off) < 0)
		return emu_fault(e);
	emu_loc(e, &ops[0], &dst);
	if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && dst.mem) {
		int32_t s = sz == 2 ? (int16_t)off : (int32_t)off;
		extra = (s >> (sz == 2 ? 4 : 5)) * (int32_t)sz;
		dst.off = insn_ea(e->v, &e->s, &ops[0], (uint32_t)extra, &dst.seg);
	}
	off &= bits - 1;
	if (alu_writes(e->s.insn.mnemonic) && emu_rmw_check(e, &dst) < 0)
		return emu_fault(e);
	if (emu_loc_read(e, &dst, &x) < 0)
		return emu_fault(e);
	x = emu_host_alu(e->s.insn.mnemonic, sz, x, off, 0, &fl, &ok);
	if (alu_writes(e->s.insn.mnemonic) && emu_loc_write(e, &dst, x) < 0)
		return emu_fault(e);
	e->v->eflags = fl;
	return emu_next(e);
}

/* emu_xchg: XCHG r/m, r (a memory operand is locked on hardware). */
static enum callout_result emu_xchg(struct emu *e)
{
	struct emu_loc a, b;
	uint32_t va, vb;

	emu_loc(e, &e->s.ops[0], &a);
	emu_loc(e, &e->s.ops[1], &b);
	if ((!a.mem && !insn_is_gpr(a.reg)) || (!b.mem && !insn_is_gpr(b.reg)))
		return EMU_REFUSE(e, "register operand");
	if (emu_rmw_check(e, &a) < 0 || emu_rmw_check(e, &b) < 0)
		return emu_fault(e);
	if (emu_loc_read(e, &a, &va) < 0 || emu_loc_read(e, &b, &vb) < 0)
		return emu_fault(e);
	if (emu_loc_write(e, &a, vb) < 0 || emu_loc_write(e, &b, va) < 0)
		return emu_fault(e);
	return emu_next(e);
}

/* emu_xadd: XADD r/m, r: TEMP = DEST + SRC; SRC = DEST; DEST = TEMP. */
static enum callout_result emu_xadd(struct emu *e)
{
	struct emu_loc d, s;
	uint32_t vd, vs, sum, fl = e->v->eflags;
	bool ok;

	emu_loc(e, &e->s.ops[0], &d);
	emu_loc(e, &e->s.ops[1], &s);
	if (emu_rmw_check(e, &d) < 0 || emu_loc_read(e, &d, &vd) < 0 ||
	    emu_loc_read(e, &s, &vs) < 0)
		return emu_fault(e);
	sum = emu_host_alu(ZYDIS_MNEMONIC_ADD, d.size, vd, vs, 0, &fl, &ok);
	emu_loc_write(e, &s, vd);
	if (emu_loc_write(e, &d, sum) < 0)
		return emu_fault(e);
	e->v->eflags = fl;
	return emu_next(e);
}

/* emu_cmpxchg: CMPXCHG r/m, r: flags of CMP accumulator, DEST; equal:
 * DEST = SRC, else accumulator = DEST (and DEST is written back, as the
 * processor does). */
static enum callout_result emu_cmpxchg(struct emu *e)
{
	struct emu_loc d;
	unsigned sz = e->s.ops[0].size / 8;
	ZydisRegister acc = sz == 1   ? ZYDIS_REGISTER_AL
			    : sz == 2 ? ZYDIS_REGISTER_AX
				      : ZYDIS_REGISTER_EAX;
	uint32_t vd, src = insn_reg_read(e->v, e->s.ops[1].reg.value);
	uint32_t fl = e->v->eflags;
	bool ok;

	emu_loc(e, &e->s.ops[0], &d);
	if (emu_rmw_check(e, &d) < 0 || emu_loc_read(e, &d, &vd) < 0)
		return emu_fault(e);
	emu_host_alu(ZYDIS_MNEMONIC_CMP, sz, insn_reg_read(e->v, acc), vd, 0, &fl, &ok);
	if (emu_loc_write(e, &d, (fl & EFL_ZF) ? src : vd) < 0)
		return emu_fault(e);
	if (!(fl & EFL_ZF))
		insn_reg_write(e->v, acc, vd);
	e->v->eflags = fl;
	return emu_next(e);
}

/* emu_cmpxchg8b: CMPXCHG8B m64 (only ZF changes). */
static enum callout_result emu_cmpxchg8b(struct emu *e)
{
	struct vcpu *v = e->v;
	struct emu_loc d;
	uint32_t m[2], n[2];

	if (e->s.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
		return EMU_REFUSE(e, "register operand");
	emu_loc(e, &e->s.ops[0], &d);
	if (emu_rmw_check(e, &d) < 0 || cpu_read_seg(v, d.seg, d.off, m, 8) < 0)
		return emu_fault(e);
	bool eq = m[0] == v->gpr[R_EAX] && m[1] == v->gpr[R_EDX];
	n[0] = eq ? v->gpr[R_EBX] : m[0];
	n[1] = eq ? v->gpr[R_ECX] : m[1];
	if (cpu_write_seg(v, d.seg, d.off, n, 8) < 0)
		return emu_fault(e);
	if (!eq) {
		v->gpr[R_EAX] = m[0];
		v->gpr[R_EDX] = m[1];
	}
	v->eflags = eq ? v->eflags | EFL_ZF : v->eflags & ~EFL_ZF;
	return emu_next(e);
}

/* div_faults: DIV/IDIV of the dividend in EDX:EAX (DX:AX, AX) by d would
 * raise #DE (divisor 0 or quotient too large). */
static bool div_faults(const struct vcpu *v, bool sgn, unsigned sz, uint32_t d)
{
	uint32_t a = v->gpr[R_EAX], dx = v->gpr[R_EDX];
	uint64_t u = sz == 1   ? (a & 0xffff)
		     : sz == 2 ? ((dx & 0xffff) << 16 | (a & 0xffff))
			       : ((uint64_t)dx << 32 | a);

	d &= size_mask(sz);
	if (!d)
		return true;
	if (!sgn)
		return u / d > size_mask(sz);
	int64_t n = sz == 1 ? (int16_t)u : sz == 2 ? (int32_t)u : (int64_t)u;
	int64_t s = sz == 1 ? (int8_t)d : sz == 2 ? (int16_t)d : (int32_t)d;
	int64_t lim = (int64_t)1 << (sz * 8 - 1);
	if (s == -1 && n == INT64_MIN)
		return true;
	int64_t q = n / s;
	return q < -lim || q >= lim;
}

/* MULDIV: one-operand MUL/IMUL/DIV/IDIV on host EAX/EDX with guest flags. */
#define MULDIV(insn)                                                                               \
	do {                                                                                       \
		if (sz == 1)                                                                       \
			__asm__ volatile(FL_IN insn "b %b[y]" FL_OUT                               \
					 : "+a"(a), "+d"(d), [f] "+r"(f)                           \
					 : [y] "q"(y)                                              \
					 : "cc");                                                  \
		else if (sz == 2)                                                                  \
			__asm__ volatile(FL_IN insn "w %w[y]" FL_OUT                               \
					 : "+a"(a), "+d"(d), [f] "+r"(f)                           \
					 : [y] "r"(y)                                              \
					 : "cc");                                                  \
		else                                                                               \
			__asm__ volatile(FL_IN insn "l %k[y]" FL_OUT                               \
					 : "+a"(a), "+d"(d), [f] "+r"(f)                           \
					 : [y] "r"(y)                                              \
					 : "cc");                                                  \
	} while (0)

/* emu_muldiv: MUL/IMUL/DIV/IDIV r/m (one operand); #DE checked first so
 * the host instruction cannot fault. */
static enum callout_result emu_muldiv(struct emu *e)
{
	struct vcpu *v = e->v;
	ZydisMnemonic m = e->s.insn.mnemonic;
	unsigned sz = e->s.ops[0].size / 8;
	uint32_t y, a = v->gpr[R_EAX], d = v->gpr[R_EDX];
	uint64_t f = v->eflags & EFL_ARITH;

	if (insn_op_read(e->v, &e->s, &e->s.ops[0], &y) < 0)
		return emu_fault(e);
	if ((m == ZYDIS_MNEMONIC_DIV || m == ZYDIS_MNEMONIC_IDIV) &&
	    div_faults(v, m == ZYDIS_MNEMONIC_IDIV, sz, y)) {
		cpu_raise(v, EXC_DE, false, 0);
		return emu_fault(e);
	}
	if (m == ZYDIS_MNEMONIC_MUL)
		MULDIV("mul");
	else if (m == ZYDIS_MNEMONIC_IMUL)
		MULDIV("imul");
	else if (m == ZYDIS_MNEMONIC_DIV)
		MULDIV("div");
	else
		MULDIV("idiv");
	v->gpr[R_EAX] = a;
	if (sz > 1)
		v->gpr[R_EDX] = d;
	v->eflags = (v->eflags & ~EFL_ARITH) | ((uint32_t)f & EFL_ARITH);
	return emu_next(e);
}

bool emu_alu_covers(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SBB:
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_XOR:
	case ZYDIS_MNEMONIC_CMP:
	case ZYDIS_MNEMONIC_TEST:
	case ZYDIS_MNEMONIC_INC:
	case ZYDIS_MNEMONIC_DEC:
	case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_NOT:
	case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL:
	case ZYDIS_MNEMONIC_RCR:
	case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_SHLD:
	case ZYDIS_MNEMONIC_SHRD:
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
	case ZYDIS_MNEMONIC_BSF:
	case ZYDIS_MNEMONIC_BSR:
	case ZYDIS_MNEMONIC_MUL:
	case ZYDIS_MNEMONIC_IMUL:
	case ZYDIS_MNEMONIC_DIV:
	case ZYDIS_MNEMONIC_IDIV:
	case ZYDIS_MNEMONIC_XCHG:
	case ZYDIS_MNEMONIC_XADD:
	case ZYDIS_MNEMONIC_CMPXCHG:
	case ZYDIS_MNEMONIC_CMPXCHG8B:
		return true;
	default:
		return false;
	}
}

enum callout_result emu_alu_insn(struct emu *e)
{
	const ZydisDecodedInstruction *in = &e->s.insn;

	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_XCHG:
		return emu_xchg(e);
	case ZYDIS_MNEMONIC_XADD:
		return emu_xadd(e);
	case ZYDIS_MNEMONIC_CMPXCHG:
		return emu_cmpxchg(e);
	case ZYDIS_MNEMONIC_CMPXCHG8B:
		return emu_cmpxchg8b(e);
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
		return emu_bt(e);
	case ZYDIS_MNEMONIC_MUL:
	case ZYDIS_MNEMONIC_DIV:
	case ZYDIS_MNEMONIC_IDIV:
		return emu_muldiv(e);
	case ZYDIS_MNEMONIC_IMUL:
		if (in->operand_count_visible == 1)
			return emu_muldiv(e);
		return emu_arith(e);
	default:
		return emu_arith(e);
	}
}
