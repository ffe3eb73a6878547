/*
 * gen.c - one fuzz run's guest: descriptor tables, interrupt stubs, TSS,
 * data, start state and code (fuzz.h has the layout).
 *
 * The tables are mostly sane, so that execution goes on after a fault and
 * reaches more code, with random damage: mutated descriptors, garbage
 * gates, gates into the random code, a GDTR/IDTR limit that cuts entries.
 * An interrupt stub counts its entries and, below a per-run limit, returns
 * to a random instruction group of the code (so the guest runs on after a
 * fault); above it, it ends the run through isa-debug-exit.
 */
#include <elf.h>
#include <string.h>

#include "fuzz.h"
#include "monitor/x86/cpu.h"
#include "monitor/boot/loader.h"
#include "monitor/machine/vcpu.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* desc: an 8-byte segment descriptor from base, limit (20 bits) and the
 * attribute bits 40..55 (VMX layout, as struct seg's attr). */
static uint64_t desc(uint32_t base, uint32_t limit, uint16_t attr)
{
	return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)(attr & 0xf0ff) << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(base >> 24) << 56);
}

/* gate: an IDT/call gate to sel:off with type and DPL, present. */
static uint64_t gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(0x80 | dpl << 5 | type) << 40) |
	       ((uint64_t)(off >> 16) << 48);
}

/* The GDT's fixed part (index: meaning), before random damage. */
static void gen_gdt(struct fz_rng *r, uint64_t *gdt, uint32_t tss_limit, uint32_t code)
{
	memset(gdt, 0, FZ_GDT_N * 8);
	gdt[1] = desc(0, 0xfffff, 0xc09a);	  /* 0x08 code32 DPL0 */
	gdt[2] = desc(0, 0xfffff, 0xc092);	  /* 0x10 data32 DPL0 */
	gdt[3] = desc(0, 0xfffff, 0xc0fa);	  /* 0x18 code32 DPL3 */
	gdt[4] = desc(0, 0xfffff, 0xc0f2);	  /* 0x20 data32 DPL3 */
	gdt[5] = desc(FZ_TSS, tss_limit, 0x008b); /* 0x28 TSS32 busy */
	gdt[6] = desc(FZ_LDT, 0xff, 0x0082);	  /* 0x30 LDT */
	gdt[7] = desc(0, 0xffff, 0x009a);	  /* 0x38 code16 */
	gdt[8] = desc(0, 0xffff, 0x0092);	  /* 0x40 data16 */
	gdt[9] = desc(FZ_DATA, 0xffff, 0x4092);	  /* 0x48 based data */
	gdt[10] = gate(0x08, code, 0xc, 3);	  /* 0x50 call gate */
	gdt[11] = desc(0, 0xfffff, 0xc09e);	  /* 0x58 conforming code */
	gdt[12] = desc(0, 0xff, 0x4096);	  /* 0x60 expand-down data */
	gdt[13] = desc(0, 0xfffff, 0xc090);	  /* 0x68 read-only data */
	gdt[14] = desc(FZ_CODE, 0xfffff, 0xc098); /* 0x70 exec-only, based */
	gdt[15] = desc(0x1000, 0xfffff, 0xc09a);  /* 0x78 code32, base 4 KiB */
	gdt[16] = desc(0, 0xfffff, 0xc0b2);	  /* 0x80 data32 DPL1 */
	gdt[17] = desc(0, 0xfffff, 0xc0ba);	  /* 0x88 code32 DPL1 */
	for (unsigned i = 18; i < FZ_GDT_N; i++)
		gdt[i] = fz_rand(r);
	unsigned damage = fz_chance(r, 40) ? fz_below(r, 4) : 0;
	for (unsigned i = 0; i < damage; i++)
		gdt[6 + fz_below(r, 12)] ^= 1ull << fz_below(r, 64);
}

/* stub: the interrupt stub for vector vec at guest address at: count,
 * exit above `limit` entries, else return to `target`. */
