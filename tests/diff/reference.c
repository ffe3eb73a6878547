/*
 * reference.c - choosing and starting the reference CPU (reference.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reference.h"

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"

/* binfmt_i386: the name of an enabled binfmt_misc entry that takes over
 * i386 ELF executables (so a direct exec would not run on the real CPU),
 * copied to name; false when there is none. */
static bool binfmt_i386(char *name, size_t len)
{
	DIR *d = opendir(BINFMT_DIR);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[512], line[512];
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "register") ||
		    !strcmp(e->d_name, "status"))
			continue;
		snprintf(path, sizeof(path), BINFMT_DIR "/%s", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		bool enabled = false, i386 = false;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "enabled", 7))
				enabled = true;
			/* ELF magic, 32-bit, little-endian ... e_machine 3 at byte 18 */
			if (!strncmp(line, "magic 7f454c4601", 16) && strlen(line) >= 6 + 40 &&
			    !strncmp(line + 6 + 36, "0300", 4))
				i386 = true;
		}
		fclose(f);
		if (enabled && i386) {
			snprintf(name, len, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* find_on_path: the full path of program prog on $PATH into out. */
static bool find_on_path(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");
	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) == 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(out, len, "%.*s/%s", (int)n, path, prog);
		if (n && access(out, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* qemu_version: "qemu-i386 7.2.22" from `qemu --version`, into out. */
static void qemu_version(const char *qemu, char *out, size_t len)
{
	char cmd[4200], line[256];
	snprintf(out, len, "qemu-i386");
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", qemu);
	FILE *p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(line, sizeof(line), p)) {
		char *v = strstr(line, "version ");
		if (v) {
			v += 8;
			v[strcspn(v, " \n")] = 0;
			snprintf(out, len, "qemu-i386 %s", v);
		}
	}
	pclose(p);
}

struct native *diff_reference_open(const struct diff_reference *r, char *why, size_t len)
{
	return diff_native_open(r->argv, why, len);
}

/* probe: start a helper on r and run an empty sequence through it: the
 * registers must come back as they went in.  False with the reason in why. */
static bool probe(const struct diff_reference *r, char *why, size_t len)
{
	char err[256];
	static struct gen_seq s;
	static struct gen_code c;
	static struct outcome o;
	struct native *n = diff_reference_open(r, err, sizeof(err));
	if (!n) {
		snprintf(why, len, "%s", err);
		return false;
	}
	for (unsigned k = 0; k < 8; k++)
		s.regs[k] = 0x01010101u * (k + 1);
	s.regs[4] = DIFF_DATA_ADDR + DIFF_STACK_TOP;
	s.eflags = DIFF_CF | DIFF_ZF;
	c.len = 0;
	bool ok = diff_native_run(n, &s, &c, &o) == 0 && o.ok &&
		  !memcmp(o.regs, s.regs, sizeof(s.regs)) && (o.eflags & DIFF_FLAGS) == s.eflags;
	int st = diff_native_close(n);
	if (ok)
		return true;
	if (st != -1 && WIFSIGNALED(st))
		snprintf(why, len, "%.200s was killed by signal %d (%s) in a probe sequence",
			 r->argv[0], WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(why, len, "%.200s did not run a probe sequence correctly", r->argv[0]);
	return false;
}

/* use_cpu / use_qemu: fill r for one kind of reference. */
static void use_cpu(struct diff_reference *r)
{
	r->kind = REF_CPU;
	snprintf(r->name, sizeof(r->name), "real CPU");
	r->argv[0] = r->helper;
	r->argv[1] = NULL;
}

static bool use_qemu(struct diff_reference *r, const char *qemu, char *why, size_t len)
{
	r->kind = REF_QEMU;
	if (!find_on_path(qemu ? qemu : "qemu-i386", r->qemu, sizeof(r->qemu))) {
		snprintf(why, len, "qemu-i386 not found (Debian package qemu-user)");
		return false;
	}
	qemu_version(r->qemu, r->name, sizeof(r->name));
	r->argv[0] = r->qemu;
	r->argv[1] = r->helper;
	r->argv[2] = NULL;
	return true;
}

int diff_reference_pick(const char *want, const char *helper, const char *qemu,
			struct diff_reference *r, char *why, size_t len)
{
	char cpu_why[320] = "", interp[256];
	memset(r, 0, sizeof(*r));
	snprintf(r->helper, sizeof(r->helper), "%s", helper);
	if (strcmp(want, "qemu")) {
		use_cpu(r);
		if (binfmt_i386(interp, sizeof(interp)))
			snprintf(cpu_why, sizeof(cpu_why),
				 "32-bit programs are run by the binfmt_misc entry '%.100s', "
				 "not by the CPU",
				 interp);
		else if (probe(r, cpu_why, sizeof(cpu_why))) {
			snprintf(r->reason, sizeof(r->reason), "this host runs 32-bit programs");
			return 0;
		}
		if (!strcmp(want, "cpu")) {
			snprintf(why, len, "the real CPU cannot be the reference: %s", cpu_why);
			return -1;
		}
	}
	char qemu_why[320];
	if (!use_qemu(r, qemu, qemu_why, sizeof(qemu_why)) ||
	    !probe(r, qemu_why, sizeof(qemu_why))) {
		if (cpu_why[0])
			snprintf(why, len, "no reference CPU: %s; %s", cpu_why, qemu_why);
		else
			snprintf(why, len, "no reference CPU: %s", qemu_why);
		return -1;
	}
	if (cpu_why[0])
		snprintf(r->reason, sizeof(r->reason), "the real CPU cannot: %s", cpu_why);
	else
		snprintf(r->reason, sizeof(r->reason), "asked for by --reference qemu");
	return 0;
}
