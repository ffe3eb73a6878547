/*
 * floppy.S - a 1.44 MB floppy image whose sector 0 is a boot sector,
 * booted by the BIOS from drive A (-fda).
 *
 * As bootsect.S, for the floppy path: the BIOS loads sector 0 at 0:7C00
 * with DL = 0; it prints through INT 10h, loads sectors 1-4 with INT 13h
 * AH=02h and jumps on.  The checks use the floppy services (CHS only): the
 * drive parameters of a 1.44 MB drive, reads within a side and on the
 * second side, a write read back, a read past the last cylinder, INT 13h
 * AH=15h and the equipment word.  Data sectors from LBA 8 to 63 hold
 * (LBA * 7 + i) mod 256; LBA 36 is written.  TAP on port 0xe9, the end
 * on isa-debug-exit (0 when every check passed).
 */
#define DATA_LBA	8
#define SECTORS		64	/* with a pattern; the image has 2880 */
#define BUF		0x9000
#define VAR_DRIVE	0x610
#define VAR_FAILS	0x612
#define VAR_TESTNO	0x614

#include "stage1.inc"
	BOOT_STRINGS "floppy: started by the BIOS\r\n", "floppy: INT 13h could not load the rest\r\n"

/* ---- sectors 1-4: the checks ------------------------------------------ */
stage2_magic:
	.word	0x5a5a
stage2:
	movw	$0, VAR_FAILS
	movw	$0, VAR_TESTNO
	mov	$msg_plan, %si
	call	dputs

	/* 1: AH=08h: a 1.44 MB drive (type 4), 80 cylinders, 18 sectors, 2 heads */
	push	%es			/* AH=08h returns a table's address in ES:DI */
	mov	$0x08, %ah
	mov	VAR_DRIVE, %dl
	xor	%di, %di
	int	$0x13
	pop	%es
	setnc	%al
	cmp	$4, %bl
	jne	1f
	cmp	$79, %ch
	jne	1f
	cmp	$18, %cl
	jne	1f
	cmp	$1, %dh
	je	2f
1:	xor	%al, %al
2:	mov	$t_params, %si
	call	result

	/* 2: AH=02h reads LBA 8-11: cylinder 0, head 0, sectors 9-12 */
	call	clear_buf
	mov	$0x0204, %ax
	mov	$9, %cx
	xor	%dh, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	setnc	%al
	mov	$DATA_LBA, %bx
	mov	$4, %cx
	call	check_pattern
	mov	$t_chs, %si
	call	result

	/* 3: AH=02h reads LBA 20-27: cylinder 0, head 1, sectors 3-10 */
	call	clear_buf
	mov	$0x0208, %ax
	mov	$3, %cx
	mov	$1, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	setnc	%al
	mov	$20, %bx
	mov	$8, %cx
	call	check_pattern
	mov	$t_head1, %si
	call	result

	/* 4: AH=03h writes LBA 36 (cylinder 1, head 0, sector 1); AH=02h reads it */
	call	fill_new
	mov	$0x0301, %ax
	mov	$0x0101, %cx
	xor	%dh, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	call	clear_buf
	mov	$0x0201, %ax
	mov	$0x0101, %cx
	xor	%dh, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	jc	1f
	call	check_new
	jmp	2f
1:	xor	%al, %al
2:	mov	$t_write, %si
	call	result

	/* 5: cylinder 80 does not exist */
	mov	$0x0201, %ax
	mov	$0x5001, %cx
	xor	%dh, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	setc	%al
	mov	$t_end, %si
	call	result

	/* 6: AH=15h: a floppy drive (AH 1 or 2) */
	mov	$0x15, %ah
	mov	VAR_DRIVE, %dl
	int	$0x13
	setnc	%al
	cmp	$1, %ah
	je	1f
	cmp	$2, %ah
	je	1f
	xor	%al, %al
1:	mov	$t_type, %si
	call	result

	/* 7: INT 11h: a floppy drive, one */
	int	$0x11
	and	$0xc1, %ax
	cmp	$0x01, %ax
	sete	%al
	mov	$t_equip, %si
	call	result

	mov	$msg_done, %si
	call	print10
	mov	VAR_FAILS, %ax
	test	%ax, %ax
	setnz	%al
	out	%al, $0xf4
	cli
	hlt

#include "bootlib.inc"

msg_plan:	.asciz	"1..7\n"
msg_done:	.asciz	"floppy: done\r\n"
t_params:	.asciz	"INT 13h AH=08h: a 1.44 MB drive, 80/2/18"
t_chs:		.asciz	"INT 13h AH=02h reads 4 sectors on side 0"
t_head1:	.asciz	"INT 13h AH=02h reads 8 sectors on side 1"
t_write:	.asciz	"INT 13h AH=03h writes a sector that reads back"
t_end:		.asciz	"a read of cylinder 80 fails"
t_type:		.asciz	"INT 13h AH=15h: a floppy drive"
t_equip:	.asciz	"INT 11h: one floppy drive"

	. = _start + DATA_LBA * 512
/* ---- data sectors: byte i of LBA n is (n * 7 + i) mod 256 ------------- */
	.set	lba, DATA_LBA
	.rept	SECTORS - DATA_LBA
	.set	i, 0
	.rept	512
	.byte	(lba * 7 + i) & 0xff
	.set	i, i + 1
	.endr
	.set	lba, lba + 1
	.endr
	. = _start + 2880 * 512	/* a 1.44 MB image */
