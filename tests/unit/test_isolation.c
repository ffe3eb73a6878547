/*
 * test_isolation.c - the isolation rule over the whole decoder space.
 *
 * Every opcode of the one-byte, 0F, 0F38 and 0F3A maps, with every ModRM
 * byte and a set of legacy-prefix combinations, is translated on its own
 * (32-bit protected mode, CR4.OSFXSR set; once with flat segments, once
 * with DS/ES/SS bases, so every operand takes the r11 path) with the
 * engine's callout rule, and the host code it became is decoded (64-bit
 * Zydis) and checked independently of how the translator classified it:
 *   - every memory access is [gs: 32-bit address] (guest memory), or made
 *     only of monitor values: r12/r13/r14 (the translator's per-vCPU block,
 *     indirect table and TC), 64-bit constants and pointers loaded from
 *     them, RIP-relative constants.  Registers a guest value may have
 *     reached (RAX..RDI, RSP, anything computed from them) are untrusted:
 *     an access through one without GS is a breach;
 *   - the one exception: a host REP MOVS/STOS through RDI/RSI that hold
 *     "a 32-bit value + [r12 + BTC_GS_BASE]" (a pointer into the guest
 *     view: the inline REP of mangle_string.c, which runs upward only and
 *     stops at the guard page above the view);
 *   - no instruction reads or writes a segment register (host FS/GS bases,
 *     host selectors), enters the host kernel (SYSCALL, INT), or touches the
 *     host's FS/GS bases (WRFSBASE, SWAPGS ...).
 * A copy that left a memory operand host-relative (MASKMOVQ's hidden store
 * to [EDI], an FS-prefixed one landing in the host TLS, PUSH as a host
 * push) fails here with the guest bytes and the offending host instruction.
 * Counts of what was copied, rewritten and called out are printed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translator/bt.h"
#include "monitor/x86/cpu.h"
#include "bt_harness.h"

/* Legacy-prefix combinations tried in front of every encoding. */
static const uint8_t prefixes[][3] = {
    {0},
    {1, 0x66},
    {1, 0xf2},
    {1, 0xf3},
    {1, 0xf0},
    {1, 0x67},
    {1, 0x64},
    {1, 0x65},
    {1, 0x26},
    {1, 0x2e},
    {1, 0x36},
    {1, 0x3e},
    {2, 0x66, 0xf2},
    {2, 0x66, 0xf3},
    {2, 0x64, 0x66},
    {2, 0x66, 0x67},
};

struct iso_stats {
	unsigned long tried, decoded, translated, failures;
};

/* What the checker knows of the host registers: which hold monitor values
 * (pointers into the translator's own data; bit set over Zydis's 64-bit GPR
 * ids), and for the others how many low bits a value may have (a 32-bit
 * write zero-extends: an index of at most 32 bits).  Everything a guest
 * register (RAX..RDI, RSP) or guest memory may have fed is untrusted. */
struct regs {
	uint32_t trusted;
	uint32_t view; /* 32-bit value + the guest view's base */
	uint8_t width[16];
};

static int gpr_id(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return -1;
	ZydisRegister l = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (l < ZYDIS_REGISTER_RAX || l > ZYDIS_REGISTER_R15)
		return -2; /* RIP and others */
	return l - ZYDIS_REGISTER_RAX;
}

static bool trusted_reg(const struct regs *t, ZydisRegister r)
{
	int id = gpr_id(r);
	return id == -1 || (id >= 0 && (t->trusted >> id & 1));
}

/* table_ok: [base + index*scale + disp] with a trusted base and an
 * untrusted index of known width stays inside the table the base points
 * to: r12's per-vCPU block (BTC_SIZE bytes) or r13's indirect table
 * (BT_IND_SPAN bytes). */
static bool table_ok(const struct regs *t, const ZydisDecodedOperand *op)
{
	int ix = gpr_id(op->mem.index);
	uint64_t span;
	if (ix < 0 || (t->trusted >> ix & 1))
		return false;
	if (op->mem.base == ZYDIS_REGISTER_R12)
		span = BTC_SIZE;
	else if (op->mem.base == ZYDIS_REGISTER_R13)
		span = BT_IND_SPAN;
	else
		return false;
	uint64_t max = t->width[ix] >= 64 ? UINT64_MAX : (1ull << t->width[ix]) - 1;
	if (max > span || op->mem.disp.value < 0)
		return false;
	return max * op->mem.scale + (uint64_t)op->mem.disp.value + op->size / 8 <= span;
}

