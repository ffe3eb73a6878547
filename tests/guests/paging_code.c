/*
 * Code under paging: the same linear page remapped to another frame (after
 * INVLPG and after a CR3 switch) runs the new frame's code, code patched
 * through a writable alias of its frame runs patched, code written through
 * its own linear address runs patched, and an instruction straddling two
 * pages faults while the second is not present (CR2 = its first byte there)
 * and follows the second page's remapping; INVLPG of any address in a
 * 4 MiB page drops the whole page.
 */
#include "rt.h"

#define CV  0x40000000u /* code window: two linear pages */
#define AV  0x40100000u /* writable alias */
#define BIG 0x80000000u /* a 4 MiB page */

static uint32_t *pd, *pd2;
static uint8_t *frame[3];
static volatile uint32_t marker = 0x4d4d4d4d;

/* put_const: "mov $v,%eax; ret" at offset off of frame f. */
static void put_const(int f, unsigned off, uint32_t v)
{
	uint8_t *p = frame[f] + off;
	p[0] = 0xb8;
	memcpy(p + 1, &v, 4);
	p[5] = 0xc3;
}

static uint32_t call_at(uint32_t va)
{
	return ((uint32_t(*)(void))va)();
}

void test_main(void)
{
	tap_plan(13);
	pd = pg_new_dir();
	pg_identity4m(pd, 0x800000, PG_RW);
	for (int i = 0; i < 3; i++)
		frame[i] = pg_alloc();
	put_const(0, 0, 0x100);
	put_const(1, 0, 0x200);
	put_const(2, 0, 0x300);
	pg_map4k(pd, CV, (uint32_t)frame[0], PG_RW);
	pg_map4k(pd, AV, (uint32_t)frame[0], PG_RW);
	pd2 = pg_new_dir();
	memcpy(pd2, pd, 4096);
	pg_enable(pd, 0);

	tap_eq("code at a paged address runs", call_at(CV), 0x100);
	*pg_entry(pd, CV) = (uint32_t)frame[1] | PG_P | PG_RW;
	invlpg(CV);
	tap_eq("remapped by INVLPG: the new frame's code runs", call_at(CV), 0x200);

	/* pd2 has its own page table for the window, pointing at frame 2 */
	uint32_t *pt2 = pg_alloc();
	memcpy(pt2, (void *)(pd[CV >> 22] & ~0xfffu), 4096);
	pd2[CV >> 22] = (uint32_t)pt2 | PG_P | PG_RW;
	pt2[(CV >> 12) & 0x3ff] = (uint32_t)frame[2] | PG_P | PG_RW;
	write_cr3((uint32_t)pd2);
	tap_eq("other address space: its frame's code runs", call_at(CV), 0x300);
	write_cr3((uint32_t)pd);
	tap_eq("back again: the first address space's code", call_at(CV), 0x200);

	*pg_entry(pd, CV) = (uint32_t)frame[0] | PG_P | PG_RW;
	invlpg(CV);
	(void)call_at(CV);
	uint32_t imm = 0x111;
	memcpy((uint8_t *)AV + 1, &imm, 4);
	tap_eq("patched through a writable alias", call_at(CV), 0x111);
	imm = 0x122;
	memcpy((uint8_t *)CV + 1, &imm, 4);
	tap_eq("patched through its own address", call_at(CV), 0x122);

	/* an instruction straddling the two pages: mov $imm32,%eax with the
	 * opcode and two bytes on the first page, two bytes and RET on the
	 * second, which is not present at first */
	uint8_t *p = frame[0] + 4093;
	p[0] = 0xb8;
	p[1] = 0x44;
	p[2] = 0x33;
	frame[1][0] = 0x22;
	frame[1][1] = 0x11;
	frame[1][2] = 0xc3;
	frame[2][0] = 0x66;
	frame[2][1] = 0x55;
	frame[2][2] = 0xc3;
	pg_unmap(pd, CV + 0x1000);
	invlpg(CV + 0x1000);
	RT_CATCH("jmp *%0", : : "r"(CV + 4093) : "memory");
	tap_fault("straddling instruction, second page not present: #PF(0)", VEC_PF, 0);
	tap_eq("CR2 = the first byte on the missing page", rt_fault.cr2, CV + 0x1000);
	tap_eq("EIP = the straddling instruction", rt_fault.eip, CV + 4093);
	pg_map4k(pd, CV + 0x1000, (uint32_t)frame[1], PG_RW);
	invlpg(CV + 0x1000);
	tap_eq("straddling code runs once the page is present", call_at(CV + 4093), 0x11223344);
	*pg_entry(pd, CV + 0x1000) = (uint32_t)frame[2] | PG_P | PG_RW;
	invlpg(CV + 0x1000);
	tap_eq("straddling code follows a remapped second page", call_at(CV + 4093), 0x55663344);

	/* INVLPG of one address in a 4 MiB page drops all of that page */
	uint32_t off = (uint32_t)&marker;
	*(volatile uint32_t *)(0x400000 + off) = 0x600df00d;
	pd[BIG >> 22] = 0x000000 | PG_P | PG_RW | PG_PS;
	invlpg(BIG);
	tap_eq("4 MiB page reads physical memory", *(volatile uint32_t *)(BIG + off), 0x4d4d4d4d);
	pd[BIG >> 22] = 0x400000 | PG_P | PG_RW | PG_PS;
	invlpg(BIG + 0x3ff000);
	tap_eq("INVLPG elsewhere in a 4 MiB page drops all of it",
	       *(volatile uint32_t *)(BIG + off), 0x600df00d);
	pg_disable();
}
