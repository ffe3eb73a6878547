/*
 * irq.h - interrupt request lines as objects.
 *
 * A device holds a struct irq_line * and raises or lowers it; it does not
 * know which controller the line is wired to.  The controller provides the
 * set callback when the machine wires the line.
 */
#ifndef BT86_IRQ_H
#define BT86_IRQ_H

struct irq_line {
	void (*set)(void *opaque, int pin, int level);
	void *opaque; /* the controller */
	int pin;      /* the controller's input */
	int level;    /* last level driven, for inspection and tests */
};

/* irq_set: drive the line to level (0 or 1). */
static inline void irq_set(struct irq_line *l, int level)
{
	l->level = level;
	if (l->set)
		l->set(l->opaque, l->pin, level);
}

/* irq_pulse: a rising then falling edge (edge-triggered ISA style). */
static inline void irq_pulse(struct irq_line *l)
{
	irq_set(l, 1);
	irq_set(l, 0);
}

#endif
