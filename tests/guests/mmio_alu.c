/*
 * ALU instructions whose memory operand is outside RAM (no device there),
 * as Linux runs them before it turns paging on: its stack-protector check
 * "sub eax, fs:[__stack_chk_guard]" reads a virtual address as physical.
 * Nothing may fault, and each instruction must give the result and flags
 * the same instruction gives with the value it reads in a register.
 *
 * What reads outside RAM return is not fixed (QEMU: zeros, real chipsets:
 * 0xFF), but it is the same at every read; so each check reads the value
 * first and runs the register form on it, then the memory form.
 */
#include "rt.h"

#define HOLE 0x40000000u /* the runner starts every guest with -m 64 */

/* The register form "INSN %[s], %[d]" and the memory form
 * "INSN HOLE, %[d]" from the same flags; D starts at DST. */
#define PAIR(insn, dst, fin, rres, rfl, mres, mfl)                                                 \
	do {                                                                                       \
		uint32_t s_ = *(volatile uint32_t *)HOLE;                                          \
		rres = dst;                                                                        \
		mres = dst;                                                                        \
		asm volatile("pushl %[fi]\n\tpopfl\n\t" insn                                       \
			     "l %[s], %[d]\n\tpushfl\n\tpopl %[fo]"                                \
			     : [d] "+r"(rres), [fo] "=r"(rfl)                                      \
			     : [s] "r"(s_), [fi] "r"(fin)                                          \
			     : "cc");                                                              \
		asm volatile("pushl %[fi]\n\tpopfl\n\t" insn                                       \
			     "l %[m], %[d]\n\tpushfl\n\tpopl %[fo]"                                \
			     : [d] "+r"(mres), [fo] "=r"(mfl)                                      \
			     : [m] "m"(*(volatile uint32_t *)HOLE), [fi] "r"(fin)                  \
			     : "cc");                                                              \
	} while (0)

static void check(const char *insn, uint32_t dst, uint32_t fin, uint32_t rres, uint32_t rfl,
		  uint32_t mres, uint32_t mfl)
{
	if (!tap_ok(rres == mres && (rfl & FL_ARITH) == (mfl & FL_ARITH),
		    "%s mem outside RAM, dst 0x%08x, CF in %u", insn, dst, fin & 1))
		tap_diag("  register form 0x%08x flags 0x%03x, memory form 0x%08x flags 0x%03x",
			 rres, rfl & FL_ARITH, mres, mfl & FL_ARITH);
}

#define CHECK2(insn, dst, fin)                                                                     \
	do {                                                                                       \
		uint32_t rr, rf, mr, mf;                                                           \
		PAIR(insn, dst, fin, rr, rf, mr, mf);                                              \
		check(insn, dst, fin, rr, rf, mr, mf);                                             \
	} while (0)

/* Two-operand ALU forms reg, mem with a few destination values. */
static void test_reg_mem(void)
{
	static const uint32_t dsts[] = {0, 1, 0x7fffffff, 0x80000000};
	for (unsigned i = 0; i < 4; i++) {
		CHECK2("add", dsts[i], 2u);
		CHECK2("adc", dsts[i], 3u);
		CHECK2("sub", dsts[i], 2u);
		CHECK2("sbb", dsts[i], 3u);
		CHECK2("and", dsts[i], 2u);
		CHECK2("or", dsts[i], 2u);
		CHECK2("xor", dsts[i], 2u);
		CHECK2("cmp", dsts[i], 2u);
		CHECK2("test", dsts[i], 2u);
	}
}

/* The canary check of Linux's stack protector, with a flat FS. */
static void test_canary(void)
{
	uint32_t a, fl;
	asm volatile("movl %%fs:0x40000000, %[a]\n\tsubl %%fs:0x40000000, %[a]\n\t"
		     "pushfl\n\tpopl %[f]"
		     : [a] "=r"(a), [f] "=r"(fl)
		     :
		     : "cc");
	tap_eq("canary: mov then sub of the same address gives 0", a, 0);
	tap_eq("canary: ZF set, CF clear", fl & (FL_ZF | FL_CF), FL_ZF);
}

/* Read-modify-write and one-operand forms: no fault, flags as computed
 * from the value read (writes outside RAM are dropped). */
static void test_rmw(void)
{
	volatile uint32_t *h = (volatile uint32_t *)HOLE;
	uint32_t v = *h, fl, want;
	asm volatile("pushl $2\n\tpopfl\n\tlock incl %[m]\n\tpushfl\n\tpopl %[f]"
		     : [m] "+m"(*h), [f] "=r"(fl)
		     :
		     : "cc");
	asm volatile("movl %[v], %%eax\n\tpushl $2\n\tpopfl\n\tincl %%eax\n\tpushfl\n\tpopl %[w]"
		     : [w] "=r"(want)
		     : [v] "r"(v)
		     : "eax", "cc");
	tap_eq("lock inc mem outside RAM: flags", fl & FL_ARITH, want & FL_ARITH);
	uint32_t r = 5;
	asm volatile("pushl $2\n\tpopfl\n\tsubl %[r], %[m]\n\tpushfl\n\tpopl %[f]"
		     : [m] "+m"(*h), [f] "=r"(fl)
		     : [r] "r"(r)
		     : "cc");
	asm volatile("pushl $2\n\tpopfl\n\tsubl %[r], %[v]\n\tpushfl\n\tpopl %[w]"
		     : [v] "+r"(v), [w] "=r"(want)
		     : [r] "r"(r)
		     : "cc");
	tap_eq("sub mem, reg outside RAM: flags", fl & FL_ARITH, want & FL_ARITH);
	uint8_t b = 0x80;
	asm volatile("pushl $2\n\tpopfl\n\tcmpb %[b], %[m]\n\tpushfl\n\tpopl %[f]"
		     : [f] "=r"(fl)
		     : [m] "m"(*(volatile uint8_t *)HOLE), [b] "q"(b)
		     : "cc");
	uint8_t vb = *(volatile uint8_t *)HOLE;
	asm volatile("pushl $2\n\tpopfl\n\tcmpb %[b], %[v]\n\tpushfl\n\tpopl %[w]"
		     : [w] "=r"(want)
		     : [v] "q"(vb), [b] "q"(b)
		     : "cc");
	tap_eq("cmpb mem, reg outside RAM: flags", fl & FL_ARITH, want & FL_ARITH);
}

void test_main(void)
{
	tap_plan(36 + 2 + 3);
	test_reg_mem();
	test_canary();
	test_rmw();
	tap_done();
}
