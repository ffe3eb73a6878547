/*
 * callout_fpu.c - x87/SSE instructions that cannot run as copies: those
 * that store the x87 instruction and data pointers (FNSTENV, FNSAVE,
 * FXSAVE), FXRSTOR (whose 64-bit host form would load XMM8-15), and
 * MASKMOVQ/MASKMOVDQU, whose store to DS:EDI is hidden from the ModRM byte.
 *
 * The guest's x87/SSE state is vcpu->fxsave (saved by the callout entry in
 * the 32-bit FXSAVE layout; restored on the way back).  Pointers saved
 * there may be host addresses (the engine's copy of the last x87
 * instruction, the host address of its operand): engine->fpu_pointers
 * turns them into guest values.  Images are built by the host's own
 * FNSTENV/FNSAVE on that state, so the tag word and reserved fields are
 * the hardware's; only the pointers are patched.
 */
#include <string.h>

#include "monitor/insn/callout_priv.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

/* The guest CPU model's MXCSR_MASK (DAZ supported, nothing above bit 15). */
#define GUEST_MXCSR_MASK 0xffffu

/* Offsets in the 32-bit FXSAVE image. */
#define FX_FCW	  0
#define FX_FSW	  2
#define FX_FTW	  4
#define FX_FOP	  6
#define FX_FIP	  8
#define FX_FCS	  12
#define FX_FDP	  16
#define FX_FDS	  20
#define FX_MXCSR  24
#define FX_MASK	  28
#define FX_ST(i)  (32 + 16 * (i))
#define FX_XMM(i) (160 + 16 * (i))
#define FX_GUEST  288 /* bytes FXSAVE writes outside 64-bit mode */

/* What loading the guest's x87/SSE state into the host registers changes:
 * the asm statements that do so say it, so no compiler-kept value lives
 * there across them. */
#define FPU_CLOBBERS                                                                               \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",   \
	    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", \
	    "st(5)", "st(6)", "st(7)"

/* The x87 pointers (and last opcode) as the guest sees them. */
struct fpu_ptrs {
	uint32_t fip, fdp;
	uint16_t fcs, fds, fop;
};

/* fpu_decode_at: decode the x87 instruction at CS:eip: the segment its
 * memory operand went through (an override, SS for EBP/ESP bases, else DS)
 * into *seg, and its FOP (the low 3 opcode bits and the ModRM byte) into
 * *fop.  The read is a probe: no fault reaches the guest. */
static void fpu_decode_at(struct vcpu *v, uint32_t eip, int *seg, uint16_t *fop)
{
	ZydisDecoder d;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint8_t code[15];
	struct pending_exc saved = v->exc;
	uint32_t lin = v->seg[S_CS].base + eip;
	/* as much as the page holds, then the rest if it is mapped */
	unsigned n = MIN(15u, 4096 - (lin & 0xfff));

	*seg = S_DS;
	*fop = 0;
	callout_decoder_init(&d, v->seg[S_CS].attr & SEG_ATTR_DB);
	int r = cpu_read_lin(v, lin, code, n, ACC_EXEC);
	if (r == 0 && n < 15 && cpu_read_lin(v, lin + n, code + n, 15 - n, ACC_EXEC) == 0)
		n = 15;
	v->exc = saved;
	if (r < 0 || !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, code, n, &in, ops)))
		return;
	*fop = (uint16_t)((in.opcode & 7) << 8 | in.raw.modrm.mod << 6 | in.raw.modrm.reg << 3 |
			  in.raw.modrm.rm);
	for (unsigned i = 0; i < in.operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    insn_seg_index(ops[i].mem.segment) >= 0)
			*seg = insn_seg_index(ops[i].mem.segment);
}

/* fpu_guest_ptrs: the pointers of vcpu->fxsave in guest terms.
 * - Still the ones the guest loaded (no x87 instruction since): those.
 * - Zero (FNINIT, reset): zero.
 * - The engine's own (bt: a copied x87 instruction in the TC): its guest
 *   EIP, CS, the segment offset of its operand and its FOP.  CS and the
 *   segment base are the ones in force now (the ones of the moment the x87
 *   instruction ran are not kept).
 * - Anything else (a TC address after a flush): zero, never host bits. */
static struct fpu_ptrs fpu_guest_ptrs(struct vcpu *v)
{
	const uint8_t *fx = v->fxsave;
	struct machine *m = v->machine;
	uint32_t fip = le32(fx + FX_FIP), fdp = le32(fx + FX_FDP);
	struct fpu_ptrs p = {0};

