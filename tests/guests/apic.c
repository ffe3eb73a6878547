/*
 * The local APIC and the IOAPIC: CPUID and IA32_APIC_BASE, the version
 * registers, software enable, a self-IPI taken and ended with EOI, TPR
 * holding a vector in IRR until lowered, the LVT timer in one-shot and
 * periodic mode (and TSC-deadline where CPUID offers it), the error
 * status register, and the PIT's IRQ0 routed through IOAPIC pin 2 with the
 * 8259s masked.  The 8259 vectors 0x20-0x2f serve the APIC here.
 */
#include "rt.h"

#define LAPIC	 0xfee00000u
#define IOAPIC	 0xfec00000u
#define V_IPI	 0x2a /* priority class 2 */
#define V_TIMER	 0x2b
#define V_PIT	 0x2c
#define SPIN_MAX 30000000u

static volatile uint32_t hits[256];

static uint32_t lapic_rd(uint32_t reg)
{
	return *(volatile uint32_t *)(LAPIC + reg);
}

static void lapic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC + reg) = v;
}

static uint32_t ioapic_rd(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

static void ioapic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

/* on_vector: count the interrupt, end it at the local APIC. */
static void on_vector(struct rt_frame *f)
{
	hits[f->vector & 0xff]++;
	lapic_wr(0xb0, 0);
}

/* wait_hits: spin with IF=1 until vector v was taken n times. */
static int wait_hits(unsigned v, uint32_t n)
{
	for (uint32_t i = 0; i < SPIN_MAX; i++) {
		if (hits[v] >= n)
			return 1;
		asm volatile("sti; nop; cli");
	}
	return 0;
}

static void test_identity(void)
{
	uint32_t r[4];

	cpuid(1, r);
	tap_ok(r[3] & (1u << 9), "CPUID.1:EDX says APIC");
	uint64_t base = rdmsr(0x1b);
	tap_ok((base & ~0xfffull) == LAPIC && (base & 0x900) == 0x900,
	       "IA32_APIC_BASE: 0xfee00000, enabled, BSP");
	tap_eq("APIC version 0x14 with six LVT entries", lapic_rd(0x30) & 0xff00ff, 0x50014);
	uint32_t iov = ioapic_rd(1);
	tap_ok((iov & 0xff0000) == 0x170000 && ((iov & 0xff) == 0x11 || (iov & 0xff) == 0x20),
	       "IOAPIC: 24 pins, version 0x11 (82093AA) or 0x20");
}

static void test_ipi(void)
{
	lapic_wr(0xf0, 0x1ff);		  /* software enable, spurious vector 0xff */
	lapic_wr(0x80, 0);		  /* TPR */
	lapic_wr(0x300, 0x40000 | V_IPI); /* self, fixed */
	tap_ok(wait_hits(V_IPI, 1) && hits[V_IPI] == 1, "self-IPI taken once");
	tap_eq("  ISR empty after its EOI", lapic_rd(0x100 + (V_IPI / 32) * 0x10), 0);
	tap_eq("  ICR delivery status idle", lapic_rd(0x300) & (1u << 12), 0);

	lapic_wr(0x80, 0x20); /* TPR class 2 holds class 2 back */
	lapic_wr(0x300, 0x40000 | V_IPI);
	for (int i = 0; i < 200000; i++) /* a while: it must not come */
		asm volatile("sti; nop; cli");
	tap_eq("TPR 0x20 holds vector 0x2a back", hits[V_IPI], 1);
	tap_ok(lapic_rd(0x200 + (V_IPI / 32) * 0x10) & (1u << (V_IPI % 32)), "  it waits in IRR");
	lapic_wr(0x80, 0x10);
	tap_ok(wait_hits(V_IPI, 2) && hits[V_IPI] == 2, "lowering TPR delivers it");
	lapic_wr(0x80, 0);
}

static void test_timer(void)
{
	lapic_wr(0x3e0, 0xb);	  /* divide by 1 */
	lapic_wr(0x320, V_TIMER); /* one-shot */
	lapic_wr(0x380, 1000000); /* initial count */
	uint32_t c1 = lapic_rd(0x390);
	tap_ok(c1 > 0 && c1 <= 1000000, "one-shot: the current count runs down");
	tap_ok(wait_hits(V_TIMER, 1), "one-shot: the interrupt comes");
	tap_eq("  and the count stays at 0", lapic_rd(0x390), 0);

	hits[V_TIMER] = 0;
	lapic_wr(0x320, V_TIMER | (1u << 17)); /* periodic */
	lapic_wr(0x380, 200000);
	tap_ok(wait_hits(V_TIMER, 5), "periodic: five interrupts");
	lapic_wr(0x320, V_TIMER | (1u << 16)); /* masked */
	lapic_wr(0x380, 0);

	uint32_t r[4];
	cpuid(1, r);
	int ok = 1;
	if (r[2] & (1u << 24)) { /* TSC-deadline */
		hits[V_TIMER] = 0;
		lapic_wr(0x320, V_TIMER | (2u << 17));
		wrmsr(0x6e0, rdtsc() + 2000000);
		ok = wait_hits(V_TIMER, 1) && rdmsr(0x6e0) == 0;
		lapic_wr(0x320, V_TIMER | (1u << 16));
	}
	tap_ok(ok, "TSC-deadline mode fires and disarms (where CPUID offers it)");
}

static void test_esr(void)
{
	lapic_wr(0x280, 0);
	tap_eq("ESR reads 0 with no error", lapic_rd(0x280), 0);
}

static void test_ioapic_pit(void)
{
	outb(0x21, 0xff); /* the 8259s out of the way */
	outb(0xa1, 0xff);
	ioapic_wr(0x10 + 2 * 2 + 1, 0); /* pin 2: to APIC 0 */
	ioapic_wr(0x10 + 2 * 2, V_PIT); /* fixed, edge, active high, unmasked */
	tap_eq("IOAPIC pin 2 entry reads back", ioapic_rd(0x10 + 2 * 2) & 0x1ffff, V_PIT);
	pit_set_rate(1000);
	tap_ok(wait_hits(V_PIT, 10), "PIT IRQ0 arrives through IOAPIC pin 2");
	ioapic_wr(0x10 + 2 * 2, V_PIT | (1u << 16));
	uint32_t n = hits[V_PIT];
	for (int i = 0; i < 200000; i++)
		asm volatile("sti; nop; cli");
	tap_ok(hits[V_PIT] <= n + 1, "  and stops when the pin is masked");
}

void test_main(void)
{
	tap_plan(19);
	rt_set_handler(V_IPI, on_vector);
	rt_set_handler(V_TIMER, on_vector);
	rt_set_handler(V_PIT, on_vector);
	test_identity();
	test_ipi();
	test_timer();
	test_esr();
	test_ioapic_pit();
	lapic_wr(0xf0, 0xff); /* software disable again */
}
