/* test_emulate.c - the one-instruction emulator (monitor/emulate/emulate.c): ALU
 * results and flags against the host CPU, on RAM and on an MMIO device,
 * unassigned physical addresses, accesses straddling the end of RAM, the
 * stack wrapping at 0, precise faults, x87/SSE with memory, refusals. */
#include "test_cpu_fixture.h"
#include "monitor/emulate/emulate.h"
#include "monitor/x86/walk.h"

#define CODE	0x10000u
#define DATA	0x20000u
#define RAM_END (16u << 20)
#define DEV	0xfec00000u /* the test device's MMIO window */
#define NOWHERE 0x40000000u /* no RAM, no device */

/* A device that behaves like 4 KiB of memory and counts its accesses. */
struct tdev {
	struct device dev;
	uint8_t mem[4096];
	unsigned reads, writes;
	uint64_t last_off, last_val;
	unsigned last_size;
};
static struct tdev tdev;

static uint64_t tdev_read(struct device *d, uint64_t off, unsigned size)
{
	struct tdev *t = (struct tdev *)d;
	uint64_t v = 0;

	memcpy(&v, t->mem + off, size);
	t->reads++;
	return v;
}

static void tdev_write(struct device *d, uint64_t off, unsigned size, uint64_t val)
{
	struct tdev *t = (struct tdev *)d;

	memcpy(t->mem + off, &val, size);
	t->writes++;
	t->last_off = off;
	t->last_size = size;
	t->last_val = val;
}

/* setup: the cpu fixture plus FNINIT-state x87/SSE, CR4.OSFXSR, the device. */
static void setup(void)
{
	fixture_setup();
	memset(&tdev, 0, sizeof(tdev));
	tdev.dev.name = "tdev";
	tdev.dev.read = tdev_read;
	tdev.dev.write = tdev_write;
	ck_assert_int_eq(bus_register(&M.mmio, DEV, 4096, &tdev.dev), 0);
	memset(V->fxsave, 0, sizeof(V->fxsave));
	V->fxsave[0] = 0x7f; /* FCW 0x037f */
	V->fxsave[1] = 0x03;
	V->fxsave[24] = 0x80; /* MXCSR 0x1f80 */
	V->fxsave[25] = 0x1f;
	V->cr4 |= CR4_OSFXSR;
}

/* run: place the instruction bytes at CODE and emulate them. */
static enum callout_result run(const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		wr8(CODE + i, b[i]);
	V->eip = CODE;
	return emu_step(V);
}
#define RUN(...) run((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* lin_rd32: read guest memory at a linear address through the cpu layer (bus too). */
static uint32_t lin_rd32(uint32_t a)
{
	uint32_t v;

	ck_assert_int_eq(cpu_read_lin(V, a, &v, 4, ACC_READ), 0);
	return v;
}

/* --- host reference for the ALU group ------------------------------------ */

static union {
	uint8_t b;
	uint16_t w;
	uint32_t l;
} ref_mem;

#define REF(insn, T, fld)                                                                          \
	do {                                                                                       \
		ref_mem.fld = (T)a;                                                                \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpushfq\n\tandq $-0x8d6, (%%rsp)\n\t"   \
				 "orq %[f], (%%rsp)\n\tpopfq\n\t" insn " %[s], %[m]\n\t"           \
				 "pushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                    \
				 : [m] "+m"(ref_mem.fld), [f] "+r"(f)                              \
				 : [s] "r"((T)b)                                                   \
				 : "cc");                                                          \
		r = ref_mem.fld;                                                                   \
	} while (0)
#define REF3(op)                                                                                   \
	do {                                                                                       \
		if (sz == 1)                                                                       \
			REF(op "b", uint8_t, b);                                                   \
		else if (sz == 2)                                                                  \
			REF(op "w", uint16_t, w);                                                  \
		else                                                                               \
			REF(op "l", uint32_t, l);                                                  \
	} while (0)

/* ref_alu: op index i (ADD OR ADC SBB AND SUB XOR CMP TEST) on the host
 * with a memory destination; returns the result, *fl the flags. */