	if (fip == v->fpu_loaded.fip && fdp == v->fpu_loaded.fdp) /* all zero at reset */
		return (struct fpu_ptrs){fip, v->fpu_loaded.fdp, v->fpu_loaded.fcs,
					 v->fpu_loaded.fds, v->fpu_loaded.fop};
	if (!fip && !fdp)
		return p;
	if (!m || !m->engine || !m->engine->fpu_pointers)
		return (struct fpu_ptrs){fip, fdp, le16(fx + FX_FCS), le16(fx + FX_FDS),
					 le16(fx + FX_FOP)};
	if (!m->engine->fpu_pointers(m, &fip, &fdp))
		return p;
	int seg;
	fpu_decode_at(v, fip, &seg, &p.fop);
	p.fip = fip;
	p.fcs = v->seg[S_CS].sel;
	p.fds = v->seg[seg].sel;
	p.fdp = fdp - v->seg[seg].base;
	return p;
}

/* fpu_note_loaded: the guest loaded x87 pointers: remember them with the
 * host image's FIP/FDP they now sit in. */
static void fpu_note_loaded(struct vcpu *v, const struct fpu_ptrs *p)
{
	v->fpu_loaded.fip = le32(v->fxsave + FX_FIP);
	v->fpu_loaded.fdp = le32(v->fxsave + FX_FDP);
	v->fpu_loaded.fcs = p->fcs;
	v->fpu_loaded.fds = p->fds;
	v->fpu_loaded.fop = p->fop;
}

/* fpu_probe: every check a len-byte access at memory operand op (+extra)
 * would make (segment type and limit, paging for read or write) without
 * moving a byte; CPU_FAULT with the exception raised. */
static int fpu_probe(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		     uint32_t extra, unsigned len, bool write)
{
	int seg;
	uint32_t ea = insn_ea(v, s, op, extra, &seg), phys;

	if (cpu_seg_check(v, seg, ea, len, write) < 0)
		return CPU_FAULT;
	uint32_t lin = v->seg[seg].base + ea;
	for (unsigned done = 0; done < len;) {
		if (cpu_translate(v, lin + done, write ? ACC_WRITE : ACC_READ, &phys) < 0)
			return CPU_FAULT;
		done += 4096 - ((lin + done) & 0xfff);
	}
	return 0;
}

/* fpu_host_store: run the host's FNSTENV (save false) or FNSAVE (save
 * true) on the guest's state, operand size o16, into buf. */
static void fpu_host_store(struct vcpu *v, bool save, bool o16, uint8_t *buf)
{
	__asm__ volatile("fxrstor %0"
			 :
			 : "m"(*(const uint8_t(*)[512])v->fxsave)
			 : "memory", FPU_CLOBBERS);
	if (save && o16)
		__asm__ volatile("data16 fnsave %0" : "=m"(*(uint8_t(*)[94])buf));
	else if (save)
		__asm__ volatile("fnsave %0" : "=m"(*(uint8_t(*)[108])buf));
	else if (o16)
		__asm__ volatile("data16 fnstenv %0" : "=m"(*(uint8_t(*)[14])buf));
	else
		__asm__ volatile("fnstenv %0" : "=m"(*(uint8_t(*)[28])buf));
	__asm__ volatile("fxrstor %0"
			 :
			 : "m"(*(const uint8_t(*)[512])v->fxsave)
			 : "memory", FPU_CLOBBERS);
}

/* fpu_patch_env: the pointers of an FNSTENV/FNSAVE image (protected-mode
 * layout, 16- or 32-bit) set to p. */
static void fpu_patch_env(uint8_t *env, bool o16, const struct fpu_ptrs *p)
{
	if (o16) {
		le_put16(env + 6, (uint16_t)p->fip);
		le_put16(env + 8, p->fcs);
		le_put16(env + 10, (uint16_t)p->fdp);
		le_put16(env + 12, p->fds);
		return;
	}
	le_put32(env + 12, p->fip);
	le_put16(env + 16, p->fcs);
	le_put16(env + 18, p->fop & 0x7ff);
	le_put32(env + 20, p->fdp);
	le_put16(env + 24, p->fds);
}

/* fpu_env_ptrs: the pointers an FLDENV/FRSTOR image (protected-mode
 * layout, 16- or 32-bit) holds. */
static struct fpu_ptrs fpu_env_ptrs(const uint8_t *env, bool o16)
{
	if (o16)
		return (struct fpu_ptrs){le16(env + 6), le16(env + 10), le16(env + 8),
					 le16(env + 12), 0};
	return (struct fpu_ptrs){le32(env + 12), le32(env + 20), le16(env + 16), le16(env + 24),
				 le16(env + 18) & 0x7ff};
}

