/* test_dev_hpet.c - the HPET through its registers: capabilities, the
 * counter running, halting and being set, a one-shot comparator routed to
 * an IOAPIC pin, a level-triggered timer held until its status bit is
 * cleared, periodic reload, and legacy replacement on the ISA lines. */
#include <stdlib.h>

#include "test_dev_harness.h"
#include "devices/hpet.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"

static struct lapic *a;
static struct ioapic *io;
static struct hpet *t;
static struct test_line irq0, irq8;

/* test_eoi: the APIC's EOI broadcast, to the IOAPIC made after it. */
static void test_eoi(void *opaque, uint8_t vector)
{
	(void)opaque;
	ioapic_eoi(io, vector);
}

static void setup(void)
{
	dev_machine_init(16 * MiB);
	test_line_init(&irq0);
	test_line_init(&irq8);
	a = lapic_create(machine_devhost(&m), test_eoi, NULL);
	io = ioapic_create(machine_devhost(&m), a);
	t = hpet_create(machine_devhost(&m), io, &irq0.line, &irq8.line);
	bus_write(&m.mmio, LAPIC_BASE + 0xf0, 4, 0x1ff); /* APIC on */
}

static void teardown(void)
{
	dev_machine_fini();
}

static uint64_t rd(uint32_t off)
{
	return bus_read(&m.mmio, HPET_BASE + off, 8);
}

static void wr(uint32_t off, uint64_t v)
{
	bus_write(&m.mmio, HPET_BASE + off, 8, v);
}

/* fire_due: run the machine's earliest timer at its deadline. */
static void fire_due(void)
{
	struct timer *e = m.timers;

	ck_assert_ptr_nonnull(e);
	for (struct timer *x = m.timers; x; x = x->next)
		if (x->deadline < e->deadline)
			e = x;
	uint64_t due = e->deadline;

	while (util_now_ns() < due) /* the counter must have reached it */
		;
	timer_disarm(&m, e);
	e->fire(e, due);
}

START_TEST(test_caps_and_counter)
{
	uint64_t cap = rd(0x0);

	ck_assert_uint_eq(cap >> 32, HPET_PERIOD_FS);
	ck_assert_uint_eq((cap >> 8) & 0x1f, HPET_TIMERS - 1);
	ck_assert(cap & (1u << 15));
	ck_assert_uint_eq(rd(0xf0), 0); /* halted at reset */
	wr(0xf0, 1000);
	wr(0x10, 1);
	uint64_t t0 = util_now_ns();
	while (util_now_ns() - t0 < 1000000) /* 1 ms: 100000 ticks */
		;
	uint64_t c = rd(0xf0);
	ck_assert(c >= 1000 + 99000 && c < 1000 + 10000000);
	wr(0x10, 0);
	uint64_t held = rd(0xf0);
	ck_assert_uint_eq(rd(0xf0), held);
}
END_TEST

START_TEST(test_oneshot_ioapic)
{
	bus_write(&m.mmio, IOAPIC_BASE, 4, 0x10 + 2 * 5); /* pin 5: vector 0x55 */
	bus_write(&m.mmio, IOAPIC_BASE + 0x10, 4, 0x55);
	wr(0x100, (1u << 2) | (5u << 9)); /* timer 0: enabled, edge, to pin 5 */
	wr(0x108, 5000);
	wr(0x10, 1);
	fire_due();
	ck_assert_int_eq(lapic_intr_ack(a), 0x55);
	ck_assert_ptr_null(m.timers); /* a 64-bit one-shot does not come again */
}
END_TEST

START_TEST(test_level_status)
{
	bus_write(&m.mmio, IOAPIC_BASE, 4, 0x10 + 2 * 6); /* pin 6: level, 0x56 */
	bus_write(&m.mmio, IOAPIC_BASE + 0x10, 4, 0x56 | (1u << 15));
	wr(0x120, (1u << 1) | (1u << 2) | (6u << 9)); /* timer 1: level, enabled */
	wr(0x128, 100);
	wr(0x10, 1);
	fire_due();
	ck_assert_uint_eq(rd(0x20) & 2, 2); /* status set */
	ck_assert_int_eq(lapic_intr_ack(a), 0x56);
	bus_write(&m.mmio, LAPIC_BASE + 0xb0, 4, 0); /* EOI: still asserted */
	ck_assert_int_eq(lapic_intr_ack(a), 0x56);
	wr(0x20, 2); /* clear: deasserted */
	ck_assert_uint_eq(rd(0x20) & 2, 0);
	bus_write(&m.mmio, LAPIC_BASE + 0xb0, 4, 0);
	ck_assert(!lapic_intr_pending(a));
}
END_TEST

START_TEST(test_periodic_legacy)
{
	wr(0x100, (1u << 2) | (1u << 3) | (1u << 6)); /* periodic, set value */
	wr(0x108, 1000);
	wr(0x108, 1000);
	wr(0x10, 3); /* enabled, legacy */
	ck_assert(hpet_legacy(t));
	fire_due();
	fire_due();
	ck_assert_int_eq(irq0.rises, 2);
	ck_assert_uint_ge(rd(0x108), 2000); /* the comparator moved on */
	wr(0x10, 1);
	ck_assert(!hpet_legacy(t));
	wr(0x120, 1u << 3); /* timer 1 cannot be periodic */
	ck_assert_uint_eq(rd(0x120) & (1u << 3), 0);
	ck_assert_uint_eq(rd(0x100) & (1u << 4), 1u << 4); /* timer 0 can */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_hpet");
	TCase *tc = tcase_create("hpet");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_caps_and_counter);
	tcase_add_test(tc, test_oneshot_ioapic);
	tcase_add_test(tc, test_level_status);
	tcase_add_test(tc, test_periodic_legacy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
