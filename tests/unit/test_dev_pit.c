/* test_dev_pit.c - the 8254 and port 0x61 on a fake clock: counts, OUT,
 * latches, read-back, gates, and channel 0's IRQ0 timer. */
#include <stdlib.h>

#include "test_dev_harness.h"
#include "devices/i8254.h"

#define T0 (1000ull * PIT_HZ) /* an arbitrary start: 1000 s of PIT ticks */

static struct test_line irq0;
static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	return fake_ns;
}

/* ns_at: the first ns at which the PIT has counted T0 + t ticks. */
static uint64_t ns_at(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)(T0 + t) * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static void at(uint64_t t)
{
	fake_ns = ns_at(t);
}

static void setup(void)
{
	dev_machine_init(16 * MiB);
	test_line_init(&irq0);
	pit_clock = fake_clock;
	at(0);
	pit_create(machine_devhost(&m), &irq0.line);
}

static void teardown(void)
{
	dev_machine_fini();
	pit_clock = util_now_ns;
}

/* run_timers: fire the machine timers due at fake_ns, as event.c does. */
static void run_timers(void)
{
	while (m.timers && m.timers->deadline <= fake_ns) {
		struct timer *t = m.timers;

		timer_disarm(&m, t);
		t->fire(t, fake_ns);
	}
}

static void load(uint16_t port, uint16_t count)
{
	outb(port, count & 0xff);
	outb(port, count >> 8);
}

static uint16_t read16(uint16_t port)
{
	uint8_t lo = inb(port);

	return lo | (inb(port) << 8);
}

static uint16_t latched(int ch)
{
	outb(0x43, ch << 6);
	return read16(0x40 + ch);
}

static int out2(void)
{
	return (inb(0x61) >> 5) & 1;
}

START_TEST(test_mode2_count_and_out2)
{
	outb(0x61, 0x01); /* gate 2 on, speaker off */
	outb(0x43, 0xb4); /* ch2, lo/hi, mode 2 */
	load(0x42, 1000);
	ck_assert_uint_eq(latched(2), 1000);
	at(100);
	ck_assert_uint_eq(latched(2), 900);
	at(500);
	ck_assert_uint_eq(latched(2), 500);
	ck_assert_int_eq(out2(), 1);
	at(999);
	ck_assert_uint_eq(latched(2), 1);
	ck_assert_int_eq(out2(), 0); /* low for the one clock at count 1 */
	at(1000);
	ck_assert_uint_eq(latched(2), 1000); /* reloaded */
	ck_assert_int_eq(out2(), 1);
	at(1250);
	ck_assert_uint_eq(latched(2), 750);
}
END_TEST

START_TEST(test_mode0_tsc_calibration)
{
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0); /* ch2, lo/hi, mode 0 */
	ck_assert_int_eq(out2(), 0);
	load(0x42, 5000);
	at(4999);
	ck_assert_int_eq(out2(), 0);
	ck_assert_uint_eq(latched(2), 1);
	at(5000);
	ck_assert_int_eq(out2(), 1);
	at(5001);
	ck_assert_uint_eq(latched(2), 0xffff); /* wraps and keeps counting */
	at(9000);
	ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_latch_holds)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb0);
	load(0x42, 1000);
	at(100);
	outb(0x43, 0x80); /* latch ch2 */
	at(200);
	outb(0x43, 0x80); /* ignored: already latched */
	ck_assert_uint_eq(read16(0x42), 900);
	ck_assert_uint_eq(read16(0x42), 800); /* live again */
}
END_TEST

START_TEST(test_live_lohi_reads)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb0);
	load(0x42, 0xffff);
	at(0x100);
	ck_assert_uint_eq(inb(0x42), 0xff); /* low byte of 0xfeff */
	ck_assert_uint_eq(inb(0x42), 0xfe); /* then the high byte */
	at(0x1100);
	ck_assert_uint_eq(inb(0x42), 0xff);
	ck_assert_uint_eq(inb(0x42), 0xee);
}
END_TEST

