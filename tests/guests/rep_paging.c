/*
 * REP MOVS/STOS under paging, where a run of elements meets a page it
 * cannot use: a not-present page and a read-only one (the #PF comes with
 * the registers of the elements done so far: CR2 and EDI/ESI at the
 * faulting element, ECX counting what is left; the handler maps the page
 * and the instruction finishes), a source page that is not present, a run
 * that wraps from the top of the linear space to 0, one into physical
 * addresses with no RAM, and backward (DF=1) runs.  bt runs flat forward
 * REP MOVS/STOS as the host's own REP on the guest view (mangle_string.c).
 */
#include "rt.h"

#define TV  0x40000000u /* four 4 KiB pages, mapped as each test needs */
#define TOP 0xfffff000u /* the last page of the linear space */
#define NOR 0x50000000u /* a page of physical addresses with no RAM */

static uint32_t *pd;
static uint8_t *frame[5];
static volatile struct {
	uint32_t n, cr2, err, ecx, edi, esi;
} pf;

/* on_pf: record the fault and its registers, map the page writable. */
static void on_pf(struct rt_frame *f)
{
	uint32_t va = read_cr2() & ~0xfffu;

	pf.n++;
	pf.cr2 = read_cr2();
	pf.err = f->err;
	pf.ecx = f->ecx;
	pf.edi = f->edi;
	pf.esi = f->esi;
	if (va < TV || va >= TV + 4 * 4096)
		tap_bail("unexpected #PF at %08x, eip %08x", pf.cr2, f->eip);
	pg_map4k(pd, va, (uint32_t)frame[(va - TV) >> 12], PG_RW);
	invlpg(va);
}

static void reset(void)
{
	for (int i = 0; i < 4; i++) {
		pg_unmap(pd, TV + 4096u * i);
		invlpg(TV + 4096u * i);
		for (int j = 0; j < 4096; j++)
			frame[i][j] = (uint8_t)(i * 16 + j);
	}
	pf.n = 0;
}

static void test_stos_not_present(void)
{
	uint32_t di = TV + 4096 - 64, cx = 64;

	reset();
	pg_map4k(pd, TV, (uint32_t)frame[0], PG_RW);
	invlpg(TV);
	asm volatile("cld; rep stosl" : "+D"(di), "+c"(cx) : "a"(0x5a5a5a5a) : "memory");
	tap_eq("rep stosd into a not-present page: one #PF", pf.n, 1);
	tap_eq("  CR2 = the first element of that page", pf.cr2, TV + 4096);
	tap_eq("  error code: write, not present", pf.err, PF_W);
	tap_eq("  ECX at the fault: the elements left", pf.ecx, 48);
	tap_eq("  EDI at the fault", pf.edi, TV + 4096);
	tap_eq("then it finishes: ECX", cx, 0);
	tap_eq("  EDI", di, TV + 4096 + 192);
	tap_ok(*(uint32_t *)(frame[0] + 4092) == 0x5a5a5a5a &&
		   *(uint32_t *)(frame[1] + 188) == 0x5a5a5a5a && frame[1][192] == 16 + 192 % 256,
	       "  both pages hold the stores, nothing past them");
}

static void test_movs_source_not_present(void)
{
	uint32_t si = TV + 2 * 4096 - 32, di = TV + 512, cx = 16;

	reset();
	pg_map4k(pd, TV, (uint32_t)frame[0], PG_RW);
	pg_map4k(pd, TV + 4096, (uint32_t)frame[1], PG_RW);
	invlpg(TV);
	invlpg(TV + 4096);
	asm volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	tap_eq("rep movsd from a not-present page: one #PF", pf.n, 1);
	tap_eq("  error code: read, not present", pf.err, 0);
	tap_eq("  ESI at the fault", pf.esi, TV + 2 * 4096);
	tap_eq("  EDI at the fault", pf.edi, TV + 512 + 32);
	tap_eq("  ECX at the fault", pf.ecx, 8);
	tap_ok(cx == 0 && si == TV + 2 * 4096 + 32 && di == TV + 512 + 64, "then it finishes");
	tap_ok(!memcmp(frame[0] + 512, frame[1] + 4096 - 32, 32) &&
		   !memcmp(frame[0] + 512 + 32, frame[2], 32),
	       "  the bytes of both source pages were copied");
}

