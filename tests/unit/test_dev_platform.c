/* test_dev_platform.c - the PC platform pieces Linux looks for: the PCI
 * host bridge (configuration mechanism #1, reset control at 0xcf9), the
 * ACPI PM block (S5 power-off, PM timer) and the ACPI tables that describe
 * it (signatures, checksums, the FADT's ports, \_S5 in the DSDT). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "test_dev_harness.h"
#include "devices/pci_host.h"
#include "devices/acpi_pm.h"
#include "firmware/firmware.h"
#include "devices/fw_cfg.h"

static void setup(void)
{
	dev_machine_init(16 * MiB);
	pci_host_create(machine_devhost(&m), false);
	acpi_pm_create(machine_devhost(&m));
}

static void teardown(void)
{
	dev_machine_fini();
}

/* cfg: the dword at register reg of bus/dev/fn through mechanism #1. */
static uint32_t cfg(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg);
	return inl(0xcfc);
}

/* Linux's pci_check_type1: a byte to 0xcfb, then the dword must read back. */
START_TEST(test_pci_type1_probe)
{
	outb(0xcfb, 0x01);
	outl(0xcf8, 0x80000000u);
	ck_assert_uint_eq(inl(0xcf8), 0x80000000u);
	outl(0xcf8, 0x7f000003u); /* reserved bits read 0 */
	ck_assert_uint_eq(inl(0xcf8), 0);
	ck_assert_uint_eq(inb(0xcfa), 0xff);
}
END_TEST

START_TEST(test_pci_host_bridge)
{
	ck_assert_uint_eq(cfg(0, 0, 0, 0), 0x12378086u);
	ck_assert_uint_eq(cfg(0, 0, 0, 8) >> 8, 0x060000u);    /* class host bridge */
	ck_assert_uint_eq(cfg(0, 0, 0, 0x0c) >> 16 & 0xff, 0); /* header type 0 */
	/* byte and word reads inside the window */
	outl(0xcf8, 0x80000000u);
	ck_assert_uint_eq(inw(0xcfe), 0x1237);
	ck_assert_uint_eq(inb(0xcfd), 0x80);
	/* read-only IDs, a writable command register */
	outl(0xcfc, 0);
	ck_assert_uint_eq(cfg(0, 0, 0, 0), 0x12378086u);
	outl(0xcf8, 0x80000004u);
	outw(0xcfc, 0x0000);
	ck_assert_uint_eq(cfg(0, 0, 0, 4) & 0xffff, 0);
	outl(0xcf8, 0x80000004u);
	outw(0xcfc, 0xffff);
	ck_assert_uint_eq(cfg(0, 0, 0, 4) & 0xffff, 0x0146);
}
END_TEST

START_TEST(test_pci_empty_bus)
{
	ck_assert_uint_eq(cfg(0, 1, 0, 0), 0xffffffffu);
	ck_assert_uint_eq(cfg(0, 0, 1, 0), 0xffffffffu);
	ck_assert_uint_eq(cfg(1, 0, 0, 0), 0xffffffffu);
	outl(0xcf8, 0x00000000u); /* enable bit clear: no cycle */
	ck_assert_uint_eq(inl(0xcfc), 0xffffffffu);
}
END_TEST

START_TEST(test_pci_cf9_reset)
{
	outl(0xcf8, 0x80000000u);
	outb(0xcf9, 0x02);
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	ck_assert_uint_eq(inl(0xcf8), 0x80000000u); /* a byte at 0xcf9 is not the address */
	outb(0xcf9, 0x06);
	ck_assert_int_eq(m.exit.reason, EXIT_RESET);
	ck_assert_uint_eq(inb(0xcf9), 0x02);
}
END_TEST

