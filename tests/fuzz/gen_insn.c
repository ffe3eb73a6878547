/*
 * gen_insn.c - random guest instructions for the fuzzer (fuzz.h).
 *
 * A "group" is one or a few instructions that belong together: a register
 * load and the privileged instruction that uses it, PUSHes and the IRET
 * that pops them, a segment-register load with a random selector.  Generic
 * groups come from the Zydis encoder with a random mnemonic and random
 * operands (whatever encodes in 32-bit mode); the hand-made groups cover
 * what the encoder would rarely hit: system instructions with values that
 * make sense some of the time, string instructions with large counts, port
 * I/O on the machine's devices, self-modifying stores, far transfers.
 */
#include <string.h>
#include <Zydis/Zydis.h>

#include "fuzz.h"

#define N(a)	    (sizeof(a) / sizeof((a)[0]))
#define PUT(g, ...) put(g, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
#define GROUP_MAX   96 /* bytes a hand-made group may take */

/* put: append n bytes (the caller checked there is room). */
static void put(struct fz_gen *g, const uint8_t *b, unsigned n)
{
	memcpy(g->code + g->len, b, n);
	g->len += n;
}

static void put32(struct fz_gen *g, uint32_t v)
{
	put(g, (const uint8_t *)&v, 4);
}

static void put16(struct fz_gen *g, uint16_t v)
{
	put(g, (const uint8_t *)&v, 2);
}

/* mov_imm: mov r32, imm32 (B8+r). */
static void mov_imm(struct fz_gen *g, unsigned reg, uint32_t v)
{
	PUT(g, (uint8_t)(0xb8 + reg));
	put32(g, v);
}

/* rnd: shorthand for the generator's random stream. */
static uint32_t rnd(struct fz_gen *g, uint32_t n)
{
	return fz_below(g->rng, n);
}

/* any_reg: a GPR other than ESP. */
static unsigned any_reg(struct fz_gen *g)
{
	unsigned r = rnd(g, 7);
	return r >= 4 ? r + 1 : r;
}

uint16_t fz_rand_sel(struct fz_rng *r)
{
	if (fz_chance(r, 30))
		return (uint16_t)fz_rand(r);
	uint16_t s = (uint16_t)(fz_below(r, 18) << 3) | (uint16_t)fz_below(r, 4);
	if (fz_chance(r, 10))
		s |= 4; /* LDT */
	return s;
}

uint32_t fz_rand_addr(struct fz_gen *g)
{
	static const uint32_t holes[] = {0xa0000,    0xb8000,	 0xf0000,    0xfec00000, 0xfee00000,
					 0xfffff000, 0xfffffffc, 0xffffffff, 0x7fffffff};
	switch (rnd(g, 10)) {
	case 0:
	case 1:
	case 2:
		return FZ_DATA + rnd(g, FZ_DATA_SIZE);
	case 3:
		return g->code_addr + rnd(g, g->cap + 16);
	case 4:
		return FZ_GDT + rnd(g, FZ_DATA - FZ_GDT);
	case 5:
		return g->ram_size - 8 + rnd(g, 16);
	case 6:
		return holes[rnd(g, N(holes))] + rnd(g, 4);
	case 7:
		return g->ram_size + rnd(g, 1u << 20);
	default:
		return (uint32_t)fz_rand(g->rng);
	}
}

/* rand_cr0: CR0 values around the running one, some absurd. */
static uint32_t rand_cr0(struct fz_gen *g)
{
	uint32_t v = CR0_PE | CR0_ET;
	static const uint32_t bits[] = {CR0_MP, CR0_EM, CR0_TS, CR0_NE, CR0_WP,
					CR0_AM, CR0_NW, CR0_CD, CR0_PG};
	for (unsigned i = 0; i < N(bits); i++)
		if (rnd(g, 100) < (bits[i] == CR0_PG ? 4u : 15u))
			v |= bits[i];
	if (rnd(g, 10) == 0)
		v &= ~CR0_PE;
	if (rnd(g, 10) == 0)
		v = (uint32_t)fz_rand(g->rng);
	return v;
}

/* --- generic instructions through the Zydis encoder ---------------------- */

static const ZydisRegister regs32[] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX,
				       ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP,
				       ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};

