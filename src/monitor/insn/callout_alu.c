/*
 * callout_alu.c - arithmetic of the opcodes that do not exist in 64-bit mode
 * (DAA, DAS, AAA, AAS, AAM, AAD, SALC) and of the 0x82 group.
 *
 * Pure functions of their inputs, so they can be checked against a real
 * CPU.  The defined flags follow the Intel SDM pseudo-code.  The flags the
 * SDM leaves undefined are set as measured on hardware (all 256 AL values x
 * every CF/AF/OF/ZF/SF input, compared with the host CPU running the real
 * instructions in 32-bit mode):
 *   DAA/DAS: OF = signed overflow of AL +/- the total adjustment (0x06/0x60).
 *   AAA/AAS: OF = 0; SF/ZF/PF of the 16-bit AX +/- 0x106 (or of AX).
 *   AAM:     OF = AF = CF = 0.
 *   AAD:     flags of the 8-bit ADD AL + AH*imm (OF, AF, CF included).
 */
#include "monitor/insn/callout_priv.h"

/* parity: EFL_PF if the low byte of x has an even number of set bits. */
static uint32_t parity(uint8_t x)
{
	return __builtin_parity(x) ? 0 : EFL_PF;
}

/* szp: SF, ZF and PF of an 8-bit result. */
static uint32_t szp(uint8_t x)
{
	return (x & 0x80 ? EFL_SF : 0) | (x ? 0 : EFL_ZF) | parity(x);
}

/* add8_flags: all six arithmetic flags of a + b + c (8 bits). */
static uint32_t add8_flags(uint8_t a, uint8_t b, unsigned c)
{
	unsigned r = a + b + c;
	uint8_t r8 = r;
	uint32_t f = szp(r8);

	if (r > 0xff)
		f |= EFL_CF;
	if ((a ^ b ^ r8) & 0x10)
		f |= EFL_AF;
	if ((~(a ^ b) & (a ^ r8)) & 0x80)
		f |= EFL_OF;
	return f;
}

/* bcd_daa_das: DAA (sub = false) or DAS (sub = true) on AL. */
static uint8_t bcd_daa_das(uint8_t al, bool sub, uint32_t *fl)
{
	uint8_t old = al, adj = 0;
	bool cf = *fl & EFL_CF, af = *fl & EFL_AF, ncf = false;

	if ((al & 0xf) > 9 || af) {
		adj = 0x06;
		ncf = cf || (sub ? al < 6 : al > 0xf9);
		al = sub ? al - 6 : al + 6;
		af = true;
	} else {
		af = false;
	}
	if (old > 0x99 || cf) {
		adj |= 0x60;
		al = sub ? al - 0x60 : al + 0x60;
		ncf = true;
	} else if (!sub) {
		ncf = false;
	}
	uint32_t f = szp(al) | (ncf ? EFL_CF : 0) | (af ? EFL_AF : 0);
	uint8_t src = sub ? (uint8_t)-adj : adj;
	/* overflow of old +/- adj as one operation */
	if (sub ? ((old ^ adj) & (old ^ al) & 0x80) : (~(old ^ src) & (old ^ al) & 0x80))
		f |= EFL_OF;
	*fl = (*fl & ~EFL_ARITH) | f;
	return al;
}

/* szp16: SF, ZF, PF of a 16-bit result (PF from the low byte). */
static uint32_t szp16(uint16_t x)
{
	return (x & 0x8000 ? EFL_SF : 0) | (x ? 0 : EFL_ZF) | parity((uint8_t)x);
}

/* bcd_aaa_aas: AAA (sub = false) or AAS (sub = true) on AX.  The undefined
 * SF/ZF/PF come out as those of the 16-bit AX +/- 0x106 (or of AX when no
 * adjustment is made). */
static uint16_t bcd_aaa_aas(uint16_t ax, bool sub, uint32_t *fl)
{
	uint16_t r = ax;
	uint32_t f;

	if ((ax & 0xf) > 9 || (*fl & EFL_AF)) {
		r = sub ? ax - 0x106 : ax + 0x106;
		f = szp16(r) | EFL_AF | EFL_CF;
	} else {
		f = szp16(r);
	}
	*fl = (*fl & ~EFL_ARITH) | f;
	return (uint16_t)((r & 0xff00) | (r & 0xf));
}

uint32_t callout_bcd_op(ZydisMnemonic m, uint32_t eax, uint8_t imm, uint32_t *eflags)
{
	uint8_t al = eax, ah = eax >> 8;

	switch (m) {
	case ZYDIS_MNEMONIC_DAA:
	case ZYDIS_MNEMONIC_DAS:
		al = bcd_daa_das(al, m == ZYDIS_MNEMONIC_DAS, eflags);
		return (eax & ~0xffu) | al;
	case ZYDIS_MNEMONIC_AAA:
	case ZYDIS_MNEMONIC_AAS:
		return (eax & ~0xffffu) | bcd_aaa_aas(eax, m == ZYDIS_MNEMONIC_AAS, eflags);
	case ZYDIS_MNEMONIC_AAM:
		if (!imm)
			return eax;
		ah = al / imm;
		al = al % imm;
		*eflags = (*eflags & ~EFL_ARITH) | szp(al);
		return (eax & ~0xffffu) | (uint32_t)ah << 8 | al;
	case ZYDIS_MNEMONIC_AAD: {
		uint8_t prod = (uint8_t)(ah * imm);
		*eflags = (*eflags & ~EFL_ARITH) | add8_flags(al, prod, 0);
		return (eax & ~0xffffu) | (uint8_t)(al + prod);
	}
	case ZYDIS_MNEMONIC_SALC:
		return (eax & ~0xffu) | (*eflags & EFL_CF ? 0xff : 0);
	default:
		return eax;
	}
}

/* ALU8: run `insn` on the host with the guest's CF as input and capture
 * the resulting flags (same ISA: exact flags, AF and OF included). */
#define ALU8(insn, a, b, cf, fl)                                                                   \
	__asm__ volatile("bt $0, %k[c]\n\t" insn " %b[y], %b[x]\n\tpushf\n\tpop %q[f]"             \
			 : [x] "+q"(a), [f] "=r"(fl)                                               \
			 : [y] "q"(b), [c] "r"(cf)                                                 \
			 : "cc")

uint8_t callout_alu8(unsigned op, uint8_t a, uint8_t b, uint32_t *eflags)
{
	uint8_t x = a;
	uint64_t fl = 0;
	uint32_t cf = *eflags & EFL_CF;

	switch (op & 7) {
	case 0:
		ALU8("add", x, b, cf, fl);
		break;
	case 1:
		ALU8("or", x, b, cf, fl);
		break;
	case 2:
		ALU8("adc", x, b, cf, fl);
		break;
	case 3:
		ALU8("sbb", x, b, cf, fl);
		break;
	case 4:
		ALU8("and", x, b, cf, fl);
		break;
	case 5:
		ALU8("sub", x, b, cf, fl);
		break;
	case 6:
		ALU8("xor", x, b, cf, fl);
		break;
	default:
		ALU8("cmp", x, b, cf, fl);
		break;
	}
	*eflags = (*eflags & ~EFL_ARITH) | ((uint32_t)fl & EFL_ARITH);
	return x;
}
