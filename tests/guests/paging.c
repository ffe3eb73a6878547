/*
 * Paging with 4 KiB and 4 MiB pages: translation, INVLPG, CR3 reload and
 * switch, accessed/dirty bits set by the CPU, and page faults with their
 * error codes and CR2 for not-present, read-only (CR0.WP) and user/supervisor
 * violations, including an instruction fetch.
 */
#include "rt.h"

#define TV  0x40000000u /* test window, 4 KiB pages */
#define BIG 0x80000000u /* 4 MiB alias of physical 0 */

static uint32_t *pd, *pd2;
static uint32_t *frame[3];
static volatile uint32_t marker = 0x4d4d4d4d;

static uint32_t rd(uint32_t va)
{
	return *(volatile uint32_t *)va;
}

static void wr(uint32_t va, uint32_t v)
{
	*(volatile uint32_t *)va = v;
}

static void setup(void)
{
	pd = pg_new_dir();
	pg_identity4k(pd, 0, 0x400000, PG_RW | PG_US);
	for (uint32_t a = 0x400000; a < 64u << 20; a += 0x400000)
		pg_map4m(pd, a, a, PG_RW);
	for (int i = 0; i < 3; i++) {
		frame[i] = pg_alloc();
		for (int j = 0; j < 1024; j++)
			frame[i][j] = 0x1000u * (i + 1) + j;
	}
	pg_enable(pd, 0);
}

static void fault_at(const char *desc, uint32_t vec, uint32_t err, uint32_t cr2)
{
	if (!tap_fault(desc, vec, err))
		return;
	if (rt_fault.cr2 != cr2)
		tap_diag("  CR2 %08x, expected %08x", rt_fault.cr2, cr2);
}

static void test_translate(void)
{
	tap_ok(read_cr0() & CR0_PG, "paging on, code keeps running identity-mapped");
	pg_map4k(pd, TV, (uint32_t)frame[0], PG_RW);
	invlpg(TV);
	tap_eq("4 KiB page translates", rd(TV + 8), 0x1002);
	wr(TV + 12, 0xabcdef01);
	tap_eq("store lands in the physical frame", frame[0][3], 0xabcdef01);
	uint32_t *pte = pg_entry(pd, TV);
	tap_ok((*pte & (PG_A | PG_D)) == (PG_A | PG_D), "CPU set A and D in the PTE");

	*pte &= ~(PG_A | PG_D);
	invlpg(TV);
	(void)rd(TV);
	tap_eq("a read sets A only", *pte & (PG_A | PG_D), PG_A);
	wr(TV, 1);
	tap_eq("a write sets D", *pte & (PG_A | PG_D), PG_A | PG_D);
	tap_ok(pd[TV >> 22] & PG_A, "CPU set A in the PDE");

	*pte = (uint32_t)frame[1] | PG_P | PG_RW;
	invlpg(TV);
	tap_eq("after INVLPG the new PTE is used", rd(TV + 4), 0x2001);
	*pte = (uint32_t)frame[2] | PG_P | PG_RW;
	write_cr3(read_cr3());
	tap_eq("after a CR3 reload the new PTE is used", rd(TV + 4), 0x3001);

	pd2 = pg_new_dir();
	memcpy(pd2, pd, 4096);
	pd2[TV >> 22] = 0;
	pg_map4k(pd2, TV, (uint32_t)frame[1], PG_RW);
	write_cr3((uint32_t)pd2);
	uint32_t in2 = rd(TV + 4);
	write_cr3((uint32_t)pd);
	tap_ok(in2 == 0x2001 && rd(TV + 4) == 0x3001, "switching CR3 switches address spaces");

	pg_map4m(pd, BIG, 0, PG_RW);
	invlpg(BIG + (uint32_t)&marker);
	tap_eq("4 MiB page aliases physical memory", rd(BIG + (uint32_t)&marker), 0x4d4d4d4d);
	wr(BIG + (uint32_t)&marker, 0x55aa55aa);
	tap_ok(marker == 0x55aa55aa && (pd[BIG >> 22] & (PG_A | PG_D)) == (PG_A | PG_D),
	       "4 MiB page: store visible, A and D set in the PDE");
}

