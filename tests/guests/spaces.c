/*
 * Address spaces that a shadow MMU may keep across CR3 writes: changes made
 * to a space while it is not current, page tables shared by two page
 * directories, a page table freed and reused as data (and data reused as a
 * page table), a page directory that maps itself, more spaces than a cache
 * holds, code and self-modifying code across switches, and code on a
 * global page remapped with INVLPG.  Each step reads through the mapping
 * the architecture says is in force after the CR3 write or INVLPG.
 */
#include "rt.h"

#define TV   0x40000000u /* test window, 4 KiB pages */
#define TC   0x40400000u /* code window */
#define AL   0x40800000u /* alias window: page tables seen as data */
#define REC  0x7fc00000u /* recursive slot: the page directory maps itself */
#define NSPC 40		 /* spaces in the many-spaces test */

static uint32_t *pd_a, *pd_b;
static uint32_t pages[NSPC][1024] __attribute__((aligned(4096)));

static uint32_t rd(uint32_t va)
{
	return *(volatile uint32_t *)va;
}

static void wr(uint32_t va, uint32_t v)
{
	*(volatile uint32_t *)va = v;
}

/* base_dir: a page directory mapping the first 4 MiB (code, data, stack,
 * page pool) with 4 KiB pages and the rest of RAM with 4 MiB pages. */
static uint32_t *base_dir(void)
{
	uint32_t *pd = pg_new_dir();

	pg_identity4k(pd, 0, 0x400000, PG_RW | PG_US);
	for (uint32_t a = 0x400000; a < 64u << 20; a += 0x400000)
		pg_map4m(pd, a, a, PG_RW);
	return pd;
}

/* page: the marker page i of pages[], its word 0 set to v. */
static uint32_t page(unsigned i, uint32_t v)
{
	pages[i][0] = v;
	return (uint32_t)pages[i];
}

static void test_alias_while_away(void)
{
	pg_map4k(pd_b, TV, page(0, 0xb0), PG_RW);
	write_cr3((uint32_t)pd_b);
	uint32_t before = rd(TV);
	write_cr3((uint32_t)pd_a);
	/* A sees B's page table as data and changes B's PTE for TV */
	pg_map4k(pd_a, AL, pd_b[TV >> 22] & ~0xfffu, PG_RW);
	invlpg(AL);
	wr(AL + ((TV >> 12) & 0x3ff) * 4, page(1, 0xb1) | PG_P | PG_RW);
	write_cr3((uint32_t)pd_b);
	uint32_t after = rd(TV);
	write_cr3((uint32_t)pd_a);
	tap_ok(before == 0xb0 && after == 0xb1,
	       "a PTE changed through an alias while its space was not current");
}

static void test_shared_table(void)
{
	uint32_t *pt = pg_alloc();

	pt[(TV >> 12) & 0x3ff] = page(2, 0x5a) | PG_P | PG_RW;
	pd_a[TV >> 22] = (uint32_t)pt | PG_P | PG_RW;
	pd_b[TV >> 22] = (uint32_t)pt | PG_P | PG_RW;
	write_cr3((uint32_t)pd_a);
	uint32_t in_a = rd(TV);
	write_cr3((uint32_t)pd_b);
	uint32_t in_b = rd(TV);
	pt[(TV >> 12) & 0x3ff] = page(3, 0x5b) | PG_P | PG_RW;
	invlpg(TV);
	uint32_t b_new = rd(TV);
	write_cr3((uint32_t)pd_a);
	tap_ok(in_a == 0x5a && in_b == 0x5a && b_new == 0x5b && rd(TV) == 0x5b,
	       "one page table in two directories: a change made in one shows in the other");
}

static void test_table_reuse(void)
{
	uint32_t *pt = pg_alloc();

	pt[0] = page(4, 0x40) | PG_P | PG_RW;
	pd_a[TV >> 22] = (uint32_t)pt | PG_P | PG_RW;
	write_cr3((uint32_t)pd_a);
	uint32_t first = rd(TV);
	/* the table goes, its page becomes data */
	pd_a[TV >> 22] = 0;
	write_cr3((uint32_t)pd_a);
	for (int i = 0; i < 1024; i++)
		pt[i] = 0xdead0000u + i;
	RT_CATCH("movl (%0), %%eax", : : "r"(TV) : "eax", "memory");
	int gone = rt_fault.vector == VEC_PF && rt_fault.cr2 == TV;
	/* a data page becomes the table */
	uint32_t *data = (uint32_t *)page(5, 0x55);
	for (int i = 1; i < 1024; i++)
		data[i] = 0x11110000u + i;
	uint32_t seen = rd((uint32_t)data + 8);
	for (int i = 0; i < 1024; i++)
		data[i] = 0;
	data[0] = page(6, 0x66) | PG_P | PG_RW;
	pd_a[TV >> 22] = (uint32_t)data | PG_P | PG_RW;
	write_cr3((uint32_t)pd_a);
	tap_ok(first == 0x40 && gone && pt[5] == 0xdead0005u && seen == 0x11110002u &&
		   rd(TV) == 0x66,
	       "a page table freed and reused as data, and a data page reused as a table");
}

