/*
 * reset_cf9.h - the reset control register at port 0xcf9 (PIIX/ICH): a
 * write that sets bit 2 (reset CPU) requests a reset; bit 1 chooses a hard
 * (system) reset over a soft one, which here is the same EXIT_RESET.
 *
 * The port lies inside the PCI configuration address dword 0xcf8-0xcfb:
 * a machine with a PCI host bridge registers 0xcf8 there and forwards byte
 * writes to 0xcf9 to reset_cf9_write() instead of creating this device.
 */
#ifndef BT86_RESET_CF9_H
#define BT86_RESET_CF9_H

#include <stdint.h>

struct devhost;

/* reset_cf9_create: the port on h's port bus, owned by h.  Dies if it is taken. */
void reset_cf9_create(struct devhost *h);
/* reset_cf9_write: the reset control register's behaviour for a write of
 * v when the previous value was old: requests EXIT_RESET on 0->1 of bit 2. */
void reset_cf9_write(struct devhost *h, uint8_t old, uint8_t v);

#endif
