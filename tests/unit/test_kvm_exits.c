/*
 * test_kvm_exits.c - the KVM engine's exit handling, fed with hand-filled
 * struct kvm_run exits on a real machine (devices, PIC, PIT, event loop),
 * without /dev/kvm.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

/* The kvm_run page plus room for string I/O data, as KVM lays it out. */
struct fake_run {
	struct kvm_run run;
	uint8_t data[4096];
};

static struct machine *m;
static struct fake_run *fr;

static void setup(void)
{
	struct machine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.accel = "kvm";
	cfg.ram_size = 16ull << 20;
	cfg.serial = SERIAL_NONE;
	cfg.debugcon = SERIAL_NONE;
	m = calloc(1, sizeof(*m));
	fr = calloc(1, sizeof(*fr));
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(fr);
	ck_assert_int_eq(machine_create(m, &cfg), 0);
}

static void teardown(void)
{
	machine_destroy(m);
	free(m);
	free(fr);
}

/* io_exit: fill an I/O exit of count accesses of size bytes at port. */
static uint8_t *io_exit(uint8_t dir, uint16_t port, unsigned size, unsigned count)
{
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_IO;
	fr->run.io.direction = dir;
	fr->run.io.port = port;
	fr->run.io.size = size;
	fr->run.io.count = count;
	fr->run.io.data_offset = offsetof(struct fake_run, data);
	return fr->data;
}

/* out8: one OUT of a byte through kvm_handle_exit. */
static int out8(uint16_t port, uint8_t v)
{
	io_exit(KVM_EXIT_IO_OUT, port, 1, 1)[0] = v;
	return kvm_handle_exit(m, &fr->run);
}

/* in8: one IN of a byte through kvm_handle_exit. */
static uint8_t in8(uint16_t port)
{
	uint8_t *d = io_exit(KVM_EXIT_IO_IN, port, 1, 1);

	d[0] = 0xcc;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	return d[0];
}

START_TEST(io_out_debug_exit_ends_run)
{
	ck_assert_int_eq(out8(0xf4, 0x10), 0);
	ck_assert_int_eq(m->exit.reason, EXIT_DEBUG_EXIT);
	ck_assert_int_eq(m->exit.status, (0x10 << 1) | 1);
}
END_TEST

START_TEST(io_in_from_device)
{
	ck_assert_int_eq(out8(0x70, 0x40), 0); /* CMOS NVRAM byte 0x40 */
	ck_assert_int_eq(out8(0x71, 0x5a), 0);
	ck_assert_int_eq(out8(0x70, 0x40), 0);
	ck_assert_uint_eq(in8(0x71), 0x5a);
	ck_assert_int_eq(m->exit.reason, EXIT_NONE);
}
END_TEST

START_TEST(io_in_unassigned_reads_ones)
{
	uint8_t *d = io_exit(KVM_EXIT_IO_IN, 0x278, 2, 1);

	d[0] = d[1] = 0;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_uint_eq(d[0], 0xff);
	ck_assert_uint_eq(d[1], 0xff);
}
END_TEST

START_TEST(string_io_out_and_in)
{
	uint8_t *d = io_exit(KVM_EXIT_IO_OUT, 0x3ff, 1, 3); /* UART scratch */

	memcpy(d, "xyz", 3);
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_uint_eq(in8(0x3ff), 'z'); /* every byte went out, in order */
	d = io_exit(KVM_EXIT_IO_IN, 0x3ff, 1, 4);
	memset(d, 0, 8);
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_mem_eq(d, "zzzz\0\0\0\0", 8); /* count bytes, no more */
}
END_TEST

START_TEST(string_io_outs_in_order)
{
	uint8_t *d;

	ck_assert_int_eq(out8(0x70, 0x41), 0);
	ck_assert_int_eq(out8(0x71, 0x77), 0);
	d = io_exit(KVM_EXIT_IO_OUT, 0x70, 1, 2); /* OUTSB x2: index twice */
	d[0] = 0x30;
	d[1] = 0x41;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_uint_eq(in8(0x71), 0x77);
}
END_TEST

START_TEST(mmio_to_nothing)
{
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_MMIO;
	fr->run.mmio.phys_addr = 0xfeb00000ull;
	fr->run.mmio.len = 4;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_mem_eq(fr->run.mmio.data, "\xff\xff\xff\xff\0\0\0\0", 8);

	memset(fr->run.mmio.data, 0, 8);
	fr->run.mmio.len = 3; /* odd size: byte by byte */
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_mem_eq(fr->run.mmio.data, "\xff\xff\xff\0\0\0\0\0", 8);

	fr->run.mmio.len = 8;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_mem_eq(fr->run.mmio.data, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);

	fr->run.mmio.is_write = 1; /* dropped */
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_int_eq(m->exit.reason, EXIT_NONE);

	fr->run.mmio.len = 16; /* KVM never sends this: an engine error */
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert_int_eq(m->exit.reason, EXIT_ENGINE_ERROR);
}
END_TEST

START_TEST(shutdown_is_triple_fault)
{
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_SHUTDOWN;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert_int_eq(m->exit.reason, EXIT_SHUTDOWN);
	ck_assert_int_eq(m->exit.status, EXIT_STATUS_TRIPLE);
	ck_assert_ptr_nonnull(strstr(m->exit.message, "triple fault"));
}
END_TEST

