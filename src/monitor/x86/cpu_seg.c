/*
 * cpu_seg.c - descriptors and segment registers: descriptor fetch, segment
 * loads with the protected-mode checks, LGDT/LIDT/LLDT/LTR and
 * LAR/LSL/VERR/VERW (see cpu.h).
 */
#include "monitor/x86/cpu_internal.h"

int cpu_desc_fetch(struct vcpu *v, uint16_t sel, uint64_t *desc, int vec, unsigned ext)
{
	uint32_t base, limit;
	uint32_t err = (sel & 0xfffc) | ext;

	if (sel & 4) {
		if (!seg_usable(&v->ldtr))
			return cpu_raise(v, vec, true, err);
		base = v->ldtr.base;
		limit = v->ldtr.limit;
	} else {
		base = v->gdtr.base;
		limit = v->gdtr.limit;
	}
	if ((uint32_t)(sel & ~7u) + 7 > limit)
		return cpu_raise(v, vec, true, err);
	return cpu_read_lin(v, base + (sel & ~7u), desc, 8, ACC_SYS);
}

int cpu_read_descriptor(struct vcpu *v, uint16_t sel, uint64_t *desc, int err_vector)
{
	return cpu_desc_fetch(v, sel, desc, err_vector, 0);
}

/* desc_addr: linear address of sel's descriptor (already fetched once). */
static uint32_t desc_addr(const struct vcpu *v, uint16_t sel)
{
	return ((sel & 4) ? v->ldtr.base : v->gdtr.base) + (sel & ~7u);
}

int cpu_desc_set_accessed(struct vcpu *v, uint16_t sel, uint64_t *desc)
{
	if (!desc_s(*desc) || (*desc & (1ull << 40)))
		return 0;
	*desc |= 1ull << 40;
	uint8_t b = (uint8_t)(*desc >> 40);

	return cpu_write_lin(v, desc_addr(v, sel) + 5, &b, 1, ACC_SYS);
}

void cpu_desc_to_seg(uint64_t d, uint16_t sel, struct seg *s)
{
	uint32_t limit = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);

	s->sel = sel;
	s->base = (uint32_t)((d >> 16) & 0xffffff) | (uint32_t)((d >> 32) & 0xff000000);
	s->attr = (uint16_t)((d >> 40) & 0xf0ff);
	if (s->attr & SEG_ATTR_G)
		limit = (limit << 12) | 0xfff;
	s->limit = limit;
}

void cpu_load_cs_desc(struct vcpu *v, uint16_t sel, uint64_t desc, unsigned cpl)
{
	cpu_desc_to_seg(desc, (sel & 0xfffc) | cpl, &v->seg[S_CS]);
	v->cpl = cpl;
}

int cpu_check_ss(struct vcpu *v, uint16_t sel, unsigned dpl, int vec, unsigned ext, uint64_t *desc)
{
	uint32_t err = (sel & 0xfffc) | ext;

	if (!(sel & 0xfffc))
		return cpu_raise(v, vec, true, ext);
	if ((sel & 3) != dpl)
		return cpu_raise(v, vec, true, err);
	if (cpu_desc_fetch(v, sel, desc, vec, ext) < 0)
		return CPU_FAULT;
	if (!desc_is_data(*desc) || !(desc_type(*desc) & 2) || desc_dpl(*desc) != dpl)
		return cpu_raise(v, vec, true, err);
	if (!desc_p(*desc))
		return cpu_raise(v, EXC_SS, true, err);
	return 0;
}

int cpu_tss_stack(struct vcpu *v, unsigned dpl, unsigned ext, uint16_t *ss, uint32_t *esp)
{
	unsigned type = SEG_ATTR_TYPE(v->tr.attr);
	uint32_t err = (v->tr.sel & 0xfffc) | ext;

	if (type == 9 || type == 11) {
		uint32_t off = 4 + dpl * 8;
		uint32_t e;
		uint16_t s;

		if (off + 5 > v->tr.limit)
			return cpu_raise(v, EXC_TS, true, err);
		if (cpu_read_lin(v, v->tr.base + off, &e, 4, ACC_SYS) < 0 ||
		    cpu_read_lin(v, v->tr.base + off + 4, &s, 2, ACC_SYS) < 0)
			return CPU_FAULT;
		*esp = e;
		*ss = s;
		return 0;
	}
	if (type == 1 || type == 3) {
		uint32_t off = 2 + dpl * 4;
		uint16_t sp_ss[2];

		if (off + 3 > v->tr.limit)
			return cpu_raise(v, EXC_TS, true, err);
		if (cpu_read_lin(v, v->tr.base + off, sp_ss, 4, ACC_SYS) < 0)
			return CPU_FAULT;
		*esp = sp_ss[0];
		*ss = sp_ss[1];
		return 0;
	}
	return cpu_raise(v, EXC_TS, true, err);
}

