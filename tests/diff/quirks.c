/*
 * quirks.c - the table of reference errors (quirks.h).  Every entry has a
 * line in tests/diff/README.md: instruction, flags, SDM reference, which
 * reference is wrong, and how it was seen.
 */
#include "quirks.h"

const struct diff_quirk diff_quirks[] = {
    /* SDM Vol. 2A, CMPXCHG8B/CMPXCHG16B, "Flags Affected": only ZF is
     * written.  qemu-i386 7.2 computes the other flags from a stale
     * condition-code state: CF PF AF SF OF come back as garbage, and PUSHF
     * can even show DF set (a garbage bit 10) while its real DF is clear. */
    {REF_QEMU, ZYDIS_MNEMONIC_CMPXCHG8B, QUIRK_FLAGS,
     DIFF_CF | DIFF_PF | DIFF_AF | DIFF_SF | DIFF_OF | DIFF_DF,
     "cmpxchg8b: flags other than ZF from a stale condition-code state"},
    /* SDM Vol. 1, 4.8.3.5 "Operating on SNaNs and QNaNs", Table 4-7: with
     * two NaN operands the x87 returns the one with the larger significand,
     * with one it returns that NaN, quieted.  qemu-i386 7.2's softfloat picks
     * by other rules: sign and payload of the NaN stored by FSTP differ. */
    {REF_QEMU, ZYDIS_MNEMONIC_FSTP, QUIRK_NAN, 0,
     "x87 arithmetic: NaN operand chosen and quieted by softfloat's rules"},
};
const unsigned diff_nquirks = sizeof(diff_quirks) / sizeof(diff_quirks[0]);

uint32_t diff_quirk_flags(enum diff_ref_kind ref, ZydisMnemonic m)
{
	uint32_t f = 0;
	for (unsigned k = 0; k < diff_nquirks; k++)
		if (diff_quirks[k].ref == ref && diff_quirks[k].mnemonic == m &&
		    diff_quirks[k].kind == QUIRK_FLAGS)
			f |= diff_quirks[k].flags;
	return f;
}

bool diff_quirk_nan(enum diff_ref_kind ref, ZydisMnemonic m)
{
	for (unsigned k = 0; k < diff_nquirks; k++)
		if (diff_quirks[k].ref == ref && diff_quirks[k].mnemonic == m &&
		    diff_quirks[k].kind == QUIRK_NAN)
			return true;
	return false;
}
