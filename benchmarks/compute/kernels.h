/*
 * kernels.h - the compute benchmarks, freestanding C shared by the native
 * 32-bit Linux build and the multiboot guest build.
 *
 * Each kernel runs a fixed amount of work and returns a checksum; the
 * native and guest runs must print the same checksum, so a benchmark that
 * computes the wrong thing fails instead of looking fast.
 */
#ifndef BENCH_KERNELS_H
#define BENCH_KERNELS_H

#include <stdint.h>

struct bench_kernel {
	const char *name;
	uint32_t (*run)(void);
};

extern const struct bench_kernel bench_kernels[];
extern const unsigned bench_nr_kernels;

/* Freestanding helpers the kernels use (no libc in the guest). */
void *bench_memcpy(void *dst, const void *src, uint32_t n);
void *bench_memset(void *dst, int c, uint32_t n);
uint32_t bench_strlen(const char *s);

#endif
