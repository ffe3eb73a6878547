/*
 * test_insn_table.c - the instruction table (monitor/insn/insn.h) over
 * every one- and two-byte opcode with every ModRM byte and the common
 * prefixes, in 32-bit and 16-bit code: every instruction that calls out
 * has a handler, the reasons are the table's, and the classes split
 * mnemonics the way the callouts expect.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/insn/insn.h"

static const uint8_t prefixes[][3] = {
    {0}, {1, 0x66}, {1, 0xf2}, {1, 0xf3}, {1, 0xf0}, {1, 0x67}, {1, 0x64}, {2, 0x66, 0xf3},
};

struct tally {
	unsigned long decoded, callouts, no_handler, expanded;
};

/* check_one: the table's answers for one decoded instruction agree. */
static void check_one(const ZydisDecodedInstruction *in, struct tally *t)
{
	const struct insn_rule *r = insn_rule(in);
	const char *why;

	t->decoded++;
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(r->name);
	for (int fpu_trap = 0; fpu_trap < 2; fpu_trap++) {
		bool needed = callout_needed(in, fpu_trap, &why);
		ck_assert(needed == (why[0] != 0));
		if (!needed || (fpu_trap && insn_fpu_class(in) && !(r->flags & INSN_MODEL)))
			continue;
		ck_assert_str_eq(why, r->why);
		t->callouts++;
		/* a callout with no handler would end the monitor (die) */
		if (!r->run)
			t->no_handler++;
		ck_assert_msg(r->run, "%s (%s) calls out without a handler",
			      ZydisMnemonicGetString(in->mnemonic), r->name);
	}
	if (r->expand != XP_NONE)
		t->expanded++;
	/* an entry that may be copied touches only its explicit operand */
	if (!r->why && r->expand == XP_NONE)
		ck_assert_uint_eq(r->mem & ~MEM_OPERAND, 0);
}

START_TEST(every_callout_has_a_handler)
{
	static const uint8_t esc[][3] = {{0}, {1, 0x0f}, {2, 0x0f, 0x38}, {2, 0x0f, 0x3a}};
	struct tally t = {0};
	ZydisDecoder d;

	for (int big = 0; big < 2; big++) {
		callout_decoder_init(&d, big);
		for (unsigned p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
			for (unsigned e = 0; e < 4; e++)
				for (unsigned op = 0; op < 256; op++)
					for (unsigned m = 0; m < 256; m++) {
						uint8_t b[16] = {0};
						unsigned n = 0;
						ZydisDecodedInstruction in;

						for (unsigned k = 0; k < prefixes[p][0]; k++)
							b[n++] = prefixes[p][1 + k];
						for (unsigned k = 0; k < esc[e][0]; k++)
							b[n++] = esc[e][1 + k];
						b[n++] = (uint8_t)op;
						b[n++] = (uint8_t)m;
						b[n++] = 0x24;
						if (ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
							&d, NULL, b, sizeof(b), &in)))
							check_one(&in, &t);
					}
	}
	printf("insn table: %lu decoded, %lu callouts, %lu expanded\n", t.decoded, t.callouts,
	       t.expanded);
	ck_assert_uint_gt(t.decoded, 1000000);
	ck_assert_uint_eq(t.no_handler, 0);
}
END_TEST

/* rule_of: the entry of the instruction in bytes b (32-bit code). */
static const struct insn_rule *rule_of(const uint8_t *b, size_t n)
{
	static ZydisDecodedInstruction in;
	ZydisDecoder d;

	callout_decoder_init(&d, true);
	ck_assert_msg(ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&d, NULL, b, n, &in)),
		      "%02x %02x does not decode", b[0], b[1]);
	return insn_rule(&in);
}

