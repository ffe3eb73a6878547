/*
 * machine.c - one PC: RAM, port and MMIO buses, the console, reset and
 * teardown, and the end-of-run protocol (see machine.h).  The devices and
 * their wiring are the board's (board.c).
 */
#include "monitor/machine/machine.h"
#include "devices/fdc.h"
#include "monitor/base/trace.h"
#include "monitor/machine/console.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* machine_open_output: the FILE for an output mode (stdio, file:PATH, none);
 * NULL for none, or on error (printed; *err set). */
static FILE *machine_open_output(enum serial_mode mode, const char *path, bool *owned, int *err)
{
	FILE *f;

	*owned = false;
	if (mode == SERIAL_NONE)
		return NULL;
	if (mode == SERIAL_STDIO)
		return stdout;
	f = fopen(path, "w");
	if (!f) {
		*err = -errno;
		util_error("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	*owned = true;
	return f;
}

/* machine_open_console: outputs and, for -serial stdio, stdin as input. */
static int machine_open_console(struct machine *m)
{
	int err = 0;

	m->serial_out =
	    machine_open_output(m->cfg.serial, m->cfg.serial_path, &m->serial_out_owned, &err);
	if (err)
		return err;
	m->debugcon_out = machine_open_output(m->cfg.debugcon, m->cfg.debugcon_path,
					      &m->debugcon_out_owned, &err);
	if (err)
		return err;
	if (!m->cfg.vga_text_on)
		m->vga_out = NULL;
	else if (m->cfg.vga_text_auto)
		m->vga_out = m->serial_out;
	else
		m->vga_out = machine_open_output(m->cfg.vga_text, m->cfg.vga_text_path,
						 &m->vga_out_owned, &err);
	if (err)
		return err;
	if (m->cfg.serial != SERIAL_STDIO)
		return 0;
	m->console = calloc(1, sizeof(*m->console));
	if (!m->console)
		return -ENOMEM;
	err = console_open(m->console, STDIN_FILENO);
	if (err < 0) {
		/* No usable stdin (closed): the guest just gets no input. */
		free(m->console);
		m->console = NULL;
		return 0;
	}
	m->serial_in_fd = STDIN_FILENO;
	return 0;
}

/* machine_open_disks: the -drive images (disk.h reports a bad one). */
static int machine_open_disks(struct machine *m)
{
	m->floppy.fd = -1;
	if (m->cfg.fda && disk_open(&m->floppy, m->cfg.fda, false, m->cfg.snapshot) < 0)
		return -EINVAL;
	if (m->cfg.fda) /* the whole disk of its format: sectors past the file read 0 */
		disk_pad(&m->floppy, fdc_format_sectors(m->floppy.sectors));
	for (int i = 0; i < MACHINE_DRIVES; i++) {
		m->disks[i].fd = -1;
		if (!m->cfg.drive[i].file)
			continue;
		int err = disk_open(&m->disks[i], m->cfg.drive[i].file, m->cfg.drive[i].readonly,
				    m->cfg.snapshot);
		if (err < 0)
			return err;
	}
	return 0;
}

int machine_create(struct machine *m, const struct machine_config *cfg)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->serial_in_fd = -1;
	m->epoll_fd = m->signal_fd = m->timer_fd = m->kick_efd = m->wake_efd = -1;
	pthread_mutex_init(&m->exit_lock, NULL);
	m->vcpu.machine = m;
	vcpu_reset(&m->vcpu);
	bus_init(&m->io, "io");
	bus_init(&m->mmio, "mmio");
	err = ram_init(&m->ram, cfg->ram_size);
	if (err < 0) {
		util_error("cannot allocate %llu MiB of guest RAM: %s",
			   (unsigned long long)(cfg->ram_size >> 20), strerror(-err));
		goto fail;
	}
	err = machine_open_console(m);
	if (err < 0)
		goto fail;
	err = machine_open_disks(m);
	if (err < 0)
		goto fail;
	err = event_init(m);
	if (err < 0) {
		util_error("cannot set up the event loop: %s", strerror(-err));
		goto fail;
	}
	board_create(m);
	return 0;
fail:
	machine_destroy(m);
	return err;
}

/* machine_close_outputs: flush and close the files the machine opened. */
static void machine_close_outputs(struct machine *m)
{
	if (m->serial_out)
		fflush(m->serial_out);
	if (m->debugcon_out)
		fflush(m->debugcon_out);
	if (m->serial_out_owned)
		fclose(m->serial_out);
	if (m->debugcon_out_owned)
		fclose(m->debugcon_out);
	if (m->vga_out_owned)
		fclose(m->vga_out);
	m->serial_out = m->debugcon_out = m->vga_out = NULL;
	m->serial_out_owned = m->debugcon_out_owned = m->vga_out_owned = false;
}

void machine_destroy(struct machine *m)
{
	event_stop(m);
	if (m->engine && m->engine->destroy)
		m->engine->destroy(m);
	m->engine = NULL;
	while (m->nr_owned) {
		struct device *dev = m->owned[--m->nr_owned];

		if (dev->destroy)
			dev->destroy(dev);
	}
	memset(&m->board, 0, sizeof(m->board));
	m->timers = NULL;
	event_destroy(m);
	if (m->console) {
		console_close(m->console);
		free(m->console);
		m->console = NULL;
	}
	machine_close_outputs(m);
	for (int i = 0; i < MACHINE_DRIVES; i++) {
		if (m->disks[i].path)
			disk_flush(&m->disks[i]); /* what the guest wrote reaches the disk */
		disk_close(&m->disks[i]);
	}
	if (m->floppy.path)
		disk_flush(&m->floppy);
	disk_close(&m->floppy);
	bus_destroy(&m->io);
	bus_destroy(&m->mmio);
	ram_destroy(&m->ram);
}

void machine_reset(struct machine *m)
{
	while (m->timers)
		timer_disarm(m, m->timers);
	guest_watch_reset(m);
	for (unsigned i = 0; i < m->nr_owned; i++) {
		if (m->owned[i]->reset)
			m->owned[i]->reset(m->owned[i]);
	}
	vcpu_reset(&m->vcpu);
	pthread_mutex_lock(&m->exit_lock);
	memset(&m->exit, 0, sizeof(m->exit));
	pthread_mutex_unlock(&m->exit_lock);
}

void machine_request_exit(struct machine *m, enum exit_reason r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	machine_request_exitv(m, r, status, fmt, ap);
	va_end(ap);
}

void machine_request_exitv(struct machine *m, enum exit_reason r, int status, const char *fmt,
			   va_list ap)
{
	pthread_mutex_lock(&m->exit_lock);
	if (m->exit.reason != EXIT_NONE) {
		pthread_mutex_unlock(&m->exit_lock);
		return;
	}
	vsnprintf(m->exit.message, sizeof(m->exit.message), fmt, ap);
	m->exit.status = status;
	__atomic_store_n(&m->exit.reason, r, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&m->exit_lock);
	if (m->engine && m->engine->kick)
		m->engine->kick(m);
	if (m->wake_efd >= 0) {
		uint64_t one = 1;

		if (write(m->wake_efd, &one, sizeof(one)) < 0) {
			/* counter saturated: the vCPU wakes anyway */
		}
	}
}

uint32_t machine_io_in(struct machine *m, uint16_t port, unsigned size)
{
	uint32_t v;

	STAT_INC(io_exits);
	v = (uint32_t)bus_read(&m->io, port, size);
	TRACE(TRACE_IO, "in%c  %#06x -> %#x", size == 1 ? 'b' : size == 2 ? 'w' : 'd', port, v);
	if (unlikely(m->console_backlog))
		event_console_pump(m);
	return v;
}

void machine_io_out(struct machine *m, uint16_t port, unsigned size, uint32_t value)
{
	STAT_INC(io_exits);
	TRACE(TRACE_IO, "out%c %#06x <- %#x", size == 1 ? 'b' : size == 2 ? 'w' : 'd', port, value);
	bus_write(&m->io, port, size, value);
	if (unlikely(m->console_backlog))
		event_console_pump(m);
}

void machine_halt_dead(struct machine *m)
{
	const char *panic = guest_watch_panicked(m);

	if (panic)
		machine_request_exit(m, EXIT_GUEST_STOPPED, EXIT_STATUS_GUEST,
				     "guest kernel panic: %s", panic);
	else
		machine_request_exit(m, EXIT_GUEST_STOPPED, EXIT_STATUS_GUEST,
				     "the guest halted with interrupts disabled at %04x:%08x: "
				     "nothing can wake it",
				     m->vcpu.seg[S_CS].sel, m->vcpu.eip);
}
