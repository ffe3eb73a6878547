/* fdc.c - the floppy disk controller (see fdc.h). */
#include "devices/fdc.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "devices/i8237.h"
#include "monitor/base/util.h"

#include <string.h>

#define DOR_NRESET 0x04
#define DOR_DMAEN  0x08
#define MSR_BUSY   0x10
#define MSR_DIO	   0x40
#define MSR_RQM	   0x80
#define ST0_ABN	   0x40
#define ST0_SE	   0x20
#define ST1_NW	   0x02
#define ST1_ND	   0x04
#define ST1_EN	   0x80
#define FDC_DMA	   2

struct fdc_format {
	uint16_t sectors; /* on the disk */
	uint8_t cyls, heads, spt, type;
};

static const struct fdc_format formats[] = {
    {320, 40, 1, 8, 1},	 {360, 40, 1, 9, 1},   {640, 40, 2, 8, 1},   {720, 40, 2, 9, 1},
    {1440, 80, 2, 9, 3}, {2400, 80, 2, 15, 2}, {2880, 80, 2, 18, 4}, {5760, 80, 2, 36, 5},
};

struct fdc {
	struct device dev;     /* 0x3f0-0x3f5 */
	struct device dir_dev; /* 0x3f7 */
	struct devhost *h;
	struct irq_line *irq;
	struct isa_dma *dma;
	struct disk *disk;
	const struct fdc_format *fmt;
	uint8_t dor, dsr, ccr, pcn[4];
	uint8_t cmd[9], ncmd, want;  /* command phase: bytes so far, bytes wanted */
	uint8_t res[10], nres, ires; /* result phase */
	bool intr;		     /* INT asserted */
	uint8_t sense_st0;	     /* a seek/recalibrate's status for SENSE INTERRUPT */
	bool sense_ready;
	uint8_t polls; /* reset: SENSE INTERRUPTs that report a drive's polling */
	uint8_t specify[2], config[3], lock, perp;
	uint8_t sector[512];
};

/* fdc_format_of: the format of an image of sectors sectors: the one of
 * that size, else (a boot sector and some more, as often given to -fda)
 * 1.44 MB, or 2.88 MB for a larger image; NULL above 2.88 MB. */
static const struct fdc_format *fdc_format_of(uint64_t sectors)
{
	for (unsigned i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].sectors == sectors)
			return &formats[i];
	if (sectors <= 2880)
		return &formats[6];
	if (sectors <= 5760)
		return &formats[7];
	return NULL;
}

uint8_t fdc_drive_type(uint64_t sectors)
{
	const struct fdc_format *f = fdc_format_of(sectors);
	return f ? f->type : 0;
}

uint64_t fdc_format_sectors(uint64_t sectors)
{
	const struct fdc_format *f = fdc_format_of(sectors);
	return f ? f->sectors : 0;
}

static struct fdc *fdc_of(struct device *dev)
{
	return (struct fdc *)dev;
}

static void fdc_update_irq(struct fdc *f)
{
	irq_set(f->irq, f->intr && (f->dor & DOR_DMAEN));
}

static void fdc_raise(struct fdc *f)
{
	f->intr = true;
	fdc_update_irq(f);
}

/* fdc_result: enter the result phase with n bytes. */
static void fdc_result(struct fdc *f, const uint8_t *r, unsigned n)
{
	memcpy(f->res, r, n);
	f->nres = (uint8_t)n;
	f->ires = 0;
}

/* fdc_do_reset: the controller's reset: every drive reports polling. */
static void fdc_do_reset(struct fdc *f)
{
	f->ncmd = f->want = f->nres = f->ires = 0;
	f->sense_ready = false;
	f->polls = 4;
	fdc_raise(f);
}

/* fdc_has: the command's drive (HD/US byte) is drive A with a medium. */
static bool fdc_has(const struct fdc *f, uint8_t hdus)
{
	return (hdus & 3) == 0 && f->fmt;
}

/* fdc_rw_result: ST0-ST2 and the ID of the sector after the last one. */
static void fdc_rw_result(struct fdc *f, uint8_t st0, uint8_t st1, uint8_t c, uint8_t h, uint8_t r)
{
	uint8_t res[7] = {st0, st1, 0, c, h, r, f->cmd[5]};

	fdc_result(f, res, 7);
	fdc_raise(f);
}

/* fdc_rw: READ DATA / WRITE DATA: sectors from C/H/R on through DMA
 * until terminal count, or the end of the track (of both sides with MT). */
