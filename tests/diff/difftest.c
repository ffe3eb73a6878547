/*
 * difftest.c - differential test of the bt engine against a reference CPU.
 *
 *   difftest --native PATH [--reference auto|cpu|qemu] [--qemu PATH]
 *            [--seed N] [--count N] [--len N] [--native-only] [--inject]
 *            [--print] [-v]
 *
 * For each index in [0, count): build sequence (seed, index) (gen.h), run
 * it on the reference CPU (reference.h: the real CPU or qemu-i386) through
 * the 32-bit helper and under bt, and compare
 * the GPRs, the EFLAGS bits defined at the end and the data area.  The
 * first mismatch is shrunk (whole groups dropped while it persists) and
 * printed with its seed, index, listing, initial state and differences.
 *
 * --native-only runs each sequence on two helper processes instead (the
 * second after an unrelated sequence), which tests the harness itself:
 * generator determinism, state leaking between jobs.  --inject (with
 * --native-only) corrupts EAX on the second side whenever a sequence holds
 * BSWAP, and succeeds only if that planted mismatch is found and shrunk to
 * one group: the shrinker and the report are tested too.
 *
 * --exclude drops kinds of groups (gen_kinds.c; this changes the sequences
 * of a seed), --max-fail N goes on past mismatches, up to N.
 * --print lists every sequence as it is generated, -v prints how many
 * groups of each kind were made.
 *
 * Exit status: 0 all equal, 1 mismatch or error, 2 usage, 77 skipped (no
 * reference can run here, or the bt engine cannot).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quirks.h"
#include "reference.h"
#include "runner.h"

#define EXIT_SKIP 77

struct opts {
	uint64_t seed;
	uint64_t count;
	unsigned len;
	uint64_t max_fail;
	bool native_only, inject, verbose, print;
	const char *native, *reference, *qemu;
};

static struct native *side_a, *side_b; /* side_b: --native-only */
static struct diff_reference ref;
static struct opts opt;
static const char *name_a = "cpu", *name_b = "bt";
static volatile uint64_t progress; /* bumped by every run, read by the watchdog */
static volatile uint64_t cur_index;

/* run_pair: run s on both sides; false if a helper died. */
static bool run_pair(const struct gen_seq *s, const struct gen_code *c, struct outcome *a,
		     struct outcome *b)
{
	progress++;
	if (diff_native_run(side_a, s, c, a) < 0)
		return false;
	if (!opt.native_only) {
		diff_bt_run(s, c, b);
		return true;
	}
	/* an unrelated sequence first, so leftover state would show */
	static struct gen_seq junk;
	static struct gen_code jc;
	const char *why;
	gen_sequence(&junk, s->seed ^ 0x5a5a5a5a, s->index, 8);
	if (!gen_encode(&junk, &jc, &why) && diff_native_run(side_b, &junk, &jc, b) < 0)
		return false;
	gen_free(&junk);
	if (diff_native_run(side_b, s, c, b) < 0)
		return false;
	if (opt.inject) {
		for (unsigned g = 0; g < s->ngroups; g++)
			for (unsigned j = 0; j < s->groups[g].n; j++)
				if (s->groups[g].insn[j].req.mnemonic == ZYDIS_MNEMONIC_BSWAP)
					b->regs[0] ^= 1;
	}
	return true;
}

/* compared_flags: the EFLAGS bits compared at the end of c: those defined,
 * less those the reference in use may show wrongly (quirks.h). */
static uint32_t compared_flags(const struct gen_code *c)
{
	return c->flags_defined & ~c->flags_masked[ref.kind];
}

