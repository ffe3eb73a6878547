/*
 * real16.S - 16-bit code in real mode, instruction by instruction: ALU
 * results and flags with 16-bit operands, the 66h operand-size prefix
 * (32-bit arithmetic, shifts, IMUL, MOVZX/MOVSX, 16-bit writes keeping the
 * upper half), every kind of 16-bit address and its 64 KiB wrap, segment
 * overrides, the 67h address-size prefix, the stack (SP wrap at 0, PUSHA,
 * ENTER/LEAVE), near/far/indirect control flow and LOOP/JCXZ on CX alone,
 * real-mode segment loads (base = selector * 16), string instructions with
 * both directions and across segments, INT n / INT3 / INTO with IRET, a
 * grab bag of small instructions, and big real ("unreal") mode reaching
 * 2 MiB through DS = 0 after a moment in protected mode.  Last, corners
 * of a translator: RAM code run through two CS:IP aliases, code rewritten
 * after it ran (and by itself), and #DE/#UD pushing the faulting IP.
 *
 * Each check computes in registers and memory and compares with values
 * worked out from the Intel SDM; undefined flags are masked out.
 */
#include "tap.inc"

#define SAVE_SP		0x800	/* SP saved around stack-changing checks */
#define FAR_PTR		0x810	/* far pointer (offset, segment) */
#define SCRATCH		0x820	/* scratch words */
#define STR_SRC		0xa00	/* string buffers in segment 0 */
#define STR_DST		0xb00
#define STR_FILL	0xc00
#define STR_BACK	0xd00
#define SEG_A		0x1000	/* data segment, linear 0x10000 */
#define SEG_B		0x2000	/* second data segment, linear 0x20000 */
#define SEG_STK		0x3000	/* stack segment of the SP wrap check */
#define SEG_CODE	0x4000	/* code copied to RAM runs here */
#define RAM_CODE	0x100	/* ... at this offset */

/* EQ a, b[, suffix]: go to the next "1:" (failed) unless b == a. */
.macro EQ a, b, s=
	cmp\s	\a, \b
	jne	1f
.endm

/* FAIL: go to the next "1:" with ZF = 0 (failed). */
.macro FAIL
	mov	$1, %al
	test	%al, %al
	jmp	1f
.endm

/* FLAGS reg[, mask]: reg = FLAGS & mask (OF SF ZF AF PF CF by default). */
.macro FLAGS reg, mask=0x8d5
	pushf
	pop	\reg
	and	$\mask, \reg
.endm

main:
	mov	$37, %ax
	call	tap_plan
	mov	$0xff, %al		/* every IRQ masked: STI is harmless */
	call	pic_init

	/* ---------------------------------------------------------------
	 * 1. 16-bit ALU and flags
	 * ------------------------------------------------------------- */

	/* 1: 0x7fff + 1 = 0x8000: OF SF AF PF.  0xffff + 0 + CF = 0: CF ZF
	 * AF PF.  0x8000 + 0x8000 + CF = 1: OF CF. */
	mov	$0x7fff, %ax
	add	$1, %ax
	FLAGS	%bx
	EQ	$0x8000, %ax
	EQ	$0x0894, %bx
	stc
	mov	$0xffff, %cx
	adc	$0, %cx
	FLAGS	%bx
	EQ	$0, %cx
	EQ	$0x0055, %bx
	stc
	mov	$0x8000, %ax
	mov	$0x8000, %dx
	adc	%dx, %ax
	FLAGS	%bx
	EQ	$1, %ax
	EQ	$0x0801, %bx
1:	TAP	e, "16-bit ADD/ADC results and OF SF ZF AF PF CF"

	/* 2: 0 - 1 = 0xffff: SF AF PF CF.  0x8000 - 0 - CF = 0x7fff: OF AF
	 * PF, CF clear.  CMP 3, 5: SF AF CF (0xfe: odd parity).  NEG 0x8000 = 0x8000:
	 * OF SF PF CF.  NEG 0 = 0: ZF PF, CF clear. */
	xor	%ax, %ax
	sub	$1, %ax
	FLAGS	%bx
	EQ	$0xffff, %ax
	EQ	$0x0095, %bx
	stc
	mov	$0x8000, %dx
	sbb	$0, %dx
	FLAGS	%bx
	EQ	$0x7fff, %dx
	EQ	$0x0814, %bx
	mov	$3, %ax
	cmp	$5, %ax
	FLAGS	%bx
	EQ	$3, %ax
	EQ	$0x0091, %bx
	mov	$0x8000, %cx
	neg	%cx
	FLAGS	%bx
	EQ	$0x8000, %cx
	EQ	$0x0885, %bx
	stc
	xor	%cx, %cx
	neg	%cx
	FLAGS	%bx
	EQ	$0, %cx
	EQ	$0x0044, %bx
1:	TAP	e, "16-bit SUB/SBB/CMP/NEG results and flags"

	/* 3: INC and DEC leave CF alone. */
	stc
	mov	$0xffff, %ax
	inc	%ax
	FLAGS	%bx
	EQ	$0, %ax
	EQ	$0x0055, %bx
	clc
	mov	$0x8000, %dx
	dec	%dx
	FLAGS	%bx
	EQ	$0x7fff, %dx
	EQ	$0x0814, %bx
1:	TAP	e, "16-bit INC/DEC results and flags, CF kept"

	/* 4: shifts and rotates on 16-bit registers (AF masked: undefined). */
	mov	$0x8001, %ax
	shl	$1, %ax
	FLAGS	%bx, 0x8c5
	EQ	$0x0002, %ax
	EQ	$0x0801, %bx	/* OF = MSB ^ CF = 1, CF = 1 */
	mov	$0x8001, %ax
	shr	$1, %ax
	FLAGS	%bx, 0x8c5
	EQ	$0x4000, %ax
	EQ	$0x0805, %bx	/* OF = old MSB, CF, PF */
	mov	$0x8000, %ax
	sar	$4, %ax
	EQ	$0xf800, %ax
	mov	$0x1234, %ax
	rol	$4, %ax
	EQ	$0x2341, %ax
	ror	$8, %ax
	EQ	$0x4123, %ax
	stc
	mov	$0x8000, %ax
	rcl	$1, %ax
	FLAGS	%bx, 1
	EQ	$0x0001, %ax
	EQ	$1, %bx
	clc
	mov	$0x0001, %ax
	rcr	$1, %ax
	FLAGS	%bx, 1
	EQ	$0x0000, %ax
	EQ	$1, %bx
	mov	$17, %cl		/* 16-bit RCL by 17: (17 & 31) mod 17 = 0 */
	mov	$0x1234, %ax
	rcl	%cl, %ax
	EQ	$0x1234, %ax
	mov	$0x1234, %ax		/* 16-bit SHL by 17: all bits gone */
	shl	%cl, %ax
	EQ	$0, %ax
	mov	$0x1234, %ax
	mov	$0xabcd, %bx
	shld	$4, %bx, %ax
	EQ	$0x234a, %ax
	mov	$0x1234, %ax
	shrd	$4, %bx, %ax
	EQ	$0xd123, %ax
