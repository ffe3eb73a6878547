/*
 * The instructions of the isolation guest at CPL 3 with paging on, where a
 * translator must apply the user's page permissions and report the user's
 * state:
 *
 * - MASKMOVQ and MASKMOVDQU store the masked bytes at DS:EDI in a user page;
 *   into a user read-only page and into a supervisor page they raise
 *   #PF(P|W|U) at the instruction and store nothing;
 * - FNSTENV after FLD1 stores FIP = the FLD1 and FCS = the ring-3 code
 *   selector (RPL 3);
 * - FXSAVE into a supervisor page raises #PF(P|W|U) and stores nothing; into
 *   a user page it works and leaves bytes 288..415 alone;
 * - FXRSTOR of an image whose MXCSR has bit 16 set raises #GP(0) and loads
 *   nothing (the reference raises nothing and loads it: accepted, see
 *   test_fxrstor_user); a valid image loads.
 *
 * Every instruction runs under RT_CATCH: the runtime's #PF/#GP handler
 * (ring 0) records vector, error code, CR2, CS and EIP and resumes after the
 * instruction; the ring-0 side checks the record and the page contents.
 *
 * CR2 of a MASKMOVDQU whose first mask bytes are clear: the SDM does not say
 * which byte of the 16 it names. The reference stores byte by byte and
 * reports the first byte whose mask bit is set; the start of the access
 * (DS:EDI) is accepted too. FCS may read as 0 where CPUID.(EAX=7,ECX=0):
 * EBX[13] says so or leaf 7 is not visible (as in the isolation guest).
 */
#include "rt.h"

#define TV   0x40000000u   /* test window, 4 KiB pages */
#define U_RW (TV + 0x0000) /* user, writable */
#define U_RO (TV + 0x1000) /* user, read-only */
#define SUP  (TV + 0x2000) /* supervisor, writable */

/* Offsets in the U_RW page. */
#define OFF_MMXQ  0x000 /* 48-byte MASKMOVQ buffer, EDI at +16 */
#define OFF_MMXDQ 0x040 /* 48-byte MASKMOVDQU buffer, EDI at +16 */
#define OFF_ENV	  0x100 /* 64-byte FNSTENV buffer */
#define OFF_FX	  0x200 /* 512-byte FXSAVE/FXRSTOR area */

#define CANARY	 0xcc
#define RO_FILL	 0x5a
#define SUP_FILL 0x3c
#define FX_FILL	 0xa5

#define MXCSR_SAVE 0x3f80 /* default with RC = 01 */
#define MXCSR_LOAD 0x7f80 /* default with RC = 11 */
#define MXCSR_INIT 0x1f80
#define MXCSR_BAD  0x00015f80 /* bit 16 and RC = 10 */
#define FCW_INIT   0x037f
#define FCW_LOAD   0x027f

/* SSE and MMX code generation only where the asm names those registers. */
#define SIMD_FN __attribute__((target("mmx,sse2")))

static uint32_t *pd;
static uint8_t *f_rw, *f_ro, *f_sup;
static uint8_t want[512];
static uint8_t xout[128] __attribute__((aligned(16)));
static int sel_zero_ok;

/* Shared with the ring-3 functions (the first 4 MiB, kernel image included,
 * are user-writable). */
static volatile uint32_t u_insn __attribute__((used));
static volatile uint32_t u_edi, u_mxcsr_in, u_mxcsr, u_fcw;
static const uint8_t *volatile u_mask;

static const uint8_t mdata[16] __attribute__((aligned(16))) = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, //
    0x99, 0xaa, 0xbb, 0x34, 0xdd, 0xee, 0xf0, 0x0f,
};
/* Byte 0 selected. */
static const uint8_t mmask[16] __attribute__((aligned(16))) = {
    0x80, 0x00, 0xff, 0x7f, 0x81, 0x01, 0xc0, 0x40, //
    0x00, 0x80, 0x7f, 0xfe, 0x80, 0x80, 0x3f, 0x90,
};
/* Bytes 0..2 not selected, byte 3 the first one that is. */
static const uint8_t mmask_late[16] __attribute__((aligned(16))) = {
    0x00, 0x7f, 0x01, 0x80, 0x00, 0xff, 0x00, 0x00, //
    0x7f, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
};