/* is_nan: the x87 result slot k of data holds a NaN. */
static bool is_nan(const uint8_t *data, unsigned k)
{
	const uint8_t *p = data + DIFF_X87_SLOT_OFF(k);
	if (DIFF_X87_SLOT_SIZE(k) == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return (v & 0x7f800000u) == 0x7f800000u && (v & 0x007fffffu);
	}
	uint64_t v;
	memcpy(&v, p, 8);
	return (v & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (v & 0x000fffffffffffffull);
}

/* nan_masked: the x87 result slots whose NaN sign and payload are not
 * compared: the reference stores wrong NaNs (quirks.h) and both sides hold
 * a NaN there. */
static uint32_t nan_masked(const struct gen_code *c, const struct outcome *a,
			   const struct outcome *b)
{
	uint32_t m = 0;
	if (!diff_quirk_nan(ref.kind, ZYDIS_MNEMONIC_FSTP))
		return 0;
	for (unsigned k = 0; k < DIFF_X87_SLOTS; k++)
		if ((c->x87_slots >> k & 1) && is_nan(a->data, k) && is_nan(b->data, k))
			m |= 1u << k;
	return m;
}

/* data_differs: byte k of the data area differs, outside masked slots. */
static bool data_differs(const struct outcome *a, const struct outcome *b, uint32_t masked,
			 unsigned k)
{
	for (unsigned s = 0; masked >> s; s++)
		if ((masked >> s & 1) && k >= DIFF_X87_SLOT_OFF(s) &&
		    k < DIFF_X87_SLOT_OFF(s) + DIFF_X87_SLOT_SIZE(s))
			return false;
	return a->data[k] != b->data[k];
}

/* count_masked: add the comparisons of this run that a quirk masked to
 * *n, and those of them where the sides really differed to *diff. */
static void count_masked(const struct gen_code *c, const struct outcome *a, const struct outcome *b,
			 uint64_t *n, uint64_t *diff)
{
	if (c->flags_masked[ref.kind]) {
		++*n;
		*diff += !!((a->eflags ^ b->eflags) & c->flags_masked[ref.kind]);
	}
	uint32_t m = nan_masked(c, a, b);
	for (unsigned k = 0; m >> k; k++) {
		if (!(m >> k & 1))
			continue;
		++*n;
		*diff += !!memcmp(a->data + DIFF_X87_SLOT_OFF(k), b->data + DIFF_X87_SLOT_OFF(k),
				  DIFF_X87_SLOT_SIZE(k));
	}
}

/* differs: true if the outcomes differ in anything compared. */
static bool differs(const struct gen_code *c, const struct outcome *a, const struct outcome *b)
{
	if (!a->ok || !b->ok)
		return true;
	if (memcmp(a->regs, b->regs, sizeof(a->regs)))
		return true;
	if ((a->eflags ^ b->eflags) & compared_flags(c))
		return true;
	uint32_t masked = nan_masked(c, a, b);
	if (!masked)
		return memcmp(a->data, b->data, DIFF_DATA_SIZE) != 0;
	for (unsigned k = 0; k < DIFF_DATA_SIZE; k++)
		if (data_differs(a, b, masked, k))
			return true;
	return false;
}

/* report: the whole story of one mismatch on stdout. */
static void report(const struct gen_seq *s, const struct gen_code *c, const struct outcome *a,
		   const struct outcome *b)
{
	static const char *const rn[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
	printf("MISMATCH seed %llu index %llu (%u groups after shrinking)\n",
	       (unsigned long long)s->seed, (unsigned long long)s->index, s->ngroups);
	printf("code at %08x:\n", DIFF_CODE_ADDR);
	gen_print(c, stdout);
	printf("initial state:\n");
	for (unsigned r = 0; r < 8; r++)
		printf("  %s=%08x%s", rn[r], s->regs[r], r == 3 || r == 7 ? "\n" : "");
	printf("  eflags=%08x (%s)\n", s->eflags, gen_flags_str(s->eflags & DIFF_FLAGS));
	printf("flags compared at the end: %s", gen_flags_str(compared_flags(c)));
	if (c->flags_masked[ref.kind])
		printf(" (masked, %s quirk: %s)", ref.name,
		       gen_flags_str(c->flags_masked[ref.kind]));
	printf("\n");
	if (!a->ok)
		printf("%s: %s\n", name_a, a->err);
	if (!b->ok)
		printf("%s: %s\n", name_b, b->err);
	for (unsigned r = 0; r < 8; r++)
		if (a->regs[r] != b->regs[r])
			printf("  %s: %s %08x  %s %08x\n", rn[r], name_a, a->regs[r], name_b,
			       b->regs[r]);
	uint32_t fd = (a->eflags ^ b->eflags) & compared_flags(c);
	if (fd)
		printf("  eflags differ in %s: %s %08x  %s %08x\n", gen_flags_str(fd), name_a,
		       a->eflags, name_b, b->eflags);
	unsigned shown = 0;
	uint32_t masked = nan_masked(c, a, b);
	for (unsigned k = 0; k < DIFF_DATA_SIZE; k++) {
		if (!data_differs(a, b, masked, k))
			continue;
		if (shown++ < 32)
			printf("  mem %08x: initial %02x  %s %02x  %s %02x\n", DIFF_DATA_ADDR + k,
			       s->data[k], name_a, a->data[k], name_b, b->data[k]);
	}
	if (shown > 32)
		printf("  ... %u differing bytes in all\n", shown);
}

/* still_fails: encode and run candidate t; true if it is valid and the
 * sides still differ (code and outcomes left in c, a, b). */
static bool still_fails(const struct gen_seq *t, struct gen_code *c, struct outcome *a,
			struct outcome *b)
{
	const char *why;
	if (gen_encode(t, c, &why))
		return false;
	return run_pair(t, c, a, b) && differs(c, a, b);
}

/* shrink: drop runs of groups from s while the mismatch persists, halving
 * the run length down to single groups; s is replaced by the result. */
static void shrink(struct gen_seq *s)
{
	static struct gen_seq t;
	static struct gen_code c;
	static struct outcome a, b;
	unsigned chunk = s->ngroups > 1 ? s->ngroups / 2 : 1;
	for (;;) {
		for (unsigned from = 0; from < s->ngroups && s->ngroups > 1;) {
			gen_copy_without(&t, s, from, chunk);
			if (still_fails(&t, &c, &a, &b))
				gen_copy_without(s, &t, 0, 0);
			else
				from += chunk;
		}
		if (chunk == 1)
			break;
		chunk /= 2;
	}
	gen_free(&t);
}

/* helper_died: the reference's helper process is gone: say so, fail. */
static int helper_died(uint64_t index)
{
	printf("FAIL: seed %llu index %llu: the %s helper died (reference %s)\n",
	       (unsigned long long)opt.seed, (unsigned long long)index, name_a, ref.name);
	return 1;
}

/* watchdog: a run that never returns (a hang under bt) ends the test with
 * the sequence that caused it. */
static void *watchdog(void *arg)
{
	(void)arg;
	uint64_t last = progress;
	for (;;) {
		sleep(20);
		if (progress == last) {
			fprintf(stderr,
				"difftest: seed %llu index %llu: no progress for 20 s (a hang?)\n",
				(unsigned long long)opt.seed, (unsigned long long)cur_index);
			fflush(stdout);
			_exit(1);
		}
		last = progress;
	}
	return NULL;
}

/* usage_error: one line on stderr, exit 2. */
static void usage_error(const char *msg)
{
	fprintf(stderr, "difftest: %s\n", msg);
	fprintf(stderr,
		"usage: difftest --native PATH [--reference auto|cpu|qemu] [--qemu PATH] "
		"[--seed N] [--count N] [--len N] [--native-only] [--inject] [--exclude K,..] "
		"[--max-fail N] [--print] [-v]\n");
	exit(2);
}

/* parse_num: an unsigned number option value, or a usage error. */
static uint64_t parse_num(const char *s, const char *name)
{
	char *end;
	if (!s)
		usage_error("missing value");
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end) {
		fprintf(stderr, "difftest: bad value '%s' for %s\n", s, name);
		exit(2);
	}
	return v;
}

/* exclude_kinds: --exclude a,b,c */
static void exclude_kinds(const char *list)
{
	char buf[256];
	if (!list)
		usage_error("missing value");
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		if (gen_disable_kind(k) < 0) {
			fprintf(stderr, "difftest: unknown kind '%s' (kinds: %s)\n", k,
				gen_kinds_list());
			exit(2);
		}
	}
}

