/* test_dev_apic.c - the local APIC and the IOAPIC through their registers:
 * priorities (TPR/PPR/ISR), EOI, the ICR's destinations, software disable,
 * the timer's count and modes, the ESR, IOAPIC edge and level pins with
 * remote IRR and the EOI broadcast, masking, logical destinations, and
 * the 8259's pass-through on LINT0. */
#include <stdlib.h>

#include "test_dev_harness.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"

static struct lapic *a;
static struct ioapic *io;

/* test_eoi: the APIC's EOI broadcast, to the IOAPIC made after it. */
static void test_eoi(void *opaque, uint8_t vector)
{
	(void)opaque;
	ioapic_eoi(io, vector);
}

static void setup(void)
{
	dev_machine_init(16 * MiB);
	a = lapic_create(machine_devhost(&m), test_eoi, NULL);
	io = ioapic_create(machine_devhost(&m), a);
}

static void teardown(void)
{
	dev_machine_fini();
}

static uint32_t rd(uint32_t reg)
{
	return (uint32_t)bus_read(&m.mmio, LAPIC_BASE + reg, 4);
}

static void wr(uint32_t reg, uint32_t v)
{
	bus_write(&m.mmio, LAPIC_BASE + reg, 4, v);
}

static void io_wr(uint32_t reg, uint32_t v)
{
	bus_write(&m.mmio, IOAPIC_BASE, 4, reg);
	bus_write(&m.mmio, IOAPIC_BASE + 0x10, 4, v);
}

static uint32_t io_rd(uint32_t reg)
{
	bus_write(&m.mmio, IOAPIC_BASE, 4, reg);
	return (uint32_t)bus_read(&m.mmio, IOAPIC_BASE + 0x10, 4);
}

/* enable: software-enabled APIC, TPR 0. */
static void enable(void)
{
	wr(0xf0, 0x1ff);
	wr(0x80, 0);
}

START_TEST(test_reset_state)
{
	ck_assert_uint_eq(rd(0x30), 0x50014);
	ck_assert_uint_eq(rd(0xf0), 0xff);		     /* software-disabled */
	ck_assert_uint_eq(rd(0x350), 0x700);		     /* LINT0 ExtINT, unmasked */
	ck_assert_uint_eq(rd(0x360), 0x400);		     /* LINT1 NMI */
	ck_assert_uint_eq(rd(0x320) & (1u << 16), 1u << 16); /* timer masked */
	ck_assert(lapic_pic_through(a));
	lapic_deliver(a, 0x40, false); /* software-disabled: not taken */
	ck_assert(!lapic_intr_pending(a));
	ck_assert_uint_eq(io_rd(1), 0x170011);
	ck_assert_uint_eq(io_rd(0x10) & (1u << 16), 1u << 16); /* pins masked */
}
END_TEST

START_TEST(test_priority_and_eoi)
{
	enable();
	lapic_deliver(a, 0x45, false);
	lapic_deliver(a, 0x62, false);
	ck_assert(lapic_intr_pending(a));
	ck_assert_int_eq(lapic_intr_ack(a), 0x62);
	ck_assert_uint_eq(rd(0xa0), 0x60); /* PPR = ISR class */
	ck_assert(!lapic_intr_pending(a)); /* 0x45: class 4 < 6 */
	wr(0xb0, 0);
	ck_assert_int_eq(lapic_intr_ack(a), 0x45);
	wr(0xb0, 0);
	wr(0x80, 0x50); /* TPR class 5 */
	lapic_deliver(a, 0x55, false);
	ck_assert(!lapic_intr_pending(a));
	ck_assert_uint_eq(rd(0xa0), 0x50);
	ck_assert_uint_eq(rd(0x220), 1u << (0x55 - 0x40)); /* IRR 0x40-0x5f */
	wr(0x80, 0x40);
	ck_assert_int_eq(lapic_intr_ack(a), 0x55);
	ck_assert_int_eq(lapic_intr_ack(a), 0xff); /* nothing left: spurious */
}
END_TEST

START_TEST(test_icr)
{
	enable();
	wr(0x310, 0);	   /* destination APIC 0 */
	wr(0x300, 0x4031); /* fixed, physical, vector 0x31 */
	ck_assert_int_eq(lapic_intr_ack(a), 0x31);
	wr(0xb0, 0);
	wr(0x310, 5u << 24); /* another APIC: not us */
	wr(0x300, 0x4032);
	ck_assert(!lapic_intr_pending(a));
	wr(0x300, 0xc0033); /* all excluding self */
	ck_assert(!lapic_intr_pending(a));
	wr(0x300, 0x80034); /* all including self */
	ck_assert_int_eq(lapic_intr_ack(a), 0x34);
	wr(0xb0, 0);
	wr(0xd0, 0x02000000u); /* logical ID bit 1, flat model */
	wr(0x310, 0x02000000u);
	wr(0x300, 0x4835); /* logical */
	ck_assert_int_eq(lapic_intr_ack(a), 0x35);
	wr(0xb0, 0);
	ck_assert_uint_eq(rd(0x300) & (1u << 12), 0); /* idle */
	wr(0x300, 0x40400);			      /* self NMI */
	ck_assert(m.vcpu.nmi_pending);
	wr(0x300, 0x40005); /* illegal vector */
	wr(0x280, 0);
	ck_assert_uint_eq(rd(0x280) & 0x60, 0x60); /* send and receive illegal */
	wr(0x280, 0);
	ck_assert_uint_eq(rd(0x280), 0);
}
END_TEST