/* Checks that all 4096 bytes of frame P still hold FILL. */
static int check_page(const char *desc, const uint8_t *p, uint8_t fill)
{
	unsigned i = 0;
	while (i < 4096 && p[i] == fill)
		i++;
	if (tap_ok(i == 4096, "%s", desc))
		return 1;
	tap_diag("  byte 0x%03x is 0x%02x, expected 0x%02x", i, p[i], fill);
	return 0;
}

/* Checks that the last catch recorded a fault raised at CPL 3 by the
 * instruction at u_insn with CR2 = CR2 (or ALT_CR2 when it is nonzero). */
static int check_where(const char *desc, uint32_t cr2, uint32_t alt_cr2)
{
	int cr2_ok = rt_fault.cr2 == cr2 || (alt_cr2 && rt_fault.cr2 == alt_cr2);
	if (tap_ok(cr2_ok && rt_fault.eip == u_insn && rt_fault.cs == SEL_UCODE, "%s", desc))
		return 1;
	tap_diag("  CR2 %08x at %04x:%08x, expected CR2 %08x at %04x:%08x", rt_fault.cr2,
		 rt_fault.cs, rt_fault.eip, cr2, SEL_UCODE, u_insn);
	return 0;
}

/* Ring 3: maskmovq mm0 = mdata, mm1 = u_mask[0..7] to DS:u_edi. */
static SIMD_FN uint32_t user_maskmovq(void)
{
	RT_CATCH("movq %[d], %%mm0\n\t"
		 "movq (%[m]), %%mm1\n\t"
		 "movl $1f, u_insn\n"
		 "1:\t.byte 0x0f, 0xf7, 0xc1", /* maskmovq mm0, mm1 */
		 :
		 : [d] "m"(mdata), [m] "r"(u_mask), "D"(u_edi)
		 : "mm0", "mm1", "memory");
	asm volatile("emms");
	return 0;
}

/* Ring 3: maskmovdqu xmm0 = mdata, xmm1 = u_mask to DS:u_edi. */
static SIMD_FN uint32_t user_maskmovdqu(void)
{
	RT_CATCH("movdqa %[d], %%xmm0\n\t"
		 "movdqu (%[m]), %%xmm1\n\t"
		 "movl $1f, u_insn\n"
		 "1:\t.byte 0x66, 0x0f, 0xf7, 0xc1", /* maskmovdqu xmm0, xmm1 */
		 :
		 : [d] "m"(mdata), [m] "r"(u_mask), "D"(u_edi)
		 : "xmm0", "xmm1", "memory");
	return 0;
}

/* Ring 3: fninit, fld1 (its address in u_insn), fnstenv [u_edi]. */
static uint32_t user_fnstenv(void)
{
	RT_CATCH("fninit\n\t"
		 "movl $1f, u_insn\n"
		 "1:\tfld1\n\t"
		 "fnstenv (%%edi)\n\t"
		 "fninit",
		 :
		 : "D"(u_edi)
		 : "memory");
	return 0;
}

/* Ring 3: fninit, MXCSR = MXCSR_SAVE, xmm0..7 from xout, fxsave [u_edi]. */
static SIMD_FN uint32_t user_fxsave(void)
{
	const uint32_t mx = MXCSR_SAVE;
	asm volatile("fninit\n\t"
		     "ldmxcsr %[mx]\n\t"
		     "movdqa 0x00(%[x]), %%xmm0\n\tmovdqa 0x10(%[x]), %%xmm1\n\t"
		     "movdqa 0x20(%[x]), %%xmm2\n\tmovdqa 0x30(%[x]), %%xmm3\n\t"
		     "movdqa 0x40(%[x]), %%xmm4\n\tmovdqa 0x50(%[x]), %%xmm5\n\t"
		     "movdqa 0x60(%[x]), %%xmm6\n\tmovdqa 0x70(%[x]), %%xmm7"
		     :
		     : [mx] "m"(mx), [x] "r"(xout), "m"(xout)
		     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "memory");
	RT_CATCH("movl $1f, u_insn\n"
		 "1:\tfxsave (%%edi)",
		 :
		 : "D"(u_edi)
		 : "memory");
	return 0;
}

