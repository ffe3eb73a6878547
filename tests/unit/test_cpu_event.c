/* test_cpu_event.c - exception and interrupt delivery, #DF, triple fault,
 * IRET, INT n (cpu_event.c, cpu_flow.c). */
#include "test_cpu_fixture.h"

/* Same-privilege #GP with error code through an interrupt gate. */
START_TEST(test_same_priv_frame)
{
	V->eip = 0x1234;
	V->eflags = EFL_FIXED | EFL_IF | EFL_TF | EFL_CF;
	cpu_raise_gp(V, 0x58);
	cpu_deliver_pending(V);
	ck_assert(!V->exc.valid);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 16);
	ck_assert_uint_eq(rd32(STACK0 - 16), 0x58);	/* error code */
	ck_assert_uint_eq(rd32(STACK0 - 12), 0x1234);	/* EIP */
	ck_assert_uint_eq(rd32(STACK0 - 8), SEL_CODE0); /* CS */
	ck_assert_uint_eq(rd32(STACK0 - 4), EFL_FIXED | EFL_IF | EFL_TF | EFL_CF);
	ck_assert_uint_eq(V->eip, 0x5000 + 13 * 16);
	ck_assert(!(V->eflags & EFL_IF)); /* interrupt gate */
	ck_assert(!(V->eflags & EFL_TF));
	ck_assert(V->eflags & EFL_CF);
	ck_assert_uint_eq(V->cpl, 0);
}
END_TEST

/* Trap gate keeps IF; no error code for #BP-like vectors. */
START_TEST(test_trap_gate_keeps_if)
{
	idt_set(3, make_gate(SEL_CODE0, 0x6000, 0xf, 3, 0));
	V->eip = 0x2000;
	V->eflags = EFL_FIXED | EFL_IF;
	ck_assert_int_eq(cpu_int(V, 3, EV_SOFTEXC), 0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 12);
	ck_assert_uint_eq(rd32(STACK0 - 12), 0x2000);
	ck_assert(V->eflags & EFL_IF);
	ck_assert_uint_eq(V->eip, 0x6000);
}
END_TEST

/* A page fault at CPL3 switches to the TSS stack and pushes SS:ESP. */
START_TEST(test_cpl3_stack_switch)
{
	enter_cpl3();
	V->eip = 0x400100;
	V->eflags = EFL_FIXED | EFL_IF;
	cpu_raise_pf(V, 0xdeadb000, PFEC_U | PFEC_W);
	cpu_deliver_pending(V);
	ck_assert_uint_eq(V->cr2, 0xdeadb000);
	ck_assert_uint_eq(V->cpl, 0);
	ck_assert_uint_eq(V->seg[S_CS].sel, SEL_CODE0);
	ck_assert_uint_eq(V->seg[S_SS].sel, SEL_DATA0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 24);
	ck_assert_uint_eq(rd32(STACK0 - 24), PFEC_U | PFEC_W);
	ck_assert_uint_eq(rd32(STACK0 - 20), 0x400100);
	ck_assert_uint_eq(rd32(STACK0 - 16), SEL_CODE3);
	ck_assert_uint_eq(rd32(STACK0 - 12), EFL_FIXED | EFL_IF);
	ck_assert_uint_eq(rd32(STACK0 - 8), STACK3);
	ck_assert_uint_eq(rd32(STACK0 - 4), SEL_DATA3);
	ck_assert_uint_eq(V->eip, 0x5000 + 14 * 16);
	ck_assert(!(V->eflags & EFL_IF));
	/* Accessed bit written back into the code descriptor. */
	ck_assert(rd64(GDT_BASE + 8) & (1ull << 40));

	/* IRET back to CPL3 restores everything. */
	V->gpr[R_ESP] += 4; /* handler pops the error code */
	ck_assert_int_eq(cpu_iret(V, 4), 0);
	ck_assert_uint_eq(V->cpl, 3);
	ck_assert_uint_eq(V->eip, 0x400100);
	ck_assert_uint_eq(V->seg[S_CS].sel, SEL_CODE3);
	ck_assert_uint_eq(V->seg[S_SS].sel, SEL_DATA3);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);
	ck_assert(V->eflags & EFL_IF);
}
END_TEST

