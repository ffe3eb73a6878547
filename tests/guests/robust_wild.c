/*
 * Wild memory accesses: loads and stores to physical addresses outside RAM,
 * stores to the ROM-like areas below 1 MiB, string instructions that cross
 * the end of RAM or the 4 GiB wrap, accesses that straddle the end of RAM,
 * and a stack that wraps at 0. None of them faults on a real CPU (segments
 * are flat, paging is off); the guest must go on running.
 *
 * What reads outside RAM return is not defined (QEMU returns zeros or its
 * BIOS, real chipsets float to 0xFF), so only the bytes that land in RAM,
 * the registers and the absence of faults are checked. The IOAPIC and
 * LAPIC windows are left alone: QEMU has devices there.
 */
#include "rt.h"

#define RAM_END 0x04000000u /* the runner starts every guest with -m 64 */

static volatile uint32_t canary[4] = {0xc0ffee00, 0xc0ffee01, 0xc0ffee02, 0xc0ffee03};
static uint8_t buf[64];
static volatile uint32_t saved_esp;

/* One kind of access at ADDR: 0 loads and stores of each size, 1 LOCK
 * INC, 2 XCHG, 3 LOCK CMPXCHG, 4 ADD reg, mem, 5 PUSH mem and POP mem,
 * 6 x87 load and store. */
static void __attribute__((regparm(2), noinline)) poke(unsigned kind, uint32_t addr)
{
	volatile uint8_t *b = (volatile uint8_t *)addr;
	volatile uint16_t *w = (volatile uint16_t *)addr;
	volatile uint32_t *d = (volatile uint32_t *)addr;
	uint32_t sink = 0;
	switch (kind) {
	case 0:
		b[0] = 0x5a;
		w[1] = 0x1234;
		d[1] = 0xdeadbeef;
		sink += b[0] + w[1] + d[1] + b[3];
		break;
	case 1:
		asm volatile("lock incl %0" : "+m"(d[2]) : : "memory", "cc");
		break;
	case 2:
		asm volatile("xchgl %0, %1" : "+r"(sink), "+m"(d[3]) : : "memory");
		break;
	case 3:
		asm volatile("lock cmpxchgl %2, %1"
			     : "+a"(sink), "+m"(d[4])
			     : "r"(7)
			     : "memory", "cc");
		break;
	case 4:
		asm volatile("addl %1, %0" : "+r"(sink) : "m"(d[5]) : "cc");
		break;
	case 5:
		asm volatile("pushl %0\n\tpopl %1" : : "m"(d[6]), "m"(d[7]) : "memory");
		break;
	case 6:
		asm volatile("fldl %0\n\tfstpl %1" : : "m"(d[8]), "m"(d[10]) : "memory");
		break;
	}
	(void)sink;
}

/* Accesses at addresses where there is no RAM. */
static void test_outside_ram(void)
{
	static const uint32_t addrs[] = {RAM_END,    RAM_END + 0x1000, 0x08000000, 0x40000000,
					 0xe0000000, 0xfffff000,       0xffffffc0};
	static const char *const kinds[] = {"loads and stores", "lock inc",	"xchg",
					    "lock cmpxchg",	"add reg, mem", "push/pop mem",
					    "x87 fld/fstp"};
	for (unsigned k = 0; k < 7; k++) {
		unsigned caught = 0;
		for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
			uint32_t kind = k, addr = addrs[i];
			rt_fault_clear();
			asm volatile("movl $9f, rt_catch_next\n\t"
				     "movl %%esp, saved_esp\n\t"
				     "call *%2\n"
				     "9:\n\t"
				     "movl $0, rt_catch_next\n\t"
				     "movl saved_esp, %%esp"
				     : "+a"(kind), "+d"(addr)
				     : "r"(poke)
				     : "ecx", "memory", "cc");
			if (rt_fault.vector != NO_FAULT)
				caught++;
		}
		tap_ok(caught == 0, "%s outside RAM: no fault", kinds[k]);
	}
	/* stores at canary + 64 MiB * k must not land in RAM (no aliasing) */
	uint32_t c = (uint32_t)canary;
	*(volatile uint32_t *)(c + RAM_END) = 0x11111111;
	*(volatile uint32_t *)(c + 2 * RAM_END) = 0x22222222;
	*(volatile uint32_t *)(c + 0xe0000000) = 0x33333333;
	tap_eq("stores 64 MiB apart did not alias into RAM", canary[0], 0xc0ffee00);
}

/* Stores to the legacy video and BIOS areas: RAM, video memory or ROM
 * depending on the machine, never a fault. */
static void test_legacy_areas(void)
{
	static const uint32_t addrs[] = {0xa0000, 0xc0000, 0xe0000, 0xf0000, 0xffff0};
	unsigned caught = 0;
	for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		RT_CATCH("movl $0x12345678, (%0)\n\tmovl (%0), %%ecx\n\tmovb $1, 1(%0)",
			 :
			 : "r"(addrs[i])
			 : "ecx", "memory");
		if (rt_fault.vector != NO_FAULT)
			caught++;
	}
	tap_eq("stores to 0xA0000..0xFFFFF: no fault", caught, 0);
}

