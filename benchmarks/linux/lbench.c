/*
 * lbench.c - the guest side of `make bench-linux`: a static i386 program
 * in the Linux guest's initramfs that times one kind of work on the
 * guest's monotonic clock and prints "LB NAME COUNT SECONDS":
 *
 *   lbench forkexec N   N x (fork, execve /bin/true, wait)
 *   lbench pipe N       N round trips of one byte between two processes
 *                       over two pipes (each a pair of context switches)
 *   lbench yield N      two processes that sched_yield N times each on one
 *                       CPU: 2N context switches without I/O
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* now: CLOCK_MONOTONIC in seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* die: one line on stderr, exit 1. */
static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* bench_forkexec: fork, exec /bin/true, wait, n times. */
static void bench_forkexec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("child");
	}
}

/* bench_pipe: n one-byte round trips parent -> child -> parent. */
static void bench_pipe(long n)
{
	int a[2], b[2];
	char c = 0;
	pid_t pid;

	if (pipe(a) < 0 || pipe(b) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (long i = 0; i < n; i++)
			if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	for (long i = 0; i < n; i++)
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			die("pipe round trip");
	waitpid(pid, NULL, 0);
}

/* bench_yield: two processes yielding to each other n times each. */
static void bench_yield(long n)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	for (long i = 0; i < n; i++)
		sched_yield();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	double t0;

	if (argc != 3 || n <= 0) {
		fprintf(stderr, "usage: lbench forkexec|pipe|yield N\n");
		return 2;
	}
	t0 = now();
	if (!strcmp(argv[1], "forkexec"))
		bench_forkexec(n);
	else if (!strcmp(argv[1], "pipe"))
		bench_pipe(n);
	else if (!strcmp(argv[1], "yield"))
		bench_yield(n);
	else {
		fprintf(stderr, "lbench: unknown work '%s'\n", argv[1]);
		return 2;
	}
	printf("LB %s %ld %.4f\n", argv[1], n, now() - t0);
	return 0;
}
