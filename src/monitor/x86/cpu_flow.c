/*
 * cpu_flow.c - far control transfers: JMP/CALL through code segments and
 * call gates, RETF to the same or an outer level, IRET, SYSENTER and
 * SYSEXIT (INT n is in cpu_event.c) (see cpu.h).  On entry vcpu->eip is the next instruction; on
 * CPU_FAULT nothing has changed (the caller sets eip back to the
 * instruction before delivering the exception).
 *
 * Far JMP/CALL to a TSS or a task gate and IRET with NT=1 switch tasks
 * (cpu_task.c).  Not supported (one message, then #GP(0) to the guest):
 * IRET to virtual-8086 mode.
 */
#include "monitor/x86/cpu_internal.h"

#include <string.h>

/* load_cs_real: real/vm86 mode CS load. */
static void load_cs_real(struct vcpu *v, uint16_t sel, uint32_t eip)
{
	v->seg[S_CS].sel = sel;
	v->seg[S_CS].base = (uint32_t)sel << 4;
	v->eip = eip;
}

/* check_code_target: a JMP/CALL target code segment at the same privilege
 * (conforming: DPL <= CPL; non-conforming: RPL <= CPL and DPL == CPL;
 * through a call gate: DPL <= CPL). */
static int check_code_target(struct vcpu *v, uint16_t sel, uint64_t d, bool via_gate)
{
	uint32_t err = sel & 0xfffc;

	if (!desc_is_code(d))
		return cpu_raise_gp(v, err);
	if (desc_conforming(d)) {
		if (desc_dpl(d) > v->cpl)
			return cpu_raise_gp(v, err);
	} else if (via_gate ? desc_dpl(d) > v->cpl
			    : ((sel & 3u) > v->cpl || desc_dpl(d) != v->cpl)) {
		return cpu_raise_gp(v, err);
	}
	if (!desc_p(d))
		return cpu_raise(v, EXC_NP, true, err);
	return 0;
}

/* TARGET_TASK: resolve_target found a TSS or a task gate: *sel is the TSS. */
#define TARGET_TASK 1

/* task_target: far JMP/CALL to a TSS (t 9/11) or a task gate (5), checked
 * (DPL >= CPL and >= RPL, present); *sel becomes the TSS selector. */
static int task_target(struct vcpu *v, uint16_t *sel, uint64_t d)
{
	if (desc_dpl(d) < v->cpl || desc_dpl(d) < (*sel & 3u))
		return cpu_raise_gp(v, *sel & 0xfffc);
	if (!desc_p(d))
		return cpu_raise(v, EXC_NP, true, *sel & 0xfffc);
	if (desc_type(d) == 5)
		*sel = gate_sel(d);
	return TARGET_TASK;
}

/* resolve_target: for far JMP/CALL: follow sel (code segment or call gate)
 * to the target code selector, descriptor and offset; *gate receives the
 * call gate (0 when direct); TARGET_TASK for a task switch. */
static int resolve_target(struct vcpu *v, uint16_t *sel, uint32_t *off, uint64_t *cs,
			  uint64_t *gate)
{
	uint64_t d;

	*gate = 0;
	if (!(*sel & 0xfffc))
		return cpu_raise_gp(v, 0);
	if (cpu_desc_fetch(v, *sel, &d, EXC_GP, 0) < 0)
		return CPU_FAULT;
	if (desc_s(d)) {
		*cs = d;
		return check_code_target(v, *sel, d, false);
	}
	unsigned t = desc_type(d);

	if (t == 1 || t == 3 || t == 5 || t == 9 || t == 11)
		return task_target(v, sel, d);
	if (t != 4 && t != 12)
		return cpu_raise_gp(v, *sel & 0xfffc);
	if (desc_dpl(d) < v->cpl || desc_dpl(d) < (*sel & 3u))
		return cpu_raise_gp(v, *sel & 0xfffc);
	if (!desc_p(d))
		return cpu_raise(v, EXC_NP, true, *sel & 0xfffc);
	*gate = d;
	*sel = gate_sel(d);
	*off = gate_off(d, t == 12);
	if (!(*sel & 0xfffc))
		return cpu_raise_gp(v, 0);
	if (cpu_desc_fetch(v, *sel, cs, EXC_GP, 0) < 0)
		return CPU_FAULT;
	return check_code_target(v, *sel, *cs, true);
}

