/* vcpu.c - reset and boot states, names, register dump (see vcpu.h). */
#include "monitor/machine/vcpu.h"

#include <string.h>

static const char *const seg_names[S_NR] = {"es", "cs", "ss", "ds", "fs", "gs"};
static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

const char *vcpu_seg_name(int s)
{
	return s >= 0 && s < S_NR ? seg_names[s] : "?";
}

const char *vcpu_reg_name(int r)
{
	return r >= 0 && r < 8 ? reg_names[r] : "?";
}

/* Default x87/SSE state after FNINIT/reset: FCW 0x37f, MXCSR 0x1f80. */
static void vcpu_reset_fpu(struct vcpu *v)
{
	memset(v->fxsave, 0, sizeof(v->fxsave));
	v->fxsave[0] = 0x7f;
	v->fxsave[1] = 0x03;
	v->fxsave[24] = 0x80; /* MXCSR = 0x1f80 */
	v->fxsave[25] = 0x1f;
	v->fxsave[28] = 0xff; /* MXCSR_MASK = 0xffff */
	v->fxsave[29] = 0xff;
}

void vcpu_reset(struct vcpu *v)
{
	struct machine *m = v->machine;

	memset(v, 0, sizeof(*v));
	v->machine = m;
	v->eip = 0xfff0;
	v->eflags = EFL_FIXED;
	v->cr0 = CR0_ET | CR0_CD | CR0_NW;
	v->gpr[R_EDX] = 0x000006d8; /* family 6, model 13, stepping 8 (CPUID.1:EAX) */
	for (int s = 0; s < S_NR; s++) {
		v->seg[s].sel = 0;
		v->seg[s].base = 0;
		v->seg[s].limit = 0xffff;
		v->seg[s].attr = 0x93; /* present, data, read/write, accessed */
	}
	v->seg[S_CS].sel = 0xf000;
	v->seg[S_CS].base = 0xffff0000;
	v->seg[S_CS].attr = 0x9b; /* present, code, read/exec, accessed */
	v->ldtr.attr = 0x82;
	v->ldtr.limit = 0xffff;
	v->tr.attr = 0x8b;
	v->tr.limit = 0xffff;
	v->gdtr.limit = 0xffff;
	v->idtr.limit = 0xffff;
	v->dr[6] = 0xffff0ff0;
	v->dr[7] = 0x400;
	v->msr.pat = 0x0007040600070406ull;
	v->msr.apic_base = 0xfee00900ull;
	v->msr.misc_enable = 1;
	vcpu_reset_fpu(v);
}

void vcpu_set_flat32(struct vcpu *v, uint16_t cs, uint16_t ds)
{
	vcpu_reset(v);
	v->cr0 = CR0_PE | CR0_ET;
	v->eflags = EFL_FIXED;
	v->cpl = 0;
	for (int s = 0; s < S_NR; s++) {
		v->seg[s].sel = ds;
		v->seg[s].base = 0;
		v->seg[s].limit = 0xffffffff;
		v->seg[s].attr = 0x93 | SEG_ATTR_DB | SEG_ATTR_G;
	}
	v->seg[S_CS].sel = cs;
	v->seg[S_CS].attr = 0x9b | SEG_ATTR_DB | SEG_ATTR_G;
	v->gpr[R_EDX] = 0;
}

void vcpu_dump(const struct vcpu *v, FILE *f)
{
	fprintf(f, "  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n", v->gpr[R_EAX],
		v->gpr[R_EBX], v->gpr[R_ECX], v->gpr[R_EDX], v->gpr[R_ESI], v->gpr[R_EDI]);
	fprintf(f, "  ebp=%08x esp=%08x eip=%08x eflags=%08x cpl=%u\n", v->gpr[R_EBP],
		v->gpr[R_ESP], v->eip, v->eflags, v->cpl);
	for (int s = 0; s < S_NR; s++)
		fprintf(f, "  %s=%04x base=%08x limit=%08x attr=%04x\n", seg_names[s],
			v->seg[s].sel, v->seg[s].base, v->seg[s].limit, v->seg[s].attr);
	fprintf(f, "  gdt=%08x/%04x idt=%08x/%04x ldtr=%04x tr=%04x\n", v->gdtr.base, v->gdtr.limit,
		v->idtr.base, v->idtr.limit, v->ldtr.sel, v->tr.sel);
	fprintf(f, "  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", v->cr0, v->cr2, v->cr3, v->cr4);
}
