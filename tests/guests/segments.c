/*
 * Segment register loads and segmented memory access: valid and invalid
 * selectors with their #GP/#NP/#SS error codes, an LDT, and FS/GS with
 * non-zero bases. Segment limit and write-permission checks on ordinary
 * data accesses are left out: the reference (QEMU TCG) does not model them.
 */
#include "rt.h"

#define SEL_FSBASE 0x38 /* data, base = &window[0] */
#define SEL_GSBASE 0x40 /* data, base = &window[64] */
#define SEL_NP	   0x50 /* not-present data */
#define SEL_XONLY  0x58 /* execute-only code */
#define SEL_RO	   0x60 /* read-only data */
#define SEL_DPL3   0x68 /* DPL 3 data (SS needs DPL = CPL) */
#define SEL_LDT0   0x04 /* LDT index 0, TI=1 */
#define SEL_LDT1   0x0c

static uint32_t window[128];
static uint32_t ldt_target[4];

#define LOAD(sreg, sel) RT_CATCH("movw %w0, %%" sreg, : : "r"(sel) : "memory")

static void test_loads(void)
{
	uint32_t v;
	LOAD("fs", SEL_FSBASE);
	tap_nofault("load FS with a data segment");
	window[3] = 0x600dcafe;
	asm volatile("movl %%fs:12, %0" : "=r"(v));
	tap_eq("FS base applies to the access", v, 0x600dcafe);
	LOAD("gs", SEL_GSBASE);
	asm volatile("movl $0x5eed, %%gs:8" ::: "memory");
	tap_eq("GS base applies to a store", window[66], 0x5eed);
	LOAD("es", 0);
	tap_nofault("null selector into ES is allowed");
	asm volatile("mov %w0, %%es" : : "r"(SEL_KDATA));
	LOAD("ds", 0x0100 | 0);
	tap_fault("selector beyond the GDT limit: #GP(sel)", VEC_GP, 0x100);
	LOAD("ds", SEL_NP);
	tap_fault("not-present data segment: #NP(sel)", VEC_NP, SEL_NP);
	LOAD("ds", SEL_XONLY);
	tap_fault("execute-only code into DS: #GP(sel)", VEC_GP, SEL_XONLY);
	LOAD("ds", SEL_TSS);
	tap_fault("system descriptor into DS: #GP(sel)", VEC_GP, SEL_TSS);
	LOAD("ss", SEL_NP);
	tap_fault("not-present segment into SS: #SS(sel)", VEC_SS, SEL_NP);
	LOAD("ss", SEL_RO);
	tap_fault("read-only data into SS: #GP(sel)", VEC_GP, SEL_RO);
	LOAD("ss", SEL_DPL3);
	tap_fault("DPL 3 data into SS at CPL 0: #GP(sel)", VEC_GP, SEL_DPL3);
	LOAD("ss", 0);
	tap_fault("null SS: #GP(0)", VEC_GP, 0);
}

static void test_ldt(void)
{
	uint32_t v;
	asm volatile("lldt %w0" : : "r"(0));
	LOAD("fs", SEL_LDT0);
	tap_fault("LDT selector with a null LDTR: #GP(sel)", VEC_GP, SEL_LDT0);
	rt_ldt_set(0, (uint32_t)ldt_target, 15, ACC_DATA0, FLG_B32);
	rt_ldt_set(1, 0, 0xfffff, ACC_DATA0 & 0x7f, FLG_G32);
	rt_ldt_load();
	ldt_target[2] = 0x1d71d7;
	LOAD("fs", SEL_LDT0);
	tap_nofault("load FS from the LDT");
	asm volatile("movl %%fs:8, %0" : "=r"(v));
	tap_eq("read through the LDT segment base", v, 0x1d71d7);
	LOAD("gs", SEL_LDT1);
	tap_fault("not-present LDT segment: #NP(sel)", VEC_NP, SEL_LDT1);
	LOAD("gs", 0x44 | 4);
	tap_fault("selector past the LDT limit: #GP(sel)", VEC_GP, 0x44);
	uint16_t ldtr;
	asm volatile("sldt %0" : "=r"(ldtr));
	tap_eq("SLDT returns the LDT selector", ldtr, SEL_LDT);
}

void test_main(void)
{
	rt_gdt_set(SEL_FSBASE >> 3, (uint32_t)&window[0], 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_GSBASE >> 3, (uint32_t)&window[64], 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_NP >> 3, 0, 0xfffff, ACC_DATA0 & 0x7f, FLG_G32);
	rt_gdt_set(SEL_XONLY >> 3, 0, 0xfffff, ACC_XONLY0, FLG_G32);
	rt_gdt_set(SEL_RO >> 3, 0, 0xfffff, ACC_RODATA0, FLG_G32);
	rt_gdt_set(SEL_DPL3 >> 3, 0, 0xfffff, ACC_DATA3, FLG_G32);
	tap_plan(18);
	test_loads();
	test_ldt();
	asm volatile("movw %w0, %%fs\n\tmovw %w0, %%gs" : : "r"(SEL_KDATA));
}