/* rand_reg: a register of any class 32-bit code can name. */
static ZydisRegister rand_reg(struct fz_gen *g)
{
	switch (rnd(g, 12)) {
	case 0:
		return ZYDIS_REGISTER_AX + rnd(g, 8);
	case 1:
		return ZYDIS_REGISTER_AL + rnd(g, 8);
	case 2:
		return ZYDIS_REGISTER_ES + rnd(g, 6);
	case 3:
		return ZYDIS_REGISTER_XMM0 + rnd(g, 8);
	case 4:
		return ZYDIS_REGISTER_MM0 + rnd(g, 8);
	case 5:
		return ZYDIS_REGISTER_ST0 + rnd(g, 8);
	case 6:
		return ZYDIS_REGISTER_CR0 + rnd(g, 5);
	case 7:
		return ZYDIS_REGISTER_DR0 + rnd(g, 8);
	case 8:
		return ZYDIS_REGISTER_YMM0 + rnd(g, 8);
	default:
		return regs32[rnd(g, 8)];
	}
}

/* rand_operand: a register, memory or immediate operand. */
static void rand_operand(struct fz_gen *g, ZydisEncoderOperand *op)
{
	static const uint16_t sizes[] = {1, 2, 4, 6, 8, 10, 16, 32, 0};
	memset(op, 0, sizeof(*op));
	switch (rnd(g, 3)) {
	case 0:
		op->type = ZYDIS_OPERAND_TYPE_REGISTER;
		op->reg.value = rand_reg(g);
		break;
	case 1:
		op->type = ZYDIS_OPERAND_TYPE_MEMORY;
		op->mem.size = sizes[rnd(g, N(sizes))];
		if (rnd(g, 2)) {
			op->mem.displacement = fz_rand_addr(g);
			break;
		}
		op->mem.base = regs32[rnd(g, 8)];
		if (rnd(g, 3) == 0) {
			op->mem.index = regs32[rnd(g, 8)];
			if (op->mem.index == ZYDIS_REGISTER_ESP)
				op->mem.index = ZYDIS_REGISTER_EAX;
			op->mem.scale = (uint8_t)(1u << rnd(g, 4));
		}
		op->mem.displacement = (int32_t)(rnd(g, 512)) - 256;
		break;
	default:
		op->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
		op->imm.u = rnd(g, 2) ? rnd(g, 256) : (uint32_t)fz_rand(g->rng);
		break;
	}
}

/* g_generic: any mnemonic with random operands, as the encoder accepts. */
static void g_generic(struct fz_gen *g)
{
	for (int tries = 0; tries < 64; tries++) {
		ZydisEncoderRequest req;
		memset(&req, 0, sizeof(req));
		req.machine_mode = ZYDIS_MACHINE_MODE_LEGACY_32;
		req.mnemonic = (ZydisMnemonic)(1 + rnd(g, ZYDIS_MNEMONIC_MAX_VALUE));
		req.operand_count = (uint8_t)rnd(g, 4);
		for (unsigned i = 0; i < req.operand_count; i++)
			rand_operand(g, &req.operands[i]);
		ZyanUSize len = ZYDIS_MAX_INSTRUCTION_LENGTH;
		if (ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, g->code + g->len, &len))) {
			g->len += (uint32_t)len;
			return;
		}
	}
	PUT(g, 0x90);
}

/* --- hand-made groups ----------------------------------------------------- */

/* g_cr: MOV to/from CRn (and DRn) with a plausible or random value. */
static void g_cr(struct fz_gen *g)
{
	unsigned r = any_reg(g),
		 cr = rnd(g, 10) ? (unsigned[]){0, 0, 2, 3, 4}[rnd(g, 5)] : rnd(g, 8);
	uint32_t v = cr == 0   ? rand_cr0(g)
		     : cr == 4 ? (rnd(g, 5) ? rnd(g, 0x800) : (uint32_t)fz_rand(g->rng))
		     : cr == 3 ? fz_rand_addr(g)
			       : (uint32_t)fz_rand(g->rng);
	bool dr = rnd(g, 5) == 0;
	if (rnd(g, 3)) {
		mov_imm(g, r, v);
		PUT(g, 0x0f, dr ? 0x23 : 0x22, (uint8_t)(0xc0 | cr << 3 | r));
	} else {
		PUT(g, 0x0f, dr ? 0x21 : 0x20, (uint8_t)(0xc0 | cr << 3 | r));
	}
	if (!dr && rnd(g, 4) == 0) { /* LMSW / SMSW / CLTS */
		mov_imm(g, r, rand_cr0(g));
		PUT(g, 0x0f, 0x01, (uint8_t)(rnd(g, 2) ? 0xf0 | r : 0xe0 | r));
		PUT(g, 0x0f, 0x06);
	}
}

