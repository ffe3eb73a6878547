/*
 * board.h - the PC board: which devices a machine has, where they sit and
 * how their interrupt lines are wired (board.c).
 */
#ifndef BT86_BOARD_H
#define BT86_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"

struct machine;
struct uart;
struct pic;
struct pit;
struct cmos;
struct isa_dma;
struct pci_host;
struct ata;
struct i8042;
struct lapic;
struct ioapic;
struct fw_cfg;
struct hpet;

/* The devices the machine itself talks to (every device, these included,
 * is also in machine.owned for reset and teardown). */
struct pc_board {
	struct uart *com1; /* console input goes here (event.c) */
	struct pic *pic;   /* the CPU's INTR pin and INTA cycle */
	struct pit *pit;
	struct cmos *cmos;
	struct i8042 *kbd;
	struct lapic *lapic;   /* the CPU's interrupts (with the PIC on LINT0) */
	struct ioapic *ioapic; /* ISA IRQs go to it and to the PIC */
	struct irq_line pic_in[16];
	struct fw_cfg *fw_cfg; /* its items come from the loaders */
	struct isa_dma *dma;   /* the 8237 pair (the floppy's channel 2) */
	struct pci_host *pci;
	struct ata *ata[2]; /* the IDE channels, NULL where no disk is */
	struct hpet *hpet;
	struct irq_line *isa;		  /* the machine's ISA IRQ lines */
	struct irq_line pit_out, rtc_out; /* cut while the HPET has legacy routing */
};

/* board_create: every PC device on m's buses, wired to m->isa_irq; the
 * serial and debugcon outputs must be open. */
void board_create(struct machine *m);
/* board_apic_base: the guest wrote IA32_APIC_BASE. */
void board_apic_base(struct machine *m, uint64_t val);
/* board_tsc_deadline: the guest wrote IA32_TSC_DEADLINE (tsc, reached at
 * host time at_ns); board_tsc_deadline_value: what it reads. */
void board_tsc_deadline(struct machine *m, uint64_t tsc, uint64_t at_ns);
uint64_t board_tsc_deadline_value(struct machine *m);

#endif