START_TEST(test_lo_only_hi_only)
{
	outb(0x43, 0x50); /* ch1, low byte only, mode 0 */
	outb(0x41, 0x80);
	at(0x10);
	ck_assert_uint_eq(inb(0x41), 0x70);
	ck_assert_uint_eq(inb(0x41), 0x70);
	outb(0x43, 0x60); /* ch1, high byte only */
	outb(0x41, 0x02); /* count 0x200 */
	at(0x110);
	ck_assert_uint_eq(inb(0x41), 0x01); /* 0x100 left: high byte */
}
END_TEST

START_TEST(test_readback)
{
	outb(0x43, 0x74);		    /* ch1, lo/hi, mode 2 */
	outb(0x43, 0xe4);		    /* read-back status of ch1 */
	ck_assert_uint_eq(inb(0x41), 0xf4); /* OUT high, null count, lo/hi, mode 2 */
	load(0x41, 100);
	at(30);
	outb(0x43, 0xc4); /* read-back count and status of ch1 */
	at(60);
	ck_assert_uint_eq(inb(0x41), 0xb4); /* status first, count loaded */
	ck_assert_uint_eq(read16(0x41), 70);
	/* count only, ch1 */
	outb(0x43, 0xd4);
	ck_assert_uint_eq(read16(0x41), 40);
}
END_TEST

START_TEST(test_bcd)
{
	outb(0x43, 0x71); /* ch1, lo/hi, mode 0, BCD */
	load(0x41, 0x1000);
	at(1);
	ck_assert_uint_eq(latched(1), 0x0999);
	at(1000);
	ck_assert_uint_eq(latched(1), 0x0000);
	at(1001);
	ck_assert_uint_eq(latched(1), 0x9999);
}
END_TEST

START_TEST(test_gate_mode0_pauses)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb0);
	load(0x42, 1000);
	at(300);
	outb(0x61, 0x00);
	at(800);
	ck_assert_uint_eq(latched(2), 700);
	outb(0x61, 0x01);
	at(900);
	ck_assert_uint_eq(latched(2), 600);
	at(1500);
	ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_gate_mode2_reloads)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb4);
	load(0x42, 100);
	at(99);
	ck_assert_int_eq(out2(), 0);
	outb(0x61, 0x00); /* gate low forces OUT high */
	ck_assert_int_eq(out2(), 1);
	at(500);
	ck_assert_uint_eq(latched(2), 1); /* held */
	outb(0x61, 0x01);		  /* rising edge reloads */
	ck_assert_uint_eq(latched(2), 100);
	at(530);
	ck_assert_uint_eq(latched(2), 70);
}
END_TEST

START_TEST(test_mode1_gate_trigger)
{
	outb(0x43, 0xb2); /* ch2, lo/hi, mode 1 */
	load(0x42, 100);
	at(50);
	ck_assert_int_eq(out2(), 1); /* waiting for a trigger */
	outb(0x61, 0x01);
	at(60);
	ck_assert_int_eq(out2(), 0);
	ck_assert_uint_eq(latched(2), 90);
	at(150);
	ck_assert_int_eq(out2(), 1);
	outb(0x61, 0x00);
	outb(0x61, 0x01); /* retrigger */
	ck_assert_int_eq(out2(), 0);
}
END_TEST

