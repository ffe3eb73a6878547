/*
 * Undefined and invalid encodings: each must raise #UD (or #GP(0) for an
 * instruction longer than 15 bytes) with EIP at its first byte, and the
 * guest must go on. The host running the translator has AVX, AVX-512 and
 * more; the guest CPU must not let any of them through: VEX (C4/C5) and
 * EVEX (62) forms are #UD while CR4.OSXSAVE is 0, SSE is #UD while
 * CR4.OSFXSR is 0, and an instruction that CPUID does not report is #UD.
 */
#include "rt.h"

/* Runs LEN bytes at CODE (copied to a buffer that ends in a ret) and
 * returns the vector they raised, NO_FAULT if none; *off gets the EIP of
 * the fault as an offset into the buffer. EAX points at scratch memory. */
static uint8_t code_buf[64] __attribute__((aligned(64)));
static uint32_t scratch[4];
static uint32_t run_bytes(const uint8_t *code, unsigned len, uint32_t *off)
{
	uint32_t eax = (uint32_t)scratch;	  /* where [eax] forms would write */
	memset(code_buf, 0xc3, sizeof(code_buf)); /* ret */
	memcpy(code_buf, code, len);
	RT_CATCH("call *%1", : "+a"(eax) : "r"(code_buf) : "ecx", "edx", "memory", "cc");
	if (rt_fault.vector != NO_FAULT)
		asm volatile("addl $4, %%esp" ::: "memory"); /* the call's return address */
	*off = rt_fault.eip - (uint32_t)code_buf;
	return rt_fault.vector;
}

/* Checks that BYTES raise VECTOR (error code 0) at their first byte. */
static void expect(const char *desc, uint32_t vector, const uint8_t *code, unsigned len)
{
	uint32_t off;
	uint32_t got = run_bytes(code, len, &off);
	int good = got == vector && rt_fault.err == 0 && (got == NO_FAULT || off == 0);
	if (tap_ok(good, "%s", desc))
		return;
	if (got == NO_FAULT)
		tap_diag("  no exception, expected vector %u", vector);
	else
		tap_diag("  got vector %u error 0x%x at offset %u, expected vector %u at 0", got,
			 rt_fault.err, off, vector);
}

#define EXPECT(desc, vector, ...)                                                                  \
	do {                                                                                       \
		static const uint8_t b_[] = {__VA_ARGS__};                                         \
		expect(desc, vector, b_, sizeof(b_));                                              \
	} while (0)

/* Reserved opcodes and register forms of memory-only instructions. */
static void test_reserved(void)
{
	EXPECT("ud2 (0F 0B): #UD", VEC_UD, 0x0f, 0x0b);
	EXPECT("ud0 (0F FF): #UD", VEC_UD, 0x0f, 0xff, 0xc0);
	EXPECT("ud1 (0F B9): #UD", VEC_UD, 0x0f, 0xb9, 0xc0);
	EXPECT("FF /7: #UD", VEC_UD, 0xff, 0xff);
	EXPECT("FE /7: #UD", VEC_UD, 0xfe, 0xf8);
	EXPECT("mov cs, ax (8E C8): #UD", VEC_UD, 0x8e, 0xc8);
	EXPECT("mov to segment register 6 (8E F0): #UD", VEC_UD, 0x8e, 0xf0);
	EXPECT("mov from segment register 7 (8C F8): #UD", VEC_UD, 0x8c, 0xf8);
	EXPECT("lea with a register operand (8D C0): #UD", VEC_UD, 0x8d, 0xc0);
	EXPECT("cmpxchg8b with a register operand: #UD", VEC_UD, 0x0f, 0xc7, 0xc8);
	EXPECT("mov to cr1: #UD", VEC_UD, 0x0f, 0x22, 0xc8);
	EXPECT("mov from cr5: #UD", VEC_UD, 0x0f, 0x20, 0xe8);
	EXPECT("swapgs (64-bit only): #UD", VEC_UD, 0x0f, 0x01, 0xf8);
}

/* LOCK may only prefix a read-modify-write with a memory destination. */
static void test_lock(void)
{
	static uint32_t word;
	EXPECT("lock nop (F0 90): #UD", VEC_UD, 0xf0, 0x90);
	EXPECT("lock add reg, reg (F0 01 C0): #UD", VEC_UD, 0xf0, 0x01, 0xc0);
	/* not tested: LOCK MOV [mem], reg is #UD on a real CPU, QEMU 7.2 runs it */
	EXPECT("lock inc eax (F0 40): #UD", VEC_UD, 0xf0, 0x40);
	word = 41;
	RT_CATCH("lock incl %0", : "+m"(word) : : "memory", "cc");
	tap_nofault("lock inc [mem] is allowed");
	tap_eq("lock inc [mem] incremented", word, 42);
}

