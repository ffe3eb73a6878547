/*
 * callout_io.c - port I/O (IN/OUT, INS/OUTS) and the string instructions
 * the translator does not expand (REP MOVS/STOS/LODS/CMPS/SCAS).
 *
 * Device accesses may raise an interrupt line or end the run (debug exit,
 * reset): after one, the callout leaves translated code when an interrupt
 * can be taken or an exit was requested.  A REP instruction the cpu layer
 * stopped early (CPU_STRING_MORE, for interruptibility) keeps EIP at the
 * instruction and returns CO_EXIT: the dispatcher resumes it.
 */
#include "monitor/insn/callout_priv.h"
#include "monitor/machine/machine.h"

/* io_result: CO_NEXT, or CO_EXIT if the device access made the run end or
 * an interrupt deliverable.  EIP is already at the next instruction. */
static enum callout_result io_result(struct vcpu *v)
{
	struct machine *m = v->machine;

	if (!m)
		return CO_NEXT;
	if (m->exit.reason != EXIT_NONE)
		return CO_EXIT;
	if ((v->eflags & EFL_IF) && machine_intr_pending(m))
		return CO_EXIT;
	return CO_NEXT;
}

/* co_in_out: IN AL/AX/EAX, imm8|DX and OUT imm8|DX, AL/AX/EAX. */
enum callout_result co_in_out(struct vcpu *v, const struct callout_site *s)
{
	bool in = s->insn.mnemonic == ZYDIS_MNEMONIC_IN;
	const ZydisDecodedOperand *data = in ? &s->ops[0] : &s->ops[1];
	const ZydisDecodedOperand *port_op = in ? &s->ops[1] : &s->ops[0];
	unsigned size = data->size / 8;
	uint16_t port;
	uint32_t val;

	if (port_op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		port = (uint8_t)port_op->imm.value.u;
	else
		port = (uint16_t)v->gpr[R_EDX];
	if (in) {
		if (cpu_in(v, port, size, &val))
			return co_fault(v, s);
		insn_reg_write(v, data->reg.value, val);
	} else {
		if (cpu_out(v, port, size, insn_reg_read(v, data->reg.value)))
			return co_fault(v, s);
	}
	co_next(v, s);
	return io_result(v);
}

/* rep_kind_of: the REP prefix of a string instruction. */
static enum rep_kind rep_kind_of(const ZydisDecodedInstruction *in)
{
	if (in->attributes & ZYDIS_ATTRIB_HAS_REPNE)
		return REP_REPNE;
	if (in->attributes & ZYDIS_ATTRIB_HAS_REPE)
		return REP_REPE;
	if (in->attributes & ZYDIS_ATTRIB_HAS_REP)
		return REP_REP;
	return REP_NONE;
}

/* string_size: element size in bytes (1, 2, 4) from the mnemonic's last
 * letter (MOVSB/W/D, INSB/W/D ...). */
static unsigned string_size(const ZydisDecodedInstruction *in)
{
	const char *n = ZydisMnemonicGetString(in->mnemonic);
	size_t len = 0;

	while (n[len])
		len++;
	switch (len ? n[len - 1] : 0) {
	case 'b':
		return 1;
	case 'w':
		return 2;
	default:
		return 4;
	}
}

/* source_seg: the segment of the operand addressed by ESI (DS unless
 * overridden); DS when there is none. */
static int source_seg(const struct callout_site *s)
{
	for (unsigned i = 0; i < s->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &s->ops[i];

		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    (op->mem.base == ZYDIS_REGISTER_ESI || op->mem.base == ZYDIS_REGISTER_SI)) {
			int seg = insn_seg_index(op->mem.segment);
			return seg >= 0 ? seg : S_DS;
		}
	}
	return S_DS;
}

/* string_result: map a cpu_string_* return value to a callout result. */
static enum callout_result string_result(struct vcpu *v, const struct callout_site *s, int r,
					 bool io)
{
	if (r < 0)
		return co_fault(v, s);
	if (r > 0) { /* CPU_STRING_MORE: resume the instruction later */
		v->eip = s->eip;
		return CO_EXIT;
	}
	co_next(v, s);
	return io ? io_result(v) : CO_NEXT;
}

/* co_string_io: INSB/W/D and OUTSB/W/D, with or without REP. */
enum callout_result co_string_io(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedInstruction *in = &s->insn;
	bool out = in->mnemonic == ZYDIS_MNEMONIC_OUTSB || in->mnemonic == ZYDIS_MNEMONIC_OUTSW ||
		   in->mnemonic == ZYDIS_MNEMONIC_OUTSD;
	int r = cpu_string_io(v, out, rep_kind_of(in) != REP_NONE, string_size(in), source_seg(s),
			      co_addrsize(s));

	return string_result(v, s, r, true);
}

/* co_string_op: MOVS/STOS/LODS/CMPS/SCAS with REP/REPE/REPNE (or none). */
enum callout_result co_string_op(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedInstruction *in = &s->insn;
	enum string_op op;

	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOVSB:
	case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD:
		op = STR_MOVS;
		break;
	case ZYDIS_MNEMONIC_STOSB:
	case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD:
		op = STR_STOS;
		break;
	case ZYDIS_MNEMONIC_LODSB:
	case ZYDIS_MNEMONIC_LODSW:
	case ZYDIS_MNEMONIC_LODSD:
		op = STR_LODS;
		break;
	case ZYDIS_MNEMONIC_CMPSB:
	case ZYDIS_MNEMONIC_CMPSW:
	case ZYDIS_MNEMONIC_CMPSD:
		op = STR_CMPS;
		break;
	default:
		op = STR_SCAS;
		break;
	}
	int r =
	    cpu_string_op(v, op, rep_kind_of(in), string_size(in), source_seg(s), co_addrsize(s));
	return string_result(v, s, r, false);
}
