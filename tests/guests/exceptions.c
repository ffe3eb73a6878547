/*
 * Exceptions without paging: #DE, #UD, #BP, #OF, #NM, #GP, #NP, #BR with
 * their error codes and the EIP the CPU pushes (fault: the instruction;
 * trap: the next one). Page faults are covered by the paging guests.
 */
#include "rt.h"

static void check_eip(const char *desc, uint32_t want)
{
	tap_eq(desc, rt_fault.eip, want);
}

static void test_de(void)
{
	RT_CATCH("divl %%ecx", : : "a"(1), "d"(0), "c"(0) : "memory", "cc");
	tap_fault("div by zero: #DE", VEC_DE, 0);
	check_eip("#DE is a fault: EIP of the div", rt_fault.next - 2);
	RT_CATCH("idivl %%ecx", : : "a"(0x80000000), "d"(0xffffffff), "c"(-1) : "memory", "cc");
	tap_fault("idiv 0x80000000/-1 overflows: #DE", VEC_DE, 0);
	RT_CATCH("divb %%cl", : : "a"(0x1000), "c"(0x10) : "memory", "cc");
	tap_fault("divb quotient too large: #DE", VEC_DE, 0);
}

static void test_ud_bp_of(void)
{
	RT_CATCH("ud2", : : : "memory");
	tap_fault("ud2: #UD", VEC_UD, 0);
	check_eip("#UD is a fault: EIP of ud2", rt_fault.next - 2);
	RT_CATCH(".byte 0xf0, 0x90", : : : "memory");
	tap_fault("lock nop: #UD", VEC_UD, 0);
	RT_CATCH("int3", : : : "memory");
	tap_fault("int3: #BP", VEC_BP, 0);
	check_eip("#BP is a trap: EIP after int3", rt_fault.next);
	RT_CATCH("int $3", : : : "memory");
	tap_fault("int $3 (two-byte form): #BP", VEC_BP, 0);
	RT_CATCH("movb $0x7f, %%al\n\taddb $1, %%al\n\tinto", : : : "eax", "memory", "cc");
	tap_fault("into with OF=1: #OF", VEC_OF, 0);
	check_eip("#OF is a trap: EIP after into", rt_fault.next);
	RT_CATCH("xorl %%eax, %%eax\n\tinto", : : : "eax", "memory", "cc");
	tap_nofault("into with OF=0: nothing");
	static int32_t bounds[2] = {10, 20};
	RT_CATCH("boundl %0, %1", : : "r"(25), "m"(bounds) : "memory");
	tap_fault("bound out of range: #BR", VEC_BR, 0);
	RT_CATCH("boundl %0, %1", : : "r"(15), "m"(bounds) : "memory");
	tap_nofault("bound in range: nothing");
}

static void test_nm(void)
{
	write_cr0(read_cr0() | CR0_TS);
	RT_CATCH("fld1", : : : "memory");
	tap_fault("x87 instruction with CR0.TS=1: #NM", VEC_NM, 0);
	asm volatile("clts");
	RT_CATCH("fld1\n\tfstp %%st(0)", : : : "memory");
	tap_nofault("after clts the x87 runs");
}

static void test_gp_np(void)
{
	RT_CATCH("movw %w0, %%ds", : : "r"(0x1000) : "memory");
	tap_fault("selector past the GDT limit: #GP(selector)", VEC_GP, 0x1000);
	RT_CATCH("int $0x50", : : : "memory");
	tap_fault("int to a not-present gate: #NP(vector*8+2)", VEC_NP, 0x50 * 8 + 2);
	RT_CATCH("int $0x51", : : : "memory");
	tap_fault("int to an empty IDT slot: #GP(vector*8+2)", VEC_GP, 0x51 * 8 + 2);
	RT_CATCH("int $0x20 + 0xd0", : : : "memory");
	tap_fault("int past the IDT limit: #GP(vector*8+2)", VEC_GP, 0xf0 * 8 + 2);
	RT_CATCH("ltr %w0", : : "r"(SEL_KDATA) : "memory");
	tap_fault("ltr with a data segment: #GP(selector)", VEC_GP, SEL_KDATA);
	RT_CATCH("wrmsr", : : "c"(0x6e1), "a"(0), "d"(1) : "memory");
	tap_fault("wrmsr with reserved bits: #GP(0)", VEC_GP, 0);
	RT_CATCH("ljmp $0, $0", : : : "memory");
	tap_fault("far jump to the null selector: #GP(0)", VEC_GP, 0);
	tap_eq("CS still the kernel code segment", read_cs(), SEL_KCODE);
}

/* A hook that counts and skips the 2-byte faulting instruction. */
static volatile uint32_t hook_hits;
static void ud_hook(struct rt_frame *f)
{
	hook_hits++;
	f->eip += 2;
}

static void test_hook(void)
{
	rt_set_handler(VEC_UD, ud_hook);
	asm volatile("ud2\n\tud2" ::: "memory");
	rt_set_handler(VEC_UD, NULL);
	tap_eq("per-vector hook skips two ud2", hook_hits, 2);
	rt_catch_skip = 2;
	asm volatile("ud2" ::: "memory");
	tap_eq("skip-by-length resumes after ud2", rt_catch_skip, 0);
}

void test_main(void)
{
	/* Shrink the IDT so that vector 0xf0 lies past its limit. */
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) idtr = {0x80 * 8 + 2 * 8 - 1, (uint32_t)rt_idt};
	asm volatile("lidt %0" : : "m"(idtr));
	rt_idt_set_gate(0x50, (uint32_t)test_main, SEL_KCODE, 0x0e);
	tap_plan(27);
	test_de();
	test_ud_bp_of();
	test_nm();
	test_gp_np();
	test_hook();
}
