/* test_callout_misc.c - callout_exec on the opcodes absent from 64-bit mode
 * (BCD adjusts, SALC, PUSHA/POPA, 0x82, BOUND), string instructions, port
 * I/O, x87/SSE traps and #UD. */
#include "callout_harness.h"

#define ARITH(v) ((v)->eflags & EFL_ARITH)

START_TEST(test_daa_das)
{
	/* SDM example: 79h + 35h = AEh; DAA -> 14h, CF = AF = 1 */
	V->gpr[R_EAX] = 0x123456ae;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("27"), CO_NEXT);
	ck_assert_uint_eq(V->eip, 0x4001);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x12345614);
	ck_assert_uint_eq(ARITH(V), EFL_CF | EFL_AF | EFL_PF);
	/* 0x19 + 0x01 = 0x1a: DAA -> 0x20, CF = 0, AF = 1 */
	V->gpr[R_EAX] = 0x1a;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("27"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x20);
	ck_assert_uint_eq(ARITH(V), EFL_AF);
	/* SDM example: 35h - 47h = EEh (CF, AF); DAS -> 88h, CF = AF = 1 */
	V->gpr[R_EAX] = 0xee;
	V->eflags = EFL_FIXED | EFL_CF | EFL_AF;
	ck_assert_int_eq(exec("2f"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x88);
	ck_assert(V->eflags & EFL_CF);
	ck_assert(V->eflags & EFL_AF);
	ck_assert(V->eflags & EFL_SF);
	ck_assert(V->eflags & EFL_PF);
	ck_assert(!(V->eflags & EFL_ZF));
}
END_TEST

