/* walk.c - guest page walk, 32-bit non-PAE paging with PSE (see walk.h). */
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
	return ec;
}

int walk_guest(struct machine *m, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
	       unsigned flags, struct walk_result *res, uint32_t *pfec)
{
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
