/*
 * Self-modifying code: patching an immediate two instructions ahead in the
 * running block, patching an opcode, a loop that rewrites its own first
 * instruction, REP MOVSB over upcoming code, and code written into a buffer
 * then run, rewritten and run again.
 */
#include "rt.h"

extern uint32_t smc_ahead(uint32_t v);
extern uint32_t smc_loop(void);
extern uint32_t smc_opcode(void);
extern uint32_t smc_rep(void);

static uint8_t page[2 * 4096] __attribute__((aligned(4096)));

/* Writes "mov $v,%eax; ret" at OFF in the buffer; returns its address. */
static uint32_t (*emit_const(unsigned off, uint32_t v))(void)
{
	uint8_t *p = page + off;
	p[0] = 0xb8;
	memcpy(p + 1, &v, 4);
	p[5] = 0xc3;
	return (uint32_t(*)(void))p;
}

static void test_patch(void)
{
	tap_eq("immediate patched two instructions ahead is used", smc_ahead(0x22), 0x22);
	int good = 1;
	for (uint32_t i = 0; i < 50; i++)
		good &= smc_ahead(i * 0x01010101u) == i * 0x01010101u;
	tap_ok(good, "patched again on every call (50 values)");
	tap_eq("loop rewriting its own first instruction", smc_loop(), 54);
	tap_eq("loop runs again from its reset state", smc_loop(), 54);
	tap_eq("opcode INC turned into DEC ahead", smc_opcode(), 0xffffffff);
	tap_eq("REP MOVSB over the next instruction", smc_rep(), 0x77);
}

static void test_buffer(void)
{
	uint32_t (*f)(void) = emit_const(0, 0x1234);
	tap_eq("code written to a page runs", f(), 0x1234);
	f = emit_const(0, 0x5678);
	tap_eq("rewritten code runs the new version", f(), 0x5678);
	int good = 1;
	for (uint32_t i = 0; i < 200; i++) {
		f = emit_const((i * 52) % (sizeof(page) - 8), i ^ 0xa5a5);
		good &= f() == (i ^ 0xa5a5);
	}
	tap_ok(good, "200 rewrites at moving offsets, each run once");

	/* A function spanning the page boundary, patched on the second page. */
	uint8_t *p = page + 4096 - 3;
	static const uint8_t body[] = {0x31, 0xc0, 0x05, 0x01, 0x00, 0x00, 0x00, 0xc3};
	memcpy(p, body, sizeof(body)); /* xor eax,eax; add $1,eax; ret */
	uint32_t (*g)(void) = (uint32_t(*)(void))p;
	uint32_t a = g();
	p[3] = 0x10; /* the immediate's low byte, on the next page */
	uint32_t b = g();
	tap_ok(a == 1 && b == 0x10, "code across a page boundary, patched on the second page");
}

void test_main(void)
{
	tap_plan(10);
	test_patch();
	test_buffer();
}
