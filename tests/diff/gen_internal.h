/*
 * gen_internal.h - what the sequence builder (gen.c) offers the instruction
 * kinds (gen_kinds.c).  Not part of the tester's interface.
 */
#ifndef BT86_DIFF_GEN_INTERNAL_H
#define BT86_DIFF_GEN_INTERNAL_H

#include "gen.h"

/* Flag sets used by many instructions. */
#define F_ALL	DIFF_ARITH
#define F_LOGIC (DIFF_CF | DIFF_PF | DIFF_ZF | DIFF_SF | DIFF_OF) /* AF undefined */

/* GPR numbers as bits, for "avoid" sets. */
#define GPR(r)	(1u << (r))
#define GPR_EAX GPR(0)
#define GPR_ECX GPR(1)
#define GPR_EDX GPR(2)
#define GPR_EBX GPR(3)
#define GPR_ESP GPR(4)
#define GPR_EBP GPR(5)
#define GPR_ESI GPR(6)
#define GPR_EDI GPR(7)

/* The flag state at a point of a sequence (gen_flags.c): bits defined on
 * every path here, and per reference kind those that a quirk of that
 * reference may have made wrong on some path here. */
struct gen_fstate {
	uint32_t mask;
	uint32_t taint[DIFF_NREF];
};

/* The state of the builder while it makes one sequence. */
struct gen_ctx {
	uint64_t rng;
	struct gen_seq *s;
	struct gen_group *g;	    /* the group being built */
	unsigned gi, ngroups;	    /* its index, the sequence length */
	struct gen_fstate fs;	    /* flags at the start of g */
	struct gen_fstate *pending; /* [ngroups + 1]: flags on branches to a group */
	unsigned push;		    /* bytes pushed so far inside g */
};

/* A kind of group: weight in the random choice, and its builder. */
struct gen_kind {
	const char *name;
	unsigned weight;
	void (*build)(struct gen_ctx *x);
};
extern const struct gen_kind gen_kinds[];
extern const unsigned gen_nkinds;

/* Random numbers (splitmix64 on x->rng). */
uint64_t gen_rand(struct gen_ctx *x);
uint32_t gen_below(struct gen_ctx *x, uint32_t n); /* [0, n) */
bool gen_pct(struct gen_ctx *x, unsigned pct);	   /* true pct% of the time */
uint32_t gen_value(struct gen_ctx *x);		   /* a 32-bit value, edges likely */
unsigned gen_size(struct gen_ctx *x);		   /* 1, 2 or 4 */

/* Building instructions: gen_add appends one to the group (die()s past
 * GEN_GROUP_MAX); the operand helpers append operands in order. */
struct gen_insn *gen_add(struct gen_ctx *x, ZydisMnemonic m);
void gen_op_reg(struct gen_insn *i, ZydisRegister r);
void gen_op_imm(struct gen_insn *i, uint32_t v, unsigned size); /* sign-extends from size */
void gen_op_u8(struct gen_insn *i, uint32_t v); /* unsigned imm8 (counts, bit offsets) */
void gen_op_mem(struct gen_insn *i, ZydisEncoderOperand mem);
void gen_flags(struct gen_insn *i, uint32_t rd, uint32_t def, uint32_t undef);

/* Registers: gen_sized(gpr, size) is EAX..EDI / AX..DI / AL..BH (for size 1
 * gpr 0..7 means AL,CL,DL,BL,AH,CH,DH,BH); gen_gpr_of the GPR it lives in. */
ZydisRegister gen_sized(unsigned gpr, unsigned size);
unsigned gen_gpr_of(ZydisRegister r);
/* gen_reg: a random writable register of size (never ESP/SP), whose GPR is
 * not in avoid; gen_src: the same, but ESP/SP may be read. */
ZydisRegister gen_reg(struct gen_ctx *x, unsigned size, uint32_t avoid);
ZydisRegister gen_src(struct gen_ctx *x, unsigned size, uint32_t avoid);

/* gen_mov_imm: `mov r, v` (flags untouched). */
void gen_mov_imm(struct gen_ctx *x, ZydisRegister r, uint32_t v);
/* gen_mem: a memory operand of size bytes (address a multiple of align)
 * inside the data area, in a random addressing form; emits the MOVs that
 * set its base/index registers (never one in avoid).  `room` extra bytes
 * after the operand stay inside the data area too. */
ZydisEncoderOperand gen_mem(struct gen_ctx *x, unsigned size, unsigned align, unsigned room,
			    uint32_t avoid);
/* gen_fs_init: the state at the start of a sequence (all defined, none
 * tainted; also the neutral element of the merge). */
void gen_fs_init(struct gen_fstate *f);
/* gen_fs_merge: *a becomes the state where paths a and b meet. */
void gen_fs_merge(struct gen_fstate *a, const struct gen_fstate *b);
/* gen_flow_group: walk group g (index gi of n) from state *f in layout
 * order: merge the states of branches into g, check every read, merge g's
 * forward branches into pending[].  Leaves the state after g in *f, or sets
 * *why when an instruction reads a flag that is undefined or tainted. */
void gen_flow_group(const struct gen_group *g, unsigned gi, unsigned n, struct gen_fstate *f,
		    struct gen_fstate *pending, const char **why);
/* gen_mem_at: the same at a given address (never ESP-based). */
ZydisEncoderOperand gen_mem_at(struct gen_ctx *x, uint32_t addr, unsigned size, uint32_t avoid);
/* gen_cur_mask: flags that may be read now (group start stepped through g
 * so far): defined and tainted for no reference. */
uint32_t gen_cur_mask(struct gen_ctx *x);
/* gen_need: make sure flags are defined here (appends CLC/STC or a CMP). */
void gen_need(struct gen_ctx *x, uint32_t flags);
/* gen_branch_to: record that insn i (a forward branch in this group) goes
 * to group gi + ahead (clamped to the end). */
void gen_branch_to(struct gen_ctx *x, struct gen_insn *i, unsigned ahead);

#endif
