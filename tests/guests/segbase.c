/*
 * Data segments with non-zero bases: DS, ES and SS based (plain accesses,
 * single string instructions, a stack in a based SS with PUSH/POP/CALL/
 * RET/ENTER/LEAVE/PUSHA/POPA and POP m32), a base that wraps at 4 GiB, the
 * same code run under a flat and a based DS, FS/GS accesses with AH..BH
 * operands, XLAT through a based segment and 16-bit addressing.  Every
 * value is worked out by hand from the layout below; segment limits are
 * 4 GiB (limit checks are not modelled by the reference either).
 *
 * While a based DS/SS is loaded the code is one asm block that touches
 * memory only through the segments under test (or CS-relative nothing):
 * C code runs with the flat selectors only.
 */
#include "rt.h"

#define SEL_DSB	 ((GDT_FIRST_FREE + 0) << 3) /* base = &buf[0x100] */
#define SEL_ESB	 ((GDT_FIRST_FREE + 1) << 3) /* base = &buf[0x400] */
#define SEL_SSB	 ((GDT_FIRST_FREE + 2) << 3) /* base = &buf[0x800] */
#define SEL_FSB	 ((GDT_FIRST_FREE + 3) << 3) /* base = &buf[0x1000] */
#define SEL_GSB	 ((GDT_FIRST_FREE + 4) << 3) /* base = &buf[0x1100] */
#define SEL_WRAP ((GDT_FIRST_FREE + 5) << 3) /* base = &buf[0] + 0xfff00000 */

static uint8_t buf[0x2000] __attribute__((aligned(4096)));
static uint32_t out[8];

static uint32_t rd32(unsigned off)
{
	uint32_t v;
	memcpy(&v, &buf[off], 4);
	return v;
}

static void wr32(unsigned off, uint32_t v)
{
	memcpy(&buf[off], &v, 4);
}

/* Plain accesses through a based DS and ES, and a DS base that wraps. */
static void test_plain(void)
{
	uint32_t a, b, c;
	wr32(0x120, 0xa5a5a5a5);
	wr32(0x20, 0x5eed0001);
	asm volatile("movl %[dsb], %0\n\t"
		     "movw %w0, %%ds\n\t"
		     "movl %[esb], %0\n\t"
		     "movw %w0, %%es\n\t"
		     "movl $0x11111111, 0x10\n\t" /* buf[0x110] */
		     "addl $1, 0x10\n\t"
		     "movl 0x20, %0\n\t"	   /* buf[0x120] */
		     "movl $0x2222, %%es:0x30\n\t" /* buf[0x430] */
		     "movl %%es:0x30, %1\n\t"
		     "movl %[wrap], %2\n\t"
		     "movw %w2, %%ds\n\t"
		     "movl 0x100020, %2\n\t" /* wraps at 4 GiB: buf[0x20] */
		     "movl %[kd], %1\n\t"
		     "movw %w1, %%ds\n\t"
		     "movw %w1, %%es\n\t"
		     "movl %%es:0x430+%c[buf], %1"
		     : "=&r"(a), "=&r"(b), "=&r"(c)
		     : [dsb] "i"(SEL_DSB), [esb] "i"(SEL_ESB), [wrap] "i"(SEL_WRAP),
		       [kd] "i"(SEL_KDATA), [buf] "i"(buf)
		     : "memory");
	tap_eq("store and add through a based DS", rd32(0x110), 0x11111112);
	tap_eq("load through a based DS", a, 0xa5a5a5a5);
	tap_eq("store through a based ES", rd32(0x430), 0x2222);
	tap_eq("read back through the flat ES", b, 0x2222);
	tap_eq("a DS base that wraps at 4 GiB", c, 0x5eed0001);
}

/* The same instruction under a flat and a based DS (different blocks). */
static void test_key(void)
{
	uint32_t flat, based;
	wr32(0x150, 0x0badf00d);
	asm volatile("jmp 2f\n"
		     "1:\tmovl (%%ecx), %%eax\n\t"
		     "ret\n"
		     "2:\tmovl %[p], %%ecx\n\t"
		     "call 1b\n\t"
		     "movl %%eax, %%edx\n\t"
		     "movl %[dsb], %%eax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movl $0x50, %%ecx\n\t"
		     "call 1b\n\t"
		     "movl %[kd], %%ecx\n\t"
		     "movw %%cx, %%ds"
		     : "=&d"(flat), "=&a"(based)
		     : [p] "i"(&buf[0x150]), [dsb] "i"(SEL_DSB), [kd] "i"(SEL_KDATA)
		     : "ecx", "memory");
	tap_eq("same code, flat DS", flat, 0x0badf00d);
	tap_eq("same code, based DS", based, 0x0badf00d);
}

