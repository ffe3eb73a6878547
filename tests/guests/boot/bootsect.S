/*
 * bootsect.S - a PC boot sector and the disk image around it, booted by the
 * BIOS from the first IDE disk (-hda).
 *
 * Sector 0 is the boot sector: the BIOS loads it at 0:7C00 and jumps there
 * with DL = the boot drive.  It prints through INT 10h (teletype), loads
 * sectors 1-4 (the rest of the program) to 0:7E00 with INT 13h AH=02h and
 * jumps on.  The program checks the BIOS disk services against the image's
 * own contents: every data sector from LBA 8 on holds the bytes
 * (LBA * 7 + i) mod 256.  TAP lines go to the debug console (port 0xe9),
 * the same on every engine; the end is isa-debug-exit (port 0xf4), 0 when
 * every check passed.  The image is 64 sectors; LBA 40 and 41 are written.
 */
#define DATA_LBA	8
#define SECTORS		64
#define BUF		0x9000
#define DAP		0x600	/* INT 13h extensions disk address packet */
#define VAR_DRIVE	0x610
#define VAR_FAILS	0x612
#define VAR_TESTNO	0x614

#include "stage1.inc"
	BOOT_STRINGS "bootsect: started by the BIOS\r\n", "bootsect: INT 13h could not load the rest\r\n"

/* ---- sectors 1-4: the checks ------------------------------------------ */
stage2_magic:
	.word	0x5a5a
stage2:
	movw	$0, VAR_FAILS
	movw	$0, VAR_TESTNO
	mov	$msg_plan, %si
	call	dputs

	/* 1: AH=08h reports a fixed disk and the BIOS counts one */
	push	%es			/* AH=08h returns a table's address in ES:DI */
	mov	$0x08, %ah
	mov	VAR_DRIVE, %dl
	xor	%di, %di
	int	$0x13
	pop	%es
	setnc	%al
	cmp	$1, %dl
	sete	%ah
	and	%ah, %al
	mov	$t_params, %si
	call	result

	/* 2: AH=41h: the EDD extensions are there */
	mov	$0x41, %ah
	mov	$0x55aa, %bx
	mov	VAR_DRIVE, %dl
	int	$0x13
	setnc	%al
	cmp	$0xaa55, %bx
	sete	%ah
	and	%ah, %al
	mov	$t_ext, %si
	call	result

	/* 3: AH=02h (CHS) reads LBA 8-11: cylinder 0, head 0, sectors 9-12 */
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

	/* 4: AH=42h (LBA) reads LBA 20-35 in one call into 0:9000 */
	call	clear_buf
	movw	$20, %ax
	movw	$16, %cx
	mov	$0x42, %bl
	call	ext_io
	mov	$20, %bx
	mov	$16, %cx
	call	check_pattern
	mov	$t_lba, %si
	call	result

	/* 5: AH=03h writes LBA 40 (CHS sector 41); AH=02h reads it back */
	call	fill_new
	mov	$0x0301, %ax
	mov	$41, %cx
	xor	%dh, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	setnc	%al
	push	%ax
	call	clear_buf
	mov	$0x0201, %ax
	mov	$41, %cx
	xor	%dh, %dh
	mov	VAR_DRIVE, %dl
	mov	$BUF, %bx
	int	$0x13
	pop	%ax
	jc	1f
	call	check_new
	jmp	2f
1:	xor	%al, %al
2:	mov	$t_write, %si
	call	result

	/* 6: AH=43h writes LBA 41; AH=42h reads it back */
	call	fill_new
	movw	$41, %ax
	movw	$1, %cx
	mov	$0x43, %bl
	call	ext_io
	push	%ax
	call	clear_buf
	movw	$41, %ax
	movw	$1, %cx
	mov	$0x42, %bl
	call	ext_io
	pop	%dx
	and	%dl, %al
	jz	1f
	call	check_new
1:	mov	$t_extw, %si
	call	result

	/* 7: a read past the last sector fails with CF set */
	movw	$SECTORS - 1, %ax
	movw	$2, %cx
	mov	$0x42, %bl
	call	ext_io
	xor	$1, %al
	mov	$t_end, %si
	call	result

	/* 8: INT 12h: 639 KiB of base memory */
	int	$0x12
	cmp	$639, %ax
	sete	%al
	mov	$t_mem, %si
	call	result

	mov	$msg_done, %si
	call	print10
	mov	VAR_FAILS, %ax
	test	%ax, %ax
	setnz	%al
	out	%al, $0xf4
	cli
	hlt

/* ext_io: AH=BL (42h read / 43h write) of CX sectors at LBA AX to 0:9000;
 * AL = 1 when CF came back clear. */
ext_io:
	movw	$0x0010, DAP		/* size 16, reserved 0 */
	movw	%cx, DAP + 2
	movw	$BUF, DAP + 4
	movw	$0, DAP + 6
	movw	%ax, DAP + 8
	movw	$0, DAP + 10
	movl	$0, DAP + 12
	mov	%bl, %ah
	mov	$0, %al			/* AH=43h: no verify */
	mov	VAR_DRIVE, %dl
	mov	$DAP, %si
	int	$0x13
	setnc	%al
	ret

#include "bootlib.inc"

msg_plan:	.asciz	"1..8\n"
msg_done:	.asciz	"bootsect: done\r\n"
t_params:	.asciz	"INT 13h AH=08h: one fixed disk"
t_ext:		.asciz	"INT 13h AH=41h: EDD extensions present"
t_chs:		.asciz	"INT 13h AH=02h reads 4 sectors by CHS"
t_lba:		.asciz	"INT 13h AH=42h reads 16 sectors by LBA"
t_write:	.asciz	"INT 13h AH=03h writes a sector that reads back"
t_extw:		.asciz	"INT 13h AH=43h writes a sector that reads back"
t_end:		.asciz	"a read past the end of the disk fails"
t_mem:		.asciz	"INT 12h reports 639 KiB of base memory"

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
