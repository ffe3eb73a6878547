/* walk.c - guest page walk: 32-bit paging with PSE, and PAE paging with
 * 2 MiB pages and execute-disable (see walk.h). */
#include "monitor/x86/walk.h"
#include "monitor/machine/machine.h"
#include "monitor/machine/vcpu.h"

/* Reserved bits of a 4 MiB PDE without PSE-36 (bits 21:13). */
#define PDE4M_RSVD 0x003fe000u

/* entry_ptr: host pointer to the 32-bit paging entry at gpa, or NULL when
 * it is not in RAM (then it reads as not present). */
static uint32_t *entry_ptr(struct machine *m, uint32_t gpa)
{
	return ram_ptr(&m->ram, gpa, 4);
}

/* entry_set: OR bits into the entry at p (gpa) if not all set yet. */
static void entry_set(struct machine *m, uint32_t *p, uint32_t gpa, uint32_t bits)
{
	if ((*p & bits) == bits)
		return;
	__atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
	machine_note_write(m, gpa, 4);
}

bool walk_allows(uint32_t cr0, bool rw, bool us, unsigned flags)
{
	if ((flags & WALK_SMEP) && us && (flags & WALK_FETCH) && !(flags & WALK_USER))
		return false; /* SMEP: a supervisor fetch from a user page */
	if (flags & WALK_USER) {
		if (!us)
			return false;
		if ((flags & WALK_WRITE) && !rw)
			return false;
		return true;
	}
	if ((flags & WALK_WRITE) && !rw && (cr0 & CR0_WP))
		return false;
	return true;
}

/* walk_fault: the error code for a fault of an access with flags. */
static uint32_t walk_fault(unsigned flags, uint32_t extra)
{
	uint32_t ec = extra;

	if (flags & WALK_WRITE)
		ec |= PFEC_W;
	if (flags & WALK_USER)
		ec |= PFEC_U;
	if ((flags & WALK_FETCH) && (flags & WALK_SMEP))
		ec |= PFEC_I; /* with SMEP every fetch fault says I (SDM 4.7) */
	return ec;
}

/* PAE entries: the address (bits 31:12), bits that must be 0 above
 * MAXPHYADDR (32, CPUID 80000008h: the guest-physical space is 4 GiB),
 * and XD (63, reserved unless EFER.NXE). */
#define PAE_ADDR   0x00000000fffff000ull
#define PAE_RSVD   0x7fffffff00000000ull
#define PAE_XD	   (1ull << 63)
#define PDE2M_RSVD 0x00000000001fe000ull /* bits 20:13 of a 2 MiB PDE */

/* entry64: host pointer to the PAE entry at gpa, or NULL (not RAM). */
static uint64_t *entry64(struct machine *m, uint64_t gpa)
{
	return gpa >> 32 ? NULL : ram_ptr(&m->ram, gpa, 8);
}

/* walk_pae: walk_guest for PAE paging: the PDPTE from the ones CR3 loaded
 * (vcpu->pdpte), 2 MiB or 4 KiB pages, XD with EFER.NXE; A and D live in
 * the low dword of each entry. */
static int walk_pae(struct machine *m, uint32_t cr0, uint32_t lin, unsigned flags,
		    struct walk_result *res, uint32_t *pfec)
{
	const struct vcpu *v = &m->vcpu;
	bool nxe = v->efer & EFER_NXE;
	uint64_t rsvd = PAE_RSVD | (nxe ? 0 : PAE_XD);
	uint32_t idbit = (nxe && (flags & WALK_FETCH)) ? PFEC_I : 0;
	uint64_t pdpte = v->pdpte[lin >> 30];

