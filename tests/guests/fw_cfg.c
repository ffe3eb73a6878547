/*
 * QEMU's fw_cfg interface through its ports (0x510 selector, 0x511 data):
 * the signature, the ID's traditional-interface bit, one CPU, the RAM size
 * the machine was given (-m 64), the file directory and its etc/e820
 * memory map (a RAM entry from at most 1 MiB to the top of RAM), and zeros
 * past the end of an item.
 */
#include "rt.h"

static void sel(uint16_t key)
{
	outw(0x510, key);
}

static void rd(void *dst, uint32_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = inb(0x511);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void test_main(void)
{
	char sig[5] = {0};
	uint32_t id = 0;
	uint16_t cpus = 0;
	uint64_t ram = 0;

	tap_plan(7);
	sel(0x0000);
	rd(sig, 4);
	tap_ok(!memcmp(sig, "QEMU", 4), "signature QEMU");
	sel(0x0001);
	rd(&id, 4);
	tap_ok(id & 1, "ID: the traditional interface");
	sel(0x0005);
	rd(&cpus, 2);
	tap_eq("one CPU", cpus, 1);
	sel(0x0003);
	rd(&ram, 8);
	tap_ok(ram == 64u << 20, "RAM size 64 MiB");

	uint8_t hdr[4], ent[64];
	uint16_t e820_key = 0;
	uint32_t e820_len = 0;
	sel(0x0019);
	rd(hdr, 4);
	for (uint32_t i = 0; i < be32(hdr) && i < 64; i++) {
		rd(ent, 64);
		if (!memcmp(ent + 8, "etc/e820", 9)) {
			e820_len = be32(ent);
			e820_key = (uint16_t)(ent[4] << 8 | ent[5]);
		}
	}
	tap_ok(e820_key != 0 && e820_len % 20 == 0, "file directory lists etc/e820");
	int covers = 0;
	sel(e820_key);
	for (uint32_t i = 0; i < e820_len / 20; i++) {
		struct {
			uint64_t addr, len;
			uint32_t type;
		} __attribute__((packed)) e;
		rd(&e, 20);
		covers |= e.type == 1 && e.addr <= 0x100000 && e.addr + e.len == 64u << 20;
	}
	tap_ok(covers, "etc/e820: RAM up to the top of memory");
	uint8_t past[4] = {1, 1, 1, 1};
	sel(0x0000);
	rd(sig, 4);
	rd(past, 4);
	tap_ok(!past[0] && !past[1] && !past[2] && !past[3], "past the end: zeros");
}
