/*
 * fuzz.c - bt86-fuzz: random guests against the bt engine (fuzz.h).
 *
 * Runs are numbered; run i of seed S is built from its own random stream,
 * so `bt86-fuzz --seed S --run i` repeats it alone.  Runs go in batches,
 * each batch in a child process: a crash of the monitor kills only the
 * child, and the parent names the run from the shared progress record.
 * Every run gets a fresh machine whose RAM mapping sits between PROT_NONE
 * guard areas (a monitor access just outside guest RAM crashes, and is
 * caught), a watchdog thread that stops the guest from outside after the
 * time limit (machine_request_exit, as a user would), and canaries checked
 * after the run.  The parent kills a child whose run outlives the limit by
 * FZ_HANG_GRACE_MS: the outside stop did not work, a hang.
 *
 * Acceptable ends: isa-debug-exit, reset, triple fault, an engine error
 * (status 6, one line; listed at the end by message), or the time limit
 * with the guest still running.  Anything else fails the run.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "monitor/cli/engine.h"
#include "monitor/boot/loader.h"
#include "monitor/base/util.h"
#include "translator/bt.h"

#define FZ_GUARD	 (1u << 20)
#define FZ_HANG_GRACE_MS 5000
#define FZ_MAX_MSGS	 128
#define FZ_MAX_BUGS	 64
#define FZ_MAX_IMAGES	 64
#define CANARY_SIZE	 65536

enum verdict { V_EXIT, V_RESET, V_TRIPLE, V_HALT, V_ENGINE, V_TIMEOUT, V_BUG, V_NR };
static const char *const verdict_name[V_NR] = {
    "debug exit", "reset", "triple fault", "halted (IF=0)", "engine error", "time limit", "BUG"};

struct fz_opts {
	uint64_t seed;
	uint64_t count, batch, first;
	unsigned timeout_ms;
	unsigned kinds; /* bit mask of enum fz_kind */
	struct fz_image img[FZ_MAX_IMAGES];
	unsigned n_img;
	bool one, verbose, strict;
	long peek;	   /* --peek ADDR: show 16 bytes of the built guest (-1: none) */
	uint8_t code[256]; /* --code HEX: this code at FZ_CODE instead */
	unsigned code_len;
	bool flat;  /* --flat: with --code, a plain CPL0 flat start state */
	int inject; /* --inject crash|hang|canary: plant a failure in the last run */
};

enum { INJ_NONE, INJ_CRASH, INJ_HANG, INJ_CANARY };

/* An engine-error message, digits folded, with how often and one example. */
struct fz_msg {
	char key[128];
	char example[200];
	uint64_t count, run;
};

/* Shared between the parent and the batch children (MAP_SHARED). */
struct fz_shared {
	volatile uint64_t cur;	    /* run in progress */
	volatile uint64_t start_ns; /* when it started, 0 between runs */
	char desc[256];		    /* what run `cur` is */
	uint64_t verdicts[V_NR];
	uint64_t by_kind[FZ_NKINDS];
	struct fz_msg msgs[FZ_MAX_MSGS];
	unsigned n_msgs;
	char bugs[FZ_MAX_BUGS][320];
	unsigned n_bugs;
};

static struct machine fz_machine;
static uint8_t canary_bss[CANARY_SIZE];
static uint8_t *canary_heap;

/* --- the watchdog thread -------------------------------------------------- */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct machine *wd_machine; /* the running machine, NULL between runs */
static uint64_t wd_deadline;

/* wd_main: stop the running machine from outside at its deadline. */
static void *wd_main(void *arg)
{
	struct timespec ts = {0, 2000000};
	for (;;) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&wd_lock);
		if (wd_machine && util_now_ns() >= wd_deadline) {
			machine_request_exit(wd_machine, EXIT_QUIT, 0, "timeout");
			wd_deadline = UINT64_MAX;
		}
		pthread_mutex_unlock(&wd_lock);
	}
	return arg;
}

