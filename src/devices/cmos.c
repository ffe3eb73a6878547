/*
 * cmos.c - the RTC and CMOS RAM (see cmos.h), after the Motorola
 * MC146818A data sheet and the IBM PC/AT CMOS map.
 *
 * The time registers are not stored while the clock runs: each read
 * computes them from cmos_clock() plus the guest's offset, in the format
 * register B asks for.  Setting register B's SET bit freezes a snapshot
 * in RAM that the guest edits; clearing it turns the edited registers
 * back into an offset.  A write to a time register while the clock runs
 * changes that field of the current time at once.
 *
 * Interrupts: the flags of register C (PF periodic, AF alarm, UF update
 * ended) are brought up to date lazily, when C is read and when the
 * device's machine timer fires; the timer is armed only while an enabled
 * source can raise IRQ8.  IRQF and the IRQ8 line stay up until C is read,
 * as on the real chip.  Several missed periods or seconds set a flag once.
 */
#include "devices/cmos.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

enum {
	RTC_SEC = 0x00,
	RTC_MIN = 0x02,
	RTC_HOUR = 0x04,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
	RTC_CENTURY = 0x32,
};

#define REGA_UIP  0x80
#define REGB_SET  0x80
#define REGB_INTS 0x78 /* PIE, AIE, UIE, SQWE */
#define RTC_IRQS  0x70 /* PF/PIE, AF/AIE, UF/UIE: same bits in B and C */
#define REGC_IRQF 0x80
#define REGC_PF	  0x40
#define REGC_AF	  0x20
#define REGC_UF	  0x10
#define NS	  1000000000ull
#define REGB_DM	  0x04 /* binary, not BCD */
#define REGB_24H  0x02
#define REGD_VRT  0x80
#define UIP_NS	  244000 /* UIP is set this long before each update */

struct cmos {
	struct device dev;
	struct devhost *h;
	struct irq_line *irq8;
	uint8_t ram[128];
	uint8_t index;
	bool nmi_masked;
	int64_t offset; /* guest time minus host time, seconds */
	struct timer timer;
	uint64_t last_sec; /* the clock second the update flags last saw */
	uint64_t next_pf;  /* clock ns of the next periodic flag, 0: off */
};

/* cmos_realtime: CLOCK_REALTIME in ns. */
static uint64_t cmos_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t (*cmos_clock)(void) = cmos_realtime;

/* cmos_enc / cmos_dec: a value in the data mode of register B. */
static uint8_t cmos_enc(const struct cmos *c, unsigned v)
{
	if (c->ram[RTC_REG_B] & REGB_DM)
		return v;
	return ((v / 10) << 4) | (v % 10);
}

static unsigned cmos_dec(const struct cmos *c, uint8_t v)
{
	if (c->ram[RTC_REG_B] & REGB_DM)
		return v;
	return (v >> 4) * 10 + (v & 0xf);
}

/* cmos_enc_hour / cmos_dec_hour: hours, 12-hour mode with bit 7 = PM. */
static uint8_t cmos_enc_hour(const struct cmos *c, unsigned h)
{
	unsigned h12 = h % 12 ? h % 12 : 12;

	if (c->ram[RTC_REG_B] & REGB_24H)
		return cmos_enc(c, h);
	return cmos_enc(c, h12) | (h >= 12 ? 0x80 : 0);
}

