/*
 * Near and far control transfers: CALL/RET through registers and memory,
 * RET imm16, far CALL/RET and JMP through GDT code segments (including one
 * with a non-zero base), LRET imm16, recursion and computed jumps.
 */
#include "rt.h"

#define SEL_ALIAS 0x38 /* flat ring-0 code, a second selector */
#define SEL_BASED 0x40 /* ring-0 code whose base is CODE_BASE */
#define CODE_BASE 0x100000

extern char near_sum_ret8[], far_get_cs[], far_sub_ret8[], fib_rec[], far_jmp_roundtrip[],
    push_ret[];

static uint32_t twice(uint32_t x)
{
	return 2 * x;
}

static uint32_t (*volatile twice_ptr)(uint32_t) = twice;
static volatile uint32_t fn_slot;

struct far_ptr {
	uint32_t off;
	uint16_t sel;
} __attribute__((packed));

static void test_near(void)
{
	uint32_t r, esp0, esp1;
	tap_eq("call through a register", twice_ptr(21), 42);

	fn_slot = (uint32_t)twice;
	asm volatile("pushl $50\n\tcall *fn_slot\n\taddl $4, %%esp"
		     : "=a"(r)
		     :
		     : "ecx", "edx", "memory", "cc");
	tap_eq("call through memory", r, 100);

	asm volatile("movl %%esp, %[e0]\n\t"
		     "pushl $30\n\tpushl $12\n\t"
		     "call near_sum_ret8\n\t"
		     "movl %%esp, %[e1]"
		     : "=a"(r), [e0] "=r"(esp0), [e1] "=r"(esp1)
		     :
		     : "memory", "cc");
	tap_ok(r == 42 && esp0 == esp1, "ret imm16 pops the arguments");

	asm volatile("call fib_rec" : "=a"(r) : "a"(20) : "edx", "memory", "cc");
	tap_eq("recursive calls: fib(20)", r, 6765);

	asm volatile("call push_ret" : "=a"(r) : : "memory");
	tap_eq("ret to a pushed address", r, 0x600d);

	/* 16-bit PUSHA/POPA (66 60, 66 61): eight words, BX at [sp+8]; the
	 * results go to statics (absolute addresses: ESP moves in between) */
	static uint32_t sp0, sp1, w_bx, bx_out;
	asm volatile("movl %%esp, %[e0]\n\t"
		     "movl $0x11112222, %%ebx\n\t"
		     "pushaw\n\t"
		     "movzwl 8(%%esp), %%ecx\n\t"
		     "movl %%ecx, %[w]\n\t"
		     "xorl %%ebx, %%ebx\n\t"
		     "popaw\n\t"
		     "movl %%esp, %[e1]\n\t"
		     "movl %%ebx, %[b]"
		     : [e0] "=m"(sp0), [e1] "=m"(sp1), [w] "=m"(w_bx), [b] "=m"(bx_out)
		     :
		     : "ebx", "ecx", "memory");
	tap_ok(w_bx == 0x2222 && bx_out == 0x2222 && sp0 == sp1,
	       "16-bit PUSHA/POPA: words on the stack, SP back");

	uint32_t sum = 0;
	for (uint32_t i = 0; i < 4; i++) {
		asm volatile("jmp *1f(,%1,4)\n\t"
			     ".section .rodata\n\t.align 4\n"
			     "1:\t.long 10f, 11f, 12f, 13f\n\t"
			     ".text\n"
			     "10:\taddl $1, %0\n\tjmp 14f\n"
			     "11:\taddl $10, %0\n\tjmp 14f\n"
			     "12:\taddl $100, %0\n\tjmp 14f\n"
			     "13:\taddl $1000, %0\n"
			     "14:"
			     : "+r"(sum)
			     : "r"(i)
			     : "cc");
	}
	tap_eq("jump table through memory", sum, 1111);
}

static void test_far(void)
{
	uint32_t cs, caller, esp0, esp1;
	asm volatile("lcall $0x38, $far_get_cs" : "=a"(cs), "=d"(caller) : : "memory");
	tap_ok(cs == SEL_ALIAS && caller == SEL_KCODE, "far call direct: callee CS, caller CS");
	tap_eq("CS restored by lret", read_cs(), SEL_KCODE);

	static struct far_ptr fp;
	fp.off = (uint32_t)far_get_cs - CODE_BASE;
	fp.sel = SEL_BASED;
	asm volatile("lcall *%2" : "=a"(cs), "=d"(caller) : "m"(fp) : "memory");
	tap_eq("far call through memory into a segment with a base", cs, SEL_BASED);

	asm volatile("movl %%esp, %[e0]\n\t"
		     "pushl $3\n\tpushl $10\n\t"
		     "lcall $0x08, $far_sub_ret8\n\t"
		     "movl %%esp, %[e1]"
		     : "=a"(cs), [e0] "=r"(esp0), [e1] "=r"(esp1)
		     :
		     : "memory", "cc");
	tap_ok(cs == 7 && esp0 == esp1, "lret imm16 pops the arguments");

	asm volatile("call far_jmp_roundtrip" : "=a"(cs) : : "memory");
	tap_eq("far jmp direct, then back through memory", cs, SEL_ALIAS);

	/* A far call to a selector that is not a code segment raises #GP. */
	RT_CATCH("lcall $0x10, $0", : : : "memory");
	tap_fault("far call to a data segment: #GP(selector)", VEC_GP, SEL_KDATA);
	RT_CATCH("lcall $0x48, $0", : : : "memory");
	tap_fault("far call to a not-present code segment: #NP(selector)", VEC_NP, 0x48);
}

void test_main(void)
{
	rt_gdt_set(SEL_ALIAS >> 3, 0, 0xfffff, ACC_CODE0, FLG_G32);
	rt_gdt_set(SEL_BASED >> 3, CODE_BASE, 0xfffff, ACC_CODE0, FLG_G32);
	rt_gdt_set(0x48 >> 3, 0, 0xfffff, ACC_CODE0 & 0x7f, FLG_G32);
	tap_plan(14);
	test_near();
	test_far();
}