1:	TAP	e, "16-bit SHL/SHR/SAR/ROL/ROR/RCL/RCR/SHLD/SHRD"

	/* 5: MUL, IMUL and DIV, IDIV on 16-bit (and 8-bit) operands. */
	mov	$0x1234, %ax
	mov	$0x100, %bx
	mul	%bx			/* DX:AX = 0x0012:0x3400, CF = OF = 1 */
	FLAGS	%si, 0x801
	EQ	$0x3400, %ax
	EQ	$0x0012, %dx
	EQ	$0x0801, %si
	mov	$-3, %ax
	mov	$7, %cx
	imul	%cx			/* DX:AX = -21, fits: CF = OF = 0 */
	FLAGS	%si, 0x801
	EQ	$0xffeb, %ax
	EQ	$0xffff, %dx
	EQ	$0, %si
	imul	$-2, %cx, %dx
	EQ	$0xfff2, %dx
	mov	$0x100, %ax
	imul	%ax, %ax		/* 0x10000 truncated: CF = OF = 1 */
	FLAGS	%si, 0x801
	EQ	$0, %ax
	EQ	$0x0801, %si
	mov	$1, %dx
	mov	$5, %ax
	mov	$0x10, %bx
	div	%bx			/* 65541 / 16 = 4096 r 5 */
	EQ	$0x1000, %ax
	EQ	$5, %dx
	mov	$-100, %ax
	cwd
	mov	$7, %cx
	idiv	%cx			/* -100 / 7 = -14 r -2 */
	EQ	$0xfff2, %ax
	EQ	$0xfffe, %dx
	mov	$200, %al
	mov	$3, %bl
	mul	%bl
	EQ	$600, %ax
	mov	$7, %bl
	div	%bl			/* 600 / 7 = 85 r 5 */
	EQ	$0x0555, %ax
1:	TAP	e, "16-bit and 8-bit MUL/IMUL/DIV/IDIV"

	/* ---------------------------------------------------------------
	 * 2. The 66h operand-size prefix
	 * ------------------------------------------------------------- */

	/* 6: 32-bit ADD/ADC with 32-bit immediates; 8- and 16-bit writes
	 * keep the rest of the 32-bit register. */
	movl	$0x89abcdef, %eax
	addl	$0x76543211, %eax
	FLAGS	%bx
	EQ	$0, %eax
	EQ	$0x0055, %bx
	movl	$0, %edx
	stc
	adcl	$0x7fffffff, %edx
	EQ	$0x80000000, %edx
	movl	$0x12345678, %ebx
	mov	$0xbeef, %bx
	EQ	$0x1234beef, %ebx
	mov	$0x55, %bl
	mov	$0xaa, %bh
	EQ	$0x1234aa55, %ebx
	movl	$0x1234ffff, %edx
	inc	%dx
	EQ	$0x12340000, %edx
	movl	$0x5678ffff, %ecx
	add	$1, %cx
	EQ	$0x56780000, %ecx
	movl	$0xffffffff, %esi
	xor	%si, %si
	EQ	$0xffff0000, %esi
1:	TAP	e, "66h: 32-bit ADD/ADC; 16/8-bit writes keep the upper half"

	/* 7: 32-bit shifts, IMUL r32, MUL r32, MOVZX/MOVSX. */
	movl	$0x80000001, %eax
	shll	$4, %eax
	EQ	$0x00000010, %eax
	movl	$0x80000000, %edx
	sarl	$31, %edx
	EQ	$0xffffffff, %edx
	movl	$0x12345678, %esi
	shrl	$8, %esi
	EQ	$0x00123456, %esi
	movl	$0x89abcdef, %eax
	movl	$0x01234567, %edx
	shldl	$8, %edx, %eax
	EQ	$0xabcdef01, %eax
	movl	$100000, %eax
	movl	$-3000, %ecx
	imull	%ecx, %eax
	EQ	$0xee1e5d00, %eax
	movl	$0x10000, %eax
	movl	$0x10001, %ecx
	mull	%ecx
	EQ	$0x00010000, %eax
	EQ	$1, %edx
	movl	$0xffffffff, %eax
	mov	$0x8081, %dx
	movzwl	%dx, %eax
	EQ	$0x00008081, %eax
	movswl	%dx, %ecx
	EQ	$0xffff8081, %ecx
	movl	$0x12345678, %ebx
	movsbw	%dl, %bx
	EQ	$0x1234ff81, %ebx
	movl	$0xaaaaaaaa, %esi
	movzbw	%dh, %si
	EQ	$0xaaaa0080, %esi
	movsbl	%dl, %edi
	EQ	$0xffffff81, %edi
1:	TAP	e, "66h: 32-bit shifts, IMUL/MUL r32, MOVZX/MOVSX"

	/* ---------------------------------------------------------------
	 * 3. 16-bit addressing
	 * ------------------------------------------------------------- */

	/* 8: [disp16], [bx+si], [bx+di+disp8], [si], [di], [bx-disp8],
	 * [bx+di+disp16], all through DS = 0x1000 (linear 0x10120). */
	push	%ds
	push	%es
	mov	$SEG_A, %ax
	mov	%ax, %ds
	movw	$0xa1a1, 0x0120
	mov	$0x100, %bx
	mov	$0x20, %si
	mov	$0x10, %di
	mov	(%bx,%si), %ax
	EQ	$0xa1a1, %ax
	xor	%ax, %ax
	mov	0x10(%bx,%di), %ax
	EQ	$0xa1a1, %ax
	mov	$0x120, %si
	mov	(%si), %cx
	EQ	$0xa1a1, %cx
	mov	$0x120, %di
	mov	(%di), %dx
	EQ	$0xa1a1, %dx
	mov	$0x130, %bx
	mov	-0x10(%bx), %cx
	EQ	$0xa1a1, %cx
	xor	%bx, %bx
	mov	$0x20, %di
	mov	0x100(%bx,%di), %dx
	EQ	$0xa1a1, %dx
	mov	$0x100, %bx
	mov	$0x20, %si
	movw	$0x7117, (%bx,%si)	/* store through [bx+si] */
	mov	0x0120, %cx		/* read through [disp16] */
	EQ	$0x7117, %cx
	mov	$0x1012, %ax		/* the same byte as 1012:0000 */
	mov	%ax, %es
	mov	%es:0, %dx
	EQ	$0x7117, %dx
1:	pop	%es
	pop	%ds
	TAP	e, "[bx+si] [bx+di+d8] [si] [di] [d16] [bx+di+d16] via DS base"

	/* 9: BP-based forms default to SS (0 here), DS:/SS: overrides. */
	push	%ds
	push	%es
	movw	$0xb2b2, %ss:0x800 + 0x40	/* linear 0x840 */
	mov	$SEG_A, %ax
	mov	%ax, %ds
	movw	$0xd4d4, 0x840			/* linear 0x10840 */
	mov	$0x700, %bp
	mov	$0x140, %si
	mov	(%bp,%si), %ax
	EQ	$0xb2b2, %ax
	mov	$0x830, %bp
	xor	%di, %di
	mov	0x10(%bp,%di), %ax
	EQ	$0xb2b2, %ax
	xor	%bp, %bp
	mov	0x840(%bp), %cx			/* [bp+disp16] */
	EQ	$0xb2b2, %cx
	mov	$0x840, %bp
	mov	(%bp), %dx			/* [bp+0] */
	EQ	$0xb2b2, %dx
	mov	%ds:(%bp), %dx
	EQ	$0xd4d4, %dx
	mov	$0x840, %bx
	mov	(%bx), %ax
	EQ	$0xd4d4, %ax
	mov	%ss:(%bx), %ax
	EQ	$0xb2b2, %ax
