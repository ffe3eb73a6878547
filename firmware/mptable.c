/*
 * mptable.c - the Intel MultiProcessor Specification 1.4 tables a kernel
 * finds at boot (chapter 4): the floating pointer in the BIOS area, and a
 * configuration table that describes the machine board.c wires: one CPU
 * (APIC ID 0), a PCI bus 0 and an ISA bus 1, the IOAPIC (ID 0, as its
 * register reads) at 0xfec00000 with ISA IRQ n on INTIN n and IRQ0 on
 * INTIN 2, the SCI (IRQ 9) level-triggered, the 8259 on LINT0 (ExtINT) and
 * NMI on LINT1.  The same machine as the ACPI MADT (acpi.c) says.
 */
#include "firmware/firmware.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/acpi_pm.h"

#include <errno.h>
#include <string.h>

#define MP_BUS_PCI 0
#define MP_BUS_ISA 1

/* mp_intsrc: an I/O interrupt assignment entry (type 3): ISA irq to INTIN
 * pin of IOAPIC 0, with flags (polarity and trigger; 0: as the bus says). */
static uint8_t *mp_intsrc(uint8_t *e, uint8_t irq, uint8_t pin, uint16_t flags)
{
	e[0] = 3, e[1] = 0; /* INT */
	le_put16(e + 2, flags);
	e[4] = MP_BUS_ISA, e[5] = irq, e[6] = 0, e[7] = pin;
	return e + 8;
}

/* mp_entries: the configuration table's entries at e; returns the end,
 * *count the number written. */
static uint8_t *mp_entries(uint8_t *e, unsigned *count, uint32_t cpu_features)
{
	uint8_t *start = e;

	e[0] = 0, e[1] = 0, e[2] = 0x14, e[3] = 3; /* processor: APIC 0, enabled, BSP */
	le_put32(e + 4, 0x6d8);			   /* family 6, model 13, stepping 8 */
	le_put32(e + 8, cpu_features);
	e += 20;
	e[0] = 1, e[1] = MP_BUS_PCI, memcpy(e + 2, "PCI   ", 6), e += 8;
	e[0] = 1, e[1] = MP_BUS_ISA, memcpy(e + 2, "ISA   ", 6), e += 8;
	e[0] = 2, e[1] = 0, e[2] = 0x11, e[3] = 1; /* IOAPIC 0, version 0x11, enabled */
	le_put32(e + 4, IOAPIC_BASE);
	e += 8;
	for (uint8_t irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue; /* the cascade: IRQ0 takes its pin */
		e = mp_intsrc(e, irq, irq == 0 ? 2 : irq, irq == ACPI_SCI_IRQ ? 0x000d : 0);
	}
	e[0] = 4, e[1] = 3, le_put16(e + 2, 0), e[4] = MP_BUS_ISA, e[5] = 0, e[6] = 0xff,
	e[7] = 0; /* ExtINT on LINT0 */
	e += 8;
	e[0] = 4, e[1] = 1, le_put16(e + 2, 0), e[4] = MP_BUS_ISA, e[5] = 0, e[6] = 0xff,
	e[7] = 1; /* NMI on LINT1 */
	e += 8;
	*count = 1 + 2 + 1 + 15 + 2;
	(void)start;
	return e;
}

int mptable_install(struct machine *m, uint32_t cpu_features)
{
	uint8_t *f = ram_ptr(&m->ram, FW_MP_FLOAT, FW_MP_SIZE);
	uint8_t *t = f ? f + (FW_MP_TABLE - FW_MP_FLOAT) : NULL;
	unsigned count;

	if (!f)
		return -EFAULT;
	memset(f, 0, FW_MP_SIZE);
	uint8_t *end = mp_entries(t + 44, &count, cpu_features);
	uint16_t len = (uint16_t)(end - t);

	memcpy(t, "PCMP", 4);
	le_put16(t + 4, len);
	t[6] = 4; /* version 1.4 */
	memcpy(t + 8, "BT86    ", 8);
	memcpy(t + 16, "PC          ", 12);
	le_put16(t + 34, (uint16_t)count);
	le_put32(t + 36, LAPIC_BASE);
	fw_checksum(t, len, 7);
	memcpy(f, "_MP_", 4);
	le_put32(f + 4, FW_MP_TABLE);
	f[8] = 1; /* length in 16-byte units */
	f[9] = 4; /* version 1.4 */
	/* feature byte 1 = 0: the table above; byte 2 IMCRP = 0: virtual wire */
	fw_checksum(f, 16, 10);
	return 0;
}
