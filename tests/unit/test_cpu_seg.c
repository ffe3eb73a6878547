/* test_cpu_seg.c - segment loads, descriptor-table instructions, far
 * JMP/CALL/RET and call gates (cpu_seg.c, cpu_flow.c). */
#include "test_cpu_fixture.h"

START_TEST(test_load_data_ok)
{
	/* Clear the accessed bit; the load must set it in the GDT. */
	gdt_set(SEL_DATA0, make_desc(0, 0xfffff, 0x92, 0xc));
	ck_assert_int_eq(cpu_load_seg(V, S_DS, SEL_DATA0), 0);
	ck_assert(rd64(GDT_BASE + SEL_DATA0) & (1ull << 40));
	ck_assert(cpu_seg_flat(V, S_DS));
	ck_assert_int_eq(cpu_load_seg(V, S_ES, SEL_SMALL), 0);
	ck_assert_uint_eq(V->seg[S_ES].base, 0x100000);
	ck_assert_uint_eq(V->seg[S_ES].limit, 0xfff);
	ck_assert(!cpu_seg_flat(V, S_ES));
	/* Null into DS is fine; using it faults. */
	ck_assert_int_eq(cpu_load_seg(V, S_DS, 0), 0);
	uint32_t x;

	ck_assert_int_eq(cpu_read_seg(V, S_DS, 0, &x, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
}
END_TEST

START_TEST(test_load_errors)
{
	/* execute-only code into DS */
	ck_assert_int_eq(cpu_load_seg(V, S_DS, SEL_XCODE0), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_XCODE0);
	/* not present -> #NP(sel) */
	ck_assert_int_eq(cpu_load_seg(V, S_FS, SEL_NP), CPU_FAULT);
	expect_exc(EXC_NP, true, SEL_NP);
	/* beyond the GDT limit */
	ck_assert_int_eq(cpu_load_seg(V, S_GS, 0x1f8), CPU_FAULT);
	expect_exc(EXC_GP, true, 0x1f8);
	/* LDT selector with no LDT */
	ck_assert_int_eq(cpu_load_seg(V, S_GS, 0x0c), CPU_FAULT);
	expect_exc(EXC_GP, true, 0x0c);
	/* SS: null -> #GP(0); read-only -> #GP(sel); RPL != CPL -> #GP(sel) */
	ck_assert_int_eq(cpu_load_seg(V, S_SS, 0), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_load_seg(V, S_SS, SEL_RO0), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_RO0);
	ck_assert_int_eq(cpu_load_seg(V, S_SS, SEL_DATA0 | 3), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_DATA0);
	ck_assert_int_eq(cpu_load_seg(V, S_SS, SEL_DATA1 & ~3), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_DATA1 & ~3);
	/* SS not present -> #SS(sel) */
	gdt_set(SEL_NP, make_desc(0, 0xfffff, 0x12 | 0x0, 0xc));
	wr64(GDT_BASE + SEL_NP, make_desc(0, 0xfffff, 0x12, 0xc));
	ck_assert_int_eq(cpu_load_seg(V, S_SS, SEL_NP), CPU_FAULT);
	expect_exc(EXC_SS, true, SEL_NP);
	ck_assert_uint_eq(V->seg[S_SS].sel, SEL_DATA0); /* unchanged */
	/* CPL3: a DPL0 data segment into DS -> #GP(sel) */
	enter_cpl3();
	ck_assert_int_eq(cpu_load_seg(V, S_DS, SEL_DATA0), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_DATA0);
	ck_assert_int_eq(cpu_load_seg(V, S_DS, SEL_DATA3), 0);
	/* conforming readable code is allowed at any CPL */
	gdt_set(SEL_CONF0, make_desc(0, 0xfffff, 0x9e, 0xc));
	ck_assert_int_eq(cpu_load_seg(V, S_ES, SEL_CONF0 | 3), 0);
	ck_assert_int_eq(cpu_load_seg(V, S_SS, SEL_DATA3), 0);
	ck_assert(V->intr_shadow);
}
END_TEST

START_TEST(test_limit_checks)
{
	uint32_t x = 0;

	ck_assert_int_eq(cpu_load_seg(V, S_ES, SEL_SMALL), 0);
	ck_assert_int_eq(cpu_write_seg(V, S_ES, 0xffc, &x, 4), 0);
	ck_assert_int_eq(cpu_write_seg(V, S_ES, 0xffd, &x, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_load_seg(V, S_ES, SEL_RO0), 0);
	ck_assert_int_eq(cpu_write_seg(V, S_ES, 0, &x, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_read_seg(V, S_ES, 0, &x, 4), 0);
	/* pushes beyond a small SS raise #SS(0) */
	ck_assert_int_eq(cpu_load_seg(V, S_SS, SEL_SMALL), 0);
	V->gpr[R_ESP] = 2;
	ck_assert_int_eq(cpu_push(V, 1, 4), CPU_FAULT);
	expect_exc(EXC_SS, true, 0);
	ck_assert_uint_eq(V->gpr[R_ESP], 2);
	V->gpr[R_ESP] = 0x100;
	ck_assert_int_eq(cpu_push(V, 0xabcd1234, 4), 0);
	ck_assert_uint_eq(rd32(0x100000 + 0xfc), 0xabcd1234);
	uint32_t y;

	ck_assert_int_eq(cpu_pop(V, &y, 4), 0);
	ck_assert_uint_eq(y, 0xabcd1234);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x100);
}
END_TEST

START_TEST(test_far_call_gate_cpl3)
{
	enter_cpl3();
	V->eip = 0x401000;
	ck_assert_int_eq(cpu_far_call(V, SEL_GATE3, 0xdead, 4), 0);
	ck_assert_uint_eq(V->cpl, 0);
	ck_assert_uint_eq(V->eip, GATE_TARGET);
	ck_assert_uint_eq(V->seg[S_CS].sel, SEL_CODE0);
	ck_assert_uint_eq(V->seg[S_SS].sel, SEL_DATA0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 16);
	ck_assert_uint_eq(rd32(STACK0 - 16), 0x401000);
	ck_assert_uint_eq(rd32(STACK0 - 12), SEL_CODE3);
	ck_assert_uint_eq(rd32(STACK0 - 8), STACK3);
	ck_assert_uint_eq(rd32(STACK0 - 4), SEL_DATA3);
	/* RETF to CPL3: DS holds a DPL0 segment and is nulled. */
	cpu_desc_to_seg(make_desc(0, 0xfffff, 0x93, 0xc), SEL_DATA0, &V->seg[S_DS]);
	ck_assert_int_eq(cpu_far_ret(V, 0, 4), 0);
	ck_assert_uint_eq(V->cpl, 3);
	ck_assert_uint_eq(V->eip, 0x401000);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);
	ck_assert_uint_eq(V->seg[S_SS].sel, SEL_DATA3);
	ck_assert_uint_eq(V->seg[S_DS].sel, 0);
	ck_assert_uint_eq(V->seg[S_ES].sel, SEL_DATA3); /* DPL3: kept */
}
END_TEST

START_TEST(test_call_gate_params)
{
	gdt_set(SEL_GATE3, make_gate(SEL_CODE0, GATE_TARGET, 0xc, 3, 2));
	enter_cpl3();
	wr32(STACK3, 0x11111111);
	wr32(STACK3 + 4, 0x22222222);
	V->eip = 0x401000;
	ck_assert_int_eq(cpu_far_call(V, SEL_GATE3, 0, 4), 0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 24);
	ck_assert_uint_eq(rd32(STACK0 - 16), 0x11111111);
	ck_assert_uint_eq(rd32(STACK0 - 12), 0x22222222);
	ck_assert_uint_eq(rd32(STACK0 - 8), STACK3);
	/* RETF 8 releases the parameters on both stacks */
	ck_assert_int_eq(cpu_far_ret(V, 8, 4), 0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3 + 8);
}
END_TEST

START_TEST(test_far_call_errors)
{
	enter_cpl3();
	V->eip = 0x401000;
	/* direct far call to a ring-0 non-conforming segment */
	ck_assert_int_eq(cpu_far_call(V, SEL_CODE0, 0, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_CODE0);
	/* gate DPL below CPL */
	gdt_set(SEL_GATE3, make_gate(SEL_CODE0, GATE_TARGET, 0xc, 0, 0));
	ck_assert_int_eq(cpu_far_call(V, SEL_GATE3, 0, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_GATE3 & ~3);
	/* null selector */
	ck_assert_int_eq(cpu_far_jmp(V, 0, 0, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->cpl, 3);
	ck_assert_uint_eq(V->eip, 0x401000);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);
}
END_TEST

START_TEST(test_far_jmp_and_call_same)
{
	V->eip = 0x100;
	ck_assert_int_eq(cpu_far_jmp(V, SEL_CONF0, 0x2000, 4), 0);
	ck_assert_uint_eq(V->seg[S_CS].sel, SEL_CONF0);
	ck_assert_uint_eq(V->eip, 0x2000);
	ck_assert_int_eq(cpu_far_call(V, SEL_CODE0, 0x3000, 4), 0);
	ck_assert_uint_eq(rd32(STACK0 - 8), 0x2000);
	ck_assert_uint_eq(rd32(STACK0 - 4), SEL_CONF0);
	ck_assert_int_eq(cpu_far_ret(V, 0, 4), 0);
	ck_assert_uint_eq(V->eip, 0x2000);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0);
	/* beyond the code limit */
	gdt_set(SEL_XCODE0, make_desc(0, 0xfff, 0x98, 0x4));
	ck_assert_int_eq(cpu_far_jmp(V, SEL_XCODE0, 0x1000, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	/* real mode far call */
	vcpu_reset(V);
	V->gpr[R_ESP] = 0x1000;
	V->eip = 0x55;
	ck_assert_int_eq(cpu_far_call(V, 0x1234, 0x10, 2), 0);
	ck_assert_uint_eq(V->seg[S_CS].base, 0x12340);
	ck_assert_uint_eq(rd32(0xffc), 0xf0000055);
}
END_TEST

START_TEST(test_lar_lsl_verr)
{
	uint32_t out = 0;
	bool zf;

	ck_assert_int_eq(cpu_lar(V, SEL_DATA0, &out, &zf), 0);
	ck_assert(zf);
	ck_assert_uint_eq(out, 0x00cf9200); /* type, S, DPL, P, limit 19:16, flags */
	ck_assert_int_eq(cpu_lsl(V, SEL_SMALL, &out, &zf), 0);
	ck_assert(zf);
	ck_assert_uint_eq(out, 0xfff);
	ck_assert_int_eq(cpu_lsl(V, 0x1f8, &out, &zf), 0);
	ck_assert(!zf);
	ck_assert_int_eq(cpu_verw(V, SEL_RO0, &zf), 0);
	ck_assert(!zf);
	ck_assert_int_eq(cpu_verr(V, SEL_RO0, &zf), 0);
	ck_assert(zf);
	ck_assert_int_eq(cpu_verr(V, SEL_XCODE0, &zf), 0);
	ck_assert(!zf);
	ck_assert_int_eq(cpu_lar(V, SEL_GATE3, &out, &zf), 0);
	ck_assert(zf); /* call gate is valid for LAR */
	ck_assert_int_eq(cpu_lsl(V, SEL_GATE3, &out, &zf), 0);
	ck_assert(!zf); /* but not for LSL */
	enter_cpl3();
	ck_assert_int_eq(cpu_lar(V, SEL_DATA0, &out, &zf), 0);
	ck_assert(!zf); /* DPL0 < CPL3 */
	ck_assert_int_eq(cpu_verw(V, SEL_DATA3, &zf), 0);
	ck_assert(zf);
}
END_TEST

START_TEST(test_ltr_lldt_lgdt)
{
	/* TSS is busy after LTR in the fixture; LTR again: #GP(sel) */
	ck_assert_uint_eq((rd64(GDT_BASE + SEL_TSS) >> 40) & 0xf, 0xb);
	ck_assert_int_eq(cpu_ltr(V, SEL_TSS), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_TSS);
	ck_assert_int_eq(cpu_ltr(V, 0), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	/* an LDT with one data segment */
	gdt_set(0x60, make_desc(0x4000, 0xf, 0x82, 0));
	wr64(0x4008, make_desc(0x200000, 0xffff, 0x93, 0x4));
	ck_assert_int_eq(cpu_lldt(V, 0x60), 0);
	ck_assert_int_eq(cpu_load_seg(V, S_FS, 0x0c), 0);
	ck_assert_uint_eq(V->seg[S_FS].base, 0x200000);
	ck_assert_int_eq(cpu_lldt(V, SEL_DATA0), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_DATA0);
	enter_cpl3();
	ck_assert_int_eq(cpu_lgdt(V, 0, 0), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->gdtr.base, GDT_BASE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu_seg");
	TCase *tc = tcase_create("seg");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_load_data_ok);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_limit_checks);
	tcase_add_test(tc, test_far_call_gate_cpl3);
	tcase_add_test(tc, test_call_gate_params);
	tcase_add_test(tc, test_far_call_errors);
	tcase_add_test(tc, test_far_jmp_and_call_same);
	tcase_add_test(tc, test_lar_lsl_verr);
	tcase_add_test(tc, test_ltr_lldt_lgdt);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
