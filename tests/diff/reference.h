/*
 * reference.h - which CPU the differential tester compares bt against.
 *
 * The reference runs the 32-bit helper (native32).  It is the real CPU when
 * this host executes 32-bit programs itself; on a host that cannot (no IA-32
 * emulation in the kernel: exec format error), the same helper runs under
 * qemu-i386 (Debian's qemu-user).  The choice is made at run time by trying:
 * the helper must start and run a probe job correctly.  A 32-bit exec that a
 * binfmt_misc interpreter would take over is not counted as the real CPU.
 *
 * A reference that is itself wrong on some instruction is described by the
 * quirk table (quirks.c); quirks apply only to the reference they name.
 */
#ifndef BT86_DIFF_REFERENCE_H
#define BT86_DIFF_REFERENCE_H

#include <stddef.h>

#include "runner.h"

struct diff_reference {
	enum diff_ref_kind kind;
	char name[96];	  /* "real CPU" or "qemu-i386 7.2.22 (...)" */
	char reason[320]; /* why this one: what was tried and what it said */
	char *argv[3];	  /* how to start a helper */
	char helper[4096], qemu[4096];
};

/* diff_reference_pick: choose the reference.  want is "auto" (the real CPU
 * if it can run the helper, else qemu-i386), "cpu" or "qemu"; helper is the
 * native32 path; qemu the qemu-i386 program (NULL: found on PATH).  Returns
 * 0 with r filled, or -1 with the reason in why (no usable reference). */
int diff_reference_pick(const char *want, const char *helper, const char *qemu,
			struct diff_reference *r, char *why, size_t len);

/* diff_reference_open: start one helper on reference r; NULL with the
 * reason in why. */
struct native *diff_reference_open(const struct diff_reference *r, char *why, size_t len);

#endif
