/* test_shadow_fill.c - shadow MMU fills (shadow.c): protections per view,
 * A/D bits, #PF error codes, CR0.WP, non-RAM frames, code frames. */
#include "test_cpu_fixture.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86/walk.h"
#include "monitor/base/stats.h"

#include <stdlib.h>

#define PD 0x100000u
#define PT 0x101000u
#define LV 0x400000u /* linear base of the test page table (PDE 1) */

static struct shadow S;

/* setup: the fixture, a shadow, and a page directory whose PDE 1 points to
 * a user page table (entries set by each test). */
static void setup(void)
{
	fixture_setup();
	ck_assert_int_eq(shadow_init(&S, &M, 0), 0);
	wr32(PD + 1 * 4, PT | PTE_P | PTE_RW | PTE_US);
	V->cr3 = PD;
	V->cr4 = CR4_PSE | CR4_PGE;
	V->cr0 |= CR0_PG;
}

static void teardown(void)
{
	shadow_destroy(&S);
	fixture_teardown();
}

/* fault: shadow_fault at lin in view with the vcpu's paging state. */
static enum shadow_result fault(int view, uint32_t lin, bool write, uint32_t *pfec)
{
	uint32_t gpa, ec = 0xdead;
	enum shadow_result r =
	    shadow_fault(&S, view, lin, write, V->cr0, V->cr3, V->cr4, &ec, &gpa);

	if (pfec)
		*pfec = ec;
	return r;
}

/* entry_of: the filled entry of (view, lin), or NULL. */
static struct shadow_entry *entry_of(int view, uint32_t lin)
{
	uint32_t i = S.slot[view][lin >> 12];

	return i ? &S.pool[i - 1] : NULL;
}

START_TEST(test_fill_read_then_write)
{
	wr32(PT + 0 * 4, 0x200000 | PTE_P | PTE_RW | PTE_US);
	wr32(0x200010, 0xcafef00d);
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x10, false, NULL), SHADOW_FILLED);
	/* the page reads through the view; A set, D not: read-only */
	ck_assert_uint_eq(*(volatile uint32_t *)(S.view[SHADOW_SUP].base + LV + 0x10), 0xcafef00d);
	ck_assert_uint_eq(rd32(PT) & (PTE_A | PTE_D), PTE_A);
	ck_assert_uint_eq(rd32(PD + 4) & PTE_A, PTE_A);
	ck_assert(!entry_of(SHADOW_SUP, LV)->writable);
	ck_assert_ptr_null(entry_of(SHADOW_USER, LV));
	/* the write fault sets D and maps it writable: stores reach RAM */
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x10, true, NULL), SHADOW_FILLED);
	ck_assert_uint_eq(rd32(PT) & PTE_D, PTE_D);
	ck_assert(entry_of(SHADOW_SUP, LV)->writable);
	*(volatile uint32_t *)(S.view[SHADOW_SUP].base + LV + 0x14) = 0x1234;
	ck_assert_uint_eq(rd32(0x200014), 0x1234);
	ck_assert_uint_eq(S.n_live, 1);
}
END_TEST

START_TEST(test_fill_dirty_page_writable_at_once)
{
	wr32(PT + 3 * 4, 0x203000 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	ck_assert_int_eq(fault(SHADOW_USER, LV + 0x3000, false, NULL), SHADOW_FILLED);
	ck_assert(entry_of(SHADOW_USER, LV + 0x3000)->writable);
}
END_TEST

START_TEST(test_pf_error_codes)
{
	uint32_t ec;

	wr32(PT + 1 * 4, 0x201000 | PTE_P | PTE_US); /* user, read-only */
	wr32(PT + 2 * 4, 0x202000 | PTE_P | PTE_RW); /* supervisor */
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x5000, false, &ec), SHADOW_PF); /* not present */
	ck_assert_uint_eq(ec, 0);
	ck_assert_int_eq(fault(SHADOW_USER, LV + 0x5000, true, &ec), SHADOW_PF);
	ck_assert_uint_eq(ec, PFEC_W | PFEC_U);
	ck_assert_int_eq(fault(SHADOW_USER, LV + 0x2000, false, &ec), SHADOW_PF);
	ck_assert_uint_eq(ec, PFEC_P | PFEC_U);
	ck_assert_int_eq(fault(SHADOW_USER, LV + 0x1000, true, &ec), SHADOW_PF);
	ck_assert_uint_eq(ec, PFEC_P | PFEC_W | PFEC_U);
	ck_assert_int_eq(fault(SHADOW_USER, LV + 0x1000, false, NULL), SHADOW_FILLED);
	/* no A/D were set by the faulting walks of the supervisor page */
	ck_assert_uint_eq(rd32(PT + 2 * 4) & (PTE_A | PTE_D), 0);
	ck_assert_uint_eq(stats[STAT_shadow_pfs], 4);
}
END_TEST

