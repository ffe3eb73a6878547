/* test_dev_vga.c - the text screen: CRT registers read back, the status
 * register's retrace bit toggles, and the mirror writes finished lines,
 * follows a scroll without repeating lines, writes the rest at the end,
 * and stays silent in auto mode once the serial console was used. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_dev_harness.h"
#include "devices/vga_text.h"

static char *buf;
static size_t buflen;
static FILE *out;

static void setup(void)
{
	dev_machine_init(16 * MiB);
	ck_assert_int_eq(ram_init(&m.ram, 16 * MiB), 0);
	out = open_memstream(&buf, &buflen);
}

static void teardown(void)
{
	dev_machine_fini(); /* the screen's last look happens here */
	fclose(out);
	free(buf);
	ram_destroy(&m.ram);
}

/* put: text at row r of the screen. */
static void put(int r, const char *s)
{
	uint8_t *cells = ram_ptr(&m.ram, VGA_TEXT_BASE + r * VGA_COLS * 2, VGA_COLS * 2);

	for (int i = 0; s[i]; i++)
		cells[i * 2] = (uint8_t)s[i], cells[i * 2 + 1] = 7;
}

/* poll: the device's timer fires once. */
static void poll(void)
{
	ck_assert_ptr_nonnull(m.timers);
	m.timers->fire(m.timers, util_now_ns());
	fflush(out);
}

START_TEST(test_crt_ports)
{
	vga_text_create(machine_devhost(&m), out, false);
	outb(0x3d4, 0x0e);
	outb(0x3d5, 0x01);
	outb(0x3d4, 0x0f);
	outb(0x3d5, 0x23);
	outb(0x3d4, 0x0e);
	ck_assert_uint_eq(inb(0x3d5), 0x01);
	ck_assert_uint_eq(inb(0x3d4), 0x0e);
	uint8_t a = inb(0x3da), b = inb(0x3da);
	ck_assert_uint_eq((a ^ b) & 0x08, 0x08);
}
END_TEST

START_TEST(test_mirror_lines_and_scroll)
{
	vga_text_create(machine_devhost(&m), out, false);
	put(0, "first line");
	put(1, "second");
	poll();
	ck_assert_str_eq(buf, "first line\n"); /* row 1 may still be written */
	/* scroll up by one, a new bottom line */
	memset(ram_ptr(&m.ram, VGA_TEXT_BASE, 4000), 0, 4000);
	put(0, "second");
	put(1, "third");
	put(2, "fourth");
	poll();
	ck_assert_str_eq(buf, "first line\nsecond\nthird\n");
}
END_TEST

START_TEST(test_mirror_quiet_after_serial)
{
	vga_text_create(machine_devhost(&m), out, true);
	put(0, "screen");
	put(1, "x");
	m.watch.bytes = 1; /* the guest wrote to COM1 */
	poll();
	ck_assert_uint_eq(buflen, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_vga");
	TCase *tc = tcase_create("vga");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crt_ports);
	tcase_add_test(tc, test_mirror_lines_and_scroll);
	tcase_add_test(tc, test_mirror_quiet_after_serial);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
