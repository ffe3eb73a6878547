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

/* diff_native_open: start the helper at path; NULL with a message on failure. */
struct native *diff_native_open(const char *path);
void diff_native_close(struct native *n);
/* diff_native_run: run code with s's initial state on the real CPU; -1 when the
 * helper died (message printed), 0 otherwise (o->ok false on a fault). */
int diff_native_run(struct native *n, const struct gen_seq *s, const struct gen_code *c,
		    struct outcome *o);

/* diff_bt_open: a 64 MiB machine on the bt engine.  Returns 0, or -1 with the
 * reason in why when the engine cannot run here (the test is skipped). */
int diff_bt_open(char *why, size_t len);
void diff_bt_close(void);
/* diff_bt_run: run code with s's initial state under bt. */
void diff_bt_run(const struct gen_seq *s, const struct gen_code *c, struct outcome *o);

#endif
