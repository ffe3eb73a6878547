/*
 * ALU results and the arithmetic flags they define, checked against values
 * worked out by hand. Flags an instruction leaves undefined are masked out.
 */
#include "rt.h"

#define ALL  FL_ARITH
#define NOAF (FL_ARITH & ~FL_AF)
#define SHFT (FL_ARITH & ~(FL_AF | FL_OF)) /* shifts by more than one */
#define ROT  (FL_CF | FL_OF)
#define MULF (FL_CF | FL_OF)

/* Two-operand instruction INSN src,dst on 32-bit registers. */
#define OP2(insn, dst, src, fin, fout)                                                             \
	asm volatile("pushl %[fi]\n\tpopfl\n\t" insn " %[s], %[d]\n\tpushfl\n\tpopl %[fo]"         \
		     : [d] "+r"(dst), [fo] "=r"(fout)                                              \
		     : [s] "r"(src), [fi] "r"(fin)                                                 \
		     : "cc")
/* One-operand instruction INSN dst. */
#define OP1(insn, dst, fin, fout)                                                                  \
	asm volatile("pushl %[fi]\n\tpopfl\n\t" insn " %[d]\n\tpushfl\n\tpopl %[fo]"               \
		     : [d] "+r"(dst), [fo] "=r"(fout)                                              \
		     : [fi] "r"(fin)                                                               \
		     : "cc")
/* Shift/rotate INSN by CL. */
#define OPCL(insn, dst, cnt, fin, fout)                                                            \
	asm volatile("pushl %[fi]\n\tpopfl\n\t" insn " %%cl, %[d]\n\tpushfl\n\tpopl %[fo]"         \
		     : [d] "+r"(dst), [fo] "=r"(fout)                                              \
		     : "c"(cnt), [fi] "r"(fin)                                                     \
		     : "cc")

static void check(const char *desc, uint32_t res, uint32_t want, uint32_t fl, uint32_t want_fl,
		  uint32_t mask)
{
	int good = res == want && (fl & mask) == want_fl;
	if (!tap_ok(good, "%s", desc))
		tap_diag(
		    "  result 0x%08x (want 0x%08x), flags 0x%03x (want 0x%03x under mask 0x%03x)",
		    res, want, fl & mask, want_fl, mask);
}

static void test_add_sub(void)
{
	uint32_t a, f;
	a = 0x7fffffff;
	OP2("addl", a, 1u, 2u, f);
	check("add 0x7fffffff+1: OF SF AF PF", a, 0x80000000, f, 0x894, ALL);
	a = 0xffffffff;
	OP2("addl", a, 1u, 2u, f);
	check("add 0xffffffff+1: CF ZF AF PF", a, 0, f, 0x055, ALL);
	a = 0xffffffff;
	OP2("adcl", a, 0u, 3u, f);
	check("adc 0xffffffff+0+CF: CF ZF AF PF", a, 0, f, 0x055, ALL);
	a = 5;
	OP2("adcl", a, 3u, 3u, f);
	check("adc 5+3+CF = 9: PF", a, 9, f, 0x004, ALL);
	a = 0;
	OP2("subl", a, 1u, 2u, f);
	check("sub 0-1: CF SF AF PF", a, 0xffffffff, f, 0x095, ALL);
	a = 0x80000000;
	OP2("subl", a, 1u, 2u, f);
	check("sub 0x80000000-1: OF AF PF", a, 0x7fffffff, f, 0x814, ALL);
	a = 10;
	OP2("sbbl", a, 3u, 3u, f);
	check("sbb 10-3-CF = 6: PF", a, 6, f, 0x004, ALL);
	a = 0;
	OP2("sbbl", a, 0u, 3u, f);
	check("sbb 0-0-CF: CF SF AF PF", a, 0xffffffff, f, 0x095, ALL);
	a = 5;
	OP2("cmpl", a, 5u, 2u, f);
	check("cmp 5,5: ZF PF, operand kept", a, 5, f, 0x044, ALL);
	uint8_t b = 0x7f;
	asm volatile("pushl $2\n\tpopfl\n\taddb $1, %[d]\n\tpushfl\n\tpopl %[fo]"
		     : [d] "+q"(b), [fo] "=r"(f)
		     :
		     : "cc");
	check("addb 0x7f+1: OF SF AF", b, 0x80, f, 0x890, ALL);
	uint16_t w = 0xffff;
	asm volatile("pushl $2\n\tpopfl\n\taddw $1, %[d]\n\tpushfl\n\tpopl %[fo]"
		     : [d] "+r"(w), [fo] "=r"(f)
		     :
		     : "cc");
	check("addw 0xffff+1: CF ZF AF PF", w, 0, f, 0x055, ALL);
}

