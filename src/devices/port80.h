/*
 * port80.h - the POST code port (0x80): stores the last byte written and
 * reads it back.  Guests also write it just to delay a little.
 */
#ifndef BT86_PORT80_H
#define BT86_PORT80_H

struct devhost;

/* port80_create: the port on h's port bus, owned by h.  Dies if it is taken. */
void port80_create(struct devhost *h);

#endif
