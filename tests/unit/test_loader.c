/* test_loader.c - multiboot, Linux and -bios loaders on synthetic images,
 * and the e820 map. */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/boot/loader.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "firmware/firmware.h"

#define RAM_SIZE (64 * MiB)
#define MB_MAGIC 0x1BADB002u

static struct machine m;
static uint64_t inval_gpa, inval_len;
static int inval_calls;

static void fake_invalidate(struct machine *mm, uint64_t gpa, uint64_t len)
{
	(void)mm;
	inval_gpa = gpa;
	inval_len = len;
	inval_calls++;
}

static const struct engine fake_engine = {.name = "fake", .invalidate = fake_invalidate};

/* A machine with RAM only: the loaders touch nothing else. */
static void setup(void)
{
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(ram_init(&m.ram, RAM_SIZE), 0);
	m.vcpu.machine = &m;
	m.cfg.kernel = "test-kernel";
	inval_calls = 0;
}

static void teardown(void)
{
	ram_destroy(&m.ram);
}

static uint32_t rd32(uint64_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(ram_read(&m.ram, gpa, &v, 4), 0);
	return v;
}

static uint64_t rd64(uint64_t gpa)
{
	uint64_t v;

	ck_assert_int_eq(ram_read(&m.ram, gpa, &v, 8), 0);
	return v;
}

/* --- synthetic multiboot ELF -------------------------------------------- */

#define K_CODE_OFF 0x1000 /* file offset of the segment */
#define K_FILESZ   0x200
#define K_BSS	   0x3000
#define K_PADDR	   0x100000

struct kimg {
	uint8_t b[K_CODE_OFF + K_FILESZ];
};

/* make_kernel: ELF32 i386 executable, one PT_LOAD at paddr with a bss and
 * a multiboot header at the start of the segment; entry at +0x40. */
static void make_kernel(struct kimg *k, uint32_t paddr)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)k->b;
	Elf32_Phdr *ph = (Elf32_Phdr *)(k->b + sizeof(*eh));
	uint32_t hdr[3] = {MB_MAGIC, 0x3, -(MB_MAGIC + 0x3)};

	memset(k, 0, sizeof(*k));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = paddr + 0x40;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = K_CODE_OFF;
	ph->p_vaddr = paddr;
	ph->p_paddr = paddr;
	ph->p_filesz = K_FILESZ;
	ph->p_memsz = K_FILESZ + K_BSS;
	ph->p_flags = PF_R | PF_X;
	memcpy(k->b + K_CODE_OFF, hdr, sizeof(hdr));
	for (int i = 0x40; i < K_FILESZ; i++)
		k->b[K_CODE_OFF + i] = (uint8_t)i;
}