/* wd_watch: m runs from now for at most ms (m NULL: nothing runs). */
static void wd_watch(struct machine *m, unsigned ms)
{
	pthread_mutex_lock(&wd_lock);
	wd_machine = m;
	wd_deadline = util_now_ns() + (uint64_t)ms * 1000000ull;
	pthread_mutex_unlock(&wd_lock);
}

/* --- guarded RAM and canaries --------------------------------------------- */

static uint8_t *guard_area;
static size_t guard_ram_size;

/* guard_ram: move the monitor's mapping of guest RAM between two PROT_NONE
 * areas; false on failure. */
static bool guard_ram(struct machine *m)
{
	size_t sz = m->ram.size;
	uint8_t *p = mmap(NULL, sz + 2 * FZ_GUARD, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	void *q =
	    mmap(p + FZ_GUARD, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->ram.fd, 0);
	if (q == MAP_FAILED) {
		munmap(p, sz + 2 * FZ_GUARD);
		return false;
	}
	munmap(m->ram.host, sz);
	m->ram.host = q;
	guard_area = p;
	guard_ram_size = sz;
	return true;
}

/* unguard_ram: after machine_destroy (which unmapped the RAM itself). */
static void unguard_ram(void)
{
	if (!guard_area)
		return;
	munmap(guard_area, FZ_GUARD);
	munmap(guard_area + FZ_GUARD + guard_ram_size, FZ_GUARD);
	guard_area = NULL;
}

/* The monitor state a guest must never reach that a host-relative access
 * would hit first: the vCPU thread's TLS control block at fs:0 (its self
 * pointers, the stack-protector and pointer-guard words that fs:0x28 and
 * fs:0x30 hold), snapshotted before a run and compared after it. */
struct tls_snap {
	uint64_t w[8]; /* fs:0x00 .. fs:0x38 */
};

static void tls_read(struct tls_snap *t)
{
	for (unsigned i = 0; i < 8; i++)
		__asm__ volatile("mov %%fs:(%1), %0" : "=r"(t->w[i]) : "r"((uint64_t)i * 8));
}

/* monitor_intact: after a run: the TLS block as before, the engine's
 * per-vCPU block still naming this vcpu; else what was overwritten. */
static const char *monitor_intact(struct machine *m, const struct tls_snap *before)
{
	struct tls_snap now;
	tls_read(&now);
	if (memcmp(before, &now, sizeof(now)))
		return "the vCPU thread's TLS control block (fs:0..0x3f) was overwritten";
	struct bt *bt = m->engine_data;
	if (bt && bt->cpu->vcpu != &m->vcpu)
		return "the engine's per-vCPU block was overwritten";
	if (m->vcpu.machine != m)
		return "vcpu->machine was overwritten";
	return NULL;
}

/* canary_ok: the monitor's own memory next to the machine is intact. */
static bool canary_ok(void)
{
	for (unsigned i = 0; i < CANARY_SIZE; i++)
		if (canary_bss[i] != (uint8_t)(i * 7 + 1) ||
		    canary_heap[i] != (uint8_t)(i * 13 + 5))
			return false;
	return true;
}

static void canary_init(void)
{
	canary_heap = malloc(CANARY_SIZE);
	if (!canary_heap)
		die("fuzz: out of memory");
	for (unsigned i = 0; i < CANARY_SIZE; i++) {
		canary_bss[i] = (uint8_t)(i * 7 + 1);
		canary_heap[i] = (uint8_t)(i * 13 + 5);
	}
}

/* --- one run -------------------------------------------------------------- */

/* run_seed: run idx's own seed. */
static uint64_t run_seed(uint64_t seed, uint64_t idx)
{
	struct fz_rng r = {seed ^ (idx * 0xd1342543de82ef95ull)};
	fz_rand(&r);
	return fz_rand(&r);
}

/* run_kind: the code kind of a run, among the enabled ones. */
static enum fz_kind run_kind(const struct fz_opts *o, uint64_t rs)
{
	enum fz_kind k[FZ_NKINDS];
	unsigned n = 0;
	for (int i = 0; i < FZ_NKINDS; i++)
		if ((o->kinds & (1u << i)) && (i != FZ_MUTANT || o->n_img))
			k[n++] = (enum fz_kind)i;
	return n ? k[rs % n] : FZ_INSNS;
}

/* note_msg: count an engine-error message under its digit-folded key. */
static void note_msg(struct fz_shared *sh, const char *msg, uint64_t idx)
{
	char key[128];
	unsigned n = 0;
	for (const char *p = msg; *p && n < sizeof(key) - 1; p++) {
		if (isdigit((unsigned char)*p) && (p == msg || !isalnum((unsigned char)p[-1]))) {
			while (isxdigit((unsigned char)p[1]) || p[1] == 'x')
				p++;
			key[n++] = '#';
			continue;
		}
		key[n++] = *p;
	}
	key[n] = 0;
	for (unsigned i = 0; i < sh->n_msgs; i++)
		if (!strcmp(sh->msgs[i].key, key)) {
			sh->msgs[i].count++;
			return;
		}
	if (sh->n_msgs == FZ_MAX_MSGS)
		return;
	struct fz_msg *e = &sh->msgs[sh->n_msgs++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->example, sizeof(e->example), "%s", msg);
	e->count = 1;
	e->run = idx;
}

/* note_bug: remember one failed run. */
static void note_bug(struct fz_shared *sh, uint64_t idx, const char *what)
{
	if (sh->n_bugs < FZ_MAX_BUGS)
		snprintf(sh->bugs[sh->n_bugs++], sizeof(sh->bugs[0]), "run %llu: %.100s (%.150s)",
			 (unsigned long long)idx, what, sh->desc);
}

/* classify: the verdict for how m's run ended. */
static enum verdict classify(struct machine *m, struct fz_shared *sh, uint64_t idx)
{
	switch (m->exit.reason) {
	case EXIT_DEBUG_EXIT:
		return V_EXIT;
	case EXIT_RESET:
		return V_RESET;
	case EXIT_SHUTDOWN:
		if (m->exit.status != EXIT_STATUS_TRIPLE || !m->exit.message[0]) {
			note_bug(sh, idx, "triple fault without status 4 and a message");
			return V_BUG;
		}
		return V_TRIPLE;
	case EXIT_ENGINE_ERROR:
		if (m->exit.status != EXIT_STATUS_ENGINE || !m->exit.message[0] ||
		    strchr(m->exit.message, '\n')) {
			note_bug(sh, idx, "engine error without status 6 and one line");
			return V_BUG;
		}
		if (strstr(m->exit.message, "isolation breach")) {
			note_bug(sh, idx, m->exit.message);
			return V_BUG;
		}
		note_msg(sh, m->exit.message, idx);
		return V_ENGINE;
	case EXIT_GUEST_STOPPED:
		if (m->exit.status != EXIT_STATUS_GUEST || !m->exit.message[0]) {
			note_bug(sh, idx, "guest stop without status 10 and a message");
			return V_BUG;
		}
		return V_HALT;
	case EXIT_QUIT:
		if (!strcmp(m->exit.message, "timeout"))
			return V_TIMEOUT;
		break;
	case EXIT_NONE:
		break;
	}
	char what[300];
	snprintf(what, sizeof(what), "the engine returned with reason %d (%.200s)", m->exit.reason,
		 m->exit.message);
	note_bug(sh, idx, what);
	return V_BUG;
}

/* set_code: --code and --flat: a given code at FZ_CODE, then out 0xf4. */
static void set_code(const struct fz_opts *o, struct machine *m)
{
	struct vcpu *v = &m->vcpu;
	memcpy(m->ram.host + FZ_CODE, o->code, o->code_len);
	m->ram.host[FZ_CODE + o->code_len] = 0xe6;
	m->ram.host[FZ_CODE + o->code_len + 1] = 0xf4;
	v->eip = FZ_CODE;
	if (!o->flat)
		return;
	struct dtr gdtr = v->gdtr, idtr = v->idtr;
	struct seg tr = v->tr, ldtr = v->ldtr;
	vcpu_set_flat32(v, 0x08, 0x10);
	v->gdtr = gdtr, v->idtr = idtr, v->tr = tr, v->ldtr = ldtr;
	v->gdtr.limit = FZ_GDT_N * 8 - 1;
	v->idtr.limit = 0x7ff;
	for (int i = 0; i < 8; i++)
		v->gpr[i] = FZ_DATA + 0x100 * i;
	v->gpr[R_ESP] = FZ_STACK_TOP;
	v->eip = FZ_CODE;
}

static volatile uintptr_t inject_addr = 16; /* not mapped */

/* inject: the harness's self-check: a planted crash, hang or overwrite. */
static void inject(int what)
{
	switch (what) {
	case INJ_CRASH: /* a monitor bug's fault, through the engine's handler */
		*(volatile int *)(uintptr_t)inject_addr = 1;
		break;
	case INJ_HANG:
		for (;;)
			pause();
	case INJ_CANARY:
		canary_heap[CANARY_SIZE / 2] ^= 1;
		break;
	}
}

/* run_one: build and run guest idx on a fresh machine; the verdict. */
static enum verdict run_one(const struct fz_opts *o, struct fz_shared *sh, uint64_t idx)
{
	struct machine *m = &fz_machine;
	struct machine_config cfg = {.accel = "bt",
				     .ram_size = FZ_RAM_SIZE,
				     .serial = SERIAL_NONE,
				     .debugcon = SERIAL_NONE,
				     .no_reboot = true,
				     .kernel = "fuzz"};
	const struct engine *e = engine_find("bt");
	uint64_t rs = run_seed(o->seed, idx);
	enum fz_kind kind = run_kind(o, rs);

	if (kind == FZ_MUTANT)
		cfg.ram_size = FZ_MUTANT_RAM; /* what the test kernels run with */
	if (!e || machine_create(m, &cfg) < 0 || !guard_ram(m))
		die("fuzz: cannot create a machine");
	m->engine = e;
	if (e->init(m) < 0)
		die("fuzz: the bt engine cannot start");
	if (fz_build(m, kind, rs, o->img, o->n_img, sh->desc, sizeof(sh->desc)) < 0)
		die("fuzz: cannot build run %llu", (unsigned long long)idx);
	if (event_start(m) < 0)
		die("fuzz: cannot start the event loop");
	sh->by_kind[kind]++;
	if (o->code_len)
		set_code(o, m);
	if (o->one && o->peek >= 0 && (uint64_t)o->peek + 16 <= m->ram.size) {
		fprintf(stderr, "run %llu: %s\n  bytes at %#lx:", (unsigned long long)idx, sh->desc,
			o->peek);
		for (int i = 0; i < 16; i++)
			fprintf(stderr, " %02x", m->ram.host[o->peek + i]);
		fprintf(stderr, "\n");
		vcpu_dump(&m->vcpu, stderr);
	}
	struct tls_snap tls;
	tls_read(&tls);
	wd_watch(m, o->timeout_ms * (kind == FZ_MUTANT ? 4 : 1));
	e->run(m);
	if (o->inject && idx + 1 == o->first + o->count)
		inject(o->inject);
	wd_watch(NULL, 0);
	event_stop(m);
	enum verdict v = classify(m, sh, idx);
	if (o->one)
		fprintf(stderr, "run %llu: %s: %s [%s]\n", (unsigned long long)idx, sh->desc,
			verdict_name[v], m->exit.message);
	if (!canary_ok()) {
		note_bug(sh, idx, "monitor memory next to guest RAM was overwritten");
		v = V_BUG;
	}
	const char *hit = monitor_intact(m, &tls);
	if (hit) {
		note_bug(sh, idx, hit);
		v = V_BUG;
	}
	machine_destroy(m);
	unguard_ram();
	return v;
}

/* child_main: runs [from, to) in this (child) process; never returns. */
static void child_main(const struct fz_opts *o, struct fz_shared *sh, uint64_t from, uint64_t to)
{
	pthread_t t;
	if (!o->verbose && !o->one) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 2);
	}
	if (pthread_create(&t, NULL, wd_main, NULL))
		die("fuzz: cannot start the watchdog");
	canary_init();
	for (uint64_t i = from; i < to; i++) {
		sh->cur = i;
		__atomic_store_n(&sh->start_ns, util_now_ns(), __ATOMIC_SEQ_CST);
		enum verdict v = run_one(o, sh, i);
		__atomic_store_n(&sh->start_ns, 0, __ATOMIC_SEQ_CST);
		sh->verdicts[v]++;
	}
	_exit(0);
}

