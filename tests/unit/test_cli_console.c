/* test_cli_console.c - the console (escape keys, input into the UART), the
 * event loop's timers and kicker, and machine_request_exit. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "monitor/machine/console.h"
#include "monitor/machine/machine.h"
#include "monitor/base/util.h"
#include "devices/uart16550.h"

static struct machine m;
static volatile int kicks;

static void fake_kick(struct machine *mm)
{
	(void)mm;
	__atomic_add_fetch(&kicks, 1, __ATOMIC_SEQ_CST);
}

static const struct engine fake_engine = {.name = "fake", .kick = fake_kick};

/* A machine with buses, the event loop and (if con) a console, no devices. */
static void bare_machine(struct console *con)
{
	memset(&m, 0, sizeof(m));
	m.epoll_fd = m.signal_fd = m.timer_fd = m.kick_efd = m.wake_efd = -1;
	pthread_mutex_init(&m.exit_lock, NULL);
	bus_init(&m.io, "io");
	m.vcpu.machine = &m;
	m.console = con;
	m.engine = &fake_engine;
	__atomic_store_n(&kicks, 0, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(event_init(&m), 0);
}

static void bare_teardown(void)
{
	event_stop(&m);
	event_destroy(&m);
	while (m.nr_owned) {
		struct device *d = m.owned[--m.nr_owned];
		if (d->destroy)
			d->destroy(d);
	}
	bus_destroy(&m.io);
}

/* --- escape keys ---------------------------------------------------------- */

START_TEST(test_escape_keys)
{
	struct console c;
	uint8_t b, in[] = {'a', 0x01, 0x01, 'b', 0x01, 'z', 'c', 0x01, 'x', 'd'};

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	ck_assert_uint_eq(console_push(&c, in, sizeof(in)), sizeof(in));
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_BYTE);
	ck_assert_uint_eq(b, 'a');
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_BYTE);
	ck_assert_uint_eq(b, 0x01); /* C-a C-a: one C-a */
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_BYTE);
	ck_assert_uint_eq(b, 'b');
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_BYTE);
	ck_assert_uint_eq(b, 'c'); /* C-a z dropped */
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_QUIT);
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_BYTE);
	ck_assert_uint_eq(b, 'd');
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_NONE);
	/* an escape split across two reads */
	console_push(&c, (const uint8_t *)"\x01", 1);
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_NONE);
	console_push(&c, (const uint8_t *)"x", 1);
	ck_assert_int_eq(console_next(&c, &b), CONSOLE_QUIT);
	/* the backlog is bounded */
	{
		static uint8_t big[CONSOLE_BACKLOG + 10];
		ck_assert_uint_eq(console_push(&c, big, sizeof(big)), CONSOLE_BACKLOG);
		ck_assert_uint_eq(console_room(&c), 0);
	}
}
END_TEST

/* --- timers ------------------------------------------------------------------ */

static int order[8], nfired;
static uint64_t fired_at[8];

static void record_fire(struct timer *t, uint64_t now)
{
	order[nfired] = (int)(intptr_t)t->opaque;
	fired_at[nfired++] = now;
}

START_TEST(test_timers_order)
{
	struct timer t[3] = {{.fire = record_fire, .opaque = (void *)0},
			     {.fire = record_fire, .opaque = (void *)1},
			     {.fire = record_fire, .opaque = (void *)2}};
	uint64_t now = util_now_ns(), dl[3] = {now + 30000000, now + 5000000, now + 15000000};
	int loops = 0;

	bare_machine(NULL);
	nfired = 0;
	for (int i = 0; i < 3; i++)
		timer_arm(&m, &t[i], dl[i]);
	/* re-arming moves a timer; disarm removes it */
	struct timer gone = {.fire = record_fire, .opaque = (void *)7};
	timer_arm(&m, &gone, now + 1000000);
	timer_disarm(&m, &gone);
	ck_assert(gone.deadline == 0);
	/* no kicker: machine_wait's own timeout must catch every deadline */
	while (nfired < 3 && loops++ < 100)
		machine_wait(&m);
	ck_assert_int_eq(nfired, 3);
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(order[2], 0);
	ck_assert(fired_at[0] >= dl[1] && fired_at[1] >= dl[2] && fired_at[2] >= dl[0]);
	/* woken in time: well under a second late */
	ck_assert(fired_at[2] - dl[0] < 500000000ull);
	ck_assert_ptr_null(m.timers);
	bare_teardown();
}
END_TEST

