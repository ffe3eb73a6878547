/* test_dev_ata.c - the ATA channel (PIO) on a raw image: IDENTIFY, reads
 * and writes by LBA28, LBA48 and CHS, MULTIPLE, errors (IDNF past the end,
 * ABRT for unknown commands and MULTIPLE before SET MULTIPLE MODE), the
 * interrupt (nIEN, acknowledged by reading status, not alternate status),
 * SRST and the signature, an absent slave, FLUSH CACHE, and that the image
 * file holds what was written. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_dev_harness.h"
#include "devices/ata.h"
#include "devices/disk.h"

#define NSECT 2048 /* 1 MiB */
#define BASE  0x1f0
#define CTL   0x3f6

static char path[64];
static struct disk disk;
static struct irq_line irq;
static struct ata *ata;

static uint8_t pattern(uint64_t lba, unsigned i)
{
	return (uint8_t)(lba * 13 + i);
}

static void setup(void)
{
	dev_machine_init(16 * MiB);
	ck_assert_int_eq(ram_init(&m.ram, 16 * MiB), 0);
	snprintf(path, sizeof(path), "/tmp/bt86-ata-XXXXXX");
	dev_make_image(path, NSECT, pattern);
	ck_assert_int_eq(disk_open(&disk, path, false, false), 0);
	memset(&irq, 0, sizeof(irq));
	ata = ata_create(machine_devhost(&m), BASE, CTL, &irq, &disk, NULL);
}

static void teardown(void)
{
	dev_machine_fini();
	ram_destroy(&m.ram);
	disk_close(&disk);
	unlink(path);
}

/* lba28: select the master with an LBA28 address and a count. */
static void lba28(uint32_t lba, uint8_t count)
{
	outb(BASE + 6, 0xe0 | ((lba >> 24) & 0xf));
	outb(BASE + 2, count);
	outb(BASE + 3, (uint8_t)lba);
	outb(BASE + 4, (uint8_t)(lba >> 8));
	outb(BASE + 5, (uint8_t)(lba >> 16));
}