/* VEX, EVEX and SSE encodings with the OS-support bits off. */
static void test_extensions(void)
{
	write_cr4(read_cr4() & ~CR4_OSFXSR);
	EXPECT("C4 C0 (LES reg form / VEX map 0): #UD", VEC_UD, 0xc4, 0xc0, 0x78, 0x58, 0xc0);
	EXPECT("vaddps (C5 F8 58 C0) with CR4.OSXSAVE=0: #UD", VEC_UD, 0xc5, 0xf8, 0x58, 0xc0);
	EXPECT("vpbroadcastd (C4 E2 79 58 C0): #UD", VEC_UD, 0xc4, 0xe2, 0x79, 0x58, 0xc0);
	EXPECT("62 C0 (BOUND reg form / EVEX): #UD", VEC_UD, 0x62, 0xc0, 0x7c, 0x48, 0x58, 0xc0);
	EXPECT("addps with CR4.OSFXSR=0: #UD", VEC_UD, 0x0f, 0x58, 0xc0);
	EXPECT("paddd xmm with CR4.OSFXSR=0: #UD", VEC_UD, 0x66, 0x0f, 0xfe, 0xc0);
}

/* Instructions the guest CPU may lack: #UD exactly when CPUID says so. */
static void test_cpuid_gated(void)
{
	uint32_t r[4], ext = 0;
	uint32_t off;
	cpuid(0x80000000, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, r);
		ext = r[3];
	}
	cpuid(1, r);
	static const uint8_t rdtscp[] = {0x0f, 0x01, 0xf9};
	uint32_t v = run_bytes(rdtscp, sizeof(rdtscp), &off);
	tap_ok(v == ((ext & (1u << 27)) ? NO_FAULT : VEC_UD), "rdtscp: #UD unless CPUID has it");
	static const uint8_t popcnt[] = {0xf3, 0x0f, 0xb8, 0xc0};
	v = run_bytes(popcnt, sizeof(popcnt), &off);
	tap_ok(v == ((r[2] & (1u << 23)) ? NO_FAULT : VEC_UD), "popcnt: #UD unless CPUID has it");
	static const uint8_t movbe[] = {0x0f, 0x38, 0xf0, 0x04, 0x24};
	v = run_bytes(movbe, sizeof(movbe), &off);
	tap_ok(v == ((r[2] & (1u << 22)) ? NO_FAULT : VEC_UD), "movbe: #UD unless CPUID has it");
}

/* Checks that the last run_bytes raised #GP(0) at offset OFF 0. */
static void check_gp0(const char *desc, uint32_t v, uint32_t off)
{
	if (tap_ok(v == VEC_GP && rt_fault.err == 0 && off == 0, "%s", desc))
		return;
	if (v == NO_FAULT)
		tap_diag("  no exception, expected #GP(0)");
	else
		tap_diag("  got vector %u error 0x%x at offset %u, expected #GP(0) at 0", v,
			 rt_fault.err, off);
}

/* 15 bytes is the longest legal instruction; one more prefix is #GP(0). */
static void test_length(void)
{
	uint8_t b[17];
	uint32_t off;
	memset(b, 0x66, sizeof(b));
	b[14] = 0x90;
	uint32_t v = run_bytes(b, 15, &off);
	tap_ok(v == NO_FAULT, "14 prefixes + nop (15 bytes) runs");
	b[14] = 0x66;
	b[15] = 0x90;
	v = run_bytes(b, 16, &off);
	check_gp0("15 prefixes + nop (16 bytes): #GP(0) at the first prefix", v, off);
	memset(b, 0x3e, sizeof(b));
	b[16] = 0x90;
	v = run_bytes(b, 17, &off);
	check_gp0("16 DS prefixes + nop: #GP(0)", v, off);
	memset(b, 0x26, 12);
	b[12] = 0x05; /* add eax, imm32: 12 + 5 = 17 bytes */
	memset(b + 13, 0, 4);
	v = run_bytes(b, 17, &off);
	check_gp0("12 prefixes + add eax, imm32 (17 bytes): #GP(0)", v, off);
}

void test_main(void)
{
	tap_plan(13 + 5 + 6 + 3 + 4);
	test_reserved();
	test_lock();
	test_extensions();
	test_cpuid_gated();
	test_length();
}
