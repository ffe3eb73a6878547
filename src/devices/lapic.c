/* lapic.c - the local APIC (see lapic.h; SDM vol. 3, chapter 11). */
#include "devices/lapic.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_N };

#define LVT_MASKED	 (1u << 16)
#define LVT_MODE(v)	 (((v) >> 8) & 7)
#define MODE_FIXED	 0
#define MODE_LOWEST	 1
#define MODE_NMI	 4
#define MODE_EXTINT	 7
#define TIMER_MODE(v)	 (((v) >> 17) & 3)
#define TIMER_PERIODIC	 1
#define TIMER_DEADLINE	 2
#define SVR_ENABLE	 (1u << 8)
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define LAPIC_VERSION	 0x00050014u /* version 0x14, max LVT entry 5 */

struct lapic {
	struct device dev;
	struct devhost *h;
	void (*eoi)(void *opaque, uint8_t vector);
	void *eoi_opaque;
	bool msr_enabled;
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
	uint32_t lvt[LVT_N];
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t initial, dcr;
	uint64_t start_ns;     /* when the current count was loaded */
	uint64_t tsc_deadline; /* TSC-deadline mode: armed value, 0 none */
	struct timer timer;
};

static struct lapic *lapic_of(struct device *dev)
{
	return (struct lapic *)dev;
}

/* highest: the highest vector set in a 256-bit register, -1 if none. */
static int highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static void bit_set(uint32_t *r, unsigned v)
{
	r[v / 32] |= 1u << (v % 32);
}

static void bit_clear(uint32_t *r, unsigned v)
{
	r[v / 32] &= ~(1u << (v % 32));
}

static bool bit_test(const uint32_t *r, unsigned v)
{
	return r[v / 32] >> (v % 32) & 1;
}