/* Single string instructions through based DS/ES, both directions. */
static void test_strings(void)
{
	uint32_t si, di, a, fl;
	wr32(0x110, 0x01020304); /* DS:0x10 */
	wr32(0x114, 0x05060708); /* DS:0x14 */
	asm volatile("movl %[dsb], %%eax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movl %[esb], %%eax\n\t"
		     "movw %%ax, %%es\n\t"
		     "cld\n\t"
		     "movl $0x10, %%esi\n\t"
		     "movl $0x20, %%edi\n\t"
		     "movsl\n\t" /* ES:0x20 = 0x01020304 */
		     "std\n\t"
		     "movsb\n\t" /* ES:0x24 = DS:0x14 = 0x08 */
		     "cld\n\t"	 /* ESI 0x13, EDI 0x23 */
		     "movl $0xaabbccdd, %%eax\n\t"
		     "movl $0x40, %%edi\n\t"
		     "stosw\n\t" /* ES:0x40 = 0xccdd, EDI 0x42 */
		     "lodsb\n\t" /* AL = DS:0x13 = 0x01, ESI 0x14 */
		     "movb %%al, %%es:0x50\n\t"
		     "movl $0x10, %%esi\n\t"
		     "movl $0x20, %%edi\n\t"
		     "cmpsl\n\t" /* equal: ZF */
		     "pushfl\n\t"
		     "popl %3\n\t"
		     "movl $0x08, %%eax\n\t"
		     "movl $0x24, %%edi\n\t"
		     "scasb\n\t" /* 8 - 8: ZF, EDI 0x25 */
		     "movl %[kd], %%ecx\n\t"
		     "movw %%cx, %%ds\n\t"
		     "movw %%cx, %%es"
		     : "=&S"(si), "=&D"(di), "=&a"(a), "=&d"(fl)
		     : [dsb] "i"(SEL_DSB), [esb] "i"(SEL_ESB), [kd] "i"(SEL_KDATA)
		     : "ecx", "memory", "cc");
	tap_eq("movsd DS:ESI -> ES:EDI (based)", rd32(0x420), 0x01020304);
	tap_eq("movsb with DF=1", buf[0x424], 0x08);
	tap_eq("stosw through a based ES", rd32(0x440) & 0xffff, 0xccdd);
	tap_eq("lodsb after DF=1 then DF=0", buf[0x450], 0x01);
	tap_eq("cmpsd of equal dwords sets ZF", fl & FL_ZF, FL_ZF);
	tap_eq("scasb: AL, ESI, EDI", a | si << 8 | di << 16, 0x08 | 0x14 << 8 | 0x25 << 16);
}

/* A stack in a based SS: the stack lives at buf[0x800 + offset]. */
static void test_stack(void)
{
	static uint32_t saved_esp;
	uint32_t r_call, r_enter, r_frame;
	wr32(0x800 + 0x404, 0x77777777); /* SS:0x404, read as 12(%ebp) below */
	asm volatile("pushl %%ebp\n\t"
		     "movl %%esp, %[saved]\n\t"
		     "movl %[ssb], %%eax\n\t"
		     "movw %%ax, %%ss\n\t"
		     "movl $0x400, %%esp\n\t"
		     "pushl $0x44444444\n\t" /* SS:0x3fc */
		     "call 1f\n\t"
		     "jmp 2f\n"
		     "1:\tmovl $1b, %%ecx\n\t"
		     "subl (%%esp), %%ecx\n\t" /* label 1 - return address */
		     "ret\n"
		     "2:\tpushl $0x55\n\t"
		     "popl %[o]\n\t" /* flat DS */
		     "pushl $0x66\n\t"
		     "popl 4(%%esp)\n\t" /* SS:0x400 (ESP+4 after the pop) */
		     "movl $0x40, %%ebp\n\t"
		     "pusha\n\t"
		     "movl $0, %%ebp\n\t"
		     "popa\n\t"
		     "enter $8, $1\n\t"		 /* EBP = 0x3f8 */
		     "movl 12(%%ebp), %%edx\n\t" /* SS:0x404 */
		     "movl %%ebp, %%eax\n\t"
		     "leave\n\t"
		     "popl %%ebx\n\t" /* 0x44444444 */
		     "movl %[kd], %%esi\n\t"
		     "movw %%si, %%ss\n\t"
		     "movl %[saved], %%esp\n\t"
		     "popl %%ebp"
		     : "=&c"(r_call), "=&d"(r_enter),
		       "=&a"(r_frame), [saved] "+m"(saved_esp), [o] "=m"(out[0])
		     : [ssb] "i"(SEL_SSB), [kd] "i"(SEL_KDATA)
		     : "ebx", "esi", "edi", "memory");
	tap_eq("call/ret through a based SS", r_call, 2);
	tap_eq("push imm landed at SS base + ESP", rd32(0x800 + 0x3fc), 0x44444444);
	tap_eq("pop m32 from a based stack", out[0], 0x55);
	tap_eq("pop m32 with ESP base uses the new ESP", rd32(0x800 + 0x400), 0x66);
	tap_eq("enter/leave through a based SS", r_enter, 0x77777777);
	tap_eq("ENTER's frame pointer", r_frame, 0x3f8);
	tap_eq("ENTER's saved EBP and frame on the based stack",
	       rd32(0x800 + 0x3f8) ^ rd32(0x800 + 0x3f4), 0x40 ^ 0x3f8);
}

