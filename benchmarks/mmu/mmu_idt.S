/* mmu_idt.S - the #PF handler of the pagefault benchmark: an IDT whose
 * vector 14 calls pf_map(CR2) and returns to the faulting instruction. */
	.text
	.globl idt_install_pf
idt_install_pf:
	movl $pf_entry, %eax
	movw %ax, idt + 14 * 8
	movw %cs, idt + 14 * 8 + 2
	movw $0x8e00, idt + 14 * 8 + 4		/* present, DPL 0, 32-bit interrupt gate */
	shrl $16, %eax
	movw %ax, idt + 14 * 8 + 6
	lidt idtr
	ret

pf_entry:
	pushal
	movl %cr2, %eax
	pushl %eax
	call pf_map
	addl $4, %esp
	popal
	addl $4, %esp				/* the error code */
	iret

	.data
	.align 8
idtr:	.word 256 * 8 - 1
	.long idt
	.bss
	.align 8
idt:	.space 256 * 8

	.section .note.GNU-stack, "", @progbits
