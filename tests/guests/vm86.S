/*
 * Virtual-8086 side of vm86.c: the entry into vm86 by IRET, the ring-0
 * stubs of the INT 0x40/0x41 gates, and the 16-bit programs that vm86.c
 * copies to linear 0x8000 and runs there with CS = 0x0800 (each program
 * starts at its offset from v86_blob).
 *
 * The programs leave vm86 with INT 0x80, EAX = 0, EBX = 0x600d: the
 * runtime's system-call gate (DPL 3), whose SYS_EXIT unwinds to v86_call.
 * They store what they see as words in the data segment (DS = 0x3000 when
 * entered); the R_* offsets below are repeated in vm86.c.
 */
#define R_ADD	  0x00
#define R_FLAGS	  0x02
#define R_ADD32	  0x04
#define R_SP0	  0x08
#define R_SP1	  0x0a
#define R_POP	  0x0c
#define R_CALL	  0x0e
#define R_RETADDR 0x10
#define R_LOOP	  0x12
#define R_LOOPCX  0x14
#define R_ESREAD  0x16
#define R_SPCALL  0x18
#define R_INTAX	  0x20
#define R_INTES	  0x22
#define R_INTRD	  0x24
#define R_F1	  0x26
#define R_F2	  0x28
#define R_F3	  0x2a
#define R_F4	  0x2c
#define R_EPUSHF  0x30
#define R_IOVAL	  0x34
#define R_IOW	  0x36
#define R_PFREAD  0x38
#define R_SEG1	  0x3a
#define R_SEG2	  0x3c
#define R_SEG3	  0x3e
#define R_TICK	  0x40
#define R_STR	  0x100

	.section .note.GNU-stack, "", @progbits

	.text
/*
 * uint32_t v86_call(const uint32_t frame[9]): saves what rt_user_unwind
 * restores (as rt_user_call does), then IRETs with the vm86 frame EIP, CS,
 * EFLAGS (VM set), ESP, SS, ES, DS, FS, GS. Returns the EBX of the
 * SYS_EXIT that ends the vm86 program.
 */
	.globl v86_call
v86_call:
	pushf
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, rt_kernel_saved_esp
	mov 24(%esp), %eax
	pushl 32(%eax)
	pushl 28(%eax)
	pushl 24(%eax)
	pushl 20(%eax)
	pushl 16(%eax)
	pushl 12(%eax)
	pushl 8(%eax)
	pushl 4(%eax)
	pushl 0(%eax)
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	iret

/* INT 0x40 / 0x41 gates: build a struct rt_frame and call
 * v86_int_handler(frame), then IRET (back to vm86). */
	.globl v86_isr40, v86_isr41
v86_isr40:
	push $0
	push $0x40
	jmp v86_isr_common
v86_isr41:
	push $0
	push $0x41
v86_isr_common:
	pusha
	push %ds
	push %es
	push %fs
	push %gs
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	cld
	push %esp
	call v86_int_handler
	add $4, %esp
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

.macro EXIT
	movl $0x600d, %ebx
	xorl %eax, %eax
	int $0x80
.endm

	.section .rodata
	.globl v86_blob, v86_blob_end
	.globl p_basic, after_call
	.globl p_int, int40_ret
	.globl p_sens, s_cli, s_sti, s_pushf, s_popf, s_int, s_iret, s_int3_next
	.globl p_io, io_inw, io_out80, io_in3fe
	.globl p_fault, f_ud, f_pfw, f_pfr
	.globl p_seg, s_int81
	.globl p_irq, p_irq_end
	.code16
v86_blob:

/* 1. Arithmetic, stack, call/ret, loop, DS/ES accesses. */
p_basic:
	mov $0x1234, %ax
	add $0x4321, %ax
	mov %ax, R_ADD
	mov $0xffff, %bx
	add $1, %bx
	pushf
	pop %ax
	and $0x08d5, %ax
	mov %ax, R_FLAGS
	movl $0x12345678, %eax
	addl $0x11111111, %eax
	movl %eax, R_ADD32
	mov %sp, %ax
	mov %ax, R_SP0
	mov $0xabcd, %ax
	push %ax
	mov %sp, %ax
	mov %ax, R_SP1
	pop %cx
	mov %cx, R_POP
	mov $5, %ax
	call sub_triple