static uint32_t ref_alu(int i, unsigned sz, uint32_t a, uint32_t b, uint32_t *fl)
{
	uint64_t f = *fl & EFL_ARITH;
	uint32_t r = 0;

	switch (i) {
	case 0:
		REF3("add");
		break;
	case 1:
		REF3("or");
		break;
	case 2:
		REF3("adc");
		break;
	case 3:
		REF3("sbb");
		break;
	case 4:
		REF3("and");
		break;
	case 5:
		REF3("sub");
		break;
	case 6:
		REF3("xor");
		break;
	case 7:
		REF3("cmp");
		break;
	default:
		REF3("test");
		break;
	}
	*fl = (uint32_t)f & EFL_ARITH;
	return r;
}

static const uint8_t alu_opc[] = {0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x84};
static const uint32_t vals[][2] = {
    {0, 0},
    {1, 1},
    {0x7f, 1},
    {0x80, 0xff},
    {0xff, 1},
    {0x7fff, 1},
    {0x8000, 0x8000},
    {0xffffffff, 1},
    {0x7fffffff, 0xffffffff},
    {0x12345678, 0x9abcdef0},
    {0x80000000, 0x80000000},
    {0x0f, 0x01},
    {0x1234, 0x1234},
};

/* alu_check: "op [ebx], ecx" at address addr (RAM or device) against the
 * host, every op, size, value pair and carry in. */
static void alu_check(uint32_t addr)
{
	static const unsigned sizes[] = {1, 2, 4};

	for (unsigned i = 0; i < sizeof(alu_opc); i++)
		for (unsigned s = 0; s < 3; s++)
			for (unsigned k = 0; k < sizeof(vals) / sizeof(vals[0]); k++)
				for (unsigned cf = 0; cf < 2; cf++) {
					unsigned sz = sizes[s];
					uint32_t mask = sz == 4 ? ~0u : (1u << (sz * 8)) - 1;
					uint32_t a = vals[k][0], b = vals[k][1];
					uint32_t fin = cf ? (EFL_CF | EFL_ZF | EFL_OF)
							  : (EFL_SF | EFL_PF | EFL_AF);
					uint32_t fl = fin, old = 0x5a5a5a5a;
					uint32_t want = ref_alu(i, sz, a, b, &fl);
					uint8_t op = alu_opc[i] + (sz > 1);
					enum callout_result r;

					ck_assert_int_eq(cpu_write_lin(V, addr, &old, 4, ACC_WRITE),
							 0);
					ck_assert_int_eq(cpu_write_lin(V, addr, &a, sz, ACC_WRITE),
							 0);
					V->gpr[R_EBX] = addr;
					V->gpr[R_ECX] = b;
					V->eflags = EFL_FIXED | EFL_IF | fin;
					if (sz == 2)
						r = RUN(0x66, op, 0x0b);
					else
						r = RUN(op, 0x0b);
					ck_assert_int_eq(r, CO_NEXT);
					ck_assert_uint_eq(V->eip, CODE + 2 + (sz == 2));
					uint32_t got = lin_rd32(addr);
					ck_assert_msg((got & mask) == (want & mask),
						      "op %u size %u %#x,%#x: %#x want %#x", i, sz,
						      a, b, got & mask, want & mask);
					ck_assert_uint_eq(got & ~mask, old & ~mask);
					ck_assert_msg(
					    (V->eflags & EFL_ARITH) == fl,
					    "op %u size %u %#x,%#x cf %u: flags %#x want %#x", i,
					    sz, a, b, cf, V->eflags & EFL_ARITH, fl);
					ck_assert_uint_eq(V->eflags & ~EFL_ARITH,
							  EFL_FIXED | EFL_IF);
				}
}

START_TEST(test_alu_ram)
{
	alu_check(DATA);
}
END_TEST

START_TEST(test_alu_mmio_device)
{
	alu_check(DEV + 0x40);
	ck_assert_uint_gt(tdev.reads, 0);
	ck_assert_uint_gt(tdev.writes, 0);
}
END_TEST

