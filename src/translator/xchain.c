/*
 * xchain.c - chains across guest pages with paging on (docs/shadow_mmu.md,
 * "Chaining").  An exit patched to jump to a block on another linear page
 * is right only while that page maps the frame the block came from, so
 * each such exit is kept on a list, and a change of the mapping unpatches
 * the ones it may affect:
 *   - chains into translations that are not global: unpatched at every
 *     CR3 write (bt_space_switched); when the shadow keeps spaces they are
 *     parked with their space and patched again when it comes back, unless
 *     the shadow said their target's page changed there; hashed by the
 *     target's first page too, so a changed page finds its own;
 *   - chains into global translations (G set, CR4.PGE), which survive a
 *     CR3 write as TLB entries do: hashed by the target's first page, so
 *     an INVLPG finds its own (bt_page_remapped).
 * Lists are doubly linked (pprev_x): an exit leaves in O(1).
 */
#include "translator/bt.h"

#include <string.h>

/* xlist_unlink: take x off the list it is on. */
static void xlist_unlink(struct bt_exit *x)
{
	if (!x->xlisted)
		return;
	*x->pprev_x = x->next_x;
	if (x->next_x)
		x->next_x->pprev_x = x->pprev_x;
	x->xlisted = false;
}

/* xlist_push: put x at the head of *head. */
static void xlist_push(struct bt_exit **head, struct bt_exit *x)
{
	x->next_x = *head;
	if (*head)
		(*head)->pprev_x = &x->next_x;
	*head = x;
	x->pprev_x = head;
	x->xlisted = true;
}

/* xbucket: the bucket of chains into global blocks whose first page is
 * page (an address); lbucket: the same in a space's table heads. */
static struct bt_exit **xbucket(struct bt *bt, uint32_t page)
{
	return &bt->xglobal[(page >> 12) & (BT_XHASH - 1)];
}

static struct bt_exit **lbucket(struct bt_exit **heads, uint32_t page)
{
	return &heads[(page >> 12) & (BT_XLHASH - 1)];
}

/* block_start: the linear address of the first byte of b. */
static uint32_t block_start(const struct bt_block *b)
{
	return b->cs_base + b->eip;
}

void bt_chain_xpage(struct bt *bt, struct bt_exit *x, struct bt_block *blk, bool global)
{
	bt_chain(bt, x, blk);
	if (x->to != blk)
		return;
	xlist_unlink(x);
	x->park_to = NULL;
	x->global = global;
	x->space = global ? -1 : (int8_t)shadow_space_id(&bt->shadow);
	if (x->space >= 0) {
		/* parked with its space, it relies on the target's pages there:
		 * the shadow's comparison must report their changes */
		shadow_track(&bt->shadow, block_start(blk));
		shadow_track(&bt->shadow, blk->lin_last);
	}
	xlist_push(global ? xbucket(bt, block_start(blk)) : lbucket(bt->xlocal, block_start(blk)),
		   x);
}

/* xchain_undo: unpatch x and take it off its list. */
static void xchain_undo(struct bt_exit *x)
{
	xlist_unlink(x);
	bt_unchain(x);
}

/* xlist_undo_all: undo every chain on *head. */
static void xlist_undo_all(struct bt_exit **head)
{
	while (*head)
		xchain_undo(*head);
}

void bt_xchain_reset(struct bt *bt)
{
	memset(bt->xlocal, 0, sizeof(bt->xlocal));
	memset(bt->xglobal, 0, sizeof(bt->xglobal));
	memset(bt->xparked, 0, sizeof(bt->xparked));
}

void bt_mapping_changed(struct bt *bt)
{
	bt_ind_clear(bt);
	for (unsigned i = 0; i < BT_XLHASH; i++)
		xlist_undo_all(&bt->xlocal[i]);
	for (unsigned i = 0; i < BT_XHASH; i++)
		xlist_undo_all(&bt->xglobal[i]);
	for (unsigned s = 0; s < SHADOW_SPACES; s++)
		for (unsigned i = 0; i < BT_XLHASH; i++)
			xlist_undo_all(&bt->xparked[s][i]);
	memset(bt->large_code, 0, sizeof(bt->large_code));
}

