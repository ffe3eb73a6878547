/*
 * multiboot.c - Multiboot v1 loader: ELF32 kernels (and the a.out kludge),
 * modules, command line, memory map (see loader.h, firmware.h).
 *
 * The kernel's PT_LOAD segments are copied to their physical addresses
 * (p_paddr), anywhere in RAM.  The boot data (GDT, stack, info, strings:
 * [FW_GDT_ADDR, FW_LOW_END) as firmware.h draws it) stays there unless a
 * segment overlaps it; then the whole block moves, unchanged inside, to the
 * first page after the highest segment.  A higher-half kernel's virtual
 * e_entry runs at its physical address; an e_entry that is already
 * physical (linked high, loaded low) is taken as it is.  Modules (-initrd,
 * comma separated, each "path [args]") follow the kernel, page aligned.  The
 * command line is the -append string alone.  Start state, as the spec asks:
 * flat 32-bit protected mode (GDT at FW_GDT_ADDR, CS 0x10, data 0x18), paging
 * and interrupts off, EAX = 0x2BADB002, EBX = info; ESP = FW_BOOT_STACK_TOP.
 */
#include "monitor/boot/loader.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "firmware/firmware.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#define MB_MAGIC       0x1BADB002u
#define MB_BOOT_MAGIC  0x2BADB002u
#define MB_SEARCH      8192
#define MBF_PAGE_ALIGN (1u << 0)
#define MBF_MEMINFO    (1u << 1)
#define MBF_VIDEO      (1u << 2)
#define MBF_AOUT       (1u << 16)
#define MBF_KNOWN_REQ  (MBF_PAGE_ALIGN | MBF_MEMINFO | MBF_VIDEO)

/* Info structure flags. */
#define MBI_MEM		(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MODS	(1u << 3)
#define MBI_MMAP	(1u << 6)
#define MBI_LOADER_NAME (1u << 9)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* The info structure up to the framebuffer fields (120 bytes). */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr;
	uint32_t config_table, boot_loader_name, apm_table;
	uint32_t vbe[4];
	uint8_t fb[32];
};