static char *write_temp(const void *data, size_t len)
{
	char *path = strdup("/tmp/bt86-test-loader-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(test_multiboot_elf)
{
	struct kimg k;
	uint8_t junk[K_BSS];
	uint32_t info = FW_MB_INFO, mmap;
	char cmd[64];

	make_kernel(&k, K_PADDR);
	memset(junk, 0xaa, sizeof(junk));
	ram_write(&m.ram, K_PADDR + K_FILESZ, junk, sizeof(junk));
	m.cfg.append = "console=ttyS0 test=1";
	ck_assert_int_eq(multiboot_probe(k.b, sizeof(k.b)), 1);
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);

	ck_assert_uint_eq(m.vcpu.eip, K_PADDR + 0x40);
	ck_assert_uint_eq(m.vcpu.gpr[R_EAX], 0x2BADB002);
	ck_assert_uint_eq(m.vcpu.gpr[R_EBX], FW_MB_INFO);
	ck_assert_uint_eq(m.vcpu.gpr[R_ESP], FW_BOOT_STACK_TOP);
	ck_assert(m.vcpu.cr0 & CR0_PE);
	ck_assert(!(m.vcpu.cr0 & CR0_PG));
	ck_assert(!(m.vcpu.eflags & EFL_IF));
	ck_assert_uint_eq(m.vcpu.seg[S_CS].sel, 0x10);
	ck_assert_uint_eq(m.vcpu.seg[S_DS].sel, 0x18);
	ck_assert_uint_eq(m.vcpu.gdtr.base, FW_GDT_ADDR);
	ck_assert_uint_eq(m.vcpu.gdtr.limit, 31);
	ck_assert(rd64(FW_GDT_ADDR + 0x10) == 0x00cf9b000000ffffull);
	ck_assert(rd64(FW_GDT_ADDR + 0x18) == 0x00cf93000000ffffull);

	/* segment bytes and zeroed bss */
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, K_PADDR, K_FILESZ), k.b + K_CODE_OFF, K_FILESZ), 0);
	for (int i = 0; i < K_BSS; i++)
		ck_assert_uint_eq(((uint8_t *)ram_ptr(&m.ram, K_PADDR + K_FILESZ, K_BSS))[i], 0);

	/* info: mem, cmdline, mmap, loader name */
	ck_assert_uint_eq(rd32(info) & 0x245, 0x245);
	ck_assert_uint_eq(rd32(info) & 0x8, 0); /* no modules */
	ck_assert_uint_eq(rd32(info + 4), 639);
	ck_assert_uint_eq(rd32(info + 8), (RAM_SIZE - MiB) / 1024);
	ck_assert_int_eq(ram_read(&m.ram, rd32(info + 16), cmd, sizeof(cmd)), 0);
	ck_assert_str_eq(cmd, "console=ttyS0 test=1");
	ck_assert_uint_eq(rd32(info + 44), 4 * 24);
	mmap = rd32(info + 48);
	ck_assert_uint_eq(rd32(mmap), 20);
	ck_assert(rd64(mmap + 4) == 0 && rd64(mmap + 12) == 0x9fc00 && rd32(mmap + 20) == 1);
	ck_assert(rd64(mmap + 24 + 4) == 0x9fc00 && rd32(mmap + 24 + 20) == 2);
	ck_assert(rd64(mmap + 48 + 4) == 0xf0000 && rd64(mmap + 48 + 12) == 0x10000);
	ck_assert(rd64(mmap + 72 + 4) == MiB && rd64(mmap + 72 + 12) == RAM_SIZE - MiB &&
		  rd32(mmap + 72 + 20) == 1);
	ck_assert_int_eq(ram_read(&m.ram, rd32(info + 64), cmd, 5), 0);
	ck_assert_str_eq(cmd, "bt86");
}
END_TEST

START_TEST(test_multiboot_modules)
{
	struct kimg k;
	static const char data1[] = "first module", data2[] = "second";
	char *p1 = write_temp(data1, sizeof(data1) - 1);
	char *p2 = write_temp(data2, sizeof(data2) - 1);
	char spec[256], s[256];
	uint32_t mods;

	make_kernel(&k, K_PADDR);
	snprintf(spec, sizeof(spec), "%s arg1 arg2,%s", p1, p2);
	m.cfg.initrd = spec;
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert(rd32(FW_MB_INFO) & 0x8);
	ck_assert_uint_eq(rd32(FW_MB_INFO + 20), 2);
	mods = rd32(FW_MB_INFO + 24);
	/* module 0: page aligned, after the kernel's bss */
	ck_assert_uint_eq(rd32(mods) & 0xfff, 0);
	ck_assert_uint_ge(rd32(mods), K_PADDR + K_FILESZ + K_BSS);
	ck_assert_uint_eq(rd32(mods + 4) - rd32(mods), sizeof(data1) - 1);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, rd32(mods), 12), data1, 12), 0);
	ram_read(&m.ram, rd32(mods + 8), s, strlen(spec) + 1);
	s[strcspn(s, ",")] = 0;
	spec[strcspn(spec, ",")] = 0;
	ck_assert_str_eq(s, spec);
	ck_assert_uint_eq(rd32(mods + 16) & 0xfff, 0);
	ck_assert_uint_ge(rd32(mods + 16), rd32(mods + 4));
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, rd32(mods + 16), 6), data2, 6), 0);
	unlink(p1);
	unlink(p2);
	free(p1);
	free(p2);
}
END_TEST

