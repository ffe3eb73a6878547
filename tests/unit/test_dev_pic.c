/* test_dev_pic.c - the 8259A pair through its ports, as a guest and the
 * CPU's INTA cycle drive it. */
#include <stdlib.h>

#include "test_dev_harness.h"
#include "devices/i8259.h"

static struct pic *pic;

static void setup(void)
{
	dev_machine_init(16 * MiB);
	pic = pic_create(machine_devhost(&m), m.isa_irq);
}

static void teardown(void)
{
	dev_machine_fini();
}

/* pic_init: the sequence Linux and most kernels use: master at vector
 * 0x20, slave at 0x28 on IR2, 8086 mode, icw4 as given; all unmasked. */
static void pic_init(uint8_t icw4)
{
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, icw4);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, icw4);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static uint8_t read_isr(uint16_t port)
{
	outb(port, 0x0b);
	return inb(port);
}

static uint8_t read_irr(uint16_t port)
{
	outb(port, 0x0a);
	return inb(port);
}

static void raise(int n)
{
	irq_set(&m.isa_irq[n], 1);
}

static void lower(int n)
{
	irq_set(&m.isa_irq[n], 0);
}

START_TEST(test_wiring)
{
	for (int i = 0; i < 16; i++) {
		ck_assert_ptr_nonnull(m.isa_irq[i].set);
		ck_assert_ptr_eq(m.isa_irq[i].opaque, pic);
		ck_assert_int_eq(m.isa_irq[i].pin, i);
	}
	ck_assert_uint_eq(m.nr_owned, 1);
	ck_assert_ptr_nonnull(bus_find(&m.io, 0xa1));
	ck_assert_ptr_nonnull(bus_find(&m.io, 0x4d1));
}
END_TEST

