/*
 * 16-bit protected-mode code (CS.D = 0) and 16-bit stacks (SS.B = 0), after
 * the SDM vol. 1 "Mixing 16-bit and 32-bit code" and vol. 3 chapters 5-6:
 * the guest adds a 16-bit code segment based at 0x20000 (pm16.S's 16-bit
 * code is copied there), 16-bit data segments based at 0x30000, 0x40000
 * and 0x60000, a 16-bit stack segment (B = 0) based at 0x50000, a 16-bit
 * and a 32-bit call gate into the 16-bit segment, and a 16-bit interrupt
 * gate, a 16-bit trap gate and a 32-bit interrupt gate in the IDT.
 * Checked, all at CPL 0: far CALL (m16:32) into the 16-bit segment and a
 * 32-bit RETF back; a 66h far CALL (m16:16) from 32-bit code pushing words
 * and a 16-bit RETF; far JMP there and a 66h far JMP back; in 16-bit code
 * 16-bit ALU results and flags, 66h 32-bit operations, 16-bit addressing
 * ([bx+si], [bp+di+d8] through SS, wrapping at 64 KiB) and 67h 32-bit
 * addressing, near CALL/RET/RET imm16 and indirect CALL/JMP, LOOP/JCXZ on
 * CX and JECXZ on ECX, PUSHA/POPA, ENTER/LEAVE with nesting, SP wrapping in
 * the 64 KiB stack with the upper half of ESP kept, string instructions on
 * SI/DI/CX (upper halves kept) and 67h STOSB on EDI; MOV/POP Sreg, LES,
 * LGS and LDS take the base from the GDT; a 16-bit far CALL with RETF imm16
 * and a 66h far CALL to 32-bit code that returns through the 16-bit stack;
 * INT n through the 16-bit gates from 32-bit code and from 16-bit code
 * (frame of words, IF cleared by the interrupt gate only, 16-bit IRET), INT
 * n through a 32-bit gate on the 16-bit stack (frame of dwords at SS:SP-12,
 * IRETD through SP); the 16-bit call gate from 32-bit and 16-bit code and
 * the 32-bit call gate from 16-bit code; bad selectors loaded in 16-bit
 * code raise #GP/#NP with the selector as error code, delivered to a 32-bit
 * handler that sees the 16-bit CS and IP, and IRETD resumes the 16-bit code.
 */
#include "rt.h"

#define SEL_C16	 0x38 /* GDT 7: 16-bit code, base C16_BASE */
#define SEL_D16	 0x40 /* GDT 8: 16-bit data, base D16_BASE */
#define SEL_E16	 0x48 /* GDT 9: 16-bit data, base E16_BASE */
#define SEL_S16	 0x50 /* GDT 10: 16-bit stack, B = 0, base S16_BASE */
#define SEL_X16	 0x58 /* GDT 11: 16-bit data, base X16_BASE */
#define SEL_CG16 0x60 /* GDT 12: 16-bit call gate (type 4) to cg16_target */
#define SEL_CG32 0x68 /* GDT 13: 32-bit call gate (type 12) to cg32_target */
#define SEL_NP	 0x70 /* GDT 14: data segment, not present */

#define C16_BASE 0x20000
#define D16_BASE 0x30000
#define E16_BASE 0x40000
#define S16_BASE 0x50000
#define X16_BASE 0x60000
#define LOW_BASE 0x7000 /* the 32-bit low stubs */
#define STK_TOP	 0x8000

