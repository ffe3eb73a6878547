/*
 * mmu_kernels.c - the MMU benchmarks as kernels of the compute guest
 * (benchmarks/compute/guest_main.c runs the one named on the command
 * line): each turns paging on with its own page tables, runs a fixed loop
 * that stresses one part of the MMU and returns a checksum of what it read,
 * the same on every engine.
 *
 *   fill      map 1024 fresh pages, CR3 reload, touch each (a TLB miss per
 *             page: a shadow fill under bt), unmap; 200 rounds
 *   pagefault a #PF handler maps the page the guest touched; 50,000 faults
 *   ptemod    one PTE switched between two frames, INVLPG, read; 200,000
 *   cr3switch two address spaces, CR3 written 400,000 times, a page read
 *             in each
 */
#include "../compute/kernels.h"

#define PG_P  1u
#define PG_RW 2u
#define PG_PS 0x80u
#define WIN   0x40000000u /* the test window (PDE 256) */

static uint32_t pd[2][1024] __attribute__((aligned(4096)));
static uint32_t pt[2][1024] __attribute__((aligned(4096)));
static uint32_t frames[1024][1024] __attribute__((aligned(4096))); /* 4 MiB of data */

/* zero: n bytes at p become 0 (no libc in the guest). */
static void zero(void *p, uint32_t n)
{
	for (uint8_t *b = p; n--; b++)
		*b = 0;
}

static inline void write_cr3(uint32_t v)
{
	__asm__ volatile("movl %0, %%cr3" : : "r"(v) : "memory");
}

static inline void invlpg(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint32_t rd(uint32_t va)
{
	return *(volatile uint32_t *)va;
}

/* paging_on: both directories identity-map the first 64 MiB with 4 MiB
 * pages and point PDE 256 at their own table; directory 0 goes live. */
static void paging_on(void)
{
	for (unsigned d = 0; d < 2; d++) {
		for (unsigned i = 0; i < 16; i++)
			pd[d][i] = (i << 22) | PG_P | PG_RW | PG_PS;
		pd[d][WIN >> 22] = (uint32_t)pt[d] | PG_P | PG_RW;
		zero(pt[d], 4096);
	}
	for (unsigned i = 0; i < 1024; i++)
		frames[i][0] = i * 7 + 1;
	uint32_t cr4;
	__asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("movl %0, %%cr4" : : "r"(cr4 | 0x10)); /* PSE */
	write_cr3((uint32_t)pd[0]);
	uint32_t cr0;
	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("movl %0, %%cr0" : : "r"(cr0 | 0x80000000u) : "memory");
}

static void paging_off(void)
{
	uint32_t cr0;
	__asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("movl %0, %%cr0" : : "r"(cr0 & ~0x80000000u) : "memory");
}

static uint32_t k_fill(void)
{
	uint32_t sum = 0;

	paging_on();
	for (unsigned r = 0; r < 200; r++) {
		for (unsigned i = 0; i < 1024; i++)
			pt[0][i] = (uint32_t)frames[(i + r) & 1023] | PG_P | PG_RW;
		write_cr3((uint32_t)pd[0]);
		for (unsigned i = 0; i < 1024; i++)
			sum += rd(WIN + (i << 12));
		zero(pt[0], 4096);
		write_cr3((uint32_t)pd[0]);
	}
	paging_off();
	return sum;
}

/* The #PF handler of k_pagefault (pf_entry in mmu_idt.S) calls this with
 * CR2: map the page, count the fault. */
volatile uint32_t pf_count;
void pf_map(uint32_t cr2)
{
	pt[0][(cr2 >> 12) & 1023] = (uint32_t)frames[(cr2 >> 12) & 1023] | PG_P | PG_RW;
	pf_count++;
}

void idt_install_pf(void);

static uint32_t k_pagefault(void)
{
	uint32_t sum = 0;

	paging_on();
	idt_install_pf();
	for (unsigned n = 0; n < 50000; n++) {
		unsigned i = (n * 37) & 1023;
		pt[0][i] = 0;
		invlpg(WIN + (i << 12));
		sum += rd(WIN + (i << 12));
	}
	paging_off();
	return sum + pf_count;
}

static uint32_t k_ptemod(void)
{
	uint32_t sum = 0;

	paging_on();
	for (unsigned n = 0; n < 200000; n++) {
		pt[0][5] = (uint32_t)frames[n & 1] | PG_P | PG_RW;
		invlpg(WIN + 5 * 4096);
		sum += rd(WIN + 5 * 4096);
	}
	paging_off();
	return sum;
}

static uint32_t k_cr3switch(void)
{
	uint32_t sum = 0;

	paging_on();
	pt[0][0] = (uint32_t)frames[1] | PG_P | PG_RW;
	pt[1][0] = (uint32_t)frames[2] | PG_P | PG_RW;
	for (unsigned n = 0; n < 400000; n++) {
		write_cr3((uint32_t)pd[n & 1]);
		sum += rd(WIN) + rd(0x100000);
	}
	paging_off();
	return sum;
}

static uint32_t k_null(void)
{
	return 0;
}

const struct bench_kernel bench_kernels[] = {
    {"null", k_null},	  {"fill", k_fill},	      {"pagefault", k_pagefault},
    {"ptemod", k_ptemod}, {"cr3switch", k_cr3switch},
};
const unsigned bench_nr_kernels = sizeof(bench_kernels) / sizeof(bench_kernels[0]);
