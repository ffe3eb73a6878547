/*
 * test_callout_fpu.c - the x87/SSE callouts of callout_fpu.c on the cpu
 * tests' small machine: MASKMOVDQU crossing a segment limit stores nothing
 * (every selected byte is checked first), MASKMOVQ, FLDENV and FRSTOR with
 * a pending x87 exception raise #MF before anything else, FXSAVE checks all 512 bytes while
 * writing 288, and the x87 pointers a guest loaded come back from FNSTENV
 * while a host address that is not the engine's shows as zero.
 */
#include "callout_harness.h"

#define SMALL_BASE 0x100000u /* SEL_SMALL: base 1 MiB, limit 0xfff */

/* fake_fpu_pointers: an engine that owns no pointer (a flushed TC). */
static bool fake_fpu_pointers(struct machine *m, uint32_t *fip, uint32_t *fdp)
{
	return false;
}

static const struct engine fake_engine = {.name = "fake", .fpu_pointers = fake_fpu_pointers};

/* set_xmm / set_mm: register contents in the saved guest state (TOP 0). */
static void set_xmm(unsigned n, uint8_t fill)
{
	memset(V->fxsave + 160 + 16 * n, fill, 16);
}

static void set_mm(unsigned n, uint8_t fill)
{
	memset(V->fxsave + 32 + 16 * n, fill, 8);
}

START_TEST(test_maskmovdqu_limit_stores_nothing)
{
	V->cr4 |= CR4_OSFXSR;
	cpu_load_seg(V, S_DS, SEL_SMALL);
	set_xmm(0, 0x5a);
	set_xmm(1, 0x80); /* every byte selected */
	for (unsigned i = 0; i < 16; i++)
		wr8(SMALL_BASE + 0xff8 + i, 0xcc);
	V->gpr[R_EDI] = 0xff8; /* bytes 8..15 lie past the limit */
	ck_assert_int_eq(exec("660ff7c1"), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(M.ram.host[SMALL_BASE + 0xff8 + i], 0xcc);
	V->gpr[R_EDI] = 0xff0; /* inside: stored */
	ck_assert_int_eq(exec("660ff7c1"), CO_NEXT);
	ck_assert_uint_eq(M.ram.host[SMALL_BASE + 0xff0], 0x5a);
	ck_assert_uint_eq(M.ram.host[SMALL_BASE + 0xfff], 0x5a);
}
END_TEST

START_TEST(test_maskmovq_pending_mf)
{
	set_mm(0, 0x77);
	set_mm(1, 0xff);
	V->fxsave[0] = 0x7b; /* FCW 0x037b: ZE unmasked */
	V->fxsave[1] = 0x03;
	V->fxsave[2] = 0x84; /* FSW: ES and ZE */
	V->gpr[R_EDI] = 0x6000;
	wr32(0x6000, 0);
	ck_assert_int_eq(exec("0ff7c1"), CO_FAULT);
	expect_exc(EXC_MF, false, 0);
	ck_assert_uint_eq(rd32(0x6000), 0);
	V->gpr[R_EAX] = 0x6100; /* FLDENV and FRSTOR wait too: #MF, not a host SIGFPE */
	ck_assert_int_eq(exec("d920"), CO_FAULT);
	expect_exc(EXC_MF, false, 0);
	ck_assert_int_eq(exec("dd20"), CO_FAULT);
	expect_exc(EXC_MF, false, 0);
	V->fxsave[2] = 0; /* nothing pending: stored */
	ck_assert_int_eq(exec("0ff7c1"), CO_NEXT);
	ck_assert_uint_eq(rd32(0x6000), 0x77777777);
}
END_TEST

START_TEST(test_fxsave_checks_512_writes_288)
{
	cpu_load_seg(V, S_DS, SEL_SMALL);
	for (unsigned i = 0; i < 512; i++)
		wr8(SMALL_BASE + 0xa00 + i, 0xa5);
	V->gpr[R_EAX] = 0xe40; /* 288 bytes fit below the limit, 512 do not */
	ck_assert_int_eq(exec("0fae00"), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	V->gpr[R_EAX] = 0xa00;
	ck_assert_int_eq(exec("0fae00"), CO_NEXT);
	ck_assert_uint_eq(rd32(SMALL_BASE + 0xa00 + 28), 0xffff); /* MXCSR_MASK */
	for (unsigned i = 288; i < 512; i++)
		ck_assert_uint_eq(M.ram.host[SMALL_BASE + 0xa00 + i], 0xa5);
}
END_TEST

START_TEST(test_pointers_loaded_or_zero)
{
	M.engine = &fake_engine;
	/* a 28-byte protected-mode environment: FIP 0x12345, FCS 0x1b, FOP
	 * 0x1e8, FDP 0x6789, FDS 0x23 */
	uint8_t env[28] = {0x7f, 0x03, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff};
	memcpy(env + 12, &(uint32_t){0x12345}, 4);
	memcpy(env + 16, &(uint32_t){0x01e8001b}, 4);
	memcpy(env + 20, &(uint32_t){0x6789}, 4);
	memcpy(env + 24, &(uint32_t){0x23}, 4);
	for (unsigned i = 0; i < sizeof(env); i++)
		wr8(0x6000 + i, env[i]);
	V->gpr[R_EAX] = 0x6000;
	ck_assert_int_eq(exec("d920"), CO_NEXT); /* fldenv [eax] */
	V->gpr[R_EAX] = 0x6100;
	ck_assert_int_eq(exec("d930"), CO_NEXT); /* fnstenv [eax] */
	ck_assert_uint_eq(rd32(0x6100 + 12), 0x12345);
	ck_assert_uint_eq(rd32(0x6100 + 16) & 0x07ffffff, 0x01e8001b);
	ck_assert_uint_eq(rd32(0x6100 + 20), 0x6789);
	ck_assert_uint_eq(rd32(0x6100 + 24) & 0xffff, 0x23);
	/* an address the engine does not own (a TC gone by a flush) */
	memcpy(V->fxsave + 8, &(uint32_t){0xdeadbee0}, 4);
	memcpy(V->fxsave + 16, &(uint32_t){0x5555}, 4);
	V->gpr[R_EAX] = 0x6200;
	ck_assert_int_eq(exec("d930"), CO_NEXT);
	ck_assert_uint_eq(rd32(0x6200 + 12), 0);
	ck_assert_uint_eq(rd32(0x6200 + 16) & 0xffff, 0);
	ck_assert_uint_eq(rd32(0x6200 + 20), 0);
	M.engine = NULL;
}
END_TEST

static Suite *callout_fpu_suite(void)
{
	Suite *s = suite_create("callout_fpu");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_maskmovdqu_limit_stores_nothing);
	tcase_add_test(tc, test_maskmovq_pending_mf);
	tcase_add_test(tc, test_fxsave_checks_512_writes_288);
	tcase_add_test(tc, test_pointers_loaded_or_zero);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(callout_fpu_suite());
}