static void parse_opts(int argc, char **argv)
{
	opt.seed = 1;
	opt.count = 20000;
	opt.len = 12;
	opt.max_fail = 1;
	opt.reference = "auto";
	for (int k = 1; k < argc; k++) {
		const char *a = argv[k];
		if (!strcmp(a, "--seed"))
			opt.seed = parse_num(argv[++k], a);
		else if (!strcmp(a, "--count"))
			opt.count = parse_num(argv[++k], a);
		else if (!strcmp(a, "--len"))
			opt.len = parse_num(argv[++k], a);
		else if (!strcmp(a, "--native"))
			opt.native = argv[++k];
		else if (!strcmp(a, "--reference"))
			opt.reference = argv[++k];
		else if (!strcmp(a, "--qemu"))
			opt.qemu = argv[++k];
		else if (!strcmp(a, "--native-only"))
			opt.native_only = true;
		else if (!strcmp(a, "--inject"))
			opt.inject = true;
		else if (!strcmp(a, "--max-fail"))
			opt.max_fail = parse_num(argv[++k], a);
		else if (!strcmp(a, "--exclude"))
			exclude_kinds(argv[++k]);
		else if (!strcmp(a, "--print"))
			opt.print = true;
		else if (!strcmp(a, "-v"))
			opt.verbose = true;
		else
			usage_error("unknown option");
	}
	if (!opt.native)
		usage_error("--native PATH is required");
	if (!opt.reference || (strcmp(opt.reference, "auto") && strcmp(opt.reference, "cpu") &&
			       strcmp(opt.reference, "qemu")))
		usage_error("--reference must be auto, cpu or qemu");
	if (opt.len < 1 || opt.len > 1000)
		usage_error("--len must be in 1..1000");
	if (opt.inject && !opt.native_only)
		usage_error("--inject needs --native-only");
}

