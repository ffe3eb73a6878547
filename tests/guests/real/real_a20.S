/*
 * real_a20.S - the A20 gate in real mode: with it open, FFFF:0510 is
 * linear 0x100700, its own memory; closed through both of a PC's gates
 * (port 0x92 bit 1 and the i8042's output port, commands DD/DF), it wraps
 * to 0x000700.  Data through the alias, and code: a routine at FFFF:0810
 * runs the copy at 0x000800 while the gate is closed and the one at
 * 0x100800 once it is open again (the translator must not keep the other
 * one).  Both gates always move together: which one wins when they differ
 * is not the same on QEMU (the last write) as on a PC chipset (either open
 * opens the line, as bt86 does).
 */
#include "tap.inc"

#define LOW	0x0700
#define HI_SEG	0xffff
#define HI_OFF	0x0710	/* FFFF:0710 = 0x100700 */

/* a20_port92 on|off: the fast A20 gate */
.macro A20_PORT92 on
	in	$0x92, %al
	.if \on
	or	$0x02, %al
	.else
	and	$~0x02, %al
	.endif
	and	$~0x01, %al	/* never the reset bit */
	out	%al, $0x92
.endm

main:
	mov	$5, %ax
	call	tap_plan

	/* the two routines: "mov $0x1111 / $0x2222, %ax; lret" at 0x800, 0x100800 */
	xor	%ax, %ax
	mov	%ax, %es
	movb	$0xb8, %es:0x800
	movw	$0x1111, %es:0x801
	movb	$0xcb, %es:0x803
	mov	$HI_SEG, %ax
	mov	%ax, %es
	movb	$0xb8, %es:0x810
	movw	$0x2222, %es:0x811
	movb	$0xcb, %es:0x813

	/* 1: open at start: FFFF:0710 is its own memory */
	xor	%ax, %ax
	mov	%ax, %ds
	movw	$0x1234, LOW
	mov	$HI_SEG, %ax
	mov	%ax, %es
	movw	$0x5678, %es:HI_OFF
	cmpw	$0x1234, LOW
	jne	1f
	cmpw	$0x5678, %es:HI_OFF
1:	TAP	e, "A20 open at reset: 0x100700 is not 0x000700"

	/* 2: both gates closed: FFFF:0710 reads and writes 0000:0700 */
	call	a20_close
	mov	$HI_SEG, %ax
	mov	%ax, %es
	cmpw	$0x1234, %es:HI_OFF
	jne	2f
	movw	$0x4321, %es:HI_OFF
	cmpw	$0x4321, LOW
2:	TAP	e, "A20 closed: FFFF:0710 is 0000:0700"

	/* 3: code through the alias runs the low copy */
	lcall	$HI_SEG, $0x810
	cmp	$0x1111, %ax
	TAP	e, "FFFF:0810 runs the code at 0x000800 with A20 closed"

	/* 4: open again: the high copy runs */
	call	a20_open
	lcall	$HI_SEG, $0x810
	cmp	$0x2222, %ax
	TAP	e, "FFFF:0810 runs the code at 0x100800 once A20 opens"

	/* 5: the high word kept its value while hidden */
	mov	$HI_SEG, %ax
	mov	%ax, %es
	cmpw	$0x5678, %es:HI_OFF
	TAP	e, "0x100700 kept its value while A20 was closed"
	call	tap_exit

/* a20_close / a20_open: both gates, port 0x92 and the i8042's */
a20_close:
	A20_PORT92 0
	call	kbd_wait
	mov	$0xdd, %al
	out	%al, $0x64
	jmp	kbd_wait

a20_open:
	A20_PORT92 1
	call	kbd_wait
	mov	$0xdf, %al
	out	%al, $0x64
	/* fall through */

/* kbd_wait: until the i8042's input buffer is empty */
kbd_wait:
	push	%ax
1:	in	$0x64, %al
	test	$0x02, %al
	jnz	1b
	pop	%ax
	ret
