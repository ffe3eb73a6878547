/* debugexit.c - isa-debug-exit (see debugexit.h). */
#include "devices/debugexit.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>

struct debugexit {
	struct device dev;
	struct devhost *h;
};

/* debugexit_read: nothing to read: all ones of the access size. */
static uint64_t debugexit_read(struct device *dev, uint64_t off, unsigned size)
{
	return ~0ull;
}

/* debugexit_write: end the run with status (value << 1) | 1. */
static void debugexit_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct debugexit *d = (struct debugexit *)dev;

	devhost_request_exit(d->h, EXIT_DEBUG_EXIT, (int)((value << 1) | 1), "%s", "");
}

/* debugexit_destroy: free the device. */
static void debugexit_destroy(struct device *dev)
{
	free(dev);
}

void debugexit_create(struct devhost *h)
{
	struct debugexit *d =
	    devhost_new_device(sizeof(*d), &(struct device){.name = "isa-debug-exit",
							    .read = debugexit_read,
							    .write = debugexit_write,
							    .destroy = debugexit_destroy});
	d->h = h;
	devhost_add_device(h, DEVHOST_IO, 0xf4, 4, &d->dev);
}
