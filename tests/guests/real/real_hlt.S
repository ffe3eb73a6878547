/*
 * real_hlt.S - HLT with IF=1: the CPU sleeps until the PIT's IRQ0 wakes it,
 * once per tick; STI;HLT with an IRQ already pending wakes at once.
 */
#include "tap.inc"

main:
	mov	$3, %ax
	call	tap_plan
	mov	$0x20, %bx
	mov	$irq0_handler, %ax
	call	set_vector
	movw	$0, VAR_TICKS
	movw	$0, VAR_WAKE
	mov	$0xfe, %al
	call	pic_init
	call	pit_init

	/* 1-2: ten HLTs, each ended by a tick. */
	sti
	mov	$10, %cx
1:	hlt
	incw	VAR_WAKE
	loop	1b
	cli
	cmpw	$10, VAR_WAKE
	TAP	e, "HLT returned ten times"
	cmpw	$10, VAR_TICKS
	TAP	ae, "every wake-up came with an IRQ0 tick"

	/* 3: an IRQ that became pending while IF=0 wakes STI;HLT. */
	mov	VAR_TICKS, %bx
	call	pit_wait_wrap
	sti
	hlt
	cli
	cmp	VAR_TICKS, %bx
	TAP	b, "STI; HLT with an IRQ pending wakes up"

	call	tap_exit