/* setup: start the helpers and the engine; returns 0, or an exit status. */
static int setup(void)
{
	char why[256];
	signal(SIGPIPE, SIG_IGN);
	if (diff_reference_pick(opt.reference, opt.native, opt.qemu, &ref, why, sizeof(why)) < 0) {
		printf("SKIP: %s\n", why);
		return EXIT_SKIP;
	}
	name_a = ref.kind == REF_CPU ? "cpu" : "qemu";
	printf("difftest: reference: %s (%s)\n", ref.name, ref.reason);
	fflush(stdout);
	side_a = diff_reference_open(&ref, why, sizeof(why));
	if (!side_a) {
		printf("difftest: %s\n", why);
		return 1;
	}
	if (opt.native_only) {
		name_b = ref.kind == REF_CPU ? "cpu2" : "qemu2";
		side_b = diff_reference_open(&ref, why, sizeof(why));
		if (!side_b)
			printf("difftest: %s\n", why);
		return side_b ? 0 : 1;
	}
	if (diff_bt_open(why, sizeof(why)) < 0) {
		printf("SKIP: %s\n", why);
		return EXIT_SKIP;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen_seq s;
	static struct gen_code c;
	static struct outcome a, b;
	pthread_t wd;
	parse_opts(argc, argv);
	int st = setup();
	if (st)
		return st;
	pthread_create(&wd, NULL, watchdog, NULL);
	uint64_t t0 = (uint64_t)time(NULL), bytes = 0, failed = 0;
	uint64_t i, masked = 0, masked_diff = 0;
	unsigned shrunk_to = 0;
	for (i = 0; i < opt.count && failed < opt.max_fail; i++) {
		const char *why;
		cur_index = i;
		gen_sequence(&s, opt.seed, i, opt.len);
		if (gen_encode(&s, &c, &why)) {
			printf("difftest: seed %llu index %llu: generator bug: sequence %s\n",
			       (unsigned long long)opt.seed, (unsigned long long)i, why);
			return 1;
		}
		bytes += c.len;
		if (opt.print) {
			printf("sequence %llu (flags compared: %s):\n", (unsigned long long)i,
			       gen_flags_str(c.flags_defined));
			gen_print(&c, stdout);
		}
		if (!run_pair(&s, &c, &a, &b))
			return helper_died(i);
		count_masked(&c, &a, &b, &masked, &masked_diff);
		if (differs(&c, &a, &b)) {
			shrink(&s);
			if (gen_encode(&s, &c, &why) || !run_pair(&s, &c, &a, &b))
				return helper_died(i);
			report(&s, &c, &a, &b);
			shrunk_to = s.ngroups;
			failed++;
		}
		gen_free(&s);
		fflush(stdout);
	}
	if (opt.verbose) {
		printf("groups by kind:\n");
		gen_kinds_stats(stdout);
	}
	bool pass = opt.inject ? failed && shrunk_to == 1 : !failed;
	if (opt.inject)
		printf("planted mismatch %s (shrunk to %u groups)\n",
		       failed ? "found" : "NOT found", shrunk_to);
	printf("%s: seed %llu, %llu sequences of %u groups (%llu code bytes), %llu failed, "
	       "%s vs %s, reference %s, %llu comparisons masked by its quirks (%llu of them "
	       "differed there), %llus\n",
	       pass ? "PASS" : "FAIL", (unsigned long long)opt.seed, (unsigned long long)i, opt.len,
	       (unsigned long long)bytes, (unsigned long long)failed, name_a, name_b, ref.name,
	       (unsigned long long)masked, (unsigned long long)masked_diff,
	       (unsigned long long)((uint64_t)time(NULL) - t0));
	diff_native_close(side_a);
	diff_native_close(side_b);
	if (!opt.native_only)
		diff_bt_close();
	return pass ? 0 : 1;
}
