/* ata.c - an ATA channel with PIO transfers (see ata.h). */
#include "devices/ata.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

#define ST_ERR	0x01
#define ST_DRQ	0x08
#define ST_DSC	0x10
#define ST_DRDY 0x40
#define ST_BSY	0x80
#define ST_IDLE (ST_DRDY | ST_DSC)

#define ERR_ABRT 0x04
#define ERR_IDNF 0x10
#define ERR_UNC	 0x40

#define DEV_LBA	 0x40 /* device register: LBA addressing */
#define DEV_DEV	 0x10 /* device register: slave selected */
#define CTL_NIEN 0x02
#define CTL_SRST 0x04
#define CTL_HOB	 0x80

#define MAX_MULT 16 /* sectors per DRQ block at most (IDENTIFY word 47) */

#define BM_START  0x01 /* bus-master command: start */
#define BM_TO_MEM 0x08 /* bus-master command: the device writes memory */
#define BM_ACTIVE 0x01 /* bus-master status */
#define BM_ERROR  0x02
#define BM_INTR	  0x04
#define BM_CAP	  0x60 /* drive 0/1 DMA capable (software's bits) */

struct ata_drive {
	struct disk *disk;
	uint8_t mult;	     /* READ/WRITE MULTIPLE block size, 0: not set */
	uint16_t heads, spt; /* CHS translation in use */
	uint8_t mwdma;	     /* multiword DMA mode selected (SET FEATURES) */
};

/* The task file: each register keeps its previous value for LBA48 (HOB). */
struct ata_regs {
	uint8_t feature, count, lba0, lba1, lba2;
};

struct ata {
	struct device dev; /* command block */
	struct device ctl_dev;
	struct devhost *h;
	struct irq_line *irq;
	struct ata_drive drv[2];
	struct ata_regs r, hob;
	uint8_t device, status, error, control;
	bool intrq;
	/* the PIO transfer in progress */
	bool writing, lba48;
	bool from_disk; /* false: IDENTIFY data, nothing to read or write */
	uint64_t lba;	/* next sector of the disk */
	uint32_t left;	/* sectors still to move, this block included */
	unsigned block; /* sectors per DRQ block */
	unsigned pos, len;
	uint8_t buf[MAX_MULT * DISK_SECTOR];
	/* the bus master (PIIX3 BMIDE: this channel's 8 ports of BAR 4) */
	struct device bm_dev;
	uint16_t bm_port; /* 0: unmapped */
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	bool dma_pending; /* a DMA command waits for the start bit */
	bool bm_master;	  /* the PCI function may master the bus */
};

static struct ata *ata_of(struct device *dev)
{
	return (struct ata *)dev;
}

static struct ata *ata_of_ctl(struct device *dev)
{
	return (struct ata *)((char *)dev - offsetof(struct ata, ctl_dev));
}

/* ata_cur: the selected drive, NULL when it is absent. */
static struct ata_drive *ata_cur(struct ata *a)
{
	struct ata_drive *d = &a->drv[(a->device & DEV_DEV) ? 1 : 0];
	return d->disk ? d : NULL;
}

/* ata_update_irq: INTRQ as the pending flag and nIEN say. */
static void ata_update_irq(struct ata *a)
{
	irq_set(a->irq, a->intrq && !(a->control & CTL_NIEN));
}

static void ata_raise(struct ata *a)
{
	a->intrq = true;
	ata_update_irq(a);
}

/* ata_signature: the registers after a reset or diagnostic: an ATA device. */
static void ata_signature(struct ata *a)
{
	a->r.count = a->r.lba0 = 1;
	a->r.lba1 = a->r.lba2 = 0;
	a->device &= DEV_DEV;
	a->error = 1; /* no error / device 0 passed */
	a->status = ST_IDLE;
}

/* ata_done: the command ended without data (or after the last block). */
static void ata_done(struct ata *a)
{
	a->status = ST_IDLE;
	a->pos = a->len = 0;
	ata_raise(a);
}

/* ata_fail: the command ended with error bits err. */
static void ata_fail(struct ata *a, uint8_t err)
{
	a->error = err;
	a->status = ST_IDLE | ST_ERR;
	a->pos = a->len = 0;
	a->left = 0;
	ata_raise(a);
}

