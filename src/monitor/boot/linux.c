/*
 * linux.c - the Linux x86 boot protocol (bzImage, protocol >= 2.06),
 * 32-bit entry (see loader.h, firmware.h).
 *
 * The setup header is copied from the image into a zero page at
 * FW_LINUX_ZERO_PAGE; the real-mode setup code is not run.  The
 * protected-mode kernel goes to pref_address when the kernel is relocatable
 * and it fits, else to 1 MiB; the initrd goes as high as initrd_addr_max and
 * RAM allow.  Start state: flat 32-bit protected mode with the boot GDT
 * (__BOOT_CS 0x10, __BOOT_DS 0x18), ESI = zero page, EBP = EDI = EBX = 0,
 * interrupts off, EIP = code32_start.
 */
#include "monitor/boot/loader.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "firmware/firmware.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Offsets in the image and in the zero page (struct boot_params). */
#define BP_EXT_MEM_K	   0x002
#define BP_ALT_MEM_K	   0x1e0
#define BP_E820_ENTRIES	   0x1e8
#define BP_HDR		   0x1f1
#define BP_SETUP_SECTS	   0x1f1
#define BP_BOOT_FLAG	   0x1fe
#define BP_JUMP		   0x200
#define BP_HEADER	   0x202
#define BP_VERSION	   0x206
#define BP_TYPE_OF_LOADER  0x210
#define BP_LOADFLAGS	   0x211
#define BP_CODE32_START	   0x214
#define BP_RAMDISK_IMAGE   0x218
#define BP_RAMDISK_SIZE	   0x21c
#define BP_HEAP_END_PTR	   0x224
#define BP_CMD_LINE_PTR	   0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_RELOCATABLE	   0x234
#define BP_CMDLINE_SIZE	   0x238
#define BP_PREF_ADDRESS	   0x258
#define BP_INIT_SIZE	   0x260
#define BP_E820_TABLE	   0x2d0
#define BP_E820_MAX	   128
#define BP_SIZE		   4096

#define LF_LOADED_HIGH	(1u << 0)
#define LF_CAN_USE_HEAP (1u << 7)
#define LINUX_MIN_VER	0x0206
#define LINUX_HDR_MIN	0x264 /* the header fields this loader reads */

int linux_probe(const uint8_t *img, size_t len)
{
	return len >= BP_HEADER + 4 && !memcmp(img + BP_HEADER, "HdrS", 4);
}

/* linux_check_header: the image is a bzImage this loader can boot; sets
 * *setup_size (bytes before the protected-mode kernel). */
static int linux_check_header(const char *path, const uint8_t *img, size_t len, size_t *setup_size)
{
	unsigned sects;
	uint16_t ver;

	if (!linux_probe(img, len)) {
		util_error("%s: not a Linux bzImage (no HdrS signature)", path);
		return -EINVAL;
	}
	if (len < LINUX_HDR_MIN) {
		util_error("%s: truncated bzImage header", path);
		return -EINVAL;
	}
	ver = le16(img + BP_VERSION);
	if (ver < LINUX_MIN_VER) {
		util_error("%s: boot protocol %u.%02u is too old (2.06 or later needed)", path,
			   ver >> 8, ver & 0xff);
		return -EINVAL;
	}
	if (!(img[BP_LOADFLAGS] & LF_LOADED_HIGH)) {
		util_error("%s: a zImage (loaded low) is not supported, use a bzImage", path);
		return -EINVAL;
	}
	sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
	*setup_size = (size_t)(sects + 1) * 512;
	if (*setup_size >= len) {
		util_error("%s: truncated bzImage (no protected-mode kernel)", path);
		return -EINVAL;
	}
	return 0;
}

/* linux_place_kernel: choose the load address of the protected-mode kernel
 * (ksize bytes, needing init_size bytes in place) and check it fits. */
static int linux_place_kernel(struct machine *m, const char *path, const uint8_t *img,
			      uint64_t need, uint64_t *load)
{
	uint64_t pref = le64(img + BP_PREF_ADDRESS);
	uint16_t ver = le16(img + BP_VERSION);

	*load = FW_HIGH_START;
	if (ver >= 0x020a && img[BP_RELOCATABLE] && pref >= FW_HIGH_START && pref <= m->ram.size &&
	    need <= m->ram.size - pref)
		*load = pref;
	if (*load > m->ram.size || need > m->ram.size - *load) {
		util_error("%s: kernel needs %llu MiB at 0x%llx, more than %llu MiB of RAM", path,
			   (unsigned long long)((need + MiB - 1) >> 20), (unsigned long long)*load,
			   (unsigned long long)(m->ram.size >> 20));
		return -EINVAL;
	}
	return 0;
}

/* linux_load_initrd: put m->cfg.initrd as high as allowed, above the kernel
 * area [.., kernel_end); fill the zero page fields. */
