/*
 * The HPET and the ACPI PM timer against the TSC: the HPET's capabilities
 * (a period of at most 100 ns, at least three timers, legacy routing), its
 * main counter and the PM timer (port 0x608, 3.579545 MHz) both advancing
 * at their rates while the TSC measures the same busy wait, the counter
 * holding while halted, and timer 0 in legacy replacement mode: periodic
 * interrupts on IRQ0 (the PIT cut off), which stop when the timer is
 * disabled.
 */
#include "rt.h"

#define HPET	 0xfed00000u
#define PM_TIMER 0x608
#define PM_HZ	 3579545ull
#define SPIN_MAX 20000000u

static uint32_t hrd(uint32_t off)
{
	return *(volatile uint32_t *)(HPET + off);
}

static void hwr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(HPET + off) = v;
}

static uint32_t pm_read(void)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)PM_TIMER));
	return v & 0xffffff;
}

/* within: |a - b| is at most pct percent of b. */
static int within(uint64_t a, uint64_t b, unsigned pct)
{
	uint64_t d = a > b ? a - b : b - a;
	return d * 100 <= b * pct;
}

void test_main(void)
{
	tap_plan(8);
	uint32_t cap = hrd(0x0), period_fs = hrd(0x4);
	tap_ok(period_fs > 0 && period_fs <= 100000000u, "HPET period at most 100 ns");
	tap_ok(((cap >> 8) & 0x1f) >= 2 && (cap & (1u << 15)),
	       "three timers or more, legacy routing");

	/* the TSC's rate, from the PM timer over ~20 ms */
	hwr(0x10, 0); /* halted */
	hwr(0xf0, 0);
	hwr(0xf4, 0);
	hwr(0x10, 1); /* enabled */
	uint32_t p0 = pm_read(), h0 = hrd(0xf0);
	uint64_t t0 = rdtsc();
	uint32_t pm_ticks;
	do
		pm_ticks = (pm_read() - p0) & 0xffffff;
	while (pm_ticks < PM_HZ / 50);
	uint64_t t1 = rdtsc();
	uint32_t h1 = hrd(0xf0);
	uint64_t pm_fs = (uint64_t)pm_ticks * 279365115u; /* 10^15 / 3579545 fs per tick */
	uint64_t hpet_fs = (uint64_t)(h1 - h0) * period_fs;
	if (!tap_ok(within(hpet_fs, pm_fs, 10), "HPET counter and PM timer agree over 20 ms"))
		tap_diag("  HPET %u ticks, PM %u ticks", h1 - h0, pm_ticks);
	tap_ok(t1 > t0 && pm_ticks > 0, "the TSC advanced with them");
	hwr(0x10, 0);
	uint32_t held = hrd(0xf0);
	for (volatile int i = 0; i < 100000; i++)
		;
	tap_eq("a halted counter holds", hrd(0xf0), held);

	/* timer 0 periodic at 1 kHz in legacy replacement mode, on IRQ0 */
	uint32_t per = 1000000000u / (period_fs / 1000u); /* 1 ms in ticks */
	hwr(0xf0, 0);
	hwr(0xf4, 0);
	/* enable, periodic, set value, 32-bit mode (as Linux programs it) */
	hwr(0x100, (1u << 2) | (1u << 3) | (1u << 6) | (1u << 8));
	hwr(0x108, per); /* the first match */
	hwr(0x108, per); /* the period */
	hwr(0x10, 3);	 /* enabled, legacy routing */
	pic_unmask(0);
	rt_ticks = 0;
	uint32_t spins = 0;
	while (rt_ticks < 10 && spins++ < SPIN_MAX)
		asm volatile("sti; nop; cli");
	tap_ok(rt_ticks >= 10, "legacy timer 0: periodic IRQ0 interrupts");
	hwr(0x100, 0); /* timer off */
	uint32_t n = rt_ticks;
	for (int i = 0; i < 200000; i++)
		asm volatile("sti; nop; cli");
	tap_ok(rt_ticks <= n + 1, "  they stop with the timer");
	hwr(0x10, 0);
	pic_mask(0);
	tap_ok(!(hrd(0x10) & 2), "legacy routing off again");
}