/* ata_put_string: an IDENTIFY string, two characters per word, first in
 * the high byte, padded with spaces. */
static void ata_put_string(uint16_t *w, unsigned words, const char *s)
{
	size_t n = strlen(s);
	for (unsigned i = 0; i < words * 2; i++) {
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';
		w[i / 2] = (i & 1) ? (uint16_t)(w[i / 2] | c) : (uint16_t)(c << 8);
	}
}

/* ata_default_chs: the IDENTIFY geometry: 16 heads, 63 sectors. */
static uint16_t ata_default_cyls(const struct disk *d)
{
	uint64_t c = d->sectors / (16 * 63);
	return (uint16_t)(c > 16383 ? 16383 : c ? c : 1);
}

/* ata_identify: IDENTIFY DEVICE data (ATA/ATAPI-6, 8.15). */
static void ata_identify(struct ata *a, struct ata_drive *d)
{
	uint16_t w[256] = {0};
	uint64_t n = d->disk->sectors;
	uint32_t lba28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
	uint16_t cyls = ata_default_cyls(d->disk);
	/* the current translation (INITIALIZE DEVICE PARAMETERS): its cylinders */
	uint64_t per_cyl = (uint64_t)d->heads * d->spt;
	uint16_t cur = (uint16_t)(per_cyl ? MIN(n / per_cyl, 65535) : 0);
	uint32_t chs = (uint32_t)cur * d->heads * d->spt;

	w[0] = 0x0040; /* fixed device */
	w[1] = cyls;
	w[3] = 16;
	w[6] = 63;
	ata_put_string(&w[10], 10, "BT86-DISK-0001");
	ata_put_string(&w[23], 4, "1.0");
	ata_put_string(&w[27], 20, "bt86 ATA disk");
	w[47] = 0x8000 | MAX_MULT;
	w[49] = 0x0300; /* LBA, DMA */
	w[50] = 0x4000;
	w[51] = 0x0200; /* PIO mode 2 timing */
	w[53] = 0x0003; /* words 54-58 and 64-70 valid */
	w[54] = cur;
	w[55] = d->heads;
	w[56] = d->spt;
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	w[59] = d->mult ? (uint16_t)(0x0100 | d->mult) : 0;
	w[60] = (uint16_t)lba28;
	w[61] = (uint16_t)(lba28 >> 16);
	w[63] = (uint16_t)(0x0007 | 0x0100 << d->mwdma); /* MWDMA 0-2, one selected */
	w[64] = 0x0003;					 /* PIO modes 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x007e; /* ATA-1 to ATA-6 */
	w[82] = 0x4000;
	w[83] = 0x7400; /* LBA48, FLUSH CACHE EXT, FLUSH CACHE */
	w[84] = 0x4000;
	w[85] = 0x4000;
	w[86] = 0x3400;
	w[87] = 0x4000;
	for (int i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(n >> (16 * i));
	for (int i = 0; i < 256; i++)
		le_put16(a->buf + 2 * i, w[i]);
	a->writing = false;
	a->from_disk = false;
	a->left = 1;
	a->block = 1;
	a->pos = 0;
	a->len = DISK_SECTOR;
	a->lba = 0;
	a->status = ST_IDLE | ST_DRQ;
	ata_raise(a);
}

/* ata_lba: the command's first sector, or false (IDNF) for a CHS address
 * outside the geometry.  lba48: the 48-bit form from the HOB registers. */
static bool ata_lba(struct ata *a, struct ata_drive *d, bool lba48, uint64_t *lba)
{
	if (lba48) {
		*lba = (uint64_t)a->hob.lba2 << 40 | (uint64_t)a->hob.lba1 << 32 |
		       (uint64_t)a->hob.lba0 << 24 | (uint64_t)a->r.lba2 << 16 |
		       (uint64_t)a->r.lba1 << 8 | a->r.lba0;
		return true;
	}
	if (a->device & DEV_LBA) {
		*lba = (uint64_t)(a->device & 0xf) << 24 | (uint64_t)a->r.lba2 << 16 |
		       (uint64_t)a->r.lba1 << 8 | a->r.lba0;
		return true;
	}
	unsigned cyl = (unsigned)a->r.lba2 << 8 | a->r.lba1, head = a->device & 0xf;
	unsigned sect = a->r.lba0;
	if (!d->heads || !d->spt || sect == 0 || sect > d->spt || head >= d->heads)
		return false;
	*lba = ((uint64_t)cyl * d->heads + head) * d->spt + sect - 1;
	return true;
}

/* ata_set_address: the task file names sector lba (the last one moved). */
static void ata_set_address(struct ata *a, struct ata_drive *d, bool lba48, uint64_t lba)
{
	if (lba48) {
		a->hob.lba0 = (uint8_t)(lba >> 24);
		a->hob.lba1 = (uint8_t)(lba >> 32);
		a->hob.lba2 = (uint8_t)(lba >> 40);
	} else if (a->device & DEV_LBA) {
		a->device = (uint8_t)((a->device & 0xf0) | ((lba >> 24) & 0xf));
	} else if (d->heads && d->spt) {
		uint64_t c = lba / ((uint64_t)d->heads * d->spt);
		unsigned rest = (unsigned)(lba % ((uint64_t)d->heads * d->spt));
		a->device = (uint8_t)((a->device & 0xf0) | (rest / d->spt));
		a->r.lba0 = (uint8_t)(rest % d->spt + 1);
		a->r.lba1 = (uint8_t)c;
		a->r.lba2 = (uint8_t)(c >> 8);
		return;
	}
	a->r.lba0 = (uint8_t)lba;
	a->r.lba1 = (uint8_t)(lba >> 8);
	a->r.lba2 = (uint8_t)(lba >> 16);
}

/* ata_next_block: make the next DRQ block ready (a read fills it from the
 * disk); false when the transfer failed and was ended. */
static bool ata_next_block(struct ata *a, struct ata_drive *d)
{
	unsigned n = a->left < a->block ? a->left : a->block;

	if (!a->writing && disk_read(d->disk, a->lba, n, a->buf) < 0) {
		ata_fail(a, ERR_UNC);
		return false;
	}
	a->pos = 0;
	a->len = n * DISK_SECTOR;
	a->status = ST_IDLE | ST_DRQ;
	return true;
}

/* ata_start: the common start of a read or write: the sectors named by the
 * task file (LBA28, LBA48 or CHS; a count of 0 is 256 or 65536) must be
 * on the disk (else IDNF) and a write needs a writable one (else ABRT);
 * then the transfer is set up.  False when the command has failed. */
static bool ata_start(struct ata *a, struct ata_drive *d, bool write, bool lba48)
{
	uint64_t lba;
	uint32_t count = lba48 ? (uint32_t)a->hob.count << 8 | a->r.count : a->r.count;

	if (!count)
		count = lba48 ? 65536 : 256;
	if (!ata_lba(a, d, lba48, &lba) || lba > d->disk->sectors ||
	    count > d->disk->sectors - lba) {
		ata_fail(a, ERR_IDNF);
		return false;
	}
	if (write && d->disk->readonly) {
		ata_fail(a, ERR_ABRT);
		return false;
	}
	a->writing = write;
	a->lba = lba;
	a->left = count;
	a->lba48 = lba48;
	a->from_disk = true;
	return true;
}

/* ata_rw: READ/WRITE SECTORS (block 1) or MULTIPLE (block = mult). */
static void ata_rw(struct ata *a, struct ata_drive *d, bool write, bool lba48, unsigned block)
{
	if (!block) {
		ata_fail(a, ERR_ABRT); /* MULTIPLE before SET MULTIPLE MODE */
		return;
	}
	if (!ata_start(a, d, write, lba48))
		return;
	a->block = block;
	if (ata_next_block(a, d) && !write)
		ata_raise(a); /* a read interrupts when its first block is ready */
}

/* ata_block_done: the guest moved the whole DRQ block. */
static void ata_block_done(struct ata *a)
{
	struct ata_drive *d = ata_cur(a);
	unsigned n = a->len / DISK_SECTOR;

	if (!d)
		return;
	if (a->from_disk && a->writing && disk_write(d->disk, a->lba, n, a->buf) < 0) {
		ata_fail(a, ERR_UNC);
		return;
	}
	a->lba += n;
	a->left -= n;
	if (a->from_disk)
		ata_set_address(a, d, a->lba48, a->lba - 1);
	if (!a->left) {
		a->pos = a->len = 0;
		a->status = ST_IDLE;
		if (a->writing)
			ata_raise(a);
		return;
	}
	if (ata_next_block(a, d))
		ata_raise(a);
}

/* ata_prd_move: move len bytes between buf and guest memory through the
 * bus master's PRD table (entries: address, byte count with 0 = 64 KiB,
 * bit 31 of the second dword ends the table); *ended: the table's end
 * came first.  Returns the bytes moved. */
static size_t ata_prd_move(struct ata *a, uint8_t *buf, size_t len, bool to_mem, bool *ended)
{
	uint32_t prd = a->bm_prd;
	size_t done = 0;

	*ended = false;
	for (unsigned n = 0; done < len && n < 8192; n++, prd += 8) {
		uint8_t e[8];
		if (devhost_dma_read(a->h, prd, e, 8) < 0)
			break;
		uint32_t addr = le32(e) & ~1u, cnt = le16(e + 4) ? le16(e + 4) : 0x10000u;
		size_t k = MIN((size_t)cnt, len - done);
		int r = to_mem ? devhost_dma_write(a->h, addr, buf + done, k)
			       : devhost_dma_read(a->h, addr, buf + done, k);
		if (r < 0)
			break;
		done += k;
		if (e[7] & 0x80) {
			*ended = done < len || k == cnt; /* the table ends here */
			break;
		}
	}
	return done;
}

/* ata_dma_fail: a DMA transfer failed: the bus master stops with its
 * error and interrupt bits, the command with err. */
static void ata_dma_fail(struct ata *a, uint8_t err)
{
	a->bm_status = (uint8_t)((a->bm_status & ~BM_ACTIVE) | BM_ERROR | BM_INTR);
	ata_fail(a, err);
}

/* ata_dma_run: the bus master was started with a DMA command waiting:
 * the whole transfer at once, then the interrupt (ATA and bus master).
 * A table shorter than the transfer fails the command; a longer one
 * leaves the bus master active, as the hardware does. */
static void ata_dma_run(struct ata *a)
{
	struct ata_drive *d = ata_cur(a);
	size_t len = (size_t)a->left * DISK_SECTOR;
	bool ended = false;
	uint8_t *buf;

	a->dma_pending = false;
	if (!d)
		return;
	if (!(a->bm_cmd & BM_TO_MEM) != a->writing) { /* the bus master goes the other way */
		ata_dma_fail(a, ERR_ABRT);
		return;
	}
	buf = malloc(len);
	if (!buf)
		die_host("out of memory for a disk transfer");
	bool ok = a->writing || disk_read(d->disk, a->lba, a->left, buf) == 0;
	size_t moved = ok ? ata_prd_move(a, buf, len, !a->writing, &ended) : 0;
	if (ok && a->writing)
		ok = moved == len && disk_write(d->disk, a->lba, a->left, buf) == 0;
	free(buf);
	if (!ok || moved < len) {
		ata_dma_fail(a, ok ? ERR_ABRT : ERR_UNC);
		return;
	}
	ata_set_address(a, d, a->lba48, a->lba + a->left - 1);
	a->left = 0;
	a->bm_status |= BM_INTR;
	if (ended)
		a->bm_status &= (uint8_t)~BM_ACTIVE;
	ata_done(a);
}

/* ata_dma: READ/WRITE DMA (EXT): checked as the PIO forms, then DRQ until
 * the bus master starts. */
static void ata_dma(struct ata *a, struct ata_drive *d, bool write, bool lba48)
{
	if (!ata_start(a, d, write, lba48))
		return;
	a->pos = a->len = 0;
	a->dma_pending = true;
	a->status = ST_IDLE | ST_DRQ;
	if ((a->bm_cmd & BM_START) && a->bm_master)
		ata_dma_run(a);
}

/* ata_max_address: READ NATIVE MAX ADDRESS (EXT): the last sector. */
static void ata_max_address(struct ata *a, struct ata_drive *d, bool lba48)
{
	uint64_t last = d->disk->sectors - 1;

	if (!lba48 && last > 0x0fffffff)
		last = 0x0fffffff;
	a->device |= DEV_LBA;
	ata_set_address(a, d, lba48, last);
	ata_done(a);
}

/* ata_command: a write to the command register. */
static void ata_command(struct ata *a, uint8_t cmd)
{
	struct ata_drive *d = ata_cur(a);

	if (!d)
		return; /* no device answers */
	a->intrq = false;
	ata_update_irq(a);
	a->error = 0;
	a->dma_pending = false; /* a new command replaces a DMA one never started */
	switch (cmd) {
	case 0xec: /* IDENTIFY DEVICE */
		ata_identify(a, d);
		return;
	case 0x20:
	case 0x21: /* READ SECTORS (with and without retry) */
		ata_rw(a, d, false, false, 1);
		return;
	case 0x24: /* READ SECTORS EXT */
		ata_rw(a, d, false, true, 1);
		return;
	case 0xc4: /* READ MULTIPLE */
		ata_rw(a, d, false, false, d->mult);
		return;
	case 0x29: /* READ MULTIPLE EXT */
		ata_rw(a, d, false, true, d->mult);
		return;
	case 0x30:
	case 0x31: /* WRITE SECTORS */
		ata_rw(a, d, true, false, 1);
		return;
	case 0x34: /* WRITE SECTORS EXT */
		ata_rw(a, d, true, true, 1);
		return;
	case 0xc5: /* WRITE MULTIPLE */
		ata_rw(a, d, true, false, d->mult);
		return;
	case 0x39: /* WRITE MULTIPLE EXT */
		ata_rw(a, d, true, true, d->mult);
		return;
	case 0xc8:
	case 0xc9: /* READ DMA */
		ata_dma(a, d, false, false);
		return;
	case 0x25: /* READ DMA EXT */
		ata_dma(a, d, false, true);
		return;
	case 0xca:
	case 0xcb: /* WRITE DMA */
		ata_dma(a, d, true, false);
		return;
	case 0x35: /* WRITE DMA EXT */
		ata_dma(a, d, true, true);
		return;
	case 0x40:
	case 0x41:
	case 0x42: { /* READ VERIFY SECTORS (EXT) */
		uint64_t lba;
		if (!ata_lba(a, d, cmd == 0x42, &lba) || lba >= d->disk->sectors)
			ata_fail(a, ERR_IDNF);
		else
			ata_done(a);
		return;
	}
	case 0xc6: /* SET MULTIPLE MODE: 0 or a power of two up to 16 */
		if (a->r.count > MAX_MULT || (a->r.count & (a->r.count - 1))) {
			ata_fail(a, ERR_ABRT);
			return;
		}
		d->mult = a->r.count;
		ata_done(a);
		return;
	case 0x91: /* INITIALIZE DEVICE PARAMETERS */
		d->heads = (uint16_t)((a->device & 0xf) + 1);
		d->spt = a->r.count;
		ata_done(a);
		return;
	case 0xe7:
	case 0xea: /* FLUSH CACHE (EXT) */
		if (disk_flush(d->disk) < 0)
			ata_fail(a, ERR_ABRT);
		else
			ata_done(a);
		return;
	case 0xf8: /* READ NATIVE MAX ADDRESS */
		ata_max_address(a, d, false);
		return;
	case 0x27: /* READ NATIVE MAX ADDRESS EXT */
		ata_max_address(a, d, true);
		return;
	case 0xe5:
	case 0x98: /* CHECK POWER MODE: active or idle */
		a->r.count = 0xff;
		ata_done(a);
		return;
	case 0x90: /* EXECUTE DEVICE DIAGNOSTIC */
		ata_signature(a);
		ata_raise(a);
		return;
	case 0xef:			    /* SET FEATURES: the transfer mode; the rest accepted */
		if (a->r.feature == 0x03) { /* PIO default/0-4 or MWDMA 0-2; no Ultra DMA */
			uint8_t m = a->r.count;
			if ((m & 0xf8) == 0x20 && (m & 7) <= 2) {
				d->mwdma = m & 7;
			} else if (!(m <= 0x01 || (m >= 0x08 && m <= 0x0c))) {
				ata_fail(a, ERR_ABRT);
				return;
			}
		}
		ata_done(a);
		return;
	case 0xe0:
	case 0xe1:
	case 0xe2:
	case 0xe3: /* standby / idle */
	case 0x94:
	case 0x95:
	case 0x96:
	case 0x97:
		ata_done(a);
		return;
	default:
		if (cmd >= 0x10 && cmd <= 0x1f) { /* RECALIBRATE */
			ata_done(a);
			return;
		}
		ata_fail(a, ERR_ABRT);
		return;
	}
}

/* ata_data_read: size bytes (2 or 4) from the data port. */
static uint32_t ata_data_read(struct ata *a, unsigned size)
{
	uint32_t v = 0;

	if (!(a->status & ST_DRQ) || a->writing || a->dma_pending)
		return 0xffffffffu >> (32 - 8 * size);
	for (unsigned i = 0; i < size && a->pos < a->len; i++)
		v |= (uint32_t)a->buf[a->pos++] << (8 * i);
	if (a->pos >= a->len)
		ata_block_done(a);
	return v;
}

/* ata_data_write: size bytes (2 or 4) to the data port. */
static void ata_data_write(struct ata *a, unsigned size, uint32_t v)
{
	if (!(a->status & ST_DRQ) || !a->writing || a->dma_pending)
		return;
	for (unsigned i = 0; i < size && a->pos < a->len; i++)
		a->buf[a->pos++] = (uint8_t)(v >> (8 * i));
	if (a->pos >= a->len)
		ata_block_done(a);
}

/* ata_read: the command block registers. */
static uint64_t ata_read(struct device *dev, uint64_t off, unsigned size)
{
	struct ata *a = ata_of(dev);
	const struct ata_regs *r = (a->control & CTL_HOB) ? &a->hob : &a->r;

	if (!ata_cur(a))
		return 0; /* the other device exists: an absent one reads 0 */
	switch (off) {
	case 0:
		return ata_data_read(a, size);
	case 1:
		return (a->control & CTL_HOB) ? a->hob.feature : a->error;
	case 2:
		return r->count;
	case 3:
		return r->lba0;
	case 4:
		return r->lba1;
	case 5:
		return r->lba2;
	case 6:
		return a->device | 0xa0;
	default: /* status: reading it acknowledges the interrupt */
		a->intrq = false;
		ata_update_irq(a);
		return a->status;
	}
}

/* ata_set_reg: a task-file write keeps the old value for HOB reads and
 * clears HOB in the device control register. */
static void ata_set_reg(struct ata *a, uint8_t *reg, uint8_t *hob, uint8_t v)
{
	*hob = *reg;
	*reg = v;
	a->control &= (uint8_t)~CTL_HOB;
}

/* ata_write: the command block registers. */
static void ata_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct ata *a = ata_of(dev);
	uint8_t b = (uint8_t)v;

	switch (off) {
	case 0:
		if (ata_cur(a))
			ata_data_write(a, size, (uint32_t)v);
		return;
	case 1:
		ata_set_reg(a, &a->r.feature, &a->hob.feature, b);
		return;
	case 2:
		ata_set_reg(a, &a->r.count, &a->hob.count, b);
		return;
	case 3:
		ata_set_reg(a, &a->r.lba0, &a->hob.lba0, b);
		return;
	case 4:
		ata_set_reg(a, &a->r.lba1, &a->hob.lba1, b);
		return;
	case 5:
		ata_set_reg(a, &a->r.lba2, &a->hob.lba2, b);
		return;
	case 6:
		a->device = b & 0x5f;
		a->control &= (uint8_t)~CTL_HOB;
		return;
	default:
		ata_command(a, b);
		return;
	}
}

