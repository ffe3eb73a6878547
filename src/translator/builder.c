/*
 * builder.c - the block builder: decode guest code with Zydis (32-bit or
 * 16-bit code, by the block's CS.D),
 * hand each instruction to bt_mangle(), record the host offset of every
 * guest instruction (the side table behind precise faults, §3.5) and end
 * the block at a branch, a callout that leaves, two pages, or
 * BT_MAX_INSNS instructions.
 *
 * With paging off, CS base + EIP is the physical address of the code; with
 * paging on, the fetch walks the guest page tables (A bits set, #PF raised
 * when the first instruction cannot be fetched) and the block records the
 * guest-physical frames its bytes came from.
 */
#include "translator/bt.h"
#include "monitor/base/trace.h"
#include "translator/emit.h" /* bt_seg_mode (mangle_mem.c) */
#include "monitor/base/stats.h"
#include "monitor/base/util.h"
#include "monitor/x86/walk.h"

#include <stdlib.h>
#include <string.h>

/* TC_MARGIN: bytes one instruction's expansion never exceeds (ENTER with 31
 * levels through a based SS is about 1.5 KiB). */
#define TC_MARGIN 4096

/* bt_mode: CS.D, SS.B, CPL, EFLAGS.VM, CR0.TS|EM, CR4.OSFXSR and TSD,
 * CR0.PG and the based DS/ES/SS/CS make the translation key (mode.h).
 * Real mode is CPL 0 with 16-bit CS and SS (as the cpu layer keeps them);
 * virtual-8086 mode is CPL 3 with BT_MODE_V86. */
uint32_t bt_mode(const struct vcpu *v)
{
	uint32_t mode = (v->seg[S_CS].attr & SEG_ATTR_DB) ? BT_MODE_CS32 : 0;

	mode |= (uint32_t)(v->cpl & 3) << BT_MODE_CPL_SHIFT;
	if (v->cr0 & (CR0_TS | CR0_EM))
		mode |= BT_MODE_FPU_TRAP;
	if (!(v->cr4 & CR4_OSFXSR))
		mode |= BT_MODE_NO_OSFXSR;
	/* which of DS/ES/SS/CS have a base: a block translated for a flat
	 * segment never runs with a based one (mangle_mem.c) */
	mode |= bt_seg_mode(v);
	if (v->cr0 & CR0_PG)
		mode |= BT_MODE_PAGING;
	if (v->cr4 & CR4_TSD)
		mode |= BT_MODE_TSD;
	if (!(v->seg[S_SS].attr & SEG_ATTR_DB))
		mode |= BT_MODE_SS16;
	if (v->eflags & EFL_VM)
		mode |= BT_MODE_V86;
	return mode;
}

/* A #PF met while fetching (raised only if the first instruction needs it). */
struct fetch_pf {
	bool hit;
	uint32_t lin, pfec;
};

/* fetch_window: host pointer to the guest code at addr and how many bytes
 * may be decoded there without leaving RAM or the block's two pages
 * (paging off: linear = physical). */
static const uint8_t *fetch_window(struct bt *bt, uint32_t start, uint32_t addr, size_t *avail)
{
	uint64_t limit = ((uint64_t)(start & ~0xfffu)) + 8192;
	uint64_t ram = bt->m->ram.size;

	if (addr >= ram || addr >= limit)
		return NULL;
	uint64_t end = MIN(limit, ram);
	*avail = MIN((uint64_t)ZYDIS_MAX_INSTRUCTION_LENGTH, end - addr);
	if (bt->v->a20_off) /* inside one MiB, which maps contiguously */
		*avail = MIN(*avail, 0x100000 - (addr & 0xfffff));
	return ram_ptr(&bt->m->ram, vcpu_a20(bt->v, addr), *avail);
}

/* bt_code_frame: frame of linear lin for an instruction fetch at the
 * vcpu's CPL (probe: sets A unless probe), or -1 with *pf filled. */
static int64_t bt_code_frame(struct bt *bt, uint32_t lin, bool probe, struct fetch_pf *pf)
{
	struct vcpu *v = bt->v;
	struct walk_result w;
	uint32_t pfec;
	unsigned flags = WALK_FETCH | (probe ? WALK_PROBE : 0) | (v->cpl == 3 ? WALK_USER : 0);

	if (!(v->cr0 & CR0_PG))
		return vcpu_a20(v, lin) >> 12;
	if (walk_guest(bt->m, v->cr0, v->cr3, v->cr4, lin, flags, &w, &pfec) < 0) {
		if (pf && !pf->hit) {
			pf->hit = true;
			pf->lin = lin;
			pf->pfec = pfec;
		}
		return -1;
	}
	if (w.large)
		bt->large_code[lin >> 22] = 1;
	return w.gpa >> 12;
}

int64_t bt_code_frame_probe(struct bt *bt, uint32_t lin)
{
	return bt_code_frame(bt, lin, true, NULL);
}

