/* guest_watch.c - a kernel panic on the serial console ends the run (see
 * guest_watch.h). */
#include "monitor/machine/guest_watch.h"
#include "monitor/machine/machine.h"
#include "monitor/base/exit.h"
#include "monitor/base/util.h"

#include <string.h>

#define PANIC_MARK "Kernel panic - not syncing"
#define PANIC_END  "---[ end Kernel panic"

/* watch_stop: end the run with the panic line. */
static void watch_stop(struct machine *m)
{
	machine_request_exit(m, EXIT_GUEST_STOPPED, EXIT_STATUS_GUEST, "guest kernel panic: %s",
			     m->watch.panic);
}

/* watch_grace: the kernel said no more after its panic line. */
static void watch_grace(struct timer *t, uint64_t now)
{
	(void)now;
	watch_stop(t->opaque);
}

/* watch_line: a complete console line (NUL-terminated, no newline). */
static void watch_line(struct machine *m, char *line)
{
	struct guest_watch *w = &m->watch;
	char *at;

	if (w->panicked) {
		if (strstr(line, PANIC_END))
			watch_stop(m);
		return;
	}
	at = strstr(line, PANIC_MARK);
	if (!at)
		return;
	w->panicked = true;
	strncpy(w->panic, at, sizeof(w->panic) - 1);
	w->panic[strcspn(w->panic, "\r")] = '\0';
	w->grace.fire = watch_grace;
	w->grace.opaque = m;
	timer_arm(m, &w->grace, util_now_ns() + GUEST_WATCH_GRACE_NS);
}

void guest_watch_byte(struct machine *m, uint8_t b)
{
	struct guest_watch *w = &m->watch;

	w->bytes++;
	if (b == '\n') {
		w->line[w->len] = '\0';
		watch_line(m, w->line);
		w->len = 0;
	} else if (w->len < sizeof(w->line) - 1) {
		w->line[w->len++] = (char)(b ? b : ' ');
	}
}

const char *guest_watch_panicked(const struct machine *m)
{
	return m->watch.panicked ? m->watch.panic : NULL;
}

void guest_watch_reset(struct machine *m)
{
	timer_disarm(m, &m->watch.grace);
	memset(&m->watch, 0, sizeof(m->watch));
}
