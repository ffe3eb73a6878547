/*
 * callout.c - which instructions become callouts (callout_needed) and the
 * dispatch to their handlers (callout_exec), both read from the instruction
 * table (insn_table.c); effective addresses and the operand helpers every
 * handler uses.
 */
#include "monitor/insn/callout_priv.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

/* --- the decision, from the instruction table --------------------------- */

bool callout_needed(const ZydisDecodedInstruction *insn, bool fpu_trap, const char **why)
{
	const struct insn_rule *r = insn_rule(insn);
	const char *w = NULL;

	if (r->flags & INSN_MODEL)
		w = r->why;
	else if (fpu_trap && insn_fpu_class(insn))
		w = "x87/SSE with CR0.TS/EM";
	else if (!(r->flags & INSN_FALLBACK))
		w = r->why;
	if (why)
		*why = w ? w : "";
	return w != NULL;
}

enum callout_result callout_exec(struct vcpu *v, const struct callout_site *s)
{
	const ZydisDecodedInstruction *in = &s->insn;
	const struct insn_rule *r = insn_rule(in);

	v->eip = s->eip;
	if (!(r->flags & INSN_MODEL) && insn_fpu_class(in)) {
		/* x87/SSE: CR0.TS/EM first; those the copy cannot do run here */
		enum callout_result res;
		if (co_fpu_trap(v, s, &res))
			return res;
		if (!r->run) {
			v->eip = s->eip;
			return CO_EXIT; /* no longer trapped: retranslate */
		}
	}
	if (!r->run)
		die("callout for an instruction with no handler: %s at %#x",
		    ZydisMnemonicGetString(in->mnemonic), s->eip);
	return r->run(v, s);
}

/* --- small shared helpers ------------------------------------------------ */

enum callout_result co_next(struct vcpu *v, const struct callout_site *s)
{
	v->eip = insn_next_eip(v, s);
	return CO_NEXT;
}

enum callout_result co_fault(struct vcpu *v, const struct callout_site *s)
{
	v->eip = s->eip;
	return CO_FAULT;
}

unsigned co_opsize(const struct callout_site *s)
{
	return s->insn.operand_width == 16 ? 2 : 4;
}

unsigned co_addrsize(const struct callout_site *s)
{
	return s->insn.address_width == 16 ? 2 : 4;
}

unsigned co_stack_size(const struct vcpu *v)
{
	return (v->seg[S_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

int co_stack_peek(struct vcpu *v, uint32_t off, unsigned size, uint32_t *val)
{
	uint8_t b[4] = {0};
	uint32_t sp = v->gpr[R_ESP] + off;

	if (co_stack_size(v) == 2)
		sp &= 0xffff;
	if (cpu_read_seg(v, S_SS, sp, b, size))
		return CPU_FAULT;
	*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

void co_stack_adjust(struct vcpu *v, int32_t delta)
{
	if (co_stack_size(v) == 2)
		v->gpr[R_ESP] = (v->gpr[R_ESP] & ~0xffffu) | ((v->gpr[R_ESP] + delta) & 0xffff);
	else
		v->gpr[R_ESP] += delta;
}

void co_set_zf(struct vcpu *v, bool zf)
{
	if (zf)
		v->eflags |= EFL_ZF;
	else
		v->eflags &= ~EFL_ZF;
}

int co_pm_only(struct vcpu *v)
{
	if (vcpu_real_mode(v) || vcpu_vm86(v))
		return cpu_raise_ud(v);
	return 0;
}

void callout_decoder_init(ZydisDecoder *d, bool big)
{
	ZydisDecoderInit(d, big ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16,
			 big ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CET, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CLDEMOTE, ZYAN_FALSE);
}
