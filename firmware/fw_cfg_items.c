/*
 * fw_cfg_items.c - what the machine tells a guest through fw_cfg
 * (devices/fw_cfg.h), as QEMU does for a direct kernel boot: signature and
 * ID (the device's own), RAM size, one CPU (NB_CPUS and MAX_CPUS), no
 * graphics, the kernel command line (size and data, NUL-terminated), the
 * IRQ0 override (1: the PIT is on IOAPIC pin 2), a zero UUID, and the file
 * etc/e820 with the memory map e820_build gives the loaders.
 */
#include "firmware/firmware.h"
#include "monitor/machine/machine.h"
#include "devices/fw_cfg.h"

#include <string.h>

/* The layout of an etc/e820 entry (little-endian). */
struct fw_e820 {
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

void fwcfg_install(struct machine *m)
{
	struct fw_cfg *f = m->board.fw_cfg;
	const char *cmdline = m->cfg.append ? m->cfg.append : "";
	struct e820_entry e[E820_MAX];
	struct fw_e820 fe[E820_MAX];
	static const uint8_t uuid[16];
	int n = e820_build(m->ram.size, e, E820_MAX);

	if (!f)
		return;
	fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, m->ram.size);
	fw_cfg_add_u16(f, FW_CFG_NB_CPUS, 1);
	fw_cfg_add_u16(f, FW_CFG_MAX_CPUS, 1);
	fw_cfg_add_u16(f, FW_CFG_NOGRAPHIC, 1);
	fw_cfg_add(f, FW_CFG_UUID, uuid, sizeof(uuid));
	fw_cfg_add_u32(f, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(cmdline) + 1);
	fw_cfg_add(f, FW_CFG_CMDLINE_DATA, cmdline, strlen(cmdline) + 1);
	fw_cfg_add_u32(f, FW_CFG_IRQ0_OVERRIDE, 1);
	for (int i = 0; i < n; i++)
		fe[i] = (struct fw_e820){e[i].addr, e[i].size, e[i].type};
	if (n > 0)
		fw_cfg_add_file(f, "etc/e820", fe, (size_t)n * sizeof(fe[0]));
}
