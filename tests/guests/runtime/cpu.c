/*
 * Descriptor tables, trap dispatch, PIC and PIT of the guest runtime.
 */
#include "rt.h"

#define MB_BOOT_MAGIC 0x2BADB002

uint64_t rt_gdt[GDT_ENTRIES] __attribute__((aligned(16)));
uint64_t rt_ldt[LDT_ENTRIES] __attribute__((aligned(16)));
uint64_t rt_idt[256] __attribute__((aligned(16)));
struct rt_tss rt_tss __attribute__((aligned(128)));
struct multiboot_info *rt_mbi;

volatile struct rt_fault_rec rt_fault;
volatile uint32_t rt_catch_next;
volatile uint32_t rt_catch_skip;
volatile uint32_t rt_ticks;
volatile struct rt_sys_note rt_sys_note;
volatile uint32_t rt_user_exit_value;

static rt_handler_fn vec_hooks[256];
static rt_handler_fn irq_hooks[16];
extern const uint32_t rt_isr_table[48];
extern void rt_isr128(void), rt_isr129(void);

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

/* Encodes a segment descriptor. LIMIT is the raw 20-bit field. */
uint64_t rt_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint64_t d = limit & 0xffff;
	d |= (uint64_t)(base & 0xffffff) << 16;
	d |= (uint64_t)access << 40;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(flags & 0xf) << 52;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

/* Fills GDT slot IDX. */
void rt_gdt_set(unsigned idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	if (idx >= GDT_ENTRIES)
		tap_bail("GDT index %u out of range", idx);
	rt_gdt[idx] = rt_desc(base, limit, access, flags);
}

/* Fills LDT slot IDX. */
void rt_ldt_set(unsigned idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	if (idx >= LDT_ENTRIES)
		tap_bail("LDT index %u out of range", idx);
	rt_ldt[idx] = rt_desc(base, limit, access, flags);
}

/* Points GDT slot SEL_LDT at rt_ldt and loads LDTR. */
void rt_ldt_load(void)
{
	rt_gdt[SEL_LDT >> 3] = rt_desc((uint32_t)rt_ldt, sizeof(rt_ldt) - 1, 0x82, 0);
	asm volatile("lldt %w0" : : "r"(SEL_LDT));
}

/* Sets or clears the bitmap bit of PORT (bit set = access denied). */
void rt_io_allow(uint16_t port, int allow)
{
	if (allow)
		rt_tss.iomap[port >> 3] &= (uint8_t) ~(1u << (port & 7));
	else
		rt_tss.iomap[port >> 3] |= (uint8_t)(1u << (port & 7));
}

/* Installs an IDT gate. */
void rt_idt_set_gate(unsigned vector, uint32_t offset, uint16_t sel, uint8_t type_attr)
{
	rt_idt[vector & 0xff] = (offset & 0xffff) | ((uint64_t)sel << 16) |
				((uint64_t)type_attr << 40) | ((uint64_t)(offset >> 16) << 48);
}

/* Rewrites the DPL field of gate VECTOR. */
void rt_idt_set_dpl(unsigned vector, unsigned dpl)
{
	rt_idt[vector & 0xff] &= ~(3ull << 45);
	rt_idt[vector & 0xff] |= (uint64_t)(dpl & 3) << 45;
}

/* Hooks VECTOR; NULL restores the default behaviour. */
void rt_set_handler(unsigned vector, rt_handler_fn fn)
{
	vec_hooks[vector & 0xff] = fn;
}

/* Hooks IRQ; the runtime sends the EOI after FN returns. */
void rt_irq_set(unsigned irq, rt_handler_fn fn)
{
	irq_hooks[irq & 15] = fn;
}

/* Clears the fault record (vector NO_FAULT). */
void rt_fault_clear(void)
{
	rt_fault.vector = NO_FAULT;
	rt_fault.err = 0;
	rt_fault.cr2 = 0;
	rt_fault.eip = 0;
	rt_fault.cs = 0;
}

/* Checks that the last caught fault was VECTOR with error code ERR. */
int tap_fault(const char *desc, uint32_t vector, uint32_t err)
{
	int good = rt_fault.vector == vector && rt_fault.err == err;
	if (tap_ok(good, "%s", desc))
		return 1;
	if (rt_fault.vector == NO_FAULT)
		tap_diag("  no exception, expected vector %u error 0x%x", vector, err);
	else
		tap_diag("  got vector %u error 0x%x, expected vector %u error 0x%x",
			 rt_fault.vector, rt_fault.err, vector, err);
	return 0;
}

/* Checks that the last RT_CATCH raised nothing. */
int tap_nofault(const char *desc)
{
	if (tap_ok(rt_fault.vector == NO_FAULT, "%s", desc))
		return 1;
	tap_diag("  unexpected vector %u error 0x%x", rt_fault.vector, rt_fault.err);
	return 0;
}

/* Exceptions without a hook: record and resume if a catch is armed,
 * otherwise abort the run. */
static void trap_exception(struct rt_frame *f)
{
	rt_fault.vector = f->vector;
	rt_fault.err = f->err;
	rt_fault.eip = f->eip;
	rt_fault.cs = f->cs;
	rt_fault.cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	rt_fault.count++;
	rt_fault.next = rt_catch_next;
	if (rt_catch_next) {
		f->eip = rt_catch_next;
		rt_catch_next = 0;
	} else if (rt_catch_skip) {
		f->eip += rt_catch_skip;
		rt_catch_skip = 0;
	} else {
		tap_bail("unexpected exception %u, error 0x%x, at %04x:%08x", f->vector, f->err,
			 f->cs, f->eip);
	}
}