START_TEST(test_acpi_pm_poweroff)
{
	ck_assert_uint_eq(inw(ACPI_PM_BASE + ACPI_PM1_CNT) & 1, 1); /* SCI_EN */
	outw(ACPI_PM_BASE + ACPI_PM1_CNT, 1u << 10 | 1u << 13);	    /* S1: ignored */
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	outw(ACPI_PM_BASE + ACPI_PM1_CNT, ACPI_S5_SLP_TYP << 10); /* no SLP_EN */
	ck_assert_int_eq(m.exit.reason, EXIT_NONE);
	ck_assert_uint_eq(inw(ACPI_PM_BASE + ACPI_PM1_CNT) >> 10 & 7, ACPI_S5_SLP_TYP);
	outw(ACPI_PM_BASE + ACPI_PM1_CNT, ACPI_S5_SLP_TYP << 10 | 1u << 13);
	ck_assert_int_eq(m.exit.reason, EXIT_QUIT);
	ck_assert_int_eq(m.exit.status, 0);
}
END_TEST

START_TEST(test_acpi_pm_timer)
{
	uint32_t a = inl(ACPI_PM_BASE + ACPI_PM_TMR);
	uint64_t t0 = util_now_ns();

	while (util_now_ns() - t0 < 10000000ull) /* 10 ms: 35795 ticks */
		;
	uint32_t b = inl(ACPI_PM_BASE + ACPI_PM_TMR);
	uint32_t d = (b - a) & 0xffffff;

	ck_assert_uint_lt(a, 1u << 24);
	ck_assert_uint_ge(d, 35795 - 100);
	ck_assert_uint_lt(d, 35795 * 20); /* generous: a loaded host */
}
END_TEST

/* sum: the byte sum of len bytes at p (a valid table sums to 0). */
static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

START_TEST(test_acpi_tables)
{
	ck_assert_int_eq(ram_init(&m.ram, 16 * MiB), 0);
	ck_assert_int_eq(acpi_install(&m), 0);
	const uint8_t *rsdp = ram_ptr(&m.ram, FW_ACPI_RSDP, 20);

	ck_assert_int_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	uint32_t rsdt_at = le32(rsdp + 16);
	const uint8_t *rsdt = ram_ptr(&m.ram, rsdt_at, 40);

	ck_assert_int_eq(memcmp(rsdt, "RSDT", 4), 0);
	ck_assert_uint_eq(sum(rsdt, le32(rsdt + 4)), 0);
	const uint8_t *fadt = ram_ptr(&m.ram, le32(rsdt + 36), 116);

	ck_assert_int_eq(memcmp(fadt, "FACP", 4), 0);
	ck_assert_uint_eq(sum(fadt, le32(fadt + 4)), 0);
	ck_assert_uint_eq(le32(fadt + 64), ACPI_PM_BASE + ACPI_PM1_CNT);
	ck_assert_uint_eq(le32(fadt + 76), ACPI_PM_BASE + ACPI_PM_TMR);
	ck_assert_uint_eq(le16(fadt + 46), ACPI_SCI_IRQ);
	const uint8_t *facs = ram_ptr(&m.ram, le32(fadt + 36), 64);

	ck_assert_int_eq(memcmp(facs, "FACS", 4), 0);
	const uint8_t *dsdt = ram_ptr(&m.ram, le32(fadt + 40), 64);

	ck_assert_int_eq(memcmp(dsdt, "DSDT", 4), 0);
	ck_assert_uint_eq(sum(dsdt, le32(dsdt + 4)), 0);
	/* NameOp "_S5_" PackageOp ... BytePrefix 5 */
	ck_assert_int_eq(memcmp(dsdt + 36, "\x08_S5_\x12", 6), 0);
	ck_assert_uint_eq(dsdt[36 + 9], ACPI_S5_SLP_TYP);
	/* the board's ISA devices, each with its _HID right after its name */
	uint32_t dlen = le32(dsdt + 4);
	ck_assert_ptr_nonnull(memmem(dsdt, dlen, "PCI0\x08_HID\x0c\x41\xd0\x0a\x03", 14));
	ck_assert_ptr_nonnull(memmem(dsdt, dlen, "KBD_\x08_HID\x0c\x41\xd0\x03\x03", 14));
	ck_assert_ptr_nonnull(memmem(dsdt, dlen, "COM1\x08_HID\x0c\x41\xd0\x05\x01", 14));
	ck_assert_ptr_nonnull(memmem(dsdt, dlen, "RTC_\x08_HID\x0c\x41\xd0\x0b\x00", 14));
	ck_assert_ptr_null(memmem(dsdt, dlen, "\x41\xd0\x0f\x13", 4)); /* no PS/2 mouse */
	ram_destroy(&m.ram);
}
END_TEST

