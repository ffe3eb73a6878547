/*
 * real_ivt.S - real-mode interrupts: INT n through IVT entries installed at
 * run time, IF handling of INT/IRET, then the 8254 PIT's channel 0 raising
 * IRQ0 through a remapped 8259 (vector 0x20) with the handler counting ticks
 * and sending EOI, and an IRQ held pending while IF=0.
 */
#include "tap.inc"

main:
	mov	$6, %ax
	call	tap_plan
	mov	$0xff, %al		/* every IRQ masked for now */
	call	pic_init

	/* 1: INT 0x60 reaches a handler installed now; AX and SP come back. */
	mov	$0x60, %bx
	mov	$int60_handler, %ax
	call	set_vector
	movw	$0, VAR_X
	mov	%sp, %bp
	mov	$41, %ax
	int	$0x60
	cmp	$42, %ax
	jne	1f
	cmp	%sp, %bp
	jne	1f
	cmpw	$0x1234, VAR_X
1:	TAP	e, "INT 0x60 runs the handler installed at run time"

	/* 2: INT clears IF inside the handler; IRET restores it. */
	mov	$0x61, %bx
	mov	$int61_handler, %ax
	call	set_vector
	sti
	int	$0x61
	pushf
	pop	%bx
	cli
	testw	$0x200, VAR_FL
	jnz	2f
	test	$0x200, %bx
	jz	2f
	xor	%al, %al		/* ZF = 0 -> pass below */
	inc	%al
2:	TAP	nz, "INT clears IF and IRET restores it"

	/* 3: the handler gets a far return address pointing after INT. */
	mov	$0x62, %bx
	mov	$int62_handler, %ax
	call	set_vector
	int	$0x62
after_int62:
	cmpw	$after_int62, VAR_X
	jne	3f
	cmpw	$0xf000, VAR_FL
3:	TAP	e, "INT pushes CS:IP of the next instruction"

	/* 4: PIT channel 0 -> IRQ0 -> vector 0x20, five ticks with IF=1. */
	mov	$0x20, %bx
	mov	$irq0_handler, %ax
	call	set_vector
	movw	$0, VAR_TICKS
	mov	$0xfe, %al		/* only IRQ0 */
	call	pic_init
	call	pit_init
	sti
	mov	$5, %ax
	call	wait_ticks
	cli
	TAP	nc, "PIT IRQ0 through the 8259 counted five ticks"

	/* 5: with IF=0 the tick is not delivered, however long we wait ... */
	mov	VAR_TICKS, %bx
	call	pit_wait_wrap
	call	pit_wait_wrap
	cmp	VAR_TICKS, %bx
	TAP	e, "no IRQ0 delivered while IF=0"

	/* 6: ... and it is delivered soon after STI (the 8259 kept it): within
	 * 3000 loop iterations, far less than the 10 ms to the next tick.
	 * (A real CPU takes it after the instruction following STI; KVM on a
	 * software hypervisor may notice the open window a little later.) */
	mov	$3000, %cx
	sti
6:	cmp	VAR_TICKS, %bx
	jb	7f
	loop	6b
7:	cli
	cmp	VAR_TICKS, %bx
	TAP	b, "IRQ0 held pending while IF=0 arrives soon after STI"

	call	tap_exit

/* int60_handler: AX += 1, mark VAR_X. */
int60_handler:
	inc	%ax
	movw	$0x1234, VAR_X
	iret

/* int61_handler: record FLAGS as seen inside the handler. */
int61_handler:
	push	%ax
	pushf
	pop	%ax
	mov	%ax, VAR_FL
	pop	%ax
	iret

/* int62_handler: record the return IP and CS from the stack. */
int62_handler:
	push	%bp
	mov	%sp, %bp
	push	%ax
	mov	2(%bp), %ax
	mov	%ax, VAR_X
	mov	4(%bp), %ax
	mov	%ax, VAR_FL
	pop	%ax
	pop	%bp
	iret
