/* native_main.c - run one compute kernel as a 32-bit Linux program:
 * `compute-native NAME` prints "NAME checksum". */
#include "kernels.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	for (unsigned i = 0; argc == 2 && i < bench_nr_kernels; i++) {
		if (strcmp(argv[1], bench_kernels[i].name))
			continue;
		printf("%s %08x\n", bench_kernels[i].name, bench_kernels[i].run());
		return 0;
	}
	fprintf(stderr,
		"usage: compute-native NAME (crc32 sieve matmul quicksort bytecode strings)\n");
	return 2;
}