/* Data segment layout, as in pm16.S. */
#define R_PTR_CALL 0x08
#define R_PTR_JMP  0x0a
#define R_FAR16	   0x0c
#define R_FAR32	   0x10
#define R_FARNP	   0x18
#define R(n)	   (0x1000 + 4 * (n))
#define A_ADD	   R(0)
#define A_ADDF	   R(1)
#define A_SUB	   R(2)
#define A_SUBF	   R(3)
#define A_ROL	   R(4)
#define A_IMUL	   R(5)
#define A_IMULH	   R(6)
#define A_32	   R(7)
#define A_32C	   R(8)
#define A_32F	   R(9)
#define B_BXSI	   R(10)
#define B_BPDI	   R(11)
#define B_LEA	   R(12)
#define B_WRAP	   R(13)
#define B_A32	   R(14)
#define B_ES32	   R(15)
#define B_ES16	   R(16)
#define B_EBP	   R(17)
#define C_CALL	   R(18)
#define C_RETIP	   R(19)
#define C_SPIN	   R(20)
#define C_CALLR	   R(21)
#define C_CALLM	   R(22)
#define C_JMPR	   R(23)
#define C_JMPM	   R(24)
#define C_ARG	   R(25)
#define C_SPRET	   R(26)
#define D_LOOP	   R(27)
#define D_LOOPN	   R(28)
#define D_ECX	   R(29)
#define D_JCXZ	   R(30)
#define D_JECXZ	   R(31)
#define E_SPA	   R(32)
#define E_BX	   R(33)
#define E_DI	   R(34)
#define E_SPB	   R(35)
#define E_ENSP	   R(36)
#define E_ENBP	   R(37)
#define E_LVSP	   R(38)
#define E_LVBP	   R(39)
#define E_WESP	   R(41)
#define E_WESP2	   R(42)
#define E_WPOP	   R(43)
#define E_WPOPL	   R(44)
#define F_ESI	   R(45)
#define F_EDI	   R(46)
#define F_ECX	   R(47)
#define F_CMPCX	   R(48)
#define F_CMPSI	   R(49)
#define F_STODI	   R(50)
#define F_EDI32	   R(51)
#define F_LODS	   R(52)
#define G_FS	   R(53)
#define G_GS	   R(54)
#define G_LES	   R(55)
#define G_ESSEL	   R(56)
#define G_LGS	   R(57)
#define G_ESI	   R(58)
#define G_LDS	   R(59)
#define G_LDS2	   R(60)
#define G_DSSEL	   R(61)
#define H_IP	   R(62)
#define H_CS	   R(63)
#define H_ARG	   R(64)
#define H_SPIN	   R(65)
#define H_SP	   R(66)
#define H_32CS	   R(67)
#define H_32ESP	   R(68)
#define H_32EIP	   R(69)
#define H_32RCS	   R(70)
#define I50	   R(71)
#define I51	   R(78)
#define I52	   R(85)
#define J32	   R(90)
#define J16	   R(95)
#define K_BACK	   R(100)
#define K_POP	   R(101)
#define K_DS	   R(102)
#define K_SS	   R(103)
#define M_END	   R(104)
#define E_PAW	   R(105)
#define E_ENW	   R(109)

#define FL_BASE 0x0246 /* IF, ZF, PF and bit 1: the flags at each INT */

extern char pm16_blob[], pm16_blob_end[], low_blob[], low_blob_end[];
extern char p_entry[], p_entry_ip[], p_far16[], p_jmp[], p_jmp_ip[];
extern char p_main[], c_ret1[], sub_inc[], c_j2[], h_ret1[], h_ret2[];
extern char i_ret1[], i_ret2[], i_ret3[], j_ret1[], j_ret2[];
extern char isr16_50[], isr16_51[], cg16_target[], cg32_target[];
extern char p_fault[], k_f1[], k_f2[], k_f3[], k_f4[], k_f5[];
extern char low_int[], low_int_r1[], low_int_r2[], low_far16[], low_far16_r[], low_cg16[],
    low_cg16_r[];
extern char pm16_ret[], h32_int[];
extern uint32_t pm16_regs[6], pm16_esp_before;
extern struct {
	uint32_t off;
	uint16_t sel;
} __attribute__((packed)) pm16_jptr;
uint32_t pm16_call(uint32_t ip);
uint32_t pm16_jmp(void);

/* IP of a label of the 16-bit code; linear address of a low-stub label. */
static uint32_t off(const char *label)
{
	return (uint32_t)(label - pm16_blob);
}

static uint32_t low(const char *label)
{
	return LOW_BASE + (uint32_t)(label - low_blob);
}

static uint32_t rd16(uint32_t lin)
{
	uint16_t v;
	memcpy(&v, (void *)lin, 2);
	return v;
}