/* co_fldenv_frstor: FLDENV m14/28 and FRSTOR m94/108: waiting
 * instructions, so a pending unmasked exception is #MF first; else the
 * host loads the image into the guest's state, and the pointers it holds
 * are remembered as the guest's (so FNSTENV shows them back, and host
 * values never). */
enum callout_result co_fldenv_frstor(struct vcpu *v, const struct callout_site *s)
{
	bool rstor = s->insn.mnemonic == ZYDIS_MNEMONIC_FRSTOR;
	bool o16 = s->insn.operand_width == 16;
	unsigned len = (o16 ? 14 : 28) + (rstor ? 80 : 0);
	uint8_t buf[108];

	if (cpu_x87_pending(v)) {
		cpu_raise(v, EXC_MF, false, 0);
		return co_fault(v, s);
	}
	if (insn_mem_read(v, s, &s->ops[0], 0, buf, len) < 0)
		return co_fault(v, s);
	__asm__ volatile("fxrstor %0"
			 :
			 : "m"(*(const uint8_t(*)[512])v->fxsave)
			 : "memory", FPU_CLOBBERS);
	if (rstor && o16)
		__asm__ volatile("data16 frstor %0" : : "m"(*(const uint8_t(*)[94])buf));
	else if (rstor)
		__asm__ volatile("frstor %0" : : "m"(*(const uint8_t(*)[108])buf));
	else if (o16)
		__asm__ volatile("data16 fldenv %0" : : "m"(*(const uint8_t(*)[14])buf));
	else
		__asm__ volatile("fldenv %0" : : "m"(*(const uint8_t(*)[28])buf));
	__asm__ volatile("fxsave %0" : "=m"(*(uint8_t(*)[512])v->fxsave) : : "memory");
	struct fpu_ptrs p = fpu_env_ptrs(buf, o16);
	fpu_note_loaded(v, &p);
	return co_next(v, s);
}

/* co_fnstenv_fnsave: FNSTENV m14/28 and FNSAVE m94/108.  The image is
 * stored first; only then does FNSTENV mask every x87 exception and
 * FNSAVE reinitialize the FPU (as FNINIT).  Neither waits: a pending
 * unmasked exception is saved, not raised. */
enum callout_result co_fnstenv_fnsave(struct vcpu *v, const struct callout_site *s)
{
	bool save = s->insn.mnemonic == ZYDIS_MNEMONIC_FNSAVE;
	bool o16 = s->insn.operand_width == 16;
	unsigned len = (o16 ? 14 : 28) + (save ? 80 : 0);
	uint8_t buf[108];
	struct fpu_ptrs p = fpu_guest_ptrs(v);

	fpu_host_store(v, save, o16, buf);
	fpu_patch_env(buf, o16, &p);
	if (insn_mem_write(v, s, &s->ops[0], 0, buf, len) < 0)
		return co_fault(v, s);
	uint8_t *fx = v->fxsave;
	if (!save) {
		le_put16(fx + FX_FCW, le16(fx + FX_FCW) | 0x3f);
		return co_next(v, s);
	}
	le_put16(fx + FX_FCW, 0x37f);
	le_put16(fx + FX_FSW, 0);
	fx[FX_FTW] = 0;
	memset(fx + FX_FOP, 0, FX_MXCSR - FX_FOP);
	return co_next(v, s);
}

/* fx_aligned: FXSAVE/FXRSTOR need a 16-byte aligned operand: else #GP(0). */
static bool fx_aligned(struct vcpu *v, const struct callout_site *s)
{
	int seg;
	uint32_t ea = insn_ea(v, s, &s->ops[0], 0, &seg);

	if (((v->seg[seg].base + ea) & 15) == 0)
		return true;
	cpu_raise_gp(v, 0);
	return false;
}

/* co_fxsave: FXSAVE m512 outside 64-bit mode: bytes 0-287 (XMM0-7), the
 * guest's pointers and the guest model's MXCSR_MASK; bytes 288-511 are
 * left alone.  Does not wait for pending x87 exceptions. */
enum callout_result co_fxsave(struct vcpu *v, const struct callout_site *s)
{
	uint8_t img[FX_GUEST];
	struct fpu_ptrs p = fpu_guest_ptrs(v);

	if (!fx_aligned(v, s) || fpu_probe(v, s, &s->ops[0], 0, 512, true) < 0)
		return co_fault(v, s);
	memcpy(img, v->fxsave, sizeof(img));
	le_put16(img + FX_FOP, p.fop);
	le_put32(img + FX_FIP, p.fip);
	le_put16(img + FX_FCS, p.fcs);
	le_put32(img + FX_FDP, p.fdp);
	le_put16(img + FX_FDS, p.fds);
	le_put32(img + FX_MASK, GUEST_MXCSR_MASK);
	if (insn_mem_write(v, s, &s->ops[0], 0, img, sizeof(img)) < 0)
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_fxrstor: FXRSTOR m512 outside 64-bit mode: bytes 0-287; MXCSR bits
 * outside the guest's MXCSR_MASK (or a host's smaller one, which would
 * fault in the monitor's own FXRSTOR) give #GP(0).  The host's XMM8-15 (bytes
 * 288-415 of vcpu->fxsave) stay as they are. */
enum callout_result co_fxrstor(struct vcpu *v, const struct callout_site *s)
{
	uint8_t img[FX_GUEST];

