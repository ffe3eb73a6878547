/*
 * What a BIOS leaves a kernel that finds its processors the old way (as
 * teaching kernels do): the BIOS data area (COM1, EBDA segment, base
 * memory size) and the MP floating pointer, searched where the MP spec
 * 1.4 says (the first KiB of the EBDA, the last KiB of base memory, the
 * BIOS area 0xf0000-0xfffff), with its configuration table: checksums,
 * one enabled boot processor, an IOAPIC at 0xfec00000, the PIT's IRQ0 on
 * some IOAPIC pin, ExtINT on LINT0.
 */
#include "rt.h"

/* rd16: the word at physical address a (hidden from the compiler's
 * bounds analysis: low memory is not an object to it). */
static uint16_t rd16(uint32_t a)
{
	const volatile uint16_t *p;

	asm("" : "=r"(p) : "0"(a));
	return *p;
}

/* sum: the byte sum of len bytes at p. */
static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* mp_scan: a valid "_MP_" structure in [a, a + len), or NULL. */
static const uint8_t *mp_scan(uint32_t a, uint32_t len)
{
	for (uint32_t p = a; p + 16 <= a + len; p += 16) {
		const uint8_t *f = (const uint8_t *)p;
		if (!memcmp(f, "_MP_", 4) && f[8] == 1 && sum(f, 16) == 0)
			return f;
	}
	return NULL;
}

void test_main(void)
{
	tap_plan(11);
	uint32_t ebda = (uint32_t)rd16(0x40e) << 4;
	uint32_t base_kb = rd16(0x413);

	tap_eq("BDA: COM1 at 0x3f8", rd16(0x400), 0x3f8);
	tap_ok(base_kb >= 512 && base_kb <= 640, "BDA: base memory %u KiB", base_kb);
	tap_ok(ebda >= 0x80000 && ebda < 0xa0000, "BDA: the EBDA segment points below 640 KiB");

	const uint8_t *f = mp_scan(ebda, 1024);
	if (!f)
		f = mp_scan(base_kb * 1024 - 1024, 1024);
	if (!f)
		f = mp_scan(0xf0000, 0x10000);
	tap_ok(f != NULL, "MP floating pointer found where the spec says");
	if (!f)
		tap_bail("no MP table");
	const uint8_t *t = (const uint8_t *)(*(const uint32_t *)(f + 4));
	uint16_t len = *(const uint16_t *)(t + 4), n = *(const uint16_t *)(t + 34);
	tap_ok(!memcmp(t, "PCMP", 4) && sum(t, len) == 0,
	       "configuration table: signature, checksum");
	tap_eq("local APIC at 0xfee00000", *(const uint32_t *)(t + 36), 0xfee00000);

	unsigned cpus = 0, bsp = 0, ioapics = 0, irq0 = 0, extint = 0, isa = 0xff;
	const uint8_t *e = t + 44;
	for (unsigned i = 0; i < n && e < t + len; i++) {
		switch (e[0]) {
		case 0:
			cpus += e[3] & 1;
			bsp += (e[3] & 3) == 3;
			e += 20;
			continue;
		case 1:
			if (!memcmp(e + 2, "ISA", 3))
				isa = e[1];
			break;
		case 2:
			ioapics += (e[3] & 1) && *(const uint32_t *)(e + 4) == 0xfec00000;
			break;
		case 3:
			irq0 += e[4] == isa && e[5] == 0 && e[1] == 0;
			break;
		case 4:
			extint += e[1] == 3 && e[7] == 0;
			break;
		}
		e += 8;
	}
	tap_eq("one enabled processor", cpus, 1);
	tap_eq("  and it is the boot processor", bsp, 1);
	tap_eq("one IOAPIC at 0xfec00000", ioapics, 1);
	tap_ok(irq0 >= 1, "ISA IRQ0 is routed to an IOAPIC pin");
	tap_ok(extint == 1, "the 8259 reaches LINT0 as ExtINT");
}