/* off_in_limit: the new EIP is within the target code segment. */
static int off_in_limit(struct vcpu *v, uint64_t cs, uint32_t off)
{
	struct seg s;

	cpu_desc_to_seg(cs, 0, &s);
	return off > s.limit ? cpu_raise_gp(v, 0) : 0;
}

int cpu_far_jmp(struct vcpu *v, uint16_t sel, uint32_t off, unsigned opsize)
{
	uint64_t cs, gate;

	if (opsize == 2)
		off &= 0xffff;
	if (!cpu_pmode(v)) {
		load_cs_real(v, sel, off);
		return 0;
	}
	int r = resolve_target(v, &sel, &off, &cs, &gate);

	if (r < 0)
		return CPU_FAULT;
	if (r == TARGET_TASK)
		return cpu_task_switch(v, sel, TASK_JMP, false, 0, 0);
	if (gate && !desc_conforming(cs) && desc_dpl(cs) != v->cpl)
		return cpu_raise_gp(v, sel & 0xfffc);
	if (off_in_limit(v, cs, off) < 0 || cpu_desc_set_accessed(v, sel, &cs) < 0)
		return CPU_FAULT;
	cpu_load_cs_desc(v, sel, cs, v->cpl);
	v->eip = off;
	return 0;
}

/* call_gate_inner: CALL through a call gate to a more privileged
 * non-conforming segment: new stack from the TSS, push the old SS:ESP,
 * copy the gate's parameters, push the return CS:EIP. */
static int call_gate_inner(struct vcpu *v, uint16_t sel, uint32_t off, uint64_t cs, uint64_t gate)
{
	unsigned ncpl = desc_dpl(cs);
	unsigned w = (desc_type(gate) == 12) ? 4 : 2;
	unsigned nparams = (unsigned)(gate >> 32) & 0x1f;
	uint8_t frame[4 * 36], params[4 * 32];
	uint64_t ssd;
	uint16_t ss_sel;
	uint32_t esp;
	struct seg nss;

	if (cpu_tss_stack(v, ncpl, 0, &ss_sel, &esp) < 0 ||
	    cpu_check_ss(v, ss_sel, ncpl, EXC_TS, 0, &ssd) < 0)
		return CPU_FAULT;
	if (nparams && cpu_stack_read(v, 0, params, nparams * w) < 0)
		return CPU_FAULT;
	if (off_in_limit(v, cs, off) < 0)
		return CPU_FAULT;
	cpu_desc_to_seg(ssd, ss_sel, &nss);
	/* Lowest address first: EIP, CS, params..., ESP, SS. */
	uint32_t head[2] = {v->eip, v->seg[S_CS].sel};
	uint32_t tail[2] = {v->gpr[R_ESP], v->seg[S_SS].sel};
	unsigned n = 0;

	for (unsigned i = 0; i < 2; i++, n += w)
		memcpy(frame + n, &head[i], w);
	memcpy(frame + n, params, nparams * w);
	n += nparams * w;
	for (unsigned i = 0; i < 2; i++, n += w)
		memcpy(frame + n, &tail[i], w);
	if (cpu_stack_write(v, &nss, esp, frame, n, ncpl, ss_sel & 0xfffc) < 0 ||
	    cpu_desc_set_accessed(v, sel, &cs) < 0 || cpu_desc_set_accessed(v, ss_sel, &ssd) < 0)
		return CPU_FAULT;
	v->seg[S_SS] = nss;
	v->gpr[R_ESP] = esp;
	cpu_stack_adjust(v, -(int32_t)n);
	cpu_load_cs_desc(v, sel, cs, ncpl);
	v->eip = off;
	return 0;
}

