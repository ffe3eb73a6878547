/*
 * hpet.h - the High Precision Event Timer at 0xfed00000 (IA-PC HPET 1.0a):
 * a 64-bit main counter at 100 MHz (period 10 ns) from the host's monotonic
 * clock, and three comparators.  Timer 0 can be periodic; every timer can
 * run in 32-bit mode, one-shot or (timer 0) periodic, edge- or level-
 * triggered, routed to IOAPIC pins 2-23 (the route capability bits) or, in
 * legacy replacement mode, timer 0 to ISA IRQ0 and timer 1 to IRQ8, where
 * they replace the PIT's and the RTC's outputs (board.c asks
 * hpet_legacy()).  No FSB delivery.
 */
#ifndef BT86_HPET_H
#define BT86_HPET_H

#include <stdbool.h>
#include <stdint.h>

struct devhost;
struct ioapic;
struct irq_line;
struct hpet;

#define HPET_BASE      0xfed00000u
#define HPET_PERIOD_FS 10000000u /* 10 ns */
#define HPET_TIMERS    3

/* hpet_create: the HPET on h's MMIO bus, owned by h; legacy timers pulse
 * irq0 and irq8 (ISA IRQ lines), routed ones drive IOAPIC io's pins. */
struct hpet *hpet_create(struct devhost *h, struct ioapic *io, struct irq_line *irq0,
			 struct irq_line *irq8);
/* hpet_legacy: legacy replacement is on (the PIT and RTC outputs are cut). */
bool hpet_legacy(const struct hpet *t);

#endif