START_TEST(test_multiboot_bad)
{
	struct kimg k;
	Elf32_Ehdr *eh = (Elf32_Ehdr *)k.b;
	Elf32_Phdr *ph = (Elf32_Phdr *)(k.b + sizeof(*eh));

	/* bad checksum: not recognized */
	make_kernel(&k, K_PADDR);
	k.b[K_CODE_OFF + 8] ^= 1;
	ck_assert_int_eq(multiboot_probe(k.b, sizeof(k.b)), 0);
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* wrong machine */
	make_kernel(&k, K_PADDR);
	eh->e_machine = EM_X86_64;
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* 64-bit class */
	make_kernel(&k, K_PADDR);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* not an executable */
	make_kernel(&k, K_PADDR);
	eh->e_type = ET_REL;
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* not ELF at all */
	make_kernel(&k, K_PADDR);
	memset(k.b, 0, 4);
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* truncated: the segment ends past the file */
	make_kernel(&k, K_PADDR);
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b) - 16), 0);
	/* filesz > memsz */
	make_kernel(&k, K_PADDR);
	ph->p_memsz = 16;
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* beyond RAM, entry outside */
	make_kernel(&k, RAM_SIZE - 0x1000);
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	make_kernel(&k, K_PADDR);
	eh->e_entry = 0x5000000;
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* unsupported required feature bit */
	make_kernel(&k, K_PADDR);
	{
		uint32_t hdr[3] = {MB_MAGIC, 0x8, -(MB_MAGIC + 0x8)};
		memcpy(k.b + K_CODE_OFF, hdr, sizeof(hdr));
	}
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	/* a missing module */
	make_kernel(&k, K_PADDR);
	m.cfg.initrd = "/nonexistent/module";
	ck_assert_int_lt(multiboot_load(&m, k.b, sizeof(k.b)), 0);
}
END_TEST

START_TEST(test_multiboot_higher_half)
{
	struct kimg k;
	Elf32_Phdr *ph = (Elf32_Phdr *)(k.b + sizeof(Elf32_Ehdr));

	make_kernel(&k, K_PADDR);
	ph->p_vaddr = 0xc0100000;
	((Elf32_Ehdr *)k.b)->e_entry = 0xc0100040;
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, K_PADDR + 0x40);
}
END_TEST

START_TEST(test_multiboot_below_1m)
{
	struct kimg k;

	/* ld's default layout puts a headers segment just below 1 MiB */
	make_kernel(&k, 0xff000);
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, 0xff040);
}
END_TEST

/* A kernel in the boot data area: the block (GDT, stack, info) moves to
 * the first page after the kernel, the kernel's bytes stay intact. */
START_TEST(test_multiboot_low)
{
	struct kimg k;

	make_kernel(&k, 0x8000);
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, 0x8040);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, 0x8000, K_FILESZ), k.b + K_CODE_OFF, K_FILESZ), 0);
	uint32_t moved = 0x100000; /* past the kernel and the 1 MiB line */
	ck_assert_uint_eq(m.vcpu.gdtr.base, moved);
	ck_assert_uint_eq(m.vcpu.gpr[R_EBX], moved + FW_MB_INFO - FW_GDT_ADDR);
	ck_assert_uint_eq(m.vcpu.gpr[R_ESP], moved + FW_BOOT_STACK_TOP - FW_GDT_ADDR);
	ck_assert_uint_eq(rd32(m.vcpu.gpr[R_EBX] + 16) >= moved, 1); /* cmdline string moved */
	/* a kernel that leaves the area alone keeps the usual layout */
	make_kernel(&k, K_PADDR);
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert_uint_eq(m.vcpu.gdtr.base, FW_GDT_ADDR);
	ck_assert_uint_eq(m.vcpu.gpr[R_EBX], FW_MB_INFO);
}
END_TEST

/* Linked high, loaded low, with a physical e_entry (xv6's layout). */
START_TEST(test_multiboot_physical_entry)
{
	struct kimg k;
	Elf32_Phdr *ph = (Elf32_Phdr *)(k.b + sizeof(Elf32_Ehdr));

	make_kernel(&k, K_PADDR);
	ph->p_vaddr = 0x80000000u + K_PADDR;
	((Elf32_Ehdr *)k.b)->e_entry = K_PADDR + 0x44;
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, K_PADDR + 0x44);
	((Elf32_Ehdr *)k.b)->e_entry = 0x80000000u + K_PADDR + 0x48; /* virtual: translated */
	ck_assert_int_eq(multiboot_load(&m, k.b, sizeof(k.b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, K_PADDR + 0x48);
}
END_TEST

START_TEST(test_multiboot_aout)
{
	uint8_t img[0x2000];
	uint32_t flags = (1u << 16) | 1;
	uint32_t hdr[8] = {MB_MAGIC, flags,   -(MB_MAGIC + flags), 0x200010, 0x200000, 0x201000,
			   0x204000, 0x200100};

	memset(img, 0x5a, sizeof(img));
	memcpy(img + 0x10, hdr, sizeof(hdr));
	memset(ram_ptr(&m.ram, 0x201000, 0x3000), 0xee, 0x3000);
	ck_assert_int_eq(multiboot_probe(img, sizeof(img)), 1);
	ck_assert_int_eq(multiboot_load(&m, img, sizeof(img)), 0);
	ck_assert_uint_eq(m.vcpu.eip, 0x200100);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, 0x200000, 0x1000), img, 0x1000), 0);
	ck_assert_uint_eq(rd32(0x201000), 0);
	ck_assert_uint_eq(rd32(0x203ffc), 0);
	/* load_end beyond the file */
	hdr[5] = 0x203000;
	memcpy(img + 0x10, hdr, sizeof(hdr));
	ck_assert_int_lt(multiboot_load(&m, img, sizeof(img)), 0);
}
END_TEST

