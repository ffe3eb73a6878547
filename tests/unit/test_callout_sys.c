/* test_callout_sys.c - callout_needed, and callout_exec on flags, system
 * registers, segment registers and control transfers (callout*.c on top of
 * the cpu layer, in the cpu tests' small machine). */
#include "callout_harness.h"

/* needed: callout_needed for `hex` with the given fpu_trap. */
static bool needed(const char *hex, bool fpu_trap)
{
	struct callout_site s = site_at(hex, 0);
	const char *why = NULL;
	bool r = callout_needed(&s.insn, fpu_trap, &why);

	ck_assert_ptr_nonnull(why);
	ck_assert(r == (why[0] != 0));
	return r;
}

START_TEST(test_needed)
{
	static const char *const yes[] = {
	    "0fa2",
	    "0f31",
	    "0f20c0",
	    "0f22d8",
	    "0f21c0",
	    "0f0110",
	    "0f0100",
	    "0f0108",
	    "0f0000",
	    "0f0008",
	    "0f01e0",
	    "0f0200",
	    "0f0300",
	    "0f0020",
	    "9c",
	    "669d",
	    "fa",
	    "fb",
	    "f4",
	    "0f06",
	    "0f0138",
	    "0f09",
	    "0f32",
	    "0f30",
	    "e460",
	    "ec",
	    "ef",
	    "6c",
	    "f36f",
	    "f3a5",
	    "f3ab",
	    "f2ae",
	    "f3a6",
	    "27",
	    "2f",
	    "37",
	    "3f",
	    "d40a",
	    "d50a",
	    "d6",
	    "820001",
	    "60",
	    "61",
	    "0e",
	    "1f",
	    "17",
	    "0fa0",
	    "0fa9",
	    "8cc8",
	    "8ed8",
	    "c400",
	    "0fb200",
	    "ea000000000800",
	    "ff28",
	    "9a000000000800",
	    "cb",
	    "ca0400",
	    "cf",
	    "cd80",
	    "cc",
	    "ce",
	    "f1",
	    "6200",
	    "6300",
	    "0f0b",
	    "0f05",
	    "0f07",
	    "0f34",
	    "0f35",
	    "0faa",
	    "0f33",
	    "0f01f9",
	    "f20f7cc1",
	    "660f3800c1",
	    "0f01c8",
	    "c5f877",
	    "0f01c1",
	    "f30fb8c0",
	    "f30fbdc0",
	    "0fc7f0",
	    "0f0e",
	    "0f01ca",
	    /* x87 state with pointers, hidden memory operands (callout_fpu.c) */
	    "0fae00",
	    "0fae08",
	    "d930",
	    "dd30",
	    "0ff7c1",
	    "660ff7c1",
	};
	static const char *const no[] = {
	    "01d8", "8b03",	  "90", "f390",	    "a5",     "ab",	  "50",	    "58",
	    "ff20", "e900000000", "c3", "c20400",   "0f1f00", "f30f1efb", "0fc708", "f00100",
	    "9e",   "9f",	  "d7", "c8000000", "0fae38", "0faef8",	  "0f1800",
	};

	for (unsigned i = 0; i < ARRAY_SIZE(yes); i++)
		ck_assert_msg(needed(yes[i], false), "%s should call out", yes[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(no); i++)
		ck_assert_msg(!needed(no[i], false), "%s should be copied", no[i]);
	/* x87/MMX/SSE only with fpu_trap; fences and prefetches never */
	static const char *const fpu[] = {"d9e8",     "9b",	"0f77",	  "0f28c1",
					  "660f28c1", "0fae18", "0fae10", "dd38"};
	for (unsigned i = 0; i < ARRAY_SIZE(fpu); i++) {
		ck_assert_msg(!needed(fpu[i], false), "%s copied without trap", fpu[i]);
		ck_assert_msg(needed(fpu[i], true), "%s traps with TS/EM", fpu[i]);
	}
	ck_assert(!needed("0faef8", true));
	ck_assert(!needed("0f1800", true));
	ck_assert(!needed("0fc300", true)); /* MOVNTI */
}
END_TEST

START_TEST(test_pushf_popf_virtual_if)
{
	enter_cpl3();
	V->eflags = EFL_FIXED | EFL_IF | EFL_ZF; /* virtual IF set, IOPL 0 */
	ck_assert_int_eq(exec("9c"), CO_NEXT);
	ck_assert_uint_eq(V->eip, 0x4001);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3 - 4);
	ck_assert_uint_eq(rd32(STACK3 - 4), EFL_FIXED | EFL_IF | EFL_ZF);
	/* 16-bit PUSHF pushes two bytes */
	ck_assert_int_eq(exec("669c"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3 - 6);
	/* POPF at CPL3: IF and IOPL stay, CF/DF load */
	V->gpr[R_ESP] = STACK3 - 4;
	wr32(STACK3 - 4, EFL_FIXED | EFL_IOPL | EFL_CF | EFL_DF);
	ck_assert_int_eq(exec("9d"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);
	ck_assert(V->eflags & EFL_IF);
	ck_assert_uint_eq(V->eflags & EFL_IOPL, 0);
	ck_assert(V->eflags & EFL_CF);
	ck_assert(V->eflags & EFL_DF);
	ck_assert(!(V->eflags & EFL_ZF));
}
END_TEST

START_TEST(test_popf_cpl0_exit)
{
	V->eflags = EFL_FIXED;
	V->gpr[R_ESP] = STACK0 - 4;
	wr32(STACK0 - 4, EFL_FIXED | EFL_IF);
	ck_assert_int_eq(exec("9d"), CO_EXIT); /* IF 0 -> 1: interrupts may be due */
	ck_assert(V->eflags & EFL_IF);
	ck_assert_uint_eq(V->eip, 0x4001);
	/* same flags again: nothing the translation depends on changed */
	V->gpr[R_ESP] = STACK0 - 4;
	ck_assert_int_eq(exec("9d"), CO_NEXT);
	/* TF set -> exit */
	V->gpr[R_ESP] = STACK0 - 4;
	wr32(STACK0 - 4, EFL_FIXED | EFL_IF | EFL_TF);
	ck_assert_int_eq(exec("9d"), CO_EXIT);
}
END_TEST

START_TEST(test_cli_sti)
{
	enter_cpl3();
	V->eflags = EFL_FIXED | EFL_IF;
	ck_assert_int_eq(exec("fa"), CO_FAULT);
	ck_assert_uint_eq(V->eip, 0x4000);
	expect_exc(EXC_GP, true, 0);
	ck_assert(V->eflags & EFL_IF);
	/* IOPL 3 allows it */
	V->eflags |= EFL_IOPL;
	ck_assert_int_eq(exec("fa"), CO_NEXT);
	ck_assert(!(V->eflags & EFL_IF));
	ck_assert_int_eq(exec("fb"), CO_EXIT);
	ck_assert(V->eflags & EFL_IF);
	ck_assert(V->intr_shadow);
	ck_assert_uint_eq(V->eip, 0x4001);
	V->intr_shadow = false;
	ck_assert_int_eq(exec("fb"), CO_NEXT); /* IF already set */
}
END_TEST

START_TEST(test_mov_cr)
{
	V->gpr[R_EAX] = 0;
	ck_assert_int_eq(exec("0f20c0"), CO_NEXT); /* mov eax, cr0 */
	ck_assert_uint_eq(V->gpr[R_EAX], V->cr0);
	V->gpr[R_EBX] = 0x00123000;
	ck_assert_int_eq(exec("0f22db"), CO_EXIT); /* mov cr3, ebx */
	ck_assert_uint_eq(V->cr3, 0x00123000);
	enter_cpl3();
	ck_assert_int_eq(exec("0f22c0"), CO_FAULT); /* mov cr0, eax */
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->eip, 0x4000);
	ck_assert_int_eq(exec("0f20c0"), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(exec("f4"), CO_FAULT); /* hlt */
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(exec("0f0138"), CO_FAULT); /* invlpg [eax] */
	expect_exc(EXC_GP, true, 0);
}
END_TEST

START_TEST(test_hlt_smsw_lmsw)
{
	ck_assert_int_eq(exec("f4"), CO_HALT);
	ck_assert(V->halted);
	ck_assert_uint_eq(V->eip, 0x4001);
	V->cr0 |= CR0_NE | CR0_WP;
	V->gpr[R_EAX] = 0xdeadbeef;
	ck_assert_int_eq(exec("0f01e0"), CO_NEXT); /* smsw eax: all of CR0 */
	ck_assert_uint_eq(V->gpr[R_EAX], V->cr0);
	ck_assert_int_eq(exec("660f01e0"), CO_NEXT); /* smsw ax */
	ck_assert_uint_eq(V->gpr[R_EAX], V->cr0);
	V->gpr[R_EBX] = 0x6000;
	wr32(0x6000, 0xffffffff);
	ck_assert_int_eq(exec("0f0123"), CO_NEXT); /* smsw [ebx]: 16 bits */
	ck_assert_uint_eq(rd32(0x6000), 0xffff0000u | (V->cr0 & 0xffff));
	V->gpr[R_ECX] = CR0_PE | CR0_TS;
	ck_assert_int_eq(exec("0f01f1"), CO_EXIT); /* lmsw cx */
	ck_assert(V->cr0 & CR0_TS);
	ck_assert_int_eq(exec("0f06"), CO_EXIT); /* clts */
	ck_assert(!(V->cr0 & CR0_TS));
}
END_TEST

START_TEST(test_sgdt_sidt_lgdt)
{
	enter_cpl3(); /* SGDT/SIDT are not privileged: they show the virtual ones */
	V->gpr[R_EBX] = 0x6000;
	ck_assert_int_eq(exec("0f0103"), CO_NEXT); /* sgdt [ebx] */
	ck_assert_uint_eq(rd32(0x6000) & 0xffff, V->gdtr.limit);
	ck_assert_uint_eq(rd32(0x6002), GDT_BASE);
	V->gpr[R_EBX] = 0x6010;
	V->idtr.base = 0xc1234000;
	ck_assert_int_eq(exec("660f010b"), CO_NEXT); /* o16 sidt [ebx]: all 32 bits */
	ck_assert_uint_eq(rd32(0x6010) & 0xffff, V->idtr.limit);
	ck_assert_uint_eq(rd32(0x6012), 0xc1234000);
	ck_assert_int_eq(exec("0f0113"), CO_FAULT); /* lgdt [ebx] at CPL3 */
	expect_exc(EXC_GP, true, 0);
	V->cpl = 0;
	V->seg[S_CS].sel = SEL_CODE0;
	wr16(0x6020, 0x1ff);
	wr32(0x6022, 0xaabbccdd);
	V->gpr[R_EBX] = 0x6020;
	ck_assert_int_eq(exec("660f011b"), CO_NEXT); /* o16 lidt: 24-bit base */
	ck_assert_uint_eq(V->idtr.base, 0x00bbccdd);
	ck_assert_uint_eq(V->idtr.limit, 0x1ff);
	ck_assert_int_eq(exec("0f0113"), CO_NEXT); /* lgdt */
	ck_assert_uint_eq(V->gdtr.base, 0xaabbccdd);
}
END_TEST

START_TEST(test_str_sldt_lar_verr_arpl)
{
	V->gpr[R_EAX] = 0xffffffff;
	ck_assert_int_eq(exec("0f00c8"), CO_NEXT); /* str eax: zero-extended */
	ck_assert_uint_eq(V->gpr[R_EAX], SEL_TSS);
	ck_assert_int_eq(exec("0f00c0"), CO_NEXT); /* sldt eax */
	ck_assert_uint_eq(V->gpr[R_EAX], V->ldtr.sel);
	V->gpr[R_EBX] = SEL_DATA3;
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("0f02c3"), CO_NEXT); /* lar eax, ebx */
	ck_assert(V->eflags & EFL_ZF);
	ck_assert_uint_eq(V->gpr[R_EAX] & 0xfe00, 0xf200); /* P DPL3 S type 2 */
	V->gpr[R_EBX] = 0x1f8;				   /* beyond the GDT */
	V->gpr[R_EAX] = 0x1234;
	ck_assert_int_eq(exec("0f02c3"), CO_NEXT);
	ck_assert(!(V->eflags & EFL_ZF));
	ck_assert_uint_eq(V->gpr[R_EAX], 0x1234);
	V->gpr[R_EBX] = SEL_DATA0;
	ck_assert_int_eq(exec("0f00e3"), CO_NEXT); /* verr bx */
	ck_assert(V->eflags & EFL_ZF);
	V->gpr[R_EBX] = SEL_XCODE0;
	ck_assert_int_eq(exec("0f00eb"), CO_NEXT); /* verw bx */
	ck_assert(!(V->eflags & EFL_ZF));
	V->gpr[R_EAX] = 0x10; /* arpl ax, bx: RPL 0 < 3 */
	V->gpr[R_EBX] = 0x23;
	ck_assert_int_eq(exec("63d8"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x13);
	ck_assert(V->eflags & EFL_ZF);
	ck_assert_int_eq(exec("63d8"), CO_NEXT);
	ck_assert(!(V->eflags & EFL_ZF));
	V->cr0 &= ~CR0_PE; /* real mode: #UD */
	ck_assert_int_eq(exec("0f00c8"), CO_FAULT);
	expect_exc(EXC_UD, false, 0);
}
END_TEST

START_TEST(test_segments)
{
	enter_cpl3();
	V->gpr[R_EAX] = 0xffffffff;
	ck_assert_int_eq(exec("8cc8"), CO_NEXT); /* mov eax, cs: RPL = CPL */
	ck_assert_uint_eq(V->gpr[R_EAX], SEL_CODE3);
	V->gpr[R_EBX] = 0x6000;
	wr32(0x6000, 0xffffffff);
	ck_assert_int_eq(exec("8c13"), CO_NEXT); /* mov [ebx], ss: 16 bits */
	ck_assert_uint_eq(rd32(0x6000), 0xffff0000u | SEL_DATA3);
	ck_assert_int_eq(exec("0e"), CO_NEXT); /* push cs */
	ck_assert_uint_eq(rd32(STACK3 - 4), SEL_CODE3);
	V->gpr[R_ESP] = STACK3;
	ck_assert_int_eq(exec("1e"), CO_NEXT); /* push ds */
	ck_assert_int_eq(exec("1f"), CO_NEXT); /* pop ds: same descriptor */
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3);
	ck_assert_uint_eq(V->seg[S_DS].sel, SEL_DATA3);
	ck_assert_int_eq(exec("0e"), CO_NEXT); /* push cs; pop ds: code segment */
	ck_assert_int_eq(exec("1f"), CO_EXIT);
	ck_assert_uint_eq(V->seg[S_DS].sel, SEL_CODE3);
	V->gpr[R_EAX] = SEL_DATA3;
	ck_assert_int_eq(exec("8ed8"), CO_EXIT);  /* mov ds, ax: attributes changed */
	ck_assert_int_eq(exec("8ed8"), CO_NEXT);  /* again: nothing changed */
	V->gpr[R_EAX] = SEL_DATA0;		  /* DPL0 data at CPL3 */
	ck_assert_int_eq(exec("8ee0"), CO_FAULT); /* mov fs, ax */
	expect_exc(EXC_GP, true, SEL_DATA0);
	ck_assert_uint_eq(V->eip, 0x4000);
	V->gpr[R_EAX] = SEL_DATA3;
	V->intr_shadow = false;
	ck_assert_int_eq(exec("8ed0"), CO_NEXT); /* mov ss, ax */
	ck_assert(V->intr_shadow);
	/* pop ss with a bad selector: ESP unchanged */
	V->gpr[R_ESP] = STACK3 - 4;
	wr32(STACK3 - 4, SEL_DATA0);
	ck_assert_int_eq(exec("17"), CO_FAULT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK3 - 4);
	V->exc.valid = false;
	/* lds ecx, [ebx]: offset then selector */
	wr32(0x6000, 0xcafef00d);
	wr16(0x6004, SEL_DATA3);
	ck_assert_int_eq(exec("c50b"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0xcafef00d);
	ck_assert_uint_eq(V->seg[S_DS].sel, SEL_DATA3);
}
END_TEST

START_TEST(test_far_jmp_call)
{
	ck_assert_int_eq(exec("ea341200000800"), CO_EXIT); /* jmp 0x08:0x1234 */
	ck_assert_uint_eq(V->eip, 0x1234);
	ck_assert_uint_eq(V->seg[S_CS].sel, SEL_CODE0);
	V->gpr[R_EBX] = 0x6000; /* call far [ebx] */
	wr32(0x6000, 0x5678);
	wr16(0x6004, SEL_CODE0);
	ck_assert_int_eq(exec("ff1b"), CO_EXIT);
	ck_assert_uint_eq(V->eip, 0x5678);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 8);
	ck_assert_uint_eq(rd32(STACK0 - 8), 0x4002); /* return EIP */
	ck_assert_uint_eq(rd32(STACK0 - 4) & 0xffff, SEL_CODE0);
	ck_assert_int_eq(exec("cb"), CO_EXIT); /* retf */
	ck_assert_uint_eq(V->eip, 0x4002);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0);
	/* a data segment as target: #GP(sel), EIP stays */
	ck_assert_int_eq(exec("ea341200001000"), CO_FAULT);
	expect_exc(EXC_GP, true, SEL_DATA0);
	ck_assert_uint_eq(V->eip, 0x4000);
}
END_TEST

