/*
 * port92.h - system control port A (0x92), the "fast A20" port.
 *
 * Bit 1 is one of the two A20 gates (devhost_set_a20; the line is open
 * while either gate is); a rising edge of bit 0 requests a reset
 * (EXIT_RESET).
 */
#ifndef BT86_PORT92_H
#define BT86_PORT92_H

struct devhost;

/* port92_create: the port on h's port bus, owned by h.  Dies if it is taken. */
void port92_create(struct devhost *h);

#endif
