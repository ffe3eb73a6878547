/*
 * test_kvm_regs.c - struct vcpu <-> kvm_regs/kvm_sregs/kvm_fpu conversion
 * and the guest CPUID model (pure functions, no /dev/kvm).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm.h"

/* sample_vcpu: a protected-mode state with every field distinct. */
static void sample_vcpu(struct vcpu *v)
{
	memset(v, 0, sizeof(*v));
	vcpu_set_flat32(v, 0x10, 0x18);
	for (int i = 0; i < 8; i++)
		v->gpr[i] = 0x11111111u * (i + 1);
	v->eip = 0xc0100000;
	v->eflags = EFL_FIXED | EFL_IF | EFL_ZF | (2u << EFL_IOPL_SHIFT);
	v->seg[S_FS].base = 0xc1234000;
	v->seg[S_FS].limit = 0xfff;
	v->seg[S_FS].attr = 0x93 | SEG_ATTR_DB; /* byte granular */
	v->seg[S_GS].sel = 0;
	v->seg[S_GS].attr = 0; /* null: unusable */
	v->seg[S_SS].sel = 0x2b;
	v->seg[S_SS].attr = 0xf3 | SEG_ATTR_DB | SEG_ATTR_G; /* DPL 3 */
	v->seg[S_CS].sel = 0x23;
	v->seg[S_CS].attr = 0xfb | SEG_ATTR_DB | SEG_ATTR_G;
	v->ldtr.sel = 0x38;
	v->ldtr.base = 0xc0300000;
	v->ldtr.limit = 0x27;
	v->ldtr.attr = 0x82;
	v->tr.sel = 0x40;
	v->tr.base = 0xc0400000;
	v->tr.limit = 0x67;
	v->tr.attr = 0x8b;
	v->gdtr.base = 0xc0500000;
	v->gdtr.limit = 0x7f;
	v->idtr.base = 0xc0600000;
	v->idtr.limit = 0x7ff;
	v->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
	v->cr2 = 0xdeadb000;
	v->cr3 = 0x00345000;
	v->cr4 = CR4_PSE | CR4_PGE;
	v->efer = 0;
	v->msr.apic_base = 0xfee00900;
	v->cpl = 3;
}

START_TEST(segment_fields)
{
	struct vcpu v;
	struct kvm_sregs s;

	sample_vcpu(&v);
	kvm_sregs_from_vcpu(&v, &s);
	ck_assert_uint_eq(s.cs.selector, 0x23);
	ck_assert_uint_eq(s.cs.type, 0xb);
	ck_assert_uint_eq(s.cs.s, 1);
	ck_assert_uint_eq(s.cs.dpl, 3);
	ck_assert_uint_eq(s.cs.present, 1);
	ck_assert_uint_eq(s.cs.db, 1);
	ck_assert_uint_eq(s.cs.g, 1);
	ck_assert_uint_eq(s.cs.l, 0);
	ck_assert_uint_eq(s.cs.limit, 0xffffffffu);
	ck_assert_uint_eq(s.fs.base, 0xc1234000u);
	ck_assert_uint_eq(s.fs.limit, 0xfff);
	ck_assert_uint_eq(s.fs.g, 0);
	ck_assert_uint_eq(s.gs.unusable, 1);
	ck_assert_uint_eq(s.ds.unusable, 0);
	ck_assert_uint_eq(s.tr.type, 0xb);
	ck_assert_uint_eq(s.tr.s, 0);
	ck_assert_uint_eq(s.ldt.type, 2);
	ck_assert_uint_eq(s.gdt.base, 0xc0500000u);
	ck_assert_uint_eq(s.idt.limit, 0x7ff);
	ck_assert_uint_eq(s.cr0, v.cr0);
	ck_assert_uint_eq(s.cr3, 0x00345000u);
	ck_assert_uint_eq(s.apic_base, 0xfee00900u);
}
END_TEST

