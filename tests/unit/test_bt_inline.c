/*
 * test_bt_inline.c - PUSHF, POPF and STI translated inline
 * (mangle_flags.c): the values PUSHF stores for every combination of the
 * live flags with virtual IF/IOPL/NT/AC/ID, the flags left unchanged by
 * PUSHF, POPF of each flag against a model of the architectural rule,
 * POPF at CPL 3 (IF/IOPL ignored), which cases stay inline (callout
 * count), the STI shadow, a PUSHF whose store faults (precise state), and
 * timings of 10^6 iterations (printed, never asserted).
 *
 * Programs are 32-bit code (`as --32`, source above each array) loaded at
 * 0x1000 and run in-process through the dispatcher with the monitor's own
 * callout_needed/callout_exec, so the slow paths run the real handlers.
 * HLT ends a run; exceptions are recorded and end it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "translator/bt.h"
#include "monitor/x86/cpu.h"
#include "monitor/base/stats.h"
#include "bt_harness.h"

/*
 * p_pushf: every combination of SF ZF AF PF CF (bits 7,6,4,2,0 of EBX),
 * OF (bit 1) and DF (bit 3); per combination: the PUSHFD value, the
 * flags read back natively after it (LAHF, SETO) and a second PUSHFD.
 *	movl $0x20000, %edi ; xorl %ebx, %ebx
 * 1:	cld ; testb $8, %bl ; jz 2f ; std
 * 2:	movl %ebx, %eax ; shrl $1, %eax ; andl $1, %eax ; addb $0x7f, %al
 *	movb %bl, %ah ; sahf ; pushfl ; lahf ; seto %al
 *	movl %eax, 4(%edi) ; popl %edx ; movl %edx, (%edi) ; pushfl ; popl %edx
 *	movl %edx, 8(%edi) ; addl $12, %edi ; incl %ebx ; cmpl $256, %ebx
 *	jb 1b ; cld ; movl $0x12345678, %eax ; pushw $0x7777 ; stc ; pushfw ; hlt
 */
static const uint8_t p_pushf[] = {
    0xbf, 0x00, 0x00, 0x02, 0x00, 0x31, 0xdb, 0xfc, 0xf6, 0xc3, 0x08, 0x74, 0x01, 0xfd,
    0x89, 0xd8, 0xd1, 0xe8, 0x83, 0xe0, 0x01, 0x04, 0x7f, 0x88, 0xdc, 0x9e, 0x9c, 0x9f,
    0x0f, 0x90, 0xc0, 0x89, 0x47, 0x04, 0x5a, 0x89, 0x17, 0x9c, 0x5a, 0x89, 0x57, 0x08,
    0x83, 0xc7, 0x0c, 0x43, 0x81, 0xfb, 0x00, 0x01, 0x00, 0x00, 0x72, 0xd1, 0xfc, 0xb8,
    0x78, 0x56, 0x34, 0x12, 0x66, 0x68, 0x77, 0x77, 0xf9, 0x66, 0x9c, 0xf4};
/*
 * p_popf: POPFD of each value at 0x30000 (count at 0x2fffc); per value:
 * the flags read natively after it (LAHF, SETO) and PUSHFD's view.
 *	movl $0x30000, %esi ; movl $0x20000, %edi ; movl 0x2fffc, %ebx
 * 1:	pushl (%esi) ; popfl ; lahf ; seto %al ; movl %eax, 4(%edi) ; pushfl
 *	popl 0(%edi) ; cld ; addl $4, %esi ; addl $8, %edi ; decl %ebx ; jnz 1b
 *	hlt
 */
static const uint8_t p_popf[] = {0xbe, 0x00, 0x00, 0x03, 0x00, 0xbf, 0x00, 0x00, 0x02, 0x00,
				 0x8b, 0x1d, 0xfc, 0xff, 0x02, 0x00, 0xff, 0x36, 0x9d, 0x9f,
				 0x0f, 0x90, 0xc0, 0x89, 0x47, 0x04, 0x9c, 0x8f, 0x07, 0xfc,
				 0x83, 0xc6, 0x04, 0x83, 0xc7, 0x08, 0x4b, 0x75, 0xe9, 0xf4};
