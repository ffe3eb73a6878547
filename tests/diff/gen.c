/*
 * gen.c - sequence builder, flag analysis, layout and listing (gen.h).
 * The instruction kinds themselves are in gen_kinds.c.
 */
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

#define PROLOGUE_N   9 /* fninit + 8 movdqu */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)    ((a) < (b) ? (a) : (b))

/* --- random numbers ------------------------------------------------------ */

uint64_t gen_rand(struct gen_ctx *x)
{
	uint64_t z = (x->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t gen_below(struct gen_ctx *x, uint32_t n)
{
	return n ? (uint32_t)(gen_rand(x) % n) : 0;
}

bool gen_pct(struct gen_ctx *x, unsigned pct)
{
	return gen_below(x, 100) < pct;
}

uint32_t gen_value(struct gen_ctx *x)
{
	static const uint32_t edge[] = {0,	1,	    0xffffffff, 0x7fffffff, 0x80000000,
					0x7f,	0x80,	    0xff,	0x7fff,	    0x8000,
					0xffff, 0xffffff80, 0xffff8000, 0x00010000, 2};
	switch (gen_below(x, 4)) {
	case 0:
		return edge[gen_below(x, ARRAY_LEN(edge))];
	case 1:
		return gen_below(x, 64) - 16;
	default:
		return (uint32_t)gen_rand(x);
	}
}

unsigned gen_size(struct gen_ctx *x)
{
	static const unsigned sizes[] = {1, 2, 4, 4};
	return sizes[gen_below(x, 4)];
}

/* --- instructions and operands ------------------------------------------- */

struct gen_insn *gen_add(struct gen_ctx *x, ZydisMnemonic m)
{
	if (x->g->n >= GEN_GROUP_MAX) {
		fprintf(stderr, "difftest: generator bug: group too long\n");
		abort();
	}
	struct gen_insn *i = &x->g->insn[x->g->n++];
	memset(i, 0, sizeof(*i));
	i->req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
	i->req.mnemonic = m;
	return i;
}

void gen_op_reg(struct gen_insn *i, ZydisRegister r)
{
	ZydisEncoderOperand *o = &i->req.operands[i->req.operand_count++];
	o->type = ZYDIS_OPERAND_TYPE_REGISTER;
	o->reg.value = r;
}

void gen_op_imm(struct gen_insn *i, uint32_t v, unsigned size)
{
	ZydisEncoderOperand *o = &i->req.operands[i->req.operand_count++];
	o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o->imm.s = size == 1 ? (int8_t)v : size == 2 ? (int16_t)v : (int32_t)v;
}

void gen_op_u8(struct gen_insn *i, uint32_t v)
{
	ZydisEncoderOperand *o = &i->req.operands[i->req.operand_count++];
	o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o->imm.u = v & 0xff;
}

void gen_op_mem(struct gen_insn *i, ZydisEncoderOperand mem)
{
	i->req.operands[i->req.operand_count++] = mem;
}

void gen_flags(struct gen_insn *i, uint32_t rd, uint32_t def, uint32_t undef)
{
	i->rd = rd;
	i->def = def;
	i->undef = undef;
}

/* --- registers ----------------------------------------------------------- */

ZydisRegister gen_sized(unsigned gpr, unsigned size)
{
	if (size == 1)
		return ZYDIS_REGISTER_AL + gpr;
	return (size == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX) + gpr;
}

unsigned gen_gpr_of(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH)
		return (r - ZYDIS_REGISTER_AL) & 3;
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI)
		return r - ZYDIS_REGISTER_AX;
	return r - ZYDIS_REGISTER_EAX;
}

/* gen_pick: random register number of size whose GPR is not in avoid; -1
 * if none. */
static int gen_pick(struct gen_ctx *x, unsigned size, uint32_t avoid)
{
	unsigned cand[8], n = 0;
	for (unsigned r = 0; r < 8; r++) {
		unsigned gpr = size == 1 ? (r & 3) : r;
		if (!(avoid & GPR(gpr)))
			cand[n++] = r;
	}
	return n ? (int)cand[gen_below(x, n)] : -1;
}

ZydisRegister gen_reg(struct gen_ctx *x, unsigned size, uint32_t avoid)
{
	int r = gen_pick(x, size, avoid | (size == 1 ? 0 : GPR_ESP));
	if (r < 0) {
		fprintf(stderr, "difftest: generator bug: no register left\n");
		abort();
	}
	return gen_sized(r, size);
}