/* ata_soft_reset: SRST, or power on: both devices back to the signature. */
static void ata_soft_reset(struct ata *a)
{
	for (int i = 0; i < 2; i++) {
		a->drv[i].mult = 0;
		a->drv[i].heads = 16;
		a->drv[i].spt = 63;
		a->drv[i].mwdma = 2;
	}
	a->device = 0;
	a->pos = a->len = 0;
	a->left = 0;
	a->dma_pending = false;
	a->intrq = false;
	ata_signature(a);
	ata_update_irq(a);
}

/* ata_ctl_read: the alternate status (no interrupt acknowledge). */
static uint64_t ata_ctl_read(struct device *dev, uint64_t off, unsigned size)
{
	struct ata *a = ata_of_ctl(dev);

	(void)off;
	(void)size;
	return ata_cur(a) ? a->status : 0;
}

/* ata_ctl_write: device control: nIEN, and SRST (the reset happens as the
 * bit goes back to 0, as the host's reset protocol expects). */
static void ata_ctl_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct ata *a = ata_of_ctl(dev);
	uint8_t old = a->control;

	(void)off;
	(void)size;
	a->control = (uint8_t)v;
	if (v & CTL_SRST)
		a->status = ST_BSY;
	else if (old & CTL_SRST)
		ata_soft_reset(a);
	ata_update_irq(a);
}