struct mb_mod {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* State of one load: where strings and modules go next. */
struct mb_load {
	struct machine *m;
	const char *path;
	uint32_t entry;
	uint64_t kernel_end; /* first byte after kernel (and bss) */
	uint32_t str_next;   /* next free byte in the string area */
	uint32_t boot_data;  /* where the boot data block starts (FW_GDT_ADDR) */
	bool low_taken;	     /* a segment overlaps the default block */
};

/* mb_addr: where the boot-data address a (firmware.h) is this time. */
static uint32_t mb_addr(const struct mb_load *ld, uint32_t a)
{
	return a - FW_GDT_ADDR + ld->boot_data;
}

/* mb_find_header: offset of a valid header (magic and checksum) in the first
 * 8 KiB, 4-byte aligned, or -1. */
static long mb_find_header(const uint8_t *img, size_t len)
{
	size_t end = MIN(len, (size_t)MB_SEARCH);

	for (size_t off = 0; off + 12 <= end; off += 4) {
		uint32_t w[3];

		memcpy(w, img + off, sizeof(w));
		if (w[0] == MB_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0)
			return (long)off;
	}
	return -1;
}

int multiboot_probe(const uint8_t *img, size_t len)
{
	return mb_find_header(img, len) >= 0;
}

/* mb_check_range: [addr, addr+size) may receive kernel bytes: inside RAM;
 * else print why and return -EINVAL.  Notes an overlap with the default
 * boot data block. */
static int mb_check_range(struct mb_load *ld, uint64_t addr, uint64_t size)
{
	if (addr < FW_LOW_END && addr + size > FW_GDT_ADDR)
		ld->low_taken = true;
	if (addr + size > ld->m->ram.size) {
		util_error("%s: segment 0x%llx-0x%llx does not fit in %llu MiB of RAM", ld->path,
			   (unsigned long long)addr, (unsigned long long)(addr + size),
			   (unsigned long long)(ld->m->ram.size >> 20));
		return -EINVAL;
	}
	return 0;
}

/* mb_place: copy filesz bytes to paddr and zero up to memsz (ranges checked). */
static void mb_place(struct mb_load *ld, uint64_t paddr, const uint8_t *src, uint64_t filesz,
		     uint64_t memsz)
{
	uint8_t *dst = ram_ptr(&ld->m->ram, paddr, memsz);

	if (!dst)
		die("multiboot: unchecked range 0x%llx", (unsigned long long)paddr);
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	ld->kernel_end = MAX(ld->kernel_end, paddr + memsz);
}

/* mb_load_segments: copy the PT_LOAD segments of an ELF32 executable. */
static int mb_load_segments(struct mb_load *ld, Elf *e, const uint8_t *img, size_t len)
{
	Elf32_Ehdr *eh = elf32_getehdr(e);
	Elf32_Phdr *ph = elf32_getphdr(e);
	size_t n;
	int loaded = 0, entry_ok = 0;
	uint32_t entry = eh->e_entry;

	if (!ph || elf_getphdrnum(e, &n) != 0) {
		util_error("%s: malformed ELF program headers", ld->path);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const Elf32_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if ((uint64_t)p->p_offset + p->p_filesz > len) {
			util_error("%s: truncated ELF file (segment %zu ends past the file)",
				   ld->path, i);
			return -EINVAL;
		}
		if (p->p_filesz > p->p_memsz) {
			util_error("%s: malformed ELF segment %zu (filesz > memsz)", ld->path, i);
			return -EINVAL;
		}
		if (mb_check_range(ld, p->p_paddr, p->p_memsz) < 0)
			return -EINVAL;
		mb_place(ld, p->p_paddr, img + p->p_offset, p->p_filesz, p->p_memsz);
		loaded++;
		/* A higher-half kernel's e_entry is virtual: run it at its
		 * physical address, as paging is off at entry. */
		if (!entry_ok && eh->e_entry >= p->p_vaddr &&
		    eh->e_entry - p->p_vaddr < p->p_memsz) {
			entry = p->p_paddr + (eh->e_entry - p->p_vaddr);
			entry_ok = 1;
		}
	}
	/* else one already physical: inside a segment's physical range */
	for (size_t i = 0; i < n && !entry_ok; i++)
		if (ph[i].p_type == PT_LOAD && eh->e_entry >= ph[i].p_paddr &&
		    eh->e_entry - ph[i].p_paddr < ph[i].p_memsz)
			entry_ok = 1;
	if (!loaded) {
		util_error("%s: ELF file has no loadable segment", ld->path);
		return -EINVAL;
	}
	if (!entry_ok) {
		util_error("%s: entry point 0x%x is outside the loaded segments", ld->path,
			   eh->e_entry);
		return -EINVAL;
	}
	ld->entry = entry;
	return 0;
}

/* mb_load_elf: check that img is an i386 ELF32 executable and load it. */
static int mb_load_elf(struct mb_load *ld, const uint8_t *img, size_t len)
{
	Elf *e;
	Elf32_Ehdr *eh;
	int err = -EINVAL;

	if (elf_version(EV_CURRENT) == EV_NONE)
		die("libelf: %s", elf_errmsg(-1));
	e = elf_memory((char *)img, len);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		util_error("%s: not an ELF file (and no a.out kludge in the multiboot header)",
			   ld->path);
		goto out;
	}
	if (gelf_getclass(e) != ELFCLASS32) {
		util_error("%s: not a 32-bit ELF file", ld->path);
		goto out;
	}
	eh = elf32_getehdr(e);
	if (!eh) {
		util_error("%s: malformed ELF header: %s", ld->path, elf_errmsg(-1));
		goto out;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_386) {
		util_error("%s: not an i386 ELF file (e_machine %u)", ld->path, eh->e_machine);
		goto out;
	}
	if (eh->e_type != ET_EXEC) {
		util_error("%s: not an ELF executable (e_type %u)", ld->path, eh->e_type);
		goto out;
	}
	err = mb_load_segments(ld, e, img, len);
out:
	if (e)
		elf_end(e);
	return err;
}

