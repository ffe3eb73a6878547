/*
 * lapic.h - the local APIC of the one CPU (xAPIC, SDM vol. 3 ch. 11), at
 * 0xfee00000: ID 0, version 0x14 with six LVT entries, TPR/PPR, EOI,
 * LDR/DFR, SVR, ISR/TMR/IRR, ESR, the ICR (fixed, lowest-priority and NMI
 * delivery to this CPU, by destination or shorthand; the delivery-status
 * bit always reads idle), the LVT timer in one-shot, periodic and
 * TSC-deadline modes on a 1 GHz bus clock, LINT0/LINT1 and the error LVT.
 *
 * The CPU side: lapic_intr_pending / lapic_intr_ack for vectors it holds;
 * the 8259's INTR reaches the CPU through LINT0 in ExtINT mode
 * (lapic_pic_through), which is how the machine starts, as a BIOS leaves
 * it ("virtual wire").  Level-triggered vectors broadcast their EOI to the
 * IOAPIC through the callback given at creation.
 */
#ifndef BT86_LAPIC_H
#define BT86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct devhost;
struct lapic;

#define LAPIC_BASE	   0xfee00000u
#define LAPIC_BASE_MSR_BSP (1u << 8)
#define LAPIC_BASE_MSR_EN  (1u << 11)
#define LAPIC_BUS_HZ	   1000000000ull /* the timer's clock before the divider */

/* lapic_create: the APIC on h's MMIO bus, owned by h; eoi(opaque, vector)
 * is told the EOI of each level-triggered vector. */
struct lapic *lapic_create(struct devhost *h, void (*eoi)(void *opaque, uint8_t vector),
			   void *opaque);
/* lapic_deliver: an interrupt message for this CPU (from the IOAPIC or
 * an IPI): vector into IRR, TMR set when level. */
void lapic_deliver(struct lapic *a, uint8_t vector, bool level);
/* lapic_match: a message to dest in physical (APIC ID) or logical mode
 * (flat or cluster model, DFR) is for this CPU. */
bool lapic_match(const struct lapic *a, uint8_t dest, bool logical);
/* lapic_intr_pending: a vector in IRR whose priority class beats PPR. */
bool lapic_intr_pending(const struct lapic *a);
/* lapic_intr_ack: the CPU takes that vector: IRR -> ISR; the spurious
 * vector when nothing is deliverable any more. */
int lapic_intr_ack(struct lapic *a);
/* lapic_pic_through: the 8259's INTR reaches the CPU (the APIC is
 * globally disabled, or LINT0 is unmasked ExtINT). */
bool lapic_pic_through(const struct lapic *a);
/* lapic_set_base_msr: the guest wrote IA32_APIC_BASE (only the enable
 * bit acts: the registers stay at LAPIC_BASE). */
void lapic_set_base_msr(struct lapic *a, uint64_t val);
/* lapic_tsc_deadline: the guest wrote IA32_TSC_DEADLINE: tsc is the value
 * (0 disarms), at_ns when the guest TSC reaches it (host monotonic ns). */
void lapic_tsc_deadline(struct lapic *a, uint64_t tsc, uint64_t at_ns);
/* lapic_tsc_deadline_value: what IA32_TSC_DEADLINE reads. */
uint64_t lapic_tsc_deadline_value(const struct lapic *a);

#endif
