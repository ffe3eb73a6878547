/*
 * tc.c - the translation cache (docs/design.md §3.7).
 *
 * Host code goes into one RWX arena, block metadata (struct bt_block, exit
 * records, callout sites, side tables) into a second arena; both are bump
 * allocated and reset together by bt_flush().  Blocks are found by a hash
 * on (guest EIP, mode) and listed per guest frame for invalidation.  A frame
 * that holds cached translations is write-protected in the region and
 * marked in bt->code_map.
 */
#define _GNU_SOURCE
#include "translator/emit.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* tc_reset: empty the TC but for the indirect miss stub at its start
 * ("jmp [r12+BTC_FN_IND]", table offset 0). */
static void tc_reset(struct bt *bt)
{
	struct bt_emit e = {.p = bt->tc, .end = bt->tc_end};
	ZydisEncoderOperand m = enc_mem(8, ZYDIS_REGISTER_R12, ZYDIS_REGISTER_NONE, 0, BTC_FN_IND);

	e_insn(&e, ZYDIS_MNEMONIC_JMP, 0, 1, &m);
	while ((uintptr_t)e.p & 15)
		*e.p++ = 0xcc;
	bt->tc_free = e.p;
}

/* bt_tc_init: map the arenas and the indirect table, allocate the
 * per-frame tables. */
int bt_tc_init(struct bt *bt, size_t tc_size, size_t meta_size)
{
	bt->tc = mmap(NULL, tc_size, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bt->tc == MAP_FAILED)
		return -errno;
	bt->tc_end = bt->tc + tc_size;
	tc_reset(bt);
	int err = bt_ind_init(bt);
	if (err < 0)
		return err;
	bt->cpu->tc_base = (uint64_t)bt->tc;
	bt->meta = mmap(NULL, meta_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bt->meta == MAP_FAILED)
		return -errno;
	bt->meta_end = bt->meta + meta_size;
	bt->meta_free = bt->meta;
	bt->meta_top = bt->meta_end;
	bt->nr_frames = bt->m->ram.size >> 12;
	bt->page_blocks = calloc(bt->nr_frames, sizeof(*bt->page_blocks));
	bt->code_map = calloc(bt->nr_frames ? bt->nr_frames : 1, 1);
	bt->cap_blocks = 4096;
	bt->by_addr = malloc(bt->cap_blocks * sizeof(*bt->by_addr));
	if (!bt->page_blocks || !bt->code_map || !bt->by_addr)
		return -ENOMEM;
	bt->shadow.code_map = bt->code_map;
	return 0;
}

/* bt_tc_destroy: release everything bt_tc_init made. */
void bt_tc_destroy(struct bt *bt)
{
	if (bt->tc && bt->tc != MAP_FAILED)
		munmap(bt->tc, bt->tc_end - bt->tc);
	if (bt->meta && bt->meta != MAP_FAILED)
		munmap(bt->meta, bt->meta_end - bt->meta);
	bt_ind_destroy(bt);
	bt->shadow.code_map = NULL;
	free(bt->page_blocks);
	free(bt->code_map);
	free(bt->by_addr);
	bt->tc = bt->meta = NULL;
}

/* bt_meta_alloc: 16-byte aligned zeroed side-arena memory, top down. */
void *bt_meta_alloc(struct bt *bt, size_t size)
{
	size = ALIGN_UP(size, 16);
	if (bt_meta_room(bt) < size)
		return NULL;
	bt->meta_top -= size;
	memset(bt->meta_top, 0, size);
	return bt->meta_top;
}

void *bt_meta_alloc_low(struct bt *bt, size_t size)
{
	size = ALIGN_UP(size, 16);
	if (bt_meta_room(bt) < size)
		return NULL;
	void *p = bt->meta_free;
	bt->meta_free += size;
	memset(p, 0, size);
	return p;
}

void bt_meta_trim_low(struct bt *bt, void *end)
{
	uint8_t *e = (uint8_t *)ALIGN_UP((uintptr_t)end, 16);

	if (e < bt->meta || e > bt->meta_free)
		die("side arena trimmed outside its last allocation");
	bt->meta_free = e;
}