START_TEST(test_mp_and_bda)
{
	ck_assert_int_eq(ram_init(&m.ram, 16 * MiB), 0);
	ck_assert_int_eq(mptable_install(&m, 0x1234), 0);
	ck_assert_int_eq(bda_install(&m), 0);
	const uint8_t *f = ram_ptr(&m.ram, FW_MP_FLOAT, 16);

	ck_assert_int_eq(memcmp(f, "_MP_", 4), 0);
	ck_assert_uint_eq(sum(f, 16), 0);
	const uint8_t *t = ram_ptr(&m.ram, le32(f + 4), 44);
	uint16_t len = le16(t + 4);

	ck_assert_int_eq(memcmp(t, "PCMP", 4), 0);
	ck_assert_uint_eq(sum(ram_ptr(&m.ram, le32(f + 4), len), len), 0);
	ck_assert_uint_eq(le16(t + 34), 21);	     /* entries */
	ck_assert_uint_eq(le32(t + 44 + 8), 0x1234); /* the processor's features */
	const uint8_t *b = ram_ptr(&m.ram, FW_BDA, 0x100);

	ck_assert_uint_eq(le16(b), 0x3f8);
	ck_assert_uint_eq(le16(b + 0x13), 639);
	ck_assert_uint_eq(le16(b + 0x0e), 0x9fc0);
	ram_destroy(&m.ram);
}
END_TEST

/* fw_read: n bytes of item key through the ports. */
static void fw_read(uint16_t key, uint8_t *dst, unsigned n)
{
	outw(FW_CFG_PORT, key);
	for (unsigned i = 0; i < n; i++)
		dst[i] = inb(FW_CFG_PORT + 1);
}

START_TEST(test_fw_cfg)
{
	uint8_t b[80];

	ck_assert_int_eq(ram_init(&m.ram, 16 * MiB), 0);
	m.board.fw_cfg = fw_cfg_create(machine_devhost(&m));
	m.cfg.append = "console=ttyS0";
	fwcfg_install(&m);
	fw_read(FW_CFG_SIGNATURE, b, 4);
	ck_assert_int_eq(memcmp(b, "QEMU", 4), 0);
	fw_read(FW_CFG_CMDLINE_SIZE, b, 4);
	ck_assert_uint_eq(le32(b), 14);
	fw_read(FW_CFG_CMDLINE_DATA, b, 14);
	ck_assert_str_eq((char *)b, "console=ttyS0");
	fw_read(FW_CFG_RAM_SIZE, b, 8);
	ck_assert_uint_eq(le32(b), 16 * MiB);
	fw_read(FW_CFG_FILE_DIR, b, 4 + 64);
	ck_assert_uint_eq(b[3], 1); /* one file, big-endian count */
	ck_assert_str_eq((char *)b + 4 + 8, "etc/e820");
	ck_assert_uint_eq(b[4 + 4] << 8 | b[4 + 5], FW_CFG_FILE_FIRST);
	fw_read(FW_CFG_SIGNATURE, b, 1);
	outb(FW_CFG_PORT, FW_CFG_ID); /* an 8-bit selector write is ignored */
	ck_assert_uint_eq(inb(FW_CFG_PORT + 1), 'E');
	m.board.fw_cfg = NULL;
	ram_destroy(&m.ram);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_platform");
	TCase *tc = tcase_create("platform");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pci_type1_probe);
	tcase_add_test(tc, test_pci_host_bridge);
	tcase_add_test(tc, test_pci_empty_bus);
	tcase_add_test(tc, test_pci_cf9_reset);
	tcase_add_test(tc, test_acpi_pm_poweroff);
	tcase_add_test(tc, test_acpi_pm_timer);
	tcase_add_test(tc, test_acpi_tables);
	tcase_add_test(tc, test_mp_and_bda);
	tcase_add_test(tc, test_fw_cfg);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
