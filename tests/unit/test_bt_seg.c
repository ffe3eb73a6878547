/*
 * test_bt_seg.c - the translator's memory-operand side on byte strings:
 * DS/ES/SS with non-zero bases (the block key keeps flat and based
 * translations apart), stack instructions through a based SS, single
 * string instructions expanded inline (DF read flag-free), AH..BH operands
 * with FS/GS, XLAT with a base, 16-bit addressing, and precise state when
 * an access faults (STOSD, POP m32).  Programs are 32-bit code assembled
 * with `as --32` (source beside each array), loaded at 0x1000 and run
 * in-process through the dispatcher with test hooks: HLT ends the run,
 * exceptions are recorded.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "translator/bt.h"
#include "monitor/base/stats.h"
#include "bt_harness.h"

/*
 * p_stack (DS base 0x100000, ES 0x200000, SS 0x300000):
 *	movl $0x11111111, 0x10 ; movl $0x20, %ebx ; movl %ebx, 4(%ebx)
 *	movl $0x22222222, %es:0x30 ; movl $0x40, %ebp ; movl $0x33333333, (%ebp)
 *	movl 0x10, %eax ; pushl $0x44444444 ; pushl %eax ; popl %ecx ; call 1f
 *	popl %esi ; pushl $0x55 ; popl 0x50 ; pushl $0x66 ; popl 4(%esp)
 *	pusha ; movl $0, %eax ; movl $0, %edi ; popa ; enter $8, $1
 *	movl 4(%ebp), %edx ; leave ; hlt
 * 1:	movl (%esp), %edx ; ret
 *
 * p_str (DS 0x100000, ES 0x200000, FS 0x300000):
 *	cld ; movl $0x100, %edi ; movl $0xaabbccdd, %eax ; stosl ; stosw
 *	movl $0x10, %esi ; movsl ; std ; movsb ; cld ; movl $0x20, %esi
 *	lodsl %fs:(%esi) ; movl %eax, %ebp ; movl $0x10, %esi ; movl $0x106, %edi
 *	cmpsl ; setz %bl ; movl $0x10, %esi ; movl $0x10a, %edi ; cmpsb ; setc %bh
 *	movl $0x0308, %eax ; movl $0x10a, %edi ; scasb ; setz %cl ; std
 *	movl $0x17, %esi ; lodsb ; movl $0x200, %edi ; stosb ; stosb ; cld ; hlt
 *
 * p_hb (DS 0x100000, FS 0x300000):
 *	movl $0x40, %ebx ; movl $0x11223344, %eax ; movb %fs:(%ebx), %ah
 *	movl $0xf000, %ecx ; addb %ch, %fs:1(%ebx) ; setc %dl ; movb $0x77, %dh
 *	xchgb %dh, %fs:2(%ebx) ; movb %fs:3(%ebx), %bh ; movl %edx, 0x60
 *	movl %eax, %ebp ; movl $0x80, %ebx ; movl $5, %eax ; xlat ; movl %eax, %edi
 *	movl $0x7ffe0, %esp ; movl $0x12340100, %ebx ; movl $0x20, %esi ; pushl %ebx
 *	movl (%bx,%si), %ecx ; popl %ebx ; movl $0xffff0fff, %ebx
 *	leal 2(%bx,%si), %edx ; movl $0x9999, %ebx ; addr16 movl 0x1234, %eax
 *	movl %eax, %esi ; movl $0x50, %ebx ; movl $0x102, %eax ; xlat %fs:(%ebx)
 *	hlt
 *
 * p_prec:    movl $0xe0000000, %edi ; movl $1, %eax ; stosl ; hlt
 * p_precpop: pushl $5 ; popl 0xe0000000 ; hlt
 * p_key:     movl 0x10, %eax ; hlt
 */
