/* test_dev_misc.c - i8042, port 0x92, port 0x80, debugcon 0xe9,
 * isa-debug-exit 0xf4 and reset control 0xcf9 through their ports. */
#include <stdio.h>
#include <stdlib.h>

#include "test_dev_harness.h"
#include "devices/i8042.h"
#include "devices/port92.h"
#include "devices/port80.h"
#include "devices/debugcon.h"
#include "devices/debugexit.h"
#include "devices/reset_cf9.h"

static struct test_line irq1;
static struct i8042 *kbd;
static char *conbuf;
static size_t conlen;
static FILE *con;

static void setup(void)
{
	dev_machine_init(16 * MiB);
	test_line_init(&irq1);
	con = open_memstream(&conbuf, &conlen);
	ck_assert_ptr_nonnull(con);
	kbd = i8042_create(machine_devhost(&m), &irq1.line);
	port92_create(machine_devhost(&m));
	port80_create(machine_devhost(&m));
	debugcon_create(machine_devhost(&m), con);
	debugexit_create(machine_devhost(&m));
	reset_cf9_create(machine_devhost(&m));
}

static void teardown(void)
{
	dev_machine_fini();
	fclose(con);
	free(conbuf);
}

/* kbd_cmd: a controller command; kbd_read: the next output byte, which
 * must be there. */
static void kbd_cmd(uint8_t c)
{
	outb(0x64, c);
}

static uint8_t kbd_read(void)
{
	ck_assert_uint_eq(inb(0x64) & 0x01, 0x01);
	return inb(0x60);
}

static bool kbd_empty(void)
{
	return !(inb(0x64) & 0x01);
}

START_TEST(test_kbd_status_and_selftest)
{
	ck_assert(kbd_empty());
	ck_assert_uint_eq(inb(0x64) & 0x04, 0x04); /* system flag */
	kbd_cmd(0xaa);
	ck_assert_uint_eq(inb(0x64) & 0x08, 0x08); /* last write was a command */
	ck_assert_uint_eq(kbd_read(), 0x55);
	ck_assert(kbd_empty());
	kbd_cmd(0xab);
	ck_assert_uint_eq(kbd_read(), 0x00);
	kbd_cmd(0xa9);
	ck_assert_uint_eq(kbd_read(), 0x01); /* no AUX port */
}
END_TEST

START_TEST(test_kbd_command_byte)
{
	kbd_cmd(0x20);
	ck_assert_uint_eq(kbd_read(), 0x45);
	kbd_cmd(0x60);
	outb(0x60, 0x30);
	ck_assert_uint_eq(inb(0x64) & 0x08, 0x00); /* last write was data */
	ck_assert_uint_eq(inb(0x64) & 0x04, 0x00); /* system flag follows CTR */
	kbd_cmd(0x20);
	ck_assert_uint_eq(kbd_read(), 0x30);
	kbd_cmd(0xae);
	kbd_cmd(0xa8);
	kbd_cmd(0x20);
	ck_assert_uint_eq(kbd_read(), 0x00);
	kbd_cmd(0xad);
	kbd_cmd(0xa7);
	kbd_cmd(0x20);
	ck_assert_uint_eq(kbd_read(), 0x30);
}
END_TEST

START_TEST(test_kbd_irq)
{
	ck_assert_int_eq(irq1.line.level, 0);
	kbd_cmd(0x60);
	outb(0x60, 0x00); /* keyboard interrupt off */
	outb(0x60, 0xf4); /* keyboard: enable */
	ck_assert_int_eq(irq1.line.level, 0);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	kbd_cmd(0x60);
	outb(0x60, 0x01); /* keyboard interrupt on */
	outb(0x60, 0xff); /* reset: two bytes */
	ck_assert_int_eq(irq1.line.level, 1);
	ck_assert_int_eq(irq1.rises, 1);
	ck_assert_uint_eq(inb(0x60), 0xfa);
	ck_assert_int_eq(irq1.rises, 2); /* a new edge for the second byte */
	ck_assert_uint_eq(inb(0x60), 0xaa);
	ck_assert_int_eq(irq1.line.level, 0);
	ck_assert_uint_eq(inb(0x60), 0xaa); /* empty: the last byte again */
}
END_TEST

