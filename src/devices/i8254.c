/*
 * i8254.c - the 8254 PIT and port 0x61 (see i8254.h), after the Intel
 * 82C54 data sheet.
 *
 * A counter is not decremented tick by tick: it remembers the PIT tick at
 * which it (re)started counting and derives its count and OUT from the
 * ticks elapsed since.  States:
 *   IDLE   control word written, no count yet (OUT low in mode 0, else high);
 *   WAIT   modes 1 and 5: count loaded, waiting for a gate trigger;
 *   RUN    counting, elapsed = now - start;
 *   PAUSE  gate low: elapsed frozen (modes 0 and 4 resume where they
 *          stopped; modes 2 and 3 hold OUT high and reload on the gate's
 *          rising edge).
 * Simplifications: a new count in modes 2 and 3 takes effect at once
 * instead of at the end of the current period, and the one clock of
 * count loading is not modelled.  Channel 0 delivers one IRQ0 edge per
 * timer expiry: ticks missed while the monitor was busy are not replayed.
 */
#include "devices/i8254.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stddef.h>
#include <stdlib.h>

uint64_t (*pit_clock)(void) = util_now_ns;

enum { PIT_IDLE, PIT_WAIT, PIT_RUN, PIT_PAUSE };

#define PIT_NEVER   UINT64_MAX
#define REFRESH_NS  15085 /* port 0x61 bit 4 toggles every 15.085 us */
#define P61_GATE2   0x01
#define P61_REFRESH 0x10
#define P61_OUT2    0x20

struct pit_channel {
	uint8_t mode, rw, bcd, state;
	uint32_t reload; /* 1..65536 (binary) or 1..10000 (BCD) */
	uint64_t start;	 /* RUN: tick at which elapsed was 0 */
	uint64_t frozen; /* PAUSE: elapsed ticks */
	bool gate, null_count;
	bool w_hi; /* lo/hi access: next write is the high byte */
	uint8_t w_low;
	bool r_hi; /* lo/hi access: next live read is the high byte */
	bool count_latched, latch_hi, status_latched;
	uint16_t latch;
	uint8_t status;
	uint64_t next_event; /* channel 0: tick of the next IRQ0 edge */
};

struct pit {
	struct device dev;	  /* 0x40-0x43 (owned by the machine) */
	struct device port61_dev; /* 0x61 */
	struct devhost *h;
	struct irq_line *irq0;
	struct timer timer;
	struct pit_channel ch[3];
	uint8_t port61; /* bits 3:0 as written */
};

#define pit_of(d, member) ((struct pit *)((char *)(d)-offsetof(struct pit, member)))

/* pit_ticks: PIT ticks elapsed at clock time ns. */
static uint64_t pit_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000u);
}

/* pit_tick_ns: the first clock time (ns) at which pit_ticks() >= t. */
static uint64_t pit_tick_ns(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)t * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

/* pit_now: the current PIT tick. */
static uint64_t pit_now(void)
{
	return pit_ticks(pit_clock());
}

/* bcd_to_bin / bin_to_bcd: four-digit BCD conversions. */
static uint32_t bcd_to_bin(uint32_t v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 12) & 0xf) * 1000;
}

static uint16_t bin_to_bcd(uint32_t v)
{
	return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12);
}

/* ch_modulus: the counter's wrap-around. */
static uint32_t ch_modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

/* ch_elapsed: ticks counted since the counter (re)started. */
static uint64_t ch_elapsed(const struct pit_channel *c, uint64_t now)
{
	return c->state == PIT_RUN ? now - c->start : c->frozen;
}

/* ch_count: the counting element's value (binary, 0 meaning the top). */
static uint32_t ch_count(const struct pit_channel *c, uint64_t now)
{
	uint32_t mod = ch_modulus(c), n = c->reload;
	uint64_t e = ch_elapsed(c, now);

	if (c->state == PIT_IDLE || c->state == PIT_WAIT)
		return n % mod;
	switch (c->mode) {
	case 2:
		return (n - e % n) % mod;
	case 3:
		return (n - (2 * e) % n) % mod;
	default: /* 0, 1, 4, 5: count down and wrap */
		return (n + mod - e % mod) % mod;
	}
}

/* ch_out: the OUT pin. */
static int ch_out(const struct pit_channel *c, uint64_t now)
{
	uint64_t n = c->reload, e = ch_elapsed(c, now);

	if (c->state == PIT_IDLE)
		return c->mode != 0;
	if (c->state == PIT_WAIT)
		return 1;
	if (c->state == PIT_PAUSE && (c->mode == 2 || c->mode == 3))
		return 1;
	switch (c->mode) {
	case 0:
	case 1:
		return e >= n;
	case 2:
		return n < 2 || e % n != n - 1;
	case 3:
		return e % n < (n + 1) / 2;
	default: /* 4, 5: low for one clock at terminal count */
		return e != n;
	}
}

