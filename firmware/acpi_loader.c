/*
 * acpi_loader.c - the ACPI tables for a BIOS boot (see firmware.h,
 * acpi_fw_cfg): QEMU's "BIOS linker/loader" interface over fw_cfg, which
 * SeaBIOS follows.  Each 128-byte command of etc/table-loader is one of
 *   ALLOCATE     a file, with its alignment and zone (FSEG: 0xe0000-0xfffff,
 *                where the RSDP must be found; HIGH: top of RAM),
 *   ADD_POINTER  add the address of one file to a 1-4 byte little-endian
 *                field in another,
 *   ADD_CHECKSUM set a byte so that a range of a file sums to 0.
 * The tables are acpi_build's, with every pointer made relative to the
 * start of etc/acpi/tables (the FACS, at offset 0, 64-byte aligned).
 */
#include "firmware/firmware.h"
#include "monitor/machine/machine.h"
#include "devices/fw_cfg.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

#define LOADER_ALLOCATE	 1
#define LOADER_POINTER	 2
#define LOADER_CHECKSUM	 3
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2
#define LOADER_FILESZ	 56
#define LOADER_CMDS	 16

#define RSDP_FILE   "etc/acpi/rsdp"
#define TABLES_FILE "etc/acpi/tables"
#define TABLES_AT   FW_ACPI_FACS /* the blob starts with the FACS */
#define TABLES_LEN  (FW_ACPI_BASE + FW_ACPI_SIZE - TABLES_AT)

struct loader_cmd {
	uint32_t command;
	union {
		struct {
			char file[LOADER_FILESZ];
			uint32_t align;
			uint8_t zone;
		} __attribute__((packed)) alloc;
		struct {
			char dest[LOADER_FILESZ], src[LOADER_FILESZ];
			uint32_t offset;
			uint8_t size;
		} __attribute__((packed)) pointer;
		struct {
			char file[LOADER_FILESZ];
			uint32_t offset, start, length;
		} __attribute__((packed)) cksum;
		uint8_t pad[124];
	};
} __attribute__((packed));

struct loader {
	struct loader_cmd cmd[LOADER_CMDS];
	unsigned n;
};

static struct loader_cmd *loader_next(struct loader *l, uint32_t command)
{
	if (l->n == LOADER_CMDS)
		die("the ACPI table-loader script outgrew its room");
	struct loader_cmd *c = &l->cmd[l->n++];
	memset(c, 0, sizeof(*c));
	c->command = command;
	return c;
}

static void loader_alloc(struct loader *l, const char *file, uint32_t align, uint8_t zone)
{
	struct loader_cmd *c = loader_next(l, LOADER_ALLOCATE);
	strncpy(c->alloc.file, file, LOADER_FILESZ - 1);
	c->alloc.align = align;
	c->alloc.zone = zone;
}

/* loader_pointer: the 4-byte field at off in dest, relative to the start
 * of etc/acpi/tables, becomes an address. */
static void loader_pointer(struct loader *l, const char *dest, uint32_t off)
{
	struct loader_cmd *c = loader_next(l, LOADER_POINTER);
	strncpy(c->pointer.dest, dest, LOADER_FILESZ - 1);
	strncpy(c->pointer.src, TABLES_FILE, LOADER_FILESZ - 1);
	c->pointer.offset = off;
	c->pointer.size = 4;
}

static void loader_cksum(struct loader *l, const char *file, uint32_t start, uint32_t len,
			 uint32_t at)
{
	struct loader_cmd *c = loader_next(l, LOADER_CHECKSUM);
	strncpy(c->cksum.file, file, LOADER_FILESZ - 1);
	c->cksum.offset = start + at;
	c->cksum.start = start;
	c->cksum.length = len;
}

/* rel: the field at blob offset off (an absolute FW_ACPI_* address) made
 * relative to the blob; its table's checksum byte is cleared for the
 * loader to set. */
static void rel(uint8_t *blob, uint32_t off)
{
	le_put32(blob + off, le32(blob + off) - TABLES_AT);
}

void acpi_fw_cfg(struct machine *m)
{
	static uint8_t img[FW_ACPI_SIZE], rsdp[20];
	static struct loader l;
	struct fw_cfg *f = m->board.fw_cfg;
	uint8_t *blob = img + (TABLES_AT - FW_ACPI_BASE);
	const uint32_t rsdt = FW_ACPI_RSDT - TABLES_AT, fadt = FW_ACPI_FADT - TABLES_AT;

	if (!f)
		return;
	acpi_build(img, m->ram.size);
	memcpy(rsdp, img + (FW_ACPI_RSDP - FW_ACPI_BASE), sizeof(rsdp));
	l.n = 0;
	loader_alloc(&l, TABLES_FILE, 64, LOADER_ZONE_HIGH);
	loader_alloc(&l, RSDP_FILE, 16, LOADER_ZONE_FSEG);
	/* RSDT -> FADT, MADT, HPET; FADT -> FACS, DSDT; RSDP -> RSDT */
	for (uint32_t off = rsdt + 36; off < rsdt + 48; off += 4) {
		rel(blob, off);
		loader_pointer(&l, TABLES_FILE, off);
	}
	rel(blob, fadt + 36);
	loader_pointer(&l, TABLES_FILE, fadt + 36);
	rel(blob, fadt + 40);
	loader_pointer(&l, TABLES_FILE, fadt + 40);
	le_put32(rsdp + 16, le32(rsdp + 16) - TABLES_AT);
	loader_pointer(&l, RSDP_FILE, 16);
	blob[rsdt + 9] = blob[fadt + 9] = rsdp[8] = 0;
	loader_cksum(&l, TABLES_FILE, rsdt, 48, 9);
	loader_cksum(&l, TABLES_FILE, fadt, FW_ACPI_FADT_LEN, 9);
	loader_cksum(&l, RSDP_FILE, 0, 20, 8);
	fw_cfg_add_file(f, TABLES_FILE, blob, TABLES_LEN);
	fw_cfg_add_file(f, RSDP_FILE, rsdp, sizeof(rsdp));
	fw_cfg_add_file(f, "etc/table-loader", l.cmd, l.n * sizeof(l.cmd[0]));
}
