/*
 * walk.h - the guest page walker: 32-bit paging with 4 KiB pages and, when
 * CR4.PSE is set, 4 MiB pages; with CR4.PAE, PAE paging (the four PDPTEs
 * loaded by the last CR3 load, 2 MiB and 4 KiB pages, 8-byte entries,
 * execute-disable with EFER.NXE: a fetch from an XD page is a #PF with the
 * I bit), and CR4.SMEP: a supervisor fetch from a user page is a #PF.
 *
 * The walker reads the guest's page directory and page tables from guest
 * RAM (ram_ptr), applies the architecture's protection rules (U/S at both
 * levels, R/W at both levels for user accesses and for supervisor accesses
 * when CR0.WP is set), and on success sets the accessed bits of the entries
 * it used and the dirty bit of the leaf on a write, as the CPU does.  Every
 * such update is reported with machine_note_write().  Paging-structure
 * entries outside RAM read as not present.  No PSE-36: bits 21:13 of a
 * 4 MiB PDE are reserved and give a #PF with PFEC_RSVD; under PAE, bits
 * above MAXPHYADDR (32), and XD without EFER.NXE, are reserved.
 */
#ifndef BT86_WALK_H
#define BT86_WALK_H

#include <stdint.h>
#include <stdbool.h>

struct machine;

/* Access flags for walk_guest(). */
#define WALK_WRITE (1u << 0) /* a write */
#define WALK_USER  (1u << 1) /* a user-mode access (CPL3, not an implicit system access) */
#define WALK_FETCH (1u << 2) /* an instruction fetch (XD pages refuse it) */
#define WALK_PROBE (1u << 3) /* check only: leave the A/D bits alone */
#define WALK_SMEP  (1u << 4) /* CR4.SMEP (walk_guest sets it from cr4) */

/* Page-directory/table entry bits. */
#define PTE_P	(1u << 0)
#define PTE_RW	(1u << 1)
#define PTE_US	(1u << 2)
#define PTE_PWT (1u << 3)
#define PTE_PCD (1u << 4)
#define PTE_A	(1u << 5)
#define PTE_D	(1u << 6)
#define PTE_PS	(1u << 7) /* in a PDE: 4 MiB page */
#define PTE_G	(1u << 8)

struct walk_result {
	uint32_t gpa;	    /* guest-physical address of the byte at lin */
	uint32_t page_gpa;  /* guest-physical base of the page (4 KiB or 4 MiB) */
	uint32_t page_size; /* 4096, 2 MiB (PAE) or 4 MiB */
	uint32_t pde_gpa;   /* where the PDE lives */
	uint32_t pte_gpa;   /* where the leaf entry lives (== pde_gpa for 4 MiB) */
	bool rw;	    /* R/W set at every level */
	bool us;	    /* U/S set at every level */
	bool dirty;	    /* leaf D bit (after this walk's update) */
	bool global;	    /* leaf G bit (meaningful only with CR4.PGE) */
	bool large;	    /* a 4 MiB page */
};

/* walk_guest: translate linear address lin with the paging state
 * (cr0, cr3, cr4) for an access described by flags (WALK_*).  Returns 0
 * and fills *res, or -1 with the #PF error code in *pfec (P, W, U, RSVD
 * bits as the CPU reports them).  CR0.PG must be set (the caller handles
 * paging off). */
int walk_guest(struct machine *m, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
	       unsigned flags, struct walk_result *res, uint32_t *pfec);

/* walk_allows: would an access with flags be allowed through a translation
 * with the given rw/us summary under cr0 (WP)?  Exposed for the shadow MMU,
 * which decides the host protection of a filled page with it. */
bool walk_allows(uint32_t cr0, bool rw, bool us, unsigned flags);

#endif
