/* bootgdt.c - the flat GDT that multiboot and Linux 32-bit entries start
 * with (see firmware.h). */
#include "firmware/firmware.h"
#include "monitor/machine/machine.h"

#include <errno.h>

/* Descriptors: base 0, limit 0xfffff with G=1 (4 GiB), D/B=1, present, DPL 0.
 * Type 0xb: code, execute/read, accessed; type 0x3: data, read/write,
 * accessed (accessed already set, as after a segment load). */
static const uint64_t boot_gdt[4] = {
    0,
    0,
    0x00cf9b000000ffffull,
    0x00cf93000000ffffull,
};

int bootgdt_install(struct machine *m)
{
	return bootgdt_install_at(m, FW_GDT_ADDR);
}

int bootgdt_install_at(struct machine *m, uint32_t addr)
{
	if (ram_write(&m->ram, addr, boot_gdt, sizeof(boot_gdt)) < 0)
		return -EFAULT;
	m->vcpu.gdtr.base = addr;
	m->vcpu.gdtr.limit = sizeof(boot_gdt) - 1;
	return 0;
}