ZydisRegister gen_src(struct gen_ctx *x, unsigned size, uint32_t avoid)
{
	int r = gen_pick(x, size, avoid);
	return r < 0 ? gen_reg(x, size, avoid & ~GPR_ESP) : gen_sized(r, size);
}

void gen_mov_imm(struct gen_ctx *x, ZydisRegister r, uint32_t v)
{
	struct gen_insn *i = gen_add(x, ZYDIS_MNEMONIC_MOV);
	gen_op_reg(i, r);
	unsigned size = r >= ZYDIS_REGISTER_EAX ? 4 : r >= ZYDIS_REGISTER_AX ? 2 : 1;
	gen_op_imm(i, v, size);
}

/* --- memory operands ----------------------------------------------------- */

/* gen_mem_base: [base + disp] with base = addr - disp loaded by a MOV. */
static bool gen_mem_base(struct gen_ctx *x, ZydisEncoderOperand *o, uint32_t addr, int32_t disp,
			 uint32_t avoid, int force)
{
	int b = force >= 0 && !(avoid & GPR(force)) ? force : gen_pick(x, 4, avoid);
	if (b < 0)
		return false;
	gen_mov_imm(x, gen_sized(b, 4), addr - (uint32_t)disp);
	o->mem.base = gen_sized(b, 4);
	o->mem.displacement = disp;
	return true;
}

/* gen_mem_form: a memory operand of size bytes at addr in a random
 * addressing form (ESP-based only when esp_ok: then the address is somewhere
 * above ESP instead), with the MOVs that set its registers. */
static ZydisEncoderOperand gen_mem_form(struct gen_ctx *x, uint32_t addr, unsigned size,
					unsigned span, unsigned align, uint32_t avoid, bool esp_ok)
{
	static const uint8_t scales[] = {1, 2, 4, 8};
	ZydisEncoderOperand o;
	memset(&o, 0, sizeof(o));
	o.type = ZYDIS_OPERAND_TYPE_MEMORY;
	o.mem.size = size;
	avoid |= GPR_ESP;
	int32_t d;
	int b, ix;
	unsigned sc;
	uint32_t iv;

	switch (gen_below(x, esp_ok ? 9 : 8)) {
	case 0: /* absolute disp32 */
		break;
	case 1: /* [base] */
		if (gen_mem_base(x, &o, addr, 0, avoid, -1))
			return o;
		break;
	case 2: /* [base+disp8] */
	case 3:
		if (gen_mem_base(x, &o, addr, (int8_t)gen_below(x, 256), avoid, -1))
			return o;
		break;
	case 4: /* [base+disp32], wrapping around 4 GiB half of the time */
		d = gen_pct(x, 50) ? (int32_t)gen_rand(x) : (int32_t)gen_below(x, 0x10000) - 0x8000;
		if (gen_mem_base(x, &o, addr, d, avoid, -1))
			return o;
		break;
	case 5: /* [ebp+disp8] */
		if (gen_mem_base(x, &o, addr, (int8_t)gen_below(x, 256), avoid, 5))
			return o;
		break;
	case 6: /* [base+index*scale+disp], [index*scale+disp32] */
	case 7:
		ix = gen_pick(x, 4, avoid);
		b = ix < 0 ? -1 : gen_pick(x, 4, avoid | GPR(ix));
		if (b < 0)
			break;
		sc = scales[gen_below(x, 4)];
		iv = gen_pct(x, 70) ? gen_below(x, 64) : (uint32_t)gen_rand(x);
		d = gen_pct(x, 50) ? (int8_t)gen_below(x, 256) : (int32_t)gen_rand(x);
		gen_mov_imm(x, gen_sized(ix, 4), iv);
		o.mem.index = gen_sized(ix, 4);
		o.mem.scale = sc;
		if (gen_pct(x, 25)) { /* no base: disp32 carries the address */
			o.mem.displacement = (int32_t)(addr - iv * sc);
			return o;
		}
		gen_mov_imm(x, gen_sized(b, 4), addr - (uint32_t)d - iv * sc);
		o.mem.base = gen_sized(b, 4);
		o.mem.displacement = d;
		return o;
	default: /* ESP-based, above the current ESP */
		if (span > 96 || align > 1)
			break;
		o.mem.base = ZYDIS_REGISTER_ESP;
		d = gen_below(x, 128 - span);
		ix = gen_pick(x, 4, avoid);
		if (ix >= 0 && gen_pct(x, 30)) {
			sc = scales[gen_below(x, 4)];
			iv = gen_below(x, 8);
			gen_mov_imm(x, gen_sized(ix, 4), iv);
			o.mem.index = gen_sized(ix, 4);
			o.mem.scale = sc;
		}
		o.mem.displacement = d;
		return o;
	}
	o.mem.base = ZYDIS_REGISTER_NONE;
	o.mem.index = ZYDIS_REGISTER_NONE;
	o.mem.scale = 0;
	o.mem.displacement = addr;
	return o;
}

