/* cli.c - command-line parsing (see cli.h). */
#include "monitor/cli/cli.h"
#include "monitor/base/trace.h"
#include "monitor/cli/engine.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The BIOS a disk boots through when no -bios is given: Debian's SeaBIOS
 * (package seabios, installed by scripts/setup-deps). */
#define CLI_DEFAULT_BIOS "/usr/share/seabios/bios.bin"
#include <unistd.h>

struct cli_state {
	struct machine_config *cfg;
	char *err;
	size_t errlen;
};

/* cli_fail: format the error line; returns -1 for the handlers. */
__attribute__((format(printf, 2, 3))) static int cli_fail(struct cli_state *st, const char *fmt,
							  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, st->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void cli_defaults(struct machine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->accel = "bt";
	cfg->ram_size = (uint64_t)CLI_DEFAULT_RAM_MB * MiB;
	cfg->serial = SERIAL_STDIO;
	cfg->debugcon = SERIAL_NONE;
	cfg->vga_text_on = true;
	cfg->vga_text = SERIAL_NONE;
	cfg->vga_text_auto = true;
}

/* cli_check_file: path names a readable regular file. */
static int cli_check_file(struct cli_state *st, const char *what, const char *path, size_t n)
{
	char buf[4096];
	struct stat sb;

	if (n >= sizeof(buf) || n == 0)
		return cli_fail(st, "bad %s file name '%.*s'", what, (int)MIN(n, 64), path);
	memcpy(buf, path, n);
	buf[n] = 0;
	if (stat(buf, &sb) < 0 || access(buf, R_OK) < 0)
		return cli_fail(st, "cannot read %s %s: %s", what, buf, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return cli_fail(st, "%s %s is not a regular file", what, buf);
	return 0;
}

static int opt_accel(struct cli_state *st, const char *v)
{
	const char *name = strncmp(v, "accel=", 6) ? v : v + 6;

	if (!engine_find(name))
		return cli_fail(st, "unknown accelerator '%s' (use bt or kvm)", v);
	st->cfg->accel = name;
	return 0;
}

/* opt_m: -m [size=]N[M|G] with N in MiB by default. */
static int opt_m(struct cli_state *st, const char *v)
{
	const char *s = strncmp(v, "size=", 5) ? v : v + 5;
	unsigned long long n, mb;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-' || *s == '+')
		return cli_fail(st, "bad RAM size '%s' (a number of MiB)", v);
	if (!strcmp(end, "") || !strcmp(end, "M") || !strcmp(end, "m"))
		mb = n;
	else if ((!strcmp(end, "G") || !strcmp(end, "g")) && n < (1ull << 20))
		mb = n << 10;
	else
		return cli_fail(st, "bad RAM size '%s' (a number of MiB)", v);
	if (mb < CLI_MIN_RAM_MB || mb > (RAM_MAX >> 20))
		return cli_fail(st, "RAM size %s out of range (%d to %llu MiB)", v, CLI_MIN_RAM_MB,
				RAM_MAX >> 20);
	st->cfg->ram_size = mb * MiB;
	return 0;
}

static int opt_kernel(struct cli_state *st, const char *v)
{
	st->cfg->kernel = v;
	return cli_check_file(st, "kernel", v, strlen(v));
}

/* opt_initrd: each comma-separated item "path [args]" must be readable. */
static int opt_initrd(struct cli_state *st, const char *v)
{
	const char *s = v;

	st->cfg->initrd = v;
	while (*s) {
		size_t n = strcspn(s, ",");
		size_t plen = MIN(strcspn(s, " "), n);

		if (n && cli_check_file(st, "initrd", s, plen) < 0)
			return -1;
		s += n + (s[n] == ',');
	}
	return 0;
}

static int opt_append(struct cli_state *st, const char *v)
{
	st->cfg->append = v;
	return 0;
}

static int opt_bios(struct cli_state *st, const char *v)
{
	st->cfg->bios = v;
	return cli_check_file(st, "firmware image", v, strlen(v));
}

/* cli_add_drive: image path (a copy of n bytes) at index, -1 for the
 * first free one. */
static int cli_add_drive(struct cli_state *st, const char *path, size_t n, int index, bool readonly)
{
	if (cli_check_file(st, "disk image", path, n) < 0)
		return -1;
	if (index < 0)
		for (index = 0; index < MACHINE_DRIVES && st->cfg->drive[index].file; index++)
			;
	if (index >= MACHINE_DRIVES)
		return cli_fail(st, "at most %d IDE disks (index 0 to %d)", MACHINE_DRIVES,
				MACHINE_DRIVES - 1);
	if (st->cfg->drive[index].file)
		return cli_fail(st, "IDE disk index %d is given twice", index);
	char *copy = strndup(path, n); /* lives as long as the process */
	if (!copy)
		die_host("out of memory");
	st->cfg->drive[index].file = copy;
	st->cfg->drive[index].readonly = readonly;
	return 0;
}

/* drive_key: the value of key=VALUE at s (length n), or NULL. */
static const char *drive_key(const char *s, size_t n, const char *key, size_t *vlen)
{
	size_t k = strlen(key);

	if (n <= k || strncmp(s, key, k) || s[k] != '=')
		return NULL;
	*vlen = n - k - 1;
	return s + k + 1;
}

/* opt_drive: QEMU's -drive file=IMG,format=raw[,if=ide][,index=N]
 * [,media=disk][,readonly=on|off]; a file name cannot hold a comma. */
static int opt_drive(struct cli_state *st, const char *v)
{
	const char *file = NULL, *s = v, *val;
	size_t flen = 0, vl;
	int index = -1;
	bool ro = false;

	while (*s) {
		size_t n = strcspn(s, ",");
		if ((val = drive_key(s, n, "file", &vl))) {
			file = val;
			flen = vl;
		} else if ((val = drive_key(s, n, "format", &vl))) {
			if (vl != 3 || strncmp(val, "raw", 3))
				return cli_fail(st, "-drive: only format=raw is supported");
		} else if ((val = drive_key(s, n, "if", &vl))) {
			if (vl != 3 || strncmp(val, "ide", 3))
				return cli_fail(st, "-drive: only if=ide is supported");
		} else if ((val = drive_key(s, n, "media", &vl))) {
			if (vl != 4 || strncmp(val, "disk", 4))
				return cli_fail(st, "-drive: only media=disk is supported");
		} else if ((val = drive_key(s, n, "index", &vl))) {
			if (vl != 1 || val[0] < '0' || val[0] >= '0' + MACHINE_DRIVES)
				return cli_fail(st, "-drive: index must be 0 to %d",
						MACHINE_DRIVES - 1);
			index = val[0] - '0';
		} else if ((val = drive_key(s, n, "readonly", &vl))) {
			ro = vl == 2 && !strncmp(val, "on", 2);
			if (!ro && !(vl == 3 && !strncmp(val, "off", 3)))
				return cli_fail(st, "-drive: readonly=on or readonly=off");
		} else {
			return cli_fail(st, "-drive: unknown part '%.*s'", (int)MIN(n, 40), s);
		}
		s += n + (s[n] == ',');
	}
	if (!file || !flen)
		return cli_fail(st, "-drive needs file=IMAGE");
	return cli_add_drive(st, file, flen, index, ro);
}

/* opt_hda .. opt_hdd: -hdX FILE, the drive at index 0-3. */
static int opt_hda(struct cli_state *st, const char *v)
{
	return cli_add_drive(st, v, strlen(v), 0, false);
}

static int opt_hdb(struct cli_state *st, const char *v)
{
	return cli_add_drive(st, v, strlen(v), 1, false);
}

static int opt_hdc(struct cli_state *st, const char *v)
{
	return cli_add_drive(st, v, strlen(v), 2, false);
}

static int opt_hdd(struct cli_state *st, const char *v)
{
	return cli_add_drive(st, v, strlen(v), 3, false);
}

/* cli_output: stdio | file:PATH | none (or null). */
static int cli_output(struct cli_state *st, const char *opt, const char *v, enum serial_mode *mode,
		      const char **path)
{
	if (!strcmp(v, "stdio")) {
		*mode = SERIAL_STDIO;
	} else if (!strcmp(v, "none") || !strcmp(v, "null")) {
		*mode = SERIAL_NONE;
	} else if (!strncmp(v, "file:", 5) && v[5]) {
		*mode = SERIAL_FILE;
		*path = v + 5;
	} else {
		return cli_fail(st, "bad %s backend '%s' (use stdio, file:PATH or none)", opt, v);
	}
	return 0;
}

static int opt_serial(struct cli_state *st, const char *v)
{
	if (!strcmp(v, "mon:stdio")) /* QEMU's: no monitor here, Ctrl-A x quits */
		v = "stdio";
	return cli_output(st, "-serial", v, &st->cfg->serial, &st->cfg->serial_path);
}

/* --- QEMU's spellings for the machine bt86 always is ----------------------
 * Guests are often run with a QEMU command line; the options below name
 * what this machine already is (or one CPU where more are asked, with a
 * note), and refuse what it cannot be. */

/* opt_smp: -smp [cpus=]N[,...]: one CPU; more is a note, not an error (the
 * firmware tables describe one, as on a PC with fewer CPUs). */
static int opt_smp(struct cli_state *st, const char *v)
{
	char *end;
	long n = strtol(strncmp(v, "cpus=", 5) ? v : v + 5, &end, 10);

	if (n < 1 || (*end && *end != ','))
		return cli_fail(st, "bad -smp '%s'", v);
	if (n > 1)
		util_error("note: -smp %ld: this machine has one CPU; the guest finds one", n);
	return 0;
}

/* opt_nographic: no display, the serial console on stdio (bt86's way). */
static int opt_nographic(struct cli_state *st, const char *v)
{
	(void)v;
	st->cfg->serial = SERIAL_STDIO;
	return 0;
}

/* opt_display: bt86 shows no screen (see -vga-text). */
static int opt_display(struct cli_state *st, const char *v)
{
	if (strcmp(v, "none"))
		return cli_fail(st, "bt86 has no display: only -display none");
	return 0;
}

/* opt_machine: -machine/-M pc (the i440FX PC it is), type=pc. */
static int opt_machine(struct cli_state *st, const char *v)
{
	const char *t = strncmp(v, "type=", 5) ? v : v + 5;
	size_t n = strcspn(t, ",");

	if (!((n == 2 && !strncmp(t, "pc", 2)) || !strncmp(t, "pc-i440fx", 9)))
		return cli_fail(st, "-machine: this is an i440FX PC (pc); '%.*s' is not available",
				(int)MIN(n, 40), t);
	return 0;
}

/* opt_device: -device isa-debug-exit at its usual port, which bt86 always
 * has; no other device can be added. */
static int opt_device(struct cli_state *st, const char *v)
{
	size_t n = strcspn(v, ",");
	const char *io = strstr(v, "iobase=");

	if (n != 14 || strncmp(v, "isa-debug-exit", 14))
		return cli_fail(st,
				"-device %.*s is not available (the machine is fixed: "
				"docs/platform.md)",
				(int)MIN(n, 40), v);
	if (io && strtoul(io + 7, NULL, 0) != 0xf4)
		return cli_fail(st, "-device isa-debug-exit: only iobase=0xf4");
	return 0;
}

/* opt_fda: drive A's floppy image (its size says its format: fdc.h). */
static int opt_fda(struct cli_state *st, const char *v)
{
	if (cli_check_file(st, "floppy image", v, strlen(v)) < 0)
		return -1;
	st->cfg->fda = v;
	return 0;
}

/* opt_snapshot: writes to the disks go to a temporary file (disk.h). */
static int opt_snapshot(struct cli_state *st, const char *v)
{
	(void)v;
	st->cfg->snapshot = true;
	return 0;
}

/* opt_boot: -boot [order=]DRIVES[,menu=..][,...]: the BIOS's own order
 * is kept (floppy, then hard disk); a different first choice with both
 * kinds of drive is a note. */
static int opt_boot(struct cli_state *st, const char *v)
{
	static const char *const other[] = {
	    "menu=", "splash=", "splash-time=", "reboot-timeout=", "strict="};

	for (const char *s = v; *s;) {
		size_t n = strcspn(s, ",");
		const char *d = !strncmp(s, "order=", 6)  ? s + 6
				: !strncmp(s, "once=", 5) ? s + 5
							  : s;
		bool known = d != s || !memchr(s, '=', n);

		for (size_t k = 0; k < ARRAY_SIZE(other) && !known; k++)
			known = !strncmp(s, other[k], strlen(other[k]));
		if (!known)
			return cli_fail(st, "bad -boot part '%.*s'", (int)MIN(n, 40), s);
		if (!memchr(s, '=', n) || d != s) {
			for (const char *c = d; c < s + n; c++)
				if (!strchr("acdn", *c))
					return cli_fail(st, "-boot: drive '%c' is not a, c, d or n",
							*c);
			if (d < s + n)
				st->cfg->boot_disk_first = *d == 'c';
		}
		s += n + (s[n] == ',');
	}
	return 0;
}

/* opt_cpu: -cpu MODEL: the machine has one CPU model (docs/platform.md). */
static int opt_cpu(struct cli_state *st, const char *v)
{
	(void)st;
	util_error("note: -cpu %s: this machine has one CPU model (docs/platform.md)", v);
	return 0;
}

/* opt_none_only: QEMU options whose "none" is what this machine is. */
static int opt_none_only(struct cli_state *st, const char *opt, const char *v)
{
	if (strcmp(v, "none"))
		return cli_fail(st, "-%s %s is not available (only -%s none)", opt, v, opt);
	return 0;
}

static int opt_monitor(struct cli_state *st, const char *v)
{
	return opt_none_only(st, "monitor", v);
}

static int opt_net(struct cli_state *st, const char *v)
{
	return opt_none_only(st, "net", v);
}

static int opt_nic(struct cli_state *st, const char *v)
{
	return opt_none_only(st, "nic", v);
}

/* opt_vga: the display adapter: the text screen at 0xb8000 is all there
 * is (std, cirrus, vga and none are accepted for it). */
static int opt_vga(struct cli_state *st, const char *v)
{
	if (strcmp(v, "std") && strcmp(v, "cirrus") && strcmp(v, "vga") && strcmp(v, "none"))
		return cli_fail(st, "-vga %s is not available (std, cirrus or none)", v);
	return 0;
}

static int opt_name(struct cli_state *st, const char *v)
{
	(void)st, (void)v;
	return 0;
}

/* opt_enable_kvm: QEMU's -enable-kvm is -accel kvm. */
static int opt_enable_kvm(struct cli_state *st, const char *v)
{
	(void)v;
	return opt_accel(st, "kvm");
}

static int opt_debugcon(struct cli_state *st, const char *v)
{
	return cli_output(st, "-debugcon", v, &st->cfg->debugcon, &st->cfg->debugcon_path);
}

static int opt_vga_text(struct cli_state *st, const char *v)
{
	st->cfg->vga_text_auto = !strcmp(v, "auto");
	if (st->cfg->vga_text_auto)
		return 0;
	return cli_output(st, "-vga-text", v, &st->cfg->vga_text, &st->cfg->vga_text_path);
}

static int opt_trace(struct cli_state *st, const char *v)
{
	const char *bad;

	if (trace_parse(v, &bad) < 0)
		return cli_fail(st,
				"unknown --trace kind '%.*s' (exc, int, io, blocks, callouts, all)",
				(int)strcspn(bad, ","), bad);
	st->cfg->trace = v;
	return 0;
}

static int opt_no_reboot(struct cli_state *st, const char *v)
{
	(void)v;
	st->cfg->no_reboot = true;
	return 0;
}

static int opt_stats(struct cli_state *st, const char *v)
{
	(void)v;
	st->cfg->stats = true;
	return 0;
}

static int opt_perf_map(struct cli_state *st, const char *v)
{
	(void)v;
	st->cfg->perf_map = true;
	return 0;
}

struct cli_option {
	const char *name; /* without dashes */
	bool has_arg;
	int (*handle)(struct cli_state *st, const char *v);
};

static const struct cli_option cli_options[] = {
    {"accel", true, opt_accel},
    {"m", true, opt_m},
    {"kernel", true, opt_kernel},
    {"initrd", true, opt_initrd},
    {"append", true, opt_append},
    {"bios", true, opt_bios},
    {"serial", true, opt_serial},
    {"debugcon", true, opt_debugcon},
    {"vga-text", true, opt_vga_text},
    {"trace", true, opt_trace},
    {"no-reboot", false, opt_no_reboot},
    {"stats", false, opt_stats},
    {"perf-map", false, opt_perf_map},
    {"drive", true, opt_drive},
    {"hda", true, opt_hda},
    {"hdb", true, opt_hdb},
    {"hdc", true, opt_hdc},
    {"hdd", true, opt_hdd},
    {"smp", true, opt_smp},
    {"nographic", false, opt_nographic},
    {"display", true, opt_display},
    {"machine", true, opt_machine},
    {"M", true, opt_machine},
    {"device", true, opt_device},
    {"enable-kvm", false, opt_enable_kvm},
    {"snapshot", false, opt_snapshot},
    {"fda", true, opt_fda},
    {"boot", true, opt_boot},
    {"cpu", true, opt_cpu},
    {"monitor", true, opt_monitor},
    {"net", true, opt_net},
    {"nic", true, opt_nic},
    {"vga", true, opt_vga},
    {"name", true, opt_name},
};

/* cli_lookup: the option named by arg ("-x", "--x" or "--x=v"); *inline_v
 * receives the text after '=' in the last form. */
static const struct cli_option *cli_lookup(const char *arg, const char **inline_v)
{
	bool dd = arg[1] == '-';
	const char *name = arg + 1 + dd;
	size_t n = dd ? strcspn(name, "=") : strlen(name);

	*inline_v = dd && name[n] == '=' ? name + n + 1 : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cli_options); i++) {
		if (strlen(cli_options[i].name) == n && !strncmp(cli_options[i].name, name, n))
			return &cli_options[i];
	}
	return NULL;
}

