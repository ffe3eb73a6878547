/* test_shadow_flush.c - shadow MMU flushes (shadow.c): INVLPG, CR3 writes
 * with and without global pages, the mapping budget; and the cost of a
 * fill against a raw SIGSEGV + mmap measured in the same run (printed, no
 * timed assertion). */
#define _GNU_SOURCE
#include "test_cpu_fixture.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86/walk.h"
#include "monitor/base/stats.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define PD 0x100000u
#define PT 0x101000u
#define LV 0x400000u /* linear base of the test page table (PDE 1) */

static struct shadow S;

/* map_pages: PTEs 0..n-1 of the test table map frames 0x200+i with flags. */
static void map_pages(unsigned n, uint32_t flags)
{
	for (unsigned i = 0; i < n; i++)
		wr32(PT + i * 4, (0x200000 + i * 4096) | PTE_P | flags);
}

/* start: the fixture, a shadow with the given budget, paging on. */
static void start(unsigned budget)
{
	ck_assert_int_eq(shadow_init(&S, &M, budget), 0);
	wr32(PD + 1 * 4, PT | PTE_P | PTE_RW | PTE_US);
	V->cr3 = PD;
	V->cr4 = CR4_PSE | CR4_PGE;
	V->cr0 |= CR0_PG;
}

static void teardown(void)
{
	shadow_destroy(&S);
	fixture_teardown();
}

static enum shadow_result fault(int view, uint32_t lin, bool write)
{
	uint32_t gpa, ec;

	return shadow_fault(&S, view, lin, write, V->cr0, V->cr3, V->cr4, &ec, &gpa);
}

static bool filled(int view, uint32_t lin)
{
	return S.slot[view][lin >> 12] != 0;
}

START_TEST(test_invlpg_both_views)
{
	start(0);
	map_pages(2, PTE_RW | PTE_US);
	ck_assert_int_eq(fault(SHADOW_SUP, LV, false), SHADOW_FILLED);
	ck_assert_int_eq(fault(SHADOW_USER, LV, false), SHADOW_FILLED);
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x1000, false), SHADOW_FILLED);
	/* the guest remaps page 0 and invalidates it: the new frame is used */
	wr32(PT, 0x209000 | PTE_P | PTE_RW | PTE_US);
	wr32(0x209000, 0x99);
	shadow_invlpg(&S, LV + 0x123);
	ck_assert(!filled(SHADOW_SUP, LV) && !filled(SHADOW_USER, LV));
	ck_assert(filled(SHADOW_SUP, LV + 0x1000));
	ck_assert_uint_eq(S.n_live, 1);
	ck_assert_int_eq(fault(SHADOW_SUP, LV, false), SHADOW_FILLED);
	ck_assert_uint_eq(*(volatile uint32_t *)(S.view[SHADOW_SUP].base + LV), 0x99);
}
END_TEST

START_TEST(test_invlpg_large_page)
{
	start(0);
	map_pages(1, PTE_RW);
	wr32(PD + 2 * 4, 0xc00000 | PTE_P | PTE_RW | PTE_PS); /* 8 MiB -> 12 MiB */
	ck_assert_int_eq(fault(SHADOW_SUP, 0x800000, false), SHADOW_FILLED);
	ck_assert(filled(SHADOW_SUP, 0xbff000)); /* mapped whole by the first fill */
	ck_assert_int_eq(fault(SHADOW_USER, LV, false), SHADOW_PF); /* supervisor PT */
	ck_assert_int_eq(fault(SHADOW_SUP, LV, false), SHADOW_FILLED);
	ck_assert_uint_eq(S.n_whole, 1);
	ck_assert_uint_eq(S.n_large, 0); /* counts 4 KiB pieces of large pages */
	/* INVLPG anywhere in the 4 MiB page drops all of it, nothing else */
	shadow_invlpg(&S, 0x9a0000);
	ck_assert(!filled(SHADOW_SUP, 0x800000) && !filled(SHADOW_SUP, 0xbff000));
	ck_assert(filled(SHADOW_SUP, LV));
	ck_assert_uint_eq(S.n_whole, 0);
	ck_assert_uint_eq(S.n_live, 1);
}
END_TEST

START_TEST(test_cr3_flush_keeps_global)
{
	start(0);
	map_pages(3, PTE_RW);
	wr32(PT + 4, rd32(PT + 4) | PTE_G);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(fault(SHADOW_SUP, LV + i * 4096, false), SHADOW_FILLED);
	shadow_flush(&S, true); /* CR3 write */
	ck_assert(!filled(SHADOW_SUP, LV) && !filled(SHADOW_SUP, LV + 0x2000));
	ck_assert(filled(SHADOW_SUP, LV + 0x1000));
	/* the flushed page faults again: its range is PROT_NONE once more */
	ck_assert_int_eq(fault(SHADOW_SUP, LV, false), SHADOW_FILLED);
	shadow_flush(&S, false); /* CR4.PGE toggle / CR0.PG change */
	ck_assert_uint_eq(S.n_live, 0);
	ck_assert(!filled(SHADOW_SUP, LV + 0x1000));
}
END_TEST

