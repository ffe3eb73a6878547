/* ioapic.c - the I/O APIC (see ioapic.h; 82093AA data sheet). */
#include "devices/ioapic.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "devices/lapic.h"

#include <stdlib.h>
#include <string.h>

#define RTE_MASKED     (1ull << 16)
#define RTE_LEVEL      (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LOW_ACTIVE (1ull << 13)
#define RTE_LOGICAL    (1ull << 11)
#define RTE_MODE(r)    (((r) >> 8) & 7)
#define RTE_WRITABLE   0xff0000000001afffull /* not delivery status or remote IRR */
#define IOAPIC_VERSION (0x11u | (IOAPIC_PINS - 1) << 16)

struct ioapic {
	struct device dev;
	struct devhost *h;
	struct lapic *lapic;
	uint32_t sel, id;
	uint64_t rte[IOAPIC_PINS];
	uint32_t lines; /* input pins asserted (after polarity) */
};

static struct ioapic *ioapic_of(struct device *dev)
{
	return (struct ioapic *)dev;
}

/* ioapic_fire: pin's message, unless masked or (level) still in service;
 * an edge that meets a mask is lost, as on the 82093AA. */
static void ioapic_fire(struct ioapic *io, int pin)
{
	uint64_t r = io->rte[pin];

	if ((r & RTE_MASKED) || ((r & RTE_LEVEL) && (r & RTE_REMOTE_IRR)))
		return;
	if (!lapic_match(io->lapic, (uint8_t)(r >> 56), r & RTE_LOGICAL))
		return;
	switch (RTE_MODE(r)) {
	case 0: /* fixed */
	case 1: /* lowest priority: the one CPU */
		lapic_deliver(io->lapic, (uint8_t)r, r & RTE_LEVEL);
		break;
	case 4: /* NMI */
		devhost_raise_nmi(io->h);
		break;
	default: /* SMI, INIT, ExtINT (the 8259 reaches LINT0 itself) */
		return;
	}
	if (r & RTE_LEVEL)
		io->rte[pin] |= RTE_REMOTE_IRR;
}

/* ioapic_level_again: a level-triggered pin still asserted fires again. */
static void ioapic_level_again(struct ioapic *io, int pin)
{
	if ((io->rte[pin] & RTE_LEVEL) && (io->lines >> pin & 1))
		ioapic_fire(io, pin);
}

void ioapic_set_irq(struct ioapic *io, int pin, int level)
{
	if (pin < 0 || pin >= IOAPIC_PINS)
		return;
	bool active = (level != 0) != ((io->rte[pin] & RTE_LOW_ACTIVE) != 0);
	bool was = io->lines >> pin & 1;

	io->lines = (io->lines & ~(1u << pin)) | (uint32_t)active << pin;
	if (active && ((io->rte[pin] & RTE_LEVEL) || !was))
		ioapic_fire(io, pin);
}

void ioapic_eoi(void *opaque, uint8_t vector)
{
	struct ioapic *io = opaque;

	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		if ((uint8_t)io->rte[pin] != vector || !(io->rte[pin] & RTE_LEVEL))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		ioapic_level_again(io, pin);
	}
}

/* ioapic_reg_read: the register IOREGSEL selects. */
static uint32_t ioapic_reg_read(struct ioapic *io)
{
	unsigned s = io->sel & 0xff;

	if (s == 0)
		return io->id;
	if (s == 1)
		return IOAPIC_VERSION;
	if (s == 2)
		return io->id; /* arbitration ID */
	if (s >= 0x10 && s < 0x10 + 2 * IOAPIC_PINS)
		return (uint32_t)(io->rte[(s - 0x10) / 2] >> (s & 1 ? 32 : 0));
	return 0;
}

static void ioapic_reg_write(struct ioapic *io, uint32_t v)
{
	unsigned s = io->sel & 0xff;

	if (s == 0) {
		io->id = v & 0x0f000000u;
		return;
	}
	if (s < 0x10 || s >= 0x10 + 2 * IOAPIC_PINS)
		return;
	int pin = (int)(s - 0x10) / 2;
	uint64_t r = io->rte[pin], shift = s & 1 ? 32 : 0;

	r = (r & ~(0xffffffffull << shift)) | (uint64_t)v << shift;
	io->rte[pin] = (io->rte[pin] & ~RTE_WRITABLE) | (r & RTE_WRITABLE);
	if (!(io->rte[pin] & RTE_LEVEL))
		io->rte[pin] &= ~RTE_REMOTE_IRR;
	ioapic_level_again(io, pin); /* unmasking an asserted level pin */
}

static uint64_t ioapic_read(struct device *dev, uint64_t off, unsigned size)
{
	struct ioapic *io = ioapic_of(dev);

	if (off == 0x00)
		return io->sel;
	if (off == 0x10)
		return ioapic_reg_read(io);
	return 0;
}

static void ioapic_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct ioapic *io = ioapic_of(dev);

	if (off == 0x00)
		io->sel = (uint32_t)v & 0xff;
	else if (off == 0x10)
		ioapic_reg_write(io, (uint32_t)v);
}

/* ioapic_reset: every pin masked, edge, active high; the inputs keep
 * their levels. */
static void ioapic_reset(struct device *dev)
{
	struct ioapic *io = ioapic_of(dev);

	io->sel = 0;
	io->id = 0;
	for (int i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
}

static void ioapic_destroy(struct device *dev)
{
	free(dev);
}

struct ioapic *ioapic_create(struct devhost *h, struct lapic *a)
{
	struct ioapic *io =
	    devhost_new_device(sizeof(*io), &(struct device){.name = "ioapic",
							     .read = ioapic_read,
							     .write = ioapic_write,
							     .reset = ioapic_reset,
							     .destroy = ioapic_destroy});

	io->h = h;
	io->lapic = a;
	ioapic_reset(&io->dev);
	devhost_add_device(h, DEVHOST_MMIO, IOAPIC_BASE, 0x20, &io->dev);
	return io;
}
