/*
 * The default guest of `make run`: a banner, the memory size the loader
 * reported, and a few PIT ticks, then a clean exit.
 */
#include "rt.h"

#define DEMO_TICKS 10

/* Waits for DEMO_TICKS timer interrupts at 100 Hz; returns how many came. */
static uint32_t demo_ticks(void)
{
	pit_set_rate(100);
	pic_unmask(0);
	rt_ticks = 0;
	/* Bounded: a machine without a working timer must not hang the run. */
	for (unsigned spins = 0; rt_ticks < DEMO_TICKS && spins < 100000; spins++)
		sti_hlt();
	cli();
	pic_mask(0);
	return rt_ticks;
}

void test_main(void)
{
	rt_printf("\n");
	rt_printf("  +--------------------------------------+\n");
	rt_printf("  |  Hello from a 32-bit guest on bt86!  |\n");
	rt_printf("  +--------------------------------------+\n\n");
	if (rt_mbi && (rt_mbi->flags & 1))
		rt_printf("  memory:  %u MiB\n", (rt_mbi->mem_upper + 1024 + 1023) / 1024);
	else
		rt_printf("  memory:  not reported by the loader\n");
	rt_printf("  mode:    32-bit protected mode, CPL %u\n", read_cs() & 3);
	rt_printf("  timer:   waiting for %u PIT ticks at 100 Hz... ", DEMO_TICKS);
	uint32_t t = demo_ticks();
	rt_printf("%u ticks\n\n", t);
	tap_plan(3);
	tap_ok(rt_mbi != NULL, "booted by a multiboot loader");
	tap_ok(rt_mbi && (rt_mbi->flags & 1) && rt_mbi->mem_upper >= 1024,
	       "loader reported the memory size");
	tap_ok(t == DEMO_TICKS, "timer interrupts arrive");
}
