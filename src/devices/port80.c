/* port80.c - the POST code port (see port80.h). */
#include "devices/port80.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>

struct port80 {
	struct device dev;
	uint8_t code;
};

/* port80_read: the last POST code written. */
static uint64_t port80_read(struct device *dev, uint64_t off, unsigned size)
{
	return ((struct port80 *)dev)->code;
}

/* port80_write: record a POST code. */
static void port80_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	((struct port80 *)dev)->code = value;
}

/* port80_reset: no code written yet. */
static void port80_reset(struct device *dev)
{
	((struct port80 *)dev)->code = 0;
}

/* port80_destroy: free the device. */
static void port80_destroy(struct device *dev)
{
	free(dev);
}

void port80_create(struct devhost *h)
{
	struct port80 *p =
	    devhost_new_device(sizeof(*p), &(struct device){.name = "port80",
							    .read = port80_read,
							    .write = port80_write,
							    .reset = port80_reset,
							    .destroy = port80_destroy,
							    .byte_wide = true});
	devhost_add_device(h, DEVHOST_IO, 0x80, 1, &p->dev);
}