	if (!(pdpte & PTE_P)) {
		*pfec = walk_fault(flags, idbit);
		return -1;
	}
	uint64_t pde_gpa = (pdpte & PAE_ADDR) + ((lin >> 21) & 0x1ff) * 8;
	uint64_t *pde_p = entry64(m, pde_gpa);
	uint64_t pde = pde_p ? *pde_p : 0;
	if (!(pde & PTE_P)) {
		*pfec = walk_fault(flags, idbit);
		return -1;
	}
	bool large = pde & PTE_PS;
	if ((pde & rsvd) || (large && (pde & PDE2M_RSVD))) {
		*pfec = walk_fault(flags, PFEC_P | PFEC_RSVD | idbit);
		return -1;
	}
	uint64_t leaf = pde, leaf_gpa = pde_gpa;
	uint64_t *leaf_p = pde_p;
	if (!large) {
		leaf_gpa = (pde & PAE_ADDR) + ((lin >> 12) & 0x1ff) * 8;
		leaf_p = entry64(m, leaf_gpa);
		leaf = leaf_p ? *leaf_p : 0;
		if (!(leaf & PTE_P)) {
			*pfec = walk_fault(flags, idbit);
			return -1;
		}
		if (leaf & rsvd) {
			*pfec = walk_fault(flags, PFEC_P | PFEC_RSVD | idbit);
			return -1;
		}
	}
	res->rw = (pde & PTE_RW) && (leaf & PTE_RW);
	res->us = (pde & PTE_US) && (leaf & PTE_US);
	bool xd = nxe && ((pde | leaf) & PAE_XD);
	if (!walk_allows(cr0, res->rw, res->us, flags) || (xd && (flags & WALK_FETCH))) {
		*pfec = walk_fault(flags, PFEC_P | idbit);
		return -1;
	}
	if (!(flags & WALK_PROBE)) {
		if (!large)
			entry_set(m, (uint32_t *)pde_p, (uint32_t)pde_gpa, PTE_A);
		entry_set(m, (uint32_t *)leaf_p, (uint32_t)leaf_gpa,
			  PTE_A | ((flags & WALK_WRITE) ? PTE_D : 0));
	}
	leaf = *leaf_p;
	res->large = large;
	res->page_size = large ? 2u << 20 : 4096;
	res->page_gpa = (uint32_t)(leaf & (large ? 0xffe00000ull : PAE_ADDR));
	res->gpa = res->page_gpa | (lin & (res->page_size - 1));
	res->pde_gpa = (uint32_t)pde_gpa;
	res->pte_gpa = (uint32_t)leaf_gpa;
	res->dirty = leaf & PTE_D;
	res->global = leaf & PTE_G;
	return 0;
}

int walk_guest(struct machine *m, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
	       unsigned flags, struct walk_result *res, uint32_t *pfec)
{
	if (cr4 & CR4_SMEP)
		flags |= WALK_SMEP;
	if (cr4 & CR4_PAE)
		return walk_pae(m, cr0, lin, flags, res, pfec);
	uint32_t pde_gpa = (cr3 & 0xfffff000u) | ((lin >> 22) << 2);
	uint32_t *pde_p = entry_ptr(m, pde_gpa);
	uint32_t pde = pde_p ? *pde_p : 0;

	if (!(pde & PTE_P)) {
		*pfec = walk_fault(flags, 0);
		return -1;
	}
	res->pde_gpa = pde_gpa;
	if ((pde & PTE_PS) && (cr4 & CR4_PSE)) {
		if (pde & PDE4M_RSVD) {
			*pfec = walk_fault(flags, PFEC_P | PFEC_RSVD);
			return -1;
		}
		res->rw = pde & PTE_RW;
		res->us = pde & PTE_US;
		if (!walk_allows(cr0, res->rw, res->us, flags)) {
			*pfec = walk_fault(flags, PFEC_P);
			return -1;
		}
		if (!(flags & WALK_PROBE))
			entry_set(m, pde_p, pde_gpa, PTE_A | ((flags & WALK_WRITE) ? PTE_D : 0));
		pde = *pde_p;
		res->large = true;
		res->page_size = 4u << 20;
		res->page_gpa = pde & 0xffc00000u;
		res->gpa = res->page_gpa | (lin & 0x003fffffu);
		res->pte_gpa = pde_gpa;
		res->dirty = pde & PTE_D;
		res->global = pde & PTE_G;
		return 0;
	}

	uint32_t pte_gpa = (pde & 0xfffff000u) | (((lin >> 12) & 0x3ff) << 2);
	uint32_t *pte_p = entry_ptr(m, pte_gpa);
	uint32_t pte = pte_p ? *pte_p : 0;

	if (!(pte & PTE_P)) {
		*pfec = walk_fault(flags, 0);
		return -1;
	}
	res->rw = (pde & PTE_RW) && (pte & PTE_RW);
	res->us = (pde & PTE_US) && (pte & PTE_US);
	if (!walk_allows(cr0, res->rw, res->us, flags)) {
		*pfec = walk_fault(flags, PFEC_P);
		return -1;
	}
	if (!(flags & WALK_PROBE)) {
		entry_set(m, pde_p, pde_gpa, PTE_A);
		entry_set(m, pte_p, pte_gpa, PTE_A | ((flags & WALK_WRITE) ? PTE_D : 0));
	}
	pte = *pte_p;
	res->large = false;
	res->page_size = 4096;
	res->page_gpa = pte & 0xfffff000u;
	res->gpa = res->page_gpa | (lin & 0xfffu);
	res->pte_gpa = pte_gpa;
	res->dirty = pte & PTE_D;
	res->global = pte & PTE_G;
	return 0;
}
