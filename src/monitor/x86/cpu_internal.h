/*
 * cpu_internal.h - helpers shared by the cpu_*.c files; not an interface for
 * the rest of the monitor (use cpu.h).
 */
#ifndef BT86_CPU_INTERNAL_H
#define BT86_CPU_INTERNAL_H

#include "monitor/x86/cpu.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

/* Descriptor field accessors on the raw 8-byte descriptor. */
static inline unsigned desc_type(uint64_t d)
{
	return (unsigned)(d >> 40) & 0xf;
}
static inline bool desc_s(uint64_t d)
{
	return (d >> 44) & 1;
}
static inline unsigned desc_dpl(uint64_t d)
{
	return (unsigned)(d >> 45) & 3;
}
static inline bool desc_p(uint64_t d)
{
	return (d >> 47) & 1;
}
/* desc_is_code / desc_is_data: S=1 and type bit 3 set / clear. */
static inline bool desc_is_code(uint64_t d)
{
	return desc_s(d) && (desc_type(d) & 8);
}
static inline bool desc_is_data(uint64_t d)
{
	return desc_s(d) && !(desc_type(d) & 8);
}
static inline bool desc_conforming(uint64_t d)
{
	return desc_is_code(d) && (desc_type(d) & 4);
}
/* Gate fields: selector, offset (32-bit gates use the high half), count. */
static inline uint16_t gate_sel(uint64_t d)
{
	return (uint16_t)(d >> 16);
}
static inline uint32_t gate_off(uint64_t d, bool is32)
{
	uint32_t lo = (uint32_t)d & 0xffff;

	return is32 ? (lo | ((uint32_t)(d >> 48) << 16)) : lo;
}

/* seg_usable: the segment register holds a usable (non-null) descriptor. */
static inline bool seg_usable(const struct seg *s)
{
	return s->attr & SEG_ATTR_P;
}

/* cpu_pmode: protected mode and not virtual-8086 mode. */
static inline bool cpu_pmode(const struct vcpu *v)
{
	return (v->cr0 & CR0_PE) && !(v->eflags & EFL_VM);
}

/* cpu_iopl: EFLAGS.IOPL. */
static inline unsigned cpu_iopl(const struct vcpu *v)
{
	return (v->eflags & EFL_IOPL) >> EFL_IOPL_SHIFT;
}

/* cpu_seg_limit_ok: [off, off+len) lies inside segment s's limit (normal
 * or expand-down data); no type check. */
bool cpu_seg_limit_ok(const struct seg *s, uint32_t off, unsigned len);

/* cpu_desc_fetch: like cpu_read_descriptor, with the EXT bit ext (0 or 1)
 * added to the error code (sel & ~3) | ext. */
int cpu_desc_fetch(struct vcpu *v, uint16_t sel, uint64_t *desc, int vec, unsigned ext);
/* cpu_desc_set_accessed: set the accessed bit of a code/data descriptor
 * in its table (no-op when already set). */
int cpu_desc_set_accessed(struct vcpu *v, uint16_t sel, uint64_t *desc);
/* cpu_seg_v86: a segment register as virtual-8086 mode has it: base =
 * selector * 16, a 64 KiB limit, ring 3, attr SEG_V86_DATA or _CODE. */
#define SEG_V86_DATA 0xf3 /* present, DPL 3, data read/write, accessed */
#define SEG_V86_CODE 0xfb /* present, DPL 3, code read/execute, accessed */
void cpu_seg_v86(struct seg *s, uint16_t sel, uint16_t attr);
/* cpu_load_cs_desc: load CS from a checked code descriptor with RPL = cpl,
 * and set the CPL. */
void cpu_load_cs_desc(struct vcpu *v, uint16_t sel, uint64_t desc, unsigned cpl);
/* cpu_check_ss: checks for a new SS at privilege dpl (selector RPL and
 * descriptor DPL == dpl, writable data, present).  Failures raise vec
 * (#TS for stack switches through the TSS, #GP for RET/IRET) with the
 * selector error code, or #SS(sel) for not present.  Null raises vec(ext). */
int cpu_check_ss(struct vcpu *v, uint16_t sel, unsigned dpl, int vec, unsigned ext, uint64_t *desc);
/* cpu_tss_stack: SS:ESP for privilege level dpl from the current TSS
 * (32- or 16-bit); #TS(TR sel | ext) when beyond the TSS limit. */
int cpu_tss_stack(struct vcpu *v, unsigned dpl, unsigned ext, uint16_t *ss, uint32_t *esp);
/* cpu_null_outer_segs: after a return to an outer level, null DS/ES/FS/GS
 * whose DPL is below the new CPL (data or non-conforming code). */
void cpu_null_outer_segs(struct vcpu *v);
/* cpu_write_eflags: store val into EFLAGS with the POPF/IRET rules for
 * privilege `cpl` (IOPL only at 0, IF only if cpl <= IOPL); opsize 2 keeps
 * the high half; `iret` also loads RF (and at CPL0, VIF/VIP). */
void cpu_write_eflags(struct vcpu *v, uint32_t val, unsigned opsize, unsigned cpl, bool iret);
/* cpu_load_pdptes: PAE paging is (going to be) on with CR3 = cr3: load
 * the four PDPTEs (cpu_sys.c); #GP(0) on a reserved bit. */
int cpu_load_pdptes(struct vcpu *v, uint32_t cr3);

/* cpu_unsupported: a guest used an architectural feature this monitor does
 * not implement: print one line (once per call site kind) and raise #GP(0). */
int cpu_unsupported(struct vcpu *v, const char *what);
/* cpu_stack_write: write a frame of len bytes below the stack pointer of
 * stack segment ss (cache) at privilege cpl: checks the limit (#SS(err))
 * and writes at ss.base + (esp - len) masked for a 16-bit stack.  Nothing
 * is written unless everything is writable. */
int cpu_stack_write(struct vcpu *v, const struct seg *ss, uint32_t esp, const void *buf,
		    unsigned len, unsigned cpl, uint32_t err);
/* cpu_stack_read: read len bytes at offset esp+skip of the current stack
 * with the limit check (#SS(0)). */
int cpu_stack_read(struct vcpu *v, uint32_t skip, void *buf, unsigned len);
/* cpu_stack_adjust: ESP += delta, honouring a 16-bit stack (SS.B clear). */
void cpu_stack_adjust(struct vcpu *v, int32_t delta);

#endif
