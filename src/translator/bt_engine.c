/*
 * bt_engine.c - the binary-translation engine (`-accel bt`, the default):
 * the translator core (bt.h) wired to the cpu layer, the callout handlers
 * and the machine's event loop.
 */
#include "translator/bt.h"
#include "monitor/x86/cpu.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

static const struct bt_hooks bt_real_hooks = {
    .exec = callout_exec,
    .needed = callout_needed,
    .raise = cpu_raise,
    .deliver_pending = cpu_deliver_pending,
    .check_interrupts = cpu_check_interrupts,
    .intr_pending = machine_intr_pending,
    .service = machine_service,
    .wait = machine_wait,
    .halt_dead = machine_halt_dead,
};

/* bt_engine_init: set up the translator for m (paging off region). */
static int bt_engine_init(struct machine *m)
{
	struct bt *bt;
	int err = bt_create(m, &bt_real_hooks, &bt);

	if (err < 0)
		return err;
	m->engine_data = bt;
	return 0;
}

static void bt_engine_run(struct machine *m)
{
	bt_run(m->engine_data);
}

static void bt_engine_kick(struct machine *m)
{
	if (m->engine_data)
		bt_kick(m->engine_data);
}

static void bt_engine_print_stats(struct machine *m, FILE *f)
{
	if (m->engine_data)
		bt_print_stats(m->engine_data, f);
}

/* drop_frames: invalidate the frames of [gpa, gpa+len) that hold
 * translated code (all: also those with uncached blocks listed). */
static void drop_frames(struct machine *m, uint64_t gpa, uint64_t len, bool all)
{
	struct bt *bt = m->engine_data;

	if (!bt || !len)
		return;
	for (uint64_t f = gpa >> 12; f <= (gpa + len - 1) >> 12; f++)
		if (f < bt->nr_frames && (bt->code_map[f] || (all && bt->page_blocks[f])))
			bt_invalidate_frame(bt, f);
}

/* bt_engine_set_a20: the A20 gate opened or closed.  The physical region
 * (paging off) aliases odd MiBs onto even ones while it is closed, and
 * every translation goes: code fetched above 1 MiB may now be other bytes
 * (the code running now notices through bt->invalidated).  With paging on
 * the shadow MMU does not mask (docs/platform.md). */
static void bt_engine_set_a20(struct machine *m, bool enabled)
{
	struct bt *bt = m->engine_data;

	if (!bt)
		return;
	if (region_map_a20(&bt->region, &m->ram, !enabled) < 0)
		die_host("cannot remap guest RAM for the A20 gate");
	drop_frames(m, 0, m->ram.size, true);
	bt_ind_clear(bt);
}

/* bt_engine_invalidate: the monitor wrote guest RAM behind the guest's
 * back: drop the frames' translations (the code running now notices
 * through bt->invalidated). */
static void bt_engine_invalidate(struct machine *m, uint64_t gpa, uint64_t len)
{
	drop_frames(m, gpa, len, true);
	if (m->engine_data)
		shadow_note_write(&((struct bt *)m->engine_data)->shadow, gpa, len);
}

/* bt_engine_note_write: the monitor wrote guest RAM on the guest's behalf:
 * drop the translations of the frames that hold code and compare the page
 * table entries written with the shadow's snapshots (cheap when none). */
static void bt_engine_note_write(struct machine *m, uint64_t gpa, uint64_t len)
{
	drop_frames(m, gpa, len, false);
	if (m->engine_data)
		shadow_note_write(&((struct bt *)m->engine_data)->shadow, gpa, len);
}

/* bt_engine_invlpg: INVLPG: drop the page from both shadow views, and the
 * indirect entries and chains that relied on its mapping. */
static void bt_engine_invlpg(struct machine *m, uint32_t lin)
{
	struct bt *bt = m->engine_data;

	if (!bt)
		return;
	shadow_invlpg(&bt->shadow, lin);
	bt_page_remapped(bt, lin);
}

/* bt_engine_flush_tlb: CR3 write (global false: the space of the new page
 * directory, brought up to date) or a paging mode change (every space
 * goes). */
static void bt_engine_flush_tlb(struct machine *m, bool global)
{
	struct bt *bt = m->engine_data;

	if (!bt)
		return;
	if (global) {
		shadow_reset(&bt->shadow);
		bt_mapping_changed(bt);
	} else {
		shadow_switch(&bt->shadow, bt->v->cr3);
		bt_space_switched(bt);
	}
	bt_paging_mark(bt); /* the state is now the one flushed for */
}

/* bt_engine_fpu_pointers: a saved FIP that points into the TC is the host
 * copy of a guest x87 instruction: its guest EIP.  The FDP saved with it is
 * the offset of the host access [gs:ea], and the translator's ea is the
 * guest linear address (segment base added when there is one). */
static bool bt_engine_fpu_pointers(struct machine *m, uint32_t *fip, uint32_t *fdp)
{
	struct bt *bt = m->engine_data;

	if (!bt)
		return false;
	uint64_t tc = (uint64_t)bt->tc;
	uint64_t pc = (tc & ~0xffffffffull) | *fip;
	if (pc < tc)
		pc += 1ull << 32;
	if (pc >= (uint64_t)bt->tc_free)
		return false;
	struct bt_block *blk = bt_block_at(bt, (const uint8_t *)pc);
	if (!blk)
		return false;
	*fip = blk->insn_eip[bt_insn_index(blk, (const uint8_t *)pc)];
	(void)fdp;
	return true;
}

static void bt_engine_destroy(struct machine *m)
{
	bt_destroy(m->engine_data);
	m->engine_data = NULL;
}

const struct engine bt_engine = {
    .name = "bt",
    .init = bt_engine_init,
    .run = bt_engine_run,
    .kick = bt_engine_kick,
    .print_stats = bt_engine_print_stats,
    .invalidate = bt_engine_invalidate,
    .set_a20 = bt_engine_set_a20,
    .note_write = bt_engine_note_write,
    .invlpg = bt_engine_invlpg,
    .flush_tlb = bt_engine_flush_tlb,
    .fpu_pointers = bt_engine_fpu_pointers,
    .destroy = bt_engine_destroy,
};
