/*
 * trace.h - `--trace SPEC`: one line on stderr per traced event.
 *
 * SPEC is a comma-separated list of kinds: exc (exceptions delivered),
 * int (interrupts, hardware and INT n), io (port I/O), blocks (bt: each
 * block translated), callouts (bt: each callout), all.  Tracing costs one
 * predictable branch when off.
 */
#ifndef BT86_TRACE_H
#define BT86_TRACE_H

#include "monitor/base/util.h"

enum trace_kind {
	TRACE_EXC = 1u << 0,
	TRACE_INT = 1u << 1,
	TRACE_IO = 1u << 2,
	TRACE_BLOCKS = 1u << 3,
	TRACE_CALLOUTS = 1u << 4,
};

extern unsigned trace_mask;

/* trace_parse: set trace_mask from spec; -EINVAL (mask unchanged) on an
 * unknown kind, with *bad pointing at it. */
int trace_parse(const char *spec, const char **bad);

/* trace_printf: "trace: " + the formatted line, to stderr. */
__attribute__((format(printf, 1, 2))) void trace_printf(const char *fmt, ...);

#define TRACE(kind, ...)                                                                           \
	do {                                                                                       \
		if (unlikely(trace_mask & (kind)))                                                 \
			trace_printf(__VA_ARGS__);                                                 \
	} while (0)

#endif
