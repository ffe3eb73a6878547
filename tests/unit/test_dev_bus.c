/* test_dev_bus.c - the port/MMIO bus: ordering, overlaps, offsets, holes,
 * byte splitting. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/bus.h"

/* A recording device: remembers every access; reads return a pattern
 * built from the offset so tests can tell which byte came from where. */
struct rec {
	struct device dev;
	uint8_t tag;
	unsigned reads, writes;
	uint64_t off[8], val[8];
	unsigned sz[8];
};

static uint64_t rec_read(struct device *d, uint64_t off, unsigned size)
{
	struct rec *r = (struct rec *)d;

	if (r->reads < 8) {
		r->off[r->reads] = off;
		r->sz[r->reads] = size;
	}
	r->reads++;
	if (size == 1)
		return (uint8_t)(r->tag + off);
	return 0x1122334455667788ull;
}

static void rec_write(struct device *d, uint64_t off, unsigned size, uint64_t v)
{
	struct rec *r = (struct rec *)d;

	if (r->writes < 8) {
		r->off[r->writes] = off;
		r->sz[r->writes] = size;
		r->val[r->writes] = v;
	}
	r->writes++;
}

static struct bus bus;
static struct rec a, b, c;

static void rec_init(struct rec *r, uint8_t tag, bool byte_wide)
{
	memset(r, 0, sizeof(*r));
	r->dev = (struct device){
	    .name = "rec", .read = rec_read, .write = rec_write, .byte_wide = byte_wide};
	r->tag = tag;
}

static void setup(void)
{
	bus_init(&bus, "io");
	rec_init(&a, 0x10, false);
	rec_init(&b, 0x20, true);
	rec_init(&c, 0x30, false);
}

static void teardown(void)
{
	bus_destroy(&bus);
}

START_TEST(test_sorted_find)
{
	ck_assert_int_eq(bus_register(&bus, 0x300, 8, &c.dev), 0);
	ck_assert_int_eq(bus_register(&bus, 0x20, 2, &a.dev), 0);
	ck_assert_int_eq(bus_register(&bus, 0x100, 0x10, &b.dev), 0);
	ck_assert_uint_eq(bus.nr, 3);
	ck_assert_uint_eq(bus.ranges[0].base, 0x20);
	ck_assert_uint_eq(bus.ranges[1].base, 0x100);
	ck_assert_uint_eq(bus.ranges[2].base, 0x300);
	ck_assert_ptr_null(bus_find(&bus, 0x1f));
	ck_assert_ptr_eq(bus_find(&bus, 0x20)->dev, &a.dev);
	ck_assert_ptr_eq(bus_find(&bus, 0x21)->dev, &a.dev);
	ck_assert_ptr_null(bus_find(&bus, 0x22));
	ck_assert_ptr_eq(bus_find(&bus, 0x10f)->dev, &b.dev);
	ck_assert_ptr_null(bus_find(&bus, 0x110));
	ck_assert_ptr_eq(bus_find(&bus, 0x307)->dev, &c.dev);
	ck_assert_ptr_null(bus_find(&bus, 0x308));
	ck_assert_ptr_null(bus_find(&bus, 0));
}
END_TEST

START_TEST(test_overlap_rejected)
{
	ck_assert_int_eq(bus_register(&bus, 0x100, 0x10, &a.dev), 0);
	ck_assert_int_eq(bus_register(&bus, 0x100, 0x10, &b.dev), -EEXIST); /* same */
	ck_assert_int_eq(bus_register(&bus, 0xf8, 0x9, &b.dev), -EEXIST);   /* left edge */
	ck_assert_int_eq(bus_register(&bus, 0x10f, 4, &b.dev), -EEXIST);    /* right edge */
	ck_assert_int_eq(bus_register(&bus, 0x104, 2, &b.dev), -EEXIST);    /* inside */
	ck_assert_int_eq(bus_register(&bus, 0x80, 0x100, &b.dev), -EEXIST); /* around */
	ck_assert_int_eq(bus_register(&bus, 0xf8, 8, &b.dev), 0);	    /* adjacent left */
	ck_assert_int_eq(bus_register(&bus, 0x110, 1, &c.dev), 0);	    /* adjacent right */
	ck_assert_int_eq(bus_register(&bus, 0x200, 0, &c.dev), -EINVAL);
	ck_assert_int_eq(bus_register(&bus, ~0ull - 1, 4, &c.dev), -EINVAL); /* wraps */
	ck_assert_uint_eq(bus.nr, 3);
}
END_TEST

START_TEST(test_many_ranges)
{
	static struct rec r[100];

	/* Registered in a scrambled order; the table grows past its first size. */
	for (unsigned i = 0; i < 100; i++) {
		unsigned k = (i * 37) % 100;
		rec_init(&r[k], k, false);
		ck_assert_int_eq(bus_register(&bus, 0x1000 + k * 4, 4, &r[k].dev), 0);
	}
	for (unsigned i = 1; i < bus.nr; i++)
		ck_assert_uint_lt(bus.ranges[i - 1].base, bus.ranges[i].base);
	for (unsigned k = 0; k < 100; k++) {
		ck_assert_ptr_eq(bus_find(&bus, 0x1000 + k * 4 + 3)->dev, &r[k].dev);
		ck_assert_int_eq(bus_register(&bus, 0x1000 + k * 4 + 1, 1, &a.dev), -EEXIST);
	}
}
END_TEST