/* --- the parent ----------------------------------------------------------- */

/* batch: run [from, to) in a child; returns the next run to do (after a
 * crash or hang: the run after the failed one). */
static uint64_t batch(const struct fz_opts *o, struct fz_shared *sh, uint64_t from, uint64_t to)
{
	sh->cur = from;
	sh->start_ns = 0;
	pid_t pid = fork();
	if (pid < 0)
		die("fuzz: fork: %s", strerror(errno));
	if (pid == 0)
		child_main(o, sh, from, to);
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				return to;
			char what[64];
			snprintf(what, sizeof(what), "CRASH (%s)",
				 WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exit status");
			if (WIFEXITED(st))
				snprintf(what, sizeof(what), "CRASH (exit status %d)",
					 WEXITSTATUS(st));
			note_bug(sh, sh->cur, what);
			sh->verdicts[V_BUG]++;
			return sh->cur + 1;
		}
		uint64_t t0 = __atomic_load_n(&sh->start_ns, __ATOMIC_SEQ_CST);
		uint64_t limit = (uint64_t)(o->timeout_ms * 4 + FZ_HANG_GRACE_MS) * 1000000ull;
		if (t0 && util_now_ns() - t0 > limit) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			note_bug(sh, sh->cur, "HANG (the outside stop did not end the run)");
			sh->verdicts[V_BUG]++;
			return sh->cur + 1;
		}
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
}

