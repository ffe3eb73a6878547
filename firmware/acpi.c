/*
 * acpi.c - the ACPI tables a kernel finds at boot (ACPI 1.0 layout, which
 * every i386 kernel reads): RSDP in the BIOS area, RSDT, FADT, FACS and a
 * DSDT whose only object is \_S5, so a guest can power the machine off
 * through the PM1a control block (devices/acpi_pm.c).  See firmware.h for
 * where they live and docs/architecture.md for the platform.
 */
#include "firmware/firmware.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "devices/acpi_pm.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/hpet.h"

#include <errno.h>
#include <string.h>

/* acpi_header: the 36-byte header every system description table opens
 * with; the checksum is set by fw_checksum once the table is complete. */
static void acpi_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le_put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "BT86  ", 6);   /* OEM ID */
	memcpy(t + 16, "BT86    ", 8); /* OEM table ID */
	le_put32(t + 24, 1);	       /* OEM revision */
	memcpy(t + 28, "BT86", 4);     /* creator ID */
	le_put32(t + 32, 1);	       /* creator revision */
}

void fw_checksum(uint8_t *t, uint32_t len, uint32_t at)
{
	uint8_t s = 0;

	t[at] = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	t[at] = (uint8_t)-s;
}

/* An AML writer (ACPI 1.0 section 16) just big enough for the DSDT:
 * bytes appended at at, packages whose PkgLength is patched when they end
 * (always the 2-byte form, which any length below 4 KiB can use). */
struct aml {
	uint8_t *buf;
	uint32_t at;
};

static void aml_bytes(struct aml *a, const void *p, uint32_t n)
{
	memcpy(a->buf + a->at, p, n);
	a->at += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	a->buf[a->at++] = b;
}

/* aml_open: an opcode (1 or 2 bytes) and room for its PkgLength; returns
 * where the PkgLength goes, for aml_close. */
static uint32_t aml_open(struct aml *a, const char *op, uint32_t oplen)
{
	aml_bytes(a, op, oplen);
	a->at += 2;
	return a->at - 2;
}

static void aml_close(struct aml *a, uint32_t pkg)
{
	uint32_t len = a->at - pkg;

	a->buf[pkg] = (uint8_t)(0x40 | (len & 0xf));
	a->buf[pkg + 1] = (uint8_t)(len >> 4);
}

/* aml_word / aml_dword_mem: WORD and DWORD address space descriptors
 * (ACPI 1.0 6.4.3.5) for a producer with a fixed [min, max] window. */
static void aml_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint8_t d[16] = {0x88, 13, 0, type, 0x0c, tflags};

	le_put16(d + 8, min);
	le_put16(d + 10, max);
	le_put16(d + 14, (uint16_t)(max - min + 1));
	aml_bytes(a, d, sizeof(d));
}

static void aml_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	uint8_t d[26] = {0x87, 23, 0, 0, 0x0c, 0x03}; /* cacheable, read/write */

	le_put32(d + 10, min);
	le_put32(d + 14, max);
	le_put32(d + 22, max - min + 1);
	aml_bytes(a, d, sizeof(d));
}

/* aml_hid: Name (_HID, EisaId (...)) for a compressed EISA ID ("PNP0303"
 * is 0x0303d041: three 5-bit letters, then the product number). */
static void aml_hid(struct aml *a, uint32_t eisa)
{
	uint8_t d[10] = {0x08, '_', 'H', 'I', 'D', 0x0c};

	le_put32(d + 6, eisa);
	aml_bytes(a, d, sizeof(d));
}

/* aml_crs_open / aml_crs_close: Name (_CRS, ResourceTemplate () {...}):
 * a buffer whose size (a WordConst) is patched at the close; returns what
 * aml_crs_close needs. */
static uint32_t aml_crs_open(struct aml *a)
{
	aml_bytes(a, "\x08_CRS", 5);
	uint32_t buffer = aml_open(a, "\x11", 1);
	aml_byte(a, 0x0b);
	a->at += 2;
	return buffer;
}

static void aml_crs_close(struct aml *a, uint32_t buffer)
{
	uint32_t start = buffer + 5; /* PkgLength (2), WordPrefix, size (2) */

	aml_bytes(a, "\x79\x00", 2); /* end tag, no checksum */
	le_put16(a->buf + start - 2, (uint16_t)(a->at - start));
	aml_close(a, buffer);
}

/* aml_io / aml_irq: small resource descriptors, IO (Decode16, port, port,
 * 1, len) and IRQNoFlags () {irq} (ACPI 1.0 6.4.2). */
static void aml_io(struct aml *a, uint16_t port, uint8_t len)
{
	uint8_t d[8] = {0x47, 0x01, 0, 0, 0, 0, 0x01, len};

	le_put16(d + 2, port);
	le_put16(d + 4, port);
	aml_bytes(a, d, sizeof(d));
}

static void aml_irq(struct aml *a, unsigned irq)
{
	uint8_t d[3] = {0x22};

	le_put16(d + 1, (uint16_t)(1u << irq));
	aml_bytes(a, d, sizeof(d));
}

