/*
 * 16-bit protected-mode side of pm16.c.
 *
 * pm16_blob..pm16_blob_end is 16-bit code (.code16) that pm16.c copies to
 * linear C16_BASE and runs through the 16-bit code segment SEL_C16 (base
 * C16_BASE, D = 0): each program or handler starts at its offset from
 * pm16_blob.  low_blob..low_blob_end is 32-bit code copied to LOW_BASE
 * (below 64 KiB) and run with the flat CS: the stubs that reach 16-bit
 * code through something that pushes a 16-bit return IP (a 66h far CALL,
 * a 16-bit interrupt or call gate), which must come back below 64 KiB.
 *
 * The programs store what they see in the 16-bit data segment SEL_D16
 * (base D16_BASE); the R() slots and the other offsets below are repeated
 * in pm16.c.
 */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS	  0x28
#define SEL_C16	  0x38 /* 16-bit code, base 0x20000 */
#define SEL_D16	  0x40 /* 16-bit data, base 0x30000 */
#define SEL_E16	  0x48 /* 16-bit data, base 0x40000 */
#define SEL_S16	  0x50 /* 16-bit stack (B = 0), base 0x50000 */
#define SEL_X16	  0x58 /* 16-bit data, base 0x60000 */
#define SEL_CG16  0x60 /* 16-bit call gate to cg16_target */
#define SEL_CG32  0x68 /* 32-bit call gate to cg32_target */
#define SEL_NP	  0x70 /* data segment, not present */
#define STK_TOP	  0x8000

/* Fixed words of the data segment. */
#define R_SAVE_ESP 0x00 /* dword, then the SS word: LSS reloads both */
#define R_SAVE_SS  0x04
#define R_RESUME   0x06 /* IP where the fault hook resumes */
#define R_PTR_CALL 0x08 /* near pointer: sub_inc */
#define R_PTR_JMP  0x0a /* near pointer: c_j2 */
#define R_FAR16	   0x0c /* m16:16 = SEL_X16:0x0030 */
#define R_FAR32	   0x10 /* m16:32 = SEL_X16:0x00000040 */
#define R_FARNP	   0x18 /* m16:16 = SEL_NP:0x0000 */
#define R(n)	   (0x1000 + 4 * (n))

#define A_ADD	R(0)
#define A_ADDF	R(1)
#define A_SUB	R(2)
#define A_SUBF	R(3)
#define A_ROL	R(4)
#define A_IMUL	R(5)
#define A_IMULH R(6)
#define A_32	R(7)
#define A_32C	R(8)
#define A_32F	R(9)
#define B_BXSI	R(10)
#define B_BPDI	R(11)
#define B_LEA	R(12)
#define B_WRAP	R(13)
#define B_A32	R(14)
#define B_ES32	R(15)
#define B_ES16	R(16)
#define B_EBP	R(17)
#define C_CALL	R(18)
#define C_RETIP R(19)
#define C_SPIN	R(20)
#define C_CALLR R(21)
#define C_CALLM R(22)
#define C_JMPR	R(23)
#define C_JMPM	R(24)
#define C_ARG	R(25)
#define C_SPRET R(26)
#define D_LOOP	R(27)
#define D_LOOPN R(28)
#define D_ECX	R(29)
#define D_JCXZ	R(30)
#define D_JECXZ R(31)
#define E_SPA	R(32)
#define E_BX	R(33)
#define E_DI	R(34)
#define E_SPB	R(35)
#define E_ENSP	R(36)
#define E_ENBP	R(37)
#define E_LVSP	R(38)
#define E_LVBP	R(39)
#define E_SAVE	R(40)
#define E_WESP	R(41)
#define E_WESP2 R(42)
#define E_WPOP	R(43)
#define E_WPOPL R(44)
#define F_ESI	R(45)
#define F_EDI	R(46)
#define F_ECX	R(47)
#define F_CMPCX R(48)
#define F_CMPSI R(49)
#define F_STODI R(50)
#define F_EDI32 R(51)
#define F_LODS	R(52)
#define G_FS	R(53)
#define G_GS	R(54)
#define G_LES	R(55)
#define G_ESSEL R(56)
#define G_LGS	R(57)
#define G_ESI	R(58)
#define G_LDS	R(59)
#define G_LDS2	R(60)
#define G_DSSEL R(61)
#define H_IP	R(62)
#define H_CS	R(63)
#define H_ARG	R(64)
#define H_SPIN	R(65)
#define H_SP	R(66)
#define H_32CS	R(67)
#define H_32ESP R(68)
#define H_32EIP R(69)
#define H_32RCS R(70)
#define I50	R(71) /* 7 slots: ESP, IP, CS, FLAGS, FLAGS inside, CS inside, count */
#define I51	R(78)
#define I52	R(85) /* 5 slots: ESP, EIP, CS, EFLAGS, count */
#define J32	R(90) /* 5 slots: ESP, EIP, CS, CS inside, count */
#define J16	R(95)
#define K_BACK	R(100)
#define K_POP	R(101)
#define K_DS	R(102)
#define K_SS	R(103)
#define M_END	R(104)
#define E_PAW	R(105) /* 4 slots: the eight PUSHA words */
#define E_ENW	R(109) /* 2 slots: the three words ENTER pushed */

	.section .note.GNU-stack, "", @progbits

