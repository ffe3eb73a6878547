/*
 * test_bt_run.c - the translator on byte strings: translate small 32-bit
 * programs (assembled with `as --32`, loaded at 0x1000) and run them
 * in-process through the dispatcher, with test hooks standing in for the
 * cpu layer: HLT ends the run, CPUID is a CO_NEXT callout, exceptions are
 * recorded instead of delivered.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "translator/bt.h"
#include "monitor/base/stats.h"
#include "bt_harness.h"

static const uint8_t p_bcd[] = {0xb8, 0x79, 0x00, 0x00, 0x00, 0x04, 0x35, 0x27, 0x0f,
				0x92, 0xc3, 0x89, 0xc1, 0xb8, 0x05, 0x01, 0x00, 0x00,
				0xd5, 0x0a, 0xb2, 0x20, 0xd4, 0x07, 0xf4};
static const uint8_t p_cpuid[] = {0xbe, 0x40, 0x42, 0x0f, 0x00, 0x0f, 0xa2, 0x4e, 0x75, 0xfb, 0xf4};
static const uint8_t p_div[] = {0xb8, 0x05, 0x00, 0x00, 0x00, 0xbb, 0x07, 0x00, 0x00,
				0x00, 0x31, 0xd2, 0x31, 0xc9, 0xf7, 0xf1, 0xf4};
static const uint8_t p_flags[] = {
    0xbf, 0x03, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x00, 0x00,
    0x00, 0xba, 0x18, 0x10, 0x00, 0x00, 0x39, 0xd8, 0xff, 0xe2, 0x72, 0x06, 0xbe, 0xad,
    0x0b, 0x00, 0x00, 0xf4, 0xf9, 0xe8, 0x11, 0x00, 0x00, 0x00, 0x72, 0x06, 0xbe, 0xd2,
    0xba, 0x00, 0x00, 0xf4, 0x4f, 0x75, 0xd4, 0xbe, 0x0d, 0x60, 0x00, 0x00, 0xf4, 0xc3};
static const uint8_t p_fs[] = {0x64, 0xa1, 0x10, 0x00, 0x00, 0x00, 0xbb, 0x04, 0x00, 0x00,
			       0x00, 0x64, 0xc7, 0x43, 0x20, 0x34, 0x12, 0x00, 0x00, 0xf4};
static const uint8_t p_mem[] = {
    0xbb, 0x00, 0x00, 0x02, 0x00, 0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 0x11, 0x11, 0x11, 0x11,
    0xb8, 0x22, 0x22, 0x22, 0x22, 0x89, 0x43, 0x04, 0xb9, 0x02, 0x00, 0x00, 0x00, 0xc7, 0x84,
    0x8b, 0x00, 0x01, 0x00, 0x00, 0x33, 0x33, 0x33, 0x33, 0x8b, 0x13, 0x0f, 0xb6, 0x73, 0x04,
    0x66, 0xc7, 0x05, 0x10, 0x00, 0x02, 0x00, 0x55, 0x55, 0xf0, 0x83, 0x05, 0x10, 0x00, 0x02,
    0x00, 0x01, 0x89, 0xe5, 0x6a, 0x77, 0x8b, 0x7d, 0xfc, 0x58, 0x8d, 0x44, 0x4b, 0x10, 0xb8,
    0x00, 0x9a, 0x00, 0x00, 0x88, 0x25, 0x20, 0x00, 0x02, 0x00, 0x87, 0x15, 0x24, 0x00, 0x02,
    0x00, 0x8b, 0x0c, 0x4d, 0x00, 0x00, 0x02, 0x00, 0x41, 0xf4};
static const uint8_t p_mmio[] = {0xa1, 0x00, 0x00, 0x00, 0xe0, 0xc7, 0x05, 0x04,
				 0x00, 0x00, 0xe0, 0x05, 0x00, 0x00, 0x00, 0xbb,
				 0x00, 0x00, 0x00, 0x30, 0x0f, 0xb7, 0x0b, 0xf4};
static const uint8_t p_smc[] = {0xc6, 0x05, 0x08, 0x10, 0x00, 0x00, 0x05, 0xb8, 0x01, 0x00, 0x00,
				0x00, 0x89, 0xc2, 0xe8, 0x11, 0x00, 0x00, 0x00, 0x89, 0xc3, 0xc6,
				0x05, 0x25, 0x10, 0x00, 0x00, 0x09, 0xe8, 0x03, 0x00, 0x00, 0x00,
				0x89, 0xc1, 0xf4, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
static const uint8_t p_spin[] = {0x40, 0xeb, 0xfd};
static const uint8_t p_stack[] = {
    0xb8, 0x0a, 0x00, 0x00, 0x00, 0xe8, 0x32, 0x00, 0x00, 0x00, 0x89, 0xc3, 0x60, 0x31, 0xc0, 0x31,
    0xc9, 0x31, 0xdb, 0x31, 0xf6, 0x31, 0xff, 0x31, 0xed, 0x61, 0xb9, 0x58, 0x10, 0x00, 0x00, 0x6a,
    0x05, 0xff, 0xd1, 0x89, 0xc6, 0x6a, 0x08, 0xff, 0x15, 0x69, 0x10, 0x00, 0x00, 0x89, 0xc7, 0xff,
    0x35, 0x69, 0x10, 0x00, 0x00, 0x8f, 0x05, 0x00, 0x00, 0x02, 0x00, 0xf4, 0x83, 0xf8, 0x02, 0x72,
    0x16, 0x50, 0x48, 0xe8, 0xf4, 0xff, 0xff, 0xff, 0x89, 0xc2, 0x58, 0x52, 0x83, 0xe8, 0x02, 0xe8,
    0xe8, 0xff, 0xff, 0xff, 0x5a, 0x01, 0xd0, 0xc3, 0xc8, 0x08, 0x00, 0x00, 0x8b, 0x45, 0x08, 0x89,
    0x45, 0xfc, 0x83, 0xc0, 0x02, 0xc9, 0xc2, 0x04, 0x00, 0x58, 0x10, 0x00, 0x00};
static const uint8_t p_sum[] = {0x31, 0xc0, 0xb9, 0xe8, 0x03, 0x00, 0x00, 0xbe, 0x00, 0x00,
				0x01, 0x00, 0x03, 0x44, 0x8e, 0xfc, 0xe2, 0xfa, 0xf4};
static const uint8_t p_ud[] = {0x90, 0x0f, 0x0b};
/* stc; cli; mov eax, cr0; mov ebx, cr4; hlt */
static const uint8_t p_cli[] = {0xf9, 0xfa, 0x0f, 0x20, 0xc0, 0x0f, 0x20, 0xe3, 0xf4};

