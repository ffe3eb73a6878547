/*
 * stats.h - event counters, printed by --stats.
 *
 * One X-macro list: STAT(name, "description").  Counters are plain
 * uint64_t in one global array (one vCPU, updated on the vCPU thread only);
 * translated code may increment them directly through their address.
 */
#ifndef BT86_STATS_H
#define BT86_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_LIST(STAT)                                                                           \
	STAT(blocks_translated, "blocks translated")                                               \
	STAT(insns_translated, "guest instructions translated")                                    \
	STAT(tc_bytes, "translation cache bytes emitted")                                          \
	STAT(tc_flushes, "translation cache flushes")                                              \
	STAT(chained_exits, "block exits chained (patched)")                                       \
	STAT(unchained_exits, "block exits through the dispatcher")                                \
	STAT(ind_lookups, "indirect branch lookups (dispatcher path)")                             \
	STAT(ind_misses, "indirect branch lookup misses")                                          \
	STAT(ind_switches, "indirect table switches (mode or CS base)")                            \
	STAT(callouts, "callouts, all kinds")                                                      \
	STAT(exceptions, "guest exceptions delivered")                                             \
	STAT(interrupts, "guest interrupts delivered")                                             \
	STAT(smc_invalidations, "code pages invalidated by writes")                                \
	STAT(host_faults, "host faults handled (SIGSEGV/SIGFPE)")                                  \
	STAT(poll_stops, "guest stops through the poll page")                                      \
	STAT(mmio_accesses, "MMIO accesses emulated")                                              \
	STAT(io_exits, "port I/O accesses")                                                        \
	STAT(hlt_exits, "HLT waits")                                                               \
	STAT(shadow_fills, "shadow MMU pages filled")                                              \
	STAT(shadow_pfs, "shadow MMU guest page faults found")                                     \
	STAT(shadow_flushes, "shadow MMU flushes (paging mode changes)")                           \
	STAT(shadow_invlpgs, "shadow MMU INVLPGs")                                                 \
	STAT(shadow_evictions, "shadow MMU evictions (mapping budget spent)")                      \
	STAT(shadow_space_hits, "shadow MMU CR3 writes to a cached address space")                 \
	STAT(shadow_space_misses, "shadow MMU CR3 writes that started a space")                    \
	STAT(shadow_sync_drops, "shadow MMU pages dropped: guest entry changed")                   \
	STAT(shadow_traced_writes, "shadow MMU monitor writes to page tables compared")            \
	STAT(shadow_whole, "shadow MMU 4 MiB pages mapped whole")

enum stat_id {
#define STAT_ENUM(n, d) STAT_##n,
	STATS_LIST(STAT_ENUM)
#undef STAT_ENUM
	    STAT_NR
};

extern uint64_t stats[STAT_NR];

#define STAT_INC(n)    (stats[STAT_##n]++)
#define STAT_ADD(n, v) (stats[STAT_##n] += (v))

/* stats_print: every non-zero counter, one per line, to f. */
void stats_print(FILE *f);

#endif
