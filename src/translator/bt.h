/*
 * bt.h - the binary translator's internal interfaces (docs/design.md §3).
 *
 *   builder.c   decode guest code (Zydis, 32- or 16-bit) into blocks
 *   mangle.c    one mangle function per construct, emitting host code
 *   tc.c        translation cache: arenas, lookup hash, page lists,
 *               chaining and unchaining, invalidation, flush
 *   entry.S     enter/leave translated code, the callout path
 *   fault.c     host signals in translated code -> guest state
 *   dispatch.c  the run loop, callout C side, legacy-opcode helpers
 *   bt_engine.c struct engine bt_engine wired to the cpu layer
 *
 * Register convention inside translated code: guest EAX..EDI in host
 * RAX..RDI (ESP in RSP), r12 = struct bt_cpu *, r8-r11 scratch, guest
 * arithmetic flags and DF in host RFLAGS, host GS base = region base.
 *
 * The engine core reaches the cpu layer and the machine only through
 * struct bt_hooks, so unit tests can run translated code in-process with
 * their own hooks.
 */
#ifndef BT86_BT_H
#define BT86_BT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <Zydis/Zydis.h>

#include "monitor/machine/machine.h"
#include "monitor/insn/callout.h"
#include "shadow_mmu/region.h"
#include "shadow_mmu/shadow.h"
#include "translator/bt_offsets.h"
#include "translator/mode.h"

/* The indirect-branch table: one uint32 per possible guest EIP (16 GiB of
 * reserved, lazily populated address space), holding the entry's offset in
 * the TC; 0 is the miss stub at the start of the TC.  Filled entries are
 * logged so a clear touches only them (unless the log overflowed). */
#define BT_IND_SPAN   (4ull << 32)
#define BT_IND_LOG    8192
#define BT_XHASH      4096 /* buckets of chains into global translations */
#define BT_XLHASH     256  /* buckets of chains into a space's translations */
#define BT_IND_TABLES 8	   /* contexts (mode, CS base, space) with their own table */
#define BT_MAX_INSNS  64
#define BT_MAX_SIDE   6 /* Jcc side exits per block (fall-through inline) */
#define BT_MAX_EXITS  (BT_MAX_SIDE + 2)
#define BT_HASH_SIZE  65536

/* What the signal handler asks the dispatcher to do (bt_cpu.async_kind). */
enum bt_async {
	BT_ASYNC_NONE,
	BT_ASYNC_POLL,	 /* poll page hit at a block entry */
	BT_ASYNC_EXC,	 /* deliver exception async_vector/async_err */
	BT_ASYNC_SMC,	 /* write to the running block's page: step one insn */
	BT_ASYNC_MMIO,	 /* emulate the instruction against the MMIO bus */
	BT_ASYNC_PF,	 /* guest #PF: CR2 = async_addr, error code async_err */
	BT_ASYNC_ERROR,	 /* unexpected host fault: end the run */
	BT_ASYNC_BREACH, /* a page fault outside guest memory (async_addr):
			  * translated code broke the isolation rule */
};

/* The per-vCPU block: one mmap of BTC_SIZE bytes (first page: these
 * fields; second page: the poll page). */
struct bt_cpu {
	struct vcpu *vcpu;
	uint64_t mon_rsp;
	uint64_t target;
	uint64_t exit_arg;
	uint64_t resume;
	uint32_t reason;
	uint32_t exit_eip;
	uint64_t fn_direct, fn_ind, fn_call;
	uint32_t seg_base[6];
	uint64_t ind_base;     /* r13 in translated code */
	uint64_t tc_base;      /* r14 in translated code */
	uint8_t clr_if[256];   /* byte 1 of EFLAGS with IF cleared (inline CLI) */
	uint8_t if_clear[256]; /* byte 1 of EFLAGS -> 0 if IF is set (inline STI) */
	uint64_t gs_base;      /* the host GS base: the guest view's region */
	/* below: C only */
	struct bt *bt;
	uint32_t async_kind;
	uint32_t async_vector, async_err;
	uint64_t async_addr; /* fault address (gpa) for MMIO / SMC */
	volatile int kicked;
};