static unsigned cmos_dec_hour(const struct cmos *c, uint8_t v)
{
	if (c->ram[RTC_REG_B] & REGB_24H)
		return cmos_dec(c, v);
	return cmos_dec(c, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* cmos_time_reg: is idx one of the running clock's registers? */
static bool cmos_time_reg(unsigned idx)
{
	switch (idx) {
	case RTC_SEC:
	case RTC_MIN:
	case RTC_HOUR:
	case RTC_WDAY:
	case RTC_MDAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	}
	return false;
}

/* cmos_snapshot: write the current guest time into the time registers. */
static void cmos_snapshot(struct cmos *c)
{
	time_t t = (time_t)(cmos_clock() / 1000000000ull) + c->offset;
	struct tm tm;

	gmtime_r(&t, &tm);
	c->ram[RTC_SEC] = cmos_enc(c, tm.tm_sec);
	c->ram[RTC_MIN] = cmos_enc(c, tm.tm_min);
	c->ram[RTC_HOUR] = cmos_enc_hour(c, tm.tm_hour);
	c->ram[RTC_WDAY] = cmos_enc(c, tm.tm_wday + 1);
	c->ram[RTC_MDAY] = cmos_enc(c, tm.tm_mday);
	c->ram[RTC_MONTH] = cmos_enc(c, tm.tm_mon + 1);
	c->ram[RTC_YEAR] = cmos_enc(c, tm.tm_year % 100);
	c->ram[RTC_CENTURY] = cmos_enc(c, (tm.tm_year + 1900) / 100);
}

/* cmos_commit: the time registers become the guest's current time. */
static void cmos_commit(struct cmos *c)
{
	struct tm tm = {0};
	time_t t;

	tm.tm_sec = cmos_dec(c, c->ram[RTC_SEC]);
	tm.tm_min = cmos_dec(c, c->ram[RTC_MIN]);
	tm.tm_hour = cmos_dec_hour(c, c->ram[RTC_HOUR]);
	tm.tm_mday = cmos_dec(c, c->ram[RTC_MDAY]);
	tm.tm_mon = (int)cmos_dec(c, c->ram[RTC_MONTH]) - 1;
	tm.tm_year = cmos_dec(c, c->ram[RTC_CENTURY]) * 100 + cmos_dec(c, c->ram[RTC_YEAR]) - 1900;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return; /* nonsense date: keep the clock as it was */
	c->offset = (int64_t)t - (int64_t)(cmos_clock() / 1000000000ull);
}

/* cmos_period_ns: the periodic interrupt's period from register A, 0 when
 * off (rate 0, or the divider not at the 32.768 kHz time base). */
static uint64_t cmos_period_ns(const struct cmos *c)
{
	unsigned rate = c->ram[RTC_REG_A] & 0x0f;

	if (!rate || ((c->ram[RTC_REG_A] >> 4) & 7) != 2)
		return 0;
	if (rate <= 2)
		rate += 7; /* rates 1 and 2 repeat 8 and 9 */
	return (NS << (rate - 1)) / 32768;
}

/* cmos_alarm_hit: the alarm registers match the time registers (an alarm
 * byte with bits 7:6 set matches anything). */
static bool cmos_alarm_hit(const struct cmos *c)
{
	for (unsigned i = RTC_SEC; i <= RTC_HOUR; i += 2) {
		uint8_t a = c->ram[i + 1];
		if ((a & 0xc0) != 0xc0 && a != c->ram[i])
			return false;
	}
	return true;
}

/* cmos_update_irq: IRQF and IRQ8 from the flags and enables. */
static void cmos_update_irq(struct cmos *c)
{
	if (c->ram[RTC_REG_C] & c->ram[RTC_REG_B] & RTC_IRQS) {
		c->ram[RTC_REG_C] |= REGC_IRQF;
		if (c->irq8)
			irq_set(c->irq8, 1);
	}
}

/* cmos_update_flags: set the flags of the events that happened since the
 * last look: a new second (UF, and AF when the alarm matches it) while
 * the clock runs, a periodic tick (PF). */
static void cmos_update_flags(struct cmos *c)
{
	uint64_t now = cmos_clock(), period = cmos_period_ns(c);

	if (!(c->ram[RTC_REG_B] & REGB_SET) && now / NS != c->last_sec) {
		c->last_sec = now / NS;
		c->ram[RTC_REG_C] |= REGC_UF;
		cmos_snapshot(c);
		if (cmos_alarm_hit(c))
			c->ram[RTC_REG_C] |= REGC_AF;
	}
	if (!period) {
		c->next_pf = 0;
	} else if (!c->next_pf || now >= c->next_pf) {
		if (c->next_pf)
			c->ram[RTC_REG_C] |= REGC_PF;
		c->next_pf = (now / period + 1) * period;
	}
	cmos_update_irq(c);
}

/* cmos_rearm: aim the timer at the next event that can raise IRQ8, or
 * disarm it when none can (no source enabled, or IRQF already up). */
static void cmos_rearm(struct cmos *c)
{
	uint8_t b = c->ram[RTC_REG_B];
	uint64_t now = cmos_clock(), next = UINT64_MAX;

	if ((b & REGC_PF) && c->next_pf)
		next = c->next_pf;
	if ((b & (REGC_AF | REGC_UF)) && !(b & REGB_SET))
		next = MIN(next, (now / NS + 1) * NS);
	if (next == UINT64_MAX || (c->ram[RTC_REG_C] & REGC_IRQF)) {
		devhost_timer_disarm(c->h, &c->timer);
		return;
	}
	devhost_timer_arm(c->h, &c->timer, util_now_ns() + (next > now ? next - now : 0));
}

/* cmos_fire: the timer expired: update the flags, maybe raise IRQ8. */
static void cmos_fire(struct timer *t, uint64_t now_ns)
{
	struct cmos *c = t->opaque;

	cmos_update_flags(c);
	cmos_rearm(c);
}

/* cmos_read_reg: the value of register idx. */
static uint8_t cmos_read_reg(struct cmos *c, unsigned idx)
{
	bool running = !(c->ram[RTC_REG_B] & REGB_SET);
	uint8_t v;

	if (cmos_time_reg(idx) && running) {
		cmos_snapshot(c);
		return c->ram[idx];
	}
	switch (idx) {
	case RTC_REG_A:
		v = c->ram[RTC_REG_A] & 0x7f;
		if (running && cmos_clock() % 1000000000ull >= 1000000000ull - UIP_NS)
			v |= REGA_UIP;
		return v;
	case RTC_REG_C:
		cmos_update_flags(c);
		v = c->ram[RTC_REG_C];
		c->ram[RTC_REG_C] = 0;
		if (c->irq8)
			irq_set(c->irq8, 0);
		cmos_rearm(c);
		return v;
	case RTC_REG_D:
		return REGD_VRT;
	default:
		return c->ram[idx];
	}
}

/* cmos_write_reg: a guest write of v to register idx. */
static void cmos_write_reg(struct cmos *c, unsigned idx, uint8_t v)
{
	bool running = !(c->ram[RTC_REG_B] & REGB_SET);

	if (cmos_time_reg(idx)) {
		if (running)
			cmos_snapshot(c);
		c->ram[idx] = v;
		if (running)
			cmos_commit(c);
		return;
	}
	switch (idx) {
	case RTC_REG_A:
		c->ram[RTC_REG_A] = v & 0x7f;
		c->next_pf = 0;
		cmos_update_flags(c);
		cmos_rearm(c);
		break;
	case RTC_REG_B:
		if (running && (v & REGB_SET))
			cmos_snapshot(c);
		c->ram[RTC_REG_B] = v;
		if (!running && !(v & REGB_SET))
			cmos_commit(c);
		cmos_update_flags(c);
		cmos_rearm(c);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		c->ram[idx] = v;
		break;
	}
}

/* cmos_read / cmos_write: bus callbacks (0 = index port, 1 = data). */
static uint64_t cmos_read(struct device *dev, uint64_t off, unsigned size)
{
	struct cmos *c = (struct cmos *)dev;

	if (off == 0)
		return 0xff; /* the index register is write-only */
	return cmos_read_reg(c, c->index);
}

static void cmos_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct cmos *c = (struct cmos *)dev;

	if (off == 0) {
		c->index = value & 0x7f;
		c->nmi_masked = value & 0x80;
	} else {
		cmos_write_reg(c, c->index, value);
	}
}

/* cmos_put16: little-endian 16-bit value at idx, idx+1. */
static void cmos_put16(struct cmos *c, unsigned idx, uint64_t v)
{
	c->ram[idx] = v & 0xff;
	c->ram[idx + 1] = (v >> 8) & 0xff;
}

/* cmos_checksum: the standard checksum over 0x10-0x2d at 0x2e-0x2f. */
static void cmos_checksum(struct cmos *c)
{
	unsigned sum = 0;

	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += c->ram[i];
	c->ram[0x2e] = sum >> 8;
	c->ram[0x2f] = sum & 0xff;
}

void cmos_set_floppy(struct cmos *c, uint8_t type)
{
	c->ram[0x10] = (uint8_t)(type << 4);
	c->ram[0x14] = (uint8_t)((c->ram[0x14] & ~0xc1) | (type ? 0x01 : 0)); /* one drive */
	cmos_checksum(c);
}

/* cmos_init_ram: the contents a PC BIOS leaves: RAM sizes, equipment,
 * checksum, RTC in BCD 24-hour mode. */
static void cmos_init_ram(struct cmos *c, uint64_t ram_size)
{
	uint64_t ext = ram_size > 1 * MiB ? (ram_size - 1 * MiB) / KiB : 0;
	uint64_t high = ram_size > 16 * MiB ? (ram_size - 16 * MiB) / (64 * KiB) : 0;
	c->ram[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	c->ram[RTC_REG_B] = REGB_24H;
	c->ram[0x14] = 0x02;	  /* equipment: FPU present, VGA */
	cmos_put16(c, 0x15, 640); /* base memory, KiB */
	cmos_put16(c, 0x17, MIN(ext, 0xffff));
	cmos_put16(c, 0x30, MIN(ext, 0xffff));
	cmos_put16(c, 0x34, MIN(high, 0xffff));
	c->ram[0x5b] = c->ram[0x5c] = c->ram[0x5d] = 0; /* RAM above 4 GiB */
	cmos_checksum(c);
}

/* cmos_reset: the RESET pin: interrupt enables and flags cleared; the
 * battery-backed RAM and the clock keep their contents. */
static void cmos_reset(struct device *dev)
{
	struct cmos *c = (struct cmos *)dev;

	c->ram[RTC_REG_B] &= ~REGB_INTS;
	c->ram[RTC_REG_C] = 0;
	c->index = 0;
	c->nmi_masked = false;
	if (c->irq8)
		irq_set(c->irq8, 0);
	devhost_timer_disarm(c->h, &c->timer);
}

/* cmos_destroy: stop the timer and free the device. */
static void cmos_destroy(struct device *dev)
{
	struct cmos *c = (struct cmos *)dev;

	devhost_timer_disarm(c->h, &c->timer);
	free(c);
}

struct cmos *cmos_create(struct devhost *h, struct irq_line *irq8)
{
	struct cmos *c = devhost_new_device(sizeof(*c), &(struct device){.name = "cmos",
									 .read = cmos_read,
									 .write = cmos_write,
									 .reset = cmos_reset,
									 .destroy = cmos_destroy,
									 .byte_wide = true});
	c->h = h;
	c->irq8 = irq8;
	c->timer.fire = cmos_fire;
	c->timer.opaque = c;
	cmos_init_ram(c, devhost_ram_size(h));
	c->last_sec = cmos_clock() / NS;
	cmos_update_flags(c);
	devhost_add_device(h, DEVHOST_IO, 0x70, 2, &c->dev);
	return c;
}
