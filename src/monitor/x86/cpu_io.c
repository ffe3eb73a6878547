/*
 * cpu_io.c - port I/O as the CPU performs it: the IOPL and TSS I/O-bitmap
 * check, IN/OUT, and INS/OUTS with or without REP (see cpu.h).
 */
#include "monitor/x86/cpu_internal.h"
#include "monitor/base/stats.h"

/* Elements one cpu_string_io call does before yielding (CPU_STRING_MORE). */
#define STRING_IO_CAP 4096

int cpu_io_check(struct vcpu *v, uint16_t port, unsigned size)
{
	unsigned type = SEG_ATTR_TYPE(v->tr.attr);
	uint16_t map, bits;

	if (!(v->cr0 & CR0_PE))
		return 0;
	if (!vcpu_vm86(v) && v->cpl <= cpu_iopl(v))
		return 0;
	/* The bitmap exists only in a 32-bit TSS whose limit covers it. */
	if ((type != 9 && type != 11) || (v->tr.attr & SEG_ATTR_S) || v->tr.limit < 103)
		return cpu_raise_gp(v, 0);
	if (cpu_read_lin(v, v->tr.base + 102, &map, 2, ACC_SYS) < 0)
		return CPU_FAULT;
	/* The CPU always reads two bytes of the bitmap. */
	uint32_t at = (uint32_t)map + port / 8;

	if (at + 1 > v->tr.limit)
		return cpu_raise_gp(v, 0);
	if (cpu_read_lin(v, v->tr.base + at, &bits, 2, ACC_SYS) < 0)
		return CPU_FAULT;
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return cpu_raise_gp(v, 0);
	return 0;
}

int cpu_in(struct vcpu *v, uint16_t port, unsigned size, uint32_t *val)
{
	if (cpu_io_check(v, port, size) < 0)
		return CPU_FAULT;
	STAT_INC(io_exits);
	*val = machine_io_in(v->machine, port, size);
	return 0;
}

int cpu_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
	if (cpu_io_check(v, port, size) < 0)
		return CPU_FAULT;
	STAT_INC(io_exits);
	machine_io_out(v->machine, port, size, val);
	return 0;
}

/* advance: reg += delta within the address size mask. */
static void advance(uint32_t *reg, int32_t delta, uint32_t amask)
{
	*reg = (*reg & ~amask) | ((*reg + (uint32_t)delta) & amask);
}

/* ins_one: one INS element: check the destination first (no port read
 * happens if the store would fault), then read the port and store. */
static int ins_one(struct vcpu *v, unsigned size, uint32_t amask)
{
	uint32_t off = v->gpr[R_EDI] & amask;
	uint32_t lin = v->seg[S_ES].base + off, pa, val;

	if (cpu_seg_check(v, S_ES, off, size, true) < 0 ||
	    cpu_translate(v, lin, ACC_WRITE, &pa) < 0 ||
	    cpu_translate(v, lin + size - 1, ACC_WRITE, &pa) < 0)
		return CPU_FAULT;
	STAT_INC(io_exits);
	val = machine_io_in(v->machine, (uint16_t)v->gpr[R_EDX], size);
	return cpu_write_lin(v, lin, &val, size, ACC_WRITE);
}

/* outs_one: one OUTS element from seg:ESI. */
static int outs_one(struct vcpu *v, unsigned size, int seg, uint32_t amask)
{
	uint32_t val = 0;

	if (cpu_read_seg(v, seg, v->gpr[R_ESI] & amask, &val, size) < 0)
		return CPU_FAULT;
	STAT_INC(io_exits);
	machine_io_out(v->machine, (uint16_t)v->gpr[R_EDX], size, val);
	return 0;
}

int cpu_string_io(struct vcpu *v, bool out, bool rep, unsigned size, int seg, unsigned addrsize)
{
	uint32_t amask = addrsize == 2 ? 0xffffu : 0xffffffffu;
	uint32_t count = rep ? (v->gpr[R_ECX] & amask) : 1;
	int32_t delta = (v->eflags & EFL_DF) ? -(int32_t)size : (int32_t)size;

	if (count == 0)
		return 0;
	if (cpu_io_check(v, (uint16_t)v->gpr[R_EDX], size) < 0)
		return CPU_FAULT;
	for (unsigned done = 0; count > 0; done++) {
		if (done == STRING_IO_CAP)
			return CPU_STRING_MORE;
		if (out ? outs_one(v, size, seg, amask) < 0 : ins_one(v, size, amask) < 0)
			return CPU_FAULT;
		advance(&v->gpr[out ? R_ESI : R_EDI], delta, amask);
		count--;
		if (rep)
			advance(&v->gpr[R_ECX], -1, amask);
	}
	return 0;
}
