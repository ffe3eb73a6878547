/* test_trace.c - --trace kinds parsing. */
#include <check.h>
#include <string.h>

#include "monitor/base/trace.h"

START_TEST(test_trace_kinds)
{
	const char *bad = NULL;

	ck_assert_int_eq(trace_parse("exc,io", &bad), 0);
	ck_assert_uint_eq(trace_mask, TRACE_EXC | TRACE_IO);
	ck_assert_int_eq(trace_parse("all", &bad), 0);
	ck_assert(trace_mask & TRACE_CALLOUTS);
	ck_assert_int_eq(trace_parse("", &bad), 0);
	ck_assert_uint_eq(trace_mask, 0);
}
END_TEST

START_TEST(test_trace_errors)
{
	const char *bad = NULL;

	ck_assert_int_eq(trace_parse("int", &bad), 0);
	ck_assert_int_lt(trace_parse("int,bogus", &bad), 0);
	ck_assert_str_eq(bad, "bogus");
	ck_assert_uint_eq(trace_mask, TRACE_INT); /* unchanged on error */
	ck_assert_int_lt(trace_parse("exc,,io", &bad), 0);
	ck_assert_int_lt(trace_parse("ex", &bad), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_trace_kinds);
	tcase_add_test(tc, test_trace_errors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
