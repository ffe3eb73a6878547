/* test_emu_stack.c - ENTER and XLAT in the one-instruction emulator
 * (monitor/emulate/emulate.c), which the bt engine uses for an access to a non-RAM
 * address: a guest whose ESP or EBX points outside RAM gets what the real
 * CPU does (writes to nowhere are dropped, reads give all ones), not the
 * end of the run.  Found by the robustness fuzzer (tests/fuzz). */
#include "test_cpu_fixture.h"
#include "monitor/emulate/emulate.h"

#define CODE	0x10000u
#define DATA	0x20000u
#define NOWHERE 0x40000000u /* no RAM, no device */

/* run: place the instruction bytes at CODE and emulate them. */
static enum callout_result run(const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		wr8(CODE + i, b[i]);
	V->eip = CODE;
	return emu_step(V);
}
#define RUN(...) run((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* ENTER with the stack outside RAM completes like on hardware. */
START_TEST(test_enter_nowhere)
{
	V->gpr[R_ESP] = NOWHERE;
	V->gpr[R_EBP] = 0x1234;
	ck_assert_int_eq(RUN(0xc8, 0x08, 0x00, 0x00), CO_NEXT); /* enter 8, 0 */
	ck_assert_int_eq(M.exit.reason, EXIT_NONE);
	ck_assert_uint_eq(V->gpr[R_EBP], NOWHERE - 4);
	ck_assert_uint_eq(V->gpr[R_ESP], NOWHERE - 4 - 8);
	ck_assert_uint_eq(V->eip, CODE + 4);
}
END_TEST

/* ENTER with a nesting level copies the outer frame pointers. */
START_TEST(test_enter_nested)
{
	V->gpr[R_EBP] = 0x5000;
	V->gpr[R_ESP] = 0x8000;
	wr32(0x5000 - 4, 0xaaaa0001);
	wr32(0x5000 - 8, 0xbbbb0002);
	ck_assert_int_eq(RUN(0xc8, 0x10, 0x00, 0x03), CO_NEXT); /* enter 16, 3 */
	ck_assert_uint_eq(rd32(0x7ffc), 0x5000);
	ck_assert_uint_eq(rd32(0x7ff8), 0xaaaa0001);
	ck_assert_uint_eq(rd32(0x7ff4), 0xbbbb0002);
	ck_assert_uint_eq(rd32(0x7ff0), 0x7ffc);
	ck_assert_uint_eq(V->gpr[R_EBP], 0x7ffc);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x7ff0 - 16);
}
END_TEST

/* A push that faults leaves ESP and EBP as they were. */
START_TEST(test_enter_fault)
{
	V->seg[S_SS].limit = 0xfff;
	V->gpr[R_ESP] = 0x2000;
	V->gpr[R_EBP] = 0x1234;
	ck_assert_int_eq(RUN(0xc8, 0x08, 0x00, 0x00), CO_FAULT);
	ck_assert(V->exc.valid);
	ck_assert_int_eq(V->exc.vector, EXC_SS);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x2000);
	ck_assert_uint_eq(V->gpr[R_EBP], 0x1234);
	ck_assert_uint_eq(V->eip, CODE);
}
END_TEST

/* XLAT reads [EBX + AL], in RAM and outside it. */
START_TEST(test_xlat)
{
	V->gpr[R_EBX] = DATA;
	V->gpr[R_EAX] = 0x12345605;
	wr8(DATA + 5, 0x77);
	ck_assert_int_eq(RUN(0xd7), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x12345677);
	V->gpr[R_EBX] = NOWHERE;
	ck_assert_int_eq(RUN(0xd7), CO_NEXT);
	ck_assert_int_eq(M.exit.reason, EXIT_NONE);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x123456ff);
	ck_assert_uint_eq(V->eip, CODE + 1);
}
END_TEST

static Suite *emu_stack_suite(void)
{
	Suite *s = suite_create("emu_stack");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_enter_nowhere);
	tcase_add_test(tc, test_enter_nested);
	tcase_add_test(tc, test_enter_fault);
	tcase_add_test(tc, test_xlat);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(emu_stack_suite());
}