/* aml_isa_device: Device (name) { _HID hid, _CRS { I/O ports [port,
 * port + len) (and port2 when len2), IRQ irq } }: an ISA device of the
 * board, so the kernel finds it through ACPI PnP instead of probing. */
static void aml_isa_device(struct aml *a, const char name[4], uint32_t hid, uint16_t port,
			   uint8_t len, uint16_t port2, uint8_t len2, unsigned irq)
{
	uint32_t dev = aml_open(a, "\x5b\x82", 2);

	aml_bytes(a, name, 4);
	aml_hid(a, hid);
	uint32_t crs = aml_crs_open(a);
	aml_io(a, port, len);
	if (len2)
		aml_io(a, port2, len2);
	aml_irq(a, irq);
	aml_crs_close(a, crs);
	aml_close(a, dev);
}

/* acpi_dsdt_aml: the DSDT's body at buf, its length returned:
 *   Name (_S5, Package () { 5, 5, 0, 0 })  the sleep type for S5 that
 *                                          PM1a_CNT.SLP_TYP carries
 *   Scope (\_SB) {
 *     Device (PCI0) {                      the PCI root bridge, so the
 *       _HID PNP0A03, _ADR 0, _UID 0,      kernel scans bus 0 through
 *       _CRS: bus 0-255, I/O 0-0xcf7 and   mechanism #1 (pci_host.c)
 *       0xd00-0xffff, memory 0xa0000-0xbffff and [top of RAM, 0xfebfffff] }
 *     Device (KBD) PNP0303 0x60, 0x64, IRQ 1  the i8042 (no mouse: no PNP0F13)
 *     Device (COM1) PNP0501 0x3f8-0x3ff, IRQ 4
 *     Device (RTC) PNP0B00 0x70-0x71, IRQ 8 } */
static uint32_t acpi_dsdt_aml(uint8_t *buf, uint64_t ram_size)
{
	static const uint8_t s5[] = {0x08, '_',
				     'S',  '5',
				     '_',  0x12,
				     0x08, 0x04,
				     0x0a, ACPI_S5_SLP_TYP,
				     0x0a, ACPI_S5_SLP_TYP,
				     0x00, 0x00};
	static const uint8_t adr_uid[] = {0x08, '_', 'A', 'D', 'R', 0x00,
					  0x08, '_', 'U', 'I', 'D', 0x00};
	uint32_t top = ram_size < 0xfe000000ull ? (uint32_t)ram_size : 0xfe000000u;
	struct aml a = {buf, 0};

	aml_bytes(&a, s5, sizeof(s5));
	uint32_t scope = aml_open(&a, "\x10", 1);
	aml_bytes(&a, "_SB_", 4);
	uint32_t dev = aml_open(&a, "\x5b\x82", 2);
	aml_bytes(&a, "PCI0", 4);
	aml_hid(&a, 0x030ad041u); /* PNP0A03 */
	aml_bytes(&a, adr_uid, sizeof(adr_uid));
	uint32_t crs = aml_crs_open(&a);
	aml_word(&a, 2, 0, 0, 0xff);   /* bus numbers */
	aml_word(&a, 1, 3, 0, 0x0cf7); /* I/O, entire range */
	aml_word(&a, 1, 3, 0x0d00, 0xffff);
	aml_dword_mem(&a, 0xa0000, 0xbffff); /* legacy VGA */
	aml_dword_mem(&a, top, 0xfebfffffu); /* above RAM, below the APICs */
	aml_crs_close(&a, crs);
	aml_close(&a, dev);
	aml_isa_device(&a, "KBD_", 0x0303d041u, 0x60, 1, 0x64, 1, 1);
	aml_isa_device(&a, "COM1", 0x0105d041u, 0x3f8, 8, 0, 0, 4);
	aml_isa_device(&a, "RTC_", 0x000bd041u, 0x70, 2, 0, 0, 8);
	aml_close(&a, scope);
	return a.at;
}

/* acpi_fadt: the 116-byte revision 1 FADT. */
static void acpi_fadt(uint8_t *t)
{
	memset(t, 0, FW_ACPI_FADT_LEN);
	acpi_header(t, "FACP", FW_ACPI_FADT_LEN, 1);
	le_put32(t + 36, FW_ACPI_FACS);
	le_put32(t + 40, FW_ACPI_DSDT);
	le_put16(t + 46, ACPI_SCI_IRQ);
	/* SMI_CMD 0: no SMM, the machine is in ACPI mode from the start */
	le_put32(t + 56, ACPI_PM_BASE + ACPI_PM1_EVT);
	le_put32(t + 64, ACPI_PM_BASE + ACPI_PM1_CNT);
	le_put32(t + 76, ACPI_PM_BASE + ACPI_PM_TMR);
	t[88] = 4;					      /* PM1_EVT_LEN */
	t[89] = 2;					      /* PM1_CNT_LEN */
	t[91] = 4;					      /* PM_TMR_LEN */
	le_put16(t + 96, 101);				      /* P_LVL2_LAT > 100: no C2 */
	le_put16(t + 98, 1001);				      /* P_LVL3_LAT > 1000: no C3 */
	t[108] = 0x32;					      /* CENTURY: the CMOS register */
	le_put32(t + 112, (1u << 0) | (1u << 4) | (1u << 5)); /* WBINVD, no buttons */
	fw_checksum(t, FW_ACPI_FADT_LEN, 9);
}