/* lapic_ppr: the processor priority (SDM 11.8.3.1). */
static uint32_t lapic_ppr(const struct lapic *a)
{
	int isrv = highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

static bool sw_enabled(const struct lapic *a)
{
	return a->msr_enabled && (a->svr & SVR_ENABLE);
}

bool lapic_intr_pending(const struct lapic *a)
{
	int irrv = highest(a->irr);

	return sw_enabled(a) && irrv >= 0 && ((uint32_t)irrv & 0xf0) > (lapic_ppr(a) & 0xf0);
}

int lapic_intr_ack(struct lapic *a)
{
	if (!lapic_intr_pending(a))
		return (int)(a->svr & 0xff);
	int v = highest(a->irr);

	bit_clear(a->irr, (unsigned)v);
	bit_set(a->isr, (unsigned)v);
	return v;
}

bool lapic_pic_through(const struct lapic *a)
{
	uint32_t l = a->lvt[LVT_LINT0];

	return !a->msr_enabled || (LVT_MODE(l) == MODE_EXTINT && !(l & LVT_MASKED));
}

void lapic_deliver(struct lapic *a, uint8_t vector, bool level)
{
	if (vector < 16) {
		a->esr_pending |= ESR_RECV_ILLEGAL;
		return;
	}
	if (!sw_enabled(a))
		return; /* a software-disabled APIC takes no fixed interrupt */
	bit_set(a->irr, vector);
	if (level)
		bit_set(a->tmr, vector);
	else
		bit_clear(a->tmr, vector);
}

bool lapic_match(const struct lapic *a, uint8_t dest, bool logical)
{
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == 0; /* APIC ID 0 */
	uint8_t ld = (uint8_t)(a->ldr >> 24);

	if ((a->dfr >> 28) == 0xf) /* flat model */
		return (ld & dest) != 0;
	return (ld >> 4) == (dest >> 4) && (ld & dest & 0xf) != 0; /* cluster */
}

/* --- the timer -------------------------------------------------------- */

/* timer_div: the divide configuration as a divisor (1 to 128). */
static uint64_t timer_div(const struct lapic *a)
{
	unsigned v = (a->dcr & 3) | ((a->dcr >> 1) & 4);

	return 1ull << ((v + 1) & 7);
}

static uint64_t period_ns(const struct lapic *a)
{
	return (uint64_t)a->initial * timer_div(a) * 1000000000ull / LAPIC_BUS_HZ;
}

/* timer_current: the current-count register now. */
static uint32_t timer_current(const struct lapic *a)
{
	if (!a->initial || TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_DEADLINE)
		return 0;
	uint64_t elapsed =
	    (util_now_ns() - a->start_ns) * LAPIC_BUS_HZ / 1000000000ull / timer_div(a);

	if (TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_PERIODIC)
		return a->initial - (uint32_t)(elapsed % a->initial);
	return elapsed >= a->initial ? 0 : a->initial - (uint32_t)elapsed;
}

/* timer_fire: the count reached 0 (or the TSC the deadline). */
static void timer_fire(struct timer *t, uint64_t now)
{
	struct lapic *a = t->opaque;
	uint32_t lvt = a->lvt[LVT_TIMER];

	if (!(lvt & LVT_MASKED))
		lapic_deliver(a, (uint8_t)lvt, false);
	if (TIMER_MODE(lvt) == TIMER_DEADLINE) {
		a->tsc_deadline = 0;
	} else if (TIMER_MODE(lvt) == TIMER_PERIODIC && a->initial) {
		uint64_t p = period_ns(a);

		a->start_ns += (now - a->start_ns) / p * p; /* ticks missed are not replayed */
		devhost_timer_arm(a->h, &a->timer, a->start_ns + p);
	}
}

/* timer_load: a new initial count (0 stops the timer). */
static void timer_load(struct lapic *a, uint32_t count)
{
	a->initial = count;
	a->start_ns = util_now_ns();
	if (!count || TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_DEADLINE)
		devhost_timer_disarm(a->h, &a->timer);
	else
		devhost_timer_arm(a->h, &a->timer, a->start_ns + period_ns(a));
}

void lapic_tsc_deadline(struct lapic *a, uint64_t tsc, uint64_t at_ns)
{
	if (TIMER_MODE(a->lvt[LVT_TIMER]) != TIMER_DEADLINE)
		return; /* ignored in the other modes (SDM 11.5.4.1) */
	a->tsc_deadline = tsc;
	if (tsc)
		devhost_timer_arm(a->h, &a->timer, at_ns ? at_ns : 1);
	else
		devhost_timer_disarm(a->h, &a->timer);
}

uint64_t lapic_tsc_deadline_value(const struct lapic *a)
{
	return TIMER_MODE(a->lvt[LVT_TIMER]) == TIMER_DEADLINE ? a->tsc_deadline : 0;
}

/* --- registers -------------------------------------------------------- */

/* lapic_eoi: the highest vector in service is done. */
static void lapic_eoi(struct lapic *a)
{
	int v = highest(a->isr);

	if (v < 0)
		return;
	bit_clear(a->isr, (unsigned)v);
	if (bit_test(a->tmr, (unsigned)v)) {
		bit_clear(a->tmr, (unsigned)v);
		if (a->eoi)
			a->eoi(a->eoi_opaque, (uint8_t)v);
	}
}

/* lapic_send_ipi: the ICR was written: a message to this CPU if the
 * destination or shorthand names it (there is no other CPU). */
static void lapic_send_ipi(struct lapic *a)
{
	uint32_t lo = a->icr_lo, shorthand = (lo >> 18) & 3;
	uint8_t vector = (uint8_t)lo;
	bool to_self =
	    shorthand == 1 || shorthand == 2 ||
	    (shorthand == 0 && lapic_match(a, (uint8_t)(a->icr_hi >> 24), lo & (1u << 11)));

	if (!to_self)
		return;
	switch (LVT_MODE(lo)) {
	case MODE_FIXED:
	case MODE_LOWEST:
		if (vector < 16)
			a->esr_pending |= ESR_SEND_ILLEGAL;
		lapic_deliver(a, vector, false);
		break;
	case MODE_NMI:
		devhost_raise_nmi(a->h);
		break;
	default: /* SMI, INIT, SIPI to itself: nothing to start */
		break;
	}
}

/* lapic_write_lvt: LVT entry i; masked while the APIC is software-disabled. */
static void lapic_write_lvt(struct lapic *a, int i, uint32_t v)
{
	static const uint32_t writable[LVT_N] = {0x700ff, 0x107ff, 0x107ff,
						 0x1a7ff, 0x1a7ff, 0x100ff};
	uint32_t old = a->lvt[i];

	a->lvt[i] = v & writable[i];
	if (!(a->svr & SVR_ENABLE))
		a->lvt[i] |= LVT_MASKED;
	if (i == LVT_TIMER && TIMER_MODE(old) != TIMER_MODE(a->lvt[i])) {
		a->tsc_deadline = 0; /* a mode change stops the timer */
		a->initial = 0;
		devhost_timer_disarm(a->h, &a->timer);
	}
}

static uint32_t reg_read(struct lapic *a, unsigned reg)
{
	if (reg >= 0x100 && reg < 0x280) {
		const uint32_t *r = reg < 0x180 ? a->isr : reg < 0x200 ? a->tmr : a->irr;
		return r[(reg & 0x7f) >> 4];
	}
	if (reg >= 0x320 && reg <= 0x370)
		return a->lvt[(reg - 0x320) >> 4];
	switch (reg) {
	case 0x20:
		return 0; /* APIC ID 0 */
	case 0x30:
		return LAPIC_VERSION;
	case 0x80:
		return a->tpr;
	case 0xa0:
		return lapic_ppr(a);
	case 0xd0:
		return a->ldr;
	case 0xe0:
		return a->dfr;
	case 0xf0:
		return a->svr;
	case 0x280:
		return a->esr;
	case 0x300:
		return a->icr_lo & ~(1u << 12); /* delivery status: idle */
	case 0x310:
		return a->icr_hi;
	case 0x380:
		return a->initial;
	case 0x390:
		return timer_current(a);
	case 0x3e0:
		return a->dcr;
	default:
		return 0; /* APR, RRD, reserved */
	}
}

static void reg_write(struct lapic *a, unsigned reg, uint32_t v)
{
	if (reg >= 0x320 && reg <= 0x370) {
		lapic_write_lvt(a, (int)(reg - 0x320) >> 4, v);
		return;
	}
	switch (reg) {
	case 0x80:
		a->tpr = v & 0xff;
		break;
	case 0xb0:
		lapic_eoi(a);
		break;
	case 0xd0:
		a->ldr = v & 0xff000000u;
		break;
	case 0xe0:
		a->dfr = v | 0x0fffffffu;
		break;
	case 0xf0:
		a->svr = v & 0x3ff;
		if (!(a->svr & SVR_ENABLE))
			for (int i = 0; i < LVT_N; i++)
				a->lvt[i] |= LVT_MASKED;
		break;
	case 0x280:
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		break;
	case 0x300:
		a->icr_lo = v & 0x000ccfffu;
		lapic_send_ipi(a);
		break;
	case 0x310:
		a->icr_hi = v & 0xff000000u;
		break;
	case 0x380:
		timer_load(a, v);
		break;
	case 0x3e0:
		a->dcr = v & 0xb;
		break;
	default: /* read-only and reserved registers */
		break;
	}
}

/* lapic_read: registers are 32 bits at 16-byte steps; a narrower read
 * gives bytes of the register it falls in. */
static uint64_t lapic_read(struct device *dev, uint64_t off, unsigned size)
{
	uint32_t v = reg_read(lapic_of(dev), (unsigned)off & 0xff0);
	unsigned shift = ((unsigned)off & 3) * 8;

	if ((off & 0xf) >= 4)
		return 0;
	v >>= shift;
	return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

/* lapic_write: only whole 32-bit writes at a register act (SDM 11.4.1). */
static void lapic_write(struct device *dev, uint64_t off, unsigned size, uint64_t val)
{
	if ((off & 0xf) || size < 4)
		return;
	reg_write(lapic_of(dev), (unsigned)off & 0xff0, (uint32_t)val);
}

void lapic_set_base_msr(struct lapic *a, uint64_t val)
{
	bool en = val & LAPIC_BASE_MSR_EN;

	if (a->msr_enabled && !en) { /* a global disable resets the APIC's state */
		memset(a->irr, 0, sizeof(a->irr));
		memset(a->isr, 0, sizeof(a->isr));
		memset(a->tmr, 0, sizeof(a->tmr));
		a->svr = 0xff;
		for (int i = 0; i < LVT_N; i++)
			a->lvt[i] = LVT_MASKED;
		a->initial = 0;
		a->tsc_deadline = 0;
		devhost_timer_disarm(a->h, &a->timer);
	}
	a->msr_enabled = en;
}

/* lapic_reset: as a BIOS leaves it: enabled in the MSR, software-disabled
 * (SVR 0xff), LINT0 ExtINT and LINT1 NMI unmasked ("virtual wire"). */
static void lapic_reset(struct device *dev)
{
	struct lapic *a = lapic_of(dev);

	devhost_timer_disarm(a->h, &a->timer);
	memset(&a->msr_enabled, 0, sizeof(*a) - offsetof(struct lapic, msr_enabled));
	a->msr_enabled = true;
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	for (int i = 0; i < LVT_N; i++)
		a->lvt[i] = LVT_MASKED;
	a->lvt[LVT_LINT0] = MODE_EXTINT << 8;
	a->lvt[LVT_LINT1] = MODE_NMI << 8;
	a->timer.fire = timer_fire;
	a->timer.opaque = a;
}

static void lapic_destroy(struct device *dev)
{
	struct lapic *a = lapic_of(dev);

	devhost_timer_disarm(a->h, &a->timer);
	free(a);
}

struct lapic *lapic_create(struct devhost *h, void (*eoi)(void *opaque, uint8_t vector),
			   void *opaque)
{
	struct lapic *a =
	    devhost_new_device(sizeof(*a), &(struct device){.name = "lapic",
							    .read = lapic_read,
							    .write = lapic_write,
							    .reset = lapic_reset,
							    .destroy = lapic_destroy});

	a->h = h;
	a->eoi = eoi;
	a->eoi_opaque = opaque;
	lapic_reset(&a->dev);
	devhost_add_device(h, DEVHOST_MMIO, LAPIC_BASE, 0x1000, &a->dev);
	return a;
}
