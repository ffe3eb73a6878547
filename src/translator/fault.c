/*
 * fault.c - host signals raised by translated code (docs/design.md §3.5, §3.6).
 *
 * Translated code runs on the guest's stack, so every handler runs on a
 * sigaltstack.  A fault in the TC is mapped back to its block and guest
 * instruction through the block's side table; because an instruction's
 * expansion faults before it changes guest state, the registers in the
 * ucontext are the guest's registers before that instruction.  The handler
 * then either fixes things and resumes (a write to a code page of another
 * block) or records what the dispatcher must do (c->async_*) and rewrites
 * RIP to bt_exit_async, which saves the guest state like any exit.
 */
#define _GNU_SOURCE
#include "translator/bt.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define ALTSTACK_SIZE (64 * 1024)

/* The engine whose translated code runs on this thread. */
static __thread struct bt *bt_current;

/* fault_rep_fixup: the fault is on the host REP MOVS/STOS of an inline
 * guest REP (mangle_string.c): RDI (and RSI) are host pointers into the
 * view, the guest flags were pushed on the monitor stack, guest ESP is in
 * r9.  Give the registers their guest values (progress kept: ECX counts
 * what is left), as the exit path expects. */
static void fault_rep_fixup(struct bt_cpu *c, greg_t *g, bool movs)
{
	g[REG_RDI] = (greg_t)(uint32_t)((uint64_t)g[REG_RDI] - c->gs_base);
	if (movs)
		g[REG_RSI] = (greg_t)(uint32_t)((uint64_t)g[REG_RSI] - c->gs_base);
	g[REG_RCX] = (greg_t)(uint32_t)g[REG_RCX];
	g[REG_EFL] = (greg_t) * (uint64_t *)g[REG_RSP];
	g[REG_RSP] = g[REG_R9];
}

/* fault_leave: send translated code to bt_exit_async with kind k. */
static void fault_leave(struct bt_cpu *c, greg_t *g, enum bt_async k, uint32_t eip)
{
	bool movs;

	if (bt_rep_string_at((const uint8_t *)g[REG_RIP], &movs))
		fault_rep_fixup(c, g, movs);
	c->async_kind = k;
	c->exit_eip = eip;
	g[REG_RIP] = (greg_t)bt_exit_async;
}

/* fault_exc: deliver guest exception vec (error code err if has_err >= 0). */
static void fault_exc(struct bt_cpu *c, greg_t *g, uint32_t eip, int vec, int err)
{
	c->async_vector = (uint32_t)vec;
	c->async_err = (uint32_t)err;
	fault_leave(c, g, BT_ASYNC_EXC, eip);
}

/* fault_shadow: a page fault at linear address lin in shadow view `view`:
 * fill and resume, or leave for a guest #PF, MMIO emulation or SMC. */
static void fault_shadow(struct bt *bt, greg_t *g, int view, uint64_t lin, struct bt_block *blk,
			 uint32_t eip)
{
	struct bt_cpu *c = bt->cpu;
	struct vcpu *v = bt->v;
	bool write = g[REG_ERR] & 2;
	uint32_t pfec, gpa;

	if (lin >= REGION_SPAN) { /* the guard page: an access that wraps */
		c->async_addr = lin;
		fault_leave(c, g, BT_ASYNC_MMIO, eip);
		return;
	}
	for (;;) {
		uint64_t t0 = bt_rdtsc();
		enum shadow_result r = shadow_fault(&bt->shadow, view, (uint32_t)lin, write, v->cr0,
						    v->cr3, v->cr4, &pfec, &gpa);
		switch (r) {
		case SHADOW_FILLED:
			bt->t.in_fill += bt_rdtsc() - t0;
			bt->t.fills++;
			return;
		case SHADOW_PF:
			c->async_addr = lin;
			c->async_err = pfec;
			fault_leave(c, g, BT_ASYNC_PF, eip);
			return;
		case SHADOW_MMIO:
			c->async_addr = gpa;
			fault_leave(c, g, BT_ASYNC_MMIO, eip);
			return;
		case SHADOW_CODE:
			c->async_addr = gpa;
			if (blk->frame[0] == gpa >> 12 || blk->frame[1] == gpa >> 12) {
				fault_leave(c, g, BT_ASYNC_SMC, eip);
				return;
			}
			/* another block's page: drop its translations, fill */
			bt_invalidate_frame(bt, gpa >> 12);
			break;
		}
	}
}