static unsigned bt_hash(uint32_t eip, uint32_t mode)
{
	return (eip ^ (eip >> 16) ^ (mode << 13)) & (BT_HASH_SIZE - 1);
}

/* bt_lookup: walk the hash chain for (eip, mode). */
struct bt_block *bt_lookup(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base)
{
	for (struct bt_block *b = bt->hash[bt_hash(eip, mode)]; b; b = b->hash_next)
		if (b->eip == eip && b->mode == mode && b->cs_base == cs_base && b->valid)
			return b;
	return NULL;
}

/* bt_lookup_paged: hash chain walk; a block matches when its key matches
 * and its first and last bytes still map to its frames. */
struct bt_block *bt_lookup_paged(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base)
{
	uint32_t lin = cs_base + eip;
	int64_t f0 = bt_code_frame_probe(bt, lin), f1 = -2;

	if (f0 < 0)
		return NULL;
	for (struct bt_block *b = bt->hash[bt_hash(eip, mode)]; b; b = b->hash_next) {
		if (b->eip != eip || b->mode != mode || b->cs_base != cs_base || !b->valid ||
		    b->frame[0] != f0)
			continue;
		if ((b->lin_last >> 12) == (lin >> 12))
			return b;
		if (f1 == -2)
			f1 = bt_code_frame_probe(bt, b->lin_last);
		if (f1 == b->frame[1])
			return b;
	}
	return NULL;
}

/* bt_protect_frame: first translation from frame f: write-protect it, in
 * the physical region and in every shadow view that maps it. */
static void bt_protect_frame(struct bt *bt, uint64_t f)
{
	if (f >= bt->nr_frames || bt->code_map[f])
		return;
	bt->code_map[f] = 1;
	if (bt->shadow.pool)
		shadow_protect_frame(&bt->shadow, f);
	if (region_protect_page(&bt->region, f << 12, PROT_READ) < 0)
		die_host("mprotect of code frame %#llx: %s", (unsigned long long)f,
			 strerror(errno));
}

/* bt_insert: hash it, list it under its frames, protect the frames. */
void bt_insert(struct bt *bt, struct bt_block *blk)
{
	unsigned h = bt_hash(blk->eip, blk->mode);

	blk->hash_next = bt->hash[h];
	bt->hash[h] = blk;
	for (int i = 0; i < 2; i++) {
		uint64_t f = blk->frame[i];
		if (i == 1 && f == blk->frame[0])
			break;
		if (f >= bt->nr_frames)
			continue;
		blk->page_next[i] = bt->page_blocks[f];
		bt->page_blocks[f] = blk;
		if (blk->protect)
			bt_protect_frame(bt, f);
	}
}

/* bt_block_at: binary search of the blocks in TC order. */
struct bt_block *bt_block_at(struct bt *bt, const uint8_t *pc)
{
	unsigned lo = 0, hi = bt->nr_blocks;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct bt_block *b = bt->by_addr[mid];
		if (pc < b->host)
			hi = mid;
		else if (pc >= b->host + b->host_len)
			lo = mid + 1;
		else
			return b;
	}
	return NULL;
}

/* bt_insn_index: last instruction whose host code starts at or before pc. */
unsigned bt_insn_index(const struct bt_block *blk, const uint8_t *pc)
{
	unsigned off = (unsigned)(pc - blk->host), i = 0;

	while (i + 1 < blk->n_insns && blk->host_off[i + 1] <= off)
		i++;
	return i;
}

/* bt_entry: the body for forward branches, the poll load otherwise. */
uint8_t *bt_entry(const struct bt_block *from, const struct bt_block *blk)
{
	return blk->eip > from->eip ? blk->host + BT_POLL_LEN : blk->host;
}