static uint32_t rd32(uint32_t lin)
{
	uint32_t v;
	memcpy(&v, (void *)lin, 4);
	return v;
}

static void wr16(uint32_t lin, uint16_t v)
{
	memcpy((void *)lin, &v, 2);
}

static void wr32(uint32_t lin, uint32_t v)
{
	memcpy((void *)lin, &v, 4);
}

static uint32_t d16(unsigned r)
{
	return rd16(D16_BASE + r);
}

static uint32_t d32(unsigned r)
{
	return rd32(D16_BASE + r);
}

static uint32_t s16(unsigned sp)
{
	return rd16(S16_BASE + sp);
}

static uint64_t gate(uint16_t sel, uint32_t offset, uint8_t access)
{
	return (offset & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)access << 40) |
	       ((uint64_t)(offset >> 16) << 48);
}

static void setup(void)
{
	memcpy((void *)C16_BASE, pm16_blob, pm16_blob_end - pm16_blob);
	memcpy((void *)LOW_BASE, low_blob, low_blob_end - low_blob);
	rt_gdt_set(7, C16_BASE, 0xffff, ACC_CODE0, FLG_16);
	rt_gdt_set(8, D16_BASE, 0xffff, ACC_DATA0, FLG_16);
	rt_gdt_set(9, E16_BASE, 0xffff, ACC_DATA0, FLG_16);
	rt_gdt_set(10, S16_BASE, 0xffff, ACC_DATA0, FLG_16);
	rt_gdt_set(11, X16_BASE, 0xffff, ACC_DATA0, FLG_16);
	rt_gdt[12] = gate(SEL_C16, off(cg16_target), 0x84);
	rt_gdt[13] = gate(SEL_C16, off(cg32_target), 0x8c);
	rt_gdt_set(14, 0x70000, 0xffff, ACC_DATA0 & 0x7f, FLG_16);
	rt_idt_set_gate(0x50, off(isr16_50), SEL_C16, 0x86);
	rt_idt_set_gate(0x51, off(isr16_51), SEL_C16, 0x87);
	rt_idt_set_gate(0x52, (uint32_t)h32_int, SEL_KCODE, 0x8e);

	memset((void *)D16_BASE, 0, 0x2000);
	memset((void *)E16_BASE, 0, 0x1000);
	memset((void *)S16_BASE, 0, 0x10000);
	memset((void *)X16_BASE, 0, 0x100);
	wr16(D16_BASE + R_PTR_CALL, off(sub_inc));
	wr16(D16_BASE + R_PTR_JMP, off(c_j2));
	wr16(D16_BASE + R_FAR16, 0x0030);
	wr16(D16_BASE + R_FAR16 + 2, SEL_X16);
	wr32(D16_BASE + R_FAR32, 0x00000040);
	wr16(D16_BASE + R_FAR32 + 4, SEL_X16);
	wr16(D16_BASE + R_FARNP, 0);
	wr16(D16_BASE + R_FARNP + 2, SEL_NP);
	wr16(D16_BASE + 0x120, 0xbeef);
	wr16(D16_BASE + 0x80, 0x7777);
	wr16(D16_BASE + 0x150, 0x4242);
	memcpy((void *)(D16_BASE + 0x400), "ABCDEFGH", 8);
	wr16(E16_BASE + 0x140, 0x0e5e);
	wr16(E16_BASE + 0x160, 0x0e6e);
	wr16(S16_BASE + 0x214, 0x55aa);
	wr16(S16_BASE + 0x220, 0x6789);
	wr16(S16_BASE + 0x2fe, 0xabba);
	wr16(X16_BASE + 0x10, 0x1111);
	wr16(X16_BASE + 0x20, 0x2222);
	wr16(X16_BASE + 0x30, 0x3333);
	wr16(X16_BASE + 0x40, 0x4444);
	wr16(X16_BASE + 0x50, 0x5555);
}