/* mb_load_aout: load with the header's address fields (flag bit 16). */
static int mb_load_aout(struct mb_load *ld, const struct mb_header *h, long hoff,
			const uint8_t *img, size_t len)
{
	uint64_t file_off, load_end, bss_end;

	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > (uint64_t)hoff) {
		util_error("%s: multiboot header addresses are inconsistent", ld->path);
		return -EINVAL;
	}
	file_off = (uint64_t)hoff - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (len - file_off);
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (load_end < h->load_addr || file_off + (load_end - h->load_addr) > len ||
	    bss_end < load_end) {
		util_error("%s: multiboot load range is outside the file", ld->path);
		return -EINVAL;
	}
	if (mb_check_range(ld, h->load_addr, bss_end - h->load_addr) < 0)
		return -EINVAL;
	mb_place(ld, h->load_addr, img + file_off, load_end - h->load_addr, bss_end - h->load_addr);
	if (h->entry_addr < h->load_addr || h->entry_addr >= bss_end) {
		util_error("%s: entry point 0x%x is outside the loaded image", ld->path,
			   h->entry_addr);
		return -EINVAL;
	}
	ld->entry = h->entry_addr;
	return 0;
}

/* mb_put_string: copy s (n bytes, NUL added) to the string area; its address,
 * or 0 when the area is full. */
static uint32_t mb_put_string(struct mb_load *ld, const char *s, size_t n)
{
	uint32_t at = ld->str_next;

	if (n + 1 > mb_addr(ld, FW_STRINGS) + FW_STRINGS_SIZE - at)
		return 0;
	ram_write(&ld->m->ram, at, s, n);
	ram_write(&ld->m->ram, at + n, "", 1);
	ld->str_next = at + n + 1;
	return at;
}

/* mb_load_module: read the module described by item ("path [args]", n bytes)
 * to the next page after the kernel and fill *mod. */
static int mb_load_module(struct mb_load *ld, const char *item, size_t n, struct mb_mod *mod)
{
	size_t plen = strcspn(item, " ");
	char *path = strndup(item, MIN(plen, n));
	uint8_t *buf;
	size_t len;
	uint64_t at = ALIGN_UP(ld->kernel_end, 4096);
	int err = loader_read_file(path, "module", ld->m->ram.size, &buf, &len);

	if (err < 0)
		goto out;
	if (at + len > ld->m->ram.size) {
		util_error("module %s (%zu bytes) does not fit in %llu MiB of RAM", path, len,
			   (unsigned long long)(ld->m->ram.size >> 20));
		err = -EINVAL;
	} else {
		ram_write(&ld->m->ram, at, buf, len);
		mod->mod_start = at;
		mod->mod_end = at + len;
		mod->string = mb_put_string(ld, item, n);
		mod->reserved = 0;
		ld->kernel_end = at + len;
		err = mod->string ? 0 : -E2BIG;
		if (err)
			util_error("module command lines are too long");
	}
	free(buf);
out:
	free(path);
	return err;
}

/* mb_load_modules: the -initrd list, comma separated; fills info. */
static int mb_load_modules(struct mb_load *ld, struct mb_info *info)
{
	const char *s = ld->m->cfg.initrd;
	struct mb_mod mods[FW_MB_MODS_MAX];
	unsigned count = 0;

	if (!s || !*s)
		return 0;
	while (*s) {
		size_t n = strcspn(s, ",");

		if (count == FW_MB_MODS_MAX) {
			util_error("too many multiboot modules (at most %u)", FW_MB_MODS_MAX);
			return -EINVAL;
		}
		if (n && mb_load_module(ld, s, n, &mods[count++]) < 0)
			return -EINVAL;
		s += n + (s[n] == ',');
	}
	ram_write(&ld->m->ram, mb_addr(ld, FW_MB_MODS), mods, count * sizeof(mods[0]));
	info->flags |= MBI_MODS;
	info->mods_count = count;
	info->mods_addr = mb_addr(ld, FW_MB_MODS);
	return 0;
}

/* mb_write_mmap: the e820 map in multiboot format at FW_MB_MMAP. */
static void mb_write_mmap(struct mb_load *ld, struct mb_info *info)
{
	struct e820_entry e820[E820_MAX];
	struct mb_mmap_entry mm[E820_MAX];
	int n = e820_build(ld->m->ram.size, e820, E820_MAX);

	for (int i = 0; i < n; i++) {
		mm[i].size = sizeof(mm[i]) - 4;
		mm[i].addr = e820[i].addr;
		mm[i].len = e820[i].size;
		mm[i].type = e820[i].type;
	}
	ram_write(&ld->m->ram, mb_addr(ld, FW_MB_MMAP), mm, n * sizeof(mm[0]));
	info->flags |= MBI_MMAP | MBI_MEM;
	info->mmap_addr = mb_addr(ld, FW_MB_MMAP);
	info->mmap_length = n * sizeof(mm[0]);
	info->mem_lower = FW_EBDA_START / 1024;
	info->mem_upper = (ld->m->ram.size - FW_HIGH_START) / 1024;
}

