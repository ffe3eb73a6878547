/* test_shadow_spaces.c - address spaces cached across CR3 writes
 * (shadow.c, shadow_sync.c): what survives a switch, what a change of the
 * guest's entries drops (while away, through a shared table, a changed
 * PDE, a monitor write), and the limits (spaces, mapping budget). */
#include "test_cpu_fixture.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86/walk.h"
#include "monitor/base/stats.h"

#define PDA 0x100000u /* two page directories */
#define PDB 0x102000u
#define PTA 0x101000u /* their tables for PDE 1 */
#define PTB 0x103000u
#define PTS 0x104000u /* a table both use for PDE 2 */
#define LV  0x400000u /* PDE 1 */
#define LS  0x800000u /* PDE 2 */

static struct shadow S;

static void setup(void)
{
	fixture_setup();
	ck_assert_int_eq(shadow_init(&S, &M, 0), 0);
	for (unsigned i = 0; i < 8; i++) {
		wr32(PTA + i * 4, (0x200000 + i * 4096) | PTE_P | PTE_RW | PTE_A | PTE_D);
		wr32(PTB + i * 4, (0x300000 + i * 4096) | PTE_P | PTE_RW | PTE_A | PTE_D);
		wr32(PTS + i * 4, (0x280000 + i * 4096) | PTE_P | PTE_RW | PTE_A | PTE_D);
	}
	wr32(PDA + 1 * 4, PTA | PTE_P | PTE_RW);
	wr32(PDB + 1 * 4, PTB | PTE_P | PTE_RW);
	wr32(PDA + 2 * 4, PTS | PTE_P | PTE_RW);
	wr32(PDB + 2 * 4, PTS | PTE_P | PTE_RW);
	V->cr4 = CR4_PSE;
	V->cr0 |= CR0_PG;
	V->cr3 = PDA;
	shadow_switch(&S, PDA);
	memset(stats, 0, sizeof(stats));
}

static void teardown(void)
{
	shadow_destroy(&S);
	fixture_teardown();
}

/* to: CR3 = pd, as a MOV CR3 does. */
static bool to(uint32_t pd)
{
	V->cr3 = pd;
	return shadow_switch(&S, pd);
}

/* fill: a read of lin in the supervisor view of the current space. */
static enum shadow_result fill(uint32_t lin)
{
	uint32_t ec, gpa;

	return shadow_fault(&S, SHADOW_SUP, lin, false, V->cr0, V->cr3, V->cr4, &ec, &gpa);
}

/* frame_of: the frame lin is filled with in the current space, or 0. */
static uint32_t frame_of(uint32_t lin)
{
	uint32_t i = S.slot[SHADOW_SUP][lin >> 12];

	return i ? S.pool[i - 1].frame : 0;
}

START_TEST(switch_keeps_fills)
{
	ck_assert_int_eq(fill(LV), SHADOW_FILLED);
	ck_assert_int_eq(to(PDB), false); /* a new space */
	ck_assert_uint_eq(frame_of(LV), 0);
	ck_assert_int_eq(fill(LV), SHADOW_FILLED);
	ck_assert_uint_eq(frame_of(LV), 0x300);
	ck_assert_int_eq(to(PDA), true); /* cached: nothing refilled */
	ck_assert_uint_eq(frame_of(LV), 0x200);
	ck_assert_uint_eq(stats[STAT_shadow_space_hits], 1);
	ck_assert_uint_eq(stats[STAT_shadow_fills], 2);
}
END_TEST

START_TEST(change_while_away_is_dropped)
{
	ck_assert_int_eq(fill(LV + 0x1000), SHADOW_FILLED);
	ck_assert_int_eq(fill(LV + 0x2000), SHADOW_FILLED);
	to(PDB);
	/* A's PTEs change while B runs: a new frame; A cleared (the next
	 * access must set it again) */
	wr32(PTA + 1 * 4, 0x250000 | PTE_P | PTE_RW | PTE_A | PTE_D);
	wr32(PTA + 2 * 4, rd32(PTA + 2 * 4) & ~PTE_A);
	to(PDA);
	ck_assert_uint_eq(frame_of(LV + 0x1000), 0);
	ck_assert_uint_eq(frame_of(LV + 0x2000), 0);
	ck_assert_int_eq(fill(LV + 0x2000), SHADOW_FILLED);
	ck_assert_uint_eq(rd32(PTA + 2 * 4) & PTE_A, PTE_A);
	/* A set again (by the fill's walk): no change, the page stays */
	to(PDB);
	to(PDA);
	ck_assert_uint_eq(frame_of(LV + 0x2000), 0x202);
	ck_assert_int_eq(fill(LV + 0x1000), SHADOW_FILLED);
	ck_assert_uint_eq(frame_of(LV + 0x1000), 0x250);
}
END_TEST

