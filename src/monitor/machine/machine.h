/*
 * machine.h - one PC: RAM, buses, IRQ wiring, devices, the event loop and
 * the engine that runs its vCPU.
 *
 * Threads: the vCPU thread runs the guest and does all device work; the
 * kicker thread (event.c) only watches file descriptors and deadlines and,
 * when something is due, calls engine->kick() (stop the running guest at a
 * precise boundary) or wakes the vCPU thread out of machine_wait().
 */
#ifndef BT86_MACHINE_H
#define BT86_MACHINE_H

#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <pthread.h>

#include "devices/devhost.h"
#include "devices/disk.h"
#include "monitor/machine/vcpu.h"
#include "monitor/machine/ram.h"
#include "monitor/machine/board.h"
#include "monitor/machine/guest_watch.h"

struct machine;

/* What an engine provides (src/kvm/, src/translator/ via bt_engine.c). */
struct engine {
	const char *name;
	/* init: prepare to run m->vcpu; on failure print one line, return -errno. */
	int (*init)(struct machine *m);
	/* run: run the guest until m->exit.reason != EXIT_NONE. */
	void (*run)(struct machine *m);
	/* kick: called from the kicker thread; make run() call
	 * machine_service() soon, at an instruction boundary. */
	void (*kick)(struct machine *m);
	/* print_stats: --stats output at exit (may be NULL). */
	void (*print_stats)(struct machine *m, FILE *f);
	/* invalidate: the monitor changed guest RAM [gpa, gpa+len) behind the
	 * guest's back (loader, test harness, DMA): drop stale translations.
	 * May be NULL. */
	void (*invalidate)(struct machine *m, uint64_t gpa, uint64_t len);
	/* note_write: the monitor wrote guest RAM [gpa, gpa+len) on the
	 * guest's behalf (machine_note_write); called often, so cheap when
	 * nothing is derived from those bytes.  May be NULL. */
	void (*note_write)(struct machine *m, uint64_t gpa, uint64_t len);
	/* set_a20: the A20 line changed (vcpu.a20_mask already says how):
	 * physical addresses now have bit 20 cleared, or no longer.  May be
	 * NULL (the engine does not mask). */
	void (*set_a20)(struct machine *m, bool enabled);
	void (*destroy)(struct machine *m);
	/* invlpg: the guest executed INVLPG for linear address lin: drop that
	 * page's translation.  Optional (NULL: nothing to do). */
	void (*invlpg)(struct machine *m, uint32_t lin);
	/* flush_tlb: the guest flushed its TLB: a CR3 write (global = false:
	 * global pages survive when CR4.PGE is set) or a change of CR0.PG/WP
	 * or CR4.PSE/PGE/PAE (global = true).  Optional. */
	void (*flush_tlb)(struct machine *m, bool global);
	/* fpu_pointers: the x87 last-instruction and data pointers saved in
	 * vcpu->fxsave (32-bit format, *fip and *fdp) may be the engine's
	 * own addresses (bt: the host PC of a copied x87 instruction and
	 * the host address of its operand); turn them into the guest's EIP
	 * and linear address (*fdp).  Returns false when they are not the
	 * engine's (zero after FNINIT, or loaded by the guest): they are
	 * the guest's already.  Optional (NULL: always the guest's). */
	bool (*fpu_pointers)(struct machine *m, uint32_t *fip, uint32_t *fdp);
};

struct machine_exit {
	enum exit_reason reason;
	int status;	   /* process exit status for this reason */
	char message[256]; /* one line shown to the user, may be empty */
};

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

#define MACHINE_DRIVES 4

struct machine_config {
	const char *accel; /* "bt" or "kvm" */
	uint64_t ram_size; /* bytes */
	const char *kernel, *initrd, *append, *bios;
	/* -drive / -hda..-hdd: raw images on the ATA channels, index 0-3 =
	 * primary master, primary slave, secondary master, secondary slave */
	struct {
		const char *file;
		bool readonly;
	} drive[MACHINE_DRIVES];
	bool snapshot;	      /* -snapshot: the images are not written (disk.h) */
	const char *fda;      /* -fda: a floppy image for drive A */
	bool boot_disk_first; /* -boot c (a note only: the BIOS keeps its order) */
	enum serial_mode serial;
	const char *serial_path;
	enum serial_mode debugcon;
	const char *debugcon_path;
	bool vga_text_on;	   /* mirror the text screen (off in a zeroed config) */
	enum serial_mode vga_text; /* the mirror's stream (vga_text.h) */
	const char *vga_text_path;
	bool vga_text_auto; /* to the serial stream, silent once COM1 is used */
	bool no_reboot;
	bool stats;
	bool perf_map;	   /* bt: write /tmp/perf-PID.map for perf report */
	const char *trace; /* engine trace options, may be NULL */
};

struct machine {
	struct machine_config cfg;
	struct ram ram;
	struct bus io, mmio;
	struct irq_line isa_irq[16]; /* ISA IRQ lines, wired to the 8259 pair */
	struct vcpu vcpu;
	const struct engine *engine;
	void *engine_data;