	if (!fx_aligned(v, s) || fpu_probe(v, s, &s->ops[0], 0, 512, false) < 0 ||
	    insn_mem_read(v, s, &s->ops[0], 0, img, sizeof(img)) < 0)
		return co_fault(v, s);
	uint32_t host_mask = le32(v->fxsave + FX_MASK); /* as the entry saved it */
	if (!host_mask)
		host_mask = 0xffbf; /* SDM: a zero MXCSR_MASK field means this */
	if (le32(img + FX_MXCSR) & ~(GUEST_MXCSR_MASK & host_mask)) {
		cpu_raise_gp(v, 0);
		return co_fault(v, s);
	}
	le_put32(img + FX_MASK, le32(v->fxsave + FX_MASK));
	memcpy(v->fxsave, img, sizeof(img));
	struct fpu_ptrs p = {le32(img + FX_FIP), le32(img + FX_FDP), le16(img + FX_FCS),
			     le16(img + FX_FDS), le16(img + FX_FOP)};
	fpu_note_loaded(v, &p);
	return co_next(v, s);
}

/* mmx_reg: MMn is physical x87 register Rn, saved in slot (n - TOP) & 7. */
static uint8_t *mmx_reg(struct vcpu *v, unsigned n)
{
	unsigned top = (le16(v->fxsave + FX_FSW) >> 11) & 7;
	return v->fxsave + FX_ST((n - top) & 7);
}

/* mmx_enter: what every MMX instruction does to the x87 state: TOP = 0
 * (the slots rotate so slot n holds Rn) and every register valid. */
static void mmx_enter(struct vcpu *v)
{
	uint8_t regs[8][16];
	uint16_t fsw = le16(v->fxsave + FX_FSW);

	for (unsigned n = 0; n < 8; n++)
		memcpy(regs[n], mmx_reg(v, n), 16);
	memcpy(v->fxsave + FX_ST(0), regs, sizeof(regs));
	le_put16(v->fxsave + FX_FSW, fsw & ~0x3800);
	v->fxsave[FX_FTW] = 0xff;
}

/* reg_bytes: the bytes of MMX or XMM register r; *len 8 or 16. */
static uint8_t *reg_bytes(struct vcpu *v, ZydisRegister r, unsigned *len)
{
	if (ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_MMX) {
		*len = 8;
		return mmx_reg(v, ZydisRegisterGetId(r));
	}
	*len = 16;
	return v->fxsave + FX_XMM(ZydisRegisterGetId(r));
}

/* co_maskmov: MASKMOVQ mm1, mm2 / MASKMOVDQU xmm1, xmm2: each byte of the
 * first register whose mask byte (second register) has bit 7 set is
 * stored at DS:(E)DI + i (segment override allowed), through the guest's
 * segment and paging checks.  MASKMOVQ is an MMX instruction: TOP = 0 and
 * all tags valid afterwards. */
enum callout_result co_maskmov(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedOperand *mem = NULL;
	unsigned len;
	uint8_t data[16], mask[16];

	for (unsigned i = 0; i < s->insn.operand_count; i++)
		if (s->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mem = &s->ops[i];
	if (!mem)
		die("maskmov without its memory operand at %#x", s->eip);
	const uint8_t *d = reg_bytes(v, s->ops[0].reg.value, &len);
	memcpy(data, d, len);
	memcpy(mask, reg_bytes(v, s->ops[1].reg.value, &len), len);
	if (len == 8 && cpu_x87_pending(v)) { /* MMX waits: #MF first */
		cpu_raise(v, EXC_MF, false, 0);
		return co_fault(v, s);
	}
	/* every selected byte is checked before the first is stored: a fault
	 * leaves memory as it was */
	for (unsigned i = 0; i < len; i++)
		if ((mask[i] & 0x80) && fpu_probe(v, s, mem, i, 1, true) < 0)
			return co_fault(v, s);
	for (unsigned i = 0; i < len; i++)
		if ((mask[i] & 0x80) && insn_mem_write(v, s, mem, i, &data[i], 1) < 0)
			return co_fault(v, s);
	if (len == 8)
		mmx_enter(v);
	return co_next(v, s);
}
