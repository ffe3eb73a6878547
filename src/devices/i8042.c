/*
 * i8042.c - the PS/2 keyboard controller (see i8042.h), after the IBM
 * PC/AT technical reference and the 8042 command set.
 *
 * Everything the controller or the keyboard answers goes through one
 * output buffer queue read at port 0x60; status bit 0 (OBF) says it is
 * non-empty, and IRQ1 follows OBF while command-byte bit 0 enables it
 * (re-raised for each byte, so an edge-triggered PIC sees every one).
 */
#include "devices/i8042.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stddef.h>
#include <stdlib.h>

#define KBD_QUEUE 16

#define ST_OBF	0x01
#define ST_SYS	0x04
#define ST_CMD	0x08 /* last write went to the command port */
#define ST_UNLK 0x10 /* keyboard not inhibited */

#define CTR_KBDINT 0x01
#define CTR_SYS	   0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40

#define OUT_RESET 0x01 /* 0 = CPU reset asserted */
#define OUT_A20	  0x02
#define OUT_OBF	  0x10

#define KBD_ACK 0xfa

struct i8042 {
	struct device dev;     /* port 0x60 (owned by the machine) */
	struct device cmd_dev; /* port 0x64 */
	struct devhost *h;
	struct irq_line *irq1;
	uint8_t queue[KBD_QUEUE];
	unsigned head, count;
	uint8_t last;	     /* the last byte read from 0x60 */
	uint8_t ctr;	     /* command byte */
	uint8_t outport;     /* output port; A20 in bit 1 */
	uint8_t pending_cmd; /* controller command waiting for its data byte */
	uint8_t kbd_cmd;     /* keyboard command waiting for its argument */
	uint8_t scanset;
	bool last_was_cmd;
};

#define kbd_of_cmd(d) ((struct i8042 *)((char *)(d)-offsetof(struct i8042, cmd_dev)))

/* kbd_update_irq: IRQ1 follows OBF when the command byte enables it. */
static void kbd_update_irq(struct i8042 *k)
{
	if (k->irq1)
		irq_set(k->irq1, k->count && (k->ctr & CTR_KBDINT));
}

/* kbd_push: queue a byte for the guest (dropped when the queue is full). */
static void kbd_push(struct i8042 *k, uint8_t b)
{
	if (k->count == KBD_QUEUE)
		return;
	k->queue[(k->head + k->count) % KBD_QUEUE] = b;
	k->count++;
	kbd_update_irq(k);
}

/* kbd_pop: the next queued byte; the last one again when none waits. */
static uint8_t kbd_pop(struct i8042 *k)
{
	if (k->count) {
		k->last = k->queue[k->head];
		k->head = (k->head + 1) % KBD_QUEUE;
		k->count--;
		if (k->irq1)
			irq_set(k->irq1, 0); /* a fresh edge for the next byte */
		kbd_update_irq(k);
	}
	return k->last;
}

/* kbd_write_outport: the output port changes; a low bit 0 resets the CPU,
 * bit 1 is one of the A20 gates. */
static void kbd_write_outport(struct i8042 *k, uint8_t v)
{
	k->outport = v;
	devhost_set_a20(k->h, DEVHOST_A20_KBD, v & OUT_A20);
	if (!(v & OUT_RESET))
		devhost_request_exit(k->h, EXIT_RESET, 0, "reset by i8042");
}

/* kbd_keyboard: a byte sent to the keyboard itself: every command is
 * acknowledged; reset also reports a passed self-test (0xAA), identify
 * reports an MF2 keyboard, and LED/typematic/scan-set commands take one
 * argument byte. */
static void kbd_keyboard(struct i8042 *k, uint8_t v)
{
	if (k->kbd_cmd) {
		bool query = k->kbd_cmd == 0xf0 && v == 0;
		if (k->kbd_cmd == 0xf0 && v >= 1 && v <= 3)
			k->scanset = v;
		k->kbd_cmd = 0;
		kbd_push(k, KBD_ACK);
		if (query)
			kbd_push(k, k->scanset);
		return;
	}
	switch (v) {
	case 0xff: /* reset */
		k->scanset = 2;
		kbd_push(k, KBD_ACK);
		kbd_push(k, 0xaa);
		break;
	case 0xee: /* echo */
		kbd_push(k, 0xee);
		break;
	case 0xf2: /* identify */
		kbd_push(k, KBD_ACK);
		kbd_push(k, 0xab);
		kbd_push(k, (k->ctr & CTR_XLATE) ? 0x41 : 0x83);
		break;
	case 0xed: /* set LEDs */
	case 0xf0: /* scan code set */
	case 0xf3: /* typematic rate */
		k->kbd_cmd = v;
		kbd_push(k, KBD_ACK);
		break;
	default:
		kbd_push(k, KBD_ACK);
		break;
	}
}

/* kbd_data: a byte written to port 0x60: the data of a pending
 * controller command, else a byte for the keyboard. */