/* p_prec: movl $0x12345678, %eax ; movl $0xe0000010, %esp ; stc ; pushfl ; hlt */
static const uint8_t p_prec[] = {0xb8, 0x78, 0x56, 0x34, 0x12, 0xbc, 0x10,
				 0x00, 0x00, 0xe0, 0xf9, 0x9c, 0xf4};
/* p_sti: sti ; movl $1, %eax ; sti ; movl $2, %ebx ; cli ; sti ;
 *	  movl $3, %ecx ; hlt */
static const uint8_t p_sti[] = {0xfb, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xfb, 0xbb, 0x02, 0x00,
				0x00, 0x00, 0xfa, 0xfb, 0xb9, 0x03, 0x00, 0x00, 0x00, 0xf4};

#define BASE_VIRT (EFL_IF | (2u << EFL_IOPL_SHIFT) | EFL_NT | EFL_AC | EFL_ID)
#define POPF_BASE                                                                                  \
	(EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_TF | EFL_DF | EFL_OF | EFL_NT | EFL_AC | \
	 EFL_ID)

/* setup: 64 MiB machine, flat protected mode at CPL 0, prog at 0x1000,
 * ESP 0x80000. */
static struct vcpu *setup(const uint8_t *prog, size_t len)
{
	return th_setup(&th_callout_hooks, prog, len);
}

/* pushf_expected: what PUSHFD stores for combination i of p_pushf. */
static uint32_t pushf_expected(uint32_t virt, unsigned i)
{
	return (virt & ~(EFL_VM | EFL_RF)) | EFL_FIXED | (i & 0xd5) | (i & 2 ? EFL_OF : 0) |
	       (i & 8 ? EFL_DF : 0);
}

START_TEST(pushf_stores_live_and_virtual_flags)
{
	struct vcpu *v = setup(p_pushf, sizeof(p_pushf));
	uint32_t virt = BASE_VIRT | EFL_RF | EFL_FIXED;

	v->eflags = virt;
	bt_run(T->bt);
	ck_assert_str_eq(T->m.exit.message, "halted");
	for (unsigned i = 0; i < 256; i++) {
		uint32_t rec = 0x20000 + 12 * i, want = pushf_expected(virt, i);
		ck_assert_msg(rd32(rec) == want, "combination %#x: pushed %#x, want %#x", i,
			      rd32(rec), want);
		ck_assert_msg(rd32(rec + 8) == want, "combination %#x: second pushfd %#x", i,
			      rd32(rec + 8));
		uint32_t ax = rd32(rec + 4); /* flags after PUSHF, read natively */
		ck_assert_uint_eq((ax >> 8) & 0xff, (i & 0xd5) | EFL_FIXED);
		ck_assert_uint_eq(ax & 0xff, (i >> 1) & 1);
	}
	/* pushw 0x7777; stc; pushfw after cmp 256, 256 (ZF PF) */
	ck_assert_uint_eq(v->gpr[R_ESP], 0x80000 - 4);
	ck_assert_uint_eq(v->gpr[R_EAX], 0x12345678);
	ck_assert_uint_eq(rd32(0x80000 - 4),
			  0x77770000u | ((virt | EFL_FIXED | EFL_ZF | EFL_PF | EFL_CF) & 0xffff));
	ck_assert_uint_eq(v->eflags & (EFL_CF | EFL_ZF | EFL_PF | EFL_DF),
			  EFL_CF | EFL_ZF | EFL_PF);
	ck_assert_uint_eq(v->eflags & ~BT_LIVE_FLAGS & ~EFL_FIXED, virt & ~EFL_FIXED);
	ck_assert_uint_eq(stats[STAT_callouts], 1); /* HLT only */
}
END_TEST

/* run_popf: run p_popf on vals (n) at CPL c from eflags start; check each
 * record against the architectural rule (cpu_write_eflags); returns the
 * final modelled EFLAGS. */