/* mb_place_boot_data: keep the boot data block where firmware.h draws it,
 * or, when a segment took that room, move it to the first page after the
 * kernel (modules then follow it). */
static int mb_place_boot_data(struct mb_load *ld)
{
	uint64_t size = FW_LOW_END - FW_GDT_ADDR, at;

	if (!ld->low_taken)
		return 0;
	at = ALIGN_UP(MAX(ld->kernel_end, FW_HIGH_START), 4096);
	if (at + size > ld->m->ram.size) {
		util_error("%s: no room for the boot data above the kernel in %llu MiB of RAM",
			   ld->path, (unsigned long long)(ld->m->ram.size >> 20));
		return -EINVAL;
	}
	ld->boot_data = (uint32_t)at;
	ld->kernel_end = at + size;
	return 0;
}

/* mb_write_info: command line, modules, memory map, name, the info itself. */
static int mb_write_info(struct mb_load *ld)
{
	struct mb_info info;
	const char *cmdline = ld->m->cfg.append ? ld->m->cfg.append : "";
	static const char name[] = "bt86";

	memset(&info, 0, sizeof(info));
	ld->str_next = mb_addr(ld, FW_STRINGS);
	info.cmdline = mb_put_string(ld, cmdline, strlen(cmdline));
	if (!info.cmdline) {
		util_error("command line too long (at most %u bytes)", FW_STRINGS_SIZE - 1);
		return -E2BIG;
	}
	info.flags |= MBI_CMDLINE;
	if (mb_load_modules(ld, &info) < 0)
		return -EINVAL;
	mb_write_mmap(ld, &info);
	ram_write(&ld->m->ram, mb_addr(ld, FW_MB_NAME), name, sizeof(name));
	info.flags |= MBI_LOADER_NAME;
	info.boot_loader_name = mb_addr(ld, FW_MB_NAME);
	return ram_write(&ld->m->ram, mb_addr(ld, FW_MB_INFO), &info, sizeof(info));
}

int multiboot_load(struct machine *m, const uint8_t *img, size_t len)
{
	struct mb_load ld = {
	    .m = m, .path = m->cfg.kernel ? m->cfg.kernel : "kernel", .boot_data = FW_GDT_ADDR};
	struct mb_header h;
	long hoff = mb_find_header(img, len);
	int err;

	if (hoff < 0) {
		util_error("%s: no multiboot header", ld.path);
		return -EINVAL;
	}
	memset(&h, 0, sizeof(h));
	memcpy(&h, img + hoff, MIN(sizeof(h), len - (size_t)hoff));
	if (h.flags & 0xffff & ~MBF_KNOWN_REQ) {
		util_error("%s: multiboot header requires unsupported features (flags 0x%x)",
			   ld.path, h.flags);
		return -EINVAL;
	}
	if (h.flags & MBF_AOUT) {
		if ((size_t)hoff + sizeof(h) > len) {
			util_error("%s: truncated multiboot header", ld.path);
			return -EINVAL;
		}
		err = mb_load_aout(&ld, &h, hoff, img, len);
	} else {
		err = mb_load_elf(&ld, img, len);
	}
	if (err < 0 || (err = mb_place_boot_data(&ld)) < 0 || (err = mb_write_info(&ld)) < 0)
		return err;
	vcpu_set_flat32(&m->vcpu, FW_BOOT_CS, FW_BOOT_DS);
	if (bootgdt_install_at(m, mb_addr(&ld, FW_GDT_ADDR)) < 0)
		return -EFAULT;
	m->vcpu.gpr[R_EAX] = MB_BOOT_MAGIC;
	m->vcpu.gpr[R_EBX] = mb_addr(&ld, FW_MB_INFO);
	m->vcpu.gpr[R_ESP] = mb_addr(&ld, FW_BOOT_STACK_TOP);
	m->vcpu.eip = ld.entry;
	return 0;
}