START_TEST(test_software_disable)
{
	enable();
	wr(0x350, 0x700);
	wr(0xf0, 0xff); /* disable: every LVT masked */
	ck_assert_uint_eq(rd(0x350) & (1u << 16), 1u << 16);
	ck_assert(!lapic_pic_through(a));
	wr(0x350, 0x700); /* cannot be unmasked while disabled */
	ck_assert_uint_eq(rd(0x350) & (1u << 16), 1u << 16);
	lapic_set_base_msr(a, 0); /* globally disabled: the 8259 goes straight */
	ck_assert(lapic_pic_through(a));
}
END_TEST

START_TEST(test_timer)
{
	enable();
	wr(0x3e0, 0x3); /* divide by 16 */
	wr(0x320, 0x40);
	wr(0x380, 1000000);
	uint32_t c = rd(0x390);
	ck_assert(c <= 1000000 && c > 900000);
	ck_assert_ptr_nonnull(m.timers);
	uint64_t due = m.timers->deadline;
	ck_assert(due >= util_now_ns() + 15000000ull - 1000000ull); /* 16 ms later */
	m.timers->fire(m.timers, due);
	ck_assert_int_eq(lapic_intr_ack(a), 0x40);
	wr(0xb0, 0);
	wr(0x380, 0); /* stop */
	ck_assert_uint_eq(rd(0x390), 0);
	ck_assert_ptr_null(m.timers);
	wr(0x320, 0x40 | (2u << 17)); /* TSC-deadline: the count registers idle */
	wr(0x380, 5);
	ck_assert_ptr_null(m.timers);
	lapic_tsc_deadline(a, 1234, util_now_ns() + 1000);
	ck_assert_uint_eq(lapic_tsc_deadline_value(a), 1234);
	m.timers->fire(m.timers, util_now_ns());
	ck_assert_uint_eq(lapic_tsc_deadline_value(a), 0);
	ck_assert_int_eq(lapic_intr_ack(a), 0x40);
}
END_TEST

START_TEST(test_ioapic_edge)
{
	enable();
	io_wr(0x10 + 4, 0x51); /* pin 2: edge, fixed, vector 0x51 */
	io_wr(0x11 + 4, 0);
	ioapic_set_irq(io, 2, 1);
	ck_assert_int_eq(lapic_intr_ack(a), 0x51);
	wr(0xb0, 0);
	ioapic_set_irq(io, 2, 1); /* no new edge */
	ck_assert(!lapic_intr_pending(a));
	ioapic_set_irq(io, 2, 0);
	io_wr(0x10 + 4, 0x51 | (1u << 16)); /* masked: the edge is lost */
	ioapic_set_irq(io, 2, 1);
	ioapic_set_irq(io, 2, 0);
	io_wr(0x10 + 4, 0x51);
	ck_assert(!lapic_intr_pending(a));
	io_wr(0x11 + 4, 7u << 24); /* another APIC */
	ioapic_set_irq(io, 2, 1);
	ck_assert(!lapic_intr_pending(a));
}
END_TEST

START_TEST(test_ioapic_level)
{
	enable();
	io_wr(0x10 + 18, 0x61 | (1u << 15) | (1u << 13)); /* pin 9: level, active low */
	io_wr(0x11 + 18, 0);
	ioapic_set_irq(io, 9, 1); /* inactive */
	ck_assert(!lapic_intr_pending(a));
	ioapic_set_irq(io, 9, 0); /* asserted */
	ck_assert_int_eq(lapic_intr_ack(a), 0x61);
	ck_assert_uint_eq(io_rd(0x10 + 18) & (1u << 14), 1u << 14); /* remote IRR */
	ck_assert_uint_eq(rd(0x180 + 0x30) & (1u << 1), 1u << 1);   /* TMR */
	wr(0xb0, 0); /* EOI: still asserted, so again */
	ck_assert_int_eq(lapic_intr_ack(a), 0x61);
	ioapic_set_irq(io, 9, 1); /* deasserted before the EOI */
	wr(0xb0, 0);
	ck_assert_uint_eq(io_rd(0x10 + 18) & (1u << 14), 0);
	ck_assert(!lapic_intr_pending(a));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_apic");
	TCase *tc = tcase_create("apic");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_priority_and_eoi);
	tcase_add_test(tc, test_icr);
	tcase_add_test(tc, test_software_disable);
	tcase_add_test(tc, test_timer);
	tcase_add_test(tc, test_ioapic_edge);
	tcase_add_test(tc, test_ioapic_level);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
