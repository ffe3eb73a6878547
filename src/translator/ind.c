/*
 * ind.c - the indirect-branch tables: guest EIP -> TC offset of the block
 * that starts there (0: the miss stub), read by translated code as
 * [r13 + eip*4] (docs/translator.md, "Indirect branches").
 *
 * A table is valid for one context, a (mode, CS base) pair: the blocks it
 * points to were looked up under that key.  bt keeps BT_IND_TABLES of them
 * and switches between them, so kernel and user code (CPL 0 and 3) keep
 * their entries across every system call and interrupt; the least
 * recently used table is taken over by a new context.  A paging mode
 * change empties them all (lazily: a table filled under an older
 * generation is emptied when it is next selected), a CR3 write those that
 * hold a block from a page that is not global, an INVLPG only the entries
 * of the pages it touches.
 */
#define _GNU_SOURCE
#include "translator/bt.h"
#include "monitor/base/util.h"
#include "monitor/base/stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* One bit per 4 KiB page of EIPs (2^20 pages). */
#define IND_PAGE_WORDS ((1u << 20) / 64)

int bt_ind_init(struct bt *bt)
{
	for (unsigned i = 0; i < BT_IND_TABLES; i++) {
		struct bt_ind_table *t = &bt->ind_tab[i];
		void *p = mmap(NULL, BT_IND_SPAN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		t->t = p;
		t->used = false;
		t->pages = calloc(IND_PAGE_WORDS, sizeof(*t->pages));
		if (!t->pages)
			return -ENOMEM;
	}
	bt->ind_cur = &bt->ind_tab[0];
	bt->ind = bt->ind_cur->t;
	bt->cpu->ind_base = (uint64_t)bt->ind;
	return 0;
}

void bt_ind_destroy(struct bt *bt)
{
	for (unsigned i = 0; i < BT_IND_TABLES; i++) {
		if (bt->ind_tab[i].t)
			munmap(bt->ind_tab[i].t, BT_IND_SPAN);
		free(bt->ind_tab[i].pages);
		bt->ind_tab[i].t = NULL;
		bt->ind_tab[i].pages = NULL;
	}
	bt->ind = NULL;
}

/* table_empty: every entry of t misses: zero the logged ones, or give the
 * whole table back to the kernel when the log overflowed. */
static void table_empty(struct bt *bt, struct bt_ind_table *t)
{
	if (t->log_n > BT_IND_LOG) {
		if (madvise(t->t, BT_IND_SPAN, MADV_DONTNEED) < 0)
			die_host("madvise of an indirect table: %s", strerror(errno));
		memset(t->pages, 0, IND_PAGE_WORDS * sizeof(*t->pages));
	} else {
		for (unsigned i = 0; i < t->log_n; i++) {
			t->t[t->log[i]] = 0;
			t->pages[t->log[i] >> 18] = 0; /* every set entry is logged */
		}
	}
	t->log_n = 0;
	t->gen = bt->ind_gen;
	t->nonglobal = false;
}

/* table_space: the space a context's table belongs to: user code with
 * the shadow keeping spaces (its translations are not global, and stay
 * right per space: bt_ind_remapped); -1 for everything else, whose tables
 * a CR3 write empties when they hold a block that is not global. */
static int table_space(struct bt *bt, uint32_t mode)
{
	if (BT_MODE_CPL(mode) != 3 || !(mode & BT_MODE_PAGING))
		return -1;
	return shadow_space_id(&bt->shadow);
}

void bt_ind_select(struct bt *bt, uint32_t mode, uint32_t cs_base)
{
	struct bt_ind_table *t = bt->ind_cur, *lru = NULL;
	int space = table_space(bt, mode);

	if (!(t->used && t->mode == mode && t->cs_base == cs_base && t->space == space)) {
		for (t = &bt->ind_tab[0]; t < &bt->ind_tab[BT_IND_TABLES]; t++) {
			if (t->used && t->mode == mode && t->cs_base == cs_base &&
			    t->space == space)
				break;
			if (!lru || !t->used || (lru->used && t->stamp < lru->stamp))
				lru = t;
		}
		if (t == &bt->ind_tab[BT_IND_TABLES]) {
			t = lru;
			table_empty(bt, t);
			t->used = true;
			t->mode = mode;
			t->cs_base = cs_base;
			t->space = space;
		}
		bt->ind_cur = t;
		bt->ind = t->t;
		bt->cpu->ind_base = (uint64_t)t->t;
		STAT_INC(ind_switches);
	}
	t->stamp = ++bt->ind_stamp;
	if (t->gen != bt->ind_gen)
		table_empty(bt, t);
}

void bt_ind_drop_nonglobal(struct bt *bt)
{
	for (struct bt_ind_table *t = bt->ind_tab; t < &bt->ind_tab[BT_IND_TABLES]; t++)
		if (t->used && t->gen == bt->ind_gen && t->nonglobal && t->space < 0)
			t->gen = bt->ind_gen - 1; /* stale: emptied when selected */
	if (bt->ind_cur->gen != bt->ind_gen)
		table_empty(bt, bt->ind_cur);
}

void bt_ind_clear(struct bt *bt)
{
	bt->ind_gen++;
	table_empty(bt, bt->ind_cur);
}

void bt_ind_set(struct bt *bt, uint32_t eip, struct bt_block *blk, bool global)
{
	struct bt_ind_table *t = bt->ind_cur;

	if (t->space >= 0) {
		/* the space's tables rely on these pages: let the shadow's
		 * comparison tell us when they change */
		shadow_track(&bt->shadow, blk->cs_base + blk->eip);
		shadow_track(&bt->shadow, blk->lin_last);
		if (!t->used || t->gen != bt->ind_gen)
			return; /* tracking found the space gone: nothing to set */
	}
	t->nonglobal |= !global;
	if (t->log_n < BT_IND_LOG)
		t->log[t->log_n] = eip;
	if (t->log_n <= BT_IND_LOG)
		t->log_n++;
	t->t[eip] = (uint32_t)(blk->host - bt->tc);
	t->pages[eip >> 18] |= 1ull << ((eip >> 12) & 63);
}

void bt_ind_drop_block(struct bt *bt, const struct bt_block *blk)
{
	uint32_t off = (uint32_t)(blk->host - bt->tc);

	for (struct bt_ind_table *t = bt->ind_tab; t < &bt->ind_tab[BT_IND_TABLES]; t++)
		if (t->used && t->gen == bt->ind_gen && t->mode == blk->mode &&
		    t->cs_base == blk->cs_base && t->t[blk->eip] == off)
			t->t[blk->eip] = 0;
}

/* table_drop_page: the entries of t for the 4 KiB of EIPs from eip miss
 * (nothing to do unless one was set since the table was emptied).  The
 * 16 KiB of entries are read 64 bytes at a time (one OR the compiler
 * vectorizes) and only chunks holding an entry are written: a table page
 * that is all zero stays unpopulated. */
static void table_drop_page(struct bt_ind_table *t, uint32_t eip)
{
	uint64_t *w = &t->pages[eip >> 18], bit = 1ull << ((eip >> 12) & 63);

	if (!(*w & bit))
		return;
	*w &= ~bit;
	uint64_t *e = (uint64_t *)&t->t[eip & ~0xfffu];
	for (unsigned i = 0; i < 2048; i += 8) {
		uint64_t any = 0;
		for (unsigned j = 0; j < 8; j++)
			any |= e[i + j];
		if (any)
			memset(&e[i], 0, 64);
	}
}

void bt_ind_drop_pages(struct bt *bt, uint32_t lin, uint32_t npages)
{
	for (struct bt_ind_table *t = bt->ind_tab; t < &bt->ind_tab[BT_IND_TABLES]; t++) {
		if (!t->used || t->gen != bt->ind_gen)
			continue;
		/* EIP = linear - CS base: a CS base inside a page makes the
		 * linear pages straddle EIP pages, so one more is dropped */
		uint32_t first = (lin & ~0xfffu) - t->cs_base;
		uint32_t n = npages + ((t->cs_base & 0xfff) != 0);
		for (uint32_t p = 0; p < n; p++)
			table_drop_page(t, first + (p << 12));
	}
}

void bt_ind_remapped(void *opaque, unsigned space, uint32_t lin_page, uint32_t npages)
{
	struct bt *bt = opaque;

	for (struct bt_ind_table *t = bt->ind_tab; t < &bt->ind_tab[BT_IND_TABLES]; t++)
		if (t->used && t->gen == bt->ind_gen && t->space == (int)space)
			for (uint32_t p = 0; p <= npages; p++) /* with the page before */
				table_drop_page(t, ((lin_page - 1 + p) << 12) - t->cs_base);
}

void bt_ind_space_gone(void *opaque, unsigned space)
{
	struct bt *bt = opaque;

	for (struct bt_ind_table *t = bt->ind_tab; t < &bt->ind_tab[BT_IND_TABLES]; t++)
		if (t->used && t->space == (int)space) {
			table_empty(bt, t);
			t->used = false; /* the next context takes it over */
		}
}