/* test_unary_and_shifts: INC/DEC/NEG/NOT/SHL/SAR/ROR/RCL 32-bit, against the host. */
START_TEST(test_unary_and_shifts)
{
	static const uint32_t xs[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678};
	/* encodings: FF /0 inc, FF /1 dec, F7 /3 neg, F7 /2 not, D3 /4 shl cl,
	 * D3 /7 sar cl, D3 /1 ror cl, D3 /2 rcl cl; modrm [ebx] = 00 r 011 */
	static const struct {
		uint8_t opc, reg;
	} forms[] = {{0xff, 0}, {0xff, 1}, {0xf7, 3}, {0xf7, 2},
		     {0xd3, 4}, {0xd3, 7}, {0xd3, 1}, {0xd3, 2}};

	for (unsigned f = 0; f < 8; f++)
		for (unsigned k = 0; k < 6; k++)
			for (unsigned cnt = 0; cnt < 34; cnt += 11)
				for (unsigned cf = 0; cf < 2; cf++) {
					uint32_t x = xs[k], fin = cf ? EFL_CF | EFL_ZF : EFL_SF;
					uint64_t hf = fin;
					static uint32_t m;

					m = x;
#define UN(insn)                                                                                   \
	__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpushfq\n\tandq $-0x8d6, (%%rsp)\n\t"           \
			 "orq %[f], (%%rsp)\n\tpopfq\n\t" insn "\n\t"                              \
			 "pushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                            \
			 : [m] "+m"(m), [f] "+r"(hf)                                               \
			 : "c"(cnt)                                                                \
			 : "cc")
					switch (f) {
					case 0:
						UN("incl %[m]");
						break;
					case 1:
						UN("decl %[m]");
						break;
					case 2:
						UN("negl %[m]");
						break;
					case 3:
						UN("notl %[m]");
						break;
					case 4:
						UN("shll %%cl, %[m]");
						break;
					case 5:
						UN("sarl %%cl, %[m]");
						break;
					case 6:
						UN("rorl %%cl, %[m]");
						break;
					default:
						UN("rcll %%cl, %[m]");
						break;
					}
					wr32(DATA, x);
					V->gpr[R_EBX] = DATA;
					V->gpr[R_ECX] = cnt;
					V->eflags = EFL_FIXED | fin;
					ck_assert_int_eq(
					    RUN(forms[f].opc, (uint8_t)(forms[f].reg << 3 | 3)),
					    CO_NEXT);
					ck_assert_uint_eq(rd32(DATA), m);
					ck_assert_msg((V->eflags & EFL_ARITH) == (hf & EFL_ARITH),
						      "form %u x %#x cnt %u: flags %#x want %#x", f,
						      x, cnt, V->eflags & EFL_ARITH,
						      (unsigned)(hf & EFL_ARITH));
				}
}
END_TEST

/* Unassigned physical addresses read as all ones; writes are dropped. */
START_TEST(test_unassigned)
{
	/* mov eax, [NOWHERE] (moffs) */
	V->gpr[R_EAX] = 0;
	ck_assert_int_eq(RUN(0xa1, 0x00, 0x00, 0x00, 0x40), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0xffffffff);
	ck_assert_uint_eq(V->eip, CODE + 5);
	/* mov dword [NOWHERE+8], 0x12345678; read back: still ones */
	ck_assert_int_eq(RUN(0xc7, 0x05, 0x08, 0x00, 0x00, 0x40, 0x78, 0x56, 0x34, 0x12), CO_NEXT);
	ck_assert_uint_eq(lin_rd32(NOWHERE + 8), 0xffffffff);
	/* lock inc dword [ebx]: 0xffffffff + 1 = 0 (ZF), CF kept, dropped */
	V->gpr[R_EBX] = NOWHERE;
	V->eflags = EFL_FIXED | EFL_CF;
	ck_assert_int_eq(RUN(0xf0, 0xff, 0x03), CO_NEXT);
	ck_assert_uint_eq(V->eflags & EFL_ARITH, EFL_CF | EFL_ZF | EFL_PF | EFL_AF);
	/* movzx ecx, word [ebx]; movsx edx, byte [ebx] */
	ck_assert_int_eq(RUN(0x0f, 0xb7, 0x0b), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0xffff);
	ck_assert_int_eq(RUN(0x0f, 0xbe, 0x13), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EDX], 0xffffffff);
	/* xchg [ebx], esi: ESI gets ones */
	V->gpr[R_ESI] = 0x1234;
	ck_assert_int_eq(RUN(0x87, 0x33), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESI], 0xffffffff);
	/* lock cmpxchg [ebx], ecx with EAX = 7: not equal, EAX = ones */
	V->gpr[R_EAX] = 7;
	ck_assert_int_eq(RUN(0xf0, 0x0f, 0xb1, 0x0b), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 0xffffffff);
	ck_assert(!(V->eflags & EFL_ZF));
	/* add ecx, [ebx] */
	V->gpr[R_ECX] = 1;
	ck_assert_int_eq(RUN(0x03, 0x0b), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
	ck_assert(V->eflags & EFL_CF);
	ck_assert_int_eq(M.exit.reason, EXIT_NONE);
}
END_TEST

