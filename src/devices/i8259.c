/*
 * i8259.c - the cascaded 8259A pair (see i8259.h), after the Intel 8259A
 * data sheet and the PC/AT wiring.
 *
 * Each chip keeps IRR, ISR, IMR and the levels of its eight inputs.  An
 * edge-triggered input sets its IRR bit on a rising edge and the bit stays
 * until INTA (so a pulse is enough); a level-triggered input (ELCR bit)
 * mirrors the pin in IRR.  Priorities rotate: `prio_base` is the input with
 * the highest priority (0 after init, moved by the rotate commands).
 * The slave's INT output drives the master's IR2 as a level, so a second
 * slave request that is already waiting is never lost behind the first.
 * ISA IRQ line 2 is the cascade itself and is not a usable input.
 */
#include "devices/i8259.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stddef.h>
#include <stdlib.h>

#define ICW1_IC4    0x01
#define ICW1_SNGL   0x02
#define ICW1	    0x10
#define OCW3	    0x08
#define ICW4_AEOI   0x02
#define ICW4_SFNM   0x10
#define PIC_CASCADE 2

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines; /* input pin levels */
	uint8_t elcr, elcr_mask;
	uint8_t base; /* ICW2: vector of IR0 */
	uint8_t icw1, icw3, icw4;
	uint8_t init_step; /* next ICW expected on the odd port; 0 = running */
	uint8_t prio_base; /* the input with the highest priority */
	bool read_isr, poll, special_mask, rotate_aeoi;
};

struct pic {
	struct device dev;	 /* master, 0x20-0x21 (owned by the machine) */
	struct device slave_dev; /* slave, 0xa0-0xa1 */
	struct device elcr_dev;	 /* ELCR, 0x4d0-0x4d1 */
	struct devhost *h;
	struct pic_chip chip[2]; /* [0] master, [1] slave */
};

#define pic_of(d, member) ((struct pic *)((char *)(d)-offsetof(struct pic, member)))

/* chip_prio: relative priority (0 = highest) of the best input in mask, 8
 * if mask is empty. */
static unsigned chip_prio(const struct pic_chip *c, uint8_t mask)
{
	for (unsigned i = 0; i < 8; i++)
		if (mask & (1u << ((c->prio_base + i) & 7)))
			return i;
	return 8;
}

/* chip_pending: the input the chip would interrupt for now, or -1: the
 * best unmasked request must beat every input in service (masked ones
 * excluded in special mask mode; the cascade input excluded on a master in
 * special fully nested mode). */
static int chip_pending(const struct pic_chip *c, bool master)
{
	unsigned req = chip_prio(c, c->irr & ~c->imr);
	uint8_t busy = c->isr;

	if (req == 8)
		return -1;
	if (c->special_mask)
		busy &= ~c->imr;
	if (master && (c->icw4 & ICW4_SFNM))
		busy &= ~(1u << PIC_CASCADE);
	if (req >= chip_prio(c, busy))
		return -1;
	return (c->prio_base + req) & 7;
}

/* chip_set: drive input pin to level. */
static void chip_set(struct pic_chip *c, unsigned pin, int level)
{
	uint8_t mask = 1u << pin;

	if (c->elcr & mask) {
		if (level)
			c->irr |= mask;
		else
			c->irr &= ~mask;
	} else if (level && !(c->lines & mask)) {
		c->irr |= mask;
	}
	if (level)
		c->lines |= mask;
	else
		c->lines &= ~mask;
}

/* chip_ack: the chip is acknowledged for input irq: an edge request is
 * consumed; the ISR bit is set unless in auto-EOI mode. */
static void chip_ack(struct pic_chip *c, unsigned irq)
{
	uint8_t mask = 1u << irq;

	if (!(c->elcr & mask))
		c->irr &= ~mask;
	if (c->icw4 & ICW4_AEOI) {
		if (c->rotate_aeoi)
			c->prio_base = (irq + 1) & 7;
	} else {
		c->isr |= mask;
	}
}

