/*
 * cpu_mem.c - guest memory as the CPU sees it: linear -> physical
 * translation, linear and segment-relative accesses with their checks, and
 * stack pushes and pops (see cpu.h).
 */
#include "monitor/x86/cpu_internal.h"
#include "monitor/base/stats.h"
#include "monitor/x86/walk.h"

#include <string.h>

int cpu_translate(struct vcpu *v, uint32_t lin, unsigned acc, uint32_t *phys)
{
	struct walk_result res;
	uint32_t pfec;
	unsigned flags = 0;

	if (!(v->cr0 & CR0_PG)) {
		*phys = vcpu_a20(v, lin);
		return 0;
	}
	if (acc & ACC_WRITE)
		flags |= WALK_WRITE;
	if (acc & ACC_EXEC)
		flags |= WALK_FETCH;
	if (v->cpl == 3 && !(acc & ACC_SYS))
		flags |= WALK_USER;
	if (walk_guest(v->machine, v->cr0, v->cr3, v->cr4, lin, flags, &res, &pfec) < 0) {
		*phys = 0; /* defined, though callers must not use it */
		return cpu_raise_pf(v, lin, pfec);
	}
	*phys = res.gpa;
	return 0;
}

/* phys_read: read n bytes (inside one page) at physical address pa, from
 * RAM or, byte by byte or in one sized access, from the MMIO bus. */
static void phys_read(struct machine *m, uint32_t pa, uint8_t *dst, unsigned n)
{
	void *p = ram_ptr(&m->ram, pa, n);

	if (p) {
		memcpy(dst, p, n);
		return;
	}
	if (n == 1 || n == 2 || n == 4 || n == 8) {
		if (!ram_ptr(&m->ram, pa, 1)) {
			uint64_t val = bus_read(&m->mmio, pa, n);

			STAT_INC(mmio_accesses);
			memcpy(dst, &val, n);
			return;
		}
	}
	for (unsigned i = 0; i < n; i++)
		phys_read(m, pa + i, dst + i, 1);
}

/* phys_write: the counterpart of phys_read; RAM writes are noted. */
static void phys_write(struct machine *m, uint32_t pa, const uint8_t *src, unsigned n)
{
	void *p = ram_ptr(&m->ram, pa, n);

	if (p) {
		memcpy(p, src, n);
		machine_note_write(m, pa, n);
		return;
	}
	if (n == 1 || n == 2 || n == 4 || n == 8) {
		if (!ram_ptr(&m->ram, pa, 1)) {
			uint64_t val = 0;

			memcpy(&val, src, n);
			bus_write(&m->mmio, pa, n, val);
			STAT_INC(mmio_accesses);
			return;
		}
	}
	for (unsigned i = 0; i < n; i++)
		phys_write(m, pa + i, src + i, 1);
}

/* page_chunk: bytes from lin to the end of its page, at most len. */
static unsigned page_chunk(uint32_t lin, unsigned len)
{
	unsigned room = 4096 - (lin & 0xfff);

	return len < room ? len : room;
}

/* The pages of one access whose translations are kept between the check
 * pass and the copy pass (any single instruction's operand fits). */
#define LIN_KEEP_PAGES 4

/* lin_translate_all: translate every page of [lin, lin+len) for acc, so a
 * fault happens before any byte moves; pas[i] receives the physical address
 * of chunk i for the first LIN_KEEP_PAGES chunks.  0 or CPU_FAULT. */
static int lin_translate_all(struct vcpu *v, uint32_t lin, unsigned len, unsigned acc,
			     uint32_t *pas)
{
	unsigned i = 0;

	for (unsigned done = 0; done < len; i++) {
		uint32_t pa;

		if (cpu_translate(v, lin + done, acc, &pa) < 0)
			return CPU_FAULT;
		if (i < LIN_KEEP_PAGES)
			pas[i] = pa;
		done += page_chunk(lin + done, len - done);
	}
	return 0;
}

/* lin_chunk_pa: the physical address of chunk i (at lin) of an access that
 * lin_translate_all accepted; chunks past the kept ones are translated
 * again (longer copies only: the walk already succeeded once). */
static int lin_chunk_pa(struct vcpu *v, uint32_t lin, unsigned acc, const uint32_t *pas, unsigned i,
			uint32_t *pa)
{
	if (i < LIN_KEEP_PAGES) {
		*pa = pas[i];
		return 0;
	}
	return cpu_translate(v, lin, acc, pa);
}

/* lin_access: len bytes at linear lin, read into buf or written from it;
 * every page is translated before the first byte moves, so a fault leaves
 * memory and buf untouched. */