static void stub(uint8_t *p, int vec, uint32_t limit, uint32_t target)
{
	static const uint8_t errvec[] = {8, 10, 11, 12, 13, 14, 17};
	unsigned n = 0;
	for (unsigned i = 0; i < N(errvec); i++)
		if (errvec[i] == vec) {
			p[n++] = 0x83, p[n++] = 0xc4, p[n++] = 0x04; /* add esp, 4 */
		}
	uint32_t ctr = FZ_COUNTER;
	p[n++] = 0xff, p[n++] = 0x05; /* inc dword [ctr] */
	memcpy(p + n, &ctr, 4), n += 4;
	p[n++] = 0x81, p[n++] = 0x3d; /* cmp dword [ctr], limit */
	memcpy(p + n, &ctr, 4), n += 4;
	memcpy(p + n, &limit, 4), n += 4;
	p[n++] = 0x72, p[n++] = 0x04;		     /* jb +4 */
	p[n++] = 0xb0, p[n++] = (uint8_t)vec;	     /* mov al, vec */
	p[n++] = 0xe6, p[n++] = 0xf4;		     /* out 0xf4, al */
	p[n++] = 0xc7, p[n++] = 0x04, p[n++] = 0x24; /* mov dword [esp], target */
	memcpy(p + n, &target, 4), n += 4;
	p[n++] = 0xcf; /* iret */
}

/* gen_idt: gates to the stubs, some damaged or into the code. */
static void gen_idt(struct fz_gen *g, uint64_t *idt)
{
	struct fz_rng *r = g->rng;
	unsigned garbage = fz_chance(r, 30) ? 5 : 0;
	for (int v = 0; v < 256; v++) {
		unsigned dpl = v >= 32 && fz_chance(r, 70) ? 3 : fz_chance(r, 10) ? 3 : 0;
		idt[v] = gate(0x08, FZ_STUBS + v * FZ_STUB_SIZE, fz_chance(r, 20) ? 0xf : 0xe, dpl);
		if (fz_below(r, 100) < garbage) {
			switch (fz_below(r, 5)) {
			case 0:
				idt[v] = fz_rand(r);
				break;
			case 1:
				idt[v] &= ~(1ull << 47); /* not present */
				break;
			case 2:
				idt[v] = gate(fz_rand_sel(r), (uint32_t)idt[v] & 0xffff, 0xe, dpl);
				break;
			case 3:
				idt[v] = gate(0x28, 0, 0x5, dpl); /* task gate */
				break;
			default:
				idt[v] = gate(0x08, g->code_addr + fz_below(r, g->cap), 0xe, dpl);
				break;
			}
		}
	}
}

/* gen_tss: ring-0 stack, random I/O bitmap; returns the TSS limit. */
static uint32_t gen_tss(struct fz_gen *g)
{
	uint8_t *t = g->ram + FZ_TSS;
	uint32_t esp0 = FZ_STACK0_TOP, ss0 = 0x10, iomap = 0x68;
	if (fz_chance(g->rng, 5))
		esp0 = fz_rand_addr(g);
	if (fz_chance(g->rng, 5))
		ss0 = fz_rand_sel(g->rng);
	memcpy(t + 4, &esp0, 4);
	memcpy(t + 8, &ss0, 4);
	if (fz_chance(g->rng, 10))
		iomap = fz_below(g->rng, 0x10000);
	memcpy(t + 0x66, &iomap, 2);
	for (unsigned i = 0; i < 8193; i++)
		t[0x68 + i] = fz_chance(g->rng, 70) ? 0 : (uint8_t)fz_rand(g->rng);
	return fz_chance(g->rng, 20) ? 0x67 : 0x68 + 8192;
}

/* gen_state: start state: CPL, segments from the GDT, flags, CRs,
 * registers pointing into RAM mostly. */