/* pic_cascade: carry the slave's INT output to the master's IR2. */
static void pic_cascade(struct pic *p)
{
	struct pic_chip *mc = &p->chip[0];
	uint8_t bit = 1u << PIC_CASCADE;

	if (chip_pending(&p->chip[1], false) >= 0) {
		mc->irr |= bit;
		mc->lines |= bit;
	} else {
		mc->irr &= ~bit;
		mc->lines &= ~bit;
	}
}

/* pic_set_irq: the irq_line callback: ISA IRQ pin (0-15) to level. */
static void pic_set_irq(void *opaque, int pin, int level)
{
	struct pic *p = opaque;

	if (pin < 0 || pin > 15 || pin == PIC_CASCADE)
		return;
	chip_set(&p->chip[pin >> 3], pin & 7, level);
	pic_cascade(p);
}

/* chip_eoi: OCW2: the EOI and rotation commands. */
static void chip_eoi(struct pic_chip *c, uint8_t v)
{
	unsigned level = v & 7, cmd = v >> 5, p;

	switch (cmd) {
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		p = chip_prio(c, c->isr);
		if (p == 8)
			break;
		level = (c->prio_base + p) & 7;
		c->isr &= ~(1u << level);
		if (cmd == 5)
			c->prio_base = (level + 1) & 7;
		break;
	case 3: /* specific EOI */
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << level);
		if (cmd == 7)
			c->prio_base = (level + 1) & 7;
		break;
	case 6: /* set priority: level becomes the lowest */
		c->prio_base = (level + 1) & 7;
		break;
	case 4: /* set rotate in auto-EOI mode */
	case 0: /* clear rotate in auto-EOI mode */
		c->rotate_aeoi = cmd == 4;
		break;
	default: /* 2: no operation */
		break;
	}
}

/* chip_icw1: start the initialization sequence: IMR and ISR cleared, edge
 * requests forgotten, priorities back to IR0 highest, IRR selected for
 * reading, special mask off; ICW4 features off unless ICW4 follows. */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->icw1 = v;
	c->icw4 = 0;
	c->imr = c->isr = 0;
	c->irr = c->lines & c->elcr;
	c->prio_base = 0;
	c->read_isr = c->poll = c->special_mask = c->rotate_aeoi = false;
	c->init_step = 2;
}

/* chip_write_data: the odd port: the next ICW during init, else IMR. */
static void chip_write_data(struct pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->base = v & 0xf8;
		if (!(c->icw1 & ICW1_SNGL))
			c->init_step = 3;
		else
			c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
		break;
	case 3:
		c->icw3 = v;
		c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
		break;
	case 4:
		c->icw4 = v;
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
}

/* chip_write: a write to the chip's port off (0 even, 1 odd). */
static void chip_write(struct pic_chip *c, uint64_t off, uint8_t v)
{
	if (off == 1) {
		chip_write_data(c, v);
	} else if (v & ICW1) {
		chip_icw1(c, v);
	} else if (v & OCW3) {
		if (v & 0x04)
			c->poll = true;
		if (v & 0x02)
			c->read_isr = v & 0x01;
		if (v & 0x40)
			c->special_mask = v & 0x20;
	} else {
		chip_eoi(c, v);
	}
}

/* chip_read: a read of port off; after a poll command the even port
 * answers the poll (bit 7: request present, bits 2:0 its input) and
 * acknowledges it like an INTA. */
static uint8_t chip_read(struct pic_chip *c, uint64_t off, bool master)
{
	int irq;

	if (off == 1)
		return c->imr;
	if (c->poll) {
		c->poll = false;
		irq = chip_pending(c, master);
		if (irq < 0)
			return 0;
		chip_ack(c, irq);
		return 0x80 | irq;
	}
	return c->read_isr ? c->isr : c->irr;
}