/* --- synthetic bzImage -------------------------------------------------- */

#define BZ_SETUP_SECTS 2
#define BZ_KSIZE       0x3000
#define BZ_LEN	       ((BZ_SETUP_SECTS + 1) * 512 + BZ_KSIZE)

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void make_bzimage(uint8_t *b, uint16_t version, int relocatable)
{
	memset(b, 0, BZ_LEN);
	b[0x1f1] = BZ_SETUP_SECTS;
	put16(b + 0x1fa, 0xffff); /* vid_mode */
	put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, version);
	b[0x211] = 0x01; /* LOADED_HIGH */
	put32(b + 0x214, 0x100000);
	put32(b + 0x22c, 0x37ffffff);
	put32(b + 0x230, 0x1000000);
	b[0x234] = relocatable;
	put32(b + 0x238, 255);
	put32(b + 0x258, 0x1000000); /* pref_address */
	put32(b + 0x260, 0x800000);  /* init_size */
	for (int i = 0; i < BZ_KSIZE; i++)
		b[(BZ_SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7);
}

START_TEST(test_linux_load)
{
	static uint8_t b[BZ_LEN];
	static const char initrd[] = "initrd contents";
	char *ipath = write_temp(initrd, sizeof(initrd) - 1);
	uint8_t *zp;
	char cmd[64];
	uint32_t rd;

	make_bzimage(b, 0x020f, 1);
	m.cfg.append = "console=ttyS0 root=/dev/ram0";
	m.cfg.initrd = ipath;
	ck_assert_int_eq(linux_probe(b, sizeof(b)), 1);
	ck_assert_int_eq(multiboot_probe(b, sizeof(b)), 0);
	ck_assert_int_eq(linux_load(&m, b, sizeof(b)), 0);
	zp = ram_ptr(&m.ram, FW_LINUX_ZERO_PAGE, 4096);
	/* relocatable and fits: loaded at pref_address */
	ck_assert_uint_eq(m.vcpu.eip, 0x1000000);
	ck_assert_uint_eq(rd32(FW_LINUX_ZERO_PAGE + 0x214), 0x1000000);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, 0x1000000, BZ_KSIZE), b + 3 * 512, BZ_KSIZE), 0);
	ck_assert_uint_eq(m.vcpu.gpr[R_ESI], FW_LINUX_ZERO_PAGE);
	ck_assert_uint_eq(m.vcpu.gpr[R_EBP] | m.vcpu.gpr[R_EDI] | m.vcpu.gpr[R_EBX], 0);
	ck_assert_uint_eq(m.vcpu.seg[S_CS].sel, 0x10);
	ck_assert_uint_eq(m.vcpu.seg[S_SS].sel, 0x18);
	ck_assert(!(m.vcpu.eflags & EFL_IF));
	ck_assert_uint_eq(m.vcpu.gdtr.base, FW_GDT_ADDR);
	/* header copied, loader fields */
	ck_assert_int_eq(memcmp(zp + 0x202, "HdrS", 4), 0);
	ck_assert_uint_eq(zp[0x1f1], BZ_SETUP_SECTS);
	ck_assert_uint_eq(zp[0x210], 0xff);
	ck_assert(zp[0x211] & 0x01);
	ck_assert_int_eq(ram_read(&m.ram, rd32(FW_LINUX_ZERO_PAGE + 0x228), cmd, sizeof(cmd)), 0);
	ck_assert_str_eq(cmd, "console=ttyS0 root=/dev/ram0");
	/* e820 */
	ck_assert_uint_eq(zp[0x1e8], 4);
	ck_assert(rd64(FW_LINUX_ZERO_PAGE + 0x2d0 + 3 * 20) == MiB);
	ck_assert(rd64(FW_LINUX_ZERO_PAGE + 0x2d0 + 3 * 20 + 8) == RAM_SIZE - MiB);
	ck_assert_uint_eq(rd32(FW_LINUX_ZERO_PAGE + 0x2d0 + 20 + 16), 2);
	/* initrd: high, page aligned, above the kernel's init_size area */
	rd = rd32(FW_LINUX_ZERO_PAGE + 0x218);
	ck_assert_uint_eq(rd & 0xfff, 0);
	ck_assert_uint_eq(rd32(FW_LINUX_ZERO_PAGE + 0x21c), sizeof(initrd) - 1);
	ck_assert_uint_le(rd + sizeof(initrd) - 1, RAM_SIZE);
	ck_assert_uint_ge(rd, RAM_SIZE - 0x2000);
	ck_assert_int_eq(
	    memcmp(ram_ptr(&m.ram, rd, sizeof(initrd) - 1), initrd, sizeof(initrd) - 1), 0);
	unlink(ipath);
	free(ipath);
}
END_TEST

