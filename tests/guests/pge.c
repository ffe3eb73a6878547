/*
 * CR4.PGE global pages. A TLB may drop any entry at any time, so only what
 * the architecture guarantees is checked: a global entry changed in memory
 * reads either the old or the new frame after a CR3 reload, the new one
 * after INVLPG or after toggling CR4.PGE, G is ignored while CR4.PGE=0, and
 * non-global entries are flushed by a CR3 reload.
 */
#include "rt.h"

#define TV 0x40000000u

static uint32_t *pd;
static uint32_t *frame[3];

static uint32_t rd(uint32_t va)
{
	return *(volatile uint32_t *)va;
}

static void set_pte(uint32_t va, int f, uint32_t flags)
{
	*pg_entry(pd, va) = (uint32_t)frame[f] | PG_P | PG_RW | flags;
}

void test_main(void)
{
	uint32_t r[4];
	cpuid(1, r);
	tap_plan(8);
	tap_ok(r[3] & (1u << 13), "CPUID reports PGE");
	pd = pg_new_dir();
	pg_identity4k(pd, 0, 0x400000, PG_RW | PG_G);
	for (int i = 0; i < 3; i++) {
		frame[i] = pg_alloc();
		frame[i][0] = 0x11111111u * (i + 1);
	}
	pg_map4k(pd, TV, (uint32_t)frame[0], PG_RW | PG_G);
	pg_map4k(pd, TV + 0x1000, (uint32_t)frame[0], PG_RW);
	pg_enable(pd, CR4_PGE);
	tap_ok((read_cr4() & CR4_PGE) && rd(TV) == 0x11111111, "paging with CR4.PGE, global page");

	set_pte(TV, 1, PG_G);
	write_cr3(read_cr3());
	uint32_t v = rd(TV);
	tap_ok(v == 0x11111111 || v == 0x22222222,
	       "global page after a CR3 reload: old or new frame, nothing else");
	invlpg(TV);
	tap_eq("INVLPG drops the global entry", rd(TV), 0x22222222);

	set_pte(TV, 2, PG_G);
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	tap_eq("toggling CR4.PGE flushes global entries", rd(TV), 0x33333333);

	write_cr4(read_cr4() & ~CR4_PGE);
	(void)rd(TV);
	set_pte(TV, 0, PG_G);
	write_cr3(read_cr3());
	tap_eq("with CR4.PGE=0 the G bit is ignored by a CR3 reload", rd(TV), 0x11111111);
	write_cr4(read_cr4() | CR4_PGE);

	(void)rd(TV + 0x1000);
	set_pte(TV + 0x1000, 1, 0);
	write_cr3(read_cr3());
	tap_eq("non-global page next to global ones: CR3 reload flushes it", rd(TV + 0x1000),
	       0x22222222);

	uint32_t *pd2 = pg_new_dir();
	memcpy(pd2, pd, 4096);
	write_cr3((uint32_t)pd2);
	tap_eq("global identity mapping keeps the code running across CR3 switches",
	       rd((uint32_t)&frame[2][0]), 0x33333333);
	write_cr3((uint32_t)pd);
	pg_disable();
	write_cr4(read_cr4() & ~CR4_PGE);
}
