/*
 * Sensitive but unprivileged instructions, run at CPL 0 and again at CPL 3:
 * SGDT, SIDT, SLDT, STR, SMSW, PUSHF/POPF (IF and IOPL rules), LAR, LSL,
 * VERR, VERW, PUSH CS/SS and MOV from segment registers (RPL = CPL).
 */
#include "rt.h"

struct dt {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

struct snap {
	struct dt gdtr, idtr;
	uint32_t ldtr, tr, msw, push_cs, push_ss, mov_ds;
	uint32_t lar_ucode, lar_ucode_zf, lar_kcode_zf, lar_kcode;
	uint32_t lsl_udata, lsl_tss_zf, lsl_tss;
	uint32_t verr_kdata, verw_udata, verr_kcode, verw_kcode;
	uint32_t fl_before, fl_popf_if0_iopl3, fl_popf_iopl0;
};

static struct snap k, u;

/* ZF after the instruction, as 0/1. LAR results are compared without the
 * accessed bit (0x100), which the CPU sets when it loads a segment, and
 * without limit bits 19:16, which the SDM leaves undefined there. */
#define ZF_OF(insn, ...)                                                                           \
	({                                                                                         \
		uint8_t z_;                                                                        \
		asm volatile(insn "\n\tsetz %0" : "=q"(z_)__VA_ARGS__);                            \
		z_;                                                                                \
	})

static void take(struct snap *s)
{
	asm volatile("sgdt %0" : "=m"(s->gdtr));
	asm volatile("sidt %0" : "=m"(s->idtr));
	asm volatile("sldt %0" : "=r"(s->ldtr));
	asm volatile("str %0" : "=r"(s->tr));
	asm volatile("smsw %0" : "=r"(s->msw));
	s->ldtr &= 0xffff, s->tr &= 0xffff, s->msw &= 0xffff;
	asm volatile("push %%cs\n\tpopl %0" : "=r"(s->push_cs));
	asm volatile("push %%ss\n\tpopl %0" : "=r"(s->push_ss));
	asm volatile("movl %%ds, %0" : "=r"(s->mov_ds));
	s->push_cs &= 0xffff, s->push_ss &= 0xffff;
	s->lar_ucode = 0;
	s->lar_ucode_zf = ZF_OF("larl %2, %1", , "=r"(s->lar_ucode) : "r"(SEL_UCODE) : "cc");
	s->lar_kcode = 0;
	s->lar_kcode_zf = ZF_OF("larl %2, %1", , "+r"(s->lar_kcode) : "r"(SEL_KCODE) : "cc");
	asm volatile("lsll %1, %0" : "=r"(s->lsl_udata) : "r"(SEL_UDATA) : "cc");
	s->lsl_tss = 0;
	s->lsl_tss_zf = ZF_OF("lsll %2, %1", , "+r"(s->lsl_tss) : "r"(SEL_TSS) : "cc");
	s->verr_kdata = ZF_OF("verr %w1", : "r"(SEL_KDATA) : "cc");
	s->verw_udata = ZF_OF("verw %w1", : "r"(SEL_UDATA) : "cc");
	s->verr_kcode = ZF_OF("verr %w1", : "r"(SEL_KCODE) : "cc");
	s->verw_kcode = ZF_OF("verw %w1", : "r"(SEL_KCODE) : "cc");
	/* POPF trying to clear IF and set IOPL to 3, then to clear IOPL. */
	uint32_t f0 = read_eflags();
	s->fl_before = f0;
	write_eflags((f0 & ~FL_IF) | FL_IOPL3);
	s->fl_popf_if0_iopl3 = read_eflags();
	write_eflags(f0 & ~FL_IOPL3);
	s->fl_popf_iopl0 = read_eflags();
	write_eflags(f0);
}

static uint32_t user_take(void)
{
	take(&u);
	return read_eflags();
}

static void check_common(struct snap *s, const char *who)
{
	tap_ok(s->gdtr.limit == sizeof(rt_gdt) - 1 && s->gdtr.base == (uint32_t)rt_gdt, "%s: SGDT",
	       who);
	tap_ok(s->idtr.limit == sizeof(rt_idt) - 1 && s->idtr.base == (uint32_t)rt_idt, "%s: SIDT",
	       who);
	tap_ok(s->ldtr == SEL_LDT && s->tr == SEL_TSS, "%s: SLDT and STR", who);
	tap_eq("SMSW matches CR0", s->msw, k.msw);
	tap_ok(s->lar_ucode_zf && (s->lar_ucode & 0x00f0fe00) == 0x00c0fa00,
	       "%s: LAR of the user code segment", who);
	tap_eq("LSL of flat data is 0xffffffff", s->lsl_udata, 0xffffffff);
	tap_ok(s->verw_udata && !s->verw_kcode, "%s: VERW user data yes, code no", who);
}

static void test_cpl0(void)
{
	take(&k);
	tap_eq("CR0 low word for SMSW", k.msw, read_cr0() & 0xffff);
	check_common(&k, "CPL0");
	tap_ok(k.push_cs == SEL_KCODE && k.push_ss == SEL_KDATA && k.mov_ds == SEL_KDATA,
	       "CPL0: PUSH CS, PUSH SS, MOV from DS show RPL 0");
	tap_ok(k.lar_kcode_zf && (k.lar_kcode & 0x00f0fe00) == 0x00c09a00,
	       "CPL0: LAR of kernel code");
	tap_ok(k.lsl_tss_zf && k.lsl_tss == sizeof(rt_tss) - 1, "CPL0: LSL of the TSS");
	tap_ok(k.verr_kdata && k.verr_kcode, "CPL0: VERR kernel data and readable code");
	tap_eq("CPL0: POPF changes IF and IOPL", k.fl_popf_if0_iopl3 & (FL_IF | FL_IOPL3),
	       FL_IOPL3);
	tap_eq("CPL0: POPF clears IOPL", k.fl_popf_iopl0 & FL_IOPL3, 0);
}

static void test_cpl3(void)
{
	uint32_t fl = rt_user_call(user_take, 0x202);
	check_common(&u, "CPL3");
	tap_ok(u.push_cs == SEL_UCODE && u.push_ss == SEL_UDATA && u.mov_ds == SEL_UDATA,
	       "CPL3: PUSH CS, PUSH SS, MOV from DS show RPL 3");
	tap_ok(!u.lar_kcode_zf && u.lar_kcode == 0, "CPL3: LAR of kernel code fails, ZF=0");
	tap_ok(!u.lsl_tss_zf && u.lsl_tss == 0, "CPL3: LSL of the TSS fails, ZF=0");
	tap_ok(!u.verr_kdata && !u.verr_kcode, "CPL3: VERR of DPL0 segments fails");
	tap_eq("CPL3: PUSHF shows IF=1 IOPL=0", u.fl_before & (FL_IF | FL_IOPL3), FL_IF);
	tap_eq("CPL3 IOPL0: POPF changes neither IF nor IOPL",
	       u.fl_popf_if0_iopl3 & (FL_IF | FL_IOPL3), FL_IF);
	tap_eq("IF still set after the user code ran", fl & FL_IF, FL_IF);

	fl = rt_user_call(user_take, 0x3202);
	tap_eq("CPL3 IOPL3: POPF may clear IF, IOPL stays 3",
	       u.fl_popf_if0_iopl3 & (FL_IF | FL_IOPL3), FL_IOPL3);
	tap_eq("CPL3 IOPL3: POPF cannot clear IOPL", u.fl_popf_iopl0 & FL_IOPL3, FL_IOPL3);
}

void test_main(void)
{
	rt_ldt_load();
	tap_plan(30);
	test_cpl0();
	test_cpl3();
}
