/* util.c - error reporting, time and file helpers (see util.h). */
#include "monitor/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

void util_die(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bt86: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void util_die_host(const char *fmt, ...)
{
	va_list ap;

	fputs("bt86: host failure: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_STATUS_HOST);
}

void util_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bt86: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The first (TSC, ns) pair util_tsc_hz measures from. */
static uint64_t tsc_ref, ns_ref;

void util_tsc_start(void)
{
	if (!ns_ref) {
		ns_ref = util_now_ns();
		tsc_ref = __rdtsc();
	}
}

double util_tsc_hz(void)
{
	uint64_t ns, tsc;

	util_tsc_start();
	do { /* at least 1 ms between the two pairs */
		ns = util_now_ns();
		tsc = __rdtsc();
	} while (ns - ns_ref < 1000000);
	return (double)(tsc - tsc_ref) * 1e9 / (double)(ns - ns_ref);
}

int util_read_file(const char *path, uint64_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *p;
	size_t done = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		*len = (size_t)st.st_size;
		close(fd);
		return -EFBIG;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, st.st_size - done);
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;
			free(p);
			close(fd);
			return err;
		}
		done += n;
	}
	close(fd);
	*buf = p;
	*len = done;
	return 0;
}
