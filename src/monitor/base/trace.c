/* trace.c - the --trace switches (see trace.h). */
#include "monitor/base/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

unsigned trace_mask;

static const struct {
	const char *name;
	unsigned mask;
} trace_kinds[] = {
    {"exc", TRACE_EXC},	      {"int", TRACE_INT},	    {"io", TRACE_IO},
    {"blocks", TRACE_BLOCKS}, {"callouts", TRACE_CALLOUTS}, {"all", ~0u},
};

int trace_parse(const char *spec, const char **bad)
{
	unsigned mask = 0;

	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < ARRAY_SIZE(trace_kinds); i++)
			if (strlen(trace_kinds[i].name) == n && !strncmp(p, trace_kinds[i].name, n))
				break;
		if (i == ARRAY_SIZE(trace_kinds) || n == 0) {
			*bad = p;
			return -EINVAL;
		}
		mask |= trace_kinds[i].mask;
		p += n;
		if (*p == ',')
			p++;
	}
	trace_mask = mask;
	return 0;
}

void trace_printf(const char *fmt, ...)
{
	va_list ap;

	fputs("trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