1:	pop	%es
	pop	%ds
	TAP	e, "[bp+si] [bp+di+d8] [bp+d16] [bp] use SS; DS:/SS: overrides"

	/* 10: 16-bit effective addresses wrap at 64 KiB: 0xfff0 + 0x20 is
	 * offset 0x10, not linear base + 0x10010. */
	push	%ds
	push	%es
	mov	$SEG_A + 0x1000, %ax		/* linear 0x20010: wrong one */
	mov	%ax, %es
	movw	$0x0bad, %es:0x10
	mov	$SEG_A, %ax
	mov	%ax, %ds
	movw	$0xc3c3, 0x10
	mov	$0xfff0, %bx
	mov	$0x20, %si
	mov	(%bx,%si), %ax
	EQ	$0xc3c3, %ax
	mov	0x20(%bx), %cx
	EQ	$0xc3c3, %cx
	movw	$0x3c3c, 0x30(%bx,%si)		/* 0xfff0+0x20+0x30 = 0x40 */
	mov	0x40, %dx
	EQ	$0x3c3c, %dx
	lea	0x30(%bx,%si), %ax
	EQ	$0x0040, %ax
	movl	$0xffffffff, %eax
	leal	0x30(%bx,%si), %eax	/* 66h LEA: 16-bit EA, zero-extended */
	EQ	$0x00000040, %eax
	mov	$0xffff, %bp
	mov	$0x841, %di
	mov	(%bp,%di), %ax			/* SS:0x840 */
	EQ	$0xb2b2, %ax
	EQ	$0x0bad, %es:0x10, w
1:	pop	%es
	pop	%ds
	TAP	e, "16-bit effective addresses wrap at 64 KiB"

	/* 11: ES:, CS:, FS:, GS: overrides read their own segment. */
	push	%ds
	push	%es
	mov	$SEG_A, %ax
	mov	%ax, %ds
	mov	$SEG_B, %ax
	mov	%ax, %es
	movw	$0xe5e5, %es:0x40
	movw	$0x1111, 0x40
	mov	%es:0x40, %ax
	EQ	$0xe5e5, %ax
	mov	0x40, %ax
	EQ	$0x1111, %ax
	mov	%cs:cs_const, %ax
	EQ	$0x1357, %ax
	mov	$cs_const, %bx
	mov	%cs:(%bx), %dx
	EQ	$0x1357, %dx
	mov	$SEG_B, %cx
	mov	%cx, %fs
	mov	%fs:0x40, %ax
	EQ	$0xe5e5, %ax
	mov	%cx, %gs
	mov	$0x40, %si
	mov	%gs:(%si), %ax
	EQ	$0xe5e5, %ax
	xor	%cx, %cx
	mov	%cx, %fs
	mov	%cx, %gs
1:	pop	%es
	pop	%ds
	TAP	e, "ES: CS: FS: GS: segment overrides"

	/* 12: 67h: 32-bit addresses in 16-bit code, DS base 0x10000. */
	push	%ds
	mov	$SEG_A, %ax
	mov	%ax, %ds
	movw	$0xf00d, 0x0114
	movl	$0x100, %eax
	movl	$8, %ecx
	mov	4(%eax,%ecx,2), %dx		/* 0x100 + 0x10 + 4 */
	EQ	$0xf00d, %dx
	movl	$0x114, %esi
	mov	(%esi), %bx
	EQ	$0xf00d, %bx
	addr32 mov 0x114, %di			/* [disp32] */
	EQ	$0xf00d, %di
	lea	4(%eax,%ecx,2), %edx
	EQ	$0x114, %edx
	movl	$0x840, %ebp
	mov	(%ebp), %ax			/* [ebp]: SS, linear 0x840 */
	EQ	$0xb2b2, %ax
1:	pop	%ds
	TAP	e, "67h: [eax+ecx*2+4] [esi] [disp32] [ebp] with DS base"

	/* ---------------------------------------------------------------
	 * 4. The stack
	 * ------------------------------------------------------------- */

	/* 13: PUSH/POP of 16- and 32-bit values and immediates, [esp]
	 * addressing, PUSH SP. */
	mov	%sp, SAVE_SP
	pushw	$0x1234
	pushw	$-2			/* 6A FE: sign-extended to 0xfffe */
	pushl	$0x89abcdef
	pushl	$-3
	push	%cs
	mov	SAVE_SP, %ax
	sub	%sp, %ax
	EQ	$14, %ax
	EQ	$0xf000, (%esp), w	/* 67h: [esp] is SS:ESP */
	EQ	$0xfffffffd, 2(%esp), l
	EQ	$0x89abcdef, 6(%esp), l
	mov	%sp, %bx
	push	%sp			/* pushes SP as it was before */
	pop	%ax
	EQ	%bx, %ax
	pop	%ax
	EQ	$0xf000, %ax
	popl	%eax
	EQ	$0xfffffffd, %eax
	popl	%ebx
	EQ	$0x89abcdef, %ebx
	pop	%cx
	EQ	$0xfffe, %cx
	pop	%dx
	EQ	$0x1234, %dx
	movw	$0x4321, SCRATCH
	pushw	SCRATCH
	popl	%eax			/* 0x4321 and the word above */
	pushl	%eax
	popw	SCRATCH + 2
	EQ	$0x4321, SCRATCH+2, w
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "PUSH/POP 16/32 bit, PUSH imm8/16/32, PUSH CS, PUSH SP, [esp]"

	/* 14: with a 16-bit stack only SP moves and wraps: SS=0x3000,
	 * ESP=0x5a5a0000, PUSH lands at 3000:FFFE and ESP=0x5a5afffe. */
	mov	%sp, SAVE_SP
	push	%es
	mov	$SEG_STK, %ax
	mov	%ax, %es
	movw	$0, %es:0xfffe
	mov	%ax, %ss
	movl	$0x5a5a0000, %esp
	mov	$0xabcd, %ax
	push	%ax
	movl	%esp, %edx
	pop	%cx
	movl	%esp, %edi
	xor	%ax, %ax
	mov	%ax, %ss
	movzwl	SAVE_SP, %esp
	sub	$2, %sp			/* the saved ES */
	EQ	$0x5a5afffe, %edx
	EQ	$0x5a5a0000, %edi
	EQ	$0xabcd, %cx
	EQ	$0xabcd, %es:0xfffe, w