static void fdc_rw(struct fdc *f, bool write)
{
	uint8_t hdus = f->cmd[1], c = f->cmd[2], h = f->cmd[3], r = f->cmd[4];
	uint8_t eot = f->cmd[6], hd = (hdus >> 2) & 1;
	bool mt = f->cmd[0] & 0x80, tc = false;
	uint8_t st0 = (uint8_t)(hdus & 7);

	if (!fdc_has(f, hdus) || f->cmd[5] != 2 || c >= f->fmt->cyls || h >= f->fmt->heads ||
	    r == 0 || r > f->fmt->spt) {
		fdc_rw_result(f, st0 | ST0_ABN, ST1_ND, c, h, r);
		return;
	}
	if (write && f->disk->readonly) {
		fdc_rw_result(f, st0 | ST0_ABN, ST1_NW, c, h, r);
		return;
	}
	f->pcn[0] = c;
	for (;;) {
		uint64_t lba = ((uint64_t)c * f->fmt->heads + h) * f->fmt->spt + r - 1;
		size_t n;
		if (write) {
			n = isa_dma_transfer(f->dma, FDC_DMA, f->sector, 512, false, &tc);
			if (n)
				memset(f->sector + n, 0, 512 - n); /* a short sector ends in 0s */
			if (n && disk_write(f->disk, lba, 1, f->sector) < 0)
				n = 0;
		} else {
			n = disk_read(f->disk, lba, 1, f->sector) < 0
				? 0
				: isa_dma_transfer(f->dma, FDC_DMA, f->sector, 512, true, &tc);
		}
		if (!n) { /* no DMA (masked, wrong direction) or a host error */
			fdc_rw_result(f, st0 | ST0_ABN, ST1_EN, c, h, r);
			return;
		}
		/* the next sector's ID: R + 1, or the next side or cylinder */
		if (r < eot && r < f->fmt->spt) {
			r++;
		} else {
			r = 1;
			if (mt && h == 0 && f->fmt->heads == 2) {
				h = 1;
			} else {
				h = mt ? 0 : h;
				c++;
				/* without MT the track ends the command; with it, as on
				 * QEMU's controller, the next cylinder follows (a boot
				 * loader that reads a whole kernel in one INT 13h call
				 * works as it does there) */
				if (!tc && (!mt || f->fmt->heads == 1 || c >= f->fmt->cyls)) {
					fdc_rw_result(f, st0 | ST0_ABN, ST1_EN, c, h, r);
					return;
				}
			}
		}
		if (tc) {
			fdc_rw_result(f, (uint8_t)(st0 | hd << 2), 0, c, h, r);
			return;
		}
	}
}

/* fdc_format: FORMAT TRACK: SC sector IDs by DMA (C, H, R, N each), each
 * sector filled with the filler byte D. */
static void fdc_format_track(struct fdc *f)
{
	uint8_t hdus = f->cmd[1], sc = f->cmd[3], fill = f->cmd[5];
	uint8_t st0 = (uint8_t)(hdus & 7), id[4] = {0};
	bool tc = false;

	if (!fdc_has(f, hdus) || f->disk->readonly) {
		fdc_rw_result(f, st0 | ST0_ABN, fdc_has(f, hdus) ? ST1_NW : ST1_ND, 0, 0, 0);
		return;
	}
	memset(f->sector, fill, 512);
	for (unsigned i = 0; i < sc && !tc; i++) {
		if (isa_dma_transfer(f->dma, FDC_DMA, id, 4, false, &tc) != 4)
			break;
		if (id[0] < f->fmt->cyls && id[1] < f->fmt->heads && id[2] >= 1 &&
		    id[2] <= f->fmt->spt) {
			uint64_t lba =
			    ((uint64_t)id[0] * f->fmt->heads + id[1]) * f->fmt->spt + id[2] - 1;
			if (disk_write(f->disk, lba, 1, f->sector) < 0)
				break;
		}
	}
	fdc_rw_result(f, st0, 0, id[0], id[1], id[2]);
}

/* fdc_sense_interrupt: SENSE INTERRUPT STATUS: a reset's polling report,
 * or a seek's end, or "invalid" when nothing is pending. */
