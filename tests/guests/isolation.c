/*
 * Instructions whose memory access or saved state a translator can get
 * wrong: MASKMOVQ/MASKMOVDQU (implicit DS:EDI, with and without an FS
 * override), the x87 instruction and data pointers in the FNSTENV, FNSAVE,
 * 16-bit FNSTENV and FXSAVE images, the FXSAVE/FXRSTOR area in 32-bit mode,
 * the non-waiting x87 instructions with an unmasked exception pending
 * (CR0.NE=1: no #MF) against FWAIT (one #MF), and POPA at CPL 3 on a stack
 * segment with a small limit.
 *
 * Where the reference (QEMU TCG) or the CPUs a guest may run on differ from
 * the strict SDM reading, a check also accepts their documented or known
 * outcome, and says so: FCS/FDS stored as 0 (CPUID.(EAX=7,ECX=0):EBX[13],
 * accepted where leaf 7 is not visible), FXSAVE pointers stored as 0 (the
 * reference), and a POPA past the SS limit that completes (the reference has
 * no limit checks). FDP is only checked after an instruction that raised an
 * unmasked exception, where every CPU updates it.
 */
#include "rt.h"

#define SEL_FSB	  ((GDT_FIRST_FREE + 0) << 3)	  /* data, base = &fsbuf[16] */
#define SEL_SSLIM ((GDT_FIRST_FREE + 1) << 3 | 3) /* DPL 3 stack, base = ustk, limit 0x3f */

#define CANARY 0xcc
#define FSW_ZE 0x0004
#define FSW_ES 0x0080

/* SSE and MMX code generation only where the asm names those registers. */
#define SIMD_FN __attribute__((target("mmx,sse2")))

static uint8_t mbuf[48] __attribute__((aligned(16)));
static uint8_t fsbuf[16 + 0x40 + 16] __attribute__((aligned(16)));
static uint8_t want[128];
static uint8_t img[128] __attribute__((aligned(16)));
static uint8_t img2[128] __attribute__((aligned(16)));
static uint8_t fx[512] __attribute__((aligned(16)));
static uint8_t fx2[512] __attribute__((aligned(16)));
static uint8_t xout[128] __attribute__((aligned(16)));
static uint8_t ustk[256] __attribute__((aligned(16)));

static const uint8_t mdata[16] __attribute__((aligned(16))) = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, //
    0x99, 0xaa, 0xbb, 0x34, 0xdd, 0xee, 0xf0, 0x0f,
};
static const uint8_t mmask[16] __attribute__((aligned(16))) = {
    0x80, 0x00, 0xff, 0x7f, 0x81, 0x01, 0xc0, 0x40, //
    0x00, 0x80, 0x7f, 0xfe, 0x80, 0x80, 0x3f, 0x90,
};

static uint16_t read_ds(void)
{
	uint16_t v;
	asm volatile("mov %%ds, %0" : "=r"(v));
	return v;
}

/* MASKMOVQ mm0, mm1 and MASKMOVDQU xmm0, xmm1 to DS:EDI. */
static SIMD_FN void test_maskmov(void)
{
	memset(mbuf, CANARY, sizeof(mbuf));
	asm volatile("movq %[d], %%mm0\n\t"
		     "movq %[m], %%mm1\n\t"
		     ".byte 0x0f, 0xf7, 0xc1\n\t" /* maskmovq mm0, mm1 */
		     "emms"
		     :
		     : [d] "m"(mdata), [m] "m"(mmask), "D"(&mbuf[16])
		     : "mm0", "mm1", "memory");
	memset(want, CANARY, sizeof(mbuf));
	rt_masked_want(want, 16, mdata, mmask, 8);
	tap_bytes("maskmovq stores the mm0 bytes whose mm1 mask bit 7 is set at DS:EDI", mbuf, want,
		  sizeof(mbuf));

	memset(mbuf, CANARY, sizeof(mbuf));
	asm volatile("movdqa %[d], %%xmm0\n\t"
		     "movdqa %[m], %%xmm1\n\t"
		     ".byte 0x66, 0x0f, 0xf7, 0xc1" /* maskmovdqu xmm0, xmm1 */
		     :
		     : [d] "m"(mdata), [m] "m"(mmask), "D"(&mbuf[16])
		     : "xmm0", "xmm1", "memory");
	memset(want, CANARY, sizeof(mbuf));
	rt_masked_want(want, 16, mdata, mmask, 16);
	tap_bytes("maskmovdqu stores the masked xmm0 bytes at DS:EDI", mbuf, want, sizeof(mbuf));
}

