/*
 * PAE paging: the four PDPTEs loaded at CR3, 4 KiB and 2 MiB pages with
 * 8-byte entries, A and D set in them, execute-disable with EFER.NXE (a
 * fetch from an XD page: #PF with the I bit, a data read works), and XD
 * reserved without NXE.  (A reserved bit in a PDPTE, #GP on the CR3 load,
 * is checked by test_cpu_sys: QEMU does not check it.)
 */
#include "rt.h"

#define TV   0x40000000u /* 4 KiB test pages (PDPTE 1, PDE 0) */
#define BIG  0x40200000u /* a 2 MiB page (PDE 1) */
#define XD   (1ull << 63)
#define EFER 0xc0000080u

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd_lo[512] __attribute__((aligned(4096))); /* 0 - 1 GiB */
static uint64_t pd_tv[512] __attribute__((aligned(4096))); /* 1 - 2 GiB */
static uint64_t pt_tv[512] __attribute__((aligned(4096)));
static uint32_t data[2][1024] __attribute__((aligned(4096)));
static uint8_t bigpage[2u << 20] __attribute__((aligned(2u << 20)));

static uint32_t rd(uint32_t va)
{
	return *(volatile uint32_t *)va;
}

static void setup(void)
{
	/* the first 64 MiB identity-mapped with 2 MiB pages */
	for (uint32_t i = 0; i < 32; i++)
		pd_lo[i] = ((uint64_t)i << 21) | PG_P | PG_RW | PG_PS;
	pd_tv[0] = (uint32_t)pt_tv | PG_P | PG_RW;
	pd_tv[1] = (uint32_t)bigpage | PG_P | PG_RW | PG_PS;
	pt_tv[0] = (uint32_t)data[0] | PG_P | PG_RW;
	pt_tv[1] = (uint32_t)data[1] | PG_P | PG_RW;
	data[0][0] = 0xa0;
	data[1][0] = 0xc3; /* ret, to be fetched */
	*(uint32_t *)(bigpage + 0x1234) = 0xb16;
	pdpt[0] = (uint32_t)pd_lo | PG_P;
	pdpt[1] = (uint32_t)pd_tv | PG_P;
	write_cr3((uint32_t)pdpt);
	write_cr4(read_cr4() | CR4_PAE);
	write_cr0(read_cr0() | CR0_PG);
}

static void test_translate(void)
{
	tap_ok(rd(TV) == 0xa0 && rd(BIG + 0x1234) == 0xb16, "PAE: 4 KiB and 2 MiB pages translate");
	*(volatile uint32_t *)(TV + 8) = 1;
	tap_ok((pt_tv[0] & (PG_A | PG_D)) == (PG_A | PG_D) && (pd_tv[0] & PG_A) &&
		   (pd_tv[1] & PG_A),
	       "A and D set in the 8-byte entries");
	pt_tv[0] = (uint32_t)data[1] | PG_P | PG_RW;
	invlpg(TV);
	tap_eq("after INVLPG the new 8-byte PTE is used", rd(TV), 0xc3);
	pt_tv[0] = (uint32_t)data[0] | PG_P | PG_RW;
	write_cr3((uint32_t)pdpt);
	tap_eq("after a CR3 reload too", rd(TV), 0xa0);
}

static void test_nx(void)
{
	/* XD without EFER.NXE is a reserved bit */
	pt_tv[1] |= XD;
	invlpg(TV + 0x1000);
	RT_CATCH("movl (%0), %%eax", : : "r"(TV + 0x1000) : "eax", "memory");
	/* the SDM sets P with RSVD; QEMU 7.2 leaves P clear: only RSVD checked */
	tap_ok(rt_fault.vector == VEC_PF && (rt_fault.err & 8) && rt_fault.cr2 == TV + 0x1000,
	       "XD set without EFER.NXE: #PF with RSVD");
	wrmsr(EFER, rdmsr(EFER) | (1u << 11));
	invlpg(TV + 0x1000);
	tap_eq("with NXE an XD page still reads", rd(TV + 0x1000), 0xc3);
	/* JMP, not CALL: a fault on the target's fetch comes after CALL's push */
	RT_CATCH("jmp *%0", : : "r"(TV + 0x1000) : "eax", "memory");
	tap_fault("a fetch from an XD page: #PF(P|I)", VEC_PF, PF_P | 0x10);
	tap_eq("CR2 is the fetched address", rt_fault.cr2, TV + 0x1000);
	pt_tv[1] &= ~XD;
	invlpg(TV + 0x1000);
	RT_CATCH("call *%0", : : "r"(TV + 0x1000) : "eax", "memory");
	tap_nofault("the same page runs once XD is cleared");
	RT_CATCH("jmp *%0", : : "r"(TV + 0x3000) : "eax", "memory");
	tap_fault("a fetch from a not-present page with NXE: #PF(I)", VEC_PF, 0x10);
	wrmsr(EFER, rdmsr(EFER) & ~(1ull << 11));
}

void test_main(void)
{
	tap_plan(11);
	setup();
	test_translate();
	test_nx();
	write_cr0(read_cr0() & ~CR0_PG);
	write_cr4(read_cr4() & ~CR4_PAE);
	tap_eq("paging off again", data[0][0], 0xa0);
}
