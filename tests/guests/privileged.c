/*
 * Privileged instructions at CPL 3 raise #GP(0): CLI/STI with IOPL 0, HLT,
 * MOV to/from CR and DR, LGDT/LIDT/LLDT/LTR, CLTS, INVLPG, WBINVD,
 * RDMSR/WRMSR, and port I/O without IOPL or TSS bitmap permission. With
 * IOPL 3, CLI/STI and I/O work; with IOPL 0 the TSS I/O bitmap decides,
 * port by port.
 */
#include "rt.h"

#define SCRATCH 0x3ff /* COM1 scratch register */

enum { MAXR = 32 };
static volatile uint32_t vec[MAXR], err[MAXR];
static volatile uint32_t nres, io_value;
static struct {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed)) dtr;

static void keep(void)
{
	vec[nres] = rt_fault.vector;
	err[nres] = rt_fault.err;
	nres++;
}

static uint32_t user_priv(void)
{
	nres = 0;
	RT_CATCH("cli", : : : "memory");
	keep();
	RT_CATCH("sti", : : : "memory");
	keep();
	RT_CATCH("hlt", : : : "memory");
	keep();
	RT_CATCH("movl %%cr0, %%eax", : : : "eax", "memory");
	keep();
	RT_CATCH("movl %%eax, %%cr3", : : "a"(0) : "memory");
	keep();
	RT_CATCH("movl %%dr7, %%eax", : : : "eax", "memory");
	keep();
	RT_CATCH("lgdt %0", : : "m"(dtr) : "memory");
	keep();
	RT_CATCH("lidt %0", : : "m"(dtr) : "memory");
	keep();
	RT_CATCH("lldt %w0", : : "r"(0) : "memory");
	keep();
	RT_CATCH("ltr %w0", : : "r"(SEL_TSS) : "memory");
	keep();
	RT_CATCH("clts", : : : "memory");
	keep();
	RT_CATCH("invlpg (%0)", : : "r"(0) : "memory");
	keep();
	RT_CATCH("wbinvd", : : : "memory");
	keep();
	RT_CATCH("rdmsr", : : "c"(MSR_SYSENTER_CS) : "eax", "edx", "memory");
	keep();
	RT_CATCH("wrmsr", : : "c"(MSR_SYSENTER_CS), "a"(0), "d"(0) : "memory");
	keep();
	RT_CATCH("inb %%dx, %%al", : : "d"(0x3fe) : "eax", "memory");
	keep();
	RT_CATCH("outb %%al, %%dx", : : "d"(0x3fe), "a"(0) : "memory");
	keep();
	RT_CATCH("insb", : : "d"(0x3fe), "D"(&io_value) : "memory");
	keep();
	return nres;
}

static const char *const names[] = {
    "cli",    "sti",   "hlt",	"mov from cr0", "mov to cr3",	"mov from dr7",
    "lgdt",   "lidt",  "lldt",	"ltr",		"clts",		"invlpg",
    "wbinvd", "rdmsr", "wrmsr", "in (denied)",	"out (denied)", "insb (denied)",
};

static uint32_t user_iopl3(void)
{
	nres = 0;
	RT_CATCH("cli\n\tsti", : : : "memory");
	keep();
	RT_CATCH("outb %%al, %%dx\n\tinb %%dx, %%al\n\tmovl %%eax, io_value",
		 :
		 : "d"(SCRATCH), "a"(0x5c)
		 : "memory");
	keep();
	RT_CATCH("hlt", : : : "memory");
	keep();
	return nres;
}

static uint32_t user_bitmap(void)
{
	nres = 0;
	RT_CATCH("outb %%al, %%dx", : : "d"(SCRATCH), "a"(0xa7) : "memory");
	keep();
	RT_CATCH("inb %%dx, %%al\n\tmovzbl %%al, %%eax\n\tmovl %%eax, io_value",
		 :
		 : "d"(SCRATCH)
		 : "eax", "memory");
	keep();
	RT_CATCH("inb %%dx, %%al", : : "d"(SCRATCH - 1) : "eax", "memory");
	keep();
	RT_CATCH("inw %%dx, %%ax", : : "d"(SCRATCH) : "eax", "memory");
	keep();
	RT_CATCH("cli", : : : "memory");
	keep();
	return nres;
}

void test_main(void)
{
	tap_plan(26);
	uint32_t n = rt_user_call(user_priv, 0x2);
	tap_eq("all privileged probes ran", n, sizeof(names) / sizeof(names[0]));
	for (uint32_t i = 0; i < n; i++)
		tap_ok(vec[i] == VEC_GP && err[i] == 0, "CPL3 %s: #GP(0)", names[i]);

	rt_user_call(user_iopl3, 0x3002);
	tap_ok(vec[0] == NO_FAULT, "CPL3 with IOPL 3: cli and sti allowed");
	tap_ok(vec[1] == NO_FAULT && (io_value & 0xff) == 0x5c, "CPL3 with IOPL 3: out/in allowed");
	tap_ok(vec[2] == VEC_GP && err[2] == 0, "CPL3 with IOPL 3: hlt still #GP(0)");

	rt_io_allow(SCRATCH, 1);
	rt_user_call(user_bitmap, 0x2);
	rt_io_allow(SCRATCH, 0);
	tap_ok(vec[0] == NO_FAULT && vec[1] == NO_FAULT && io_value == 0xa7,
	       "IOPL 0, port allowed by the TSS bitmap: out/in work");
	tap_ok(vec[2] == VEC_GP && err[2] == 0, "neighbouring port still denied: #GP(0)");
	tap_ok(vec[3] == VEC_GP && err[3] == 0, "word access reaching a denied port: #GP(0)");
	tap_ok(vec[4] == VEC_GP && err[4] == 0, "bitmap does not allow cli: #GP(0)");
}
