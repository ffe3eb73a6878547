/*
 * callout_flow.c - control transfers and flags: far JMP/CALL/RET, IRET,
 * INT n/INT3/INTO/INT1, BOUND, SYSENTER/SYSEXIT, CLI/STI, PUSHF/POPF.
 *
 * Transfers run with vcpu->eip at the next instruction (the return
 * address the cpu layer pushes); when one faults, EIP goes back to the
 * instruction and CO_FAULT is returned.  Every completed transfer returns
 * CO_EXIT: control went elsewhere, maybe with a new CS or CPL.
 */
#include "monitor/insn/callout_priv.h"

/* Flags whose change invalidates what translated code assumes. */
#define EFL_EXIT_MASK (EFL_TF | EFL_AC | EFL_IOPL | EFL_NT | EFL_VM | EFL_RF)

/* transfer_done: the result of a cpu-layer transfer called with eip at
 * the next instruction. */
static enum callout_result transfer_done(struct vcpu *v, const struct callout_site *s, int r)
{
	if (r)
		return co_fault(v, s);
	return CO_EXIT;
}

/* ud: raise #UD for the instruction. */
static enum callout_result ud(struct vcpu *v, const struct callout_site *s)
{
	cpu_raise_ud(v);
	return co_fault(v, s);
}

/* read_far_ptr: offset (2 or 4 bytes) and selector from memory operand op. */
static int read_far_ptr(struct vcpu *v, const struct callout_site *s, const ZydisDecodedOperand *op,
			unsigned size, uint32_t *off, uint16_t *sel)
{
	uint8_t b[6] = {0};

	if (insn_mem_read(v, s, op, 0, b, size + 2))
		return CPU_FAULT;
	*off = b[0] | b[1] << 8 | (size == 4 ? (b[2] << 16 | (uint32_t)b[3] << 24) : 0);
	*sel = b[size] | b[size + 1] << 8;
	return 0;
}

/* co_far_jmp_call: JMP/CALL ptr16:16/32 or m16:16/32. */
enum callout_result co_far_jmp_call(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedOperand *op = &s->ops[0];
	unsigned size = co_opsize(s);
	uint32_t off;
	uint16_t sel;

	if (s->insn.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR)
		return ud(v, s);
	if (op->type == ZYDIS_OPERAND_TYPE_POINTER) {
		sel = op->ptr.segment;
		off = op->ptr.offset;
	} else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		if (read_far_ptr(v, s, op, size, &off, &sel))
			return co_fault(v, s);
	} else {
		return ud(v, s); /* FF /3, FF /5 with a register operand */
	}
	v->eip = insn_next_eip(v, s);
	if (s->insn.mnemonic == ZYDIS_MNEMONIC_CALL)
		return transfer_done(v, s, cpu_far_call(v, sel, off, size));
	return transfer_done(v, s, cpu_far_jmp(v, sel, off, size));
}

/* co_far_ret: RETF / RETF imm16. */
enum callout_result co_far_ret(struct vcpu *v, const struct callout_site *s)
{
	uint16_t imm = 0;

	if (s->insn.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR)
		return ud(v, s);
	if (s->insn.operand_count_visible > 0 && s->ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		imm = (uint16_t)s->ops[0].imm.value.u;
	v->eip = insn_next_eip(v, s);
	return transfer_done(v, s, cpu_far_ret(v, imm, co_opsize(s)));
}

/* co_iret: IRET (16-bit) / IRETD. */
enum callout_result co_iret(struct vcpu *v, const struct callout_site *s)
{
	v->eip = insn_next_eip(v, s);
	return transfer_done(v, s, cpu_iret(v, co_opsize(s)));
}

/* co_int: INT n, INT3, INTO (when OF = 1) through the IDT with the gate
 * DPL check; INT1 (ICEBP) delivers #DB without it.  The return address
 * is the next instruction. */
enum callout_result co_int(struct vcpu *v, const struct callout_site *s)
{
	switch (s->insn.mnemonic) {
	case ZYDIS_MNEMONIC_INT:
		v->eip = insn_next_eip(v, s);
		return transfer_done(v, s, cpu_int(v, (uint8_t)s->ops[0].imm.value.u, EV_SOFTINT));
	case ZYDIS_MNEMONIC_INT3:
		v->eip = insn_next_eip(v, s);
		return transfer_done(v, s, cpu_int(v, EXC_BP, EV_SOFTEXC));
	case ZYDIS_MNEMONIC_INTO:
		if (!(v->eflags & EFL_OF))
			return co_next(v, s);
		v->eip = insn_next_eip(v, s);
		return transfer_done(v, s, cpu_int(v, EXC_OF, EV_SOFTEXC));
	default: /* INT1: a trap; delivery faults escalate inside the cpu layer */
		v->eip = insn_next_eip(v, s);
		cpu_deliver_event(v, EV_EXCEPTION, EXC_DB, false, 0);
		return CO_EXIT;
	}
}

/* co_bound: BOUND r, m16&16/m32&32: #BR (a fault) when the signed index
 * is below the lower or above the upper bound. */
enum callout_result co_bound(struct vcpu *v, const struct callout_site *s)
{
	unsigned size = co_opsize(s);
	uint8_t b[8] = {0};
	int32_t idx, lo, hi;

