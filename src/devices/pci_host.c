/* pci_host.c - PCI configuration mechanism #1 and the host bridge (see
 * pci_host.h). */
#include "devices/pci_host.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "devices/reset_cf9.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

#define CFG_ENABLE    0x80000000u
#define CFG_ADDR_MASK 0x80fffffcu /* reserved bits 30:24 and 1:0 read 0 */
#define PCI_COMMAND   0x04
#define CMD_WRITABLE  0x0146u /* memory, bus master, parity, SERR */
/* PAM0-PAM6 (0x59-0x5f) steer 0xc0000-0xfffff between ROM and RAM.  Here
 * that area is always RAM, read and write: the registers say so from power
 * on (a BIOS then finds its shadow RAM already on and copies nothing), and
 * keep what is written without changing the mapping. */
#define PAM0	 0x59
#define PAM_LAST 0x5f

struct pci_host {
	struct device dev;
	struct devhost *h;
	uint32_t addr;	     /* the 0xcf8 dword */
	uint8_t rcr;	     /* reset control at 0xcf9 */
	uint8_t config[256]; /* the host bridge's configuration space */
};

static struct pci_host *host_of(struct device *dev)
{
	return (struct pci_host *)dev;
}

/* host_config_reset: the bridge's power-on header. */
static void host_config_reset(struct pci_host *p)
{
	memset(p->config, 0, sizeof(p->config));
	le_put16(p->config + 0x00, PCI_HOST_VENDOR);
	le_put16(p->config + 0x02, PCI_HOST_DEVICE_ID);
	le_put16(p->config + PCI_COMMAND, 0x0006); /* memory and bus master on */
	le_put16(p->config + 0x06, 0x0280);	   /* status: medium DEVSEL */
	p->config[0x08] = 0x02;			   /* revision */
	p->config[0x0b] = 0x06;			   /* class: bridge, host */
	p->config[0x0e] = 0x00;			   /* header type 0, one function */
	p->config[PAM0] = 0x30;			   /* 0xf0000-0xfffff: RAM, R/W */
	memset(p->config + PAM0 + 1, 0x33, PAM_LAST - PAM0);
}

/* host_selected: the register offset addressed by 0xcf8 within the bridge,
 * or -1 when the address is disabled or names no device. */
static int host_selected(const struct pci_host *p)
{
	if (!(p->addr & CFG_ENABLE) || (p->addr & 0x00ffff00u) != 0)
		return -1; /* only bus 0, device 0, function 0 exists */
	return (int)(p->addr & 0xfc);
}

/* host_config_read: size bytes at byte offset off of the selected space. */
static uint32_t host_config_read(struct pci_host *p, unsigned off, unsigned size)
{
	int reg = host_selected(p);
	uint32_t v = 0;

	if (reg < 0)
		return 0xffffffffu >> (32 - size * 8);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p->config[(reg + off + i) & 0xff] << (8 * i);
	return v;
}

/* host_config_write: the command register's writable bits and the PAM
 * registers change; the rest is read-only. */
static void host_config_write(struct pci_host *p, unsigned off, unsigned size, uint32_t v)
{
	int reg = host_selected(p);

	if (reg < 0)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned at = (reg + off + i) & 0xff;
		uint8_t b = (uint8_t)(v >> (8 * i));

		if (at == PCI_COMMAND || at == PCI_COMMAND + 1) {
			uint8_t mask = (uint8_t)(CMD_WRITABLE >> (8 * (at - PCI_COMMAND)));

			p->config[at] = (uint8_t)((p->config[at] & ~mask) | (b & mask));
		} else if (at >= PAM0 && at <= PAM_LAST) {
			p->config[at] = b & (at == PAM0 ? 0x30 : 0x33);
		}
	}
}

/* host_read: the address dword, the reset register, or the data window. */
static uint64_t host_read(struct device *dev, uint64_t off, unsigned size)
{
	struct pci_host *p = host_of(dev);

	if (off >= 4)
		return host_config_read(p, (unsigned)off - 4, size);
	if (off == 0 && size == 4)
		return p->addr;
	if (off == 1 && size == 1)
		return p->rcr;
	return 0xffffffffu >> (32 - size * 8);
}

/* host_write: see host_read. */
static void host_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct pci_host *p = host_of(dev);

	if (off >= 4) {
		host_config_write(p, (unsigned)off - 4, size, (uint32_t)v);
	} else if (off == 0 && size == 4) {
		p->addr = (uint32_t)v & CFG_ADDR_MASK;
	} else if (off == 1 && size == 1) {
		uint8_t old = p->rcr;

		p->rcr = v & 0x0a;
		reset_cf9_write(p->h, old, (uint8_t)v);
	}
}

/* host_reset: power-on state. */
static void host_reset(struct device *dev)
{
	struct pci_host *p = host_of(dev);

	p->addr = 0;
	p->rcr = 0;
	host_config_reset(p);
}

/* host_destroy: free the device. */
static void host_destroy(struct device *dev)
{
	free(dev);
}

void pci_host_create(struct devhost *h)
{
	struct pci_host *p =
	    devhost_new_device(sizeof(*p), &(struct device){.name = "pci-host",
							    .read = host_read,
							    .write = host_write,
							    .reset = host_reset,
							    .destroy = host_destroy});
	p->h = h;
	host_config_reset(p);
	devhost_add_device(h, DEVHOST_IO, PCI_HOST_PORT, 8, &p->dev);
}
