/*
 * Serial console, printf, TAP and the exit path of the guest runtime.
 */
#include "rt.h"

#define COM1	  0x3f8
#define EXIT_PORT 0xf4

static unsigned tap_planned, tap_run, tap_failed;

/* Byte-wise memset; returns D. */
void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

/* Forward byte copy of non-overlapping buffers; returns D. */
void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

/* Copy that allows overlap; returns D. */
void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	if (p < q)
		return memcpy(d, s, n);
	while (n--)
		p[n] = q[n];
	return d;
}

/* Compares N bytes; <0, 0 or >0 like the C library. */
int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

/* Length of a NUL-terminated string. */
size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* COM1: 115200 baud (divisor 1), 8N1, FIFOs on, interrupts off. */
void serial_init(void)
{
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
	outb(COM1 + 4, 0x03);
}

/* Sends one byte once the transmitter holding register is empty; "\n"
 * goes out as "\r\n". The wait is bounded so a missing UART cannot hang. */
void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	for (unsigned i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

static void put_str(const char *s, int width, int left)
{
	int n = (int)strlen(s);
	for (; !left && width > n; width--)
		serial_putc(' ');
	while (*s)
		serial_putc(*s++);
	for (; left && width > n; width--)
		serial_putc(' ');
}

static void put_num(uint32_t v, unsigned base, int neg, int width, char pad, int upper)
{
	char buf[16];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		serial_putc('-');
	for (width -= n + neg; width > 0; width--)
		serial_putc(pad);
	if (neg && pad != '0')
		serial_putc('-');
	while (n)
		serial_putc(buf[--n]);
}

/* printf subset: %d %i %u %x %X %s %c %%, flags '0' and '-', a width, and
 * the l/ll length modifiers (ll prints the low 32 bits). */
void rt_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		char pad = ' ';
		int left = 0, width = 0, longlong = 0;
		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++)
			*fmt == '0' ? (pad = '0') : (left = 1);
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l'; fmt++)
			longlong++;
		uint32_t v;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int32_t s =
			    longlong > 1 ? (int32_t)va_arg(ap, int64_t) : va_arg(ap, int32_t);
			put_num(s < 0 ? -(uint32_t)s : (uint32_t)s, 10, s < 0, width, pad, 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			v = longlong > 1 ? (uint32_t)va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
			put_num(v, *fmt == 'u' ? 10 : 16, 0, width, pad, *fmt == 'X');
			break;
		case 's':
			put_str(va_arg(ap, const char *), width, left);
			break;
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case '%':
			serial_putc('%');
			break;
		default:
			return;
		}
	}
}

/* printf to COM1. */
void rt_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}

/* Writes the exit code to isa-debug-exit: 0 (status 1) when FAILED is 0,
 * else 1 (status 3); halts forever if the device is missing. */
void rt_exit(int failed)
{
	outb(EXIT_PORT, failed ? 1 : 0);
	for (;;)
		asm volatile("cli; hlt");
}

/* Prints the TAP plan line. */
void tap_plan(unsigned n)
{
	tap_planned = n;
	rt_printf("1..%u\n", n);
}

/* One TAP result line; returns COND. */
int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_run++;
	if (!cond)
		tap_failed++;
	rt_printf("%sok %u - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_printf("\n");
	return cond;
}

/* A TAP line that passes when GOT equals WANT, with both shown if not. */
int tap_eq(const char *desc, uint32_t got, uint32_t want)
{
	if (tap_ok(got == want, "%s", desc))
		return 1;
	tap_diag("  got 0x%08x, expected 0x%08x", got, want);
	return 0;
}

int tap_bytes(const char *desc, const uint8_t *got, const uint8_t *want, unsigned n)
{
	unsigned i = 0;
	while (i < n && got[i] == want[i])
		i++;
	if (tap_ok(i == n, "%s", desc))
		return 1;
	tap_diag("  byte %u is 0x%02x, expected 0x%02x", i, got[i], want[i]);
	return 0;
}

/* A TAP comment line "# ...". */
void tap_diag(const char *fmt, ...)
{
	va_list ap;
	rt_printf("# ");
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_printf("\n");
}

/* Aborts the run with "Bail out!" and a failing exit status. */
void tap_bail(const char *fmt, ...)
{
	va_list ap;
	rt_printf("Bail out! ");
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_printf("\n");
	rt_exit(1);
}

/* Prints the summary and exits: status 1 when every planned test passed. */
void tap_done(void)
{
	int bad = tap_failed || tap_run != tap_planned;
	if (tap_run != tap_planned)
		tap_diag("planned %u tests but ran %u", tap_planned, tap_run);
	if (bad)
		tap_diag("summary: %u of %u tests failed", tap_failed, tap_run);
	else
		tap_diag("summary: all %u tests passed", tap_run);
	rt_exit(bad);
}