static const uint8_t p_stack[] = {
    0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x11, 0x11, 0x11, 0x11, 0xbb, 0x20, 0x00, 0x00,
    0x00, 0x89, 0x5b, 0x04, 0x26, 0xc7, 0x05, 0x30, 0x00, 0x00, 0x00, 0x22, 0x22, 0x22,
    0x22, 0xbd, 0x40, 0x00, 0x00, 0x00, 0xc7, 0x45, 0x00, 0x33, 0x33, 0x33, 0x33, 0xa1,
    0x10, 0x00, 0x00, 0x00, 0x68, 0x44, 0x44, 0x44, 0x44, 0x50, 0x59, 0xe8, 0x24, 0x00,
    0x00, 0x00, 0x5e, 0x6a, 0x55, 0x8f, 0x05, 0x50, 0x00, 0x00, 0x00, 0x6a, 0x66, 0x8f,
    0x44, 0x24, 0x04, 0x60, 0xb8, 0x00, 0x00, 0x00, 0x00, 0xbf, 0x00, 0x00, 0x00, 0x00,
    0x61, 0xc8, 0x08, 0x00, 0x01, 0x8b, 0x55, 0x04, 0xc9, 0xf4, 0x8b, 0x14, 0x24, 0xc3};
static const uint8_t p_str[] = {
    0xfc, 0xbf, 0x00, 0x01, 0x00, 0x00, 0xb8, 0xdd, 0xcc, 0xbb, 0xaa, 0xab, 0x66, 0xab, 0xbe,
    0x10, 0x00, 0x00, 0x00, 0xa5, 0xfd, 0xa4, 0xfc, 0xbe, 0x20, 0x00, 0x00, 0x00, 0x64, 0xad,
    0x89, 0xc5, 0xbe, 0x10, 0x00, 0x00, 0x00, 0xbf, 0x06, 0x01, 0x00, 0x00, 0xa7, 0x0f, 0x94,
    0xc3, 0xbe, 0x10, 0x00, 0x00, 0x00, 0xbf, 0x0a, 0x01, 0x00, 0x00, 0xa6, 0x0f, 0x92, 0xc7,
    0xb8, 0x08, 0x03, 0x00, 0x00, 0xbf, 0x0a, 0x01, 0x00, 0x00, 0xae, 0x0f, 0x94, 0xc1, 0xfd,
    0xbe, 0x17, 0x00, 0x00, 0x00, 0xac, 0xbf, 0x00, 0x02, 0x00, 0x00, 0xaa, 0xaa, 0xfc, 0xf4};
static const uint8_t p_hb[] = {
    0xbb, 0x40, 0x00, 0x00, 0x00, 0xb8, 0x44, 0x33, 0x22, 0x11, 0x64, 0x8a, 0x23, 0xb9, 0x00, 0xf0,
    0x00, 0x00, 0x64, 0x00, 0x6b, 0x01, 0x0f, 0x92, 0xc2, 0xb6, 0x77, 0x64, 0x86, 0x73, 0x02, 0x64,
    0x8a, 0x7b, 0x03, 0x89, 0x15, 0x60, 0x00, 0x00, 0x00, 0x89, 0xc5, 0xbb, 0x80, 0x00, 0x00, 0x00,
    0xb8, 0x05, 0x00, 0x00, 0x00, 0xd7, 0x89, 0xc7, 0xbc, 0xe0, 0xff, 0x07, 0x00, 0xbb, 0x00, 0x01,
    0x34, 0x12, 0xbe, 0x20, 0x00, 0x00, 0x00, 0x53, 0x67, 0x8b, 0x08, 0x5b, 0xbb, 0xff, 0x0f, 0xff,
    0xff, 0x67, 0x8d, 0x50, 0x02, 0xbb, 0x99, 0x99, 0x00, 0x00, 0x67, 0xa1, 0x34, 0x12, 0x89, 0xc6,
    0xbb, 0x50, 0x00, 0x00, 0x00, 0xb8, 0x02, 0x01, 0x00, 0x00, 0x64, 0xd7, 0xf4};
static const uint8_t p_prec[] = {0xbf, 0x00, 0x00, 0x00, 0xe0, 0xb8,
				 0x01, 0x00, 0x00, 0x00, 0xab, 0xf4};
static const uint8_t p_precpop[] = {0x6a, 0x05, 0x8f, 0x05, 0x00, 0x00, 0x00, 0xe0, 0xf4};
static const uint8_t p_key[] = {0xa1, 0x10, 0x00, 0x00, 0x00, 0xf4};