/* A dword at RAM_END-2: two bytes in RAM, two on the bus. */
START_TEST(test_straddle_end_of_ram)
{
	wr16(RAM_END - 2, 0x1234);
	V->gpr[R_EBX] = RAM_END - 2;
	ck_assert_int_eq(RUN(0x8b, 0x03), CO_NEXT); /* mov eax, [ebx] */
	ck_assert_uint_eq(V->gpr[R_EAX], 0xffff1234);
	V->gpr[R_ECX] = 0xaabbccdd;
	ck_assert_int_eq(RUN(0x89, 0x0b), CO_NEXT); /* mov [ebx], ecx */
	uint16_t low;
	ck_assert_int_eq(ram_read(&M.ram, RAM_END - 2, &low, 2), 0);
	ck_assert_uint_eq(low, 0xccdd);
	/* add dword [ebx], 0x01010101: RAM half updated */
	ck_assert_int_eq(RUN(0x81, 0x03, 0x01, 0x01, 0x01, 0x01), CO_NEXT);
	ck_assert_int_eq(ram_read(&M.ram, RAM_END - 2, &low, 2), 0);
	ck_assert_uint_eq(low, 0xcdde);
}
END_TEST

/* PUSH at ESP=0 on a flat stack wraps to 0xFFFFFFFC; POP comes back. */
START_TEST(test_push_esp_zero)
{
	V->gpr[R_ESP] = 0;
	ck_assert_int_eq(RUN(0x68, 0x44, 0x33, 0x22, 0x11), CO_NEXT); /* push imm32 */
	ck_assert_uint_eq(V->gpr[R_ESP], 0xfffffffc);
	ck_assert_int_eq(RUN(0x58), CO_NEXT); /* pop eax */
	ck_assert_uint_eq(V->gpr[R_EAX], 0xffffffff);
	ck_assert_uint_eq(V->gpr[R_ESP], 0);
	ck_assert_int_eq(RUN(0x6a, 0xfe), CO_NEXT); /* push -2 (imm8) */
	ck_assert_uint_eq(V->gpr[R_ESP], 0xfffffffc);
	/* push dword [DATA]; pop dword [DATA+4] through RAM */
	V->gpr[R_ESP] = STACK0;
	wr32(DATA, 0xcafef00d);
	ck_assert_int_eq(RUN(0xff, 0x35, 0x00, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_uint_eq(rd32(STACK0 - 4), 0xcafef00d);
	ck_assert_int_eq(RUN(0x8f, 0x05, 0x04, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_uint_eq(rd32(DATA + 4), 0xcafef00d);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0);
	/* pop dword [esp]: the address uses ESP after the increment */
	wr32(STACK0 - 4, 0xbeef);
	V->gpr[R_ESP] = STACK0 - 4;
	ck_assert_int_eq(RUN(0x8f, 0x04, 0x24), CO_NEXT);
	ck_assert_uint_eq(rd32(STACK0), 0xbeef);
}
END_TEST

/* Writes, reads and read-modify-writes reach the device with its offsets. */
START_TEST(test_device_writes)
{
	V->gpr[R_EAX] = 0x11223344;
	ck_assert_int_eq(RUN(0xa3, 0x10, 0x00, 0xc0, 0xfe), CO_NEXT); /* mov [DEV+0x10], eax */
	ck_assert_uint_eq(tdev.writes, 1);
	ck_assert_uint_eq(tdev.last_off, 0x10);
	ck_assert_uint_eq(tdev.last_size, 4);
	ck_assert_uint_eq(tdev.last_val, 0x11223344);
	/* add word [DEV+0x10], 5 */
	ck_assert_int_eq(RUN(0x66, 0x83, 0x05, 0x10, 0x00, 0xc0, 0xfe, 0x05), CO_NEXT);
	ck_assert_uint_eq(tdev.last_size, 2);
	ck_assert_uint_eq(tdev.last_val, 0x3349);
	/* mov byte [DEV+0x20], 0xab */
	ck_assert_int_eq(RUN(0xc6, 0x05, 0x20, 0x00, 0xc0, 0xfe, 0xab), CO_NEXT);
	ck_assert_uint_eq(tdev.last_size, 1);
	ck_assert_uint_eq(tdev.last_off, 0x20);
	/* setnz byte [DEV+0x21] with ZF clear */
	V->eflags = EFL_FIXED;
	ck_assert_int_eq(RUN(0x0f, 0x95, 0x05, 0x21, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert_uint_eq(tdev.mem[0x21], 1);
	/* bts dword [DEV+0x30], ecx with ECX = 35: bit 3 of the next dword */
	V->gpr[R_ECX] = 35;
	ck_assert_int_eq(RUN(0x0f, 0xab, 0x0d, 0x30, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert_uint_eq(tdev.mem[0x34], 8);
	ck_assert_uint_eq(tdev.last_off, 0x34);
	/* bt with a negative offset: -1 is bit 31 of the dword below */
	V->gpr[R_ECX] = 0xffffffff;
	tdev.mem[0x2f] = 0x80;
	ck_assert_int_eq(RUN(0x0f, 0xa3, 0x0d, 0x30, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert(V->eflags & EFL_CF);
	/* xadd [DEV+0x40], ecx */
	tdev.mem[0x40] = 5;
	V->gpr[R_ECX] = 3;
	ck_assert_int_eq(RUN(0x0f, 0xc1, 0x0d, 0x40, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert_uint_eq(tdev.mem[0x40], 8);
	ck_assert_uint_eq(V->gpr[R_ECX], 5);
	/* cmpxchg8b [DEV+0x48]: equal -> ECX:EBX stored, ZF */
	memset(tdev.mem + 0x48, 0, 8);
	V->gpr[R_EAX] = 0;
	V->gpr[R_EDX] = 0;
	V->gpr[R_EBX] = 0x55667788;
	V->gpr[R_ECX] = 0x11223344;
	ck_assert_int_eq(RUN(0xf0, 0x0f, 0xc7, 0x0d, 0x48, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert(V->eflags & EFL_ZF);
	ck_assert_uint_eq(tdev.mem[0x48], 0x88);
	ck_assert_uint_eq(tdev.mem[0x4f], 0x11);
	/* again: not equal -> EDX:EAX loaded */
	ck_assert_int_eq(RUN(0xf0, 0x0f, 0xc7, 0x0d, 0x48, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert(!(V->eflags & EFL_ZF));
	ck_assert_uint_eq(V->gpr[R_EAX], 0x55667788);
	ck_assert_uint_eq(V->gpr[R_EDX], 0x11223344);
	/* rep stosb into the device (cpu_string_op through callout_exec) */
	V->gpr[R_EDI] = DEV + 0x100;
	V->gpr[R_ECX] = 16;
	V->gpr[R_EAX] = 0x77;
	ck_assert_int_eq(RUN(0xf3, 0xaa), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ECX], 0);
	ck_assert_uint_eq(tdev.mem[0x10f], 0x77);
}
END_TEST

/* CMPXCHG flags equal those of the host's CMPXCHG. */
START_TEST(test_cmpxchg_flags)
{
	static const uint32_t xs[] = {0, 1, 7, 0x80000000, 0xffffffff};

	for (unsigned i = 0; i < 5; i++)
		for (unsigned j = 0; j < 5; j++) {
			static uint32_t m;
			uint32_t acc = xs[i];
			uint64_t f = 0;

			m = xs[j];
			__asm__ volatile("lea -128(%%rsp), %%rsp\n\tcmpxchgl %[s], %[m]\n\t"
					 "pushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"
					 : [m] "+m"(m), "+a"(acc), [f] "=r"(f)
					 : [s] "r"(0x42u)
					 : "cc");
			wr32(DATA, xs[j]);
			V->gpr[R_EAX] = xs[i];
			V->gpr[R_ECX] = 0x42;
			V->gpr[R_EBX] = DATA;
			ck_assert_int_eq(RUN(0x0f, 0xb1, 0x0b), CO_NEXT);
			ck_assert_uint_eq(V->eflags & EFL_ARITH, f & EFL_ARITH);
			ck_assert_uint_eq(rd32(DATA), m);
			ck_assert_uint_eq(V->gpr[R_EAX], acc);
		}
}
END_TEST

/* Faults are precise: nothing changes, EIP stays, the device sees no
 * access when a check fails before it. */
START_TEST(test_faults)
{
	struct seg ro;

	/* DS read-only: add [DEV], eax -> #GP(0) before the read */
	cpu_desc_to_seg(make_desc(0, 0xfffff, 0x90, 0xc), SEL_RO0, &ro);
	V->seg[S_DS] = ro;
	V->gpr[R_EAX] = 1;
	ck_assert_int_eq(RUN(0x01, 0x05, 0x00, 0x00, 0xc0, 0xfe), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->eip, CODE);
	ck_assert_uint_eq(tdev.reads + tdev.writes, 0);
	/* but a load works */
	ck_assert_int_eq(RUN(0x8b, 0x05, 0x00, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert_uint_eq(tdev.reads, 1);
	fixture_teardown();
	setup();
	/* beyond a small segment's limit -> #GP(0) */
	V->seg[S_DS].limit = 0xfff;
	V->gpr[R_EAX] = 0x1234;
	ck_assert_int_eq(RUN(0x89, 0x05, 0xfe, 0x0f, 0x00, 0x00), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	/* push with ESP beyond a small SS -> #SS(0), ESP unchanged */
	V->seg[S_SS].limit = 0xfff;
	V->seg[S_SS].attr &= ~SEG_ATTR_G;
	V->gpr[R_ESP] = 0x2000;
	ck_assert_int_eq(RUN(0x50), CO_FAULT);
	expect_exc(EXC_SS, true, 0);
	ck_assert_uint_eq(V->gpr[R_ESP], 0x2000);
	/* div by zero from memory -> #DE */
	V->seg[S_SS].limit = 0xffffffff;
	V->seg[S_DS].limit = 0xffffffff;
	wr32(DATA, 0);
	V->gpr[R_EBX] = DATA;
	ck_assert_int_eq(RUN(0xf7, 0x33), CO_FAULT);
	expect_exc(EXC_DE, false, 0);
	/* div edx:eax = 10 by 3 */
	wr32(DATA, 3);
	V->gpr[R_EAX] = 10;
	V->gpr[R_EDX] = 0;
	ck_assert_int_eq(RUN(0xf7, 0x33), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_EAX], 3);
	ck_assert_uint_eq(V->gpr[R_EDX], 1);
}
END_TEST

/* With paging: a RMW to a read-only page under CR0.WP is #PF(P|W) with
 * CR2 and no device access (the page maps the device). */
START_TEST(test_page_fault_rmw)
{
	const uint32_t pd = 0x100000, pt = 0x101000;

	wr32(pd, 0 | PTE_P | PTE_RW | PTE_PS);
	wr32(pd + 4, pt | PTE_P | PTE_RW);
	wr32(pt + 0, DEV | PTE_P);		  /* 0x400000 -> device, read-only */
	wr32(pt + 4, (DEV + 0) | PTE_P | PTE_RW); /* 0x401000 -> device, writable */
	V->cr3 = pd;
	V->cr4 |= CR4_PSE;
	V->cr0 |= CR0_PG | CR0_WP;
	V->gpr[R_EBX] = 0x400010;
	ck_assert_int_eq(RUN(0xff, 0x03), CO_FAULT); /* inc dword [ebx] */
	expect_exc(EXC_PF, true, PFEC_P | PFEC_W);
	ck_assert_uint_eq(V->cr2, 0x400010);
	ck_assert_uint_eq(tdev.reads + tdev.writes, 0);
	V->gpr[R_EBX] = 0x401010;
	tdev.mem[0x10] = 41;
	ck_assert_int_eq(RUN(0xff, 0x03), CO_NEXT);
	ck_assert_uint_eq(tdev.mem[0x10], 42);
}
END_TEST

/* Near CALL/JMP through memory, RET. */
START_TEST(test_branches)
{
	wr32(DATA, 0x12345);
	V->gpr[R_ESP] = STACK0;
	ck_assert_int_eq(RUN(0xff, 0x15, 0x00, 0x00, 0x02, 0x00), CO_EXIT); /* call [DATA] */
	ck_assert_uint_eq(V->eip, 0x12345);
	ck_assert_uint_eq(rd32(STACK0 - 4), CODE + 6);
	ck_assert_int_eq(RUN(0xc3), CO_EXIT); /* ret */
	ck_assert_uint_eq(V->eip, CODE + 6);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0);
	ck_assert_int_eq(RUN(0xff, 0x25, 0x00, 0x00, 0x02, 0x00), CO_EXIT); /* jmp [DATA] */
	ck_assert_uint_eq(V->eip, 0x12345);
	/* a target from an unassigned address is beyond a small CS: #GP */
	V->seg[S_CS].limit = 0xfffff;
	ck_assert_int_eq(RUN(0xff, 0x25, 0x00, 0x00, 0x00, 0x40), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_uint_eq(V->eip, CODE);
}
END_TEST

/* x87 and SSE with memory operands. */
START_TEST(test_fpu_sse)
{
	const double d = 3.25;
	uint64_t bits, out;
	memcpy(&bits, &d, 8);
	wr64(DATA, bits);
	/* fld qword [DATA]; fstp qword [DATA+8] */
	ck_assert_int_eq(RUN(0xdd, 0x05, 0x00, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_int_eq(RUN(0xdd, 0x1d, 0x08, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_uint_eq(rd64(DATA + 8), bits);
	/* fld dword [NOWHERE] (all ones: a QNaN); fstp dword [DEV] */
	ck_assert_int_eq(RUN(0xd9, 0x05, 0x00, 0x00, 0x00, 0x40), CO_NEXT);
	ck_assert_int_eq(RUN(0xd9, 0x1d, 0x00, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert_uint_eq(tdev.last_size, 4);
	ck_assert_uint_eq(tdev.last_val, 0xffffffff);
	/* fild dword [DATA+16] = -7; fistp word [DATA+20] */
	wr32(DATA + 16, (uint32_t)-7);
	ck_assert_int_eq(RUN(0xdb, 0x05, 0x10, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_int_eq(RUN(0xdf, 0x1d, 0x14, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_uint_eq(rd32(DATA + 20) & 0xffff, 0xfff9);
	/* the x87 stack is empty again: TOP back to 0 */
	ck_assert_uint_eq((V->fxsave[3] >> 3) & 7, 0);
	/* fld + fstp to an address beyond the DS limit: #GP, the stack
	 * keeps the value (nothing committed) */
	ck_assert_int_eq(RUN(0xdd, 0x05, 0x00, 0x00, 0x02, 0x00), CO_NEXT);
	uint8_t before[512];
	memcpy(before, V->fxsave, 512);
	V->seg[S_DS].limit = 0xffff;
	ck_assert_int_eq(RUN(0xdd, 0x1d, 0x08, 0x00, 0x02, 0x00), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(memcmp(before, V->fxsave, 512), 0);
	V->seg[S_DS].limit = 0xffffffff;
	/* movups xmm3, [DATA+0x40]; movaps [DATA+0x61], xmm3 -> #GP;
	 * movaps [DATA+0x60], xmm3 */
	for (unsigned i = 0; i < 16; i++)
		wr8(DATA + 0x40 + i, (uint8_t)(0xa0 + i));
	ck_assert_int_eq(RUN(0x0f, 0x10, 0x1d, 0x40, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_uint_eq(V->fxsave[160 + 3 * 16 + 15], 0xaf);
	ck_assert_int_eq(RUN(0x0f, 0x29, 0x1d, 0x61, 0x00, 0x02, 0x00), CO_FAULT);
	expect_exc(EXC_GP, true, 0);
	ck_assert_int_eq(RUN(0x0f, 0x29, 0x1d, 0x60, 0x00, 0x02, 0x00), CO_NEXT);
	ck_assert_uint_eq(rd64(DATA + 0x68), rd64(DATA + 0x48));
	/* movd xmm2, [DEV]: zero-extended; movq [DATA+0x80], xmm2 */
	memset(tdev.mem, 0x11, 4);
	ck_assert_int_eq(RUN(0x66, 0x0f, 0x6e, 0x15, 0x00, 0x00, 0xc0, 0xfe), CO_NEXT);
	ck_assert_int_eq(RUN(0x66, 0x0f, 0xd6, 0x15, 0x80, 0x00, 0x02, 0x00), CO_NEXT);
	out = rd64(DATA + 0x80);
	ck_assert_uint_eq(out, 0x11111111);
	/* SSE without CR4.OSFXSR: #UD */
	V->cr4 &= ~CR4_OSFXSR;
	ck_assert_int_eq(RUN(0x0f, 0x10, 0x1d, 0x40, 0x00, 0x02, 0x00), CO_FAULT);
	expect_exc(EXC_UD, false, 0);
	/* x87 with CR0.TS: #NM (through callout_exec) */
	V->cr0 |= CR0_TS;
	ck_assert_int_eq(RUN(0xdd, 0x05, 0x00, 0x00, 0x02, 0x00), CO_FAULT);
	expect_exc(EXC_NM, false, 0);
}
END_TEST

/* An instruction the emulator does not handle ends the run with one
 * line naming it; nothing changes. */
START_TEST(test_refusal)
{
	/* paddb xmm0, [DATA] */
	ck_assert_int_eq(RUN(0x66, 0x0f, 0xfc, 0x05, 0x00, 0x00, 0x02, 0x00), CO_EXIT);
	ck_assert_int_eq(M.exit.reason, EXIT_ENGINE_ERROR);
	ck_assert_int_eq(M.exit.status, EXIT_STATUS_ENGINE);
	ck_assert_ptr_nonnull(strstr(M.exit.message, "paddb"));
	ck_assert_uint_eq(V->eip, CODE);
	M.exit.reason = EXIT_NONE;
	ck_assert_int_eq(emu_mmio(V, 0x4000008), CO_EXIT);
	ck_assert_ptr_nonnull(strstr(M.exit.message, "0x4000008"));
}
END_TEST

/* A 16-bit code segment: operand and address sizes flip. */
START_TEST(test_code16)
{
	V->seg[S_CS].attr &= ~SEG_ATTR_DB;
	V->seg[S_CS].base = CODE;
	V->gpr[R_EBX] = 0x12340010; /* only BX counts in a 16-bit address */
	V->gpr[R_EAX] = 0xaaaa5555;
	wr8(CODE + 0xfffe, 0x89); /* mov [bx], ax at IP 0xfffe: IP wraps */
	wr8(CODE + 0xffff, 0x07);
	V->eip = 0xfffe;
	ck_assert_int_eq(emu_step(V), CO_NEXT);
	ck_assert_uint_eq(rd32(0x10) & 0xffff, 0x5555);
	ck_assert_uint_eq(rd32(0x12) & 0xffff, 0);
	ck_assert_uint_eq(V->eip, 0);
	/* push word [bx] (66-less 16-bit push): 2 bytes */
	V->gpr[R_ESP] = STACK0;
	wr8(CODE, 0xff);
	wr8(CODE + 1, 0x37);
	ck_assert_int_eq(emu_step(V), CO_NEXT);
	ck_assert_uint_eq(V->gpr[R_ESP], STACK0 - 2);
	ck_assert_uint_eq(rd32(STACK0 - 2) & 0xffff, 0x5555);
}
END_TEST

static Suite *emulate_suite(void)
{
	Suite *s = suite_create("emulate");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, fixture_teardown);
	tcase_add_test(tc, test_alu_ram);
	tcase_add_test(tc, test_alu_mmio_device);
	tcase_add_test(tc, test_unary_and_shifts);
	tcase_add_test(tc, test_unassigned);
	tcase_add_test(tc, test_straddle_end_of_ram);
	tcase_add_test(tc, test_push_esp_zero);
	tcase_add_test(tc, test_device_writes);
	tcase_add_test(tc, test_cmpxchg_flags);
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_page_fault_rmw);
	tcase_add_test(tc, test_branches);
	tcase_add_test(tc, test_fpu_sse);
	tcase_add_test(tc, test_refusal);
	tcase_add_test(tc, test_code16);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(emulate_suite());
}