_Static_assert(offsetof(struct bt_cpu, vcpu) == BTC_VCPU, "btc");
_Static_assert(offsetof(struct bt_cpu, mon_rsp) == BTC_MON_RSP, "btc");
_Static_assert(offsetof(struct bt_cpu, target) == BTC_TARGET, "btc");
_Static_assert(offsetof(struct bt_cpu, exit_arg) == BTC_EXIT_ARG, "btc");
_Static_assert(offsetof(struct bt_cpu, resume) == BTC_RESUME, "btc");
_Static_assert(offsetof(struct bt_cpu, reason) == BTC_REASON, "btc");
_Static_assert(offsetof(struct bt_cpu, exit_eip) == BTC_EXIT_EIP, "btc");
_Static_assert(offsetof(struct bt_cpu, fn_direct) == BTC_FN_DIRECT, "btc");
_Static_assert(offsetof(struct bt_cpu, fn_ind) == BTC_FN_IND, "btc");
_Static_assert(offsetof(struct bt_cpu, fn_call) == BTC_FN_CALL, "btc");
_Static_assert(offsetof(struct bt_cpu, seg_base) == BTC_SEG_BASE, "btc");
_Static_assert(offsetof(struct bt_cpu, ind_base) == BTC_IND_BASE, "btc");
_Static_assert(offsetof(struct bt_cpu, tc_base) == BTC_TC_BASE, "btc");
_Static_assert(offsetof(struct bt_cpu, clr_if) == BTC_CLR_IF, "btc");
_Static_assert(offsetof(struct bt_cpu, if_clear) == BTC_IF_CLEAR, "btc");
_Static_assert(offsetof(struct bt_cpu, gs_base) == BTC_GS_BASE, "btc");
_Static_assert(sizeof(struct bt_cpu) <= 4096, "btc");
_Static_assert(offsetof(struct vcpu, gpr) == VCPU_GPR, "vcpu");
_Static_assert(offsetof(struct vcpu, eflags) == VCPU_EFLAGS, "vcpu");
_Static_assert(offsetof(struct vcpu, fxsave) == VCPU_FX, "vcpu");

struct bt_block;
struct bt_ctx;

/* A direct exit stub: "movabs r11, &exit; jmp [r12+BTC_FN_DIRECT]"; the
 * first 5 bytes become "jmp rel32" when chained. */
struct bt_exit {
	uint32_t target;	    /* guest EIP */
	uint8_t *stub;		    /* host address of the stub */
	struct bt_block *from, *to; /* to: chained target or NULL */
	struct bt_exit *next_in;    /* list of exits chained into `to` */
	uint8_t saved[5];	    /* original stub bytes while chained */
	uint8_t *jcc;		    /* if set: a "jcc rel32" to this stub; chaining
				     * retargets its rel32 instead of the stub */
	struct bt_exit *next_x;	    /* on a cross-page chain list (xchain.c) */
	struct bt_exit **pprev_x;   /* the link that points at it there */
	bool xlisted;		    /* on such a list now */
	bool global;		    /* the target's pages were global when chained */
	int8_t space;		    /* the shadow's space it was chained in, -1: none */
	struct bt_block *park_to;   /* parked (its space not current): the target */
};

/* How a callout site is executed. */
enum bt_site_kind {
	SITE_EXEC,   /* hooks->exec (callout_exec): privileged, sensitive,
		      * opcodes 64-bit mode lost (DAA & co) */
	SITE_UD,     /* raise #UD (undecodable or invalid here) */
	SITE_GP,     /* raise #GP(0) (longer than 15 bytes) */
	SITE_UNSUPP, /* not supported yet: end the run with a message */
};

struct bt_site {
	uint8_t kind;
	const char *why;
	uint64_t count;
	struct callout_site s; /* passed to callout_exec; last: only its
				* insn.operand_count operands are stored */
};

/* A translated block.  Blocks live in the TC arena in increasing address
 * order, their metadata in the side arena; both are reset by a flush. */
struct bt_block {
	uint32_t eip;	   /* guest EIP (offset in CS) of the first byte */
	uint32_t cs_base;  /* CS base it was translated under (part of the key) */
	uint32_t mode;	   /* translation mode bits (bt_mode) */
	uint32_t frame[2]; /* guest frames holding its bytes (may be equal);
			    * paging is off: frame = linear >> 12 */
	uint32_t guest_len;
	uint32_t lin_last; /* linear address of its last byte (CS base added) */
	uint8_t *host;	   /* entry: the poll load; host + BT_POLL_LEN: the body,
			    * entered by chained forward branches (no poll) */
	uint32_t host_len;
	uint16_t n_insns;
	bool valid, cached, protect;
	uint16_t *host_off; /* n_insns+1 host offsets (last: end of body) */
	uint32_t *insn_eip; /* n_insns guest EIPs */
	struct bt_exit *exits;
	unsigned n_exits;
	struct bt_exit *incoming; /* exits chained into this block */
	struct bt_block *hash_next;
	struct bt_block *page_next[2];
};