/* ---- 32-bit side ---------------------------------------------------------- */
	.text
/*
 * uint32_t pm16_call(uint32_t ip): far CALL (32-bit operand size, through
 * an m16:32 pointer) to SEL_C16:ip with interrupts off and EAX..EDI zero;
 * the program comes back with a 32-bit RETF. EAX..EDI as they came back go
 * to pm16_regs[0..5], ESP before the call to pm16_esp_before; DS, ES, FS
 * and GS are reloaded with the flat data segment.
 */
	.globl pm16_call, pm16_ret, pm16_regs, pm16_esp_before, pm16_ptr
pm16_call:
	push %ebp
	push %ebx
	push %esi
	push %edi
	pushf
	cli
	mov 24(%esp), %eax
	mov %eax, pm16_ptr
	movw $SEL_C16, pm16_ptr + 4
	mov %esp, pm16_esp_before
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	lcall *pm16_ptr
pm16_ret:
	mov %eax, %ss:pm16_regs
	mov %ebx, %ss:pm16_regs + 4
	mov %ecx, %ss:pm16_regs + 8
	mov %edx, %ss:pm16_regs + 12
	mov %esi, %ss:pm16_regs + 16
	mov %edi, %ss:pm16_regs + 20
	mov $SEL_KDATA, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov pm16_regs, %eax
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

/* uint32_t pm16_jmp(void): far JMP (m16:32) to SEL_C16:p_jmp, which comes
 * back by a 66h far JMP to pm16_jmp_back with EAX = its CS:IP. */
	.globl pm16_jmp, pm16_jptr
pm16_jmp:
	ljmp *pm16_jptr
pm16_jmp_back:
	ret

/* Far procedure in the flat 32-bit code segment, called from 16-bit code
 * with a 66h far CALL while SS is the 16-bit stack: EAX = CS, EBX = ESP,
 * ECX = the pushed EIP, EDX = the pushed CS. */
	.globl far32_fn
far32_fn:
	xor %eax, %eax
	mov %cs, %ax
	mov %esp, %ebx
	mov %ss:(%esp), %ecx
	movzwl %ss:4(%esp), %edx
	lret

/* INT 0x52, a 32-bit interrupt gate to here, taken from 16-bit code on the
 * 16-bit stack (DS = SEL_D16): notes ESP and the dword frame. */
	.globl h32_int
h32_int:
	push %ds
	push %eax
	mov $SEL_D16, %eax
	mov %ax, %ds
	mov %esp, I52
	mov %ss:8(%esp), %eax
	mov %eax, I52 + 4
	movzwl %ss:12(%esp), %eax
	mov %eax, I52 + 8
	mov %ss:16(%esp), %eax
	mov %eax, I52 + 12
	incl I52 + 16
	pop %eax
	pop %ds
	iret

	.data
	.align 4
pm16_regs:
	.long 0, 0, 0, 0, 0, 0
pm16_esp_before:
	.long 0
pm16_ptr:
	.long 0
	.word 0
	.align 4
pm16_jptr:
	.long 0
	.word SEL_C16

/* ---- Low stubs: 32-bit code run at LOW_BASE ------------------------------ */
	.section .rodata
	.code32
	.globl low_blob, low_blob_end, low_int, low_int_r1, low_int_r2
	.globl low_far16, low_far16_r, low_cg16, low_cg16_r
low_blob:
/* INT 0x50 (16-bit interrupt gate) and INT 0x51 (16-bit trap gate) with IF
 * set and ZF, PF set; EDX = ESP. */
low_int:
	mov %esp, %edx
	cmp %eax, %eax
	sti
	int $0x50
low_int_r1:
	int $0x51
low_int_r2:
	cli
	ret

/* 66h far CALL through the m16:16 pointer at EAX; EDX = ESP before it. */
low_far16:
	mov %esp, %edx
	lcallw *(%eax)
low_far16_r:
	ret