START_TEST(test_int80_cpl3)
{
	idt_set(0x80, make_gate(SEL_CODE0, 0x5800, 0xe, 3, 0));
	enter_cpl3();
	V->eflags = EFL_FIXED | EFL_IF;
	ck_assert_int_eq(exec("cd80"), CO_EXIT);
	ck_assert_uint_eq(V->eip, 0x5800);
	ck_assert_uint_eq(V->cpl, 0);
	ck_assert_uint_eq(V->seg[S_CS].sel, SEL_CODE0);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 20);
	ck_assert_uint_eq(rd32(STACK0 - 20), 0x4002);
	ck_assert_uint_eq(rd32(STACK0 - 16) & 0xffff, SEL_CODE3);
	ck_assert(rd32(STACK0 - 12) & EFL_IF);
	ck_assert_uint_eq(rd32(STACK0 - 8), STACK3);
	ck_assert_uint_eq(rd32(STACK0 - 4) & 0xffff, SEL_DATA3);
	ck_assert(!(V->eflags & EFL_IF)); /* interrupt gate */
	/* a DPL0 gate from CPL3: #GP(vector*8+2), nothing changed */
	enter_cpl3();
	ck_assert_int_eq(exec("cd81"), CO_FAULT);
	expect_exc(EXC_GP, true, 0x81 * 8 + 2);
	ck_assert_uint_eq(V->eip, 0x4000);
	ck_assert_uint_eq(V->cpl, 3);
	/* INTO with OF clear does nothing */
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(exec("ce"), CO_NEXT);
	ck_assert_uint_eq(V->eip, 0x4001);
}
END_TEST