int cpu_far_call(struct vcpu *v, uint16_t sel, uint32_t off, unsigned opsize)
{
	uint64_t cs, gate;
	uint32_t ret[2] = {v->eip, v->seg[S_CS].sel};
	uint8_t frame[8];

	if (opsize == 2)
		off &= 0xffff;
	memcpy(frame, &ret[0], opsize);
	memcpy(frame + opsize, &ret[1], opsize);
	if (!cpu_pmode(v)) {
		if (cpu_stack_write(v, &v->seg[S_SS], v->gpr[R_ESP], frame, 2 * opsize, 0, 0) < 0)
			return CPU_FAULT;
		cpu_stack_adjust(v, -(int32_t)(2 * opsize));
		load_cs_real(v, sel, off);
		return 0;
	}
	int r = resolve_target(v, &sel, &off, &cs, &gate);

	if (r < 0)
		return CPU_FAULT;
	if (r == TARGET_TASK)
		return cpu_task_switch(v, sel, TASK_CALL, false, 0, 0);
	if (gate && !desc_conforming(cs) && desc_dpl(cs) < v->cpl)
		return call_gate_inner(v, sel, off, cs, gate);
	if (gate) { /* same privilege: the gate's size sets the push size */
		opsize = desc_type(gate) == 12 ? 4 : 2;
		memcpy(frame, &ret[0], opsize);
		memcpy(frame + opsize, &ret[1], opsize);
	}
	if (off_in_limit(v, cs, off) < 0 ||
	    cpu_stack_write(v, &v->seg[S_SS], v->gpr[R_ESP], frame, 2 * opsize, v->cpl, 0) < 0 ||
	    cpu_desc_set_accessed(v, sel, &cs) < 0)
		return CPU_FAULT;
	cpu_stack_adjust(v, -(int32_t)(2 * opsize));
	cpu_load_cs_desc(v, sel, cs, v->cpl);
	v->eip = off;
	return 0;
}

/* check_return_cs: the CS popped by RETF/IRET (RPL >= CPL, code, DPL rule,
 * present). */
static int check_return_cs(struct vcpu *v, uint16_t sel, uint64_t *d)
{
	unsigned rpl = sel & 3;

	if (!(sel & 0xfffc))
		return cpu_raise_gp(v, 0);
	if (cpu_desc_fetch(v, sel, d, EXC_GP, 0) < 0)
		return CPU_FAULT;
	if (rpl < v->cpl || !desc_is_code(*d))
		return cpu_raise_gp(v, sel & 0xfffc);
	if (desc_conforming(*d) ? desc_dpl(*d) > rpl : desc_dpl(*d) != rpl)
		return cpu_raise_gp(v, sel & 0xfffc);
	if (!desc_p(*d))
		return cpu_raise(v, EXC_NP, true, sel & 0xfffc);
	return 0;
}

/* get_word: element i (size w) of a popped frame. */
static uint32_t get_word(const uint8_t *buf, unsigned i, unsigned w)
{
	uint32_t x = 0;

	memcpy(&x, buf + i * w, w);
	return x;
}

/* return_to: finish RETF/IRET in protected mode: the frame's CS:EIP were
 * read from the stack (`used` bytes, plus `extra` released by RETF imm);
 * for an outer return SS:ESP are read after them. */
