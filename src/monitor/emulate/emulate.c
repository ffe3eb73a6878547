/*
 * emulate.c - the one-instruction emulator: fetch and decode at CS:EIP,
 * operands, dispatch, data moves, the stack and near control transfers
 * (see emulate.h).  Arithmetic lives in emulate_alu.c, x87/MMX/SSE in
 * emulate_fpu.c; privileged, sensitive and string instructions are handed
 * to callout_exec(), which implements them on the same vcpu state.
 */
#include "monitor/emulate/emulate_priv.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

#include <string.h>

/* --- registers and operands ---------------------------------------------- */

const ZydisDecodedOperand *emu_mem_op(const struct emu *e)
{
	for (unsigned i = 0; i < e->s.insn.operand_count_visible; i++)
		if (e->s.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			return &e->s.ops[i];
	return NULL;
}

void emu_loc(struct emu *e, const ZydisDecodedOperand *op, struct emu_loc *l)
{
	memset(l, 0, sizeof(*l));
	l->size = op->size / 8;
	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		l->mem = true;
		l->off = insn_ea(e->v, &e->s, op, 0, &l->seg);
	} else {
		l->reg = op->reg.value;
	}
}

int emu_loc_read(struct emu *e, const struct emu_loc *l, uint32_t *val)
{
	uint8_t b[4] = {0};

	if (!l->mem) {
		*val = insn_reg_read(e->v, l->reg);
		return 0;
	}
	if (cpu_read_seg(e->v, l->seg, l->off, b, l->size) < 0)
		return CPU_FAULT;
	*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int emu_loc_write(struct emu *e, const struct emu_loc *l, uint32_t val)
{
	uint8_t b[4] = {val, val >> 8, val >> 16, val >> 24};

	if (!l->mem) {
		insn_reg_write(e->v, l->reg, val);
		return 0;
	}
	return cpu_write_seg(e->v, l->seg, l->off, b, l->size);
}

/* limit_ok: [off, off+len) inside segment s (expand-up or expand-down
 * data), the rule the cpu layer applies to every access. */
static bool limit_ok(const struct seg *s, uint32_t off, unsigned len)
{
	uint64_t last = (uint64_t)off + len - 1;

	if ((s->attr & SEG_ATTR_S) && (SEG_ATTR_TYPE(s->attr) & 0xc) == 0x4) {
		uint64_t upper = (s->attr & SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;

		return off > s->limit && last <= upper;
	}
	return last <= s->limit;
}

int emu_rmw_check(struct emu *e, const struct emu_loc *l)
{
	struct vcpu *v = e->v;
	uint32_t lin, pa;

	if (!l->mem)
		return 0;
	/* a zero-length write runs the null and type checks only */
	if (cpu_write_seg(v, l->seg, l->off, NULL, 0) < 0)
		return CPU_FAULT;
	if (!limit_ok(&v->seg[l->seg], l->off, l->size))
		return cpu_raise(v, l->seg == S_SS ? EXC_SS : EXC_GP, true, 0);
	lin = v->seg[l->seg].base + l->off;
	if (cpu_translate(v, lin, ACC_WRITE, &pa) < 0)
		return CPU_FAULT;
	if ((lin & 0xfff) + l->size > 4096 &&
	    cpu_translate(v, (lin | 0xfff) + 1, ACC_WRITE, &pa) < 0)
		return CPU_FAULT;
	return 0;
}

bool emu_cond(uint32_t fl, unsigned cc)
{
	bool sf_ne_of = !(fl & EFL_SF) != !(fl & EFL_OF);
	bool r;

	switch ((cc >> 1) & 7) {
	case 0:
		r = fl & EFL_OF;
		break;
	case 1:
		r = fl & EFL_CF;
		break;
	case 2:
		r = fl & EFL_ZF;
		break;
	case 3:
		r = fl & (EFL_CF | EFL_ZF);
		break;
	case 4:
		r = fl & EFL_SF;
		break;
	case 5:
		r = fl & EFL_PF;
		break;
	case 6:
		r = sf_ne_of;
		break;
	default:
		r = (fl & EFL_ZF) || sf_ne_of;
		break;
	}
	return (cc & 1) ? !r : r;
}

enum callout_result emu_next(struct emu *e)
{
	e->v->eip = insn_next_eip(e->v, &e->s);
	return CO_NEXT;
}

enum callout_result emu_fault(struct emu *e)
{
	e->v->eip = e->s.eip;
	return CO_FAULT;
}

/* --- data moves ------------------------------------------------------------ */

/* emu_mov: MOV/MOVNTI r/m <- r/m/imm (moffs forms included), LEA, and
 * MOVZX/MOVSX with an 8- or 16-bit source. */
static enum callout_result emu_mov(struct emu *e)
{
	const ZydisDecodedOperand *dst = &e->s.ops[0], *src = &e->s.ops[1];
	struct emu_loc l;
	uint32_t val;

	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER && !insn_is_gpr(dst->reg.value))
		return EMU_REFUSE(e, "register operand");
	if (e->s.insn.mnemonic == ZYDIS_MNEMONIC_LEA) {
		val = insn_ea(e->v, &e->s, src, 0, NULL);
	} else {
		if (src->type == ZYDIS_OPERAND_TYPE_REGISTER && !insn_is_gpr(src->reg.value))
			return EMU_REFUSE(e, "register operand");
		if (insn_op_read(e->v, &e->s, src, &val) < 0)
			return emu_fault(e);
	}
	if (e->s.insn.mnemonic == ZYDIS_MNEMONIC_MOVSX)
		val = src->size == 8 ? (uint32_t)(int8_t)val : (uint32_t)(int16_t)val;
	emu_loc(e, dst, &l);
	if (emu_loc_write(e, &l, val) < 0)
		return emu_fault(e);
	return emu_next(e);
}

/* emu_setcc: SETcc r/m8 (0F 90..9F). */
static enum callout_result emu_setcc(struct emu *e)
{
	struct emu_loc l;

	emu_loc(e, &e->s.ops[0], &l);
	if (emu_loc_write(e, &l, emu_cond(e->v->eflags, e->s.insn.opcode & 0xf)) < 0)
		return emu_fault(e);
	return emu_next(e);
}

/* emu_cmov: CMOVcc r, r/m: the source is read whatever the condition. */
static enum callout_result emu_cmov(struct emu *e)
{
	uint32_t val;

	if (insn_op_read(e->v, &e->s, &e->s.ops[1], &val) < 0)
		return emu_fault(e);
	if (emu_cond(e->v->eflags, e->s.insn.opcode & 0xf))
		insn_reg_write(e->v, e->s.ops[0].reg.value, val);
	return emu_next(e);
}

/* --- stack and near control transfers ----------------------------------- */

/* stack_mask: SP or ESP, per SS.B. */
static uint32_t stack_mask(const struct vcpu *v)
{
	return (v->seg[S_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

/* set_esp: ESP (or SP in a 16-bit stack segment) = val. */
static void set_esp(struct vcpu *v, uint32_t val)
{
	uint32_t m = stack_mask(v);

	v->gpr[R_ESP] = (v->gpr[R_ESP] & ~m) | (val & m);
}

/* emu_push: PUSH r/m, reg, imm (segment registers go to callout_exec). */
static enum callout_result emu_push(struct emu *e)
{
	const ZydisDecodedOperand *op = &e->s.ops[0];
	uint32_t val;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER && !insn_is_gpr(op->reg.value))
		return EMU_REFUSE(e, "register operand");
	if (insn_op_read(e->v, &e->s, op, &val) < 0)
		return emu_fault(e);
	if (cpu_push(e->v, val, e->s.insn.operand_width / 8) < 0)
		return emu_fault(e);
	return emu_next(e);
}

/* emu_pop: POP r/m; a memory destination's address uses the ESP after
 * the pop, and a fault in the store leaves ESP as it was. */
static enum callout_result emu_pop(struct emu *e)
{
	const ZydisDecodedOperand *op = &e->s.ops[0];
	struct vcpu *v = e->v;
	uint32_t esp = v->gpr[R_ESP], val;
	struct emu_loc l;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER && !insn_is_gpr(op->reg.value))
		return EMU_REFUSE(e, "register operand");
	if (cpu_pop(v, &val, e->s.insn.operand_width / 8) < 0)
		return emu_fault(e);
	emu_loc(e, op, &l);
	if (emu_loc_write(e, &l, val) < 0) {
		v->gpr[R_ESP] = esp;
		return emu_fault(e);
	}
	return emu_next(e);
}

/* near_target: the target of a near JMP/CALL/Jcc operand; 0 or CPU_FAULT. */
static int near_target(struct emu *e, const ZydisDecodedOperand *op, uint32_t *target)
{
	uint32_t t;

	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative)
		t = insn_next_eip(e->v, &e->s) + (uint32_t)op->imm.value.u;
	else if (insn_op_read(e->v, &e->s, op, &t) < 0)
		return CPU_FAULT;
	if (e->s.insn.operand_width == 16)
		t &= 0xffff;
	if (t > e->v->seg[S_CS].limit)
		return cpu_raise_gp(e->v, 0);
	*target = t;
	return 0;
}

/* emu_branch: near JMP, CALL (direct or through r/m) and Jcc. */
static enum callout_result emu_branch(struct emu *e)
{
	const ZydisDecodedInstruction *in = &e->s.insn;
	struct vcpu *v = e->v;
	uint32_t target = 0;

	if (in->meta.category == ZYDIS_CATEGORY_COND_BR) {
		bool jcc = in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT ? (in->opcode & 0xf0) == 0x70
								      : (in->opcode & 0xf0) == 0x80;
		if (!jcc)
			return EMU_REFUSE(e, "LOOP/JCXZ");
		if (!emu_cond(v->eflags, in->opcode & 0xf))
			return emu_next(e);
	}
	if (near_target(e, &e->s.ops[0], &target) < 0)
		return emu_fault(e);
	if (in->mnemonic == ZYDIS_MNEMONIC_CALL &&
	    cpu_push(v, insn_next_eip(e->v, &e->s), in->operand_width / 8) < 0)
		return emu_fault(e);
	v->eip = target;
	return CO_EXIT;
}

/* emu_ret: near RET and RET imm16. */
static enum callout_result emu_ret(struct emu *e)
{
	struct vcpu *v = e->v;
	uint32_t esp = v->gpr[R_ESP], target;

	if (cpu_pop(v, &target, e->s.insn.operand_width / 8) < 0)
		return emu_fault(e);
	if (target > v->seg[S_CS].limit) {
		v->gpr[R_ESP] = esp;
		cpu_raise_gp(v, 0);
		return emu_fault(e);
	}
	if (e->s.insn.operand_count_visible > 0 && e->s.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
		set_esp(v, v->gpr[R_ESP] + (uint32_t)(e->s.ops[0].imm.value.u & 0xffff));
	v->eip = target;
	return CO_EXIT;
}

/* emu_leave: LEAVE: ESP = EBP, then POP EBP. */
static enum callout_result emu_leave(struct emu *e)
{
	struct vcpu *v = e->v;
	uint32_t esp = v->gpr[R_ESP], val;
	unsigned sz = e->s.insn.operand_width / 8;

	set_esp(v, v->gpr[R_EBP]);
	if (cpu_pop(v, &val, sz) < 0) {
		v->gpr[R_ESP] = esp;
		return emu_fault(e);
	}
	if (sz == 2)
		v->gpr[R_EBP] = (v->gpr[R_EBP] & ~0xffffu) | (val & 0xffff);
	else
		v->gpr[R_EBP] = val;
	return emu_next(e);
}

/* emu_enter: ENTER size, level: push EBP, copy level-1 frame pointers from
 * the old frame, push the new frame pointer, EBP = it, ESP -= size.  ESP
 * is put back if a push or read faults; EBP changes only at the end. */
static enum callout_result emu_enter(struct emu *e)
{
	struct vcpu *v = e->v;
	unsigned sz = e->s.insn.operand_width / 8, level = e->s.ops[1].imm.value.u & 31;
	uint32_t esp = v->gpr[R_ESP], size = e->s.ops[0].imm.value.u & 0xffff;
	uint32_t ebp = v->gpr[R_EBP], frame, val;

	if (cpu_push(v, ebp, sz) < 0)
		goto fault;
	frame = v->gpr[R_ESP] & stack_mask(v);
	for (unsigned i = 1; i < level; i++) {
		ebp = (ebp - sz) & stack_mask(v);
		val = 0;
		if (cpu_read_seg(v, S_SS, ebp, &val, sz) < 0 || cpu_push(v, val, sz) < 0)
			goto fault;
	}
	if (level && cpu_push(v, frame, sz) < 0)
		goto fault;
	if (sz == 2)
		v->gpr[R_EBP] = (v->gpr[R_EBP] & ~0xffffu) | (frame & 0xffff);
	else
		v->gpr[R_EBP] = frame;
	set_esp(v, v->gpr[R_ESP] - size);
	return emu_next(e);
fault:
	v->gpr[R_ESP] = esp;
	return emu_fault(e);
}

/* emu_xlat: AL = byte at seg:[EBX + AL] (BX + AL with 16-bit addresses). */
static enum callout_result emu_xlat(struct emu *e)
{
	for (unsigned i = 0; i < e->s.insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &e->s.ops[i];
		int seg;
		uint8_t b;

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		/* the segment as decoded (override or DS); the offset by hand, as
		 * Zydis does not describe the AL index in the same way */
		insn_ea(e->v, &e->s, op, 0, &seg);
		uint32_t ea = e->v->gpr[R_EBX] + (e->v->gpr[R_EAX] & 0xff);
		if (e->s.insn.address_width == 16)
			ea &= 0xffff;
		if (cpu_read_seg(e->v, seg, ea, &b, 1) < 0)
			return emu_fault(e);
		e->v->gpr[R_EAX] = (e->v->gpr[R_EAX] & ~0xffu) | b;
		return emu_next(e);
	}
	return EMU_REFUSE(e, "no memory operand");
}

/* --- fetch, decode, dispatch ---------------------------------------------- */

/* emu_decode: fetch (ACC_EXEC, within the CS limit, crossing into the next
 * page only when the instruction needs it) and decode the instruction at
 * CS:EIP into e->s; 0 or CPU_FAULT (#GP past the limit, #PF, #UD). */
static int emu_decode(struct emu *e)
{
	struct vcpu *v = e->v;
	const struct seg *cs = &v->seg[S_CS];
	bool big = cs->attr & SEG_ATTR_DB;
	uint8_t buf[16];
	uint32_t lin = cs->base + v->eip;
	unsigned max = 15, n;
	ZydisDecoder dec;
	ZyanStatus st;

	if (v->eip > cs->limit)
		return cpu_raise_gp(v, 0);
	if ((uint64_t)cs->limit - v->eip + 1 < max)
		max = cs->limit - v->eip + 1;
	n = 4096 - (lin & 0xfff);
	n = n < max ? n : max;
	if (cpu_read_lin(v, lin, buf, n, ACC_EXEC) < 0)
		return CPU_FAULT;
	callout_decoder_init(&dec, big);
	st = ZydisDecoderDecodeFull(&dec, buf, n, &e->s.insn, e->s.ops);
	if (st == ZYDIS_STATUS_NO_MORE_DATA && n < max) {
		if (cpu_read_lin(v, lin + n, buf + n, max - n, ACC_EXEC) < 0)
			return CPU_FAULT;
		n = max;
		st = ZydisDecoderDecodeFull(&dec, buf, n, &e->s.insn, e->s.ops);
	}
	if (st == ZYDIS_STATUS_NO_MORE_DATA && max < 15)
		return cpu_raise_gp(v, 0);
	if (!ZYAN_SUCCESS(st))
		return cpu_raise_ud(v);
	e->s.eip = v->eip;
	e->s.len = e->s.insn.length;
	return 0;
}

/* is_hint: instructions that access no memory: NOP forms, prefetches,
 * fences, CLFLUSH (nothing is cached here), PAUSE. */
static bool is_hint(const ZydisDecodedInstruction *in)
{
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_NOP:
	case ZYDIS_MNEMONIC_PREFETCHNTA:
	case ZYDIS_MNEMONIC_PREFETCHT0:
	case ZYDIS_MNEMONIC_PREFETCHT1:
	case ZYDIS_MNEMONIC_PREFETCHT2:
	case ZYDIS_MNEMONIC_LFENCE:
	case ZYDIS_MNEMONIC_SFENCE:
	case ZYDIS_MNEMONIC_MFENCE:
	case ZYDIS_MNEMONIC_CLFLUSH:
	case ZYDIS_MNEMONIC_PAUSE:
		return true;
	default:
		return false;
	}
}

/* emu_general: the instructions of this file, by mnemonic or category;
 * NULL refusal and CO_EXIT with e->refusal set for the rest. */
static enum callout_result emu_general(struct emu *e)
{
	const ZydisDecodedInstruction *in = &e->s.insn;

	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_MOVNTI:
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_LEA:
		return emu_mov(e);
	case ZYDIS_MNEMONIC_PUSH:
		return emu_push(e);
	case ZYDIS_MNEMONIC_POP:
		return emu_pop(e);
	case ZYDIS_MNEMONIC_RET:
		return emu_ret(e);
	case ZYDIS_MNEMONIC_LEAVE:
		return emu_leave(e);
	case ZYDIS_MNEMONIC_ENTER:
		return emu_enter(e);
	case ZYDIS_MNEMONIC_XLAT:
		return emu_xlat(e);
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL:
		return emu_branch(e);
	default:
		break;
	}
	switch (in->meta.category) {
	case ZYDIS_CATEGORY_SETCC:
		return emu_setcc(e);
	case ZYDIS_CATEGORY_CMOV:
		return emu_cmov(e);
	case ZYDIS_CATEGORY_COND_BR:
		return emu_branch(e);
	default:
		break;
	}
	if (is_hint(in))
		return emu_next(e);
	if (emu_alu_covers(in->mnemonic))
		return emu_alu_insn(e);
	switch (in->meta.isa_ext) {
	case ZYDIS_ISA_EXT_X87:
	case ZYDIS_ISA_EXT_MMX:
	case ZYDIS_ISA_EXT_SSE:
	case ZYDIS_ISA_EXT_SSE2:
		return emu_fpu_insn(e);
	default:
		return EMU_REFUSE(e, "not emulated");
	}
}

