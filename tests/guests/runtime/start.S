/*
 * Entry, trap stubs and privilege-change paths of the guest runtime.
 * Multiboot v1: the loader enters _start in 32-bit protected mode with flat
 * segments, EAX = 0x2BADB002 and EBX = the multiboot information.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .bss
	.align 4096
rt_boot_stack:
	.skip 32768
	.globl rt_boot_stack_top
rt_boot_stack_top:
	.globl rt_kstack_top
	.skip 16384
rt_kstack_top:
	.globl rt_ustack_top
	.skip 16384
rt_ustack_top:
	.globl rt_sestack_top
	.skip 8192
rt_sestack_top:
	.align 4
	.globl rt_kernel_saved_esp
rt_kernel_saved_esp:
	.long 0

	.section .note.GNU-stack, "", @progbits

	.text
	.globl _start
_start:
	cli
	cld
	mov $rt_boot_stack_top, %esp
	xor %ebp, %ebp
	push $0
	popf
	push %ebx
	push %eax
	call rt_main
	/* rt_main does not return; stop for good if it did. */
1:	cli
	hlt
	jmp 1b

/* ---- Trap stubs: every vector pushes (error code, vector) then joins ---- */
.macro STUB_NOERR n
	.globl rt_isr\n
rt_isr\n:
	push $0
	push $\n
	jmp rt_isr_common
.endm
.macro STUB_ERR n
	.globl rt_isr\n
rt_isr\n:
	push $\n
	jmp rt_isr_common
.endm

	STUB_NOERR 0
	STUB_NOERR 1
	STUB_NOERR 2
	STUB_NOERR 3
	STUB_NOERR 4
	STUB_NOERR 5
	STUB_NOERR 6
	STUB_NOERR 7
	STUB_ERR 8
	STUB_NOERR 9
	STUB_ERR 10
	STUB_ERR 11
	STUB_ERR 12
	STUB_ERR 13
	STUB_ERR 14
	STUB_NOERR 15
	STUB_NOERR 16
	STUB_ERR 17
	STUB_NOERR 18
	STUB_NOERR 19
	STUB_NOERR 20
	STUB_ERR 21
	STUB_NOERR 22
	STUB_NOERR 23
	STUB_NOERR 24
	STUB_NOERR 25
	STUB_NOERR 26
	STUB_NOERR 27
	STUB_NOERR 28
	STUB_ERR 29
	STUB_ERR 30
	STUB_NOERR 31
	STUB_NOERR 32
	STUB_NOERR 33
	STUB_NOERR 34
	STUB_NOERR 35
	STUB_NOERR 36
	STUB_NOERR 37
	STUB_NOERR 38
	STUB_NOERR 39
	STUB_NOERR 40
	STUB_NOERR 41
	STUB_NOERR 42
	STUB_NOERR 43
	STUB_NOERR 44
	STUB_NOERR 45
	STUB_NOERR 46
	STUB_NOERR 47
	STUB_NOERR 128
	STUB_NOERR 129

	.section .rodata
	.align 4
	.globl rt_isr_table
rt_isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long rt_isr\n
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long rt_isr\n
	.endr
	.text

/*
 * Common path: save everything as struct rt_frame, load the kernel data
 * segments, call rt_trap(frame). A non-zero return means "ring-3 code asked
 * to exit": unwind to the rt_user_call that started it.
 */
rt_isr_common:
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
	call rt_trap
	add $4, %esp
	test %eax, %eax
	jnz rt_user_unwind
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

/*
 * uint32_t rt_user_call(uint32_t (*fn)(void), uint32_t eflags)
 * Saves the callee-saved registers and ESP, then IRETs to rt_user_entry at
 * CPL 3 on the user stack with EAX = fn.
 */
	.globl rt_user_call
rt_user_call:
	pushf
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, rt_kernel_saved_esp
	mov 24(%esp), %eax
	mov 28(%esp), %ecx
	or $2, %ecx
	mov $0x23, %dx
	mov %dx, %ds
	mov %dx, %es
	mov %dx, %fs
	mov %dx, %gs
	push $0x23
	push $rt_ustack_top
	push %ecx
	push $0x1b
	push $rt_user_entry
	iret

/* Ring-3 trampoline: call fn, then SYS_EXIT with its result. */
rt_user_entry:
	call *%eax
	mov %eax, %ebx
	mov $0, %eax
	int $0x80
	ud2

/* Back from a SYS_EXIT trap: drop the trap frame, resume rt_user_call. */
rt_user_unwind:
	mov $0x10, %dx
	mov %dx, %ds
	mov %dx, %es
	mov %dx, %fs
	mov %dx, %gs
	mov rt_user_exit_value, %eax
	mov %dx, %ss
	mov rt_kernel_saved_esp, %esp
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	popf
	ret

/*
 * SYSENTER lands here with CS = MSR 0x174, SS = CS + 8, ESP = MSR 0x175.
 * Records what the CPU set up, calls rt_sysenter_hook(eax) and SYSEXITs to
 * EDX with ESP = ECX.
 */
	.globl rt_sysenter_entry
rt_sysenter_entry:
	mov %esp, rt_sysenter_note
	push %ecx
	push %edx
	mov %cs, %ecx
	mov %ecx, rt_sysenter_note + 4
	mov %ss, %ecx
	mov %ecx, rt_sysenter_note + 8
	pushf
	pop %ecx
	mov %ecx, rt_sysenter_note + 12
	cld
	push %eax
	call *rt_sysenter_hook
	add $4, %esp
	pop %edx
	pop %ecx
	sysexit
