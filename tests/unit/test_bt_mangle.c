/*
 * test_bt_mangle.c - the host code the translator emits for single guest
 * instructions (byte strings in, byte strings out), checked against the
 * encodings docs/design.md §3.2 prescribes.  Nothing runs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "translator/bt.h"

static struct machine *M;
static struct bt *B;

static bool t_needed(const ZydisDecodedInstruction *in, bool fpu_trap, const char **why)
{
	*why = "test";
	return in->mnemonic == ZYDIS_MNEMONIC_HLT;
}

static const struct bt_hooks hooks = {.needed = t_needed};

static void setup(void)
{
	M = calloc(1, sizeof(*M));
	ck_assert_int_eq(ram_init(&M->ram, 16 << 20), 0);
	M->vcpu.machine = M;
	vcpu_set_flat32(&M->vcpu, 8, 16);
	ck_assert_int_eq(bt_create(M, &hooks, &B), 0);
}

/* host_of: translate the single instruction `in` at 0x1000 and return a
 * pointer to its host code (after the 8-byte entry poll). */
static const uint8_t *host_of(const uint8_t *in, size_t len, unsigned *hlen)
{
	const char *err;
	memcpy(M->ram.host + 0x1000, in, len);
	M->ram.host[0x1000 + len] = 0xf4; /* hlt ends the block */
	struct bt_block *b =
	    bt_translate(B, 0x1000, bt_mode(&M->vcpu), 0, BT_TR_ONE | BT_TR_NOCACHE, &err);
	ck_assert_ptr_nonnull(b);
	*hlen = b->host_off[1] - 8;
	return b->host + 8;
}

#define CHECK_XLAT(guest, host)                                                                    \
	do {                                                                                       \
		static const uint8_t g_[] = guest, h_[] = host;                                    \
		unsigned n_;                                                                       \
		const uint8_t *p_ = host_of(g_, sizeof(g_), &n_);                                  \
		ck_assert_uint_eq(n_, sizeof(h_));                                                 \
		ck_assert_mem_eq(p_, h_, sizeof(h_));                                              \
	} while (0)
#define B_(...)                                                                                    \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

START_TEST(memory_operand_gets_gs_and_67)
{
	setup();
	/* mov eax,[ebx+ecx*4+8] -> 65 67 8b 44 8b 08 */
	CHECK_XLAT(B_(0x8b, 0x44, 0x8b, 0x08), B_(0x65, 0x67, 0x8b, 0x44, 0x8b, 0x08));
	/* add [ebx], 5 */
	CHECK_XLAT(B_(0x83, 0x03, 0x05), B_(0x65, 0x67, 0x83, 0x03, 0x05));
	/* lock xadd [esi], eax */
	CHECK_XLAT(B_(0xf0, 0x0f, 0xc1, 0x06), B_(0x65, 0x67, 0xf0, 0x0f, 0xc1, 0x06));
	/* ds: override dropped: mov al, ds:[ebp] */
	CHECK_XLAT(B_(0x3e, 0x8a, 0x45, 0x00), B_(0x65, 0x67, 0x8a, 0x45, 0x00));
	/* register-only: copied verbatim */
	CHECK_XLAT(B_(0x01, 0xd8), B_(0x01, 0xd8));
}
END_TEST

START_TEST(disp32_gets_a_sib_byte)
{
	setup();
	/* mov eax,[0x1234] (8b 05 disp32) -> 65 67 8b 04 25 disp32 */
	CHECK_XLAT(B_(0x8b, 0x05, 0x34, 0x12, 0, 0),
		   B_(0x65, 0x67, 0x8b, 0x04, 0x25, 0x34, 0x12, 0, 0));
	/* lea ecx,[0x10]: no GS, SIB form */
	CHECK_XLAT(B_(0x8d, 0x0d, 0x10, 0, 0, 0), B_(0x8d, 0x0c, 0x25, 0x10, 0, 0, 0));
	/* movl $7,[0x20] keeps its immediate after the displacement */
	CHECK_XLAT(B_(0xc7, 0x05, 0x20, 0, 0, 0, 7, 0, 0, 0),
		   B_(0x65, 0x67, 0xc7, 0x04, 0x25, 0x20, 0, 0, 0, 7, 0, 0, 0));
}
END_TEST

START_TEST(opcodes_lost_in_64bit_mode)
{
	setup();
	CHECK_XLAT(B_(0x41), B_(0xff, 0xc1));			/* inc ecx */
	CHECK_XLAT(B_(0x4f), B_(0xff, 0xcf));			/* dec edi */
	CHECK_XLAT(B_(0x66, 0x48), B_(0x66, 0xff, 0xc8));	/* dec ax */
	CHECK_XLAT(B_(0x82, 0xc0, 0x01), B_(0x80, 0xc0, 0x01)); /* add al,1 */
}
END_TEST