/* Ring 3: fninit, MXCSR = u_mxcsr_in, fxrstor [u_edi]; the MXCSR and FCW
 * it leaves go to u_mxcsr and u_fcw. */
static SIMD_FN uint32_t user_fxrstor(void)
{
	asm volatile("fninit\n\tldmxcsr %0" : : "m"(u_mxcsr_in) : "memory");
	RT_CATCH("movl $1f, u_insn\n"
		 "1:\tfxrstor (%%edi)",
		 :
		 : "D"(u_edi)
		 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "memory");
	asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(u_mxcsr), "=m"(u_fcw) : : "memory");
	return 0;
}

/* Runs FN at CPL 3 with DS:EDI = EDI and mask MASK. */
static void run_user(uint32_t (*fn)(void), uint32_t edi, const uint8_t *mask)
{
	u_edi = edi;
	u_mask = mask;
	u_insn = 0;
	rt_user_call(fn, 0x2);
}

/* Identity map of the first 4 MiB (user, writable) with 4 KiB pages, the
 * rest of RAM supervisor-only, and the three test pages at TV. */
static void setup(void)
{
	uint32_t r[4];
	pd = pg_new_dir();
	pg_identity4k(pd, 0, 0x400000, PG_RW | PG_US);
	for (uint32_t a = 0x400000; a < 64u << 20; a += 0x400000)
		pg_map4m(pd, a, a, PG_RW);
	f_rw = pg_alloc();
	f_ro = pg_alloc();
	f_sup = pg_alloc();
	pg_map4k(pd, U_RW, (uint32_t)f_rw, PG_RW | PG_US);
	pg_map4k(pd, U_RO, (uint32_t)f_ro, PG_US);
	pg_map4k(pd, SUP, (uint32_t)f_sup, PG_RW);
	memset(f_ro, RO_FILL, 4096);
	memset(f_sup, SUP_FILL, 4096);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	pg_enable(pd, 0);

	cpuid(0, r);
	sel_zero_ok = 1;
	if (r[0] >= 7) {
		cpuid(7, r);
		sel_zero_ok = (r[1] >> 13) & 1;
	}
}

/* MASKMOVQ and MASKMOVDQU at CPL 3 into a writable user page. */
static void test_maskmov_user(void)
{
	memset(f_rw + OFF_MMXQ, CANARY, 48);
	run_user(user_maskmovq, U_RW + OFF_MMXQ + 16, mmask);
	tap_nofault("ring 3: maskmovq into a user page raises nothing");
	memset(want, CANARY, 48);
	rt_masked_want(want, 16, mdata, mmask, 8);
	tap_bytes("ring 3: maskmovq stores the mm0 bytes whose mm1 mask bit 7 is set at DS:EDI",
		  f_rw + OFF_MMXQ, want, 48);

	memset(f_rw + OFF_MMXDQ, CANARY, 48);
	run_user(user_maskmovdqu, U_RW + OFF_MMXDQ + 16, mmask);
	tap_nofault("ring 3: maskmovdqu into a user page raises nothing");
	memset(want, CANARY, 48);
	rt_masked_want(want, 16, mdata, mmask, 16);
	tap_bytes("ring 3: maskmovdqu stores the masked xmm0 bytes at DS:EDI", f_rw + OFF_MMXDQ,
		  want, 48);
}

/* MASKMOVDQU (and MASKMOVQ) at CPL 3 into a read-only user page and into a
 * supervisor page: #PF(P|W|U) at the instruction, nothing stored. */