/* report: totals, engine-error messages, failed runs; the exit status. */
static int report(const struct fz_opts *o, const struct fz_shared *sh, uint64_t ns)
{
	uint64_t total = 0;
	for (int v = 0; v < V_NR; v++)
		total += sh->verdicts[v];
	printf("bt86-fuzz: seed %llu, %llu runs (bytes %llu, insns %llu, mutants %llu) in %.1f s\n",
	       (unsigned long long)o->seed, (unsigned long long)total,
	       (unsigned long long)sh->by_kind[FZ_BYTES], (unsigned long long)sh->by_kind[FZ_INSNS],
	       (unsigned long long)sh->by_kind[FZ_MUTANT], ns / 1e9);
	for (int v = 0; v < V_NR; v++)
		printf("  %-13s %llu\n", verdict_name[v], (unsigned long long)sh->verdicts[v]);
	unsigned review = 0;
	for (unsigned i = 0; i < sh->n_msgs; i++) {
		const struct fz_msg *e = &sh->msgs[i];
		bool known = strstr(e->key, "not supported") || strstr(e->key, "does not handle") ||
			     strstr(e->key, "instruction fetch outside RAM");
		review += !known;
		printf("  status 6 %s x%llu: %s (run %llu)\n", known ? "limitation" : "REVIEW",
		       (unsigned long long)e->count, e->example, (unsigned long long)e->run);
	}
	for (unsigned i = 0; i < sh->n_bugs; i++)
		printf("  FAIL %s\n", sh->bugs[i]);
	if (sh->n_bugs)
		printf("  repeat one: bt86-fuzz --seed %llu --run N%s\n",
		       (unsigned long long)o->seed, o->n_img ? " (same --guest/--guests)" : "");
	return sh->verdicts[V_BUG] || (o->strict && review) ? 1 : 0;
}