START_TEST(stack_ops_are_expanded)
{
	setup();
	/* push ebx -> mov [gs:esp-4],ebx; lea esp,[esp-4] */
	CHECK_XLAT(B_(0x53), B_(0x65, 0x67, 0x89, 0x5c, 0x24, 0xfc, 0x67, 0x8d, 0x64, 0x24, 0xfc));
	/* pop esp -> mov esp,[gs:esp] */
	CHECK_XLAT(B_(0x5c), B_(0x65, 0x67, 0x8b, 0x24, 0x24));
	/* pop ebx -> mov ebx,[gs:esp]; lea esp,[esp+4] */
	CHECK_XLAT(B_(0x5b), B_(0x65, 0x67, 0x8b, 0x1c, 0x24, 0x67, 0x8d, 0x64, 0x24, 0x04));
	/* push 0x12 -> mov dword [gs:esp-4], 0x12; lea esp,[esp-4] */
	CHECK_XLAT(B_(0x6a, 0x12), B_(0x65, 0x67, 0xc7, 0x44, 0x24, 0xfc, 0x12, 0, 0, 0, 0x67, 0x8d,
				      0x64, 0x24, 0xfc));
}
END_TEST

START_TEST(branches_end_the_block)
{
	const char *err;
	setup();
	/* jz +0x10; jmp -4: the jz is a side exit ("jz rel32" to a stub after
	 * the body), the fall-through goes on inline, the jmp ends the block */
	static const uint8_t g[] = {0x74, 0x10, 0xeb, 0xfc};
	memcpy(M->ram.host + 0x2000, g, sizeof(g));
	struct bt_block *b = bt_translate(B, 0x2000, bt_mode(&M->vcpu), 0, 0, &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->n_insns, 2);
	ck_assert_uint_eq(b->n_exits, 2);
	ck_assert_uint_eq(b->exits[0].target, 0x2000); /* jmp -4 */
	ck_assert_uint_eq(b->exits[1].target, 0x2012); /* jz taken */
	ck_assert_uint_eq(b->host[BT_POLL_LEN], 0x0f);
	ck_assert_uint_eq(b->host[BT_POLL_LEN + 1], 0x84);
	int32_t rel;
	memcpy(&rel, b->host + BT_POLL_LEN + 2, 4);
	ck_assert_ptr_eq(b->host + BT_POLL_LEN + 6 + rel, b->exits[1].stub);
	ck_assert_ptr_eq(b->exits[1].jcc, b->host + BT_POLL_LEN);
	/* chaining: a backward (or self) edge enters at the poll load, a
	 * forward one at the body */
	bt_chain(B, &b->exits[0], b);
	ck_assert_ptr_eq(bt_entry(b, b), b->host);
	ck_assert_uint_eq(b->exits[0].stub[0], 0xe9);
	memcpy(&rel, b->exits[0].stub + 1, 4);
	ck_assert_ptr_eq(b->exits[0].stub + 5 + rel, b->host);
	/* a single-instruction translation keeps the classic shape: jz rel32
	 * over the 18-byte fall-through stub, then the taken stub */
	struct bt_block *one =
	    bt_translate(B, 0x2000, bt_mode(&M->vcpu), 0, BT_TR_ONE | BT_TR_NOCACHE, &err);
	ck_assert_uint_eq(one->n_insns, 1);
	ck_assert_uint_eq(one->host[BT_POLL_LEN + 2], 18);
	ck_assert_uint_eq(one->exits[0].target, 0x2002);
	/* the block's code page is now write-protected and marked */
	ck_assert_uint_eq(B->code_map[2], 1);
	bt_invalidate_frame(B, 2);
	ck_assert_uint_eq(B->code_map[2], 0);
	ck_assert_ptr_null(bt_lookup(B, 0x2000, bt_mode(&M->vcpu), 0));
	ck_assert_uint_eq(b->exits[0].stub[0], 0x49); /* unchained: movabs r11 */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bt_mangle");
	TCase *tc = tcase_create("mangle");
	tcase_add_test(tc, memory_operand_gets_gs_and_67);
	tcase_add_test(tc, disp32_gets_a_sib_byte);
	tcase_add_test(tc, opcodes_lost_in_64bit_mode);
	tcase_add_test(tc, stack_ops_are_expanded);
	tcase_add_test(tc, branches_end_the_block);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
