/*
 * debugexit.h - isa-debug-exit as in QEMU (ports 0xf4-0xf7): a write of v
 * (1, 2 or 4 bytes) ends the run with exit status (v << 1) | 1, so a test
 * guest reports its result as the process status.  Reads return all ones.
 */
#ifndef BT86_DEBUGEXIT_H
#define BT86_DEBUGEXIT_H

struct devhost;

/* debugexit_create: the ports on h's port bus, owned by h.  Dies if taken. */
void debugexit_create(struct devhost *h);

#endif
