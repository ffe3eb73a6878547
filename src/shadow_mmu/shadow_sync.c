/*
 * shadow_sync.c - keeping cached address spaces right (see shadow.h).
 *
 * Every page the shadow fills was derived from two guest entries: a PDE
 * of the space's page directory and, for a 4 KiB page, a PTE of a page
 * table.  The space keeps a snapshot of the PDEs it used (pd_snap), and
 * each page table used has one record (struct shadow_pt) with a snapshot
 * of its PTEs and the list of (space, PDE index) pairs that filled
 * through it; one table may serve many spaces (a kernel's shared tables).
 *
 * An entry whose current value differs from its snapshot in anything but
 * an accessed bit set since has changed: the pages derived from it are dropped in
 * every space that used it, and the snapshot takes the new value.  This
 * comparison runs for a whole space before it runs again (sync_space, on
 * every CR3 write), for the one PDE and PTE a fill is about to use
 * (sync_fill), and for monitor writes as they happen (shadow_note_write).
 * Guest writes inside the running space take effect at its next INVLPG or
 * CR3 write, as they do with a TLB.
 */
#include "shadow_mmu/shadow.h"
#include "monitor/x86/walk.h"
#include "monitor/machine/machine.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* changed: the entry now differs from its snapshot old in anything but
 * an accessed bit the CPU set: the guest clearing A counts (the first
 * access after its flush must set it again), A going 0 -> 1 does not (the
 * walker's own update, or the guest's, changes no translation). */
static bool changed(uint32_t old, uint32_t now)
{
	return ((old ^ now) & ~PTE_A) || (old & ~now & PTE_A);
}

#define TRACED_PT 1u /* the frame is a page table some space used */
#define TRACED_PD 2u /* the frame is some space's page directory */

int sync_init(struct shadow *s)
{
	size_t n = s->nr_frames ? s->nr_frames : 1;

	s->pt_of = calloc(n, sizeof(*s->pt_of));
	s->traced = calloc(n, 1);
	return s->pt_of && s->traced ? 0 : -ENOMEM;
}

void sync_destroy(struct shadow *s)
{
	if (s->pt_of)
		for (uint64_t f = 0; f < s->nr_frames; f++)
			free(s->pt_of[f]);
	free(s->pt_of);
	free(s->traced);
	s->pt_of = NULL;
	s->traced = NULL;
}

/* table: the 1024 entries of guest frame f, or NULL (not RAM). */
static const uint32_t *table(struct shadow *s, uint32_t f)
{
	return ram_ptr(&s->m->ram, (uint64_t)f << 12, 4096);
}

/* pt_drop_pte: drop the pages derived from PTE i of rec, in every user. */
static void pt_drop_pte(struct shadow *s, struct shadow_pt *rec, unsigned i)
{
	for (unsigned u = 0; u < rec->n_users; u++)
		shadow_drop_page(s, &s->space[rec->users[u].space],
				 ((uint32_t)rec->users[u].pdi << 10) | i);
}

/* pt_compare: PTEs [lo, hi) of rec against the guest's. */
static void pt_compare(struct shadow *s, struct shadow_pt *rec, unsigned lo, unsigned hi)
{
	const uint32_t *cur = table(s, rec->frame);

	if (cur && !memcmp(cur + lo, rec->snap + lo, (hi - lo) * 4))
		return; /* the usual case at a CR3 write: nothing changed */
	for (unsigned i = lo; i < hi; i++) {
		uint32_t now = cur ? cur[i] : 0;
		if (changed(rec->snap[i], now))
			pt_drop_pte(s, rec, i);
		rec->snap[i] = now;
	}
}

/* pt_record: the record of page table f, made with a snapshot of its
 * current entries if there is none (nothing derived from it yet). */
static struct shadow_pt *pt_record(struct shadow *s, uint32_t f)
{
	struct shadow_pt *rec = s->pt_of[f];

	if (rec)
		return rec;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		die_host("out of memory");
	const uint32_t *cur = table(s, f);
	rec->frame = f;
	if (cur)
		memcpy(rec->snap, cur, sizeof(rec->snap));
	s->pt_of[f] = rec;
	s->traced[f] |= TRACED_PT;
	return rec;
}

/* pt_user_del: (space, pdi) no longer fills through rec; a record without
 * users is freed. */
static void pt_user_del(struct shadow *s, struct shadow_pt *rec, uint8_t space, uint16_t pdi)
{
	for (unsigned u = 0; u < rec->n_users; u++) {
		if (rec->users[u].space != space || rec->users[u].pdi != pdi)
			continue;
		rec->users[u] = rec->users[--rec->n_users];
		break;
	}
	if (!rec->n_users) {
		s->pt_of[rec->frame] = NULL;
		s->traced[rec->frame] &= (uint8_t)~TRACED_PT;
		free(rec);
	}
}

