/*
 * i8254.h - the 8254 programmable interval timer and port 0x61.
 *
 * Ports 0x40-0x42 are the three counters, 0x43 the control word (counter
 * latch and read-back commands included).  Port 0x61 (system control port
 * B) holds channel 2's gate (bit 0), the speaker enable (bit 1), reads the
 * DRAM refresh toggle (bit 4) and channel 2's OUT (bit 5), the classic way
 * to calibrate a TSC.  The counters run at PIT_HZ on the host's monotonic
 * clock, not on guest instruction counts: a guest that waits a millisecond
 * on the PIT waits one real millisecond.  Channel 0 raises IRQ0 on the
 * rising edges of its OUT through a machine timer.
 */
#ifndef BT86_I8254_H
#define BT86_I8254_H

#include <stdint.h>

#define PIT_HZ 1193182u

struct devhost;
struct irq_line;
struct pit;

/* pit_clock: the clock the counters run on (ns, CLOCK_MONOTONIC);
 * util_now_ns by default, replaced by unit tests with a fake clock. */
extern uint64_t (*pit_clock)(void);

/* pit_create: the PIT on h's port bus (0x40-0x43 and 0x61), channel 0 driving
 * irq0, owned by h.  Dies if the ports are taken. */
struct pit *pit_create(struct devhost *h, struct irq_line *irq0);

#endif