/* g_sreg: load a segment register with a random selector (MOV, POP, LxS). */
static void g_sreg(struct fz_gen *g)
{
	uint16_t sel = fz_rand_sel(g->rng);
	unsigned s = rnd(g, 8) ? (unsigned[]){0, 2, 3, 4, 5}[rnd(g, 5)] : rnd(g, 8);
	switch (rnd(g, 4)) {
	case 0: /* mov sreg, ax */
		mov_imm(g, 0, sel);
		PUT(g, 0x8e, (uint8_t)(0xc0 | s << 3));
		break;
	case 1: { /* push imm; pop sreg */
		static const uint8_t pops[][2] = {
		    {0x07}, {0x17}, {0x1f}, {0x0f, 0xa1}, {0x0f, 0xa9}};
		unsigned k = rnd(g, N(pops));
		PUT(g, 0x68);
		put32(g, sel);
		put(g, pops[k], pops[k][0] == 0x0f ? 2 : 1);
		break;
	}
	case 2: { /* lds/les/lss/lfs/lgs r32, m16:32 */
		static const uint8_t ops[][2] = {
		    {0xc5}, {0xc4}, {0x0f, 0xb2}, {0x0f, 0xb4}, {0x0f, 0xb5}};
		uint32_t a = FZ_DATA + rnd(g, FZ_DATA_SIZE - 8);
		uint32_t off = fz_rand_addr(g);
		memcpy(g->ram + a, &off, 4);
		memcpy(g->ram + a + 4, &sel, 2);
		unsigned k = rnd(g, N(ops));
		put(g, ops[k], ops[k][0] == 0x0f ? 2 : 1);
		PUT(g, (uint8_t)(0x05 | any_reg(g) << 3));
		put32(g, rnd(g, 8) ? a : fz_rand_addr(g));
		break;
	}
	default: /* mov ss with an instruction in its shadow */
		mov_imm(g, 0, rnd(g, 2) ? 0x10 : sel);
		PUT(g, 0x8e, 0xd0);
		PUT(g, rnd(g, 2) ? 0xcc : 0xfa);
		break;
	}
}

/* g_far: far JMP/CALL/RET and IRET with random selectors and frames. */
static void g_far(struct fz_gen *g)
{
	uint16_t sel = rnd(g, 3) ? (uint16_t[]){0x08, 0x1b, 0x38, 0x50, 0x58, 0x78, 0x28}[rnd(g, 7)]
				 : fz_rand_sel(g->rng);
	uint32_t off = g->code_addr + rnd(g, g->cap);
	if (g->n_starts && rnd(g, 2))
		off = g->code_addr + g->starts[rnd(g, g->n_starts)];
	switch (rnd(g, 5)) {
	case 0: /* jmp/call ptr16:32, sometimes 16-bit */
		if (rnd(g, 6) == 0) {
			PUT(g, 0x66, rnd(g, 2) ? 0xea : 0x9a);
			put16(g, (uint16_t)off);
		} else {
			PUT(g, rnd(g, 2) ? 0xea : 0x9a);
			put32(g, off);
		}
		put16(g, sel);
		break;
	case 1: { /* jmp/call far [m16:32] */
		uint32_t a = FZ_DATA + rnd(g, FZ_DATA_SIZE - 8);
		memcpy(g->ram + a, &off, 4);
		memcpy(g->ram + a + 4, &sel, 2);
		PUT(g, 0xff, rnd(g, 2) ? 0x2d : 0x1d);
		put32(g, a);
		break;
	}
	case 2: /* push sel; push off; retf [imm] */
		PUT(g, 0x68);
		put32(g, sel);
		PUT(g, 0x68);
		put32(g, off);
		if (rnd(g, 3) == 0) {
			PUT(g, 0xca);
			put16(g, (uint16_t)rnd(g, 64));
		} else {
			PUT(g, 0xcb);
		}
		break;
	default: { /* iret with a random frame (ring change: ss:esp first) */
		uint32_t fl = (uint32_t)fz_rand(g->rng);
		if (rnd(g, 4))
			fl = (fl & (EFL_ARITH | EFL_DF | EFL_IF | EFL_IOPL)) | EFL_FIXED |
			     (rnd(g, 10) ? 0 : (fl & (EFL_TF | EFL_NT | EFL_AC | EFL_VM)));
		if (rnd(g, 2)) {
			PUT(g, 0x68);
			put32(g, rnd(g, 2) ? 0x23 : fz_rand_sel(g->rng));
			PUT(g, 0x68);
			put32(g, rnd(g, 2) ? FZ_STACK_TOP - 0x100 - rnd(g, 64) : fz_rand_addr(g));
		}
		PUT(g, 0x68);
		put32(g, fl);
		PUT(g, 0x68);
		put32(g, sel);
		PUT(g, 0x68);
		put32(g, off);
		if (rnd(g, 8) == 0)
			PUT(g, 0x66);
		PUT(g, 0xcf);
		break;
	}
	}
}

