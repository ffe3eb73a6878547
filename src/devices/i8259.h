/*
 * i8259.h - the PC's cascaded pair of 8259A interrupt controllers.
 *
 * Master at ports 0x20-0x21, slave at 0xa0-0xa1 on the master's IR2, and
 * the edge/level control registers (ELCR) at 0x4d0-0x4d1.  pic_create()
 * wires m->isa_irq[0..15] to the pair, so a device raises ISA IRQ n with
 * irq_set(&m->isa_irq[n], level).  The CPU side is pic_intr_pending() (the
 * INTR pin) and pic_intr_ack() (the INTA cycle).
 */
#ifndef BT86_I8259_H
#define BT86_I8259_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct pic;

/* pic_create: the pair on m->io, wired to m->isa_irq[], owned by m.  Dies
 * if the ports are taken. */
struct pic *pic_create(struct machine *m);
/* pic_intr_pending: the master's INT output: an unmasked request whose
 * priority beats everything in service. */
bool pic_intr_pending(struct pic *p);
/* pic_intr_ack: INTA: the vector of the highest-priority request, which
 * moves from IRR to ISR (or is dismissed in auto-EOI mode); with nothing
 * pending, the spurious vector of IR7 of the master (or of the slave when
 * the cascade request vanished). */
int pic_intr_ack(struct pic *p);

#endif
