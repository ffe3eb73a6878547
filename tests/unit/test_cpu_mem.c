/* test_cpu_mem.c - page walk (walk.c), linear accesses (cpu_mem.c) and
 * string instructions (cpu_string.c). */
#include "test_cpu_fixture.h"
#include "monitor/x86/walk.h"

#include <stdlib.h>

#define PD 0x100000u
#define PT 0x101000u

/* paging_setup: identity 4M at 0 (supervisor), user PT at 4M, 4M global
 * page at 8M -> 12M, a 4M PDE with a reserved bit at 12M. */
static void paging_setup(void)
{
	wr32(PD + 0 * 4, 0x000000 | PTE_P | PTE_RW | PTE_PS);
	wr32(PD + 1 * 4, PT | PTE_P | PTE_RW | PTE_US);
	wr32(PD + 2 * 4, 0xc00000 | PTE_P | PTE_RW | PTE_PS | PTE_G);
	wr32(PD + 3 * 4, 0x000000 | PTE_P | PTE_RW | PTE_PS | (1u << 13));
	wr32(PT + 0 * 4, 0x200000 | PTE_P | PTE_RW | PTE_US);
	wr32(PT + 1 * 4, 0x201000 | PTE_P | PTE_US);
	wr32(PT + 2 * 4, 0x202000 | PTE_P | PTE_RW);
	V->cr3 = PD;
	V->cr4 = CR4_PSE | CR4_PGE;
	V->cr0 |= CR0_PG;
}

START_TEST(test_walk_4k)
{
	uint32_t pa, x = 0x12345678;

	paging_setup();
	enter_cpl3();
	ck_assert_int_eq(cpu_translate(V, 0x400123, ACC_READ, &pa), 0);
	ck_assert_uint_eq(pa, 0x200123);
	ck_assert(rd32(PD + 4) & PTE_A);
	ck_assert(rd32(PT) & PTE_A);
	ck_assert(!(rd32(PT) & PTE_D));
	ck_assert_int_eq(cpu_write_lin(V, 0x400010, &x, 4, ACC_WRITE), 0);
	ck_assert(rd32(PT) & PTE_D);
	ck_assert_uint_eq(rd32(0x200010), 0x12345678);
	/* user write to a read-only page */
	ck_assert_int_eq(cpu_write_lin(V, 0x401004, &x, 4, ACC_WRITE), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_P | PFEC_W | PFEC_U);
	ck_assert_uint_eq(V->cr2, 0x401004);
	ck_assert(!(rd32(PT + 4) & PTE_D));
	/* user read of a supervisor page; an implicit system access is fine */
	ck_assert_int_eq(cpu_translate(V, 0x402000, ACC_READ, &pa), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_P | PFEC_U);
	ck_assert_int_eq(cpu_translate(V, 0x402000, ACC_READ | ACC_SYS, &pa), 0);
	/* not present */
	ck_assert_int_eq(cpu_translate(V, 0x403000, ACC_WRITE, &pa), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_W | PFEC_U);
	ck_assert_int_eq(cpu_translate(V, 0x40000000, ACC_READ, &pa), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_U);
	/* supervisor write to a read-only page: allowed unless CR0.WP */
	V->cpl = 0;
	ck_assert_int_eq(cpu_write_lin(V, 0x401000, &x, 4, ACC_WRITE), 0);
	V->cr0 |= CR0_WP;
	ck_assert_int_eq(cpu_write_lin(V, 0x401000, &x, 4, ACC_WRITE), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_P | PFEC_W);
}
END_TEST

