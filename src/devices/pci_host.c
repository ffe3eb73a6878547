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
#define CMD_IO	      0x0001u /* I/O space (the IDE function's) */
#define CMD_MASTER    0x0004u /* bus master enable */
#define PCI_BAR4      0x20
/* PAM0-PAM6 (0x59-0x5f) steer 0xc0000-0xfffff between ROM and RAM.  Here
 * that area is always RAM, read and write: the registers say so from power
 * on (a BIOS then finds its shadow RAM already on and copies nothing), and
 * keep what is written without changing the mapping. */
#define PAM0	 0x59
#define PAM_LAST 0x5f

/* Bus 0 functions: the host bridge, and with an IDE disk the PIIX3's ISA
 * bridge (00:01.0) and IDE function (00:01.1). */
enum { FN_HOST, FN_ISA, FN_IDE, FN_COUNT };
static const uint8_t fn_devfn[FN_COUNT] = {0x00, 0x08, 0x09};

struct pci_host {
	struct device dev;
	struct devhost *h;
	uint32_t addr; /* the 0xcf8 dword */
	uint8_t rcr;   /* reset control at 0xcf9 */
	bool piix;     /* the PIIX3 functions exist */
	uint8_t config[FN_COUNT][256];
	/* the IDE function's bus-master block moved (0: unmapped) or its
	 * bus-master enable changed */
	void (*bmide)(void *opaque, uint16_t port, bool master);
	void *bmide_opaque;
	uint16_t bmide_port;
	bool bmide_master;
};

static struct pci_host *host_of(struct device *dev)
{
	return (struct pci_host *)dev;
}

/* fn_header: a type 0 header: ids, class, revision, header type. */
static void fn_header(uint8_t *c, uint16_t device, uint32_t class_rev, uint8_t htype)
{
	memset(c, 0, 256);
	le_put16(c + 0x00, PCI_HOST_VENDOR);
	le_put16(c + 0x02, device);
	le_put32(c + 0x08, class_rev);
	c[0x0e] = htype;
}

/* host_config_reset: the power-on headers. */
static void host_config_reset(struct pci_host *p)
{
	uint8_t *c = p->config[FN_HOST];

	fn_header(c, PCI_HOST_DEVICE_ID, 0x06000002, 0x00); /* bridge, host; rev 2 */
	le_put16(c + PCI_COMMAND, 0x0006);		    /* memory and bus master on */
	le_put16(c + 0x06, 0x0280);			    /* status: medium DEVSEL */
	c[PAM0] = 0x30;					    /* 0xf0000-0xfffff: RAM, R/W */
	memset(c + PAM0 + 1, 0x33, PAM_LAST - PAM0);
	/* PIIX3 function 0: PCI-to-ISA bridge, multi-function; PIRQ routing
	 * registers 0x60-0x63 disabled (bit 7), as at power on */
	c = p->config[FN_ISA];
	fn_header(c, PCI_PIIX3_ISA_ID, 0x06010000, 0x80);
	le_put16(c + PCI_COMMAND, 0x0007);
	le_put16(c + 0x06, 0x0200);
	memset(c + 0x60, 0x80, 4);
	/* PIIX3 function 1: IDE in legacy (compatibility) mode on both
	 * channels (ports 0x1f0/0x170, IRQ 14/15), a bus master: its
	 * registers at BAR 4, 16 I/O ports */
	c = p->config[FN_IDE];
	fn_header(c, PCI_PIIX3_IDE_ID, 0x01018000, 0x00);
	le_put32(c + PCI_BAR4, 0x00000001);
	le_put16(c + PCI_COMMAND, 0x0001); /* I/O space on */
	le_put16(c + 0x06, 0x0280);
	le_put16(c + 0x40, 0x8000); /* IDETIM: primary decode enabled */
	le_put16(c + 0x42, 0x8000); /* secondary */
}

/* host_selected: the function addressed by 0xcf8, or -1 when the address
 * is disabled or names no function; *reg: its register offset. */
