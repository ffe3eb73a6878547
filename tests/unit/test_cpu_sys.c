/* test_cpu_sys.c - flags, control registers, MSRs, CPUID, RDTSC,
 * SYSENTER/SYSEXIT, port I/O permission (cpu_sys.c, cpu_flow.c, cpu_io.c). */
#include "test_cpu_fixture.h"

START_TEST(test_popf_cpl3)
{
	enter_cpl3();
	V->eflags = EFL_FIXED | EFL_IF | (1u << EFL_IOPL_SHIFT);
	/* IOPL=1 < CPL: IF and IOPL unchanged, arithmetic flags and AC change */
	ck_assert_int_eq(cpu_popf(V, EFL_CF | EFL_ZF | EFL_AC | EFL_IOPL | EFL_VM | EFL_RF, 4), 0);
	ck_assert_uint_eq(V->eflags,
			  EFL_FIXED | EFL_IF | (1u << EFL_IOPL_SHIFT) | EFL_CF | EFL_ZF | EFL_AC);
	/* IOPL=3: IF can change, IOPL still cannot */
	V->eflags = EFL_FIXED | EFL_IF | EFL_IOPL;
	ck_assert_int_eq(cpu_popf(V, EFL_DF, 4), 0);
	ck_assert_uint_eq(V->eflags, EFL_FIXED | EFL_IOPL | EFL_DF);
	/* 16-bit POPF leaves the high half alone */
	V->eflags = EFL_FIXED | EFL_AC | EFL_IOPL;
	ck_assert_int_eq(cpu_popf(V, 0xffff0001u, 2), 0);
	ck_assert(V->eflags & EFL_AC);
	ck_assert(V->eflags & EFL_CF);
	/* CPL0: IOPL can change, VM and RF cannot */
	V->cpl = 0;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(cpu_popf(V, EFL_IOPL | EFL_IF | EFL_VM | EFL_RF | EFL_VIF, 4), 0);
	ck_assert_uint_eq(V->eflags, EFL_FIXED | EFL_IOPL | EFL_IF);
	ck_assert_uint_eq(cpu_get_eflags(V), EFL_FIXED | EFL_IOPL | EFL_IF);
}
END_TEST