/* The same stores with an FS override: they land at FS.base + EDI. */
static SIMD_FN void test_maskmov_fs(void)
{
	uint8_t low[0x40], d[8], m[8];
	const uint8_t *lin0;
	asm("xorl %0, %0" : "=r"(lin0));
	memcpy(low, lin0, sizeof(low));
	memset(fsbuf, CANARY, sizeof(fsbuf));
	memset(want, CANARY, sizeof(fsbuf));
	for (unsigned i = 0; i < 8; i++) {
		for (unsigned j = 0; j < 8; j++) {
			d[j] = (uint8_t)(i << 4 | j);
			m[j] = (i + j) % 3 ? 0x80 : 0x7f;
		}
		rt_masked_want(want, 16 + i * 8, d, m, 8);
		asm volatile("movw %w[fs], %%fs\n\t"
			     "movq %[d], %%mm0\n\t"
			     "movq %[m], %%mm1\n\t"
			     ".byte 0x64, 0x0f, 0xf7, 0xc1\n\t" /* maskmovq fs:[edi] */
			     "emms\n\t"
			     "movw %w[kd], %%fs"
			     :
			     : [d] "m"(d), [m] "m"(m),
			       "D"(i * 8), [fs] "r"(SEL_FSB), [kd] "r"(SEL_KDATA)
			     : "mm0", "mm1", "memory");
	}
	tap_bytes("maskmovq fs:[edi], edi = 0..0x38: stores land at FS.base + EDI", fsbuf, want,
		  sizeof(fsbuf));
	tap_bytes("maskmovq fs:[edi] leaves DS:EDI (linear 0..0x3f) alone", lin0, low, sizeof(low));

	memset(fsbuf, CANARY, sizeof(fsbuf));
	asm volatile("movw %w[fs], %%fs\n\t"
		     "movdqa %[d], %%xmm0\n\t"
		     "movdqa %[m], %%xmm1\n\t"
		     ".byte 0x64, 0x66, 0x0f, 0xf7, 0xc1\n\t" /* maskmovdqu fs:[edi] */
		     "movw %w[kd], %%fs"
		     :
		     : [d] "m"(mdata), [m] "m"(mmask),
		       "D"(0x24), [fs] "r"(SEL_FSB), [kd] "r"(SEL_KDATA)
		     : "xmm0", "xmm1", "memory");
	memset(want, CANARY, sizeof(fsbuf));
	rt_masked_want(want, 16 + 0x24, mdata, mmask, 16);
	tap_bytes("maskmovdqu fs:[edi], edi = 0x24: stores land at FS.base + 0x24", fsbuf, want,
		  sizeof(fsbuf));
	tap_bytes("maskmovdqu fs:[edi] leaves DS:EDI alone", lin0, low, sizeof(low));
}

/*
 * FCS and FDS read as 0 on processors with CPUID.(EAX=7,ECX=0):EBX[13]
 * set. Where leaf 7 is not visible (bt86's KVM model stops at leaf 2 while
 * the host CPU may zero them) both the selector and 0 are accepted.
 */
static int sel_zero_ok;

/* Checks an (offset, selector) pointer pair read from a state image; with
 * OR0 the pair 0:0 passes too. */