static int return_to(struct vcpu *v, uint16_t cs_sel, uint32_t eip, unsigned w, unsigned used,
		     unsigned extra, uint32_t eflags, bool iret)
{
	uint64_t cs, ssd;
	unsigned rpl = cs_sel & 3;
	uint8_t ssbuf[8];
	uint16_t ss_sel = 0;
	uint32_t esp = 0;

	if (check_return_cs(v, cs_sel, &cs) < 0)
		return CPU_FAULT;
	if (rpl > v->cpl) {
		if (cpu_stack_read(v, used + extra, ssbuf, 2 * w) < 0)
			return CPU_FAULT;
		esp = get_word(ssbuf, 0, w);
		ss_sel = (uint16_t)get_word(ssbuf, 1, w);
		if (cpu_check_ss(v, ss_sel, rpl, EXC_GP, 0, &ssd) < 0)
			return CPU_FAULT;
	}
	if (off_in_limit(v, cs, eip) < 0 || cpu_desc_set_accessed(v, cs_sel, &cs) < 0)
		return CPU_FAULT;
	if (rpl > v->cpl && cpu_desc_set_accessed(v, ss_sel, &ssd) < 0)
		return CPU_FAULT;
	if (iret)
		cpu_write_eflags(v, eflags, w, v->cpl, true);
	if (rpl > v->cpl) {
		cpu_desc_to_seg(ssd, ss_sel, &v->seg[S_SS]);
		v->gpr[R_ESP] =
		    (ssd >> 54) & 1 ? esp : (v->gpr[R_ESP] & 0xffff0000u) | (esp & 0xffff);
		cpu_stack_adjust(v, (int32_t)extra);
		cpu_load_cs_desc(v, cs_sel, cs, rpl);
		cpu_null_outer_segs(v);
	} else {
		cpu_stack_adjust(v, (int32_t)(used + extra));
		cpu_load_cs_desc(v, cs_sel, cs, rpl);
	}
	v->eip = eip;
	return 0;
}

int cpu_far_ret(struct vcpu *v, uint16_t imm, unsigned opsize)
{
	uint8_t buf[8];

	if (cpu_stack_read(v, 0, buf, 2 * opsize) < 0)
		return CPU_FAULT;
	uint32_t eip = get_word(buf, 0, opsize);
	uint16_t cs = (uint16_t)get_word(buf, 1, opsize);

	if (!cpu_pmode(v)) {
		if (eip > v->seg[S_CS].limit)
			return cpu_raise_gp(v, 0);
		cpu_stack_adjust(v, (int32_t)(2 * opsize + imm));
		load_cs_real(v, cs, eip);
		return 0;
	}
	return return_to(v, cs, eip, opsize, 2 * opsize, imm, 0, false);
}

/* iret_v86: IRET inside virtual-8086 mode (SDM, IRET): with IOPL 3 a
 * real-mode style return that leaves IOPL and VM alone; below, #GP(0). */
static int iret_v86(struct vcpu *v, unsigned opsize)
{
	uint8_t buf[12];

	if (cpu_iopl(v) < 3)
		return cpu_raise_gp(v, 0);
	if (cpu_stack_read(v, 0, buf, 3 * opsize) < 0)
		return CPU_FAULT;
	uint32_t eip = get_word(buf, 0, opsize);
	uint16_t cs = (uint16_t)get_word(buf, 1, opsize);
	uint32_t fl = get_word(buf, 2, opsize);

	if (eip > 0xffff)
		return cpu_raise_gp(v, 0);
	cpu_stack_adjust(v, (int32_t)(3 * opsize));
	load_cs_real(v, cs, eip);
	cpu_write_eflags(v, fl, opsize, 3, true); /* IOPL stays, IF follows */
	return 0;
}

/* iret_to_v86: IRET at CPL 0 with VM set in the popped EFLAGS (SDM,
 * RETURN-TO-VIRTUAL-8086-MODE): ESP, SS, ES, DS, FS and GS follow EIP, CS
 * and EFLAGS on the stack (nine dwords, read before anything changes); the
 * segments become virtual-8086 ones and CPL 3. */