static void fdc_sense_interrupt(struct fdc *f)
{
	f->intr = false;
	fdc_update_irq(f);
	if (f->polls) {
		unsigned drive = 4u - f->polls--;
		uint8_t r[2] = {(uint8_t)(0xc0 | drive), f->pcn[drive]};
		fdc_result(f, r, 2);
	} else if (f->sense_ready) {
		uint8_t r[2] = {f->sense_st0, f->pcn[f->sense_st0 & 3]};
		f->sense_ready = false;
		fdc_result(f, r, 2);
	} else {
		uint8_t r = 0x80;
		fdc_result(f, &r, 1);
	}
}

/* fdc_seek_done: a SEEK or RECALIBRATE of drive hdus to cylinder c. */
static void fdc_seek_done(struct fdc *f, uint8_t hdus, uint8_t c)
{
	uint8_t us = hdus & 3;

	if (us == 0 && f->fmt)
		f->pcn[0] = c;
	f->sense_st0 = (uint8_t)(ST0_SE | (hdus & 7) | (us == 0 && f->fmt ? 0 : 0x50));
	f->sense_ready = true;
	f->polls = 0;
	fdc_raise(f);
}

/* fdc_execute: the command in f->cmd is complete. */
static void fdc_execute(struct fdc *f)
{
	uint8_t op = f->cmd[0] & 0x1f, r[10];

	switch (op) {
	case 0x03: /* SPECIFY */
		memcpy(f->specify, f->cmd + 1, 2);
		return;
	case 0x04: /* SENSE DRIVE STATUS: ST3 */
		r[0] = (uint8_t)((f->cmd[1] & 7) | (fdc_has(f, f->cmd[1]) ? 0x20 : 0) |
				 (fdc_has(f, f->cmd[1]) && f->fmt->heads == 2 ? 0x08 : 0) |
				 (f->pcn[f->cmd[1] & 3] == 0 ? 0x10 : 0) |
				 (fdc_has(f, f->cmd[1]) && f->disk->readonly ? 0x40 : 0));
		fdc_result(f, r, 1);
		return;
	case 0x07: /* RECALIBRATE */
		fdc_seek_done(f, f->cmd[1], 0);
		return;
	case 0x08:
		fdc_sense_interrupt(f);
		return;
	case 0x0f: /* SEEK */
		fdc_seek_done(f, f->cmd[1], f->cmd[2]);
		return;
	case 0x05: /* WRITE DATA */
	case 0x06: /* READ DATA */
		fdc_rw(f, op == 0x05);
		return;
	case 0x0a: /* READ ID: the next sector under the head */
		if (fdc_has(f, f->cmd[1]))
			fdc_rw_result(f, f->cmd[1] & 7, 0, f->pcn[0], (f->cmd[1] >> 2) & 1, 1);
		else
			fdc_rw_result(f, (f->cmd[1] & 7) | ST0_ABN, 0x01, 0, 0, 0);
		f->res[6] = 2;
		return;
	case 0x0d:
		fdc_format_track(f);
		return;
	case 0x0e: /* DUMPREG */
		memcpy(r, f->pcn, 4);
		r[4] = f->specify[0];
		r[5] = f->specify[1];
		r[6] = f->fmt ? f->fmt->spt : 0;
		r[7] = (uint8_t)(f->lock << 7 | (f->perp & 0x7f));
		r[8] = f->config[1];
		r[9] = f->config[2];
		fdc_result(f, r, 10);
		return;
	case 0x10: /* VERSION: an 82077AA */
		r[0] = 0x90;
		fdc_result(f, r, 1);
		return;
	case 0x12: /* PERPENDICULAR MODE */
		f->perp = f->cmd[1];
		return;
	case 0x13: /* CONFIGURE */
		memcpy(f->config, f->cmd + 1, 3);
		return;
	case 0x14: /* LOCK (bit 7 of the opcode: lock) */
		f->lock = f->cmd[0] >> 7;
		r[0] = (uint8_t)(f->lock << 4);
		fdc_result(f, r, 1);
		return;
	default: /* invalid */
		r[0] = 0x80;
		fdc_result(f, r, 1);
		return;
	}
}

/* fdc_params: the bytes a command takes after its opcode, -1: invalid. */
static int fdc_params(uint8_t cmd)
{
	switch (cmd & 0x1f) {
	case 0x03:
		return 2;
	case 0x04:
	case 0x07:
	case 0x0a:
	case 0x12:
		return 1;
	case 0x0f:
		return 2;
	case 0x05:
	case 0x06:
		return 8;
	case 0x0d:
		return 5;
	case 0x13:
		return 3;
	default:
		return 0; /* SENSE INTERRUPT, VERSION, DUMPREG, LOCK, invalid */
	}
}