	/* devices */
	struct disk disks[MACHINE_DRIVES]; /* opened from cfg.drive */
	struct disk floppy;		   /* opened from cfg.fda */
	uint8_t a20_gates_off;		   /* bit per enum devhost_a20 gate that is off */
	struct pc_board board;		   /* what board.c wired, for the machine's own use */
	struct device *owned[32];	   /* every device, destroyed at teardown */
	unsigned nr_owned;

	/* console */
	int serial_in_fd; /* -1 when none */
	FILE *serial_out;
	FILE *debugcon_out;
	FILE *vga_out; /* the text screen's mirror, NULL: none */

	/* event loop */
	struct timer *timers;
	volatile int events_pending; /* set by the kicker, cleared by service */
	pthread_t kicker;
	bool kicker_running;
	int kick_efd; /* wakes the kicker (timer re-arm, stop) */
	int wake_efd; /* wakes the vCPU thread from machine_wait */
	int timer_fd;

	struct machine_exit exit;
	struct guest_watch watch; /* the serial console, read for a panic */

	/* console input (console.c) and event-loop internals (event.c) */
	struct console *console; /* NULL when the guest gets no input */
	int epoll_fd, signal_fd;
	volatile int console_ready;   /* kicker: the input fd is readable */
	volatile int console_backlog; /* input waits for room in the UART */
	volatile int kicker_stop;
	uint64_t timerfd_deadline; /* what timer_fd is armed for, 0: none */
	pthread_mutex_t exit_lock;
	bool serial_out_owned, debugcon_out_owned, vga_out_owned; /* fclose'd at destroy */
};

/* machine_note_write: the monitor wrote guest RAM [gpa, gpa+len) on the
 * guest's behalf (string callout, page walker A/D bits, device DMA): the
 * engine drops what it derived from those bytes (bt: translated code). */
static inline void machine_note_write(struct machine *m, uint64_t gpa, uint64_t len)
{
	if (len && m->engine && m->engine->note_write)
		m->engine->note_write(m, gpa, len);
}

/* machine_devhost: the machine as its devices see it (devices/devhost.h). */
static inline struct devhost *machine_devhost(struct machine *m)
{
	return (struct devhost *)m;
}

/* machine_create: RAM, buses and every PC device, wired; -errno with a
 * one-line message printed on failure. */
int machine_create(struct machine *m, const struct machine_config *cfg);
/* machine_destroy: stop the kicker, destroy devices, engine and RAM. */
void machine_destroy(struct machine *m);
/* machine_reset: devices back to power-on state (for a reboot). */
void machine_reset(struct machine *m);
/* machine_request_exit: end the run with reason r, process exit status
 * status (base/exit.h) and a one-line message; the first reason wins.  The one
 * way to end a run, from any thread: it locks, then kicks the engine and
 * wakes a halted vCPU thread. */
void machine_request_exit(struct machine *m, enum exit_reason r, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* machine_request_exitv: the same with a va_list. */
void machine_request_exitv(struct machine *m, enum exit_reason r, int status, const char *fmt,
			   va_list ap) __attribute__((format(printf, 4, 0)));

/* machine_intr_pending: an external interrupt is waiting at the CPU's INTR pin. */
bool machine_intr_pending(struct machine *m);
/* machine_intr_ack: INTA cycle: the vector of the highest-priority pending
 * interrupt (the PIC's spurious vector if it vanished). */
int machine_intr_ack(struct machine *m);

/* Port I/O as the CPU performs it (size 1, 2 or 4). */
uint32_t machine_io_in(struct machine *m, uint16_t port, unsigned size);
void machine_io_out(struct machine *m, uint16_t port, unsigned size, uint32_t value);

/* Event loop (event.c). */
/* timer_arm: fire t at deadline (ns, CLOCK_MONOTONIC); re-arming moves it. */
void timer_arm(struct machine *m, struct timer *t, uint64_t deadline);
void timer_disarm(struct machine *m, struct timer *t);
/* event_start: start the kicker thread (after the engine's init). */
int event_start(struct machine *m);
void event_stop(struct machine *m);
/* machine_service: on the vCPU thread: run due timers, read console input. */
void machine_service(struct machine *m);
/* machine_halt_dead: the vCPU executed HLT with interrupts disabled, and
 * nothing here can wake it (no NMI source, one CPU): end the run with
 * EXIT_STATUS_GUEST and a message naming where it stopped. */
void machine_halt_dead(struct machine *m);
/* machine_wait: block the vCPU thread until a timer is due or input arrives
 * (used for HLT); returns after servicing. */
void machine_wait(struct machine *m);
/* event_init: file descriptors of the event loop (called by machine_create
 * before any device exists); event_destroy closes them (after event_stop). */
int event_init(struct machine *m);
void event_destroy(struct machine *m);
/* event_console_pump: move console input into the UART as it has room (vCPU
 * thread; machine_service and port I/O call it). */
void event_console_pump(struct machine *m);

#endif