/* ---- Entering and leaving the 16-bit segment from 32-bit code ---------- */
static void test_transfers(void)
{
	uint32_t r = pm16_call(off(p_entry));
	int good = r == ((uint32_t)SEL_C16 << 16 | off(p_entry_ip)) &&
		   pm16_regs[1] == pm16_esp_before - 8 && pm16_regs[2] == (uint32_t)pm16_ret &&
		   (pm16_regs[3] & 0xffff) == SEL_KCODE;
	if (!tap_ok(good, "far CALL m16:32 into the 16-bit segment: CS:IP segment-relative, "
			  "CS:EIP pushed as dwords, 66h RETF back"))
		tap_diag("  cs:ip %08x (want %08x), esp %08x (before %08x), eip %08x cs %08x", r,
			 (uint32_t)SEL_C16 << 16 | off(p_entry_ip), pm16_regs[1], pm16_esp_before,
			 pm16_regs[2], pm16_regs[3]);

	static struct {
		uint16_t off, sel;
	} __attribute__((packed)) fp16;
	fp16.off = off(p_far16);
	fp16.sel = SEL_C16;
	uint32_t a, b, c, d;
	asm volatile("call *%4"
		     : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "r"(low(low_far16)), "a"(&fp16)
		     : "memory", "cc");
	good = (a & 0xffff) == low(low_far16_r) && (b & 0xffff) == SEL_KCODE && d - c == 4;
	if (!tap_ok(good, "66h far CALL m16:16 from 32-bit code pushes IP and CS as words; "
			  "16-bit RETF returns"))
		tap_diag("  ip %04x (want %04x) cs %04x esp delta %d", a & 0xffff, low(low_far16_r),
			 b & 0xffff, (int)(d - c));

	pm16_jptr.off = off(p_jmp);
	r = pm16_jmp();
	tap_eq("far JMP m16:32 into the 16-bit segment, 66h far JMP ptr16:32 back", r,
	       (uint32_t)SEL_C16 << 16 | off(p_jmp_ip));
}