START_TEST(test_cpuid_msr)
{
	V->gpr[R_EAX] = 1;
	V->gpr[R_ECX] = 0;
	ck_assert_int_eq(exec("0fa2"), CO_NEXT);
	uint32_t edx = V->gpr[R_EDX], ecx = V->gpr[R_ECX];
	ck_assert_uint_eq((V->gpr[R_EAX] >> 8) & 0xf, 6); /* family 6 */
	const unsigned want[] = {0, 4, 5, 8, 11, 15, 23, 24, 25, 26};
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
		ck_assert_msg(edx & (1u << want[i]), "CPUID.1:EDX bit %u", want[i]);
	ck_assert(!(ecx & 1)); /* no SSE3 */
	V->gpr[R_ECX] = 0x174; /* IA32_SYSENTER_CS */
	V->gpr[R_EAX] = 0x60;
	V->gpr[R_EDX] = 0;
	ck_assert_int_eq(exec("0f30"), CO_EXIT);
	ck_assert_uint_eq(V->msr.sysenter_cs, 0x60);
	V->gpr[R_EAX] = 0;
	ck_assert_int_eq(exec("0f32"), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0x60);
	enter_cpl3();
	ck_assert_int_eq(exec("0f32"), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(exec("0f33"), CO_FAULT); /* rdpmc without CR4.PCE */
	expect_exc(EXC_GP, true, 0);
}
END_TEST

static Suite *callout_sys_suite(void)
{
	Suite *s = suite_create("callout_sys");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_needed);
	tcase_add_test(tc, test_pushf_popf_virtual_if);
	tcase_add_test(tc, test_popf_cpl0_exit);
	tcase_add_test(tc, test_cli_sti);
	tcase_add_test(tc, test_mov_cr);
	tcase_add_test(tc, test_hlt_smsw_lmsw);
	tcase_add_test(tc, test_sgdt_sidt_lgdt);
	tcase_add_test(tc, test_str_sldt_lar_verr_arpl);
	tcase_add_test(tc, test_segments);
	tcase_add_test(tc, test_far_jmp_call);
	tcase_add_test(tc, test_int80_cpl3);
	tcase_add_test(tc, test_cpuid_msr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(callout_sys_suite());
}