/* t_needed: the test's callout rule: a few system instructions. */
static bool t_needed(const ZydisDecodedInstruction *in, bool fpu_trap, const char **why)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_HLT:
	case ZYDIS_MNEMONIC_CPUID:
	case ZYDIS_MNEMONIC_CLI:
	case ZYDIS_MNEMONIC_STI:
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT:
		*why = "test";
		return true;
	default:
		return false;
	}
}

static enum callout_result t_exec(struct vcpu *v, const struct callout_site *s)
{
	switch (s->insn.mnemonic) {
	case ZYDIS_MNEMONIC_DAA:
	case ZYDIS_MNEMONIC_DAS:
	case ZYDIS_MNEMONIC_AAA:
	case ZYDIS_MNEMONIC_AAS:
	case ZYDIS_MNEMONIC_AAM:
	case ZYDIS_MNEMONIC_AAD:
	case ZYDIS_MNEMONIC_SALC:
		return callout_exec(v, s); /* the monitor's exact handlers */
	default:
		break;
	}
	v->eip = s->eip + s->len;
	switch (s->insn.mnemonic) {
	case ZYDIS_MNEMONIC_HLT:
		v->halted = true;
		return CO_HALT;
	case ZYDIS_MNEMONIC_CPUID:
		v->gpr[R_EAX] = 0x756e6547;
		v->gpr[R_EBX] = 1;
		v->gpr[R_ECX] = 2;
		v->gpr[R_EDX] = 3;
		return CO_NEXT;
	default:
		return CO_NEXT;
	}
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

/* setup: 64 MiB machine, flat protected mode, prog at 0x1000, ESP 0x80000. */
static struct vcpu *setup(const uint8_t *prog, size_t len)
{
	return th_setup(&t_hooks, prog, len);
}

static void run(void)
{
	bt_run(T->bt);
}

START_TEST(cli_and_cr_reads_inline_at_cpl0)
{
	struct vcpu *v = setup(p_cli, sizeof(p_cli));
	v->eflags |= EFL_IF | 0x4000 | 0x3000; /* IF, NT, IOPL 3: kept but IF */
	v->cr4 = 0x200;
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->eflags & EFL_IF, 0);
	ck_assert_uint_eq(v->eflags & 0x7000, 0x7000);
	ck_assert_uint_eq(v->eflags & EFL_CF, EFL_CF); /* live flags survive */
	ck_assert_uint_eq(v->gpr[R_EAX], v->cr0);
	ck_assert_uint_eq(v->gpr[R_EBX], 0x200);
}
END_TEST