/* The functions the engine core calls outside itself to run instructions
 * and service the machine (the instruction table, insn.h, it reads
 * directly: it decides translation, not execution). */
struct bt_hooks {
	enum callout_result (*exec)(struct vcpu *v, const struct callout_site *s);
	bool (*needed)(const ZydisDecodedInstruction *insn, bool fpu_trap, const char **why);
	int (*raise)(struct vcpu *v, int vector, bool has_err, uint32_t err);
	void (*deliver_pending)(struct vcpu *v);
	bool (*check_interrupts)(struct vcpu *v);
	bool (*intr_pending)(struct machine *m);
	void (*service)(struct machine *m);
	void (*wait)(struct machine *m);
	/* HLT with IF=0: nothing can wake the CPU (machine_halt_dead) */
	void (*halt_dead)(struct machine *m);
};

/* Time and callout accounting (rdtsc ticks). */
struct bt_times {
	uint64_t in_tc, in_callout, start;
	uint64_t in_translate; /* ticks spent in bt_translate */
	uint64_t in_fill;      /* ticks in shadow_fault calls that filled */
	uint64_t fills;	       /* and how many */
	uint64_t translated;   /* blocks translated by the dispatcher */
	uint64_t start_ns;     /* CLOCK_MONOTONIC at start (ticks -> time) */
	uint64_t callouts_by_mnemonic[ZYDIS_MNEMONIC_MAX_VALUE + 1];
};

/* One indirect-branch table (ind.c): EIP -> TC offset for one context. */
struct bt_ind_table {
	uint32_t *t;		  /* BT_IND_SPAN bytes, populated lazily */
	uint32_t mode, cs_base;	  /* the context: blocks looked up under this key */
	int space;		  /* and, for user code, the shadow's space (-1: any) */
	bool used;		  /* holds a context */
	unsigned gen;		  /* bt->ind_gen when last emptied */
	uint64_t stamp;		  /* last selected */
	uint32_t log[BT_IND_LOG]; /* indices filled since it was emptied */
	unsigned log_n;		  /* > BT_IND_LOG: overflowed */
	uint64_t *pages;	  /* bit per 4 KiB of EIPs: may hold entries */
	bool nonglobal;		  /* holds a block from a page that is not global */
};

/* The engine state of one machine. */
struct bt {
	struct machine *m;
	struct vcpu *v;
	struct bt_cpu *cpu;
	struct bt_hooks hooks;
	struct region region; /* the physical region (paging off) */
	struct shadow shadow; /* the views of the current address space */
	uint8_t *gs_cur;      /* region base the GS base holds now */
	uint32_t pg_cr3;      /* paging state the shadow was filled under */
	uint32_t pg_key;      /* CR0.PG/WP, CR4.PSE/PGE of that state */
	/* translation cache and side arena */
	uint8_t *tc, *tc_end, *tc_free;
	/* the side arena: blocks and their tables from the bottom (meta_free
	 * up), callout sites from the top (meta_top down) */
	uint8_t *meta, *meta_end, *meta_free, *meta_top;
	unsigned generation; /* bumped by each flush */
	struct bt_block *hash[BT_HASH_SIZE];
	struct bt_block **by_addr; /* blocks in TC order, for host PC lookup */
	unsigned nr_blocks, cap_blocks;
	struct bt_block **page_blocks; /* per RAM frame */
	uint64_t nr_frames;
	uint8_t *code_map; /* per RAM frame: holds translated code (== shadow.code_map) */
	bool invalidated;  /* set by invalidation, cleared by the dispatcher */
	bool step_one;	   /* next: one uncached instruction (SMC) */
	enum callout_result co_result; /* of the last callout that left */
	uint32_t *ind;		       /* the current indirect table (== ind_cur->t) */
	struct bt_ind_table ind_tab[BT_IND_TABLES];
	struct bt_ind_table *ind_cur;
	unsigned ind_gen;   /* tables filled under an older one are stale */
	uint64_t ind_stamp; /* selections, for LRU */
	uint32_t cur_mode;
	/* per 4 MiB of linear space: code was fetched there from a 4 MiB page
	 * (an INVLPG there drops the whole large page's translations) */
	uint8_t large_code[1024];
	/* exits chained across guest pages with paging on (xchain.c): into
	 * translations that are not global, and into global ones, both hashed
	 * by the target's first page */
	struct bt_exit *xlocal[BT_XLHASH];
	struct bt_exit *xglobal[BT_XHASH];
	struct bt_exit *xparked[SHADOW_SPACES][BT_XLHASH]; /* xlocal of spaces not current */
	ZydisDecoder dec;				   /* 32-bit code segments */
	ZydisDecoder dec16; /* 16-bit code segments (real, vm86, 16-bit protected) */
	struct bt_times t;
	void *altstack;
	FILE *perf_map; /* --perf-map: one line per translated block */
	/* on_insn: if set, called after each guest instruction is mangled
	 * (the xlat listing records how it was translated). */
	void (*on_insn)(void *opaque, const struct bt_ctx *x);
	void *on_insn_opaque;
};