void cpu_null_outer_segs(struct vcpu *v)
{
	static const int segs[] = {S_ES, S_DS, S_FS, S_GS};

	for (unsigned i = 0; i < 4; i++) {
		struct seg *s = &v->seg[segs[i]];
		unsigned type = SEG_ATTR_TYPE(s->attr);
		bool conforming_code = (type & 0xc) == 0xc;

		if (seg_usable(s) && !conforming_code && SEG_ATTR_DPL(s->attr) < v->cpl) {
			s->sel = 0;
			s->attr = 0;
		}
	}
}

void cpu_seg_v86(struct seg *s, uint16_t sel, uint16_t attr)
{
	s->sel = sel;
	s->base = (uint32_t)sel << 4;
	s->limit = 0xffff;
	s->attr = attr;
}

/* load_seg_real: real and virtual-8086 mode: base = sel << 4; in vm86
 * the limit and attributes are those of a 64 KiB ring-3 data segment. */
static void load_seg_real(struct vcpu *v, int seg, uint16_t sel)
{
	struct seg *s = &v->seg[seg];

	if (v->eflags & EFL_VM) {
		cpu_seg_v86(s, sel, SEG_V86_DATA);
		return;
	}
	s->sel = sel;
	s->base = (uint32_t)sel << 4;
}

/* load_data_seg: DS/ES/FS/GS in protected mode. */
static int load_data_seg(struct vcpu *v, int seg, uint16_t sel)
{
	uint64_t d;
	unsigned rpl = sel & 3;

	if (!(sel & 0xfffc)) {
		v->seg[seg].sel = sel;
		v->seg[seg].attr = 0;
		v->seg[seg].base = 0;
		v->seg[seg].limit = 0;
		return 0;
	}
	if (cpu_desc_fetch(v, sel, &d, EXC_GP, 0) < 0)
		return CPU_FAULT;
	if (!desc_s(d) || (desc_is_code(d) && !(desc_type(d) & 2)))
		return cpu_raise_gp(v, sel & 0xfffc);
	if (!desc_conforming(d) && (rpl > desc_dpl(d) || v->cpl > desc_dpl(d)))
		return cpu_raise_gp(v, sel & 0xfffc);
	if (!desc_p(d))
		return cpu_raise(v, EXC_NP, true, sel & 0xfffc);
	if (cpu_desc_set_accessed(v, sel, &d) < 0)
		return CPU_FAULT;
	cpu_desc_to_seg(d, sel, &v->seg[seg]);
	return 0;
}

int cpu_load_seg(struct vcpu *v, int seg, uint16_t sel)
{
	uint64_t d;

	if (seg == S_CS || seg < 0 || seg >= S_NR)
		die("cpu_load_seg: bad segment register %d", seg);
	if (!cpu_pmode(v)) {
		load_seg_real(v, seg, sel);
	} else if (seg != S_SS) {
		return load_data_seg(v, seg, sel);
	} else {
		if (cpu_check_ss(v, sel, v->cpl, EXC_GP, 0, &d) < 0)
			return CPU_FAULT;
		if (cpu_desc_set_accessed(v, sel, &d) < 0)
			return CPU_FAULT;
		cpu_desc_to_seg(d, sel, &v->seg[S_SS]);
	}
	if (seg == S_SS)
		v->intr_shadow = true;
	return 0;
}

bool cpu_seg_flat(const struct vcpu *v, int s)
{
	const struct seg *g = &v->seg[s];
	bool expand_down = (g->attr & SEG_ATTR_S) && (SEG_ATTR_TYPE(g->attr) & 0xc) == 0x4;

	return g->base == 0 && g->limit == 0xffffffffu && (g->attr & SEG_ATTR_DB) &&
	       seg_usable(g) && !expand_down;
}

uint16_t cpu_selector_value(const struct vcpu *v, int seg)
{
	return v->seg[seg].sel;
}

int cpu_lgdt(struct vcpu *v, uint32_t base, uint16_t limit)
{
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	v->gdtr.base = base;
	v->gdtr.limit = limit;
	return 0;
}

int cpu_lidt(struct vcpu *v, uint32_t base, uint16_t limit)
{
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	v->idtr.base = base;
	v->idtr.limit = limit;
	return 0;
}

/* sys_table_desc: fetch a GDT-only system descriptor for LLDT/LTR. */
static int sys_table_desc(struct vcpu *v, uint16_t sel, uint64_t *d)
{
	if (!cpu_pmode(v))
		return cpu_raise_ud(v);
	if (cpu_require_cpl0(v) < 0)
		return CPU_FAULT;
	if (sel & 4)
		return cpu_raise_gp(v, sel & 0xfffc);
	return cpu_desc_fetch(v, sel, d, EXC_GP, 0);
}