/* pic_master_read / pic_slave_read / ..._write: bus callbacks. */
static uint64_t pic_master_read(struct device *dev, uint64_t off, unsigned size)
{
	struct pic *p = pic_of(dev, dev);
	uint8_t v = chip_read(&p->chip[0], off, true);

	pic_cascade(p);
	return v;
}

static uint64_t pic_slave_read(struct device *dev, uint64_t off, unsigned size)
{
	struct pic *p = pic_of(dev, slave_dev);
	uint8_t v = chip_read(&p->chip[1], off, false);

	pic_cascade(p);
	return v;
}

static void pic_master_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct pic *p = pic_of(dev, dev);

	chip_write(&p->chip[0], off, v);
	pic_cascade(p);
}

static void pic_slave_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct pic *p = pic_of(dev, slave_dev);

	chip_write(&p->chip[1], off, v);
	pic_cascade(p);
}

/* pic_elcr_read / pic_elcr_write: ELCR1 (master) at 0, ELCR2 at 1; a
 * level input's IRR bit follows its pin from now on. */
static uint64_t pic_elcr_read(struct device *dev, uint64_t off, unsigned size)
{
	return pic_of(dev, elcr_dev)->chip[off & 1].elcr;
}

static void pic_elcr_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct pic *p = pic_of(dev, elcr_dev);
	struct pic_chip *c = &p->chip[off & 1];

	c->elcr = v & c->elcr_mask;
	c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	pic_cascade(p);
}

/* pic_reset: power-on state; the input pins keep their levels. */
static void pic_reset(struct device *dev)
{
	struct pic *p = pic_of(dev, dev);

	for (int i = 0; i < 2; i++) {
		struct pic_chip *c = &p->chip[i];
		uint8_t lines = c->lines;

		*c = (struct pic_chip){.lines = lines, .elcr_mask = i ? 0xde : 0xf8};
	}
	pic_cascade(p);
}

/* pic_destroy: free the pair. */
static void pic_destroy(struct device *dev)
{
	free(pic_of(dev, dev));
}

struct pic *pic_create(struct devhost *h, struct irq_line *isa)
{
	struct pic *p = devhost_new_device(sizeof(*p), &(struct device){.name = "i8259-master",
									.read = pic_master_read,
									.write = pic_master_write,
									.reset = pic_reset,
									.destroy = pic_destroy,
									.byte_wide = true});

	p->h = h;
	p->slave_dev = (struct device){.name = "i8259-slave",
				       .read = pic_slave_read,
				       .write = pic_slave_write,
				       .byte_wide = true};
	p->elcr_dev = (struct device){.name = "i8259-elcr",
				      .read = pic_elcr_read,
				      .write = pic_elcr_write,
				      .byte_wide = true};
	pic_reset(&p->dev);
	devhost_add_device(h, DEVHOST_IO, 0x20, 2, &p->dev);
	devhost_add_range(h, DEVHOST_IO, 0xa0, 2, &p->slave_dev);
	devhost_add_range(h, DEVHOST_IO, 0x4d0, 2, &p->elcr_dev);
	for (int i = 0; i < 16; i++) {
		isa[i].set = pic_set_irq;
		isa[i].opaque = p;
		isa[i].pin = i;
	}
	return p;
}

bool pic_intr_pending(struct pic *p)
{
	return chip_pending(&p->chip[0], true) >= 0;
}

int pic_intr_ack(struct pic *p)
{
	struct pic_chip *mc = &p->chip[0], *sc = &p->chip[1];
	int irq = chip_pending(mc, true), sirq;
	int vec;

	if (irq < 0)
		return mc->base + 7; /* spurious IRQ7 */
	if (irq == PIC_CASCADE) {
		sirq = chip_pending(sc, false);
		chip_ack(mc, PIC_CASCADE);
		if (sirq >= 0) {
			chip_ack(sc, sirq);
			vec = sc->base + sirq;
		} else {
			vec = sc->base + 7; /* spurious IRQ15 */
		}
	} else {
		chip_ack(mc, irq);
		vec = mc->base + irq;
	}
	pic_cascade(p);
	return vec;
}
