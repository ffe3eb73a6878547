/*
 * devhost.c - the machine's side of devices/devhost.h: what a device may
 * ask of the machine it is plugged into.
 */
#include "monitor/machine/machine.h"

#include <string.h>
#include "monitor/base/util.h"

#include <stdarg.h>
#include <stdlib.h>

/* machine_of: the machine behind a device's handle (machine_devhost). */
static struct machine *machine_of(struct devhost *h)
{
	return (struct machine *)h;
}

/* devhost_bus: the bus named by which. */
static struct bus *devhost_bus(struct devhost *h, enum devhost_bus which)
{
	return which == DEVHOST_IO ? &machine_of(h)->io : &machine_of(h)->mmio;
}

void *devhost_new_device(size_t size, const struct device *tmpl)
{
	struct device *d = calloc(1, size);

	if (!d)
		die_host("out of memory");
	*d = *tmpl;
	return d;
}

void devhost_add_range(struct devhost *h, enum devhost_bus which, uint64_t base, uint64_t len,
		       struct device *dev)
{
	struct bus *bus = devhost_bus(h, which);

	if (bus_register(bus, base, len, dev) < 0)
		die("%s: %s %#llx-%#llx already taken", dev->name, bus->name,
		    (unsigned long long)base, (unsigned long long)(base + len - 1));
}

int devhost_try_add_range(struct devhost *h, enum devhost_bus which, uint64_t base, uint64_t len,
			  struct device *dev)
{
	return bus_register(devhost_bus(h, which), base, len, dev);
}

void devhost_remove_range(struct devhost *h, enum devhost_bus which, uint64_t base,
			  struct device *dev)
{
	bus_unregister(devhost_bus(h, which), base, dev);
}

void devhost_add_device(struct devhost *h, enum devhost_bus which, uint64_t base, uint64_t len,
			struct device *dev)
{
	struct machine *m = machine_of(h);

	devhost_add_range(h, which, base, len, dev);
	if (m->nr_owned >= ARRAY_SIZE(m->owned))
		die("too many devices (at most %zu)", ARRAY_SIZE(m->owned));
	m->owned[m->nr_owned++] = dev;
}

void devhost_timer_arm(struct devhost *h, struct timer *t, uint64_t deadline)
{
	timer_arm(machine_of(h), t, deadline);
}

void devhost_timer_disarm(struct devhost *h, struct timer *t)
{
	timer_disarm(machine_of(h), t);
}

uint64_t devhost_ram_size(const struct devhost *h)
{
	return ((const struct machine *)h)->ram.size;
}

void devhost_request_exit(struct devhost *h, enum exit_reason r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	machine_request_exitv(machine_of(h), r, status, fmt, ap);
	va_end(ap);
}

void devhost_console_byte(struct devhost *h, uint8_t b)
{
	guest_watch_byte(machine_of(h), b);
}

void devhost_raise_nmi(struct devhost *h)
{
	machine_of(h)->vcpu.nmi_pending = true;
}

const uint8_t *devhost_ram_ptr(struct devhost *h, uint64_t gpa, uint64_t len)
{
	return ram_ptr(&machine_of(h)->ram, gpa, len);
}

int devhost_dma_write(struct devhost *h, uint64_t gpa, const void *data, uint64_t len)
{
	struct machine *m = machine_of(h);
	uint8_t *p = ram_ptr(&m->ram, gpa, len);

	if (!p)
		return -1;
	memcpy(p, data, len);
	if (m->engine && m->engine->invalidate) /* code and page tables alike */
		m->engine->invalidate(m, gpa, len);
	return 0;
}

int devhost_dma_read(struct devhost *h, uint64_t gpa, void *data, uint64_t len)
{
	const uint8_t *p = ram_ptr(&machine_of(h)->ram, gpa, len);

	if (!p)
		return -1;
	memcpy(data, p, len);
	return 0;
}

void devhost_set_a20(struct devhost *h, enum devhost_a20 gate, bool enabled)
{
	struct machine *m = machine_of(h);
	/* a gate's bit set means that gate is off; the line is on while
	 * either gate is on */
	uint8_t off = (uint8_t)((m->a20_gates_off & ~(1u << gate)) | (enabled ? 0 : 1u << gate));
	bool a20_off = off == 3;

	m->a20_gates_off = off;
	if (a20_off == m->vcpu.a20_off)
		return;
	m->vcpu.a20_off = a20_off;
	if (m->engine && m->engine->set_a20)
		m->engine->set_a20(m, !a20_off);
}

bool devhost_serial_used(struct devhost *h)
{
	return machine_of(h)->watch.bytes != 0;
}