/* rep_string: h is a host REP MOVS/STOS. */
static bool rep_string(const ZydisDecodedInstruction *h)
{
	return (h->attributes & ZYDIS_ATTRIB_HAS_REP) &&
	       (h->mnemonic == ZYDIS_MNEMONIC_STOSB || h->mnemonic == ZYDIS_MNEMONIC_STOSW ||
		h->mnemonic == ZYDIS_MNEMONIC_STOSD || h->mnemonic == ZYDIS_MNEMONIC_MOVSB ||
		h->mnemonic == ZYDIS_MNEMONIC_MOVSW || h->mnemonic == ZYDIS_MNEMONIC_MOVSD);
}

/* host_mem_ok: a memory operand of host instruction h the rule allows:
 * guest memory ([gs: 32-bit]), an address made only of monitor values,
 * a bounded index into the translator's tables, or RIP-relative. */
static bool host_mem_ok(const ZydisDecodedInstruction *h, const ZydisDecodedOperand *op,
			const struct regs *t)
{
	if (op->mem.type == ZYDIS_MEMOP_TYPE_AGEN)
		return true; /* LEA: no access */
	if (op->mem.segment == ZYDIS_REGISTER_GS && h->address_width == 32)
		return true;
	if (op->mem.segment == ZYDIS_REGISTER_FS || op->mem.segment == ZYDIS_REGISTER_GS)
		return false;
	if (op->mem.base == ZYDIS_REGISTER_RIP)
		return op->mem.index == ZYDIS_REGISTER_NONE;
	if (rep_string(h) && gpr_id(op->mem.base) >= 0 && (t->view >> gpr_id(op->mem.base) & 1) &&
	    op->mem.index == ZYDIS_REGISTER_NONE)
		return true;
	if (!trusted_reg(t, op->mem.base))
		return false;
	return trusted_reg(t, op->mem.index) || table_ok(t, op);
}

/* sources_trusted: every value h reads is a monitor value (registers
 * trusted, memory a 64-bit load through a trusted address). */
static bool sources_trusted(const ZydisDecodedInstruction *h, const ZydisDecodedOperand *ops,
			    const struct regs *t)
{
	if (h->mnemonic != ZYDIS_MNEMONIC_MOV && h->mnemonic != ZYDIS_MNEMONIC_LEA)
		return false;
	for (unsigned i = 0; i < h->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    op->mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
			if (op->mem.base == ZYDIS_REGISTER_RIP || !trusted_reg(t, op->mem.base) ||
			    !trusted_reg(t, op->mem.index))
				return false;
			continue;
		}
		if (!(op->actions & ZYDIS_OPERAND_ACTION_MASK_READ))
			continue;
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER && !trusted_reg(t, op->reg.value))
			return false;
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    (op->size != 64 || op->mem.segment == ZYDIS_REGISTER_GS ||
		     !trusted_reg(t, op->mem.base) || !trusted_reg(t, op->mem.index)))
			return false;
	}
	return true;
}

/* view_add: h is "add r64, [r12 + BTC_GS_BASE]" on a register that holds
 * at most 32 bits: its id (the register now points into the guest view),
 * else -1. */
static int view_add(const ZydisDecodedInstruction *h, const ZydisDecodedOperand *ops,
		    const struct regs *t)
{
	if (h->mnemonic != ZYDIS_MNEMONIC_ADD || ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ops[0].size != 64 || ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    ops[1].mem.base != ZYDIS_REGISTER_R12 || ops[1].mem.index != ZYDIS_REGISTER_NONE ||
	    ops[1].mem.disp.value != BTC_GS_BASE)
		return -1;
	int id = gpr_id(ops[0].reg.value);
	return id >= 0 && !(t->trusted >> id & 1) && t->width[id] <= 32 ? id : -1;
}

/* trust_step: what is known after h.  A 64-bit register loaded from
 * trusted sources only becomes trusted; LODS keeps a trusted RSI trusted
 * (it steps through a translator table); any other register written is
 * untrusted, with the width of the value written (MOVZX: the source's). */
