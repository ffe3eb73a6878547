/*
 * runner.c - running a sequence on the real CPU and under bt (runner.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "monitor/cli/engine.h"
#include "monitor/machine/machine.h"
#include "monitor/machine/vcpu.h"
#include "monitor/base/util.h"

extern char **environ;

struct native {
	pid_t pid;
	int to, from; /* pipe ends: jobs out, results in */
};

/* --- the native helper --------------------------------------------------- */

struct native *diff_native_open(char *const argv[], char *why, size_t len)
{
	int in[2], out[2];
	struct native *n = calloc(1, sizeof(*n));
	if (!n || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		free(n);
		return NULL;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	int err = posix_spawn(&n->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (err) {
		snprintf(why, len, "cannot start %s: %s", argv[0], strerror(err));
		close(in[1]);
		close(out[0]);
		free(n);
		return NULL;
	}
	n->to = in[1];
	n->from = out[0];
	return n;
}

int diff_native_close(struct native *n)
{
	int st = -1;
	if (!n)
		return -1;
	close(n->to);
	close(n->from);
	if (waitpid(n->pid, &st, 0) < 0)
		st = -1;
	free(n);
	return st;
}

/* io_all: write or read exactly len bytes; false on EOF or error. */
static bool io_all(int fd, void *buf, size_t len, bool wr)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = wr ? write(fd, (char *)buf + done, len - done)
			       : read(fd, (char *)buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		done += r;
	}
	return true;
}

int diff_native_run(struct native *n, const struct gen_seq *s, const struct gen_code *c,
		    struct outcome *o)
{
	struct diff_job job = {.magic = DIFF_JOB_MAGIC, .code_len = c->len, .eflags = s->eflags};
	struct diff_result res;
	memcpy(job.regs, s->regs, sizeof(job.regs));
	if (!io_all(n->to, &job, sizeof(job), true) ||
	    !io_all(n->to, (void *)c->bytes, c->len, true) ||
	    !io_all(n->to, (void *)s->data, DIFF_DATA_SIZE, true) ||
	    !io_all(n->from, &res, sizeof(res), false) ||
	    !io_all(n->from, o->data, DIFF_DATA_SIZE, false) || res.magic != DIFF_RES_MAGIC) {
		return -1;
	}
	memcpy(o->regs, res.regs, sizeof(o->regs));
	o->eflags = res.eflags;
	o->ok = !res.fault;
	if (res.fault)
		snprintf(o->err, sizeof(o->err), "signal %u (%s) at eip %08x", res.fault,
			 strsignal(res.fault), res.fault_eip);
	return 0;
}

/* --- the bt engine ------------------------------------------------------- */

static struct machine diff_bt_machine;
static bool diff_bt_ready;

int diff_bt_open(char *why, size_t len)
{
	struct machine *m = &diff_bt_machine;
	struct machine_config cfg = {
	    .accel = "bt",
	    .ram_size = 64 * MiB,
	    .serial = SERIAL_NONE,
	    .debugcon = SERIAL_NONE,
	};
	const struct engine *e = engine_find("bt");
	if (!e) {
		snprintf(why, len, "no bt engine in this build");
		return -1;
	}
	if (machine_create(m, &cfg) < 0) {
		snprintf(why, len, "cannot create a machine");
		return -1;
	}
	m->engine = e;
	int err = e->init(m);
	if (err < 0) {
		m->engine = NULL;
		machine_destroy(m);
		snprintf(why, len, "the bt engine cannot start: %s", strerror(-err));
		return -1;
	}
	if (!e->run) {
		machine_destroy(m);
		snprintf(why, len, "the bt engine has no run function");
		return -1;
	}
	diff_bt_ready = true;
	return 0;
}

void diff_bt_close(void)
{
	if (diff_bt_ready)
		machine_destroy(&diff_bt_machine);
	diff_bt_ready = false;
}

/* diff_bt_load: code (+ `out 0xf4, al`) and data into guest RAM; drop stale
 * translations of both. */
static bool diff_bt_load(struct machine *m, const struct gen_seq *s, const struct gen_code *c)
{
	static const uint8_t out_f4[] = {0xe6, 0xf4};
	if (ram_write(&m->ram, DIFF_CODE_ADDR, c->bytes, c->len) < 0 ||
	    ram_write(&m->ram, DIFF_CODE_ADDR + c->len, out_f4, sizeof(out_f4)) < 0 ||
	    ram_write(&m->ram, DIFF_DATA_ADDR, s->data, DIFF_DATA_SIZE) < 0)
		return false;
	if (m->engine->invalidate) {
		m->engine->invalidate(m, DIFF_CODE_ADDR, c->len + sizeof(out_f4));
		m->engine->invalidate(m, DIFF_DATA_ADDR, DIFF_DATA_SIZE);
	}
	return true;
}

void diff_bt_run(const struct gen_seq *s, const struct gen_code *c, struct outcome *o)
{
	struct machine *m = &diff_bt_machine;
	struct vcpu *v = &m->vcpu;
	o->ok = false;
	if (!diff_bt_load(m, s, c)) {
		snprintf(o->err, sizeof(o->err), "cannot write guest RAM");
		return;
	}
	vcpu_set_flat32(v, 0x10, 0x18);
	v->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT; /* as the native side's OS sets them */
	memcpy(v->gpr, s->regs, sizeof(v->gpr));
	v->eflags = (s->eflags & DIFF_FLAGS) | EFL_FIXED;
	v->eip = DIFF_CODE_ADDR;
	memset(&m->exit, 0, sizeof(m->exit));
	m->engine->run(m);
	memcpy(o->regs, v->gpr, sizeof(o->regs));
	o->eflags = v->eflags;
	if (ram_read(&m->ram, DIFF_DATA_ADDR, o->data, DIFF_DATA_SIZE) < 0)
		memset(o->data, 0, DIFF_DATA_SIZE);
	uint32_t end = DIFF_CODE_ADDR + c->len + 2;
	if (m->exit.reason != EXIT_DEBUG_EXIT)
		snprintf(o->err, sizeof(o->err), "run ended with reason %d (%.160s) at eip %08x",
			 m->exit.reason, m->exit.message, v->eip);
	else if (v->eip != end)
		snprintf(o->err, sizeof(o->err), "debug exit at eip %08x, expected %08x", v->eip,
			 end);
	else
		o->ok = true;
}
