/*
 * acpi_pm.h - the ACPI power-management block the FADT describes
 * (firmware/acpi.c): PM1a event registers (status, enable), the PM1a
 * control register, whose SLP_EN with the \_S5 sleep type powers the
 * machine off (the run ends with status 0), and the 24-bit PM timer at
 * 3.579545 MHz.  SCI_EN always reads 1: the machine is in ACPI mode.
 */
#ifndef BT86_ACPI_PM_H
#define BT86_ACPI_PM_H

struct devhost;

#define ACPI_PM_BASE	0x600u /* port of the block */
#define ACPI_PM1_EVT	0      /* offsets: status (2), enable (2) */
#define ACPI_PM1_CNT	4      /* control (2) */
#define ACPI_PM_TMR	8      /* timer (4) */
#define ACPI_PM_LEN	12
#define ACPI_S5_SLP_TYP 5 /* \\_S5 in the DSDT */
#define ACPI_SCI_IRQ	9

/* acpi_pm_create: the block on h's port bus at ACPI_PM_BASE, owned by h.
 * Dies if the ports are taken. */
void acpi_pm_create(struct devhost *h);

#endif