int cpu_lldt(struct vcpu *v, uint16_t sel)
{
	uint64_t d;

	if (!(sel & 0xfffc)) {
		if (!cpu_pmode(v))
			return cpu_raise_ud(v);
		if (cpu_require_cpl0(v) < 0)
			return CPU_FAULT;
		v->ldtr.sel = sel;
		v->ldtr.attr = 0;
		v->ldtr.base = 0;
		v->ldtr.limit = 0;
		return 0;
	}
	if (sys_table_desc(v, sel, &d) < 0)
		return CPU_FAULT;
	if (desc_s(d) || desc_type(d) != 2)
		return cpu_raise_gp(v, sel & 0xfffc);
	if (!desc_p(d))
		return cpu_raise(v, EXC_NP, true, sel & 0xfffc);
	cpu_desc_to_seg(d, sel, &v->ldtr);
	return 0;
}

int cpu_ltr(struct vcpu *v, uint16_t sel)
{
	uint64_t d;

	if (cpu_pmode(v) && !(sel & 0xfffc) && v->cpl == 0)
		return cpu_raise_gp(v, 0);
	if (sys_table_desc(v, sel, &d) < 0)
		return CPU_FAULT;
	if (desc_s(d) || (desc_type(d) != 1 && desc_type(d) != 9))
		return cpu_raise_gp(v, sel & 0xfffc);
	if (!desc_p(d))
		return cpu_raise(v, EXC_NP, true, sel & 0xfffc);
	d |= 2ull << 40; /* busy */
	uint8_t b = (uint8_t)(d >> 40);

	if (cpu_write_lin(v, desc_addr(v, sel) + 5, &b, 1, ACC_SYS) < 0)
		return CPU_FAULT;
	cpu_desc_to_seg(d, sel, &v->tr);
	return 0;
}

/* probe_desc: the common part of LAR/LSL/VERR/VERW: fetch sel's descriptor
 * without faulting for a null selector or a limit overrun (*ok = false);
 * #UD outside protected mode, #PF from the table read still faults.  Also
 * applies the privilege rule (conforming code skips it). */
static int probe_desc(struct vcpu *v, uint16_t sel, uint64_t *d, bool *ok)
{
	uint32_t base = (sel & 4) ? v->ldtr.base : v->gdtr.base;
	uint32_t limit = (sel & 4) ? v->ldtr.limit : v->gdtr.limit;

	*ok = false;
	if (!cpu_pmode(v))
		return cpu_raise_ud(v);
	if (!(sel & 0xfffc) || ((sel & 4) && !seg_usable(&v->ldtr)) ||
	    (uint32_t)(sel & ~7u) + 7 > limit)
		return 0;
	if (cpu_read_lin(v, base + (sel & ~7u), d, 8, ACC_SYS) < 0)
		return CPU_FAULT;
	if (!desc_conforming(*d) && (desc_dpl(*d) < v->cpl || desc_dpl(*d) < (sel & 3u)))
		return 0;
	*ok = true;
	return 0;
}

/* lar_lsl_desc: the descriptor LAR (lsl false) or LSL may report for sel:
 * code and data always, system types LAR/LSL accept (TSS, LDT, and for
 * LAR also gates); *zf false when it may not (or the probe failed). */
static int lar_lsl_desc(struct vcpu *v, uint16_t sel, bool lsl, uint64_t *d, bool *zf)
{
	bool ok;

	if (probe_desc(v, sel, d, &ok) < 0)
		return CPU_FAULT;
	if (ok && !desc_s(*d)) {
		unsigned t = desc_type(*d);

		ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 11 ||
		     (!lsl && (t == 4 || t == 5 || t == 12));
	}
	*zf = ok;
	return 0;
}

int cpu_lar(struct vcpu *v, uint16_t sel, uint32_t *out, bool *zf)
{
	uint64_t d;

	if (lar_lsl_desc(v, sel, false, &d, zf) < 0)
		return CPU_FAULT;
	if (*zf)
		*out = (uint32_t)(d >> 32) & 0x00ffff00u;
	return 0;
}

int cpu_lsl(struct vcpu *v, uint16_t sel, uint32_t *out, bool *zf)
{
	uint64_t d;

	if (lar_lsl_desc(v, sel, true, &d, zf) < 0)
		return CPU_FAULT;
	if (*zf) {
		struct seg s;

		cpu_desc_to_seg(d, sel, &s);
		*out = s.limit;
	}
	return 0;
}

int cpu_verr(struct vcpu *v, uint16_t sel, bool *zf)
{
	uint64_t d;
	bool ok;

	if (probe_desc(v, sel, &d, &ok) < 0)
		return CPU_FAULT;
	*zf = ok && desc_s(d) && (desc_is_data(d) || (desc_type(d) & 2));
	return 0;
}

int cpu_verw(struct vcpu *v, uint16_t sel, bool *zf)
{
	uint64_t d;
	bool ok;

	if (probe_desc(v, sel, &d, &ok) < 0)
		return CPU_FAULT;
	*zf = ok && desc_is_data(d) && (desc_type(d) & 2);
	return 0;
}
