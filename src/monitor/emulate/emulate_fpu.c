/*
 * emulate_fpu.c - x87, MMX and SSE instructions with a memory operand.
 *
 * The memory half goes through the cpu layer like every other access; the
 * register half runs natively: fpu_native() saves the host's x87/SSE state,
 * loads the guest's (vcpu->fxsave, FXSAVE format) with FXRSTOR, runs the
 * same instruction on a host buffer, saves the result with FXSAVE and puts
 * the host state back.  It is the only function of the monitor that
 * executes floating-point instructions.  Precision, rounding, tags, the
 * stack and exception flags are therefore exactly the hardware's.
 *
 * Faults: #MF before an x87/MMX instruction when an unmasked x87 exception
 * is pending (always #MF: CR0.NE=0 external reporting is not modelled),
 * #UD for SSE when CR4.OSFXSR is clear, #GP(0) for a misaligned
 * MOVAPS/MOVAPD/MOVDQA/MOVNT*, #PF/#GP/#SS from the memory access (the
 * guest state is committed only after the store succeeded).  CR0.TS/EM
 * cases never reach this file (callout_exec raises #NM/#UD).  An x87
 * store whose unmasked invalid, denormal, zero-divide, overflow or
 * underflow exception the instruction itself raised does not write memory,
 * as on hardware.
 */
#include "monitor/emulate/emulate_priv.h"

#include <string.h>

/* Native operations; the X87 ones take their operand at (buf). */
/* clang-format off */
#define X87_OPS(X) \
	X(F_LD32, "flds") \
	X(F_LD64, "fldl") \
	X(F_LD80, "fldt") \
	X(F_ILD16, "filds") \
	X(F_ILD32, "fildl") \
	X(F_ILD64, "fildll") \
	X(F_ST32, "fsts") \
	X(F_ST64, "fstl") \
	X(F_STP32, "fstps") \
	X(F_STP64, "fstpl") \
	X(F_STP80, "fstpt") \
	X(F_IST16, "fists") \
	X(F_IST32, "fistl") \
	X(F_ISTP16, "fistps") \
	X(F_ISTP32, "fistpl") \
	X(F_ISTP64, "fistpll") \
	X(F_LDCW, "fldcw") \
	X(F_STCW, "fnstcw") \
	X(F_STSW, "fnstsw") \
	X(F_ADD32, "fadds") \
	X(F_ADD64, "faddl") \
	X(F_MUL32, "fmuls") \
	X(F_MUL64, "fmull") \
	X(F_COM32, "fcoms") \
	X(F_COM64, "fcoml") \
	X(F_COMP32, "fcomps") \
	X(F_COMP64, "fcompl") \
	X(F_SUB32, "fsubs") \
	X(F_SUB64, "fsubl") \
	X(F_SUBR32, "fsubrs") \
	X(F_SUBR64, "fsubrl") \
	X(F_DIV32, "fdivs") \
	X(F_DIV64, "fdivl") \
	X(F_DIVR32, "fdivrs") \
	X(F_DIVR64, "fdivrl") \
	X(F_IADD16, "fiadds") \
	X(F_IADD32, "fiaddl") \
	X(F_IMUL16, "fimuls") \
	X(F_IMUL32, "fimull") \
	X(F_ICOM16, "ficoms") \
	X(F_ICOM32, "ficoml") \
	X(F_ICOMP16, "ficomps") \
	X(F_ICOMP32, "ficompl") \
	X(F_ISUB16, "fisubs") \
	X(F_ISUB32, "fisubl") \
	X(F_ISUBR16, "fisubrs") \
	X(F_ISUBR32, "fisubrl") \
	X(F_IDIV16, "fidivs") \
	X(F_IDIV32, "fidivl") \
	X(F_IDIVR16, "fidivrs") \
	X(F_IDIVR32, "fidivrl")
/* clang-format on */

