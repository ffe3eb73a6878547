/* stats.c - the counter array and its printer (see stats.h). */
#include "monitor/base/stats.h"

uint64_t stats[STAT_NR];

static const char *const stat_desc[STAT_NR] = {
#define STAT_DESC(n, d) [STAT_##n] = d,
    STATS_LIST(STAT_DESC)
#undef STAT_DESC
};

void stats_print(FILE *f)
{
	for (int i = 0; i < STAT_NR; i++)
		fprintf(f, "  %-48s %12llu\n", stat_desc[i], (unsigned long long)stats[i]);
}
