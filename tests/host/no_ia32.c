/*
 * no_ia32.c - run a command as on a host that cannot run 32-bit programs.
 *
 *   no-ia32 COMMAND [ARG...]
 *
 * Installs a seccomp filter (inherited by every child) that kills any
 * process making a system call through a 32-bit ABI (int 0x80, sysenter,
 * and the IA-32 compat entry of syscall), then executes COMMAND.  A 32-bit
 * program started under it dies at its first system call, as it fails at
 * exec on a kernel without IA-32 emulation; 64-bit programs, qemu-i386 and
 * bt86 among them, are untouched.  The tests use it to check, on a host that
 * does run 32-bit programs, what the project does on one that does not.
 *
 * Exit: COMMAND's status, or 2 with one line when the filter cannot be set.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	if (argc < 2) {
		fprintf(stderr, "usage: no-ia32 COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "no-ia32: cannot install the seccomp filter: %s\n",
			strerror(errno));
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no-ia32: cannot run %s: %s\n", argv[1], strerror(errno));
	return 2;
}