/* g_int: INT n, INT3, INTO, INT1, UD2, BOUND, and a divide by zero. */
static void g_int(struct fz_gen *g)
{
	switch (rnd(g, 7)) {
	case 0:
	case 1:
		PUT(g, 0xcd, (uint8_t)(rnd(g, 2) ? rnd(g, 32) : rnd(g, 256)));
		break;
	case 2:
		PUT(g, (uint8_t[]){0xcc, 0xce, 0xf1}[rnd(g, 3)]);
		break;
	case 3:
		PUT(g, 0x0f, 0x0b);
		break;
	case 4: /* bound eax, [m] */
		PUT(g, 0x62, 0x05);
		put32(g, fz_rand_addr(g));
		break;
	case 5: /* div by zero or overflow */
		mov_imm(g, 1, rnd(g, 2) ? 0 : 1);
		mov_imm(g, 2, (uint32_t)fz_rand(g->rng));
		PUT(g, 0xf7, (uint8_t)(rnd(g, 2) ? 0xf1 : 0xf9));
		break;
	default: /* aam 0 */
		PUT(g, 0xd4, (uint8_t)rnd(g, 3));
		break;
	}
}

/* g_dt: LGDT/LIDT/LLDT/LTR (random tables at times), SGDT & co. */
static void g_dt(struct fz_gen *g)
{
	uint32_t a = FZ_DATA + rnd(g, FZ_DATA_SIZE - 8);
	switch (rnd(g, 5)) {
	case 0:
	case 1: { /* lgdt/lidt [a] */
		bool gdt = rnd(g, 2);
		uint16_t lim = rnd(g, 3) ? (uint16_t)(gdt ? FZ_GDT_N * 8 - 1 : 0x7ff)
					 : (uint16_t)fz_rand(g->rng);
		uint32_t base = rnd(g, 2) ? (gdt ? FZ_GDT : FZ_IDT) : fz_rand_addr(g);
		memcpy(g->ram + a, &lim, 2);
		memcpy(g->ram + a + 2, &base, 4);
		PUT(g, 0x0f, 0x01, gdt ? 0x15 : 0x1d);
		put32(g, a);
		break;
	}
	case 2: /* lldt/ltr ax */
		mov_imm(g, 0, rnd(g, 2) ? (rnd(g, 2) ? 0x28 : 0x30) : fz_rand_sel(g->rng));
		PUT(g, 0x0f, 0x00, rnd(g, 2) ? 0xd0 : 0xd8);
		break;
	case 3: /* sgdt/sidt/sldt/str to a random address */
		PUT(g, 0x0f, rnd(g, 2) ? 0x01 : 0x00, (uint8_t)(0x05 | rnd(g, 2) << 3));
		put32(g, fz_rand_addr(g));
		break;
	default: /* lar/lsl/verr/verw */
		mov_imm(g, 1, fz_rand_sel(g->rng));
		if (rnd(g, 2))
			PUT(g, 0x0f, rnd(g, 2) ? 0x02 : 0x03, 0xc1);
		else
			PUT(g, 0x0f, 0x00, rnd(g, 2) ? 0xe1 : 0xe9);
		break;
	}
}

/* rand_port: the machine's devices, the exits, anything. */
static uint16_t rand_port(struct fz_gen *g)
{
	static const uint16_t ports[] = {0x20,	0x21,  0xa0,  0xa1,  0x40,  0x41,  0x42,  0x43,
					 0x61,	0x60,  0x64,  0x70,  0x71,  0x3f8, 0x3f9, 0x3fa,
					 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x80,  0xe9,  0x92,
					 0xcf9, 0xcf8, 0xcfc, 0x4d0, 0x4d1};
	if (rnd(g, 4))
		return ports[rnd(g, N(ports))];
	return (uint16_t)fz_rand(g->rng);
}

