/*
 * native32.c - the real-CPU side of the differential tester.
 *
 * A 32-bit process that maps code at DIFF_CODE_ADDR and the data area at
 * DIFF_DATA_ADDR, then serves jobs (diff.h) from stdin until EOF: copy the
 * code and data in, append `jmp native_exit`, run the sequence through
 * native_enter() (native32_stub.S) and write back registers, EFLAGS and the
 * data area.  A signal during a sequence (a harness bug: sequences are built
 * not to fault) is caught on an alternate stack and reported in the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "diff.h"

uint32_t native_in[9], native_out[9];
uint32_t native_host_esp;
uint32_t native_code_addr = DIFF_CODE_ADDR;
void native_enter(void);
void native_exit(void);

static sigjmp_buf native_jmp;
static volatile uint32_t native_sig, native_sig_eip;

/* native_fail: one line on stderr and exit 1 (the driver sees EOF). */
static void native_fail(const char *what)
{
	fprintf(stderr, "native32: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* native_read_all / native_write_all: whole-buffer pipe I/O; read returns
 * 0 on a clean EOF before the first byte, 1 when complete. */
static int native_read_all(void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(0, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (got == 0 && n == 0)
				return 0;
			errno = n == 0 ? EPIPE : errno;
			native_fail("read job");
		}
		got += n;
	}
	return 1;
}

static void native_write_all(const void *buf, size_t len)
{
	size_t put = 0;
	while (put < len) {
		ssize_t n = write(1, (const char *)buf + put, len - put);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			native_fail("write result");
		put += n;
	}
}

/* native_on_signal: a sequence faulted; record it and unwind to the job loop. */
static void native_on_signal(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	(void)si;
	native_sig = sig;
	native_sig_eip = uc->uc_mcontext.gregs[REG_EIP];
	siglongjmp(native_jmp, 1);
}

/* native_setup: map code and data at their fixed addresses, install the
 * fault handlers on an alternate stack. */
static void native_setup(void)
{
	void *c = mmap((void *)DIFF_CODE_ADDR, DIFF_CODE_MAX, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (c != (void *)DIFF_CODE_ADDR)
		native_fail("map code area");
	void *d = mmap((void *)DIFF_DATA_ADDR, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (d != (void *)DIFF_DATA_ADDR)
		native_fail("map data area");
	static char altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	if (sigaltstack(&ss, NULL))
		native_fail("sigaltstack");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = native_on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGALRM};
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			native_fail("sigaction");
}

/* native_run_job: run the code now in the code area with job's registers;
 * fill res (and leave the data area as the sequence left it). */
static void native_run_job(const struct diff_job *job, struct diff_result *res)
{
	uint32_t mxcsr = 0x1f80;
	memcpy(native_in, job->regs, sizeof(job->regs));
	native_in[8] = (job->eflags & DIFF_FLAGS) | 2;
	native_sig = 0;
	__asm__ volatile("ldmxcsr %0; fninit" : : "m"(mxcsr));
	if (!sigsetjmp(native_jmp, 1)) {
		alarm(5);
		native_enter();
	}
	alarm(0);
	memset(res, 0, sizeof(*res));
	res->magic = DIFF_RES_MAGIC;
	res->fault = native_sig;
	res->fault_eip = native_sig_eip;
	memcpy(res->regs, native_out, sizeof(res->regs));
	res->eflags = native_out[8];
}

int main(void)
{
	static struct diff_job job;
	static struct diff_result res;
	uint8_t *code = (uint8_t *)DIFF_CODE_ADDR;

	native_setup();
	while (native_read_all(&job, sizeof(job))) {
		if (job.magic != DIFF_JOB_MAGIC || job.code_len > DIFF_CODE_MAX - 5) {
			fprintf(stderr, "native32: bad job header\n");
			return 1;
		}
		native_read_all(code, job.code_len);
		native_read_all((void *)DIFF_DATA_ADDR, DIFF_DATA_SIZE);
		uint32_t end = DIFF_CODE_ADDR + job.code_len;
		int32_t rel = (int32_t)((uint32_t)(uintptr_t)native_exit - (end + 5));
		code[job.code_len] = 0xe9;
		memcpy(code + job.code_len + 1, &rel, 4);
		native_run_job(&job, &res);
		memset(native_out, 0, sizeof(native_out));
		native_write_all(&res, sizeof(res));
		native_write_all((void *)DIFF_DATA_ADDR, DIFF_DATA_SIZE);
	}
	return 0;
}
