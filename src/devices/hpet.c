/* hpet.c - the HPET (see hpet.h; IA-PC HPET specification 1.0a). */
#include "devices/hpet.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "devices/ioapic.h"
#include "devices/irq.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

#define CFG_ENABLE  (1ull << 0)
#define CFG_LEGACY  (1ull << 1)
#define TN_LEVEL    (1ull << 1)
#define TN_ENABLE   (1ull << 2)
#define TN_PERIODIC (1ull << 3)
#define TN_PER_CAP  (1ull << 4)
#define TN_SIZE_CAP (1ull << 5)
#define TN_VAL_SET  (1ull << 6)
#define TN_32BIT    (1ull << 8)
#define TN_ROUTE(c) (((c) >> 9) & 0x1f)
#define TN_WRITABLE 0x7f4eull	  /* level, enable, periodic, val-set, 32-bit, route */
#define ROUTE_CAP   0x00fffff4ull /* IOAPIC pins 2 and 4-23 */
#define NS_PER_TICK (HPET_PERIOD_FS / 1000000u)

struct hpet_timer {
	struct hpet *owner;
	int n;
	uint64_t config, cmp, period;
	struct timer timer;
	bool level_high;
};

struct hpet {
	struct device dev;
	struct devhost *h;
	struct ioapic *io;
	struct irq_line *irq0, *irq8;
	uint64_t config, isr;
	uint64_t counter_base; /* counter value at base_ns (or frozen value) */
	uint64_t base_ns;
	struct hpet_timer t[HPET_TIMERS];
};

static struct hpet *hpet_of(struct device *dev)
{
	return (struct hpet *)dev;
}

bool hpet_legacy(const struct hpet *t)
{
	return (t->config & (CFG_ENABLE | CFG_LEGACY)) == (CFG_ENABLE | CFG_LEGACY);
}

/* hpet_counter: the main counter now. */
static uint64_t hpet_counter(const struct hpet *t)
{
	if (!(t->config & CFG_ENABLE))
		return t->counter_base;
	return t->counter_base + (util_now_ns() - t->base_ns) / NS_PER_TICK;
}

/* timer_irq: drive timer tm's interrupt output to level (an edge timer
 * gives a pulse when level is 1). */
static void timer_irq(struct hpet_timer *tm, int level)
{
	struct hpet *t = tm->owner;
	bool edge = !(tm->config & TN_LEVEL);

	if (hpet_legacy(t) && tm->n < 2) {
		struct irq_line *l = tm->n == 0 ? t->irq0 : t->irq8;
		if (edge && level)
			irq_pulse(l);
		else if (!edge)
			irq_set(l, level);
		return;
	}
	int pin = (int)TN_ROUTE(tm->config);
	if (edge && level) {
		ioapic_set_irq(t->io, pin, 1);
		ioapic_set_irq(t->io, pin, 0);
	} else if (!edge) {
		ioapic_set_irq(t->io, pin, level);
	}
}

/* timer_arm: the host timer for tm's next comparator match. */
static void timer_arm(struct hpet_timer *tm)
{
	struct hpet *t = tm->owner;
	uint64_t now = hpet_counter(t), delta;

	if (!(t->config & CFG_ENABLE)) {
		devhost_timer_disarm(t->h, &tm->timer);
		return;
	}
	if (tm->config & TN_32BIT)
		delta = (uint32_t)((uint32_t)tm->cmp - (uint32_t)now);
	else
		delta = tm->cmp - now;
	if (delta > (1ull << 40)) { /* in the past for a 64-bit counter: never */
		devhost_timer_disarm(t->h, &tm->timer);
		return;
	}
	devhost_timer_arm(t->h, &tm->timer,
			  t->base_ns + (now - t->counter_base + delta) * NS_PER_TICK);
}

/* timer_fire: the counter reached the comparator. */
static void timer_fire(struct timer *ht, uint64_t now_ns)
{
	struct hpet_timer *tm = ht->opaque;
	struct hpet *t = tm->owner;

	(void)now_ns;
	if (tm->config & TN_ENABLE) {
		if (tm->config & TN_LEVEL) {
			t->isr |= 1ull << tm->n;
			tm->level_high = true;
		}
		timer_irq(tm, 1);
	}
	if ((tm->config & TN_PERIODIC) && tm->period) {
		uint64_t c = hpet_counter(t);
		do /* periods missed while the host was busy are not replayed */
			tm->cmp += tm->period;
		while ((int64_t)(tm->cmp - c) <= 0);
		if (tm->config & TN_32BIT)
			tm->cmp = (uint32_t)tm->cmp;
	} else if (tm->config & TN_32BIT) {
		tm->cmp = (uint32_t)tm->cmp; /* next match: after a 32-bit wrap */
	}
	timer_arm(tm);
}

/* hpet_caps: the general capabilities and ID register. */
static uint64_t hpet_caps(void)
{
	return 0x01 | (uint64_t)(HPET_TIMERS - 1) << 8 | 1ull << 13 | 1ull << 15 | 0x8086ull << 16 |
	       (uint64_t)HPET_PERIOD_FS << 32;
}

/* hpet_reg: the 64-bit register at off (8-byte aligned). */
static uint64_t hpet_reg(struct hpet *t, unsigned off)
{
	if (off >= 0x100 && off < 0x100 + 0x20 * HPET_TIMERS) {
		struct hpet_timer *tm = &t->t[(off - 0x100) / 0x20];
		switch (off & 0x18) {
		case 0x00:
			return tm->config | ROUTE_CAP << 32;
		case 0x08:
			return tm->cmp;
		default:
			return 0; /* FSB route: no FSB delivery */
		}
	}
	switch (off) {
	case 0x000:
		return hpet_caps();
	case 0x010:
		return t->config;
	case 0x020:
		return t->isr;
	case 0x0f0:
		return hpet_counter(t);
	default:
		return 0;
	}
}

