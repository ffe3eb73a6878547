/*
 * dispatch.c - the dispatcher: find or translate the block for vcpu->eip,
 * chain the exit that got us here, enter translated code, and handle why it
 * came back (docs/design.md §3.3-3.7).  Also the C side of callouts.
 */
#define _GNU_SOURCE
#include "translator/bt.h"
#include "monitor/base/trace.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

#include <asm/prctl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* bt_stop: like machine_request_exit (first reason wins). */
void bt_stop(struct machine *m, enum exit_reason r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	machine_request_exitv(m, r, status, fmt, ap);
	va_end(ap);
}

/* bt_on_remap / bt_on_space_gone: the shadow's callbacks: what the
 * translator keeps per space (user indirect tables, parked chains) drops
 * what relied on that page of that space, or all of that space's. */
static void bt_on_remap(void *opaque, unsigned space, uint32_t lin_page, uint32_t npages)
{
	bt_ind_remapped(opaque, space, lin_page, npages);
	bt_xchain_remapped(opaque, space, lin_page, npages);
}

static void bt_on_space_gone(void *opaque, unsigned space)
{
	bt_ind_space_gone(opaque, space);
	bt_xchain_space_gone(opaque, space);
}

/* bt_perf_map_open: /tmp/perf-PID.map, where perf looks for the names of
 * JIT code (one "start size name" line per block); NULL with a message. */
static FILE *bt_perf_map_open(void)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	if (!(f = fopen(path, "w"))) {
		util_error("bt: cannot write %s: %s", path, strerror(errno));
		return NULL;
	}
	return f;
}

/* bt_create: region, per-vCPU block, TC, decoder, signal handlers. */
int bt_create(struct machine *m, const struct bt_hooks *hooks, struct bt **out)
{
	struct bt *bt = calloc(1, sizeof(*bt));
	int err;

	if (!bt)
		return -ENOMEM;
	bt->m = m;
	bt->v = &m->vcpu;
	bt->hooks = *hooks;
	void *cp = mmap(NULL, BTC_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cp == MAP_FAILED) {
		free(bt);
		return -errno;
	}
	bt->cpu = cp;
	bt->cpu->vcpu = bt->v;
	bt->cpu->bt = bt;
	bt->cpu->fn_direct = (uint64_t)bt_exit_direct;
	bt->cpu->fn_ind = (uint64_t)bt_exit_indirect;
	bt->cpu->fn_call = (uint64_t)bt_callout_entry;
	for (unsigned b = 0; b < 256; b++) {
		bt->cpu->clr_if[b] = (uint8_t)(b & ~(EFL_IF >> 8));
		bt->cpu->if_clear[b] = !(b & (EFL_IF >> 8));
	}
	mprotect((uint8_t *)cp + BTC_POLL, 4096, PROT_READ);
	if ((err = region_create(&bt->region)) < 0 ||
	    (err = region_map_phys(&bt->region, &m->ram)) < 0 ||
	    (err = shadow_init(&bt->shadow, m, 0)) < 0 ||
	    (err = bt_tc_init(bt, 64 * MiB, 64 * MiB)) < 0) {
		util_error("bt: cannot set up the translator: %s", strerror(-err));
		bt_destroy(bt);
		return err;
	}
	bt->shadow.on_remap = bt_on_remap;
	bt->shadow.on_space_gone = bt_on_space_gone;
	bt->shadow.cb_opaque = bt;
	callout_decoder_init(&bt->dec, true);
	callout_decoder_init(&bt->dec16, false);
	if (m->cfg.perf_map && !(bt->perf_map = bt_perf_map_open())) {
		bt_destroy(bt);
		return -errno;
	}
	if (bt_fault_install(bt) < 0) {
		util_error("bt: cannot install signal handlers");
		bt_destroy(bt);
		return -EINVAL;
	}
	*out = bt;
	return 0;
}

/* bt_destroy: undo bt_create. */
void bt_destroy(struct bt *bt)
{
	if (!bt)
		return;
	bt_fault_forget(bt);
	bt_tc_destroy(bt);
	region_destroy(&bt->region);
	shadow_destroy(&bt->shadow);
	if (bt->cpu)
		munmap(bt->cpu, BTC_SIZE);
	free(bt->altstack);
	if (bt->perf_map)
		fclose(bt->perf_map);
	free(bt);
}

