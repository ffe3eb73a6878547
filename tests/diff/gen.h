/*
 * gen.h - random instruction sequences for the differential tester.
 *
 * A sequence is a list of groups; a group is a few guest instructions that
 * are valid on their own: the MOVs that point its memory operands into the
 * data area, the instruction under test, and whatever it needs (a divisor
 * made non-zero, a count loaded into CL, balanced pushes and pops).  The
 * shrinker drops whole groups, so every group keeps ESP balanced and every
 * branch targets the start of a later group (or the end of the sequence).
 *
 * Each instruction carries the EFLAGS bits it reads, defines and leaves
 * undefined; gen_encode() walks the sequence in layout order (merging the
 * masks of forward branches at their targets), rejects a sequence that reads
 * a flag not defined on every path to the reader, and reports the flags that
 * are defined at its end: only those are compared.
 *
 * Everything derives from (seed, index) through a private PRNG, so a
 * sequence is reproduced exactly by its seed and index.
 */
#ifndef BT86_DIFF_GEN_H
#define BT86_DIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <Zydis/Zydis.h>

#include "diff.h"

#define GEN_GROUP_MAX 24 /* instructions in one group */

/* How an instruction moves control, for the flag analysis. */
enum gen_flow {
	FLOW_LINEAR, /* not a branch, or one the analysis may walk through
		      * (CALL/RET of a local routine, LOOP back edges) */
	FLOW_COND,   /* conditional forward branch: flags merge at the target */
	FLOW_JMP,    /* unconditional forward jump: code after it is dead
		      * until a branch target */
};

struct gen_insn {
	ZydisEncoderRequest req;
	uint32_t rd, def, undef; /* EFLAGS bits (DIFF_*) */
	uint8_t flow;
	bool branch;	  /* req.operands[0] is a target to resolve */
	int8_t br_group;  /* >0: start of the group that many ahead; 0: this group */
	int8_t br_insn;	  /* br_group == 0: insn index in this group, -1: its end */
	uint8_t x87_slot; /* FSTP into x87 result slot x87_slot - 1 (diff.h), or 0 */
};

struct gen_group {
	unsigned n;
	struct gen_insn insn[GEN_GROUP_MAX];
	const char *kind; /* the generator that made it, for statistics */
};

struct gen_seq {
	uint64_t seed;
	uint64_t index;
	unsigned ngroups;
	struct gen_group *groups; /* malloc'd */
	uint32_t regs[8];
	uint32_t eflags;
	uint8_t data[DIFF_DATA_SIZE];
};

/* The machine code of a sequence (without epilogue) and what to compare. */
struct gen_code {
	uint8_t bytes[DIFF_CODE_MAX];
	size_t len;
	uint32_t flags_defined; /* DIFF_FLAGS bits defined at the end */
	/* of those, the bits that each kind of reference may show wrongly
	 * (quirks.h): not compared with that reference */
	uint32_t flags_masked[DIFF_NREF];
	uint32_t x87_slots; /* the x87 result slots some FSTP writes (bit k: slot k) */
};

/* gen_sequence: build sequence `index` of `seed` with `len` groups into s
 * (s->groups allocated here; release with gen_free). */
void gen_sequence(struct gen_seq *s, uint64_t seed, uint64_t index, unsigned len);
void gen_free(struct gen_seq *s);
/* gen_copy_without: dst = src minus the groups [from, from+count) (dst's
 * groups allocated here). */
void gen_copy_without(struct gen_seq *dst, const struct gen_seq *src, unsigned from,
		      unsigned count);

/* gen_encode: lay out and encode s (prologue + groups) at DIFF_CODE_ADDR.
 * Returns 0, or -1 with a reason in *why when s is not a valid sequence
 * (a flag read while undefined, an encoding the encoder refuses). */
int gen_encode(const struct gen_seq *s, struct gen_code *c, const char **why);

/* gen_print: list the instructions of code c (Intel syntax, with
 * addresses) on f. */
void gen_print(const struct gen_code *c, FILE *f);

/* gen_disable_kind: never generate groups of kind name (changes the
 * sequences a seed makes); -1 if there is no such kind. */
int gen_disable_kind(const char *name);
/* gen_kinds_list: the kind names, space-separated, in a static buffer. */
const char *gen_kinds_list(void);

/* gen_kinds_stats: print how many groups of each kind were generated. */
void gen_kinds_stats(FILE *f);

/* gen_flags_str: "CF PF ..." for a DIFF_* mask, in a static buffer. */
const char *gen_flags_str(uint32_t mask);

#endif