static void test_faults(void)
{
	RT_CATCH("movl (%0), %%eax", : : "r"(TV + 0x1008) : "eax", "memory");
	fault_at("read of a not-present page: #PF(0)", VEC_PF, 0, TV + 0x1008);
	tap_eq("CR2 holds the faulting address", rt_fault.cr2, TV + 0x1008);
	RT_CATCH("movl $1, (%0)", : : "r"(TV + 0x1ffc) : "memory");
	fault_at("write to a not-present page: #PF(W)", VEC_PF, PF_W, TV + 0x1ffc);

	pg_map4k(pd, TV + 0x2000, (uint32_t)frame[0], 0);
	invlpg(TV + 0x2000);
	write_cr0(read_cr0() & ~CR0_WP);
	RT_CATCH("movl $7, (%0)", : : "r"(TV + 0x2000) : "memory");
	tap_nofault("ring 0 write to a read-only page with CR0.WP=0");
	write_cr0(read_cr0() | CR0_WP);
	RT_CATCH("movl $7, (%0)", : : "r"(TV + 0x2010) : "memory");
	fault_at("ring 0 write to a read-only page with CR0.WP=1: #PF(P|W)", VEC_PF, PF_P | PF_W,
		 TV + 0x2010);

	pg_unmap(pd, TV + 0x3000);
	RT_CATCH("jmp *%0", : : "r"(TV + 0x3000) : "memory");
	fault_at("fetch from a not-present page: #PF(0)", VEC_PF, 0, TV + 0x3000);
	tap_eq("fetch fault EIP is the target", rt_fault.eip, TV + 0x3000);

	/* Code written through one mapping and run through another. */
	static const uint8_t code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; /* mov $42,%eax; ret */
	memcpy((uint8_t *)frame[2] + 0x100, code, sizeof(code));
	pg_map4k(pd, TV + 0x4000, (uint32_t)frame[2], 0);
	invlpg(TV + 0x4000);
	uint32_t r;
	asm volatile("call *%1" : "=a"(r) : "r"(TV + 0x4100) : "memory");
	tap_eq("code runs from a read-only alias page", r, 42);
}

static uint32_t user_probe(void)
{
	uint32_t bits = 0, cr2_ok = 1;
	RT_CATCH("movl (%0), %%eax", : : "r"(TV + 4) : "eax", "memory");
	bits |= (rt_fault.vector == VEC_PF && rt_fault.err == (PF_P | PF_U)) << 0;
	cr2_ok &= rt_fault.cr2 == TV + 4;
	RT_CATCH("movl $1, (%0)", : : "r"(TV + 8) : "memory");
	bits |= (rt_fault.vector == VEC_PF && rt_fault.err == (PF_P | PF_W | PF_U)) << 1;
	cr2_ok &= rt_fault.cr2 == TV + 8;
	RT_CATCH("movl (%0), %%eax", : : "r"(TV + 0x5000) : "eax", "memory");
	bits |= (rt_fault.vector == NO_FAULT) << 2;
	RT_CATCH("movl $1, (%0)", : : "r"(TV + 0x5000) : "memory");
	bits |= (rt_fault.vector == VEC_PF && rt_fault.err == (PF_P | PF_W | PF_U)) << 3;
	RT_CATCH("movl (%0), %%eax", : : "r"(TV + 0x1000) : "eax", "memory");
	bits |= (rt_fault.vector == VEC_PF && rt_fault.err == PF_U) << 4;
	RT_CATCH("movl $1, (%0)", : : "r"(TV + 0x1000) : "memory");
	bits |= (rt_fault.vector == VEC_PF && rt_fault.err == (PF_U | PF_W)) << 5;
	RT_CATCH("movl $9, (%0)", : : "r"(TV + 0x6000) : "memory");
	bits |= (rt_fault.vector == NO_FAULT) << 6;
	return bits | cr2_ok << 7;
}

static void test_user(void)
{
	pg_map4k(pd, TV + 0x5000, (uint32_t)frame[1], PG_US);
	pg_map4k(pd, TV + 0x6000, (uint32_t)frame[1], PG_US | PG_RW);
	invlpg(TV + 0x5000);
	invlpg(TV + 0x6000);
	uint32_t bits = rt_user_call(user_probe, 0x2);
	tap_ok(bits & 1, "ring 3 read of a supervisor page: #PF(P|U)");
	tap_ok(bits & 2, "ring 3 write of a supervisor page: #PF(P|W|U)");
	tap_ok(bits & 4, "ring 3 read of a read-only user page works");
	tap_ok(bits & 8, "ring 3 write of a read-only user page: #PF(P|W|U)");
	tap_ok(bits & 16, "ring 3 read of a not-present page: #PF(U)");
	tap_ok(bits & 32, "ring 3 write of a not-present page: #PF(W|U)");
	tap_ok((bits & 64) && frame[1][0] == 9, "ring 3 write of a writable user page works");
	tap_ok(bits & 128, "CR2 right for the ring 3 faults");
}

void test_main(void)
{
	tap_plan(29);
	setup();
	test_translate();
	test_faults();
	test_user();
	pg_disable();
	tap_eq("paging off again, flat memory", marker, 0x55aa55aa);
}