/* Far CALL through the 16-bit call gate; EDX = ESP before it. */
low_cg16:
	mov %esp, %edx
	lcall $SEL_CG16, $0
low_cg16_r:
	ret
low_blob_end:

/* ---- The 16-bit code ------------------------------------------------------ */
	.code16
	.globl pm16_blob, pm16_blob_end
	.globl p_entry, p_entry_ip, p_far16, p_jmp, p_jmp_ip
	.globl p_main, c_ret1, sub_inc, c_j2, h_ret1, h_ret2
	.globl i_ret1, i_ret2, i_ret3, j_ret1, j_ret2
	.globl isr16_50, isr16_51, cg16_target, cg32_target
	.globl p_fault, k_f1, k_f2, k_f3, k_f4, k_f5
pm16_blob:

/* Entered by pm16_call: EAX = CS << 16 | the IP of p_entry_ip, EBX = ESP,
 * ECX = the pushed EIP, EDX = the pushed CS dword. */
p_entry:
	mov %cs, %ax
	shl $16, %eax
	call p_entry_ip
p_entry_ip:
	pop %ax
	movl %esp, %ebx
	movl (%esp), %ecx
	movl 4(%esp), %edx
	lretl

/* Entered by the 66h far CALL of low_far16 (flat 32-bit SS): AX = the
 * pushed IP, BX = the pushed CS, ECX = ESP. */
p_far16:
	movl %esp, %ecx
	mov (%esp), %ax
	mov 2(%esp), %bx
	lret

/* Entered by the far JMP of pm16_jmp: EAX = CS << 16 | IP of p_jmp_ip. */
p_jmp:
	mov %cs, %ax
	shl $16, %eax
	call p_jmp_ip
p_jmp_ip:
	pop %ax
	ljmpl $SEL_KCODE, $pm16_jmp_back

/* INT 0x50 / 0x51 handlers (16-bit gates): note ESP after two pushes, the
 * frame words IP, CS, FLAGS, FLAGS and CS inside the handler, a count. */
.macro ISR16 slot
	push %ds
	push %ax
	mov $SEL_D16, %ax
	mov %ax, %ds
	pushf
	pop %ax
	mov %ax, \slot + 16
	movl %esp, \slot
	mov 4(%esp), %ax
	mov %ax, \slot + 4
	mov 6(%esp), %ax
	mov %ax, \slot + 8
	mov 8(%esp), %ax
	mov %ax, \slot + 12
	mov %cs, \slot + 20
	incw \slot + 24
	pop %ax
	pop %ds
	iret
.endm
isr16_50:
	ISR16 I50
isr16_51:
	ISR16 I51

/* Targets of the call gates: ESP, the frame, CS inside, a count. DS may
 * be anything: it is saved and loaded here. */
cg16_target:
	push %ds
	push %ax
	mov $SEL_D16, %ax
	mov %ax, %ds
	movl %esp, J16
	mov 4(%esp), %ax
	mov %ax, J16 + 4
	mov 6(%esp), %ax
	mov %ax, J16 + 8
	mov %cs, J16 + 12
	incw J16 + 16
	pop %ax
	pop %ds
	lret
cg32_target:
	push %ds
	push %ax
	mov $SEL_D16, %ax
	mov %ax, %ds
	movl %esp, J32
	movl 4(%esp), %eax
	movl %eax, J32 + 4
	mov 8(%esp), %ax
	mov %ax, J32 + 8
	mov %cs, J32 + 12
	incw J32 + 16
	pop %ax
	pop %ds
	lretl

/* Near subroutines. */
sub_triple: /* AX = 3 * AX; notes [SS:SP] and SP */
	mov %sp, %bp
	mov (%bp), %dx
	mov %dx, C_RETIP
	mov %sp, C_SPIN
	mov %ax, %dx
	add %ax, %ax
	add %dx, %ax
	ret
sub_inc:
	inc %ax
	ret
sub_ret2: /* notes its stack argument, RET 2 pops it */
	mov %sp, %bp
	mov 2(%bp), %dx
	mov %dx, C_ARG
	ret $2

/* 16-bit far procedure: notes the pushed IP, CS, its argument and SP. */
far16_fn:
	mov %sp, %bp
	mov (%bp), %ax
	mov %ax, H_IP
	mov 2(%bp), %ax
	mov %ax, H_CS
	mov 4(%bp), %ax
	mov %ax, H_ARG
	mov %sp, H_SPIN
	lret $2

/*
 * The main program: DS = SEL_D16, ES = SEL_E16, SS:ESP = SEL_S16:STK_TOP,
 * back to the caller's SS:ESP by LSS before the 32-bit RETF.
 */
