/*
 * test_cpu_fixture.h - a minimal machine for the cpu-layer unit tests: RAM
 * and empty buses, no devices.  Weak stand-ins for the machine functions
 * the cpu layer calls (the real ones win when linked in), a flat GDT with
 * ring-0 and ring-3 segments, an IDT, a 32-bit TSS with an I/O bitmap.
 */
#ifndef TEST_CPU_FIXTURE_H
#define TEST_CPU_FIXTURE_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor/x86/cpu.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

#define GDT_BASE  0x1000u
#define IDT_BASE  0x2000u
#define TSS_BASE  0x3000u /* 104 bytes + 8 KiB bitmap + 1 */
#define TSS_LIMIT (104u + 8192u)
#define STACK0	  0x9000u
#define STACK3	  0x8000u

/* GDT selectors. */
#define SEL_CODE0   0x08
#define SEL_DATA0   0x10
#define SEL_CODE3   0x1b
#define SEL_DATA3   0x23
#define SEL_TSS	    0x28
#define SEL_XCODE0  0x30 /* execute-only ring-0 code */
#define SEL_GATE3   0x3b /* call gate, DPL3, to SEL_CODE0:gate_target */
#define SEL_NP	    0x40 /* data, not present */
#define SEL_SMALL   0x48 /* ring-0 data, limit 0xfff */
#define SEL_RO0	    0x50 /* ring-0 read-only data */
#define SEL_CONF0   0x58 /* conforming ring-0 code */
#define SEL_DATA1   0x61 /* ring-1 data */
#define GATE_TARGET 0x7000u

static struct machine M;
static struct vcpu *V;

/* Weak stand-ins for the machine layer. */
__attribute__((weak)) void machine_request_exit(struct machine *m, enum exit_reason r, int status,
						const char *fmt, ...)
{
	va_list ap;

	if (m->exit.reason != EXIT_NONE)
		return;
	m->exit.reason = r;
	m->exit.status = status;
	va_start(ap, fmt);
	vsnprintf(m->exit.message, sizeof(m->exit.message), fmt, ap);
	va_end(ap);
}

static int test_intr_vector = -1;
static uint16_t test_out_port;
static uint32_t test_out_val;
static unsigned test_in_count;

__attribute__((weak)) bool machine_intr_pending(struct machine *m)
{
	return test_intr_vector >= 0;
}

__attribute__((weak)) int machine_intr_ack(struct machine *m)
{
	int v = test_intr_vector;

	test_intr_vector = -1;
	return v;
}

__attribute__((weak)) uint32_t machine_io_in(struct machine *m, uint16_t port, unsigned size)
{
	test_in_count++;
	return 0x11223344u + port;
}

__attribute__((weak)) void machine_io_out(struct machine *m, uint16_t port, unsigned size,
					  uint32_t value)
{
	test_out_port = port;
	test_out_val = value;
}

/* The board's local APIC hooks of the MSRs: no APIC in this fixture. */
static uint64_t test_tsc_deadline;

__attribute__((weak)) void board_apic_base(struct machine *m, uint64_t val)
{
}

__attribute__((weak)) void board_tsc_deadline(struct machine *m, uint64_t tsc, uint64_t at_ns)
{
	test_tsc_deadline = tsc;
}

__attribute__((weak)) uint64_t board_tsc_deadline_value(struct machine *m)
{
	return test_tsc_deadline;
}

/* make_desc: a code/data/system descriptor from its fields. */
static inline uint64_t make_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

/* make_gate: an IDT/call gate (type 0xe int32, 0xf trap32, 0xc call32). */
static inline uint64_t make_gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl,
				 unsigned params)
{
	return (uint64_t)(off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)params << 32) |
	       ((uint64_t)(0x80 | (dpl << 5) | type) << 40) | ((uint64_t)(off >> 16) << 48);
}

static inline void wr8(uint32_t gpa, uint8_t v)
{
	ck_assert_int_eq(ram_write(&M.ram, gpa, &v, 1), 0);
}
static inline void wr16(uint32_t gpa, uint16_t v)
{
	ck_assert_int_eq(ram_write(&M.ram, gpa, &v, 2), 0);
}
static inline void wr32(uint32_t gpa, uint32_t v)
{
	ck_assert_int_eq(ram_write(&M.ram, gpa, &v, 4), 0);
}
static inline void wr64(uint32_t gpa, uint64_t v)
{
	ck_assert_int_eq(ram_write(&M.ram, gpa, &v, 8), 0);
}
static inline uint32_t rd32(uint32_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(ram_read(&M.ram, gpa, &v, 4), 0);
	return v;
}
static inline uint64_t rd64(uint32_t gpa)
{
	uint64_t v;

	ck_assert_int_eq(ram_read(&M.ram, gpa, &v, 8), 0);
	return v;
}