static int iret_to_v86(struct vcpu *v)
{
	uint8_t buf[36];
	uint32_t w[9];

	if (cpu_stack_read(v, 0, buf, sizeof(buf)) < 0)
		return CPU_FAULT;
	for (int i = 0; i < 9; i++)
		w[i] = get_word(buf, (unsigned)i, 4);
	v->eflags = (w[2] & 0x003f7fd5u) | EFL_FIXED;
	cpu_seg_v86(&v->seg[S_CS], (uint16_t)w[1], SEG_V86_CODE);
	cpu_seg_v86(&v->seg[S_SS], (uint16_t)w[4], SEG_V86_DATA);
	cpu_seg_v86(&v->seg[S_ES], (uint16_t)w[5], SEG_V86_DATA);
	cpu_seg_v86(&v->seg[S_DS], (uint16_t)w[6], SEG_V86_DATA);
	cpu_seg_v86(&v->seg[S_FS], (uint16_t)w[7], SEG_V86_DATA);
	cpu_seg_v86(&v->seg[S_GS], (uint16_t)w[8], SEG_V86_DATA);
	v->gpr[R_ESP] = w[3];
	v->eip = w[0] & 0xffff;
	v->cpl = 3;
	return 0;
}

int cpu_iret(struct vcpu *v, unsigned opsize)
{
	uint8_t buf[12];

	if (vcpu_vm86(v))
		return iret_v86(v, opsize);
	if (cpu_pmode(v) && (v->eflags & EFL_NT)) { /* back to the previous task */
		uint8_t link[2];

		if (cpu_read_lin(v, v->tr.base, link, 2, ACC_SYS) < 0)
			return CPU_FAULT;
		return cpu_task_switch(v, (uint16_t)(link[0] | link[1] << 8), TASK_IRET, false, 0,
				       0);
	}
	if (cpu_stack_read(v, 0, buf, 3 * opsize) < 0)
		return CPU_FAULT;
	uint32_t eip = get_word(buf, 0, opsize);
	uint16_t cs = (uint16_t)get_word(buf, 1, opsize);
	uint32_t fl = get_word(buf, 2, opsize);

	if (!cpu_pmode(v)) {
		if (eip > v->seg[S_CS].limit)
			return cpu_raise_gp(v, 0);
		cpu_stack_adjust(v, (int32_t)(3 * opsize));
		load_cs_real(v, cs, eip);
		cpu_write_eflags(v, fl, opsize, 0, true);
		return 0;
	}
	if (opsize == 4 && (fl & EFL_VM) && v->cpl == 0)
		return iret_to_v86(v);
	return return_to(v, cs, eip, opsize, 3 * opsize, 0, fl, true);
}

/* flat_seg: a flat 4 GiB segment with the given selector and attributes. */
static void flat_seg(struct seg *s, uint16_t sel, uint16_t attr)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = attr | SEG_ATTR_DB | SEG_ATTR_G;
}

int cpu_sysenter(struct vcpu *v)
{
	if (!(v->cr0 & CR0_PE) || !(v->msr.sysenter_cs & 0xfffc))
		return cpu_raise_gp(v, 0);
	v->eflags &= ~(EFL_VM | EFL_IF | EFL_RF);
	flat_seg(&v->seg[S_CS], v->msr.sysenter_cs & 0xfffc, 0x9b);
	flat_seg(&v->seg[S_SS], (v->msr.sysenter_cs + 8) & 0xfffc, 0x93);
	v->cpl = 0;
	v->gpr[R_ESP] = v->msr.sysenter_esp;
	v->eip = v->msr.sysenter_eip;
	return 0;
}

int cpu_sysexit(struct vcpu *v)
{
	if (!cpu_pmode(v) || v->cpl != 0 || !(v->msr.sysenter_cs & 0xfffc))
		return cpu_raise_gp(v, 0);
	flat_seg(&v->seg[S_CS], (uint16_t)((v->msr.sysenter_cs + 16) | 3), 0xfb);
	flat_seg(&v->seg[S_SS], (uint16_t)((v->msr.sysenter_cs + 24) | 3), 0xf3);
	v->cpl = 3;
	v->gpr[R_ESP] = v->gpr[R_ECX];
	v->eip = v->gpr[R_EDX];
	return 0;
}