ZydisEncoderOperand gen_mem(struct gen_ctx *x, unsigned size, unsigned align, unsigned room,
			    uint32_t avoid)
{
	unsigned span = size + room;
	uint32_t off = DIFF_MEM_LO + gen_below(x, DIFF_MEM_HI - DIFF_MEM_LO - span);
	if (align > 1)
		off &= ~(align - 1);
	return gen_mem_form(x, DIFF_DATA_ADDR + off, size, span, align, avoid, true);
}

ZydisEncoderOperand gen_mem_at(struct gen_ctx *x, uint32_t addr, unsigned size, uint32_t avoid)
{
	return gen_mem_form(x, addr, size, size, 1, avoid, false);
}

/* --- sequences ----------------------------------------------------------- */

static unsigned long gen_kind_count[64];
static bool gen_kind_off[64];

int gen_disable_kind(const char *name)
{
	for (unsigned k = 0; k < gen_nkinds; k++) {
		if (!strcmp(gen_kinds[k].name, name)) {
			gen_kind_off[k] = true;
			return 0;
		}
	}
	return -1;
}

const char *gen_kinds_list(void)
{
	static char buf[512];
	buf[0] = 0;
	for (unsigned k = 0; k < gen_nkinds; k++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", k ? " " : "",
			 gen_kinds[k].name);
	return buf;
}

/* gen_pick_kind: a kind by weight. */
static const struct gen_kind *gen_pick_kind(struct gen_ctx *x, unsigned *idx)
{
	unsigned total = 0;
	for (unsigned k = 0; k < gen_nkinds; k++)
		total += gen_kind_off[k] ? 0 : gen_kinds[k].weight;
	unsigned r = gen_below(x, total);
	for (unsigned k = 0; k < gen_nkinds; k++) {
		unsigned w = gen_kind_off[k] ? 0 : gen_kinds[k].weight;
		if (r < w) {
			*idx = k;
			return &gen_kinds[k];
		}
		r -= w;
	}
	*idx = 0;
	return &gen_kinds[0];
}

/* gen_init_state: random registers, flags and data area. */
static void gen_init_state(struct gen_ctx *x, struct gen_seq *s)
{
	for (unsigned r = 0; r < 8; r++)
		s->regs[r] = gen_value(x);
	s->regs[4] = DIFF_DATA_ADDR + DIFF_STACK_TOP;
	s->eflags = ((uint32_t)gen_rand(x) & DIFF_FLAGS) | 2;
	for (unsigned k = 0; k < DIFF_DATA_SIZE; k += 4) {
		uint32_t v = gen_pct(x, 20) ? gen_value(x) : (uint32_t)gen_rand(x);
		memcpy(s->data + k, &v, 4);
	}
}

void gen_sequence(struct gen_seq *s, uint64_t seed, uint64_t index, unsigned len)
{
	struct gen_ctx x = {.rng =
				seed * 0x2545f4914f6cdd1dull ^ (index + 1) * 0x9e3779b97f4a7c15ull};
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->index = index;
	s->ngroups = len;
	s->groups = calloc(len ? len : 1, sizeof(*s->groups));
	struct gen_fstate *pending = malloc((len + 1) * sizeof(*pending)), fs;
	if (!s->groups || !pending) {
		fprintf(stderr, "difftest: out of memory\n");
		exit(1);
	}
	for (unsigned k = 0; k <= len; k++)
		gen_fs_init(&pending[k]);
	gen_rand(&x);
	gen_init_state(&x, s);
	x.s = s;
	x.ngroups = len;
	x.pending = pending;
	gen_fs_init(&fs);
	for (unsigned gi = 0; gi < len; gi++) {
		unsigned k;
		const struct gen_kind *kind = gen_pick_kind(&x, &k);
		const char *why = NULL;
		x.g = &s->groups[gi];
		x.gi = gi;
		x.fs = fs;
		gen_fs_merge(&x.fs, &pending[gi]);
		x.push = 0;
		kind->build(&x);
		x.g->kind = kind->name;
		gen_kind_count[k]++;
		gen_flow_group(x.g, gi, len, &fs, pending, &why);
		if (why) {
			fprintf(stderr, "difftest: generator bug: %s group %s\n", kind->name, why);
			abort();
		}
	}
	free(pending);
}

