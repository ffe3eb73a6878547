/*
 * entry.S - the doors between the monitor and translated code.
 *
 * bt_enter(c, pc)     saves the monitor's callee-saved registers, records
 *                     its RSP in c->mon_rsp, loads the guest state from
 *                     c->vcpu and jumps to pc.  It "returns" when
 *                     translated code leaves through one of the exits below.
 * bt_exit_direct      from a direct exit stub: r11 = struct bt_exit *.
 * bt_exit_indirect    from an indirect-lookup miss: r8d = guest target.
 *                     Translated code gets r13 = the indirect table and
 *                     r14 = the TC base (callee-saved: callouts keep them).
 * bt_exit_async       where the signal handler sends translated code.
 * bt_callout_entry    r11 = site, r10 = host PC to resume at: saves guest
 *                     state, calls bt_callout_c on the monitor stack, and
 *                     either reloads and resumes inline or leaves.
 *
 * Guest RSP is never used as a host stack: every save is a MOV through
 * r11 = c->vcpu, and PUSHFQ happens only after RSP is the monitor's.
 */
#include "translator/bt_offsets.h"

	.text
	.globl bt_enter, bt_exit_direct, bt_exit_indirect, bt_exit_async
	.globl bt_callout_entry

	.p2align 4
bt_enter:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp
	mov	%rdi, %r12
	mov	%rsp, BTC_MON_RSP(%r12)
	mov	%rsi, BTC_TARGET(%r12)
	/* fall through */

/* bt_resume: r12 = c, RSP = monitor stack: load guest state, jump. */
bt_resume:
	mov	BTC_VCPU(%r12), %r11
	fxrstor	VCPU_FX(%r11)
	mov	VCPU_EFLAGS(%r11), %eax
	and	$BT_LIVE_FLAGS, %eax
	or	$0x202, %eax
	push	%rax
	popfq
	mov	VCPU_GPR+0(%r11), %eax
	mov	VCPU_GPR+4(%r11), %ecx
	mov	VCPU_GPR+8(%r11), %edx
	mov	VCPU_GPR+12(%r11), %ebx
	mov	VCPU_GPR+20(%r11), %ebp
	mov	VCPU_GPR+24(%r11), %esi
	mov	VCPU_GPR+28(%r11), %edi
	mov	VCPU_GPR+16(%r11), %esp
	mov	BTC_IND_BASE(%r12), %r13
	mov	BTC_TC_BASE(%r12), %r14
	jmp	*BTC_TARGET(%r12)

/* bt_save: store guest GPRs, switch to the monitor stack, store flags and
 * the x87/SSE state.  Clobbers r11, rax, rcx. */
.macro BT_SAVE
	mov	BTC_VCPU(%r12), %r11
	mov	%eax, VCPU_GPR+0(%r11)
	mov	%ecx, VCPU_GPR+4(%r11)
	mov	%edx, VCPU_GPR+8(%r11)
	mov	%ebx, VCPU_GPR+12(%r11)
	mov	%esp, VCPU_GPR+16(%r11)
	mov	%ebp, VCPU_GPR+20(%r11)
	mov	%esi, VCPU_GPR+24(%r11)
	mov	%edi, VCPU_GPR+28(%r11)
	mov	BTC_MON_RSP(%r12), %rsp
	pushfq
	pop	%rax
	and	$BT_LIVE_FLAGS, %eax
	mov	VCPU_EFLAGS(%r11), %ecx
	and	$~BT_LIVE_FLAGS, %ecx
	or	%ecx, %eax
	mov	%eax, VCPU_EFLAGS(%r11)
	fxsave	VCPU_FX(%r11)
	cld
.endm

/* bt_leave: back to bt_enter's caller. */
.macro BT_LEAVE
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
.endm

	.p2align 4
bt_exit_direct:
	mov	%r11, BTC_EXIT_ARG(%r12)
	movl	$BT_EXIT_DIRECT, BTC_REASON(%r12)
	BT_SAVE
	BT_LEAVE

	.p2align 4
bt_exit_indirect:
	mov	%r8d, BTC_EXIT_EIP(%r12)
	movl	$BT_EXIT_IND, BTC_REASON(%r12)
	BT_SAVE
	BT_LEAVE

	.p2align 4
bt_exit_async:
	movl	$BT_EXIT_ASYNC, BTC_REASON(%r12)
	BT_SAVE
	BT_LEAVE

	.p2align 4
bt_callout_entry:
	mov	%r11, BTC_EXIT_ARG(%r12)
	mov	%r10, BTC_RESUME(%r12)
	BT_SAVE
	mov	%r12, %rdi
	call	bt_callout_c
	test	%eax, %eax
	jnz	1f
	mov	BTC_RESUME(%r12), %rax
	mov	%rax, BTC_TARGET(%r12)
	jmp	bt_resume
1:	movl	$BT_EXIT_CALLOUT, BTC_REASON(%r12)
	BT_LEAVE

	.section .note.GNU-stack,"",@progbits
