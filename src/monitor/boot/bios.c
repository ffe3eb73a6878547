/*
 * bios.c - -bios: a raw firmware image (64 KiB to 128 KiB) copied so that
 * it ends at 1 MiB, started at its reset vector F000:FFF0 (see loader.h).
 *
 * A real PC (and QEMU) also maps the ROM at the top of the 4 GiB space and
 * starts at FFFF:FFF0 with CS base FFFF0000; here only RAM exists there, so
 * the CPU starts in the ISA alias below 1 MiB instead: real mode, CS F000
 * with base F0000, IP FFF0, everything else as after RESET.
 */
#include "monitor/boot/loader.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "firmware/firmware.h"

#include <errno.h>

#define BIOS_MIN (64 * KiB)

int bios_load(struct machine *m, const uint8_t *img, size_t len)
{
	const char *path = m->cfg.bios ? m->cfg.bios : "firmware";

	if (len < BIOS_MIN || len > BIOS_MAX) {
		util_error("%s: firmware image must be 64 KiB to 128 KiB (it is %zu bytes)", path,
			   len);
		return -EINVAL;
	}
	if (ram_write(&m->ram, FW_HIGH_START - len, img, len) < 0) {
		util_error("%s: RAM too small for the firmware image", path);
		return -EINVAL;
	}
	vcpu_reset(&m->vcpu);
	m->vcpu.seg[S_CS].sel = 0xf000;
	m->vcpu.seg[S_CS].base = 0xf0000;
	m->vcpu.eip = 0xfff0;
	return 0;
}