void bt_space_switched(struct bt *bt)
{
	int now = shadow_space_id(&bt->shadow);

	bt_ind_drop_nonglobal(bt);
	/* the old space's chains: unpatched, parked with it; a CR3 reload of
	 * the same space keeps them (what changed came through
	 * bt_xchain_remapped before this) */
	for (unsigned i = 0; i < BT_XLHASH; i++) {
		for (struct bt_exit *x = bt->xlocal[i], *next; x; x = next) {
			struct bt_block *to = x->to;
			next = x->next_x;
			if (to && x->space >= 0 && x->space == now)
				continue;
			xchain_undo(x);
			if (to && x->space >= 0) {
				x->park_to = to;
				xlist_push(&bt->xparked[x->space][i], x);
			}
		}
	}
	if (now < 0)
		return;
	/* the new space's parked chains: patched again where still valid */
	for (unsigned i = 0; i < BT_XLHASH; i++) {
		while (bt->xparked[now][i]) {
			struct bt_exit *x = bt->xparked[now][i];
			xlist_unlink(x);
			if (x->park_to->valid && x->from->valid && !x->to)
				bt_chain(bt, x, x->park_to);
			if (x->to == x->park_to)
				xlist_push(&bt->xlocal[i], x);
			x->park_to = NULL;
		}
	}
}

/* covers: block b has a byte on one of npages pages from lin_page. */
static bool covers(const struct bt_block *b, uint32_t lin_page, uint32_t npages)
{
	return (block_start(b) >> 12) - lin_page < npages ||
	       (b->lin_last >> 12) - lin_page < npages;
}

/* remap_bucket: bt_xchain_remapped on one bucket of the current and the
 * parked chains of space. */
static void remap_bucket(struct bt *bt, unsigned space, unsigned i, uint32_t lin_page,
			 uint32_t npages)
{
	for (struct bt_exit *x = bt->xlocal[i], *next; x; x = next) {
		next = x->next_x;
		if (x->to && x->space == (int8_t)space && covers(x->to, lin_page, npages))
			xchain_undo(x);
	}
	for (struct bt_exit *x = bt->xparked[space][i], *next; x; x = next) {
		next = x->next_x;
		if (covers(x->park_to, lin_page, npages)) {
			xlist_unlink(x);
			x->park_to = NULL;
		}
	}
}

void bt_xchain_remapped(struct bt *bt, unsigned space, uint32_t lin_page, uint32_t npages)
{
	/* a block covering these pages starts on one of them or on the page
	 * before (a block spans at most two pages): only their buckets */
	if (npages + 1 >= BT_XLHASH) {
		for (unsigned i = 0; i < BT_XLHASH; i++)
			remap_bucket(bt, space, i, lin_page, npages);
		return;
	}
	for (uint32_t p = lin_page - 1; p != lin_page + npages; p++)
		remap_bucket(bt, space, p & (BT_XLHASH - 1), lin_page, npages);
}

void bt_xchain_space_gone(struct bt *bt, unsigned space)
{
	for (unsigned i = 0; i < BT_XLHASH; i++) {
		while (bt->xparked[space][i]) {
			bt->xparked[space][i]->park_to = NULL;
			xlist_unlink(bt->xparked[space][i]);
		}
	}
}

/* xlist_undo_range: undo the chains on *head into blocks that overlap the
 * span bytes of linear space from page. */
static void xlist_undo_range(struct bt_exit **head, uint32_t page, uint32_t span)
{
	struct bt_exit *x = *head;

	while (x) {
		struct bt_exit *next = x->next_x;
		const struct bt_block *to = x->to;
		uint32_t first = to ? block_start(to) & ~0xfffu : 0;

		if (!to || first - page < span || (to->lin_last & ~0xfffu) - page < span)
			xchain_undo(x);
		x = next;
	}
}

/* bt_page_remapped: the linear page holding lin may map another frame now
 * (INVLPG): what was checked against it goes.  Indirect-table entries of
 * blocks that may cover it (they start on it or on the page before: a
 * block spans at most two pages), and cross-page chains into blocks that
 * cover it.  Where code came from a 4 MiB page, the whole of it (the TLB
 * entry INVLPG drops covers it all).  Blocks elsewhere stay reachable. */
void bt_page_remapped(struct bt *bt, uint32_t lin)
{
	bool large = bt->large_code[lin >> 22];
	uint32_t page = large ? lin & ~0x3fffffu : lin & ~0xfffu;
	uint32_t span = large ? 4u << 20 : 4096; /* bytes of linear space */
	uint32_t pages = span / 4096 + 1;	 /* with the page before */

	bt_ind_drop_pages(bt, page - 4096, pages);
	if (pages >= BT_XLHASH)
		for (unsigned i = 0; i < BT_XLHASH; i++)
			xlist_undo_range(&bt->xlocal[i], page, span);
	else
		for (uint32_t p = 0; p < pages; p++)
			xlist_undo_range(lbucket(bt->xlocal, page - 4096 + (p << 12)), page, span);
	if (pages > BT_XHASH) {
		for (unsigned i = 0; i < BT_XHASH; i++)
			xlist_undo_range(&bt->xglobal[i], page, span);
		return;
	}
	for (uint32_t p = 0; p < pages; p++)
		xlist_undo_range(xbucket(bt, page - 4096 + (p << 12)), page, span);
}