/* IRET at CPL3 cannot change IOPL or IF (IOPL 0); returning to CPL0 is #GP. */
START_TEST(test_iret_rules)
{
	enter_cpl3();
	V->eflags = EFL_FIXED | EFL_IF;
	wr32(STACK3, 0x1000);
	wr32(STACK3 + 4, SEL_CODE3);
	wr32(STACK3 + 8, EFL_FIXED | EFL_IOPL | EFL_CF);
	ck_assert_int_eq(cpu_iret(V, 4), 0);
	ck_assert_uint_eq(V->eflags & EFL_IOPL, 0);
	ck_assert(V->eflags & EFL_IF);
	ck_assert(V->eflags & EFL_CF);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3 + 12);

	V->gpr[R_ESP] = STACK3;
	wr32(STACK3 + 4, SEL_CODE0);
	ck_assert_int_eq(cpu_iret(V, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, SEL_CODE0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);
	ck_assert_uint_eq(V->cpl, 3);
}
END_TEST

/* INT n from CPL3 to a DPL0 gate: #GP(vector*8+2); DPL3 gate works. */
START_TEST(test_int_dpl_check)
{
	enter_cpl3();
	V->eip = 0x1002;
	ck_assert_int_eq(cpu_int(V, 0x80, EV_SOFTINT), CPU_FAULT);
	expect_exc(EXC_GP, true, 0x80 * 8 + 2);
	ck_assert_uint_eq(V->cpl, 3);
	ck_assert_uint_eq(V->eip, 0x1002);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);

	idt_set(0x80, make_gate(SEL_CODE0, 0x6800, 0xf, 3, 0));
	ck_assert_int_eq(cpu_int(V, 0x80, EV_SOFTINT), 0);
	ck_assert_uint_eq(V->cpl, 0);
	ck_assert_uint_eq(V->eip, 0x6800);
	ck_assert_uint_eq(rd32(V->gpr[R_ESP]), 0x1002);
}
END_TEST

/* External interrupts skip the DPL check and use EXT in error codes. */
START_TEST(test_hwint)
{
	enter_cpl3();
	V->eflags = EFL_FIXED;
	test_intr_vector = 0x20;
	ck_assert(!cpu_check_interrupts(V)); /* IF = 0 */
	V->eflags |= EFL_IF;
	V->intr_shadow = true;
	ck_assert(!cpu_check_interrupts(V));
	V->intr_shadow = false;
	V->halted = true;
	V->eip = 0x3000;
	ck_assert(cpu_check_interrupts(V));
	ck_assert(!V->halted);
	ck_assert_uint_eq(V->cpl, 0);
	ck_assert_uint_eq(V->eip, 0x5000 + 0x20 * 16);
	ck_assert_uint_eq(rd32(V->gpr[R_ESP]), 0x3000);
}
END_TEST

/* #GP whose gate is not present: #NP(vec*8+2+EXT) during delivery of a
 * contributory exception becomes #DF(0). */
START_TEST(test_double_fault)
{
	V->eip = 0x4444;
	wr64(IDT_BASE + 13 * 8, make_gate(SEL_CODE0, 0x5555, 0xe, 0, 0) & ~(1ull << 47));
	cpu_raise_gp(V, 0);
	cpu_deliver_pending(V);
	ck_assert_uint_eq(V->eip, 0x5000 + 8 * 16);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 16);
	ck_assert_uint_eq(rd32(STACK0 - 16), 0); /* #DF error code */
	ck_assert_uint_eq(rd32(STACK0 - 12), 0x4444);
	ck_assert_int_eq(M.exit.reason, EXIT_NONE);
}
END_TEST

/* A benign exception whose gate faults is delivered as the new fault. */
START_TEST(test_benign_then_np)
{
	V->eip = 0x4444;
	wr64(IDT_BASE + 6 * 8, make_gate(SEL_CODE0, 0x5555, 0xe, 0, 0) & ~(1ull << 47));
	cpu_raise_ud(V);
	cpu_deliver_pending(V);
	ck_assert_uint_eq(V->eip, 0x5000 + 11 * 16);
	ck_assert_uint_eq(rd32(V->gpr[R_ESP]), 6 * 8 + 2 + 1); /* IDT bit + EXT */
}
END_TEST

/* Page fault while delivering a page fault: #DF; then the #DF gate
 * faulting too: triple fault, shutdown with a message. */
