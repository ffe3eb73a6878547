/*
 * quirks.h - known errors of a reference CPU, masked for that reference only.
 *
 * Each entry is explained in tests/diff/README.md (the SDM and the real CPU
 * say otherwise).  Two kinds:
 *
 * QUIRK_FLAGS: after instruction `mnemonic`, reference `ref` shows the EFLAGS
 * bits `flags` wrongly.  The flag analysis (gen_flags.c) follows such bits
 * forward as "tainted" until an instruction rewrites them:
 * - the generator never lets a later instruction read a tainted bit, with
 *   any reference, so the sequences of a seed do not depend on the reference
 *   and a wrong flag can never spread into registers or memory;
 * - at the end of a sequence, the bits still tainted for the reference in use
 *   are left out of the comparison, and the run counts how often.
 *
 * QUIRK_NAN: the NaN that instruction `mnemonic` (a store of an x87 result)
 * writes has the wrong sign and payload on reference `ref`: x87 arithmetic
 * there picks another NaN operand, or quiets it differently.  The generator
 * stores every x87 float result into a slot that no instruction reads
 * (DIFF_X87_OUT), so such a value cannot spread; where both sides hold a NaN
 * in a slot, its sign and payload are not compared with that reference.
 *
 * With the real CPU as the reference nothing is masked.
 */
#ifndef BT86_DIFF_QUIRKS_H
#define BT86_DIFF_QUIRKS_H

#include <stdbool.h>
#include <stdint.h>
#include <Zydis/Zydis.h>

#include "diff.h"

enum diff_quirk_kind { QUIRK_FLAGS, QUIRK_NAN };

struct diff_quirk {
	enum diff_ref_kind ref;
	ZydisMnemonic mnemonic;
	enum diff_quirk_kind kind;
	uint32_t flags; /* QUIRK_FLAGS: DIFF_* bits the reference gets wrong */
	const char *what;
};

extern const struct diff_quirk diff_quirks[];
extern const unsigned diff_nquirks;

/* diff_quirk_flags: the bits reference ref gets wrong after mnemonic m. */
uint32_t diff_quirk_flags(enum diff_ref_kind ref, ZydisMnemonic m);
/* diff_quirk_nan: true if reference ref stores wrong NaNs with mnemonic m. */
bool diff_quirk_nan(enum diff_ref_kind ref, ZydisMnemonic m);

#endif