START_TEST(test_kbd_keyboard_commands)
{
	outb(0x60, 0xff);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert_uint_eq(kbd_read(), 0xaa);
	outb(0x60, 0xf2); /* identify */
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert_uint_eq(kbd_read(), 0xab);
	ck_assert_uint_eq(kbd_read(), 0x41); /* translated MF2 id */
	outb(0x60, 0xed);		     /* LEDs + argument */
	ck_assert_uint_eq(kbd_read(), 0xfa);
	outb(0x60, 0x07);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert(kbd_empty());
	outb(0x60, 0xf0); /* scan code set 3 */
	outb(0x60, 0x03);
	outb(0x60, 0xf0); /* query */
	outb(0x60, 0x00);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	ck_assert_uint_eq(kbd_read(), 0x03);
	outb(0x60, 0xee);
	ck_assert_uint_eq(kbd_read(), 0xee);
	outb(0x60, 0xf5);
	ck_assert_uint_eq(kbd_read(), 0xfa);
	kbd_cmd(0xd2); /* write keyboard output buffer */
	outb(0x60, 0x1c);
	ck_assert_uint_eq(kbd_read(), 0x1c);
	ck_assert(kbd_empty());
}
END_TEST

/* The A20 line: open while either gate (i8042 output port, port 0x92) is. */
START_TEST(test_a20_gates)
{
	ck_assert(!m.vcpu.a20_off);
	outb(0x92, 0x00); /* port 0x92 closed: the i8042's gate keeps it open */
	ck_assert(!m.vcpu.a20_off);
	kbd_cmd(0xdd);
	ck_assert(m.vcpu.a20_off); /* both closed */
	ck_assert_uint_eq(vcpu_a20(&m.vcpu, 0x123456u), 0x023456u);
	outb(0x92, 0x02);
	ck_assert(!m.vcpu.a20_off);
	ck_assert_uint_eq(vcpu_a20(&m.vcpu, 0x123456u), 0x123456u);
	outb(0x92, 0x00);
	ck_assert(m.vcpu.a20_off);
	kbd_cmd(0xd1);
	outb(0x60, 0x03); /* output port: A20 on, not in reset */
	ck_assert(!m.vcpu.a20_off);
}
END_TEST

START_TEST(test_kbd_output_port_a20)
{
	kbd_cmd(0xd0);
	ck_assert_uint_eq(kbd_read() & 0x03, 0x03); /* not in reset, A20 on */
	ck_assert(i8042_a20(kbd));
	kbd_cmd(0xd1);
	outb(0x60, 0xdd); /* A20 off, reset line inactive */
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	ck_assert(!i8042_a20(kbd));
	kbd_cmd(0xd0);
	ck_assert_uint_eq(kbd_read() & 0x03, 0x01);
	kbd_cmd(0xdf);
	ck_assert(i8042_a20(kbd));
	kbd_cmd(0xd1);
	outb(0x60, 0xde); /* bit 0 low: reset */
	ck_assert_int_eq(m.exit.reason, EXIT_RESET);
	ck_assert_str_eq(m.exit.message, "reset by i8042");
}
END_TEST

START_TEST(test_kbd_pulse_reset)
{
	kbd_cmd(0xff); /* pulses nothing */
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	kbd_cmd(0xfe);
	ck_assert_int_eq(m.exit.reason, EXIT_RESET);
	ck_assert_int_eq(m.exit.status, 0);
	ck_assert_str_eq(m.exit.message, "reset by i8042");
}
END_TEST