1:	pop	%es
	mov	SAVE_SP, %sp
	TAP	e, "SP wraps at 0 (push lands at SS:FFFE), ESP[31:16] kept"

	/* 15: PUSHA/POPA and PUSHAD/POPAD: layout and restored values. */
	mov	%sp, SAVE_SP
	mov	$0x1111, %ax
	mov	$0x2222, %cx
	mov	$0x3333, %dx
	mov	$0x4444, %bx
	mov	$0x5555, %bp
	mov	$0x6666, %si
	mov	$0x7777, %di
	pusha
	mov	%sp, %bp
	EQ	$0x7777, (%bp), w
	EQ	$0x5555, 4(%bp), w
	EQ	$0x4444, 8(%bp), w
	EQ	$0x1111, 14(%bp), w
	mov	SAVE_SP, %ax
	EQ	%ax, 6(%bp)
	mov	SAVE_SP, %ax
	sub	$16, %ax
	EQ	%ax, %sp
	xor	%ax, %ax
	xor	%cx, %cx
	xor	%dx, %dx
	xor	%bx, %bx
	xor	%bp, %bp
	xor	%si, %si
	xor	%di, %di
	popa
	EQ	$0x1111, %ax
	EQ	$0x2222, %cx
	EQ	$0x3333, %dx
	EQ	$0x4444, %bx
	EQ	$0x5555, %bp
	EQ	$0x6666, %si
	EQ	$0x7777, %di
	EQ	SAVE_SP, %sp
	movl	$0xa0a00001, %eax
	movl	$0xc0c00003, %ecx
	movl	$0xb0b00005, %ebp
	movl	$0xd0d00007, %edi
	pushal
	mov	%sp, %bp
	EQ	$0xd0d00007, (%bp), l
	EQ	$0xa0a00001, 28(%bp), l
	EQ	$0xc0c00003, 24(%bp), l
	movzwl	SAVE_SP, %eax
	EQ	%eax, 12(%bp)
	EQ	$0xb0b00005, 8(%bp), l
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%ebp, %ebp
	xor	%edi, %edi
	popal
	EQ	$0xa0a00001, %eax
	EQ	$0xc0c00003, %ecx
	EQ	$0xb0b00005, %ebp
	EQ	$0xd0d00007, %edi
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "PUSHA/POPA and PUSHAD/POPAD"

	/* 16: ENTER/LEAVE (level 0), 16- and 32-bit operand size. */
	mov	%sp, SAVE_SP
	mov	$0xbeef, %bp
	enter	$8, $0
	mov	SAVE_SP, %ax
	sub	$2, %ax
	EQ	%ax, %bp
	sub	$8, %ax
	EQ	%ax, %sp
	EQ	$0xbeef, (%bp), w
	leave
	EQ	SAVE_SP, %sp
	EQ	$0xbeef, %bp
	movl	$0x0000cafe, %ebp
	enterl	$8, $0			/* 66 C8: pushes EBP, 4 bytes */
	mov	SAVE_SP, %ax
	sub	$4, %ax
	EQ	%ax, %bp
	sub	$8, %ax
	EQ	%ax, %sp
	EQ	$0x0000cafe, (%bp), l
	movl	$0x12345678, %ebp
	mov	%ax, %bp
	add	$8, %bp			/* the frame again, EBP[31:16] junk */
	leavel				/* SP = BP, POP EBP */
	EQ	SAVE_SP, %sp
	EQ	$0x0000cafe, %ebp
1:	mov	SAVE_SP, %sp
	TAP	e, "ENTER/LEAVE level 0 with 16- and 32-bit operand size"

	/* 17: PUSHF/POPF and PUSHFD/POPFD move OF DF SF ZF AF PF CF. */
	mov	%sp, SAVE_SP
	pushw	$0x0cd5
	popf
	pushf
	pop	%ax
	and	$0x0fd7, %ax		/* IF and TF stay 0, bit 1 reads 1 */
	EQ	$0x0cd7, %ax
	pushw	$0
	popf
	pushf
	pop	%ax
	and	$0x0fd7, %ax
	EQ	$0x0002, %ax
	pushl	$0x00000891
	popfl
	pushfl
	popl	%eax
	andl	$0x00000fd7, %eax
	EQ	$0x00000893, %eax
	cld
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	cld
	TAP	e, "PUSHF/POPF and PUSHFD/POPFD"

	/* ---------------------------------------------------------------
	 * 5. Control flow
	 * ------------------------------------------------------------- */

	/* 18: CALL/RET, RET imm16, CALL through a register, memory, a
	 * CS: table; CALL pushes a 16-bit return IP, 66h CALL a 32-bit one
	 * that 66h RET pops (as gcc -m16 code does). */
	mov	%sp, SAVE_SP
	xor	%ax, %ax
	call	sub_inc
	mov	$sub_inc, %bx
	call	*%bx
	movw	$sub_inc, SCRATCH
	call	*SCRATCH
	mov	$2, %si
	call	*%cs:call_tab(%si)
	EQ	$4, %ax
	pushw	$5
	pushw	$6
	call	sub_ret4
	EQ	$6, %cx
	EQ	$5, %dx
	EQ	SAVE_SP, %sp
	call	sub_retip
after_call:
	EQ	$after_call, %di
	xorl	%edx, %edx
	calll	sub_ret32		/* 66 E8: pushes a 32-bit EIP */
after_call32:
	EQ	$after_call32, %edx
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "CALL/RET, RET imm16, CALL reg/[mem]/CS:[tab+si], 66h CALL/RET"

	/* 19: JMP through a CS: table and through a register. */
	mov	$4, %bx
	xor	%ax, %ax
	jmp	*%cs:jmp_tab(%bx)
jt0:	mov	$10, %ax
	jmp	2f
jt1:	mov	$11, %ax
	jmp	2f
jt2:	mov	$12, %ax
2:	EQ	$12, %ax
	mov	$3f, %dx
	jmp	*%dx
	FAIL
3:	movw	$4f, SCRATCH
	jmp	*SCRATCH
	FAIL
4:	cmp	%ax, %ax
1:	TAP	e, "JMP CS:[tab+bx], JMP reg, JMP [mem]"

	/* 20: LOOP/LOOPE/LOOPNE/JCXZ use CX only (LOOP from CX = 0 runs
	 * 65536 times); 67h makes them use ECX. */
	movl	$0x12340003, %ecx
	xor	%dx, %dx
2:	inc	%dx
	loop	2b
	EQ	$3, %dx
	EQ	$0x12340000, %ecx
	mov	$10, %cx
	xor	%dx, %dx
2:	inc	%dx
	test	$4, %dl
	loope	2b			/* stops at DX = 4 (ZF = 0) */
	EQ	$4, %dx
	EQ	$6, %cx
	mov	$10, %cx
	xor	%dx, %dx
2:	inc	%dx
	cmp	$7, %dx
	loopne	2b			/* stops at DX = 7 (ZF = 1) */
	EQ	$7, %dx
	EQ	$3, %cx
	movl	$0x00010000, %ecx
	jcxz	2f
	FAIL
2:	jecxz	3f
	jmp	4f
3:	FAIL
4:	movl	$0x00010002, %ecx
	xorl	%edx, %edx