static void gen_state(struct fz_gen *g, struct vcpu *v, const uint64_t *gdt, uint32_t eip)
{
	struct fz_rng *r = g->rng;
	bool ring3 = fz_chance(r, 30);
	uint16_t cs = ring3 ? 0x1b : 0x08, ds = ring3 ? 0x23 : 0x10;

	vcpu_set_flat32(v, 0x08, 0x10);
	cpu_desc_to_seg(gdt[cs >> 3], cs, &v->seg[S_CS]);
	for (int s = 0; s < S_NR; s++) {
		uint16_t sel = ds;
		if (s == S_CS)
			continue;
		if ((s == S_FS || s == S_GS || (s == S_DS && fz_chance(r, 20))) && fz_chance(r, 30))
			sel = 0x48 | (ring3 ? 3 : 0);
		cpu_desc_to_seg(gdt[sel >> 3] | (1ull << 40), sel, &v->seg[s]);
	}
	v->cpl = ring3 ? 3 : 0;
	cpu_desc_to_seg(gdt[5], 0x28, &v->tr);
	cpu_desc_to_seg(gdt[6], 0x30, &v->ldtr);
	v->gdtr.base = FZ_GDT;
	v->gdtr.limit = fz_chance(r, 90) ? FZ_GDT_N * 8 - 1 : (uint16_t)fz_below(r, 0x100);
	v->idtr.base = FZ_IDT;
	v->idtr.limit = fz_chance(r, 90) ? 0x7ff : (uint16_t)fz_below(r, 0x800);
	v->eflags = EFL_FIXED | ((uint32_t)fz_rand(r) & EFL_ARITH);
	v->eflags |= fz_chance(r, 30) ? EFL_IF : 0;
	v->eflags |= fz_chance(r, 20) ? EFL_DF : 0;
	v->eflags |= fz_chance(r, 30) ? fz_below(r, 4) << EFL_IOPL_SHIFT : 0;
	v->eflags |= fz_chance(r, 3) ? EFL_TF : 0;
	v->eflags |= fz_chance(r, 8) ? EFL_AC : 0;
	v->eflags |= fz_chance(r, 3) ? EFL_NT : 0;
	static const uint32_t cr0bits[] = {CR0_MP, CR0_EM, CR0_TS, CR0_NE, CR0_WP, CR0_AM};
	for (unsigned i = 0; i < N(cr0bits); i++)
		v->cr0 |= fz_chance(r, 15) ? cr0bits[i] : 0;
	static const uint32_t cr4bits[] = {CR4_TSD, CR4_DE,	CR4_PSE,       CR4_PGE,
					   CR4_PCE, CR4_OSFXSR, CR4_OSXMMEXCPT};
	for (unsigned i = 0; i < N(cr4bits); i++)
		v->cr4 |= fz_chance(r, 25) ? cr4bits[i] : 0;
	for (int i = 0; i < 8; i++)
		v->gpr[i] = fz_chance(r, 60) ? fz_rand_addr(g) : (uint32_t)fz_rand(r);
	v->gpr[R_ESP] = FZ_STACK_TOP;
	if (fz_chance(r, 10))
		v->gpr[R_ESP] = (uint32_t[]){
		    0,		3,	     FZ_STACK_TOP + 1, FZ_RAM_SIZE,
		    0xfffffffe, FZ_CODE + 2, 0x2000,	       0x7fffffff}[fz_below(r, 8)];
	v->eip = eip;
}

/* gen_system: descriptor tables, IDT stubs and the data around them. */
static void gen_system(struct fz_gen *g, struct vcpu *v, uint32_t stub_limit)
{
	uint64_t gdt[FZ_GDT_N], idt[256];
	struct fz_rng *r = g->rng;

	for (uint32_t i = 0; i < FZ_DATA_SIZE; i += 8) {
		uint64_t x = fz_chance(r, 50) ? fz_rand(r) : 0;
		memcpy(g->ram + FZ_DATA + i, &x, 8);
	}
	uint32_t tss_limit = gen_tss(g);
	gen_gdt(r, gdt, tss_limit, g->code_addr + fz_below(r, g->cap));
	memcpy(g->ram + FZ_GDT, gdt, sizeof(gdt));
	for (unsigned i = 0; i < 32; i++) { /* LDT: copies of GDT entries, some random */
		uint64_t d = fz_chance(r, 70) ? gdt[fz_below(r, 18)] : fz_rand(r);
		memcpy(g->ram + FZ_LDT + i * 8, &d, 8);
	}
	gen_idt(g, idt);
	memcpy(g->ram + FZ_IDT, idt, sizeof(idt));
	for (int vec = 0; vec < 256; vec++) {
		uint32_t target = g->code_addr + (g->n_starts ? g->starts[fz_below(r, g->n_starts)]
							      : fz_below(r, g->cap));
		stub(g->ram + FZ_STUBS + vec * FZ_STUB_SIZE, vec, stub_limit, target);
	}
	gen_state(g, v, gdt, g->code_addr);
}