static void test_maskmov_denied(void)
{
	const uint32_t err = PF_P | PF_W | PF_U;

	run_user(user_maskmovdqu, U_RO + 0x40, mmask);
	tap_fault("ring 3: maskmovdqu into a read-only user page: #PF(P|W|U)", VEC_PF, err);
	check_where("ring 3: that #PF has CR2 = DS:EDI (mask byte 0 set), EIP = the maskmovdqu, CS "
		    "= ring 3",
		    U_RO + 0x40, 0);
	check_page("ring 3: the read-only page is unchanged after that maskmovdqu", f_ro, RO_FILL);

	run_user(user_maskmovdqu, U_RO + 0x80, mmask_late);
	tap_fault("ring 3: maskmovdqu, first selected byte 3, into a read-only user page: "
		  "#PF(P|W|U)",
		  VEC_PF, err);
	check_where(
	    "ring 3: that #PF has CR2 = DS:EDI + 3 (the reference) or DS:EDI, EIP = the maskmovdqu",
	    U_RO + 0x80 + 3, U_RO + 0x80);
	check_page("ring 3: the read-only page is unchanged after the late-mask maskmovdqu", f_ro,
		   RO_FILL);

	run_user(user_maskmovq, U_RO + 0x100, mmask);
	tap_fault("ring 3: maskmovq into a read-only user page: #PF(P|W|U)", VEC_PF, err);
	check_where("ring 3: that #PF has CR2 = DS:EDI, EIP = the maskmovq", U_RO + 0x100, 0);
	check_page("ring 3: the read-only page is unchanged after that maskmovq", f_ro, RO_FILL);

	run_user(user_maskmovdqu, SUP + 0x40, mmask);
	tap_fault("ring 3: maskmovdqu into a supervisor page: #PF(P|W|U)", VEC_PF, err);
	check_where("ring 3: that #PF has CR2 = DS:EDI, EIP = the maskmovdqu", SUP + 0x40, 0);
	check_page("ring 3: the supervisor page is unchanged after that maskmovdqu", f_sup,
		   SUP_FILL);
}

/* FNSTENV at CPL 3: FIP = the fld1, FCS = the ring-3 code selector. */
static void test_fnstenv_user(void)
{
	uint8_t *env = f_rw + OFF_ENV;
	memset(env, CANARY, 64);
	run_user(user_fnstenv, U_RW + OFF_ENV, NULL);
	tap_nofault("ring 3: fld1; fnstenv into a user page raises nothing");
	uint32_t fip = rt_le32(env + 12), fcs = rt_le16(env + 16);
	int good = fip == u_insn && (fcs == SEL_UCODE || (sel_zero_ok && fcs == 0));
	if (!tap_ok(good, "ring 3: FIP (offset 12) is the fld1, FCS (offset 16) the ring-3 CS "
			  "with RPL 3"))
		tap_diag("  got %04x:%08x, expected %04x:%08x", fcs, fip, SEL_UCODE, u_insn);
	memset(want, CANARY, 64);
	tap_bytes("ring 3: fnstenv writes 28 bytes", env + 28, want, 64 - 28);
}

/* FXSAVE at CPL 3: #PF(P|W|U) into a supervisor page; into a user page it
 * stores the state and leaves bytes 288..415 alone. */
static void test_fxsave_user(void)
{
	uint8_t *fx = f_rw + OFF_FX;
	for (unsigned i = 0; i < 128; i++)
		xout[i] = (uint8_t)(i * 7 + 3);

	run_user(user_fxsave, SUP, NULL);
	tap_fault("ring 3: fxsave into a supervisor page: #PF(P|W|U)", VEC_PF, PF_P | PF_W | PF_U);
	check_where("ring 3: that #PF has CR2 = the start of the area, EIP = the fxsave", SUP, 0);
	check_page("ring 3: the supervisor page is unchanged after that fxsave", f_sup, SUP_FILL);

	memset(fx, FX_FILL, 512);
	run_user(user_fxsave, U_RW + OFF_FX, NULL);
	tap_nofault("ring 3: fxsave into a user page raises nothing");
	if (!tap_ok(rt_le16(fx) == FCW_INIT && rt_le32(fx + 24) == MXCSR_SAVE,
		    "ring 3: fxsave stores FCW (offset 0) and MXCSR (offset 24)"))
		tap_diag("  FCW %04x MXCSR %08x, expected %04x %08x", rt_le16(fx), rt_le32(fx + 24),
			 FCW_INIT, MXCSR_SAVE);
	tap_bytes("ring 3: fxsave stores xmm0..xmm7 at offsets 160..287", fx + 160, xout, 128);
	memset(want, FX_FILL, 128);
	tap_bytes("ring 3: fxsave leaves bytes 288..415 unwritten", fx + 288, want, 128);
}

