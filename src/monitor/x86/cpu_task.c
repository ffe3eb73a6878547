/*
 * cpu_task.c - hardware task switches (SDM vol. 3, 7.3): far JMP and CALL
 * to a TSS or a task gate, an interrupt or exception through a task gate,
 * and IRET with NT=1 back to the previous task, with 32-bit TSSs (a 16-bit
 * TSS ends the run as unsupported).
 *
 * Up to the commit point every check raises its fault in the old task and
 * nothing has changed: the new TSS descriptor (GDT only, an available TSS
 * for JMP/CALL/INT, a busy one for IRET; #GP, or #TS for IRET; #NP when
 * not present; #TS below the 0x67 limit) and reads of both TSSs.  Then the
 * old task's dynamic state is saved, the busy bits and the back link are
 * set as the reason asks, CR0.TS is set, TR, CR3 (with the PDPTEs under
 * PAE), EFLAGS, the registers and the selectors are loaded, and the LDT,
 * CS, SS and data segments are checked: a fault there is raised in the new
 * task (its EIP, its registers), pending for the caller to deliver, as
 * the SDM's table 7-1 orders them.  An exception's error code is pushed on
 * the new task's stack.
 */
#include "monitor/x86/cpu_internal.h"

#include <string.h>

#define TSS32_MIN_LIMIT 0x67
#define TSS_BUSY	0x02 /* in the type field: 9 available, 11 busy */

/* The 32-bit TSS fields a task switch uses. */
enum {
	T_LINK = 0x00,
	T_CR3 = 0x1c,
	T_EIP = 0x20,
	T_EFLAGS = 0x24,
	T_GPR = 0x28, /* EAX..EDI, 4 bytes each */
	T_SEG = 0x48, /* ES CS SS DS FS GS, 4 bytes each */
	T_LDT = 0x60,
};

/* The TSS's segment order: ES, CS, SS, DS, FS, GS. */
static const int tss_seg[6] = {S_ES, S_CS, S_SS, S_DS, S_FS, S_GS};

/* task_desc: the new TSS descriptor for sel, checked for the reason. */
static int task_desc(struct vcpu *v, uint16_t sel, enum task_reason why, unsigned ext, uint64_t *d)
{
	int vec = why == TASK_IRET ? EXC_TS : EXC_GP;
	uint32_t e = (sel & 0xfffc) | ext;

	if ((sel & 4) || !(sel & 0xfffc))
		return cpu_raise(v, vec, true, e);
	if (cpu_desc_fetch(v, sel, d, vec, ext) < 0)
		return CPU_FAULT;
	unsigned t = desc_type(*d);
	if (desc_s(*d) || (t != 1 && t != 3 && t != 9 && t != 11))
		return cpu_raise(v, vec, true, e);
	if (t == 1 || t == 3)
		return cpu_unsupported(v, "a task switch to a 16-bit TSS");
	if ((why == TASK_IRET) != (t == 11))
		return cpu_raise(v, vec, true, e); /* busy for IRET, available otherwise */
	if (!desc_p(*d))
		return cpu_raise(v, EXC_NP, true, e);
	struct seg s;
	cpu_desc_to_seg(*d, sel, &s);
	if (s.limit < TSS32_MIN_LIMIT)
		return cpu_raise(v, EXC_TS, true, e);
	return 0;
}

/* set_busy: the busy bit of the TSS descriptor sel in the GDT. */
static int set_busy(struct vcpu *v, uint16_t sel, bool busy)
{
	uint32_t at = v->gdtr.base + (sel & ~7u) + 5;
	uint8_t b;

	if (cpu_read_lin(v, at, &b, 1, ACC_SYS) < 0)
		return CPU_FAULT;
	b = busy ? (b | TSS_BUSY) : (b & ~TSS_BUSY);
	return cpu_write_lin(v, at, &b, 1, ACC_SYS);
}

/* save_old: the outgoing task's dynamic state into its TSS. */
static int save_old(struct vcpu *v, bool clear_nt)
{
	uint8_t img[T_LDT - T_EIP];
	uint32_t fl = cpu_get_eflags(v);

	if (clear_nt)
		fl &= ~EFL_NT;
	le_put32(img, v->eip);
	le_put32(img + 4, fl);
	for (int i = 0; i < 8; i++)
		le_put32(img + 8 + 4 * i, v->gpr[i]);
	for (int i = 0; i < 6; i++)
		le_put32(img + 0x28 + 4 * i, v->seg[tss_seg[i]].sel);
	return cpu_write_lin(v, v->tr.base + T_EIP, img, sizeof(img), ACC_SYS);
}

/* task_fail: a check after the commit point failed: the fault is raised
 * in the new task and left pending (the switch itself went through);
 * false, for the loaders below. */
static bool task_fail(struct vcpu *v, int vec, uint32_t err)
{
	cpu_raise(v, vec, true, err);
	return false;
}

/* load_ldt: LDTR from the new TSS (null: unusable). */
static bool load_ldt(struct vcpu *v, uint16_t sel, unsigned ext)
{
	uint64_t d;
	uint32_t e = (sel & 0xfffc) | ext;

	v->ldtr.sel = sel;
	v->ldtr.attr = 0;
	if (!(sel & 0xfffc))
		return true;
	if (sel & 4)
		return task_fail(v, EXC_TS, e);
	if (cpu_desc_fetch(v, sel, &d, EXC_TS, ext) < 0)
		return false;
	if (desc_s(d) || desc_type(d) != 2)
		return task_fail(v, EXC_TS, e);
	if (!desc_p(d))
		return task_fail(v, EXC_NP, e);
	cpu_desc_to_seg(d, sel, &v->ldtr);
	return true;
}

