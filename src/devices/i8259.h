/*
 * i8259.h - the PC's cascaded pair of 8259A interrupt controllers.
 *
 * Master at ports 0x20-0x21, slave at 0xa0-0xa1 on the master's IR2, and
 * the edge/level control registers (ELCR) at 0x4d0-0x4d1.  pic_create()
 * wires the 16 ISA lines it is given to the pair, so a device raises ISA IRQ
 * n with irq_set(&isa[n], level).  The CPU side is pic_intr_pending() (the
 * INTR pin) and pic_intr_ack() (the INTA cycle).
 */
#ifndef BT86_I8259_H
#define BT86_I8259_H

#include <stdbool.h>
#include <stdint.h>

struct devhost;
struct irq_line;
struct pic;

/* pic_create: the pair on h's port bus, with isa[0..15] wired to its
 * inputs, owned by h.  Dies if the ports are taken. */
struct pic *pic_create(struct devhost *h, struct irq_line *isa);
/* pic_intr_pending: the master's INT output: an unmasked request whose
 * priority beats everything in service. */
bool pic_intr_pending(struct pic *p);
/* pic_intr_ack: INTA: the vector of the highest-priority request, which
 * moves from IRR to ISR (or is dismissed in auto-EOI mode); with nothing
 * pending, the spurious vector of IR7 of the master (or of the slave when
 * the cascade request vanished). */
int pic_intr_ack(struct pic *p);

#endif