/* --- tc.c ---------------------------------------------------------------- */
/* bt_tc_init / bt_tc_destroy: arenas and tables for m; -errno. */
int bt_tc_init(struct bt *bt, size_t tc_size, size_t meta_size);
void bt_tc_destroy(struct bt *bt);
/* bt_meta_alloc: zeroed side-arena memory from its top (callout sites),
 * NULL when full. */
void *bt_meta_alloc(struct bt *bt, size_t size);
/* bt_meta_alloc_low: the same from the bottom (a block and its tables);
 * bt_meta_trim_low: give back everything from end on, which must lie in
 * the bottom allocation made last. */
void *bt_meta_alloc_low(struct bt *bt, size_t size);
void bt_meta_trim_low(struct bt *bt, void *end);
/* bt_meta_room: bytes left in the side arena. */
static inline size_t bt_meta_room(const struct bt *bt)
{
	return (size_t)(bt->meta_top - bt->meta_free);
}
/* bt_lookup: the valid cached block for (eip, mode, cs_base), or NULL. */
struct bt_block *bt_lookup(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base);
/* bt_insert: make blk findable (hash, page lists, write protection). */
void bt_insert(struct bt *bt, struct bt_block *blk);
/* bt_lookup_paged: bt_lookup for paging on: also the block's bytes must
 * still be at the guest-physical frames it was translated from under the
 * vcpu's current page tables (probe walks, no A/D). */
struct bt_block *bt_lookup_paged(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base);
/* bt_block_at: the block whose host code contains pc, or NULL. */
struct bt_block *bt_block_at(struct bt *bt, const uint8_t *pc);
/* bt_rep_string_at: the host instruction at pc is the REP MOVS/STOS of an
 * inline guest REP (mangle_string.c; *movs: a MOVS, RSI is a host pointer
 * too).  Nothing else in translated code is a host REP string op. */
bool bt_rep_string_at(const uint8_t *pc, bool *movs);
/* bt_insn_index: index of the guest instruction of blk containing pc. */
unsigned bt_insn_index(const struct bt_block *blk, const uint8_t *pc);
/* bt_chain: patch exit x to jump straight to blk. */
void bt_chain(struct bt *bt, struct bt_exit *x, struct bt_block *blk);
/* bt_unchain: exit x goes back to its stub (off its target's list). */
void bt_unchain(struct bt_exit *x);
/* bt_invalidate_frame: drop every block with bytes in guest frame f. */
void bt_invalidate_frame(struct bt *bt, uint64_t frame);
/* bt_flush: drop every translation. */
void bt_flush(struct bt *bt);
/* --- xchain.c ------------------------------------------------------------ */
/* bt_chain_xpage: like bt_chain, for an exit whose target is not on the
 * linear page its block starts on (paging on): undone by the next change
 * of the target's mapping (global: the target's pages are global
 * translations, which survive a CR3 write). */
void bt_chain_xpage(struct bt *bt, struct bt_exit *x, struct bt_block *blk, bool global);
/* bt_xchain_reset: forget every list (a TC flush). */
void bt_xchain_reset(struct bt *bt);
/* bt_mapping_changed: the guest's whole linear->physical mapping changed
 * (paging mode): empty the indirect tables, unchain every exit chained
 * across pages. */
void bt_mapping_changed(struct bt *bt);
/* bt_page_remapped: the linear page holding lin may map another frame
 * (INVLPG): drop only what was checked against that page. */