/*
 * FXRSTOR at CPL 3 from a user page: with MXCSR bit 16 set (MXCSR_MASK is
 * 0xffff) the SDM says #GP(0) and no state loaded. The reference (QEMU TCG
 * 7.2) checks no MXCSR reserved bits: it raises nothing and loads the image,
 * so that outcome passes too, but then FCW must be the image's and MXCSR's
 * low 16 bits too. With a valid MXCSR the image loads. Uses the
 * test_fxsave_user image.
 */
static void test_fxrstor_user(void)
{
	uint8_t *fx = f_rw + OFF_FX;
	uint32_t mx = MXCSR_BAD;
	uint16_t cw = FCW_LOAD;

	memcpy(fx + 24, &mx, 4);
	memcpy(fx, &cw, 2);
	u_mxcsr_in = MXCSR_INIT;
	run_user(user_fxrstor, U_RW + OFF_FX, NULL);
	int gp = rt_fault.vector == VEC_GP && rt_fault.err == 0 && rt_fault.eip == u_insn &&
		 rt_fault.cs == SEL_UCODE;
	int none = rt_fault.vector == NO_FAULT;
	if (!tap_ok(gp || none, "ring 3: fxrstor with MXCSR bit 16 set: #GP(0) at the fxrstor "
				"(the reference does not check the bit: no exception)"))
		tap_diag("  vector %u error 0x%x at %04x:%08x (fxrstor at %04x:%08x)",
			 rt_fault.vector, rt_fault.err, rt_fault.cs, rt_fault.eip, SEL_UCODE,
			 u_insn);
	int kept = u_mxcsr == MXCSR_INIT && u_fcw == FCW_INIT;
	int loaded = (u_mxcsr & 0xffff) == (MXCSR_BAD & 0xffff) && u_fcw == FCW_LOAD;
	if (!tap_ok((gp && kept) || (none && loaded),
		    "ring 3: after that #GP MXCSR and FCW are unchanged (without it: FCW and "
		    "MXCSR[15:0] loaded)"))
		tap_diag("  MXCSR %08x FCW %04x (before: %08x %04x, image: %08x %04x)", u_mxcsr,
			 u_fcw, MXCSR_INIT, FCW_INIT, MXCSR_BAD, FCW_LOAD);

	mx = MXCSR_LOAD;
	memcpy(fx + 24, &mx, 4);
	run_user(user_fxrstor, U_RW + OFF_FX, NULL);
	tap_nofault("ring 3: fxrstor with a valid MXCSR raises nothing");
	if (!tap_ok(u_mxcsr == MXCSR_LOAD && u_fcw == FCW_LOAD,
		    "ring 3: fxrstor loads MXCSR and FCW from the user page"))
		tap_diag("  MXCSR %08x FCW %04x, expected %08x %04x", u_mxcsr, u_fcw, MXCSR_LOAD,
			 FCW_LOAD);
	asm volatile("fninit\n\tldmxcsr %0" : : "m"(u_mxcsr_in));
}

/* Paging on, the five groups of checks at CPL 3, paging off. */
void test_main(void)
{
	tap_plan(30);
	setup();
	test_maskmov_user();
	test_maskmov_denied();
	test_fnstenv_user();
	test_fxsave_user();
	test_fxrstor_user();
	pg_disable();
}
