/*
 * Ring 3: entry through IRET, system calls through INT 0x80 with the TSS
 * stack switch (SS0:ESP0), interrupts and exceptions taken from ring 3, and
 * the gate DPL check of INT n.
 */
#include "rt.h"

#define SEL_KDATA_ALIAS 0x38

static uint8_t alt_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t u_cs, u_ss, u_ds, u_esp, u_add, u_ticks_seen;

static uint32_t user_segments(void)
{
	u_cs = read_cs();
	u_ss = read_ss();
	asm volatile("mov %%ds, %0" : "=r"(u_ds));
	return 0x1234;
}

static uint32_t user_note(void)
{
	asm volatile("movl %%esp, %0\n\tint $0x80" : "=m"(u_esp) : "a"(RT_SYS_NOTE) : "memory");
	u_add = rt_syscall(RT_SYS_ADD, 5, 7);
	return 0xdeadbeef;
}

static volatile uint32_t irq_cs, irq_frame;

static void tick_hook(struct rt_frame *f)
{
	rt_ticks++;
	irq_cs = f->cs;
	irq_frame = (uint32_t)&f->eip;
}

static uint32_t user_wait_tick(void)
{
	uint32_t start = rt_ticks;
	for (uint32_t i = 0; i < 100000000 && rt_ticks == start; i++)
		;
	u_ticks_seen = rt_ticks - start;
	return read_eflags() & FL_IF;
}

static uint32_t user_faults(void)
{
	uint32_t bad = 0;
	RT_CATCH("ud2", : : : "memory");
	bad |= (rt_fault.vector != VEC_UD || (rt_fault.cs & 3) != 3) << 0;
	RT_CATCH("int3", : : : "memory");
	bad |= (rt_fault.vector != VEC_BP) << 1;
	RT_CATCH("int $0x81", : : : "memory");
	bad |= (rt_fault.vector != VEC_GP || rt_fault.err != 0x81 * 8 + 2) << 2;
	RT_CATCH("int $0x80", : : "a"(99) : "memory");
	bad |= (rt_fault.vector != NO_FAULT) << 3;
	return bad;
}

static void test_entry(void)
{
	uint32_t r = rt_user_call(user_segments, 0x2);
	tap_eq("user function return value comes back", r, 0x1234);
	tap_eq("CS at ring 3 has RPL 3", u_cs, SEL_UCODE);
	tap_eq("SS at ring 3 is the user data segment", u_ss, SEL_UDATA);
	tap_eq("DS at ring 3 is the user data segment", u_ds, SEL_UDATA);
	tap_ok(read_cs() == SEL_KCODE && read_ss() == SEL_KDATA,
	       "back at ring 0 with kernel CS/SS");
}

static void test_syscall(void)
{
	rt_sys_note.count = 0;
	uint32_t r = rt_user_call(user_note, 0x2);
	tap_eq("value through SYS_EXIT", r, 0xdeadbeef);
	tap_eq("INT 0x80 frame sits at TSS ESP0 - 20", rt_sys_note.frame,
	       (uint32_t)rt_kstack_top - 20);
	tap_ok(rt_sys_note.cs == SEL_UCODE && rt_sys_note.user_ss == SEL_UDATA,
	       "frame holds the user CS and SS");
	tap_eq("frame holds the user ESP", rt_sys_note.user_esp, u_esp);
	tap_eq("kernel SS from TSS SS0", rt_sys_note.kernel_ss, SEL_KDATA);
	tap_eq("system call result in EAX", u_add, 12);

	rt_tss.esp0 = (uint32_t)alt_stack + sizeof(alt_stack);
	rt_tss.ss0 = SEL_KDATA_ALIAS;
	r = rt_user_call(user_note, 0x2);
	rt_tss.esp0 = (uint32_t)rt_kstack_top;
	rt_tss.ss0 = SEL_KDATA;
	tap_eq("a new ESP0 is used by the next trap", rt_sys_note.frame,
	       (uint32_t)alt_stack + sizeof(alt_stack) - 20);
	tap_eq("a new SS0 is used by the next trap", rt_sys_note.kernel_ss, SEL_KDATA_ALIAS);
	tap_ok(r == 0xdeadbeef && read_ss() == SEL_KDATA, "kernel SS restored after the return");
}

static void test_irq_in_user(void)
{
	rt_irq_set(0, tick_hook);
	pit_set_rate(1000);
	pic_unmask(0);
	uint32_t iflag = rt_user_call(user_wait_tick, 0x202);
	pic_mask(0);
	rt_irq_set(0, NULL);
	tap_ok(u_ticks_seen >= 1 && iflag, "timer interrupts reach ring 3 code with IF=1");
	tap_eq("interrupted CS was ring 3", irq_cs, SEL_UCODE);
	tap_eq("interrupt frame at ESP0 - 20", irq_frame, (uint32_t)rt_kstack_top - 20);
}

void test_main(void)
{
	rt_gdt_set(SEL_KDATA_ALIAS >> 3, 0, 0xfffff, ACC_DATA0, FLG_G32);
	tap_plan(18);
	test_entry();
	test_syscall();
	test_irq_in_user();
	tap_eq("ud2, int3, int $0x81 (DPL 0 gate), int $0x80 from ring 3",
	       rt_user_call(user_faults, 0x2), 0);
}