/* g_io: IN/OUT by immediate or DX; reset-causing values are rare. */
static void g_io(struct fz_gen *g)
{
	uint16_t port = rand_port(g);
	uint32_t val = (uint32_t)fz_rand(g->rng);
	if ((port == 0x64 || port == 0x92 || port == 0xcf9) && rnd(g, 4))
		val = 0; /* most of the time, not a reset */
	mov_imm(g, 0, val);
	unsigned size = rnd(g, 3);
	uint8_t op = (uint8_t)(size == 0 ? 0 : 1);
	if (size == 1)
		PUT(g, 0x66);
	if (port < 256 && rnd(g, 2)) {
		PUT(g, (uint8_t)((rnd(g, 2) ? 0xe6 : 0xe4) | op), (uint8_t)port);
	} else {
		mov_imm(g, 2, port);
		PUT(g, (uint8_t)((rnd(g, 2) ? 0xee : 0xec) | op));
	}
}

/* g_pic_pit: program the PIC and PIT so that timer interrupts arrive. */
static void g_pic_pit(struct fz_gen *g)
{
	uint8_t base = (uint8_t)(rnd(g, 2) ? 0x20 : rnd(g, 256)) & 0xf8;
	static const uint8_t seq_port[] = {0x20, 0x21, 0x21, 0x21};
	uint8_t seq_val[] = {0x11, base, 0x04, 0x01};
	for (unsigned i = 0; i < 4; i++) {
		PUT(g, 0xb0, seq_val[i]);
		PUT(g, 0xe6, seq_port[i]);
	}
	PUT(g, 0xb0, (uint8_t)(rnd(g, 2) ? 0xfe : rnd(g, 256)), 0xe6, 0x21); /* mask */
	PUT(g, 0xb0, 0x34, 0xe6, 0x43);					     /* ch0 rate gen */
	uint16_t div = (uint16_t)(rnd(g, 2) ? 100 + rnd(g, 3000) : fz_rand(g->rng));
	PUT(g, 0xb0, (uint8_t)div, 0xe6, 0x40, 0xb0, (uint8_t)(div >> 8), 0xe6, 0x40);
	if (rnd(g, 2))
		PUT(g, 0xfb); /* sti */
}

/* g_string: string instructions with random counts and pointers. */
static void g_string(struct fz_gen *g)
{
	static const uint8_t ops[] = {0xa4, 0xa6, 0xaa, 0xac, 0xae, 0x6c, 0x6e};
	uint32_t cnt = rnd(g, 3)   ? rnd(g, 64)
		       : rnd(g, 2) ? rnd(g, 0x40000)
				   : (uint32_t)fz_rand(g->rng);
	mov_imm(g, 1, cnt);
	mov_imm(g, 6, fz_rand_addr(g));
	mov_imm(g, 7, fz_rand_addr(g));
	mov_imm(g, 2, rand_port(g));
	PUT(g, rnd(g, 4) ? 0xfc : 0xfd); /* cld / std */
	if (rnd(g, 4) == 0)
		PUT(g, (uint8_t[]){0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65}[rnd(g, 6)]);
	if (rnd(g, 5) == 0)
		PUT(g, rnd(g, 2) ? 0x66 : 0x67);
	if (rnd(g, 3))
		PUT(g, rnd(g, 2) ? 0xf3 : 0xf2);
	PUT(g, (uint8_t)(ops[rnd(g, N(ops))] | rnd(g, 2)));
	PUT(g, 0xfc);
}

