/* vga_text.c - the text screen's ports and its mirror (see vga_text.h). */
#include "devices/vga_text.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define POLL_NS	 50000000ull
#define CRT_REGS 0x19

struct vga_text {
	struct device crt;    /* 0x3d4-0x3d5 */
	struct device mono;   /* 0x3b4-0x3b5 */
	struct device status; /* 0x3da */
	struct devhost *h;
	FILE *out;
	bool auto_quiet;
	uint8_t index, regs[CRT_REGS], retrace;
	char seen[VGA_ROWS][VGA_COLS + 1];    /* the rows as last compared */
	char printed[VGA_ROWS][VGA_COLS + 1]; /* what was written for each row */
	struct timer timer;
};

/* row_text: row r of the screen as text, trailing blanks cut. */
static void row_text(const uint8_t *cells, int r, char *dst)
{
	int n = 0;

	for (int c = 0; c < VGA_COLS; c++) {
		uint8_t ch = cells[(r * VGA_COLS + c) * 2];

		dst[c] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
		if (dst[c] != ' ')
			n = c + 1;
	}
	dst[n] = '\0';
}

/* mirror_scroll: how many rows the screen moved up since the last look
 * (0 if it did not; the largest k whose shifted rows match). */
static int mirror_scroll(struct vga_text *v, char now[VGA_ROWS][VGA_COLS + 1])
{
	for (int k = VGA_ROWS - 1; k > 0; k--) {
		bool same = true, any = false;

		for (int r = 0; r + k < VGA_ROWS && same; r++) {
			same = !strcmp(now[r], v->seen[r + k]);
			any |= now[r][0] != '\0';
		}
		if (same && any)
			return k;
	}
	return 0;
}

/* mirror: compare, follow a scroll, write finished rows (all rows when
 * final). */
static void mirror(struct vga_text *v, bool final)
{
	const uint8_t *cells = devhost_ram_ptr(v->h, VGA_TEXT_BASE, VGA_ROWS * VGA_COLS * 2);
	char now[VGA_ROWS][VGA_COLS + 1];
	int cursor = ((v->regs[0x0e] << 8) | v->regs[0x0f]) / VGA_COLS, last = -1;

	if (!cells || !v->out || (v->auto_quiet && devhost_serial_used(v->h)))
		return;
	for (int r = 0; r < VGA_ROWS; r++) {
		row_text(cells, r, now[r]);
		if (now[r][0])
			last = r;
	}
	int k = mirror_scroll(v, now);
	if (k) {
		memmove(v->printed, v->printed[k], sizeof(v->printed[0]) * (VGA_ROWS - k));
		memset(v->printed[VGA_ROWS - k], 0, sizeof(v->printed[0]) * k);
	}
	for (int r = 0; r < VGA_ROWS; r++) {
		bool finished = final || r < cursor || r < last;

		if (finished && now[r][0] && strcmp(now[r], v->printed[r])) {
			fprintf(v->out, "%s\n", now[r]);
			strcpy(v->printed[r], now[r]);
		}
	}
	fflush(v->out);
	memcpy(v->seen, now, sizeof(now));
}

static void poll_fire(struct timer *t, uint64_t now)
{
	struct vga_text *v = t->opaque;

	mirror(v, false);
	devhost_timer_arm(v->h, &v->timer, now + POLL_NS);
}

/* crt_of: the screen that owns one of its three port devices. */
static struct vga_text *crt_of(struct device *dev)
{
	if (!strcmp(dev->name, "vga-crt"))
		return (struct vga_text *)((char *)dev - offsetof(struct vga_text, crt));
	if (!strcmp(dev->name, "vga-crt-mono"))
		return (struct vga_text *)((char *)dev - offsetof(struct vga_text, mono));
	return (struct vga_text *)((char *)dev - offsetof(struct vga_text, status));
}

/* crt_read: index (0), data (1) of the CRT controller. */
static uint64_t crt_read(struct device *dev, uint64_t off, unsigned size)
{
	struct vga_text *v = crt_of(dev);

	if (off == 0)
		return v->index;
	return v->index < CRT_REGS ? v->regs[v->index] : 0xff;
}

static void crt_write(struct device *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct vga_text *v = crt_of(dev);

	if (off == 0)
		v->index = (uint8_t)val;
	else if (v->index < CRT_REGS)
		v->regs[v->index] = (uint8_t)val;
}

/* status_read: input status 1: display enable (0) and vertical retrace
 * (3) toggle on each read. */
static uint64_t status_read(struct device *dev, uint64_t off, unsigned size)
{
	struct vga_text *v = crt_of(dev);

	v->retrace ^= 0x09;
	return v->retrace;
}

static void status_write(struct device *dev, uint64_t off, unsigned size, uint64_t val)
{
}

/* vga_reset: cursor at 0, the mirror starts over (a new boot). */
static void vga_reset(struct device *dev)
{
	struct vga_text *v = crt_of(dev);

	v->index = 0;
	memset(v->regs, 0, sizeof(v->regs));
	memset(v->seen, 0, sizeof(v->seen));
	memset(v->printed, 0, sizeof(v->printed));
	devhost_timer_arm(v->h, &v->timer, util_now_ns() + POLL_NS);
}

/* vga_destroy: the last look (the run is over: everything is finished). */
static void vga_destroy(struct device *dev)
{
	struct vga_text *v = crt_of(dev);

	mirror(v, true);
	devhost_timer_disarm(v->h, &v->timer);
	free(v);
}

void vga_text_create(struct devhost *h, FILE *out, bool auto_quiet)
{
	struct vga_text *v = devhost_new_device(sizeof(*v), &(struct device){.name = "vga-crt",
									     .read = crt_read,
									     .write = crt_write,
									     .reset = vga_reset,
									     .destroy = vga_destroy,
									     .byte_wide = true});

	v->h = h;
	v->out = out;
	v->auto_quiet = auto_quiet;
	v->mono = (struct device){
	    .name = "vga-crt-mono", .read = crt_read, .write = crt_write, .byte_wide = true};
	v->status = (struct device){
	    .name = "vga-status", .read = status_read, .write = status_write, .byte_wide = true};
	v->timer.fire = poll_fire;
	v->timer.opaque = v;
	devhost_add_device(h, DEVHOST_IO, 0x3d4, 2, &v->crt);
	devhost_add_range(h, DEVHOST_IO, 0x3b4, 2, &v->mono);
	devhost_add_range(h, DEVHOST_IO, 0x3da, 1, &v->status);
	devhost_timer_arm(h, &v->timer, util_now_ns() + POLL_NS);
}
