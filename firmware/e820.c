/* e820.c - the PC memory map reported to guests (see firmware.h). */
#include "firmware/firmware.h"

/* e820_add: append one entry if there is room; returns the new count or -1. */
static int e820_add(struct e820_entry *tab, int n, int max, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	if (n < 0 || n >= max)
		return -1;
	tab[n].addr = addr;
	tab[n].size = size;
	tab[n].type = type;
	return n + 1;
}

int e820_build(uint64_t ram_size, struct e820_entry *tab, int max)
{
	int n = 0;

	n = e820_add(tab, n, max, 0, FW_EBDA_START, E820_RAM);
	n = e820_add(tab, n, max, FW_EBDA_START, 0xa0000 - FW_EBDA_START, E820_RESERVED);
	n = e820_add(tab, n, max, FW_BIOS_START, FW_HIGH_START - FW_BIOS_START, E820_RESERVED);
	if (ram_size > FW_HIGH_START)
		n = e820_add(tab, n, max, FW_HIGH_START, ram_size - FW_HIGH_START, E820_RAM);
	return n;
}
