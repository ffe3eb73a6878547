/* port92.c - system control port A (see port92.h). */
#include "devices/port92.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>

#define P92_RESET 0x01
#define P92_A20	  0x02

struct port92 {
	struct device dev;
	struct devhost *h;
	uint8_t value;
};

/* port92_read: the last value written (A20 enabled at power-on). */
static uint64_t port92_read(struct device *dev, uint64_t off, unsigned size)
{
	return ((struct port92 *)dev)->value;
}

/* port92_write: record the value; bit 0 going from 0 to 1 resets the
 * machine, bit 1 is one of the A20 gates. */
static void port92_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct port92 *p = (struct port92 *)dev;
	uint8_t old = p->value;

	p->value = value;
	devhost_set_a20(p->h, DEVHOST_A20_PORT92, value & P92_A20);
	if (!(old & P92_RESET) && (value & P92_RESET))
		devhost_request_exit(p->h, EXIT_RESET, 0, "reset by port 0x92");
}

/* port92_reset: power-on state: A20 enabled, reset bit clear. */
static void port92_reset(struct device *dev)
{
	struct port92 *p = (struct port92 *)dev;

	p->value = P92_A20;
	devhost_set_a20(p->h, DEVHOST_A20_PORT92, true);
}

/* port92_destroy: free the device. */
static void port92_destroy(struct device *dev)
{
	free(dev);
}

void port92_create(struct devhost *h)
{
	struct port92 *p =
	    devhost_new_device(sizeof(*p), &(struct device){.name = "port92",
							    .read = port92_read,
							    .write = port92_write,
							    .reset = port92_reset,
							    .destroy = port92_destroy,
							    .byte_wide = true});
	p->h = h;
	port92_reset(&p->dev);
	devhost_add_device(h, DEVHOST_IO, 0x92, 1, &p->dev);
}