static void trust_step(const ZydisDecodedInstruction *h, const ZydisDecodedOperand *ops,
		       struct regs *t)
{
	bool src_ok = sources_trusted(h, ops, t);
	bool lods = h->mnemonic == ZYDIS_MNEMONIC_LODSB || h->mnemonic == ZYDIS_MNEMONIC_LODSW ||
		    h->mnemonic == ZYDIS_MNEMONIC_LODSD || h->mnemonic == ZYDIS_MNEMONIC_LODSQ;
	bool flags_stack =
	    h->mnemonic == ZYDIS_MNEMONIC_PUSHFQ || h->mnemonic == ZYDIS_MNEMONIC_POPFQ;
	int to_view = view_add(h, ops, t);
	if (to_view >= 0) {
		t->view |= 1u << to_view;
		t->trusted &= ~(1u << to_view);
		return;
	}
	for (unsigned i = 0; i < h->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		if (op->type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    !(op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		int id = gpr_id(op->reg.value);
		if (id < 0)
			continue;
		t->view &= ~(1u << id);
		if (lods && op->reg.value == ZYDIS_REGISTER_RSI)
			continue;
		if (flags_stack && op->reg.value == ZYDIS_REGISTER_RSP && (t->trusted >> id & 1))
			continue; /* PUSHFQ/POPFQ on the monitor stack */
		if (rep_string(h) && (t->view >> id & 1) &&
		    (op->reg.value == ZYDIS_REGISTER_RDI || op->reg.value == ZYDIS_REGISTER_RSI)) {
			t->view |= 1u << id; /* still inside the view (or at its guard) */
			continue;
		}
		if (src_ok && op->size == 64) {
			t->trusted |= 1u << id;
			continue;
		}
		t->trusted &= ~(1u << id);
		unsigned w = op->size >= 32 ? op->size : 64; /* 8/16: upper bits kept */
		if (h->mnemonic == ZYDIS_MNEMONIC_MOVZX && ops[1].size < 32)
			w = ops[1].size;
		t->width[id] = (uint8_t)w;
	}
}

/* host_bad: why host instruction h breaks the rule, or NULL. */
static const char *host_bad(const ZydisDecodedInstruction *h, const ZydisDecodedOperand *ops,
			    const struct regs *t)
{
	switch (h->mnemonic) {
	case ZYDIS_MNEMONIC_SYSCALL:
	case ZYDIS_MNEMONIC_SYSENTER:
	case ZYDIS_MNEMONIC_SYSEXIT:
	case ZYDIS_MNEMONIC_SYSRET:
	case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1:
	case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_IRETQ:
	case ZYDIS_MNEMONIC_SWAPGS:
	case ZYDIS_MNEMONIC_WRFSBASE:
	case ZYDIS_MNEMONIC_WRGSBASE:
	case ZYDIS_MNEMONIC_RDFSBASE:
	case ZYDIS_MNEMONIC_RDGSBASE:
		return "enters the host kernel or touches the host FS/GS bases";
	case ZYDIS_MNEMONIC_RDSSPD:
	case ZYDIS_MNEMONIC_RDSSPQ:
	case ZYDIS_MNEMONIC_INCSSPD:
	case ZYDIS_MNEMONIC_INCSSPQ:
	case ZYDIS_MNEMONIC_RDPID:
	case ZYDIS_MNEMONIC_RDPKRU:
	case ZYDIS_MNEMONIC_WRPKRU:
	case ZYDIS_MNEMONIC_XGETBV:
	case ZYDIS_MNEMONIC_BNDLDX:
	case ZYDIS_MNEMONIC_BNDSTX:
		return "reads or changes state only the host has";
	default:
		break;
	}
	for (unsigned i = 0; i < h->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY && !host_mem_ok(h, op, t))
			return "a memory access outside guest memory";
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ZydisRegisterGetClass(op->reg.value) == ZYDIS_REGCLASS_SEGMENT)
			return "a host segment register";
	}
	return NULL;
}