/* System calls from ring 3; returns 1 to unwind to rt_user_call. */
static int trap_syscall(struct rt_frame *f)
{
	switch (f->eax) {
	case RT_SYS_EXIT:
		rt_user_exit_value = f->ebx;
		return 1;
	case RT_SYS_NOTE:
		rt_sys_note.frame = (uint32_t)&f->eip;
		rt_sys_note.cs = f->cs;
		rt_sys_note.eflags = f->eflags;
		rt_sys_note.user_esp = f->user_esp;
		rt_sys_note.user_ss = f->user_ss;
		rt_sys_note.kernel_ss = read_ss();
		rt_sys_note.count++;
		return 0;
	case RT_SYS_ADD:
		f->eax = f->ebx + f->ecx;
		return 0;
	default:
		f->eax = 0xffffffff;
		return 0;
	}
}

/* Called by the common stub for every vector. */
int rt_trap(struct rt_frame *f)
{
	unsigned v = f->vector;
	if (vec_hooks[v]) {
		vec_hooks[v](f);
		return 0;
	}
	if (v < 32) {
		trap_exception(f);
	} else if (v < 48) {
		unsigned irq = v - 32;
		if (irq_hooks[irq])
			irq_hooks[irq](f);
		else if (irq == 0)
			rt_ticks++;
		if ((irq & 7) != 7)
			pic_eoi(irq);
	} else if (v == VEC_SYSCALL) {
		return trap_syscall(f);
	} else {
		tap_bail("unexpected interrupt vector %u", v);
	}
	return 0;
}

/* 8259A pair: ICW1-4, master at 0x20, slave at 0x28, all lines masked
 * except the cascade. */
void pic_remap(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xfb);
	outb(0xa1, 0xff);
}

/* Masks one IRQ line. */
void pic_mask(unsigned irq)
{
	uint16_t port = irq < 8 ? 0x21 : 0xa1;
	outb(port, inb(port) | (uint8_t)(1u << (irq & 7)));
}

/* Unmasks one IRQ line. */
void pic_unmask(unsigned irq)
{
	uint16_t port = irq < 8 ? 0x21 : 0xa1;
	outb(port, inb(port) & (uint8_t) ~(1u << (irq & 7)));
}

/* Non-specific EOI to the controller(s) serving IRQ. */
void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* Master interrupt request register (OCW3 read IRR). */
uint8_t pic_read_irr(void)
{
	outb(0x20, 0x0a);
	return inb(0x20);
}

/* PIT channel 0, mode 2, binary, divisor 1193182 / HZ. */
void pit_set_rate(unsigned hz)
{
	uint32_t div = 1193182u / hz;
	if (div > 0xffff)
		div = 0xffff;
	outb(0x43, 0x34);
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
}

static void gdt_init(void)
{
	struct dtr d = {sizeof(rt_gdt) - 1, (uint32_t)rt_gdt};
	rt_gdt[0] = 0;
	rt_gdt[1] = rt_desc(0, 0xfffff, ACC_CODE0, FLG_G32);
	rt_gdt[2] = rt_desc(0, 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt[3] = rt_desc(0, 0xfffff, ACC_CODE3, FLG_G32);
	rt_gdt[4] = rt_desc(0, 0xfffff, ACC_DATA3, FLG_G32);
	rt_gdt[5] = rt_desc((uint32_t)&rt_tss, sizeof(rt_tss) - 1, 0x89, 0);
	rt_gdt[6] = rt_desc((uint32_t)rt_ldt, sizeof(rt_ldt) - 1, 0x82, 0);
	asm volatile("lgdt %0\n\t"
		     "ljmp $0x08, $1f\n"
		     "1:\n\t"
		     "mov %1, %%ds\n\t"
		     "mov %1, %%es\n\t"
		     "mov %1, %%fs\n\t"
		     "mov %1, %%gs\n\t"
		     "mov %1, %%ss"
		     :
		     : "m"(d), "r"(SEL_KDATA)
		     : "memory");
}

static void tss_init(void)
{
	memset(&rt_tss, 0, sizeof(rt_tss));
	rt_tss.ss0 = SEL_KDATA;
	rt_tss.esp0 = (uint32_t)rt_kstack_top;
	rt_tss.iomap_base = offsetof(struct rt_tss, iomap);
	memset(rt_tss.iomap, 0xff, sizeof(rt_tss.iomap));
	rt_tss.iomap_end = 0xff;
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
}

static void idt_init(void)
{
	struct dtr d = {sizeof(rt_idt) - 1, (uint32_t)rt_idt};
	for (unsigned v = 0; v < 48; v++)
		rt_idt_set_gate(v, rt_isr_table[v], SEL_KCODE, 0x8e);
	rt_idt_set_dpl(VEC_BP, 3);
	rt_idt_set_dpl(VEC_OF, 3);
	rt_idt_set_gate(VEC_SYSCALL, (uint32_t)rt_isr128, SEL_KCODE, 0xee);
	rt_idt_set_gate(VEC_PRIV_GATE, (uint32_t)rt_isr129, SEL_KCODE, 0x8e);
	asm volatile("lidt %0" : : "m"(d));
}

/* x87 on, EM off, native FPU errors; leaves the FPU initialised. */
static void fpu_init(void)
{
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	asm volatile("fninit");
}

/* C entry from _start: sets up the machine and runs the guest. */
void rt_main(uint32_t magic, struct multiboot_info *mbi)
{
	serial_init();
	rt_mbi = magic == MB_BOOT_MAGIC ? mbi : NULL;
	gdt_init();
	tss_init();
	idt_init();
	pic_remap();
	fpu_init();
	rt_fault_clear();
	test_main();
	tap_done();
}