START_TEST(classes_split_mnemonics)
{
	ck_assert_str_eq(rule_of((uint8_t[]){0x0f, 0x20, 0xc0}, 3)->name, "MOV_CR");
	ck_assert_str_eq(rule_of((uint8_t[]){0x0f, 0x23, 0xc0}, 3)->name, "MOV_DR");
	ck_assert_str_eq(rule_of((uint8_t[]){0x8e, 0xd8}, 2)->name, "MOV_SEG");
	ck_assert_str_eq(rule_of((uint8_t[]){0x89, 0xd8}, 2)->name, "COPY");
	ck_assert_str_eq(rule_of((uint8_t[]){0xa1, 0, 0, 0, 0}, 5)->name, "MOV_MOFFS");
	ck_assert_str_eq(rule_of((uint8_t[]){0x1e}, 1)->name, "PUSH_SEG");
	ck_assert_str_eq(rule_of((uint8_t[]){0x0f, 0xa9}, 2)->name, "POP_SEG");
	ck_assert_str_eq(rule_of((uint8_t[]){0x50}, 1)->name, "PUSH");
	ck_assert_str_eq(rule_of((uint8_t[]){0xea, 0, 0, 0, 0, 8, 0}, 7)->name, "FAR_JMP_CALL");
	ck_assert_str_eq(rule_of((uint8_t[]){0xcb}, 1)->name, "FAR_RET");
	ck_assert_str_eq(rule_of((uint8_t[]){0xc3}, 1)->name, "RET");
	ck_assert_str_eq(rule_of((uint8_t[]){0x74, 0}, 2)->name, "JCC");
	ck_assert_str_eq(rule_of((uint8_t[]){0xe2, 0}, 2)->name, "LOOP");
	ck_assert_str_eq(rule_of((uint8_t[]){0xa5}, 1)->name, "STRING");
	ck_assert_str_eq(rule_of((uint8_t[]){0xf3, 0xa5}, 2)->name, "REP_STRING");
	ck_assert_str_eq(rule_of((uint8_t[]){0x6c}, 1)->name, "STRING_IO");
	ck_assert_str_eq(rule_of((uint8_t[]){0x40}, 1)->name, "INCDEC");
	ck_assert_str_eq(rule_of((uint8_t[]){0x82, 0xc0, 1}, 3)->name, "GRP82");
	ck_assert_str_eq(rule_of((uint8_t[]){0x0f, 0x1f, 0xc0}, 3)->name, "HINT_NOP");
	ck_assert_str_eq(rule_of((uint8_t[]){0xf3, 0x0f, 0xbd, 0xc0}, 4)->name, "LZCNT");
	ck_assert_str_eq(rule_of((uint8_t[]){0x0f, 0x05}, 2)->name, "NOT_MODEL");
	ck_assert_str_eq(rule_of((uint8_t[]){0x0f, 0xae, 0x00}, 3)->name, "FXSAVE");
}
END_TEST

START_TEST(entries_say_what_they_touch)
{
	const struct insn_rule *fx = rule_of((uint8_t[]){0x0f, 0xae, 0x00}, 3);
	const struct insn_rule *mm = rule_of((uint8_t[]){0x0f, 0xf7, 0xc1}, 3);
	const struct insn_rule *in = rule_of((uint8_t[]){0xe4, 0x60}, 2);

	ck_assert(fx->flags & INSN_NO_COPY);
	ck_assert(fx->mem & MEM_FPU_IMAGE);
	ck_assert(mm->mem & MEM_MASKED);
	ck_assert_ptr_nonnull(in->run);
	ck_assert_str_eq(in->why, "port I/O");
	ck_assert(rule_of((uint8_t[]){0xcd, 0x80}, 2)->flags & INSN_ENDS_BLOCK);
	ck_assert(!(rule_of((uint8_t[]){0x0f, 0xa2}, 2)->flags & INSN_ENDS_BLOCK));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("insn_table");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_callout_has_a_handler);
	tcase_add_test(tc, classes_split_mnemonics);
	tcase_add_test(tc, entries_say_what_they_touch);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