START_TEST(test_aaa_aas_aam_aad)
{
	/* AAA: AX = 000Fh -> 0105h, CF = AF = 1 */
	V->gpr[R_EAX] = 0xffff000f;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("37"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0xffff0105);
	ck_assert(V->eflags & EFL_CF);
	ck_assert(V->eflags & EFL_AF);
	/* AAA without adjustment: high nibble cleared, CF = AF = 0 */
	V->gpr[R_EAX] = 0x0235;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("37"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x0205);
	ck_assert(!(V->eflags & (EFL_CF | EFL_AF)));
	/* AAS: AX = 0200h with AF: AX - 6 = 01FAh, AH - 1 -> 00FAh, AL & 0Fh
	 * -> 000Ah, CF = AF = 1 */
	V->gpr[R_EAX] = 0x0200;
	V->eflags = EFL_FIXED | EFL_AF;
	ck_assert_int_eq(exec("3f"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x000a);
	ck_assert(V->eflags & EFL_CF);
	/* AAM: AL = 4Fh (79) -> AH = 7, AL = 9; PF (9 = 1001b), OF/CF/AF 0 */
	V->gpr[R_EAX] = 0xaaaa004f;
	V->eflags = EFL_FIXED | EFL_CF | EFL_OF | EFL_AF;
	ck_assert_int_eq(exec("d40a"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0xaaaa0709);
	ck_assert_uint_eq(ARITH(V), EFL_PF);
	/* AAM 16: AL = 0 -> ZF, PF */
	V->gpr[R_EAX] = 0x30;
	ck_assert_int_eq(exec("d410"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x0300);
	ck_assert_uint_eq(ARITH(V), EFL_ZF | EFL_PF);
	/* AAM 0: #DE, nothing changed */
	V->gpr[R_EAX] = 0x30;
	ck_assert_int_eq(exec("d400"), CO_FAULT);
	expect_exc(EXC_DE, false, 0);
	ck_assert_uint_eq(V->eip, 0x4000);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x30);
	/* AAD: AX = 0709h -> AL = 79 = 4Fh, AH = 0 */
	V->gpr[R_EAX] = 0x11110709;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("d50a"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x1111004f);
	ck_assert_uint_eq(ARITH(V), 0); /* 0x4f: five bits set: PF = 0 */
}
END_TEST

START_TEST(test_salc_grp82)
{
	V->gpr[R_EAX] = 0x12345600;
	V->eflags = EFL_FIXED | EFL_CF;
	ck_assert_int_eq(exec("d6"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x123456ff);
	ck_assert(V->eflags & EFL_CF);
	/* 82 /0: add al, 1 with AL = 7Fh -> 80h: OF, SF, AF */
	V->gpr[R_EAX] = 0x7f;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("82c001"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x80);
	ck_assert_uint_eq(ARITH(V), EFL_OF | EFL_SF | EFL_AF);
	/* 82 /7: cmp byte [ebx], 5 leaves memory, sets CF for 3 < 5 */
	V->gpr[R_EBX] = 0x6000;
	wr8(0x6000, 3);
	ck_assert_int_eq(exec("823b05"), CO_NEXT);
	ck_assert(V->eflags & EFL_CF);
	ck_assert_uint_eq(rd32(0x6000) & 0xff, 3);
	/* 82 /5: sub byte [ebx], 3 -> 0, ZF */
	ck_assert_int_eq(exec("822b03"), CO_NEXT);
	ck_assert_uint_eq(rd32(0x6000) & 0xff, 0);
	ck_assert(V->eflags & EFL_ZF);
}
END_TEST

START_TEST(test_pusha_popa)
{
	for (int r = 0; r < 8; r++)
		if (r != R_ESP)
			V->gpr[r] = 0x11111111u * (r + 1);
	ck_assert_int_eq(exec("60"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 32);
	ck_assert_uint_eq(rd32(STACK0 - 4), 0x11111111);  /* EAX first */
	ck_assert_uint_eq(rd32(STACK0 - 20), STACK0);	  /* original ESP */
	ck_assert_uint_eq(rd32(STACK0 - 32), 0x88888888); /* EDI last */
	for (int r = 0; r < 8; r++)
		if (r != R_ESP)
			V->gpr[r] = 0;
	ck_assert_int_eq(exec("61"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0);
	for (int r = 0; r < 8; r++)
		if (r != R_ESP)
			ck_assert_uint_eq(V->gpr[r], 0x11111111u * (r + 1));
	/* 16-bit forms touch only the low words */
	ck_assert_int_eq(exec("6660"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 16);
	V->gpr[R_EAX] = 0xabcd0000;
	ck_assert_int_eq(exec("6661"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0xabcd1111);
	/* a stack fault leaves everything unchanged */
	cpu_load_seg(V, S_SS, SEL_SMALL); /* limit 0xfff */
	V->gpr[R_ESP] = 0x10;
	ck_assert_int_eq(exec("60"), CO_FAULT);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x10);
	ck_assert(V->exc.valid && V->exc.vector == EXC_SS);
}
END_TEST

START_TEST(test_bound)
{
	V->gpr[R_EBX] = 0x6000;
	wr32(0x6000, (uint32_t)-5);
	wr32(0x6004, 10);
	V->gpr[R_EAX] = (uint32_t)-5;
	ck_assert_int_eq(exec("6203"), CO_NEXT);
	V->gpr[R_EAX] = 10;
	ck_assert_int_eq(exec("6203"), CO_NEXT);
	V->gpr[R_EAX] = 11;
	ck_assert_int_eq(exec("6203"), CO_FAULT);
	expect_exc(EXC_BR, false, 0);
	ck_assert_uint_eq(V->eip, 0x4000);
}
END_TEST

START_TEST(test_rep_movsd)
{
	for (unsigned i = 0; i < 8; i++)
		wr32(0x10000 + 4 * i, 0xa0000000u + i);
	/* forwards */
	V->gpr[R_ESI] = 0x10000;
	V->gpr[R_EDI] = 0x20000;
	V->gpr[R_ECX] = 8;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("f3a5"), CO_NEXT);
	ck_assert_uint_eq(V->eip, 0x4002);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(rd32(0x20000 + 4 * i), 0xa0000000u + i);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
	ck_assert_uint_eq(V->gpr[R_ESI], 0x10020);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x20020);
	/* backwards: last element first */
	V->gpr[R_ESI] = 0x1001c;
	V->gpr[R_EDI] = 0x3001c;
	V->gpr[R_ECX] = 8;
	V->eflags = EFL_FIXED | EFL_DF;
	ck_assert_int_eq(exec("f3a5"), CO_NEXT);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(rd32(0x30000 + 4 * i), 0xa0000000u + i);
	ck_assert_uint_eq(V->gpr[R_ESI], 0x0fffc);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x2fffc);
	/* ECX = 0: nothing */
	V->gpr[R_ECX] = 0;
	ck_assert_int_eq(exec("f3a5"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESI], 0x0fffc);
}
END_TEST

START_TEST(test_rep_stos_cmps)
{
	V->gpr[R_EDI] = 0x40000;
	V->gpr[R_ECX] = 5;
	V->gpr[R_EAX] = 0x5a;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("f3aa"), CO_NEXT); /* rep stosb */
	ck_assert_uint_eq(rd32(0x40000), 0x5a5a5a5a);
	ck_assert_uint_eq(rd32(0x40004) & 0xff, 0x5a);
	wr8(0x40003, 0x10);
	V->gpr[R_ESI] = 0x40000;
	V->gpr[R_EDI] = 0x40000;
	wr32(0x50000, 0x005a5a5a);
	V->gpr[R_EDI] = 0x50000;
	V->gpr[R_ECX] = 5;
	ck_assert_int_eq(exec("f3a6"), CO_NEXT); /* repe cmpsb: stops at byte 3 */
	ck_assert_uint_eq(V->gpr[R_ECX], 1);
	ck_assert_uint_eq(V->gpr[R_ESI], 0x40004);
	ck_assert(!(V->eflags & EFL_ZF));
	/* a big REP the cpu layer splits: EIP stays, CO_EXIT, then resumes */
	V->gpr[R_EDI] = 0x100000;
	V->gpr[R_ECX] = 0x100000;
	enum callout_result r;
	unsigned rounds = 0;
	while ((r = exec("f3ab")) == CO_EXIT) {
		ck_assert_uint_eq(V->eip, 0x4000);
		ck_assert_uint_gt(V->gpr[R_ECX], 0);
		ck_assert_uint_lt(++rounds, 1000);
	}
	ck_assert_int_eq(r, CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x500000);
	ck_assert_uint_eq(rd32(0x4ffffc), 0x5a);
}
END_TEST

START_TEST(test_port_io)
{
	uint32_t want = machine_io_in(&M, 0x71, 1) & 0xff;

	V->gpr[R_EAX] = 0x12345678;
	ck_assert_int_eq(exec("e471"), CO_NEXT); /* in al, 0x71 */
	ck_assert_uint_eq(V->gpr[R_EAX], 0x12345600 | want);
	want = machine_io_in(&M, 0x3f8, 2) & 0xffff;
	V->gpr[R_EDX] = 0x3f8;
	ck_assert_int_eq(exec("66ed"), CO_NEXT); /* in ax, dx */
	ck_assert_uint_eq(V->gpr[R_EAX], 0x12340000 | want);
	ck_assert_int_eq(exec("ef"), CO_NEXT); /* out dx, eax */
	ck_assert_uint_eq(V->eip, 0x4001);
	/* CPL3 with IOPL 0 and a bitmap that denies every port: #GP(0) */
	enter_cpl3();
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("e471"), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	/* allow port 0x71 in the TSS bitmap */
	wr8(TSS_BASE + 104 + 0x71 / 8, 0xff & ~(1u << (0x71 % 8)));
	ck_assert_int_eq(exec("e471"), CO_NEXT);
	/* rep insb into memory at CPL0 */
	V->cpl = 0;
	V->gpr[R_EDX] = 0x71;
	V->gpr[R_EDI] = 0x6000;
	V->gpr[R_ECX] = 3;
	want = machine_io_in(&M, 0x71, 1) & 0xff;
	ck_assert_int_eq(exec("f36c"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x6003);
	ck_assert_uint_eq(rd32(0x6000) & 0xff, want);
}
END_TEST

START_TEST(test_fpu_traps_ud)
{
	V->cr0 |= CR0_TS;
	ck_assert_int_eq(exec("0f28c1"), CO_FAULT); /* movaps without CR4.OSFXSR: #UD */
	expect_exc(EXC_UD, false, 0);
	V->cr4 |= CR4_OSFXSR;
	ck_assert_int_eq(exec("d9e8"), CO_FAULT); /* fld1 */
	expect_exc(EXC_NM, false, 0);
	ck_assert_int_eq(exec("0f28c1"), CO_FAULT); /* movaps */
	expect_exc(EXC_NM, false, 0);
	ck_assert_int_eq(exec("9b"), CO_NEXT); /* wait: MP clear */
	V->cr0 |= CR0_MP;
	ck_assert_int_eq(exec("9b"), CO_FAULT);
	expect_exc(EXC_NM, false, 0);
	V->cr0 = (V->cr0 & ~CR0_TS) | CR0_EM;
	ck_assert_int_eq(exec("0f28c1"), CO_FAULT); /* SSE with EM: #UD */
	expect_exc(EXC_UD, false, 0);
	ck_assert_int_eq(exec("0f77"), CO_FAULT); /* emms with EM: #UD */
	expect_exc(EXC_UD, false, 0);
	ck_assert_int_eq(exec("d9e8"), CO_FAULT); /* x87 with EM: #NM */
	expect_exc(EXC_NM, false, 0);
	ck_assert_int_eq(exec("0fae00"), CO_FAULT); /* fxsave with EM: #NM */
	expect_exc(EXC_NM, false, 0);
	V->cr0 &= ~CR0_EM;
	const char *ud[] = {"0f0b", "f20f7cc1", "0f05", "0faa", "0f01c8", "f30fb8c0"};
	for (unsigned i = 0; i < ARRAY_SIZE(ud); i++) {
		ck_assert_msg(exec(ud[i]) == CO_FAULT, "%s", ud[i]);
		expect_exc(EXC_UD, false, 0);
		ck_assert_uint_eq(V->eip, 0x4000);
	}
	/* RDTSCP is in the model: EDX:EAX = TSC, ECX = IA32_TSC_AUX */
	V->tsc_aux = 0x1234;
	ck_assert_int_eq(exec("0f01f9"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0x1234);
}
END_TEST

START_TEST(test_lzcnt_is_bsr)
{
	V->gpr[R_EBX] = 0x00f00000;
	V->gpr[R_EAX] = 0;
	ck_assert_int_eq(exec("f30fbdc3"), CO_NEXT); /* "lzcnt eax, ebx" = bsr */
	ck_assert_uint_eq(V->gpr[R_EAX], 23);
	ck_assert(!(V->eflags & EFL_ZF));
	ck_assert_int_eq(exec("f30fbcc3"), CO_NEXT); /* "tzcnt" = bsf */
	ck_assert_uint_eq(V->gpr[R_EAX], 20);
	V->gpr[R_EBX] = 0;
	ck_assert_int_eq(exec("f30fbdc3"), CO_NEXT);
	ck_assert(V->eflags & EFL_ZF);
	ck_assert_uint_eq(V->gpr[R_EAX], 20); /* unchanged */
}
END_TEST

static Suite *callout_misc_suite(void)
{
	Suite *s = suite_create("callout_misc");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_daa_das);
	tcase_add_test(tc, test_aaa_aas_aam_aad);
	tcase_add_test(tc, test_salc_grp82);
	tcase_add_test(tc, test_pusha_popa);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_rep_movsd);
	tcase_add_test(tc, test_rep_stos_cmps);
	tcase_add_test(tc, test_port_io);
	tcase_add_test(tc, test_fpu_traps_ud);
	tcase_add_test(tc, test_lzcnt_is_bsr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(callout_misc_suite());
}
