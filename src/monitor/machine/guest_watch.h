/*
 * guest_watch.h - the machine reads its serial console as a user would, to
 * end a run that cannot go on: a Linux kernel panic ("Kernel panic - not
 * syncing: ...") ends bt86 with EXIT_STATUS_GUEST and that line, once the
 * kernel has printed its report ("---[ end Kernel panic"), when it asks
 * for the reboot that panic=N / panic=-1 makes it do, or two seconds after
 * the panic line, whichever comes first.  A guest that wants to panic and
 * reboot for real has no way around it; docs/linux.md says why that is
 * the choice (a panicked guest rebooting in a loop helps nobody).
 */
#ifndef BT86_GUEST_WATCH_H
#define BT86_GUEST_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/devhost.h"

#define GUEST_WATCH_GRACE_NS 2000000000ull

struct machine;

struct guest_watch {
	char line[160]; /* the console line being written */
	unsigned len;
	bool panicked;	 /* a panic line was seen */
	char panic[160]; /* that line, without the kernel's timestamp */
	struct timer grace;
	uint64_t bytes; /* written so far (the text screen's auto mirror) */
};

/* guest_watch_byte: one byte the guest wrote to its serial console. */
void guest_watch_byte(struct machine *m, uint8_t b);
/* guest_watch_panicked: the panic line seen, or NULL. */
const char *guest_watch_panicked(const struct machine *m);
/* guest_watch_reset: forget everything (a reboot). */
void guest_watch_reset(struct machine *m);

#endif
