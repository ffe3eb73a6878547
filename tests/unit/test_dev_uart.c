/* test_dev_uart.c - the 16550A through its ports, as a guest drives it. */
#include <stdio.h>
#include <stdlib.h>

#include "test_dev_harness.h"
#include "devices/uart16550.h"

#define COM1 0x3f8
#define RBR  (COM1 + 0)
#define IER  (COM1 + 1)
#define IIR  (COM1 + 2)
#define FCR  (COM1 + 2)
#define LCR  (COM1 + 3)
#define MCR  (COM1 + 4)
#define LSR  (COM1 + 5)
#define MSR  (COM1 + 6)
#define SCR  (COM1 + 7)

static struct test_line irq;
static struct uart *u;
static char *outbuf;
static size_t outlen;
static FILE *out;

static void setup(void)
{
	dev_machine_init(16 * MiB);
	test_line_init(&irq);
	out = open_memstream(&outbuf, &outlen);
	ck_assert_ptr_nonnull(out);
	u = uart_create(machine_devhost(&m), COM1, &irq.line, out);
}

static void teardown(void)
{
	dev_machine_fini();
	fclose(out);
	free(outbuf);
}

static void rx(const char *s)
{
	uart_receive(u, (const uint8_t *)s, strlen(s));
}

START_TEST(test_power_on)
{
	ck_assert_uint_eq(inb(IER), 0);
	ck_assert_uint_eq(inb(IIR), 0x01);
	ck_assert_uint_eq(inb(LCR), 0);
	ck_assert_uint_eq(inb(MCR), 0);
	ck_assert_uint_eq(inb(LSR), 0x60);	  /* THRE | TEMT */
	ck_assert_uint_eq(inb(MSR) & 0xf0, 0xb0); /* CTS, DSR, DCD */
	ck_assert_int_eq(irq.line.level, 0);
	ck_assert_uint_eq(m.nr_owned, 1);
}
END_TEST

START_TEST(test_scratch_and_dlab)
{
	outb(SCR, 0x5a);
	ck_assert_uint_eq(inb(SCR), 0x5a);
	outb(IER, 0x05);
	outb(LCR, 0x83); /* DLAB, 8N1 */
	outb(RBR, 0x01); /* DLL: 115200 baud */
	outb(IER, 0x00); /* DLM */
	ck_assert_uint_eq(inb(RBR), 0x01);
	ck_assert_uint_eq(inb(IER), 0x00);
	outb(LCR, 0x03);
	ck_assert_uint_eq(inb(IER), 0x05); /* IER untouched by the divisor writes */
	ck_assert_uint_eq(inb(LCR), 0x03);
	ck_assert_uint_eq(outlen, 0); /* DLL writes are not transmitted */
	outb(IER, 0xff);
	ck_assert_uint_eq(inb(IER), 0x0f); /* bits 7:4 read as 0 */
}
END_TEST

START_TEST(test_transmit)
{
	outb(RBR, 'h');
	outb(RBR, 'i');
	outb(RBR, '\n');
	ck_assert_uint_eq(outlen, 3);
	ck_assert_mem_eq(outbuf, "hi\n", 3);
	ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
	/* A 16-bit OUT splits into THR then IER, as on the ISA bus. */
	bus_write(&m.io, RBR, 2, 0x0041);
	ck_assert_uint_eq(outlen, 4);
	ck_assert_int_eq(outbuf[3], 'A');
}
END_TEST

START_TEST(test_null_output)
{
	dev_machine_fini();
	dev_machine_init(16 * MiB);
	u = uart_create(machine_devhost(&m), COM1, &irq.line, NULL);
	outb(RBR, 'x'); /* discarded, no crash */
	ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
}
END_TEST

START_TEST(test_thre_interrupt)
{
	outb(IER, 0x02); /* ETBEI while THR is empty: interrupt at once */
	ck_assert_uint_eq(inb(IIR), 0x02);
	/* ...but only on the IRQ line when OUT2 is set */
	ck_assert_int_eq(irq.line.level, 0);
	outb(IER, 0x00);
	outb(MCR, 0x0b); /* DTR, RTS, OUT2 */
	outb(IER, 0x02);
	ck_assert_int_eq(irq.line.level, 1);
	ck_assert_uint_eq(inb(IIR), 0x02); /* reading IIR clears THRE */
	ck_assert_int_eq(irq.line.level, 0);
	ck_assert_uint_eq(inb(IIR), 0x01);
	outb(RBR, 'a'); /* THR empties again: new THRE interrupt */
	ck_assert_int_eq(irq.line.level, 1);
	ck_assert_int_eq(irq.rises, 2);
	outb(MCR, 0x03); /* OUT2 off masks the line */
	ck_assert_int_eq(irq.line.level, 0);
	ck_assert_uint_eq(inb(IIR), 0x02);
}
END_TEST

START_TEST(test_rx_interrupt_and_priority)
{
	outb(FCR, 0x01); /* FIFOs on, trigger level 1 */
	outb(MCR, 0x08);
	outb(IER, 0x03); /* RX data and THRE */
	rx("ab");
	ck_assert_int_eq(irq.line.level, 1);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(inb(IIR), 0xc4); /* RX data outranks THRE */
	ck_assert_uint_eq(inb(RBR), 'a');
	ck_assert_uint_eq(inb(IIR), 0xc4);
	ck_assert_uint_eq(inb(RBR), 'b');
	ck_assert_int_eq(irq.line.level, 1);
	ck_assert_uint_eq(inb(IIR), 0xc2); /* then THRE, cleared by this read */
	ck_assert_uint_eq(inb(IIR), 0xc1);
	ck_assert_int_eq(irq.line.level, 0);
}
END_TEST