START_TEST(reset_state_fields)
{
	struct vcpu v;
	struct kvm_regs r;
	struct kvm_sregs s;

	memset(&v, 0, sizeof(v));
	vcpu_reset(&v);
	kvm_regs_from_vcpu(&v, &r);
	kvm_sregs_from_vcpu(&v, &s);
	ck_assert_uint_eq(r.rip, 0xfff0);
	ck_assert_uint_eq(r.rflags, 2);
	ck_assert_uint_eq(r.rdx, v.gpr[R_EDX]);
	ck_assert_uint_eq(s.cs.selector, 0xf000);
	ck_assert_uint_eq(s.cs.base, 0xffff0000u);
	ck_assert_uint_eq(s.cs.limit, 0xffff);
	ck_assert_uint_eq(s.cs.type, 0xb);
	ck_assert_uint_eq(s.ss.type, 0x3);
	ck_assert_uint_eq(s.ss.unusable, 0);
	ck_assert_uint_eq(s.cr0 & CR0_PE, 0);
}
END_TEST

START_TEST(round_trip)
{
	struct vcpu a, b;
	struct kvm_regs r;
	struct kvm_sregs s;

	sample_vcpu(&a);
	kvm_regs_from_vcpu(&a, &r);
	kvm_sregs_from_vcpu(&a, &s);
	memset(&b, 0xa5, sizeof(b));
	kvm_vcpu_from_kvm(&b, &r, &s);
	ck_assert_mem_eq(a.gpr, b.gpr, sizeof(a.gpr));
	ck_assert_uint_eq(a.eip, b.eip);
	ck_assert_uint_eq(a.eflags, b.eflags);
	for (int i = 0; i < S_NR; i++) {
		ck_assert_uint_eq(a.seg[i].sel, b.seg[i].sel);
		ck_assert_uint_eq(a.seg[i].attr, b.seg[i].attr);
		ck_assert_uint_eq(a.seg[i].base, b.seg[i].base);
		ck_assert_uint_eq(a.seg[i].limit, b.seg[i].limit);
	}
	ck_assert_mem_eq(&a.ldtr, &b.ldtr, sizeof(a.ldtr));
	ck_assert_mem_eq(&a.tr, &b.tr, sizeof(a.tr));
	ck_assert_uint_eq(a.gdtr.base, b.gdtr.base);
	ck_assert_uint_eq(a.gdtr.limit, b.gdtr.limit);
	ck_assert_uint_eq(a.idtr.base, b.idtr.base);
	ck_assert_uint_eq(a.idtr.limit, b.idtr.limit);
	ck_assert_uint_eq(a.cr0, b.cr0);
	ck_assert_uint_eq(a.cr2, b.cr2);
	ck_assert_uint_eq(a.cr3, b.cr3);
	ck_assert_uint_eq(a.cr4, b.cr4);
	ck_assert_uint_eq(a.efer, b.efer);
	ck_assert_uint_eq(a.msr.apic_base, b.msr.apic_base);
	ck_assert_uint_eq(b.cpl, 3);
}
END_TEST

START_TEST(cpl_from_mode)
{
	struct vcpu v;
	struct kvm_regs r;
	struct kvm_sregs s;

	memset(&v, 0, sizeof(v));
	vcpu_reset(&v);
	kvm_regs_from_vcpu(&v, &r);
	kvm_sregs_from_vcpu(&v, &s);
	s.cs.selector = 0x1233; /* real mode: RPL bits mean nothing */
	kvm_vcpu_from_kvm(&v, &r, &s);
	ck_assert_uint_eq(v.cpl, 0);
	s.cr0 |= CR0_PE;
	r.rflags |= EFL_VM;
	kvm_vcpu_from_kvm(&v, &r, &s);
	ck_assert_uint_eq(v.cpl, 3);
}
END_TEST