after_call:
	mov %ax, R_CALL
	xor %ax, %ax
	mov $10, %cx
1:	add %cx, %ax
	loop 1b
	mov %ax, R_LOOP
	mov %cx, R_LOOPCX
	mov $0x5a5a, %ax
	mov %ax, %es:0x10
	mov %es:0x20, %ax
	mov %ax, R_ESREAD
	cld
	mov $R_STR, %si
	mov $0x40, %di
	mov $4, %cx
	rep movsb
	EXIT

/* AX = 3 * AX; notes the return IP on the stack and SP. */
sub_triple:
	mov %sp, %bp
	mov (%bp), %dx
	mov %dx, R_RETADDR
	mov %sp, %dx
	mov %dx, R_SPCALL
	mov %ax, %dx
	add %ax, %ax
	add %dx, %ax
	ret

/* 2. INT n through the IDT (IOPL 3), then CLI/STI/PUSHF/POPF. */
p_int:
	mov $0x1000, %ax
	sti
	int $0x40
int40_ret:
	mov %ax, R_INTAX
	mov %es, %bx
	mov %bx, R_INTES
	mov %es:0, %cx
	mov %cx, R_INTRD
	pushf
	pop %ax
	mov %ax, R_F1
	cli
	pushf
	pop %ax
	mov %ax, R_F2
	pushw $0x0200
	popf
	pushf
	pop %ax
	mov %ax, R_F3
	pushw $0
	popf
	pushfl
	popl %eax
	movl %eax, R_F4
	pushl $0x00000202
	popfl
	int $0x41
	EXIT

/* 3. IOPL-sensitive instructions at IOPL 0 (each #GP(0), emulated). */
p_sens:
s_cli:	cli
s_sti:	sti
s_pushf:
	pushf
	pop %ax
	mov %ax, R_EPUSHF
	pushw $0
s_popf:	popf
s_int:	int $0x42
s_iret:	iret
	int3
s_int3_next:
	EXIT

/* 4. IN/OUT through the TSS I/O bitmap (only port 0x3ff allowed). */
p_io:
	mov $0x3ff, %dx
	mov $0xa5, %al
	out %al, %dx
	xor %al, %al
	in %dx, %al
	mov %al, R_IOVAL
io_inw:	in %dx, %ax
	mov %ax, R_IOW
io_out80:
	out %al, $0x80
	mov $0x3fe, %dx
io_in3fe:
	in %dx, %al
	EXIT

/* 5. #UD and page faults (paging on: 0x35000 not present, 0x36000
 * supervisor-only). */
p_fault:
f_ud:	ud2
	mov $0x3500, %ax
	mov %ax, %es
f_pfw:	movw $0xbeef, %es:0x123
	mov $0x3600, %ax
	mov %ax, %fs
f_pfr:	mov %fs:0x456, %ax
	mov %ax, R_PFREAD
	EXIT

/* 6. Segment loads: base = selector * 16, no descriptor table. */
p_seg:
	mov $0x1234, %ax
	mov %ax, %ds
	mov 0x0005, %bx
	mov %ds, %cx
	mov $0x1235, %ax
	mov %ax, %gs
	mov %gs:0x0005, %dx
	mov %ss, %si
	mov %sp, %di
	mov $0x1230, %ax
	mov %ax, %ss
	mov $0x0100, %sp
	pushw $0x7e7e
	mov %si, %ss
	mov %di, %sp
	mov $0x3000, %ax
	mov %ax, %ds
	mov %bx, R_SEG1
	mov %cx, R_SEG2
	mov %dx, R_SEG3
s_int81:
	int $0x81
	EXIT

/* 7. Wait (IF = 1) until the IRQ0 hook sets R_TICK. */
p_irq:
	movl $100000000, %ecx
1:	cmpw $0, R_TICK
	jne 2f
	decl %ecx
	jnz 1b
2:
p_irq_end:
	EXIT

v86_blob_end:
	.code32
