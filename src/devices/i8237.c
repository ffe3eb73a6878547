/* i8237.c - the ISA DMA controllers (see i8237.h). */
#include "devices/i8237.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <string.h>

#define MODE_DIR_MASK 0x0c
#define MODE_WRITE    0x04 /* device -> memory */
#define MODE_READ     0x08 /* memory -> device */
#define MODE_AUTO     0x10
#define MODE_DOWN     0x20

struct dma_chan {
	uint16_t base_addr, base_count; /* as programmed (auto-initialise) */
	uint16_t addr, count;		/* current; count is N - 1 */
	uint8_t page, mode;
};

struct dma_ctl {
	struct dma_chan ch[4];
	uint8_t mask;	/* one bit per channel */
	uint8_t status; /* TC bits 0-3 */
	bool flip;	/* the byte flip-flop: false = low byte next */
};

struct isa_dma {
	struct device dev;     /* controller 1, ports 0x00-0x0f */
	struct device dev2;    /* controller 2, ports 0xc0-0xdf */
	struct device pagedev; /* page registers 0x81-0x8f */
	struct devhost *h;
	struct dma_ctl c[2];
	uint8_t pages[16]; /* 0x80-0x8f as written (the unused ones read back) */
};

/* page_port: the page register offset (from 0x80) of channel n. */
static const uint8_t page_port[8] = {0x7, 0x3, 0x1, 0x2, 0xf, 0xb, 0x9, 0xa};

/* ctl_reset: master clear: all masked, flip-flop and status cleared. */
static void ctl_reset(struct dma_ctl *c)
{
	c->mask = 0x0f;
	c->status = 0;
	c->flip = false;
}

/* word_rw: the 16-bit register *r through the flip-flop. */
static uint8_t word_read(struct dma_ctl *c, const uint16_t *r)
{
	uint8_t v = c->flip ? (uint8_t)(*r >> 8) : (uint8_t)*r;
	c->flip = !c->flip;
	return v;
}

static void word_write(struct dma_ctl *c, uint16_t *r, uint8_t v)
{
	*r = c->flip ? (uint16_t)((*r & 0x00ff) | v << 8) : (uint16_t)((*r & 0xff00) | v);
	c->flip = !c->flip;
}

/* ctl_read: register reg (0-15) of controller c. */
static uint8_t ctl_read(struct dma_ctl *c, unsigned reg)
{
	if (reg < 8) {
		struct dma_chan *ch = &c->ch[reg >> 1];
		return word_read(c, (reg & 1) ? &ch->count : &ch->addr);
	}
	switch (reg) {
	case 8: { /* status: reading clears the TC bits */
		uint8_t s = c->status;
		c->status &= 0xf0;
		return s;
	}
	case 15:
		return c->mask | 0xf0;
	default:
		return 0xff;
	}
}

/* ctl_write: register reg (0-15) of controller c. */
static void ctl_write(struct dma_ctl *c, unsigned reg, uint8_t v)
{
	if (reg < 8) {
		struct dma_chan *ch = &c->ch[reg >> 1];
		if (reg & 1) {
			word_write(c, &ch->base_count, v);
			ch->count = ch->base_count;
		} else {
			word_write(c, &ch->base_addr, v);
			ch->addr = ch->base_addr;
		}
		return;
	}
	switch (reg) {
	case 0x0a: /* single mask bit */
		c->mask = (uint8_t)((v & 4) ? c->mask | 1u << (v & 3) : c->mask & ~(1u << (v & 3)));
		break;
	case 0x0b: /* mode */
		c->ch[v & 3].mode = v;
		break;
	case 0x0c: /* clear the flip-flop */
		c->flip = false;
		break;
	case 0x0d: /* master clear */
		ctl_reset(c);
		break;
	case 0x0e: /* clear the mask register */
		c->mask = 0;
		break;
	case 0x0f: /* write all mask bits */
		c->mask = v & 0x0f;
		break;
	default: /* command and request registers: nothing to model */
		break;
	}
}

static uint64_t dma1_read(struct device *dev, uint64_t off, unsigned size)
{
	(void)size;
	return ctl_read(&((struct isa_dma *)dev)->c[0], (unsigned)off);
}

static void dma1_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	(void)size;
	ctl_write(&((struct isa_dma *)dev)->c[0], (unsigned)off, (uint8_t)v);
}

static struct isa_dma *of_dev2(struct device *dev)
{
	return (struct isa_dma *)((char *)dev - offsetof(struct isa_dma, dev2));
}