START_TEST(internal_error_reported)
{
	m->vcpu.seg[S_CS].sel = 0x0008;
	m->vcpu.eip = 0x00101234;
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	fr->run.emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	fr->run.emulation_failure.ndata = 3;
	fr->run.emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	fr->run.emulation_failure.insn_size = 3;
	memcpy(fr->run.emulation_failure.insn_bytes, "\x0f\x01\x15", 3);
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert_int_eq(m->exit.reason, EXIT_ENGINE_ERROR);
	ck_assert_int_eq(m->exit.status, EXIT_STATUS_ENGINE);
	ck_assert_ptr_nonnull(strstr(m->exit.message, "instruction emulation failed"));
	ck_assert_ptr_nonnull(strstr(m->exit.message, "CS:EIP 0008:00101234"));
	ck_assert_ptr_nonnull(strstr(m->exit.message, "0f 01 15"));
	ck_assert_ptr_null(strchr(m->exit.message, '\n'));
}
END_TEST

START_TEST(fail_entry_and_unknown_exits)
{
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_FAIL_ENTRY;
	fr->run.fail_entry.hardware_entry_failure_reason = 0x21;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert_int_eq(m->exit.reason, EXIT_ENGINE_ERROR);
	ck_assert_ptr_nonnull(strstr(m->exit.message, "entry failed (hardware reason 0x21)"));

	m->exit.reason = EXIT_NONE;
	fr->run.exit_reason = 1000;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert_int_eq(m->exit.reason, EXIT_ENGINE_ERROR);
	ck_assert_ptr_nonnull(strstr(m->exit.message, "unexpected exit 1000"));
}
END_TEST

START_TEST(irq_window_and_intr_continue)
{
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	fr->run.exit_reason = KVM_EXIT_INTR;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert_int_eq(m->exit.reason, EXIT_NONE);
}
END_TEST

/* pic_setup: 8259 pair initialised, vectors 0x20/0x28, only `irq` open. */
static void pic_setup(int irq)
{
	static const uint8_t seq[][2] = {
	    {0x20, 0x11}, {0xa0, 0x11}, {0x21, 0x20}, {0xa1, 0x28}, {0x21, 0x04},
	    {0xa1, 0x02}, {0x21, 0x01}, {0xa1, 0x01}, {0xa1, 0xff},
	};
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		ck_assert_int_eq(out8(seq[i][0], seq[i][1]), 0);
	ck_assert_int_eq(out8(0x21, (uint8_t) ~(1u << irq)), 0);
}

START_TEST(hlt_ends_when_run_ends)
{
	machine_request_exit(m, EXIT_QUIT, 0, "test");
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_HLT;
	fr->run.if_flag = 1;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert(!m->vcpu.halted);
}
END_TEST

/* HLT with IF=0: nothing can wake the CPU: the run ends with status 10. */
START_TEST(hlt_with_if_clear_ends_run)
{
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_HLT;
	fr->run.if_flag = 0;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), -1);
	ck_assert_int_eq(m->exit.reason, EXIT_GUEST_STOPPED);
	ck_assert_int_eq(m->exit.status, EXIT_STATUS_GUEST);
	ck_assert_ptr_nonnull(strstr(m->exit.message, "interrupts disabled"));
}
END_TEST

START_TEST(hlt_with_interrupt_pending_returns)
{
	pic_setup(3);
	irq_set(&m->isa_irq[3], 1);
	ck_assert(machine_intr_pending(m));
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_HLT;
	fr->run.if_flag = 1;
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert(!m->vcpu.halted);
	/* Before the next KVM_RUN the engine asks for an interrupt window
	 * when KVM cannot take the interrupt now. */
	fr->run.ready_for_interrupt_injection = 0;
	ck_assert_int_eq(kvm_inject_pending(m, &fr->run), 0);
	ck_assert_uint_eq(fr->run.request_interrupt_window, 1);
	ck_assert_int_eq(machine_intr_ack(m), 0x23);
	ck_assert_int_eq(kvm_inject_pending(m, &fr->run), 0);
	ck_assert_uint_eq(fr->run.request_interrupt_window, 0);
}
END_TEST

START_TEST(hlt_waits_for_pit_tick)
{
	uint64_t t0;

	pic_setup(0);
	ck_assert_int_eq(out8(0x43, 0x34), 0); /* channel 0, mode 2, 1000 Hz */
	ck_assert_int_eq(out8(0x40, 1193 & 0xff), 0);
	ck_assert_int_eq(out8(0x40, 1193 >> 8), 0);
	ck_assert(!machine_intr_pending(m));
	memset(&fr->run, 0, sizeof(fr->run));
	fr->run.exit_reason = KVM_EXIT_HLT;
	fr->run.if_flag = 1;
	t0 = util_now_ns();
	ck_assert_int_eq(kvm_handle_exit(m, &fr->run), 0);
	ck_assert(machine_intr_pending(m));
	ck_assert_int_eq(machine_intr_ack(m), 0x20);
	ck_assert_uint_lt(util_now_ns() - t0, 2000000000ull);
}
END_TEST

static Suite *kvm_exits_suite(void)
{
	Suite *s = suite_create("kvm_exits");
	TCase *tc = tcase_create("exits");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, io_out_debug_exit_ends_run);
	tcase_add_test(tc, io_in_from_device);
	tcase_add_test(tc, io_in_unassigned_reads_ones);
	tcase_add_test(tc, string_io_out_and_in);
	tcase_add_test(tc, string_io_outs_in_order);
	tcase_add_test(tc, mmio_to_nothing);
	tcase_add_test(tc, shutdown_is_triple_fault);
	tcase_add_test(tc, internal_error_reported);
	tcase_add_test(tc, fail_entry_and_unknown_exits);
	tcase_add_test(tc, irq_window_and_intr_continue);
	tcase_add_test(tc, hlt_ends_when_run_ends);
	tcase_add_test(tc, hlt_with_interrupt_pending_returns);
	tcase_add_test(tc, hlt_with_if_clear_ends_run);
	tcase_add_test(tc, hlt_waits_for_pit_tick);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kvm_exits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