static struct ata *ata_of_bm(struct device *dev)
{
	return (struct ata *)((char *)dev - offsetof(struct ata, bm_dev));
}

/* ata_bm_read: command (0), status (2), PRD table address (4-7). */
static uint64_t ata_bm_read(struct device *dev, uint64_t off, unsigned size)
{
	struct ata *a = ata_of_bm(dev);

	(void)size;
	if (off == 0)
		return a->bm_cmd;
	if (off == 2)
		return a->bm_status;
	if (off >= 4)
		return (a->bm_prd >> (8 * (off - 4))) & 0xff;
	return 0;
}

/* ata_bm_write: the start bit runs a waiting DMA command (clearing it
 * stops the engine); status bits 1-2 are cleared by writing 1, 5-6 are
 * the software's. */
static void ata_bm_write(struct device *dev, uint64_t off, unsigned size, uint64_t v)
{
	struct ata *a = ata_of_bm(dev);
	uint8_t b = (uint8_t)v;

	(void)size;
	if (off == 0) {
		bool start = !(a->bm_cmd & BM_START) && (b & BM_START);
		a->bm_cmd = b & (BM_START | BM_TO_MEM);
		if (!(b & BM_START))
			a->bm_status &= (uint8_t)~BM_ACTIVE;
		if (start) {
			a->bm_status |= BM_ACTIVE;
			if (a->dma_pending && a->bm_master)
				ata_dma_run(a);
		}
	} else if (off == 2) {
		a->bm_status = (uint8_t)((a->bm_status & ~(b & (BM_ERROR | BM_INTR)) & ~BM_CAP) |
					 (b & BM_CAP));
	} else if (off >= 4) {
		unsigned sh = 8 * (unsigned)(off - 4);
		a->bm_prd = ((a->bm_prd & ~(0xffu << sh)) | (uint32_t)b << sh) & ~3u;
	}
}

