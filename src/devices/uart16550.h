/*
 * uart16550.h - a 16550A UART (8 ports at base, one IRQ line).
 *
 * Registers as in the National/TI 16550A data sheet: RBR/THR, IER, IIR/FCR
 * with 16-byte FIFOs, LCR (DLAB), MCR (loopback; OUT2 gates the IRQ as the
 * PC's serial card does), LSR, MSR, SCR, DLL/DLM.  Transmission is instant:
 * a byte written to THR goes to `out` at once (NULL discards) and THR is
 * empty again; in loopback mode it comes back into the RX FIFO instead.
 * The modem lines of the outside world read as CTS, DSR and DCD asserted.
 */
#ifndef BT86_UART16550_H
#define BT86_UART16550_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct devhost;
struct irq_line;
struct uart;

/* uart_create: a UART at ports [base, base+8) on h's port bus driving irq, owned
 * by h; bytes sent go to out (may be NULL).  Dies if the ports are taken. */
struct uart *uart_create(struct devhost *h, uint16_t base, struct irq_line *irq, FILE *out);
/* uart_receive: bytes arriving on the serial line (console input).  Bytes
 * beyond the FIFO's room overrun it (LSR.OE), as on the real chip; callers
 * feed at most uart_rx_space() bytes.  Dropped in loopback mode. */
void uart_receive(struct uart *u, const uint8_t *buf, size_t n);
/* uart_rx_space: how many bytes uart_receive() can take without overrun
 * (0 in loopback mode, when the line is disconnected). */
size_t uart_rx_space(struct uart *u);

#endif