START_TEST(test_linux_bad)
{
	static uint8_t b[BZ_LEN];
	char longcmd[300];

	/* not relocatable: at 1 MiB */
	make_bzimage(b, 0x020f, 0);
	ck_assert_int_eq(linux_load(&m, b, sizeof(b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, 0x100000);
	/* too old */
	make_bzimage(b, 0x0205, 1);
	ck_assert_int_eq(linux_probe(b, sizeof(b)), 1);
	ck_assert_int_lt(linux_load(&m, b, sizeof(b)), 0);
	/* zImage */
	make_bzimage(b, 0x020f, 1);
	b[0x211] = 0;
	ck_assert_int_lt(linux_load(&m, b, sizeof(b)), 0);
	/* truncated before the protected-mode kernel */
	make_bzimage(b, 0x020f, 1);
	ck_assert_int_lt(linux_load(&m, b, 3 * 512), 0);
	/* no signature */
	make_bzimage(b, 0x020f, 1);
	b[0x202] = 'X';
	ck_assert_int_eq(linux_probe(b, sizeof(b)), 0);
	ck_assert_int_lt(linux_load(&m, b, sizeof(b)), 0);
	/* command line longer than cmdline_size */
	make_bzimage(b, 0x020f, 1);
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	m.cfg.append = longcmd;
	ck_assert_int_lt(linux_load(&m, b, sizeof(b)), 0);
	m.cfg.append = NULL;
	/* init_size larger than RAM */
	make_bzimage(b, 0x020f, 0);
	put32(b + 0x260, RAM_SIZE);
	ck_assert_int_lt(linux_load(&m, b, sizeof(b)), 0);
	/* initrd missing */
	make_bzimage(b, 0x020f, 1);
	m.cfg.initrd = "/nonexistent/initrd";
	ck_assert_int_lt(linux_load(&m, b, sizeof(b)), 0);
	m.cfg.initrd = NULL;
	/* pref_address + init_size wraps past 2^64: not taken, 1 MiB instead */
	make_bzimage(b, 0x020f, 1);
	put32(b + 0x258, 0xfffff000);
	put32(b + 0x25c, 0xffffffff);
	ck_assert_int_eq(linux_load(&m, b, sizeof(b)), 0);
	ck_assert_uint_eq(m.vcpu.eip, 0x100000);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, 0x100000, BZ_KSIZE), b + 3 * 512, BZ_KSIZE), 0);
}
END_TEST

/* A file that ends right after "HdrS" passes the probe but has no room for
 * the header fields: refused without reading past its end (an exact-size
 * heap copy, so a sanitizer build sees any over-read). */
START_TEST(test_linux_short_header)
{
	static uint8_t b[BZ_LEN];
	size_t n = 0x206;
	uint8_t *img = malloc(n);

	ck_assert_ptr_nonnull(img);
	make_bzimage(b, 0x020f, 1);
	memcpy(img, b, n);
	ck_assert_int_eq(linux_probe(img, n), 1);
	ck_assert_int_lt(linux_load(&m, img, n), 0);
	free(img);
}
END_TEST