static void test_logic_unary(void)
{
	uint32_t a, f;
	a = 0xf0f0f0f0;
	OP2("andl", a, 0x0ff00ff0u, 0x8d7u, f);
	check("and: CF OF cleared, PF", a, 0x00f000f0, f, 0x004, NOAF);
	a = 0x80000000;
	OP2("orl", a, 1u, 2u, f);
	check("or: SF", a, 0x80000001, f, 0x080, NOAF);
	a = 0x12345678;
	OP2("xorl", a, a, 0x803u, f);
	check("xor x,x: ZF PF", a, 0, f, 0x044, NOAF);
	a = 0x7fffffff;
	OP1("incl", a, 3u, f);
	check("inc 0x7fffffff: OF SF AF PF, CF kept", a, 0x80000000, f, 0x895, ALL);
	a = 0;
	OP1("decl", a, 2u, f);
	check("dec 0: SF AF PF, CF kept clear", a, 0xffffffff, f, 0x094, ALL);
	a = 1;
	OP1("negl", a, 2u, f);
	check("neg 1: CF SF AF PF", a, 0xffffffff, f, 0x095, ALL);
	a = 0;
	OP1("negl", a, 3u, f);
	check("neg 0: ZF PF, CF clear", a, 0, f, 0x044, ALL);
	a = 0x80000000;
	OP1("negl", a, 2u, f);
	check("neg 0x80000000: OF CF SF PF", a, 0x80000000, f, 0x885, ALL);
	a = 0x12345678;
	OP1("notl", a, 0x043u, f);
	check("not: flags untouched", a, 0xedcba987, f, 0x041, ALL);
}

static void test_shift_rotate(void)
{
	uint32_t a, f;
	a = 0x80000001;
	OPCL("shll", a, 1, 2u, f);
	check("shl 1: CF OF", a, 2, f, 0x801, NOAF);
	a = 0x80000001;
	OPCL("shrl", a, 1, 2u, f);
	check("shr 1: CF OF PF", a, 0x40000000, f, 0x805, NOAF);
	a = 0x80000001;
	OPCL("sarl", a, 1, 2u, f);
	check("sar 1: CF SF PF", a, 0xc0000000, f, 0x085, NOAF);
	a = 0x12345678;
	OPCL("shll", a, 4, 2u, f);
	check("shl 4: CF from bit 28", a, 0x23456780, f, 0x001, SHFT);
	a = 0x12345678;
	OPCL("shrl", a, 0, 0x8d7u, f);
	check("shr 0: nothing changes", a, 0x12345678, f, 0x8d5, ALL);
	a = 0x12345678;
	OPCL("shrl", a, 36, 2u, f);
	check("shr 36: count masked to 4", a, 0x01234567, f, 0x001, SHFT);
	a = 0x80000001;
	OPCL("roll", a, 1, 2u, f);
	check("rol 1: CF OF", a, 3, f, 0x801, ROT);
	a = 1;
	OPCL("rorl", a, 1, 2u, f);
	check("ror 1: CF OF", a, 0x80000000, f, 0x801, ROT);
	a = 0x80000000;
	OPCL("rcll", a, 1, 2u, f);
	check("rcl 1: CF OF", a, 0, f, 0x801, ROT);
	a = 1;
	OPCL("rcrl", a, 1, 3u, f);
	check("rcr 1 with CF: CF OF", a, 0x80000000, f, 0x801, ROT);
	a = 0x12345678;
	OPCL("roll", a, 8, 2u, f);
	check("rol 8", a, 0x34567812, f, 0x000, FL_CF);
}