/* controller 2's registers sit on even ports 0xc0, 0xc2, ... */
static uint64_t dma2_read(struct device *dev, uint64_t off, unsigned size)
{
	(void)size;
	return (off & 1) ? 0xff : ctl_read(&of_dev2(dev)->c[1], (unsigned)off >> 1);
}

static void dma2_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	(void)size;
	if (!(off & 1))
		ctl_write(&of_dev2(dev)->c[1], (unsigned)off >> 1, (uint8_t)v);
}

static struct isa_dma *of_page(struct device *dev)
{
	return (struct isa_dma *)((char *)dev - offsetof(struct isa_dma, pagedev));
}

/* page registers at 0x81-0x8f (offset + 1 from 0x80) */
static uint64_t page_read(struct device *dev, uint64_t off, unsigned size)
{
	(void)size;
	return of_page(dev)->pages[off + 1];
}

static void page_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct isa_dma *d = of_page(dev);

	(void)size;
	d->pages[off + 1] = (uint8_t)v;
	for (int n = 0; n < 8; n++)
		if (page_port[n] == off + 1)
			d->c[n >> 2].ch[n & 3].page = (uint8_t)v;
}

size_t isa_dma_transfer(struct isa_dma *d, int n, void *buf, size_t len, bool to_memory, bool *tc)
{
	struct dma_ctl *c = &d->c[n >> 2];
	struct dma_chan *ch = &c->ch[n & 3];
	uint8_t dir = to_memory ? MODE_WRITE : MODE_READ;
	size_t done = 0;

	*tc = false;
	if (n > 3 || (c->mask >> (n & 3) & 1) || (ch->mode & MODE_DIR_MASK) != dir)
		return 0;
	while (done < len && !*tc) {
		/* a run of bytes up to TC, the 64 KiB page end, or len */
		size_t left = (size_t)ch->count + 1, run = MIN(len - done, left);
		bool down = ch->mode & MODE_DOWN;
		size_t room = down ? (size_t)ch->addr + 1 : 0x10000u - ch->addr;
		run = MIN(run, room);
		uint32_t lo = (uint32_t)ch->page << 16 | ch->addr;
		uint32_t gpa = down ? lo - (uint32_t)(run - 1) : lo;
		uint8_t *b = (uint8_t *)buf + done;
		if (down) { /* bytes go to descending addresses: reverse them */
			uint8_t tmp[512];
			run = MIN(run, sizeof(tmp));
			gpa = lo - (uint32_t)(run - 1);
			if (to_memory) {
				for (size_t i = 0; i < run; i++)
					tmp[run - 1 - i] = b[i];
				devhost_dma_write(d->h, gpa, tmp, run);
			} else {
				devhost_dma_read(d->h, gpa, tmp, run);
				for (size_t i = 0; i < run; i++)
					b[i] = tmp[run - 1 - i];
			}
		} else if (to_memory) {
			devhost_dma_write(d->h, gpa, b, run);
		} else {
			devhost_dma_read(d->h, gpa, b, run);
		}
		done += run;
		ch->addr = (uint16_t)(down ? ch->addr - run : ch->addr + run);
		ch->count = (uint16_t)(ch->count - run);
		if (run == left) { /* terminal count */
			*tc = true;
			c->status |= (uint8_t)(1u << (n & 3));
			if (ch->mode & MODE_AUTO) {
				ch->addr = ch->base_addr;
				ch->count = ch->base_count;
			} else {
				c->mask |= (uint8_t)(1u << (n & 3));
			}
		}
	}
	return done;
}

static void isa_dma_reset(struct device *dev)
{
	struct isa_dma *d = (struct isa_dma *)dev;

	memset(d->c, 0, sizeof(d->c));
	ctl_reset(&d->c[0]);
	ctl_reset(&d->c[1]);
	memset(d->pages, 0, sizeof(d->pages));
}

struct isa_dma *isa_dma_create(struct devhost *h)
{
	static const struct device tmpl = {.name = "dma",
					   .read = dma1_read,
					   .write = dma1_write,
					   .reset = isa_dma_reset,
					   .byte_wide = true};
	struct isa_dma *d = devhost_new_device(sizeof(*d), &tmpl);

	d->h = h;
	d->dev2 = (struct device){
	    .name = "dma2", .read = dma2_read, .write = dma2_write, .byte_wide = true};
	d->pagedev = (struct device){
	    .name = "dma-page", .read = page_read, .write = page_write, .byte_wide = true};
	isa_dma_reset(&d->dev);
	devhost_add_device(h, DEVHOST_IO, 0x00, 16, &d->dev);
	devhost_add_range(h, DEVHOST_IO, 0xc0, 32, &d->dev2);
	devhost_add_range(h, DEVHOST_IO, 0x81, 15, &d->pagedev);
	return d;
}
