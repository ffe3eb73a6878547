/*
 * vga_text.h - the CGA/VGA text screen a kernel writes at 0xb8000 (80x25
 * cells of character and attribute; the memory is plain guest RAM), the
 * CRT controller's index/data ports (0x3d4/0x3d5, with 0x3b4/0x3b5 as the
 * monochrome alias: registers read back what was written, the cursor
 * location included) and the input status register 0x3da (the retrace
 * bits toggle on each read, so a kernel waiting for a retrace goes on).
 *
 * The screen is mirrored as text lines to a stream, so that a kernel that
 * prints only to the screen is readable: every 50 ms the device compares
 * the screen with what it last saw, follows scrolling, and writes each line
 * once it is finished (the cursor or a written line is below it); what is
 * left is written when the device is destroyed at the end of the run.  In
 * auto mode the mirror stays silent once the guest has written to its
 * serial console (such a kernel prints there already).
 */
#ifndef BT86_VGA_TEXT_H
#define BT86_VGA_TEXT_H

#include <stdbool.h>
#include <stdio.h>

struct devhost;

#define VGA_TEXT_BASE 0xb8000u
#define VGA_COLS      80
#define VGA_ROWS      25

/* vga_text_create: the ports on h's bus, owned by h; the mirror writes to
 * out (NULL: no mirror); auto_quiet: silent once the serial port is used. */
void vga_text_create(struct devhost *h, FILE *out, bool auto_quiet);

#endif