/* load_cs: CS of the new task; its RPL is the new CPL. */
static bool load_cs(struct vcpu *v, uint16_t sel, unsigned ext)
{
	uint64_t d;
	uint32_t e = (sel & 0xfffc) | ext;
	unsigned rpl = sel & 3;

	if (!(sel & 0xfffc))
		return task_fail(v, EXC_TS, ext);
	if (cpu_desc_fetch(v, sel, &d, EXC_TS, ext) < 0)
		return false;
	if (!desc_is_code(d) || (desc_conforming(d) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl))
		return task_fail(v, EXC_TS, e);
	if (!desc_p(d))
		return task_fail(v, EXC_NP, e);
	if (cpu_desc_set_accessed(v, sel, &d) < 0)
		return false;
	cpu_load_cs_desc(v, sel, d, rpl);
	return true;
}

/* load_data: DS/ES/FS/GS of the new task (null allowed). */
static bool load_data(struct vcpu *v, int seg, uint16_t sel, unsigned ext)
{
	uint64_t d;
	uint32_t e = (sel & 0xfffc) | ext;

	if (!(sel & 0xfffc)) {
		v->seg[seg] = (struct seg){.sel = sel};
		return true;
	}
	if (cpu_desc_fetch(v, sel, &d, EXC_TS, ext) < 0)
		return false;
	if (!desc_s(d) || (desc_is_code(d) && !(desc_type(d) & 2)))
		return task_fail(v, EXC_TS, e);
	if (!desc_conforming(d) && ((sel & 3u) > desc_dpl(d) || v->cpl > desc_dpl(d)))
		return task_fail(v, EXC_TS, e);
	if (!desc_p(d))
		return task_fail(v, EXC_NP, e);
	if (cpu_desc_set_accessed(v, sel, &d) < 0)
		return false;
	cpu_desc_to_seg(d, sel, &v->seg[seg]);
	return true;
}

/* load_segments: LDTR, CS, SS, then DS, ES, FS, GS, in the SDM's order;
 * false once one faulted (pending). */
static bool load_segments(struct vcpu *v, const uint8_t *t, unsigned ext)
{
	uint64_t ssd;
	uint16_t ss = (uint16_t)le32(t + T_SEG + 8);

	if (!load_ldt(v, (uint16_t)le32(t + T_LDT), ext) ||
	    !load_cs(v, (uint16_t)le32(t + T_SEG + 4), ext))
		return false;
	if (cpu_check_ss(v, ss, v->cpl, EXC_TS, ext, &ssd) < 0 ||
	    cpu_desc_set_accessed(v, ss, &ssd) < 0)
		return false;
	cpu_desc_to_seg(ssd, ss, &v->seg[S_SS]);
	static const int data[4] = {S_DS, S_ES, S_FS, S_GS};
	static const int at[4] = {3, 0, 4, 5};
	for (int i = 0; i < 4; i++)
		if (!load_data(v, data[i], (uint16_t)le32(t + T_SEG + 4 * at[i]), ext))
			return false;
	return true;
}

int cpu_task_switch(struct vcpu *v, uint16_t sel, enum task_reason why, bool has_err, uint32_t err,
		    unsigned ext)
{
	uint64_t nd;
	uint8_t t[TSS32_MIN_LIMIT + 1];
	uint16_t old = v->tr.sel;
	struct seg ntr;

	if (task_desc(v, sel, why, ext, &nd) < 0)
		return CPU_FAULT;
	cpu_desc_to_seg(nd, sel, &ntr);
	if (v->tr.limit < TSS32_MIN_LIMIT || !(SEG_ATTR_TYPE(v->tr.attr) & 8))
		return cpu_raise(v, EXC_TS, true, (old & 0xfffc) | ext);
	if (cpu_read_lin(v, ntr.base, t, sizeof(t), ACC_SYS) < 0)
		return CPU_FAULT;
	/* commit */
	if (save_old(v, why == TASK_IRET) < 0)
		return CPU_FAULT;
	if ((why == TASK_JMP || why == TASK_IRET) && set_busy(v, old, false) < 0)
		return CPU_FAULT;
	uint32_t eflags = le32(t + T_EFLAGS);
	if (why == TASK_CALL || why == TASK_INT) {
		uint8_t link[2] = {(uint8_t)old, (uint8_t)(old >> 8)};
		if (cpu_write_lin(v, ntr.base + T_LINK, link, 2, ACC_SYS) < 0)
			return CPU_FAULT;
		eflags |= EFL_NT;
	}
	if (why != TASK_IRET && set_busy(v, sel, true) < 0)
		return CPU_FAULT;
	v->cr0 |= CR0_TS;
	ntr.attr |= TSS_BUSY;
	v->tr = ntr;
	if (v->cr0 & CR0_PG) {
		uint32_t cr3 = le32(t + T_CR3);
		if ((v->cr4 & CR4_PAE) && cpu_load_pdptes(v, cr3) < 0)
			return 0; /* #GP pending in the new task */
		v->cr3 = cr3;
	}
	v->eip = le32(t + T_EIP);
	if (eflags & EFL_VM)
		return cpu_unsupported(v, "a task switch into virtual-8086 mode");
	cpu_write_eflags(v, eflags | 2, 4, 0, true);
	for (int i = 0; i < 8; i++)
		v->gpr[i] = le32(t + T_GPR + 4 * i);
	for (int i = 0; i < 6; i++) /* selectors first: a fault below shows them */
		v->seg[tss_seg[i]] = (struct seg){.sel = (uint16_t)le32(t + T_SEG + 4 * i)};
	v->cpl = v->seg[S_CS].sel & 3;
	if (!load_segments(v, t, ext))
		return 0;
	if (has_err && cpu_push(v, err, 4) < 0)
		return 0;
	return 0;
}