void gen_free(struct gen_seq *s)
{
	free(s->groups);
	s->groups = NULL;
	s->ngroups = 0;
}

void gen_copy_without(struct gen_seq *dst, const struct gen_seq *src, unsigned from, unsigned count)
{
	struct gen_group *groups = dst->groups;
	memcpy(dst, src, sizeof(*dst));
	groups = realloc(groups, (src->ngroups ? src->ngroups : 1) * sizeof(*groups));
	if (!groups) {
		fprintf(stderr, "difftest: out of memory\n");
		exit(1);
	}
	dst->groups = groups;
	dst->ngroups = 0;
	for (unsigned g = 0; g < src->ngroups; g++)
		if (g < from || g >= from + count)
			dst->groups[dst->ngroups++] = src->groups[g];
}

void gen_kinds_stats(FILE *f)
{
	for (unsigned k = 0; k < gen_nkinds; k++)
		fprintf(f, "  %-10s %lu\n", gen_kinds[k].name, gen_kind_count[k]);
}

/* --- layout and encoding ------------------------------------------------- */

/* One instruction placed in the code. */
struct gen_slot {
	ZydisEncoderRequest req;
	bool branch;
	unsigned target; /* slot index the branch goes to (nslots = end) */
	uint32_t addr;
	uint8_t len;
};

/* gen_prologue: fninit, then xmm0..7 loaded from the data area. */
static void gen_prologue(struct gen_slot *slot)
{
	memset(slot, 0, PROLOGUE_N * sizeof(*slot));
	for (unsigned k = 0; k < PROLOGUE_N; k++)
		slot[k].req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
	slot[0].req.mnemonic = ZYDIS_MNEMONIC_FNINIT;
	for (unsigned k = 1; k < PROLOGUE_N; k++) {
		ZydisEncoderRequest *r = &slot[k].req;
		r->mnemonic = ZYDIS_MNEMONIC_MOVDQU;
		r->operand_count = 2;
		r->operands[0].type = ZYDIS_OPERAND_TYPE_REGISTER;
		r->operands[0].reg.value = ZYDIS_REGISTER_XMM0 + k - 1;
		r->operands[1].type = ZYDIS_OPERAND_TYPE_MEMORY;
		r->operands[1].mem.size = 16;
		r->operands[1].mem.displacement = DIFF_DATA_ADDR + DIFF_XMM_INIT + 16 * (k - 1);
	}
}

/* gen_flatten: prologue + groups as slots, branch targets resolved to slot
 * indices.  Returns the number of slots (malloc'd into *out). */
static unsigned gen_flatten(const struct gen_seq *s, struct gen_slot **out)
{
	unsigned n = PROLOGUE_N, *start = malloc((s->ngroups + 1) * sizeof(*start));
	for (unsigned g = 0; g < s->ngroups; g++) {
		start[g] = n;
		n += s->groups[g].n;
	}
	start[s->ngroups] = n;
	struct gen_slot *slot = calloc(n, sizeof(*slot));
	if (!slot || !start) {
		fprintf(stderr, "difftest: out of memory\n");
		exit(1);
	}
	gen_prologue(slot);
	for (unsigned g = 0; g < s->ngroups; g++) {
		const struct gen_group *gr = &s->groups[g];
		for (unsigned j = 0; j < gr->n; j++) {
			const struct gen_insn *i = &gr->insn[j];
			struct gen_slot *sl = &slot[start[g] + j];
			sl->req = i->req;
			sl->branch = i->branch;
			if (!i->branch)
				continue;
			if (i->br_group > 0)
				sl->target = start[MIN(g + i->br_group, s->ngroups)];
			else
				sl->target =
				    start[g] + (i->br_insn < 0 ? gr->n : (unsigned)i->br_insn);
		}
	}
	free(start);
	*out = slot;
	return n;
}

/* gen_layout_pass: encode every slot at its address with the targets of
 * the previous pass; widen short branches that do not reach.  Returns 1
 * when lengths changed (another pass needed), 0 when stable, -1 on an
 * encoding error. */