/* read_sector: 256 words from the data port into s; status had DRQ. */
static void read_sector(uint8_t *s)
{
	ck_assert_uint_eq(inb(BASE + 7) & 0x89, 0x08);
	for (int i = 0; i < 256; i++) {
		uint16_t w = inw(BASE);
		s[2 * i] = (uint8_t)w;
		s[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static void check_sector(const uint8_t *s, uint64_t lba)
{
	for (unsigned i = 0; i < 512; i++)
		ck_assert_uint_eq(s[i], pattern(lba, i));
}

START_TEST(test_signature_and_identify)
{
	uint8_t id[512];

	ck_assert_uint_eq(inb(BASE + 2), 1);
	ck_assert_uint_eq(inb(BASE + 3), 1);
	ck_assert_uint_eq(inb(BASE + 4), 0);
	ck_assert_uint_eq(inb(BASE + 5), 0);
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	outb(BASE + 6, 0xa0);
	outb(BASE + 7, 0xec);
	ck_assert_int_eq(irq.level, 1);
	read_sector(id);
	ck_assert_uint_eq(inb(BASE + 7), 0x50); /* DRQ gone after 256 words */
	ck_assert_int_eq(irq.level, 0);		/* status read acknowledged it */
	uint16_t w60 = (uint16_t)(id[120] | id[121] << 8), w49 = (uint16_t)(id[98] | id[99] << 8);
	ck_assert_uint_eq(w60, NSECT);
	ck_assert(w49 & 0x0200);	    /* LBA */
	ck_assert_uint_eq(id[54 + 1], 'b'); /* model "bt86 ...", byte-swapped */
	ck_assert_uint_eq(id[54], 't');
	ck_assert_uint_eq((uint16_t)(id[200] | id[201] << 8), NSECT); /* LBA48 count */
}
END_TEST

START_TEST(test_read_lba28_and_chs)
{
	uint8_t s[512];

	lba28(100, 3);
	outb(BASE + 7, 0x20);
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(irq.level, 1); /* one interrupt per sector */
		read_sector(s);
		check_sector(s, 100 + k);
	}
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	ck_assert_uint_eq(inb(BASE + 3), 102); /* the last sector read */
	/* CHS 0/1/5 with 16 heads, 63 sectors: LBA 63 + 4 */
	outb(BASE + 6, 0xa1);
	outb(BASE + 2, 1);
	outb(BASE + 3, 5);
	outb(BASE + 4, 0);
	outb(BASE + 5, 0);
	outb(BASE + 7, 0x20);
	read_sector(s);
	check_sector(s, 67);
}
END_TEST

START_TEST(test_write_and_flush)
{
	uint8_t s[512], f[512];

	lba28(7, 2);
	outb(BASE + 7, 0x30);
	ck_assert_int_eq(irq.level, 0); /* no interrupt before the first block */
	for (int k = 0; k < 2; k++) {
		ck_assert_uint_eq(inb(CTL) & 0x08, 0x08);
		for (int i = 0; i < 256; i++)
			outw(BASE, (uint16_t)(0xa000 + 256 * k + i));
		ck_assert_int_eq(irq.level, 1);
		(void)inb(BASE + 7);
	}
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	outb(BASE + 7, 0xe7); /* FLUSH CACHE */
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	/* the file itself */
	FILE *fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 8 * 512, SEEK_SET);
	ck_assert_uint_eq(fread(f, 1, 512, fp), 512);
	fclose(fp);
	ck_assert_uint_eq(f[0], 0x00);
	ck_assert_uint_eq(f[1], 0xa1);
	/* and back through the device */
	lba28(7, 1);
	outb(BASE + 7, 0x20);
	read_sector(s);
	ck_assert_uint_eq(s[0], 0x00);
	ck_assert_uint_eq(s[1], 0xa0);
}
END_TEST

START_TEST(test_lba48_and_multiple)
{
	uint8_t s[512];

	/* READ SECTORS EXT of 2 at 2000: high bytes first, then low */
	outb(BASE + 6, 0x40);
	outb(BASE + 2, 0);
	outb(BASE + 3, 0);
	outb(BASE + 4, 0);
	outb(BASE + 5, 0);
	outb(BASE + 2, 2);
	outb(BASE + 3, 2000 & 0xff);
	outb(BASE + 4, 2000 >> 8);
	outb(BASE + 5, 0);
	outb(BASE + 7, 0x24);
	read_sector(s);
	check_sector(s, 2000);
	read_sector(s);
	check_sector(s, 2001);
	/* READ MULTIPLE before SET MULTIPLE MODE: aborted */
	lba28(0, 4);
	outb(BASE + 7, 0xc4);
	ck_assert_uint_eq(inb(BASE + 7), 0x51);
	ck_assert_uint_eq(inb(BASE + 1), 0x04);
	outb(BASE + 2, 3); /* not a power of two */
	outb(BASE + 7, 0xc6);
	ck_assert_uint_eq(inb(BASE + 7), 0x51);
	outb(BASE + 2, 4);
	outb(BASE + 7, 0xc6);
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	lba28(10, 6); /* blocks of 4 and 2 sectors, one interrupt each */
	outb(BASE + 7, 0xc4);
	for (int k = 0; k < 6; k++) {
		if (k == 0 || k == 4)
			ck_assert_int_eq(irq.level, 1);
		read_sector(s);
		check_sector(s, 10 + k);
		if (k < 3)
			ck_assert_int_eq(irq.level, 0);
	}
}
END_TEST

START_TEST(test_errors_irq_reset)
{
	lba28(NSECT - 1, 2); /* runs past the end */
	outb(BASE + 7, 0x20);
	ck_assert_uint_eq(inb(CTL), 0x51);
	ck_assert_uint_eq(inb(BASE + 1), 0x10); /* IDNF */
	outb(BASE + 7, 0xa0);			/* PACKET: not an ATAPI device */
	ck_assert_uint_eq(inb(BASE + 1), 0x04);
	/* nIEN masks INTRQ; clearing it shows the pending one */
	outb(CTL, 0x02);
	outb(BASE + 7, 0xe7);
	ck_assert_int_eq(irq.level, 0);
	outb(CTL, 0x00);
	ck_assert_int_eq(irq.level, 1);
	ck_assert_uint_eq(inb(CTL), 0x50); /* alternate status: no acknowledge */
	ck_assert_int_eq(irq.level, 1);
	(void)inb(BASE + 7);
	ck_assert_int_eq(irq.level, 0);
	/* SRST: busy while set, the signature after */
	outb(BASE + 3, 0x77);
	outb(CTL, 0x04);
	ck_assert_uint_eq(inb(CTL) & 0x80, 0x80);
	outb(CTL, 0x00);
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	ck_assert_uint_eq(inb(BASE + 3), 1);
	ck_assert_uint_eq(inb(BASE + 1), 1);
	/* the absent slave reads 0 and ignores commands */
	outb(BASE + 6, 0xb0);
	ck_assert_uint_eq(inb(BASE + 7), 0);
	outb(BASE + 7, 0xec);
	ck_assert_uint_eq(inb(BASE + 7), 0);
	outb(BASE + 6, 0xa0);
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
}
END_TEST

START_TEST(test_disk_open_errors)
{
	struct disk d;
	char odd[64];
	int fd;

	ck_assert_int_lt(disk_open(&d, "/nonexistent/bt86.img", false, false), 0);
	snprintf(odd, sizeof(odd), "/tmp/bt86-odd-XXXXXX");
	fd = mkstemp(odd);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	close(fd);
	/* not whole sectors: the partial one reads as padded with zeros */
	ck_assert_int_eq(disk_open(&d, odd, true, false), 0);
	ck_assert_uint_eq(d.sectors, 1);
	uint8_t sec[512];
	memset(sec, 0xff, sizeof(sec));
	ck_assert_int_eq(disk_read(&d, 0, 1, sec), 0);
	ck_assert_uint_eq(sec[2], 'c');
	ck_assert_uint_eq(sec[3], 0);
	ck_assert_uint_eq(sec[511], 0);
	disk_pad(&d, 4); /* as a floppy's format is */
	ck_assert_int_eq(disk_read(&d, 3, 1, sec), 0);
	ck_assert_uint_eq(sec[0], 0);
	disk_close(&d);
	unlink(odd);
	ck_assert_int_lt(disk_open(&d, "/dev/null", true, false), 0); /* not a file */
	ck_assert_int_lt(disk_open(&d, path, false, false), 0);	      /* locked by setup's open */
	ck_assert_int_eq(disk_read(&disk, NSECT, 1, odd), -EIO);
}
END_TEST

/* prd: a PRD entry at RAM address at: addr, count (0 = 64 KiB), last. */
static void prd(uint32_t at, uint32_t addr, uint16_t count, bool last)
{
	uint8_t *p = (uint8_t *)ram_ptr(&m.ram, at, 8);
	le_put32(p, addr);
	le_put16(p + 4, count);
	le_put16(p + 6, last ? 0x8000 : 0);
}

/* Bus-master DMA: READ DMA scattered over two PRD entries, WRITE DMA
 * gathered back, the status bits, the direction check, the mapping. */
START_TEST(test_bus_master_dma)
{
	const uint16_t bm = 0xc000;
	uint8_t s[512];

	ata_bm_map(ata, bm);
	ck_assert_uint_eq(inb(bm + 2) & 0x60, 0x20); /* drive 0 DMA capable */
	/* bus mastering off: a started transfer waits for it */
	prd(0x1000, 0x20000, 512, true);
	outl(bm + 4, 0x1000);
	lba28(60, 1);
	outb(BASE + 7, 0xc8);
	outb(bm, 0x09);
	ck_assert_int_eq(irq.level, 0);
	ata_bm_master(ata, true);
	ck_assert_int_eq(irq.level, 1);
	check_sector(ram_ptr(&m.ram, 0x20000, 512), 60);
	(void)inb(BASE + 7);
	outb(bm + 2, 0x06);
	outb(bm, 0x00);
	prd(0x1000, 0x20000, 512, false); /* sector 50 */
	prd(0x1008, 0x30000, 1024, true); /* sectors 51, 52 */
	outl(bm + 4, 0x1000);
	ck_assert_uint_eq(inl(bm + 4), 0x1000);
	lba28(50, 3);
	outb(BASE + 7, 0xc8); /* READ DMA: waits for the start bit */
	ck_assert_uint_eq(inb(CTL) & 0x08, 0x08);
	ck_assert_int_eq(irq.level, 0);
	outb(bm, 0x09); /* start, to memory */
	ck_assert_int_eq(irq.level, 1);
	ck_assert_uint_eq(inb(bm + 2) & 0x07, 0x04); /* interrupt, no longer active */
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	check_sector(ram_ptr(&m.ram, 0x20000, 512), 50);
	check_sector(ram_ptr(&m.ram, 0x30000, 512), 51);
	check_sector(ram_ptr(&m.ram, 0x30200, 512), 52);
	outb(bm + 2, 0x04); /* write 1 to clear */
	ck_assert_uint_eq(inb(bm + 2) & 0x04, 0);
	outb(bm, 0x00);
	/* WRITE DMA of one sector from 0x40000 */
	memset((uint8_t *)ram_ptr(&m.ram, 0x40000, 512), 0x3c, 512);
	prd(0x1000, 0x40000, 512, true);
	lba28(9, 1);
	outb(BASE + 7, 0xca);
	outb(bm, 0x01); /* start, from memory */
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
	ck_assert_int_eq(disk_read(&disk, 9, 1, s), 0);
	ck_assert_uint_eq(s[0], 0x3c);
	ck_assert_uint_eq(s[511], 0x3c);
	outb(bm, 0x00);
	/* the bus master set to the wrong direction: an error */
	lba28(9, 1);
	outb(BASE + 7, 0xc8);
	outb(bm, 0x01);
	ck_assert_uint_eq(inb(BASE + 7) & 0x01, 0x01);
	ck_assert_uint_eq(inb(bm + 2) & 0x02, 0x02);
	outb(bm, 0x00);
	/* IDENTIFY offers multiword DMA 0-2, mode 2 selected */
	outb(BASE + 6, 0xa0);
	outb(BASE + 7, 0xec);
	uint8_t id[512];
	read_sector(id);
	ck_assert_uint_eq((uint16_t)(id[126] | id[127] << 8), 0x0407);
	/* a DMA command never started is replaced by the next command */
	outb(bm + 2, 0x06); /* clear error and interrupt */
	lba28(50, 1);
	outb(BASE + 7, 0xc8);
	outb(BASE + 7, 0xec); /* IDENTIFY */
	outb(bm, 0x09);	      /* starting now moves nothing */
	ck_assert_uint_eq(inb(bm + 2) & 0x04, 0);
	read_sector(id); /* IDENTIFY's data by PIO, whole */
	ck_assert_uint_eq((uint16_t)(id[120] | id[121] << 8), NSECT);
	outb(bm, 0x00);
	/* the data port does nothing while a DMA command waits */
	ata_bm_map(ata, bm);
	lba28(50, 1);
	outb(BASE + 7, 0xc8);
	ck_assert_uint_eq(inw(BASE), 0xffff);
	outb(bm, 0x09);
	ck_assert_uint_eq(inb(bm + 2) & 0x04, 0x04);
	outb(bm, 0x00);
	/* unmapped: the ports read as nothing */
	ata_bm_map(ata, 0);
	ck_assert_uint_eq(inb(bm + 2), 0xff);
	/* mapped onto ports another device has (the guest's conflict): it
	 * stays unmapped and the monitor goes on */
	ata_bm_map(ata, BASE);
	ck_assert_uint_eq(inb(BASE + 7), 0x50);
}
END_TEST

/* A snapshot disk reads what was written, and the file keeps the old data. */
START_TEST(test_snapshot)
{
	struct disk d;
	uint8_t w[1024], r[1536];

	disk_close(&disk); /* setup's exclusive lock */
	ck_assert_int_eq(disk_open(&d, path, false, true), 0);
	memset(w, 0x5c, sizeof(w));
	ck_assert_int_eq(disk_write(&d, 11, 2, w), 0);
	ck_assert_int_eq(disk_read(&d, 10, 3, r), 0); /* base, overlay, overlay */
	check_sector(r, 10);
	ck_assert_uint_eq(r[512], 0x5c);
	ck_assert_uint_eq(r[1535], 0x5c);
	ck_assert_int_eq(disk_flush(&d), 0);
	disk_close(&d);
	ck_assert_int_eq(disk_open(&d, path, true, false), 0);
	ck_assert_int_eq(disk_read(&d, 11, 1, r), 0);
	check_sector(r, 11); /* the image is unchanged */
	disk_close(&d);
	ck_assert_int_eq(disk_open(&disk, path, false, false), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_ata");
	TCase *tc = tcase_create("ata");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_signature_and_identify);
	tcase_add_test(tc, test_read_lba28_and_chs);
	tcase_add_test(tc, test_write_and_flush);
	tcase_add_test(tc, test_lba48_and_multiple);
	tcase_add_test(tc, test_errors_irq_reset);
	tcase_add_test(tc, test_disk_open_errors);
	tcase_add_test(tc, test_snapshot);
	tcase_add_test(tc, test_bus_master_dma);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
