/*
 * Virtual-8086 mode (EFLAGS.VM), after the SDM vol. 3 chapter "8086
 * Emulation": the monitor enters vm86 by an IRET whose EFLAGS image has VM
 * set and runs 16-bit code copied to linear 0x8000 (CS = 0x0800), where
 * segment bases are selector * 16 with no descriptor checks. Checked:
 * 16- and 32-bit (0x66) arithmetic, PUSH/POP, near CALL/RET, LOOP and
 * REP MOVSB through DS/ES; INT n at IOPL 3 through a DPL-3 32-bit interrupt
 * gate to ring 0 (the frame holds EIP, CS, EFLAGS with VM, ESP, SS, ES,
 * DS, FS, GS; ring 0 starts with null data segments; the handler's IRET
 * returns to vm86 with the segments of the frame); CLI/STI/PUSHF/POPF at
 * IOPL 3 acting on EFLAGS.IF (and never on IOPL or VM); at IOPL 0 CLI,
 * STI, PUSHF, POPF, INT n and IRET each raise #GP(0), which the monitor
 * emulates and skips, while INT3 still goes through the IDT; INT n to a
 * DPL-0 gate; IN/OUT checked against the TSS I/O bitmap whatever IOPL is;
 * #UD and #PF (user-mode error codes) from vm86; a PIT interrupt taken in
 * vm86.
 */
#include "rt.h"

#define FL_VM 0x00020000

#define CODE_SEG  0x0800 /* the programs of vm86.S, at linear 0x8000 */
#define DATA_SEG  0x3000
#define EXTRA_SEG 0x3100
#define FS_SEG	  0x3200
#define GS_SEG	  0x3300
#define STACK_SEG 0x3800
#define STACK_SP  0x0800
#define RET_GOOD  0x600d

/* Offsets in the data segment, as in vm86.S. */
#define R_ADD	  0x00
#define R_FLAGS	  0x02
#define R_ADD32	  0x04
#define R_SP0	  0x08
#define R_SP1	  0x0a
#define R_POP	  0x0c
#define R_CALL	  0x0e
#define R_RETADDR 0x10
#define R_LOOP	  0x12
#define R_LOOPCX  0x14
#define R_ESREAD  0x16
#define R_SPCALL  0x18
#define R_INTAX	  0x20
#define R_INTES	  0x22
#define R_INTRD	  0x24
#define R_F1	  0x26
#define R_F2	  0x28
#define R_F3	  0x2a
#define R_F4	  0x2c
#define R_EPUSHF  0x30
#define R_IOVAL	  0x34
#define R_IOW	  0x36
#define R_PFREAD  0x38
#define R_SEG1	  0x3a
#define R_SEG2	  0x3c
#define R_SEG3	  0x3e
#define R_TICK	  0x40
#define R_STR	  0x100

extern char v86_blob[], v86_blob_end[];
extern char p_basic[], after_call[];
extern char p_int[], int40_ret[];
extern char p_sens[], s_cli[], s_sti[], s_pushf[], s_popf[], s_int[], s_iret[], s_int3_next[];
extern char p_io[], io_inw[], io_out80[], io_in3fe[];
extern char p_fault[], f_ud[], f_pfw[], f_pfr[];
extern char p_seg[], s_int81[];
extern char p_irq[], p_irq_end[];
extern void v86_isr40(void), v86_isr41(void);
uint32_t v86_call(const uint32_t frame[9]);
void v86_int_handler(struct rt_frame *f);

/* What the CPU pushes beyond struct rt_frame on a trap from vm86. */
struct v86_frame {
	struct rt_frame r;
	uint32_t es, ds, fs, gs;
};

/* Offset of a label of the blob (its IP with CS = CODE_SEG). */
static uint32_t off(const char *label)
{
	return (uint32_t)(label - v86_blob);
}

static uint8_t *lin(uint32_t seg, uint32_t offset)
{
	return (uint8_t *)(((seg & 0xffff) << 4) + (offset & 0xffff));
}