/* fault_segv: page faults and #GP inside translated code. */
static void fault_segv(struct bt *bt, greg_t *g, siginfo_t *si, struct bt_block *blk, uint32_t eip)
{
	struct bt_cpu *c = bt->cpu;
	uint64_t gpa;
	int trapno = (int)g[REG_TRAPNO];
	int view;

	if (trapno != 14) { /* #AC, else #GP(0) (#GP and anything else) */
		fault_exc(c, g, eip, trapno == 17 ? EXC_AC : EXC_GP, 0);
		return;
	}
	if ((view = shadow_view_of(&bt->shadow, si->si_addr, &gpa)) >= 0) {
		fault_shadow(bt, g, view, gpa, blk, eip);
		return;
	}
	if (!region_addr(&bt->region, si->si_addr, &gpa)) {
		/* every guest access is [gs: 32-bit] inside a region (guard
		 * included): this one is not, a translator bug (copy_hazard) */
		c->async_addr = (uint64_t)(uintptr_t)si->si_addr;
		fault_leave(c, g, BT_ASYNC_BREACH, eip);
		return;
	}
	c->async_addr = gpa;
	uint64_t f = gpa >> 12;
	if (gpa < bt->m->ram.size && (g[REG_ERR] & 2) && bt->code_map[f]) {
		if (blk->frame[0] != f && blk->frame[1] != f) {
			/* another block's page: drop its translations, retry */
			bt_invalidate_frame(bt, f);
			return;
		}
		fault_leave(c, g, BT_ASYNC_SMC, eip);
		return;
	}
	fault_leave(c, g, BT_ASYNC_MMIO, eip);
}

/* fault_handler: SIGSEGV/SIGBUS/SIGFPE/SIGILL. */
static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uint8_t *pc = (uint8_t *)g[REG_RIP];
	struct bt *bt = bt_current;

	if (!bt || pc < bt->tc || pc >= bt->tc_end) {
		/* a monitor bug: let the default action report it */
		static const char msg[] = "bt86: fatal host fault outside translated code\n";
		if (write(2, msg, sizeof(msg) - 1) < 0) {
		}
		signal(sig, SIG_DFL);
		return;
	}
	struct bt_cpu *c = bt->cpu;
	struct bt_block *blk = bt_block_at(bt, pc);
	STAT_INC(host_faults);
	if (!blk) {
		c->async_vector = 0;
		fault_leave(c, g, BT_ASYNC_ERROR, 0);
		return;
	}
	uint32_t eip = blk->insn_eip[bt_insn_index(blk, pc)];
	uint8_t *poll = (uint8_t *)c + BTC_POLL;
	if (sig == SIGSEGV && (uint8_t *)si->si_addr >= poll &&
	    (uint8_t *)si->si_addr < poll + 4096) {
		mprotect(poll, 4096, PROT_READ);
		fault_leave(c, g, BT_ASYNC_POLL, blk->eip);
		return;
	}
	int trapno = (int)g[REG_TRAPNO];
	switch (sig) {
	case SIGSEGV:
		fault_segv(bt, g, si, blk, eip);
		return;
	case SIGFPE:
		fault_exc(c, g, eip, trapno == 16 ? EXC_MF : trapno == 19 ? EXC_XM : EXC_DE, -1);
		return;
	case SIGILL:
		fault_exc(c, g, eip, EXC_UD, -1);
		return;
	default:
		c->async_vector = (uint32_t)sig;
		fault_leave(c, g, BT_ASYNC_ERROR, eip);
		return;
	}
}

/* bt_fault_install: one handler for every synchronous signal. */
int bt_fault_install(struct bt *bt)
{
	struct sigaction sa;
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/* bt_fault_thread_init: this thread runs bt's translated code: alternate
 * signal stack, asynchronous signals blocked. */
int bt_fault_thread_init(struct bt *bt)
{
	stack_t ss;
	sigset_t set;

	if (!bt->altstack) {
		bt->altstack = malloc(ALTSTACK_SIZE);
		if (!bt->altstack)
			return -1;
	}
	ss.ss_sp = bt->altstack;
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0)
		return -1;
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGTRAP);
	sigdelset(&set, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	bt_current = bt;
	return 0;
}

/* bt_fault_forget: bt is going away: its TC no longer counts as ours. */
void bt_fault_forget(struct bt *bt)
{
	if (bt_current == bt)
		bt_current = NULL;
}