START_TEST(test_bios)
{
	static uint8_t img[128 * 1024];

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i >> 8);
	m.cfg.bios = "test-bios";
	ck_assert_int_eq(bios_load(&m, img, 64 * 1024), 0);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, 0xf0000, 0x10000), img, 0x10000), 0);
	ck_assert_uint_eq(m.vcpu.seg[S_CS].sel, 0xf000);
	ck_assert_uint_eq(m.vcpu.seg[S_CS].base, 0xf0000);
	ck_assert_uint_eq(m.vcpu.eip, 0xfff0);
	ck_assert(!(m.vcpu.cr0 & CR0_PE));
	ck_assert_int_eq(bios_load(&m, img, sizeof(img)), 0);
	ck_assert_int_eq(memcmp(ram_ptr(&m.ram, 0xe0000, sizeof(img)), img, sizeof(img)), 0);
	ck_assert_int_lt(bios_load(&m, img, 1000), 0);
	ck_assert_int_lt(bios_load(&m, img, 64 * 1024 - 1), 0);
}
END_TEST

START_TEST(test_e820)
{
	struct e820_entry t[E820_MAX];

	ck_assert_int_eq(e820_build(128 * MiB, t, E820_MAX), 4);
	ck_assert(t[0].addr == 0 && t[0].size == 0x9fc00 && t[0].type == E820_RAM);
	ck_assert(t[1].addr == 0x9fc00 && t[1].size == 0x400 && t[1].type == E820_RESERVED);
	ck_assert(t[2].addr == 0xf0000 && t[2].size == 0x10000 && t[2].type == E820_RESERVED);
	ck_assert(t[3].addr == MiB && t[3].size == 127 * MiB && t[3].type == E820_RAM);
	ck_assert_int_eq(sizeof(t[0]), 20);
	ck_assert_int_eq(e820_build(128 * MiB, t, 2), -1);
}
END_TEST

/* A file larger than guest RAM (here a 5 GiB sparse one) is refused from
 * its size, before a byte of it is read. */
START_TEST(test_loader_too_large)
{
	char path[] = "/tmp/bt86-bigXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 5ll << 30), 0);
	close(fd);
	ck_assert_int_eq(loader_probe_file(path, RAM_SIZE), -EFBIG);
	m.cfg.kernel = path;
	ck_assert_int_eq(loader_load(&m), -EFBIG);
	m.cfg.kernel = NULL;
	m.cfg.bios = path;
	ck_assert_int_eq(loader_load(&m), -EFBIG);
	m.cfg.bios = NULL;
	unlink(path);
}
END_TEST

START_TEST(test_loader_dispatch)
{
	static const char junk[] = "this is neither a multiboot kernel nor a bzImage";
	char *path = write_temp(junk, sizeof(junk));
	struct kimg k;
	char *kpath;

	m.engine = &fake_engine;
	m.cfg.kernel = path;
	ck_assert_int_eq(loader_load(&m), -EINVAL);
	ck_assert_int_eq(loader_probe_file(path, RAM_SIZE), -EINVAL);
	ck_assert_int_lt(loader_probe_file("/nonexistent/kernel", RAM_SIZE), 0);
	ck_assert_int_eq(inval_calls, 0);
	m.cfg.kernel = "/nonexistent/kernel";
	ck_assert_int_lt(loader_load(&m), 0);
	make_kernel(&k, K_PADDR);
	kpath = write_temp(k.b, sizeof(k.b));
	m.cfg.kernel = kpath;
	ck_assert_int_eq(loader_probe_file(kpath, RAM_SIZE), 0);
	ck_assert_int_eq(loader_load(&m), 0);
	ck_assert_int_eq(inval_calls, 1);
	ck_assert(inval_gpa == 0 && inval_len == RAM_SIZE);
	ck_assert_uint_eq(m.vcpu.eip, K_PADDR + 0x40);
	unlink(path);
	unlink(kpath);
	free(path);
	free(kpath);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_multiboot_elf);
	tcase_add_test(tc, test_multiboot_modules);
	tcase_add_test(tc, test_multiboot_bad);
	tcase_add_test(tc, test_multiboot_higher_half);
	tcase_add_test(tc, test_multiboot_below_1m);
	tcase_add_test(tc, test_multiboot_low);
	tcase_add_test(tc, test_multiboot_physical_entry);
	tcase_add_test(tc, test_multiboot_aout);
	tcase_add_test(tc, test_linux_load);
	tcase_add_test(tc, test_linux_bad);
	tcase_add_test(tc, test_linux_short_header);
	tcase_add_test(tc, test_bios);
	tcase_add_test(tc, test_e820);
	tcase_add_test(tc, test_loader_dispatch);
	tcase_add_test(tc, test_loader_too_large);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