static void check_ptr(const char *desc, uint32_t off, uint32_t sel, uint32_t want_off,
		      uint32_t want_sel, int or0)
{
	int good = off == want_off && (sel == want_sel || (sel_zero_ok && sel == 0));
	if (!tap_ok(good || (or0 && off == 0 && sel == 0), "%s", desc))
		tap_diag("  got %04x:%08x, expected %04x:%08x", sel, off, want_sel, want_off);
}

static const double dzero;

/* fninit, L: fld1, then STORE (to [edi]); the x87 pointers are FIP = L. */
#define SEQ_FLD1(store)                                                                            \
	"fninit\n\t"                                                                               \
	"movl $1f, %[ip]\n"                                                                        \
	"1:\tfld1\n\t" store "\n\t"                                                                \
	"fninit"

/* ZE unmasked, L: fdivl MEM (1 / 0), then STORE: an unmasked exception
 * pending, so FDP = MEM even where FDP is only updated on unmasked
 * exceptions (CPUID.(EAX=7,ECX=0):EBX[6]); FIP = L. STORE does not wait. */
#define SEQ_FDIV(mem, store)                                                                       \
	"fninit\n\t"                                                                               \
	"fldcw %[cw]\n\t"                                                                          \
	"fld1\n\t"                                                                                 \
	"movl $1f, %[ip]\n"                                                                        \
	"1:\tfdivl " mem "\n\t" store "\n\t"                                                       \
	"fninit"

/* Runs both sequences with one x87 state store: FIP after fld1, FIP and
 * FDP after fdivl [zero]; returns the two EIPs through IP. */
#define DEF_STORE(fn, store)                                                                       \
	static void fn(uint8_t *a, uint8_t *b, uint32_t ip[2])                                     \
	{                                                                                          \
		const uint16_t cw = 0x037b;                                                        \
		asm volatile(SEQ_FLD1(store) : [ip] "=m"(ip[0]) : "D"(a) : "memory");              \
		asm volatile(SEQ_FDIV("%c[z]", store)                                              \
			     : [ip] "=m"(ip[1])                                                    \
			     : "D"(b), [cw] "m"(cw), [z] "i"(&dzero)                               \
			     : "memory");                                                          \
	}
DEF_STORE(run_fnstenv, "fnstenv (%%edi)")
DEF_STORE(run_fnsave, "fnsave (%%edi)")
DEF_STORE(run_fnstenv16, ".byte 0x66, 0xd9, 0x37") /* o16 fnstenv [edi] */
DEF_STORE(run_fxsave, "fxsave (%%edi)")

/* FIP/FCS after fld1 and FIP/FCS, FDP/FDS after fdivl [zero], as FNSTENV,
 * FNSAVE, 16-bit FNSTENV and FXSAVE store them. */
