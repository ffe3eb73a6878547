/* test_cli.c - command-line parsing: defaults, every option, every error. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/cli/cli.h"
#include "monitor/base/util.h"

static char kernel_path[64], initrd_path[64];
static struct machine_config cfg;
static char err[512];

static void make_file(char *path, const char *tmpl)
{
	int fd;

	strcpy(path, tmpl);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
}

static void setup(void)
{
	make_file(kernel_path, "/tmp/bt86-cli-kernel-XXXXXX");
	make_file(initrd_path, "/tmp/bt86-cli-initrd-XXXXXX");
}

static void teardown(void)
{
	unlink(kernel_path);
	unlink(initrd_path);
}

/* parse: run cli_parse on a NULL-terminated list of arguments. */
static enum cli_result parse(const char *first, ...)
{
	char *argv[32] = {"bt86"};
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return cli_parse(argc, argv, &cfg, err, sizeof(err));
}

static void expect_error(enum cli_result r, const char *needle)
{
	ck_assert_int_eq(r, CLI_ERROR);
	ck_assert_msg(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
	ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(parse("-kernel", kernel_path, NULL), CLI_RUN);
	ck_assert_str_eq(cfg.accel, "bt");
	ck_assert(cfg.ram_size == 128 * MiB);
	ck_assert_str_eq(cfg.kernel, kernel_path);
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_ptr_null(cfg.append);
	ck_assert_ptr_null(cfg.bios);
	ck_assert_int_eq(cfg.serial, SERIAL_STDIO);
	ck_assert_int_eq(cfg.debugcon, SERIAL_NONE);
	ck_assert(!cfg.no_reboot && !cfg.stats);
	ck_assert_ptr_null(cfg.trace);
}
END_TEST

START_TEST(test_all_options)
{
	ck_assert_int_eq(parse("-accel", "kvm", "-m", "256", "-kernel", kernel_path, "-initrd",
			       initrd_path, "-append", "console=ttyS0", "-serial",
			       "file:/tmp/out.txt", "-debugcon", "stdio", "-no-reboot", "--stats",
			       "--trace", "blocks", NULL),
			 CLI_RUN);
	ck_assert_str_eq(cfg.accel, "kvm");
	ck_assert(cfg.ram_size == 256 * MiB);
	ck_assert_str_eq(cfg.initrd, initrd_path);
	ck_assert_str_eq(cfg.append, "console=ttyS0");
	ck_assert_int_eq(cfg.serial, SERIAL_FILE);
	ck_assert_str_eq(cfg.serial_path, "/tmp/out.txt");
	ck_assert_int_eq(cfg.debugcon, SERIAL_STDIO);
	ck_assert(cfg.no_reboot && cfg.stats);
	ck_assert_str_eq(cfg.trace, "blocks");
}
END_TEST

START_TEST(test_double_dash_and_equals)
{
	char kopt[128];

	snprintf(kopt, sizeof(kopt), "--kernel=%s", kernel_path);
	ck_assert_int_eq(parse(kopt, "--m", "1G", "--accel=bt", "--serial", "none", "--no-reboot",
			       "-stats", NULL),
			 CLI_RUN);
	ck_assert(cfg.ram_size == 1024 * MiB);
	ck_assert_int_eq(cfg.serial, SERIAL_NONE);
	ck_assert(cfg.no_reboot && cfg.stats);
	ck_assert_int_eq(parse("-m", "64M", "-bios", kernel_path, NULL), CLI_RUN);
	ck_assert(cfg.ram_size == 64 * MiB);
	ck_assert_str_eq(cfg.bios, kernel_path);
	ck_assert_int_eq(parse("-m", "size=2", "-kernel", kernel_path, NULL), CLI_RUN);
	ck_assert(cfg.ram_size == 2 * MiB);
	ck_assert_int_eq(parse("-m", "3584", "-kernel", kernel_path, NULL), CLI_RUN);
	ck_assert(cfg.ram_size == RAM_MAX);
}
END_TEST

START_TEST(test_help)
{
	ck_assert_int_eq(parse("--help", NULL), CLI_HELP);
	ck_assert_int_eq(parse("-kernel", kernel_path, "-h", NULL), CLI_HELP);
}
END_TEST

START_TEST(test_errors)
{
	expect_error(parse("-kernel", kernel_path, "-bogus", NULL), "unknown option '-bogus'");
	expect_error(parse("-kernel", NULL), "needs an argument");
	expect_error(parse("-kernel", kernel_path, "-m", NULL), "needs an argument");
	expect_error(parse("-m", "abc", "-kernel", kernel_path, NULL), "bad RAM size");
	expect_error(parse("-m", "12x", "-kernel", kernel_path, NULL), "bad RAM size");
	expect_error(parse("-m", "-5", "-kernel", kernel_path, NULL), "bad RAM size");
	expect_error(parse("-m", "1", "-kernel", kernel_path, NULL), "out of range");
	expect_error(parse("-m", "3585", "-kernel", kernel_path, NULL), "out of range");
	expect_error(parse("-m", "4G", "-kernel", kernel_path, NULL), "out of range");
	expect_error(parse("-m", "99999999999999999999999", "-kernel", kernel_path, NULL),
		     "bad RAM size");
	expect_error(parse("-kernel", "/nonexistent/k", NULL), "cannot read kernel");
	expect_error(parse("-kernel", "/tmp", NULL), "not a regular file");
	expect_error(parse("-kernel", kernel_path, "-initrd", "/nonexistent/i", NULL),
		     "cannot read initrd");
	expect_error(parse("-bios", "/nonexistent/b", NULL), "cannot read firmware");
	expect_error(parse("-accel", "tcg", "-kernel", kernel_path, NULL), "unknown accelerator");
	expect_error(parse(NULL), "no guest given");
	expect_error(parse("-m", "64", NULL), "no guest given");
	expect_error(parse("-kernel", kernel_path, "-bios", kernel_path, NULL), "together");
	expect_error(parse("-kernel", kernel_path, "-serial", "tcp:1234", NULL), "bad -serial");
	expect_error(parse("-kernel", kernel_path, "-debugcon", "file:", NULL), "bad -debugcon");
	expect_error(parse("-kernel", kernel_path, "stray", NULL), "unexpected argument");
	expect_error(parse("-kernel", kernel_path, "--stats=1", NULL), "takes no argument");
}
END_TEST

START_TEST(test_initrd_list)
{
	char spec[200];

	snprintf(spec, sizeof(spec), "%s arg1 arg2,%s", initrd_path, kernel_path);
	ck_assert_int_eq(parse("-kernel", kernel_path, "-initrd", spec, NULL), CLI_RUN);
	ck_assert_str_eq(cfg.initrd, spec);
	snprintf(spec, sizeof(spec), "%s,/nonexistent/m2 x", initrd_path);
	expect_error(parse("-kernel", kernel_path, "-initrd", spec, NULL), "/nonexistent/m2");
}
END_TEST

START_TEST(test_drives)
{
	char spec[200];

	/* a disk and no kernel: booted through the default BIOS, if present */
	if (access("/usr/share/seabios/bios.bin", R_OK) == 0) {
		ck_assert_int_eq(parse("-hda", kernel_path, NULL), CLI_RUN);
		ck_assert_str_eq(cfg.bios, "/usr/share/seabios/bios.bin");
	}
	ck_assert_int_eq(parse("-kernel", kernel_path, "-hdb", initrd_path, NULL), CLI_RUN);
	ck_assert_ptr_null(cfg.drive[0].file);
	ck_assert_str_eq(cfg.drive[1].file, initrd_path);
	snprintf(spec, sizeof(spec), "file=%s,format=raw,if=ide,index=2,media=disk,readonly=on",
		 kernel_path);
	ck_assert_int_eq(parse("-kernel", kernel_path, "-drive", spec, NULL), CLI_RUN);
	ck_assert_str_eq(cfg.drive[2].file, kernel_path);
	ck_assert(cfg.drive[2].readonly);
	snprintf(spec, sizeof(spec), "file=%s", kernel_path); /* the first free index */
	ck_assert_int_eq(parse("-kernel", kernel_path, "-hda", initrd_path, "-drive", spec, NULL),
			 CLI_RUN);
	ck_assert_str_eq(cfg.drive[1].file, kernel_path);
	expect_error(parse("-kernel", kernel_path, "-drive", "format=raw", NULL), "needs file=");
	snprintf(spec, sizeof(spec), "file=%s,format=qcow2", kernel_path);
	expect_error(parse("-kernel", kernel_path, "-drive", spec, NULL), "format=raw");
	snprintf(spec, sizeof(spec), "file=%s,if=virtio", kernel_path);
	expect_error(parse("-kernel", kernel_path, "-drive", spec, NULL), "if=ide");
	snprintf(spec, sizeof(spec), "file=%s,index=4", kernel_path);
	expect_error(parse("-kernel", kernel_path, "-drive", spec, NULL), "index");
	snprintf(spec, sizeof(spec), "file=%s,cache=none", kernel_path);
	expect_error(parse("-kernel", kernel_path, "-drive", spec, NULL), "unknown part");
	expect_error(parse("-hda", "/nonexistent/d", NULL), "cannot read disk image");
	expect_error(parse("-kernel", kernel_path, "-hda", kernel_path, "-hda", kernel_path, NULL),
		     "given twice");
	/* QEMU's spellings for what the machine is */
	ck_assert_int_eq(parse("-kernel", kernel_path, "-nographic", "-smp", "1", "-M", "pc",
			       "-machine", "type=pc-i440fx-7.2", "-display", "none", "-device",
			       "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "mon:stdio",
			       NULL),
			 CLI_RUN);
	ck_assert_int_eq(cfg.serial, SERIAL_STDIO);
	expect_error(parse("-kernel", kernel_path, "-device", "e1000", NULL), "not available");
	expect_error(parse("-kernel", kernel_path, "-device", "isa-debug-exit,iobase=0x501", NULL),
		     "iobase=0xf4");
	expect_error(parse("-kernel", kernel_path, "-M", "q35", NULL), "not available");
	expect_error(parse("-kernel", kernel_path, "-display", "gtk", NULL), "no display");
	expect_error(parse("-kernel", kernel_path, "-smp", "x", NULL), "bad -smp");
	ck_assert_int_eq(parse("-kernel", kernel_path, "-boot", "order=dc,menu=off", "-cpu",
			       "pentium", "-vga", "std", "-monitor", "none", "-net", "none", "-nic",
			       "none", "-name", "t", NULL),
			 CLI_RUN);
	ck_assert(!cfg.boot_disk_first);
	ck_assert_int_eq(parse("-kernel", kernel_path, "-boot", "c", NULL), CLI_RUN);
	ck_assert(cfg.boot_disk_first);
	expect_error(parse("-kernel", kernel_path, "-boot", "x", NULL), "not a, c, d or n");
	expect_error(parse("-kernel", kernel_path, "-boot", "bogus=1", NULL), "bad -boot part");
	expect_error(parse("-kernel", kernel_path, "-monitor", "stdio", NULL),
		     "only -monitor none");
	expect_error(parse("-kernel", kernel_path, "-vga", "qxl", NULL), "not available");
	expect_error(parse("-kernel", kernel_path, "-net", "user", NULL), "only -net none");
}
END_TEST

START_TEST(test_usage_mentions_statuses)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_usage(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "-kernel FILE"));
	ck_assert_ptr_nonnull(strstr(buf, "Exit status"));
	ck_assert_ptr_nonnull(strstr(buf, "triple fault"));
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_all_options);
	tcase_add_test(tc, test_double_dash_and_equals);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_initrd_list);
	tcase_add_test(tc, test_drives);
	tcase_add_test(tc, test_usage_mentions_statuses);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