/* acpi_madt: the MADT (ACPI 2.0 5.2.10.4, revision 1): the local APIC
 * at 0xfee00000 with PC-AT 8259s (PCAT_COMPAT), processor 0 with APIC ID
 * 0, the IOAPIC (ID 0) at 0xfec00000 with GSI 0-23, ISA IRQ0 on GSI 2 and
 * the SCI (IRQ 9) level-triggered active-high (interrupt source
 * overrides), LINT1 as NMI. */
static void acpi_madt(uint8_t *t)
{
	uint8_t *e = t + 44;

	memset(t, 0, FW_ACPI_MADT_LEN);
	acpi_header(t, "APIC", FW_ACPI_MADT_LEN, 1);
	le_put32(t + 36, LAPIC_BASE);
	le_put32(t + 40, 1);					    /* PCAT_COMPAT */
	e[0] = 0, e[1] = 8, e[2] = 0, e[3] = 0, le_put32(e + 4, 1); /* processor, enabled */
	e += 8;
	e[0] = 1, e[1] = 12, e[2] = 0; /* IOAPIC ID 0 */
	le_put32(e + 4, IOAPIC_BASE);
	le_put32(e + 8, 0);
	e += 12;
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = 0, le_put32(e + 4, 2); /* IRQ0 -> GSI 2 */
	le_put16(e + 8, 0);
	e += 10;
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = ACPI_SCI_IRQ, le_put32(e + 4, ACPI_SCI_IRQ);
	le_put16(e + 8, 0x000d); /* active high, level */
	e += 10;
	e[0] = 4, e[1] = 6, e[2] = 0xff, le_put16(e + 3, 0), e[5] = 1; /* all CPUs: LINT1 NMI */
	fw_checksum(t, FW_ACPI_MADT_LEN, 9);
}

/* acpi_hpet: the HPET description table (IA-PC HPET 1.0a, 3.2.4): the
 * event timer block ID (the capabilities' low half: vendor 8086, legacy
 * routing, 64-bit, three timers, revision 1) and the block's address. */
static void acpi_hpet(uint8_t *t)
{
	memset(t, 0, FW_ACPI_HPET_LEN);
	acpi_header(t, "HPET", FW_ACPI_HPET_LEN, 1);
	le_put32(t + 36, 0x8086u << 16 | 1u << 15 | 1u << 13 | (HPET_TIMERS - 1u) << 8 | 1u);
	t[40] = 0; /* system memory */
	t[41] = 64;
	le_put32(t + 44, HPET_BASE);
	fw_checksum(t, FW_ACPI_HPET_LEN, 9);
}

int acpi_install(struct machine *m)
{
	uint8_t *p = ram_ptr(&m->ram, FW_ACPI_BASE, FW_ACPI_SIZE);

	if (!p)
		return -EFAULT;
	acpi_build(p, m->ram.size);
	return 0;
}

void acpi_build(uint8_t *p, uint64_t ram_size)
{
	memset(p, 0, FW_ACPI_SIZE);
	/* RSDP (revision 0: ACPI 1.0, 20 bytes) */
	uint8_t *r = p + (FW_ACPI_RSDP - FW_ACPI_BASE);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "BT86  ", 6);
	le_put32(r + 16, FW_ACPI_RSDT);
	fw_checksum(r, 20, 8);
	/* FACS: only its signature and length matter without S4BIOS */
	uint8_t *f = p + (FW_ACPI_FACS - FW_ACPI_BASE);
	memcpy(f, "FACS", 4);
	le_put32(f + 4, 64);
	/* RSDT: the FADT, the MADT and the HPET table */
	uint8_t *rsdt = p + (FW_ACPI_RSDT - FW_ACPI_BASE);
	acpi_header(rsdt, "RSDT", 48, 1);
	le_put32(rsdt + 36, FW_ACPI_FADT);
	le_put32(rsdt + 40, FW_ACPI_MADT);
	le_put32(rsdt + 44, FW_ACPI_HPET);
	fw_checksum(rsdt, 48, 9);
	acpi_fadt(p + (FW_ACPI_FADT - FW_ACPI_BASE));
	acpi_madt(p + (FW_ACPI_MADT - FW_ACPI_BASE));
	acpi_hpet(p + (FW_ACPI_HPET - FW_ACPI_BASE));
	uint8_t *d = p + (FW_ACPI_DSDT - FW_ACPI_BASE);
	uint32_t dsdt_len = 36 + acpi_dsdt_aml(d + 36, ram_size);

	if (dsdt_len > FW_ACPI_DSDT_MAX)
		die("the DSDT (%u bytes) outgrew its room", dsdt_len);

	acpi_header(d, "DSDT", dsdt_len, 1);
	fw_checksum(d, dsdt_len, 9);
}
