/* console.c - console input, raw terminal mode, escape keys (see console.h). */
#include "monitor/machine/console.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* What to restore at exit: one console per process. */
static struct {
	int fd;
	bool have_termios;
	struct termios termios;
	int fl;
	bool registered;
} saved = {.fd = -1};

void console_restore_tty(void)
{
	if (saved.fd < 0)
		return;
	if (saved.have_termios)
		tcsetattr(saved.fd, TCSANOW, &saved.termios);
	fcntl(saved.fd, F_SETFL, saved.fl);
	saved.fd = -1;
}

/* console_raw: raw input (no echo, no canonical mode, no CR/NL mapping, no
 * flow control, no signal keys: Ctrl-C, Ctrl-Z and Ctrl-\ are bytes for the
 * guest, as on a serial line); output post-processing stays on. */
static int console_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &saved.termios) < 0)
		return -errno;
	saved.have_termios = true;
	t = saved.termios;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

int console_open(struct console *c, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (fl < 0)
		return -errno;
	saved.fd = fd;
	saved.fl = fl;
	saved.have_termios = false;
	if (!saved.registered) {
		atexit(console_restore_tty);
		saved.registered = true;
	}
	if (isatty(fd) && console_raw(fd) < 0)
		util_error("cannot put the terminal in raw mode: %s", strerror(errno));
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = -errno;
		console_restore_tty();
		return err;
	}
	c->fd = fd;
	c->pollable = true;
	return 0;
}

void console_close(struct console *c)
{
	if (c->fd >= 0 && c->fd == saved.fd)
		console_restore_tty();
	c->fd = -1;
}

size_t console_room(const struct console *c)
{
	return CONSOLE_BACKLOG - c->len;
}

/* console_compact: move the unread bytes to the start of buf. */
static void console_compact(struct console *c)
{
	if (c->head) {
		memmove(c->buf, c->buf + c->head, c->len);
		c->head = 0;
	}
}

long console_read(struct console *c)
{
	ssize_t n;

	if (c->fd < 0 || c->eof)
		return 0;
	if (!console_room(c))
		return -ENOBUFS;
	console_compact(c);
	n = read(c->fd, c->buf + c->len, console_room(c));
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		c->eof = true;
	c->len += n;
	return n;
}

size_t console_push(struct console *c, const uint8_t *buf, size_t n)
{
	n = MIN(n, console_room(c));
	console_compact(c);
	memcpy(c->buf + c->len, buf, n);
	c->len += n;
	return n;
}

/* console_escape_help: the Ctrl-A h text (CR LF: the terminal is raw). */
static void console_escape_help(void)
{
	static const char help[] = "\r\nC-a x    exit bt86\r\n"
				   "C-a C-a  send C-a to the guest\r\n"
				   "C-a h    this help\r\n";
	fputs(help, stderr);
}

enum console_key console_next(struct console *c, uint8_t *out)
{
	while (c->len) {
		uint8_t b = c->buf[c->head++];

		c->len--;
		if (!c->len)
			c->head = 0;
		if (!c->escape) {
			if (b == CONSOLE_ESCAPE) {
				c->escape = true;
				continue;
			}
			*out = b;
			return CONSOLE_BYTE;
		}
		c->escape = false;
		if (b == CONSOLE_ESCAPE) {
			*out = b;
			return CONSOLE_BYTE;
		}
		if (b == 'x' || b == 'X')
			return CONSOLE_QUIT;
		if (b == 'h' || b == 'H')
			console_escape_help();
	}
	return CONSOLE_NONE;
}
