/*
 * cpu.h - the IA-32 architecture's rules for system state, engine-neutral.
 *
 * The bt engine's callouts (and later the small instruction emulator) call
 * these functions with the guest's GPRs, EIP and EFLAGS already saved in
 * struct vcpu.  They implement what the Intel SDM specifies: privilege and
 * limit checks, descriptor loads, gates, task-state stack switches, event
 * delivery with double- and triple-fault escalation.
 *
 * Error convention: functions returning int return 0 on success, or
 * CPU_FAULT after recording an exception with cpu_raise() (vcpu->exc).  The
 * caller leaves vcpu->eip at the faulting instruction and calls
 * cpu_deliver_pending().  Nothing in here changes architectural state before
 * every check that can fault has passed (faults are precise).
 *
 * Virtual-8086 mode (SDM vol. 3 ch. 20, without VME): IRET into it from
 * CPL 0, the IOPL-sensitive instructions (#GP(0) below IOPL 3), the I/O
 * bitmap, and events from it through ring-0 gates (cpu_event.c).
 * Not implemented (documented refusals): a 16-bit TSS; a task switch into
 * virtual-8086 mode; hardware breakpoints (DR0-7 are stored only).  The
 * guest CPU model is in cpu_sys.c (cpu_cpuid) and docs/platform.md.
 */
#ifndef BT86_CPU_H
#define BT86_CPU_H

#include <stdint.h>
#include <stdbool.h>
#include "monitor/base/util.h"
#include "monitor/machine/vcpu.h"

#define CPU_FAULT (-1)

/* Access kinds for linear/physical memory access. */
#define ACC_READ  0u
#define ACC_WRITE (1u << 0)
#define ACC_EXEC  (1u << 1)
#define ACC_SYS	  (1u << 2) /* implicit supervisor access (GDT/IDT/TSS): ignores CPL */

/* --- exceptions and events ----------------------------------------------- */

/* cpu_raise: record exception `vector` (with error code if has_err) in
 * vcpu->exc; returns CPU_FAULT.  A second exception while one is recorded
 * is combined by the double-fault rules at delivery. */
int cpu_raise(struct vcpu *v, int vector, bool has_err, uint32_t err);
/* cpu_raise_gp / cpu_raise_ud: shorthands. */
int cpu_raise_gp(struct vcpu *v, uint32_t err);
int cpu_raise_ud(struct vcpu *v);
/* cpu_raise_pf: set CR2 = lin and raise #PF with error code err. */
int cpu_raise_pf(struct vcpu *v, uint32_t lin, uint32_t err);

/* cpu_deliver_event: deliver an event through the IDT (protected mode:
 * interrupt/trap/task gates, privilege change with the stack from the TSS,
 * error code push; real mode: the IVT).  vcpu->eip must be the address to
 * return to (the faulting instruction for faults, the next one for traps and
 * INT n).  Faults during delivery escalate to #DF and then to a triple
 * fault, which requests EXIT_SHUTDOWN with a message.  Returns 0, or
 * CPU_FAULT if delivery itself faulted (already escalated internally; the
 * caller just re-enters its loop). */
int cpu_deliver_event(struct vcpu *v, enum event_type type, int vector, bool has_err, uint32_t err);
/* cpu_deliver_pending: deliver vcpu->exc if valid (and clear it). */
void cpu_deliver_pending(struct vcpu *v);
/* cpu_check_interrupts: if IF=1, no interrupt shadow, and the PIC has an
 * interrupt, acknowledge and deliver it; clears halted.  Returns true if an
 * interrupt was delivered. */
bool cpu_check_interrupts(struct vcpu *v);

/* --- memory -------------------------------------------------------------- */

/* cpu_translate: linear -> physical for an access (page walk with A/D
 * update when paging is on, CPL/U-S/R-W/WP checks); raises #PF. */
int cpu_translate(struct vcpu *v, uint32_t lin, unsigned acc, uint32_t *phys);
/* cpu_read_lin / cpu_write_lin: access len bytes at a linear address,
 * crossing pages as needed (RAM or MMIO bus); raise #PF. */
int cpu_read_lin(struct vcpu *v, uint32_t lin, void *dst, unsigned len, unsigned acc);
int cpu_write_lin(struct vcpu *v, uint32_t lin, const void *src, unsigned len, unsigned acc);
/* cpu_x87_pending: an unmasked x87 exception is pending in the saved
 * state (FSW.ES, or an exception flag whose FCW mask bit is clear): a
 * waiting x87/MMX instruction raises #MF first. */
static inline bool cpu_x87_pending(const struct vcpu *v)
{
	uint16_t fcw = le16(v->fxsave), fsw = le16(v->fxsave + 2);
	return (fsw & 0x80) || (fsw & ~fcw & 0x3f);
}

/* cpu_seg_check: the access of len bytes at off in segment register seg
 * passes the null, type and limit checks; raises #GP(0) or #SS(0). */