START_TEST(test_irq3_ack_eoi)
{
	pic_init(0x01);
	ck_assert(!pic_intr_pending(pic));
	raise(3);
	ck_assert(pic_intr_pending(pic));
	ck_assert_uint_eq(read_irr(0x20), 0x08);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	ck_assert_uint_eq(read_irr(0x20), 0x00);
	ck_assert(!pic_intr_pending(pic));
	lower(3);
	raise(3); /* a new edge while in service waits for the EOI */
	ck_assert(!pic_intr_pending(pic));
	outb(0x20, 0x20); /* non-specific EOI */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
	outb(0x20, 0x20);
	/* The line is still high: no new edge, no new interrupt. */
	ck_assert(!pic_intr_pending(pic));
	lower(3);
	irq_pulse(&m.isa_irq[3]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
}
END_TEST

START_TEST(test_priorities_and_nesting)
{
	pic_init(0x01);
	raise(5);
	raise(3);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
	ck_assert(!pic_intr_pending(pic)); /* IRQ5 waits behind IRQ3 */
	raise(1);
	ck_assert(pic_intr_pending(pic)); /* IRQ1 nests */
	ck_assert_int_eq(pic_intr_ack(pic), 0x21);
	ck_assert_uint_eq(read_isr(0x20), 0x0a);
	outb(0x20, 0x20); /* ends IRQ1, the highest in service */
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	ck_assert(!pic_intr_pending(pic));
	outb(0x20, 0x20);
	ck_assert_int_eq(pic_intr_ack(pic), 0x25);
}
END_TEST

START_TEST(test_mask)
{
	pic_init(0x01);
	outb(0x21, 0x08);
	ck_assert_uint_eq(inb(0x21), 0x08);
	raise(3);
	ck_assert(!pic_intr_pending(pic));
	ck_assert_uint_eq(read_irr(0x20), 0x08); /* requested but masked */
	outb(0x21, 0x00);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
}
END_TEST

START_TEST(test_cascade)
{
	pic_init(0x01);
	irq_pulse(&m.isa_irq[12]);
	ck_assert(pic_intr_pending(pic));
	ck_assert_int_eq(pic_intr_ack(pic), 0x2c);
	ck_assert_uint_eq(read_isr(0x20), 0x04);
	ck_assert_uint_eq(read_isr(0xa0), 0x10);
	/* A second slave request, lower priority, is held by the slave. */
	irq_pulse(&m.isa_irq[14]);
	ck_assert(!pic_intr_pending(pic));
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert(pic_intr_pending(pic));
	ck_assert_int_eq(pic_intr_ack(pic), 0x2e);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* Masking the cascade input hides every slave request. */
	outb(0x21, 0x04);
	irq_pulse(&m.isa_irq[8]);
	ck_assert(!pic_intr_pending(pic));
	outb(0x21, 0x00);
	ck_assert_int_eq(pic_intr_ack(pic), 0x28);
}
END_TEST

START_TEST(test_spurious)
{
	pic_init(0x01);
	ck_assert_int_eq(pic_intr_ack(pic), 0x27); /* nothing: spurious IRQ7 */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	/* A request masked after INTR was seen: still spurious */
	raise(4);
	outb(0x21, 0x10);
	ck_assert_int_eq(pic_intr_ack(pic), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_level_elcr)
{
	pic_init(0x01);
	outb(0x4d0, 0xff);
	ck_assert_uint_eq(inb(0x4d0), 0xf8); /* IRQ0-2 are always edge */
	outb(0x4d1, 0xff);
	ck_assert_uint_eq(inb(0x4d1), 0xde); /* IRQ8, IRQ13 too */
	outb(0x4d0, 0x00);
	outb(0x4d1, 0x04); /* IRQ10 level-triggered */
	raise(10);
	ck_assert_int_eq(pic_intr_ack(pic), 0x2a);
	ck_assert_uint_eq(read_irr(0xa0), 0x04); /* IRR follows the pin */
	ck_assert(!pic_intr_pending(pic));	 /* but IRQ10 is in service */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert(pic_intr_pending(pic)); /* still high: again */
	ck_assert_int_eq(pic_intr_ack(pic), 0x2a);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	lower(10);
	ck_assert(!pic_intr_pending(pic));
	ck_assert_uint_eq(read_irr(0xa0), 0x00);
}
END_TEST

START_TEST(test_auto_eoi)
{
	pic_init(0x03);
	raise(3);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	irq_pulse(&m.isa_irq[6]);
	ck_assert(pic_intr_pending(pic)); /* nothing in service blocks it */
	ck_assert_int_eq(pic_intr_ack(pic), 0x26);
}
END_TEST

START_TEST(test_specific_eoi)
{
	pic_init(0x01);
	raise(3);
	raise(1);
	ck_assert_int_eq(pic_intr_ack(pic), 0x21);
	lower(3);
	lower(1);
	outb(0x21, 0x02); /* mask IRQ1 so IRQ3 can be taken after EOI */
	outb(0x20, 0x61); /* specific EOI for IRQ1 */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
	outb(0x20, 0x65); /* specific EOI for IRQ5: not in service, no effect */
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	outb(0x20, 0x63);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_rotation)
{
	pic_init(0x01);
	irq_pulse(&m.isa_irq[0]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x20);
	outb(0x20, 0xa0); /* rotate on non-specific EOI: IRQ0 now lowest */
	irq_pulse(&m.isa_irq[0]);
	irq_pulse(&m.isa_irq[4]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x24);
	outb(0x20, 0x20);
	ck_assert_int_eq(pic_intr_ack(pic), 0x20);
	outb(0x20, 0x20);
	/* Set priority: IRQ5 lowest, so IRQ6 is the highest. */
	outb(0x20, 0xc5);
	irq_pulse(&m.isa_irq[5]);
	irq_pulse(&m.isa_irq[6]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x26);
	outb(0x20, 0xe6); /* rotate on specific EOI 6: IRQ7 highest */
	irq_pulse(&m.isa_irq[7]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0x80);
}
END_TEST

START_TEST(test_poll)
{
	pic_init(0x01);
	outb(0x21, 0xff); /* polled systems run with INTR masked */
	outb(0x21, 0x00);
	raise(3);
	outb(0x20, 0x0c); /* OCW3: poll */
	ck_assert_uint_eq(inb(0x20), 0x83);
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x00); /* nothing else */
	/* the poll is a one-shot: the next read is the selected register */
	ck_assert_uint_eq(inb(0x20), 0x08);
}
END_TEST

START_TEST(test_special_mask_mode)
{
	pic_init(0x01);
	raise(3);
	ck_assert_int_eq(pic_intr_ack(pic), 0x23);
	raise(5);
	ck_assert(!pic_intr_pending(pic));
	outb(0x20, 0x68); /* set special mask mode */
	outb(0x21, 0x08); /* mask IRQ3 (in service) */
	ck_assert(pic_intr_pending(pic));
	ck_assert_int_eq(pic_intr_ack(pic), 0x25);
	outb(0x20, 0x48); /* reset special mask mode */
	outb(0x21, 0x00);
	raise(4);
	ck_assert(!pic_intr_pending(pic)); /* IRQ3 blocks IRQ4 again */
}
END_TEST

START_TEST(test_icw1_resets)
{
	pic_init(0x01);
	outb(0x21, 0xa5);
	raise(3);
	pic_intr_ack(pic);
	outb(0x20, 0x11);
	ck_assert_uint_eq(inb(0x21), 0x00);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	/* ICW2-4 follow; the IMR is not touched by them */
	outb(0x21, 0x08);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	ck_assert_uint_eq(inb(0x21), 0x00);
	irq_pulse(&m.isa_irq[1]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x09); /* new base 0x08 */
}
END_TEST

START_TEST(test_single_no_icw4)
{
	/* ICW1 with SNGL and without IC4: only ICW2 follows. */
	outb(0x20, 0x12);
	outb(0x21, 0x40);
	outb(0x21, 0xfe); /* IMR already */
	ck_assert_uint_eq(inb(0x21), 0xfe);
	irq_pulse(&m.isa_irq[0]);
	ck_assert_int_eq(pic_intr_ack(pic), 0x40);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_pic");
	TCase *tc = tcase_create("pic");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wiring);
	tcase_add_test(tc, test_irq3_ack_eoi);
	tcase_add_test(tc, test_priorities_and_nesting);
	tcase_add_test(tc, test_mask);
	tcase_add_test(tc, test_cascade);
	tcase_add_test(tc, test_spurious);
	tcase_add_test(tc, test_level_elcr);
	tcase_add_test(tc, test_auto_eoi);
	tcase_add_test(tc, test_specific_eoi);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_poll);
	tcase_add_test(tc, test_special_mask_mode);
	tcase_add_test(tc, test_icw1_resets);
	tcase_add_test(tc, test_single_no_icw4);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