static uint16_t rd16(uint32_t seg, uint32_t offset)
{
	uint16_t v;
	memcpy(&v, lin(seg, offset), 2);
	return v;
}

static void wr16(uint32_t seg, uint32_t offset, uint16_t v)
{
	memcpy(lin(seg, offset), &v, 2);
}

static uint32_t data16(unsigned r)
{
	return rd16(DATA_SEG, r);
}

/* ---- Exceptions from vm86: recorded, then emulated or fixed up -------- */
struct ev {
	uint32_t vec, err, cs, ip, fl, cr2;
};
static struct ev evs[16];
static unsigned nev;
static unsigned vif; /* the virtual IF of the IOPL-0 emulation */
static uint32_t *pd;

static void ev_reset(void)
{
	nev = 0;
	memset(evs, 0, sizeof(evs));
}

/* Emulates the #GP(0) of an IOPL-sensitive or denied I/O instruction and
 * steps over it. INT 0x80 (the exit) is let through by raising IOPL. */
static void emulate_gp(struct v86_frame *v)
{
	struct rt_frame *f = &v->r;
	uint8_t *p = lin(f->cs, f->eip);
	unsigned len = 0;
	uint32_t sp = f->user_esp & 0xffff;
	if (p[0] == 0x66) {
		len = 1;
		p = lin(f->cs, f->eip + 1);
	}
	switch (p[0]) {
	case 0xfa: /* cli */
		vif = 0;
		len += 1;
		break;
	case 0xfb: /* sti */
		vif = 1;
		len += 1;
		break;
	case 0x9c: /* pushf: the virtual IF */
		sp = (sp - 2) & 0xffff;
		wr16(f->user_ss, sp, (f->eflags & (FL_ARITH | FL_DF)) | 2 | (vif ? FL_IF : 0));
		len += 1;
		break;
	case 0x9d: { /* popf */
		uint16_t v16 = rd16(f->user_ss, sp);
		sp = (sp + 2) & 0xffff;
		vif = !!(v16 & FL_IF);
		f->eflags = (f->eflags & ~(FL_ARITH | FL_DF)) | (v16 & (FL_ARITH | FL_DF));
		len += 1;
		break;
	}
	case 0xcd: /* int n */
		len += 2;
		break;
	case 0xcf: /* iret */
		len += 1;
		break;
	case 0xe4: /* in/out imm8 */
	case 0xe5:
	case 0xe6:
	case 0xe7:
		len += 2;
		break;
	case 0xed: /* in ax, dx: reads as 0xeeee */
		f->eax = (f->eax & 0xffff0000) | 0xeeee;
		len += 1;
		break;
	case 0xec:
	case 0xee:
	case 0xef:
		len += 1;
		break;
	default:
		tap_bail("#GP from vm86 at %04x:%04x on opcode %02x", f->cs, f->eip, p[0]);
	}
	f->user_esp = (f->user_esp & 0xffff0000) | sp;
	f->eip = (f->eip + len) & 0xffff;
}

/* Hook of #GP, #UD, #BP and #PF. */
static void v86_fault(struct rt_frame *f)
{
	struct v86_frame *v = (struct v86_frame *)f;
	if (!(f->eflags & FL_VM))
		tap_bail("exception %u, error 0x%x, outside vm86 at %04x:%08x", f->vector, f->err,
			 f->cs, f->eip);
	uint8_t *p = lin(f->cs, f->eip);
	if (f->vector == VEC_GP && p[0] == 0xcd && p[1] == 0x80 && f->err == 0) {
		f->eflags |= FL_IOPL3; /* the exit at IOPL 0: run it again at IOPL 3 */
		return;
	}
	if (nev == 16)
		tap_bail("too many exceptions from vm86");
	struct ev *e = &evs[nev++];
	e->vec = f->vector;
	e->err = f->err;
	e->cs = f->cs & 0xffff;
	e->ip = f->eip;
	e->fl = f->eflags;
	e->cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	switch (f->vector) {
	case VEC_GP:
		emulate_gp(v);
		break;
	case VEC_UD:
		f->eip = (f->eip + 2) & 0xffff; /* ud2 */
		break;
	case VEC_BP:
		break;
	case VEC_PF:
		pg_set_flags(pd, e->cr2, PG_P | PG_US, 0);
		break;
	}
}

