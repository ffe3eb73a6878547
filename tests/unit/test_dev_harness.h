/*
 * test_dev_harness.h - a bare machine for device unit tests: a zeroed
 * struct machine with its port bus initialised and no event loop (timer
 * and wake-up descriptors at -1, so timers only queue on m.timers and
 * nothing is kicked).  Devices are created on it by each test and torn
 * down through the machine's owned list, as machine_destroy() does.
 */
#ifndef BT86_TEST_DEV_HARNESS_H
#define BT86_TEST_DEV_HARNESS_H

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"

static struct machine m;

/* dev_machine_init: the bare machine with ram_size bytes of (unmapped) RAM. */
static inline void dev_machine_init(uint64_t ram_size)
{
	memset(&m, 0, sizeof(m));
	bus_init(&m.io, "io");
	bus_init(&m.mmio, "mmio");
	m.ram.size = ram_size;
	m.ram.fd = -1;
	m.serial_in_fd = m.timer_fd = m.kick_efd = m.wake_efd = -1;
	m.epoll_fd = m.signal_fd = -1;
	pthread_mutex_init(&m.exit_lock, NULL);
}

/* dev_machine_fini: destroy every owned device, then the buses. */
static inline void dev_machine_fini(void)
{
	while (m.nr_owned) {
		struct device *d = m.owned[--m.nr_owned];

		if (d->destroy)
			d->destroy(d);
	}
	m.timers = NULL;
	bus_destroy(&m.io);
	bus_destroy(&m.mmio);
	pthread_mutex_destroy(&m.exit_lock);
}

/* dev_clear_exit: forget a requested exit (first reason wins otherwise). */
static inline void dev_clear_exit(void)
{
	memset(&m.exit, 0, sizeof(m.exit));
}

static inline uint8_t inb(uint16_t port)
{
	return (uint8_t)bus_read(&m.io, port, 1);
}

static inline void outb(uint16_t port, uint8_t v)
{
	bus_write(&m.io, port, 1, v);
}

static inline uint16_t inw(uint16_t port)
{
	return (uint16_t)bus_read(&m.io, port, 2);
}

static inline void outw(uint16_t port, uint16_t v)
{
	bus_write(&m.io, port, 2, v);
}

static inline uint32_t inl(uint16_t port)
{
	return (uint32_t)bus_read(&m.io, port, 4);
}

static inline void outl(uint16_t port, uint32_t v)
{
	bus_write(&m.io, port, 4, v);
}

/* dev_make_image: a temporary disk image from the template tmpl (its
 * "XXXXXX" replaced in place) of sectors 512-byte sectors, byte i of
 * sector l being pattern(l, i); the caller unlinks it. */
static inline void dev_make_image(char *tmpl, uint64_t sectors,
				  uint8_t (*pattern)(uint64_t l, unsigned i))
{
	int fd = mkstemp(tmpl);

	ck_assert_int_ge(fd, 0);
	for (uint64_t l = 0; l < sectors; l++) {
		uint8_t s[512];
		for (unsigned i = 0; i < 512; i++)
			s[i] = pattern(l, i);
		ck_assert_int_eq(write(fd, s, 512), 512);
	}
	close(fd);
}

/* A test IRQ line that counts rising edges. */
struct test_line {
	struct irq_line line;
	int prev, rises;
};

static inline void test_line_set(void *opaque, int pin, int level)
{
	struct test_line *t = opaque;

	(void)pin;
	if (level && !t->prev)
		t->rises++;
	t->prev = level;
}

/* test_line_init: a counting line, low, no edges seen. */
static inline void test_line_init(struct test_line *t)
{
	memset(t, 0, sizeof(*t));
	t->line.set = test_line_set;
	t->line.opaque = t;
}

#endif