/* add_image: read a multiboot kernel to mutate. */
static void add_image(struct fz_opts *o, const char *path)
{
	if (o->n_img == FZ_MAX_IMAGES)
		return;
	struct fz_image *im = &o->img[o->n_img];
	if (loader_read_file(path, "guest", UINT32_MAX, &im->bytes, &im->len) < 0)
		exit(EXIT_STATUS_USAGE);
	if (multiboot_probe(im->bytes, im->len) != 1) {
		free(im->bytes);
		return;
	}
	im->path = strdup(path);
	o->n_img++;
}

/* add_dir: every *.elf in dir. */
static void add_dir(struct fz_opts *o, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d) {
		util_error("cannot open %s: %s", dir, strerror(errno));
		exit(EXIT_STATUS_USAGE);
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 4 && !strcmp(de->d_name + n - 4, ".elf")) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			add_image(o, p);
		}
	}
	closedir(d);
}

/* free_images: release what add_image read. */
static void free_images(struct fz_opts *o)
{
	for (unsigned i = 0; i < o->n_img; i++) {
		free(o->img[i].bytes);
		free((char *)o->img[i].path);
	}
	o->n_img = 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bt86-fuzz [--seed S] [--count N] [--first I] [--batch N]\n"
		   "                 [--timeout-ms MS] [--kinds bytes,insns,mutant]\n"
		   "                 [--guest FILE.elf]... [--guests DIR] [--run I [--peek ADDR] "
		   "[--code HEX [--flat]]]\n"
		   "                 [-v] [--strict]\n");
}

