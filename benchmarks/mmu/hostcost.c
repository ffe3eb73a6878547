/*
 * hostcost.c - what a shadow fill costs the host at least: a SIGSEGV on a
 * PROT_NONE page whose handler maps a page of a memfd there (the same
 * system calls bt86's fill makes, without the guest page walk), and a bare
 * mmap of such a page.  Prints "sigsegv+mmap NS" and "mmap NS" (per page,
 * best of 5 rounds of 2048 pages).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGES 2048

static uint8_t *win;
static int memfd;

/* on_segv: map the memfd page under the faulting address. */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	uintptr_t off = ((uintptr_t)si->si_addr - (uintptr_t)win) & ~(uintptr_t)4095;

	(void)sig;
	(void)uc;
	if (mmap(win + off, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, memfd, (off_t)off) ==
	    MAP_FAILED)
		abort();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* reset: the whole window PROT_NONE again. */
static void reset(void)
{
	if (mmap(win, PAGES * 4096, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		abort();
}

int main(void)
{
	struct sigaction sa;
	double fault = 1e30, map = 1e30;
	volatile unsigned sum = 0;

	memfd = memfd_create("hostcost", 0);
	if (memfd < 0 || ftruncate(memfd, PAGES * 4096) < 0) {
		perror("hostcost: memfd");
		return 1;
	}
	win =
	    mmap(NULL, PAGES * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (win == MAP_FAILED) {
		perror("hostcost: mmap");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	for (int r = 0; r < 5; r++) {
		reset();
		double t0 = now_ns();
		for (unsigned i = 0; i < PAGES; i++)
			sum += win[i * 4096u];
		double t1 = now_ns();
		reset();
		for (unsigned i = 0; i < PAGES; i++)
			if (mmap(win + i * 4096u, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, memfd,
				 (off_t)i * 4096) == MAP_FAILED)
				abort();
		double t2 = now_ns();
		fault = (t1 - t0) / PAGES < fault ? (t1 - t0) / PAGES : fault;
		map = (t2 - t1) / PAGES < map ? (t2 - t1) / PAGES : map;
	}
	printf("sigsegv+mmap %.0f\nmmap %.0f\n", fault, map);
	return 0;
}
