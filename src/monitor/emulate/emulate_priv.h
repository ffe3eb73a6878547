/*
 * emulate_priv.h - what the emulator's files (emulate*.c) share; not an
 * interface for the rest of the monitor (use emulate.h).
 *
 * Handlers follow the rules of emulate.h: they change nothing before every
 * access that can fault has passed, and return emu_next()/emu_fault().
 */
#ifndef BT86_EMULATE_PRIV_H
#define BT86_EMULATE_PRIV_H

#include "monitor/insn/operand.h"
#include "monitor/x86/cpu.h"
#include "monitor/emulate/emulate.h"

/* The instruction being emulated. */
struct emu {
	struct vcpu *v;
	struct callout_site s; /* eip, len, decoded instruction and operands */
	const char *refusal;   /* set by a handler that does not handle this form */
};

/* Where an r/m operand lives: a register or segment:offset, resolved once
 * (before any register changes), with its size in bytes. */
struct emu_loc {
	bool mem;
	int seg;
	uint32_t off;
	ZydisRegister reg;
	unsigned size;
};

/* EMU_REFUSE: a handler's answer for a form it does not handle. */
#define EMU_REFUSE(e, why) ((e)->refusal = (why), CO_EXIT)

/* emu_next: EIP = the next instruction (IP wraps in a 16-bit CS); CO_NEXT. */
enum callout_result emu_next(struct emu *e);
/* emu_fault: an exception was recorded: EIP stays at the instruction. */
enum callout_result emu_fault(struct emu *e);

/* emu_loc: resolve register or memory operand op. */
void emu_loc(struct emu *e, const ZydisDecodedOperand *op, struct emu_loc *l);
/* emu_loc_read / emu_loc_write: the value (size <= 4) at l; 0 or CPU_FAULT. */
int emu_loc_read(struct emu *e, const struct emu_loc *l, uint32_t *val);
int emu_loc_write(struct emu *e, const struct emu_loc *l, uint32_t val);
/* emu_rmw_check: before a read-modify-write of l: the write checks
 * (segment type and limit, page translation for writing) pass; no-op for a
 * register.  After it, emu_loc_write of l cannot fault. */
int emu_rmw_check(struct emu *e, const struct emu_loc *l);
/* emu_mem_op: the first visible memory operand, or NULL. */
const ZydisDecodedOperand *emu_mem_op(const struct emu *e);

/* emu_cond: condition code cc (the low nibble of Jcc/SETcc/CMOVcc) on
 * eflags. */
bool emu_cond(uint32_t eflags, unsigned cc);

/* emulate_alu.c: integer instructions that compute (flags from the host). */
/* emu_host_alu: run m (ADD...TEST, INC/DEC/NEG/NOT, shifts and rotates by
 * count c, SHLD/SHRD, BT*, BSF/BSR, IMUL r,r/m) on the host with size sz
 * (1, 2, 4) on x (destination) and y (source), the guest's arithmetic flags
 * in *eflags going in and coming out; returns the new x.  false in *ok for
 * a mnemonic it does not know. */
uint32_t emu_host_alu(ZydisMnemonic m, unsigned sz, uint32_t x, uint32_t y, uint8_t c,
		      uint32_t *eflags, bool *ok);
/* emu_alu_insn: the handler for every instruction emulate_alu.c covers;
 * EMU_REFUSE for others. */
enum callout_result emu_alu_insn(struct emu *e);
/* emu_alu_covers: m is one of emu_alu_insn's instructions. */
bool emu_alu_covers(ZydisMnemonic m);

/* emulate_fpu.c: x87, MMX and SSE instructions with a memory operand. */
enum callout_result emu_fpu_insn(struct emu *e);

#endif
