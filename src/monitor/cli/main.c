/*
 * main.c - bt86: parse the command line, build the machine, load the guest,
 * run it on the chosen engine and turn the end of the run into an exit
 * status (documented in cli_usage()).
 */
#include "monitor/cli/cli.h"
#include "monitor/cli/engine.h"
#include "monitor/boot/loader.h"
#include "monitor/machine/machine.h"
#include "devices/fdc.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"
#include "monitor/cli/xlat.h"

#include <string.h>

/* The machine is large (vCPU state, FPU area): keep it off the stack. */
static struct machine the_machine;

/* main_print_stats: --stats output on stderr. */
static void main_print_stats(struct machine *m, uint64_t start_ns)
{
	uint64_t ns = util_now_ns() - start_ns;

	fprintf(stderr, "bt86 statistics (engine %s, %llu.%03llu s):\n", m->engine->name,
		(unsigned long long)(ns / 1000000000ull),
		(unsigned long long)(ns / 1000000ull % 1000));
	stats_print(stderr);
	if (m->engine->print_stats)
		m->engine->print_stats(m, stderr);
}

/* main_run: run the guest until it ends for good (reboots included);
 * returns the process exit status. */
static int main_run(struct machine *m)
{
	for (;;) {
		m->engine->run(m);
		switch (m->exit.reason) {
		case EXIT_DEBUG_EXIT:
			return m->exit.status;
		case EXIT_RESET:
			if (guest_watch_panicked(m)) { /* panic=N: the reboot after it */
				util_error("guest kernel panic: %s", guest_watch_panicked(m));
				return EXIT_STATUS_GUEST;
			}
			if (m->cfg.no_reboot)
				return 0;
			machine_reset(m);
			if (loader_load(m) < 0)
				return EXIT_STATUS_USAGE;
			continue;
		case EXIT_SHUTDOWN:
			util_error("guest triple fault: %s", m->exit.message);
			vcpu_dump(&m->vcpu, stderr);
			return EXIT_STATUS_TRIPLE;
		case EXIT_QUIT:
			if (m->exit.message[0])
				util_error("%s", m->exit.message);
			return m->exit.status;
		case EXIT_GUEST_STOPPED:
			util_error("%s", m->exit.message);
			return m->exit.status;
		case EXIT_ENGINE_ERROR:
			util_error("%s",
				   m->exit.message[0] ? m->exit.message : "the engine stopped");
			return EXIT_STATUS_ENGINE;
		case EXIT_NONE:
			break;
		}
		util_error("the %s engine returned without a reason to stop", m->engine->name);
		return EXIT_STATUS_ENGINE;
	}
}

/* main_boot: machine, engine, guest, run; returns the exit status. */
static int main_boot(const struct machine_config *cfg)
{
	struct machine *m = &the_machine;
	const struct engine *e = engine_find(cfg->accel);
	uint64_t start = util_now_ns();
	int status;

	if (!e) {
		util_error("unknown accelerator '%s'", cfg->accel);
		return EXIT_STATUS_USAGE;
	}
	if (cfg->kernel && loader_probe_file(cfg->kernel, loader_kernel_max(cfg->ram_size)) < 0)
		return EXIT_STATUS_USAGE;
	for (int i = 0; i < MACHINE_DRIVES; i++) { /* a bad image is the user's input */
		struct disk d;
		if (cfg->drive[i].file && disk_open(&d, cfg->drive[i].file, true, false) < 0)
			return EXIT_STATUS_USAGE;
		if (cfg->drive[i].file)
			disk_close(&d);
	}
	if (cfg->fda) { /* the size must be a floppy format */
		struct disk d;
		if (disk_open(&d, cfg->fda, true, false) < 0)
			return EXIT_STATUS_USAGE;
		uint64_t n = d.sectors;
		disk_close(&d);
		if (!fdc_drive_type(n)) {
			util_error("%s: too large for a floppy (2.88 MB at most)", cfg->fda);
			return EXIT_STATUS_USAGE;
		}
	}
	if (machine_create(m, cfg) < 0)
		return EXIT_STATUS_HOST;
	m->engine = e;
	if (e->init(m) < 0) {
		m->engine = NULL; /* init failed: nothing to destroy */
		machine_destroy(m);
		return EXIT_STATUS_ENGINE;
	}
	if (loader_load(m) < 0) {
		machine_destroy(m);
		return EXIT_STATUS_USAGE;
	}
	if (event_start(m) < 0) {
		machine_destroy(m);
		return EXIT_STATUS_HOST;
	}
	status = main_run(m);
	event_stop(m);
	if (m->serial_out)
		fflush(m->serial_out);
	if (cfg->stats)
		main_print_stats(m, start);
	machine_destroy(m);
	return status;
}

int main(int argc, char **argv)
{
	struct machine_config cfg;
	char err[512];

	if (argc > 1 && !strcmp(argv[1], "xlat"))
		return xlat_main(argc - 1, argv + 1);
	switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CLI_HELP:
		cli_usage(stdout);
		return 0;
	case CLI_ERROR:
		util_error("%s", err);
		return EXIT_STATUS_USAGE;
	case CLI_RUN:
		break;
	}
	return main_boot(&cfg);
}
