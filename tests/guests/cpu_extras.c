/*
 * CPU model features beyond the Pentium M that CPUID may offer, each
 * tested where CPUID says it exists (and passing as "not offered"
 * otherwise, so the output is the same on every engine): RDTSCP with
 * IA32_TSC_AUX, UMIP (SGDT and SMSW at CPL 3 are #GP(0), at CPL 0 they
 * work), SMEP (a supervisor fetch from a user page is #PF with P and I,
 * and works again with SMEP off).
 */
#include "rt.h"

#define CR4_UMIP (1u << 11)
#define CR4_SMEP (1u << 20)
#define TV	 0x40000000u

static volatile uint32_t u_vec, u_err;

/* user_sgdt / user_smsw: run at CPL 3, note the fault. */
static uint32_t user_sgdt(void)
{
	uint8_t d[6];

	RT_CATCH("sgdt %0", : "=m"(d));
	u_vec = rt_fault.vector, u_err = rt_fault.err;
	return 0;
}

static uint32_t user_smsw(void)
{
	uint32_t r;

	RT_CATCH("smsw %0", : "=r"(r));
	u_vec = rt_fault.vector, u_err = rt_fault.err;
	return 0;
}

static void test_rdtscp(void)
{
	uint32_t r[4], lo, hi, aux;

	cpuid(0x80000001u, r);
	int ok = 1;
	if (r[3] & (1u << 27)) {
		wrmsr(0xc0000103, 0x42);
		uint64_t t0 = rdtsc();
		asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		ok = aux == 0x42 && ((uint64_t)hi << 32 | lo) >= t0;
	}
	tap_ok(ok, "RDTSCP gives the TSC and IA32_TSC_AUX (where CPUID offers it)");
}

static void test_umip(void)
{
	uint32_t r[4];

	cpuid(7, r);
	int ok = 1, cpl0 = 1;
	if (r[2] & (1u << 2)) {
		write_cr4(read_cr4() | CR4_UMIP);
		u_vec = 0xff;
		rt_user_call(user_sgdt, 0x2);
		ok = u_vec == 13 && u_err == 0;
		u_vec = 0xff;
		rt_user_call(user_smsw, 0x2);
		ok = ok && u_vec == 13 && u_err == 0;
		uint8_t d[6];
		RT_CATCH("sgdt %0", : "=m"(d));
		cpl0 = rt_fault.vector == NO_FAULT;
		write_cr4(read_cr4() & ~CR4_UMIP);
	}
	tap_ok(ok, "UMIP: SGDT and SMSW at CPL 3 are #GP(0) (where CPUID offers it)");
	tap_ok(cpl0, "  and SGDT at CPL 0 still works");
}

static void test_smep(void)
{
	uint32_t r[4];

	cpuid(7, r);
	int ok = 1, back = 1;
	if (r[1] & (1u << 7)) {
		uint32_t *pd = pg_new_dir();
		uint8_t *page = pg_alloc();
		pg_identity4k(pd, 0, 0x400000, PG_RW);
		for (uint32_t a = 0x400000; a < 64u << 20; a += 0x400000)
			pg_map4m(pd, a, a, PG_RW);
		page[0] = 0xc3; /* ret */
		pg_map4k(pd, TV, (uint32_t)page, PG_RW | PG_US);
		pg_enable(pd, 0);
		write_cr4(read_cr4() | CR4_SMEP);
		RT_CATCH("jmp *%0", : : "r"(TV));
		ok = rt_fault.vector == 14 && rt_fault.err == 0x11 && rt_fault.cr2 == TV;
		write_cr4(read_cr4() & ~CR4_SMEP);
		RT_CATCH("call *%0", : : "r"(TV));
		back = rt_fault.vector == NO_FAULT;
		pg_disable();
	}
	tap_ok(ok, "SMEP: a supervisor fetch from a user page is #PF(P|I) (where CPUID offers it)");
	tap_ok(back, "  and without SMEP the call returns");
}

void test_main(void)
{
	tap_plan(5);
	test_rdtscp();
	test_umip();
	test_smep();
}
