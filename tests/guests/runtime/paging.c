/*
 * Two-level 32-bit paging helpers (4 KiB and 4 MiB pages) and the SYSENTER
 * set-up of the guest runtime.
 */
#include "rt.h"

#define POOL_PAGES 128

static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

uint32_t (*volatile rt_sysenter_hook)(uint32_t eax);
volatile struct rt_sysenter_note rt_sysenter_note;

/* One zeroed page from the pool. */
void *pg_alloc(void)
{
	if (pool_used == POOL_PAGES)
		tap_bail("page pool exhausted");
	void *p = pool[pool_used++];
	memset(p, 0, 4096);
	return p;
}

/* A new, empty page directory. */
uint32_t *pg_new_dir(void)
{
	return pg_alloc();
}

/* Maps 4 KiB page VA -> PA with FLAGS (PG_P added), creating the page table
 * (present, writable, user) on first use. */
void pg_map4k(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
	uint32_t *pde = &pd[va >> 22];
	if (!(*pde & PG_P) || (*pde & PG_PS))
		*pde = (uint32_t)pg_alloc() | PG_P | PG_RW | PG_US;
	uint32_t *pt = (uint32_t *)(*pde & ~0xfffu);
	pt[(va >> 12) & 0x3ff] = (pa & ~0xfffu) | flags | PG_P;
}

/* Maps the 4 MiB page VA -> PA with FLAGS (PG_P and PG_PS added). */
void pg_map4m(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
	pd[va >> 22] = (pa & 0xffc00000u) | flags | PG_P | PG_PS;
}

/* Entry that maps VA: the PTE, or the PDE of a 4 MiB page; NULL if none. */
uint32_t *pg_entry(uint32_t *pd, uint32_t va)
{
	uint32_t *pde = &pd[va >> 22];
	if (*pde & PG_PS)
		return pde;
	if (!(*pde & PG_P))
		return NULL;
	return &((uint32_t *)(*pde & ~0xfffu))[(va >> 12) & 0x3ff];
}

/* Clears the entry of VA and invalidates it. */
void pg_unmap(uint32_t *pd, uint32_t va)
{
	uint32_t *e = pg_entry(pd, va);
	if (e)
		*e = 0;
	invlpg(va);
}

/* Identity-maps [0, bytes) with 4 MiB pages. */
void pg_identity4m(uint32_t *pd, uint32_t bytes, uint32_t flags)
{
	for (uint32_t a = 0; a < bytes; a += 0x400000)
		pg_map4m(pd, a, a, flags);
}

/* Identity-maps [start, end) with 4 KiB pages. */
void pg_identity4k(uint32_t *pd, uint32_t start, uint32_t end, uint32_t flags)
{
	for (uint32_t a = start & ~0xfffu; a < end; a += 4096)
		pg_map4k(pd, a, a, flags);
}

/* Sets and clears bits of VA's entry, then INVLPGs VA. */
void pg_set_flags(uint32_t *pd, uint32_t va, uint32_t set, uint32_t clear)
{
	uint32_t *e = pg_entry(pd, va);
	if (!e)
		tap_bail("no page table for %08x", va);
	*e = (*e & ~clear) | set;
	invlpg(va);
}

/* Loads CR3 and enables PSE (+ CR4_EXTRA) and paging. */
void pg_enable(uint32_t *pd, uint32_t cr4_extra)
{
	write_cr4(read_cr4() | CR4_PSE | cr4_extra);
	write_cr3((uint32_t)pd);
	write_cr0(read_cr0() | CR0_PG);
}

/* Turns paging off (the code runs identity-mapped). */
void pg_disable(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
}

/* Points the SYSENTER MSRs at the runtime's entry and stack. */
void rt_sysenter_init(void)
{
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	wrmsr(MSR_SYSENTER_ESP, (uint32_t)rt_sestack_top);
	wrmsr(MSR_SYSENTER_EIP, (uint32_t)rt_sysenter_entry);
}