static void test_recursive(void)
{
	pd_a[REC >> 22] = (uint32_t)pd_a | PG_P | PG_RW;
	pg_map4k(pd_a, TV + 0x1000, page(7, 0x77), PG_RW);
	write_cr3((uint32_t)pd_a);
	uint32_t *pte_via_rec =
	    (uint32_t *)(REC + ((TV >> 22) << 12) + (((TV >> 12) & 0x3ff) + 1) * 4);
	uint32_t *pde_via_rec = (uint32_t *)(REC + ((REC >> 22) << 12) + (TV >> 22) * 4);
	int reads = (*pte_via_rec & ~0xfffu) == (uint32_t)pages[7] &&
		    (*pde_via_rec & ~0xfffu) == (pd_a[TV >> 22] & ~0xfffu);
	uint32_t v1 = rd(TV + 0x1000);
	*pte_via_rec = page(8, 0x88) | PG_P | PG_RW;
	invlpg(TV + 0x1000);
	uint32_t v2 = rd(TV + 0x1000);
	pd_a[REC >> 22] = 0;
	write_cr3((uint32_t)pd_a);
	tap_ok(reads && v1 == 0x77 && v2 == 0x88,
	       "a page directory that maps itself: its entries read and written as data");
}

static void test_many_spaces(void)
{
	static uint32_t *pds[NSPC];
	unsigned bad = 0;

	for (unsigned i = 0; i < NSPC; i++) {
		pds[i] = pg_new_dir();
		memcpy(pds[i], pd_a, 4096);
		pds[i][TV >> 22] = 0;
		pg_map4k(pds[i], TV, page(i, 0x1000 + i), PG_RW);
	}
	for (unsigned pass = 0; pass < 3; pass++)
		for (unsigned i = 0; i < NSPC; i++) {
			write_cr3((uint32_t)pds[i]);
			bad += rd(TV) != 0x1000 + i + pass * 0x100;
			wr(TV, 0x1000 + i + (pass + 1) * 0x100);
		}
	write_cr3((uint32_t)pd_a);
	tap_eq("40 address spaces, three rounds: each sees its own page", bad, 0);
}

/* code: "mov $v, %eax; ret" at the start of marker page i. */
static uint32_t code(unsigned i, uint32_t v)
{
	uint8_t *p = (uint8_t *)pages[i];

	p[0] = 0xb8;
	memcpy(p + 1, &v, 4);
	p[5] = 0xc3;
	return (uint32_t)p;
}

static uint32_t call(uint32_t va)
{
	uint32_t r;

	asm volatile("call *%1" : "=a"(r) : "r"(va) : "ecx", "edx", "memory");
	return r;
}

/* test_churn: 2,000 address spaces created and destroyed, as processes
 * are: 8 page directories and tables reused, each new space mapping TV to
 * another page, checked, then torn down (the table page cleared). */
static void test_churn(void)
{
	static uint32_t *dirs[8], *tabs[8];
	unsigned bad = 0;

	for (unsigned i = 0; i < 8; i++) {
		dirs[i] = pg_new_dir();
		tabs[i] = pg_alloc();
	}
	for (unsigned n = 0; n < 2000; n++) {
		uint32_t *d = dirs[n & 7], *t = tabs[n & 7];
		unsigned pg = (n * 13) % NSPC;
		memcpy(d, pd_a, 4096);
		memset(t, 0, 4096);
		t[(TV >> 12) & 0x3ff] = (uint32_t)pages[pg] | PG_P | PG_RW;
		d[TV >> 22] = (uint32_t)t | PG_P | PG_RW;
		pages[pg][1] = n;
		write_cr3((uint32_t)d);
		bad += rd(TV + 4) != n;
		write_cr3((uint32_t)pd_a);
		memset(d, 0, 4096); /* the process is gone */
	}
	tap_eq("2,000 address spaces created and torn down in reused directories", bad, 0);
}

