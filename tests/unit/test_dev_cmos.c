/* test_dev_cmos.c - the RTC/CMOS through ports 0x70/0x71 on a fake wall
 * clock: RAM-size bytes, checksum, BCD/binary and 12/24-hour time,
 * setting the clock, UIP. */
#include <stdlib.h>
#include <time.h>

#include "test_dev_harness.h"
#include "devices/cmos.h"

static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	return fake_ns;
}

/* set_clock: the host's UTC wall clock at the given date, plus frac ns. */
static void set_clock(int y, int mon, int d, int h, int mi, int s, uint64_t frac)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mon - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s};

	fake_ns = (uint64_t)timegm(&tm) * 1000000000ull + frac;
}

static uint8_t rd(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void wr(uint8_t idx, uint8_t v)
{
	outb(0x70, idx);
	outb(0x71, v);
}

static unsigned rd16(uint8_t idx)
{
	return rd(idx) | (rd(idx + 1) << 8);
}

static void make(uint64_t ram_size)
{
	dev_machine_init(ram_size);
	cmos_clock = fake_clock;
	set_clock(2024, 2, 29, 13, 45, 56, 0); /* a Thursday */
	cmos_create(machine_devhost(&m), &m.isa_irq[8]);
}

static void setup(void)
{
	make(64 * MiB);
}

static void teardown(void)
{
	dev_machine_fini();
}

START_TEST(test_ram_size_64m)
{
	unsigned sum = 0;

	ck_assert_uint_eq(rd16(0x15), 640);
	ck_assert_uint_eq(rd16(0x17), 63 * 1024);
	ck_assert_uint_eq(rd16(0x30), 63 * 1024);
	ck_assert_uint_eq(rd16(0x34), 48 * 16); /* 48 MiB above 16 MiB */
	ck_assert_uint_eq(rd(0x5b), 0);
	ck_assert_uint_eq(rd(0x5c), 0);
	ck_assert_uint_eq(rd(0x5d), 0);
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += rd(i);
	ck_assert_uint_ne(sum, 0);
	ck_assert_uint_eq((rd(0x2e) << 8) | rd(0x2f), sum);
}
END_TEST

START_TEST(test_ram_size_large_and_small)
{
	dev_machine_fini();
	make(3584 * MiB);
	ck_assert_uint_eq(rd16(0x17), 0xffff); /* capped */
	ck_assert_uint_eq(rd16(0x30), 0xffff);
	ck_assert_uint_eq(rd16(0x34), (3584 - 16) * 16);
	dev_machine_fini();
	make(8 * MiB);
	ck_assert_uint_eq(rd16(0x17), 7 * 1024);
	ck_assert_uint_eq(rd16(0x34), 0);
}
END_TEST

START_TEST(test_bcd_time)
{
	ck_assert_uint_eq(rd(0x0b), 0x02); /* BCD, 24-hour */
	ck_assert_uint_eq(rd(0x00), 0x56);
	ck_assert_uint_eq(rd(0x02), 0x45);
	ck_assert_uint_eq(rd(0x04), 0x13);
	ck_assert_uint_eq(rd(0x06), 0x05); /* Thursday: Sunday is 1 */
	ck_assert_uint_eq(rd(0x07), 0x29);
	ck_assert_uint_eq(rd(0x08), 0x02);
	ck_assert_uint_eq(rd(0x09), 0x24);
	ck_assert_uint_eq(rd(0x32), 0x20);
	fake_ns += 5 * 1000000000ull; /* the clock runs */
	ck_assert_uint_eq(rd(0x00), 0x01);
	ck_assert_uint_eq(rd(0x02), 0x46);
}
END_TEST

START_TEST(test_binary_and_12h)
{
	wr(0x0b, 0x06); /* binary, 24-hour */
	ck_assert_uint_eq(rd(0x00), 56);
	ck_assert_uint_eq(rd(0x04), 13);
	ck_assert_uint_eq(rd(0x09), 24);
	wr(0x0b, 0x04);			   /* binary, 12-hour */
	ck_assert_uint_eq(rd(0x04), 0x81); /* 1 PM */
	wr(0x0b, 0x00);			   /* BCD, 12-hour */
	set_clock(2024, 2, 29, 0, 30, 0, 0);
	ck_assert_uint_eq(rd(0x04), 0x12); /* 12 AM */
	set_clock(2024, 2, 29, 12, 30, 0, 0);
	ck_assert_uint_eq(rd(0x04), 0x92); /* 12 PM */
	set_clock(2024, 2, 29, 23, 30, 0, 0);
	ck_assert_uint_eq(rd(0x04), 0x91); /* 11 PM */
}
END_TEST

START_TEST(test_set_time)
{
	wr(0x0b, 0x82); /* SET: the clock stops updating */
	fake_ns += 3 * 1000000000ull;
	ck_assert_uint_eq(rd(0x00), 0x56); /* frozen snapshot */
	wr(0x04, 0x08);
	wr(0x02, 0x00);
	wr(0x00, 0x00);
	wr(0x09, 0x99);
	wr(0x32, 0x19);
	ck_assert_uint_eq(rd(0x04), 0x08);
	wr(0x0b, 0x02); /* run again: 29 Feb 1999 becomes 1 March */
	ck_assert_uint_eq(rd(0x04), 0x08);
	ck_assert_uint_eq(rd(0x00), 0x00);
	ck_assert_uint_eq(rd(0x09), 0x99);
	ck_assert_uint_eq(rd(0x32), 0x19);
	ck_assert_uint_eq(rd(0x08), 0x03); /* 1999 has no 29 February */
	ck_assert_uint_eq(rd(0x07), 0x01);
	fake_ns += 61 * 1000000000ull;
	ck_assert_uint_eq(rd(0x00), 0x01);
	ck_assert_uint_eq(rd(0x02), 0x01);
}
END_TEST

START_TEST(test_write_running_field)
{
	wr(0x02, 0x10); /* minutes changed while running */
	ck_assert_uint_eq(rd(0x02), 0x10);
	ck_assert_uint_eq(rd(0x04), 0x13);
	ck_assert_uint_eq(rd(0x00), 0x56);
	fake_ns += 4 * 1000000000ull;
	ck_assert_uint_eq(rd(0x00), 0x00);
	ck_assert_uint_eq(rd(0x02), 0x11);
}
END_TEST

START_TEST(test_registers_a_to_d)
{
	ck_assert_uint_eq(rd(0x0a), 0x26);
	set_clock(2024, 2, 29, 13, 45, 56, 999900000); /* 100 us before the tick */
	ck_assert_uint_eq(rd(0x0a), 0xa6);	       /* UIP */
	set_clock(2024, 2, 29, 13, 45, 56, 500000000);
	ck_assert_uint_eq(rd(0x0a), 0x26);
	wr(0x0a, 0xff);
	ck_assert_uint_eq(rd(0x0a) & 0x7f, 0x7f); /* UIP is read-only */
	wr(0x0c, 0xff);
	ck_assert_uint_eq(rd(0x0c), 0x00); /* read-only, no flags */
	wr(0x0d, 0x00);
	ck_assert_uint_eq(rd(0x0d), 0x80); /* valid RAM and time */
}
END_TEST

START_TEST(test_nmi_bit_and_ram)
{
	outb(0x70, 0x80 | 0x15); /* NMI masked, register 0x15 */
	ck_assert_uint_eq(inb(0x71), 640 & 0xff);
	wr(0x40, 0xa5);
	wr(0x7f, 0x5a);
	ck_assert_uint_eq(rd(0x40), 0xa5);
	ck_assert_uint_eq(rd(0x7f), 0x5a);
	ck_assert_uint_eq(rd(0xff), 0x5a); /* the index is 7 bits */
	ck_assert_uint_eq(inb(0x70), 0xff);
}
END_TEST

START_TEST(test_reset_keeps_ram)
{
	wr(0x40, 0x77);
	wr(0x0b, 0x72); /* interrupt enables */
	m.owned[0]->reset(m.owned[0]);
	ck_assert_uint_eq(rd(0x40), 0x77);
	ck_assert_uint_eq(rd(0x0b), 0x02);
	ck_assert_uint_eq(rd(0x00), 0x56);
}
END_TEST

/* fire: run the RTC's machine timer as event.c would when it is due. */
static void fire(void)
{
	struct timer *t = m.timers;

	ck_assert_ptr_nonnull(t);
	timer_disarm(&m, t);
	t->fire(t, t->deadline);
}

START_TEST(test_update_interrupt)
{
	ck_assert_ptr_null(m.timers); /* nothing enabled */
	wr(0x0b, 0x12);		      /* UIE, 24-hour */
	ck_assert_ptr_nonnull(m.timers);
	fire(); /* too early: the same second */
	ck_assert_int_eq(m.isa_irq[8].level, 0);
	fake_ns += 1000000000ull;
	fire();
	ck_assert_int_eq(m.isa_irq[8].level, 1);
	ck_assert_ptr_null(m.timers); /* IRQ8 held until C is read */
	/* IRQF | UF (and PF: the 1024 Hz periodic flag runs regardless) */
	ck_assert_uint_eq(rd(0x0c) & ~0x40, 0x90);
	ck_assert_int_eq(m.isa_irq[8].level, 0);
	ck_assert_uint_eq(rd(0x0c) & 0x90, 0x00);
	ck_assert_ptr_nonnull(m.timers);
}
END_TEST

START_TEST(test_periodic_interrupt)
{
	wr(0x0a, 0x2f); /* 2 Hz */
	fake_ns += 400000000ull;
	ck_assert_uint_eq(rd(0x0c), 0x00);
	fake_ns += 100000000ull; /* a period boundary passed: flag, no IRQ */
	ck_assert_uint_eq(rd(0x0c) & 0xc0, 0x40);
	wr(0x0b, 0x42); /* PIE */
	fake_ns += 500000000ull;
	fire();
	ck_assert_int_eq(m.isa_irq[8].level, 1);
	ck_assert_uint_eq(rd(0x0c) & 0xc0, 0xc0);
	wr(0x0a, 0x20); /* rate 0: off */
	ck_assert_ptr_null(m.timers);
}
END_TEST

START_TEST(test_alarm_interrupt)
{
	wr(0x01, 0x58); /* 13:45:58 */
	wr(0x03, 0x45);
	wr(0x05, 0xc0); /* any hour */
	wr(0x0b, 0x22); /* AIE */
	fake_ns += 1000000000ull;
	fire();
	ck_assert_int_eq(m.isa_irq[8].level, 0);
	fake_ns += 1000000000ull;
	fire();
	ck_assert_int_eq(m.isa_irq[8].level, 1);
	ck_assert_uint_eq(rd(0x0c) & ~0x40, 0xb0); /* IRQF | AF | UF */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_cmos");
	TCase *tc = tcase_create("cmos");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ram_size_64m);
	tcase_add_test(tc, test_ram_size_large_and_small);
	tcase_add_test(tc, test_bcd_time);
	tcase_add_test(tc, test_binary_and_12h);
	tcase_add_test(tc, test_set_time);
	tcase_add_test(tc, test_write_running_field);
	tcase_add_test(tc, test_registers_a_to_d);
	tcase_add_test(tc, test_nmi_bit_and_ram);
	tcase_add_test(tc, test_reset_keeps_ram);
	tcase_add_test(tc, test_update_interrupt);
	tcase_add_test(tc, test_periodic_interrupt);
	tcase_add_test(tc, test_alarm_interrupt);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
