/*
 * i8042.h - the PS/2 keyboard controller (ports 0x60 data, 0x64
 * status/command) with a keyboard that answers commands but has no keys.
 *
 * What guests use it for: the controller self-tests, the command byte,
 * the output port (A20 gate in bit 1, reset line in bit 0) and the 0xFE
 * pulse that reboots the PC.  Output port bit 1 is one of the two A20
 * gates (devhost_set_a20, with port 0x92's).  No AUX
 * (mouse) device is attached.
 */
#ifndef BT86_I8042_H
#define BT86_I8042_H

#include <stdbool.h>
#include <stdint.h>

struct devhost;
struct irq_line;
struct i8042;

/* i8042_create: the controller on h's port bus (0x60, 0x64) raising irq1 when
 * keyboard data waits and the command byte enables it; owned by h.  Dies
 * if the ports are taken. */
struct i8042 *i8042_create(struct devhost *h, struct irq_line *irq1);
/* i8042_a20: the A20 gate bit of the output port. */
bool i8042_a20(struct i8042 *k);

#endif
