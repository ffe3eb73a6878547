/*
 * bus.c - port-I/O and MMIO buses (see bus.h).
 *
 * The range table is an array kept sorted by base, searched by bisection.
 * An access wholly inside one range goes to that device in one call (split
 * into bytes for byte_wide devices); an access that straddles range ends
 * is split into byte accesses, each routed on its own, so a 16-bit IN that
 * covers two devices reads one byte from each, as on an ISA bus.
 */
#include "devices/bus.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* size_mask: all ones in the low size bytes. */
static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
}

/* bus_upper: index of the first range whose base is > addr. */
static unsigned bus_upper(const struct bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, struct device *dev)
{
	unsigned i;

	if (!len || !dev || base + len - 1 < base)
		return -EINVAL;
	i = bus_upper(bus, base);
	/* ranges[i-1] starts at or below base; ranges[i] starts above it. */
	if (i > 0 && bus->ranges[i - 1].base + bus->ranges[i - 1].len - 1 >= base)
		return -EEXIST;
	if (i < bus->nr && bus->ranges[i].base <= base + len - 1)
		return -EEXIST;
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->nr - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){.base = base, .len = len, .dev = dev};
	bus->nr++;
	return 0;
}

int bus_unregister(struct bus *bus, uint64_t base, struct device *dev)
{
	struct bus_range *r = bus_find(bus, base);

	if (!r || r->base != base || r->dev != dev)
		return -ENOENT;
	unsigned i = (unsigned)(r - bus->ranges);
	memmove(&bus->ranges[i], &bus->ranges[i + 1], (bus->nr - i - 1) * sizeof(bus->ranges[0]));
	bus->nr--;
	return 0;
}

struct bus_range *bus_find(struct bus *bus, uint64_t addr)
{
	unsigned i = bus_upper(bus, addr);
	struct bus_range *r;

	if (i == 0)
		return NULL;
	r = &bus->ranges[i - 1];
	return addr - r->base < r->len ? r : NULL;
}

/* dev_read_split: read size bytes at off from dev, byte by byte if it is
 * byte_wide.  A device without a read callback reads as all ones. */
static uint64_t dev_read_split(struct device *dev, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (!dev->read)
		return size_mask(size);
	if (!dev->byte_wide || size == 1)
		return dev->read(dev, off, size) & size_mask(size);
	for (unsigned i = 0; i < size; i++)
		v |= (dev->read(dev, off + i, 1) & 0xff) << (8 * i);
	return v;
}

/* dev_write_split: the write counterpart of dev_read_split. */
static void dev_write_split(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	if (!dev->write)
		return;
	if (!dev->byte_wide || size == 1) {
		dev->write(dev, off, size, value & size_mask(size));
		return;
	}
	for (unsigned i = 0; i < size; i++)
		dev->write(dev, off + i, 1, (value >> (8 * i)) & 0xff);
}

/* bus_hole: no range overlaps [addr, addr+size). */
static bool bus_hole(struct bus *bus, uint64_t addr, unsigned size)
{
	unsigned i = bus_upper(bus, addr);

	if (i > 0 && addr - bus->ranges[i - 1].base < bus->ranges[i - 1].len)
		return false;
	return i == bus->nr || bus->ranges[i].base - addr >= size;
}

uint64_t bus_read(struct bus *bus, uint64_t addr, unsigned size)
{
	struct bus_range *r = bus_find(bus, addr);
	uint64_t v = 0;

	if (r && addr + size - 1 - r->base < r->len)
		return dev_read_split(r->dev, addr - r->base, size);
	if (!r && bus_hole(bus, addr, size)) {
		bus->unassigned++;
		return size_mask(size);
	}
	/* Straddles a range end (or starts in a hole): route each byte. */
	for (unsigned i = 0; i < size; i++)
		v |= (bus_read(bus, addr + i, 1) & 0xff) << (8 * i);
	return v;
}

void bus_write(struct bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	struct bus_range *r = bus_find(bus, addr);

	if (r && addr + size - 1 - r->base < r->len) {
		dev_write_split(r->dev, addr - r->base, size, value);
		return;
	}
	if (!r && bus_hole(bus, addr, size)) {
		bus->unassigned++;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		bus_write(bus, addr + i, 1, (value >> (8 * i)) & 0xff);
}