/* ch_next_edge: the first tick after `after` at which OUT rises, or
 * PIT_NEVER. */
static uint64_t ch_next_edge(const struct pit_channel *c, uint64_t after)
{
	uint64_t n = c->reload, e;

	if (c->state != PIT_RUN)
		return PIT_NEVER;
	switch (c->mode) {
	case 2:
	case 3:
		e = after >= c->start ? after - c->start : 0;
		return c->start + (e / n + 1) * n;
	case 4:
	case 5:
		e = n + 1;
		break;
	default:
		e = n;
		break;
	}
	return c->start + e > after ? c->start + e : PIT_NEVER;
}

/* pit_ch0_rearm: channel 0 changed: aim the timer at its next IRQ0 edge. */
static void pit_ch0_rearm(struct pit *p, uint64_t now)
{
	struct pit_channel *c = &p->ch[0];

	c->next_event = ch_next_edge(c, now);
	if (c->next_event == PIT_NEVER)
		devhost_timer_disarm(p->h, &p->timer);
	else
		devhost_timer_arm(p->h, &p->timer, pit_tick_ns(c->next_event));
}

/* pit_fire: the channel 0 timer expired: raise IRQ0 (mode 0 holds it up,
 * as OUT stays high; the other modes pulse it) and aim at the next edge. */
static void pit_fire(struct timer *t, uint64_t now_ns)
{
	struct pit *p = t->opaque;
	struct pit_channel *c = &p->ch[0];
	uint64_t now = pit_now();

	if (c->next_event == PIT_NEVER || c->state != PIT_RUN)
		return;
	if (now < c->next_event) {
		devhost_timer_arm(p->h, &p->timer, pit_tick_ns(c->next_event));
		return;
	}
	if (c->mode == 0)
		irq_set(p->irq0, 1);
	else
		irq_pulse(p->irq0);
	pit_ch0_rearm(p, now);
}

/* ch_set_gate: the gate input of counter c changes to level. */
static void ch_set_gate(struct pit_channel *c, bool level, uint64_t now)
{
	if (level == c->gate)
		return;
	c->gate = level;
	switch (c->mode) {
	case 0:
	case 4:
	case 2:
	case 3:
		if (!level && c->state == PIT_RUN) {
			c->frozen = now - c->start;
			c->state = PIT_PAUSE;
		} else if (level && c->state == PIT_PAUSE) {
			bool resume = c->mode == 0 || c->mode == 4;
			c->start = now - (resume ? c->frozen : 0);
			c->state = PIT_RUN;
		}
		break;
	default: /* 1, 5: a rising edge (re)triggers */
		if (level && c->state != PIT_IDLE) {
			c->start = now;
			c->state = PIT_RUN;
		}
		break;
	}
}

/* ch_load: a complete count was written: start (or arm) the counter. */
static void ch_load(struct pit *p, struct pit_channel *c, uint32_t v, uint64_t now)
{
	if (c->bcd)
		v = bcd_to_bin(v);
	c->reload = v ? v : ch_modulus(c);
	c->null_count = false;
	if (c->mode == 1 || c->mode == 5) {
		if (c->state == PIT_IDLE)
			c->state = PIT_WAIT;
	} else if (c->gate) {
		c->state = PIT_RUN;
		c->start = now;
	} else {
		c->state = PIT_PAUSE;
		c->frozen = 0;
	}
	if (c == &p->ch[0]) {
		if (c->mode == 0)
			irq_set(p->irq0, 0);
		pit_ch0_rearm(p, now);
	}
}

/* ch_latch_count: the counter latch command (ignored while latched). */
static void ch_latch_count(struct pit_channel *c, uint64_t now)
{
	uint32_t v = ch_count(c, now);

	if (c->count_latched)
		return;
	c->latch = c->bcd ? bin_to_bcd(v) : v;
	c->count_latched = true;
	c->latch_hi = false;
}

/* ch_latch_status: the read-back status byte (ignored while latched). */
static void ch_latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status =
	    (ch_out(c, now) << 7) | (c->null_count << 6) | (c->rw << 4) | (c->mode << 1) | c->bcd;
	c->status_latched = true;
}