static inline void gdt_set(uint16_t sel, uint64_t d)
{
	wr64(GDT_BASE + (sel & ~7u), d);
}

static inline void idt_set(int vec, uint64_t g)
{
	wr64(IDT_BASE + vec * 8, g);
}

/* fixture_setup: 16 MiB of RAM, flat CPL0 protected mode, the GDT, an IDT
 * whose vectors all go to SEL_CODE0:0x5000+vec*16 through interrupt gates
 * of DPL0, the TSS loaded (ESP0 = STACK0, SS0 = SEL_DATA0; the I/O bitmap
 * denies everything). */
static inline void fixture_setup(void)
{
	memset(&M, 0, sizeof(M));
	ck_assert_int_eq(ram_init(&M.ram, 16u << 20), 0);
	bus_init(&M.io, "io");
	bus_init(&M.mmio, "mmio");
	M.vcpu.machine = &M;
	V = &M.vcpu;
	vcpu_set_flat32(V, SEL_CODE0, SEL_DATA0);
	test_intr_vector = -1;

	gdt_set(SEL_CODE0, make_desc(0, 0xfffff, 0x9a, 0xc));
	gdt_set(SEL_DATA0, make_desc(0, 0xfffff, 0x92, 0xc));
	gdt_set(SEL_CODE3, make_desc(0, 0xfffff, 0xfa, 0xc));
	gdt_set(SEL_DATA3, make_desc(0, 0xfffff, 0xf2, 0xc));
	gdt_set(SEL_TSS, make_desc(TSS_BASE, TSS_LIMIT, 0x89, 0));
	gdt_set(SEL_XCODE0, make_desc(0, 0xfffff, 0x98, 0xc));
	gdt_set(SEL_GATE3, make_gate(SEL_CODE0, GATE_TARGET, 0xc, 3, 0));
	gdt_set(SEL_NP, make_desc(0, 0xfffff, 0x12, 0xc));
	gdt_set(SEL_SMALL, make_desc(0x100000, 0xfff, 0x92, 0x4));
	gdt_set(SEL_RO0, make_desc(0, 0xfffff, 0x90, 0xc));
	gdt_set(SEL_CONF0, make_desc(0, 0xfffff, 0x9e, 0xc));
	gdt_set(SEL_DATA1, make_desc(0, 0xfffff, 0xb2, 0xc));
	V->gdtr.base = GDT_BASE;
	V->gdtr.limit = 0x67;
	for (int i = 0; i < 256; i++)
		idt_set(i, make_gate(SEL_CODE0, 0x5000 + i * 16, 0xe, 0, 0));
	V->idtr.base = IDT_BASE;
	V->idtr.limit = 256 * 8 - 1;
	wr32(TSS_BASE + 4, STACK0);
	wr16(TSS_BASE + 8, SEL_DATA0);
	wr16(TSS_BASE + 102, 104);
	for (unsigned i = 0; i <= 8192; i++)
		wr8(TSS_BASE + 104 + i, 0xff);
	ck_assert_int_eq(cpu_ltr(V, SEL_TSS), 0);
	V->gpr[R_ESP] = STACK0;
}

static inline void fixture_teardown(void)
{
	ram_destroy(&M.ram);
	bus_destroy(&M.io);
	bus_destroy(&M.mmio);
}

/* enter_cpl3: switch the vCPU to flat ring 3 with ESP = STACK3. */
static inline void enter_cpl3(void)
{
	uint64_t c = make_desc(0, 0xfffff, 0xfb, 0xc), d = make_desc(0, 0xfffff, 0xf3, 0xc);

	cpu_desc_to_seg(c, SEL_CODE3, &V->seg[S_CS]);
	for (int s = 0; s < S_NR; s++)
		if (s != S_CS)
			cpu_desc_to_seg(d, SEL_DATA3, &V->seg[s]);
	V->cpl = 3;
	V->gpr[R_ESP] = STACK3;
}

/* expect_exc: the pending exception is vector (with err when has_err). */
#define expect_exc(vec, has, e)                                                                    \
	do {                                                                                       \
		ck_assert(V->exc.valid);                                                           \
		ck_assert_int_eq(V->exc.vector, (vec));                                            \
		ck_assert_int_eq(V->exc.has_err, (has));                                           \
		if (has)                                                                           \
			ck_assert_uint_eq(V->exc.err, (e));                                        \
		V->exc.valid = false;                                                              \
	} while (0)

/* run_suite: run one suite, return the process exit status. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
