/* shadow.c - the shadow MMU: fills, flushes, reverse map (see shadow.h). */
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

int shadow_init(struct shadow *s, struct machine *m, unsigned budget)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->budget = budget ? budget : SHADOW_BUDGET;
	s->nr_frames = m->ram.size >> 12;
	s->free_head = -1;
	for (int v = 0; v < 2; v++) {
		if ((err = region_create(&s->view[v])) < 0)
			return err;
		s->slot[v] = big_zalloc(NR_PAGES * sizeof(uint32_t));
		if (!s->slot[v])
			return -ENOMEM;
	}
	s->pool = calloc(s->budget, sizeof(*s->pool));
	s->rmap = malloc((s->nr_frames ? s->nr_frames : 1) * sizeof(*s->rmap));
	if (!s->pool || !s->rmap)
		return -ENOMEM;
	memset(s->rmap, 0xff, (s->nr_frames ? s->nr_frames : 1) * sizeof(*s->rmap));
	return 0;
}

void shadow_destroy(struct shadow *s)
{
	for (int v = 0; v < 2; v++) {
		region_destroy(&s->view[v]);
		if (s->slot[v])
			munmap(s->slot[v], NR_PAGES * sizeof(uint32_t));
	}
	free(s->pool);
	free(s->rmap);
	memset(s, 0, sizeof(*s));
}

int shadow_view_of(const struct shadow *s, const void *p, uint64_t *lin)
{
	for (int v = 0; v < 2; v++)
		if (region_addr(&s->view[v], p, lin))
			return v;
	return -1;
}

/* unmap_page: the page at lin in view v becomes PROT_NONE again. */
static void unmap_page(struct shadow *s, int v, uint32_t lin_page)
{
	mmap(s->view[v].base + ((uint64_t)lin_page << 12), 4096, PROT_NONE,
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

/* entry_drop: forget live entry i (unmap: also make the page PROT_NONE). */
static void entry_drop(struct shadow *s, int32_t i, bool unmap)
{
	struct shadow_entry *e = &s->pool[i];

	if (unmap)
		unmap_page(s, e->view, e->lin_page);
	rmap_unlink(s, i);
	s->slot[e->view][e->lin_page] = 0;
	if (e->large)
		s->n_large--;
	e->live = false;
	e->large = false;
	e->rmap_next = s->free_head;
	s->free_head = i;
	s->n_live--;
}

/* flush_all: both views back to PROT_NONE with one mmap each, every entry
 * forgotten. */
static void flush_all(struct shadow *s)
{
	for (unsigned i = 0; i < s->n_used; i++) {
		struct shadow_entry *e = &s->pool[i];
		if (e->live) {
			s->slot[e->view][e->lin_page] = 0;
			if (e->frame < s->nr_frames)
				s->rmap[e->frame] = -1;
			e->live = false;
			e->large = false;
		}
	}
	for (int v = 0; v < 2; v++)
		mmap(s->view[v].base, REGION_SPAN + REGION_GUARD, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	s->n_used = s->n_live = s->n_large = 0;
	s->free_head = -1;
}

void shadow_flush(struct shadow *s, bool keep_global)
{
	if (!s->n_live)
		return;
	STAT_INC(shadow_flushes);
	if (!keep_global || s->n_live > SHADOW_FLUSH_PAGES) {
		/* dropping global pages too is allowed: a TLB may drop any entry */
		flush_all(s);
		return;
	}
	for (unsigned i = 0; i < s->n_used; i++)
		if (s->pool[i].live && !s->pool[i].global)
			entry_drop(s, (int32_t)i, true);
}

void shadow_invlpg(struct shadow *s, uint32_t lin)
{
	STAT_INC(shadow_invlpgs);
	for (int v = 0; v < 2; v++) {
		uint32_t idx = s->slot[v][lin >> 12];
		if (idx)
			entry_drop(s, (int32_t)idx - 1, true);
	}
	if (!s->n_large)
		return;
	/* a 4 MiB TLB entry covers the whole large page: drop its pieces */
	uint32_t first = (lin >> 12) & ~0x3ffu;
	for (int v = 0; v < 2; v++)
		for (uint32_t p = first; p < first + 1024; p++) {
			uint32_t idx = s->slot[v][p];
			if (idx && s->pool[idx - 1].large)
				entry_drop(s, (int32_t)idx - 1, true);
		}
}

void shadow_protect_frame(struct shadow *s, uint64_t f)
{
	if (f >= s->nr_frames)
		return;
	for (int32_t i = s->rmap[f]; i >= 0; i = s->pool[i].rmap_next) {
		struct shadow_entry *e = &s->pool[i];
		if (!e->writable)
			continue;
		mprotect(s->view[e->view].base + ((uint64_t)e->lin_page << 12), 4096, PROT_READ);
		e->writable = false;
	}
}

/* entry_get: the entry of (view, lin_page), a new one, or -1 when the
 * budget is spent. */
static int32_t entry_get(struct shadow *s, int v, uint32_t lin_page)
{
	uint32_t idx = s->slot[v][lin_page];
	int32_t i;

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
	s->pool[i].view = (uint8_t)v;
	s->pool[i].lin_page = lin_page;
	s->pool[i].live = true;
	s->slot[v][lin_page] = (uint32_t)i + 1;
	s->n_live++;
	return i;
}

/* fill: map frame (RAM) at lin in view v with prot; false if mmap failed. */
static bool fill(struct shadow *s, int v, uint32_t lin, uint32_t frame, int prot, bool global,
		 bool large)
{
	int fd;
	off_t off;

	if (ram_backing(&s->m->ram, (uint64_t)frame << 12, &fd, &off) < 0)
		return false;
	int32_t i = entry_get(s, v, lin >> 12);
	if (i < 0) {
		STAT_INC(shadow_evictions);
		flush_all(s);
		i = entry_get(s, v, lin >> 12);
	}
	uint8_t *at = s->view[v].base + (lin & ~0xfffu);
	if (mmap(at, 4096, prot, MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED) {
		/* out of mappings after all (other users of the process's
		 * budget): evict everything and try once more */
		STAT_INC(shadow_evictions);
		flush_all(s);
		i = entry_get(s, v, lin >> 12);
		if (mmap(at, 4096, prot, MAP_SHARED | MAP_FIXED, fd, off) == MAP_FAILED) {
			entry_drop(s, i, false);
			return false;
		}
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
	if (!fill(s, view, lin, frame, prot, global, w.large))
		return SHADOW_MMIO;
	return SHADOW_FILLED;
}
