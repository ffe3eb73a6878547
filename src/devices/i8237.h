/*
 * i8237.h - the PC's two 8237A DMA controllers: channels 0-3 (8-bit, ports
 * 0x00-0x0f, page registers 0x87/0x83/0x81/0x82) and 4-7 (16-bit, ports
 * 0xc0-0xdf, pages 0x8f/0x8b/0x89/0x8a; channel 4 cascades), in single and
 * block mode, address increment or decrement, auto-initialise.
 *
 * A device moves data with isa_dma_transfer when it is ready (there is no
 * DREQ timing: a transfer happens at once); the controller reports
 * terminal count in its status register.  Only 8-bit channels move data
 * (the floppy uses channel 2); a 16-bit channel's registers work but a
 * transfer on it moves nothing.
 */
#ifndef BT86_I8237_H
#define BT86_I8237_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct devhost;
struct isa_dma;

/* isa_dma_create: both controllers on h's port bus. */
struct isa_dma *isa_dma_create(struct devhost *h);

/* isa_dma_transfer: move up to len bytes between buf and guest RAM on
 * channel ch, in the direction the channel's mode says (to_memory: the
 * device writes RAM, as for a disk read; checked against the mode).
 * Returns the bytes moved: fewer than len at terminal count, 0 when the
 * channel is masked or programmed the other way; *tc says whether the
 * count ran out. */
size_t isa_dma_transfer(struct isa_dma *d, int ch, void *buf, size_t len, bool to_memory, bool *tc);

#endif
