/*
 * shadow.h - the shadow MMU (docs/design.md §4, docs/shadow_mmu.md): the host
 * MMU as the shadow page table of a paging guest.
 *
 * The shadow keeps up to SHADOW_SPACES guest address spaces, one per page
 * directory (CR3), each with two regions: the supervisor view (CPL 0-2)
 * and the user view (CPL 3).  A CR3 write switches to the space of that
 * page directory (shadow_switch), which keeps what it had filled: the
 * switch costs a GS base change, not a refill.  Both views start PROT_NONE.
 * A host fault in a view is a hidden fault: shadow_fault() walks the guest
 * page tables (walk.c, which sets A/D) and either fills the 4 KiB page with
 * an mmap(MAP_SHARED|MAP_FIXED) of the guest frame from the RAM memfd, with
 * the protection the guest allows in that view, or reports the guest #PF.
 * A page is mapped read-only until its D bit is set, and read-only while
 * its frame holds translated code (shadow.code_map).
 *
 * Cached spaces stay right by comparison (shadow_sync.c): every page
 * directory and page table a space filled through has a snapshot of its
 * entries as they were when used.  Before a space runs again (every CR3
 * write), its page directory and tables are compared with their snapshots
 * and the pages derived from entries that changed are dropped, in every
 * space that used them.  Writes the monitor makes (walker A/D bits, string
 * callouts) are compared as they happen (shadow_note_write).  Within the
 * running space the guest's own INVLPG and CR3 writes are what make a
 * changed entry take effect, as with a TLB.
 *
 * Every filled page is an entry in a fixed pool (the "filled list"), found
 * from its linear page (per space and view) and from its frame (the reverse
 * map), so flushes touch only filled pages and a frame that becomes code
 * is downgraded everywhere it is mapped.  The pool size is the mapping
 * budget: when it is spent, the least recently used other space is evicted
 * (or the current one flushed) instead of growing past vm.max_map_count.
 */
#ifndef BT86_SHADOW_H
#define BT86_SHADOW_H

#include <stdint.h>
#include <stdbool.h>

#include "shadow_mmu/region.h"

struct machine;

#define SHADOW_SUP	   0
#define SHADOW_USER	   1
#define SHADOW_BUDGET	   16384 /* filled pages, all spaces and views together */
#define SHADOW_FLUSH_PAGES 64	 /* above this, a flush remaps whole regions */
#define SHADOW_SPACES	   16	 /* address spaces kept */
#define SHADOW_PT_USERS	   32	 /* (space, PDE) users of one page table */
#define SHADOW_WHOLE	   256	 /* large pages mapped whole, all spaces */

struct shadow_entry {
	uint32_t lin_page; /* linear address >> 12 */
	uint32_t frame;	   /* guest-physical frame */
	int32_t rmap_next; /* next entry mapping the same frame, -1 = end */
	uint8_t space;	   /* index in shadow.space[] */
	uint8_t view;	   /* SHADOW_SUP or SHADOW_USER */
	bool live, global, writable;
	bool large;	/* filled from a large page (4 MiB, or 2 MiB under PAE) */
	uint16_t whole; /* a large page in one mapping: its 4 KiB pages (1024 or
			 * 512), lin_page its first; 0 otherwise */
};

/* Per PDE of a space: where its filled pages came from. */
#define SPACE_PDE_NONE	0u	    /* nothing filled through it */
#define SPACE_PDE_LARGE 0xffffffffu /* a 4 MiB page */
/* otherwise: the page table's frame + 1 */

/* One guest address space: a page directory and its two views. */
struct shadow_space {
	bool live;
	uint32_t pd; /* page-directory frame (CR3 >> 12) */
	struct region view[2];
	uint32_t *slot[2];	/* per view, lin_page -> entry index + 1 (0: none) */
	unsigned n_live;	/* live entries */
	uint64_t stamp;		/* last switched to (LRU) */
	uint32_t pde[1024];	/* SPACE_PDE_* per PDE */
	uint32_t pd_snap[1024]; /* the PDEs its fills used, as they were */
};

/* A page table some space filled through, with the snapshot of its
 * entries (shadow_sync.c). */
struct shadow_pt {
	uint32_t frame;
	uint32_t sync_mark; /* last sync pass that compared it */
	unsigned n_users;
	struct {
		uint8_t space;
		uint16_t pdi;
	} users[SHADOW_PT_USERS];
	uint32_t snap[1024];
};

struct shadow {
	struct machine *m;
	/* One byte per RAM frame, non-zero while the frame holds translated
	 * code (the translator's map; NULL: none): such frames are never
	 * mapped writable. */
	const uint8_t *code_map;
	/* The engine's view of what changed (may be NULL): npages pages from
	 * lin_page of space changed their translation, or the space is gone
	 * (emptied for another page directory, or a paging mode change). */
	void (*on_remap)(void *opaque, unsigned space, uint32_t lin_page, uint32_t npages);
	void (*on_space_gone)(void *opaque, unsigned space);
	void *cb_opaque;
	struct shadow_space space[SHADOW_SPACES];
	struct shadow_space *cur; /* the space of the current CR3 */
	struct region *view;	  /* == cur->view */
	uint32_t **slot;	  /* == cur->slot */
	uint64_t stamp;
	int32_t *rmap; /* per RAM frame: first entry, -1 = none */
	uint64_t nr_frames;
	struct shadow_entry *pool;
	unsigned budget;	     /* pool size */
	unsigned n_used;	     /* entries handed out from the pool's top */
	unsigned n_live;	     /* live entries, all spaces */
	unsigned n_large;	     /* live 4 KiB pieces of large pages (not mapped whole) */
	int32_t free_head;	     /* recycled entries, -1 = none */
	bool out_of_maps;	     /* an mmap failed: make room at the next fault */
	int32_t whole[SHADOW_WHOLE]; /* entries of large pages mapped whole */
	unsigned n_whole;
	/* page tables with snapshots (shadow_sync.c) */
	struct shadow_pt **pt_of; /* per RAM frame: its record, or NULL */
	uint8_t *traced;	  /* per RAM frame: 1 page table, 2 page directory */
	uint32_t sync_mark;
};