START_TEST(loop_sums_array)
{
	struct vcpu *v = setup(p_sum, sizeof(p_sum));
	for (uint32_t i = 0; i < 1000; i++)
		wr32(0x10000 + 4 * i, 3 * i);
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EAX], 1498500);
	ck_assert_uint_eq(v->gpr[R_ECX], 0);
	ck_assert_uint_eq(v->eip, 0x1000 + sizeof(p_sum));
}
END_TEST

START_TEST(addressing_forms)
{
	struct vcpu *v = setup(p_mem, sizeof(p_mem));
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(rd32(0x20000), 0x11111111);
	ck_assert_uint_eq(rd32(0x20004), 0x22222222);
	ck_assert_uint_eq(rd32(0x20108), 0x33333333);
	ck_assert_uint_eq(rd32(0x20010), 0x5556);
	ck_assert_uint_eq(T->m.ram.host[0x20020], 0x9a);
	ck_assert_uint_eq(rd32(0x20024), 0x11111111);
	ck_assert_uint_eq(v->gpr[R_EDX], 0);
	ck_assert_uint_eq(v->gpr[R_ESI], 0x22);
	ck_assert_uint_eq(v->gpr[R_EDI], 0x77);
	ck_assert_uint_eq(v->gpr[R_EAX], 0x9a00);
	ck_assert_uint_eq(v->gpr[R_ECX], 0x22222223);
	ck_assert_uint_eq(v->gpr[R_ESP], 0x80000);
	ck_assert_uint_eq(v->gpr[R_EBP], 0x80000);
}
END_TEST

START_TEST(stack_calls_and_returns)
{
	struct vcpu *v = setup(p_stack, sizeof(p_stack));
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EBX], 55);
	ck_assert_uint_eq(v->gpr[R_ESI], 7);
	ck_assert_uint_eq(v->gpr[R_EDI], 10);
	ck_assert_uint_eq(v->gpr[R_ESP], 0x80000);
	ck_assert_uint_eq(rd32(0x20000), rd32(0x1000 + sizeof(p_stack) - 4));
	ck_assert_uint_gt(stats[STAT_chained_exits], 0);
}
END_TEST

START_TEST(flags_live_across_indirect_branches)
{
	struct vcpu *v = setup(p_flags, sizeof(p_flags));
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_ESI], 0x600d);
}
END_TEST

START_TEST(divide_error_is_precise)
{
	struct vcpu *v = setup(p_div, sizeof(p_div));
	run();
	ck_assert_int_eq(T->vec, EXC_DE);
	ck_assert_uint_eq(T->vec_eip, 0x100e);
	ck_assert_uint_eq(v->gpr[R_EAX], 5);
	ck_assert_uint_eq(v->gpr[R_EBX], 7);
	ck_assert_uint_eq(v->gpr[R_ESP], 0x80000);
}
END_TEST

START_TEST(undefined_opcode_raises_ud)
{
	setup(p_ud, sizeof(p_ud));
	run();
	ck_assert_int_eq(T->vec, EXC_UD);
	ck_assert_uint_eq(T->vec_eip, 0x1001);
}
END_TEST

