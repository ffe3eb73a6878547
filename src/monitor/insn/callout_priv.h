/*
 * callout_priv.h - helpers shared by the callout handlers (callout*.c).
 *
 * Not part of the callout contract: only callout*.c include this.  Every
 * handler has the signature co_handler and follows the rules of callout.h:
 * on CO_NEXT/CO_HALT vcpu->eip is the next instruction, on CO_FAULT it is the
 * instruction itself (vcpu->exc recorded), on CO_EXIT it is wherever the
 * instruction sent control.
 */
#ifndef BT86_CALLOUT_PRIV_H
#define BT86_CALLOUT_PRIV_H

#include "monitor/insn/insn.h"
#include "monitor/insn/operand.h"
#include "monitor/x86/cpu.h"

/* co_next: vcpu->eip = the instruction after s (IP wraps at 64 KiB in a
 * 16-bit code segment); returns CO_NEXT. */
enum callout_result co_next(struct vcpu *v, const struct callout_site *s);
/* co_fault: an exception was recorded: eip back at the instruction. */
enum callout_result co_fault(struct vcpu *v, const struct callout_site *s);

/* co_opsize: operand size in bytes (2 or 4) of the instruction. */
unsigned co_opsize(const struct callout_site *s);
/* co_addrsize: address size in bytes (2 or 4). */
unsigned co_addrsize(const struct callout_site *s);
/* co_stack_size: 4 if SS is a 32-bit (B=1) stack segment, else 2. */
unsigned co_stack_size(const struct vcpu *v);

/* co_stack_peek: read size bytes (2 or 4) at SS:(ESP + off), ESP or SP per
 * SS.B, without changing ESP. */
int co_stack_peek(struct vcpu *v, uint32_t off, unsigned size, uint32_t *val);
/* co_stack_adjust: ESP += delta (only SP in a 16-bit stack segment). */
void co_stack_adjust(struct vcpu *v, int32_t delta);

/* co_set_zf: set or clear ZF in vcpu->eflags. */
void co_set_zf(struct vcpu *v, bool zf);
/* co_pm_only: #UD in real mode and virtual-8086 mode (SLDT, LAR, ARPL...);
 * returns 0 or CPU_FAULT. */
int co_pm_only(struct vcpu *v);

