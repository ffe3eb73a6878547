/*
 * bda.c - the BIOS data area at 0x400 as a PC BIOS leaves it, for kernels
 * that read it instead of asking the firmware: COM1 at 0x3f8 (0x400), the
 * EBDA segment (0x40e), the equipment word (0x410: x87, one serial port,
 * 80x25 colour video), the base memory size in KiB (0x413: 639, up to the
 * EBDA), the video mode, columns, CRT controller port and rows (0x449,
 * 0x44a, 0x463, 0x484), and the EBDA's own size word (1 KiB).
 */
#include "firmware/firmware.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <string.h>

int bda_install(struct machine *m)
{
	uint8_t *b = ram_ptr(&m->ram, FW_BDA, 0x100);
	uint8_t *ebda = ram_ptr(&m->ram, FW_EBDA_START, 16);

	if (!b || !ebda)
		return -EFAULT;
	memset(b, 0, 0x100);
	le_put16(b + 0x00, 0x3f8);		      /* COM1 */
	le_put16(b + 0x0e, FW_EBDA_START >> 4);	      /* EBDA segment */
	le_put16(b + 0x10, 0x0002 | 0x0020 | 0x0200); /* x87, 80x25 colour, 1 serial */
	le_put16(b + 0x13, FW_EBDA_START / 1024);     /* base memory, KiB */
	b[0x49] = 3;				      /* video mode 3 */
	le_put16(b + 0x4a, 80);			      /* columns */
	le_put16(b + 0x63, 0x3d4);		      /* CRT controller */
	b[0x84] = 24;				      /* rows - 1 */
	memset(ebda, 0, 16);
	ebda[0] = 1; /* EBDA size, KiB */
	return 0;
}
