/*
 * pci_host.h - a PCI host bridge with configuration mechanism #1 (PCI
 * Local Bus 3.0, 3.2.2.3.2): the address dword at 0xcf8 (enable bit 31,
 * bus 23:16, device 15:11, function 10:8, register 7:2) and the data
 * window 0xcfc-0xcff.  Bus 0 holds the host bridge itself at 00:00.0
 * (Intel 82441FX, class 06:00:00) and, on a machine with IDE disks, the
 * PIIX3's ISA bridge at 00:01.0 and its IDE function at 00:01.1 (class
 * 01:01:80: both channels in legacy mode at the ISA ports, a bus master),
 * which is how a BIOS finds the disks; every other address reads as all
 * ones (no device) and drops writes.
 *
 * The bridge owns ports 0xcf8-0xcff.  Only dword accesses at 0xcf8 reach
 * the address register, as on a PIIX: a byte write to 0xcf9 is the reset
 * control register (reset_cf9_write), other narrow accesses there read as
 * all ones and are dropped.
 */
#ifndef BT86_PCI_HOST_H
#define BT86_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct devhost;

#define PCI_HOST_PORT	   0xcf8u
#define PCI_HOST_VENDOR	   0x8086u /* Intel */
#define PCI_HOST_DEVICE_ID 0x1237u /* 82441FX PMC */
#define PCI_PIIX3_ISA_ID   0x7000u /* 82371SB PIIX3 function 0 */
#define PCI_PIIX3_IDE_ID   0x7010u /* 82371SB PIIX3 function 1 */

struct pci_host;

/* pci_host_create: the bridge (and the 0xcf9 reset register) on h's port
 * bus, owned by h, with the PIIX3 functions if piix.  Dies if the ports
 * are taken. */
struct pci_host *pci_host_create(struct devhost *h, bool piix);

/* pci_host_on_bmide: fn(opaque, port, master) whenever the IDE
 * function's bus-master block (BAR 4, 16 ports) moves, with 0 when it is
 * unmapped (I/O decoding off), or its bus-master enable bit changes. */
void pci_host_on_bmide(struct pci_host *p, void (*fn)(void *opaque, uint16_t port, bool master),
		       void *opaque);

#endif