int cpu_seg_check(struct vcpu *v, int seg, uint32_t off, unsigned len, bool write);
/* cpu_read_seg / cpu_write_seg: segment-relative access with the segment's
 * limit and type checks (#GP(0), or #SS(0) for SS). */
int cpu_read_seg(struct vcpu *v, int seg, uint32_t off, void *dst, unsigned len);
int cpu_write_seg(struct vcpu *v, int seg, uint32_t off, const void *src, unsigned len);
/* cpu_push / cpu_pop: 2- or 4-byte stack push/pop through SS:ESP (honours
 * SS.B for 16-bit stacks); ESP changes only on success. */
int cpu_push(struct vcpu *v, uint32_t val, unsigned size);
int cpu_pop(struct vcpu *v, uint32_t *val, unsigned size);

/* --- segments and descriptor tables -------------------------------------- */

/* cpu_load_seg: MOV/POP/LDS... to segment register `seg` (not CS): selector
 * and descriptor checks per the SDM, accessed bit set; #GP/#SS/#NP.  A
 * null selector makes DS/ES/FS/GS unusable (attr 0: an access gives
 * #GP(0)).  Loading SS sets the interrupt shadow (MOV SS / POP SS). */
int cpu_load_seg(struct vcpu *v, int seg, uint16_t sel);
/* cpu_seg_flat: true if segment s has base 0 and a 4 GiB limit, 32-bit. */
bool cpu_seg_flat(const struct vcpu *v, int s);
/* cpu_read_descriptor: fetch the 8-byte descriptor for sel from GDT/LDT;
 * raises #GP(sel & ~3) (or err_vector) when beyond the table limit. */
int cpu_read_descriptor(struct vcpu *v, uint16_t sel, uint64_t *desc, int err_vector);
/* cpu_desc_to_seg: unpack a descriptor into a struct seg. */
void cpu_desc_to_seg(uint64_t desc, uint16_t sel, struct seg *s);

int cpu_lgdt(struct vcpu *v, uint32_t base, uint16_t limit); /* CPL0 checked */
int cpu_lidt(struct vcpu *v, uint32_t base, uint16_t limit);
int cpu_lldt(struct vcpu *v, uint16_t sel);
int cpu_ltr(struct vcpu *v, uint16_t sel);
/* LAR/LSL/VERR/VERW: *zf receives the new ZF, *out the result (LAR/LSL). */
int cpu_lar(struct vcpu *v, uint16_t sel, uint32_t *out, bool *zf);
int cpu_lsl(struct vcpu *v, uint16_t sel, uint32_t *out, bool *zf);
int cpu_verr(struct vcpu *v, uint16_t sel, bool *zf);
int cpu_verw(struct vcpu *v, uint16_t sel, bool *zf);
/* cpu_selector_value: what MOV r/m,sreg / PUSH sreg store (the selector). */
uint16_t cpu_selector_value(const struct vcpu *v, int seg);

/* --- control transfers (vcpu->eip = the next instruction on entry) -------- */
/* On CPU_FAULT none of these has changed anything (eip included): the
 * caller sets eip back to the instruction and delivers the exception. */

int cpu_far_jmp(struct vcpu *v, uint16_t sel, uint32_t off, unsigned opsize);
/* Why a task switch happens (cpu_task.c). */
enum task_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
/* cpu_task_switch: switch to the task whose TSS selector is sel (SDM 7.3):
 * checks that fail before the commit raise in the old task (CPU_FAULT,
 * nothing changed); later ones are left pending in the new task (0).
 * has_err/err: an exception's error code for the new stack; ext: the EXT
 * bit for error codes (an external event). */
int cpu_task_switch(struct vcpu *v, uint16_t sel, enum task_reason why, bool has_err, uint32_t err,
		    unsigned ext);
/* cpu_far_call: pushes CS and vcpu->eip (the next instruction) as return address. */
int cpu_far_call(struct vcpu *v, uint16_t sel, uint32_t off, unsigned opsize);
/* cpu_far_ret: RETF imm16 (pops CS:EIP, releases imm bytes, maybe SS:ESP). */
int cpu_far_ret(struct vcpu *v, uint16_t imm, unsigned opsize);
int cpu_iret(struct vcpu *v, unsigned opsize);
/* cpu_int: INT n / INT3 / INTO (type EV_SOFTINT or EV_SOFTEXC) with the
 * gate DPL check against CPL (#GP(vector*8+2)).  A fault while delivering
 * is a fault of the instruction: CPU_FAULT with nothing changed (no #DF
 * escalation); real mode uses the IVT. */
int cpu_int(struct vcpu *v, int vector, enum event_type type);
int cpu_sysenter(struct vcpu *v);
int cpu_sysexit(struct vcpu *v);

/* --- flags, privileged registers ----------------------------------------- */