/* Event I is VEC with ERR at CODE_SEG:IP, VM set in the pushed EFLAGS. */
static int ev_is(unsigned i, uint32_t vec, uint32_t err, uint32_t ip)
{
	const struct ev *e = &evs[i];
	return i < nev && e->vec == vec && e->err == err && e->cs == CODE_SEG && e->ip == ip &&
	       (e->fl & FL_VM);
}

static void ev_dump(void)
{
	if (!nev)
		tap_diag("  no exception from vm86");
	for (unsigned i = 0; i < nev; i++)
		tap_diag("  exception %u: vector %u error 0x%x at %04x:%04x eflags %08x cr2 %08x",
			 i, evs[i].vec, evs[i].err, evs[i].cs, evs[i].ip, evs[i].fl, evs[i].cr2);
}

/* ---- INT 0x40 / 0x41 from vm86 ---------------------------------------- */
static struct v86_frame int40;
static uint32_t int40_where, int40_ring0_fl, int41_fl, int41_count;

void v86_int_handler(struct rt_frame *f)
{
	struct v86_frame *v = (struct v86_frame *)f;
	if (f->vector == 0x40) {
		int40 = *v;
		/* a pushed segment register may keep the stack's upper 16 bits */
		int40.r.cs &= 0xffff;
		int40.r.user_ss &= 0xffff;
		int40.r.ds &= 0xffff;
		int40.r.es &= 0xffff;
		int40.r.fs &= 0xffff;
		int40.r.gs &= 0xffff;
		int40.es &= 0xffff;
		int40.ds &= 0xffff;
		int40.fs &= 0xffff;
		int40.gs &= 0xffff;
		int40_where = (uint32_t)&f->eip;
		int40_ring0_fl = read_eflags();
		f->eax = (f->eax & 0xffff0000) | ((f->eax + 0x1111) & 0xffff);
		v->es = 0x3400; /* vm86 resumes with this ES */
	} else {
		int41_fl = f->eflags;
		int41_count++;
	}
}

/* ---- IRQ0 in vm86 -------------------------------------------------------- */
static uint32_t irq_count, irq_fl, irq_cs, irq_ip, irq_ds;

static void tick_hook(struct rt_frame *f)
{
	struct v86_frame *v = (struct v86_frame *)f;
	rt_ticks++;
	if (irq_count++ == 0) {
		irq_fl = f->eflags;
		irq_cs = f->cs & 0xffff;
		irq_ip = f->eip;
		irq_ds = v->ds & 0xffff;
		wr16(DATA_SEG, R_TICK, 1);
	}
}

/* Runs the program at LABEL in vm86 with EFLAGS (VM and bit 1 added);
 * returns the EBX of its exit. */
static uint32_t run(const char *label, uint32_t eflags)
{
	uint32_t frame[9] = {off(label), CODE_SEG,  eflags | FL_VM | 2,
			     STACK_SP,	 STACK_SEG, EXTRA_SEG,
			     DATA_SEG,	 FS_SEG,    GS_SEG};
	memset(lin(DATA_SEG, 0), 0, 0x100);
	ev_reset();
	return v86_call(frame);
}

