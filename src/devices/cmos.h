/*
 * cmos.h - the MC146818-style RTC and 128 bytes of CMOS RAM (ports 0x70,
 * 0x71).
 *
 * Port 0x70 selects the register (bit 7 masks NMI; recorded only), port
 * 0x71 reads or writes it.  The clock is the host's UTC time plus an offset
 * the guest sets by writing the time registers; register B chooses BCD or
 * binary and 12- or 24-hour format.  Bytes 0x15-0x18, 0x30-0x31, 0x34-0x35
 * and 0x5b-0x5d report the RAM size as a PC BIOS leaves them, with the
 * checksum over 0x10-0x2d at 0x2e-0x2f.  The periodic, alarm and
 * update-ended interrupts raise IRQ8 when register B enables them; IRQ8
 * stays up until register C is read.  No square-wave output, no daylight
 * saving switch.
 */
#ifndef BT86_CMOS_H
#define BT86_CMOS_H

#include <stdint.h>

struct devhost;
struct irq_line;
struct cmos;

/* cmos_clock: the wall clock the RTC runs on (ns since the epoch, UTC);
 * CLOCK_REALTIME by default, replaced by unit tests with a fake clock. */
extern uint64_t (*cmos_clock)(void);

/* cmos_create: the RTC/CMOS on h's port bus, reporting devhost_ram_size(h)
 * bytes of RAM, owned by h.  Dies if the ports are taken. */
struct cmos *cmos_create(struct devhost *h, struct irq_line *irq8);

/* cmos_set_floppy: drive A's type in register 0x10 (1: 360K, 2: 1.2M,
 * 3: 720K, 4: 1.44M, 5: 2.88M; 0: none) and the equipment byte's floppy
 * bits, checksum updated. */
void cmos_set_floppy(struct cmos *c, uint8_t type);

#endif