static uint32_t run_popf(const uint32_t *vals, unsigned n, unsigned c, uint32_t start)
{
	struct vcpu *v = setup(p_popf, sizeof(p_popf));
	uint32_t model = start;

	v->eflags = start;
	v->cpl = c;
	v->seg[S_CS].sel |= (uint16_t)c;
	v->seg[S_SS].sel |= (uint16_t)c;
	wr32(0x2fffc, n);
	for (unsigned i = 0; i < n; i++)
		wr32(0x30000 + 4 * i, vals[i]);
	bt_run(T->bt);
	for (unsigned i = 0; i < n; i++) {
		uint32_t mask = POPF_BASE, iopl = (model & EFL_IOPL) >> EFL_IOPL_SHIFT;
		if (c == 0)
			mask |= EFL_IOPL;
		if (c <= iopl)
			mask |= EFL_IF;
		model = (model & ~mask) | (vals[i] & mask) | EFL_FIXED;
		uint32_t want = model & ~(EFL_VM | EFL_RF), ax = rd32(0x20004 + 8 * i);
		ck_assert_msg(rd32(0x20000 + 8 * i) == want, "popf %#x (#%u): pushfd %#x, want %#x",
			      vals[i], i, rd32(0x20000 + 8 * i), want);
		ck_assert_msg(((ax >> 8) & 0xd5) == (vals[i] & 0xd5) &&
				  (ax & 0xff) == !!(vals[i] & EFL_OF),
			      "popf %#x: host flags %#x", vals[i], ax);
		model &= ~EFL_DF; /* cld */
	}
	return model;
}

START_TEST(popf_sets_each_flag_at_cpl0)
{
	static const uint32_t vals[] = {
	    0x002,   0x202,   0x203, 0x206,  0x212, 0x242,	0x282, 0xa02,	 0x602,
	    0x2202,  0x3202,  0x202, 0x4202, 0x202, 0x40202,	0x202, 0x200202, 0x202,
	    0x20202, 0x10202, 0xed7, 0x0,    0x2d7, 0xfffffeff, 0x202, 0x000,	 0xcd5 | 0x200};
	uint32_t fin = run_popf(vals, sizeof(vals) / sizeof(vals[0]), 0, EFL_IF | EFL_FIXED);

	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(T->m.vcpu.eflags & ~BT_LIVE_FLAGS, fin & ~BT_LIVE_FLAGS);
	ck_assert_uint_eq(T->m.vcpu.gpr[R_ESP], 0x80000);
}
END_TEST

START_TEST(popf_of_live_flags_and_if_off_stays_inline)
{
	static const uint32_t vals[] = {0x203, 0x206, 0x212, 0x242, 0x282, 0xa02,
					0x602, 0xed7, 0x2,   0x3,   0xcd7, 0x0};
	run_popf(vals, sizeof(vals) / sizeof(vals[0]), 0, EFL_IF | EFL_FIXED);
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(T->m.vcpu.eflags & EFL_IF, 0);
	ck_assert_uint_eq(stats[STAT_callouts], 1); /* HLT only */
}
END_TEST

START_TEST(popf_at_cpl3_keeps_if_and_iopl)
{
	static const uint32_t vals[] = {0x002, 0x3202, 0x203, 0x3002, 0x8d7, 0x202};
	uint32_t fin = run_popf(vals, sizeof(vals) / sizeof(vals[0]), 3, EFL_IF | EFL_FIXED);

	ck_assert_int_eq(T->vec, EXC_GP); /* HLT at CPL 3 ends the program */
	ck_assert_uint_eq(T->m.vcpu.eflags & (EFL_IF | EFL_IOPL), EFL_IF);
	ck_assert_uint_eq(fin & (EFL_IF | EFL_IOPL), EFL_IF);
	ck_assert_uint_eq(rd32(0x20000), EFL_IF | EFL_FIXED);
}
END_TEST

/* The PUSHF store hits the MMIO hole: the instruction is emulated from
 * the state before it, so ESP moves once and EAX/CF are the guest's. */
START_TEST(pushf_store_fault_is_precise)
{
	struct vcpu *v = setup(p_prec, sizeof(p_prec));
	bt_run(T->bt);
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_ESP], 0xe000000c);
	ck_assert_uint_eq(v->gpr[R_EAX], 0x12345678);
	ck_assert_uint_eq(v->eflags & EFL_CF, EFL_CF);
	ck_assert_uint_eq(stats[STAT_mmio_accesses], 1);
}
END_TEST

