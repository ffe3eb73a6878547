/*
 * console.h - the host side of the serial console: the input file
 * descriptor (stdin), raw terminal mode, and the Ctrl-A escape keys.
 *
 * Input is read by the vCPU thread (event.c) into a small backlog, from
 * which bytes go to the UART as it has room.  Escape keys, as in QEMU:
 * Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h prints help; any
 * other key after Ctrl-A is dropped.
 *
 * When the input is a terminal it is put in raw mode (no echo, no line
 * editing, no CR->NL, no signal keys: Ctrl-C is a byte for the guest) and
 * made non-blocking; the
 * terminal settings and file status flags are restored at exit (atexit),
 * including the exits that follow SIGINT/SIGTERM (event.c turns those into
 * an orderly end of the run).
 */
#ifndef BT86_CONSOLE_H
#define BT86_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_BACKLOG 4096
#define CONSOLE_ESCAPE	0x01 /* Ctrl-A */

struct console {
	int fd;	       /* input, -1 when none */
	bool pollable; /* epoll accepts fd (not a regular file) */
	bool eof;      /* input ended: nothing more to read */
	bool escape;   /* the previous key was Ctrl-A */
	uint8_t buf[CONSOLE_BACKLOG];
	size_t head, len; /* unread bytes: buf[head .. head+len) */
};

/* What console_next() produced. */
enum console_key { CONSOLE_NONE, CONSOLE_BYTE, CONSOLE_QUIT };

/* console_open: take fd as console input: raw mode if it is a terminal,
 * O_NONBLOCK, restored at exit.  Returns 0 or -errno. */
int console_open(struct console *c, int fd);
/* console_close: restore the terminal now (idempotent). */
void console_close(struct console *c);
/* console_restore_tty: put the terminal back as found; async-signal-safe. */
void console_restore_tty(void);
/* console_read: one read() into the backlog's free room.  Returns the bytes
 * read, 0 at end of input (c->eof set), -EAGAIN when nothing is there,
 * -ENOBUFS when the backlog is full, or another -errno. */
long console_read(struct console *c);
/* console_push: append n bytes to the backlog (input that did not come from
 * fd, for tests); returns the bytes taken. */
size_t console_push(struct console *c, const uint8_t *buf, size_t n);
/* console_next: take the next backlog byte through the escape logic; sets
 * *out when it returns CONSOLE_BYTE.  CONSOLE_NONE when the backlog is
 * empty. */
enum console_key console_next(struct console *c, uint8_t *out);
/* console_room: free bytes in the backlog. */
size_t console_room(const struct console *c);

#endif