/* pit_control: a control word at port 0x43. */
static void pit_control(struct pit *p, uint8_t v, uint64_t now)
{
	unsigned sc = v >> 6, rw = (v >> 4) & 3;
	struct pit_channel *c;

	if (sc == 3) { /* read-back */
		for (int i = 0; i < 3; i++) {
			if (!(v & (2 << i)))
				continue;
			if (!(v & 0x20))
				ch_latch_count(&p->ch[i], now);
			if (!(v & 0x10))
				ch_latch_status(&p->ch[i], now);
		}
		return;
	}
	c = &p->ch[sc];
	if (rw == 0) {
		ch_latch_count(c, now);
		return;
	}
	c->rw = rw;
	c->mode = (v >> 1) & 7;
	if (c->mode >= 6)
		c->mode -= 4;
	c->bcd = v & 1;
	c->state = PIT_IDLE;
	c->null_count = true;
	c->count_latched = c->status_latched = false;
	c->w_hi = c->r_hi = false;
	if (sc == 0) {
		irq_set(p->irq0, 0);
		pit_ch0_rearm(p, now);
	}
}

/* ch_read: a read of counter c's data port. */
static uint8_t ch_read(struct pit_channel *c, uint64_t now)
{
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
		if (c->rw == 3 && !c->latch_hi) {
			c->latch_hi = true;
			return v & 0xff;
		}
		c->count_latched = false;
		return c->rw == 1 ? v & 0xff : v >> 8;
	}
	v = ch_count(c, now);
	if (c->bcd)
		v = bin_to_bcd(v);
	switch (c->rw) {
	case 2:
		return v >> 8;
	case 3:
		c->r_hi = !c->r_hi;
		return c->r_hi ? v & 0xff : v >> 8;
	default:
		return v & 0xff;
	}
}

/* ch_write: a write of counter c's data port. */
static void ch_write(struct pit *p, struct pit_channel *c, uint8_t v, uint64_t now)
{
	switch (c->rw) {
	case 1:
		ch_load(p, c, v, now);
		break;
	case 2:
		ch_load(p, c, (uint32_t)v << 8, now);
		break;
	case 3:
		if (!c->w_hi) {
			c->w_low = v;
			c->w_hi = true;
		} else {
			c->w_hi = false;
			ch_load(p, c, c->w_low | ((uint32_t)v << 8), now);
		}
		break;
	}
}

/* pit_read / pit_write: bus callbacks for 0x40-0x43. */
static uint64_t pit_read(struct device *dev, uint64_t off, unsigned size)
{
	struct pit *p = pit_of(dev, dev);

	if (off == 3)
		return 0xff; /* the control word register cannot be read */
	return ch_read(&p->ch[off], pit_now());
}

static void pit_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct pit *p = pit_of(dev, dev);

	if (off == 3)
		pit_control(p, value, pit_now());
	else
		ch_write(p, &p->ch[off], value, pit_now());
}

/* port61_read / port61_write: system control port B. */
static uint64_t port61_read(struct device *dev, uint64_t off, unsigned size)
{
	struct pit *p = pit_of(dev, port61_dev);
	uint64_t ns = pit_clock();
	uint8_t v = p->port61 & 0x0f;

	if ((ns / REFRESH_NS) & 1)
		v |= P61_REFRESH;
	if (ch_out(&p->ch[2], pit_ticks(ns)))
		v |= P61_OUT2;
	return v;
}

static void port61_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct pit *p = pit_of(dev, port61_dev);

	p->port61 = value & 0x0f;
	ch_set_gate(&p->ch[2], value & P61_GATE2, pit_now());
}

/* pit_reset: power-on state: every counter idle in mode 0, lo/hi access;
 * the gates of channels 0 and 1 are tied high, channel 2's is port 0x61
 * bit 0 (cleared). */
static void pit_reset(struct device *dev)
{
	struct pit *p = pit_of(dev, dev);

	for (int i = 0; i < 3; i++)
		p->ch[i] = (struct pit_channel){
		    .rw = 3, .reload = 65536, .gate = i != 2, .next_event = PIT_NEVER};
	p->port61 = 0;
	devhost_timer_disarm(p->h, &p->timer);
	irq_set(p->irq0, 0);
}

/* pit_destroy: stop the timer and free the PIT. */
static void pit_destroy(struct device *dev)
{
	struct pit *p = pit_of(dev, dev);

	devhost_timer_disarm(p->h, &p->timer);
	free(p);
}

struct pit *pit_create(struct devhost *h, struct irq_line *irq0)
{
	struct pit *p = devhost_new_device(sizeof(*p), &(struct device){.name = "i8254",
									.read = pit_read,
									.write = pit_write,
									.reset = pit_reset,
									.destroy = pit_destroy,
									.byte_wide = true});

	p->h = h;
	p->irq0 = irq0;
	p->timer.fire = pit_fire;
	p->timer.opaque = p;
	p->port61_dev = (struct device){
	    .name = "port61", .read = port61_read, .write = port61_write, .byte_wide = true};
	pit_reset(&p->dev);
	devhost_add_device(h, DEVHOST_IO, 0x40, 4, &p->dev);
	devhost_add_range(h, DEVHOST_IO, 0x61, 1, &p->port61_dev);
	return p;
}
