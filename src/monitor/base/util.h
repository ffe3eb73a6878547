/*
 * util.h - small helpers shared by every subsystem.
 *
 * die() is for monitor bugs: it prints file:line and aborts (status 134).
 * die_host() is for host failures the monitor cannot go on after (out of
 * memory, a system call that must not fail): one line, exit status 8.
 * Recoverable errors are returned as negative errno values.  Guest
 * misbehaviour never reaches either: it becomes a guest exception or a
 * clean end of the run.
 */
#ifndef BT86_UTIL_H
#define BT86_UTIL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "monitor/base/exit.h"

#define likely(x)	 __builtin_expect(!!(x), 1)
#define unlikely(x)	 __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + (a)-1) & ~((typeof(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a)-1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

#define KiB (1024ull)
#define MiB (1024ull * 1024)
#define GiB (1024ull * 1024 * 1024)

/* le16 / le32 / le64: little-endian fields of a byte image (unaligned);
 * le_put16 / le_put32 store them. */
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le32(const uint8_t *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}
static inline uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}
static inline void le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void le_put32(uint8_t *p, uint32_t v)
{
	le_put16(p, (uint16_t)v);
	le_put16(p + 2, (uint16_t)(v >> 16));
}

/* die: print "bt86: file:line: message" to stderr and abort.  Never returns. */
#define die(...) util_die(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((noreturn, format(printf, 3, 4))) void util_die(const char *file, int line,
							      const char *fmt, ...);

/* die_host: print "bt86: host failure: message" and exit with
 * EXIT_STATUS_HOST.  Never returns. */
#define die_host(...) util_die_host(__VA_ARGS__)
__attribute__((noreturn, format(printf, 1, 2))) void util_die_host(const char *fmt, ...);

/* util_error: print "bt86: message" (one line) to stderr. */
__attribute__((format(printf, 1, 2))) void util_error(const char *fmt, ...);

/* util_now_ns: CLOCK_MONOTONIC in nanoseconds. */
uint64_t util_now_ns(void);
/* util_tsc_start: remember (TSC, CLOCK_MONOTONIC) now, once per process;
 * util_tsc_hz: the host TSC's frequency measured from that pair to now
 * (the longer the process ran, the closer; it waits until 1 ms passed). */
void util_tsc_start(void);
double util_tsc_hz(void);

/* util_read_file: read a whole file into a malloc'd buffer; -errno on
 * failure.  A file larger than max bytes is refused from its size before
 * anything is read: -EFBIG, with its size in *len. */
int util_read_file(const char *path, uint64_t max, uint8_t **buf, size_t *len);

#endif
