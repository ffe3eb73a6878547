/*
 * uart16550.c - the 16550A UART (see uart16550.h).
 *
 * Interrupt sources, highest priority first (IIR bits 3:0):
 *   0x6 receiver line status (OE; IER bit 2), cleared by reading LSR;
 *   0x4 received data at or above the FIFO trigger level (IER bit 0);
 *   0xc character timeout: data below the trigger level (IER bit 0).  The
 *       real chip waits four character times; here the wait is zero, so a
 *       guest never sees data stuck below the trigger level;
 *   0x2 THR empty (IER bit 1), cleared by reading IIR or writing THR;
 *   0x0 modem status change (IER bit 3), cleared by reading MSR.
 * The IRQ line is the chip's INTR gated by the OUT2 pin: asserted only
 * when MCR.OUT2 is set and loopback is off (in loopback the chip forces
 * OUT2 inactive, which on a PC disconnects the IRQ).
 */
#include "devices/uart16550.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

enum {
	UART_RBR = 0, /* THR on write, DLL with DLAB */
	UART_IER = 1, /* DLM with DLAB */
	UART_IIR = 2, /* FCR on write */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define LCR_DLAB  0x80
#define MCR_DTR	  0x01
#define MCR_RTS	  0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR	  0x01
#define LSR_OE	  0x02
#define LSR_ERRS  0x1e /* OE, PE, FE, BI */
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define IER_RDI	  0x01
#define IER_THRI  0x02
#define IER_RLSI  0x04
#define IER_MSI	  0x08
#define FCR_FIFO  0x01
#define FCR_CLRRX 0x02
#define MSR_CTS	  0x10
#define MSR_DSR	  0x20
#define MSR_RI	  0x40
#define MSR_DCD	  0x80

#define UART_FIFO 16

struct uart {
	struct device dev;
	struct devhost *h;
	struct irq_line *irq;
	FILE *out;
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	uint8_t rbr_last; /* what RBR reads when the FIFO is empty */
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	uint8_t lsr_err;   /* sticky error bits (OE), cleared by reading LSR */
	uint8_t msr_lines; /* bits 7:4 of MSR */
	uint8_t msr_delta; /* bits 3:0 of MSR, cleared by reading MSR */
	bool thr_int;	   /* THRE interrupt pending */
};

/* uart_fifo_on: FIFOs enabled (FCR bit 0). */
static bool uart_fifo_on(const struct uart *u)
{
	return u->fcr & FCR_FIFO;
}

/* uart_rx_cap: bytes the receiver holds: the FIFO or the single RBR. */
static unsigned uart_rx_cap(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO : 1;
}

/* uart_trigger: the RX FIFO trigger level from FCR bits 7:6. */
static unsigned uart_trigger(const struct uart *u)
{
	static const unsigned level[4] = {1, 4, 8, 14};

	return uart_fifo_on(u) ? level[u->fcr >> 6] : 1;
}

/* uart_iir_id: IIR bits 3:0 for the highest-priority pending source. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr_err & LSR_ERRS))
		return 0x06;
	if ((u->ier & IER_RDI) && u->rx_count)
		return u->rx_count >= uart_trigger(u) ? 0x04 : 0x0c;
	if ((u->ier & IER_THRI) && u->thr_int)
		return 0x02;
	if ((u->ier & IER_MSI) && (u->msr_delta & 0x0f))
		return 0x00;
	return 0x01;
}

/* uart_update_irq: drive the IRQ line from the pending sources and OUT2. */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_id(u) != 0x01 && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);

	if (u->irq)
		irq_set(u->irq, level);
}

/* uart_update_msr: recompute the modem input lines (looped back from MCR
 * in loopback mode) and latch the delta bits of the ones that changed. */
static void uart_update_msr(struct uart *u)
{
	uint8_t lines = MSR_CTS | MSR_DSR | MSR_DCD;
	uint8_t changed;

	if (u->mcr & MCR_LOOP) {
		lines = 0;
		if (u->mcr & MCR_RTS)
			lines |= MSR_CTS;
		if (u->mcr & MCR_DTR)
			lines |= MSR_DSR;
		if (u->mcr & MCR_OUT1)
			lines |= MSR_RI;
		if (u->mcr & MCR_OUT2)
			lines |= MSR_DCD;
	}
	changed = lines ^ u->msr_lines;
	if (changed & MSR_CTS)
		u->msr_delta |= 0x01;
	if (changed & MSR_DSR)
		u->msr_delta |= 0x02;
	if ((changed & MSR_RI) && !(lines & MSR_RI))
		u->msr_delta |= 0x04; /* trailing edge of RI */
	if (changed & MSR_DCD)
		u->msr_delta |= 0x08;
	u->msr_lines = lines;
}