/* ---- The main 16-bit program -------------------------------------------- */
static void test_main16(void)
{
	uint32_t r = pm16_call(off(p_main));
	int good = r == 0x600d && d16(M_END) == 0x600d;
	if (!tap_ok(good, "the 16-bit program runs to its end on SS:SP = S16:8000, LSS and "
			  "66h RETF back"))
		tap_diag("  exit %x, end mark %x", r, d16(M_END));

	good = d16(A_ADD) == 0x8000 && (d16(A_ADDF) & 0x8d5) == 0x894 && d16(A_SUB) == 0xffff &&
	       (d16(A_SUBF) & 0x8d5) == 0x95 && d16(A_ROL) == 0x0018 && d16(A_IMUL) == 0xf7cc &&
	       d16(A_IMULH) == 0xffff;
	if (!tap_ok(good, "16-bit ADD/SUB with their flags, ROL, one-operand IMUL"))
		tap_diag("  add %04x/%04x sub %04x/%04x rol %04x imul %04x:%04x", d16(A_ADD),
			 d16(A_ADDF), d16(A_SUB), d16(A_SUBF), d16(A_ROL), d16(A_IMULH),
			 d16(A_IMUL));
	good = d32(A_32) == 0xf13568ac && d32(A_32C) == 1 && (d32(A_32F) & 0x8d5) == 0x11;
	if (!tap_ok(good, "66h 32-bit ADD, ROL and PUSHFD in 16-bit code"))
		tap_diag("  add+rol %08x, add %08x, flags %08x", d32(A_32), d32(A_32C), d32(A_32F));

	good = d16(B_BXSI) == 0xbeef && d16(B_BPDI) == 0x55aa && s16(0x216) == 0x1357 &&
	       d16(B_LEA) == 0x214 && d16(B_WRAP) == 0x7777;
	if (!tap_ok(good, "16-bit addressing: [bx+si] in DS, [bp+di+d8] in SS, LEA, "
			  "bx+si wrapping at 64 KiB"))
		tap_diag("  [bx+si] %04x [bp+di+4] %04x store %04x lea %04x wrap %04x", d16(B_BXSI),
			 d16(B_BPDI), s16(0x216), d16(B_LEA), d16(B_WRAP));
	good = d16(B_A32) == 0x4242 && d16(B_ES32) == 0x0e5e && d16(B_ES16) == 0x0e6e &&
	       d16(B_EBP) == 0x6789;
	if (!tap_ok(good, "67h addressing [ebx+esi*2], ES:[ebx], [ebp] in SS; ES:[bx+d8]"))
		tap_diag("  %04x %04x %04x %04x", d16(B_A32), d16(B_ES32), d16(B_ES16), d16(B_EBP));

	good = d16(C_CALL) == 15 && d16(C_RETIP) == off(c_ret1) && d16(C_SPIN) == STK_TOP - 2 &&
	       d16(C_ARG) == 0x4444 && d16(C_SPRET) == STK_TOP && d16(C_CALLR) == 8 &&
	       d16(C_CALLM) == 10 && d16(C_JMPR) == 1 && d16(C_JMPM) == 1;
	if (!tap_ok(good, "near CALL/RET/RET 2 on SS:SP, CALL/JMP through a register and "
			  "through memory"))
		tap_diag("  call %u ret ip %04x (want %04x) sp %04x arg %04x sp after %04x "
			 "call r/m %u %u jmp r/m %x %x",
			 d16(C_CALL), d16(C_RETIP), off(c_ret1), d16(C_SPIN), d16(C_ARG),
			 d16(C_SPRET), d16(C_CALLR), d16(C_CALLM), d16(C_JMPR), d16(C_JMPM));

	good = d16(D_LOOP) == 55 && d16(D_LOOPN) == 3 && d32(D_ECX) == 0x00010000 &&
	       d16(D_JCXZ) == 1 && d16(D_JECXZ) == 1;
	if (!tap_ok(good, "LOOP and JCXZ count on CX (ECX 0x10003: 3 rounds), 67h JECXZ on ECX"))
		tap_diag("  loop %u, rounds %u, ecx %08x, jcxz %x jecxz %x", d16(D_LOOP),
			 d16(D_LOOPN), d32(D_ECX), d16(D_JCXZ), d16(D_JECXZ));

	static const uint16_t pa[8] = {0x7777, 0x6666, 0x5555, STK_TOP,
				       0x4444, 0x3333, 0x2222, 0x1111};
	good = d16(E_SPA) == STK_TOP - 16 && d16(E_BX) == 0x4444 && d16(E_DI) == 0x7777 &&
	       d16(E_SPB) == STK_TOP;
	for (unsigned i = 0; i < 8; i++)
		good = good && d16(E_PAW + 2 * i) == pa[i];
	if (!tap_ok(good,
		    "16-bit PUSHA/POPA: eight words at SS:SP-16 (SP as it was), POPA skips SP"))
		tap_diag("  sp %04x/%04x bx %04x di %04x, words di %04x si %04x sp %04x ax %04x",
			 d16(E_SPA), d16(E_SPB), d16(E_BX), d16(E_DI), d16(E_PAW), d16(E_PAW + 2),
			 d16(E_PAW + 6), d16(E_PAW + 14));
	good = d16(E_ENSP) == STK_TOP - 12 && d16(E_ENBP) == STK_TOP - 2 && d16(E_ENW) == 0x300 &&
	       d16(E_ENW + 2) == 0xabba && d16(E_ENW + 4) == STK_TOP - 2 &&
	       d16(E_LVSP) == STK_TOP && d16(E_LVBP) == 0x300;
	if (!tap_ok(good, "16-bit ENTER 6,2 (BP, [BP-2], frame pointer as words) and LEAVE"))
		tap_diag("  enter sp %04x bp %04x words %04x %04x %04x, leave sp %04x bp %04x",
			 d16(E_ENSP), d16(E_ENBP), d16(E_ENW), d16(E_ENW + 2), d16(E_ENW + 4),
			 d16(E_LVSP), d16(E_LVBP));
	good = d32(E_WESP) == 0x0012fffa && d32(E_WESP2) == 0x00120000 && d16(E_WPOP) == 0x7e57 &&
	       d32(E_WPOPL) == 0x11223344 && s16(0xfffe) == 0x7e57 &&
	       rd32(S16_BASE + 0xfffa) == 0x11223344;
	if (!tap_ok(good, "PUSH/POP at SP 0 wrap within the 64 KiB stack, ESP[31:16] kept"))
		tap_diag("  esp %08x then %08x, pop %04x %08x, ss:fffe %04x ss:fffa %08x",
			 d32(E_WESP), d32(E_WESP2), d16(E_WPOP), d32(E_WPOPL), s16(0xfffe),
			 rd32(S16_BASE + 0xfffa));

	good = d32(F_ESI) == 0x12340405 && d32(F_EDI) == 0x56780605 && d32(F_ECX) == 0xabcd0000 &&
	       memcmp((void *)(E16_BASE + 0x600), "ABCDE\0", 6) == 0;
	if (!tap_ok(good, "REP MOVSB DS:SI to ES:DI counts CX; ESI, EDI, ECX keep bits 31:16"))
		tap_diag("  esi %08x edi %08x ecx %08x", d32(F_ESI), d32(F_EDI), d32(F_ECX));
	good = d16(F_CMPCX) == 2 && d16(F_CMPSI) == 0x406 && d16(F_STODI) == 0x708 &&
	       rd32(E16_BASE + 0x708) == 0x41420000 && rd32(E16_BASE + 0x70c) == 0x41424142 &&
	       rd16(E16_BASE + 0x720) == 0x5a && d32(F_EDI32) == 0x721 && d16(F_LODS) == 0x4645;
	if (!tap_ok(good, "REPE CMPSB, STD REP STOSW, 67h STOSB on EDI, LODSW"))
		tap_diag("  cmps cx %u si %04x, stos di %04x %08x %08x, stosb %02x edi %08x, "
			 "lods %04x",
			 d16(F_CMPCX), d16(F_CMPSI), d16(F_STODI), rd32(E16_BASE + 0x708),
			 rd32(E16_BASE + 0x70c), rd16(E16_BASE + 0x720), d32(F_EDI32), d16(F_LODS));

	good = d16(G_FS) == 0x1111 && d16(G_GS) == 0x2222 && d16(G_LES) == 0x3333 &&
	       d16(G_ESSEL) == SEL_X16 && d16(G_LGS) == 0x4444 && d32(G_ESI) == 0x40 &&
	       d16(G_LDS) == 0x3333 && d16(G_LDS2) == 0x5555 && d16(G_DSSEL) == SEL_X16;
	if (!tap_ok(good, "MOV FS, POP GS, LES, 66h LGS and LDS take the base from the GDT"))
		tap_diag("  fs %04x gs %04x les %04x es %04x lgs %04x esi %08x lds %04x %04x "
			 "ds %04x",
			 d16(G_FS), d16(G_GS), d16(G_LES), d16(G_ESSEL), d16(G_LGS), d32(G_ESI),
			 d16(G_LDS), d16(G_LDS2), d16(G_DSSEL));

	good = d16(H_IP) == off(h_ret1) && d16(H_CS) == SEL_C16 && d16(H_ARG) == 0x99 &&
	       d16(H_SPIN) == STK_TOP - 6 && d16(H_SP) == STK_TOP;
	if (!tap_ok(good, "16-bit far CALL ptr16:16 pushes CS, IP words; RETF 2 pops them and "
			  "the argument"))
		tap_diag("  ip %04x cs %04x arg %04x sp %04x, after %04x", d16(H_IP), d16(H_CS),
			 d16(H_ARG), d16(H_SPIN), d16(H_SP));
	good = d32(H_32CS) == SEL_KCODE && d32(H_32ESP) == STK_TOP - 8 &&
	       d32(H_32EIP) == off(h_ret2) && d32(H_32RCS) == SEL_C16;
	if (!tap_ok(good, "66h far CALL ptr16:32 to 32-bit code on the 16-bit stack; its "
			  "RETF pops through SP"))
		tap_diag("  cs %x esp %08x eip %08x pushed cs %x", d32(H_32CS), d32(H_32ESP),
			 d32(H_32EIP), d32(H_32RCS));

	good = d32(I50) == STK_TOP - 10 && d16(I50 + 4) == off(i_ret1) && d16(I50 + 8) == SEL_C16 &&
	       d16(I50 + 12) == FL_BASE && d16(I50 + 16) == (FL_BASE & ~FL_IF) &&
	       d16(I50 + 20) == SEL_C16 && d16(I50 + 24) == 1 && d32(I51) == STK_TOP - 10 &&
	       d16(I51 + 4) == off(i_ret2) && d16(I51 + 8) == SEL_C16 && d16(I51 + 12) == FL_BASE &&
	       d16(I51 + 16) == FL_BASE && d16(I51 + 24) == 1;
	if (!tap_ok(good, "INT 0x50/0x51 from 16-bit code: word frame at SS:SP-6, IF cleared "
			  "by the interrupt gate only, IRET back"))
		tap_diag("  50: esp %08x ip %04x cs %04x fl %04x in %04x n %u; 51: esp %08x ip "
			 "%04x cs %04x fl %04x in %04x n %u (ips %04x %04x)",
			 d32(I50), d16(I50 + 4), d16(I50 + 8), d16(I50 + 12), d16(I50 + 16),
			 d16(I50 + 24), d32(I51), d16(I51 + 4), d16(I51 + 8), d16(I51 + 12),
			 d16(I51 + 16), d16(I51 + 24), off(i_ret1), off(i_ret2));
	good = d32(I52) == STK_TOP - 20 && d32(I52 + 4) == off(i_ret3) && d32(I52 + 8) == SEL_C16 &&
	       d32(I52 + 12) == FL_BASE && d32(I52 + 16) == 1;
	if (!tap_ok(good, "INT 0x52 (32-bit gate) from 16-bit code: dword frame at SS:SP-12, "
			  "IRETD through SP"))
		tap_diag("  esp %08x eip %08x cs %x eflags %08x n %u", d32(I52), d32(I52 + 4),
			 d32(I52 + 8), d32(I52 + 12), d32(I52 + 16));

	good = d32(J32) == STK_TOP - 12 && d32(J32 + 4) == off(j_ret1) && d16(J32 + 8) == SEL_C16 &&
	       d16(J32 + 12) == SEL_C16 && d16(J32 + 16) == 1 && d32(J16) == STK_TOP - 8 &&
	       d16(J16 + 4) == off(j_ret2) && d16(J16 + 8) == SEL_C16 && d16(J16 + 12) == SEL_C16 &&
	       d16(J16 + 16) == 1;
	if (!tap_ok(good, "from 16-bit code: 32-bit call gate pushes dwords (66h RETF), "
			  "16-bit call gate pushes words (RETF)"))
		tap_diag("  cg32: esp %08x eip %08x cs %x in %x n %u; cg16: esp %08x ip %04x "
			 "cs %x in %x n %u",
			 d32(J32), d32(J32 + 4), d16(J32 + 8), d16(J32 + 12), d16(J32 + 16),
			 d32(J16), d16(J16 + 4), d16(J16 + 8), d16(J16 + 12), d16(J16 + 16));
}