START_TEST(fpu_round_trip)
{
	struct vcpu a, b;
	struct kvm_fpu f;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 512; i++)
		a.fxsave[i] = (uint8_t)(i * 7 + 3);
	kvm_fpu_from_vcpu(&a, &f);
	ck_assert_uint_eq(f.fcw, a.fxsave[0] | a.fxsave[1] << 8);
	ck_assert_uint_eq(f.ftwx, a.fxsave[4]);
	ck_assert_uint_eq(f.fpr[1][0], a.fxsave[48]);
	ck_assert_uint_eq(f.xmm[0][0], a.fxsave[160]);
	memset(&b, 0, sizeof(b));
	kvm_vcpu_from_fpu(&b, &f);
	ck_assert_mem_eq(a.fxsave, b.fxsave, 5);	     /* FCW FSW FTW */
	ck_assert_mem_eq(a.fxsave + 6, b.fxsave + 6, 22);    /* FOP FIP FDP MXCSR */
	ck_assert_mem_eq(a.fxsave + 32, b.fxsave + 32, 256); /* ST0-7, XMM0-7 */
}
END_TEST

/* entry: a CPUID entry for the filter tests. */
static struct kvm_cpuid_entry2 entry(uint32_t fn, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	struct kvm_cpuid_entry2 e;

	memset(&e, 0, sizeof(e));
	e.function = fn;
	e.eax = a;
	e.ebx = b;
	e.ecx = c;
	e.edx = d;
	return e;
}

START_TEST(cpuid_model)
{
	struct kvm_cpuid_entry2 e[8];
	unsigned n;

	e[0] = entry(0, 0x1c, 0x68747541, 0x444d4163, 0x69746e65);
	e[1] = entry(1, 0x00a10f11, 0x05020800, 0x81202001, 0x078bfbff);
	e[2] = entry(7, 1, 0x01800002, 0x104, 0);
	e[3] = entry(0x80000000u, 0x80000021u, 0, 0, 0);
	e[4] = entry(0x80000001u, 0x00a10f11, 0x40000000, 0x00400393, 0x23d3fbff);
	e[5] = entry(0x80000002u, 0, 0, 0, 0);
	e[6] = entry(0x40000000u, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	e[7] = entry(0x80000008u, 0x3030, 5, 0x7001, 0);
	n = kvm_cpuid_filter(e, 8);
	ck_assert_uint_eq(n, 5); /* leaves 7, 0x80000008 and KVM's dropped */
	ck_assert_uint_eq(e[0].eax, 2);
	ck_assert_uint_eq(e[0].ebx, 0x68747541); /* host vendor kept */
	ck_assert_uint_eq(e[1].eax, 0x00a10f11);
	ck_assert_uint_eq(e[1].ecx, 1);		     /* SSE3 only */
	ck_assert_uint_ne(e[1].edx & (1u << 9), 0);  /* APIC (the board's, through MMIO exits) */
	ck_assert_uint_ne(e[1].edx & (1u << 6), 0);  /* PAE */
	ck_assert_uint_ne(e[1].edx & (1u << 26), 0); /* SSE2 */
	ck_assert_uint_ne(e[1].edx & (1u << 11), 0); /* SEP */
	ck_assert_uint_eq(e[1].ebx >> 16, 1);	     /* one CPU, APIC ID 0 */
	ck_assert_uint_eq(e[2].function, 0x80000000u);
	ck_assert_uint_eq(e[2].eax, 0x80000006u);
	ck_assert_uint_eq(e[3].edx & (1u << 29), 0); /* no long mode */
	ck_assert_uint_ne(e[3].edx & (1u << 20), 0); /* NX */
	ck_assert_mem_eq(&e[4].eax, "bt86", 4);
}
END_TEST

static Suite *kvm_regs_suite(void)
{
	Suite *s = suite_create("kvm_regs");
	TCase *tc = tcase_create("regs");

	tcase_add_test(tc, segment_fields);
	tcase_add_test(tc, reset_state_fields);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, cpl_from_mode);
	tcase_add_test(tc, fpu_round_trip);
	tcase_add_test(tc, cpuid_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kvm_regs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