/* REP string instructions across the end of RAM and the 4 GiB wrap. */
static void test_strings(void)
{
	uint32_t si, di, cx;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0xa0 + i);
	volatile uint8_t *end = (volatile uint8_t *)(RAM_END - 8);
	for (unsigned i = 0; i < 8; i++)
		end[i] = 0;

	RT_CATCH("rep movsb",
		 : "=S"(si), "=D"(di), "=c"(cx)
		 : "S"(buf), "D"(RAM_END - 8), "c"(16)
		 : "memory");
	tap_nofault("rep movsb writing across the end of RAM: no fault");
	tap_ok(si == (uint32_t)buf + 16 && di == RAM_END + 8 && cx == 0,
	       "rep movsb: ESI, EDI, ECX at the end");
	tap_ok(end[0] == 0xa0 && end[7] == 0xa7, "the 8 bytes inside RAM were written");

	memset(buf + 32, 0, 8);
	RT_CATCH("rep movsb",
		 : "=S"(si), "=D"(di), "=c"(cx)
		 : "S"(RAM_END - 8), "D"(buf + 32), "c"(16)
		 : "memory");
	tap_nofault("rep movsb reading across the end of RAM: no fault");
	tap_ok(si == RAM_END + 8 && di == (uint32_t)buf + 48 && cx == 0,
	       "rep movsb: ESI, EDI, ECX at the end");
	tap_ok(buf[32] == 0xa0 && buf[39] == 0xa7, "the 8 bytes from RAM were read");

	for (unsigned i = 0; i < 8; i++)
		end[i] = 0;
	RT_CATCH("std\n\trep stosl\n\tcld",
		 : "=D"(di), "=c"(cx)
		 : "D"(RAM_END + 4), "a"(0x5eed5eed), "c"(4)
		 : "memory");
	tap_nofault("std; rep stosl down across the end of RAM: no fault");
	tap_ok(di == RAM_END - 12 && cx == 0, "rep stosl (DF=1): EDI, ECX at the end");
	tap_eq("the last dword of RAM was written", *(volatile uint32_t *)(RAM_END - 4),
	       0x5eed5eed);
	tap_eq("the dword before it too", *(volatile uint32_t *)(RAM_END - 8), 0x5eed5eed);

	RT_CATCH("rep stosb",
		 : "=D"(di), "=c"(cx)
		 : "D"(0xe0000000), "a"(0x77), "c"(8192)
		 : "memory");
	tap_nofault("rep stosb over two pages without RAM: no fault");
	tap_ok(di == 0xe0002000 && cx == 0, "rep stosb: EDI, ECX at the end");

	/* The linear address wraps at 4 GiB: the second half lands at 0. */
	uint32_t zero;
	asm("xorl %0, %0" : "=r"(zero)); /* a null pointer the compiler cannot see */
	volatile uint8_t *low = (volatile uint8_t *)zero;
	for (unsigned i = 0; i < 8; i++)
		low[i] = 0;
	RT_CATCH("rep movsb",
		 : "=S"(si), "=D"(di), "=c"(cx)
		 : "S"(buf), "D"(0xfffffff8), "c"(16)
		 : "memory");
	tap_nofault("rep movsb across the 4 GiB wrap: no fault");
	tap_ok(di == 8 && cx == 0, "EDI wrapped to 8");
	tap_ok(low[0] == 0xa8 && low[7] == 0xaf, "the bytes after the wrap landed at 0");
}

/* Single accesses that straddle the end of RAM. */
static void test_straddle(void)
{
	uint32_t v = 0;
	volatile uint8_t *end = (volatile uint8_t *)(RAM_END - 2);
	end[0] = 0x34;
	end[1] = 0x12;
	RT_CATCH("movl (%1), %0", : "=r"(v) : "r"(RAM_END - 2) : "memory");
	tap_nofault("dword load straddling the end of RAM: no fault");
	tap_eq("its low half comes from RAM", v & 0xffff, 0x1234);
	RT_CATCH("movl %0, (%1)", : : "r"(0xaabbccdd), "r"(RAM_END - 2) : "memory");
	tap_nofault("dword store straddling the end of RAM: no fault");
	tap_ok(end[0] == 0xdd && end[1] == 0xcc, "its low half landed in RAM");
}

/* PUSH and POP with ESP wrapping at 0 (flat 4 GiB stack segment). */
static void test_stack_wrap(void)
{
	uint32_t a, b, esp_low, esp_wrapped;
	RT_CATCH("movl %%esp, saved_esp\n\t"
		 "movl $8, %%esp\n\t"
		 "pushl $0xaaaa5555\n\t"
		 "pushl $0xbbbb6666\n\t"
		 "movl %%esp, %%esi\n\t"
		 "pushl $0xcccc7777\n\t"
		 "movl %%esp, %%edi\n\t"
		 "popl %%eax\n\t"
		 "popl %%eax\n\t"
		 "popl %%edx\n\t"
		 "movl saved_esp, %%esp",
		 : "=a"(b), "=d"(a), "=S"(esp_low), "=D"(esp_wrapped)
		 :
		 : "memory");
	if (rt_fault.vector != NO_FAULT)
		asm volatile("movl saved_esp, %%esp" ::: "memory");
	tap_nofault("push and pop with ESP wrapping at 0: no fault");
	tap_eq("two pushes from ESP=8 reach ESP=0", esp_low, 0);
	tap_eq("a push at ESP=0 wraps ESP to 0xFFFFFFFC", esp_wrapped, 0xfffffffc);
	tap_ok(a == 0xaaaa5555 && b == 0xbbbb6666, "the values pushed into RAM pop back");
}

void test_main(void)
{
	tap_plan(8 + 1 + 15 + 4 + 4 + 1);
	test_outside_ram();
	test_legacy_areas();
	test_strings();
	test_straddle();
	test_stack_wrap();
	tap_eq("the canaries in RAM are intact", canary[1] ^ canary[2] ^ canary[3], 0xc0ffee00);
}
