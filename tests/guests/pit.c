/*
 * PIT channel 0 interrupts through the 8259A: counting ticks, EOI, CLI
 * holding a pending interrupt off, STI;HLT waking, the STI shadow, and the
 * PIC mask.
 */
#include "rt.h"

#define SPIN_LIMIT 200000000u

/* Spins with IF=0 until IRQ0 is pending in the master IRR; 1 if it came. */
static int wait_irr0(void)
{
	for (uint32_t i = 0; i < SPIN_LIMIT; i++)
		if (pic_read_irr() & 1)
			return 1;
	return 0;
}

static volatile uint32_t hook_ticks;
static volatile uint32_t hook_if;

static void tick_hook(struct rt_frame *f)
{
	hook_ticks++;
	hook_if = f->eflags & FL_IF;
}

static void test_counting(void)
{
	rt_ticks = 0;
	uint32_t halts = 0;
	while (rt_ticks < 20 && halts < 1000) {
		sti_hlt();
		cli();
		halts++;
	}
	tap_eq("20 ticks counted with sti;hlt", rt_ticks, 20);
	/* No spurious wake-ups: at most one HLT per tick.  Fewer when the host
	 * was late and two ticks came in one wake-up (the second is taken
	 * between the handler's IRET and CLI). */
	tap_ok(halts >= 1 && halts <= 20, "each hlt woke on an interrupt");

	rt_irq_set(0, tick_hook);
	hook_ticks = 0;
	while (hook_ticks < 5)
		sti_hlt();
	cli();
	rt_irq_set(0, NULL);
	tap_ok(hook_ticks == 5 && hook_if, "IRQ0 hook runs, interrupted code had IF=1");
}

/* Runs at 100 Hz so that a second tick cannot sneak in between the
 * checks (a period is 10 ms). */
static void test_cli(void)
{
	cli();
	pit_set_rate(100);
	uint32_t before = rt_ticks;
	int pending = wait_irr0();
	tap_ok(pending, "with IF=0 the tick shows up in the IRR");
	tap_eq("CLI holds the interrupt off", rt_ticks, before);
	asm volatile("sti\n\tnop\n\tcli" ::: "memory");
	tap_eq("STI;NOP delivers the pending interrupt", rt_ticks, before + 1);

	wait_irr0();
	before = rt_ticks;
	asm volatile("sti\n\tcli" ::: "memory");
	tap_eq("STI;CLI: the STI shadow keeps it pending", rt_ticks, before);
	asm volatile("sti\n\tnop\n\tcli" ::: "memory");
	tap_eq("...and it arrives after the next STI", rt_ticks, before + 1);

	wait_irr0();
	before = rt_ticks;
	uint32_t fl = 0x202;
	asm volatile("pushl %0\n\tpopfl\n\tnop\n\tcli" : : "r"(fl) : "memory", "cc");
	tap_eq("POPF setting IF delivers it", rt_ticks, before + 1);
}

static void test_mask(void)
{
	cli();
	wait_irr0();
	asm volatile("sti\n\tnop\n\tcli" ::: "memory");
	pic_mask(0);
	uint32_t before = rt_ticks;
	sti();
	int pending = wait_irr0();
	uint32_t during = rt_ticks;
	cli();
	tap_ok(pending && during == before, "masked IRQ0 is requested but not delivered");
	pic_unmask(0);
	asm volatile("sti\n\tnop\n\tcli" ::: "memory");
	tap_eq("unmasking delivers it", rt_ticks, before + 1);
}

static void test_rate(void)
{
	/* Reprogram to a slower rate: still ticking, one IRQ per period. */
	pit_set_rate(200);
	uint32_t start = rt_ticks;
	while (rt_ticks < start + 10)
		sti_hlt();
	cli();
	tap_eq("reprogrammed PIT keeps ticking", rt_ticks, start + 10);
}

void test_main(void)
{
	tap_plan(12);
	pit_set_rate(1000);
	pic_unmask(0);
	test_counting();
	test_cli();
	test_mask();
	test_rate();
	pic_mask(0);
}
