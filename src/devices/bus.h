/*
 * bus.h - port-I/O and MMIO buses.
 *
 * A bus is a sorted set of non-overlapping ranges [base, base+len).  Each
 * range belongs to a device, which sees offsets relative to its base, never
 * absolute addresses.  bus_register() rejects overlaps.  Accesses are 1, 2
 * or 4 bytes (8 for MMIO); an access that hits no range reads as all ones and
 * writes are dropped, as on a PC.  All bus calls happen on the vCPU thread:
 * devices need no locks.
 */
#ifndef BT86_BUS_H
#define BT86_BUS_H

#include <stdint.h>
#include <stdbool.h>

struct device;

/* Read callback: return the value of `size` bytes at `offset`. */
typedef uint64_t (*dev_read_fn)(struct device *dev, uint64_t offset, unsigned size);
/* Write callback: store `size` bytes of `value` at `offset`. */
typedef void (*dev_write_fn)(struct device *dev, uint64_t offset, unsigned size, uint64_t value);

/* A device: embedded as the first member of each device's own struct. */
struct device {
	const char *name;
	dev_read_fn read;
	dev_write_fn write;
	void (*reset)(struct device *dev);   /* optional: back to power-on state */
	void (*destroy)(struct device *dev); /* optional: free resources */
	/* byte_wide: the device has 8-bit registers only; the bus splits a
	 * wider access into byte accesses at consecutive offsets (lowest
	 * first), as an ISA bus does for an 8-bit peripheral. */
	bool byte_wide;
};

struct bus_range {
	uint64_t base, len;
	struct device *dev;
};

struct bus {
	const char *name;	  /* "io" or "mmio", for messages */
	struct bus_range *ranges; /* sorted by base */
	unsigned nr, cap;
	uint64_t unassigned; /* statistics: accesses that hit nothing */
};

/* bus_init: empty bus named `name`. */
void bus_init(struct bus *bus, const char *name);
/* bus_destroy: free the range table (devices are destroyed by their owner). */
void bus_destroy(struct bus *bus);
/* bus_register: add [base, base+len) for dev; -EEXIST if it overlaps a range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, struct device *dev);
/* bus_find: the range containing addr, or NULL. */
struct bus_range *bus_find(struct bus *bus, uint64_t addr);
/* bus_unregister: remove dev's range that starts at base (a PCI BAR that
 * moves); -ENOENT if there is none. */
int bus_unregister(struct bus *bus, uint64_t base, struct device *dev);
/* bus_read: read size bytes at addr; all ones when nothing is there. */
uint64_t bus_read(struct bus *bus, uint64_t addr, unsigned size);
/* bus_write: write size bytes at addr; dropped when nothing is there. */
void bus_write(struct bus *bus, uint64_t addr, unsigned size, uint64_t value);

#endif
