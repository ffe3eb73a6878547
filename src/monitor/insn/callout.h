/*
 * callout.h - privileged and sensitive instructions executed by the monitor.
 *
 * The translator turns every instruction of docs/design.md §3.3 (and the others
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

#include "monitor/machine/vcpu.h"

struct callout_site {
	uint32_t eip; /* guest EIP (offset in CS) of the instruction */
	uint8_t len;  /* its length in bytes */
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

enum callout_result {
	/* Done: vcpu->eip = next instruction; only GPRs, arithmetic flags,
	 * DF and memory may have changed, and no interrupt became deliverable.
	 * Translated code goes on inline. */
	CO_NEXT,
	/* Done, but control flow or state the translation depends on changed
	 * (CS, CPL, a segment's base/limit/attributes, CR0/CR3/CR4, DRs, MSRs,
	 * EFLAGS.IF set with an interrupt possibly due, TF/AC/IOPL/NT/VM, a
	 * device access that made an interrupt pending or requested the end
	 * of the run): resume at vcpu->eip through the dispatcher.  Also a
	 * REP string instruction the cpu layer paused (CPU_STRING_MORE): EIP
	 * is still the instruction, which resumes when run again; and an
	 * x87/SSE trap site whose CR0.TS/EM no longer fault (retranslate). */
	CO_EXIT,
	/* An exception was recorded (vcpu->exc, via cpu_raise); vcpu->eip is
	 * the faulting instruction and no register or flag changed (except
	 * the iterations a string instruction completed).  The engine
	 * delivers it with cpu_deliver_pending().  INT n/INT3/INTO/INT1 that
	 * were delivered return CO_EXIT instead. */
	CO_FAULT,
	/* HLT: vcpu->halted is set, vcpu->eip = next instruction. */
	CO_HALT,
};

/* A callout handler (callout*.c), named by the instruction table (insn.h):
 * runs the instruction of s on v and says how the engine goes on. */
typedef enum callout_result (*co_handler)(struct vcpu *v, const struct callout_site *s);

/* callout_decoder_init: a Zydis decoder for the guest CPU model, 32-bit
 * code (big) or 16-bit.  The model has no MPX, CET or CLDEMOTE, so the hint
 * space 0F 18-1F decodes as the NOPs an older CPU executes there; LZCNT and
 * TZCNT stay decoded so callout_needed() can run them as BSR/BSF. */
void callout_decoder_init(ZydisDecoder *d, bool big);

/* callout_exec: execute the instruction of site s on vcpu v (any site for
 * which callout_needed() said true, or any REP/non-REP string instruction).
 * Sets vcpu->eip = s->eip first.  Instructions the guest CPU model lacks,
 * invalid LOCK prefixes, UD0/UD1/UD2 and RSM raise #UD; LZCNT/TZCNT run as
 * BSR/BSF (this model ignores their F3 prefix).  The handler is the one
 * the instruction table names (insn.h), after the CR0.TS/EM check for
 * x87/SSE.  CR3 writes and paging mode changes call engine->flush_tlb,
 * INVLPG engine->invlpg (both optional hooks).  A site with no handler is
 * a translator bug: die(). */
enum callout_result callout_exec(struct vcpu *v, const struct callout_site *s);

/* callout_needed: true if insn (decoded in 32-bit mode) must not be copied
 * into the translation cache but run by callout_exec: its entry in the
 * instruction table (insn.h) has a reason and is not only the fallback of
 * an expansion, or it is x87/SSE with fpu_trap.  *why (if not NULL)
 * receives a short reason for the xlat listing ("privileged", "sensitive",
 * "rep string", "string I/O", "port I/O", "far transfer", "segment
 * register", "interrupt", "not in 64-bit mode", "not in the CPU model",
 * "invalid LOCK", "undefined opcode", "x87/SSE with CR0.TS/EM", "BSR/BSF
 * on this model"), or "" when false.  `fpu_trap` is true when CR0.TS or
 * CR0.EM is set (part of the translation key): x87, MMX, SSE and SSE2
 * instructions then call out to raise #NM/#UD (fences, prefetches, CLFLUSH,
 * MOVNTI and PAUSE never do).  The guest CPU model is a Pentium M class
 * CPU: x87, MMX, SSE, SSE2, CMOV, CX8, FXSR, SEP, CLFLUSH, PAUSE; no SSE3
 * or later, no AVX, no long mode (SYSCALL/SYSRET), no VMX/SVM. */
bool callout_needed(const ZydisDecodedInstruction *insn, bool fpu_trap, const char **why);

#endif
