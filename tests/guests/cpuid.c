/*
 * CPUID (leaf 0 range, leaf 1 feature bits; nothing vendor-specific is
 * printed), RDTSC monotonic and moving, RDMSR/WRMSR round trips, #GP for
 * an MSR write with reserved bits, and RDTSC at CPL 3 with CR4.TSD.
 */
#include "rt.h"

#define CR4_TSD 0x4

static const struct {
	unsigned bit;
	const char *name;
} features[] = {
    {4, "TSC"},	  {5, "MSR"},	{8, "CX8"},  {11, "SEP"},
    {15, "CMOV"}, {24, "FXSR"}, {25, "SSE"}, {26, "SSE2"},
};

static uint32_t user_rdtsc(void)
{
	RT_CATCH("rdtsc", : : : "eax", "edx", "memory");
	return rt_fault.vector;
}

void test_main(void)
{
	uint32_t r[4];
	tap_plan(17);
	cpuid(0, r);
	tap_ok(r[0] >= 1, "CPUID leaf 0: highest leaf >= 1");
	cpuid(1, r);
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		tap_ok(r[3] & (1u << features[i].bit), "CPUID leaf 1: %s", features[i].name);
	tap_ok(((r[0] >> 8) & 0xf) >= 6, "CPUID leaf 1: family 6 or later");

	uint64_t t0 = rdtsc(), prev = t0;
	int mono = 1;
	for (int i = 0; i < 1000; i++) {
		uint64_t t = rdtsc();
		mono &= t >= prev;
		prev = t;
	}
	tap_ok(mono, "RDTSC never goes backwards (1000 reads)");
	tap_ok(prev > t0, "RDTSC advances");

	tap_eq("RDTSC allowed at CPL 3 with CR4.TSD=0", rt_user_call(user_rdtsc, 0x2), NO_FAULT);
	write_cr4(read_cr4() | CR4_TSD);
	tap_eq("RDTSC at CPL 3 with CR4.TSD=1: #GP", rt_user_call(user_rdtsc, 0x2), VEC_GP);
	write_cr4(read_cr4() & ~CR4_TSD);

	wrmsr(MSR_SYSENTER_ESP, 0xfeedf00d);
	wrmsr(MSR_SYSENTER_EIP, 0x0badc0de);
	tap_ok((uint32_t)rdmsr(MSR_SYSENTER_ESP) == 0xfeedf00d &&
		   (uint32_t)rdmsr(MSR_SYSENTER_EIP) == 0x0badc0de,
	       "WRMSR/RDMSR round trip (SYSENTER_ESP, SYSENTER_EIP)");
	RT_CATCH("wrmsr", : : "c"(0x6e1), "a"(0), "d"(0xffffffff) : "memory");
	tap_fault("WRMSR with reserved bits set: #GP(0)", VEC_GP, 0);
	RT_CATCH("cpuid", : : "a"(0) : "ebx", "ecx", "edx", "memory");
	tap_nofault("CPUID does not fault");
}