/* emu_run: decode and execute; e->refusal set when refused (nothing
 * changed, CO_EXIT). */
static enum callout_result emu_run(struct emu *e)
{
	struct vcpu *v = e->v;
	const ZydisDecodedInstruction *in = &e->s.insn;

	if (emu_decode(e) < 0)
		return CO_FAULT;
	if (in->meta.category == ZYDIS_CATEGORY_STRINGOP ||
	    callout_needed(in, (v->cr0 & (CR0_TS | CR0_EM)) != 0, NULL))
		return callout_exec(v, &e->s);
	return emu_general(e);
}

/* emu_refused: say that the instruction is not handled and end the run. */
static enum callout_result emu_refused(struct emu *e, const char *what)
{
	struct vcpu *v = e->v;

	v->eip = e->s.eip;
	machine_request_exit(v->machine, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
			     "%s (%s, %s, at eip %#x)", what,
			     ZydisMnemonicGetString(e->s.insn.mnemonic), e->refusal, e->s.eip);
	return CO_EXIT;
}

enum callout_result emu_step(struct vcpu *v)
{
	struct emu e = {.v = v};
	enum callout_result r = emu_run(&e);

	if (e.refusal)
		return emu_refused(&e, "emu: an instruction the emulator does not handle");
	return r;
}

enum callout_result emu_mmio(struct vcpu *v, uint64_t gpa)
{
	struct emu e = {.v = v};
	enum callout_result r = emu_run(&e);
	char what[96];

	if (!e.refusal)
		return r;
	snprintf(what, sizeof(what),
		 "bt: access to non-RAM address %#llx by an instruction the MMIO emulator does "
		 "not handle",
		 (unsigned long long)gpa);
	return emu_refused(&e, what);
}