/* page_global: the translation of lin is global (probe walk). */
static bool page_global(struct bt *bt, uint32_t lin)
{
	struct vcpu *v = bt->v;
	struct walk_result w;
	uint32_t pfec;

	/* a probe of the mapping, not an access: SMEP does not apply */
	return walk_guest(bt->m, v->cr0, v->cr3, v->cr4 & ~CR4_SMEP, lin, WALK_FETCH | WALK_PROBE,
			  &w, &pfec) == 0 &&
	       w.global;
}

bool bt_block_global(struct bt *bt, const struct bt_block *blk)
{
	uint32_t lin = blk->cs_base + blk->eip;

	if (!(bt->v->cr0 & CR0_PG) || !(bt->v->cr4 & CR4_PGE) || !page_global(bt, lin))
		return false;
	return (blk->lin_last >> 12) == (lin >> 12) || page_global(bt, blk->lin_last);
}

/* fetch_paged: copy up to 15 bytes of guest code at linear addr into buf
 * through the page tables, stopping at an unmapped page, non-RAM, or the
 * block's two pages; NULL when no byte can be fetched. */
static const uint8_t *fetch_paged(struct bt *bt, uint32_t start, uint32_t addr, uint8_t *buf,
				  size_t *avail, struct fetch_pf *pf)
{
	uint64_t limit = ((uint64_t)(start & ~0xfffu)) + 8192;
	size_t want, got = 0;

	if (addr >= limit)
		return NULL;
	want = MIN((uint64_t)ZYDIS_MAX_INSTRUCTION_LENGTH, limit - addr);
	while (got < want) {
		uint32_t lin = addr + (uint32_t)got;
		int64_t f = bt_code_frame(bt, lin, false, pf);
		if (f < 0)
			break;
		size_t n = MIN(want - got, 4096 - (lin & 0xfffu));
		const uint8_t *p = ram_ptr(&bt->m->ram, ((uint64_t)f << 12) | (lin & 0xfffu), n);
		if (!p)
			break;
		memcpy(buf + got, p, n);
		got += n;
	}
	if (!got)
		return NULL;
	*avail = got;
	return buf;
}

/* new_block: block and side tables in the side arena; NULL when full. */
static struct bt_block *new_block(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base,
				  struct bt_ctx *x)
{
	struct bt_block *blk = bt_meta_alloc_low(bt, sizeof(*blk));
	/* last from the bottom: what the block does not use is given back */
	struct bt_exit *ex = bt_meta_alloc_low(bt, BT_MAX_EXITS * sizeof(struct bt_exit));

	if (!blk || !ex)
		return NULL;
	blk->eip = eip;
	blk->cs_base = cs_base;
	blk->mode = mode;
	blk->frame[0] = blk->frame[1] = (cs_base + eip) >> 12;
	blk->host = bt->tc_free;
	blk->exits = ex;
	memset(x, 0, sizeof(*x));
	blk->host_off = x->host_off;
	blk->insn_eip = x->insn_eip;
	x->bt = bt;
	x->blk = blk;
	x->exits = ex;
	x->max_exits = BT_MAX_EXITS;
	x->e.p = bt->tc_free;
	x->e.end = bt->tc_end;
	return blk;
}

/* keep_side_tables: give back the exit records the block did not use and
 * store its host offsets and guest EIPs at their exact size (they were
 * in the ctx while it was built). */
static void keep_side_tables(struct bt *bt, struct bt_block *blk)
{
	unsigned n = blk->n_insns;

	bt_meta_trim_low(bt, blk->exits + blk->n_exits);
	uint16_t *off = bt_meta_alloc_low(bt, (n + 1) * sizeof(uint16_t));
	uint32_t *ie = bt_meta_alloc_low(bt, n * sizeof(uint32_t));
	if (!off || !ie)
		die("side arena exhausted by one block"); /* 256 KiB were free */
	memcpy(off, blk->host_off, (n + 1) * sizeof(uint16_t));
	memcpy(ie, blk->insn_eip, n * sizeof(uint32_t));
	blk->host_off = off;
	blk->insn_eip = ie;
}

/* translate_insns: the decode/mangle loop; returns false with *err set if
 * the first instruction cannot be fetched. */