/* Handlers, by file. */
/* callout_sys.c: control/debug registers, descriptor tables, MSRs, ... */
enum callout_result co_mov_cr(struct vcpu *v, const struct callout_site *s);
enum callout_result co_mov_dr(struct vcpu *v, const struct callout_site *s);
enum callout_result co_lmsw(struct vcpu *v, const struct callout_site *s);
enum callout_result co_smsw(struct vcpu *v, const struct callout_site *s);
enum callout_result co_clts(struct vcpu *v, const struct callout_site *s);
enum callout_result co_sgdt_sidt(struct vcpu *v, const struct callout_site *s);
enum callout_result co_lgdt_lidt(struct vcpu *v, const struct callout_site *s);
enum callout_result co_sldt_str(struct vcpu *v, const struct callout_site *s);
enum callout_result co_lldt_ltr(struct vcpu *v, const struct callout_site *s);
enum callout_result co_lar_lsl(struct vcpu *v, const struct callout_site *s);
enum callout_result co_verr_verw(struct vcpu *v, const struct callout_site *s);
enum callout_result co_invlpg(struct vcpu *v, const struct callout_site *s);
enum callout_result co_cache(struct vcpu *v, const struct callout_site *s);
enum callout_result co_hlt(struct vcpu *v, const struct callout_site *s);
enum callout_result co_rdmsr(struct vcpu *v, const struct callout_site *s);
enum callout_result co_wrmsr(struct vcpu *v, const struct callout_site *s);
enum callout_result co_cpuid(struct vcpu *v, const struct callout_site *s);
enum callout_result co_rdtsc(struct vcpu *v, const struct callout_site *s);
enum callout_result co_rdtscp(struct vcpu *v, const struct callout_site *s);
enum callout_result co_rdpmc(struct vcpu *v, const struct callout_site *s);
/* callout_seg.c: segment registers */
enum callout_result co_mov_seg(struct vcpu *v, const struct callout_site *s);
enum callout_result co_push_seg(struct vcpu *v, const struct callout_site *s);
enum callout_result co_pop_seg(struct vcpu *v, const struct callout_site *s);
enum callout_result co_load_far_ptr(struct vcpu *v, const struct callout_site *s);
enum callout_result co_arpl(struct vcpu *v, const struct callout_site *s);
/* callout_flow.c: far transfers, interrupts, flags */
enum callout_result co_far_jmp_call(struct vcpu *v, const struct callout_site *s);
enum callout_result co_far_ret(struct vcpu *v, const struct callout_site *s);
enum callout_result co_iret(struct vcpu *v, const struct callout_site *s);
enum callout_result co_int(struct vcpu *v, const struct callout_site *s);
enum callout_result co_bound(struct vcpu *v, const struct callout_site *s);
enum callout_result co_sysenter(struct vcpu *v, const struct callout_site *s);
enum callout_result co_sysexit(struct vcpu *v, const struct callout_site *s);
enum callout_result co_cli(struct vcpu *v, const struct callout_site *s);
enum callout_result co_sti(struct vcpu *v, const struct callout_site *s);
enum callout_result co_pushf(struct vcpu *v, const struct callout_site *s);
enum callout_result co_popf(struct vcpu *v, const struct callout_site *s);
/* callout_io.c: port I/O and string instructions */
enum callout_result co_in_out(struct vcpu *v, const struct callout_site *s);
enum callout_result co_string_io(struct vcpu *v, const struct callout_site *s);
enum callout_result co_string_op(struct vcpu *v, const struct callout_site *s);
/* callout_misc.c: opcodes absent from 64-bit mode, FPU traps, #UD */
enum callout_result co_bcd(struct vcpu *v, const struct callout_site *s);
enum callout_result co_salc(struct vcpu *v, const struct callout_site *s);
enum callout_result co_pusha(struct vcpu *v, const struct callout_site *s);
enum callout_result co_enter(struct vcpu *v, const struct callout_site *s);
enum callout_result co_popa(struct vcpu *v, const struct callout_site *s);
enum callout_result co_grp82(struct vcpu *v, const struct callout_site *s);
enum callout_result co_bitscan(struct vcpu *v, const struct callout_site *s);
/* co_fpu_trap: the #NM/#UD that CR0.TS/EM (or CR4.OSFXSR) give x87/SSE
 * instruction s now; true (with *r = CO_FAULT, or CO_NEXT for a WAIT that
 * does nothing) when one applies. */
bool co_fpu_trap(struct vcpu *v, const struct callout_site *s, enum callout_result *r);
/* callout_fpu.c */
enum callout_result co_fnstenv_fnsave(struct vcpu *v, const struct callout_site *s);
enum callout_result co_fxsave(struct vcpu *v, const struct callout_site *s);
enum callout_result co_fxrstor(struct vcpu *v, const struct callout_site *s);
enum callout_result co_fldenv_frstor(struct vcpu *v, const struct callout_site *s);
enum callout_result co_maskmov(struct vcpu *v, const struct callout_site *s);
enum callout_result co_ud(struct vcpu *v, const struct callout_site *s);

/* callout_alu.c: pure arithmetic, no vcpu (also checked against the host
 * CPU).  eflags: full EFLAGS in/out, only arithmetic flags change. */
/* callout_bcd_op: DAA/DAS/AAA/AAS/AAM/AAD/SALC on eax; imm is the AAM/AAD
 * base (ignored otherwise).  Returns the new EAX (only AL/AH change).
 * AAM with imm 0 is the caller's #DE. */
uint32_t callout_bcd_op(ZydisMnemonic m, uint32_t eax, uint8_t imm, uint32_t *eflags);
/* callout_alu8: the 8-bit ALU operation `op` (reg field of 0x80/0x82:
 * ADD OR ADC SBB AND SUB XOR CMP) of a and b; returns the result (CMP
 * returns a), flags as the hardware sets them. */
uint8_t callout_alu8(unsigned op, uint8_t a, uint8_t b, uint32_t *eflags);

#endif