void sync_pde_gone(struct shadow *s, struct shadow_space *sp, unsigned pdi)
{
	uint32_t v = sp->pde[pdi];

	sp->pde[pdi] = SPACE_PDE_NONE;
	if (v == SPACE_PDE_NONE || v == SPACE_PDE_LARGE || v - 1 >= s->nr_frames)
		return;
	if (s->pt_of[v - 1])
		pt_user_del(s, s->pt_of[v - 1], (uint8_t)(sp - s->space), (uint16_t)pdi);
}

/* pt_user_add: (space of sp, pdi) fills through rec; a full list gives up
 * its oldest user (whose range is dropped). */
static void pt_user_add(struct shadow *s, struct shadow_pt *rec, struct shadow_space *sp,
			unsigned pdi)
{
	if (rec->n_users == SHADOW_PT_USERS) {
		struct shadow_space *old = &s->space[rec->users[0].space];
		unsigned opdi = rec->users[0].pdi;
		shadow_drop_range(s, old, opdi);
		sync_pde_gone(s, old, opdi); /* removes users[0] */
	}
	rec->users[rec->n_users].space = (uint8_t)(sp - s->space);
	rec->users[rec->n_users].pdi = (uint16_t)pdi;
	rec->n_users++;
	sp->pde[pdi] = rec->frame + 1;
}

void sync_space_gone(struct shadow *s, struct shadow_space *sp)
{
	for (unsigned i = 0; i < 1024; i++)
		if (sp->pde[i] != SPACE_PDE_NONE)
			sync_pde_gone(s, sp, i);
}

/* pd_compare: PDEs [lo, hi) of sp against the guest's page directory:
 * a changed PDE drops the space's pages in its 4 MiB. */
static void pd_compare(struct shadow *s, struct shadow_space *sp, unsigned lo, unsigned hi)
{
	const uint32_t *cur = table(s, sp->pd);

	if (cur && !memcmp(cur + lo, sp->pd_snap + lo, (hi - lo) * 4))
		return;
	for (unsigned i = lo; i < hi; i++) {
		uint32_t now = cur ? cur[i] : 0;
		if (sp->pde[i] != SPACE_PDE_NONE && changed(sp->pd_snap[i], now)) {
			shadow_drop_range(s, sp, i);
			sync_pde_gone(s, sp, i);
		}
		sp->pd_snap[i] = now;
	}
}

void sync_space(struct shadow *s, struct shadow_space *sp)
{
	uint32_t mark = ++s->sync_mark;

	pd_compare(s, sp, 0, 1024);
	for (unsigned i = 0; i < 1024; i++) {
		uint32_t v = sp->pde[i];
		if (v == SPACE_PDE_NONE || v == SPACE_PDE_LARGE)
			continue;
		struct shadow_pt *rec = s->pt_of[v - 1];
		if (rec && rec->sync_mark != mark) {
			rec->sync_mark = mark;
			pt_compare(s, rec, 0, 1024);
		}
	}
}

void sync_fill(struct shadow *s, struct shadow_space *sp, uint32_t lin, uint32_t pte_gpa,
	       bool large)
{
	unsigned pdi = lin >> 22;

	if (sp->pd < s->nr_frames)
		s->traced[sp->pd] |= TRACED_PD;
	pd_compare(s, sp, pdi, pdi + 1);
	if (large) {
		if (sp->pde[pdi] != SPACE_PDE_LARGE && sp->pde[pdi] != SPACE_PDE_NONE) {
			shadow_drop_range(s, sp, pdi);
			sync_pde_gone(s, sp, pdi);
		}
		sp->pde[pdi] = SPACE_PDE_LARGE;
		return;
	}
	uint32_t f = pte_gpa >> 12;
	if (f >= s->nr_frames)
		return; /* not RAM: walk_guest read it as not present */
	if (sp->pde[pdi] != SPACE_PDE_NONE && sp->pde[pdi] != f + 1) {
		shadow_drop_range(s, sp, pdi);
		sync_pde_gone(s, sp, pdi);
	}
	struct shadow_pt *rec = pt_record(s, f);
	unsigned i = (lin >> 12) & 0x3ff;
	pt_compare(s, rec, i, i + 1);
	if (sp->pde[pdi] == SPACE_PDE_NONE)
		pt_user_add(s, rec, sp, pdi);
}

void shadow_note_write(struct shadow *s, uint64_t gpa, uint64_t len)
{
	if (!len || !s->traced)
		return;
	for (uint64_t f = gpa >> 12; f <= (gpa + len - 1) >> 12 && f < s->nr_frames; f++) {
		if (!s->traced[f])
			continue;
		uint64_t lo = f == gpa >> 12 ? (gpa & 0xfff) >> 2 : 0;
		uint64_t end = MIN(gpa + len, (f + 1) << 12);
		unsigned hi = (unsigned)(((end - 1) & 0xfff) >> 2) + 1;
		STAT_INC(shadow_traced_writes);
		if (s->pt_of[f])
			pt_compare(s, s->pt_of[f], (unsigned)lo, hi);
		for (unsigned i = 0; i < SHADOW_SPACES; i++)
			if (s->space[i].live && s->space[i].pd == f)
				pd_compare(s, &s->space[i], (unsigned)lo, hi);
	}
}
