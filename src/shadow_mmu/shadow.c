/* shadow.c - the shadow MMU: spaces, fills, flushes, reverse map (see
 * shadow.h); keeping cached spaces right is shadow_sync.c's. */
#define _GNU_SOURCE
#include "shadow_mmu/shadow.h"
#include "monitor/x86/walk.h"
#include "monitor/machine/machine.h"
#include "monitor/base/stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NR_PAGES (1u << 20) /* 4 KiB pages in 4 GiB */

/* big_zalloc: zeroed, lazily populated memory of len bytes, or NULL. */
static void *big_zalloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* space_reserve: the views and slot arrays of sp, reserved on first use. */
static int space_reserve(struct shadow_space *sp)
{
	int err;

	for (int v = 0; v < 2; v++) {
		if (!sp->view[v].base && (err = region_create(&sp->view[v])) < 0)
			return err;
		if (!sp->slot[v] && !(sp->slot[v] = big_zalloc(NR_PAGES * sizeof(uint32_t))))
			return -ENOMEM;
	}
	return 0;
}

/* space_make_current: s->cur = sp, with the aliases the fault path uses. */
static void space_make_current(struct shadow *s, struct shadow_space *sp)
{
	s->cur = sp;
	s->view = sp->view;
	s->slot = sp->slot;
	sp->stamp = ++s->stamp;
}

int shadow_init(struct shadow *s, struct machine *m, unsigned budget)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->budget = budget ? budget : SHADOW_BUDGET;
	s->nr_frames = m->ram.size >> 12;
	s->free_head = -1;
	s->pool = calloc(s->budget, sizeof(*s->pool));
	s->rmap = malloc((s->nr_frames ? s->nr_frames : 1) * sizeof(*s->rmap));
	if (!s->pool || !s->rmap)
		return -ENOMEM;
	memset(s->rmap, 0xff, (s->nr_frames ? s->nr_frames : 1) * sizeof(*s->rmap));
	if ((err = sync_init(s)) < 0 || (err = space_reserve(&s->space[0])) < 0)
		return err;
	s->space[0].live = true;
	space_make_current(s, &s->space[0]);
	return 0;
}

void shadow_destroy(struct shadow *s)
{
	for (unsigned i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *sp = &s->space[i];
		for (int v = 0; v < 2; v++) {
			region_destroy(&sp->view[v]);
			if (sp->slot[v])
				munmap(sp->slot[v], NR_PAGES * sizeof(uint32_t));
		}
	}
	sync_destroy(s);
	free(s->pool);
	free(s->rmap);
	memset(s, 0, sizeof(*s));
}

int shadow_view_of(const struct shadow *s, const void *p, uint64_t *lin)
{
	for (int v = 0; v < 2; v++)
		if (s->cur && region_addr(&s->cur->view[v], p, lin))
			return v;
	return -1;
}