/* fdc_fifo_write: a command or parameter byte. */
static void fdc_fifo_write(struct fdc *f, uint8_t v)
{
	if (f->ires < f->nres)
		return; /* result phase: the host must read first */
	if (f->ncmd == 0) {
		f->want = (uint8_t)(1 + fdc_params(v));
		f->nres = f->ires = 0;
	}
	f->cmd[f->ncmd++] = v;
	if (f->ncmd == f->want) {
		f->ncmd = 0;
		fdc_execute(f);
	}
}

/* fdc_fifo_read: the next result byte (reading one ends the interrupt of
 * a data command). */
static uint8_t fdc_fifo_read(struct fdc *f)
{
	if (f->ires >= f->nres)
		return 0xff;
	if ((f->cmd[0] & 0x1f) != 0x08 && f->intr) {
		f->intr = false;
		fdc_update_irq(f);
	}
	return f->res[f->ires++];
}

/* fdc_msr: ready for a byte; DIO and busy while results wait. */
static uint8_t fdc_msr(const struct fdc *f)
{
	if (!(f->dor & DOR_NRESET))
		return 0;
	if (f->ires < f->nres)
		return MSR_RQM | MSR_DIO | MSR_BUSY;
	return MSR_RQM | (f->ncmd ? MSR_BUSY : 0);
}

static uint64_t fdc_read(struct device *dev, uint64_t off, unsigned size)
{
	struct fdc *f = fdc_of(dev);

	(void)size;
	switch (off) {
	case 2:
		return f->dor;
	case 4:
		return fdc_msr(f);
	case 5:
		return fdc_fifo_read(f);
	default: /* status registers A/B (PS/2 only), tape drive register */
		return 0xff;
	}
}

static void fdc_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct fdc *f = fdc_of(dev);
	uint8_t old = f->dor;

	(void)size;
	switch (off) {
	case 2: /* DOR: reset held while NRESET is 0, done as it goes 1 */
		f->dor = (uint8_t)v;
		if (!(old & DOR_NRESET) && (v & DOR_NRESET))
			fdc_do_reset(f);
		fdc_update_irq(f);
		return;
	case 4: /* DSR: bit 7 resets, the rate is the CCR's */
		f->dsr = (uint8_t)v & 0x7f;
		f->ccr = (uint8_t)v & 3;
		if (v & 0x80)
			fdc_do_reset(f);
		return;
	case 5:
		fdc_fifo_write(f, (uint8_t)v);
		return;
	default:
		return;
	}
}

static struct fdc *fdc_of_dir(struct device *dev)
{
	return (struct fdc *)((char *)dev - offsetof(struct fdc, dir_dev));
}

/* 0x3f7: DIR (no disk change: the medium never changes), CCR */
static uint64_t fdc_dir_read(struct device *dev, uint64_t off, unsigned size)
{
	(void)dev, (void)off, (void)size;
	return 0x00;
}

static void fdc_dir_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	(void)off, (void)size;
	fdc_of_dir(dev)->ccr = (uint8_t)v & 3;
}

static void fdc_reset(struct device *dev)
{
	struct fdc *f = fdc_of(dev);

	f->dor = 0;
	f->intr = false;
	f->polls = 0;
	f->sense_ready = false;
	f->ncmd = f->nres = f->ires = 0;
	memset(f->pcn, 0, sizeof(f->pcn));
	fdc_update_irq(f);
}

void fdc_create(struct devhost *h, struct irq_line *irq6, struct isa_dma *dma, struct disk *disk)
{
	static const struct device tmpl = {.name = "fdc",
					   .read = fdc_read,
					   .write = fdc_write,
					   .reset = fdc_reset,
					   .byte_wide = true};
	struct fdc *f = devhost_new_device(sizeof(*f), &tmpl);

	f->h = h;
	f->irq = irq6;
	f->dma = dma;
	f->disk = disk;
	f->fmt = disk ? fdc_format_of(disk->sectors) : NULL;
	f->dir_dev = (struct device){
	    .name = "fdc-dir", .read = fdc_dir_read, .write = fdc_dir_write, .byte_wide = true};
	fdc_reset(&f->dev);
	devhost_add_device(h, DEVHOST_IO, 0x3f0, 6, &f->dev);
	devhost_add_range(h, DEVHOST_IO, 0x3f7, 1, &f->dir_dev);
}