static bool translate_insns(struct bt *bt, struct bt_ctx *x, unsigned flags, const char **err)
{
	struct bt_block *blk = x->blk;
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	unsigned max = (flags & BT_TR_ONE) ? 1 : BT_MAX_INSNS;
	uint32_t addr = blk->eip;
	bool paging = blk->mode & BT_MODE_PAGING;
	uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	struct fetch_pf pf = {0};

	x->one = flags & BT_TR_ONE;

	bt_emit_poll(x);
	while (blk->n_insns < max) {
		size_t avail = 0;
		uint32_t start = blk->cs_base + blk->eip, lin = blk->cs_base + addr;
		const uint8_t *p = paging ? fetch_paged(bt, start, lin, buf, &avail, &pf)
					  : fetch_window(bt, start, lin, &avail);
		if (!p)
			break;
		ZyanStatus st =
		    ZydisDecoderDecodeFull(bt_decoder(bt, blk->mode), p, avail, &insn, ops);
		if (st == ZYDIS_STATUS_NO_MORE_DATA && (blk->n_insns > 0 || pf.hit))
			break;
		if ((size_t)(bt->tc_end - x->e.p) < TC_MARGIN)
			break;
		unsigned i = blk->n_insns++;
		blk->host_off[i] = (uint16_t)(i == 0 ? 0 : x->e.p - blk->host);
		blk->insn_eip[i] = addr;
		x->eip = addr;
		x->bytes = p;
		x->avail = avail;
		x->insn = &insn;
		x->ops = ops;
		x->how = HOW_COPY;
		x->why = NULL;
		if (!ZYAN_SUCCESS(st)) {
			memset(&insn, 0, sizeof(insn));
			insn.length = 1;
			insn.machine_mode = (blk->mode & BT_MODE_CS32)
						? ZYDIS_MACHINE_MODE_LEGACY_32
						: ZYDIS_MACHINE_MODE_LEGACY_16;
			x->insn = &insn;
			x->next = addr + 1;
			x->end = true;
			if (st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG)
				mangle_callout(x, SITE_GP, "longer than 15 bytes");
			else
				bt_mangle_ud(x);
		} else {
			x->next = addr + insn.length;
			bt_mangle(x);
		}
		if (bt->on_insn)
			bt->on_insn(bt->on_insn_opaque, x);
		blk->guest_len += insn.length;
		blk->lin_last = blk->cs_base + addr + insn.length - 1;
		addr = x->next;
		if (x->end || x->e.full)
			break;
	}
	if (blk->n_insns == 0) {
		*err = "instruction fetch outside RAM";
		if (pf.hit) { /* the guest's #PF, delivered by the dispatcher */
			bt->v->cr2 = pf.lin;
			bt->hooks.raise(bt->v, EXC_PF, true, pf.pfec);
		}
		return false;
	}
	int64_t f0 = bt_code_frame(bt, blk->cs_base + blk->eip, true, NULL);
	int64_t f1 = bt_code_frame(bt, blk->lin_last, true, NULL);
	blk->frame[0] = (uint32_t)f0;
	blk->frame[1] = (uint32_t)f1;
	if (x->e.full)
		die("translation cache overrun");
	return true;
}

/* bt_translate: build, finish and (unless NOCACHE) insert one block. */
struct bt_block *bt_translate(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base,
			      unsigned flags, const char **err)
{
	struct bt_ctx x;
	struct bt_block *blk;

	while (((uintptr_t)bt->tc_free & 15) && bt->tc_free < bt->tc_end)
		*bt->tc_free++ = 0xcc; /* block entries 16-byte aligned */
	if ((size_t)(bt->tc_end - bt->tc_free) < 64 * 1024 || bt_meta_room(bt) < 256 * 1024)
		bt_flush(bt);
	blk = new_block(bt, eip, mode, cs_base, &x);
	if (!blk)
		die("side arena exhausted right after a flush");
	if (!translate_insns(bt, &x, flags, err))
		return NULL;
	blk->host_off[blk->n_insns] = (uint16_t)(x.e.p - blk->host);
	if (!x.end || x.how == HOW_CALLOUT)
		bt_emit_exit(&x, x.next); /* also after a callout that may go on (CO_NEXT) */
	bt_emit_side_stubs(&x);
	if (x.e.full)
		die("translation cache overrun");
	blk->n_exits = x.n_exits;
	keep_side_tables(bt, blk);
	blk->host_len = (uint32_t)(x.e.p - blk->host);
	bt->tc_free = x.e.p;
	blk->valid = true;
	blk->cached = !(flags & BT_TR_NOCACHE);
	blk->protect = blk->cached;
	if (bt->nr_blocks == bt->cap_blocks) {
		bt->cap_blocks *= 2;
		bt->by_addr = realloc(bt->by_addr, bt->cap_blocks * sizeof(*bt->by_addr));
		if (!bt->by_addr)
			die_host("out of memory");
	}
	bt->by_addr[bt->nr_blocks++] = blk;
	if (blk->cached)
		bt_insert(bt, blk);
	if (bt->perf_map)
		fprintf(bt->perf_map, "%lx %x guest_%08x_cpl%u\n", (unsigned long)blk->host,
			blk->host_len, blk->cs_base + blk->eip, BT_MODE_CPL(blk->mode));
	STAT_INC(blocks_translated);
	STAT_ADD(insns_translated, blk->n_insns);
	STAT_ADD(tc_bytes, blk->host_len);
	TRACE(TRACE_BLOCKS, "block %08x: %u insns, %u guest bytes -> %u host bytes at %p", blk->eip,
	      blk->n_insns, blk->guest_len, blk->host_len, (void *)blk->host);
	return blk;
}