/* parse: the command line into o; exits on a bad one. */
static void parse(int argc, char **argv, struct fz_opts *o)
{
	*o = (struct fz_opts){
	    .seed = 1, .count = 200, .batch = 100, .timeout_ms = 50, .kinds = 7, .peek = -1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool has = true;
		if (!strcmp(a, "--seed") && val)
			o->seed = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--count") && val)
			o->count = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--first") && val)
			o->first = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--batch") && val)
			o->batch = strtoull(val, NULL, 0);
		else if (!strcmp(a, "--timeout-ms") && val)
			o->timeout_ms = (unsigned)strtoul(val, NULL, 0);
		else if (!strcmp(a, "--run") && val)
			o->first = strtoull(val, NULL, 0), o->count = 1, o->one = true;
		else if (!strcmp(a, "--inject") && val)
			o->inject = !strcmp(val, "crash")    ? INJ_CRASH
				    : !strcmp(val, "hang")   ? INJ_HANG
				    : !strcmp(val, "canary") ? INJ_CANARY
							     : -1;
		else if (!strcmp(a, "--peek") && val)
			o->peek = strtol(val, NULL, 0);
		else if (!strcmp(a, "--code") && val) {
			for (o->code_len = 0; val[2 * o->code_len] && val[2 * o->code_len + 1] &&
					      o->code_len < sizeof(o->code) - 2;
			     o->code_len++)
				sscanf(val + 2 * o->code_len, "%2hhx", &o->code[o->code_len]);
			o->count = 1, o->one = true;
		} else if (!strcmp(a, "--guest") && val)
			add_image(o, val);
		else if (!strcmp(a, "--guests") && val)
			add_dir(o, val);
		else if (!strcmp(a, "--kinds") && val) {
			o->kinds = (strstr(val, "bytes") ? 1u << FZ_BYTES : 0) |
				   (strstr(val, "insns") ? 1u << FZ_INSNS : 0) |
				   (strstr(val, "mutant") ? 1u << FZ_MUTANT : 0);
		} else {
			has = false;
			if (!strcmp(a, "-v"))
				o->verbose = true;
			else if (!strcmp(a, "--flat"))
				o->flat = true;
			else if (!strcmp(a, "--strict"))
				o->strict = true;
			else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
				usage(stdout), exit(0);
			else
				usage(stderr), exit(EXIT_STATUS_USAGE);
		}
		i += has;
	}
	if (!o->kinds || !o->batch || !o->timeout_ms || o->inject < 0) {
		util_error("fuzz: --kinds, --batch and --timeout-ms need a non-empty value");
		exit(EXIT_STATUS_USAGE);
	}
}

int main(int argc, char **argv)
{
	struct fz_opts o;
	parse(argc, argv, &o);
	struct fz_shared *sh =
	    mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("fuzz: mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	uint64_t t0 = util_now_ns(), end = o.first + o.count;
	for (uint64_t i = o.first; i < end;) {
		uint64_t to = i + o.batch < end ? i + o.batch : end;
		i = batch(&o, sh, i, to);
	}
	int rc = report(&o, sh, util_now_ns() - t0);
	fflush(stdout);
	munmap(sh, sizeof(*sh));
	free_images(&o);
	return rc;
}
