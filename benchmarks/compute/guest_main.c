/*
 * guest_main.c - the compute benchmarks as a multiboot guest: the kernel
 * command line names the kernel; it prints "NAME checksum" on COM1 and
 * exits through isa-debug-exit (0xf4) with 0 (status 1).
 */
#include "kernels.h"

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_putc(char c)
{
	while (!(inb(0x3f8 + 5) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}

static void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void serial_hex(uint32_t v)
{
	for (int i = 28; i >= 0; i -= 4)
		serial_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

/* Exit through isa-debug-exit: status (code << 1) | 1. */
static void __attribute__((noreturn)) guest_exit(uint32_t code)
{
	__asm__ volatile("outl %0, %1" : : "a"(code), "Nd"((uint16_t)0xf4));
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* word_eq: does the first word of cmdline (after the path, if any) equal name? */
static int word_eq(const char *w, const char *name)
{
	while (*name && *w == *name)
		w++, name++;
	return !*name && (*w == 0 || *w == ' ');
}

void guest_main(uint32_t magic, const uint32_t *mbi)
{
	const char *cmd = "";

	if (magic == 0x2badb002 && (mbi[0] & (1u << 2)))
		cmd = (const char *)mbi[4];
	/* QEMU passes "path args"; bt86 passes args: try every word. */
	for (const char *w = cmd; *w; w++) {
		if (w != cmd && w[-1] != ' ')
			continue;
		for (unsigned i = 0; i < bench_nr_kernels; i++) {
			if (!word_eq(w, bench_kernels[i].name))
				continue;
			uint32_t sum = bench_kernels[i].run();
			serial_puts(bench_kernels[i].name);
			serial_putc(' ');
			serial_hex(sum);
			serial_putc('\n');
			guest_exit(0);
		}
	}
	serial_puts("compute: unknown kernel on the command line\n");
	guest_exit(1);
}