/* cli_check_config: constraints between options. */
static int cli_check_config(struct cli_state *st)
{
	bool disks = false;

	for (int i = 0; i < MACHINE_DRIVES; i++)
		disks |= st->cfg->drive[i].file != NULL;
	disks |= st->cfg->fda != NULL;
	if (st->cfg->boot_disk_first && st->cfg->fda && st->cfg->drive[0].file)
		util_error("note: -boot c: the BIOS tries the floppy first (its own order)");
	if (!st->cfg->kernel && !st->cfg->bios && disks) {
		/* a disk and no kernel: boot it through the PC BIOS */
		st->cfg->bios = CLI_DEFAULT_BIOS;
		if (access(CLI_DEFAULT_BIOS, R_OK) < 0)
			return cli_fail(st,
					"booting a disk needs a BIOS: %s is missing (apt-get "
					"install seabios) or give -bios FILE",
					CLI_DEFAULT_BIOS);
	}
	if (!st->cfg->kernel && !st->cfg->bios)
		return cli_fail(st, "no guest given: use -kernel FILE, -bios FILE or a disk with "
				    "-hda/-drive (see --help)");
	if (st->cfg->kernel && st->cfg->bios)
		return cli_fail(st, "-kernel and -bios cannot be used together");
	if (st->cfg->bios && (st->cfg->initrd || st->cfg->append))
		return cli_fail(st, "-initrd and -append need -kernel");
	return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct machine_config *cfg, char *err,
			  size_t errlen)
{
	struct cli_state st = {.cfg = cfg, .err = err, .errlen = errlen};

	cli_defaults(cfg);
	err[0] = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;
		const struct cli_option *o;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-help") || !strcmp(arg, "-h"))
			return CLI_HELP;
		if (arg[0] != '-' || !arg[1]) {
			cli_fail(&st, "unexpected argument '%s' (see --help)", arg);
			return CLI_ERROR;
		}
		o = cli_lookup(arg, &v);
		if (!o) {
			cli_fail(&st, "unknown option '%s' (see --help)", arg);
			return CLI_ERROR;
		}
		if (!o->has_arg && v) {
			cli_fail(&st, "option '%s' takes no argument", arg);
			return CLI_ERROR;
		}
		if (o->has_arg && !v) {
			if (i + 1 >= argc) {
				cli_fail(&st, "option '%s' needs an argument", arg);
				return CLI_ERROR;
			}
			v = argv[++i];
		}
		if (o->handle(&st, v) < 0)
			return CLI_ERROR;
	}
	return cli_check_config(&st) < 0 ? CLI_ERROR : CLI_RUN;
}

