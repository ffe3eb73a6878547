/*
 * x87 and SSE state across interrupts: long loops keep values in x87 and
 * XMM registers while PIT interrupts arrive; the handler saves the state
 * with FXSAVE, computes with x87 and SSE itself (clobbering every register
 * and the control words), and restores it with FXRSTOR. The loops must end
 * with exact results.
 */
#include "rt.h"

#define TICKS 20

static uint8_t fxarea[512] __attribute__((aligned(16)));
static volatile uint32_t handler_bad, handler_runs;

/* SSE code generation only where the asm names XMM registers; the file
 * is otherwise built without SSE like every guest. */
#define SSE_FN __attribute__((target("sse2")))

/* x87 and SSE work inside the timer handler. */
static SSE_FN void tick_hook(struct rt_frame *f)
{
	static const double three = 3.0;
	static const float junk[4] = {-1.5f, 2.5f, 1e30f, -7.0f};
	uint32_t x87_int = 0, sse_int = 0;
	rt_ticks++;
	handler_runs++;
	asm volatile("fxsave %0" : "=m"(fxarea));
	asm volatile("fninit\n\t"
		     "fldl %1\n\tfmul %%st(0), %%st(0)\n\tfistpl %0"
		     : "=m"(x87_int)
		     : "m"(three)
		     : "memory");
	asm volatile("movups %1, %%xmm0\n\tmovaps %%xmm0, %%xmm1\n\t"
		     "movaps %%xmm0, %%xmm2\n\tmovaps %%xmm0, %%xmm3\n\t"
		     "movaps %%xmm0, %%xmm4\n\tmovaps %%xmm0, %%xmm5\n\t"
		     "movaps %%xmm0, %%xmm6\n\tmovaps %%xmm0, %%xmm7\n\t"
		     "movsd %2, %%xmm0\n\tmulsd %%xmm0, %%xmm0\n\tcvttsd2si %%xmm0, %%eax\n\t"
		     "movl %%eax, %0\n\t"
		     "ldmxcsr %3"
		     : "=m"(sse_int)
		     : "m"(junk), "m"(three), "m"((uint32_t){0x7f80 | 0x6000})
		     : "eax", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		       "memory");
	asm volatile("fldpi\n\tfldpi\n\tfldpi\n\tfldpi\n\tfldpi\n\tfldpi\n\tfldpi\n\tfldpi\n\t"
		     "fldcw %0" ::"m"((uint16_t){0x0c7f})
		     : "memory");
	if (x87_int != 9 || sse_int != 9)
		handler_bad++;
	asm volatile("fxrstor %0" : : "m"(fxarea) : "memory");
}

static void enable_sse(void)
{
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

/* x87: st0 += st1 (1.0) until TICKS interrupts passed; returns st0 and the
 * iteration count. The control word is set to round-down first. */
static void x87_loop(uint32_t *acc, uint32_t *iters, uint16_t *cw_after)
{
	uint32_t start = rt_ticks, n = 0;
	int32_t a = 0;
	uint16_t cw = 0x077f; /* round toward -inf, all masked, extended precision */
	asm volatile("fninit\n\tfldcw %[cw]\n\t"
		     "fld1\n\tfldz\n"
		     "1:\tfadd %%st(1), %%st(0)\n\t"
		     "incl %[n]\n\t"
		     "movl rt_ticks, %%eax\n\tsubl %[start], %%eax\n\tcmpl %[t], %%eax\n\t"
		     "jb 1b\n\t"
		     "fistpl %[a]\n\tfstp %%st(0)\n\tfnstcw %[cwa]"
		     : [n] "+r"(n), [a] "=m"(a), [cwa] "=m"(*cw_after)
		     : [cw] "m"(cw), [start] "r"(start), [t] "i"(TICKS)
		     : "eax", "memory", "cc");
	*acc = (uint32_t)a;
	*iters = n;
}

/* SSE2: xmm0 += (1.0, 2.0) per iteration until TICKS interrupts passed. */
static SSE_FN void sse_loop(uint32_t *lo, uint32_t *hi, uint32_t *iters, uint32_t *mxcsr_after)
{
	static const double inc[2] __attribute__((aligned(16))) = {1.0, 2.0};
	uint32_t start = rt_ticks, n = 0, mx = 0x1f80 | 0x2000; /* round down */
	asm volatile("ldmxcsr %[mx]\n\t"
		     "xorpd %%xmm0, %%xmm0\n\tmovapd %[inc], %%xmm1\n"
		     "1:\taddpd %%xmm1, %%xmm0\n\t"
		     "incl %[n]\n\t"
		     "movl rt_ticks, %%eax\n\tsubl %[start], %%eax\n\tcmpl %[t], %%eax\n\t"
		     "jb 1b\n\t"
		     "cvttsd2si %%xmm0, %%eax\n\tmovl %%eax, %[lo]\n\t"
		     "unpckhpd %%xmm0, %%xmm0\n\tcvttsd2si %%xmm0, %%eax\n\tmovl %%eax, %[hi]\n\t"
		     "stmxcsr %[mxa]"
		     : [n] "+r"(n), [lo] "=m"(*lo), [hi] "=m"(*hi), [mxa] "=m"(*mxcsr_after)
		     : [inc] "m"(inc), [mx] "m"(mx), [start] "r"(start), [t] "i"(TICKS)
		     : "eax", "xmm0", "xmm1", "memory", "cc");
	*iters = n;
}

void test_main(void)
{
	uint32_t r[4], acc, n, lo, hi, mx;
	uint16_t cw;
	tap_plan(9);
	cpuid(1, r);
	tap_ok((r[3] & (1u << 24)) && (r[3] & (1u << 26)), "FXSR and SSE2 present");
	enable_sse();
	rt_irq_set(0, tick_hook);
	pit_set_rate(1000);
	pic_unmask(0);
	sti();

	x87_loop(&acc, &n, &cw);
	tap_ok(n > 0 && acc == n, "x87 accumulator matches the iteration count");
	tap_eq("x87 control word survived the interrupts", cw, 0x077f);
	sse_loop(&lo, &hi, &n, &mx);
	tap_ok(n > 0 && lo == n, "SSE lane 0 matches the iteration count");
	tap_eq("SSE lane 1 is twice the count", hi, 2 * n);
	tap_eq("MXCSR survived the interrupts", mx & 0xffc0, 0x3f80);

	cli();
	pic_mask(0);
	rt_irq_set(0, NULL);
	tap_ok(handler_runs >= 2 * TICKS, "the handler ran during both loops");
	tap_eq("x87 and SSE results inside the handler", handler_bad, 0);
	uint16_t fcw;
	asm volatile("fnstcw %0" : "=m"(fcw));
	tap_eq("control word as the loop left it", fcw, 0x077f);
}
