/*
 * real_io.S - real-mode port I/O: the UART scratch register, the 8259 mask
 * register, CMOS NVRAM and clock registers, REP OUTSB / REP INSB (string
 * I/O with several transfers in one instruction), an unassigned port.
 */
#include "tap.inc"

main:
	mov	$7, %ax
	call	tap_plan

	/* 1: a byte written to the UART scratch register reads back. */
	mov	$COM1 + 7, %dx
	mov	$0x5a, %al
	out	%al, %dx
	xor	%al, %al
	in	%dx, %al
	cmp	$0x5a, %al
	TAP	e, "serial scratch register holds a byte"

	/* 2: the 8259 interrupt mask register reads back. */
	mov	$0xff, %al
	call	pic_init
	mov	$0xa5, %al
	out	%al, $0x21
	in	$0x21, %al
	mov	%al, %bl
	mov	$0xff, %al
	out	%al, $0x21
	cmp	$0xa5, %bl
	TAP	e, "8259 mask register reads back"

	/* 3: CMOS NVRAM byte 0x40 keeps what was written. */
	mov	$0x40, %al
	out	%al, $0x70
	mov	$0x3c, %al
	out	%al, $0x71
	mov	$0x0e, %al		/* another register in between */
	out	%al, $0x70
	in	$0x71, %al
	mov	$0x40, %al
	out	%al, $0x70
	in	$0x71, %al
	cmp	$0x3c, %al
	TAP	e, "CMOS NVRAM byte reads back"

	/* 4: CMOS register D reports valid RAM and time (VRT). */
	mov	$0x0d, %al
	out	%al, $0x70
	in	$0x71, %al
	test	$0x80, %al
	TAP	nz, "CMOS register D has VRT set"

	/* 5: the seconds register holds a valid value for the format in
	 * register B (BCD unless bit 2). */
	mov	$0x0b, %al
	out	%al, $0x70
	in	$0x71, %al
	mov	%al, %bl
	xor	%al, %al
	out	%al, $0x70
	in	$0x71, %al
	mov	$1, %cl
	test	$0x04, %bl
	jnz	1f
	mov	%al, %ah		/* BCD: both digits 0-9, below 0x60 */
	and	$0x0f, %ah
	cmp	$9, %ah
	jbe	2f
	xor	%cl, %cl
2:	cmp	$0x60, %al
	jb	3f
	xor	%cl, %cl
	jmp	3f
1:	cmp	$60, %al		/* binary */
	jb	3f
	xor	%cl, %cl
3:	test	%cl, %cl
	TAP	nz, "CMOS seconds register is a valid time"

	/* 6: REP OUTSB sends every byte: the scratch register ends with the
	 * last one. */
	movb	$0x78, BUF
	movb	$0x79, BUF + 1
	movb	$0x7a, BUF + 2
	mov	$BUF, %si
	mov	$3, %cx
	mov	$COM1 + 7, %dx
	rep outsb
	in	%dx, %al
	cmp	$0x7a, %al
	jne	4f
	cmp	$BUF + 3, %si
	jne	4f
	test	%cx, %cx
4:	TAP	e, "rep outsb writes each byte"

	/* 7: REP INSB stores the port's value count times, no more. */
	movw	$0, BUF + 0x100 + 4
	mov	$COM1 + 7, %dx
	mov	$0x71, %al
	out	%al, %dx
	mov	$BUF + 0x100, %di
	mov	$4, %cx
	rep insb
	cmpl	$0x71717171, BUF + 0x100
	jne	5f
	cmpw	$0, BUF + 0x100 + 4
	jne	5f
	cmp	$BUF + 0x104, %di
5:	TAP	e, "rep insb reads the port each time"

	/* Port 0x80 (POST code) takes a write. */
	mov	$0x42, %al
	out	%al, $0x80
	call	tap_exit