/* STI with IF clear takes the callout and its shadow (the pending
 * interrupt comes after the next instruction); with IF set it is inline. */
START_TEST(sti_shadow_and_inline_noop)
{
	struct vcpu *v = setup(p_sti, sizeof(p_sti));
	v->eflags = EFL_FIXED;
	T->irq = true;
	bt_run(T->bt);
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(T->irq_eip, 0x1006);
	ck_assert_uint_eq(v->gpr[R_EAX], 1);
	ck_assert_uint_eq(v->gpr[R_EBX], 2);
	ck_assert_uint_eq(v->gpr[R_ECX], 3);
	ck_assert_uint_eq(v->eflags & EFL_IF, EFL_IF);
	/* sti (IF 0->1), sti (IF 0->1 after cli), hlt; the second sti inline */
	ck_assert_uint_eq(stats[STAT_callouts], 3);
}
END_TEST

/* bench: ns per instruction of body (4 instructions per iteration), n
 * iterations of "mov ecx, n; 1: body; dec ecx; jnz 1b; hlt". */
static double bench(const uint8_t *body, size_t len, uint32_t n, uint32_t eflags)
{
	uint8_t prog[64];
	size_t k = 0;
	struct timespec a, b;

	prog[k++] = 0xb9;
	memcpy(prog + k, &n, 4);
	k += 4;
	memcpy(prog + k, body, len);
	k += len;
	prog[k++] = 0x49; /* dec ecx */
	prog[k++] = 0x75; /* jnz 1b */
	prog[k] = (uint8_t)(-(int)(len + 2 + 1));
	k++;
	prog[k++] = 0xf4;
	struct vcpu *v = setup(prog, k);
	v->eflags = eflags;
	clock_gettime(CLOCK_MONOTONIC, &a);
	bt_run(T->bt);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_ECX], 0);
	bt_destroy(T->bt);
	ram_destroy(&T->m.ram);
	free(T);
	T = NULL;
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 4;
}

START_TEST(timings)
{
	static const uint8_t nop4[] = {0x90, 0x90, 0x90, 0x90};
	static const uint8_t pushpop[] = {0x9c, 0x9d, 0x9c, 0x9d};
	static const uint8_t pushpop_pop[] = {0x9c, 0x58, 0x9c, 0x58}; /* pushfd; pop eax */
	static const uint8_t sti4[] = {0xfb, 0xfb, 0xfb, 0xfb};
	static const uint8_t cli4[] = {0xfa, 0xfa, 0xfa, 0xfa};
	static const uint8_t clisti[] = {0xfa, 0xfb, 0xfa, 0xfb};
	static const uint8_t rdtsc[] = {0x0f, 0x31, 0x0f, 0x31};
	uint32_t fl = EFL_IF | EFL_FIXED;
	double base = bench(nop4, 4, 1000000, fl);

	printf("inline flags, ns per instruction (nop loop %.2f ns/insn subtracted):\n", base);
	printf("  pushfd+popfd    %6.1f\n", bench(pushpop, 4, 1000000, fl) - base);
	printf("  pushfd+pop eax  %6.1f\n", bench(pushpop_pop, 4, 1000000, fl) - base);
	printf("  sti (IF set)    %6.1f\n", bench(sti4, 4, 1000000, fl) - base);
	printf("  cli             %6.1f\n", bench(cli4, 4, 1000000, fl) - base);
	printf("  cli+sti         %6.1f\n", bench(clisti, 4, 100000, fl) - base);
	printf("  rdtsc (callout) %6.1f\n", bench(rdtsc, 4, 250000, fl) - base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bt_inline");
	TCase *tc = tcase_create("inline");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, pushf_stores_live_and_virtual_flags);
	tcase_add_test(tc, popf_sets_each_flag_at_cpl0);
	tcase_add_test(tc, popf_of_live_flags_and_if_off_stays_inline);
	tcase_add_test(tc, popf_at_cpl3_keeps_if_and_iopl);
	tcase_add_test(tc, pushf_store_fault_is_precise);
	tcase_add_test(tc, sti_shadow_and_inline_noop);
	tcase_add_test(tc, timings);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
