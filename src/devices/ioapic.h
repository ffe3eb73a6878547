/*
 * ioapic.h - the I/O APIC at 0xfec00000 (82093AA): 24 input pins, each
 * with a redirection entry (vector, fixed/lowest-priority/NMI/ExtINT
 * delivery, physical or logical destination, polarity, edge or level with
 * remote IRR, mask), reached through IOREGSEL (0x00) and IOWIN (0x10).
 * Messages go to the one local APIC (lapic.h).  The board wires ISA IRQ n
 * to pin n, except IRQ0 (the PIT) to pin 2, as the MADT's override says.
 */
#ifndef BT86_IOAPIC_H
#define BT86_IOAPIC_H

#include <stdint.h>

struct devhost;
struct lapic;
struct ioapic;

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_PINS 24

/* ioapic_create: the IOAPIC on h's MMIO bus, delivering to a; owned by h. */
struct ioapic *ioapic_create(struct devhost *h, struct lapic *a);
/* ioapic_set_irq: input pin driven to level (active high). */
void ioapic_set_irq(struct ioapic *io, int pin, int level);
/* ioapic_eoi: the local APIC's EOI of a level-triggered vector: remote
 * IRR clears on the pins with that vector (and one still asserted fires
 * again). */
void ioapic_eoi(void *io, uint8_t vector);

#endif
