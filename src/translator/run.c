/*
 * run.c - the dispatcher loop (docs/design.md §3.3, §3.6, §3.7).
 *
 * One iteration: service the machine if kicked, deliver a pending
 * exception or interrupt, wait while halted, find or translate the block
 * at CS:EIP (any mode: real, virtual-8086, 16- or 32-bit protected), chain the
 * direct exit that led here (or fill the indirect table after a miss),
 * enter translated code, and decode why it came back.
 */
#define _GNU_SOURCE
#include "translator/bt.h"
#include "monitor/emulate/emulate.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* handle_async: what the signal handler asked for. */
static void handle_async(struct bt *bt)
{
	struct bt_cpu *c = bt->cpu;
	struct vcpu *v = bt->v;

	v->eip = c->exit_eip;
	switch (c->async_kind) {
	case BT_ASYNC_POLL:
		STAT_INC(poll_stops);
		__atomic_store_n(&c->kicked, 1, __ATOMIC_SEQ_CST);
		break;
	case BT_ASYNC_EXC: {
		int vec = (int)c->async_vector;
		bool has_err = vec == EXC_GP || vec == EXC_AC;
		bt->hooks.raise(v, vec, has_err, c->async_err);
		break;
	}
	case BT_ASYNC_SMC:
		bt_invalidate_frame(bt, c->async_addr >> 12);
		bt->step_one = true;
		break;
	case BT_ASYNC_PF:
		v->cr2 = (uint32_t)c->async_addr;
		bt->hooks.raise(v, EXC_PF, true, c->async_err);
		break;
	case BT_ASYNC_MMIO:
		/* a guest access to a non-RAM physical address: the instruction
		 * runs in the monitor's emulator against the cpu layer (RAM or
		 * MMIO bus per byte); a fault it raises is in vcpu->exc, an
		 * instruction it does not handle ends the run with one line */
		emu_mmio(v, c->async_addr);
		break;
	case BT_ASYNC_BREACH:
		bt_stop(bt->m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
			"bt: isolation breach: translated code of guest eip %#x accessed host "
			"address %#llx outside guest memory (a translator bug); run stopped",
			c->exit_eip, (unsigned long long)c->async_addr);
		break;
	default:
		bt_stop(bt->m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
			"bt: unexpected host fault (signal %u) at guest eip %#x", c->async_vector,
			c->exit_eip);
		break;
	}
	c->async_kind = BT_ASYNC_NONE;
}

/* pre_block: events between blocks; false if no block should run now. */
static bool pre_block(struct bt *bt)
{
	struct bt_cpu *c = bt->cpu;
	struct vcpu *v = bt->v;
	struct machine *m = bt->m;

	if (__atomic_exchange_n(&c->kicked, 0, __ATOMIC_SEQ_CST) |
	    __atomic_load_n(&m->events_pending, __ATOMIC_SEQ_CST)) {
		mprotect((uint8_t *)c + BTC_POLL, 4096, PROT_READ);
		bt->hooks.service(m);
	}
	/* exceptions and interrupts are counted where they are delivered (cpu layer) */
	if (v->exc.valid) {
		bt->hooks.deliver_pending(v);
		return false;
	}
	if (!v->intr_shadow && (v->eflags & EFL_IF) && bt->hooks.intr_pending(m)) {
		bt->hooks.check_interrupts(v);
		return false;
	}
	if (v->halted && !(v->eflags & EFL_IF)) {
		bt->hooks.halt_dead(m);
		return false;
	}
	if (v->halted) {
		STAT_INC(hlt_exits);
		bt->hooks.wait(m);
		return false;
	}
	if (m->exit.reason != EXIT_NONE)
		return false;
	bt_paging_sync(bt);
	return true;
}

/* find_block: cached block or a fresh translation (*fresh set) for
 * vcpu->eip. */
static struct bt_block *find_block(struct bt *bt, bool one_off, bool *fresh)
{
	struct vcpu *v = bt->v;
	uint32_t mode = bt_mode(v);
	const char *err = NULL;
	struct bt_block *blk = NULL;