void bt_page_remapped(struct bt *bt, uint32_t lin);
/* bt_space_switched: a CR3 write (the paging mode unchanged): what relies
 * on translations that are not global goes (indirect tables holding such
 * blocks, cross-page chains into them); global ones stay, as a TLB keeps
 * global entries across a CR3 write. */
void bt_space_switched(struct bt *bt);
/* bt_xchain_remapped / bt_xchain_space_gone: the shadow's callbacks for
 * the chains parked with a space (see bt_ind_remapped). */
void bt_xchain_remapped(struct bt *bt, unsigned space, uint32_t lin_page, uint32_t npages);
void bt_xchain_space_gone(struct bt *bt, unsigned space);
/* --- ind.c --------------------------------------------------------------- */
/* bt_ind_init / bt_ind_destroy: reserve / release the tables; -errno. */
int bt_ind_init(struct bt *bt);
void bt_ind_destroy(struct bt *bt);
/* bt_ind_select: make the table of context (mode, cs_base) current (r13
 * of the next entry), taking over the least recently used one if none
 * has it; a stale table is emptied first. */
void bt_ind_select(struct bt *bt, uint32_t mode, uint32_t cs_base);
/* bt_ind_remapped / bt_ind_space_gone: the shadow's callbacks (on_remap,
 * on_space_gone): the tables of that space drop the entries of that page
 * (and of the page before, for blocks spanning two), or all of theirs. */
void bt_ind_remapped(void *bt, unsigned space, uint32_t lin_page, uint32_t npages);
void bt_ind_space_gone(void *bt, unsigned space);
/* bt_ind_clear: every table misses (the current one now, the others when
 * next selected). */
void bt_ind_clear(struct bt *bt);
/* bt_ind_set: indirect branches to guest eip go straight to blk (current
 * context); global: blk's pages are global translations. */
void bt_ind_set(struct bt *bt, uint32_t eip, struct bt_block *blk, bool global);
/* bt_ind_drop_block: no table points at blk any more. */
void bt_ind_drop_block(struct bt *bt, const struct bt_block *blk);
/* bt_ind_drop_nonglobal: tables that hold a block from a page that is not
 * global miss (the current one now, the others when next selected). */
void bt_ind_drop_nonglobal(struct bt *bt);
/* bt_ind_drop_pages: entries for EIPs on npages linear pages from lin
 * miss, in every table. */
void bt_ind_drop_pages(struct bt *bt, uint32_t lin, uint32_t npages);
/* bt_entry: where an exit of block `from` enters blk: its body (no poll)
 * for a forward branch (blk->eip > from->eip), else the poll load.  Every
 * cycle of chained blocks has a non-forward edge, so every loop polls. */
uint8_t *bt_entry(const struct bt_block *from, const struct bt_block *blk);

/* --- builder.c ----------------------------------------------------------- */
#define BT_TR_ONE     1u /* translate a single instruction */
#define BT_TR_NOCACHE 2u /* one-off: not cached, page not protected */
/* bt_translate: translate the block at guest eip under mode; NULL with
 * *err set to a message when the first instruction cannot be fetched.
 * Flushes the TC when full. */
struct bt_block *bt_translate(struct bt *bt, uint32_t eip, uint32_t mode, uint32_t cs_base,
			      unsigned flags, const char **err);
/* bt_code_frame_probe: the guest-physical frame an instruction fetch at
 * linear lin reaches now (paging off: lin >> 12), without setting A; -1
 * when the fetch would fault.  The one code-frame lookup (builder.c). */
int64_t bt_code_frame_probe(struct bt *bt, uint32_t lin);
/* bt_block_global: blk's pages are global translations now (G set in the
 * leaf entry and CR4.PGE): they survive a CR3 write, as in a TLB. */
bool bt_block_global(struct bt *bt, const struct bt_block *blk);
/* bt_mode: the mode bits of the current vcpu state (translation key). */
uint32_t bt_mode(const struct vcpu *v);
/* bt_decoder: the decoder for code translated under mode (CS.D). */
static inline ZydisDecoder *bt_decoder(struct bt *bt, uint32_t mode)
{
	return (mode & BT_MODE_CS32) ? &bt->dec : &bt->dec16;
}

