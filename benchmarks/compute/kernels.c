/* kernels.c - six compute kernels (see kernels.h). */
#include "kernels.h"

#define BUF_SIZE (256 * 1024)
static uint8_t buf_a[BUF_SIZE] __attribute__((aligned(64)));
static uint8_t buf_b[BUF_SIZE] __attribute__((aligned(64)));

/* lcg: a small deterministic pseudo-random generator. */
static uint32_t lcg_state;
static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return lcg_state;
}

/* rep movsb/stosb based helpers: string instructions are part of the mix. */
void *bench_memcpy(void *dst, const void *src, uint32_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *bench_memset(void *dst, int c, uint32_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

uint32_t bench_strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return (uint32_t)(p - s);
}

/* crc32: table-driven CRC-32 (polynomial 0xEDB88320) over 256 KiB, 1200 times. */
static uint32_t kernel_crc32(void)
{
	static uint32_t table[256];
	uint32_t crc = 0;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	lcg_state = 1;
	for (uint32_t i = 0; i < BUF_SIZE; i++)
		buf_a[i] = (uint8_t)(lcg() >> 24);
	for (int rep = 0; rep < 1200; rep++) {
		uint32_t c = ~crc;
		for (uint32_t i = 0; i < BUF_SIZE; i++)
			c = table[(c ^ buf_a[i]) & 0xff] ^ (c >> 8);
		crc = ~c;
	}
	return crc;
}

/* sieve: primes below 2^21 with a byte-per-number sieve, 100 times. */
static uint32_t kernel_sieve(void)
{
	static uint8_t composite[1u << 21];
	const uint32_t n = sizeof(composite);
	uint32_t count = 0;

	for (int rep = 0; rep < 100; rep++) {
		bench_memset(composite, 0, n);
		count = 0;
		for (uint32_t i = 2; i < n; i++) {
			if (composite[i])
				continue;
			count++;
			for (uint32_t j = i * 2; j < n; j += i)
				composite[j] = 1;
		}
	}
	return count;
}

/* matmul: 200x200 integer matrix product, 300 times, each depending on the last. */
#define MAT_N 200
static uint32_t kernel_matmul(void)
{
	static int32_t a[MAT_N][MAT_N], b[MAT_N][MAT_N], c[MAT_N][MAT_N];
	uint32_t sum = 0;

	lcg_state = 7;
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			a[i][j] = (int32_t)(lcg() >> 20) - 2048;
			b[i][j] = (int32_t)(lcg() >> 20) - 2048;
		}
	for (int rep = 0; rep < 300; rep++) {
		for (int i = 0; i < MAT_N; i++)
			for (int j = 0; j < MAT_N; j++) {
				int32_t s = 0;
				for (int k = 0; k < MAT_N; k++)
					s += a[i][k] * b[k][j];
				c[i][j] = s;
			}
		for (int i = 0; i < MAT_N; i++)
			a[i][(i + rep) % MAT_N] ^= c[(i * 7 + rep) % MAT_N][i] & 0xff;
	}
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++)
			sum = sum * 31 + (uint32_t)c[i][j];
	return sum;
}

/* qsort_rec: Hoare-partition quicksort with insertion sort for short runs. */
static void qsort_rec(int32_t *v, int lo, int hi)
{
	while (hi - lo > 16) {
		int32_t pivot = v[lo + (hi - lo) / 2];
		int i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				int32_t t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (j - lo < hi - i) {
			qsort_rec(v, lo, j);
			lo = i;
		} else {
			qsort_rec(v, i, hi);
			hi = j;
		}
	}
	for (int i = lo + 1; i <= hi; i++) {
		int32_t x = v[i];
		int k = i - 1;
		while (k >= lo && v[k] > x) {
			v[k + 1] = v[k];
			k--;
		}
		v[k + 1] = x;
	}
}

/* quicksort: sort 64 Ki random integers, 200 times. */
static uint32_t kernel_quicksort(void)
{
	int32_t *v = (int32_t *)buf_a;
	const int n = BUF_SIZE / 4;
	uint32_t sum = 0;

	lcg_state = 42;
	for (int rep = 0; rep < 200; rep++) {
		for (int i = 0; i < n; i++)
			v[i] = (int32_t)lcg();
		qsort_rec(v, 0, n - 1);
		for (int i = 0; i < n; i += 97)
			sum = sum * 33 + (uint32_t)v[i];
	}
	return sum;
}

/* A bytecode interpreter with an indirect jump table (computed goto). */
enum {
	OP_PUSH,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DUP,
	OP_SWAP,
	OP_JNZ,
	OP_DEC,
	OP_POP,
	OP_XOR,
	OP_HALT,
	OP_LOAD,
	OP_STORE
};

