/*
 * cpu_string.c - MOVS/STOS/LODS/CMPS/SCAS with or without REP (see
 * cpu_string_op in cpu.h).
 *
 * REP forms run page-run by page-run: a run is as many elements as fit,
 * for both source and destination, in the current page (and before a 16-bit
 * offset wraps, and inside the segment limits); the run's pages are
 * translated once and the work is done on the host mapping of guest RAM
 * (memmove when it gives exactly the element-by-element result, else an
 * element loop).  Anything else (MMIO, an element crossing a page, a limit
 * problem) goes element by element through the checked accessors, which
 * raise the precise fault with the registers of the elements done so far.
 */
#include "monitor/x86/cpu_internal.h"

#include <string.h>

/* Bytes of work one call does before returning CPU_STRING_MORE. */
#define STRING_CAP (64u * 1024)

struct strop {
	struct vcpu *v;
	enum string_op op;
	unsigned size;
	int seg;	/* source segment */
	uint32_t amask; /* 0xffff or 0xffffffff */
	int32_t delta;	/* +size or -size (DF) */
	bool uses_src, uses_dst;
};

/* set_cmp_flags: EFLAGS arithmetic flags of CMP a, b at size bytes. */
static void set_cmp_flags(struct vcpu *v, uint32_t a, uint32_t b, unsigned size)
{
	unsigned bits = size * 8;
	uint32_t mask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
	uint32_t r, f = 0;

	a &= mask;
	b &= mask;
	r = (a - b) & mask;
	if (a < b)
		f |= EFL_CF;
	if (r == 0)
		f |= EFL_ZF;
	if ((r >> (bits - 1)) & 1)
		f |= EFL_SF;
	if ((((a ^ b) & (a ^ r)) >> (bits - 1)) & 1)
		f |= EFL_OF;
	if ((a ^ b ^ r) & 0x10)
		f |= EFL_AF;
	if (!__builtin_parity(r & 0xff))
		f |= EFL_PF;
	v->eflags = (v->eflags & ~EFL_ARITH) | f;
}

/* set_acc: store val into AL/AX/EAX. */
static void set_acc(struct vcpu *v, uint32_t val, unsigned size)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;

	v->gpr[R_EAX] = (v->gpr[R_EAX] & ~mask) | (val & mask);
}

/* advance: ESI/EDI/ECX update within the address size, by n elements. */
static void advance(struct strop *s, int reg, int32_t by)
{
	uint32_t *r = &s->v->gpr[reg];

	*r = (*r & ~s->amask) | ((*r + (uint32_t)by) & s->amask);
}

/* step: registers after n elements (ECX only for REP). */
static void step(struct strop *s, uint32_t n, bool rep)
{
	if (s->uses_src)
		advance(s, R_ESI, s->delta * (int32_t)n);
	if (s->uses_dst)
		advance(s, R_EDI, s->delta * (int32_t)n);
	if (rep)
		advance(s, R_ECX, -(int32_t)n);
}

/* one_element: the instruction for one element through the checked
 * accessors; *zf gets ZF for CMPS/SCAS.  Registers are not touched. */
static int one_element(struct strop *s, bool *zf)
{
	struct vcpu *v = s->v;
	uint32_t a = 0, b = 0;
	uint32_t si = v->gpr[R_ESI] & s->amask, di = v->gpr[R_EDI] & s->amask;

	if (s->uses_src && cpu_read_seg(v, s->seg, si, &a, s->size) < 0)
		return CPU_FAULT;
	switch (s->op) {
	case STR_MOVS:
		return cpu_write_seg(v, S_ES, di, &a, s->size);
	case STR_STOS:
		return cpu_write_seg(v, S_ES, di, &v->gpr[R_EAX], s->size);
	case STR_LODS:
		set_acc(v, a, s->size);
		return 0;
	case STR_CMPS:
	case STR_SCAS:
		if (cpu_read_seg(v, S_ES, di, &b, s->size) < 0)
			return CPU_FAULT;
		if (s->op == STR_SCAS)
			a = v->gpr[R_EAX];
		set_cmp_flags(v, a, b, s->size);
		*zf = v->eflags & EFL_ZF;
		return 0;
	}
	return 0;
}

/* seg_ok: non-raising version of cpu_seg_check. */
static bool seg_ok(const struct vcpu *v, int seg, uint32_t off, unsigned len, bool write)
{
	const struct seg *g = &v->seg[seg];
	unsigned t = SEG_ATTR_TYPE(g->attr);

	if (cpu_pmode(v)) {
		if (!seg_usable(g) || (write && ((t & 8) || !(t & 2))) ||
		    (!write && (t & 8) && !(t & 2)))
			return false;
	}
	return cpu_seg_limit_ok(g, off, len);
}

/* run_len: how many elements starting at offset off of segment seg stay in
 * one page and inside the offset range; 0 when the first element crosses a
 * page or the segment check fails.  *lo receives the lowest offset. */
static uint32_t run_len(struct strop *s, int seg, uint32_t off, bool write, uint32_t max)
{
	uint32_t lin = s->v->seg[seg].base + off;
	uint32_t in_page = lin & 0xfff, n;

	if (in_page + s->size > 4096)
		return 0;
	if (s->delta > 0) {
		n = (4096 - in_page) / s->size;
		n = MIN(n, (s->amask - off) / s->size + 1);
	} else {
		n = in_page / s->size + 1;
		n = MIN(n, off / s->size + 1);
	}
	n = MIN(n, max);
	uint32_t lo = s->delta > 0 ? off : off - (n - 1) * s->size;

	if (!seg_ok(s->v, seg, lo, n * s->size, write))
		return 0;
	return n;
}