/* g_sys: flags and the other system instructions. */
static void g_sys(struct fz_gen *g)
{
	static const uint32_t msrs[] = {0x10,  0x1b,	   0x174, 0x175, 0x176, 0x277,
					0x1a0, 0xc0000080, 0x8b,  0x2ff, 0x0,	0x40000000};
	switch (rnd(g, 9)) {
	case 0: { /* popf with a random value */
		uint32_t fl = (uint32_t)fz_rand(g->rng);
		if (rnd(g, 3))
			fl &= ~(EFL_TF | EFL_AC | EFL_NT);
		PUT(g, 0x68);
		put32(g, fl);
		PUT(g, 0x9d);
		break;
	}
	case 1:
		PUT(g, (uint8_t[]){0xfa, 0xfb, 0x9c, 0xf4, 0x9e, 0x9f}[rnd(g, 6)]);
		break;
	case 2: /* rdmsr / wrmsr */
		mov_imm(g, 1, rnd(g, 4) ? msrs[rnd(g, N(msrs))] : (uint32_t)fz_rand(g->rng));
		mov_imm(g, 0, (uint32_t)fz_rand(g->rng));
		mov_imm(g, 2, rnd(g, 2) ? 0 : (uint32_t)fz_rand(g->rng));
		PUT(g, 0x0f, rnd(g, 2) ? 0x30 : 0x32);
		break;
	case 3: /* cpuid, rdtsc, rdpmc, rdtscp */
		mov_imm(g, 0, rnd(g, 2) ? rnd(g, 0x20) : (uint32_t)fz_rand(g->rng));
		mov_imm(g, 1, rnd(g, 4));
		PUT(g, 0x0f, (uint8_t[]){0xa2, 0x31, 0x33}[rnd(g, 3)]);
		break;
	case 4: /* sysenter / sysexit */
		mov_imm(g, 1, fz_rand_addr(g));
		mov_imm(g, 2, g->code_addr + rnd(g, g->cap));
		PUT(g, 0x0f, rnd(g, 2) ? 0x34 : 0x35);
		break;
	case 5: /* invd, wbinvd, invlpg */
		if (rnd(g, 2)) {
			PUT(g, 0x0f, rnd(g, 2) ? 0x08 : 0x09);
		} else {
			PUT(g, 0x0f, 0x01, 0x3d);
			put32(g, fz_rand_addr(g));
		}
		break;
	case 6: /* legacy opcodes 64-bit mode lost */
		PUT(g, (uint8_t[]){0x27, 0x2f, 0x37, 0x3f, 0xd6, 0xd7, 0x60, 0x61, 0x0e, 0x16, 0x1e,
				   0x06}[rnd(g, 12)]);
		break;
	case 7: /* enter/leave with odd sizes */
		PUT(g, 0xc8);
		put16(g, (uint16_t)fz_rand(g->rng));
		PUT(g, (uint8_t)rnd(g, 40), 0xc9);
		break;
	default: /* fxsave/fxrstor/ldmxcsr/frstor at a random address */
		PUT(g, 0x0f, 0xae, (uint8_t)(0x05 | rnd(g, 4) << 3));
		put32(g, fz_rand_addr(g));
		break;
	}
}

/* g_mem: stores and loads at random addresses, self-modifying ones too. */
static void g_mem(struct fz_gen *g)
{
	uint32_t a = fz_rand_addr(g);
	if (rnd(g, 4) == 0) /* into the code just ahead, or anywhere in it */
		a = rnd(g, 2) ? g->code_addr + g->len + 6 + rnd(g, 16)
			      : g->code_addr + rnd(g, g->cap);
	unsigned r = any_reg(g);
	switch (rnd(g, 5)) {
	case 0: /* mov [a], imm32 */
		PUT(g, 0xc7, 0x05);
		put32(g, a);
		put32(g, (uint32_t)fz_rand(g->rng));
		break;
	case 1: /* mov [a], r8/r16/r32 */
		if (rnd(g, 3) == 0)
			PUT(g, 0x66);
		PUT(g, rnd(g, 2) ? 0x89 : 0x88, (uint8_t)(0x05 | r << 3));
		put32(g, a);
		break;
	case 2: /* load */
		PUT(g, rnd(g, 2) ? 0x8b : 0x8a, (uint8_t)(0x05 | r << 3));
		put32(g, a);
		break;
	case 3: /* lock cmpxchg / xchg / add on memory */
		PUT(g, (uint8_t[]){0xf0, 0x3e, 0x26}[rnd(g, 3)]);
		PUT(g, (uint8_t[]){0x01, 0x87, 0x09, 0x29}[rnd(g, 4)], (uint8_t)(0x05 | r << 3));
		put32(g, a);
		break;
	default: /* through a register base with a segment override */
		mov_imm(g, 3, a);
		if (rnd(g, 2))
			PUT(g, (uint8_t[]){0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65}[rnd(g, 6)]);
		PUT(g, rnd(g, 2) ? 0x89 : 0x8b, (uint8_t)(0x03 | r << 3));
		break;
	}
}