/* check_block: decode the host code of blk; false (printed) on a breach. */
static bool check_block(ZydisDecoder *hd, const struct bt_block *blk, const uint8_t *guest,
			unsigned glen)
{
	ZydisDecodedInstruction h;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const uint8_t *p = blk->host, *end = blk->host + blk->host_len;
	struct regs entry = {.trusted = 1u << 12 | 1u << 13 | 1u << 14}; /* r12 r13 r14 */
	memset(entry.width, 64, sizeof(entry.width));
	/* the translator's invariant: guest registers are 32-bit values,
	 * zero-extended in RAX..RDI (and RSP) */
	memset(entry.width, 32, 8);
	struct regs t = entry;

	while (p < end) {
		if (*p == 0xcc) { /* padding after an exit stub's jmp */
			p++;
			t = entry;
			continue;
		}
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(hd, p, end - p, &h, ops))) {
			printf("isolation: host code undecodable after guest");
			for (unsigned i = 0; i < glen; i++)
				printf(" %02x", guest[i]);
			printf("\n");
			return false;
		}
		const char *why = host_bad(&h, ops, &t);
		if (why) {
			ZydisFormatter f;
			char text[128];
			ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL);
			ZydisFormatterFormatInstruction(&f, &h, ops, h.operand_count_visible, text,
							sizeof(text), 0, NULL);
			printf("isolation: guest");
			for (unsigned i = 0; i < glen; i++)
				printf(" %02x", guest[i]);
			printf(" -> host `%s`: %s\n", text, why);
			return false;
		}
		trust_step(&h, ops, &t);
		p += h.length;
	}
	return true;
}

/* try_one: translate the encoding at 0x1000 (padded with zeros) and check
 * it; counts in st. */
static void try_one(ZydisDecoder *gd, ZydisDecoder *hd, const uint8_t *enc, unsigned len,
		    struct iso_stats *st)
{
	ZydisDecodedInstruction in;
	const char *err;
	uint8_t *code = T->m.ram.host + 0x1000;

	st->tried++;
	memset(code, 0, 32);
	memcpy(code, enc, len);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(gd, NULL, code, 32, &in)))
		return; /* a #UD stub: no guest operands to check */
	st->decoded++;
	struct bt_block *blk =
	    bt_translate(T->bt, 0x1000, bt_mode(&T->m.vcpu), 0, BT_TR_ONE | BT_TR_NOCACHE, &err);
	if (!blk)
		return;
	st->translated++;
	if (!check_block(hd, blk, code, in.length) && ++st->failures > 40)
		ck_abort_msg("more than 40 isolation failures");
}

/* try_map: every opcode of one map (esc bytes before it) with every ModRM
 * and SIB 0x24 under every prefix combination. */
static void try_map(ZydisDecoder *gd, ZydisDecoder *hd, const uint8_t *esc, unsigned nesc,
		    struct iso_stats *st)
{
	uint8_t enc[16];

	for (unsigned p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
		for (unsigned op = 0; op < 256; op++)
			for (unsigned modrm = 0; modrm < 256; modrm++) {
				unsigned n = 0;
				for (unsigned k = 0; k < prefixes[p][0]; k++)
					enc[n++] = prefixes[p][1 + k];
				memcpy(enc + n, esc, nesc);
				n += nesc;
				enc[n++] = (uint8_t)op;
				enc[n++] = (uint8_t)modrm;
				enc[n++] = 0x24;
				try_one(gd, hd, enc, n, st);
			}
}

START_TEST(every_encoding_keeps_to_guest_memory)
{
	static const uint8_t prog[] = {0xf4};
	static const uint8_t m0f[] = {0x0f}, m38[] = {0x0f, 0x38}, m3a[] = {0x0f, 0x3a};
	struct iso_stats st = {0};
	ZydisDecoder gd, hd;

	struct vcpu *v = th_setup(&th_callout_hooks, prog, sizeof(prog));
	v->cr0 |= CR0_NE;
	v->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	ZydisDecoderInit(&gd, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	ZydisDecoderInit(&hd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	/* pass 0: flat segments; pass 1: DS, ES and SS with bases (the
	 * block mode that adds segment bases through r11) */
	for (unsigned pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			v->seg[S_DS].base = 0x10000;
			v->seg[S_ES].base = 0x20000;
			v->seg[S_SS].base = 0x30000;
		}
		try_map(&gd, &hd, NULL, 0, &st);
		try_map(&gd, &hd, m0f, 1, &st);
		try_map(&gd, &hd, m38, 2, &st);
		try_map(&gd, &hd, m3a, 2, &st);
	}
	printf("isolation: %lu encodings, %lu decoded, %lu translated and checked, %lu breaches\n",
	       st.tried, st.decoded, st.translated, st.failures);
	ck_assert_uint_gt(st.translated, 100000);
	ck_assert_uint_eq(st.failures, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("isolation");
	TCase *tc = tcase_create("decoder_space");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, every_encoding_keeps_to_guest_memory);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