static uint64_t hpet_read(struct device *dev, uint64_t off, unsigned size)
{
	uint64_t v = hpet_reg(hpet_of(dev), (unsigned)off & ~7u);

	if (size == 8)
		return v;
	v >>= (off & 4) * 8;
	return size == 4 ? (uint32_t)v : v & ((1ull << (size * 8)) - 1);
}

/* hpet_set_config: the general configuration (enable, legacy routing). */
static void hpet_set_config(struct hpet *t, uint64_t v)
{
	uint64_t old = t->config;

	if ((old & CFG_ENABLE) && !(v & CFG_ENABLE))
		t->counter_base = hpet_counter(t); /* halt: the counter holds */
	else if (!(old & CFG_ENABLE) && (v & CFG_ENABLE))
		t->base_ns = util_now_ns();
	t->config = v & (CFG_ENABLE | CFG_LEGACY);
	for (int i = 0; i < HPET_TIMERS; i++)
		timer_arm(&t->t[i]);
}

/* hpet_set_timer: a write of v to register reg (0 config, 8 comparator)
 * of timer tm, 64 bits merged already. */
static void hpet_set_timer(struct hpet_timer *tm, unsigned reg, uint64_t v)
{
	if (reg == 0x00) {
		uint64_t old = tm->config;

		tm->config = (v & TN_WRITABLE) | TN_SIZE_CAP | (tm->n == 0 ? TN_PER_CAP : 0);
		if (tm->n != 0)
			tm->config &= ~TN_PERIODIC;
		if (tm->level_high &&
		    (!(tm->config & TN_ENABLE) || (old ^ tm->config) & TN_LEVEL)) {
			tm->level_high = false;
			timer_irq(tm, 0);
		}
	} else if (reg == 0x08) {
		if (tm->config & TN_32BIT)
			v = (uint32_t)v;
		if (!(tm->config & TN_PERIODIC) || (tm->config & TN_VAL_SET))
			tm->cmp = v;
		if (tm->config & TN_PERIODIC)
			tm->period = v;
		tm->config &= ~TN_VAL_SET;
	}
	timer_arm(tm);
}

static void hpet_write(struct device *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct hpet *t = hpet_of(dev);
	unsigned reg = (unsigned)off & ~7u;
	uint64_t old = hpet_reg(t, reg), v = val;

	if (size == 4) {
		unsigned sh = (off & 4) * 8;
		v = (old & ~(0xffffffffull << sh)) | (uint64_t)(uint32_t)val << sh;
	} else if (size != 8) {
		return;
	}
	if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_TIMERS) {
		hpet_set_timer(&t->t[(reg - 0x100) / 0x20], reg & 0x18, v);
		return;
	}
	switch (reg) {
	case 0x010:
		hpet_set_config(t, v);
		break;
	case 0x020: /* write 1 to clear a level timer's status */
		if (size == 4)
			val = off & 4 ? 0 : (uint32_t)val;
		for (int i = 0; i < HPET_TIMERS; i++)
			if ((val >> i & 1) && (t->isr >> i & 1)) {
				t->isr &= ~(1ull << i);
				t->t[i].level_high = false;
				timer_irq(&t->t[i], 0);
			}
		break;
	case 0x0f0:
		t->counter_base = v;
		t->base_ns = util_now_ns();
		for (int i = 0; i < HPET_TIMERS; i++)
			timer_arm(&t->t[i]);
		break;
	default:
		break;
	}
}

/* hpet_reset: halted at 0, every timer off, 32-bit capable, route cap. */
static void hpet_reset(struct device *dev)
{
	struct hpet *t = hpet_of(dev);

	t->config = t->isr = t->counter_base = 0;
	for (int i = 0; i < HPET_TIMERS; i++) {
		struct hpet_timer *tm = &t->t[i];

		devhost_timer_disarm(t->h, &tm->timer);
		tm->config = TN_SIZE_CAP | (i == 0 ? TN_PER_CAP : 0);
		tm->cmp = ~0ull;
		tm->period = 0;
		tm->level_high = false;
	}
}

static void hpet_destroy(struct device *dev)
{
	struct hpet *t = hpet_of(dev);

	for (int i = 0; i < HPET_TIMERS; i++)
		devhost_timer_disarm(t->h, &t->t[i].timer);
	free(t);
}

struct hpet *hpet_create(struct devhost *h, struct ioapic *io, struct irq_line *irq0,
			 struct irq_line *irq8)
{
	struct hpet *t = devhost_new_device(sizeof(*t), &(struct device){.name = "hpet",
									 .read = hpet_read,
									 .write = hpet_write,
									 .reset = hpet_reset,
									 .destroy = hpet_destroy});

	t->h = h;
	t->io = io;
	t->irq0 = irq0;
	t->irq8 = irq8;
	for (int i = 0; i < HPET_TIMERS; i++) {
		t->t[i].owner = t;
		t->t[i].n = i;
		t->t[i].timer.fire = timer_fire;
		t->t[i].timer.opaque = &t->t[i];
	}
	hpet_reset(&t->dev);
	devhost_add_device(h, DEVHOST_MMIO, HPET_BASE, 0x400, &t->dev);
	return t;
}