static void kbd_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = v;
		kbd_update_irq(k);
		break;
	case 0xd1:
		kbd_write_outport(k, v);
		break;
	case 0xd2: /* as if the keyboard had sent it */
		kbd_push(k, v);
		break;
	case 0xd3: /* to the AUX output buffer: no AUX port */
	case 0xd4: /* to the AUX device: none attached */
		break;
	default:
		kbd_keyboard(k, v);
		break;
	}
}

/* kbd_command: a controller command written to port 0x64. */
static void kbd_command(struct i8042 *k, uint8_t v)
{
	switch (v) {
	case 0x20:
		kbd_push(k, k->ctr);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		k->pending_cmd = v;
		break;
	case 0xa7:
		k->ctr |= CTR_AUXDIS;
		break;
	case 0xa8:
		k->ctr &= ~CTR_AUXDIS;
		break;
	case 0xa9: /* AUX interface test: no AUX port, "clock line stuck
		    * low", so guests do not probe for a mouse */
		kbd_push(k, 0x01);
		break;
	case 0xab: /* keyboard interface test: lines OK */
		kbd_push(k, 0x00);
		break;
	case 0xaa: /* controller self-test: passed */
		kbd_push(k, 0x55);
		break;
	case 0xad:
		k->ctr |= CTR_KBDDIS;
		break;
	case 0xae:
		k->ctr &= ~CTR_KBDDIS;
		break;
	case 0xc0: /* input port: keyboard not inhibited */
		kbd_push(k, 0x80);
		break;
	case 0xd0:
		kbd_push(k, (k->outport & ~OUT_OBF) | (k->count ? OUT_OBF : 0));
		break;
	case 0xdd:
		k->outport &= ~OUT_A20;
		devhost_set_a20(k->h, DEVHOST_A20_KBD, false);
		break;
	case 0xdf:
		k->outport |= OUT_A20;
		devhost_set_a20(k->h, DEVHOST_A20_KBD, true);
		break;
	default:
		/* 0xf0-0xff pulse the output port bits that are 0 in the
		 * command's low nibble; bit 0 is the reset line. */
		if (v >= 0xf0 && !(v & 1))
			devhost_request_exit(k->h, EXIT_RESET, 0, "reset by i8042");
		break;
	}
}

/* kbd_data_read / kbd_data_write: port 0x60. */
static uint64_t kbd_data_read(struct device *dev, uint64_t off, unsigned size)
{
	return kbd_pop((struct i8042 *)dev);
}

static void kbd_data_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct i8042 *k = (struct i8042 *)dev;

	k->last_was_cmd = false;
	kbd_data(k, value);
}

/* kbd_status_read / kbd_cmd_write: port 0x64. */
static uint64_t kbd_status_read(struct device *dev, uint64_t off, unsigned size)
{
	struct i8042 *k = kbd_of_cmd(dev);
	uint8_t st = ST_UNLK;

	if (k->count)
		st |= ST_OBF;
	if (k->last_was_cmd)
		st |= ST_CMD;
	if (k->ctr & CTR_SYS)
		st |= ST_SYS;
	return st;
}

static void kbd_cmd_write(struct device *dev, uint64_t off, unsigned size, uint64_t value)
{
	struct i8042 *k = kbd_of_cmd(dev);

	k->last_was_cmd = true;
	kbd_command(k, value);
}

/* kbd_reset: power-on state as a BIOS leaves it: keyboard interrupt on,
 * system flag set, scan code translation on, A20 enabled. */
static void kbd_reset(struct device *dev)
{
	struct i8042 *k = (struct i8042 *)dev;

	k->head = k->count = 0;
	k->last = 0;
	k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
	k->outport = OUT_RESET | OUT_A20;
	devhost_set_a20(k->h, DEVHOST_A20_KBD, true);
	k->pending_cmd = k->kbd_cmd = 0;
	k->scanset = 2;
	k->last_was_cmd = false;
	kbd_update_irq(k);
}

/* kbd_destroy: free the controller. */
static void kbd_destroy(struct device *dev)
{
	free(dev);
}

struct i8042 *i8042_create(struct devhost *h, struct irq_line *irq1)
{
	struct i8042 *k = devhost_new_device(sizeof(*k), &(struct device){.name = "i8042",
									  .read = kbd_data_read,
									  .write = kbd_data_write,
									  .reset = kbd_reset,
									  .destroy = kbd_destroy,
									  .byte_wide = true});
	k->h = h;
	k->irq1 = irq1;
	k->cmd_dev = (struct device){.name = "i8042-cmd",
				     .read = kbd_status_read,
				     .write = kbd_cmd_write,
				     .byte_wide = true};
	kbd_reset(&k->dev);
	devhost_add_device(h, DEVHOST_IO, 0x60, 1, &k->dev);
	devhost_add_range(h, DEVHOST_IO, 0x64, 1, &k->cmd_dev);
	return k;
}

bool i8042_a20(struct i8042 *k)
{
	return k->outport & OUT_A20;
}