/* bt_gs_region: paging off: the physical region; on: the view by CPL. */
uint8_t *bt_gs_region(struct bt *bt)
{
	if (!(bt->v->cr0 & CR0_PG))
		return bt->region.base;
	return bt->shadow.view[bt->v->cpl == 3 ? SHADOW_USER : SHADOW_SUP].base;
}

/* bt_set_gs_base: host GS base = the selected region's base (WRGSBASE if
 * the kernel allows), skipped when it already is. */
void bt_set_gs_base(struct bt *bt)
{
	uint8_t *base = bt_gs_region(bt);

	if (base == bt->gs_cur)
		return;
	bt->gs_cur = base;
	bt->cpu->gs_base = (uint64_t)(uintptr_t)base;
	if (getauxval(AT_HWCAP2) & 2) {
		__asm__ volatile("wrgsbase %0" ::"r"(base));
		return;
	}
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, base) < 0)
		die_host("arch_prctl(ARCH_SET_GS): %s", strerror(errno));
}

/* paging_key: the CR0/CR4 bits whose change flushes every translation. */
static uint32_t paging_key(const struct vcpu *v)
{
	return (v->cr0 & (CR0_PG | CR0_WP)) | (v->cr4 & (CR4_PSE | CR4_PGE | CR4_PAE | CR4_SMEP));
}

/* bt_paging_sync: catch CR3 and paging-mode changes that did not come
 * through the engine hooks (task switches, state set by the loader). */
void bt_paging_sync(struct bt *bt)
{
	struct vcpu *v = bt->v;
	uint32_t key = paging_key(v);

	if (key != bt->pg_key) {
		shadow_reset(&bt->shadow);
		bt_mapping_changed(bt);
	} else if ((v->cr0 & CR0_PG) && v->cr3 != bt->pg_cr3) {
		shadow_switch(&bt->shadow, v->cr3);
		bt_space_switched(bt);
	}
	bt_paging_mark(bt);
}

/* bt_paging_mark: the shadow now matches the vcpu's paging state. */
void bt_paging_mark(struct bt *bt)
{
	bt->pg_key = paging_key(bt->v);
	bt->pg_cr3 = bt->v->cr3;
}

/* bt_kick: from the kicker thread: the next block entry faults. */
void bt_kick(struct bt *bt)
{
	__atomic_store_n(&bt->cpu->kicked, 1, __ATOMIC_SEQ_CST);
	mprotect((uint8_t *)bt->cpu + BTC_POLL, 4096, PROT_NONE);
}

/* --- callouts ---------------------------------------------------------------- */

/* bt_callout_c: run the site in exit_arg on the monitor stack; 0 = go on
 * inline after it, 1 = leave to the dispatcher (bt->co_result says why). */
int bt_callout_c(struct bt_cpu *c)
{
	struct bt *bt = c->bt;
	struct vcpu *v = c->vcpu;
	struct bt_site *site = (struct bt_site *)c->exit_arg;
	uint64_t t0 = bt_rdtsc();
	enum callout_result r;

	v->eip = site->s.eip;
	STAT_INC(callouts);
	site->count++;
	bt->t.callouts_by_mnemonic[site->s.insn.mnemonic]++;
	TRACE(TRACE_CALLOUTS, "callout %s at %08x (%s)",
	      ZydisMnemonicGetString(site->s.insn.mnemonic), site->s.eip,
	      site->why ? site->why : "");
	bt->invalidated = false;
	switch (site->kind) {
	case SITE_EXEC:
		r = bt->hooks.exec(v, &site->s);
		break;
	case SITE_UD:
		bt->hooks.raise(v, EXC_UD, false, 0);
		r = CO_FAULT;
		break;
	case SITE_GP:
		bt->hooks.raise(v, EXC_GP, true, 0);
		r = CO_FAULT;
		break;
	default:
		bt_stop(bt->m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
			"bt: %s at eip %#x is not supported yet", site->why, site->s.eip);
		r = CO_EXIT;
		break;
	}
	if (r == CO_NEXT &&
	    (bt->invalidated || bt_gs_region(bt) != bt->gs_cur || v->cr3 != bt->pg_cr3 ||
	     paging_key(v) != bt->pg_key || __atomic_load_n(&c->kicked, __ATOMIC_SEQ_CST) ||
	     bt->m->exit.reason != EXIT_NONE ||
	     ((v->eflags & EFL_IF) && !v->intr_shadow && bt->hooks.intr_pending(bt->m))))
		r = CO_EXIT;
	bt->co_result = r;
	bt->t.in_callout += bt_rdtsc() - t0;
	return r != CO_NEXT;
}
