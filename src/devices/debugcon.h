/*
 * debugcon.h - the Bochs/QEMU debug console (port 0xe9): each byte written
 * goes to an output stream; a read returns 0xe9, which lets a guest detect
 * the port.
 */
#ifndef BT86_DEBUGCON_H
#define BT86_DEBUGCON_H

#include <stdio.h>

struct devhost;

/* debugcon_create: the port on h's port bus writing to out (NULL discards),
 * owned by h.  Dies if the port is taken. */
void debugcon_create(struct devhost *h, FILE *out);

#endif