/* FS/GS (TLS-like) accesses with AH..BH operands, XLAT with a base. */
static void test_high_bytes(void)
{
	uint32_t a, b, c, d;
	wr32(0x1000, 0xab552099);
	buf[0x1100 + 0x85] = 0x3c;
	asm volatile("movl %[fsb], %%eax\n\t"
		     "movw %%ax, %%fs\n\t"
		     "movl %[gsb], %%eax\n\t"
		     "movw %%ax, %%gs\n\t"
		     "movl $0x11223344, %%eax\n\t"
		     "movl $0, %%ebx\n\t"
		     "movb %%fs:(%%ebx), %%ah\n\t" /* 0x99 */
		     "movl $0xf000, %%ecx\n\t"
		     "addb %%ch, %%fs:1(%%ebx)\n\t" /* 0x20 + 0xf0: CF */
		     "setc %%dl\n\t"
		     "movb $0x77, %%dh\n\t"
		     "xchgb %%dh, %%fs:2(%%ebx)\n\t" /* DH = 0x55 */
		     "movb %%fs:3(%%ebx), %%bh\n\t"  /* BH = 0xab */
		     "movb %%ah, %%gs:0x10\n\t"
		     "movl %%eax, %%ecx\n\t"
		     "movl $0x80, %%ebx\n\t"
		     "movl $5, %%eax\n\t"
		     "xlat %%gs:(%%ebx)\n\t"
		     "movl %[kd], %%ebx\n\t"
		     "movw %%bx, %%fs\n\t"
		     "movw %%bx, %%gs"
		     : "=&a"(a), "=&b"(b), "=&c"(c), "=&d"(d)
		     : [fsb] "i"(SEL_FSB), [gsb] "i"(SEL_GSB), [kd] "i"(SEL_KDATA)
		     : "memory", "cc");
	(void)b;
	tap_eq("mov ah, fs:[ebx]", c, 0x11229944);
	tap_eq("add fs:[ebx+1], ch", buf[0x1001], 0x10);
	tap_eq("xchg dh, fs:[ebx+2]; setc dl", d & 0xffff, 0x5501);
	tap_eq("xchg stored DH", buf[0x1002], 0x77);
	tap_eq("mov gs:[0x10], ah", buf[0x1110], 0x99);
	tap_eq("xlat gs:[ebx+al]", a, 0x3c);
}

/* 16-bit addressing (0x67) through a based DS. */
static void test_addr16(void)
{
	uint32_t v, l;
	wr32(0x100 + 0x120, 0xdeadbeef);
	asm volatile("movl %[dsb], %0\n\t"
		     "movw %w0, %%ds\n\t"
		     "movl $0x12340100, %%ebx\n\t"
		     "movl $0x20, %%esi\n\t"
		     "movl (%%bx,%%si), %0\n\t" /* DS:0x0120 */
		     "movl $0xffff0fff, %%ebx\n\t"
		     "leal 2(%%bx,%%si), %1\n\t" /* 0x1021 */
		     "movl %[kd], %%ebx\n\t"
		     "movw %%bx, %%ds"
		     : "=&r"(v), "=&r"(l)
		     : [dsb] "i"(SEL_DSB), [kd] "i"(SEL_KDATA)
		     : "ebx", "esi", "memory");
	tap_eq("mov r32, [bx+si] (16-bit EA)", v, 0xdeadbeef);
	tap_eq("lea r32, [bx+si+2] wraps at 64 KiB", l, 0x1021);
}

void test_main(void)
{
	uint32_t b = (uint32_t)buf;
	rt_gdt_set(SEL_DSB >> 3, b + 0x100, 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_ESB >> 3, b + 0x400, 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_SSB >> 3, b + 0x800, 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_FSB >> 3, b + 0x1000, 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_GSB >> 3, b + 0x1100, 0xfffff, ACC_DATA0, FLG_G32);
	rt_gdt_set(SEL_WRAP >> 3, b + 0xfff00000u, 0xfffff, ACC_DATA0, FLG_G32);
	tap_plan(28);
	test_plain();
	test_key();
	test_strings();
	test_stack();
	test_high_bytes();
	test_addr16();
}
