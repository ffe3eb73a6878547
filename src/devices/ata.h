/*
 * ata.h - one ATA (IDE) channel on the ISA ports, two devices at most
 * (master and slave), PIO and bus-master DMA (ATA/ATAPI-6 register and
 * protocol rules, the PIIX3's bus-master registers).
 *
 * Command block at base (0x1f0 primary, 0x170 secondary), device control
 * and alternate status at ctl (0x3f6, 0x376), INTRQ on irq (IRQ14, IRQ15).
 * Commands: IDENTIFY DEVICE, READ/WRITE SECTORS and MULTIPLE (28- and
 * 48-bit LBA, and CHS through the IDENTIFY geometry), READ VERIFY, SET
 * MULTIPLE MODE, SET FEATURES, INITIALIZE DEVICE PARAMETERS, RECALIBRATE,
 * FLUSH CACHE (EXT), READ NATIVE MAX ADDRESS (EXT), CHECK POWER MODE, the
 * idle/standby commands and EXECUTE DEVICE DIAGNOSTIC; any other command
 * (PACKET) is aborted (ERR, error ABRT).  READ/WRITE DMA (EXT) move
 * data through the bus master (ata_bm_map) when its start bit is set,
 * with multiword DMA modes 0-2 offered.  Transfers happen at once: BSY is
 * never seen, DRQ is set when a block is ready.  A read
 * or write past the end of the disk ends with IDNF.  Absent devices read
 * as 0 while the other one exists, as on a real channel.
 */
#ifndef BT86_ATA_H
#define BT86_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/disk.h"
#include "devices/irq.h"

struct devhost;

#define ATA_PRIMARY_BASE   0x1f0u
#define ATA_PRIMARY_CTL	   0x3f6u
#define ATA_SECONDARY_BASE 0x170u
#define ATA_SECONDARY_CTL  0x376u

struct ata;

/* ata_create: a channel with disks master and slave (either may be NULL,
 * not both; the disks stay the caller's) on h's port bus. */
struct ata *ata_create(struct devhost *h, uint16_t base, uint16_t ctl, struct irq_line *irq,
		       struct disk *master, struct disk *slave);

/* ata_bm_map: the channel's 8 bus-master registers (command, status, PRD
 * table address, as the PIIX3's) at port, or nowhere for 0. */
void ata_bm_map(struct ata *a, uint16_t port);

/* ata_bm_master: whether the PCI function may master the bus (its command
 * register's bit 2); a started transfer waits until it may. */
void ata_bm_master(struct ata *a, bool master);

#endif