START_TEST(test_walk_4m)
{
	struct walk_result r;
	uint32_t pfec;

	paging_setup();
	ck_assert_int_eq(walk_guest(&M, V->cr0, V->cr3, V->cr4, 0x923456, WALK_WRITE, &r, &pfec),
			 0);
	ck_assert_uint_eq(r.gpa, 0xd23456);
	ck_assert(r.large && r.global && r.dirty && r.rw && !r.us);
	ck_assert_uint_eq(r.page_size, 4u << 20);
	ck_assert(rd32(PD + 8) & (PTE_A | PTE_D));
	/* user access to the supervisor 4M page */
	ck_assert_int_eq(walk_guest(&M, V->cr0, V->cr3, V->cr4, 0x923456, WALK_USER, &r, &pfec),
			 -1);
	ck_assert_uint_eq(pfec, PFEC_P | PFEC_U);
	/* reserved bit in a 4M PDE */
	ck_assert_int_eq(walk_guest(&M, V->cr0, V->cr3, V->cr4, 0xc00000, 0, &r, &pfec), -1);
	ck_assert_uint_eq(pfec, PFEC_P | PFEC_RSVD);
	/* probe leaves A/D alone */
	wr32(PT + 4 * 4, 0x204000 | PTE_P | PTE_RW | PTE_US);
	ck_assert_int_eq(walk_guest(&M, V->cr0, V->cr3, V->cr4, 0x404000,
				    WALK_PROBE | WALK_WRITE | WALK_USER, &r, &pfec),
			 0);
	ck_assert_uint_eq(rd32(PT + 16), 0x204000 | PTE_P | PTE_RW | PTE_US);
	ck_assert(!r.global && !r.large);
	/* without CR4.PSE the PS bit is ignored: PDE 2 points to a table */
	V->cr4 = 0;
	ck_assert_int_eq(walk_guest(&M, V->cr0, V->cr3, V->cr4, 0x800000, 0, &r, &pfec), -1);
	ck_assert_uint_eq(pfec, 0); /* the "table" at 12M is empty */
}
END_TEST

START_TEST(test_cross_page)
{
	uint8_t buf[4] = {1, 2, 3, 4}, out[4];

	paging_setup();
	enter_cpl3();
	wr32(0x201000, 0xaabbccdd);
	ck_assert_int_eq(cpu_read_lin(V, 0x400ffe, out, 4, ACC_READ), 0);
	ck_assert_uint_eq(out[2], 0xdd);
	ck_assert_uint_eq(out[3], 0xcc);
	/* a write that crosses into a read-only page writes nothing */
	wr32(0x200ffc, 0);
	ck_assert_int_eq(cpu_write_lin(V, 0x400ffe, buf, 4, ACC_WRITE), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_P | PFEC_W | PFEC_U);
	ck_assert_uint_eq(V->cr2, 0x401000);
	ck_assert_uint_eq(rd32(0x200ffc), 0);
	/* non-RAM physical addresses go to the MMIO bus (all ones here) */
	V->cr0 &= ~CR0_PG;
	uint32_t x = 0;

	ck_assert_int_eq(cpu_read_lin(V, 0xfee00020, &x, 4, ACC_READ), 0);
	ck_assert_uint_eq(x, 0xffffffff);
}
END_TEST

/* ref_string: element-by-element reference of REP MOVS/STOS on a copy of
 * RAM, flat segments, 32-bit addresses. */
static void ref_string(uint8_t *ram, enum string_op op, unsigned size, uint32_t *esi, uint32_t *edi,
		       uint32_t *ecx, uint32_t eax, bool df)
{
	int32_t d = df ? -(int32_t)size : (int32_t)size;

	for (; *ecx; (*ecx)--) {
		uint32_t t;

		if (op == STR_MOVS) { /* read the element, then write it */
			memcpy(&t, ram + *esi, size);
			memcpy(ram + *edi, &t, size);
		} else
			memcpy(ram + *edi, &eax, size);
		*esi += op == STR_MOVS ? (uint32_t)d : 0;
		*edi += d;
	}
}

/* Random REP MOVS/STOS in both directions, with overlap, against the
 * reference loop. */