START_TEST(self_modifying_code)
{
	struct vcpu *v = setup(p_smc, sizeof(p_smc));
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EDX], 5);
	ck_assert_uint_eq(v->gpr[R_EBX], 1);
	ck_assert_uint_eq(v->gpr[R_ECX], 9);
}
END_TEST

START_TEST(bcd_opcodes)
{
	struct vcpu *v = setup(p_bcd, sizeof(p_bcd));
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_ECX] & 0xff, 0x14);
	ck_assert_uint_eq(v->gpr[R_EBX] & 0xff, 1);
	ck_assert_uint_eq(v->gpr[R_EAX], 0x0201);
}
END_TEST

START_TEST(mmio_hole_reads_ones)
{
	struct vcpu *v = setup(p_mmio, sizeof(p_mmio));
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EAX], 0xffffffff);
	ck_assert_uint_eq(v->gpr[R_ECX], 0xffff);
	ck_assert_uint_eq(stats[STAT_mmio_accesses], 3);
}
END_TEST

START_TEST(fs_base_is_added)
{
	struct vcpu *v = setup(p_fs, sizeof(p_fs));
	v->seg[S_FS].base = 0x30000;
	wr32(0x30010, 0xabcd);
	run();
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_EAX], 0xabcd);
	ck_assert_uint_eq(rd32(0x30024), 0x1234);
}
END_TEST

static void *kicker(void *arg)
{
	usleep(20000);
	T->stop_on_service = true;
	bt_kick(T->bt);
	return NULL;
}

/* A jump to unassigned physical space: the CPU fetches all-ones bytes from
 * the bus, FF FF is an invalid FF /7, so the guest gets #UD there. */
START_TEST(fetch_outside_ram_is_ud)
{
	static const uint8_t p[] = {0xb8, 0x00, 0x00, 0x00, 0xf0, 0xff, 0xe0}; /* jmp 0xf0000000 */
	setup(p, sizeof(p));
	run();
	ck_assert_int_eq(T->vec, EXC_UD);
	ck_assert_uint_eq(T->vec_eip, 0xf0000000);
}
END_TEST

START_TEST(kick_stops_a_spinning_guest)
{
	pthread_t th;
	struct vcpu *v = setup(p_spin, sizeof(p_spin));
	pthread_create(&th, NULL, kicker, NULL);
	run();
	pthread_join(th, NULL);
	ck_assert_str_eq(T->m.exit.message, "service");
	ck_assert_uint_gt(v->gpr[R_EAX], 1000);
	ck_assert_uint_eq(v->eip & ~0xfu, 0x1000);
}
END_TEST

START_TEST(callout_round_trip)
{
	struct timespec a, b;
	struct vcpu *v = setup(p_cpuid, sizeof(p_cpuid));
	clock_gettime(CLOCK_MONOTONIC, &a);
	run();
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_str_eq(T->m.exit.message, "halted");
	ck_assert_uint_eq(v->gpr[R_ESI], 0);
	ck_assert_uint_eq(v->gpr[R_EAX], 0x756e6547);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("callout round trip (CPUID, test hook): %.1f ns\n", ns / 1e6);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bt_run");
	TCase *tc = tcase_create("run");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, loop_sums_array);
	tcase_add_test(tc, addressing_forms);
	tcase_add_test(tc, stack_calls_and_returns);
	tcase_add_test(tc, flags_live_across_indirect_branches);
	tcase_add_test(tc, divide_error_is_precise);
	tcase_add_test(tc, undefined_opcode_raises_ud);
	tcase_add_test(tc, self_modifying_code);
	tcase_add_test(tc, bcd_opcodes);
	tcase_add_test(tc, cli_and_cr_reads_inline_at_cpl0);
	tcase_add_test(tc, mmio_hole_reads_ones);
	tcase_add_test(tc, fs_base_is_added);
	tcase_add_test(tc, fetch_outside_ram_is_ud);
	tcase_add_test(tc, kick_stops_a_spinning_guest);
	tcase_add_test(tc, callout_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
