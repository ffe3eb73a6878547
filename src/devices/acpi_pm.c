/*
 * acpi_pm.c - the ACPI PM1a event and control registers and the PM timer
 * (see acpi_pm.h; ACPI 1.0 section 4.7).
 */
#include "devices/acpi_pm.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>

#define PM1_SCI_EN (1u << 0)
#define PM1_SLP_EN (1u << 13)
#define PM_TMR_HZ  3579545ull

struct acpi_pm {
	struct device dev;
	struct devhost *h;
	uint16_t sts, en, cnt;
};

static struct acpi_pm *pm_of(struct device *dev)
{
	return (struct acpi_pm *)dev;
}

/* pm_timer: the free-running 24-bit counter. */
static uint32_t pm_timer(void)
{
	uint64_t ns = util_now_ns();

	return (uint32_t)((ns / 1000000000ull * PM_TMR_HZ +
			   ns % 1000000000ull * PM_TMR_HZ / 1000000000ull) &
			  0xffffff);
}

static uint64_t pm_read(struct device *dev, uint64_t off, unsigned size)
{
	struct acpi_pm *p = pm_of(dev);
	uint32_t v;

	switch (off & ~1ull) {
	case ACPI_PM1_EVT:
		v = p->sts;
		break;
	case ACPI_PM1_EVT + 2:
		v = p->en;
		break;
	case ACPI_PM1_CNT:
		v = p->cnt | PM1_SCI_EN;
		break;
	case ACPI_PM_TMR:
	case ACPI_PM_TMR + 2:
		v = pm_timer() >> ((off & 2) * 8);
		break;
	default:
		return ~0ull;
	}
	return (off & 1 ? v >> 8 : v) & (size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff);
}

static void pm_write(struct device *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct acpi_pm *p = pm_of(dev);

	if (size == 4 && off == ACPI_PM1_EVT) { /* status and enable together */
		pm_write(dev, off, 2, val & 0xffff);
		pm_write(dev, off + 2, 2, val >> 16);
		return;
	}
	switch (off) {
	case ACPI_PM1_EVT:
		p->sts &= (uint16_t)~val; /* write 1 to clear */
		break;
	case ACPI_PM1_EVT + 2:
		p->en = (uint16_t)val;
		break;
	case ACPI_PM1_CNT:
		p->cnt = (uint16_t)(val & ~PM1_SLP_EN);
		if ((val & PM1_SLP_EN) && ((val >> 10) & 7) == ACPI_S5_SLP_TYP)
			devhost_request_exit(p->h, EXIT_QUIT, 0, "%s", "");
		break;
	default:
		break;
	}
}

static void pm_reset(struct device *dev)
{
	struct acpi_pm *p = pm_of(dev);

	p->sts = p->en = p->cnt = 0;
}

static void pm_destroy(struct device *dev)
{
	free(pm_of(dev));
}

void acpi_pm_create(struct devhost *h)
{
	struct acpi_pm *p = devhost_new_device(sizeof(*p), &(struct device){.name = "acpi-pm",
									    .read = pm_read,
									    .write = pm_write,
									    .reset = pm_reset,
									    .destroy = pm_destroy});

	p->h = h;
	devhost_add_device(h, DEVHOST_IO, ACPI_PM_BASE, ACPI_PM_LEN, &p->dev);
}