/* ---- 16-bit gates entered from 32-bit code ------------------------------- */
static void test_from32(void)
{
	memset((void *)(D16_BASE + I50), 0, 4 * 20);
	uint32_t esp;
	asm volatile("call *%1" : "=d"(esp) : "r"(low(low_int)) : "eax", "memory", "cc");
	int good = d32(I50) == esp - 10 && d16(I50 + 4) == low(low_int_r1) &&
		   d16(I50 + 8) == SEL_KCODE && d16(I50 + 12) == FL_BASE &&
		   d16(I50 + 16) == (FL_BASE & ~FL_IF) && d16(I50 + 20) == SEL_C16 &&
		   d16(I50 + 24) == 1 && d32(I51) == esp - 10 && d16(I51 + 4) == low(low_int_r2) &&
		   d16(I51 + 8) == SEL_KCODE && d16(I51 + 12) == FL_BASE &&
		   d16(I51 + 16) == FL_BASE && d16(I51 + 24) == 1;
	if (!tap_ok(good, "INT 0x50 (16-bit interrupt gate) and 0x51 (16-bit trap gate) from "
			  "32-bit code: IP, CS, FLAGS words, 16-bit IRET back"))
		tap_diag("  50: esp-%d ip %04x cs %04x fl %04x in %04x cs in %04x n %u; 51: "
			 "esp-%d ip %04x cs %04x fl %04x in %04x n %u",
			 (int)(esp - d32(I50)), d16(I50 + 4), d16(I50 + 8), d16(I50 + 12),
			 d16(I50 + 16), d16(I50 + 20), d16(I50 + 24), (int)(esp - d32(I51)),
			 d16(I51 + 4), d16(I51 + 8), d16(I51 + 12), d16(I51 + 16), d16(I51 + 24));

	memset((void *)(D16_BASE + J16), 0, 4 * 5);
	asm volatile("call *%1" : "=d"(esp) : "r"(low(low_cg16)) : "eax", "memory", "cc");
	good = d32(J16) == esp - 8 && d16(J16 + 4) == low(low_cg16_r) &&
	       d16(J16 + 8) == SEL_KCODE && d16(J16 + 12) == SEL_C16 && d16(J16 + 16) == 1;
	if (!tap_ok(good, "16-bit call gate from 32-bit code: IP, CS words, 16-bit RETF back"))
		tap_diag("  esp-%d ip %04x cs %x in %x n %u", (int)(esp - d32(J16)), d16(J16 + 4),
			 d16(J16 + 8), d16(J16 + 12), d16(J16 + 16));
}

