/* reset_cf9.c - the 0xcf9 reset control register (see reset_cf9.h). */
#include "devices/reset_cf9.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>

#define RCR_SYS_RST 0x02
#define RCR_RST_CPU 0x04

struct reset_cf9 {
	struct device dev;
	struct devhost *h;
	uint8_t value;
};

void reset_cf9_write(struct devhost *h, uint8_t old, uint8_t v)
{
	if ((v & RCR_RST_CPU) && !(old & RCR_RST_CPU))
		devhost_request_exit(h, EXIT_RESET, 0, "%s reset by port 0xcf9",
				     (v & RCR_SYS_RST) ? "hard" : "soft");
}

/* rcr_read: the register, bit 2 always reading 0 (it self-clears). */
static uint64_t rcr_read(struct device *dev, uint64_t off, unsigned size)
{
	return ((struct reset_cf9 *)dev)->value & ~RCR_RST_CPU;
}

/* rcr_write: record bits 1 and 3, act on bit 2. */
static void rcr_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct reset_cf9 *r = (struct reset_cf9 *)dev;
	uint8_t old = r->value;

	r->value = value & 0x0e;
	reset_cf9_write(r->h, old, value);
	r->value &= ~RCR_RST_CPU;
}

/* rcr_reset: power-on value 0. */
static void rcr_reset(struct device *dev)
{
	((struct reset_cf9 *)dev)->value = 0;
}

/* rcr_destroy: free the device. */
static void rcr_destroy(struct device *dev)
{
	free(dev);
}

void reset_cf9_create(struct devhost *h)
{
	struct reset_cf9 *r =
	    devhost_new_device(sizeof(*r), &(struct device){.name = "reset-cf9",
							    .read = rcr_read,
							    .write = rcr_write,
							    .reset = rcr_reset,
							    .destroy = rcr_destroy,
							    .byte_wide = true});
	r->h = h;
	devhost_add_device(h, DEVHOST_IO, 0xcf9, 1, &r->dev);
}
