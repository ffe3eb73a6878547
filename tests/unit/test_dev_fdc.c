/* test_dev_fdc.c - the floppy controller and the ISA DMA controller
 * together, as a BIOS drives them: reset and the four polling interrupts,
 * VERSION, an invalid command, RECALIBRATE/SEEK with SENSE INTERRUPT,
 * READ DATA across both sides by DMA channel 2 into RAM, WRITE DATA from
 * RAM into the image, DMA masked (no transfer), READ ID, SENSE DRIVE
 * STATUS, and the drive type a 1.44 MB image gets. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_dev_harness.h"
#include "devices/fdc.h"
#include "devices/i8237.h"

#define SECTORS 2880
#define BUFA	0x12000 /* DMA buffer in guest RAM (page 1, offset 0x2000) */

static char path[64];
static struct disk disk;
static struct irq_line irq6;
static struct isa_dma *dma;

static uint8_t pattern(uint64_t lba, unsigned i)
{
	return (uint8_t)(lba * 3 + i);
}

static void setup(void)
{
	dev_machine_init(16 * MiB);
	ck_assert_int_eq(ram_init(&m.ram, 16 * MiB), 0);
	snprintf(path, sizeof(path), "/tmp/bt86-fd-XXXXXX");
	dev_make_image(path, SECTORS, pattern);
	ck_assert_int_eq(disk_open(&disk, path, false, false), 0);
	memset(&irq6, 0, sizeof(irq6));
	dma = isa_dma_create(machine_devhost(&m));
	fdc_create(machine_devhost(&m), &irq6, dma, &disk);
}

static void teardown(void)
{
	dev_machine_fini();
	ram_destroy(&m.ram);
	disk_close(&disk);
	unlink(path);
}

/* cmd: bytes to the FIFO, each when MSR says RQM and not DIO. */
static void cmd(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(inb(0x3f4) & 0xc0, 0x80);
		outb(0x3f5, (uint8_t)va_arg(ap, int));
	}
	va_end(ap);
}

/* results: n result bytes into r; then the controller waits for a command. */
static void results(uint8_t *r, int n)
{
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(inb(0x3f4) & 0xc0, 0xc0);
		r[i] = inb(0x3f5);
	}
	ck_assert_uint_eq(inb(0x3f4) & 0xd0, 0x80);
}

/* dma2: channel 2 for len bytes at BUFA, mode 0x46 (write memory) or 0x4a. */
static void dma2(uint8_t mode, unsigned len)
{
	outb(0x0a, 0x06); /* mask channel 2 */
	outb(0x0c, 0);
	outb(0x0b, mode);
	outb(0x04, BUFA & 0xff);
	outb(0x04, (BUFA >> 8) & 0xff);
	outb(0x81, BUFA >> 16);
	outb(0x05, (len - 1) & 0xff);
	outb(0x05, (len - 1) >> 8);
	outb(0x0a, 0x02); /* unmask */
}

static void reset_controller(void)
{
	uint8_t r[2];

	outb(0x3f2, 0x00);
	outb(0x3f2, 0x1c); /* motor A, DMA/IRQ on, out of reset, drive 0 */
	ck_assert_int_eq(irq6.level, 1);
	for (int d = 0; d < 4; d++) {
		cmd(1, 0x08);
		results(r, 2);
		ck_assert_uint_eq(r[0], 0xc0 | d);
	}
	ck_assert_int_eq(irq6.level, 0);
}

START_TEST(test_reset_version_invalid)
{
	uint8_t r[2];

	ck_assert_uint_eq(fdc_drive_type(SECTORS), 4);
	ck_assert_uint_eq(fdc_drive_type(1440), 3);
	ck_assert_uint_eq(fdc_drive_type(1000), 4); /* a 1.44 MB disk, the rest zeros */
	ck_assert_uint_eq(fdc_format_sectors(1000), 2880);
	ck_assert_uint_eq(fdc_drive_type(6000), 0);
	reset_controller();
	cmd(1, 0x10);
	results(r, 1);
	ck_assert_uint_eq(r[0], 0x90);
	cmd(1, 0x1f); /* invalid */
	results(r, 1);
	ck_assert_uint_eq(r[0], 0x80);
	cmd(1, 0x08); /* nothing pending */
	results(r, 1);
	ck_assert_uint_eq(r[0], 0x80);
}
END_TEST