/* cpu_get_eflags: the EFLAGS value PUSHF stores (VM and RF read as 0). */
uint32_t cpu_get_eflags(const struct vcpu *v);
/* cpu_popf: POPF/IRET-style EFLAGS write with the CPL/IOPL rules
 * (IF only if CPL <= IOPL, IOPL only at CPL0; VM/RF untouched).  opsize 2
 * changes only the low 16 bits. */
int cpu_popf(struct vcpu *v, uint32_t val, unsigned opsize);
int cpu_cli(struct vcpu *v); /* #GP if CPL > IOPL */
int cpu_sti(struct vcpu *v); /* sets the interrupt shadow */

/* Changes to system state that the engine must react to. */
#define CPU_CHG_PAGING (1u << 0) /* CR0.PG/WP, CR4.PSE/PGE/PAE changed */
#define CPU_CHG_CR3    (1u << 1) /* new address space */
#define CPU_CHG_MODE   (1u << 2) /* CR0.PE, CR0.TS/EM, CPL, CS size */
#define CPU_CHG_SEGS   (1u << 3) /* a segment base/limit changed */

/* cpu_mov_to_cr / cpu_mov_from_cr: CPL0 and reserved-bit checks; *chg
 * receives CPU_CHG_* bits. */
int cpu_mov_to_cr(struct vcpu *v, int cr, uint32_t val, unsigned *chg);
int cpu_mov_from_cr(struct vcpu *v, int cr, uint32_t *val);
int cpu_mov_to_dr(struct vcpu *v, int dr, uint32_t val);
int cpu_mov_from_dr(struct vcpu *v, int dr, uint32_t *val);
int cpu_lmsw(struct vcpu *v, uint16_t val, unsigned *chg);
uint32_t cpu_smsw(const struct vcpu *v);
/* cpu_umip_blocks: SGDT/SIDT/SLDT/SMSW/STR may not run here (CR4.UMIP above
 * CPL 0 in protected or virtual-8086 mode): #GP(0) raised, true. */
bool cpu_umip_blocks(struct vcpu *v);
int cpu_clts(struct vcpu *v);
int cpu_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val);
int cpu_wrmsr(struct vcpu *v, uint32_t msr, uint64_t val);
/* cpu_cpuid: the guest CPU model's leaves (vendor "GenuineIntel", family 6). */
void cpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* cpu_rdtsc: guest TSC (host TSC + offset); #GP if CR4.TSD and CPL > 0. */
int cpu_rdtsc(struct vcpu *v, uint64_t *tsc);
/* cpu_hlt: #GP at CPL > 0; else halted = true. */
int cpu_hlt(struct vcpu *v);
/* cpu_require_cpl0: #GP(0) unless CPL is 0 (INVLPG, INVD, WBINVD and the like). */
int cpu_require_cpl0(struct vcpu *v);

/* --- port I/O ------------------------------------------------------------ */

/* cpu_io_check: IOPL and TSS I/O-bitmap check for size bytes at port;
 * raises #GP(0) when refused. */
int cpu_io_check(struct vcpu *v, uint16_t port, unsigned size);
/* cpu_in / cpu_out: checked IN/OUT. */
int cpu_in(struct vcpu *v, uint16_t port, unsigned size, uint32_t *val);
int cpu_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t val);
/* Return value of cpu_string_io / cpu_string_op when a REP instruction
 * stopped after a bounded amount of work (64 KiB) with ECX > 0, so that
 * interrupts can be taken: the caller leaves vcpu->eip at the instruction,
 * which resumes when executed again. */
#define CPU_STRING_MORE 1

/* cpu_string_io: INS/OUTS with or without REP, using ES:EDI / DS:ESI (or
 * seg override `seg` for OUTS), ECX, DF; addrsize 2 or 4.  Updates
 * registers as the instruction does; on a fault mid-way, registers reflect
 * the iterations completed (as on hardware).  vcpu->eip is never changed:
 * on entry it is the instruction's address; the caller moves it to the next
 * instruction when 0 is returned (done), and leaves it on CPU_STRING_MORE
 * or CPU_FAULT.  REP with ECX (CX for addrsize 2) = 0 does nothing. */
int cpu_string_io(struct vcpu *v, bool out, bool rep, unsigned size, int seg, unsigned addrsize);
/* cpu_string_op: MOVS/STOS/LODS/CMPS/SCAS with REP/REPE/REPNE, done page-run
 * by page-run; same register and fault rules as cpu_string_io.  op is the
 * Zydis mnemonic-independent kind below; cmps/scas update the arithmetic
 * flags in vcpu->eflags (those of CMP for the last compared pair).  REP_REP
 * on CMPS/SCAS means REPE (the F3 prefix); REPE/REPNE on MOVS/STOS/LODS
 * mean REP.  seg is the source segment (DS unless overridden); the
 * destination is always ES. */
enum string_op { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS };
enum rep_kind { REP_NONE, REP_REP, REP_REPE, REP_REPNE };
int cpu_string_op(struct vcpu *v, enum string_op op, enum rep_kind rep, unsigned size, int seg,
		  unsigned addrsize);

#endif