START_TEST(test_port92)
{
	ck_assert_uint_eq(inb(0x92), 0x02);
	outb(0x92, 0x00);
	ck_assert_uint_eq(inb(0x92), 0x00);
	outb(0x92, 0x02);
	ck_assert_uint_eq(inb(0x92), 0x02);
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	outb(0x92, 0x03);
	ck_assert_int_eq(m.exit.reason, EXIT_RESET);
	dev_clear_exit();
	outb(0x92, 0x03); /* no rising edge: nothing */
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
}
END_TEST

START_TEST(test_port80)
{
	ck_assert_uint_eq(inb(0x80), 0x00);
	outb(0x80, 0x42);
	ck_assert_uint_eq(inb(0x80), 0x42);
	outb(0x80, 0xd5);
	ck_assert_uint_eq(inb(0x80), 0xd5);
	/* a word read: 0x81 is not decoded */
	ck_assert_uint_eq(bus_read(&m.io, 0x80, 2), 0xffd5);
}
END_TEST

START_TEST(test_debugcon)
{
	ck_assert_uint_eq(inb(0xe9), 0xe9);
	outb(0xe9, 'o');
	outb(0xe9, 'k');
	ck_assert_uint_eq(conlen, 2);
	ck_assert_mem_eq(conbuf, "ok", 2);
}
END_TEST

START_TEST(test_debugcon_null)
{
	dev_machine_fini();
	dev_machine_init(16 * MiB);
	debugcon_create(machine_devhost(&m), NULL);
	outb(0xe9, 'x'); /* discarded */
	ck_assert_uint_eq(inb(0xe9), 0xe9);
}
END_TEST

START_TEST(test_debugexit)
{
	outb(0xf4, 0x10);
	ck_assert_int_eq(m.exit.reason, EXIT_DEBUG_EXIT);
	ck_assert_int_eq(m.exit.status, 0x21);
	dev_clear_exit();
	bus_write(&m.io, 0xf4, 4, 0);
	ck_assert_int_eq(m.exit.reason, EXIT_DEBUG_EXIT);
	ck_assert_int_eq(m.exit.status, 1);
	dev_clear_exit();
	bus_write(&m.io, 0xf6, 2, 3); /* anywhere in the four ports */
	ck_assert_int_eq(m.exit.status, 7);
}
END_TEST

START_TEST(test_cf9)
{
	outb(0xcf9, 0x02);
	ck_assert_uint_eq(inb(0xcf9), 0x02);
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	outb(0xcf9, 0x06);
	ck_assert_int_eq(m.exit.reason, EXIT_RESET);
	ck_assert_str_eq(m.exit.message, "hard reset by port 0xcf9");
	ck_assert_uint_eq(inb(0xcf9), 0x02); /* bit 2 self-clears */
}
END_TEST

START_TEST(test_reset_all)
{
	outb(0x92, 0x00);
	outb(0x80, 0x11);
	kbd_cmd(0xdd);
	kbd_cmd(0x20);
	for (unsigned i = 0; i < m.nr_owned; i++)
		if (m.owned[i]->reset)
			m.owned[i]->reset(m.owned[i]);
	ck_assert_uint_eq(inb(0x92), 0x02);
	ck_assert_uint_eq(inb(0x80), 0x00);
	ck_assert(i8042_a20(kbd));
	ck_assert(kbd_empty());
	ck_assert_uint_eq(m.nr_owned, 6);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_misc");
	TCase *tc = tcase_create("misc");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kbd_status_and_selftest);
	tcase_add_test(tc, test_kbd_command_byte);
	tcase_add_test(tc, test_kbd_irq);
	tcase_add_test(tc, test_kbd_keyboard_commands);
	tcase_add_test(tc, test_kbd_output_port_a20);
	tcase_add_test(tc, test_a20_gates);
	tcase_add_test(tc, test_kbd_pulse_reset);
	tcase_add_test(tc, test_port92);
	tcase_add_test(tc, test_port80);
	tcase_add_test(tc, test_debugcon);
	tcase_add_test(tc, test_debugcon_null);
	tcase_add_test(tc, test_debugexit);
	tcase_add_test(tc, test_cf9);
	tcase_add_test(tc, test_reset_all);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