static void test_basic(void)
{
	memcpy(lin(DATA_SEG, R_STR), "vm86", 4);
	wr16(EXTRA_SEG, 0x20, 0xc0de);
	uint32_t r = run(p_basic, FL_IOPL3);
	tap_eq("IRET with VM=1 enters vm86; INT 0x80 from it comes back", r, RET_GOOD);
	int good = data16(R_ADD) == 0x5555 && data16(R_FLAGS) == (FL_CF | FL_PF | FL_AF | FL_ZF) &&
		   rd16(DATA_SEG, R_ADD32) == 0x6789 && rd16(DATA_SEG, R_ADD32 + 2) == 0x2345;
	if (!tap_ok(good, "16-bit ADD, its flags and a 0x66 32-bit ADD in vm86"))
		tap_diag("  add %04x flags %04x add32 %04x%04x", data16(R_ADD), data16(R_FLAGS),
			 data16(R_ADD32 + 2), data16(R_ADD32));
	uint32_t ret = off(after_call);
	good = data16(R_SP0) == STACK_SP && data16(R_SP1) == STACK_SP - 2 &&
	       data16(R_POP) == 0xabcd && data16(R_CALL) == 15 && data16(R_RETADDR) == ret &&
	       data16(R_SPCALL) == STACK_SP - 2 && rd16(STACK_SEG, STACK_SP - 2) == ret;
	if (!tap_ok(good, "PUSH/POP and near CALL/RET use 16-bit SS:SP at SS*16"))
		tap_diag("  sp %04x/%04x pop %04x call %04x ret %04x sp in call %04x (ret %04x)",
			 data16(R_SP0), data16(R_SP1), data16(R_POP), data16(R_CALL),
			 data16(R_RETADDR), data16(R_SPCALL), ret);
	good = data16(R_LOOP) == 55 && data16(R_LOOPCX) == 0 && rd16(EXTRA_SEG, 0x10) == 0x5a5a &&
	       data16(R_ESREAD) == 0xc0de && memcmp(lin(EXTRA_SEG, 0x40), "vm86", 4) == 0;
	if (!tap_ok(good, "LOOP, DS/ES accesses and REP MOVSB at selector*16"))
		tap_diag("  loop %u cx %u es:10 %04x es:20 read %04x", data16(R_LOOP),
			 data16(R_LOOPCX), rd16(EXTRA_SEG, 0x10), data16(R_ESREAD));
}

static void test_int(void)
{
	rt_idt_set_gate(0x40, (uint32_t)v86_isr40, SEL_KCODE, 0xee);
	rt_idt_set_gate(0x41, (uint32_t)v86_isr41, SEL_KCODE, 0xee);
	wr16(0x3400, 0, 0x7777);
	uint32_t r = run(p_int, FL_IOPL3);
	struct rt_frame *f = &int40.r;
	int good = r == RET_GOOD && f->eip == off(int40_ret) && f->cs == CODE_SEG &&
		   f->eflags == (FL_VM | FL_IOPL3 | FL_IF | 2);
	if (!tap_ok(good,
		    "INT 0x40 at IOPL 3 reaches the ring-0 gate: CS:IP after it, VM in EFLAGS"))
		tap_diag("  exit %x, frame %04x:%08x eflags %08x", r, f->cs, f->eip, f->eflags);
	good = f->user_esp == STACK_SP && f->user_ss == STACK_SEG && int40.es == EXTRA_SEG &&
	       int40.ds == DATA_SEG && int40.fs == FS_SEG && int40.gs == GS_SEG;
	if (!tap_ok(good, "the frame holds the vm86 SS:SP, ES, DS, FS and GS"))
		tap_diag("  ss:sp %04x:%08x es %x ds %x fs %x gs %x", f->user_ss, f->user_esp,
			 int40.es, int40.ds, int40.fs, int40.gs);
	good = f->ds == 0 && f->es == 0 && f->fs == 0 && f->gs == 0 &&
	       (int40_ring0_fl & (FL_VM | FL_IF)) == 0 &&
	       int40_where == (uint32_t)rt_kstack_top - 36;
	if (!tap_ok(good, "ring 0 starts with null DS/ES/FS/GS, VM and IF clear, frame at ESP0-36"))
		tap_diag("  ds %x es %x fs %x gs %x eflags %08x frame at ESP0-%u", f->ds, f->es,
			 f->fs, f->gs, int40_ring0_fl, (uint32_t)rt_kstack_top - int40_where);
	good = data16(R_INTAX) == 0x2111 && data16(R_INTES) == 0x3400 && data16(R_INTRD) == 0x7777;
	if (!tap_ok(good, "the handler's IRET resumes vm86 with its AX and the ES of the frame"))
		tap_diag("  ax %04x es %04x es:0 %04x", data16(R_INTAX), data16(R_INTES),
			 data16(R_INTRD));
	good = data16(R_F1) == 0x3202 && data16(R_F2) == 0x3002 && data16(R_F3) == 0x3202;
	if (!tap_ok(good, "IOPL 3: STI, CLI and POPF set EFLAGS.IF; POPF leaves IOPL"))
		tap_diag("  pushf after sti %04x, after cli %04x, after popf 0x200 %04x",
			 data16(R_F1), data16(R_F2), data16(R_F3));
	uint32_t f4 = data16(R_F4) | (uint32_t)data16(R_F4 + 2) << 16;
	good = f4 == 0x3002 && int41_count == 1 && int41_fl == (FL_VM | FL_IOPL3 | FL_IF | 2);
	if (!tap_ok(good, "PUSHFD stores VM clear; POPFD leaves VM and IOPL"))
		tap_diag("  pushfd %08x, eflags at int 0x41 %08x (%u)", f4, int41_fl, int41_count);
}

