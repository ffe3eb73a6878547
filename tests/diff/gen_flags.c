/*
 * gen_flags.c - the flag analysis of sequences (gen.h, gen_internal.h).
 *
 * A point of a sequence has a flag state (struct gen_fstate): the EFLAGS
 * bits defined on every path to it, and, per reference kind, the bits of
 * those that the reference may show wrongly because of a quirk (quirks.h)
 * on some path to it ("tainted").  Paths merge at branch targets: defined
 * bits by AND, tainted bits by OR.  A read of a bit that is undefined, or
 * tainted for any reference, makes the sequence invalid.
 */
#include <string.h>

#include "gen_internal.h"
#include "quirks.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)    ((a) < (b) ? (a) : (b))

/* The state at dead code (after JMP): neutral for the merge. */
static const struct gen_fstate gen_fs_any = {.mask = DIFF_FLAGS};

void gen_fs_merge(struct gen_fstate *a, const struct gen_fstate *b)
{
	a->mask &= b->mask;
	for (unsigned k = 0; k < DIFF_NREF; k++)
		a->taint[k] |= b->taint[k];
}

/* gen_fs_readable: bits that may be read: defined and tainted for no
 * reference. */
static uint32_t gen_fs_readable(const struct gen_fstate *f)
{
	uint32_t t = 0;
	for (unsigned k = 0; k < DIFF_NREF; k++)
		t |= f->taint[k];
	return f->mask & ~t;
}

/* gen_untaint: the tainted bits that insn i makes right again.  A bit it
 * defines or leaves undefined is rewritten, except DF: a quirk's DF is a
 * garbage bit in the reference's lazily computed flags (quirks.c), which
 * survives CLD/STD/CLC/STC/CMC and also BT*, RCL/RCR, DIV (seen with
 * qemu-i386 7.2); it goes only with an instruction that computes ZF, SF and
 * PF afresh (ALU ops, INC/DEC, SAHF ...), which rebuilds the flags. */
static uint32_t gen_untaint(const struct gen_insn *i)
{
	const uint32_t fresh = DIFF_ZF | DIFF_SF | DIFF_PF;
	uint32_t w = i->def | i->undef;
	if ((i->def & fresh) != fresh)
		w &= ~DIFF_DF;
	return w;
}

/* gen_fs_step: the state after insn i, given f before it. */
static void gen_fs_step(const struct gen_insn *i, struct gen_fstate *f)
{
	uint32_t clean = gen_untaint(i);
	f->mask = (f->mask | i->def) & ~i->undef;
	for (unsigned k = 0; k < DIFF_NREF; k++) {
		f->taint[k] &= ~clean;
		f->taint[k] |= diff_quirk_flags(k, i->req.mnemonic) & f->mask;
	}
}

uint32_t gen_cur_mask(struct gen_ctx *x)
{
	struct gen_fstate f = x->fs;
	for (unsigned j = 0; j < x->g->n; j++)
		gen_fs_step(&x->g->insn[j], &f);
	return gen_fs_readable(&f);
}

void gen_need(struct gen_ctx *x, uint32_t flags)
{
	if (!(flags & ~gen_cur_mask(x)))
		return;
	if (!(flags & ~DIFF_CF)) {
		struct gen_insn *i =
		    gen_add(x, gen_pct(x, 50) ? ZYDIS_MNEMONIC_STC : ZYDIS_MNEMONIC_CLC);
		gen_flags(i, 0, DIFF_CF, 0);
		return;
	}
	unsigned size = gen_size(x);
	struct gen_insn *i = gen_add(x, ZYDIS_MNEMONIC_CMP);
	gen_op_reg(i, gen_src(x, size, 0));
	gen_op_imm(i, gen_value(x), size);
	gen_flags(i, 0, F_ALL, 0);
}

void gen_branch_to(struct gen_ctx *x, struct gen_insn *i, unsigned ahead)
{
	(void)x;
	i->branch = true;
	i->br_group = ahead;
	i->req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
	i->req.branch_width = ZYDIS_BRANCH_WIDTH_32;
	if (gen_pct(x, 50)) {
		i->req.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
		i->req.branch_width = ZYDIS_BRANCH_WIDTH_8;
	}
}

void gen_flow_group(const struct gen_group *g, unsigned gi, unsigned n, struct gen_fstate *f,
		    struct gen_fstate *pending, const char **why)
{
	struct gen_fstate local[GEN_GROUP_MAX + 1];
	for (unsigned j = 0; j <= g->n; j++)
		local[j] = gen_fs_any;
	gen_fs_merge(f, &pending[gi]);
	for (unsigned j = 0; j < g->n; j++) {
		const struct gen_insn *i = &g->insn[j];
		gen_fs_merge(f, &local[j]);
		if (i->rd & ~gen_fs_readable(f)) {
			*why = "reads an undefined flag";
			return;
		}
		gen_fs_step(i, f);
		if (i->flow == FLOW_LINEAR)
			continue;
		if (i->br_group > 0)
			gen_fs_merge(&pending[MIN(gi + i->br_group, n)], f);
		else if (i->br_insn < 0 || i->br_insn > (int)j)
			gen_fs_merge(&local[i->br_insn < 0 ? g->n : (unsigned)i->br_insn], f);
		if (i->flow == FLOW_JMP)
			*f = gen_fs_any;
	}
	gen_fs_merge(f, &local[g->n]);
}

void gen_fs_init(struct gen_fstate *f)
{
	*f = gen_fs_any;
}

const char *gen_flags_str(uint32_t mask)
{
	static char buf[64];
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {{DIFF_CF, "CF"}, {DIFF_PF, "PF"}, {DIFF_AF, "AF"}, {DIFF_ZF, "ZF"},
		     {DIFF_SF, "SF"}, {DIFF_DF, "DF"}, {DIFF_OF, "OF"}};
	buf[0] = 0;
	for (unsigned k = 0; k < ARRAY_LEN(names); k++)
		if (mask & names[k].bit)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? " " : "", names[k].name);
	return buf[0] ? buf : "-";
}