/* t_needed: HLT is the only callout the programs need. */
static bool t_needed(const ZydisDecodedInstruction *in, bool fpu_trap, const char **why)
{
	(void)fpu_trap;
	if (in->mnemonic != ZYDIS_MNEMONIC_HLT)
		return false;
	*why = "test";
	return true;
}

static enum callout_result t_exec(struct vcpu *v, const struct callout_site *s)
{
	v->eip = s->eip + s->len;
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_HLT) {
		v->halted = true;
		return CO_HALT;
	}
	return CO_NEXT;
}

static const struct bt_hooks t_hooks = {
    .exec = t_exec,
    .needed = t_needed,
    .raise = th_raise,
    .deliver_pending = th_deliver,
    .check_interrupts = th_check_interrupts,
    .intr_pending = th_intr_pending,
    .service = th_service,
    .wait = th_wait,
    .halt_dead = th_wait,
};

/* setup: 64 MiB machine, flat 32-bit protected mode, prog at 0x1000, ESP
 * 0x80000; the caller sets segment bases before run(). */
static struct vcpu *setup(const uint8_t *prog, size_t len)
{
	return th_setup(&t_hooks, prog, len);
}

/* run: run until HLT (or another stop), starting at eip 0x1000. */
static void run(void)
{
	T->m.exit.reason = EXIT_NONE;
	T->m.vcpu.halted = false;
	T->m.vcpu.eip = 0x1000;
	bt_run(T->bt);
}

START_TEST(based_ds_es_ss_and_stack)
{
	struct vcpu *v = setup(p_stack, sizeof(p_stack));
	v->seg[S_DS].base = 0x100000;
	v->seg[S_ES].base = 0x200000;
	v->seg[S_SS].base = 0x300000;
	wr32(0x380000, 0x77777777);
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(rd32(0x100010), 0x11111111);
	ck_assert_uint_eq(rd32(0x100024), 0x20);
	ck_assert_uint_eq(rd32(0x200030), 0x22222222);
	ck_assert_uint_eq(rd32(0x300040), 0x33333333);
	ck_assert_uint_eq(rd32(0x100050), 0x55);       /* pop m through DS */
	ck_assert_uint_eq(rd32(0x380004), 0x66);       /* pop 4(%esp): ESP+4 after the pop */
	ck_assert_uint_eq(rd32(0x37fff8), 0x7fffc);    /* ENTER's frame pointer */
	ck_assert_uint_eq(rd32(0x10) | rd32(0x50), 0); /* nothing went to base 0 */
	ck_assert_uint_eq(v->gpr[R_EAX], 0x11111111);
	ck_assert_uint_eq(v->gpr[R_ECX], 0x11111111);
	ck_assert_uint_eq(v->gpr[R_EDX], 0x77777777);
	ck_assert_uint_eq(v->gpr[R_EBX], 0x20);
	ck_assert_uint_eq(v->gpr[R_ESI], 0x44444444);
	ck_assert_uint_eq(v->gpr[R_EDI], 0);
	ck_assert_uint_eq(v->gpr[R_EBP], 0x40);
	ck_assert_uint_eq(v->gpr[R_ESP], 0x80000);
}
END_TEST

START_TEST(string_instructions_inline)
{
	struct vcpu *v = setup(p_str, sizeof(p_str));
	v->seg[S_DS].base = 0x100000;
	v->seg[S_ES].base = 0x200000;
	v->seg[S_FS].base = 0x300000;
	wr32(0x100010, 0x01020304);
	wr32(0x100014, 0x05060708);
	wr32(0x300020, 0xcafef00d);
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(stats[STAT_callouts], 1); /* only the HLT */
	ck_assert_uint_eq(rd32(0x200100), 0xaabbccdd);
	ck_assert_uint_eq(rd32(0x200106), 0x01020304);
	ck_assert_uint_eq(rd32(0x200104) & 0xffff, 0xccdd);
	ck_assert_uint_eq(T->m.ram.host[0x20010a], 0x08); /* MOVSB with DF=1 */
	ck_assert_uint_eq(T->m.ram.host[0x2001ff], 0x05);
	ck_assert_uint_eq(T->m.ram.host[0x200200], 0x05);
	ck_assert_uint_eq(v->gpr[R_EBP], 0xcafef00d);
	ck_assert_uint_eq(v->gpr[R_EBX], 0x0101); /* CMPSD equal, CMPSB below */
	ck_assert_uint_eq(v->gpr[R_ECX], 0x01);	  /* SCASB equal */
	ck_assert_uint_eq(v->gpr[R_EAX], 0x305);
	ck_assert_uint_eq(v->gpr[R_ESI], 0x16);
	ck_assert_uint_eq(v->gpr[R_EDI], 0x1fe);
	ck_assert_uint_eq(v->eflags & EFL_DF, 0);
}
END_TEST