/* ---- Faulting selector loads in 16-bit code ----------------------------- */
struct fault16 {
	uint32_t vec, err, cs, eip;
};
static struct fault16 flog[8];
static unsigned nflog;

static void fault_hook(struct rt_frame *f)
{
	if ((f->cs & 0xffff) != SEL_C16)
		tap_bail("exception %u, error 0x%x, outside the 16-bit code at %04x:%08x",
			 f->vector, f->err, f->cs, f->eip);
	if (nflog < 8)
		flog[nflog++] = (struct fault16){f->vector, f->err, f->cs & 0xffff, f->eip};
	f->eip = d16(0x06); /* R_RESUME */
}

static void test_faults(void)
{
	static const struct {
		uint32_t vec, err;
		const char *ip;
	} want[5] = {{VEC_GP, 0x1000, k_f1},
		     {VEC_GP, SEL_TSS, k_f2},
		     {VEC_GP, SEL_C16, k_f3},
		     {VEC_NP, SEL_NP, k_f4},
		     {VEC_GP, SEL_S16, k_f5}};
	rt_set_handler(VEC_GP, fault_hook);
	rt_set_handler(VEC_NP, fault_hook);
	uint32_t r = pm16_call(off(p_fault));
	rt_set_handler(VEC_GP, NULL);
	rt_set_handler(VEC_NP, NULL);
	int good = nflog == 5;
	for (unsigned i = 0; i < 5 && good; i++)
		good = flog[i].vec == want[i].vec && flog[i].err == want[i].err &&
		       flog[i].cs == SEL_C16 && flog[i].eip == off(want[i].ip);
	if (!tap_ok(good, "bad selectors (beyond the GDT, TSS, code into SS, not present, RPL) "
			  "fault with the selector as error code at the 16-bit CS:IP"))
		for (unsigned i = 0; i < nflog; i++)
			tap_diag("  fault %u: vector %u error 0x%x at %04x:%08x (want %u 0x%x at "
				 "%04x)",
				 i, flog[i].vec, flog[i].err, flog[i].cs, flog[i].eip,
				 i < 5 ? want[i].vec : 0, i < 5 ? want[i].err : 0,
				 i < 5 ? off(want[i].ip) : 0);
	good = r == 0x600d && d16(K_BACK) == 5 && d16(K_DS) == SEL_D16 && d16(K_POP) == SEL_TSS &&
	       d16(K_SS) == SEL_KDATA;
	if (!tap_ok(good, "IRETD from the 32-bit handler resumes the 16-bit code; DS, SS and SP "
			  "as before the faulting load"))
		tap_diag("  exit %x, resumed %u, ds %x popped %x ss %x", r, d16(K_BACK), d16(K_DS),
			 d16(K_POP), d16(K_SS));
}

void test_main(void)
{
	tap_plan(25);
	setup();
	test_transfers();
	test_main16();
	test_from32();
	test_faults();
}