static void test_mul_div(void)
{
	uint32_t lo, hi, f;
	lo = 0x80000000;
	asm volatile("pushl $2\n\tpopfl\n\tmull %[m]\n\tpushfl\n\tpopl %[fo]"
		     : "+a"(lo), "=d"(hi), [fo] "=r"(f)
		     : [m] "r"(4u)
		     : "cc");
	check("mul 0x80000000*4: EDX=2, CF OF", hi, 2, f | lo, 0x801, MULF | ~0xfffu);
	lo = 3;
	asm volatile("pushl $2\n\tpopfl\n\tmull %[m]\n\tpushfl\n\tpopl %[fo]"
		     : "+a"(lo), "=d"(hi), [fo] "=r"(f)
		     : [m] "r"(5u)
		     : "cc");
	check("mul 3*5: EDX=0, CF OF clear", lo | hi << 16, 15, f, 0, MULF);
	lo = 0x40000000;
	OP2("imull", lo, 2u, 2u, f);
	check("imul 0x40000000*2 overflows: CF OF", lo, 0x80000000, f, 0x801, MULF);
	lo = 0xfffffffe;
	asm volatile("pushl $2\n\tpopfl\n\timull %[m]\n\tpushfl\n\tpopl %[fo]"
		     : "+a"(lo), "=d"(hi), [fo] "=r"(f)
		     : [m] "r"(3u)
		     : "cc");
	check("imul -2*3 = -6 in EDX:EAX", lo ^ ~hi, 0xfffffffa ^ 0, f, 0, MULF);
	asm volatile("imull $-3, %1, %0" : "=r"(lo) : "r"(7u) : "cc");
	check("imul three-operand 7*-3", lo, (uint32_t)-21, 0, 0, 0);
	uint16_t ax = 0x10;
	asm volatile("pushl $2\n\tpopfl\n\tmulb %b[m]\n\tpushfl\n\tpopl %[fo]"
		     : "+a"(ax), [fo] "=r"(f)
		     : [m] "q"(0x10)
		     : "cc");
	check("mulb 0x10*0x10 = 0x100 in AX: CF OF", ax, 0x100, f, 0x801, MULF);
	lo = 100;
	hi = 0;
	asm volatile("divl %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(7u) : "cc");
	check("div 100/7: quotient", lo, 14, 0, 0, 0);
	check("div 100/7: remainder", hi, 2, 0, 0, 0);
	lo = (uint32_t)-100;
	asm volatile("cltd\n\tidivl %[d]" : "+a"(lo), "=d"(hi) : [d] "r"(7u) : "cc");
	check("idiv -100/7: quotient truncates to -14", lo, (uint32_t)-14, 0, 0, 0);
	check("idiv -100/7: remainder -2", hi, (uint32_t)-2, 0, 0, 0);
	ax = 0x0105;
	asm volatile("divb %b[d]" : "+a"(ax) : [d] "q"(0x10) : "cc");
	check("divb 0x105/0x10: AL=0x10 AH=5", ax, 0x0510, 0, 0, 0);
	lo = 0x00000000;
	hi = 0x00000001;
	asm volatile("divl %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(0x10u) : "cc");
	check("div 0x100000000/16 = 0x10000000", lo, 0x10000000, hi, 0, ~0u);
}

/* Runs every group in order. */
void test_main(void)
{
	tap_plan(43);
	test_add_sub();
	test_logic_unary();
	test_shift_rotate();
	test_mul_div();
}