START_TEST(test_offsets_relative)
{
	ck_assert_int_eq(bus_register(&bus, 0x3f8, 8, &a.dev), 0);
	ck_assert_uint_eq(bus_read(&bus, 0x3fd, 1), 0x15);
	ck_assert_uint_eq(a.off[0], 5);
	ck_assert_uint_eq(a.sz[0], 1);
	bus_write(&bus, 0x3f9, 2, 0xabcd);
	ck_assert_uint_eq(a.writes, 1); /* not byte_wide: one 16-bit access */
	ck_assert_uint_eq(a.off[0], 1);
	ck_assert_uint_eq(a.sz[0], 2);
	ck_assert_uint_eq(a.val[0], 0xabcd);
	ck_assert_uint_eq(bus_read(&bus, 0x3f8, 4), 0x55667788); /* masked to size */
	ck_assert_uint_eq(bus.unassigned, 0);
}
END_TEST

START_TEST(test_unassigned)
{
	ck_assert_int_eq(bus_register(&bus, 0x60, 1, &a.dev), 0);
	ck_assert_uint_eq(bus_read(&bus, 0x80, 1), 0xff);
	ck_assert_uint_eq(bus_read(&bus, 0x80, 2), 0xffff);
	ck_assert_uint_eq(bus_read(&bus, 0x80, 4), 0xffffffffu);
	ck_assert_uint_eq(bus_read(&bus, 0x80, 8), ~0ull);
	ck_assert_uint_eq(bus.unassigned, 4);
	bus_write(&bus, 0x61, 1, 0x12);
	bus_write(&bus, 0x5c, 4, 0x12345678); /* ends just below 0x60 */
	ck_assert_uint_eq(bus.unassigned, 6);
	ck_assert_uint_eq(a.writes, 0);
	ck_assert_uint_eq(a.reads, 0);
}
END_TEST

START_TEST(test_byte_wide_split)
{
	ck_assert_int_eq(bus_register(&bus, 0x40, 4, &b.dev), 0);
	ck_assert_uint_eq(bus_read(&bus, 0x41, 2), 0x2221);
	ck_assert_uint_eq(b.reads, 2);
	ck_assert_uint_eq(b.off[0], 1);
	ck_assert_uint_eq(b.off[1], 2);
	ck_assert_uint_eq(b.sz[0], 1);
	bus_write(&bus, 0x40, 4, 0xa1b2c3d4);
	ck_assert_uint_eq(b.writes, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(b.off[i], i);
		ck_assert_uint_eq(b.sz[i], 1);
	}
	ck_assert_uint_eq(b.val[0], 0xd4);
	ck_assert_uint_eq(b.val[3], 0xa1);
}
END_TEST

START_TEST(test_straddle)
{
	/* 0x60 (a), hole at 0x61, 0x62 (c): a dword at 0x60 reads one byte
	 * from each device and all ones from the hole. */
	ck_assert_int_eq(bus_register(&bus, 0x60, 1, &a.dev), 0);
	ck_assert_int_eq(bus_register(&bus, 0x62, 2, &c.dev), 0);
	ck_assert_uint_eq(bus_read(&bus, 0x60, 4), 0x3130ff10u);
	ck_assert_uint_eq(bus.unassigned, 1);
	bus_write(&bus, 0x5f, 4, 0x44332211);
	ck_assert_uint_eq(a.writes, 1);
	ck_assert_uint_eq(a.val[0], 0x22);
	ck_assert_uint_eq(c.writes, 1);
	ck_assert_uint_eq(c.off[0], 0);
	ck_assert_uint_eq(c.val[0], 0x44);
	ck_assert_uint_eq(bus.unassigned, 3);
}
END_TEST

START_TEST(test_no_callbacks)
{
	struct device mute = {.name = "mute"};

	ck_assert_int_eq(bus_register(&bus, 0x10, 1, &mute), 0);
	ck_assert_uint_eq(bus_read(&bus, 0x10, 1), 0xff);
	bus_write(&bus, 0x10, 1, 1);
	ck_assert_uint_eq(bus.unassigned, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_bus");
	TCase *tc = tcase_create("bus");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sorted_find);
	tcase_add_test(tc, test_overlap_rejected);
	tcase_add_test(tc, test_many_ranges);
	tcase_add_test(tc, test_offsets_relative);
	tcase_add_test(tc, test_unassigned);
	tcase_add_test(tc, test_byte_wide_split);
	tcase_add_test(tc, test_straddle);
	tcase_add_test(tc, test_no_callbacks);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
