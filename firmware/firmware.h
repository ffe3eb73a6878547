/*
 * firmware.h - what the guest finds in low memory at boot, and the tables
 * the loaders build there.
 *
 * Low-memory layout (guest-physical addresses) used by the loaders:
 *
 *   0x00000-0x003ff  real-mode IVT (left zero)
 *   0x00400-0x004ff  BIOS data area, as a BIOS leaves it (bda.c)
 *   0x00500-0x0051f  boot GDT: null, null, 0x10 flat code, 0x18 flat data
 *   0x01000-0x06fff  initial stack of a multiboot kernel (ESP = 0x7000,
 *                    growing down; the spec leaves ESP undefined)
 *   0x09000-0x09fff  multiboot: info structure (0x9000), memory map
 *                    (0x9100), module list (0x9200), boot loader name (0x9300)
 *   0x10000-0x10fff  Linux: the zero page (struct boot_params)
 *   0x20000-0x2ffff  multiboot: command line and module strings;
 *                    Linux: the kernel command line
 *   (FW_LOW_END = 0x30000: [0x500, FW_LOW_END) is the multiboot boot data
 *   block; a kernel whose segments overlap it gets the block moved above
 *   its highest segment instead, multiboot.c)
 *   0x9fc00-0x9ffff  reserved (extended BIOS data area)
 *   0xa0000-0xeffff  legacy VGA/option-ROM hole (RAM here, not reported)
 *   0xf0000-0xfffff  reserved (system BIOS; a -bios image ends at 0x100000);
 *                    with a kernel: the ACPI tables at 0xf0000 (acpi.c),
 *                    the MP floating pointer and table at 0xf0800 (mptable.c)
 *   0x100000-        kernel, then modules / initrd, up to the top of RAM
 *
 * Everything between 0x500 and 0x9fc00 is reported to the guest as usable
 * RAM: the kernel owns it once it runs and must copy what it needs first.
 */
#ifndef BT86_FIRMWARE_H
#define BT86_FIRMWARE_H

#include <stdint.h>

struct machine;

#define FW_GDT_ADDR	   0x500u
#define FW_BOOT_CS	   0x10u
#define FW_BOOT_DS	   0x18u
#define FW_BOOT_STACK_TOP  0x7000u
#define FW_MB_INFO	   0x9000u
#define FW_MB_MMAP	   0x9100u
#define FW_MB_MODS	   0x9200u
#define FW_MB_MODS_MAX	   16u
#define FW_MB_NAME	   0x9300u
#define FW_LINUX_ZERO_PAGE 0x10000u
#define FW_STRINGS	   0x20000u
#define FW_STRINGS_SIZE	   0x10000u
#define FW_LOW_END	   0x30000u
#define FW_EBDA_START	   0x9fc00u
#define FW_BIOS_START	   0xf0000u
#define FW_HIGH_START	   0x100000u

/* One entry of the BIOS INT 15h/E820 memory map (the layout Linux's zero
 * page and the ACPI spec use; 20 bytes, packed). */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      8

/* e820_build: the PC memory map for ram_size bytes of RAM (ram_size >=
 * 2 MiB): [0, 0x9fc00) RAM, [0x9fc00, 0xa0000) reserved, [0xf0000,
 * 0x100000) reserved, [1 MiB, ram_size) RAM.  Writes at most max entries to
 * tab, returns the number written (-1 if max is too small). */
int e820_build(uint64_t ram_size, struct e820_entry *tab, int max);

/* ACPI tables (acpi.c), in the reserved BIOS area where an i386 kernel
 * scans for the RSDP; the PM block they describe is devices/acpi_pm.c. */
#define FW_ACPI_BASE	 0xf0000u
#define FW_ACPI_SIZE	 0x800u
#define FW_ACPI_RSDP	 0xf0000u
#define FW_ACPI_FACS	 0xf0040u
#define FW_ACPI_RSDT	 0xf0080u
#define FW_ACPI_FADT	 0xf0100u
#define FW_ACPI_FADT_LEN 116u
#define FW_ACPI_MADT	 0xf0180u
#define FW_ACPI_MADT_LEN 90u
#define FW_ACPI_HPET	 0xf01e0u
#define FW_ACPI_HPET_LEN 56u
#define FW_ACPI_DSDT	 0xf0400u
#define FW_ACPI_DSDT_MAX 0x400u

/* acpi_install: write RSDP, RSDT, FADT, FACS and DSDT into guest RAM at
 * FW_ACPI_BASE (for a kernel loaded by bt86, not a -bios image); -EFAULT
 * if RAM cannot hold them. */
int acpi_install(struct machine *m);

/* acpi_build: the same tables into p (FW_ACPI_SIZE bytes), laid out as at
 * FW_ACPI_BASE. */
void acpi_build(uint8_t *p, uint64_t ram_size);

/* acpi_fw_cfg: the same tables for a BIOS to place (acpi_loader.c), the
 * way QEMU hands them to SeaBIOS: the files etc/acpi/rsdp and
 * etc/acpi/tables and the linker script etc/table-loader, which tells
 * the BIOS where to allocate them and which pointers and checksums to
 * fix up once it has. */
void acpi_fw_cfg(struct machine *m);

/* fwcfg_install: the items of fw_cfg (fw_cfg_items.c) for this machine:
 * RAM size, CPU count, command line, memory map ... */
void fwcfg_install(struct machine *m);

/* fw_checksum: store at t[at] the byte that makes the len bytes at t sum
 * to zero (ACPI and MP tables). */
void fw_checksum(uint8_t *t, uint32_t len, uint32_t at);

/* MP tables (mptable.c): the floating pointer, the configuration table. */
#define FW_MP_FLOAT 0xf0800u
#define FW_MP_TABLE 0xf0810u
#define FW_MP_SIZE  0x200u
#define FW_BDA	    0x400u

/* mptable_install: the MP floating pointer and configuration table at
 * FW_MP_FLOAT (cpu_features: CPUID.1:EDX for the processor entry);
 * -EFAULT if RAM cannot hold them. */
int mptable_install(struct machine *m, uint32_t cpu_features);
/* bda_install: the BIOS data area at 0x400 and the EBDA's size word;
 * -EFAULT if RAM cannot hold them. */
int bda_install(struct machine *m);

/* bootgdt_install: write the boot GDT at FW_GDT_ADDR (null, null, flat 4 GiB
 * code at FW_BOOT_CS, flat 4 GiB data at FW_BOOT_DS) and point the vCPU's
 * GDTR at it.  -EFAULT if RAM cannot hold it. */
int bootgdt_install(struct machine *m);
/* bootgdt_install_at: the same GDT at addr (a multiboot kernel's segments
 * may need the low area: the boot data then moves, multiboot.c). */
int bootgdt_install_at(struct machine *m, uint32_t addr);

#endif
