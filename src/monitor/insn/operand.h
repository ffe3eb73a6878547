/*
 * operand.h - the one operand reader of the monitor: the registers,
 * effective addresses and memory operands of a decoded instruction
 * (struct callout_site) on saved vCPU state.  The callouts (callout*.c)
 * and the one-instruction emulator (emulate*.c) both read and write their
 * operands here; memory goes through the cpu layer's segment and paging
 * checks (cpu_read_seg/cpu_write_seg), so a fault is the guest's.
 */
#ifndef BT86_OPERAND_H
#define BT86_OPERAND_H

#include <stdbool.h>
#include <stdint.h>
#include <Zydis/Zydis.h>

#include "monitor/insn/callout.h"

/* insn_reg_index / insn_seg_index: the vcpu index of a Zydis GPR (any
 * width) or segment register; -1 if r is not of that kind. */
int insn_reg_index(ZydisRegister r);
int insn_seg_index(ZydisRegister r);
/* insn_is_gpr: r is a general register of any width. */
bool insn_is_gpr(ZydisRegister r);
/* insn_reg_read / insn_reg_write: a GPR of any width (AL..BH, AX..DI,
 * EAX..EDI); writes of 8/16 bits keep the rest of the register. */
uint32_t insn_reg_read(const struct vcpu *v, ZydisRegister r);
void insn_reg_write(struct vcpu *v, ZydisRegister r, uint32_t val);

/* insn_op_read: value of operand op (register or memory with segment
 * checks: zero-extended; immediate: as decoded, sign-extended to 32 bits
 * when the encoding says so, as 83 /n needs); returns 0 or CPU_FAULT. */
int insn_op_read(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		 uint32_t *val);
/* insn_op_write: store the low op->size bits of val in operand op. */
int insn_op_write(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		  uint32_t val);
/* insn_mem_read / insn_mem_write: len bytes at memory operand op (+ extra
 * bytes into it), through the segment and its limit checks. */
int insn_mem_read(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		  uint32_t extra, void *dst, unsigned len);
int insn_mem_write(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		   uint32_t extra, const void *src, unsigned len);

/* insn_ea: the effective address (offset within segment *seg) of memory
 * operand op of site s for the current register values: base + index *
 * scale + displacement + extra (bytes into the operand), wrapped to the
 * address size; *seg (if not NULL) receives the segment register used:
 * the override, else SS for EBP/ESP (BP/SP) based addressing, else DS (as
 * Zydis resolved it at decode).  Use it with cpu_read_seg/cpu_write_seg,
 * which check the limit. */
uint32_t insn_ea(const struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
		 uint32_t extra, int *seg);

/* insn_next_eip: the address of the instruction after s (IP wraps at
 * 64 KiB in a 16-bit code segment). */
uint32_t insn_next_eip(const struct vcpu *v, const struct callout_site *s);

#endif