#define X_ENUM(name, text) name,
enum fop {
	X87_OPS(X_ENUM)
	/* MMX register n <-> (buf) */
	M_LD32,
	M_LD64,
	M_ST32,
	M_ST64,
	/* XMM register n <-> (buf): zero-extending loads, merging loads of the
	 * low/high quadword, stores of the low dword/quadword, all, the high
	 * quadword */
	S_LD32,
	S_LD64,
	S_LD128,
	S_LDLO,
	S_LDHI,
	S_ST32,
	S_ST64,
	S_ST128,
	S_STHI,
};

/* ON_REG: run `pre <reg n> post` for register n (0-7) of kind "mm"/"xmm",
 * with (%0) = buf. */
#define ON_REG1(pre, kind, k, post)                                                                \
	case k:                                                                                    \
		__asm__ volatile(pre "%%" kind #k post ::"r"(buf) : "memory");                     \
		break;
#define ON_REG(pre, kind, post)                                                                    \
	switch (reg & 7) {                                                                         \
		ON_REG1(pre, kind, 0, post)                                                        \
		ON_REG1(pre, kind, 1, post)                                                        \
		ON_REG1(pre, kind, 2, post)                                                        \
		ON_REG1(pre, kind, 3, post)                                                        \
		ON_REG1(pre, kind, 4, post)                                                        \
		ON_REG1(pre, kind, 5, post)                                                        \
		ON_REG1(pre, kind, 6, post)                                                        \
		ON_REG1(pre, kind, 7, post)                                                        \
	}

struct fx_image {
	uint8_t b[512];
} __attribute__((aligned(16)));

/* fpu_native: with the guest x87/SSE state img loaded into the host FPU,
 * run op on buf (reg: the MMX/XMM register number) and store the
 * resulting state back into img; the host's own state is restored.  The
 * guest MXCSR is masked with the host's MXCSR_MASK so FXRSTOR cannot
 * fault; callers make sure no unmasked x87 exception is pending before a
 * waiting instruction. */
static void fpu_native(struct fx_image *img, enum fop op, unsigned reg, void *buf)
{
	struct fx_image host;
	uint32_t mask, mxcsr;

	__asm__ volatile("fxsave %0" : "=m"(host));
	memcpy(&mask, host.b + 28, 4);
	memcpy(&mxcsr, img->b + 24, 4);
	mxcsr &= mask ? mask : 0xffbf;
	memcpy(img->b + 24, &mxcsr, 4);
	__asm__ volatile("fxrstor %0" ::"m"(*img) : "memory");
#define X_CASE(name, text)                                                                         \
	case name:                                                                                 \
		__asm__ volatile(text " (%0)" ::"r"(buf) : "memory");                              \
		break;
	switch (op) {
		X87_OPS(X_CASE)
	case M_LD32:
		ON_REG("movd (%0), ", "mm", "");
		break;
	case M_LD64:
		ON_REG("movq (%0), ", "mm", "");
		break;
	case M_ST32:
		ON_REG("movd ", "mm", ", (%0)");
		break;
	case M_ST64:
		ON_REG("movq ", "mm", ", (%0)");
		break;
	case S_LD32:
		ON_REG("movd (%0), ", "xmm", "");
		break;
	case S_LD64:
		ON_REG("movq (%0), ", "xmm", "");
		break;
	case S_LD128:
		ON_REG("movups (%0), ", "xmm", "");
		break;
	case S_LDLO:
		ON_REG("movlps (%0), ", "xmm", "");
		break;
	case S_LDHI:
		ON_REG("movhps (%0), ", "xmm", "");
		break;
	case S_ST32:
		ON_REG("movd ", "xmm", ", (%0)");
		break;
	case S_ST64:
		ON_REG("movq ", "xmm", ", (%0)");
		break;
	case S_ST128:
		ON_REG("movups ", "xmm", ", (%0)");
		break;
	case S_STHI:
		ON_REG("movhps ", "xmm", ", (%0)");
		break;
	}
#undef X_CASE
	__asm__ volatile("fxsave %0" : "=m"(*img)::"memory");
	__asm__ volatile("fxrstor %0" ::"m"(host) : "memory");
}

/* An x87 instruction form with a memory operand. */
struct x87_form {
	ZydisMnemonic m;
	uint8_t bits;
	uint8_t op;   /* enum fop */
	uint8_t kind; /* 'l' load/compute, 's' store, 'c' control load, 'n' non-waiting store */
};

static const struct x87_form x87_forms[] = {
    {ZYDIS_MNEMONIC_FLD, 32, F_LD32, 'l'},	 {ZYDIS_MNEMONIC_FLD, 64, F_LD64, 'l'},
    {ZYDIS_MNEMONIC_FLD, 80, F_LD80, 'l'},	 {ZYDIS_MNEMONIC_FILD, 16, F_ILD16, 'l'},
    {ZYDIS_MNEMONIC_FILD, 32, F_ILD32, 'l'},	 {ZYDIS_MNEMONIC_FILD, 64, F_ILD64, 'l'},
    {ZYDIS_MNEMONIC_FST, 32, F_ST32, 's'},	 {ZYDIS_MNEMONIC_FST, 64, F_ST64, 's'},
    {ZYDIS_MNEMONIC_FSTP, 32, F_STP32, 's'},	 {ZYDIS_MNEMONIC_FSTP, 64, F_STP64, 's'},
    {ZYDIS_MNEMONIC_FSTP, 80, F_STP80, 's'},	 {ZYDIS_MNEMONIC_FIST, 16, F_IST16, 's'},
    {ZYDIS_MNEMONIC_FIST, 32, F_IST32, 's'},	 {ZYDIS_MNEMONIC_FISTP, 16, F_ISTP16, 's'},
    {ZYDIS_MNEMONIC_FISTP, 32, F_ISTP32, 's'},	 {ZYDIS_MNEMONIC_FISTP, 64, F_ISTP64, 's'},
    {ZYDIS_MNEMONIC_FLDCW, 16, F_LDCW, 'c'},	 {ZYDIS_MNEMONIC_FNSTCW, 16, F_STCW, 'n'},
    {ZYDIS_MNEMONIC_FNSTSW, 16, F_STSW, 'n'},	 {ZYDIS_MNEMONIC_FADD, 32, F_ADD32, 'l'},
    {ZYDIS_MNEMONIC_FADD, 64, F_ADD64, 'l'},	 {ZYDIS_MNEMONIC_FMUL, 32, F_MUL32, 'l'},
    {ZYDIS_MNEMONIC_FMUL, 64, F_MUL64, 'l'},	 {ZYDIS_MNEMONIC_FCOM, 32, F_COM32, 'l'},
    {ZYDIS_MNEMONIC_FCOM, 64, F_COM64, 'l'},	 {ZYDIS_MNEMONIC_FCOMP, 32, F_COMP32, 'l'},
    {ZYDIS_MNEMONIC_FCOMP, 64, F_COMP64, 'l'},	 {ZYDIS_MNEMONIC_FSUB, 32, F_SUB32, 'l'},
    {ZYDIS_MNEMONIC_FSUB, 64, F_SUB64, 'l'},	 {ZYDIS_MNEMONIC_FSUBR, 32, F_SUBR32, 'l'},
    {ZYDIS_MNEMONIC_FSUBR, 64, F_SUBR64, 'l'},	 {ZYDIS_MNEMONIC_FDIV, 32, F_DIV32, 'l'},
    {ZYDIS_MNEMONIC_FDIV, 64, F_DIV64, 'l'},	 {ZYDIS_MNEMONIC_FDIVR, 32, F_DIVR32, 'l'},
    {ZYDIS_MNEMONIC_FDIVR, 64, F_DIVR64, 'l'},	 {ZYDIS_MNEMONIC_FIADD, 16, F_IADD16, 'l'},
    {ZYDIS_MNEMONIC_FIADD, 32, F_IADD32, 'l'},	 {ZYDIS_MNEMONIC_FIMUL, 16, F_IMUL16, 'l'},
    {ZYDIS_MNEMONIC_FIMUL, 32, F_IMUL32, 'l'},	 {ZYDIS_MNEMONIC_FICOM, 16, F_ICOM16, 'l'},
    {ZYDIS_MNEMONIC_FICOM, 32, F_ICOM32, 'l'},	 {ZYDIS_MNEMONIC_FICOMP, 16, F_ICOMP16, 'l'},
    {ZYDIS_MNEMONIC_FICOMP, 32, F_ICOMP32, 'l'}, {ZYDIS_MNEMONIC_FISUB, 16, F_ISUB16, 'l'},
    {ZYDIS_MNEMONIC_FISUB, 32, F_ISUB32, 'l'},	 {ZYDIS_MNEMONIC_FISUBR, 16, F_ISUBR16, 'l'},
    {ZYDIS_MNEMONIC_FISUBR, 32, F_ISUBR32, 'l'}, {ZYDIS_MNEMONIC_FIDIV, 16, F_IDIV16, 'l'},
    {ZYDIS_MNEMONIC_FIDIV, 32, F_IDIV32, 'l'},	 {ZYDIS_MNEMONIC_FIDIVR, 16, F_IDIVR16, 'l'},
    {ZYDIS_MNEMONIC_FIDIVR, 32, F_IDIVR32, 'l'},
};

/* The memory operand of the instruction: segment, offset, bytes. */
struct fmem {
	int seg;
	uint32_t off;
	unsigned len;
};

/* fpu_commit: run op natively; for a store, write the buffer to guest
 * memory unless an x87 store raised an unmasked exception (a status bit
 * whose control-word mask is clear), which cancels the store; then commit
 * the new state. */
static enum callout_result fpu_commit(struct emu *e, enum fop op, unsigned reg,
				      const struct fmem *m, bool load, bool x87_store)
{
	struct vcpu *v = e->v;
	struct fx_image img;
	uint8_t buf[16] __attribute__((aligned(16))) = {0};

	if (load && cpu_read_seg(v, m->seg, m->off, buf, m->len) < 0)
		return emu_fault(e);
	memcpy(img.b, v->fxsave, sizeof(img.b));
	fpu_native(&img, op, reg, buf);
	bool cancelled = x87_store && (le16(img.b + 2) & ~le16(img.b) & 0x1f);
	if (!load && !cancelled && cpu_write_seg(v, m->seg, m->off, buf, m->len) < 0)
		return emu_fault(e);
	memcpy(v->fxsave, img.b, sizeof(img.b));
	return emu_next(e);
}

/* emu_x87: an x87 instruction with a memory operand. */
static enum callout_result emu_x87(struct emu *e, const ZydisDecodedOperand *mop,
				   const struct fmem *m)
{
	const ZydisDecodedInstruction *in = &e->s.insn;
	struct vcpu *v = e->v;
	const struct x87_form *f = NULL;

	for (unsigned i = 0; i < sizeof(x87_forms) / sizeof(x87_forms[0]); i++)
		if (x87_forms[i].m == in->mnemonic && x87_forms[i].bits == mop->size)
			f = &x87_forms[i];
	if (!f)
		return EMU_REFUSE(e, "x87 form");
	if (f->kind != 'n' && cpu_x87_pending(v)) {
		cpu_raise(v, EXC_MF, false, 0);
		return emu_fault(e);
	}
	enum callout_result r =
	    fpu_commit(e, f->op, 0, m, f->kind == 'l' || f->kind == 'c', f->kind == 's');
	if (r == CO_NEXT && f->kind != 'c' && f->kind != 'n') {
		/* last instruction and operand pointers, FOP */
		le_put16(v->fxsave + 6, (uint16_t)((in->opcode & 7) << 8 | in->raw.modrm.mod << 6 |
						   in->raw.modrm.reg << 3 | in->raw.modrm.rm));
		le_put32(v->fxsave + 8, e->s.eip);
		le_put16(v->fxsave + 12, v->seg[S_CS].sel);
		le_put32(v->fxsave + 16, m->off);
		le_put16(v->fxsave + 20, v->seg[m->seg].sel);
	}
	return r;
}

/* sse_op: the native operation for an SSE/SSE2 move with an XMM
 * register; -1 if not a move this file handles.  *align: 16-byte
 * alignment required. */
static int sse_op(ZydisMnemonic m, bool store, bool *align)
{
	*align = false;
	switch (m) {
	case ZYDIS_MNEMONIC_MOVD:
	case ZYDIS_MNEMONIC_MOVSS:
		return store ? S_ST32 : S_LD32;
	case ZYDIS_MNEMONIC_MOVQ:
	case ZYDIS_MNEMONIC_MOVSD:
		return store ? S_ST64 : S_LD64;
	case ZYDIS_MNEMONIC_MOVLPS:
	case ZYDIS_MNEMONIC_MOVLPD:
		return store ? S_ST64 : S_LDLO;
	case ZYDIS_MNEMONIC_MOVHPS:
	case ZYDIS_MNEMONIC_MOVHPD:
		return store ? S_STHI : S_LDHI;
	case ZYDIS_MNEMONIC_MOVAPS:
	case ZYDIS_MNEMONIC_MOVAPD:
	case ZYDIS_MNEMONIC_MOVDQA:
		*align = true;
		return store ? S_ST128 : S_LD128;
	case ZYDIS_MNEMONIC_MOVNTPS:
	case ZYDIS_MNEMONIC_MOVNTPD:
	case ZYDIS_MNEMONIC_MOVNTDQ:
		*align = true;
		return store ? S_ST128 : -1;
	case ZYDIS_MNEMONIC_MOVUPS:
	case ZYDIS_MNEMONIC_MOVUPD:
	case ZYDIS_MNEMONIC_MOVDQU:
		return store ? S_ST128 : S_LD128;
	default:
		return -1;
	}
}

/* emu_simd: MMX and SSE moves between a register and memory. */
static enum callout_result emu_simd(struct emu *e, const ZydisDecodedOperand *mop,
				    const struct fmem *m)
{
	const ZydisDecodedOperand *ops = e->s.ops;
	const ZydisDecodedOperand *rop = mop == &ops[0] ? &ops[1] : &ops[0];
	struct vcpu *v = e->v;
	ZydisRegisterClass cls = ZydisRegisterGetClass(rop->reg.value);
	bool store = mop == &ops[0], align = false;
	int op = -1;

	if (e->s.insn.operand_count_visible != 2 || rop->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return EMU_REFUSE(e, "SIMD form");
	if (cls == ZYDIS_REGCLASS_MMX) {
		if (e->s.insn.mnemonic == ZYDIS_MNEMONIC_MOVD)
			op = store ? M_ST32 : M_LD32;
		else if (e->s.insn.mnemonic == ZYDIS_MNEMONIC_MOVQ ||
			 (e->s.insn.mnemonic == ZYDIS_MNEMONIC_MOVNTQ && store))
			op = store ? M_ST64 : M_LD64;
	} else if (cls == ZYDIS_REGCLASS_XMM) {
		op = sse_op(e->s.insn.mnemonic, store, &align);
	}
	if (op < 0)
		return EMU_REFUSE(e, "SIMD arithmetic with memory");
	if (cls == ZYDIS_REGCLASS_XMM && !(v->cr4 & CR4_OSFXSR)) {
		cpu_raise_ud(v);
		return emu_fault(e);
	}
	if (cls == ZYDIS_REGCLASS_MMX && cpu_x87_pending(v)) {
		cpu_raise(v, EXC_MF, false, 0);
		return emu_fault(e);
	}
	if (align && ((v->seg[m->seg].base + m->off) & 15)) {
		cpu_raise_gp(v, 0);
		return emu_fault(e);
	}
	return fpu_commit(e, (enum fop)op, (unsigned)ZydisRegisterGetId(rop->reg.value), m, !store,
			  false);
}

enum callout_result emu_fpu_insn(struct emu *e)
{
	const ZydisDecodedOperand *mop = emu_mem_op(e);
	struct fmem m;

	if (!mop)
		return EMU_REFUSE(e, "no memory operand");
	m.off = insn_ea(e->v, &e->s, mop, 0, &m.seg);
	m.len = mop->size / 8;
	if (m.len == 0 || m.len > 16)
		return EMU_REFUSE(e, "memory operand size");
	if (e->s.insn.meta.isa_ext == ZYDIS_ISA_EXT_X87)
		return emu_x87(e, mop, &m);
	return emu_simd(e, mop, &m);
}
