/*
 * region.h - shadow regions: 4 GiB (+ guard page) windows of host address
 * space in which guest addresses are host offsets from the region base.
 *
 * Translated code reaches guest memory as [gs:addr32] with GS base = the
 * region base (docs/design.md §3.2, §4).  A region starts PROT_NONE; the physical
 * region (paging off) maps all of guest RAM in as few mmap() calls as the
 * RAM backing allows; everything else (MMIO holes, the guard page past
 * 4 GiB) stays PROT_NONE, so a guest access there faults and is emulated.
 */
#ifndef BT86_REGION_H
#define BT86_REGION_H

#include <stdint.h>
#include <stdbool.h>

#include "monitor/machine/ram.h"

#define REGION_SPAN  (4ull << 30) /* guest address space */
#define REGION_GUARD 4096ull	  /* one page past 4 GiB, PROT_NONE */

struct region {
	uint8_t *base;	 /* host address of guest address 0 */
	uint64_t mapped; /* bytes of guest RAM mapped from 0 */
};

/* region_create: reserve REGION_SPAN + REGION_GUARD bytes PROT_NONE;
 * -errno on failure. */
int region_create(struct region *r);
/* region_map_phys: map all of ram at guest-physical addresses [0, size),
 * read/write, through ram_backing(); -errno on failure. */
int region_map_phys(struct region *r, struct ram *ram);

/* region_map_a20: with off, each odd MiB of the region shows the even MiB
 * below it (physical address bit 20 forced to 0, the A20 gate closed);
 * without, the identity of region_map_phys again.  Protections set on the
 * remapped pages are gone.  0 or -errno. */
int region_map_a20(struct region *r, struct ram *ram, bool off);
/* region_protect_page: set the protection (PROT_*) of the 4 KiB guest page
 * holding gpa (used to write-protect translated code pages); -errno. */
int region_protect_page(struct region *r, uint64_t gpa, int prot);
/* region_addr: if host address p lies in r (guard included), store its
 * guest address in *gpa and return true. */
bool region_addr(const struct region *r, const void *p, uint64_t *gpa);
/* region_destroy: unmap the whole reservation. */
void region_destroy(struct region *r);

#endif