2:	incl	%edx
	addr32	loop 2b			/* 67 E2: ECX counts */
	EQ	$0x00010002, %edx
	EQ	$0, %ecx
	movl	$0xabcd0000, %ecx	/* CX = 0: LOOP runs 65536 times */
	xorl	%edx, %edx
2:	incl	%edx
	loop	2b
	EQ	$0x00010000, %edx
	EQ	$0xabcd0000, %ecx
1:	TAP	e, "LOOP/LOOPE/LOOPNE/JCXZ on CX, keep ECX[31:16]; 67h on ECX"

	/* Copy the routines that run at SEG_CODE:RAM_CODE into RAM, and a
	 * near jump at SEG_CODE:FFFC whose target 0x10002 wraps to 0002. */
	push	%es
	mov	$SEG_CODE, %ax
	mov	%ax, %es
	mov	$ram_code, %si
	mov	$RAM_CODE, %di
	mov	$ram_code_end - ram_code, %cx
	rep movsb %cs:(%si), %es:(%di)
	movw	$0x04eb, %es:0xfffc	/* jmp +4: 0xfffe + 4 = 0x10002 */
	movw	$0x42b0, %es:0x0002	/* mov $0x42, %al */
	movb	$0xcb, %es:0x0004	/* lret */
	mov	$SEG_CODE + 0x1000, %ax
	mov	%ax, %es
	movw	$0x99b0, %es:0x0002	/* where no wrap would land */
	movb	$0xcb, %es:0x0004
	pop	%es

	/* 21: a near jump whose 16-bit target wraps past FFFF. */
	mov	%sp, SAVE_SP
	xor	%al, %al
	lcall	$SEG_CODE, $0xfffc
	EQ	$0x42, %al
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "near JMP from 4000:FFFC to 0x10002 wraps to 4000:0002"

	/* 22: far CALL/RETF, RETF imm16, CALL FAR [mem], 66h far call. */
	mov	%sp, SAVE_SP
	xor	%ax, %ax
	xor	%dx, %dx
	lcall	$SEG_CODE, $RAM_CODE + (far_sub - ram_code)
far_ret1:
	EQ	$SEG_CODE, %ax
	EQ	$0xf000, %dx
	EQ	$far_ret1, %di
	EQ	SAVE_SP, %sp
	pushw	$0x1234
	xor	%ax, %ax
	lcall	$SEG_CODE, $RAM_CODE + (far_sub_ret2 - ram_code)
	EQ	$SEG_CODE, %ax
	EQ	SAVE_SP, %sp
	movw	$RAM_CODE + (far_sub - ram_code), SCRATCH
	movw	$SEG_CODE, SCRATCH + 2
	xor	%ax, %ax
	lcall	*SCRATCH
	EQ	$SEG_CODE, %ax
	EQ	SAVE_SP, %sp
	xor	%ax, %ax
	xorl	%edx, %edx
	lcalll	$SEG_CODE, $RAM_CODE + (far_sub32 - ram_code)
far_ret32:
	EQ	$SEG_CODE, %ax
	EQ	$far_ret32, %edx	/* a 32-bit return EIP was pushed */
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "far CALL/RETF, RETF imm16, CALL FAR [mem], 66h CALL FAR/RETFD"

	/* 23: far JMP ptr16:16 and JMP FAR [mem] (the routine returns with
	 * JMP FAR SS:[FAR_PTR]). */
	movw	$far_back1, FAR_PTR
	movw	$0xf000, FAR_PTR + 2
	xor	%cl, %cl
	ljmp	$SEG_CODE, $RAM_CODE + (far_jmp_tgt - ram_code)
	FAIL
far_back1:
	EQ	$0x77, %cl
	movw	$far_back2, FAR_PTR
	movw	$RAM_CODE + (far_jmp_tgt - ram_code), SCRATCH
	movw	$SEG_CODE, SCRATCH + 2
	xor	%cl, %cl
	ljmp	*SCRATCH
	FAIL
far_back2:
	EQ	$0x77, %cl
	mov	%cs, %ax
	EQ	$0xf000, %ax
1:	TAP	e, "far JMP ptr16:16 and JMP FAR [mem] there and back"

	/* ---------------------------------------------------------------
	 * 6. Segment loads
	 * ------------------------------------------------------------- */

	/* 24: MOV/PUSH/POP Sreg, LDS/LES/LFS: base = selector * 16. */
	push	%ds
	push	%es
	mov	$0x2345, %ax
	mov	%ax, %es
	movw	$0x5a5a, %es:0
	movw	$0xa5a5, %es:2
	mov	$0x2000, %ax
	mov	%ax, %ds
	mov	0x3450, %bx		/* 2000:3450 = 2345:0000 */
	EQ	$0x5a5a, %bx
	mov	$0x2340, %ax
	mov	%ax, %ds
	mov	0x0052, %bx		/* 2340:0052 = 2345:0002 */
	EQ	$0xa5a5, %bx
	push	%es
	pop	%ds
	mov	%ds, %ax
	EQ	$0x2345, %ax
	mov	0, %cx
	EQ	$0x5a5a, %cx
	xor	%ax, %ax
	mov	%ax, %ds
	movw	$0x0002, SCRATCH
	movw	$0x2345, SCRATCH + 2
	xor	%ax, %ax
	mov	%ax, %es
	les	SCRATCH, %di
	mov	%es, %ax
	EQ	$0x2345, %ax
	EQ	$0x0002, %di
	mov	%es:(%di), %dx
	EQ	$0xa5a5, %dx
	lfs	SCRATCH, %bx
	mov	%fs:(%bx), %dx
	EQ	$0xa5a5, %dx
	lds	SCRATCH, %si		/* DS last: SCRATCH is in segment 0 */
	mov	(%si), %dx
	EQ	$0xa5a5, %dx
	mov	%ds, %ax
	EQ	$0x2345, %ax
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %ds
	mov	%es, SCRATCH + 4	/* MOV m16, Sreg */
	EQ	$0x2345, SCRATCH+4, w
1:	pop	%es
	pop	%ds
	TAP	e, "MOV/PUSH/POP Sreg, LDS/LES/LFS: base = selector * 16"

	/* ---------------------------------------------------------------
	 * 7. String instructions with 16-bit addresses
	 * ------------------------------------------------------------- */

	/* 25: MOVSB/MOVSW/STOSW/LODSB/CMPSB/SCASW one at a time, DF = 0. */
	cld
	mov	$abcdefgh, %si
	mov	$STR_SRC, %di
	mov	$8, %cx
	rep movsb %cs:(%si), %es:(%di)
	mov	$STR_SRC, %si
	mov	$STR_DST, %di
	movsb
	EQ	$STR_SRC+1, %si
	EQ	$STR_DST+1, %di
	movsw
	EQ	$STR_SRC+3, %si
	EQ	$STR_DST+3, %di
	mov	$0x5a5a, %ax
	stosw
	EQ	$STR_DST+5, %di
	EQ	$0x4241, STR_DST, w
	EQ	$0x5a43, STR_DST+2, w
	lodsb
	EQ	$'D', %al
	EQ	$STR_SRC+4, %si
	mov	$STR_SRC, %si
	mov	$STR_DST, %di
	cmpsb				/* 'A' = 'A' */
	jne	1f
	EQ	$STR_SRC+1, %si
	mov	$0x4342, %ax		/* "BC" at STR_DST + 1 */
	scasw
	jne	1f
	EQ	$STR_DST+3, %di
	scasw				/* 0x5a5a != 0x4342 */
	je	2f
	cmp	%ax, %ax
	jmp	1f