	uint32_t cs_base = v->seg[S_CS].base;
	bt_ind_select(bt, mode, cs_base);
	if (!one_off)
		blk = (mode & BT_MODE_PAGING) ? bt_lookup_paged(bt, v->eip, mode, cs_base)
					      : bt_lookup(bt, v->eip, mode, cs_base);
	*fresh = !blk;
	if (!blk) {
		uint64_t t0 = bt_rdtsc();
		blk = bt_translate(bt, v->eip, mode, cs_base,
				   one_off ? BT_TR_ONE | BT_TR_NOCACHE : 0, &err);
		bt->t.in_translate += bt_rdtsc() - t0;
		bt->t.translated++;
	}
	if (!blk && !v->exc.valid) {
		/* else: a #PF on the fetch, delivered next.  Here the code is not
		 * in RAM (MMIO or unassigned space, which reads all ones): the CPU
		 * fetches it from the bus, so run it one instruction at a time in
		 * the emulator, which raises #UD/#GP/#PF as the instruction would
		 * (or ends the run with a message if it cannot emulate it). */
		STAT_INC(mmio_accesses);
		emu_step(v);
	}
	return blk;
}

/* chain_same_page: with paging, a chain must not survive a change of
 * mapping.  A chain to a block that lies entirely on the linear page where
 * the source block starts, from the same frame, stays (the source is
 * checked against the page tables when it is entered, so that page still
 * maps the frame the target was translated from); any other chain is
 * undone by the next mapping change (bt_chain_xpage). */
static bool chain_same_page(const struct bt_exit *x, const struct bt_block *blk)
{
	if (!(blk->mode & BT_MODE_PAGING))
		return true;
	uint32_t page = (x->from->cs_base + x->from->eip) >> 12;
	return ((blk->cs_base + blk->eip) >> 12) == page && (blk->lin_last >> 12) == page &&
	       blk->frame[0] == x->from->frame[0];
}

/* bt_run: the dispatcher loop. */
void bt_run(struct bt *bt)
{
	struct bt_cpu *c = bt->cpu;
	struct vcpu *v = bt->v;
	struct bt_exit *last = NULL;
	unsigned last_gen = 0;
	bool fill_ind = false;

	if (bt_fault_thread_init(bt) < 0)
		die_host("bt: cannot set up the vCPU thread's signal stack");
	bt->gs_cur = NULL; /* this thread's GS base is unknown */
	bt_set_gs_base(bt);
	bt->t.start = bt_rdtsc();
	bt->t.start_ns = util_now_ns();
	while (bt->m->exit.reason == EXIT_NONE) {
		if (!pre_block(bt)) {
			last = NULL;
			continue;
		}
		/* STI/MOV SS shadow: with no interrupt pending now, the cached
		 * block runs from its body (past the entry poll, so a kick that
		 * comes now is taken at the next block entry, after the
		 * shadowed instruction); with one pending, the instruction
		 * runs alone and the dispatcher delivers it right after */
		bool shadow_body = v->intr_shadow && !bt->step_one &&
				   !((v->eflags & EFL_IF) && bt->hooks.intr_pending(bt->m));
		bool one_off = bt->step_one || (v->intr_shadow && !shadow_body);
		bool fresh;
		struct bt_block *blk = find_block(bt, one_off, &fresh);
		if (!blk) { /* an exception to deliver, an emulated step, or the end */
			if (bt->m->exit.reason != EXIT_NONE)
				break;
			continue;
		}
		if (shadow_body)
			v->intr_shadow = false;
		if (fill_ind && fresh)
			STAT_INC(ind_misses);
		if (last && last_gen == bt->generation && last->from->cached && blk->cached) {
			if (chain_same_page(last, blk))
				bt_chain(bt, last, blk);
			else
				bt_chain_xpage(bt, last, blk, bt_block_global(bt, blk));
		}
		if (fill_ind && blk->cached)
			bt_ind_set(bt, v->eip, blk, bt_block_global(bt, blk));
		last = NULL;
		fill_ind = false;
		for (int s = 0; s < S_NR; s++)
			c->seg_base[s] = v->seg[s].base;
		bt_set_gs_base(bt);
		uint64_t t0 = bt_rdtsc();
		bt_enter(c, shadow_body ? blk->host + BT_POLL_LEN : blk->host);
		bt->t.in_tc += bt_rdtsc() - t0;
		if (one_off) {
			bt->step_one = false;
			v->intr_shadow = false;
		}
		switch (c->reason) {
		case BT_EXIT_DIRECT:
			last = (struct bt_exit *)c->exit_arg;
			last_gen = bt->generation;
			v->eip = last->target;
			STAT_INC(unchained_exits);
			break;
		case BT_EXIT_IND:
			v->eip = c->exit_eip;
			fill_ind = true;
			STAT_INC(ind_lookups);
			break;
		case BT_EXIT_CALLOUT:
			break;
		case BT_EXIT_ASYNC:
			handle_async(bt);
			break;
		default:
			die("bt: bad exit reason %u", c->reason);
		}
	}
}