p_main:
	mov $SEL_D16, %ax
	mov %ax, %ds
	movl %esp, R_SAVE_ESP
	mov %ss, R_SAVE_SS
	mov $SEL_E16, %ax
	mov %ax, %es
	mov $SEL_S16, %ax
	mov %ax, %ss
	movl $STK_TOP, %esp

	/* A. 16-bit ALU and flags, 66h 32-bit operations */
	mov $0x7fff, %ax
	add $1, %ax
	pushf
	pop %dx
	mov %ax, A_ADD
	mov %dx, A_ADDF
	mov $0x1234, %bx
	sub $0x1235, %bx
	pushf
	pop %dx
	mov %bx, A_SUB
	mov %dx, A_SUBF
	mov $0x8001, %cx
	rol $4, %cx
	mov %cx, A_ROL
	mov $300, %ax
	mov $-7, %si
	imul %si
	mov %ax, A_IMUL
	mov %dx, A_IMULH
	movl $0x12345678, %eax
	addl $0x9abcdef0, %eax
	roll $8, %eax
	movl %eax, A_32
	movl $0xffffffff, %ecx
	addl $2, %ecx
	pushfl
	popl %edx
	movl %ecx, A_32C
	movl %edx, A_32F

	/* B. 16-bit and 67h 32-bit addressing */
	mov $0x100, %bx
	mov $0x20, %si
	mov (%bx,%si), %ax
	mov %ax, B_BXSI
	mov $0x200, %bp
	mov $0x10, %di
	mov 4(%bp,%di), %ax
	mov %ax, B_BPDI
	movw $0x1357, 6(%bp,%di)
	lea 4(%bp,%di), %ax
	mov %ax, B_LEA
	mov $0xff00, %bx
	mov $0x180, %si
	mov (%bx,%si), %ax
	mov %ax, B_WRAP
	movl $0x140, %ebx
	movl $8, %esi
	mov (%ebx,%esi,2), %ax
	mov %ax, B_A32
	mov %es:(%ebx), %cx
	mov %cx, B_ES32
	mov %es:0x20(%bx), %dx
	mov %dx, B_ES16
	movl $0x220, %ebp
	mov (%ebp), %ax
	mov %ax, B_EBP

	/* C. near CALL/RET, indirect CALL/JMP */
	mov $5, %ax
	call sub_triple
c_ret1:
	mov %ax, C_CALL
	mov $(sub_inc - pm16_blob), %bx
	mov $7, %ax
	call *%bx
	mov %ax, C_CALLR
	mov $9, %ax
	call *R_PTR_CALL
	mov %ax, C_CALLM
	mov $(c_j1 - pm16_blob), %bx
	jmp *%bx
	movw $0xbad, C_JMPR
c_j1:
	incw C_JMPR
	jmp *R_PTR_JMP
	movw $0xbad, C_JMPM
c_j2:
	incw C_JMPM
	pushw $0x4444
	call sub_ret2
	mov %sp, C_SPRET

	/* D. LOOP, JCXZ, JECXZ */
	xor %ax, %ax
	mov $10, %cx
1:	add %cx, %ax
	loop 1b
	mov %ax, D_LOOP
	movl $0x00010003, %ecx
	xor %ax, %ax
1:	inc %ax
	loop 1b
	mov %ax, D_LOOPN
	movl %ecx, D_ECX
	jcxz 1f
	movw $0xbad, D_JCXZ
1:	incw D_JCXZ
	jecxz 2f
	incw D_JECXZ
2:

	/* E. PUSHA/POPA, ENTER/LEAVE, SP wrapping in the 64 KiB stack */
	mov $0x1111, %ax
	mov $0x2222, %cx
	mov $0x3333, %dx
	mov $0x4444, %bx
	mov $0x5555, %bp
	mov $0x6666, %si
	mov $0x7777, %di
	pusha
	mov %sp, E_SPA
	mov %sp, %bp
	xor %si, %si