START_TEST(shared_table_change_reaches_both)
{
	ck_assert_int_eq(fill(LS), SHADOW_FILLED);
	to(PDB);
	ck_assert_int_eq(fill(LS), SHADOW_FILLED);
	/* the change is made and flushed in B; A, away, must not keep it */
	wr32(PTS, 0x290000 | PTE_P | PTE_RW | PTE_A | PTE_D);
	shadow_invlpg(&S, LS);
	ck_assert_int_eq(fill(LS), SHADOW_FILLED);
	ck_assert_uint_eq(frame_of(LS), 0x290);
	to(PDA);
	ck_assert_uint_eq(frame_of(LS), 0);
}
END_TEST

START_TEST(changed_pde_drops_its_range)
{
	ck_assert_int_eq(fill(LV), SHADOW_FILLED);
	ck_assert_int_eq(fill(LS), SHADOW_FILLED);
	to(PDB);
	wr32(PDA + 1 * 4, PTB | PTE_P | PTE_RW); /* A's PDE 1 now points at B's table */
	to(PDA);
	ck_assert_uint_eq(frame_of(LV), 0);
	ck_assert_uint_eq(frame_of(LS), 0x280);
	ck_assert_int_eq(fill(LV), SHADOW_FILLED);
	ck_assert_uint_eq(frame_of(LV), 0x300);
}
END_TEST

START_TEST(monitor_write_is_compared_at_once)
{
	ck_assert_int_eq(fill(LV), SHADOW_FILLED);
	wr32(PTA, 0x260000 | PTE_P | PTE_RW | PTE_A | PTE_D);
	shadow_note_write(&S, PTA, 4);
	ck_assert_uint_eq(frame_of(LV), 0);
	ck_assert_uint_eq(stats[STAT_shadow_traced_writes], 1);
}
END_TEST

START_TEST(more_spaces_than_kept)
{
	for (unsigned i = 0; i < SHADOW_SPACES + 4; i++) {
		uint32_t pd = 0x600000 + i * 0x1000;
		wr32(pd + 1 * 4, PTA | PTE_P | PTE_RW);
		to(pd);
		ck_assert_int_eq(fill(LV + i * 0x1000 % 0x8000), SHADOW_FILLED);
	}
	/* 16 kept: the empty ones go first (no eviction), then the 4 oldest */
	ck_assert_uint_eq(stats[STAT_shadow_evictions], 4);
	/* the oldest went, the newest are kept */
	ck_assert_int_eq(to(0x600000), false);
	ck_assert_int_eq(to(0x600000 + (SHADOW_SPACES + 3) * 0x1000), true);
}
END_TEST

START_TEST(full_budget_keeps_tracking)
{
	/* a pool of 4 in one space: the fifth fill empties the space first,
	 * and the page it maps is still compared at the next CR3 write */
	shadow_destroy(&S);
	ck_assert_int_eq(shadow_init(&S, &M, 4), 0);
	shadow_switch(&S, PDA);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_int_eq(fill(LV + i * 0x1000), SHADOW_FILLED);
	ck_assert_uint_eq(frame_of(LV + 0x4000), 0x204);
	wr32(PTA + 4 * 4, 0x270000 | PTE_P | PTE_RW | PTE_A | PTE_D);
	to(PDA);
	ck_assert_uint_eq(frame_of(LV + 0x4000), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shadow_spaces");
	TCase *tc = tcase_create("spaces");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, switch_keeps_fills);
	tcase_add_test(tc, change_while_away_is_dropped);
	tcase_add_test(tc, shared_table_change_reaches_both);
	tcase_add_test(tc, changed_pde_drops_its_range);
	tcase_add_test(tc, monitor_write_is_compared_at_once);
	tcase_add_test(tc, more_spaces_than_kept);
	tcase_add_test(tc, full_budget_keeps_tracking);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
