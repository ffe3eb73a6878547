/*
 * exit.h - how a run ends: the reasons and every process exit status of
 * bt86, in one place (README "Exit status").
 *
 * A run ends through machine_request_exit() (monitor/machine/machine.h),
 * or devhost_request_exit() for a device: the first reason wins, the
 * engine is kicked and main() exits with the status that came with it.
 */
#ifndef BT86_EXIT_H
#define BT86_EXIT_H

/* Why a run ended. */
enum exit_reason {
	EXIT_NONE,
	EXIT_DEBUG_EXIT,    /* isa-debug-exit: status (v << 1) | 1 */
	EXIT_RESET,	    /* reboot requested (i8042, port 0x92, 0xcf9) */
	EXIT_SHUTDOWN,	    /* triple fault: message, status EXIT_STATUS_TRIPLE */
	EXIT_QUIT,	    /* Ctrl-A x on the console (status 0), a signal (128 + n) */
	EXIT_ENGINE_ERROR,  /* the engine cannot go on: status EXIT_STATUS_ENGINE */
	EXIT_GUEST_STOPPED, /* the guest stopped for good: EXIT_STATUS_GUEST */
};

/* The process exit statuses: 0 a clean end (reset with -no-reboot,
 * Ctrl-A x), (v << 1) | 1 the guest's isa-debug-exit value v, and these. */
#define EXIT_STATUS_OK	      0
#define EXIT_STATUS_USAGE     2		  /* a usage or input error, one line */
#define EXIT_STATUS_TRIPLE    4		  /* the guest triple-faulted: message + registers */
#define EXIT_STATUS_ENGINE    6		  /* the engine cannot run the guest: one line */
#define EXIT_STATUS_HOST      8		  /* a host failure (out of memory ...): one line */
#define EXIT_STATUS_GUEST     10	  /* a kernel panic, a HLT with interrupts off: one line */
#define EXIT_STATUS_BUG	      134	  /* die(): a monitor bug (abort, file:line) */
#define EXIT_STATUS_SIGNAL(n) (128 + (n)) /* ended by SIGINT/SIGTERM/SIGHUP */

#endif
