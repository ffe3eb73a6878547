/* debugcon.c - the debug console port 0xe9 (see debugcon.h). */
#include "devices/debugcon.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>

struct debugcon {
	struct device dev;
	FILE *out;
};

/* debugcon_read: the port's signature, 0xe9. */
static uint64_t debugcon_read(struct device *dev, uint64_t off, unsigned size)
{
	return 0xe9;
}

/* debugcon_write: one byte to the output stream, flushed at once. */
static void debugcon_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct debugcon *d = (struct debugcon *)dev;

	if (!d->out)
		return;
	fputc((int)(value & 0xff), d->out);
	fflush(d->out);
}

/* debugcon_destroy: free the device (the stream belongs to the caller). */
static void debugcon_destroy(struct device *dev)
{
	free(dev);
}

void debugcon_create(struct devhost *h, FILE *out)
{
	struct debugcon *d =
	    devhost_new_device(sizeof(*d), &(struct device){.name = "debugcon",
							    .read = debugcon_read,
							    .write = debugcon_write,
							    .destroy = debugcon_destroy,
							    .byte_wide = true});
	d->out = out;
	devhost_add_device(h, DEVHOST_IO, 0xe9, 1, &d->dev);
}