/* code_place: where the code goes: the default place, or against the end
 * of RAM so that execution runs off it. */
static void code_place(struct fz_gen *g)
{
	g->cap = 256 + fz_below(g->rng, fz_chance(g->rng, 50) ? 2048 : FZ_CODE_MAX - 256);
	g->code_addr = FZ_CODE;
	if (fz_chance(g->rng, 5))
		g->code_addr = g->ram_size - g->cap + (uint32_t)fz_below(g->rng, 8) - 4;
	if (g->code_addr + g->cap > g->ram_size)
		g->cap = g->ram_size - g->code_addr;
	g->code = g->ram + g->code_addr;
	g->len = 0;
	g->n_starts = 0;
}

/* build_mutant: load a test kernel and damage its code. */
static int build_mutant(struct machine *m, struct fz_gen *g, const struct fz_image *img,
			char *desc_out, size_t desc_len)
{
	if (multiboot_load(m, img->bytes, img->len) < 0)
		return -1;
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img->bytes;
	uint32_t lo = 0, hi = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf32_Phdr *ph =
		    (const Elf32_Phdr *)(img->bytes + eh->e_phoff + i * eh->e_phentsize);
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && ph->p_filesz > hi - lo) {
			lo = ph->p_paddr;
			hi = ph->p_paddr + ph->p_filesz;
		}
	}
	if (hi <= lo || hi > g->ram_size)
		return -1;
	unsigned n = 1 + fz_below(g->rng, fz_chance(g->rng, 50) ? 4 : 32);
	for (unsigned i = 0; i < n; i++) {
		uint32_t at = lo + fz_below(g->rng, hi - lo);
		if (fz_chance(g->rng, 60)) {
			g->ram[at] ^= (uint8_t)(1u << fz_below(g->rng, 8));
			continue;
		}
		/* overwrite with a random instruction group */
		g->code_addr = at;
		g->code = g->ram + at;
		g->cap = hi - at < 120 ? hi - at : 120;
		g->len = 0;
		fz_gen_group(g);
	}
	snprintf(desc_out, desc_len, "mutant of %s, %u mutations in [%#x,%#x)", img->path, n, lo,
		 hi);
	return 0;
}

int fz_build(struct machine *m, enum fz_kind kind, uint64_t seed, const struct fz_image *img,
	     unsigned n_img, char *desc_out, size_t desc_len)
{
	struct fz_rng rng = {seed};
	struct fz_gen g = {.rng = &rng, .ram = m->ram.host, .ram_size = (uint32_t)m->ram.size};

	if (kind == FZ_MUTANT) {
		if (!n_img)
			return -1;
		return build_mutant(m, &g, &img[fz_below(&rng, n_img)], desc_out, desc_len);
	}
	code_place(&g);
	if (kind == FZ_BYTES) {
		for (uint32_t i = 0; i < g.cap; i++)
			g.code[i] = (uint8_t)fz_rand(&rng);
		g.len = g.cap;
	} else {
		fz_gen_insns(&g);
	}
	if (g.len + 2 <= g.cap && fz_chance(&rng, 70)) {
		g.code[g.len++] = 0xe6; /* out 0xf4, al: the end */
		g.code[g.len++] = 0xf4;
	}
	uint32_t stub_limit =
	    fz_chance(&rng, 30) ? 1 + fz_below(&rng, 4) : 16 + fz_below(&rng, 2000);
	gen_system(&g, &m->vcpu, stub_limit);
	snprintf(desc_out, desc_len, "%s: %u code bytes at %#x, cpl %u, eflags %#x, cr0 %#x",
		 kind == FZ_BYTES ? "bytes" : "insns", g.len, g.code_addr, m->vcpu.cpl,
		 m->vcpu.eflags, m->vcpu.cr0);
	return 0;
}