/* g_branch: jumps and calls to group starts or anywhere near. */
static void g_branch(struct fz_gen *g)
{
	uint32_t t = g->code_addr + rnd(g, g->cap);
	if (g->n_starts && rnd(g, 3))
		t = g->code_addr + g->starts[rnd(g, g->n_starts)];
	switch (rnd(g, 6)) {
	case 0:
	case 1: { /* jmp/call/jcc rel32 */
		unsigned k = rnd(g, 3);
		uint32_t here = g->code_addr + g->len + (k == 2 ? 6 : 5);
		if (k == 2)
			PUT(g, 0x0f, (uint8_t)(0x80 + rnd(g, 16)));
		else
			PUT(g, k ? 0xe8 : 0xe9);
		put32(g, t - here);
		break;
	}
	case 2: /* jmp/call reg */
		mov_imm(g, 0, rnd(g, 4) ? t : fz_rand_addr(g));
		PUT(g, 0xff, rnd(g, 2) ? 0xe0 : 0xd0);
		break;
	case 3: /* push t; ret [imm] */
		PUT(g, 0x68);
		put32(g, t);
		if (rnd(g, 2)) {
			PUT(g, 0xc2);
			put16(g, (uint16_t)rnd(g, 32));
		} else {
			PUT(g, 0xc3);
		}
		break;
	case 4: /* loop/jecxz short */
		PUT(g, (uint8_t)(0xe0 + rnd(g, 4)), (uint8_t)rnd(g, 256));
		break;
	default: /* jcc short */
		PUT(g, (uint8_t)(0x70 + rnd(g, 16)), (uint8_t)rnd(g, 256));
		break;
	}
}

/* g_stack: ESP (and EBP) at odd places, then stack traffic. */
static void g_stack(struct fz_gen *g)
{
	uint32_t sp = rnd(g, 3) ? FZ_STACK_TOP - rnd(g, 0x1000) : fz_rand_addr(g);
	if (rnd(g, 3) == 0)
		sp = (uint32_t[]){
		    0, 1, 2, 3, 0xffffffff, FZ_RAM_SIZE, FZ_RAM_SIZE + 2, 6}[rnd(g, 8)];
	mov_imm(g, 4, sp);
	PUT(g, (uint8_t[]){0x50, 0x58, 0x60, 0x61, 0x9c, 0xc3, 0xe8}[rnd(g, 7)]);
	if (g->code[g->len - 1] == 0xe8)
		put32(g, 0);
}

/* g_flags_trap: set TF, AC, NT or IOPL through PUSHF/POPF. */
static void g_flags_trap(struct fz_gen *g)
{
	uint32_t bits = (uint32_t[]){EFL_TF, EFL_AC, EFL_NT, EFL_IOPL, EFL_AC | EFL_TF}[rnd(g, 5)];
	PUT(g, 0x9c, 0x81, 0x0c, 0x24);
	put32(g, bits);
	PUT(g, 0x9d);
	if (rnd(g, 2)) /* a misaligned access for AC */
		PUT(g, 0x8b, 0x05), put32(g, FZ_DATA + 1 + 4 * rnd(g, 64));
}

/* g_fpu: x87/SSE/MMX instructions that raise their own faults. */
static void g_fpu(struct fz_gen *g)
{
	switch (rnd(g, 4)) {
	case 0:
		PUT(g, 0xdb, 0xe3);				  /* fninit */
		PUT(g, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0x9b); /* fld1 fldz fdivp fwait */
		break;
	case 1: /* movaps xmm0, [a] (unaligned: #GP) */
		PUT(g, 0x0f, 0x28, 0x05);
		put32(g, fz_rand_addr(g) | 1);
		break;
	case 2: /* ldmxcsr with a random value */
		PUT(g, 0xc7, 0x05);
		put32(g, FZ_DATA);
		put32(g, rnd(g, 2) ? 0x1f80 ^ (1u << rnd(g, 32)) : (uint32_t)fz_rand(g->rng));
		PUT(g, 0x0f, 0xae, 0x15);
		put32(g, FZ_DATA);
		break;
	default: /* fldenv/frstor/fnsave from random memory */
		PUT(g, (uint8_t[]){0xd9, 0xdd, 0xdd}[rnd(g, 3)]);
		PUT(g, (uint8_t[]){0x25, 0x25, 0x35}[rnd(g, 3)]);
		put32(g, fz_rand_addr(g));
		break;
	}
}

/* g_hidden: instructions whose memory access the ModRM byte does not show,
 * or whose x87/SSE state holds addresses: MASKMOVQ/MASKMOVDQU through any
 * segment prefix with EDI small (a host copy would hit the host TLS block
 * at fs:EDI) or anywhere; FNSTENV/FNSAVE/FXSAVE/FXRSTOR/FLDENV/FRSTOR (16-
 * and 32-bit) on random memory; and a few MMX/SSE register operations. */