START_TEST(test_movs_random)
{
	uint8_t *ram = M.ram.host;
	uint8_t *ref = malloc(0x40000);

	srand(42);
	for (int iter = 0; iter < 400; iter++) {
		unsigned size = 1u << (rand() % 3);
		enum string_op op = (rand() % 4) ? STR_MOVS : STR_STOS;
		bool df = rand() & 1;
		uint32_t cnt = rand() % 3000;
		uint32_t src = 0x20000 + rand() % 0x10000;
		uint32_t dst = (rand() & 1) ? src + (uint32_t)(rand() % 64) - 32
					    : 0x20000u + (uint32_t)(rand() % 0x10000);

		for (uint32_t i = 0x10000; i < 0x40000; i++)
			ram[i] = (uint8_t)(i * 7 + iter);
		memcpy(ref, ram, 0x40000);
		uint32_t rs = src, rd = dst, rc = cnt;

		ref_string(ref, op, size, &rs, &rd, &rc, 0xa1b2c3d4, df);
		V->gpr[R_ESI] = src;
		V->gpr[R_EDI] = dst;
		V->gpr[R_ECX] = cnt;
		V->gpr[R_EAX] = 0xa1b2c3d4;
		V->eflags = EFL_FIXED | (df ? EFL_DF : 0);
		ck_assert_int_eq(cpu_string_op(V, op, REP_REP, size, S_DS, 4), 0);
		ck_assert_uint_eq(V->gpr[R_ECX], 0);
		ck_assert_uint_eq(V->gpr[R_EDI], rd);
		if (op == STR_MOVS)
			ck_assert_uint_eq(V->gpr[R_ESI], rs);
		ck_assert_msg(!memcmp(ref, ram, 0x40000),
			      "iter %d op %d size %u df %d src %x dst %x cnt %u", iter, op, size,
			      df, src, dst, cnt);
	}
	free(ref);
}
END_TEST

/* host_cmp_flags: the arithmetic flags the host CPU computes for CMP a, b. */
static uint32_t host_cmp_flags(uint32_t a, uint32_t b, unsigned size)
{
	unsigned long f;

	if (size == 1)
		__asm__("cmpb %b2, %b1; pushf; pop %0" : "=r"(f) : "q"(a), "q"(b) : "cc");
	else if (size == 2)
		__asm__("cmpw %w2, %w1; pushf; pop %0" : "=r"(f) : "r"(a), "r"(b) : "cc");
	else
		__asm__("cmpl %2, %1; pushf; pop %0" : "=r"(f) : "r"(a), "r"(b) : "cc");
	return (uint32_t)f & EFL_ARITH;
}

START_TEST(test_cmps_scas)
{
	uint8_t *ram = M.ram.host;

	srand(7);
	for (int iter = 0; iter < 300; iter++) {
		unsigned size = 1u << (rand() % 3);
		uint32_t n = 1 + rand() % 2000, stop = rand() % (n + 5);
		uint32_t a = 0x30000 + (rand() % 0x3000), b = 0x38000 + (rand() % 0x3000);
		bool repne = rand() & 1;

		for (uint32_t i = 0; i < n * size + 8; i++)
			ram[a + i] = ram[b + i] = (uint8_t)rand();
		if (repne) /* all differ until stop */
			for (uint32_t i = 0; i < n * size; i++)
				ram[b + i] = (i / size == stop) ? ram[a + i] : ram[a + i] ^ 0x5a;
		else if (stop < n)
			ram[b + stop * size + rand() % size] ^= 1u << (rand() % 8);
		V->gpr[R_ESI] = a;
		V->gpr[R_EDI] = b;
		V->gpr[R_ECX] = n;
		V->eflags = EFL_FIXED;
		ck_assert_int_eq(
		    cpu_string_op(V, STR_CMPS, repne ? REP_REPNE : REP_REPE, size, S_DS, 4), 0);
		uint32_t done = stop < n ? stop + 1 : n;

		ck_assert_uint_eq(V->gpr[R_ECX], n - done);
		ck_assert_uint_eq(V->gpr[R_ESI], a + done * size);
		uint32_t x = 0, y = 0;

		memcpy(&x, ram + a + (done - 1) * size, size);
		memcpy(&y, ram + b + (done - 1) * size, size);
		ck_assert_uint_eq(V->eflags & EFL_ARITH, host_cmp_flags(x, y, size));
	}
	/* REPNE SCASB finds a byte; flags are those of CMP AL, byte */
	memcpy(ram + 0x50000, "hello, world", 13);
	V->gpr[R_EAX] = ',';
	V->gpr[R_EDI] = 0x50000;
	V->gpr[R_ECX] = 100;
	ck_assert_int_eq(cpu_string_op(V, STR_SCAS, REP_REPNE, 1, S_DS, 4), 0);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x50006);
	ck_assert_uint_eq(V->gpr[R_ECX], 94);
	ck_assert(V->eflags & EFL_ZF);
	/* ECX = 0: nothing changes, flags included */
	V->gpr[R_ECX] = 0;
	V->eflags = EFL_FIXED | EFL_CF;
	ck_assert_int_eq(cpu_string_op(V, STR_SCAS, REP_REPNE, 1, S_DS, 4), 0);
	ck_assert_uint_eq(V->eflags, EFL_FIXED | EFL_CF);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x50006);
	/* single SCASW, no REP: ECX untouched */
	V->gpr[R_EAX] = 0x6f77;
	wr16(0x50006, 0x6f77);
	ck_assert_int_eq(cpu_string_op(V, STR_SCAS, REP_NONE, 2, S_DS, 4), 0);
	ck_assert(V->eflags & EFL_ZF);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x50008);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
}
END_TEST