START_TEST(test_mode3_square_wave)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb6); /* ch2, lo/hi, mode 3 */
	load(0x42, 100);
	at(10);
	ck_assert_int_eq(out2(), 1);
	ck_assert_uint_eq(latched(2), 80); /* counts by two */
	at(49);
	ck_assert_int_eq(out2(), 1);
	at(50);
	ck_assert_int_eq(out2(), 0);
	at(99);
	ck_assert_int_eq(out2(), 0);
	at(100);
	ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_mode4_strobe)
{
	outb(0x61, 0x01);
	outb(0x43, 0xb8); /* ch2, lo/hi, mode 4 */
	ck_assert_int_eq(out2(), 1);
	load(0x42, 20);
	at(19);
	ck_assert_int_eq(out2(), 1);
	at(20);
	ck_assert_int_eq(out2(), 0);
	at(21);
	ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_ch0_periodic_irq)
{
	outb(0x43, 0x34); /* ch0, lo/hi, mode 2 */
	load(0x40, 1193);
	ck_assert_ptr_nonnull(m.timers);
	ck_assert_uint_eq(m.timers->deadline, ns_at(1193));
	at(1192);
	run_timers();
	ck_assert_int_eq(irq0.rises, 0);
	at(1193);
	run_timers();
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert_int_eq(irq0.line.level, 0); /* a pulse */
	ck_assert_uint_eq(m.timers->deadline, ns_at(2 * 1193));
	/* Late by several periods: one edge, then back on the period grid. */
	at(5 * 1193 + 600);
	run_timers();
	ck_assert_int_eq(irq0.rises, 2);
	ck_assert_uint_eq(m.timers->deadline, ns_at(6 * 1193));
	/* A new control word stops it. */
	outb(0x43, 0x30);
	ck_assert_ptr_null(m.timers);
}
END_TEST

START_TEST(test_ch0_early_fire)
{
	outb(0x43, 0x34);
	load(0x40, 1000);
	/* The timer fires before the PIT has counted there (clock skew):
	 * no edge, re-armed for the same tick. */
	at(500);
	m.timers->fire(m.timers, fake_ns);
	ck_assert_int_eq(irq0.rises, 0);
	ck_assert_uint_eq(m.timers->deadline, ns_at(1000));
}
END_TEST

START_TEST(test_ch0_mode0_oneshot)
{
	outb(0x43, 0x30); /* ch0, lo/hi, mode 0 */
	load(0x40, 100);
	ck_assert_uint_eq(m.timers->deadline, ns_at(100));
	at(100);
	run_timers();
	ck_assert_int_eq(irq0.rises, 1);
	ck_assert_int_eq(irq0.line.level, 1); /* OUT stays high */
	ck_assert_ptr_null(m.timers);
	outb(0x43, 0x30);
	ck_assert_int_eq(irq0.line.level, 0);
	load(0x40, 10);
	at(200);
	run_timers();
	ck_assert_int_eq(irq0.rises, 2);
}
END_TEST

START_TEST(test_port61)
{
	outb(0x61, 0xff);
	ck_assert_uint_eq(inb(0x61) & 0xcf, 0x0f); /* bits 7:6 read 0 */
	outb(0x61, 0x02);
	ck_assert_uint_eq(inb(0x61) & 0x0f, 0x02);
	fake_ns = 15085 * 1000;
	ck_assert_uint_eq(inb(0x61) & 0x10, 0x00);
	fake_ns += 15085;
	ck_assert_uint_eq(inb(0x61) & 0x10, 0x10); /* refresh toggled */
	ck_assert_uint_eq(inb(0x43), 0xff);
}
END_TEST

START_TEST(test_reset)
{
	outb(0x43, 0x34);
	load(0x40, 1000);
	outb(0x61, 0x03);
	ck_assert_ptr_nonnull(m.timers);
	m.owned[0]->reset(m.owned[0]);
	ck_assert_ptr_null(m.timers);
	ck_assert_uint_eq(inb(0x61) & 0x0f, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_pit");
	TCase *tc = tcase_create("pit");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mode2_count_and_out2);
	tcase_add_test(tc, test_mode0_tsc_calibration);
	tcase_add_test(tc, test_latch_holds);
	tcase_add_test(tc, test_live_lohi_reads);
	tcase_add_test(tc, test_lo_only_hi_only);
	tcase_add_test(tc, test_readback);
	tcase_add_test(tc, test_bcd);
	tcase_add_test(tc, test_gate_mode0_pauses);
	tcase_add_test(tc, test_gate_mode2_reloads);
	tcase_add_test(tc, test_mode1_gate_trigger);
	tcase_add_test(tc, test_mode3_square_wave);
	tcase_add_test(tc, test_mode4_strobe);
	tcase_add_test(tc, test_ch0_periodic_irq);
	tcase_add_test(tc, test_ch0_early_fire);
	tcase_add_test(tc, test_ch0_mode0_oneshot);
	tcase_add_test(tc, test_port61);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