static void test_x87_pointers(void)
{
	static const uint8_t one80[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
	uint32_t ip[2], r[4];
	uint16_t cs = read_cs(), ds = read_ds();
	const uint16_t cw = 0x037b;

	cpuid(0, r);
	sel_zero_ok = 1;
	if (r[0] >= 7) {
		cpuid(7, r);
		sel_zero_ok = (r[1] >> 13) & 1;
	}

	memset(img, CANARY, sizeof(img));
	memset(img2, CANARY, sizeof(img2));
	run_fnstenv(img, img2, ip);
	check_ptr("fnstenv: FIP (offset 12) and FCS (offset 16) point at the fld1",
		  rt_le32(img + 12), rt_le16(img + 16), ip[0], cs, 0);
	check_ptr("fnstenv after fdivl [zero]: FIP and FCS point at the fdivl", rt_le32(img2 + 12),
		  rt_le16(img2 + 16), ip[1], cs, 0);
	check_ptr("fnstenv after fdivl [zero]: FDP (offset 20) and FDS (offset 24) = DS:zero",
		  rt_le32(img2 + 20), rt_le16(img2 + 24), (uint32_t)&dzero, ds, 0);

	memset(&fsbuf[16 + 8], 0, 8);
	memset(img, CANARY, sizeof(img));
	asm volatile("movw %w0, %%fs" : : "r"(SEL_FSB));
	asm volatile(SEQ_FDIV("%%fs:8", "fnstenv %[img]")
		     : [img] "=m"(img), [ip] "=m"(ip[1])
		     : [cw] "m"(cw)
		     : "memory");
	asm volatile("movw %w0, %%fs" : : "r"(SEL_KDATA));
	check_ptr("fnstenv after fdivl fs:[8]: FDP is the offset 8, FDS the FS selector",
		  rt_le32(img + 20), rt_le16(img + 24), 8, SEL_FSB, 0);

	memset(img, CANARY, sizeof(img));
	memset(img2, CANARY, sizeof(img2));
	run_fnsave(img, img2, ip);
	check_ptr("fnsave: FIP and FCS point at the fld1", rt_le32(img + 12), rt_le16(img + 16),
		  ip[0], cs, 0);
	tap_bytes("fnsave stores ST(0) = 1.0 at offset 28", img + 28, one80, sizeof(one80));
	memset(want, CANARY, sizeof(img));
	tap_bytes("fnsave writes 108 bytes", img + 108, want, sizeof(img) - 108);
	check_ptr("fnsave after fdivl [zero]: FIP/FCS at the fdivl", rt_le32(img2 + 12),
		  rt_le16(img2 + 16), ip[1], cs, 0);
	check_ptr("fnsave after fdivl [zero]: FDP and FDS = DS:zero", rt_le32(img2 + 20),
		  rt_le16(img2 + 24), (uint32_t)&dzero, ds, 0);

	memset(img, CANARY, sizeof(img));
	memset(img2, CANARY, sizeof(img2));
	run_fnstenv16(img, img2, ip);
	check_ptr("o16 fnstenv: FIP (offset 6, 16 bits) and FCS (offset 8) point at the fld1",
		  rt_le16(img + 6), rt_le16(img + 8), ip[0] & 0xffff, cs, 0);
	memset(want, CANARY, sizeof(img));
	tap_bytes("o16 fnstenv writes 14 bytes", img + 14, want, sizeof(img) - 14);
	check_ptr("o16 fnstenv after fdivl [zero]: FIP/FCS at the fdivl", rt_le16(img2 + 6),
		  rt_le16(img2 + 8), ip[1] & 0xffff, cs, 0);
	check_ptr("o16 fnstenv: FDP (offset 10, 16 bits) and FDS (offset 12) = DS:zero",
		  rt_le16(img2 + 10), rt_le16(img2 + 12), (uint32_t)&dzero & 0xffff, ds, 0);

	/* The reference stores zeros in the FXSAVE pointers: 0:0 passes, any
	 * other value must be the guest's pointer (never the engine's). */
	memset(fx, CANARY, sizeof(fx));
	memset(fx2, CANARY, sizeof(fx2));
	run_fxsave(fx, fx2, ip);
	check_ptr("fxsave: FIP (offset 8) and FCS (offset 12) point at the fld1 (or are 0)",
		  rt_le32(fx + 8), rt_le16(fx + 12), ip[0], cs, 1);
	check_ptr("fxsave after fdivl [zero]: FIP/FCS at the fdivl (or are 0)", rt_le32(fx2 + 8),
		  rt_le16(fx2 + 12), ip[1], cs, 1);
	check_ptr("fxsave after fdivl [zero]: FDP (offset 16) and FDS (offset 20) = DS:zero "
		  "(or are 0)",
		  rt_le32(fx2 + 16), rt_le16(fx2 + 20), (uint32_t)&dzero, ds, 1);
}

/* FXSAVE leaves bytes 288..415 (XMM8-15) alone in 32-bit mode; FXRSTOR
 * ignores them. */
static SIMD_FN void test_fxsave_area(void)
{
	for (unsigned i = 0; i < 128; i++)
		xout[i] = (uint8_t)(i * 7 + 3);
	memset(fx, 0xa5, sizeof(fx));
	asm volatile("movdqa 0x00(%[x]), %%xmm0\n\tmovdqa 0x10(%[x]), %%xmm1\n\t"
		     "movdqa 0x20(%[x]), %%xmm2\n\tmovdqa 0x30(%[x]), %%xmm3\n\t"
		     "movdqa 0x40(%[x]), %%xmm4\n\tmovdqa 0x50(%[x]), %%xmm5\n\t"
		     "movdqa 0x60(%[x]), %%xmm6\n\tmovdqa 0x70(%[x]), %%xmm7\n\t"
		     "fxsave %[fx]"
		     : [fx] "=m"(fx)
		     : [x] "r"(xout), "m"(xout)
		     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "memory");
	tap_bytes("fxsave stores xmm0..xmm7 at offsets 160..287", fx + 160, xout, 128);
	memset(want, 0xa5, 128);
	tap_bytes("fxsave in 32-bit mode leaves bytes 288..415 unwritten", fx + 288, want, 128);
	tap_eq("MXCSR_MASK (offset 28) is 0xffff", rt_le32(fx + 28), 0xffff);

	memcpy(fx2, fx, sizeof(fx2));
	for (unsigned i = 0; i < 128; i++)
		fx2[160 + i] = (uint8_t)(0x5a ^ (i * 13));
	for (unsigned i = 288; i < 512; i++)
		fx2[i] = (uint8_t)(i * 29 + 1);
	memset(xout, 0, sizeof(xout));
	RT_CATCH("fxrstor %[fx]\n\t"
		 "movdqa %%xmm0, 0x00(%[x])\n\tmovdqa %%xmm1, 0x10(%[x])\n\t"
		 "movdqa %%xmm2, 0x20(%[x])\n\tmovdqa %%xmm3, 0x30(%[x])\n\t"
		 "movdqa %%xmm4, 0x40(%[x])\n\tmovdqa %%xmm5, 0x50(%[x])\n\t"
		 "movdqa %%xmm6, 0x60(%[x])\n\tmovdqa %%xmm7, 0x70(%[x])",
		 :
		 : [fx] "m"(fx2), [x] "r"(xout)
		 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "memory");
	tap_nofault("fxrstor with garbage in bytes 288..511 raises nothing");
	tap_bytes("fxrstor loads xmm0..xmm7 from offsets 160..287", xout, fx2 + 160, 128);
}

static volatile uint32_t mf_count, mf_eip;

/* #MF: count it, clear the exception so the waiting instruction restarts. */
static void mf_hook(struct rt_frame *f)
{
	mf_count++;
	mf_eip = f->eip;
	asm volatile("fnclex");
}

/* fninit, unmask ZE, then 1/0: a zero-divide exception is pending. */
#define MAKE_PENDING                                                                               \
	"fninit\n\t"                                                                               \
	"fldcw %[cw]\n\t"                                                                          \
	"fld1\n\t"                                                                                 \
	"fldz\n\t"                                                                                 \
	".byte 0xde, 0xf9\n\t" /* fdivp st(1), st: st(1) = 1 / 0 */

/* Non-waiting instructions with an unmasked exception pending raise no
 * #MF; FWAIT raises it once. */
static void test_pending_mf(void)
{
	const uint16_t cw = 0x037b; /* default, ZM clear */
	uint16_t sw;
	uint32_t ip;

	rt_set_handler(VEC_MF, mf_hook);
	mf_count = 0;
	memset(img, CANARY, sizeof(img));
	asm volatile(MAKE_PENDING "fnstenv %[img]\n\tfninit"
		     : [img] "=m"(img)
		     : [cw] "m"(cw)
		     : "memory");
	tap_eq("fnstenv with a pending unmasked exception: no #MF", mf_count, 0);
	tap_eq("the stored FSW shows ZE and ES", rt_le16(img + 4) & (FSW_ZE | FSW_ES),
	       FSW_ZE | FSW_ES);

	mf_count = 0;
	memset(fx, CANARY, sizeof(fx));
	asm volatile(MAKE_PENDING "fxsave %[fx]\n\tfninit"
		     : [fx] "=m"(fx)
		     : [cw] "m"(cw)
		     : "memory");
	tap_eq("fxsave with a pending unmasked exception: no #MF", mf_count, 0);
	tap_eq("the FXSAVE FSW shows ZE and ES", rt_le16(fx + 2) & (FSW_ZE | FSW_ES),
	       FSW_ZE | FSW_ES);

	mf_count = 0;
	asm volatile(MAKE_PENDING "fnclex\n\tfnstsw %[sw]\n\tfwait\n\tfninit"
		     : [sw] "=m"(sw)
		     : [cw] "m"(cw)
		     : "memory");
	tap_eq("fnclex with a pending exception: no #MF, and no #MF at the fwait after it",
	       mf_count, 0);
	tap_eq("FSW after fnclex has ZE and ES clear", sw & (FSW_ZE | FSW_ES), 0);

	mf_count = 0;
	mf_eip = 0;
	asm volatile(MAKE_PENDING "movl $1f, %[ip]\n"
				  "1:\tfwait\n\t"
				  "fninit"
		     : [ip] "=m"(ip)
		     : [cw] "m"(cw)
		     : "memory");
	tap_eq("fwait with the exception pending: exactly one #MF", mf_count, 1);
	tap_eq("#MF is reported at the fwait", mf_eip, ip);
	rt_set_handler(VEC_MF, NULL);
}

static volatile uint32_t popa_start, popa_insn, popa_resume, popa_vec, popa_err, popa_eip;
static volatile uint32_t popa_saved_esp __attribute__((used));
static volatile uint32_t popa_regs[8], popa_ss;

/* #SS/#GP from the ring-3 POPA: record the trap and the registers, resume
 * at the point that reloads the flat stack. */
static void popa_trap(struct rt_frame *f)
{
	popa_vec = f->vector;
	popa_err = f->err;
	popa_eip = f->eip;
	popa_regs[0] = f->edi;
	popa_regs[1] = f->esi;
	popa_regs[2] = f->ebp;
	popa_regs[3] = f->ebx;
	popa_regs[4] = f->edx;
	popa_regs[5] = f->ecx;
	popa_regs[6] = f->eax;
	popa_regs[7] = f->user_esp;
	popa_ss = f->user_ss;
	f->eip = popa_resume;
}

/* Ring 3: SS = SEL_SSLIM (base ustk, limit 0x3f), ESP = popa_start, known
 * values in every register, POPA; without a fault the registers it loaded
 * go to popa_regs. */
static uint32_t user_popa(void)
{
	asm volatile("pushl %%ebp\n\t"
		     "movl %%esp, popa_saved_esp\n\t"
		     "movl $2f, popa_resume\n\t"
		     "movl $1f, popa_insn\n\t"
		     "movl %[ss], %%eax\n\t"
		     "movw %%ax, %%ss\n\t"
		     "movl popa_start, %%esp\n\t"
		     "movl $0xa0a0a0a0, %%eax\n\t"
		     "movl $0xc1c1c1c1, %%ecx\n\t"
		     "movl $0xd2d2d2d2, %%edx\n\t"
		     "movl $0xb3b3b3b3, %%ebx\n\t"
		     "movl $0xe5e5e5e5, %%ebp\n\t"
		     "movl $0xf6f6f6f6, %%esi\n\t"
		     "movl $0x07070707, %%edi\n"
		     "1:\tpopal\n\t"
		     "movl %%edi, popa_regs\n\t"
		     "movl %%esi, popa_regs + 4\n\t"
		     "movl %%ebp, popa_regs + 8\n\t"
		     "movl %%ebx, popa_regs + 12\n\t"
		     "movl %%edx, popa_regs + 16\n\t"
		     "movl %%ecx, popa_regs + 20\n\t"
		     "movl %%eax, popa_regs + 24\n\t"
		     "movl %%esp, popa_regs + 28\n"
		     "2:\tmovl %[uds], %%eax\n\t"
		     "movw %%ax, %%ss\n\t"
		     "movl popa_saved_esp, %%esp\n\t"
		     "popl %%ebp"
		     :
		     : [ss] "i"(SEL_SSLIM), [uds] "i"(SEL_UDATA)
		     : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
	return 0;
}

/* Runs user_popa with ESP = START; returns the number of registers in
 * popa_regs that differ from WANT (EDI, ESI, EBP, EBX, EDX, ECX, EAX, ESP). */
static unsigned run_popa(uint32_t start, const uint32_t *want)
{
	unsigned bad = 0;
	popa_start = start;
	popa_vec = NO_FAULT;
	memset((void *)popa_regs, 0, sizeof(popa_regs));
	rt_user_call(user_popa, 0x2);
	for (unsigned i = 0; i < 8; i++)
		bad += popa_regs[i] != want[i];
	return bad;
}

/* POPA at CPL 3 on a stack segment with limit 0x3f: a read that ends at the
 * limit, and one that crosses it. */
static void test_popa_limit(void)
{
	static const uint32_t preset[8] = {0x07070707, 0xf6f6f6f6, 0xe5e5e5e5, 0xb3b3b3b3,
					   0xd2d2d2d2, 0xc1c1c1c1, 0xa0a0a0a0, 0x30};
	uint32_t *stk = (uint32_t *)ustk, loaded[8];
	for (unsigned k = 0; k < sizeof(ustk) / 4; k++)
		stk[k] = 0x5a5a0000 + k;
	rt_set_handler(VEC_SS, popa_trap);
	rt_set_handler(VEC_GP, popa_trap);

	/* ESP 0x20: dwords 8..15 (the ESP slot, 11, is skipped), ESP 0x40. */
	for (unsigned i = 0; i < 7; i++)
		loaded[i] = stk[8 + i + (i >= 3)];
	loaded[7] = 0x40;
	unsigned bad = run_popa(0x20, loaded);
	if (!tap_ok(
		popa_vec == NO_FAULT && bad == 0,
		"ring-3 popa at ESP 0x20, SS limit 0x3f: loads every register from SS.base + ESP"))
		tap_diag("  vector %u, %u registers differ", popa_vec, bad);

	/* ESP 0x30: the read (0x30..0x4f) crosses the limit. */
	bad = run_popa(0x30, preset);
	int faulted = popa_vec == VEC_SS && popa_err == 0 && popa_eip == popa_insn &&
		      popa_ss == SEL_SSLIM && bad == 0;
	for (unsigned i = 0; i < 7; i++)
		loaded[i] = stk[12 + i + (i >= 3)];
	loaded[7] = 0x50;
	bad = 0;
	for (unsigned i = 0; i < 8; i++)
		bad += popa_regs[i] != loaded[i];
	int completed = popa_vec == NO_FAULT && bad == 0;
	if (!tap_ok(
		faulted || completed,
		"ring-3 popa at ESP 0x30 crossing the SS limit: #SS(0) at the popa with "
		"EDI..EAX, ESP and SS unchanged (the reference has no limit checks: it completes)"))
		tap_diag("  vector %u error 0x%x at 0x%x (popa at 0x%x), ESP 0x%x", popa_vec,
			 popa_err, popa_eip, popa_insn, popa_regs[7]);
	rt_set_handler(VEC_SS, NULL);
	rt_set_handler(VEC_GP, NULL);
}

void test_main(void)
{
	rt_gdt_set(SEL_FSB >> 3, (uint32_t)&fsbuf[16], 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_SSLIM >> 3, (uint32_t)ustk, 0x3f, ACC_DATA3, FLG_B32);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	tap_plan(37);
	test_maskmov();
	test_maskmov_fs();
	test_x87_pointers();
	test_fxsave_area();
	test_pending_mf();
	test_popa_limit();
}
