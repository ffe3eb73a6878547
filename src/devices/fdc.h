/*
 * fdc.h - a floppy disk controller (Intel 82077AA, as a PC/AT has it) at
 * 0x3f0 with one drive (A:), IRQ 6 and DMA channel 2, on a raw image
 * (-fda) whose size gives the format: 160K, 180K, 320K, 360K, 720K, 1.2M,
 * 1.44M or 2.88M (another size up to 1.44M: a 1.44M disk, its missing
 * sectors zeros).
 *
 * Registers: DOR 0x3f2, MSR/DSR 0x3f4, FIFO 0x3f5, DIR/CCR 0x3f7 (0x3f6
 * is the IDE controller's).  Commands: SPECIFY, SENSE DRIVE STATUS,
 * RECALIBRATE, SENSE INTERRUPT STATUS, SEEK, READ DATA, WRITE DATA, READ
 * ID, FORMAT TRACK, VERSION, CONFIGURE, LOCK, PERPENDICULAR MODE, DUMPREG;
 * others are invalid (ST0 0x80).  Data moves by DMA only (non-DMA mode
 * is not offered), at once: the result phase follows the command.  The
 * medium never changes while the machine runs.
 */
#ifndef BT86_FDC_H
#define BT86_FDC_H

#include <stdint.h>

#include "devices/disk.h"
#include "devices/irq.h"

struct devhost;
struct isa_dma;

/* fdc_drive_type: the CMOS drive type (cmos_set_floppy) for an image of
 * sectors sectors, 0 above 2.88 MB.  An image smaller than 1.44 MB that
 * is no standard size is a 1.44 MB disk whose missing sectors read as
 * zeros, as QEMU does; fdc_format_sectors: that disk's size in sectors. */
uint8_t fdc_drive_type(uint64_t sectors);
uint64_t fdc_format_sectors(uint64_t sectors);

/* fdc_create: the controller with drive A on disk (the caller keeps it). */
void fdc_create(struct devhost *h, struct irq_line *irq6, struct isa_dma *dma, struct disk *disk);

#endif