static void test_iopl0(void)
{
	vif = 0;
	uint32_t r = run(p_sens, 0);
	int good = ev_is(0, VEC_GP, 0, off(s_cli)) && ev_is(1, VEC_GP, 0, off(s_sti)) &&
		   ev_is(2, VEC_GP, 0, off(s_pushf)) && ev_is(3, VEC_GP, 0, off(s_popf)) &&
		   (evs[0].fl & FL_IOPL3) == 0;
	if (!tap_ok(good, "IOPL 0: CLI, STI, PUSHF, POPF each raise #GP(0) at their CS:IP"))
		ev_dump();
	good = ev_is(4, VEC_GP, 0, off(s_int)) && ev_is(5, VEC_GP, 0, off(s_iret));
	if (!tap_ok(good, "IOPL 0: INT 0x42 and IRET raise #GP(0) at their CS:IP"))
		ev_dump();
	good = ev_is(6, VEC_BP, 0, off(s_int3_next)) && nev == 7;
	if (!tap_ok(good, "IOPL 0: INT3 is not IOPL-sensitive, #BP through the IDT after it"))
		ev_dump();
	good = r == RET_GOOD && data16(R_EPUSHF) == (FL_IF | 2) && vif == 0;
	if (!tap_ok(good, "the monitor emulates them and vm86 resumes (virtual IF pushed/popped)"))
		tap_diag("  exit %x, pushf image %04x, virtual IF %u", r, data16(R_EPUSHF), vif);
}

static void test_seg(void)
{
	wr16(0x1234, 5, 0x5aa5);
	wr16(0x1235, 5, 0x6bb6);
	wr16(0x1230, 0xfe, 0);
	uint32_t r = run(p_seg, FL_IOPL3);
	int good = ev_is(0, VEC_GP, 0x81 * 8 + 2, off(s_int81)) && nev == 1 && r == RET_GOOD;
	if (!tap_ok(good, "IOPL 3: INT 0x81 through a DPL-0 gate raises #GP(0x40a)"))
		ev_dump();
	good = data16(R_SEG1) == 0x5aa5 && data16(R_SEG2) == 0x1234 && data16(R_SEG3) == 0x6bb6 &&
	       rd16(0x1230, 0xfe) == 0x7e7e;
	if (!tap_ok(good, "loads of DS 0x1234, GS 0x1235, SS 0x1230 give base selector*16"))
		tap_diag("  ds:5 %04x ds %04x gs:5 %04x ss:fe %04x", data16(R_SEG1), data16(R_SEG2),
			 data16(R_SEG3), rd16(0x1230, 0xfe));
}