static void test_code(void)
{
	pg_map4k(pd_a, TC, code(10, 1), PG_RW);
	pg_map4k(pd_b, TC, code(11, 2), PG_RW);
	write_cr3((uint32_t)pd_a);
	uint32_t a1 = call(TC);
	write_cr3((uint32_t)pd_b);
	uint32_t b1 = call(TC);
	/* B rewrites A's code through B's identity mapping */
	code(10, 3);
	write_cr3((uint32_t)pd_a);
	uint32_t a2 = call(TC);
	write_cr3((uint32_t)pd_b);
	uint32_t b2 = call(TC);
	write_cr3((uint32_t)pd_a);
	tap_ok(a1 == 1 && b1 == 2 && a2 == 3 && b2 == 2,
	       "the same address runs each space's code; code rewritten from another space");
}

/* user_calls: at CPL 3, three indirect calls and three direct calls to
 * TC (the same address in every space); their results summed. */
static uint32_t user_calls(void)
{
	uint32_t r = call(TC) + call(TC) + call(TC);

	for (int i = 0; i < 3; i++) {
		uint32_t d;
		asm volatile("call 0x40400000" : "=a"(d) : : "ecx", "edx", "memory");
		r += d;
	}
	return r;
}

static void test_user_code(void)
{
	pg_map4k(pd_a, TC, code(15, 1), PG_RW | PG_US);
	pg_map4k(pd_b, TC, code(16, 2), PG_RW | PG_US);
	uint32_t r = 0;
	for (int i = 0; i < 3; i++) {
		write_cr3((uint32_t)pd_a);
		r += rt_user_call(user_calls, 0x2);
		write_cr3((uint32_t)pd_b);
		r += rt_user_call(user_calls, 0x2);
	}
	/* A's user code page changes while B runs */
	*pg_entry(pd_a, TC) = code(17, 7) | PG_P | PG_RW | PG_US;
	write_cr3((uint32_t)pd_a);
	uint32_t a2 = rt_user_call(user_calls, 0x2);
	write_cr3((uint32_t)pd_b);
	uint32_t b2 = rt_user_call(user_calls, 0x2);
	/* only A runs user code now; its page changes while B is current */
	write_cr3((uint32_t)pd_a);
	uint32_t a3 = rt_user_call(user_calls, 0x2);
	write_cr3((uint32_t)pd_b);
	*pg_entry(pd_a, TC) = code(18, 5) | PG_P | PG_RW | PG_US;
	write_cr3((uint32_t)pd_a);
	uint32_t a4 = rt_user_call(user_calls, 0x2);
	tap_ok(r == 54 && a2 == 42 && b2 == 12 && a3 == 42 && a4 == 30,
	       "ring 3 indirect and direct calls: each space's code, and a change made while away");
}

static void test_global_code(void)
{
	uint32_t *pt = pg_alloc();

	pt[(TC >> 12) & 0x3ff] = code(12, 4) | PG_P | PG_RW | PG_G;
	pd_a[TC >> 22] = (uint32_t)pt | PG_P | PG_RW;
	pd_b[TC >> 22] = (uint32_t)pt | PG_P | PG_RW;
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3((uint32_t)pd_a);
	uint32_t r = 0;
	for (int i = 0; i < 3; i++) {
		r += call(TC);
		write_cr3((uint32_t)pd_b);
		r += call(TC);
		write_cr3((uint32_t)pd_a);
	}
	pt[(TC >> 12) & 0x3ff] = code(13, 5) | PG_P | PG_RW | PG_G;
	invlpg(TC);
	uint32_t after = call(TC);
	write_cr3((uint32_t)pd_b);
	uint32_t in_b = call(TC);
	write_cr3((uint32_t)pd_a);
	write_cr4(read_cr4() & ~CR4_PGE);
	tap_ok(r == 24 && after == 5 && in_b == 5,
	       "code on a global page, remapped with INVLPG, in both spaces");
}

void test_main(void)
{
	tap_plan(9);
	pd_a = base_dir();
	pd_b = base_dir();
	pg_enable(pd_a, 0);
	test_alias_while_away();
	test_shared_table();
	test_table_reuse();
	test_recursive();
	test_many_spaces();
	test_churn();
	test_code();
	test_user_code();
	test_global_code();
	pg_disable();
}
