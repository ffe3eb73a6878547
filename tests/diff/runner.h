/*
 * runner.h - the two executors of a sequence: the real CPU (through the
 * native32 helper process) and the bt engine (one machine for all runs).
 */
#ifndef BT86_DIFF_RUNNER_H
#define BT86_DIFF_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "gen.h"

/* What a run left behind. */
struct outcome {
	bool ok;       /* the run reached the end of the sequence */
	char err[256]; /* why not, when !ok */
	uint32_t regs[8];
	uint32_t eflags;
	uint8_t data[DIFF_DATA_SIZE];
};

struct native;

/* diff_native_open: start the helper, argv[0] being the program to run (the
 * helper itself, or qemu-i386 with the helper as its argument); NULL with the
 * reason in why when it cannot be started. */
struct native *diff_native_open(char *const argv[], char *why, size_t len);
/* diff_native_close: end the helper; its wait status, or -1. */
int diff_native_close(struct native *n);
/* diff_native_run: run code with s's initial state on the reference; -1 when
 * the helper died (the caller says so), 0 otherwise (o->ok false on a fault). */
int diff_native_run(struct native *n, const struct gen_seq *s, const struct gen_code *c,
		    struct outcome *o);

/* diff_bt_open: a 64 MiB machine on the bt engine.  Returns 0, or -1 with the
 * reason in why when the engine cannot run here (the test is skipped). */
int diff_bt_open(char *why, size_t len);
void diff_bt_close(void);
/* diff_bt_run: run code with s's initial state under bt. */
void diff_bt_run(const struct gen_seq *s, const struct gen_code *c, struct outcome *o);

#endif