1:	mov (%bp,%si), %ax
	mov %ax, E_PAW(%si)
	add $2, %si
	cmp $16, %si
	jb 1b
	xor %bx, %bx
	xor %di, %di
	popa
	mov %bx, E_BX
	mov %di, E_DI
	mov %sp, E_SPB
	mov $0x300, %bp
	enter $6, $2
	mov %sp, E_ENSP
	mov %bp, E_ENBP
	mov (%bp), %ax
	mov %ax, E_ENW
	mov -2(%bp), %ax
	mov %ax, E_ENW + 2
	mov -4(%bp), %ax
	mov %ax, E_ENW + 4
	leave
	mov %sp, E_LVSP
	mov %bp, E_LVBP
	movl %esp, E_SAVE
	movl $0x00120000, %esp
	pushw $0x7e57
	pushl $0x11223344
	movl %esp, E_WESP
	popl %ecx
	pop %ax
	movl %esp, E_WESP2
	mov %ax, E_WPOP
	movl %ecx, E_WPOPL
	movl E_SAVE, %esp

	/* F. string instructions */
	cld
	movl $0x12340400, %esi
	movl $0x56780600, %edi
	movl $0xabcd0005, %ecx
	rep movsb
	movl %esi, F_ESI
	movl %edi, F_EDI
	movl %ecx, F_ECX
	mov $0x400, %si
	mov $0x600, %di
	mov $8, %cx
	repe cmpsb
	mov %cx, F_CMPCX
	mov %si, F_CMPSI
	std
	mov $0x70e, %di
	mov $0x4142, %ax
	mov $3, %cx
	rep stosw
	cld
	mov %di, F_STODI
	movl $0x720, %edi
	mov $0x5a, %al
	addr32 stosb
	movl %edi, F_EDI32
	mov $0x404, %si
	lodsw
	mov %ax, F_LODS

	/* G. segment register loads take the base from the GDT */
	mov $SEL_X16, %ax
	mov %ax, %fs
	mov %fs:0x10, %ax
	mov %ax, G_FS
	pushw $SEL_X16
	pop %gs
	mov %gs:0x20, %ax
	mov %ax, G_GS
	les R_FAR16, %di
	mov %es:(%di), %ax
	mov %ax, G_LES
	mov %es, G_ESSEL
	lgs R_FAR32, %esi
	mov %gs:(%esi), %ax
	mov %ax, G_LGS
	movl %esi, G_ESI
	mov $SEL_E16, %ax
	mov %ax, %es
	lds R_FAR16, %bx
	mov (%bx), %ax
	mov 0x50, %cx
	mov %ds, %dx
	mov $SEL_D16, %si
	mov %si, %ds
	mov %ax, G_LDS
	mov %cx, G_LDS2
	mov %dx, G_DSSEL

	/* H. far CALLs: 16-bit within the segment, 66h to 32-bit code */
	pushw $0x99
	lcall $SEL_C16, $(far16_fn - pm16_blob)
h_ret1:
	mov %sp, H_SP
	lcalll $SEL_KCODE, $far32_fn
h_ret2:
	movl %eax, H_32CS
	movl %ebx, H_32ESP
	movl %ecx, H_32EIP
	movl %edx, H_32RCS

	/* I. INT n through 16-bit gates and a 32-bit gate, IF set */
	cmp %ax, %ax
	sti
	int $0x50
i_ret1:
	int $0x51
i_ret2:
	int $0x52
i_ret3:
	cli

	/* J. call gates */
	lcall $SEL_CG32, $0
j_ret1:
	lcall $SEL_CG16, $0
j_ret2:

	movw $0x600d, M_END
	mov $SEL_D16, %ax
	mov %ax, %ds
	lss R_SAVE_ESP, %esp
	movl $0x600d, %eax
	lretl

/*
 * Faulting segment loads, on the caller's flat stack: the fault hook of
 * pm16.c resumes at the IP in R_RESUME (IRETD back here).
 */
.macro RESUME label
	movw $(\label - pm16_blob), R_RESUME
.endm
p_fault:
	mov $SEL_D16, %ax
	mov %ax, %ds
	RESUME 1f
	mov $0x1000, %ax
k_f1:	mov %ax, %ds		/* beyond the GDT limit: #GP(0x1000) */
1:	mov %ds, %bx
	mov $SEL_D16, %ax
	mov %ax, %ds
	mov %bx, K_DS
	incw K_BACK
	RESUME 1f
	pushw $SEL_TSS
k_f2:	pop %es			/* a TSS descriptor: #GP(0x28) */
1:	pop %ax			/* the word is still there */
	mov %ax, K_POP
	incw K_BACK
	RESUME 1f
	mov $SEL_C16, %ax
k_f3:	mov %ax, %ss		/* code segment into SS: #GP(0x38) */
1:	mov %ss, K_SS
	incw K_BACK
	RESUME 1f
k_f4:	lds R_FARNP, %bx	/* not present: #NP(0x70) */
1:	mov $SEL_D16, %ax
	mov %ax, %ds
	incw K_BACK
	RESUME 1f
	mov $(SEL_S16 | 3), %ax
k_f5:	mov %ax, %ss		/* RPL 3 != CPL 0: #GP(0x50) */
1:	incw K_BACK
	movl $0x600d, %eax
	lretl
pm16_blob_end:
	.code32