/* raw_mmap_ns: the cost of a bare mmap(MAP_SHARED|MAP_FIXED) of one RAM
 * page, measured now over 64 pages, in ns (0 if it cannot be measured). */
static double raw_mmap_ns(struct bt *bt)
{
	const unsigned n = 64;
	uint8_t *win =
	    mmap(NULL, n * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int fd;
	off_t off;
	double best = 0;

	if (win == MAP_FAILED)
		return 0;
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = util_now_ns();
		for (unsigned i = 0; i < n; i++)
			if (ram_backing(&bt->m->ram, (uint64_t)(i % (bt->m->ram.size >> 12)) << 12,
					&fd, &off) < 0 ||
			    mmap(win + i * 4096, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
				 off) == MAP_FAILED)
				goto out;
		double ns = (double)(util_now_ns() - t0) / n;
		best = (round == 0 || ns < best) ? ns : best;
		mmap(win, n * 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	}
out:
	munmap(win, n * 4096);
	return best;
}

/* bt_print_stats: TC usage, time split, translation speed, the most
 * frequent callouts. */
void bt_print_stats(struct bt *bt, FILE *f)
{
	uint64_t total = bt_rdtsc() - bt->t.start;
	uint64_t tc = bt->t.in_tc - bt->t.in_callout;
	double ns = (double)(util_now_ns() - bt->t.start_ns);
	double tick_ns = total ? ns / (double)total : 0; /* ns per TSC tick */

	fprintf(f, "bt: TC %zu of %zu KiB used, %u blocks live, %u flushes\n",
		(size_t)(bt->tc_free - bt->tc) / 1024, (size_t)(bt->tc_end - bt->tc) / 1024,
		bt->nr_blocks, bt->generation);
	if (total)
		fprintf(f,
			"bt: time in translated code %.1f%%, in callouts %.1f%%, dispatcher "
			"and monitor %.1f%%\n",
			100.0 * tc / total, 100.0 * bt->t.in_callout / total,
			100.0 * (total - bt->t.in_tc) / total);
	if (bt->t.translated && bt->t.in_translate)
		fprintf(f, "bt: translation %.3f ms for %llu blocks (%.0f blocks/s)\n",
			bt->t.in_translate * tick_ns / 1e6, (unsigned long long)bt->t.translated,
			1e9 * bt->t.translated / (bt->t.in_translate * tick_ns));
	if (bt->t.fills)
		fprintf(f,
			"bt: shadow fill %.0f ns average in the fault handler (walk + mmap, "
			"%llu fills); bare mmap of a RAM page now: %.0f ns\n",
			bt->t.in_fill * tick_ns / bt->t.fills, (unsigned long long)bt->t.fills,
			raw_mmap_ns(bt));
	fprintf(f, "bt: indirect branches that hit the inline table are not counted; "
		   "lookups = inline misses resolved by the dispatcher, misses = of those, "
		   "the ones that had to translate\n");
	for (int n = 0; n < 12; n++) {
		uint64_t best = 0;
		int bi = -1;
		for (int i = 0; i <= ZYDIS_MNEMONIC_MAX_VALUE; i++)
			if (bt->t.callouts_by_mnemonic[i] > best) {
				best = bt->t.callouts_by_mnemonic[i];
				bi = i;
			}
		if (bi < 0)
			break;
		fprintf(f, "bt: callouts %-12s %12llu\n", ZydisMnemonicGetString(bi),
			(unsigned long long)best);
		bt->t.callouts_by_mnemonic[bi] = 0;
	}
}