2:	FAIL
1:	TAP	e, "MOVSB/MOVSW/STOSW/LODSB/CMPSB/SCASW with DF=0"

	/* 26: REP STOSB/MOVSW, REPE CMPSB, REPNE SCASB count with CX only;
	 * CX = 0 with ECX != 0 does nothing; an overlapping REP MOVSB copies
	 * byte by byte (fills). */
	movw	$0, STR_FILL + 4
	movw	$0, STR_FILL + 6
	movl	$0x00010005, %ecx
	mov	$STR_FILL, %di
	mov	$0xee, %al
	rep stosb
	EQ	$0x00010000, %ecx
	EQ	$STR_FILL+5, %di
	EQ	$0xeeee, STR_FILL+2, w
	EQ	$0x00ee, STR_FILL+4, w
	mov	$STR_SRC, %si
	mov	$STR_FILL + 0x10, %di
	mov	$4, %cx
	rep movsw
	EQ	$0, %cx
	EQ	$STR_SRC+8, %si
	EQ	$STR_FILL+0x18, %di
	EQ	$0x4847, STR_FILL+0x16, w
	movb	$'X', STR_FILL + 0x13
	mov	$STR_SRC, %si
	mov	$STR_FILL + 0x10, %di
	mov	$8, %cx
	repe cmpsb			/* stops after 'D' != 'X' */
	je	2f
	EQ	$4, %cx
	EQ	$STR_SRC+4, %si
	EQ	$STR_FILL+0x14, %di
	mov	$STR_SRC, %di
	mov	$'E', %al
	mov	$8, %cx
	repne scasb
	jne	2f
	EQ	$3, %cx
	EQ	$STR_SRC+5, %di
	movl	$0x00010000, %ecx	/* CX = 0: REP does nothing */
	mov	$STR_FILL + 0x20, %di
	movb	$0x99, STR_FILL + 0x20
	mov	$0x11, %al
	rep stosb
	EQ	$STR_FILL+0x20, %di
	EQ	$0x00010000, %ecx
	EQ	$0x99, STR_FILL+0x20, b
	movb	$'Z', STR_FILL + 0x30	/* overlapping REP MOVSB: a fill */
	mov	$STR_FILL + 0x30, %si
	mov	$STR_FILL + 0x31, %di
	mov	$7, %cx
	rep movsb
	EQ	$0x5a5a, STR_FILL+0x30, w
	EQ	$0x5a5a, STR_FILL+0x36, w
	jmp	1f
2:	FAIL
1:	TAP	e, "REP STOSB/MOVSW, REPE CMPSB, REPNE SCASB on CX; CX=0; overlap"

	/* 27: DF = 1: REP MOVSB, LODSW and STOSB go down. */
	std
	mov	$STR_SRC + 7, %si
	mov	$STR_BACK + 7, %di
	mov	$8, %cx
	rep movsb
	cld
	EQ	$(STR_SRC-1), %si
	EQ	$(STR_BACK-1), %di
	EQ	$0x4241, STR_BACK, w
	EQ	$0x4847, STR_BACK+6, w
	std
	mov	$STR_SRC + 6, %si
	lodsw
	mov	$STR_BACK + 0x10, %di
	stosb
	cld
	EQ	$0x4847, %ax
	EQ	$STR_SRC+4, %si
	EQ	$STR_BACK+0xf, %di
	EQ	$0x47, STR_BACK+0x10, b
1:	cld
	TAP	e, "DF=1: REP MOVSB, LODSW, STOSB go down"

	/* 28: REP MOVSB from DS=0x1000 to ES=0x2000; REP STOSB and MOVSW
	 * whose DI/SI wrap at 64 KiB. */
	push	%ds
	push	%es
	mov	$SEG_B + 0x1000, %ax	/* linear 0x30000: must stay 0 */
	mov	%ax, %es
	movw	$0, %es:0
	mov	$SEG_A, %ax
	mov	%ax, %es
	mov	$abcdefgh, %si
	mov	$0x300, %di
	mov	$8, %cx
	rep movsb %cs:(%si), %es:(%di)
	mov	%ax, %ds
	mov	$SEG_B, %ax
	mov	%ax, %es
	movw	$0, %es:0x406
	mov	$0x300, %si
	mov	$0x400, %di
	mov	$6, %cx
	rep movsb
	EQ	$0x306, %si
	EQ	$0x406, %di
	EQ	$0x4241, %es:0x400, w
	EQ	$0x4645, %es:0x404, w
	EQ	$0, %es:0x406, w
	mov	$0xfffe, %di
	mov	$0x77, %al
	mov	$4, %cx
	rep stosb
	EQ	$0x0002, %di
	EQ	$0x7777, %es:0xfffe, w
	EQ	$0x7777, %es:0, w
	movw	$0x1234, 0xfffe
	movw	$0x5678, 0
	mov	$0xfffe, %si
	mov	$0x500, %di
	movsw
	movsw
	EQ	$0x0002, %si
	EQ	$0x1234, %es:0x500, w
	EQ	$0x5678, %es:0x502, w
	mov	$SEG_B + 0x1000, %ax
	mov	%ax, %es
	EQ	$0, %es:0, w
1:	pop	%es
	pop	%ds
	TAP	e, "REP MOVSB with DS != ES; SI/DI wrap at 64 KiB"

	/* ---------------------------------------------------------------
	 * 8. Interrupts
	 * ------------------------------------------------------------- */

	/* 29: INT 0x70 through the IVT: IF clear inside, the frame holds
	 * IP, CS, FLAGS; IRET restores CF and IF. */
	mov	%sp, SAVE_SP
	mov	$0x70, %bx
	mov	$int70_handler, %ax
	call	set_vector
	pushf
	sti
	stc
	mov	$5, %ax
	int	$0x70
after_int70:
	pushf
	pop	%dx
	cli
	popf
	EQ	$6, %ax
	EQ	$0, VAR_FL, w	/* IF inside */
	and	$0x201, %dx
	EQ	$0x201, %dx
	EQ	$after_int70, SCRATCH, w
	EQ	$0xf000, SCRATCH+2, w
	EQ	$0x201, SCRATCH+4, w	/* pushed FLAGS & 0x201 */
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	cli
	TAP	e, "INT n/IRET: frame IP CS FLAGS, IF clear inside, CF IF back"

	/* 30: INT3 (CC) and INT 3 (CD 03) return after themselves; INTO
	 * traps only with OF = 1. */
	mov	$3, %bx
	mov	$int3_handler, %ax
	call	set_vector
	mov	$4, %bx
	mov	$int4_handler, %ax
	call	set_vector
	xor	%cx, %cx
	int3
after_int3:
	EQ	$after_int3, %di
	.byte	0xcd, 0x03
