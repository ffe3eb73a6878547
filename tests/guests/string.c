/*
 * String instructions: MOVS/STOS/LODS/CMPS/SCAS in byte, word and dword
 * sizes, with REP/REPE/REPNE, both directions (DF), overlapping copies and
 * the final ESI/EDI/ECX values.
 */
#include "rt.h"

#define N 6000 /* spans page boundaries */

static uint8_t src[N + 64] __attribute__((aligned(16)));
static uint8_t dst[N + 64] __attribute__((aligned(16)));
static uint8_t ref[N + 64];

static void fill(uint8_t *p, unsigned n, unsigned seed)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

static void regs_ok(const char *desc, int data_ok, uint32_t si, uint32_t want_si, uint32_t di,
		    uint32_t want_di, uint32_t cx, uint32_t want_cx)
{
	int good = data_ok && si == want_si && di == want_di && cx == want_cx;
	if (!tap_ok(good, "%s", desc))
		tap_diag("  data %s, esi %08x/%08x edi %08x/%08x ecx %u/%u", data_ok ? "ok" : "bad",
			 si, want_si, di, want_di, cx, want_cx);
}

static void test_movs(void)
{
	uint32_t si, di, cx;
	fill(src, N, 1);
	memset(dst, 0, sizeof(dst));
	si = (uint32_t)src, di = (uint32_t)dst, cx = N;
	asm volatile("cld; rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsb forward", !memcmp(src, dst, N), si, (uint32_t)src + N, di,
		(uint32_t)dst + N, cx, 0);

	memset(dst, 0, sizeof(dst));
	si = (uint32_t)src + N - 4, di = (uint32_t)dst + N - 4, cx = N / 4;
	asm volatile("std; rep movsl; cld" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsd backward (DF=1)", !memcmp(src, dst, N), si, (uint32_t)src - 4, di,
		(uint32_t)dst - 4, cx, 0);

	memset(dst, 0, sizeof(dst));
	si = (uint32_t)src, di = (uint32_t)dst, cx = N / 2;
	asm volatile("cld; rep movsw" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsw forward", !memcmp(src, dst, N), si, (uint32_t)src + N, di,
		(uint32_t)dst + N, cx, 0);

	/* Overlap, destination one byte ahead: byte-by-byte semantics smear
	 * the first byte over the whole range. */
	fill(dst, N, 3);
	memset(ref, dst[0], N + 1);
	si = (uint32_t)dst, di = (uint32_t)dst + 1, cx = N;
	asm volatile("cld; rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsb overlapping (dst = src+1) replicates", !memcmp(dst, ref, N + 1), si,
		(uint32_t)dst + N, di, (uint32_t)dst + N + 1, cx, 0);

	/* Overlap copied in the safe direction behaves like memmove. */
	fill(dst, N, 5);
	memcpy(ref, dst, N);
	memmove(ref + 6, ref, N - 8);
	si = (uint32_t)dst + N - 8 - 2, di = (uint32_t)dst + N - 2 - 2, cx = (N - 8) / 2;
	asm volatile("std; rep movsw; cld" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsw backward overlapping = memmove", !memcmp(dst, ref, N), si,
		(uint32_t)dst - 2, di, (uint32_t)dst + 4, cx, 0);

	fill(dst, N, 9);
	memcpy(ref, dst, N);
	memmove(ref, ref + 2, N - 4);
	si = (uint32_t)dst + 2, di = (uint32_t)dst, cx = (N - 4) / 4;
	asm volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsd forward overlapping = memmove", !memcmp(dst, ref, N), si,
		(uint32_t)dst + 2 + N - 4, di, (uint32_t)dst + N - 4, cx, 0);

	si = (uint32_t)src, di = (uint32_t)dst, cx = 0;
	memset(dst, 0x5a, 8);
	asm volatile("cld; rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	regs_ok("rep movsb with ECX=0 does nothing", dst[0] == 0x5a, si, (uint32_t)src, di,
		(uint32_t)dst, cx, 0);

	memset(dst, 0, 16);
	si = (uint32_t)src + 10, di = (uint32_t)dst + 10;
	asm volatile("std; movsb; movsw; movsl; cld" : "+S"(si), "+D"(di) : : "memory");
	regs_ok("single movsb, movsw, movsd with DF=1 step back 1+2+4",
		!memcmp(dst + 7, src + 7, 4) && dst[6] == 0, si, (uint32_t)src + 3, di,
		(uint32_t)dst + 3, 0, 0);
}