/* What shadow_fault() found. */
enum shadow_result {
	SHADOW_FILLED, /* the page is mapped now: retry the access */
	SHADOW_PF,     /* guest #PF: *pfec holds the error code, CR2 = lin */
	SHADOW_MMIO,   /* the frame is not RAM: *gpa, emulate the access */
	SHADOW_CODE,   /* a write to a code frame (*gpa): invalidate first */
};

/* shadow_init: reserve the spaces' views lazily, the pool and the maps;
 * budget = pool size (0: SHADOW_BUDGET).  The current space is that of
 * page directory 0 until shadow_switch.  -errno on failure. */
int shadow_init(struct shadow *s, struct machine *m, unsigned budget);
/* shadow_destroy: unmap everything shadow_init made. */
void shadow_destroy(struct shadow *s);
/* shadow_view_of: the view of the current space a host address lies in
 * (its linear address in *lin), or -1. */
int shadow_view_of(const struct shadow *s, const void *p, uint64_t *lin);
/* shadow_fault: a host fault at linear address lin in view (write: the
 * access was a write) of the current space under the vcpu's paging state
 * (cr0, cr3, cr4).  Fills the page or says why not (enum shadow_result). */
enum shadow_result shadow_fault(struct shadow *s, int view, uint32_t lin, bool write, uint32_t cr0,
				uint32_t cr3, uint32_t cr4, uint32_t *pfec, uint32_t *gpa);
/* shadow_switch: CR3 now holds cr3: make its space current (kept, created,
 * or taking over the least recently used one) and bring it up to date
 * with the guest's page tables.  Returns false when it had to start empty
 * (a new or evicted space). */
bool shadow_switch(struct shadow *s, uint32_t cr3);
/* shadow_invlpg: drop the page holding lin from both views of the current
 * space (when lin lies in a large guest page, all of it), and global
 * copies of it from every other space. */
void shadow_invlpg(struct shadow *s, uint32_t lin);
/* shadow_flush: drop every filled page of the current space (keep_global:
 * but the global ones); the engine uses shadow_switch and shadow_reset,
 * this is for tests and tools. */
void shadow_flush(struct shadow *s, bool keep_global);
/* shadow_reset: drop every space (a paging mode change: CR0.PG/WP,
 * CR4.PSE/PGE/PAE). */
void shadow_reset(struct shadow *s);
/* shadow_protect_frame: frame f now holds code: make every writable
 * mapping of it read-only, in every space. */
void shadow_protect_frame(struct shadow *s, uint64_t f);
/* shadow_space_id: the current space's index, or -1 when spaces are not
 * kept (PAE, paging off). */
int shadow_space_id(const struct shadow *s);
/* shadow_track: the engine relies on the translation of lin in the
 * current space (code it runs from there): register it with the sync like
 * a fill, so a change of it reaches on_remap.  Probe walk, no A/D. */
void shadow_track(struct shadow *s, uint32_t lin);
/* shadow_note_write: the monitor wrote guest RAM [gpa, gpa+len) (walker
 * A/D bits, callouts): entries of page tables and directories there are
 * compared with their snapshots now. */
void shadow_note_write(struct shadow *s, uint64_t gpa, uint64_t len);

/* --- shadow.c, for shadow_sync.c ----------------------------------------- */
/* shadow_drop_page: a guest entry changed: drop (space sp, both views) the
 * page at lin_page, unless it is global (a global translation outlives a
 * change of the paging structures until INVLPG or a CR4.PGE change, as in
 * a TLB). */
void shadow_drop_page(struct shadow *s, struct shadow_space *sp, uint32_t lin_page);
/* shadow_drop_range: shadow_drop_page for every page of sp in the 4 MiB
 * of PDE pdi. */
void shadow_drop_range(struct shadow *s, struct shadow_space *sp, unsigned pdi);

/* --- shadow_sync.c ------------------------------------------------------- */
/* sync_init / sync_destroy: the per-frame maps; -errno. */
int sync_init(struct shadow *s);
void sync_destroy(struct shadow *s);
/* sync_space: compare sp's page directory and every page table it filled
 * through with their snapshots; drop what changed (in every space). */
void sync_space(struct shadow *s, struct shadow_space *sp);
/* sync_fill: before filling lin in sp through the walk's entries (pde_gpa,
 * pte_gpa; large: a 4 MiB page): adopt the PDE and PTE as they are now,
 * dropping pages derived from older values, and register sp as a user of
 * the page table. */
void sync_fill(struct shadow *s, struct shadow_space *sp, uint32_t lin, uint32_t pte_gpa,
	       bool large);
/* sync_space_gone: sp is emptied: forget it in every page table's users. */
void sync_space_gone(struct shadow *s, struct shadow_space *sp);
/* sync_pde_gone: sp no longer fills through PDE pdi (its range dropped). */
void sync_pde_gone(struct shadow *s, struct shadow_space *sp, unsigned pdi);

#endif