START_TEST(test_global_ignored_without_pge)
{
	start(0);
	V->cr4 &= ~CR4_PGE;
	map_pages(1, PTE_RW | PTE_G);
	ck_assert_int_eq(fault(SHADOW_SUP, LV, false), SHADOW_FILLED);
	shadow_flush(&S, true);
	ck_assert(!filled(SHADOW_SUP, LV));
}
END_TEST

START_TEST(test_budget_evicts)
{
	start(4);
	map_pages(6, PTE_RW | PTE_US);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(fault(SHADOW_SUP, LV + i * 4096, false), SHADOW_FILLED);
	ck_assert_uint_eq(S.n_live, 4);
	ck_assert_uint_eq(stats[STAT_shadow_evictions], 0);
	/* the fifth page does not fit: everything goes, then it is filled */
	ck_assert_int_eq(fault(SHADOW_USER, LV + 4 * 4096, false), SHADOW_FILLED);
	ck_assert_uint_eq(stats[STAT_shadow_evictions], 1);
	ck_assert_uint_eq(S.n_live, 1);
	ck_assert(!filled(SHADOW_SUP, LV) && filled(SHADOW_USER, LV + 4 * 4096));
	/* refilling the same page does not use budget */
	ck_assert_int_eq(fault(SHADOW_USER, LV + 4 * 4096, true), SHADOW_FILLED);
	ck_assert_uint_eq(S.n_live, 1);
}
END_TEST

/* --- cost of a fill vs a raw SIGSEGV + mmap ------------------------------ */

#define COST_PAGES 512u
static volatile sig_atomic_t cost_raw; /* 1: raw mmap handler, 0: shadow_fault */
static uint8_t *cost_raw_base;	       /* raw: a PROT_NONE window */

/* cost_handler: a fault in the raw window or in the supervisor view. */
static void cost_handler(int sig, siginfo_t *si, void *uc)
{
	uint8_t *p = si->si_addr;

	(void)sig;
	(void)uc;
	if (cost_raw) {
		uint64_t off = (uint64_t)(p - cost_raw_base) & ~0xfffull;
		int fd;
		off_t o;
		ram_backing(&M.ram, 0x200000 + off, &fd, &o);
		mmap(cost_raw_base + off, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, o);
		return;
	}
	uint64_t lin;
	int view = shadow_view_of(&S, p, &lin);
	int r = view < 0 ? -1 : (int)fault(view, (uint32_t)lin, false);
	if (r != SHADOW_FILLED) {
		fprintf(stderr, "fill failed: p %p views %p %p r %d\n", (void *)p,
			(void *)S.view[0].base, (void *)S.view[1].base, r);
		abort();
	}
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* touch: read one byte of each of n pages from base; ns per page. */
static double touch(volatile uint8_t *base, unsigned n)
{
	double t0 = now_ns();
	unsigned sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += base[i * 4096u];
	(void)sum;
	return (now_ns() - t0) / n;
}

START_TEST(test_fill_cost)
{
	struct sigaction sa = {0}, old;

	start(0);
	map_pages(COST_PAGES, PTE_RW);
	sa.sa_sigaction = cost_handler;
	sa.sa_flags = SA_SIGINFO;
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, &old), 0);
	cost_raw_base = mmap(NULL, COST_PAGES * 4096, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert(cost_raw_base != MAP_FAILED);
	double raw = 1e30, fill = 1e30;
	for (int round = 0; round < 3; round++) {
		cost_raw = 1;
		mmap(cost_raw_base, COST_PAGES * 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		double r = touch(cost_raw_base, COST_PAGES);
		cost_raw = 0;
		shadow_flush(&S, false);
		double f = touch(S.view[SHADOW_SUP].base + LV, COST_PAGES);
		raw = r < raw ? r : raw;
		fill = f < fill ? f : fill;
	}
	sigaction(SIGSEGV, &old, NULL);
	ck_assert_uint_eq(S.n_live, COST_PAGES);
	ck_assert_uint_eq(rd32(PT) & PTE_A, PTE_A);
	printf("shadow fill: %.0f ns per page (SIGSEGV + walk + mmap); raw SIGSEGV + mmap: "
	       "%.0f ns (%.2fx)\n",
	       fill, raw, fill / raw);
	munmap(cost_raw_base, COST_PAGES * 4096);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shadow_flush");
	TCase *tc = tcase_create("flush");

	tcase_add_checked_fixture(tc, fixture_setup, teardown);
	tcase_add_test(tc, test_invlpg_both_views);
	tcase_add_test(tc, test_invlpg_large_page);
	tcase_add_test(tc, test_cr3_flush_keeps_global);
	tcase_add_test(tc, test_global_ignored_without_pge);
	tcase_add_test(tc, test_budget_evicts);
	tcase_add_test(tc, test_fill_cost);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
