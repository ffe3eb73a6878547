/*
 * shadow.h - the shadow MMU (docs/design.md §4): the host MMU as the shadow page
 * table of a paging guest.
 *
 * One shadow holds two regions for the current address space (CR3): the
 * supervisor view (CPL 0-2) and the user view (CPL 3).  Both start
 * PROT_NONE.  A host fault in a view is a hidden fault: shadow_fault()
 * walks the guest page tables (walk.c, which sets A/D) and either fills the
 * 4 KiB page with an mmap(MAP_SHARED|MAP_FIXED) of the guest frame from the
 * RAM memfd, with the protection the guest allows in that view, or reports
 * the guest #PF.  A page is mapped read-only until its D bit is set, and
 * read-only while its frame holds translated code (shadow.code_map).
 *
 * Every filled page is an entry in a fixed pool (the "filled list"), found
 * from its linear page (per view) and from its frame (the reverse map), so
 * flushes touch only filled pages and a frame that becomes code is
 * downgraded in every view that maps it.  The pool size is the mapping
 * budget: when it is full the shadow is flushed (evicted) instead of
 * growing past the kernel's vm.max_map_count.
 */
#ifndef BT86_SHADOW_H
#define BT86_SHADOW_H

#include <stdint.h>
#include <stdbool.h>

#include "shadow_mmu/region.h"

struct machine;

#define SHADOW_SUP	   0
#define SHADOW_USER	   1
#define SHADOW_BUDGET	   16384 /* filled pages, both views together */
#define SHADOW_FLUSH_PAGES 64	 /* above this, a flush remaps whole regions */

struct shadow_entry {
	uint32_t lin_page; /* linear address >> 12 */
	uint32_t frame;	   /* guest-physical frame */
	int32_t rmap_next; /* next entry mapping the same frame, -1 = end */
	uint8_t view;	   /* SHADOW_SUP or SHADOW_USER */
	bool live, global, writable;
	bool large; /* filled from a 4 MiB page */
};

struct shadow {
	struct machine *m;
	/* One byte per RAM frame, non-zero while the frame holds translated
	 * code (the translator's map; NULL: none): such frames are never
	 * mapped writable. */
	const uint8_t *code_map;
	struct region view[2];
	uint32_t *slot[2]; /* per view, lin_page -> entry index + 1 (0: none) */
	int32_t *rmap;	   /* per RAM frame: first entry, -1 = none */
	uint64_t nr_frames;
	struct shadow_entry *pool;
	unsigned budget;   /* pool size */
	unsigned n_used;   /* entries handed out from the pool's top */
	unsigned n_live;   /* live entries */
	unsigned n_large;  /* live entries filled from 4 MiB pages */
	int32_t free_head; /* recycled entries, -1 = none */
};

/* What shadow_fault() found. */
enum shadow_result {
	SHADOW_FILLED, /* the page is mapped now: retry the access */
	SHADOW_PF,     /* guest #PF: *pfec holds the error code, CR2 = lin */
	SHADOW_MMIO,   /* the frame is not RAM: *gpa, emulate the access */
	SHADOW_CODE,   /* a write to a code frame (*gpa): invalidate first */
};

/* shadow_init: reserve both views; budget = pool size (0: SHADOW_BUDGET).
 * -errno on failure. */
int shadow_init(struct shadow *s, struct machine *m, unsigned budget);
/* shadow_destroy: unmap everything shadow_init made. */
void shadow_destroy(struct shadow *s);
/* shadow_view_of: the view a linear address inside one of s's regions
 * belongs to (its linear address in *lin), or -1. */
int shadow_view_of(const struct shadow *s, const void *p, uint64_t *lin);
/* shadow_fault: a host fault at linear address lin in view (write: the
 * access was a write) under the vcpu's paging state (cr0, cr3, cr4).
 * Fills the page or says why not (enum shadow_result). */
enum shadow_result shadow_fault(struct shadow *s, int view, uint32_t lin, bool write, uint32_t cr0,
				uint32_t cr3, uint32_t cr4, uint32_t *pfec, uint32_t *gpa);
/* shadow_invlpg: drop the page holding lin from both views; when lin lies
 * in a 4 MiB guest page, every 4 KiB piece of it that was filled. */
void shadow_invlpg(struct shadow *s, uint32_t lin);
/* shadow_flush: drop every filled page (keep_global: but the global ones). */
void shadow_flush(struct shadow *s, bool keep_global);
/* shadow_protect_frame: frame f now holds code: make every writable
 * mapping of it read-only. */
void shadow_protect_frame(struct shadow *s, uint64_t f);

#endif
