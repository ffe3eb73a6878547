/* test_cpu_task.c - hardware task switches in the cpu layer: the checks
 * before the commit point (old task untouched), CALL and IRET with the
 * back link, NT and the busy bits, JMP, the old task's saved state, CR0.TS,
 * and a fault after the commit (a bad LDT selector) raised in the new
 * task. */
#include <stdlib.h>

#include "test_cpu_fixture.h"

#define NEW_TSS	 0x5000u
#define SEL_NEW	 0x68 /* GDT entry 13: the second task's TSS */
#define SEL_LDTD 0x70 /* a data descriptor where an LDT is expected */

/* new_task: a 32-bit TSS at NEW_TSS for a ring-0 task at eip. */
static void new_task(uint32_t eip, uint16_t ldt)
{
	for (uint32_t i = 0; i < 0x68; i += 4)
		wr32(NEW_TSS + i, 0);
	wr32(NEW_TSS + 0x20, eip);
	wr32(NEW_TSS + 0x24, 0x2);
	wr32(NEW_TSS + 0x28, 0x1111); /* EAX */
	wr32(NEW_TSS + 0x38, 0x6000); /* ESP */
	wr32(NEW_TSS + 0x48, SEL_DATA0);
	wr32(NEW_TSS + 0x4c, SEL_CODE0);
	wr32(NEW_TSS + 0x50, SEL_DATA0);
	wr32(NEW_TSS + 0x54, SEL_DATA0);
	wr32(NEW_TSS + 0x60, ldt);
	V->gdtr.limit = 0x7f;
	gdt_set(SEL_NEW, make_desc(NEW_TSS, 0x67, 0x89, 0));
}

static unsigned type_of(uint16_t sel)
{
	return (unsigned)(rd64(GDT_BASE + sel) >> 40) & 0xf;
}

START_TEST(test_checks_before_commit)
{
	new_task(0x4444, 0);
	V->eip = 0x100;
	ck_assert_int_eq(cpu_far_jmp(V, SEL_TSS, 0, 4), CPU_FAULT); /* busy: the running task */
	expect_exc(EXC_GP, true, SEL_TSS);
	gdt_set(SEL_NEW, make_desc(NEW_TSS, 0x20, 0x89, 0)); /* below 0x67 */
	ck_assert_int_eq(cpu_far_jmp(V, SEL_NEW, 0, 4), CPU_FAULT);
	expect_exc(EXC_TS, true, SEL_NEW);
	gdt_set(SEL_NEW, make_desc(NEW_TSS, 0x67, 0x09, 0)); /* not present */
	ck_assert_int_eq(cpu_far_call(V, SEL_NEW, 0, 4), CPU_FAULT);
	expect_exc(EXC_NP, true, SEL_NEW);
	gdt_set(SEL_NEW, make_desc(NEW_TSS, 0x67, 0x89, 0));
	ck_assert_int_eq(cpu_far_jmp(V, SEL_NEW | 4, 0, 4), CPU_FAULT); /* in the LDT */
	ck_assert(V->exc.valid);
	V->exc.valid = false;
	V->eflags |= EFL_NT; /* IRET to a task that is not busy */
	wr16(TSS_BASE, SEL_NEW);
	ck_assert_int_eq(cpu_iret(V, 4), CPU_FAULT);
	expect_exc(EXC_TS, true, SEL_NEW);
	ck_assert_uint_eq(V->tr.sel, SEL_TSS);
	ck_assert_uint_eq(V->eip, 0x100);
}
END_TEST

START_TEST(test_call_and_iret)
{
	new_task(0x4444, 0);
	V->eip = 0x100;
	V->gpr[R_EBX] = 0xb0b;
	ck_assert_int_eq(cpu_far_call(V, SEL_NEW, 0x9999, 4), 0);
	ck_assert(!V->exc.valid);
	ck_assert_uint_eq(V->eip, 0x4444);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x1111);
	ck_assert_uint_eq(V->tr.sel, SEL_NEW);
	ck_assert(V->eflags & EFL_NT);
	ck_assert(V->cr0 & CR0_TS);
	ck_assert_uint_eq(rd32(NEW_TSS) & 0xffff, SEL_TSS); /* back link */
	ck_assert_uint_eq(rd32(TSS_BASE + 0x20), 0x100);    /* old EIP saved */
	ck_assert_uint_eq(rd32(TSS_BASE + 0x34), 0xb0b);    /* old EBX saved */
	ck_assert_uint_eq(type_of(SEL_NEW), 11);
	ck_assert_uint_eq(type_of(SEL_TSS), 11); /* a CALL keeps the caller busy */
	ck_assert_int_eq(cpu_iret(V, 4), 0);
	ck_assert_uint_eq(V->tr.sel, SEL_TSS);
	ck_assert_uint_eq(V->eip, 0x100);
	ck_assert_uint_eq(V->gpr[R_EBX], 0xb0b);
	ck_assert_uint_eq(type_of(SEL_NEW), 9);
	ck_assert(!(rd32(NEW_TSS + 0x24) & EFL_NT)); /* saved without NT */
}
END_TEST

START_TEST(test_jmp)
{
	new_task(0x4444, 0);
	V->eip = 0x200;
	ck_assert_int_eq(cpu_far_jmp(V, SEL_NEW, 0, 4), 0);
	ck_assert_uint_eq(V->eip, 0x4444);
	ck_assert(!(V->eflags & EFL_NT));
	ck_assert_uint_eq(type_of(SEL_TSS), 9); /* a JMP frees the old task */
	ck_assert_uint_eq(type_of(SEL_NEW), 11);
	ck_assert_uint_eq(rd32(NEW_TSS) & 0xffff, 0); /* no back link */
}
END_TEST

START_TEST(test_fault_in_new_task)
{
	new_task(0x4444, SEL_LDTD);
	gdt_set(SEL_LDTD, make_desc(0, 0xfffff, 0x92, 0xc));
	V->eip = 0x300;
	ck_assert_int_eq(cpu_far_jmp(V, SEL_NEW, 0, 4), 0);
	ck_assert_uint_eq(V->tr.sel, SEL_NEW); /* the switch went through */
	ck_assert_uint_eq(V->eip, 0x4444);
	expect_exc(EXC_TS, true, SEL_LDTD); /* raised in the new task */
}
END_TEST

/* A double fault through a task gate: the new task runs with the error
 * code (0) on its own stack and the faulting task named by its link. */
START_TEST(test_double_fault_gate)
{
	new_task(0x4444, 0);
	idt_set(8, make_gate(SEL_NEW, 0, 0x5, 0, 0));
	V->eip = 0x500;
	cpu_raise(V, EXC_DF, true, 0);
	cpu_deliver_pending(V);
	ck_assert_int_eq(M.exit.reason, EXIT_NONE);
	ck_assert_uint_eq(V->tr.sel, SEL_NEW);
	ck_assert_uint_eq(V->eip, 0x4444);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x6000 - 4);
	ck_assert_uint_eq(rd32(0x6000 - 4), 0); /* the error code */
	ck_assert_uint_eq(rd32(NEW_TSS) & 0xffff, SEL_TSS);
	ck_assert_uint_eq(rd32(TSS_BASE + 0x20), 0x500);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu_task");
	TCase *tc = tcase_create("task");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_checks_before_commit);
	tcase_add_test(tc, test_call_and_iret);
	tcase_add_test(tc, test_jmp);
	tcase_add_test(tc, test_fault_in_new_task);
	tcase_add_test(tc, test_double_fault_gate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