static int lin_access(struct vcpu *v, uint32_t lin, uint8_t *buf, unsigned len, unsigned acc,
		      bool write)
{
	uint32_t pas[LIN_KEEP_PAGES], pa;
	unsigned i = 0;

	acc = write ? acc | ACC_WRITE : acc & ~ACC_WRITE;
	if (lin_translate_all(v, lin, len, acc, pas) < 0)
		return CPU_FAULT;
	for (unsigned done = 0; done < len; i++) {
		unsigned n = page_chunk(lin + done, len - done);

		if (lin_chunk_pa(v, lin + done, acc, pas, i, &pa) < 0)
			return CPU_FAULT;
		if (write)
			phys_write(v->machine, pa, buf + done, n);
		else
			phys_read(v->machine, pa, buf + done, n);
		done += n;
	}
	return 0;
}

int cpu_read_lin(struct vcpu *v, uint32_t lin, void *dst, unsigned len, unsigned acc)
{
	return lin_access(v, lin, dst, len, acc, false);
}

int cpu_write_lin(struct vcpu *v, uint32_t lin, const void *src, unsigned len, unsigned acc)
{
	return lin_access(v, lin, (uint8_t *)src, len, acc, true);
}

bool cpu_seg_limit_ok(const struct seg *s, uint32_t off, unsigned len)
{
	uint64_t last = (uint64_t)off + len - 1;

	if (len == 0)
		return true;
	if ((s->attr & SEG_ATTR_S) && (SEG_ATTR_TYPE(s->attr) & 0xc) == 0x4) {
		/* expand-down data: valid offsets are limit+1 .. 0xffff/0xffffffff */
		uint64_t upper = (s->attr & SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;

		return off > s->limit && last <= upper;
	}
	return last <= s->limit;
}

int cpu_seg_check(struct vcpu *v, int seg, uint32_t off, unsigned len, bool write)
{
	const struct seg *s = &v->seg[seg];
	int vec = seg == S_SS ? EXC_SS : EXC_GP;

	if (cpu_pmode(v)) {
		unsigned type = SEG_ATTR_TYPE(s->attr);

		if (!seg_usable(s))
			return cpu_raise(v, vec, true, 0);
		if (write && ((type & 8) || !(type & 2)))
			return cpu_raise(v, vec, true, 0);
		if (!write && (type & 8) && !(type & 2))
			return cpu_raise(v, vec, true, 0);
	}
	if (!cpu_seg_limit_ok(s, off, len))
		return cpu_raise(v, vec, true, 0);
	return 0;
}

int cpu_read_seg(struct vcpu *v, int seg, uint32_t off, void *dst, unsigned len)
{
	if (cpu_seg_check(v, seg, off, len, false) < 0)
		return CPU_FAULT;
	return cpu_read_lin(v, v->seg[seg].base + off, dst, len, ACC_READ);
}

int cpu_write_seg(struct vcpu *v, int seg, uint32_t off, const void *src, unsigned len)
{
	if (cpu_seg_check(v, seg, off, len, true) < 0)
		return CPU_FAULT;
	return cpu_write_lin(v, v->seg[seg].base + off, src, len, ACC_WRITE);
}

/* stack_mask: 0xffff for a 16-bit stack segment, else all ones. */
static uint32_t stack_mask(const struct seg *ss)
{
	return (ss->attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

int cpu_stack_write(struct vcpu *v, const struct seg *ss, uint32_t esp, const void *buf,
		    unsigned len, unsigned cpl, uint32_t err)
{
	uint32_t mask = stack_mask(ss);
	uint32_t off = (esp - len) & mask;
	unsigned acc = ACC_WRITE | (cpl < 3 ? ACC_SYS : 0);

	if ((uint64_t)off + len - 1 > mask || !cpu_seg_limit_ok(ss, off, len))
		return cpu_raise(v, EXC_SS, true, err);
	return cpu_write_lin(v, ss->base + off, buf, len, acc);
}

int cpu_stack_read(struct vcpu *v, uint32_t skip, void *buf, unsigned len)
{
	const struct seg *ss = &v->seg[S_SS];
	uint32_t mask = stack_mask(ss);
	uint32_t off = (v->gpr[R_ESP] + skip) & mask;

	if ((uint64_t)off + len - 1 > mask || !cpu_seg_limit_ok(ss, off, len))
		return cpu_raise(v, EXC_SS, true, 0);
	return cpu_read_lin(v, ss->base + off, buf, len, ACC_READ);
}

void cpu_stack_adjust(struct vcpu *v, int32_t delta)
{
	uint32_t mask = stack_mask(&v->seg[S_SS]);
	uint32_t esp = v->gpr[R_ESP];

	v->gpr[R_ESP] = (esp & ~mask) | ((esp + (uint32_t)delta) & mask);
}

int cpu_push(struct vcpu *v, uint32_t val, unsigned size)
{
	if (cpu_stack_write(v, &v->seg[S_SS], v->gpr[R_ESP], &val, size, v->cpl, 0) < 0)
		return CPU_FAULT;
	cpu_stack_adjust(v, -(int32_t)size);
	return 0;
}

int cpu_pop(struct vcpu *v, uint32_t *val, unsigned size)
{
	uint32_t x = 0;

	if (cpu_stack_read(v, 0, &x, size) < 0)
		return CPU_FAULT;
	cpu_stack_adjust(v, (int32_t)size);
	*val = x;
	return 0;
}
