/*
 * fuzz.h - the bt engine's robustness fuzzer: random guests built in memory
 * and run in-process, one fresh machine per run, batches in child processes.
 *
 *   gen.c       guest layout: GDT, LDT, IDT, TSS, interrupt stubs, data,
 *               the start state, and the three code kinds
 *   gen_insn.c  random instructions (Zydis encoder and hand-made groups of
 *               privileged and sensitive instructions)
 *   fuzz.c      the driver: batches, watchdog, canaries, verdicts, report
 *
 * Guest-physical layout (RAM is FZ_RAM_SIZE bytes; a mutated test kernel
 * gets FZ_MUTANT_RAM and its own layout):
 *   0x1000 GDT   0x2000 IDT   0x3000 LDT   0x4ff0 stub counter
 *   0x5000 interrupt stubs (FZ_STUB_SIZE bytes per vector)
 *   0x8000 TSS with an 8 KiB I/O bitmap   0x10000 code (default place)
 *   0x40000 data (random)   0x80000 ring-0 stack top   0x90000 stack top
 */
#ifndef BT86_FUZZ_H
#define BT86_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/machine/machine.h"

#define FZ_RAM_SIZE   (4u << 20)
#define FZ_MUTANT_RAM (64u << 20) /* RAM for mutated test kernels (-m 64) */
#define FZ_GDT	      0x1000u
#define FZ_GDT_N      32u
#define FZ_IDT	      0x2000u
#define FZ_LDT	      0x3000u
#define FZ_COUNTER    0x4ff0u
#define FZ_STUBS      0x5000u
#define FZ_STUB_SIZE  48u
#define FZ_TSS	      0x8000u
#define FZ_CODE	      0x10000u
#define FZ_CODE_MAX   (48u << 10)
#define FZ_DATA	      0x40000u
#define FZ_DATA_SIZE  0x10000u
#define FZ_STACK0_TOP 0x80000u
#define FZ_STACK_TOP  0x90000u

/* What a run's code is made of. */
enum fz_kind {
	FZ_BYTES,  /* random bytes */
	FZ_INSNS,  /* random valid instructions, privileged and sensitive included */
	FZ_MUTANT, /* a test guest's kernel with its code mutated */
	FZ_NKINDS
};

/* splitmix64: small, fast, and every run's stream follows from one seed. */
struct fz_rng {
	uint64_t s;
};

/* fz_rand: the next 64 random bits. */
static inline uint64_t fz_rand(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* fz_below: uniform-ish in [0, n); 0 when n is 0. */
static inline uint32_t fz_below(struct fz_rng *r, uint32_t n)
{
	return n ? (uint32_t)(fz_rand(r) % n) : 0;
}

/* fz_chance: true with probability pct percent. */
static inline bool fz_chance(struct fz_rng *r, unsigned pct)
{
	return fz_below(r, 100) < pct;
}

/* The code being generated: a window of guest RAM. */
struct fz_gen {
	struct fz_rng *rng;
	uint8_t *ram;
	uint32_t ram_size;
	uint32_t code_addr; /* guest-physical (= linear) address of code[0] */
	uint8_t *code;
	uint32_t len, cap;
	uint32_t starts[4096]; /* offsets of generated instruction groups */
	unsigned n_starts;
};

/* A test kernel to mutate (multiboot ELF file contents). */
struct fz_image {
	const char *path;
	uint8_t *bytes;
	size_t len;
};

/* fz_gen_insns: fill g's code window with random instruction groups (some
 * random bytes between them). */
void fz_gen_insns(struct fz_gen *g);
/* fz_gen_group: append one random instruction group; false when full. */
bool fz_gen_group(struct fz_gen *g);
/* fz_rand_addr: an address that a guest access might use: data, code,
 * tables, the end of RAM, MMIO holes, anywhere. */
uint32_t fz_rand_addr(struct fz_gen *g);
/* fz_rand_sel: a selector, usually one of the GDT/LDT's first entries. */
uint16_t fz_rand_sel(struct fz_rng *r);

/* fz_build: make run `seed`'s guest of kind in m (fresh machine, engine
 * initialised): RAM contents and m->vcpu.  desc receives one line saying
 * what was built.  Returns 0, or -1 if the kind cannot be built (no image). */
int fz_build(struct machine *m, enum fz_kind kind, uint64_t seed, const struct fz_image *img,
	     unsigned n_img, char *desc, size_t desc_len);

#endif
