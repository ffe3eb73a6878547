/*
 * event.c - the event loop: guest timers, the kicker thread, console input
 * (see machine.h, docs/design.md section 2).
 *
 * Timers live in one list sorted by deadline, touched only by the vCPU
 * thread; timer_fd is armed to the earliest deadline.  The kicker thread
 * epolls timer_fd, the console input (EPOLLONESHOT: the vCPU thread re-arms
 * it after reading), kick_efd and a signalfd for SIGINT/SIGTERM/SIGHUP.
 * When something is due it sets events_pending, calls engine->kick() and
 * signals wake_efd.  machine_wait() computes its own timeout from the list,
 * so a due timer is never slept through even if the kicker is late.
 */
#define _GNU_SOURCE
#include "monitor/machine/machine.h"
#include "monitor/machine/console.h"
#include "monitor/base/stats.h"
#include "monitor/base/util.h"
#include "devices/uart16550.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

enum { EV_TIMER = 1, EV_KICK, EV_CONSOLE, EV_SIGNAL };

/* Timers fired per machine_service() at most: a runaway periodic timer
 * cannot starve the guest. */
#define EVENT_MAX_FIRES 1024

/* event_drain: read an eventfd/timerfd counter, ignoring EAGAIN. */
static void event_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
		die_host("event fd read: %s", strerror(errno));
}

/* event_poke: write 1 to an eventfd. */
static void event_poke(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		die_host("eventfd write: %s", strerror(errno));
}

/* event_epoll_add: watch fd for input under tag. */
static int event_epoll_add(struct machine *m, int fd, uint32_t tag, uint32_t flags)
{
	struct epoll_event ev = {.events = EPOLLIN | flags, .data.u32 = tag};

	return epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* event_watch_console: add the console fd; input epoll cannot watch
 * (regular files, /dev/null) is read whenever there is room instead. */
static int event_watch_console(struct machine *m)
{
	struct console *c = m->console;
	int err = event_epoll_add(m, c->fd, EV_CONSOLE, EPOLLONESHOT);

	if (err == -EPERM) {
		c->pollable = false;
		m->console_ready = 1;
		m->console_backlog = 1;
		return 0;
	}
	return err;
}

/* event_block_signals: SIGINT/SIGTERM/SIGHUP go to the signalfd; every
 * thread created afterwards inherits the mask. */
static int event_block_signals(struct machine *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return m->signal_fd < 0 ? -errno : 0;
}

int event_init(struct machine *m)
{
	int err;

	m->timers = NULL;
	m->timerfd_deadline = 0;
	m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	m->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->epoll_fd < 0 || m->timer_fd < 0 || m->kick_efd < 0 || m->wake_efd < 0)
		return -errno;
	err = event_block_signals(m);
	if (!err)
		err = event_epoll_add(m, m->timer_fd, EV_TIMER, 0);
	if (!err)
		err = event_epoll_add(m, m->kick_efd, EV_KICK, 0);
	if (!err)
		err = event_epoll_add(m, m->signal_fd, EV_SIGNAL, 0);
	if (!err && m->console)
		err = event_watch_console(m);
	return err;
}

/* event_close: close fd if open and mark it closed. */
static void event_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void event_destroy(struct machine *m)
{
	event_close(&m->epoll_fd);
	event_close(&m->timer_fd);
	event_close(&m->kick_efd);
	event_close(&m->wake_efd);
	event_close(&m->signal_fd);
}

/* --- timers (vCPU thread) ------------------------------------------------ */

/* event_program: arm timer_fd for the earliest deadline (or disarm). */
static void event_program(struct machine *m)
{
	uint64_t d = m->timers ? m->timers->deadline : 0;
	struct itimerspec its;

	if (d == m->timerfd_deadline || m->timer_fd < 0)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = d / 1000000000ull;
	its.it_value.tv_nsec = d % 1000000000ull;
	if (timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die_host("timerfd_settime: %s", strerror(errno));
	m->timerfd_deadline = d;
}

/* timer_unlink: take t out of the list if it is armed. */
static void timer_unlink(struct machine *m, struct timer *t)
{
	struct timer **pp;

	if (!t->deadline)
		return;
	for (pp = &m->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->deadline = 0;
}

void timer_arm(struct machine *m, struct timer *t, uint64_t deadline)
{
	struct timer **pp;

	timer_unlink(m, t);
	t->deadline = deadline ? deadline : 1;
	for (pp = &m->timers; *pp && (*pp)->deadline <= t->deadline; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	event_program(m);
}

void timer_disarm(struct machine *m, struct timer *t)
{
	timer_unlink(m, t);
	event_program(m);
}

/* event_run_timers: fire every timer due now; returns how many fired. */
static int event_run_timers(struct machine *m)
{
	uint64_t now;
	int n = 0;

	if (!m->timers)
		return 0;
	now = util_now_ns();
	while (m->timers && m->timers->deadline <= now && n < EVENT_MAX_FIRES) {
		struct timer *t = m->timers;

		m->timers = t->next;
		t->next = NULL;
		t->deadline = 0;
		t->fire(t, now);
		n++;
	}
	if (n == EVENT_MAX_FIRES)
		__atomic_store_n(&m->events_pending, 1, __ATOMIC_SEQ_CST);
	event_program(m);
	return n;
}

/* --- console input (vCPU thread) ----------------------------------------- */

/* event_console_rearm: watch the console fd again (EPOLLONESHOT). */
static void event_console_rearm(struct machine *m)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = EV_CONSOLE};

	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_MOD, m->console->fd, &ev) < 0)
		die_host("epoll re-arm of the console: %s", strerror(errno));
}

