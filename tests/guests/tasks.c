/*
 * Hardware task switches: a far CALL to a TSS (the new task sees NT and
 * the back link, IRET returns), a far JMP to a TSS and back by JMP (no
 * link, busy bits moving with the running task), INT n through a task
 * gate, and the double fault of old kernels through a task gate: a #GP
 * whose IDT gate is not present becomes a #DF, which switches to a task
 * with its own stack that finds the error code there and sends the broken
 * task on to a recovery point.
 */
#include "rt.h"

#define SEL_B	 (8u * GDT_FIRST_FREE)
#define SEL_C	 (8u * (GDT_FIRST_FREE + 1))
#define SEL_GATE (8u * (GDT_FIRST_FREE + 2)) /* a task gate to B in the GDT */
#define VEC_TASK 0x2f
#define TSS_BUSY 0x2

static struct rt_tss tss_b, tss_c;
static uint8_t stack_b[4096] __attribute__((aligned(16)));
static uint8_t stack_c[4096] __attribute__((aligned(16)));
volatile uint32_t b_count, b_flags, b_tr, c_count, c_err, c_tr, c_link;
extern void task_b(void), task_c(void), recovered(void);

/* Task B: count, note EFLAGS and TR; return by IRET when called (NT), by
 * JMP to the runtime's task otherwise.  Entered again, it starts over.
 * Task C (the #DF handler): take the error code, note TR and the back
 * link, point the broken task at `recovered`, IRET to it. */
asm(".text\n"
    "task_b:\n"
    "	incl b_count\n"
    "	pushfl\n"
    "	popl b_flags\n"
    "	str b_tr\n"
    "	testl $0x4000, b_flags\n"
    "	jz 1f\n"
    "	iret\n"
    "	jmp task_b\n"
    "1:	ljmp $0x28, $0\n"
    "	jmp task_b\n"
    "task_c:\n"
    "	popl c_err\n"
    "	incl c_count\n"
    "	str c_tr\n"
    "	movzwl tss_c, %eax\n"
    "	movl %eax, c_link\n"
    "	movl $recovered, rt_tss + 0x20\n"
    "	iret\n"
    "	jmp task_c\n");

/* tss_init: a ring-0 task that starts at entry on its own stack. */
static void tss_init(struct rt_tss *t, void (*entry)(void), uint8_t *stack, unsigned size)
{
	memset(t, 0, sizeof(*t));
	t->eip = (uint32_t)entry;
	t->esp = (uint32_t)stack + size;
	t->eflags = 0x2;
	t->cs = SEL_KCODE;
	t->ss = t->ds = t->es = t->fs = t->gs = SEL_KDATA;
	t->cr3 = read_cr3();
	t->iomap_base = sizeof(*t);
}

/* tss_type: the type field of GDT entry sel. */
static unsigned tss_type(uint16_t sel)
{
	return (unsigned)(rt_gdt[sel / 8] >> 40) & 0xf;
}

static void test_call(void)
{
	uint32_t ebx = 0x12345678, out;

	asm volatile("lcall %1, $0\n\tmovl %%ebx, %0"
		     : "=r"(out)
		     : "i"(SEL_B), "b"(ebx)
		     : "memory");
	tap_eq("CALL to a TSS runs the task", b_count, 1);
	tap_ok(b_flags & (1u << 14), "  the called task has NT set");
	tap_eq("  TR is the new task", b_tr, SEL_B);
	tap_eq("  its back link names the caller", tss_b.link, SEL_TSS);
	tap_eq("IRET returned, the caller's registers intact", out, ebx);
	tap_ok(tss_type(SEL_B) == 9 && tss_type(SEL_TSS) == 11, "busy: the caller again, not B");
}

static void test_jmp(void)
{
	asm volatile("ljmp %0, $0" : : "i"(SEL_B) : "memory");
	tap_eq("JMP to a TSS runs the task", b_count, 2);
	tap_ok(!(b_flags & (1u << 14)), "  without NT");
	tap_ok(tss_type(SEL_B) == 9 && tss_type(SEL_TSS) == 11,
	       "  and the JMP back moved busy back");
}

static void test_int_gate(void)
{
	rt_idt_set_gate(VEC_TASK, 0, SEL_B, 0x85); /* present task gate, DPL0 */
	asm volatile("int %0" : : "i"(VEC_TASK) : "memory");
	tap_eq("INT through a task gate runs the task", b_count, 3);
	tap_ok(b_flags & (1u << 14), "  nested (NT), back by IRET");
	rt_gdt[SEL_GATE / 8] = (uint64_t)SEL_B << 16 | 0x85ull << 40;
	asm volatile("lcall %0, $0" : : "i"(SEL_GATE) : "memory");
	tap_eq("CALL through a task gate in the GDT too", b_count, 4);
}

static void test_double_fault(void)
{
	uint64_t gp = rt_idt[13];

	rt_idt_set_gate(8, 0, SEL_C, 0x85);
	rt_idt[13] &= ~(1ull << 47); /* #GP's gate not present */
	asm volatile("movw $0x7ff8, %%ax\n\t"
		     "movw %%ax, %%ds\n\t" /* #GP, then #NP: double fault */
		     "jmp 1f\n"
		     "recovered:\n\t"
		     "movw %0, %%ax\n\t"
		     "movw %%ax, %%ds\n"
		     "1:"
		     :
		     : "i"(SEL_KDATA)
		     : "eax", "memory");
	rt_idt[13] = gp;
	tap_eq("#GP with its gate not present: #DF through the task gate", c_count, 1);
	tap_eq("  the #DF task runs with its own TR", c_tr, SEL_C);
	tap_eq("  the error code 0 was on its stack", c_err, 0);
	tap_eq("  its back link names the faulting task", c_link, SEL_TSS);
	tap_ok(read_cr0() & (1u << 3), "CR0.TS is set by a task switch");
	asm volatile("clts");
}

void test_main(void)
{
	tap_plan(17);
	tss_init(&tss_b, task_b, stack_b, sizeof(stack_b));
	tss_init(&tss_c, task_c, stack_c, sizeof(stack_c));
	rt_gdt_set(SEL_B / 8, (uint32_t)&tss_b, 0x67, 0x89, 0);
	rt_gdt_set(SEL_C / 8, (uint32_t)&tss_c, 0x67, 0x89, 0);
	test_call();
	test_jmp();
	test_int_gate();
	test_double_fault();
}
