/*
 * native32_stub.S - entry and exit of a sequence on the real CPU (i386).
 *
 * native_enter(): saves the C callee-saved registers and ESP, loads EFLAGS
 * and all eight GPRs from native_in[] (EAX..EDI, then EFLAGS) and jumps to
 * *native_code_addr.  The sequence ends with `jmp native_exit`, which
 * stores the GPRs and EFLAGS into native_out[] without touching the
 * sequence's stack, switches back to the C stack and returns.
 */
	.text
	.globl native_enter
	.type native_enter, @function
native_enter:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, native_host_esp
	pushl native_in+32
	popfl
	movl native_in+4, %ecx
	movl native_in+8, %edx
	movl native_in+12, %ebx
	movl native_in+16, %esp
	movl native_in+20, %ebp
	movl native_in+24, %esi
	movl native_in+28, %edi
	movl native_in+0, %eax
	jmp *native_code_addr

	.globl native_exit
	.type native_exit, @function
native_exit:
	movl %eax, native_out+0
	movl %ecx, native_out+4
	movl %edx, native_out+8
	movl %ebx, native_out+12
	movl %esp, native_out+16
	movl %ebp, native_out+20
	movl %esi, native_out+24
	movl %edi, native_out+28
	movl native_host_esp, %esp
	pushfl
	popl native_out+32
	cld
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.section .note.GNU-stack,"",@progbits
