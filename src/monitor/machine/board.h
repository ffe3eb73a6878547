/*
 * board.h - the PC board: which devices a machine has, where they sit and
 * how their interrupt lines are wired (board.c).
 */
#ifndef BT86_BOARD_H
#define BT86_BOARD_H

struct machine;
struct uart;
struct pic;
struct pit;
struct cmos;
struct i8042;

/* The devices the machine itself talks to (every device, these included,
 * is also in machine.owned for reset and teardown). */
struct pc_board {
	struct uart *com1; /* console input goes here (event.c) */
	struct pic *pic;   /* the CPU's INTR pin and INTA cycle */
	struct pit *pit;
	struct cmos *cmos;
	struct i8042 *kbd;
};

/* board_create: every PC device on m's buses, wired to m->isa_irq; the
 * serial and debugcon outputs must be open. */
void board_create(struct machine *m);

#endif
