/*
 * emulate.h - the one-instruction emulator (docs/design.md §3.1, §4).
 *
 * Runs the guest instruction at CS:EIP on struct vcpu, every memory access
 * through the cpu layer (segment checks, paging, RAM or the MMIO bus per
 * byte range).  The bt engine uses it for instructions whose memory operand
 * is not RAM: translated code faults on the unmapped guest-physical page and
 * the instruction is emulated instead, as a real CPU would perform it
 * (unassigned addresses read as all ones, writes to them are dropped,
 * devices on the MMIO bus answer their ranges).
 *
 * On entry the vcpu state is current: GPRs, EIP (the instruction), EFLAGS
 * (arithmetic flags and DF included) and the x87/SSE state in
 * vcpu->fxsave.  Results (callout.h):
 *   CO_NEXT   done; EIP is the next instruction.
 *   CO_EXIT   done; control went elsewhere (near CALL/JMP/RET), a REP
 *             string instruction paused (EIP still at it), or the
 *             instruction is one the emulator does not handle: then the
 *             run ends (machine_request_exit, EXIT_ENGINE_ERROR) with one
 *             line naming the mnemonic and nothing has changed.
 *   CO_FAULT  an exception is recorded in vcpu->exc, EIP is the
 *             instruction and nothing changed (a REP string instruction
 *             keeps its completed iterations, as on hardware).
 *   CO_HALT   HLT (handed to callout_exec like every privileged or
 *             sensitive instruction).
 *
 * Covered: MOV (all forms), MOVZX/MOVSX, MOVNTI, CMOVcc, SETcc, the ALU
 * group, TEST, INC/DEC/NEG/NOT, MUL/IMUL/DIV/IDIV, shifts and rotates,
 * SHLD/SHRD, BT/BTS/BTR/BTC, BSF/BSR, XCHG, XADD, CMPXCHG, CMPXCHG8B (LOCK
 * accepted: one vCPU, the bus access need not be atomic), PUSH/POP, near
 * CALL/JMP/RET/Jcc, LEAVE, LEA, hint NOPs and prefetches; string
 * instructions and everything callout_needed() names go to callout_exec(); x87
 * FLD/FST/FSTP/FILD/FIST/FISTP, FLDCW/FNSTCW/FNSTSW and x87 arithmetic with
 * a memory operand; MMX MOVD/MOVQ and SSE/SSE2 moves (MOVD, MOVQ, MOVSS,
 * MOVSD, MOVUPS/MOVAPS/MOVUPD/MOVAPD, MOVDQU/MOVDQA, MOVLPS/MOVHPS,
 * MOVLPD/MOVHPD, MOVNTPS/MOVNTPD/MOVNTDQ/MOVNTQ) with memory.
 * Refused (the run ends with one line): ENTER, LOOP/JCXZ, XLAT, the x87
 * environment and state instructions (FLDENV, FNSTENV, FNSAVE, FRSTOR,
 * FBLD/FBSTP, FISTTP), FXSAVE/FXRSTOR, MMX/SSE arithmetic with memory.
 */
#ifndef BT86_EMULATE_H
#define BT86_EMULATE_H

#include <stdint.h>

#include "monitor/insn/callout.h"
#include "monitor/machine/vcpu.h"

/* emu_step: execute the instruction at CS:EIP (see above). */
enum callout_result emu_step(struct vcpu *v);

/* emu_mmio: emu_step for an instruction that touched the non-RAM
 * guest-physical address gpa; a refusal names gpa in its message. */
enum callout_result emu_mmio(struct vcpu *v, uint64_t gpa);

#endif