START_TEST(test_cli_sti)
{
	enter_cpl3();
	V->eflags = EFL_FIXED | EFL_IF;
	ck_assert_int_eq(cpu_cli(V), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert(V->eflags & EFL_IF);
	V->eflags = EFL_FIXED | EFL_IOPL;
	ck_assert_int_eq(cpu_sti(V), 0);
	ck_assert(V->eflags & EFL_IF);
	ck_assert(V->intr_shadow);
	ck_assert_int_eq(cpu_cli(V), 0);
	ck_assert(!(V->eflags & EFL_IF));
}
END_TEST

START_TEST(test_cr)
{
	unsigned chg;
	uint32_t val;

	ck_assert_int_eq(cpu_mov_to_cr(V, 0, CR0_PG, &chg), CPU_FAULT); /* PG without PE */
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_mov_to_cr(V, 0, CR0_PE | CR0_NW, &chg), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_mov_to_cr(V, 0, CR0_PE | CR0_PG | CR0_WP, &chg), 0);
	ck_assert_uint_eq(chg, CPU_CHG_PAGING);
	ck_assert_uint_eq(V->cr0, CR0_PE | CR0_PG | CR0_WP | CR0_ET);
	/* PAE with paging on loads the PDPTEs at CR3; a reserved bit: #GP */
	V->cr3 = 0x300000;
	wr32(0x300000, 0x301001);	     /* PDPTE 0: present, no reserved bit */
	wr32(0x300008, 0x302000 | 1 | 0x20); /* present with reserved bit 5 */
	ck_assert_int_eq(cpu_mov_to_cr(V, 4, CR4_PAE, &chg), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->cr4 & CR4_PAE, 0);
	wr32(0x300008, 0x302001);
	ck_assert_int_eq(cpu_mov_to_cr(V, 4, CR4_PAE, &chg), 0);
	ck_assert_uint_eq(V->pdpte[0], 0x301001);
	ck_assert_uint_eq(V->pdpte[1], 0x302001);
	ck_assert_uint_eq(chg, CPU_CHG_PAGING);
	ck_assert_int_eq(cpu_mov_to_cr(V, 4, 0, &chg), 0);
	ck_assert_int_eq(cpu_mov_to_cr(V, 4, CR4_VME, &chg), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_mov_to_cr(V, 4, CR4_PSE | CR4_PGE, &chg), 0);
	ck_assert_uint_eq(chg, CPU_CHG_PAGING);
	ck_assert_int_eq(cpu_mov_to_cr(V, 3, 0x123000, &chg), 0);
	ck_assert_uint_eq(chg, CPU_CHG_CR3);
	ck_assert_int_eq(cpu_mov_from_cr(V, 3, &val), 0);
	ck_assert_uint_eq(val, 0x123000);
	ck_assert_int_eq(cpu_mov_to_cr(V, 1, 0, &chg), CPU_FAULT);
	expect_exc(EXC_UD, false, 0);
	ck_assert_int_eq(cpu_lmsw(V, 0, &chg), 0); /* cannot clear PE */
	ck_assert(V->cr0 & CR0_PE);
	ck_assert_int_eq(cpu_mov_to_dr(V, 7, 0xffffffff), 0);
	ck_assert_int_eq(cpu_mov_from_dr(V, 5, &val), 0); /* DR5 aliases DR7 */
	ck_assert_uint_eq(val, 0xffff27ff);
	enter_cpl3();
	ck_assert_int_eq(cpu_mov_from_cr(V, 0, &val), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_hlt(V), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
}
END_TEST

START_TEST(test_msr)
{
	uint64_t val;

	ck_assert_int_eq(cpu_wrmsr(V, 0x174, 0x10), 0);
	ck_assert_int_eq(cpu_rdmsr(V, 0x174, &val), 0);
	ck_assert_uint_eq(val, 0x10);
	ck_assert_int_eq(cpu_rdmsr(V, 0x277, &val), 0);
	ck_assert_uint_eq(val, 0x0007040600070406ull);
	ck_assert_int_eq(cpu_wrmsr(V, 0x277, 0x0202020202020202ull), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_rdmsr(V, 0xfe, &val), 0);
	ck_assert_uint_eq(val, 0);
	ck_assert_int_eq(cpu_rdmsr(V, 0x12345, &val), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_wrmsr(V, 0xc0000080, 0x1), CPU_FAULT); /* SCE: no SYSCALL */
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_wrmsr(V, 0xc0000080, 0x800), 0); /* NXE */
	ck_assert_int_eq(cpu_rdmsr(V, 0xc0000080, &val), 0);
	ck_assert_uint_eq(val, 0x800);
	/* machine-check architecture: one bank, nothing ever logged */
	ck_assert_int_eq(cpu_rdmsr(V, 0x179, &val), 0); /* MCG_CAP */
	ck_assert_uint_eq(val, 1);
	ck_assert_int_eq(cpu_wrmsr(V, 0x400, ~0ull), 0); /* MC0_CTL */
	ck_assert_int_eq(cpu_rdmsr(V, 0x400, &val), 0);
	ck_assert_uint_eq(val, ~0ull);
	ck_assert_int_eq(cpu_wrmsr(V, 0x401, 0), 0); /* MC0_STATUS: 0 only */
	ck_assert_int_eq(cpu_wrmsr(V, 0x401, 1), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_rdmsr(V, 0x17a, &val), 0); /* MCG_STATUS */
	ck_assert_uint_eq(val, 0);
	ck_assert_int_eq(cpu_rdmsr(V, 0x404, &val), CPU_FAULT); /* no bank 1 */
	expect_exc(EXC_GP, true, 0);
	/* TSC write sets the offset: reading back gives about the value */
	ck_assert_int_eq(cpu_wrmsr(V, 0x10, 1000000), 0);
	ck_assert_int_eq(cpu_rdtsc(V, &val), 0);
	ck_assert(val >= 1000000 && val < 1000000 + (1ull << 40));
	V->cr4 |= CR4_TSD;
	ck_assert_int_eq(cpu_rdtsc(V, &val), 0);
	enter_cpl3();
	ck_assert_int_eq(cpu_rdtsc(V, &val), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(cpu_rdmsr(V, 0x10, &val), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
}
END_TEST

START_TEST(test_cpuid)
{
	uint32_t r[4];
	char s[49] = {0};

	cpu_cpuid(V, 0, 0, r);
	ck_assert_uint_ge(r[0], 1);
	memcpy(s, &r[1], 4);
	memcpy(s + 4, &r[3], 4);
	memcpy(s + 8, &r[2], 4);
	ck_assert_str_eq(s, "GenuineIntel");
	cpu_cpuid(V, 1, 0, r);
	ck_assert_uint_eq((r[0] >> 8) & 0xf, 6);
	unsigned want[] = {0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 15, 16, 19, 23, 24, 25, 26};
	unsigned none[] = {1, 12, 22, 28};

	for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
		ck_assert_msg(r[3] & (1u << want[i]), "edx bit %u missing", want[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(none); i++)
		ck_assert_msg(!(r[3] & (1u << none[i])), "edx bit %u set", none[i]);
	ck_assert_uint_eq(r[2], 1u << 24 | 1u << 31); /* TSC-deadline, hypervisor present */
	cpu_cpuid(V, 0x80000001u, 0, r);
	ck_assert_uint_eq(r[3], 1u << 20 | 1u << 27); /* NX, RDTSCP */
	cpu_cpuid(V, 7, 0, r);
	ck_assert_uint_eq(r[1], 1u << 7); /* SMEP, no SMAP */
	ck_assert_uint_eq(r[2], 1u << 2); /* UMIP */
	cpu_cpuid(V, 0x40000000u, 0, r);
	memcpy(s, &r[1], 4);
	memcpy(s + 4, &r[2], 4);
	memcpy(s + 8, &r[3], 4);
	s[12] = 0;
	ck_assert_str_eq(s, "bt86bt86bt86");
	cpu_cpuid(V, 0x80000000u, 0, r);
	ck_assert_uint_ge(r[0], 0x80000004u);
	for (uint32_t l = 0; l < 3; l++) {
		cpu_cpuid(V, 0x80000002u + l, 0, r);
		memcpy(s + 16 * l, r, 16);
	}
	ck_assert_str_eq(s, "bt86 virtual CPU");
	vcpu_reset(V);
	cpu_cpuid(V, 1, 0, r);
	ck_assert_uint_eq(r[0], V->gpr[R_EDX]); /* reset signature matches */
}
END_TEST

START_TEST(test_sysenter_sysexit)
{
	enter_cpl3();
	ck_assert_int_eq(cpu_sysenter(V), CPU_FAULT); /* SYSENTER_CS = 0 */
	expect_exc(EXC_GP, true, 0);
	V->msr.sysenter_cs = 0x60;
	V->msr.sysenter_esp = 0xc0001000;
	V->msr.sysenter_eip = 0xc0100000;
	V->eflags = EFL_FIXED | EFL_IF;
	ck_assert_int_eq(cpu_sysenter(V), 0);
	ck_assert_uint_eq(V->cpl, 0);
	ck_assert_uint_eq(V->seg[S_CS].sel, 0x60);
	ck_assert_uint_eq(V->seg[S_SS].sel, 0x68);
	ck_assert(cpu_seg_flat(V, S_CS) && cpu_seg_flat(V, S_SS));
	ck_assert_uint_eq(V->gpr[R_ESP], 0xc0001000);
	ck_assert_uint_eq(V->eip, 0xc0100000);
	ck_assert(!(V->eflags & EFL_IF));
	V->gpr[R_ECX] = 0xbfff0000;
	V->gpr[R_EDX] = 0x08048000;
	ck_assert_int_eq(cpu_sysexit(V), 0);
	ck_assert_uint_eq(V->cpl, 3);
	ck_assert_uint_eq(V->seg[S_CS].sel, 0x73);
	ck_assert_uint_eq(V->seg[S_SS].sel, 0x7b);
	ck_assert_uint_eq(SEG_ATTR_DPL(V->seg[S_CS].attr), 3);
	ck_assert_uint_eq(V->gpr[R_ESP], 0xbfff0000);
	ck_assert_uint_eq(V->eip, 0x08048000);
	ck_assert_int_eq(cpu_sysexit(V), CPU_FAULT); /* CPL3 */
	expect_exc(EXC_GP, true, 0);
}
END_TEST

START_TEST(test_io_bitmap)
{
	uint32_t val;

	/* CPL0: always allowed */
	ck_assert_int_eq(cpu_out(V, 0x3f8, 1, 0x41), 0);
	ck_assert_uint_eq(test_out_port, 0x3f8);
	enter_cpl3();
	ck_assert_int_eq(cpu_in(V, 0x3f8, 1, &val), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	/* allow 0x3f8..0x3ff */
	wr8(TSS_BASE + 104 + 0x3f8 / 8, 0x00);
	ck_assert_int_eq(cpu_in(V, 0x3f8, 1, &val), 0);
	ck_assert_uint_eq(val, 0x11223344u + 0x3f8);
	ck_assert_int_eq(cpu_out(V, 0x3fc, 4, 7), 0);
	ck_assert_int_eq(cpu_out(V, 0x3fe, 4, 7), CPU_FAULT); /* 0x400, 0x401 denied */
	expect_exc(EXC_GP, true, 0);
	/* IOPL 3 skips the bitmap */
	V->eflags |= EFL_IOPL;
	ck_assert_int_eq(cpu_out(V, 0x80, 1, 7), 0);
	V->eflags &= ~EFL_IOPL;
	/* bitmap beyond the TSS limit -> #GP(0) */
	wr8(TSS_BASE + 104 + 0xfff8 / 8, 0x00);
	ck_assert_int_eq(cpu_out(V, 0xfff8, 1, 7), 0);
	V->tr.limit = 104 + 0xfff8 / 8;
	ck_assert_int_eq(cpu_out(V, 0xfff8, 1, 7), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	/* a 16-bit TSS has no bitmap */
	V->tr.limit = TSS_LIMIT;
	V->tr.attr = (V->tr.attr & ~0xf) | 3;
	ck_assert_int_eq(cpu_out(V, 0x3f8, 1, 7), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
}
END_TEST

START_TEST(test_string_io)
{
	enter_cpl3();
	V->eflags |= EFL_IOPL;
	V->gpr[R_EDX] = 0x60;
	V->gpr[R_EDI] = 0x20000;
	V->gpr[R_ECX] = 3;
	test_in_count = 0;
	ck_assert_int_eq(cpu_string_io(V, false, true, 2, S_DS, 4), 0);
	ck_assert_uint_eq(test_in_count, 3);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x20006);
	ck_assert_uint_eq(rd32(0x20000), 0x33a433a4u); /* AX of 0x11223344 + port */
	/* OUTS backwards, 16-bit address size */
	V->eflags |= EFL_DF;
	V->gpr[R_ESI] = 0xffff0004;
	wr32(0x4, 0xcafe);
	V->gpr[R_ECX] = 0x10001; /* CX = 1 */
	ck_assert_int_eq(cpu_string_io(V, true, true, 4, S_DS, 2), 0);
	ck_assert_uint_eq(test_out_val, 0xcafe);
	ck_assert_uint_eq(V->gpr[R_ESI], 0xffff0000);
	ck_assert_uint_eq(V->gpr[R_ECX], 0x10000);
	/* ECX = 0: nothing, no port access */
	test_in_count = 0;
	ck_assert_int_eq(cpu_string_io(V, false, true, 1, S_DS, 2), 0);
	ck_assert_uint_eq(test_in_count, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu_sys");
	TCase *tc = tcase_create("sys");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_popf_cpl3);
	tcase_add_test(tc, test_cli_sti);
	tcase_add_test(tc, test_cr);
	tcase_add_test(tc, test_msr);
	tcase_add_test(tc, test_cpuid);
	tcase_add_test(tc, test_sysenter_sysexit);
	tcase_add_test(tc, test_io_bitmap);
	tcase_add_test(tc, test_string_io);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