/* run_host: translate the first element of a run and return the host
 * pointer to the run's lowest byte (NULL if not all RAM).  Returns
 * CPU_FAULT when the translation faults (a precise fault of this element). */
static int run_host(struct strop *s, int seg, uint32_t off, uint32_t n, bool write, uint8_t **host,
		    uint32_t *gpa_lo)
{
	uint32_t lin = s->v->seg[seg].base + off, pa;
	uint32_t span = n * s->size;

	if (cpu_translate(s->v, lin, write ? ACC_WRITE : ACC_READ, &pa) < 0)
		return CPU_FAULT;
	*gpa_lo = s->delta > 0 ? pa : pa - (n - 1) * s->size;
	*host = ram_ptr(&s->v->machine->ram, *gpa_lo, span);
	return 0;
}

/* host_elem: pointer to element i of a run whose lowest byte is lo. */
static uint8_t *host_elem(struct strop *s, uint8_t *lo, uint32_t n, uint32_t i)
{
	return s->delta > 0 ? lo + i * s->size : lo + (n - 1 - i) * s->size;
}

/* movs_run: copy n elements exactly as the element loop would. */
static void movs_run(struct strop *s, uint8_t *src, uint8_t *dst, uint32_t n)
{
	uint32_t span = n * s->size;
	bool overlap = src < dst + span && dst < src + span;
	bool exact = !overlap || (s->delta > 0 ? dst < src : dst > src);

	if (exact || dst == src) {
		memmove(dst, src, span);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		memmove(host_elem(s, dst, n, i), host_elem(s, src, n, i), s->size);
}

/* fast_run: one page run of a REP instruction; *done receives the elements
 * completed (0 means: take the element-by-element path), *stop is set when
 * REPE/REPNE terminated. */
static int fast_run(struct strop *s, enum rep_kind rep, uint32_t max, uint32_t *done, bool *stop)
{
	struct vcpu *v = s->v;
	uint32_t si = v->gpr[R_ESI] & s->amask, di = v->gpr[R_EDI] & s->amask;
	uint32_t n = max, gs = 0, gd = 0;
	uint8_t *src = NULL, *dst = NULL;
	bool dst_write = s->op == STR_MOVS || s->op == STR_STOS;

	*done = 0;
	if (s->uses_src)
		n = run_len(s, s->seg, si, false, n);
	if (n && s->uses_dst)
		n = run_len(s, S_ES, di, dst_write, n);
	if (!n)
		return 0;
	if (s->uses_src && run_host(s, s->seg, si, n, false, &src, &gs) < 0)
		return CPU_FAULT;
	if (s->uses_dst && run_host(s, S_ES, di, n, dst_write, &dst, &gd) < 0)
		return CPU_FAULT;
	if ((s->uses_src && !src) || (s->uses_dst && !dst))
		return 0;
	switch (s->op) {
	case STR_MOVS:
		movs_run(s, src, dst, n);
		break;
	case STR_STOS:
		if (s->size == 1)
			memset(dst, (int)(v->gpr[R_EAX] & 0xff), n);
		else
			for (uint32_t i = 0; i < n; i++)
				memcpy(dst + i * s->size, &v->gpr[R_EAX], s->size);
		break;
	case STR_LODS: {
		uint32_t a = 0;

		memcpy(&a, host_elem(s, src, n, n - 1), s->size);
		set_acc(v, a, s->size);
		break;
	}
	case STR_CMPS:
	case STR_SCAS:
		for (uint32_t i = 0; i < n; i++) {
			uint32_t a = v->gpr[R_EAX], b = 0;

			if (s->op == STR_CMPS)
				memcpy(&a, host_elem(s, src, n, i), s->size);
			memcpy(&b, host_elem(s, dst, n, i), s->size);
			set_cmp_flags(v, a, b, s->size);
			bool zf = v->eflags & EFL_ZF;

			if (rep == REP_REPNE ? zf : !zf) {
				*stop = true;
				n = i + 1;
				break;
			}
		}
		break;
	}
	if (dst_write)
		machine_note_write(v->machine, gd, n * s->size);
	*done = n;
	return 0;
}

int cpu_string_op(struct vcpu *v, enum string_op op, enum rep_kind rep, unsigned size, int seg,
		  unsigned addrsize)
{
	struct strop s = {
	    .v = v,
	    .op = op,
	    .size = size,
	    .seg = seg,
	    .amask = addrsize == 2 ? 0xffffu : 0xffffffffu,
	    .delta = (v->eflags & EFL_DF) ? -(int32_t)size : (int32_t)size,
	    .uses_src = op == STR_MOVS || op == STR_LODS || op == STR_CMPS,
	    .uses_dst = op != STR_LODS,
	};
	bool cmp = op == STR_CMPS || op == STR_SCAS;
	bool zf = false;

	if (cmp && rep == REP_REP)
		rep = REP_REPE;
	if (rep == REP_NONE) {
		if (one_element(&s, &zf) < 0)
			return CPU_FAULT;
		step(&s, 1, false);
		return 0;
	}
	uint32_t count = v->gpr[R_ECX] & s.amask;
	uint32_t budget = STRING_CAP / size;

	while (count > 0) {
		uint32_t done;
		bool stop = false;

		if (budget == 0)
			return CPU_STRING_MORE;
		if (fast_run(&s, rep, MIN(count, budget), &done, &stop) < 0)
			return CPU_FAULT;
		if (done == 0) {
			if (one_element(&s, &zf) < 0)
				return CPU_FAULT;
			done = 1;
			stop = cmp && (rep == REP_REPNE ? zf : !zf);
		}
		step(&s, done, true);
		count -= done;
		budget -= done;
		if (stop)
			break;
	}
	return 0;
}
