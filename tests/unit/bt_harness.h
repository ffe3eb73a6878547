/*
 * bt_harness.h - what the translator's unit tests share: a bare 64 MiB
 * machine in flat 32-bit protected mode with the program at 0x1000, and
 * engine hooks that record exceptions and interrupts instead of delivering
 * them.  Each test file provides its own callout rule (exec/needed) and
 * builds its struct bt_hooks from the th_* functions below.
 */
#ifndef BT86_TEST_BT_HARNESS_H
#define BT86_TEST_BT_HARNESS_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "translator/bt.h"
#include "monitor/x86/cpu.h"

struct tenv {
	struct machine m;
	struct bt *bt;
	int vec;	      /* last exception vector, -1 if none */
	uint32_t vec_eip;     /* EIP it was raised at */
	bool stop_on_service; /* end the run when the machine is serviced */
	bool irq;	      /* an interrupt is pending (tests set it) */
	uint32_t irq_eip;     /* EIP at which it was taken */
};
static struct tenv *T;

/* th_raise: record an exception in the vcpu (as cpu_raise does). */
static __attribute__((unused)) int th_raise(struct vcpu *v, int vector, bool has_err, uint32_t err)
{
	v->exc.valid = true;
	v->exc.vector = (uint8_t)vector;
	v->exc.has_err = has_err;
	v->exc.err = err;
	return -1;
}

/* th_deliver: note the exception and where, then end the run. */
static void th_deliver(struct vcpu *v)
{
	T->vec = v->exc.vector;
	T->vec_eip = v->eip;
	v->exc.valid = false;
	bt_stop(&T->m, EXIT_DEBUG_EXIT, 1, "exception %d", T->vec);
}

/* th_check_interrupts: take the test's interrupt, recording the EIP. */
static bool th_check_interrupts(struct vcpu *v)
{
	if (!T->irq)
		return false;
	T->irq = false;
	T->irq_eip = v->eip;
	return true;
}

static bool th_intr_pending(struct machine *m)
{
	(void)m;
	return T->irq;
}

static void th_service(struct machine *m)
{
	if (T->stop_on_service)
		bt_stop(m, EXIT_QUIT, 0, "service");
}

/* th_wait: HLT ends the run. */
static void th_wait(struct machine *m)
{
	bt_stop(m, EXIT_DEBUG_EXIT, 0, "halted");
}

/* th_callout_hooks: the monitor's own callout rule and handlers
 * (callout_needed/callout_exec, cpu_raise) with the recording hooks above;
 * tests that do not fake the callout side use it. */
static __attribute__((unused)) const struct bt_hooks th_callout_hooks = {
    .exec = callout_exec,
    .needed = callout_needed,
    .raise = cpu_raise,
    .deliver_pending = th_deliver,
    .check_interrupts = th_check_interrupts,
    .intr_pending = th_intr_pending,
    .service = th_service,
    .wait = th_wait,
    .halt_dead = th_wait,
};

/* th_setup: the machine with prog at 0x1000, ESP 0x80000, engine built
 * with hooks. */
static struct vcpu *th_setup(const struct bt_hooks *hooks, const uint8_t *prog, size_t len)
{
	T = calloc(1, sizeof(*T));
	ck_assert_ptr_nonnull(T);
	T->vec = -1;
	ck_assert_int_eq(ram_init(&T->m.ram, 64 << 20), 0);
	bus_init(&T->m.mmio, "mmio");
	T->m.vcpu.machine = &T->m;
	T->m.wake_efd = T->m.kick_efd = -1; /* no event loop: nothing to wake */
	vcpu_set_flat32(&T->m.vcpu, 8, 16);
	T->m.vcpu.eip = 0x1000;
	T->m.vcpu.gpr[R_ESP] = 0x80000;
	memcpy(T->m.ram.host + 0x1000, prog, len);
	ck_assert_int_eq(bt_create(&T->m, hooks, &T->bt), 0);
	return &T->m.vcpu;
}

static __attribute__((unused)) uint32_t rd32(uint32_t gpa)
{
	uint32_t v;
	memcpy(&v, T->m.ram.host + gpa, 4);
	return v;
}

static __attribute__((unused)) void wr32(uint32_t gpa, uint32_t v)
{
	memcpy(T->m.ram.host + gpa, &v, 4);
}

#endif