void cli_usage(FILE *f)
{
	fputs("usage: bt86 [options] -kernel FILE | -bios FILE | -hda DISK\n"
	      "       bt86 xlat ...           show guest code and its translation\n"
	      "\n"
	      "Runs a 32-bit x86 guest on a binary translator (bt) or on KVM.\n"
	      "\n"
	      "  -accel bt|kvm               CPU engine (default bt)\n"
	      "  -m MB                       guest RAM in MiB, 2 to 3584 (default 128;\n"
	      "                              a G suffix means GiB)\n"
	      "  -kernel FILE                multiboot ELF32 kernel or Linux bzImage\n"
	      "  -initrd FILE[,FILE...]      Linux initrd, or multiboot modules\n"
	      "                              (each \"path [args]\")\n"
	      "  -append CMDLINE             kernel command line\n"
	      "  -bios FILE                  raw firmware image (64-128 KiB), started at\n"
	      "                              F000:FFF0 instead of a kernel\n"
	      "  -drive file=IMG,format=raw[,if=ide][,index=N][,readonly=on]\n"
	      "                              a raw disk image on the IDE controller\n"
	      "                              (index 0-3); with no -kernel the machine\n"
	      "                              boots it through SeaBIOS\n"
	      "  -hda|-hdb|-hdc|-hdd FILE    the same, at index 0|1|2|3\n"
	      "  -fda FILE                   a floppy image (360K..2.88M) as drive A:\n"
	      "  -snapshot                   disk writes go to a temporary file; the\n"
	      "                              images stay as they are\n"
	      "  -smp N, -nographic, -display none, -machine pc, -enable-kvm,\n"
	      "  -device isa-debug-exit,iobase=0xf4, -serial mon:stdio, -boot X,\n"
	      "  -cpu X, -vga std|none, -monitor none, -net none, -name X\n"
	      "                              QEMU's spellings, accepted for what this\n"
	      "                              machine is (one CPU: -smp N>1 is a note)\n"
	      "  -serial stdio|file:PATH|none   COM1 backend (default stdio)\n"
	      "  -debugcon stdio|file:PATH|none port 0xe9 console (default none)\n"
	      "  -vga-text auto|stdio|file:PATH|none\n"
	      "                              the text screen at 0xb8000 as lines (default\n"
	      "                              auto: on the serial console until the guest\n"
	      "                              writes there itself)\n"
	      "  -no-reboot                  exit instead of rebooting the guest\n"
	      "  --stats                     print engine counters at exit (stderr)\n"
	      "  --perf-map                  bt: name translated blocks by guest address\n"
	      "                              for perf (/tmp/perf-PID.map)\n"
	      "  --trace KIND[,KIND...]      one stderr line per event: exc, int, io,\n"
	      "                              blocks (bt), callouts (bt), all\n"
	      "  --help                      this text\n"
	      "\n"
	      "Options may be written with one or two dashes; --opt=VALUE also works.\n"
	      "Console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A h helps.\n"
	      "\n"
	      "Exit status:\n"
	      "  0        the guest was stopped (Ctrl-A x, or a reset with -no-reboot)\n"
	      "  (v<<1)|1 the guest wrote v to isa-debug-exit (port 0xf4)\n"
	      "  2        usage or input error (bad option, unreadable or invalid image)\n"
	      "  4        guest triple fault (registers are dumped on stderr)\n"
	      "  6        the engine cannot run this guest\n"
	      "  8        host failure (out of memory, cannot set up the machine)\n"
	      "  128+n    ended by signal n (SIGINT, SIGTERM, SIGHUP)\n",
	      f);
}