START_TEST(test_supervisor_wp)
{
	uint32_t ec;

	wr32(PT + 1 * 4, 0x201000 | PTE_P | PTE_US); /* read-only */
	V->cr0 &= ~CR0_WP;
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x1000, true, NULL), SHADOW_FILLED);
	ck_assert(entry_of(SHADOW_SUP, LV + 0x1000)->writable);
	shadow_flush(&S, false);
	V->cr0 |= CR0_WP;
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x1000, true, &ec), SHADOW_PF);
	ck_assert_uint_eq(ec, PFEC_P | PFEC_W);
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x1000, false, NULL), SHADOW_FILLED);
	ck_assert(!entry_of(SHADOW_SUP, LV + 0x1000)->writable);
}
END_TEST

START_TEST(test_large_page_and_mmio)
{
	/* a 4 MiB page at 8 MiB -> 12 MiB; a page table entry beyond RAM */
	wr32(PD + 2 * 4, 0xc00000 | PTE_P | PTE_RW | PTE_PS);
	wr32(0xc12344, 0x77);
	ck_assert_int_eq(fault(SHADOW_SUP, 0x812344, false, NULL), SHADOW_FILLED);
	ck_assert_uint_eq(*(volatile uint32_t *)(S.view[SHADOW_SUP].base + 0x812344), 0x77);
	/* mapped whole: one entry for the 4 MiB, every page of it readable */
	ck_assert(entry_of(SHADOW_SUP, 0x812000)->whole);
	ck_assert_ptr_eq(entry_of(SHADOW_SUP, 0x800000), entry_of(SHADOW_SUP, 0xbff000));
	ck_assert_uint_eq(entry_of(SHADOW_SUP, 0x812000)->frame, 0xc00);
	wr32(0xfffff0, 0x78);
	ck_assert_uint_eq(*(volatile uint32_t *)(S.view[SHADOW_SUP].base + 0xbffff0), 0x78);
	wr32(PT + 4 * 4, 0xfee00000u | PTE_P | PTE_RW);
	uint32_t gpa = 0, ec;
	ck_assert_int_eq(
	    shadow_fault(&S, SHADOW_SUP, LV + 0x4020, false, V->cr0, V->cr3, V->cr4, &ec, &gpa),
	    SHADOW_MMIO);
	ck_assert_uint_eq(gpa, 0xfee00020u);
	ck_assert_ptr_null(entry_of(SHADOW_SUP, LV + 0x4000));
}
END_TEST

START_TEST(test_code_frames_read_only)
{
	uint8_t *code_map = calloc(M.ram.size >> 12, 1);

	S.code_map = code_map;
	/* two linear pages alias frame 0x205, one in each view */
	wr32(PT + 5 * 4, 0x205000 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	wr32(PT + 6 * 4, 0x205000 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x5000, true, NULL), SHADOW_FILLED);
	ck_assert_int_eq(fault(SHADOW_USER, LV + 0x6000, true, NULL), SHADOW_FILLED);
	ck_assert(entry_of(SHADOW_SUP, LV + 0x5000)->writable);
	/* the frame becomes code: both mappings are downgraded */
	code_map[0x205] = 1;
	shadow_protect_frame(&S, 0x205);
	ck_assert(!entry_of(SHADOW_SUP, LV + 0x5000)->writable);
	ck_assert(!entry_of(SHADOW_USER, LV + 0x6000)->writable);
	/* a write now asks for invalidation; a read fill stays read-only */
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x5000, true, NULL), SHADOW_CODE);
	wr32(PT + 7 * 4, 0x205000 | PTE_P | PTE_RW | PTE_A | PTE_D);
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x7000, false, NULL), SHADOW_FILLED);
	ck_assert(!entry_of(SHADOW_SUP, LV + 0x7000)->writable);
	/* invalidated: the next write fault maps it writable again */
	code_map[0x205] = 0;
	ck_assert_int_eq(fault(SHADOW_SUP, LV + 0x5000, true, NULL), SHADOW_FILLED);
	ck_assert(entry_of(SHADOW_SUP, LV + 0x5000)->writable);
	S.code_map = NULL;
	free(code_map);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shadow_fill");
	TCase *tc = tcase_create("fill");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fill_read_then_write);
	tcase_add_test(tc, test_fill_dirty_page_writable_at_once);
	tcase_add_test(tc, test_pf_error_codes);
	tcase_add_test(tc, test_supervisor_wp);
	tcase_add_test(tc, test_large_page_and_mmio);
	tcase_add_test(tc, test_code_frames_read_only);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