after_intn3:
	EQ	$after_intn3, %di
	mov	$0x7f, %al
	add	$1, %al			/* OF = 1 */
	into
after_into:
	EQ	$after_into, %di
	xor	%di, %di
	add	$1, %al			/* OF = 0 */
	into
	EQ	$0, %di
	EQ	$3, %cx
1:	TAP	e, "INT3 (CC), INT 3 (CD 03) and INTO"

	/* ---------------------------------------------------------------
	 * 9. Miscellaneous
	 * ------------------------------------------------------------- */

	/* 31: XLAT, CBW/CWD/CWDE/CDQ, XCHG, BSWAP. */
	mov	$xlat_tab, %bx
	mov	$3, %al
	xlat	%cs:(%bx)
	EQ	$0x43, %al
	mov	$0x80, %al
	cbw
	EQ	$0xff80, %ax
	cwd
	EQ	$0xffff, %dx
	mov	$0x7fff, %ax
	cwd
	EQ	$0, %dx
	movl	$0x12348000, %eax
	cwtl
	EQ	$0xffff8000, %eax
	cltd
	EQ	$0xffffffff, %edx
	mov	$0x1111, %ax
	mov	$0x2222, %bx
	xchg	%ax, %bx
	EQ	$0x2222, %ax
	EQ	$0x1111, %bx
	mov	$0x3333, %cx
	mov	$0x4444, %dx
	xchg	%cx, %dx
	EQ	$0x4444, %cx
	movw	$0x5555, SCRATCH
	xchg	%ax, SCRATCH
	EQ	$0x5555, %ax
	EQ	$0x2222, SCRATCH, w
	movl	$0x12345678, %esi
	bswap	%esi
	EQ	$0x78563412, %esi
1:	TAP	e, "XLAT, CBW/CWD/CWDE/CDQ, XCHG, BSWAP"

	/* 32: SETcc, CMOVcc (16-bit), BT/BTS/BTR/BTC, BSF/BSR 16-bit. */
	mov	$5, %ax
	cmp	$7, %ax
	setl	%bl
	setg	%bh
	setb	%cl
	EQ	$0x0001, %bx
	EQ	$1, %cl
	mov	$0x1111, %dx
	mov	$0x2222, %cx
	cmp	%cx, %dx
	cmovb	%cx, %dx		/* taken */
	EQ	$0x2222, %dx
	movl	$0xabcd1111, %esi
	cmp	%cx, %dx
	cmovne	%cx, %si		/* not taken: ESI kept */
	EQ	$0xabcd1111, %esi
	cmp	%cx, %dx
	cmove	%cx, %si		/* taken: ESI[31:16] kept */
	EQ	$0xabcd2222, %esi
	mov	$0x0020, %ax
	bt	$5, %ax
	jnc	2f
	bts	$3, %ax
	jc	2f
	btr	$5, %ax
	jnc	2f
	btc	$15, %ax
	EQ	$0x8008, %ax
	movw	$0, SCRATCH
	movw	$2, SCRATCH + 2
	mov	$17, %cx
	bt	%cx, SCRATCH		/* bit 17: bit 1 of the next word */
	jnc	2f
	mov	$0x0100, %ax
	bsf	%ax, %dx
	EQ	$8, %dx
	mov	$0x0101, %ax
	bsr	%ax, %dx
	EQ	$8, %dx
	mov	$0x8000, %ax
	bsr	%ax, %dx
	EQ	$15, %dx
	xor	%ax, %ax
	bsf	%ax, %dx
	jz	1f			/* ZF = 1: passed */
2:	FAIL
1:	TAP	e, "SETcc, CMOVcc r16, BT/BTS/BTR/BTC, BSF/BSR r16"

	/* 33: LAHF/SAHF, DAA/DAS/AAA. */
	mov	$0xd5, %ah
	sahf
	FLAGS	%bx, 0xd5
	EQ	$0xd5, %bx
	mov	$0xd5, %ah
	sahf
	lahf
	EQ	$0xd7, %ah
	mov	$0x15, %al
	add	$0x27, %al		/* 0x3c */
	daa
	EQ	$0x42, %al
	mov	$0x99, %al
	add	$0x01, %al		/* 0x9a */
	daa
	jnc	2f
	EQ	$0x00, %al
	mov	$0x42, %al
	sub	$0x15, %al		/* 0x2d */
	das
	EQ	$0x27, %al
	mov	$0x0009, %ax
	add	$3, %al			/* 0x0c */
	aaa
	jnc	2f
	EQ	$0x0102, %ax
	jmp	1f
2:	FAIL
1:	TAP	e, "LAHF/SAHF, DAA/DAS/AAA"

	/* ---------------------------------------------------------------
	 * 10. Big real mode
	 * ------------------------------------------------------------- */

	/* 34: DS and ES loaded with a 4 GiB data descriptor in protected
	 * mode keep that limit back in real mode after MOV DS/ES, 0: 67h
	 * accesses reach linear 0x00200000 (2 MiB, no A20 alias). */
	push	%ds
	push	%es
	movl	0, %eax			/* IVT entry 0: must not change */
	movl	%eax, SCRATCH
	lgdtl	%cs:unreal_gdt_desc
	mov	%cr0, %eax
	or	$1, %al
	mov	%eax, %cr0
	jmp	2f
2:	mov	$8, %bx
	mov	%bx, %ds
	mov	%bx, %es
	and	$0xfe, %al
	mov	%eax, %cr0
	jmp	3f
3:	xor	%bx, %bx
	mov	%bx, %ds
	mov	%bx, %es
	movl	$0x00200000, %edi
	movl	$0xcafebabe, (%edi)
	movl	$0x12345678, %es:4(%edi)
	movl	(%edi), %eax
	EQ	$0xcafebabe, %eax
	addr32 movl 0x00200004, %edx
	EQ	$0x12345678, %edx
	movl	$0x00200000, %esi
	movl	$0x00200100, %edi
	movl	$8, %ecx
	addr32 rep movsb		/* 67h string: ESI, EDI, ECX */
	EQ	$0x00200008, %esi
	EQ	$0x00200108, %edi
	EQ	$0, %ecx
	addr32 movl 0x00200104, %eax
	EQ	$0x12345678, %eax
	movl	SCRATCH, %eax
	EQ	0, %eax
1:	pop	%es
	pop	%ds
	TAP	e, "unreal mode: DS=0 with a 4 GiB limit reaches 0x00200000"

	/* ---------------------------------------------------------------
	 * 11. Translator corner cases: code in RAM and faults
	 * ------------------------------------------------------------- */

	/* 35: the same RAM code through two CS:IP aliases (4000:01xx and
	 * 3FF0:02xx, one linear address) sees its own CS and IP. */
	mov	%sp, SAVE_SP
	lcall	$SEG_CODE, $RAM_CODE + (far_ip - ram_code)
	EQ	$SEG_CODE, %ax
	EQ	$RAM_CODE+(far_ip_next-ram_code), %bx
	lcall	$SEG_CODE - 0x10, $RAM_CODE + 0x100 + (far_ip - ram_code)
	EQ	$(SEG_CODE-0x10), %ax
	EQ	$RAM_CODE+0x100+(far_ip_next-ram_code), %bx
	xor	%ax, %ax
	lcall	$SEG_CODE - 0x10, $RAM_CODE + 0x100 + (far_sub - ram_code)