static void g_hidden(struct fz_gen *g)
{
	static const uint8_t segs[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
	switch (rnd(g, 4)) {
	case 0: /* maskmovq / maskmovdqu */
		mov_imm(g, 7, rnd(g, 2) ? 8 * rnd(g, 8) : fz_rand_addr(g));
		if (rnd(g, 2))
			PUT(g, segs[rnd(g, N(segs))]);
		if (rnd(g, 4) == 0)
			PUT(g, 0x67);
		if (rnd(g, 2))
			PUT(g, 0x66);
		PUT(g, 0x0f, 0xf7, (uint8_t)(0xc0 | rnd(g, 64)));
		break;
	case 1: /* x87/SSE state to or from memory, any segment */
		if (rnd(g, 2))
			PUT(g, segs[rnd(g, N(segs))]);
		if (rnd(g, 3) == 0)
			PUT(g, 0x66);
		switch (rnd(g, 6)) {
		case 0:
			PUT(g, 0xd9, 0x35); /* fnstenv */
			break;
		case 1:
			PUT(g, 0xdd, 0x35); /* fnsave */
			break;
		case 2:
			PUT(g, 0x0f, 0xae, 0x05); /* fxsave */
			break;
		case 3:
			PUT(g, 0x0f, 0xae, 0x0d); /* fxrstor */
			break;
		case 4:
			PUT(g, 0xd9, 0x25); /* fldenv */
			break;
		default:
			PUT(g, 0xdd, 0x25); /* frstor */
			break;
		}
		put32(g, rnd(g, 2) ? (FZ_DATA + 16 * rnd(g, 64)) : fz_rand_addr(g));
		break;
	case 2: /* x87 work that sets the pointers, then a store of them */
		PUT(g, 0xdd, 0x05);
		put32(g, FZ_DATA + 8 * rnd(g, 64)); /* fld qword [d] */
		PUT(g, 0xd9, 0x35);
		put32(g, FZ_DATA + 16 * rnd(g, 64)); /* fnstenv [d] */
		break;
	default: /* MMX/SSE register forms (0F 60-7F, D0-FF), 66/F2/F3 or none */
		if (rnd(g, 2))
			PUT(g, (uint8_t[]){0x66, 0xf2, 0xf3}[rnd(g, 3)]);
		PUT(g, 0x0f, (uint8_t)(rnd(g, 2) ? 0x60 + rnd(g, 0x20) : 0xd0 + rnd(g, 0x30)),
		    (uint8_t)(0xc0 | rnd(g, 64)));
		break;
	}
}

/* g_prefixes: junk prefixes before a generic instruction (LOCK on a
 * non-lockable one is #UD; too many prefixes make it longer than 15). */
static void g_prefixes(struct fz_gen *g)
{
	static const uint8_t pfx[] = {0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36,
				      0x3e, 0x64, 0x65, 0x66, 0x67};
	unsigned n = 1 + rnd(g, rnd(g, 8) ? 3 : 15);
	for (unsigned i = 0; i < n; i++)
		PUT(g, pfx[rnd(g, N(pfx))]);
	g_generic(g);
}

/* g_bytes: a few random bytes. */
static void g_bytes(struct fz_gen *g)
{
	unsigned n = 1 + rnd(g, 8);
	for (unsigned i = 0; i < n; i++)
		PUT(g, (uint8_t)rnd(g, 256));
}

/* g_regs: load random register values (pointers into RAM, mostly). */
static void g_regs(struct fz_gen *g)
{
	mov_imm(g, any_reg(g), rnd(g, 2) ? fz_rand_addr(g) : (uint32_t)fz_rand(g->rng));
}

static const struct {
	void (*fn)(struct fz_gen *g);
	unsigned weight;
} groups[] = {
    {g_generic, 30}, {g_cr, 5},	    {g_sreg, 6},    {g_far, 6},	       {g_int, 4},
    {g_dt, 4},	     {g_io, 5},	    {g_pic_pit, 1}, {g_string, 4},     {g_sys, 8},
    {g_mem, 8},	     {g_branch, 5}, {g_stack, 3},   {g_flags_trap, 2}, {g_fpu, 2},
    {g_prefixes, 3}, {g_bytes, 2},  {g_regs, 6},    {g_hidden, 4},
};

bool fz_gen_group(struct fz_gen *g)
{
	unsigned total = 0, pick;
	if (g->len + GROUP_MAX > g->cap)
		return false;
	for (unsigned i = 0; i < N(groups); i++)
		total += groups[i].weight;
	pick = rnd(g, total);
	if (g->n_starts < N(g->starts))
		g->starts[g->n_starts++] = g->len;
	for (unsigned i = 0; i < N(groups); i++) {
		if (pick < groups[i].weight) {
			groups[i].fn(g);
			return true;
		}
		pick -= groups[i].weight;
	}
	return true;
}

void fz_gen_insns(struct fz_gen *g)
{
	while (fz_gen_group(g)) {
	}
}
