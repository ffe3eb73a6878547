/*
 * board.c - the PC board's wiring: the ISA devices, their ports and their
 * IRQ lines, and the CPU's INTR pin.
 *
 * 8259A pair (ISA IRQ 0-15) on the local APIC's LINT0 (ExtINT, "virtual
 * wire") at 0xfee00000, the IOAPIC at 0xfec00000 with ISA IRQ n on pin n
 * (IRQ0 on pin 2), 8254 PIT on IRQ0 (and port 0x61),
 * i8042 on IRQ1, COM1 16550A at 0x3f8 on IRQ4, CMOS/RTC on IRQ8, port
 * 0x92, port 0x80, debugcon at 0xe9 (only with -debugcon), isa-debug-exit
 * at 0xf4, the PCI host bridge at 0xcf8-0xcff (configuration mechanism #1,
 * an empty bus 0, reset control at 0xcf9), the ACPI PM block at 0x600 (the
 * FADT's, firmware/acpi.c; SCI on IRQ9, never raised).
 */
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "devices/uart16550.h"
#include "devices/i8259.h"
#include "devices/i8254.h"
#include "devices/cmos.h"
#include "devices/i8042.h"
#include "devices/port92.h"
#include "devices/port80.h"
#include "devices/debugcon.h"
#include "devices/debugexit.h"
#include "devices/pci_host.h"
#include "devices/acpi_pm.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/vga_text.h"
#include "devices/fw_cfg.h"
#include "devices/hpet.h"
#include "devices/ata.h"
#include "devices/fdc.h"
#include "devices/i8237.h"

/* board_isa_set: ISA IRQ pin goes to the 8259 pair and to the IOAPIC
 * (IRQ0 on pin 2, the MADT's override; the rest on their own pins). */
static void board_isa_set(void *opaque, int pin, int level)
{
	struct pc_board *b = opaque;

	irq_set(&b->pic_in[pin], level);
	ioapic_set_irq(b->ioapic, pin == 0 ? 2 : pin, level);
}

/* board_legacy_set: the PIT's OUT0 (pin 0) or the RTC's IRQ8 output, which
 * the HPET's legacy replacement disconnects. */
static void board_legacy_set(void *opaque, int pin, int level)
{
	struct pc_board *b = opaque;

	if (!b->hpet || !hpet_legacy(b->hpet))
		irq_set(&b->isa[pin], level);
}

/* board_lapic_eoi: the local APIC's EOI of a level vector, to the IOAPIC. */
static void board_lapic_eoi(void *opaque, uint8_t vector)
{
	struct pc_board *b = opaque;

	ioapic_eoi(b->ioapic, vector);
}

/* board_has_disks: an IDE disk was given. */
static bool board_has_disks(const struct machine *m)
{
	for (int i = 0; i < MACHINE_DRIVES; i++)
		if (m->cfg.drive[i].file)
			return true;
	return false;
}

/* board_bmide: the IDE function's bus-master block moved: the primary
 * channel's registers at port, the secondary's at port + 8; master: the
 * function may master the bus (PCI command bit 2). */
static void board_bmide(void *opaque, uint16_t port, bool master)
{
	struct pc_board *b = opaque;

	for (int c = 0; c < 2; c++) {
		if (!b->ata[c])
			continue;
		ata_bm_map(b->ata[c], port ? (uint16_t)(port + 8 * c) : 0);
		ata_bm_master(b->ata[c], master);
	}
}

/* board_create_ata: an ATA channel for each pair of -drive indexes in use
 * (0-1 primary at 0x1f0/IRQ14, 2-3 secondary at 0x170/IRQ15). */
static void board_create_ata(struct machine *m, struct devhost *h)
{
	static const uint16_t base[2] = {ATA_PRIMARY_BASE, ATA_SECONDARY_BASE};
	static const uint16_t ctl[2] = {ATA_PRIMARY_CTL, ATA_SECONDARY_CTL};

	for (int c = 0; c < 2; c++) {
		struct disk *d0 = m->cfg.drive[2 * c].file ? &m->disks[2 * c] : NULL;
		struct disk *d1 = m->cfg.drive[2 * c + 1].file ? &m->disks[2 * c + 1] : NULL;

		if (d0 || d1)
			m->board.ata[c] =
			    ata_create(h, base[c], ctl[c], &m->isa_irq[14 + c], d0, d1);
	}
	if (m->board.pci)
		pci_host_on_bmide(m->board.pci, board_bmide, &m->board);
}

void board_create(struct machine *m)
{
	struct devhost *h = machine_devhost(m);
	struct pc_board *b = &m->board;

	b->pic = pic_create(h, b->pic_in);
	b->lapic = lapic_create(h, board_lapic_eoi, b);
	b->ioapic = ioapic_create(h, b->lapic);
	for (int i = 0; i < 16; i++)
		m->isa_irq[i] = (struct irq_line){.set = board_isa_set, .opaque = b, .pin = i};
	b->isa = m->isa_irq;
	b->pit_out = (struct irq_line){.set = board_legacy_set, .opaque = b, .pin = 0};
	b->rtc_out = (struct irq_line){.set = board_legacy_set, .opaque = b, .pin = 8};
	b->hpet = hpet_create(h, b->ioapic, &m->isa_irq[0], &m->isa_irq[8]);
	b->pit = pit_create(h, &b->pit_out);
	b->kbd = i8042_create(h, &m->isa_irq[1]);
	b->com1 = uart_create(h, 0x3f8, &m->isa_irq[4], m->serial_out);
	b->cmos = cmos_create(h, &b->rtc_out);
	port92_create(h);
	port80_create(h);
	if (m->debugcon_out)
		debugcon_create(h, m->debugcon_out);
	debugexit_create(h);
	b->pci = pci_host_create(h, board_has_disks(m));
	acpi_pm_create(h);
	vga_text_create(h, m->vga_out, m->cfg.vga_text_auto);
	b->fw_cfg = fw_cfg_create(h);
	board_create_ata(m, h);
	b->dma = isa_dma_create(h);
	if (m->cfg.fda) { /* drive A: the CMOS says what it is */
		fdc_create(h, &m->isa_irq[6], b->dma, &m->floppy);
		cmos_set_floppy(b->cmos, fdc_drive_type(m->floppy.sectors));
	}
}

/* board_pic_pending: the 8259's INTR, as far as it reaches the CPU. */
static bool board_pic_pending(struct pc_board *b)
{
	return b->pic && (!b->lapic || lapic_pic_through(b->lapic)) && pic_intr_pending(b->pic);
}

bool machine_intr_pending(struct machine *m)
{
	struct pc_board *b = &m->board;

	return (b->lapic && lapic_intr_pending(b->lapic)) || board_pic_pending(b);
}

int machine_intr_ack(struct machine *m)
{
	struct pc_board *b = &m->board;

	if (b->lapic && lapic_intr_pending(b->lapic))
		return lapic_intr_ack(b->lapic);
	if (!b->pic)
		die("interrupt acknowledge without a PIC");
	return pic_intr_ack(b->pic);
}

void board_apic_base(struct machine *m, uint64_t val)
{
	if (m->board.lapic)
		lapic_set_base_msr(m->board.lapic, val);
}

void board_tsc_deadline(struct machine *m, uint64_t tsc, uint64_t at_ns)
{
	if (m->board.lapic)
		lapic_tsc_deadline(m->board.lapic, tsc, at_ns);
}

uint64_t board_tsc_deadline_value(struct machine *m)
{
	return m->board.lapic ? lapic_tsc_deadline_value(m->board.lapic) : 0;
}