START_TEST(test_kicker_kicks)
{
	struct timer t = {.fire = record_fire, .opaque = (void *)4};
	uint64_t start;

	bare_machine(NULL);
	nfired = 0;
	ck_assert_int_eq(event_start(&m), 0);
	timer_arm(&m, &t, util_now_ns() + 2000000);
	/* a "running guest" that only looks at events_pending */
	start = util_now_ns();
	while (!__atomic_load_n(&m.events_pending, __ATOMIC_SEQ_CST) &&
	       util_now_ns() - start < 2000000000ull)
		;
	ck_assert_int_eq(m.events_pending, 1);
	ck_assert_int_ge(__atomic_load_n(&kicks, __ATOMIC_SEQ_CST), 1);
	machine_service(&m);
	ck_assert_int_eq(nfired, 1);
	ck_assert_int_eq(m.events_pending, 0);
	event_stop(&m);
	ck_assert(!m.kicker_running);
	bare_teardown();
}
END_TEST

/* --- console input into the UART ----------------------------------------- */

static int uart_getc(void)
{
	if (!(bus_read(&m.io, 0x3f8 + 5, 1) & 1))
		return -1;
	return (int)bus_read(&m.io, 0x3f8, 1);
}

START_TEST(test_console_to_uart)
{
	static struct console con;
	int p[2];
	char got[64];
	int n = 0;
	uint64_t start;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(console_open(&con, p[0]), 0);
	bare_machine(&con);
	m.board.com1 = uart_create(machine_devhost(&m), 0x3f8, &m.isa_irq[4], NULL);
	ck_assert_int_eq(event_start(&m), 0);
	ck_assert_int_eq(write(p[1], "hi\x01\x01!", 5), 5);
	start = util_now_ns();
	while (n < 4 && util_now_ns() - start < 2000000000ull) {
		int c;

		machine_wait(&m);
		while ((c = uart_getc()) >= 0)
			got[n++] = (char)c;
	}
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(memcmp(got, "hi\x01!", 4), 0);
	/* more than the FIFO holds: the rest waits in the backlog */
	ck_assert_int_eq(write(p[1], "0123456789abcdefghijklmnopqrstuv", 32), 32);
	n = 0;
	start = util_now_ns();
	while (n < 32 && util_now_ns() - start < 2000000000ull) {
		int c;

		machine_wait(&m);
		while ((c = uart_getc()) >= 0)
			got[n++] = (char)c;
	}
	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(memcmp(got, "0123456789abcdefghijklmnopqrstuv", 32), 0);
	/* C-a x ends the run with EXIT_QUIT, status 0 */
	ck_assert_int_eq(write(p[1], "\x01x", 2), 2);
	start = util_now_ns();
	while (m.exit.reason == EXIT_NONE && util_now_ns() - start < 2000000000ull)
		machine_wait(&m);
	ck_assert_int_eq(m.exit.reason, EXIT_QUIT);
	ck_assert_int_eq(m.exit.status, 0);
	bare_teardown();
	console_close(&con);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_request_exit_first_wins)
{
	bare_machine(NULL);
	machine_request_exit(&m, EXIT_DEBUG_EXIT, 7, "first %d", 1);
	machine_request_exit(&m, EXIT_SHUTDOWN, 4, "second");
	ck_assert_int_eq(m.exit.reason, EXIT_DEBUG_EXIT);
	ck_assert_int_eq(m.exit.status, 7);
	ck_assert_str_eq(m.exit.message, "first 1");
	ck_assert_int_ge(__atomic_load_n(&kicks, __ATOMIC_SEQ_CST), 1);
	/* a halted vCPU is woken: machine_wait returns at once */
	machine_wait(&m);
	bare_teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("console");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_escape_keys);
	tcase_add_test(tc, test_timers_order);
	tcase_add_test(tc, test_kicker_kicks);
	tcase_add_test(tc, test_console_to_uart);
	tcase_add_test(tc, test_request_exit_first_wins);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