/* event_console_fill: read input the kicker reported, if the backlog has room. */
static void event_console_fill(struct machine *m, struct console *c)
{
	long r;

	if (!__atomic_load_n(&m->console_ready, __ATOMIC_SEQ_CST) || !console_room(c))
		return;
	r = console_read(c);
	if (r < 0 && r != -EAGAIN) {
		util_error("console input: %s", strerror((int)-r));
		c->eof = true;
	}
	if (c->pollable || c->eof)
		__atomic_store_n(&m->console_ready, 0, __ATOMIC_SEQ_CST);
	if (c->pollable && !c->eof)
		event_console_rearm(m);
}

/* event_console_deliver: backlog bytes into the UART as it has room; the
 * escape keys act here.  Returns the bytes delivered. */
static size_t event_console_deliver(struct machine *m, struct console *c)
{
	size_t space = m->board.com1 ? uart_rx_space(m->board.com1) : 0;
	uint8_t out[64];
	size_t n = 0;

	while (n < space && n < sizeof(out)) {
		enum console_key k = console_next(c, &out[n]);

		if (k == CONSOLE_NONE)
			break;
		if (k == CONSOLE_QUIT) {
			machine_request_exit(m, EXIT_QUIT, 0, "%s", "");
			break;
		}
		n++;
	}
	if (n)
		uart_receive(m->board.com1, out, n);
	return n;
}

/* event_pump: event_console_pump(), returning the bytes delivered. */
static size_t event_pump(struct machine *m)
{
	struct console *c = m->console;
	size_t total = 0, n;

	if (!c)
		return 0;
	do {
		event_console_fill(m, c);
		n = event_console_deliver(m, c);
		total += n;
	} while (n && total < 4096);
	m->console_backlog = c->len > 0 || __atomic_load_n(&m->console_ready, __ATOMIC_SEQ_CST);
	return total;
}

void event_console_pump(struct machine *m)
{
	event_pump(m);
}

/* event_service: machine_service(), returning how much work it did. */
static int event_service(struct machine *m)
{
	int work;

	__atomic_store_n(&m->events_pending, 0, __ATOMIC_SEQ_CST);
	work = event_run_timers(m);
	work += event_pump(m) > 0;
	return work;
}

void machine_service(struct machine *m)
{
	event_service(m);
}

void machine_wait(struct machine *m)
{
	struct pollfd p = {.fd = m->wake_efd, .events = POLLIN};
	struct timespec ts, *tp = NULL;

	STAT_INC(hlt_exits);
	if (m->exit.reason != EXIT_NONE || event_service(m) > 0)
		return;
	if (__atomic_load_n(&m->events_pending, __ATOMIC_SEQ_CST))
		goto service;
	if (m->timers) {
		uint64_t now = util_now_ns(), d = m->timers->deadline;
		uint64_t rel = d > now ? d - now : 0;

		ts.tv_sec = rel / 1000000000ull;
		ts.tv_nsec = rel % 1000000000ull;
		tp = &ts;
	}
	if (ppoll(&p, 1, tp, NULL) < 0 && errno != EINTR)
		die_host("ppoll: %s", strerror(errno));
	event_drain(m->wake_efd);
service:
	event_service(m);
}

/* --- the kicker thread --------------------------------------------------- */

/* event_notify: something is due: stop the guest, wake a halted vCPU. */
static void event_notify(struct machine *m)
{
	__atomic_store_n(&m->events_pending, 1, __ATOMIC_SEQ_CST);
	if (m->engine && m->engine->kick)
		m->engine->kick(m);
	event_poke(m->wake_efd);
}

/* event_on_signal: first SIGINT/SIGTERM/SIGHUP ends the run in order; a
 * second one (the guest did not stop) restores the terminal and exits. */
static void event_on_signal(struct machine *m)
{
	static int seen;
	struct signalfd_siginfo si;

	if (read(m->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (seen++) {
		console_restore_tty();
		_exit(EXIT_STATUS_SIGNAL((int)si.ssi_signo));
	}
	machine_request_exit(m, EXIT_QUIT, EXIT_STATUS_SIGNAL((int)si.ssi_signo),
			     "stopped by SIG%s",
			     si.ssi_signo == SIGINT    ? "INT"
			     : si.ssi_signo == SIGTERM ? "TERM"
						       : "HUP");
}

/* event_kicker: the kicker thread's loop. */
static void *event_kicker(void *arg)
{
	struct machine *m = arg;
	struct epoll_event ev[8];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		int n = epoll_wait(m->epoll_fd, ev, ARRAY_SIZE(ev), -1);
		bool due = false;

		if (n < 0 && errno != EINTR)
			die_host("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case EV_TIMER:
				event_drain(m->timer_fd);
				due = true;
				break;
			case EV_KICK:
				event_drain(m->kick_efd);
				break;
			case EV_CONSOLE:
				__atomic_store_n(&m->console_ready, 1, __ATOMIC_SEQ_CST);
				due = true;
				break;
			case EV_SIGNAL:
				event_on_signal(m);
				break;
			}
		}
		if (__atomic_load_n(&m->kicker_stop, __ATOMIC_SEQ_CST))
			return NULL;
		if (due)
			event_notify(m);
	}
}

int event_start(struct machine *m)
{
	int err;

	if (m->kicker_running)
		return 0;
	m->kicker_stop = 0;
	err = pthread_create(&m->kicker, NULL, event_kicker, m);
	if (err) {
		util_error("cannot start the event thread: %s", strerror(err));
		return -err;
	}
	m->kicker_running = true;
	return 0;
}

void event_stop(struct machine *m)
{
	if (!m->kicker_running)
		return;
	__atomic_store_n(&m->kicker_stop, 1, __ATOMIC_SEQ_CST);
	event_poke(m->kick_efd);
	pthread_join(m->kicker, NULL);
	m->kicker_running = false;
}