/* uart_rx_push: one byte arrives at the receiver; a full receiver
 * overruns: the FIFO keeps its bytes and the new one is lost, while the
 * single RBR of 16450 mode is overwritten. */
static void uart_rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count < uart_rx_cap(u)) {
		u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = b;
		u->rx_count++;
		return;
	}
	u->lsr_err |= LSR_OE;
	if (!uart_fifo_on(u))
		u->rx[u->rx_head] = b;
}

/* uart_rx_pop: the next received byte, or the last one if none is left. */
static uint8_t uart_rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr_last = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		u->rx_count--;
	}
	return u->rbr_last;
}

/* uart_transmit: send one byte: out of the machine, or back in when
 * looped; THR is empty again at once. */
static void uart_transmit(struct uart *u, uint8_t b)
{
	if (u->mcr & MCR_LOOP) {
		uart_rx_push(u, b);
	} else if (u->out) {
		fputc(b, u->out);
		fflush(u->out);
		devhost_console_byte(u->h, b);
	}
	u->thr_int = true;
}

/* uart_read_lsr: LSR; reading clears the error bits. */
static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t v = LSR_THRE | LSR_TEMT | u->lsr_err;

	if (u->rx_count)
		v |= LSR_DR;
	u->lsr_err = 0;
	return v;
}

/* uart_read: register read at offset off (byte-wide device). */
static uint64_t uart_read(struct device *dev, uint64_t off, unsigned size)
{
	struct uart *u = (struct uart *)dev;
	uint8_t v = 0xff;

	switch (off) {
	case UART_RBR:
		v = (u->lcr & LCR_DLAB) ? u->dll : uart_rx_pop(u);
		break;
	case UART_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = uart_iir_id(u);
		if (v == 0x02)
			u->thr_int = false;
		if (uart_fifo_on(u))
			v |= 0xc0;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = uart_read_lsr(u);
		break;
	case UART_MSR:
		v = u->msr_lines | u->msr_delta;
		u->msr_delta = 0;
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	uart_update_irq(u);
	return v;
}

/* uart_write_fcr: FIFO control; toggling the enable bit clears both FIFOs. */
static void uart_write_fcr(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & FCR_FIFO)
		u->rx_count = 0;
	if (v & FCR_CLRRX)
		u->rx_count = 0;
	u->fcr = (v & FCR_FIFO) ? (v & 0xc9) : 0;
}

/* uart_write: register write at offset off (byte-wide device). */
static void uart_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct uart *u = (struct uart *)dev;
	uint8_t v = value;

	switch (off) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			uart_transmit(u, v);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling the THRE interrupt while THR is empty raises it. */
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_int = true;
		u->ier = v & 0x0f;
		break;
	case UART_IIR:
		uart_write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		uart_update_msr(u);
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR, MSR: factory test registers, writes ignored */
		break;
	}
	uart_update_irq(u);
}

/* uart_reset: power-on state (master reset). */
static void uart_reset(struct device *dev)
{
	struct uart *u = (struct uart *)dev;

	u->rx_head = u->rx_count = 0;
	u->rbr_last = 0;
	u->ier = u->lcr = u->mcr = u->fcr = u->scr = u->dll = u->dlm = 0;
	u->lsr_err = 0;
	u->thr_int = false;
	u->msr_lines = MSR_CTS | MSR_DSR | MSR_DCD;
	u->msr_delta = 0;
	uart_update_irq(u);
}

/* uart_destroy: free the UART (the output stream belongs to the caller). */
static void uart_destroy(struct device *dev)
{
	free(dev);
}

struct uart *uart_create(struct devhost *h, uint16_t base, struct irq_line *irq, FILE *out)
{
	struct uart *u = devhost_new_device(sizeof(*u), &(struct device){.name = "uart16550",
									 .read = uart_read,
									 .write = uart_write,
									 .reset = uart_reset,
									 .destroy = uart_destroy,
									 .byte_wide = true});
	u->h = h;
	u->irq = irq;
	u->out = out;
	uart_reset(&u->dev);
	devhost_add_device(h, DEVHOST_IO, base, 8, &u->dev);
	return u;
}

void uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
	if (u->mcr & MCR_LOOP)
		return;
	for (size_t i = 0; i < n; i++)
		uart_rx_push(u, buf[i]);
	uart_update_irq(u);
}

size_t uart_rx_space(struct uart *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return uart_rx_cap(u) - u->rx_count;
}