static int linux_load_initrd(struct machine *m, uint8_t *zp, uint64_t kernel_end)
{
	uint64_t limit = MIN((uint64_t)le32(zp + BP_INITRD_ADDR_MAX) + 1, m->ram.size);
	uint8_t *buf;
	size_t len;
	uint64_t at;
	int err;

	if (!m->cfg.initrd)
		return 0;
	err = loader_read_file(m->cfg.initrd, "initrd", m->ram.size, &buf, &len);
	if (err < 0)
		return err;
	at = len <= limit ? ALIGN_DOWN(limit - len, 4096) : 0;
	if (len > limit || at < kernel_end) {
		util_error("initrd %s (%zu bytes) does not fit in RAM above the kernel",
			   m->cfg.initrd, len);
		free(buf);
		return -EINVAL;
	}
	ram_write(&m->ram, at, buf, len);
	le_put32(zp + BP_RAMDISK_IMAGE, at);
	le_put32(zp + BP_RAMDISK_SIZE, len);
	free(buf);
	return 0;
}

/* linux_kernel_need: bytes the kernel needs at its load address: its size,
 * or init_size (protocol 2.10+) when larger. */
static uint64_t linux_kernel_need(const uint8_t *img, uint64_t ksize)
{
	if (le16(img + BP_VERSION) < 0x020a)
		return ksize;
	return MAX(ksize, (uint64_t)le32(img + BP_INIT_SIZE));
}

/* linux_set_cmdline: the -append string at FW_STRINGS, within cmdline_size. */
static int linux_set_cmdline(struct machine *m, uint8_t *zp)
{
	const char *s = m->cfg.append ? m->cfg.append : "";
	size_t n = strlen(s);
	uint32_t max = MIN(le32(zp + BP_CMDLINE_SIZE), FW_STRINGS_SIZE - 1);

	if (n > max) {
		util_error("kernel command line too long (%zu bytes, the kernel takes %u)", n, max);
		return -E2BIG;
	}
	ram_write(&m->ram, FW_STRINGS, s, n + 1);
	le_put32(zp + BP_CMD_LINE_PTR, FW_STRINGS);
	return 0;
}

/* linux_set_memory: e820 table and the old memory-size fields. */
static void linux_set_memory(struct machine *m, uint8_t *zp)
{
	struct e820_entry e820[E820_MAX];
	int n = e820_build(m->ram.size, e820, E820_MAX);
	uint64_t ext_k = (m->ram.size - FW_HIGH_START) >> 10;

	memcpy(zp + BP_E820_TABLE, e820, n * sizeof(e820[0]));
	zp[BP_E820_ENTRIES] = n;
	le_put16(zp + BP_EXT_MEM_K, MIN(ext_k, 0xfc00));
	le_put32(zp + BP_ALT_MEM_K, ext_k);
}

/* linux_set_regs: the 32-bit boot protocol's entry state. */
static int linux_set_regs(struct machine *m, uint32_t entry)
{
	struct vcpu *v = &m->vcpu;

	vcpu_set_flat32(v, FW_BOOT_CS, FW_BOOT_DS);
	if (bootgdt_install(m) < 0)
		return -EFAULT;
	v->gpr[R_ESI] = FW_LINUX_ZERO_PAGE;
	v->gpr[R_EBP] = v->gpr[R_EDI] = v->gpr[R_EBX] = 0;
	v->eip = entry;
	return 0;
}

int linux_load(struct machine *m, const uint8_t *img, size_t len)
{
	const char *path = m->cfg.kernel ? m->cfg.kernel : "kernel";
	uint8_t *zp = ram_ptr(&m->ram, FW_LINUX_ZERO_PAGE, BP_SIZE);
	size_t setup_size, hdr_end;
	uint64_t load, ksize, need;
	int err;

	if (!zp)
		die("linux: RAM too small for the zero page");
	err = linux_check_header(path, img, len, &setup_size);
	if (err < 0)
		return err;
	ksize = len - setup_size;
	need = linux_kernel_need(img, ksize);
	err = linux_place_kernel(m, path, img, need, &load);
	if (err < 0)
		return err;
	memset(zp, 0, BP_SIZE);
	/* The header ends at 0x202 + the jump's 8-bit displacement. */
	hdr_end = MIN((size_t)BP_HEADER + img[BP_JUMP + 1], MIN(len, (size_t)BP_SIZE));
	memcpy(zp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	if (ram_write(&m->ram, load, img + setup_size, ksize) < 0)
		die("linux: unchecked kernel range 0x%llx", (unsigned long long)load);
	zp[BP_TYPE_OF_LOADER] = 0xff;
	zp[BP_LOADFLAGS] |= LF_CAN_USE_HEAP;
	le_put16(zp + BP_HEAP_END_PTR, 0xfe00);
	le_put32(zp + BP_CODE32_START, load);
	linux_set_memory(m, zp);
	err = linux_set_cmdline(m, zp);
	if (err == 0)
		err = linux_load_initrd(m, zp, load + need);
	if (err < 0)
		return err;
	return linux_set_regs(m, load);
}