static uint32_t interp(const uint8_t *code, uint32_t *mem)
{
	static const void *ops[] = {&&push, &&add, &&sub, &&mul,  &&dup,  &&swap, &&jnz,
				    &&dec,  &&pop, &&xor, &&halt, &&load, &&store};
	uint32_t stack[64], *sp = stack;
	const uint8_t *pc = code;

#define NEXT goto *ops[*pc++]
	NEXT;
push:
	*sp++ = pc[0] | (uint32_t)pc[1] << 8;
	pc += 2;
	NEXT;
add:
	sp--;
	sp[-1] += sp[0];
	NEXT;
sub:
	sp--;
	sp[-1] -= sp[0];
	NEXT;
mul:
	sp--;
	sp[-1] *= sp[0];
	NEXT;
dup:
	sp[0] = sp[-1];
	sp++;
	NEXT;
swap : {
	uint32_t t = sp[-1];
	sp[-1] = sp[-2];
	sp[-2] = t;
}
	NEXT;
jnz:
	sp--;
	if (sp[0])
		pc = code + pc[0];
	else
		pc++;
	NEXT;
dec:
	sp[-1]--;
	NEXT;
pop:
	sp--;
	NEXT;
	xor : sp--;
	sp[-1] ^= sp[0];
	NEXT;
load:
	*sp++ = mem[*pc++];
	NEXT;
store:
	mem[*pc++] = *--sp;
	NEXT;
halt:
	return mem[0];
#undef NEXT
}

/* bytecode: an accumulator loop of 1.5 M iterations, 48 times, in the interpreter. */
static uint32_t kernel_bytecode(void)
{
	/* mem[0] = acc, mem[1] = counter.
	 * loop: acc = (acc * 33) ^ counter; counter--; while counter != 0 */
	static const uint8_t prog[] = {
	    OP_PUSH, 0x01,     0x00,	OP_STORE, 0,		    /* 0: acc = 1 */
	    OP_PUSH, 0x00,     0x60,	OP_PUSH,  0x40,	    0x00,   /* 5: 0x6000 * 0x40 */
	    OP_MUL,  OP_STORE, 1,				    /* 11: counter */
	    OP_LOAD, 0,	       OP_PUSH, 33,	  0,	    OP_MUL, /* 14: acc*33 */
	    OP_LOAD, 1,	       OP_XOR,	OP_STORE, 0,		    /* 20: ^counter -> acc */
	    OP_LOAD, 1,	       OP_DEC,	OP_DUP,	  OP_STORE, 1,	    /* 25: counter-- */
	    OP_JNZ,  14,					    /* 31: loop */
	    OP_HALT,
	};
	uint32_t mem[4] = {0};
	uint32_t r = 0;

	for (int rep = 0; rep < 48; rep++)
		r += interp(prog, mem);
	return r;
}

/* strings: memcpy/strlen/compare-heavy text processing. */
static uint32_t kernel_strings(void)
{
	char *text = (char *)buf_a, *copy = (char *)buf_b;
	const uint32_t len = BUF_SIZE - 1;
	uint32_t sum = 0;

	lcg_state = 99;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t r = lcg() >> 24;
		text[i] = r < 40 ? ' ' : (char)('a' + r % 26);
	}
	text[len] = 0;
	for (int rep = 0; rep < 2000; rep++) {
		bench_memcpy(copy, text + rep, len - rep);
		copy[len - rep] = 0;
		sum += bench_strlen(copy);
		/* count words and a rolling hash of word lengths */
		uint32_t words = 0, wl = 0, h = 0;
		for (const char *p = copy; *p; p++) {
			if (*p == ' ') {
				if (wl)
					words++, h = h * 131 + wl;
				wl = 0;
			} else {
				wl++;
			}
		}
		sum += words ^ h;
		bench_memcpy(text + 1, copy, 4096);
	}
	return sum;
}

/* null: no work; its run time is the engine's start-up cost, which the
 * runner subtracts. */
static uint32_t kernel_null(void)
{
	return 0;
}

const struct bench_kernel bench_kernels[] = {
    {"null", kernel_null},	 {"crc32", kernel_crc32},	  {"sieve", kernel_sieve},
    {"matmul", kernel_matmul},	 {"quicksort", kernel_quicksort}, {"bytecode", kernel_bytecode},
    {"strings", kernel_strings},
};
const unsigned bench_nr_kernels = sizeof(bench_kernels) / sizeof(bench_kernels[0]);