static void test_stos_lods(void)
{
	uint32_t di, cx, si, a;
	memset(dst, 0, sizeof(dst));
	di = (uint32_t)dst + 1, cx = 1000;
	asm volatile("cld; rep stosl" : "+D"(di), "+c"(cx) : "a"(0x11223344) : "memory");
	int good = 1;
	for (unsigned i = 0; i < 1000; i++)
		good &= *(uint32_t *)(dst + 1 + 4 * i) == 0x11223344;
	regs_ok("rep stosd, unaligned", good && dst[0] == 0 && dst[4001] == 0, 0, 0, di,
		(uint32_t)dst + 4001, cx, 0);

	memset(dst, 0, sizeof(dst));
	di = (uint32_t)dst + 99, cx = 100;
	asm volatile("std; rep stosb; cld" : "+D"(di), "+c"(cx) : "a"(0xab) : "memory");
	memset(ref, 0xab, 100);
	regs_ok("rep stosb backward (DF=1)", !memcmp(dst, ref, 100) && dst[100] == 0, 0, 0, di,
		(uint32_t)dst - 1, cx, 0);

	di = (uint32_t)dst, cx = 50;
	asm volatile("cld; rep stosw" : "+D"(di), "+c"(cx) : "a"(0xbeef) : "memory");
	regs_ok("rep stosw", *(uint16_t *)(dst + 98) == 0xbeef && dst[100] == 0, 0, 0, di,
		(uint32_t)dst + 100, cx, 0);

	fill(src, 64, 0);
	si = (uint32_t)src, cx = 5;
	asm volatile("cld; rep lodsb" : "+S"(si), "+c"(cx), "=a"(a) : "a"(0) : "memory");
	regs_ok("rep lodsb leaves the last byte in AL", (a & 0xff) == src[4], si, (uint32_t)src + 5,
		0, 0, cx, 0);

	si = (uint32_t)src + 8;
	asm volatile("std; lodsl; cld" : "+S"(si), "=a"(a) : : "memory");
	regs_ok("lodsd with DF=1", a == *(uint32_t *)(src + 8), si, (uint32_t)src + 4, 0, 0, 0, 0);

	si = (uint32_t)src;
	uint32_t sum = 0;
	for (int i = 0; i < 4; i++) {
		asm volatile("cld; lodsw" : "+S"(si), "=a"(a) : : "memory");
		sum += a & 0xffff;
	}
	uint32_t want = 0;
	for (int i = 0; i < 4; i++)
		want += *(uint16_t *)(src + 2 * i);
	tap_eq("lodsw loop sum", sum, want);
}

static void test_cmps_scas(void)
{
	uint32_t si, di, cx, fl;
	fill(src, 64, 2);
	memcpy(dst, src, 64);
	dst[7] ^= 0xff;
	si = (uint32_t)src, di = (uint32_t)dst, cx = 64;
	asm volatile("cld; repe cmpsb; pushfl; popl %3"
		     : "+S"(si), "+D"(di), "+c"(cx), "=r"(fl)
		     :
		     : "memory", "cc");
	regs_ok("repe cmpsb stops after the first difference", !(fl & FL_ZF), si, (uint32_t)src + 8,
		di, (uint32_t)dst + 8, cx, 56);

	memcpy(dst, src, 64);
	si = (uint32_t)src, di = (uint32_t)dst, cx = 16;
	asm volatile("cld; repe cmpsl; pushfl; popl %3"
		     : "+S"(si), "+D"(di), "+c"(cx), "=r"(fl)
		     :
		     : "memory", "cc");
	regs_ok("repe cmpsd over equal data runs out with ZF=1", fl & FL_ZF, si, (uint32_t)src + 64,
		di, (uint32_t)dst + 64, cx, 0);

	memset(dst, 0x11, 64);
	*(uint16_t *)(dst + 40) = 0x2222;
	memset(src, 0x22, 64);
	si = (uint32_t)src, di = (uint32_t)dst, cx = 32;
	asm volatile("cld; repne cmpsw; pushfl; popl %3"
		     : "+S"(si), "+D"(di), "+c"(cx), "=r"(fl)
		     :
		     : "memory", "cc");
	regs_ok("repne cmpsw stops at the first equal word", fl & FL_ZF, si, (uint32_t)src + 42, di,
		(uint32_t)dst + 42, cx, 11);

	memset(dst, 0, 64);
	dst[30] = 0x7e;
	di = (uint32_t)dst, cx = 64;
	asm volatile("cld; repne scasb; pushfl; popl %2"
		     : "+D"(di), "+c"(cx), "=r"(fl)
		     : "a"(0x7e)
		     : "memory", "cc");
	regs_ok("repne scasb finds the byte", fl & FL_ZF, 0, 0, di, (uint32_t)dst + 31, cx, 33);

	di = (uint32_t)dst + 63, cx = 64;
	asm volatile("std; repne scasb; pushfl; popl %2; cld"
		     : "+D"(di), "+c"(cx), "=r"(fl)
		     : "a"(0x7e)
		     : "memory", "cc");
	regs_ok("repne scasb backward (DF=1)", fl & FL_ZF, 0, 0, di, (uint32_t)dst + 29, cx, 30);

	for (int i = 0; i < 16; i++)
		((uint32_t *)dst)[i] = i < 9 ? 0xcafef00d : 0;
	di = (uint32_t)dst, cx = 16;
	asm volatile("cld; repe scasl; pushfl; popl %2"
		     : "+D"(di), "+c"(cx), "=r"(fl)
		     : "a"(0xcafef00d)
		     : "memory", "cc");
	regs_ok("repe scasd skips equal dwords", !(fl & FL_ZF), 0, 0, di, (uint32_t)dst + 40, cx,
		6);

	di = (uint32_t)dst, cx = 0;
	asm volatile("pushl $0x8d7; popfl; repe scasb; pushfl; popl %2; cld"
		     : "+D"(di), "+c"(cx), "=r"(fl)
		     : "a"(0)
		     : "memory", "cc");
	regs_ok("repe scasb with ECX=0 keeps the flags", (fl & FL_ARITH) == FL_ARITH, 0, 0, di,
		(uint32_t)dst, cx, 0);
}

void test_main(void)
{
	tap_plan(21);
	test_movs();
	test_stos_lods();
	test_cmps_scas();
}