far_ret_alias:
	EQ	$(SEG_CODE-0x10), %ax
	EQ	$0xf000, %dx
	EQ	$far_ret_alias, %di
	lcall	$SEG_CODE, $RAM_CODE + (far_ip - ram_code)
	EQ	$SEG_CODE, %ax
	EQ	$RAM_CODE+(far_ip_next-ram_code), %bx
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "RAM code run as 4000:01xx and 3FF0:02xx sees its own CS and IP"

	/* 36: code in RAM that already ran, rewritten from outside, runs as
	 * rewritten; code that rewrites its own next instruction too. */
	mov	%sp, SAVE_SP
	push	%es
	mov	$SEG_CODE, %ax
	mov	%ax, %es
	xor	%al, %al
	lcall	$SEG_CODE, $0xfffc	/* ran in check 21: AL = 0x42 */
	EQ	$0x42, %al
	movb	$0x43, %es:0x0003	/* mov $0x43, %al now */
	lcall	$SEG_CODE, $0xfffc
	EQ	$0x43, %al
	movb	$0x42, %es:0x0003
	lcall	$SEG_CODE, $0xfffc
	EQ	$0x42, %al
	lcall	$SEG_CODE, $RAM_CODE + (smc_self - ram_code)
	EQ	$0x55, %al
	movb	$0x11, %es:RAM_CODE + (smc_imm - ram_code)
	xor	%al, %al
	lcall	$SEG_CODE, $RAM_CODE + (smc_self - ram_code)
	EQ	$0x55, %al
	EQ	$0x55, %es:RAM_CODE+(smc_imm-ram_code), b
1:	mov	SAVE_SP, %sp
	pop	%es
	TAP	e, "RAM code rewritten after it ran (and by itself) runs as rewritten"

	/* 37: #DE and #UD in real mode push the IP of the faulting
	 * instruction (its first prefix), through IVT vectors 0 and 6. */
	mov	%sp, SAVE_SP
	xor	%bx, %bx
	mov	$fault_handler, %ax
	call	set_vector		/* vector 0: #DE */
	mov	$6, %bx
	call	set_vector		/* vector 6: #UD */
	xor	%cx, %cx
	movw	$2, VAR_X
	mov	$0x1234, %ax
	xor	%bl, %bl
de_1:	div	%bl			/* F6 F3: divide by zero */
	EQ	$de_1, %di
	mov	$1, %dx
	xor	%ax, %ax
	mov	$1, %bx
de_2:	div	%bx			/* F7 F3: 0x10000 / 1 overflows */
	EQ	$de_2, %di
	movw	$3, VAR_X
	xorl	%ebx, %ebx
de_3:	divl	%ebx			/* 66 F7 F3 */
	EQ	$de_3, %di
	movw	$2, VAR_X
ud_1:	ud2
	EQ	$ud_1, %di
	movw	$3, VAR_X
ud_2:	.byte	0x2e, 0x0f, 0x0b	/* cs ud2 */
	EQ	$ud_2, %di
	EQ	$5, %cx
	EQ	SAVE_SP, %sp
1:	mov	SAVE_SP, %sp
	TAP	e, "#DE and #UD push the faulting IP (vectors 0 and 6)"

	call	tap_exit

/* sub_inc: AX += 1. */
sub_inc:
	inc	%ax
	ret

/* sub_ret4: CX, DX = the two words pushed by the caller; pops them. */
sub_ret4:
	mov	%sp, %bp
	mov	2(%bp), %cx
	mov	4(%bp), %dx
	ret	$4

/* sub_retip: DI = the return IP on the stack. */
sub_retip:
	mov	%sp, %bp
	mov	(%bp), %di
	ret

/* sub_ret32: EDX = the 32-bit return EIP on the stack; RETD. */
sub_ret32:
	movl	(%esp), %edx
	retl

/* fault_handler: DI = the faulting IP; skips VAR_X bytes; CX += 1. */
fault_handler:
	push	%bp
	mov	%sp, %bp
	push	%ax
	mov	2(%bp), %di
	mov	VAR_X, %ax
	add	%ax, 2(%bp)
	inc	%cx
	pop	%ax
	pop	%bp
	iret

/* int70_handler: AX += 1; VAR_FL = FLAGS & 0x200 (IF) inside; SCRATCH = the
 * frame (IP, CS, FLAGS & 0x201); clears CF, which IRET puts back. */
int70_handler:
	push	%bp
	push	%bx
	inc	%ax
	pushf
	pop	%bx
	and	$0x200, %bx
	mov	%bx, VAR_FL
	mov	%sp, %bp
	mov	4(%bp), %bx
	mov	%bx, SCRATCH
	mov	6(%bp), %bx
	mov	%bx, SCRATCH + 2
	mov	8(%bp), %bx
	and	$0x201, %bx
	mov	%bx, SCRATCH + 4
	clc
	pop	%bx
	pop	%bp
	iret

/* int3_handler, int4_handler: DI = the return IP, CX += 1. */
int3_handler:
int4_handler:
	mov	%sp, %bp
	mov	(%bp), %di
	inc	%cx
	iret

/* Code copied to SEG_CODE:RAM_CODE; position-independent in its segment. */
ram_code:
/* far_sub: AX = CS, DX = the CS pushed by the far call, DI = its IP. */
far_sub:
	mov	%cs, %ax
	mov	%sp, %bp
	mov	2(%bp), %dx
	mov	(%bp), %di
	lret
/* far_sub_ret2: AX = CS, pops the caller's word. */
far_sub_ret2:
	mov	%cs, %ax
	lret	$2
/* far_sub32: AX = CS, EDX = the return EIP (32 bits); RETFD. */
far_sub32:
	mov	%cs, %ax
	mov	%sp, %bp
	movl	(%bp), %edx
	lretl
/* far_ip: AX = CS, BX = the IP of far_ip_next (a near CALL pushes it). */
far_ip:
	call	far_ip_next
far_ip_next:
	pop	%bx
	mov	%cs, %ax
	lret
/* smc_self: rewrites the immediate of its next instruction, then runs it:
 * AL = 0x55, not 0x11. */
smc_self:
	movb	$0x55, %cs:RAM_CODE + (smc_imm - ram_code)
	.byte	0xb0			/* mov $imm8, %al */
smc_imm:
	.byte	0x11
	lret
/* far_jmp_tgt: CL = 0x77, then JMP FAR SS:[FAR_PTR] (SS = 0). */
far_jmp_tgt:
	mov	$0x77, %cl
	ljmp	*%ss:FAR_PTR
ram_code_end:

	.section .rodata
cs_const:
	.word	0x1357
call_tab:
	.word	sub_inc, sub_inc
jmp_tab:
	.word	jt0, jt1, jt2
xlat_tab:
	.byte	0x10, 0x21, 0x32, 0x43, 0x54
abcdefgh:
	.ascii	"ABCDEFGH"
	.text