static int gen_layout_pass(struct gen_slot *slot, unsigned n, bool sizing, uint8_t *out,
			   size_t *len)
{
	uint32_t addr = DIFF_CODE_ADDR;
	int changed = 0;
	for (unsigned k = 0; k < n; k++) {
		struct gen_slot *sl = &slot[k];
		ZydisEncoderRequest req = sl->req;
		uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
		ZyanUSize l = sizeof(buf);
		if (sl->branch) {
			uint32_t t = sl->target < n ? slot[sl->target].addr
						    : slot[n - 1].addr + slot[n - 1].len;
			if (sizing)
				t = addr;
			req.operands[0].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
			req.operands[0].imm.u = t;
		}
		ZyanStatus st = ZydisEncoderEncodeInstructionAbsolute(&req, buf, &l, addr);
		if (!ZYAN_SUCCESS(st) && sl->branch &&
		    sl->req.branch_width == ZYDIS_BRANCH_WIDTH_8 &&
		    sl->req.mnemonic != ZYDIS_MNEMONIC_LOOP &&
		    sl->req.mnemonic != ZYDIS_MNEMONIC_JECXZ) {
			sl->req.branch_type = ZYDIS_BRANCH_TYPE_NEAR;
			sl->req.branch_width = ZYDIS_BRANCH_WIDTH_32;
			return 1;
		}
		if (!ZYAN_SUCCESS(st)) {
			sl->len = 0xff; /* marks the culprit for gen_encode's message */
			return -1;
		}
		if (sl->addr != addr || sl->len != l)
			changed = 1;
		sl->addr = addr;
		sl->len = l;
		if (out) {
			if (addr - DIFF_CODE_ADDR + l > DIFF_CODE_MAX - 16)
				return -1;
			memcpy(out + (addr - DIFF_CODE_ADDR), buf, l);
		}
		addr += l;
	}
	*len = addr - DIFF_CODE_ADDR;
	return changed;
}

int gen_encode(const struct gen_seq *s, struct gen_code *c, const char **why)
{
	struct gen_fstate *pending = malloc((s->ngroups + 1) * sizeof(*pending)), fs;
	*why = NULL;
	gen_fs_init(&fs);
	for (unsigned g = 0; g <= s->ngroups; g++)
		gen_fs_init(&pending[g]);
	for (unsigned g = 0; g < s->ngroups && !*why; g++)
		gen_flow_group(&s->groups[g], g, s->ngroups, &fs, pending, why);
	/* the end of the code is a branch target like any group start */
	const struct gen_fstate *end = &pending[s->ngroups];
	c->flags_defined = fs.mask & end->mask;
	for (unsigned k = 0; k < DIFF_NREF; k++)
		c->flags_masked[k] = (fs.taint[k] | end->taint[k]) & c->flags_defined;
	c->x87_slots = 0;
	for (unsigned g = 0; g < s->ngroups; g++)
		for (unsigned j = 0; j < s->groups[g].n; j++)
			if (s->groups[g].insn[j].x87_slot)
				c->x87_slots |= 1u << (s->groups[g].insn[j].x87_slot - 1);
	free(pending);
	if (*why)
		return -1;

	struct gen_slot *slot;
	unsigned n = gen_flatten(s, &slot);
	int r = gen_layout_pass(slot, n, true, NULL, &c->len);
	for (unsigned pass = 0; pass < 64 && r >= 0; pass++) {
		r = gen_layout_pass(slot, n, false, NULL, &c->len);
		if (r == 0)
			break;
	}
	if (r == 0)
		r = gen_layout_pass(slot, n, false, c->bytes, &c->len);
	if (r != 0) {
		static char msg[128];
		snprintf(msg, sizeof(msg), "cannot be encoded");
		for (unsigned k = 0; k < n; k++)
			if (slot[k].len == 0xff)
				snprintf(msg, sizeof(msg), "cannot be encoded (%s, %u operands)",
					 ZydisMnemonicGetString(slot[k].req.mnemonic),
					 slot[k].req.operand_count);
		*why = msg;
		free(slot);
		return -1;
	}
	free(slot);
	return 0;
}

void gen_print(const struct gen_code *c, FILE *f)
{
	size_t off = 0;
	while (off < c->len) {
		ZydisDisassembledInstruction d;
		if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LEGACY_32,
							DIFF_CODE_ADDR + off, c->bytes + off,
							c->len - off, &d))) {
			fprintf(f, "  %08zx  (undecodable)\n", DIFF_CODE_ADDR + off);
			return;
		}
		fprintf(f, "  %08zx  ", DIFF_CODE_ADDR + off);
		for (unsigned k = 0; k < 8; k++)
			fprintf(f, k < d.info.length ? "%02x" : "  ", c->bytes[off + k]);
		fprintf(f, "  %s\n", d.text);
		off += d.info.length;
	}
}