static void test_stos_read_only(void)
{
	uint32_t di = TV + 3 * 4096 - 8, cx = 16;

	reset();
	pg_map4k(pd, TV + 2 * 4096, (uint32_t)frame[2], PG_RW);
	pg_map4k(pd, TV + 3 * 4096, (uint32_t)frame[3], 0);
	invlpg(TV + 2 * 4096);
	invlpg(TV + 3 * 4096);
	write_cr0(read_cr0() | CR0_WP);
	asm volatile("cld; rep stosb" : "+D"(di), "+c"(cx) : "a"(0xee) : "memory");
	tap_eq("rep stosb into a read-only page (CR0.WP): one #PF", pf.n, 1);
	tap_eq("  error code: write, present", pf.err, PF_W | PF_P);
	tap_eq("  ECX at the fault", pf.ecx, 8);
	tap_ok(cx == 0 && frame[3][7] == 0xee && frame[3][8] == 48 + 8, "then it finishes");
}

static void test_wrap(void)
{
	uint8_t *top = frame[4], save[8], low[8], *zero;
	uint32_t di = 0xfffffff8u, cx = 16;

	asm("" : "=r"(zero) : "0"(0)); /* linear 0, hidden from the compiler */
	pg_map4k(pd, TOP, (uint32_t)top, PG_RW);
	invlpg(TOP);
	memcpy(save, zero, 8);
	asm volatile("cld; rep stosb" : "+D"(di), "+c"(cx) : "a"(0x77) : "memory");
	memcpy(low, zero, 8);
	memcpy(zero, save, 8);
	tap_ok(di == 8 && cx == 0, "rep stosb across 4 GiB wraps EDI to 0 (EDI %08x ECX %u)", di,
	       cx);
	tap_ok(top[4095] == 0x77 && top[4088] == 0x77 && low[0] == 0x77 && low[7] == 0x77,
	       "  the stores land at the top and at 0");
}

static void test_no_ram(void)
{
	uint32_t di = NOR, cx = 64, si;

	pg_map4k(pd, NOR, 0xe0000000u, PG_RW);
	invlpg(NOR);
	asm volatile("cld; rep stosl" : "+D"(di), "+c"(cx) : "a"(1) : "memory");
	tap_ok(di == NOR + 256 && cx == 0, "rep stosd to addresses with no RAM runs to the end");
	di = TV + 1024, si = NOR, cx = 8;
	reset();
	pg_map4k(pd, TV, (uint32_t)frame[0], PG_RW);
	invlpg(TV);
	asm volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	tap_ok(si == NOR + 32 && di == TV + 1024 + 32 && cx == 0,
	       "rep movsd from addresses with no RAM runs to the end");
}

static void test_backward(void)
{
	uint32_t di = TV + 4096 + 60, cx = 32;

	reset();
	pg_map4k(pd, TV + 4096, (uint32_t)frame[1], PG_RW);
	invlpg(TV + 4096);
	asm volatile("std; rep stosl; cld" : "+D"(di), "+c"(cx) : "a"(0x01020304) : "memory");
	tap_eq("rep stosd backward (DF=1) into a not-present page: one #PF", pf.n, 1);
	tap_eq("  CR2", pf.cr2, TV + 4096 - 4);
	tap_eq("  ECX at the fault", pf.ecx, 16);
	tap_ok(cx == 0 && di == TV + 4096 + 60 - 128 &&
		   *(uint32_t *)(frame[0] + 4096 - 64) == 0x01020304,
	       "then it finishes downward");
}

void test_main(void)
{
	tap_plan(27);
	pd = pg_new_dir();
	pg_identity4k(pd, 0, 0x400000, PG_RW);
	for (uint32_t a = 0x400000; a < 64u << 20; a += 0x400000)
		pg_map4m(pd, a, a, PG_RW);
	for (int i = 0; i < 5; i++)
		frame[i] = pg_alloc();
	rt_set_handler(14, on_pf);
	pg_enable(pd, 0);
	test_stos_not_present();
	test_movs_source_not_present();
	test_stos_read_only();
	test_wrap();
	test_no_ram();
	test_backward();
	rt_set_handler(14, NULL);
	pg_disable();
}