void ata_bm_master(struct ata *a, bool master)
{
	a->bm_master = master;
	if (master && a->dma_pending && (a->bm_cmd & BM_START)) /* it waited for the bus */
		ata_dma_run(a);
}

void ata_bm_map(struct ata *a, uint16_t port)
{
	if (a->bm_port)
		devhost_remove_range(a->h, DEVHOST_IO, a->bm_port, &a->bm_dev);
	/* ports taken by another device: the guest made a decode conflict;
	 * the bus master stays unmapped until BAR 4 moves again */
	a->bm_port =
	    port && devhost_try_add_range(a->h, DEVHOST_IO, port, 8, &a->bm_dev) == 0 ? port : 0;
}

static void ata_reset(struct device *dev)
{
	struct ata *a = ata_of(dev);

	a->control = 0;
	a->bm_cmd = 0;
	a->bm_prd = 0;
	/* the BIOS's "DMA capable" bits for the drives that exist */
	a->bm_status = (uint8_t)((a->drv[0].disk ? 0x20 : 0) | (a->drv[1].disk ? 0x40 : 0));
	ata_soft_reset(a);
}

struct ata *ata_create(struct devhost *h, uint16_t base, uint16_t ctl, struct irq_line *irq,
		       struct disk *master, struct disk *slave)
{
	static const struct device tmpl = {
	    .name = "ata", .read = ata_read, .write = ata_write, .reset = ata_reset};
	struct ata *a = devhost_new_device(sizeof(*a), &tmpl);

	a->h = h;
	a->irq = irq;
	a->drv[0].disk = master;
	a->drv[1].disk = slave;
	a->ctl_dev = (struct device){
	    .name = "ata-ctl", .read = ata_ctl_read, .write = ata_ctl_write, .byte_wide = true};
	a->bm_dev = (struct device){
	    .name = "ata-bm", .read = ata_bm_read, .write = ata_bm_write, .byte_wide = true};
	ata_reset(&a->dev);
	devhost_add_device(h, DEVHOST_IO, base, 8, &a->dev);
	devhost_add_range(h, DEVHOST_IO, ctl, 1, &a->ctl_dev);
	return a;
}
