/*
 * callout_harness.h - what the callout unit tests share: decoding a hex
 * byte string into a callout site and running it on the cpu tests' small
 * machine (test_cpu_fixture.h).
 */
#ifndef BT86_TEST_CALLOUT_HARNESS_H
#define BT86_TEST_CALLOUT_HARNESS_H

#include "test_cpu_fixture.h"
#include "monitor/insn/callout.h"

/* site_at: decode the bytes `hex` (pairs of hex digits) at eip with the
 * guest CPU model's 32-bit decoder into a callout site. */
static struct callout_site site_at(const char *hex, uint32_t eip)
{
	struct callout_site s;
	ZydisDecoder d;
	uint8_t b[16];
	unsigned n = 0;

	memset(&s, 0, sizeof(s));
	for (; hex[0] && hex[1] && n < sizeof(b); hex += 2) {
		unsigned x;

		ck_assert_int_eq(sscanf(hex, "%2x", &x), 1);
		b[n++] = (uint8_t)x;
	}
	callout_decoder_init(&d, true);
	ck_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, b, n, &s.insn, s.ops)));
	s.eip = eip;
	s.len = s.insn.length;
	return s;
}

/* exec: run `hex` at EIP 0x4000; returns the callout result. */
static enum callout_result exec(const char *hex)
{
	struct callout_site s = site_at(hex, 0x4000);

	V->eip = 0x4000;
	return callout_exec(V, &s);
}

#endif