/* bt_chain: patch x's stub into "jmp rel32" to blk's entry (bt_entry). */
void bt_chain(struct bt *bt, struct bt_exit *x, struct bt_block *blk)
{
	if (x->to || !blk->valid || !x->from->valid)
		return;
	uint8_t *dest = bt_entry(x->from, blk);
	uint8_t saved[5];
	memcpy(saved, x->stub, 5);
	if (!e_patch_jmp(x->stub, dest))
		return;
	memcpy(x->saved, saved, 5);
	if (x->jcc) /* the conditional jump itself goes straight to the target */
		e_patch_jcc(x->jcc, dest);
	x->to = blk;
	x->next_in = blk->incoming;
	blk->incoming = x;
	STAT_INC(chained_exits);
}

/* bt_unpatch: give exit x its original code back. */
static void bt_unpatch(struct bt_exit *x)
{
	memcpy(x->stub, x->saved, 5);
	if (x->jcc)
		e_patch_jcc(x->jcc, x->stub);
	x->to = NULL;
}

/* bt_unchain_in: restore every stub that jumps into blk. */
static void bt_unchain_in(struct bt_block *blk)
{
	for (struct bt_exit *x = blk->incoming; x; x = x->next_in)
		bt_unpatch(x);
	blk->incoming = NULL;
}

void bt_unchain(struct bt_exit *x)
{
	if (!x->to)
		return;
	struct bt_exit **pp = &x->to->incoming;
	while (*pp && *pp != x)
		pp = &(*pp)->next_in;
	if (*pp)
		*pp = x->next_in;
	bt_unpatch(x);
}

/* bt_unchain_out: take blk's own chained exits off their targets' lists. */
static void bt_unchain_out(struct bt_block *blk)
{
	for (unsigned i = 0; i < blk->n_exits; i++)
		bt_unchain(&blk->exits[i]);
}

/* bt_unhash: remove blk from its hash chain and the indirect tables. */
static void bt_unhash(struct bt *bt, struct bt_block *blk)
{
	struct bt_block **pp = &bt->hash[bt_hash(blk->eip, blk->mode)];

	while (*pp && *pp != blk)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = blk->hash_next;
	bt_ind_drop_block(bt, blk);
}

/* bt_page_unlink: remove blk from frame f's list. */
static void bt_page_unlink(struct bt *bt, struct bt_block *blk, uint64_t f)
{
	struct bt_block **pp = &bt->page_blocks[f];

	while (*pp) {
		struct bt_block *b = *pp;
		int slot = b->frame[0] == f ? 0 : 1;
		if (b == blk) {
			*pp = b->page_next[slot];
			return;
		}
		pp = &b->page_next[slot];
	}
}

/* bt_invalidate_frame: drop the blocks of frame f, unprotect it. */
void bt_invalidate_frame(struct bt *bt, uint64_t f)
{
	if (f >= bt->nr_frames)
		return;
	while (bt->page_blocks[f]) {
		struct bt_block *blk = bt->page_blocks[f];
		blk->valid = false;
		bt_unchain_in(blk);
		bt_unchain_out(blk);
		bt_unhash(bt, blk);
		bt_page_unlink(bt, blk, blk->frame[0]);
		if (blk->frame[1] != blk->frame[0] && blk->frame[1] < bt->nr_frames)
			bt_page_unlink(bt, blk, blk->frame[1]);
	}
	if (bt->code_map[f]) {
		bt->code_map[f] = 0;
		region_protect_page(&bt->region, f << 12, PROT_READ | PROT_WRITE);
		STAT_INC(smc_invalidations);
	}
	bt->invalidated = true;
}

/* bt_flush: reset both arenas, the hash, the page lists, unprotect. */
void bt_flush(struct bt *bt)
{
	for (uint64_t f = 0; f < bt->nr_frames; f++) {
		bt->page_blocks[f] = NULL;
		if (bt->code_map[f]) {
			bt->code_map[f] = 0;
			region_protect_page(&bt->region, f << 12, PROT_READ | PROT_WRITE);
		}
	}
	memset(bt->hash, 0, sizeof(bt->hash));
	bt->nr_blocks = 0;
	tc_reset(bt);
	bt->meta_free = bt->meta;
	bt->meta_top = bt->meta_end;
	bt_xchain_reset(bt);
	bt->generation++;
	bt->invalidated = true;
	bt_ind_clear(bt);
	STAT_INC(tc_flushes);
}
