/*
 * loader.h - put a guest into RAM and set the vCPU's start state.
 *
 * Formats: Multiboot v1 (ELF32 kernels, modules, memory map, command line),
 * the Linux boot protocol (bzImage >= 2.06, 32-bit protected-mode entry,
 * initrd, command line, e820 map in the zero page) and a raw firmware image
 * (-bios: mapped below 1 MiB and started at the reset vector F000:FFF0).
 * Malformed images are refused with one clear line and -EINVAL.
 */
#ifndef BT86_LOADER_H
#define BT86_LOADER_H

#include <stdint.h>
#include <stddef.h>

struct machine;

/* loader_load: load m->cfg.kernel (with initrd/append) or m->cfg.bios and set
 * m->vcpu; prints one line and returns -errno on failure. */
int loader_load(struct machine *m);

/* Per-format entry points (img/len is the whole file). */
int multiboot_probe(const uint8_t *img, size_t len); /* 1 if it has a multiboot header */
int multiboot_load(struct machine *m, const uint8_t *img, size_t len);
int linux_probe(const uint8_t *img, size_t len); /* 1 if it is a bzImage */
int linux_load(struct machine *m, const uint8_t *img, size_t len);
int bios_load(struct machine *m, const uint8_t *img, size_t len);

/* loader_read_file: read a whole file (a kernel, module, initrd ...) of at
 * most max bytes; a larger one is refused from its size, unread.  On
 * failure print one line and return -errno (-EFBIG: too large). */
int loader_read_file(const char *path, const char *what, uint64_t max, uint8_t **buf, size_t *len);
/* loader_probe_file: 0 if path is a kernel some loader recognizes (checked
 * before the engine starts, so a wrong file is reported first); else one
 * line printed and -errno. */
int loader_probe_file(const char *path, uint64_t max);

/* loader_kernel_max: the largest kernel file taken for ram bytes of RAM: the
 * RAM, or 1 GiB if more (an ELF's debug sections need not fit in RAM). */
static inline uint64_t loader_kernel_max(uint64_t ram)
{
	return ram > (1ull << 30) ? ram : 1ull << 30;
}

/* The largest raw firmware image -bios takes. */
#define BIOS_MAX (128 * 1024)

#endif