START_TEST(test_triple_fault)
{
	V->eip = 0x4444;
	V->gpr[R_ESP] = 0x10; /* frame would go below 0: flat limit... use limit */
	cpu_desc_to_seg(make_desc(0x100000, 0xfff, 0x96, 0x4), SEL_SMALL, &V->seg[S_SS]);
	/* expand-down SS with limit 0xfff: offsets <= 0xfff are invalid */
	V->gpr[R_ESP] = 0x1008;
	cpu_raise(V, EXC_TS, true, 0x28);
	cpu_deliver_pending(V);
	/* #TS frame needs 16 bytes: #SS -> #DF -> #SS again -> triple */
	ck_assert_int_eq(M.exit.reason, EXIT_SHUTDOWN);
	ck_assert_int_eq(M.exit.status, EXIT_STATUS_TRIPLE);
	ck_assert_ptr_nonnull(strstr(M.exit.message, "triple fault"));
	ck_assert_ptr_nonnull(strstr(M.exit.message, "exception 12"));
	ck_assert_ptr_nonnull(strstr(M.exit.message, "exception 8"));
}
END_TEST

/* A #DF through a task gate that names the running (busy) task: #GP
 * while delivering #DF, so the machine shuts down (cpu_task.c has the
 * switches that work). */
START_TEST(test_task_gate_busy)
{
	idt_set(8, make_gate(SEL_TSS, 0, 0x5, 0, 0));
	cpu_raise(V, EXC_DF, true, 0);
	cpu_deliver_pending(V);
	ck_assert_int_eq(M.exit.reason, EXIT_SHUTDOWN);
}
END_TEST

/* Real-mode delivery through the IVT. */
START_TEST(test_real_mode_ivt)
{
	vcpu_reset(V);
	V->seg[S_CS].sel = 0x1000;
	V->seg[S_CS].base = 0x10000;
	V->seg[S_SS].sel = 0x0;
	V->gpr[R_ESP] = 0x7c00;
	V->eip = 0x0123;
	V->eflags = EFL_FIXED | EFL_IF | EFL_TF;
	wr16(0x21 * 4, 0x0456);
	wr16(0x21 * 4 + 2, 0x2000);
	ck_assert_int_eq(cpu_int(V, 0x21, EV_SOFTINT), 0);
	ck_assert_uint_eq(V->seg[S_CS].sel, 0x2000);
	ck_assert_uint_eq(V->seg[S_CS].base, 0x20000);
	ck_assert_uint_eq(V->eip, 0x456);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x7c00 - 6);
	ck_assert_uint_eq(rd32(0x7c00 - 6) & 0xffff, 0x0123);
	ck_assert_uint_eq(rd32(0x7c00 - 4) & 0xffff, 0x1000);
	ck_assert(!(V->eflags & (EFL_IF | EFL_TF)));
	ck_assert_int_eq(cpu_iret(V, 2), 0);
	ck_assert_uint_eq(V->eip, 0x0123);
	ck_assert_uint_eq(V->seg[S_CS].base, 0x10000);
	ck_assert(V->eflags & EFL_IF);
}
END_TEST

/* 16-bit interrupt gate pushes 16-bit words. */
START_TEST(test_gate16)
{
	idt_set(0x40, make_gate(SEL_CODE0, 0x1234, 0x6, 0, 0));
	V->eip = 0x9876;
	ck_assert_int_eq(cpu_int(V, 0x40, EV_SOFTINT), 0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 6);
	ck_assert_uint_eq(rd32(STACK0 - 6) & 0xffff, 0x9876);
	ck_assert_uint_eq(V->eip, 0x1234);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu_event");
	TCase *tc = tcase_create("event");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_same_priv_frame);
	tcase_add_test(tc, test_trap_gate_keeps_if);
	tcase_add_test(tc, test_cpl3_stack_switch);
	tcase_add_test(tc, test_iret_rules);
	tcase_add_test(tc, test_int_dpl_check);
	tcase_add_test(tc, test_hwint);
	tcase_add_test(tc, test_double_fault);
	tcase_add_test(tc, test_benign_then_np);
	tcase_add_test(tc, test_triple_fault);
	tcase_add_test(tc, test_task_gate_busy);
	tcase_add_test(tc, test_real_mode_ivt);
	tcase_add_test(tc, test_gate16);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
