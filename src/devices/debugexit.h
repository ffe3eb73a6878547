/*
 * debugexit.h - isa-debug-exit as in QEMU (ports 0xf4-0xf7): a write of v
 * (1, 2 or 4 bytes) ends the run with exit status (v << 1) | 1, so a test
 * guest reports its result as the process status.  Reads return all ones.
 */
#ifndef BT86_DEBUGEXIT_H
#define BT86_DEBUGEXIT_H

struct machine;

/* debugexit_create: the ports on m->io, owned by m.  Dies if taken. */
void debugexit_create(struct machine *m);

#endif