static int host_selected(const struct pci_host *p, int *reg)
{
	uint32_t a = p->addr;

	if (!(a & CFG_ENABLE) || (a & 0x00ff0000u) != 0)
		return -1; /* only bus 0 exists */
	for (int f = 0; f < FN_COUNT; f++) {
		if (f != FN_HOST && !p->piix)
			break;
		if (((a >> 8) & 0xff) == fn_devfn[f]) {
			*reg = (int)(a & 0xfc);
			return f;
		}
	}
	return -1;
}

/* host_config_read: size bytes at byte offset off of the selected space. */
static uint32_t host_config_read(struct pci_host *p, unsigned off, unsigned size)
{
	int reg, f = host_selected(p, &reg);
	uint32_t v = 0;

	if (f < 0)
		return 0xffffffffu >> (32 - size * 8);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p->config[f][(reg + off + i) & 0xff] << (8 * i);
	return v;
}

/* fn_writable: the bits of byte `at` of function f that software can
 * change: the command register; the host's PAM registers; the ISA
 * bridge's and the IDE function's device-specific registers (kept, with
 * no effect: IRQ routing and timings are fixed here). */
static uint8_t fn_writable(int f, unsigned at)
{
	if (at == PCI_COMMAND || at == PCI_COMMAND + 1)
		return (uint8_t)((CMD_WRITABLE | (f == FN_IDE ? CMD_IO : 0)) >>
				 (8 * (at - PCI_COMMAND)));
	if (f == FN_IDE && at >= PCI_BAR4 && at < PCI_BAR4 + 4) /* 16 ports (sizing: 32 bits) */
		return at == PCI_BAR4 ? 0xf0 : 0xff;
	if (f == FN_HOST)
		return at == PAM0 ? 0x30 : (at > PAM0 && at <= PAM_LAST) ? 0x33 : 0;
	return at >= 0x40 ? 0xff : 0;
}

/* host_bmide_update: tell the disks where the bus-master registers are
 * now: BAR 4 while I/O decoding is on, else nowhere. */
static void host_bmide_update(struct pci_host *p)
{
	const uint8_t *c = p->config[FN_IDE];
	uint32_t bar = le32(c + PCI_BAR4) & ~0xfu;
	/* decoded only below 64 KiB (a sizing write of all ones maps nothing) */
	uint16_t port = (c[PCI_COMMAND] & CMD_IO) && bar <= 0xfff0 ? (uint16_t)bar : 0;
	bool master = c[PCI_COMMAND] & CMD_MASTER;

	if (port == p->bmide_port && master == p->bmide_master)
		return;
	p->bmide_port = port;
	p->bmide_master = master;
	if (p->bmide)
		p->bmide(p->bmide_opaque, port, master);
}

/* host_config_write: see fn_writable; the rest is read-only. */
static void host_config_write(struct pci_host *p, unsigned off, unsigned size, uint32_t v)
{
	int reg, f = host_selected(p, &reg);

	if (f < 0)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned at = (reg + off + i) & 0xff;
		uint8_t b = (uint8_t)(v >> (8 * i)), mask = fn_writable(f, at);

		p->config[f][at] = (uint8_t)((p->config[f][at] & ~mask) | (b & mask));
	}
	if (f == FN_IDE)
		host_bmide_update(p);
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
	host_bmide_update(p); /* unmapped until a BIOS or an OS maps it */
}

/* host_destroy: free the device. */
static void host_destroy(struct device *dev)
{
	free(dev);
}

void pci_host_on_bmide(struct pci_host *p, void (*fn)(void *opaque, uint16_t port, bool master),
		       void *opaque)
{
	p->bmide = fn;
	p->bmide_opaque = opaque;
}

struct pci_host *pci_host_create(struct devhost *h, bool piix)
{
	struct pci_host *p =
	    devhost_new_device(sizeof(*p), &(struct device){.name = "pci-host",
							    .read = host_read,
							    .write = host_write,
							    .reset = host_reset,
							    .destroy = host_destroy});
	p->h = h;
	p->piix = piix;
	host_config_reset(p);
	devhost_add_device(h, DEVHOST_IO, PCI_HOST_PORT, 8, &p->dev);
	return p;
}