static void test_io(void)
{
	rt_io_allow(0x3ff, 1);
	for (int iopl = 0; iopl < 2; iopl++) {
		outb(0x3ff, 0);
		uint32_t r = run(p_io, iopl ? FL_IOPL3 : 0);
		int works = r == RET_GOOD && data16(R_IOVAL) == 0xa5 && inb(0x3ff) == 0xa5;
		int denied =
		    ev_is(0, VEC_GP, 0, off(io_inw)) && ev_is(1, VEC_GP, 0, off(io_out80)) &&
		    ev_is(2, VEC_GP, 0, off(io_in3fe)) && nev == 3 && data16(R_IOW) == 0xeeee;
		if (iopl == 0) {
			if (!tap_ok(works,
				    "IOPL 0: IN/OUT of port 0x3ff, allowed by the bitmap, work"))
				tap_diag("  exit %x, in %02x, port now %02x", r, data16(R_IOVAL),
					 inb(0x3ff));
			if (!tap_ok(denied, "IOPL 0: denied ports (word 0x3ff-0x400, 0x80, 0x3fe) "
					    "raise #GP(0)"))
				ev_dump();
		} else if (!tap_ok(works && denied,
				   "IOPL 3: the bitmap still applies: 0x3ff works, "
				   "the denied ports raise #GP(0)")) {
			tap_diag("  exit %x, in %02x, port now %02x", r, data16(R_IOVAL),
				 inb(0x3ff));
			ev_dump();
		}
	}
	rt_io_allow(0x3ff, 0);
}

static void test_faults(void)
{
	pd = pg_new_dir();
	pg_identity4k(pd, 0, 0x400000, PG_RW | PG_US);
	for (uint32_t a = 0x400000; a < 0x4000000; a += 0x400000)
		pg_map4m(pd, a, a, PG_RW);
	wr16(0x3600, 0x456, 0x4321);
	wr16(0x3500, 0x123, 0);
	pg_set_flags(pd, 0x35000, 0, PG_P);
	pg_set_flags(pd, 0x36000, 0, PG_US);
	pg_enable(pd, 0);
	uint32_t r = run(p_fault, FL_IOPL3);
	pg_disable();
	int good = ev_is(0, VEC_UD, 0, off(f_ud));
	if (!tap_ok(good, "UD2 in vm86: #UD with the vm86 frame and CS:IP of UD2"))
		ev_dump();
	good = ev_is(1, VEC_PF, PF_U | PF_W, off(f_pfw)) && evs[1].cr2 == 0x35123 &&
	       rd16(0x3500, 0x123) == 0xbeef;
	if (!tap_ok(good, "#PF on a vm86 write to a not-present page: error 6, CR2 = ES*16+0x123"))
		ev_dump();
	good = ev_is(2, VEC_PF, PF_U | PF_P, off(f_pfr)) && evs[2].cr2 == 0x36456 &&
	       data16(R_PFREAD) == 0x4321 && nev == 3 && r == RET_GOOD;
	if (!tap_ok(good,
		    "#PF on a vm86 read of a supervisor page: error 5; retried after the fix"))
		ev_dump();
}

static void test_irq(void)
{
	rt_irq_set(0, tick_hook);
	pit_set_rate(1000);
	pic_unmask(0);
	uint32_t r = run(p_irq, FL_IOPL3 | FL_IF);
	pic_mask(0);
	rt_irq_set(0, NULL);
	int good = r == RET_GOOD && irq_count >= 1 &&
		   (irq_fl & (FL_VM | FL_IF)) == (FL_VM | FL_IF) && irq_cs == CODE_SEG &&
		   irq_ip >= off(p_irq) && irq_ip < off(p_irq_end) && irq_ds == DATA_SEG;
	if (!tap_ok(good, "IRQ0 in vm86 reaches the handler with a vm86 frame"))
		tap_diag("  exit %x, %u ticks, frame %04x:%04x eflags %08x ds %x", r, irq_count,
			 irq_cs, irq_ip, irq_fl, irq_ds);
}

void test_main(void)
{
	tap_plan(23);
	memcpy(lin(CODE_SEG, 0), v86_blob, v86_blob_end - v86_blob);
	rt_set_handler(VEC_GP, v86_fault);
	rt_set_handler(VEC_UD, v86_fault);
	rt_set_handler(VEC_BP, v86_fault);
	rt_set_handler(VEC_PF, v86_fault);
	test_basic();
	test_int();
	test_iopl0();
	test_seg();
	test_io();
	test_faults();
	test_irq();
}
