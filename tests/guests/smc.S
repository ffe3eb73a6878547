/* Self-modifying code helpers for smc.c (all in .text, which is writable
 * while paging is off). */
	.text
/* uint32_t smc_ahead(uint32_t v): stores V into the immediate of an
 * instruction two instructions ahead, then runs it. Returns EAX. */
	.globl smc_ahead
smc_ahead:
	mov 4(%esp), %ecx
	movl %ecx, 1f + 1
	nop
1:	movl $0x11111111, %eax
	ret

/* Loop that patches its own first instruction for the next iteration:
 * returns 0 + 10 + 9 + ... + 2 = 54. */
	.globl smc_loop
smc_loop:
	movl $0, 2f + 1
	xor %edx, %edx
	mov $10, %ecx
2:	movl $0x5a5a5a5a, %eax
	add %eax, %edx
	movl %ecx, 2b + 1
	dec %ecx
	jnz 2b
	mov %edx, %eax
	ret

/* Turns the INC two instructions ahead into a DEC: returns 0xffffffff. */
	.globl smc_opcode
smc_opcode:
	movb $0x40, 3f
	xor %eax, %eax
	movb $0x48, 3f
	nop
3:	inc %eax
	ret

/* REP MOVSB copies "mov $0x77,%eax" over the "mov $0x66,%eax" ahead. */
	.globl smc_rep
smc_rep:
	push %esi
	push %edi
	movl $0x66, 5f + 1
	mov $4f, %esi
	mov $5f, %edi
	mov $5, %ecx
	cld
	rep movsb
5:	mov $0x66, %eax
	pop %edi
	pop %esi
	ret
	.section .rodata
4:	mov $0x77, %eax
	.text