START_TEST(test_string_16bit_and_fault)
{
	/* 16-bit addressing wraps DI inside ES */
	cpu_desc_to_seg(make_desc(0x60000, 0xffff, 0x93, 0x0), 0x10, &V->seg[S_ES]);
	V->gpr[R_EDI] = 0xabcdfffe;
	V->gpr[R_ECX] = 0x55550003;
	V->gpr[R_EAX] = 0xbeef;
	ck_assert_int_eq(cpu_string_op(V, STR_STOS, REP_REP, 2, S_DS, 2), 0);
	ck_assert_uint_eq(V->gpr[R_EDI], 0xabcd0004);
	ck_assert_uint_eq(V->gpr[R_ECX], 0x55550000);
	ck_assert_uint_eq(rd32(0x6fffe) & 0xffff, 0xbeef);
	ck_assert_uint_eq(rd32(0x60000), 0xbeefbeef);
	/* segment limit: a 32-bit STOS running past a small limit faults at
	 * the element that crosses it, registers for the elements done */
	cpu_desc_to_seg(make_desc(0x60000, 0xfff, 0x93, 0x4), 0x10, &V->seg[S_ES]);
	V->gpr[R_EDI] = 0xff0;
	V->gpr[R_ECX] = 100;
	ck_assert_int_eq(cpu_string_op(V, STR_STOS, REP_REP, 4, S_DS, 4), CPU_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x1000);
	ck_assert_uint_eq(V->gpr[R_ECX], 96);
	/* a page fault mid-way */
	cpu_desc_to_seg(make_desc(0, 0xfffff, 0x93, 0xc), 0x10, &V->seg[S_ES]);
	paging_setup();
	V->gpr[R_EDI] = 0x402f00;
	V->gpr[R_ECX] = 0x200;
	ck_assert_int_eq(cpu_string_op(V, STR_STOS, REP_REP, 1, S_DS, 4), CPU_FAULT);
	expect_exc(EXC_PF, true, PFEC_W);
	ck_assert_uint_eq(V->cr2, 0x403000);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x403000);
	ck_assert_uint_eq(V->gpr[R_ECX], 0x100);
	ck_assert_uint_eq(rd32(0x202ffc), 0xefefefef);
	/* bounded work: a long REP stops with ECX left */
	V->cr0 &= ~CR0_PG;
	V->gpr[R_EDI] = 0x100000;
	V->gpr[R_ECX] = 0x30000;
	ck_assert_int_eq(cpu_string_op(V, STR_STOS, REP_REP, 1, S_DS, 4), CPU_STRING_MORE);
	ck_assert_uint_eq(V->gpr[R_ECX], 0x20000);
	ck_assert_uint_eq(V->gpr[R_EDI], 0x110000);
	/* LODS: the last element ends in AL */
	wr8(0x7000, 0x11);
	wr8(0x7001, 0x22);
	V->gpr[R_ESI] = 0x7000;
	V->gpr[R_ECX] = 2;
	ck_assert_int_eq(cpu_string_op(V, STR_LODS, REP_REP, 1, S_DS, 4), 0);
	ck_assert_uint_eq(V->gpr[R_EAX] & 0xff, 0x22);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpu_mem");
	TCase *tc = tcase_create("mem");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_walk_4k);
	tcase_add_test(tc, test_walk_4m);
	tcase_add_test(tc, test_cross_page);
	tcase_add_test(tc, test_movs_random);
	tcase_add_test(tc, test_cmps_scas);
	tcase_add_test(tc, test_string_16bit_and_fault);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