/* --- mangle.c ------------------------------------------------------------ */
struct bt_emit {
	uint8_t *p, *end;
	bool full;
};
/* What the translation of one instruction turned out to be (for xlat). */
enum bt_how { HOW_COPY, HOW_REWRITE, HOW_BRANCH, HOW_CALLOUT };
struct bt_ctx {
	struct bt *bt;
	struct bt_block *blk;
	struct bt_emit e;
	uint32_t eip, next; /* this instruction and the next */
	const uint8_t *bytes;
	size_t avail; /* bytes readable at bytes */
	const ZydisDecodedInstruction *insn;
	const ZydisDecodedOperand *ops;
	bool end; /* the block ends after this instruction */
	enum bt_how how;
	const char *why;
	struct bt_exit *exits; /* exit records of the block being built */
	unsigned n_exits, max_exits;
	/* side exits: a Jcc inside the block ("jcc rel32" at pend_jcc[i], to
	 * guest pend_target[i]); their stubs follow the block's body */
	uint8_t *pend_jcc[BT_MAX_SIDE];
	uint32_t pend_target[BT_MAX_SIDE];
	unsigned n_pend;
	bool one; /* single-instruction translation: no side exits */
	/* the block's side tables while it is built; copied to their exact
	 * size in the side arena when it is done */
	uint16_t host_off[BT_MAX_INSNS + 1];
	uint32_t insn_eip[BT_MAX_INSNS];
};
/* bt_mangle: emit the host code of the current instruction of ctx. */
void bt_mangle(struct bt_ctx *x);
/* bt_mangle_ud: emit a #UD callout for undecodable bytes. */
void bt_mangle_ud(struct bt_ctx *x);
/* bt_emit_exit: emit a direct exit stub to guest eip. */
void bt_emit_exit(struct bt_ctx *x, uint32_t target);
/* bt_emit_poll: the block-entry poll load. */
void bt_emit_poll(struct bt_ctx *x);
/* bt_emit_side_stubs: the exit stubs of the block's side exits, after its
 * body; each Jcc is pointed at its stub. */
void bt_emit_side_stubs(struct bt_ctx *x);

/* --- fault.c ------------------------------------------------------------- */
/* bt_fault_install: SIGSEGV/SIGBUS/SIGFPE/SIGILL handlers (SA_ONSTACK). */
int bt_fault_install(struct bt *bt);
/* bt_fault_thread_init: sigaltstack and signal mask for the vCPU thread. */
int bt_fault_thread_init(struct bt *bt);
/* bt_fault_forget: forget bt on this thread (before freeing it). */
void bt_fault_forget(struct bt *bt);

/* --- dispatch.c ---------------------------------------------------------- */
/* bt_create: engine state for m with hooks; -errno (message printed). */
int bt_create(struct machine *m, const struct bt_hooks *hooks, struct bt **out);
void bt_destroy(struct bt *bt);
/* bt_run: the dispatcher loop, until m->exit.reason != EXIT_NONE. */
void bt_run(struct bt *bt);
/* bt_set_gs_base: host GS base = the base of the region the vcpu's state
 * selects (bt_gs_region) on this thread, if it is not already. */
void bt_set_gs_base(struct bt *bt);
/* bt_gs_region: the physical region with paging off, else the supervisor
 * or user view of the shadow (CPL 3). */
uint8_t *bt_gs_region(struct bt *bt);
/* bt_paging_sync: flush the shadow and the indirect table if CR3 or the
 * paging mode bits changed since the last fill (however they changed). */
void bt_paging_sync(struct bt *bt);
/* bt_paging_mark: record the vcpu's paging state as the one the shadow
 * was flushed for (after an engine hook flushed it). */
void bt_paging_mark(struct bt *bt);
/* bt_kick: from any thread: stop translated code at the next block entry. */
void bt_kick(struct bt *bt);
/* bt_stop: machine_request_exit from the engine (first reason wins). */
void bt_stop(struct machine *m, enum exit_reason r, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* bt_print_stats: translator statistics. */
void bt_print_stats(struct bt *bt, FILE *f);
/* bt_callout_c: called by entry.S on a callout; 0 = resume inline. */
int bt_callout_c(struct bt_cpu *c);

/* --- entry.S ------------------------------------------------------------- */
/* bt_enter: run translated code at host_pc until it exits (c->reason). */
void bt_enter(struct bt_cpu *c, void *host_pc);
extern char bt_exit_direct[], bt_exit_indirect[], bt_callout_entry[], bt_exit_async[];

static inline uint64_t bt_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
