/*
 * devhost.h - the machine as a device sees it: bus registration, timers on
 * the guest clock, the size of RAM and the end-of-run request.  Devices
 * include this header, bus.h and irq.h, and never the machine's own.
 *
 * The machine implements it (monitor/machine/devhost.c) and hands each
 * device a struct devhost * at creation; IRQ lines are plain objects
 * (irq.h) that the board wires (monitor/machine/board.c).  Every call is
 * made on the vCPU thread, except devhost_request_exit (any thread).
 */
#ifndef BT86_DEVHOST_H
#define BT86_DEVHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "monitor/base/exit.h"

/* The machine, opaque to devices. */
struct devhost;

/* Which bus a range is registered on. */
enum devhost_bus { DEVHOST_IO, DEVHOST_MMIO };

/* A one-shot timer on the guest clock (CLOCK_MONOTONIC ns, util_now_ns). */
struct timer {
	uint64_t deadline; /* 0 when disarmed */
	void (*fire)(struct timer *t, uint64_t now);
	void *opaque;
	struct timer *next; /* the machine's timer list */
};

/* devhost_new_device: a zeroed device object of size bytes whose first
 * member, a struct device, is set from tmpl (out of memory: die_host). */
void *devhost_new_device(size_t size, const struct device *tmpl);

/* devhost_add_device: register dev at [base, base + len) of bus; the
 * machine destroys it at teardown and resets it at reboot.  A range
 * already taken is a monitor bug (die). */
void devhost_add_device(struct devhost *h, enum devhost_bus bus, uint64_t base, uint64_t len,
			struct device *dev);

/* devhost_add_range: one more range for a device already added (a device
 * with several port blocks). */
void devhost_add_range(struct devhost *h, enum devhost_bus bus, uint64_t base, uint64_t len,
		       struct device *dev);

/* devhost_try_add_range: devhost_add_range, but -EEXIST instead of dying
 * when the range is taken (a range the guest chooses, as a PCI BAR). */
int devhost_try_add_range(struct devhost *h, enum devhost_bus bus, uint64_t base, uint64_t len,
			  struct device *dev);
/* devhost_remove_range: take dev's range at base off the bus (a PCI BAR
 * moved or was disabled); no-op if it is not there. */
void devhost_remove_range(struct devhost *h, enum devhost_bus bus, uint64_t base,
			  struct device *dev);
/* devhost_timer_arm: fire t at deadline (ns); re-arming moves it. */
void devhost_timer_arm(struct devhost *h, struct timer *t, uint64_t deadline);
/* devhost_timer_disarm: t will not fire (no-op when not armed). */
void devhost_timer_disarm(struct devhost *h, struct timer *t);

/* devhost_ram_size: guest RAM in bytes (the CMOS reports it). */
uint64_t devhost_ram_size(const struct devhost *h);

/* devhost_ram_ptr: the host view of guest RAM [gpa, gpa + len), NULL if
 * outside RAM (a device that shows guest memory, the text screen). */
const uint8_t *devhost_ram_ptr(struct devhost *h, uint64_t gpa, uint64_t len);
/* devhost_dma_write / devhost_dma_read: a device's DMA into or out of
 * guest RAM [gpa, gpa + len); a write drops what the engine derived from
 * those bytes (translated code).  -1 (nothing moved) outside RAM. */
int devhost_dma_write(struct devhost *h, uint64_t gpa, const void *data, uint64_t len);
int devhost_dma_read(struct devhost *h, uint64_t gpa, void *data, uint64_t len);
/* The two A20 gates of a PC: the i8042's output port and port 0x92; the
 * line is enabled while either is.  devhost_set_a20: one gate's state. */
enum devhost_a20 { DEVHOST_A20_KBD, DEVHOST_A20_PORT92 };
void devhost_set_a20(struct devhost *h, enum devhost_a20 gate, bool enabled);
/* devhost_serial_used: the guest has written to its serial console. */
bool devhost_serial_used(struct devhost *h);

/* devhost_raise_nmi: a non-maskable interrupt for the CPU (an APIC's NMI
 * delivery); devices call it on the vCPU thread. */
void devhost_raise_nmi(struct devhost *h);

/* devhost_console_byte: a byte the guest wrote to its serial console (and
 * that left the machine): the machine reads it for a kernel panic
 * (monitor/machine/guest_watch.h). */
void devhost_console_byte(struct devhost *h, uint8_t b);

/* devhost_request_exit: end the run with reason r and process exit status
 * status (exit.h) and a one-line message; the first reason wins. */
void devhost_request_exit(struct devhost *h, enum exit_reason r, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