	if (s->ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY)
		return ud(v, s);
	if (insn_mem_read(v, s, &s->ops[1], 0, b, 2 * size))
		return co_fault(v, s);
	if (size == 2) {
		idx = (int16_t)insn_reg_read(v, s->ops[0].reg.value);
		lo = (int16_t)(b[0] | b[1] << 8);
		hi = (int16_t)(b[2] | b[3] << 8);
	} else {
		idx = (int32_t)insn_reg_read(v, s->ops[0].reg.value);
		lo = (int32_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24);
		hi = (int32_t)(b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24);
	}
	if (idx < lo || idx > hi) {
		cpu_raise(v, EXC_BR, false, 0);
		return co_fault(v, s);
	}
	return co_next(v, s);
}

/* co_sysenter / co_sysexit: fast system call entry and return. */
enum callout_result co_sysenter(struct vcpu *v, const struct callout_site *s)
{
	v->eip = insn_next_eip(v, s);
	return transfer_done(v, s, cpu_sysenter(v));
}

enum callout_result co_sysexit(struct vcpu *v, const struct callout_site *s)
{
	v->eip = insn_next_eip(v, s);
	return transfer_done(v, s, cpu_sysexit(v));
}

/* co_cli: clear the virtual IF (#GP(0) when CPL > IOPL). */
enum callout_result co_cli(struct vcpu *v, const struct callout_site *s)
{
	if (cpu_cli(v))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_sti: set the virtual IF with its one-instruction shadow; when IF was
 * clear an interrupt may now be due: exit to the dispatcher. */
enum callout_result co_sti(struct vcpu *v, const struct callout_site *s)
{
	bool was_set = v->eflags & EFL_IF;

	if (cpu_sti(v))
		return co_fault(v, s);
	co_next(v, s);
	return was_set ? CO_NEXT : CO_EXIT;
}

/* co_pushf: push the virtual EFLAGS (VM and RF read as 0); 16 bits with
 * a 16-bit operand size.  #GP(0) in virtual-8086 mode with IOPL < 3. */
enum callout_result co_pushf(struct vcpu *v, const struct callout_site *s)
{
	unsigned size = co_opsize(s);
	uint32_t fl = cpu_get_eflags(v);

	if (vcpu_vm86(v) && ((v->eflags & EFL_IOPL) >> EFL_IOPL_SHIFT) < 3) {
		cpu_raise_gp(v, 0);
		return co_fault(v, s);
	}
	if (cpu_push(v, size == 2 ? (fl & 0xffff) : fl, size))
		return co_fault(v, s);
	return co_next(v, s);
}

/* co_popf: POPF/POPFD with the CPL/IOPL rules of the cpu layer; ESP moves
 * only once the new flags are accepted.  Leaves translated code when IF
 * went from 0 to 1 or TF/AC/IOPL/NT changed. */
enum callout_result co_popf(struct vcpu *v, const struct callout_site *s)
{
	unsigned size = co_opsize(s);
	uint32_t old = v->eflags, val;

	if (co_stack_peek(v, 0, size, &val) || cpu_popf(v, val, size))
		return co_fault(v, s);
	co_stack_adjust(v, (int32_t)size);
	co_next(v, s);
	if ((~old & v->eflags & EFL_IF) || ((old ^ v->eflags) & EFL_EXIT_MASK))
		return CO_EXIT;
	return CO_NEXT;
}
