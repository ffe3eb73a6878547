/*
 * Port string I/O: REP OUTSB/INSB in both directions on the COM1 scratch
 * register and the master PIC mask register, final ESI/EDI/ECX, and ECX=0.
 */
#include "rt.h"

#define SCRATCH 0x3ff
#define PIC_IMR 0x21

static uint8_t buf[8192] __attribute__((aligned(4096)));

void test_main(void)
{
	uint32_t si, di, cx;
	tap_plan(9);
	for (int i = 0; i < 16; i++)
		buf[i] = (uint8_t)(0x30 + i);
	si = (uint32_t)buf, cx = 16;
	asm volatile("cld; rep outsb" : "+S"(si), "+c"(cx) : "d"(SCRATCH) : "memory");
	tap_ok(inb(SCRATCH) == 0x3f && si == (uint32_t)buf + 16 && cx == 0,
	       "rep outsb: last byte in the port, ESI and ECX updated");

	si = (uint32_t)buf + 15, cx = 16;
	asm volatile("std; rep outsb; cld" : "+S"(si), "+c"(cx) : "d"(SCRATCH) : "memory");
	tap_ok(inb(SCRATCH) == 0x30 && si == (uint32_t)buf - 1 && cx == 0,
	       "rep outsb with DF=1 ends with the first byte");

	outb(SCRATCH, 0x6b);
	memset(buf, 0, sizeof(buf));
	di = (uint32_t)buf + 4090, cx = 12;
	asm volatile("cld; rep insb" : "+D"(di), "+c"(cx) : "d"(SCRATCH) : "memory");
	int good = buf[4089] == 0 && buf[4102] == 0;
	for (int i = 4090; i < 4102; i++)
		good &= buf[i] == 0x6b;
	tap_ok(good && di == (uint32_t)buf + 4102 && cx == 0, "rep insb across a page boundary");

	outb(SCRATCH, 0x19);
	di = (uint32_t)buf + 20, cx = 4;
	asm volatile("std; rep insb; cld" : "+D"(di), "+c"(cx) : "d"(SCRATCH) : "memory");
	tap_ok(buf[17] == 0x19 && buf[20] == 0x19 && buf[16] == 0 && di == (uint32_t)buf + 16,
	       "rep insb with DF=1 fills downwards");

	outb(SCRATCH, 0x44);
	si = (uint32_t)buf, cx = 0;
	asm volatile("cld; rep outsb" : "+S"(si), "+c"(cx) : "d"(SCRATCH) : "memory");
	tap_ok(inb(SCRATCH) == 0x44 && si == (uint32_t)buf, "rep outsb with ECX=0 does nothing");

	buf[0] = 0xaa;
	si = (uint32_t)buf;
	asm volatile("cld; outsb" : "+S"(si) : "d"(SCRATCH) : "memory");
	di = (uint32_t)buf + 1;
	asm volatile("cld; insb" : "+D"(di) : "d"(SCRATCH) : "memory");
	tap_ok(buf[1] == 0xaa && si == (uint32_t)buf + 1 && di == (uint32_t)buf + 2,
	       "single outsb and insb");

	uint8_t old = inb(PIC_IMR);
	static const uint8_t masks[3] = {0xff, 0xf0, 0xfd};
	si = (uint32_t)masks, cx = 3;
	asm volatile("cld; rep outsb" : "+S"(si), "+c"(cx) : "d"(PIC_IMR) : "memory");
	tap_eq("rep outsb to the PIC mask register", inb(PIC_IMR), 0xfd);
	di = (uint32_t)buf, cx = 3;
	asm volatile("cld; rep insb" : "+D"(di), "+c"(cx) : "d"(PIC_IMR) : "memory");
	tap_ok(buf[0] == 0xfd && buf[1] == 0xfd && buf[2] == 0xfd, "rep insb from the PIC mask");
	outb(PIC_IMR, old);
	tap_eq("PIC mask restored", inb(PIC_IMR), old);
}
