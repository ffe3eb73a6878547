/*
 * SYSENTER/SYSEXIT: the three MSRs round trip, the CPU loads CS/SS/ESP/EIP
 * from them and clears IF on entry, SYSEXIT returns to EDX with ESP = ECX at
 * CPL 3, and the #GP cases (SYSEXIT at CPL 3, SYSENTER with a null CS MSR).
 */
#include "rt.h"

static volatile uint32_t u_cs, u_ss, u_esp_before, u_esp_after, u_sum;

static uint32_t double_plus_one(uint32_t eax)
{
	return eax * 2 + 1;
}

static uint32_t user_sysenter(void)
{
	uint32_t sum = 0;
	for (uint32_t i = 1; i <= 3; i++) {
		uint32_t a = i;
		asm volatile("movl %%esp, %1\n\t"
			     "movl %%esp, %%ecx\n\t"
			     "movl $1f, %%edx\n\t"
			     "sysenter\n"
			     "1:\tmovl %%esp, %2"
			     : "+a"(a), "=m"(u_esp_before), "=m"(u_esp_after)
			     :
			     : "ecx", "edx", "memory", "cc");
		sum += a;
	}
	u_cs = read_cs();
	u_ss = read_ss();
	u_sum = sum;
	return 7;
}

static uint32_t user_sysexit(void)
{
	RT_CATCH("sysexit", : : : "memory");
	return rt_fault.vector == VEC_GP && rt_fault.err == 0;
}

static uint32_t user_sysenter_null(void)
{
	RT_CATCH("movl %%esp, %%ecx\n\tmovl $9f, %%edx\n\tsysenter", : : : "ecx", "edx", "memory");
	return rt_fault.vector == VEC_GP && rt_fault.err == 0;
}

void test_main(void)
{
	tap_plan(12);
	wrmsr(MSR_SYSENTER_CS, 0x1234);
	wrmsr(MSR_SYSENTER_ESP, 0x89abcdef);
	wrmsr(MSR_SYSENTER_EIP, 0x13579bdf);
	tap_eq("SYSENTER_CS round trip", (uint32_t)rdmsr(MSR_SYSENTER_CS), 0x1234);
	tap_eq("SYSENTER_ESP round trip", (uint32_t)rdmsr(MSR_SYSENTER_ESP), 0x89abcdef);
	tap_eq("SYSENTER_EIP round trip", (uint32_t)rdmsr(MSR_SYSENTER_EIP), 0x13579bdf);

	rt_sysenter_init();
	rt_sysenter_hook = double_plus_one;
	uint32_t r = rt_user_call(user_sysenter, 0x202);
	tap_eq("user code ran to the end", r, 7);
	tap_eq("three sysenter calls returned 3+5+7", u_sum, 15);
	tap_eq("entry ESP is SYSENTER_ESP", rt_sysenter_note.esp, (uint32_t)rt_sestack_top);
	tap_ok(rt_sysenter_note.cs == SEL_KCODE && rt_sysenter_note.ss == SEL_KDATA,
	       "entry CS = SYSENTER_CS, SS = SYSENTER_CS + 8");
	tap_eq("SYSENTER clears IF", rt_sysenter_note.eflags & FL_IF, 0);
	tap_ok(u_cs == SEL_UCODE && u_ss == SEL_UDATA, "SYSEXIT returns to CPL 3 CS and SS");
	tap_eq("SYSEXIT restores ESP from ECX", u_esp_after, u_esp_before);
	tap_eq("SYSEXIT at CPL 3: #GP(0)", rt_user_call(user_sysexit, 0x2), 1);
	wrmsr(MSR_SYSENTER_CS, 0);
	tap_eq("SYSENTER with SYSENTER_CS = 0: #GP(0)", rt_user_call(user_sysenter_null, 0x2), 1);
}
