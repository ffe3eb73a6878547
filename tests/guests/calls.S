/* Call and return helpers for calls.c. Far helpers return CS in EAX. */
	.text
/* int near_sum_ret8(a, b): callee pops its two arguments (ret imm16). */
	.globl near_sum_ret8
near_sum_ret8:
	mov 4(%esp), %eax
	add 8(%esp), %eax
	ret $8

/* Far procedure: EAX = CS it runs with, EDX = the caller's CS from the stack. */
	.globl far_get_cs
far_get_cs:
	mov %cs, %eax
	movzwl 4(%esp), %edx
	lret

/* Far procedure with two stack arguments popped by lret $8; EAX = a - b. */
	.globl far_sub_ret8
far_sub_ret8:
	mov 8(%esp), %eax
	sub 12(%esp), %eax
	lret $8

/* Recursive fibonacci through the stack: EAX = fib(EAX). */
	.globl fib_rec
fib_rec:
	cmp $2, %eax
	jb 1f
	push %eax
	dec %eax
	call fib_rec
	xchg %eax, (%esp)
	sub $2, %eax
	call fib_rec
	pop %edx
	add %edx, %eax
1:	ret

/* Far jump out and back: ljmp to the alias code segment, read CS there,
 * ljmp back through a memory far pointer. EAX = CS seen. */
	.globl far_jmp_roundtrip
far_jmp_roundtrip:
	ljmp $0x38, $2f
2:	mov %cs, %eax
	ljmp *back_ptr
3:	ret
	.data
	.align 4
back_ptr:
	.long 3b
	.word 0x08
	.text

/* Pushes a return address by hand and RETs to it: EAX = 0x600d. */
	.globl push_ret
push_ret:
	push $4f
	ret
	mov $0xbad, %eax
	ret
4:	mov $0x600d, %eax
	ret