START_TEST(high_bytes_xlat_and_16bit_addressing)
{
	struct vcpu *v = setup(p_hb, sizeof(p_hb));
	v->seg[S_DS].base = 0x100000;
	v->seg[S_FS].base = 0x300000;
	wr32(0x300040, 0xab552099);
	T->m.ram.host[0x100085] = 0x3c;
	wr32(0x100120, 0xdeadbeef);
	wr32(0x101234, 0x600d600d);
	T->m.ram.host[0x300052] = 0x7e;
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EBP], 0x11229944);	  /* mov ah, fs:[ebx] */
	ck_assert_uint_eq(T->m.ram.host[0x300041], 0x10); /* add fs:[ebx+1], ch */
	ck_assert_uint_eq(T->m.ram.host[0x300042], 0x77); /* xchg dh, fs:[ebx+2] */
	ck_assert_uint_eq(rd32(0x100060), 0x5501);	  /* dh = 0x55, dl = CF = 1 */
	ck_assert_uint_eq(v->gpr[R_EDI], 0x3c);		  /* xlat, based DS */
	ck_assert_uint_eq(v->gpr[R_ECX], 0xdeadbeef);	  /* [bx+si] = 0x120 */
	ck_assert_uint_eq(v->gpr[R_EDX], 0x1021);	  /* lea 2(%bx,%si) */
	ck_assert_uint_eq(v->gpr[R_ESI], 0x600d600d);	  /* addr16 moffs */
	ck_assert_uint_eq(v->gpr[R_EAX], 0x17e);	  /* xlat %fs:(%ebx) */
	ck_assert_uint_eq(v->gpr[R_EBX], 0x50);
	ck_assert_uint_eq(v->gpr[R_ESP], 0x7ffe0);
}
END_TEST

START_TEST(flat_and_based_blocks_are_kept_apart)
{
	struct vcpu *v = setup(p_key, sizeof(p_key));
	wr32(0x10, 1);
	wr32(0x100010, 2);
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EAX], 1);
	v->seg[S_DS].base = 0x100000;
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EAX], 2);
	v->seg[S_DS].base = 0;
	run();
	ck_assert_uint_eq(v->gpr[R_EAX], 1);
}
END_TEST

/* The store faults in the host (no RAM at 0xe0000000); the instruction is
 * then emulated against the bus from the state before it: had the inline
 * expansion already moved EDI (or ESP), the emulator would move it twice. */
START_TEST(faulting_stos_leaves_edi)
{
	struct vcpu *v = setup(p_prec, sizeof(p_prec));
	run();
	ck_assert_ptr_null(strstr(T->m.exit.message, "does not handle"));
	ck_assert_uint_eq(v->gpr[R_EDI], 0xe0000004);
	ck_assert_uint_eq(v->gpr[R_EAX], 1);
}
END_TEST

START_TEST(faulting_pop_m32_leaves_esp)
{
	struct vcpu *v = setup(p_precpop, sizeof(p_precpop));
	run();
	ck_assert_ptr_null(strstr(T->m.exit.message, "does not handle"));
	ck_assert_uint_eq(v->gpr[R_ESP], 0x80000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bt_seg");
	TCase *tc = tcase_create("seg");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, based_ds_es_ss_and_stack);
	tcase_add_test(tc, string_instructions_inline);
	tcase_add_test(tc, high_bytes_xlat_and_16bit_addressing);
	tcase_add_test(tc, flat_and_based_blocks_are_kept_apart);
	tcase_add_test(tc, faulting_stos_leaves_edi);
	tcase_add_test(tc, faulting_pop_m32_leaves_esp);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
