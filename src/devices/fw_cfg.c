/* fw_cfg.c - QEMU's firmware configuration interface (see fw_cfg.h). */
#include "devices/fw_cfg.h"
#include "devices/bus.h"
#include "devices/devhost.h"
#include "monitor/base/util.h"

#include <stdlib.h>
#include <string.h>

struct fw_item {
	uint16_t key;
	uint8_t *data;
	size_t len;
};

struct fw_cfg {
	struct device dev;
	uint16_t selector;
	size_t offset;
	struct fw_item items[FW_CFG_ITEMS];
	unsigned n;
	uint16_t next_file;
	uint8_t dir[4 + 64 * FW_CFG_ITEMS]; /* count (BE), then 64-byte entries */
	unsigned files;
};

static struct fw_cfg *fw_of(struct device *dev)
{
	return (struct fw_cfg *)dev;
}

/* fw_find: the item with key, or NULL. */
static struct fw_item *fw_find(struct fw_cfg *f, uint16_t key)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

void fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	struct fw_item *it = fw_find(f, key);

	if (!it) {
		if (f->n == FW_CFG_ITEMS)
			die("fw_cfg: more than %d items", FW_CFG_ITEMS);
		it = &f->items[f->n++];
		it->key = key;
	}
	free(it->data);
	it->data = malloc(len ? len : 1);
	if (!it->data)
		die_host("fw_cfg: out of memory");
	memcpy(it->data, data, len);
	it->len = len;
}

void fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2];

	le_put16(b, v);
	fw_cfg_add(f, key, b, sizeof(b));
}

void fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	le_put32(b, v);
	fw_cfg_add(f, key, b, sizeof(b));
}

void fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	le_put32(b, (uint32_t)v);
	le_put32(b + 4, (uint32_t)(v >> 32));
	fw_cfg_add(f, key, b, sizeof(b));
}

/* put_be16 / put_be32: the file directory is big-endian. */
static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

void fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len)
{
	uint8_t *e = f->dir + 4;
	uint16_t key;

	for (unsigned i = 0; i < f->files; i++, e += 64) {
		if (!strncmp((const char *)e + 8, name, 56)) { /* again (a reboot): new data */
			put_be32(e, (uint32_t)len);
			fw_cfg_add(f, (uint16_t)(e[4] << 8 | e[5]), data, len);
			fw_cfg_add(f, FW_CFG_FILE_DIR, f->dir, 4 + 64 * f->files);
			return;
		}
	}
	if (strlen(name) > 55 || f->files == FW_CFG_ITEMS)
		die("fw_cfg: file '%s' does not fit the directory", name);
	key = f->next_file++;
	fw_cfg_add(f, key, data, len);
	memset(e, 0, 64);
	put_be32(e, (uint32_t)len);
	put_be16(e + 4, key);
	memcpy(e + 8, name, strlen(name));
	f->files++;
	put_be32(f->dir, f->files);
	fw_cfg_add(f, FW_CFG_FILE_DIR, f->dir, 4 + 64 * f->files);
}

/* fw_read: 0x510 reads nothing useful; 0x511 the next byte of the item. */
static uint64_t fw_read(struct device *dev, uint64_t off, unsigned size)
{
	struct fw_cfg *f = fw_of(dev);
	struct fw_item *it = fw_find(f, f->selector & 0xbfff);
	uint64_t v = 0;

	if (off != 1)
		return 0;
	for (unsigned i = 0; i < size; i++, f->offset++)
		if (it && f->offset < it->len)
			v |= (uint64_t)it->data[f->offset] << (8 * i);
	return v;
}

/* fw_write: the selector (16 bits at 0x510) starts the item over. */
static void fw_write(struct device *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct fw_cfg *f = fw_of(dev);

	if (off == 0 && size == 2) {
		f->selector = (uint16_t)val;
		f->offset = 0;
	}
}

static void fw_reset(struct device *dev)
{
	fw_of(dev)->selector = 0;
	fw_of(dev)->offset = 0;
}

static void fw_destroy(struct device *dev)
{
	struct fw_cfg *f = fw_of(dev);

	for (unsigned i = 0; i < f->n; i++)
		free(f->items[i].data);
	free(f);
}

struct fw_cfg *fw_cfg_create(struct devhost *h)
{
	struct fw_cfg *f = devhost_new_device(sizeof(*f), &(struct device){.name = "fw_cfg",
									   .read = fw_read,
									   .write = fw_write,
									   .reset = fw_reset,
									   .destroy = fw_destroy});

	f->next_file = FW_CFG_FILE_FIRST;
	fw_cfg_add(f, FW_CFG_SIGNATURE, "QEMU", 4);
	fw_cfg_add_u32(f, FW_CFG_ID, 1); /* the traditional interface, no DMA */
	fw_cfg_add(f, FW_CFG_FILE_DIR, f->dir, 4);
	devhost_add_device(h, DEVHOST_IO, FW_CFG_PORT, 2, &f->dev);
	return f;
}
