/*
 * fw_cfg.h - QEMU's firmware configuration interface, the traditional
 * (port) form: a 16-bit selector written to 0x510, the selected item read
 * byte by byte from 0x511 (past its end: zeros); writes to the data port
 * are ignored and there is no DMA (FW_CFG_ID says so).  Kernels written for
 * QEMU ask it for the CPU count and the memory map; docs/platform.md lists
 * the items bt86 provides.  Items are added by whoever knows them (the
 * loaders, firmware/fw_cfg_items.c); a file item is listed in the file
 * directory (selector 0x19) under its name.
 */
#ifndef BT86_FW_CFG_H
#define BT86_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

struct devhost;
struct fw_cfg;

#define FW_CFG_PORT	     0x510u
#define FW_CFG_SIGNATURE     0x0000
#define FW_CFG_ID	     0x0001
#define FW_CFG_UUID	     0x0002
#define FW_CFG_RAM_SIZE	     0x0003
#define FW_CFG_NOGRAPHIC     0x0004
#define FW_CFG_NB_CPUS	     0x0005
#define FW_CFG_MAX_CPUS	     0x000f
#define FW_CFG_CMDLINE_SIZE  0x0014
#define FW_CFG_CMDLINE_DATA  0x0015
#define FW_CFG_FILE_DIR	     0x0019
#define FW_CFG_FILE_FIRST    0x0020
#define FW_CFG_IRQ0_OVERRIDE 0x8002
#define FW_CFG_ITEMS	     64

/* fw_cfg_create: the interface on h's port bus, owned by h, with the
 * signature, the ID and an empty file directory. */
struct fw_cfg *fw_cfg_create(struct devhost *h);
/* fw_cfg_add: item key holds a copy of len bytes (replacing it). */
void fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
/* fw_cfg_add_u16 / _u32 / _u64: a little-endian number item. */
void fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);
void fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
void fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
/* fw_cfg_add_file: a named item (at most 55 characters) in the file
 * directory, at the next free selector from FW_CFG_FILE_FIRST. */
void fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len);

#endif