START_TEST(test_nonfifo_overrun)
{
	uint8_t lsr;

	ck_assert_uint_eq(uart_rx_space(u), 1);
	rx("xy"); /* the single RBR is overwritten */
	ck_assert_uint_eq(uart_rx_space(u), 0);
	lsr = inb(LSR);
	ck_assert_uint_eq(lsr & 0x03, 0x03);   /* DR | OE */
	ck_assert_uint_eq(inb(LSR) & 0x02, 0); /* OE cleared by the read */
	ck_assert_uint_eq(inb(RBR), 'y');
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_fifo_overrun)
{
	char buf[18];

	outb(FCR, 0x07); /* enable, clear both, trigger 1 */
	ck_assert_uint_eq(inb(IIR) & 0xc0, 0xc0);
	ck_assert_uint_eq(uart_rx_space(u), 16);
	for (int i = 0; i < 17; i++)
		buf[i] = 'A' + i;
	buf[17] = 0;
	outb(MCR, 0x08);
	outb(IER, 0x04); /* line status interrupts only */
	rx(buf);
	ck_assert_uint_eq(uart_rx_space(u), 0);
	ck_assert_uint_eq(inb(IIR), 0xc6); /* receiver line status */
	ck_assert_int_eq(irq.line.level, 1);
	ck_assert_uint_eq(inb(LSR) & 0x03, 0x03);
	ck_assert_uint_eq(inb(IIR), 0xc1); /* cleared by reading LSR */
	ck_assert_int_eq(irq.line.level, 0);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(inb(RBR), 'A' + i); /* the 17th byte was lost */
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	ck_assert_uint_eq(uart_rx_space(u), 16);
}
END_TEST

START_TEST(test_fifo_trigger_and_timeout)
{
	outb(FCR, 0xc1); /* trigger level 14 */
	outb(MCR, 0x08);
	outb(IER, 0x01);
	rx("abcd");
	ck_assert_uint_eq(inb(IIR), 0xcc); /* below trigger: character timeout */
	rx("efghijklmn");		   /* 14 bytes now */
	ck_assert_uint_eq(inb(IIR), 0xc4);
	ck_assert_uint_eq(inb(RBR), 'a');
	ck_assert_uint_eq(inb(IIR), 0xcc);
	outb(FCR, 0xc3); /* clear RX */
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	ck_assert_uint_eq(inb(IIR), 0xc1);
	outb(FCR, 0x00); /* FIFOs off */
	ck_assert_uint_eq(inb(IIR), 0x01);
	ck_assert_uint_eq(uart_rx_space(u), 1);
}
END_TEST

START_TEST(test_loopback)
{
	outb(MCR, 0x1a);			  /* loop, RTS, OUT2 */
	ck_assert_uint_eq(inb(MSR) & 0xf0, 0x90); /* CTS (RTS), DCD (OUT2) */
	outb(IER, 0x01);
	outb(RBR, 0x55);
	ck_assert_uint_eq(outlen, 0); /* nothing leaves the chip */
	ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(inb(IIR), 0x04);
	ck_assert_int_eq(irq.line.level, 0); /* loopback disconnects the IRQ */
	ck_assert_uint_eq(inb(RBR), 0x55);
	/* console input is disconnected in loopback mode */
	ck_assert_uint_eq(uart_rx_space(u), 0);
	rx("z");
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	outb(MCR, 0x0b);
	ck_assert_uint_eq(inb(MSR) & 0xf0, 0xb0);
	outb(RBR, 'q');
	ck_assert_uint_eq(outlen, 1);
}
END_TEST

START_TEST(test_modem_status_interrupt)
{
	outb(MCR, 0x10); /* loop, all outputs off */
	inb(MSR);	 /* clear the deltas of entering loopback */
	outb(IER, 0x08);
	outb(MCR, 0x11); /* DTR -> DSR changes */
	ck_assert_uint_eq(inb(IIR), 0x00);
	ck_assert_uint_eq(inb(MSR), 0x22); /* DSR, DDSR */
	ck_assert_uint_eq(inb(IIR), 0x01);
	outb(MCR, 0x15); /* OUT1 -> RI rises: no delta */
	ck_assert_uint_eq(inb(MSR), 0x60);
	outb(MCR, 0x11); /* RI falls: TERI */
	ck_assert_uint_eq(inb(MSR), 0x24);
}
END_TEST

START_TEST(test_reset)
{
	outb(LCR, 0x03);
	outb(MCR, 0x0b);
	outb(IER, 0x02);
	rx("k");
	ck_assert_ptr_nonnull(m.owned[0]->reset);
	m.owned[0]->reset(m.owned[0]);
	ck_assert_uint_eq(inb(LCR), 0);
	ck_assert_uint_eq(inb(IER), 0);
	ck_assert_uint_eq(inb(LSR), 0x60);
	ck_assert_int_eq(irq.line.level, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_uart");
	TCase *tc = tcase_create("uart");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_on);
	tcase_add_test(tc, test_scratch_and_dlab);
	tcase_add_test(tc, test_transmit);
	tcase_add_test(tc, test_null_output);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_rx_interrupt_and_priority);
	tcase_add_test(tc, test_nonfifo_overrun);
	tcase_add_test(tc, test_fifo_overrun);
	tcase_add_test(tc, test_fifo_trigger_and_timeout);
	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_modem_status_interrupt);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
