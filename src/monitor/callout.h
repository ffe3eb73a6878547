/*
 * callout.h - privileged and sensitive instructions executed by the monitor.
 *
 * The translator turns every instruction of DESIGN.md §3.3 (and the others
 * it does not copy: string instructions with REP, port I/O, x87/SSE when
 * CR0.TS/EM ask for #NM, undefined opcodes, ...) into a callout.  The callout
 * saves the guest state into struct vcpu and calls callout_exec() with the
 * site: the guest instruction, decoded once at translation time.
 *
 * On entry: vcpu->gpr[], vcpu->eflags (virtual bits and the live arithmetic
 * flags merged) and vcpu->eip == site->eip (the instruction itself) are
 * current; the x87/SSE state is saved.  callout_exec implements the
 * instruction with the cpu layer (cpu.h) and its result tells the engine
 * how to go on.
 */
#ifndef BT86_CALLOUT_H
#define BT86_CALLOUT_H

#include <stdint.h>
#include <stdbool.h>
#include <Zydis/Zydis.h>

#include "monitor/vcpu.h"

struct callout_site {
	uint32_t eip;		/* guest EIP (offset in CS) of the instruction */
	uint8_t len;		/* its length in bytes */
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

enum callout_result {
	/* Done: vcpu->eip = next instruction; only GPRs, arithmetic flags,
	 * DF and memory may have changed.  Translated code goes on inline. */
	CO_NEXT,
	/* Done, but control flow or state the translation depends on changed
	 * (CS, CPL, segment bases, CR0/CR3/CR4, IF with an interrupt possibly
	 * due, EFLAGS.TF/AC...): resume at vcpu->eip through the dispatcher. */
	CO_EXIT,
	/* An exception was recorded (vcpu->exc, via cpu_raise); vcpu->eip is
	 * the faulting instruction (or the next one for traps such as INT n
	 * when delivery is already done -> then CO_EXIT is returned instead).
	 * The engine delivers it with cpu_deliver_pending(). */
	CO_FAULT,
	/* HLT: vcpu->halted is set, vcpu->eip = next instruction. */
	CO_HALT,
};

/* callout_exec: execute the instruction of site s on vcpu v. */
enum callout_result callout_exec(struct vcpu *v, const struct callout_site *s);

/* callout_needed: true if insn (decoded in 32-bit mode) must not be copied
 * into the translation cache but run by callout_exec; *why receives a short
 * reason for the xlat listing ("privileged", "sensitive", "string I/O",
 * "undefined opcode", ...).  `fpu_trap` is true when CR0.TS or CR0.EM make
 * x87/SSE instructions raise #NM/#UD. */
bool callout_needed(const ZydisDecodedInstruction *insn, bool fpu_trap, const char **why);

/* callout_ea: the effective address (offset within segment *seg) of memory
 * operand op of site s for the current register values, wrapped to the
 * address size; *seg receives the segment register used (override or
 * default).  Use it with cpu_read_seg/cpu_write_seg. */
uint32_t callout_ea(const struct vcpu *v, const struct callout_site *s,
		    const ZydisDecodedOperand *op, int *seg);

#endif