START_TEST(test_seek_and_status)
{
	uint8_t r[2];

	reset_controller();
	cmd(3, 0x03, 0xaf, 0x02); /* SPECIFY */
	cmd(2, 0x07, 0x00);	  /* RECALIBRATE */
	ck_assert_int_eq(irq6.level, 1);
	cmd(1, 0x08);
	results(r, 2);
	ck_assert_uint_eq(r[0], 0x20);
	ck_assert_uint_eq(r[1], 0);
	cmd(3, 0x0f, 0x04, 12); /* SEEK head 1, cylinder 12 */
	cmd(1, 0x08);
	results(r, 2);
	ck_assert_uint_eq(r[0], 0x24);
	ck_assert_uint_eq(r[1], 12);
	cmd(2, 0x04, 0x00); /* SENSE DRIVE STATUS: ready, two-sided, not track 0 */
	results(r, 1);
	ck_assert_uint_eq(r[0], 0x28);
	cmd(2, 0x07, 0x01); /* drive B does not exist */
	cmd(1, 0x08);
	results(r, 2);
	ck_assert_uint_eq(r[0] & 0x50, 0x50);
}
END_TEST

START_TEST(test_read_write_dma)
{
	uint8_t r[7], buf[512];
	const uint8_t *ram;

	reset_controller();
	/* READ DATA, MT: C0 H0 R17..18 then H1 R1..2 = LBA 16-19 */
	dma2(0x46, 4 * 512);
	cmd(9, 0xe6, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
	ck_assert_int_eq(irq6.level, 1);
	results(r, 7);
	ck_assert_int_eq(irq6.level, 0);
	ck_assert_uint_eq(r[0] & 0xc0, 0); /* normal termination at TC */
	ck_assert_uint_eq(r[3], 0);
	ck_assert_uint_eq(r[4], 1);
	ck_assert_uint_eq(r[5], 3); /* the next sector */
	ram = ram_ptr(&m.ram, BUFA, 4 * 512);
	for (unsigned k = 0; k < 4; k++)
		for (unsigned i = 0; i < 512; i++)
			ck_assert_uint_eq(ram[k * 512 + i], pattern(16 + k, i));
	ck_assert_uint_eq(inb(0x08) & 0x04, 0x04); /* channel 2 reached TC */
	/* WRITE DATA of one sector to C1 H1 R5 = LBA 36 + 18 + 4 = 58 */
	memset(ram_ptr(&m.ram, BUFA, 512), 0xa5, 512);
	dma2(0x4a, 512);
	cmd(9, 0xc5, 0x04, 1, 1, 5, 2, 18, 0x1b, 0xff);
	results(r, 7);
	ck_assert_uint_eq(r[0] & 0xc0, 0);
	ck_assert_int_eq(disk_read(&disk, 58, 1, buf), 0);
	ck_assert_uint_eq(buf[0], 0xa5);
	ck_assert_uint_eq(buf[511], 0xa5);
	/* DMA masked: no transfer, abnormal termination */
	outb(0x0a, 0x06);
	cmd(9, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
	results(r, 7);
	ck_assert_uint_eq(r[0] & 0xc0, 0x40);
	/* a sector that does not exist */
	dma2(0x46, 512);
	cmd(9, 0xe6, 0x00, 0, 0, 19, 2, 18, 0x1b, 0xff);
	results(r, 7);
	ck_assert_uint_eq(r[0] & 0xc0, 0x40);
	ck_assert_uint_eq(r[1], 0x04); /* no data */
	/* READ ID */
	cmd(2, 0x4a, 0x00);
	results(r, 7);
	ck_assert_uint_eq(r[0] & 0xc0, 0);
	ck_assert_uint_eq(r[6], 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_fdc");
	TCase *tc = tcase_create("fdc");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_version_invalid);
	tcase_add_test(tc, test_seek_and_status);
	tcase_add_test(tc, test_read_write_dma);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
