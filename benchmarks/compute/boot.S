/* boot.S - multiboot v1 entry of the compute-benchmark guest. */
	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002		/* magic */
	.long 0x00000003		/* flags: page-align modules, memory info */
	.long -(0x1BADB002 + 0x00000003)

	.text
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	movl %cr0, %ecx			/* x87 and SSE on: CR0.MP, !EM, !TS */
	andl $~0x0000000c, %ecx
	orl $0x00000022, %ecx		/* MP | NE */
	movl %ecx, %cr0
	movl %cr4, %ecx
	orl $0x00000600, %ecx		/* OSFXSR | OSXMMEXCPT */
	movl %ecx, %cr4
	fninit
	pushl %ebx			/* multiboot info */
	pushl %eax			/* magic */
	call guest_main
1:	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
	.bss
	.align 16
	.space 65536
stack_top:
