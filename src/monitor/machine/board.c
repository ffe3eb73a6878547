/*
 * board.c - the PC board's wiring: the ISA devices, their ports and their
 * IRQ lines, and the CPU's INTR pin.
 *
 * 8259A pair (ISA IRQ 0-15, INTR), 8254 PIT on IRQ0 (and port 0x61),
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

void board_create(struct machine *m)
{
	struct devhost *h = machine_devhost(m);
	struct pc_board *b = &m->board;

	b->pic = pic_create(h, m->isa_irq);
	b->pit = pit_create(h, &m->isa_irq[0]);
	b->kbd = i8042_create(h, &m->isa_irq[1]);
	b->com1 = uart_create(h, 0x3f8, &m->isa_irq[4], m->serial_out);
	b->cmos = cmos_create(h, &m->isa_irq[8]);
	port92_create(h);
	port80_create(h);
	if (m->debugcon_out)
		debugcon_create(h, m->debugcon_out);
	debugexit_create(h);
	pci_host_create(h);
	acpi_pm_create(h);
}

bool machine_intr_pending(struct machine *m)
{
	return m->board.pic && pic_intr_pending(m->board.pic);
}

int machine_intr_ack(struct machine *m)
{
	if (!m->board.pic)
		die("interrupt acknowledge without a PIC");
	return pic_intr_ack(m->board.pic);
}