/* unmap_page: the page at lin_page of view v of sp becomes PROT_NONE. */
static void unmap_page(struct shadow_space *sp, int v, uint32_t lin_page)
{
	mmap(sp->view[v].base + ((uint64_t)lin_page << 12), 4096, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

/* rmap_unlink: take entry i off its frame's list. */
static void rmap_unlink(struct shadow *s, int32_t i)
{
	uint32_t f = s->pool[i].frame;

	if (f >= s->nr_frames)
		return;
	int32_t *pp = &s->rmap[f];
	while (*pp >= 0 && *pp != i)
		pp = &s->pool[*pp].rmap_next;
	if (*pp == i)
		*pp = s->pool[i].rmap_next;
}

/* rmap_link: put entry i on the list of its frame. */
static void rmap_link(struct shadow *s, int32_t i)
{
	uint32_t f = s->pool[i].frame;

	s->pool[i].rmap_next = -1;
	if (f >= s->nr_frames)
		return;
	s->pool[i].rmap_next = s->rmap[f];
	s->rmap[f] = i;
}

/* whole_forget: entry i (a large page mapped whole) leaves the list of
 * such entries and the slots of its pages. */
static void whole_forget(struct shadow *s, int32_t i)
{
	struct shadow_entry *e = &s->pool[i];
	uint32_t *slot = s->space[e->space].slot[e->view];

	for (unsigned k = 0; k < s->n_whole; k++)
		if (s->whole[k] == i) {
			s->whole[k] = s->whole[--s->n_whole];
			break;
		}
	for (uint32_t p = e->lin_page; p < e->lin_page + e->whole; p++)
		slot[p] = 0;
	e->whole = 0;
}

/* entry_drop: forget live entry i (unmap: also make the page, or the
 * whole large page, PROT_NONE). */
static void entry_drop(struct shadow *s, int32_t i, bool unmap)
{
	struct shadow_entry *e = &s->pool[i];
	struct shadow_space *sp = &s->space[e->space];

	bool piece = e->large && !e->whole; /* n_large counts pieces only */

	if (e->whole) {
		if (unmap)
			mmap(sp->view[e->view].base + ((uint64_t)e->lin_page << 12),
			     (size_t)e->whole << 12, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		whole_forget(s, i);
	} else if (unmap) {
		unmap_page(sp, e->view, e->lin_page);
	}
	rmap_unlink(s, i);
	sp->slot[e->view][e->lin_page] = 0;
	if (piece)
		s->n_large--;
	e->live = false;
	e->large = false;
	e->rmap_next = s->free_head;
	s->free_head = i;
	s->n_live--;
	sp->n_live--;
}

/* drop_page: shadow_drop_page without telling the engine. */
static void drop_page(struct shadow *s, struct shadow_space *sp, uint32_t lin_page)
{
	for (int v = 0; v < 2; v++) {
		uint32_t idx = sp->slot[v][lin_page];
		if (idx && !s->pool[idx - 1].global) {
			entry_drop(s, (int32_t)idx - 1, true);
			STAT_INC(shadow_sync_drops);
		}
	}
}

void shadow_drop_page(struct shadow *s, struct shadow_space *sp, uint32_t lin_page)
{
	if (s->on_remap)
		s->on_remap(s->cb_opaque, (unsigned)(sp - s->space), lin_page, 1);
	drop_page(s, sp, lin_page);
}

void shadow_drop_range(struct shadow *s, struct shadow_space *sp, unsigned pdi)
{
	if (s->on_remap)
		s->on_remap(s->cb_opaque, (unsigned)(sp - s->space), pdi << 10, 1024);
	if (!sp->n_live)
		return;
	for (uint32_t p = pdi << 10; p < (pdi + 1) << 10; p++)
		drop_page(s, sp, p);
}

/* space_empty: drop every page sp filled, or only the non-global ones
 * (keep_global); whole views are remapped when many are filled. */
static void space_empty(struct shadow *s, struct shadow_space *sp, bool keep_global)
{
	if (!keep_global && s->on_space_gone)
		s->on_space_gone(s->cb_opaque, (unsigned)(sp - s->space));
	bool whole = !keep_global && sp->n_live > SHADOW_FLUSH_PAGES;
	uint8_t idx = (uint8_t)(sp - s->space);

	for (unsigned i = 0; i < s->n_used && sp->n_live; i++) {
		struct shadow_entry *e = &s->pool[i];
		if (e->live && e->space == idx && !(keep_global && e->global))
			entry_drop(s, (int32_t)i, !whole);
	}
	if (whole)
		for (int v = 0; v < 2; v++)
			mmap(sp->view[v].base, REGION_SPAN + REGION_GUARD, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (!keep_global) {
		sync_space_gone(s, sp);
		memset(sp->pde, 0, sizeof(sp->pde));
	}
}

/* space_recycle: sp is taken over by another page directory: it keeps
 * the global pages of its supervisor view (a kernel's: valid in every
 * space, as global TLB entries survive a CR3 write) and drops the rest. */
static void space_recycle(struct shadow *s, struct shadow_space *sp)
{
	if (s->on_space_gone)
		s->on_space_gone(s->cb_opaque, (unsigned)(sp - s->space));
	bool remap_user = sp->n_live > SHADOW_FLUSH_PAGES;
	uint8_t idx = (uint8_t)(sp - s->space);

	for (unsigned i = 0; i < s->n_used && sp->n_live; i++) {
		struct shadow_entry *e = &s->pool[i];
		if (e->live && e->space == idx && !(e->view == SHADOW_SUP && e->global))
			entry_drop(s, (int32_t)i, e->view == SHADOW_SUP || !remap_user);
	}
	if (remap_user)
		mmap(sp->view[SHADOW_USER].base, REGION_SPAN + REGION_GUARD, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	sync_space_gone(s, sp);
	memset(sp->pde, 0, sizeof(sp->pde));
}

void shadow_flush(struct shadow *s, bool keep_global)
{
	if (!s->cur->n_live)
		return;
	STAT_INC(shadow_flushes);
	/* dropping global pages too is allowed: a TLB may drop any entry */
	space_empty(s, s->cur, keep_global && s->cur->n_live <= SHADOW_FLUSH_PAGES);
}

void shadow_reset(struct shadow *s)
{
	STAT_INC(shadow_flushes);
	for (unsigned i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *sp = &s->space[i];
		if (!sp->live)
			continue;
		space_empty(s, sp, false);
		sp->live = sp == s->cur;
	}
}

/* space_victim: a space to take over: a free one, else an empty one, else
 * the least recently used one that is not current. */
static struct shadow_space *space_victim(struct shadow *s)
{
	struct shadow_space *best = NULL;

	for (unsigned i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *sp = &s->space[i];
		if (!sp->live)
			return sp;
		if (sp == s->cur)
			continue;
		if (!best || (sp->n_live == 0 && best->n_live) ||
		    (!sp->n_live == !best->n_live && sp->stamp < best->stamp))
			best = sp;
	}
	return best;
}

bool shadow_switch(struct shadow *s, uint32_t cr3)
{
	uint32_t pd = cr3 >> 12;
	struct shadow_space *sp;

	if (s->m->vcpu.cr4 & CR4_PAE) {
		/* PAE: page-directory-pointer tables share frames and the sync
		 * compares 32-bit tables, so there is no cache: a CR3 write
		 * drops what is not global, as in a TLB */
		STAT_INC(shadow_space_misses);
		space_recycle(s, s->cur);
		s->cur->pd = UINT32_MAX;
		return false;
	}
	for (unsigned i = 0; i < SHADOW_SPACES; i++) {
		sp = &s->space[i];
		if (sp->live && sp->pd == pd) {
			space_make_current(s, sp);
			sync_space(s, sp);
			STAT_INC(shadow_space_hits);
			return true;
		}
	}
	STAT_INC(shadow_space_misses);
	sp = space_victim(s);
	if (sp->live) {
		if (sp->n_live)
			STAT_INC(shadow_evictions);
		space_recycle(s, sp);
	}
	if (space_reserve(sp) < 0) {
		/* no address space for another view pair: reuse the current one */
		sp = s->cur;
		space_recycle(s, sp);
	}
	sp->live = true;
	sp->pd = pd;
	space_make_current(s, sp);
	return false;
}

/* drop_at: INVLPG of lin in space sp: its pages at lin in both views (all
 * of a 4 MiB page lin lies in); only_global: only global ones. */
static void drop_at(struct shadow *s, struct shadow_space *sp, uint32_t lin, bool only_global)
{
	for (int v = 0; v < 2; v++) {
		uint32_t idx = sp->slot[v][lin >> 12];
		if (idx && (!only_global || s->pool[idx - 1].global))
			entry_drop(s, (int32_t)idx - 1, true);
	}
	if (!s->n_large)
		return;
	/* a 4 MiB TLB entry covers the whole large page: drop its pieces (a
	 * page mapped whole is one entry, dropped above) */
	uint32_t first = (lin >> 12) & ~0x3ffu;
	for (int v = 0; v < 2; v++)
		for (uint32_t p = first; p < first + 1024; p++) {
			uint32_t idx = sp->slot[v][p];
			if (idx && s->pool[idx - 1].large &&
			    (!only_global || s->pool[idx - 1].global))
				entry_drop(s, (int32_t)idx - 1, true);
		}
}

void shadow_invlpg(struct shadow *s, uint32_t lin)
{
	STAT_INC(shadow_invlpgs);
	drop_at(s, s->cur, lin, false);
	/* a global translation is one TLB entry whatever the CR3: the other
	 * spaces' copies of it go too */
	for (unsigned i = 0; i < SHADOW_SPACES; i++)
		if (s->space[i].live && &s->space[i] != s->cur && s->space[i].n_live)
			drop_at(s, &s->space[i], lin, true);
}

void shadow_protect_frame(struct shadow *s, uint64_t f)
{
	if (f >= s->nr_frames)
		return;
	for (unsigned k = 0; k < s->n_whole; k++) {
		struct shadow_entry *e = &s->pool[s->whole[k]];
		if (e->writable && f - e->frame < e->whole)
			mprotect(s->space[e->space].view[e->view].base +
				     ((uint64_t)(e->lin_page + (f - e->frame)) << 12),
				 4096, PROT_READ);
	}
	for (int32_t i = s->rmap[f]; i >= 0; i = s->pool[i].rmap_next) {
		struct shadow_entry *e = &s->pool[i];
		if (!e->writable)
			continue;
		mprotect(s->space[e->space].view[e->view].base + ((uint64_t)e->lin_page << 12),
			 4096, PROT_READ);
		e->writable = false;
	}
}

/* make_room: the pool is spent: empty the least recently used other space,
 * or the current one when it is the only one. */
static void make_room(struct shadow *s)
{
	struct shadow_space *victim = NULL;

	STAT_INC(shadow_evictions);
	for (unsigned i = 0; i < SHADOW_SPACES; i++) {
		struct shadow_space *sp = &s->space[i];
		if (sp->live && sp != s->cur && sp->n_live &&
		    (!victim || sp->stamp < victim->stamp))
			victim = sp;
	}
	space_empty(s, victim ? victim : s->cur, false);
}

/* entry_get: the entry of (current space, view, lin_page), a new one, or
 * -1 when the budget is spent. */
static int32_t entry_get(struct shadow *s, int v, uint32_t lin_page)
{
	struct shadow_space *sp = s->cur;
	uint32_t idx = sp->slot[v][lin_page];
	int32_t i;

	if (idx && s->pool[idx - 1].whole) {
		/* a 4 KiB fill inside a large page mapped whole: that one goes */
		entry_drop(s, (int32_t)idx - 1, true);
		idx = 0;
	}
	if (idx) {
		i = (int32_t)idx - 1;
		rmap_unlink(s, i);
		return i;
	}
	if (s->free_head >= 0) {
		i = s->free_head;
		s->free_head = s->pool[i].rmap_next;
	} else if (s->n_used < s->budget) {
		i = (int32_t)s->n_used++;
	} else {
		return -1;
	}
	s->pool[i].space = (uint8_t)(sp - s->space);
	s->pool[i].view = (uint8_t)v;
	s->pool[i].lin_page = lin_page;
	s->pool[i].live = true;
	s->pool[i].large = false;
	sp->slot[v][lin_page] = (uint32_t)i + 1;
	s->n_live++;
	sp->n_live++;
	return i;
}

/* fill: map frame (RAM) at lin in view v of the current space with prot;
 * false if mmap failed. */
static bool fill(struct shadow *s, int v, uint32_t lin, uint32_t frame, int prot, bool global,
		 bool large)
{
	int fd;
	off_t off;

	if (ram_backing(&s->m->ram, (uint64_t)frame << 12, &fd, &off) < 0)
		return false;
	int32_t i = entry_get(s, v, lin >> 12);
	if (i < 0)
		return false; /* shadow_fault made room first: cannot happen */
	uint8_t *at = s->cur->view[v].base + (lin & ~0xfffu);
	if (mmap(at, 4096, prot, MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED) {
		/* out of host mappings (vm.max_map_count shared with the rest
		 * of the process): the access is emulated; the next fault
		 * retries after shadow_fault made room */
		entry_drop(s, i, true);
		s->out_of_maps = true;
		return false;
	}
	s->pool[i].frame = frame;
	s->pool[i].global = global;
	s->n_large += (unsigned)large - (unsigned)s->pool[i].large;
	s->pool[i].large = large;
	s->pool[i].writable = prot & PROT_WRITE;
	rmap_link(s, i);
	STAT_INC(shadow_fills);
	return true;
}

/* fill_whole: map the whole large guest page (n 4 KiB pages: 1024 for
 * 4 MiB, 512 for PAE's 2 MiB) holding lin, first frame frame0, in view v
 * of the current space with one mmap, as the large TLB entry covers it
 * all; frames that hold code stay read-only.  False when it cannot (not
 * all RAM, no room in the list): fill 4 KiB at a time. */
static bool fill_whole(struct shadow *s, int v, uint32_t lin, uint32_t frame0, uint32_t n, int prot,
		       bool global)
{
	struct shadow_space *sp = s->cur;
	uint32_t first = (lin >> 12) & ~(n - 1);
	int fd, fd2;
	off_t off, off2;

	if (s->n_whole == SHADOW_WHOLE || frame0 + n > s->nr_frames ||
	    ram_backing(&s->m->ram, (uint64_t)frame0 << 12, &fd, &off) < 0 ||
	    ram_backing(&s->m->ram, ((uint64_t)frame0 + n - 1) << 12, &fd2, &off2) < 0 ||
	    fd2 != fd || off2 != off + (off_t)((n - 1) << 12))
		return false;
	for (uint32_t p = first; p < first + n; p++)
		if (sp->slot[v][p])
			entry_drop(s, (int32_t)sp->slot[v][p] - 1, true);
	int32_t i = entry_get(s, v, first);
	if (i < 0)
		return false;
	uint8_t *at = sp->view[v].base + ((uint64_t)first << 12);
	if (mmap(at, (size_t)n << 12, prot, MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED) {
		entry_drop(s, i, true);
		mmap(at, (size_t)n << 12, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		s->out_of_maps = true;
		return false;
	}
	for (uint32_t f = 0; (prot & PROT_WRITE) && s->code_map && f < n;) {
		uint32_t run = 0;
		while (f + run < n && s->code_map[frame0 + f + run])
			run++;
		if (run)
			mprotect(at + ((uint64_t)f << 12), (size_t)run << 12, PROT_READ);
		f += run + 1;
	}
	struct shadow_entry *e = &s->pool[i];
	e->frame = frame0;
	e->global = global;
	e->large = true;
	e->whole = (uint16_t)n;
	e->writable = prot & PROT_WRITE;
	e->rmap_next = -1;
	s->whole[s->n_whole++] = i;
	for (uint32_t p = first; p < first + n; p++)
		sp->slot[v][p] = (uint32_t)i + 1;
	STAT_INC(shadow_fills);
	STAT_INC(shadow_whole);
	return true;
}

enum shadow_result shadow_fault(struct shadow *s, int view, uint32_t lin, bool write, uint32_t cr0,
				uint32_t cr3, uint32_t cr4, uint32_t *pfec, uint32_t *gpa)
{
	struct walk_result w;
	unsigned flags = (write ? WALK_WRITE : 0) | (view == SHADOW_USER ? WALK_USER : 0);

	if (walk_guest(s->m, cr0, cr3, cr4, lin, flags, &w, pfec) < 0) {
		STAT_INC(shadow_pfs);
		return SHADOW_PF;
	}
	*gpa = w.gpa;
	uint32_t frame = w.gpa >> 12;
	if (frame >= s->nr_frames || !ram_ptr(&s->m->ram, (uint64_t)frame << 12, 4096))
		return SHADOW_MMIO;
	bool code = s->code_map && s->code_map[frame];
	if (write && code)
		return SHADOW_CODE;
	int prot = PROT_READ;
	unsigned wflags = WALK_WRITE | (view == SHADOW_USER ? WALK_USER : 0);
	if (w.dirty && !code && walk_allows(cr0, w.rw, w.us, wflags))
		prot |= PROT_WRITE;
	bool global = w.global && (cr4 & CR4_PGE);
	/* room first: making it may empty the current space, which must not
	 * happen between sync_fill's registration and the fill */
	if ((s->free_head < 0 && s->n_used >= s->budget) || s->out_of_maps) {
		s->out_of_maps = false;
		make_room(s);
	}
	if (cr4 & CR4_PAE) {
		/* PAE: one space, not compared with snapshots (shadow_switch) */
	} else if (s->cur->pd != cr3 >> 12 && !s->cur->n_live) {
		s->cur->pd = cr3 >> 12; /* the first space takes its directory */
		sync_fill(s, s->cur, lin, w.pte_gpa, w.large);
	} else {
		if (s->cur->pd != cr3 >> 12)
			shadow_switch(s, cr3); /* CR3 changed behind the engine's back */
		sync_fill(s, s->cur, lin, w.pte_gpa, w.large);
	}
	/* whole: writable as the entry allows; fill_whole keeps code frames
	 * read-only */
	int prot_whole =
	    PROT_READ | ((w.dirty && walk_allows(cr0, w.rw, w.us, wflags)) ? PROT_WRITE : 0);
	if (w.large &&
	    fill_whole(s, view, lin, w.page_gpa >> 12, w.page_size >> 12, prot_whole, global))
		return SHADOW_FILLED;
	if (!fill(s, view, lin, frame, prot, global, w.large))
		return SHADOW_MMIO;
	return SHADOW_FILLED;
}

int shadow_space_id(const struct shadow *s)
{
	const struct vcpu *v = &s->m->vcpu;

	if (!(v->cr0 & CR0_PG) || (v->cr4 & CR4_PAE) || s->cur->pd != v->cr3 >> 12)
		return -1;
	return (int)(s->cur - s->space);
}

void shadow_track(struct shadow *s, uint32_t lin)
{
	const struct vcpu *v = &s->m->vcpu;
	struct walk_result w;
	uint32_t pfec;

	if (shadow_space_id(s) < 0 ||
	    walk_guest(s->m, v->cr0, v->cr3, v->cr4 & ~CR4_SMEP, lin, WALK_FETCH | WALK_PROBE, &w,
		       &pfec) < 0) /* a probe of the mapping: SMEP does not apply */
		return;
	sync_fill(s, s->cur, lin, w.pte_gpa, w.large);
}
