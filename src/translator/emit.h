/*
 * emit.h - the host-code emitter shared by the mangle files: byte
 * emitters and fixed-shape sequences (stack accesses through [gs:esp],
 * "lea esp", jumps through r12), plus the helpers one mangle file offers
 * the others.  Internal to src/translator.
 */
#ifndef BT86_EMIT_H
#define BT86_EMIT_H

#include "translator/bt.h"
#include "monitor/insn/insn.h"

#include <string.h>

#define REX_B 0x41
#define REX_X 0x42
#define REX_R 0x44
#define REX_W 0x48

/* --- emitter --------------------------------------------------------------- */

static inline void e_bytes(struct bt_emit *e, const void *b, size_t n)
{
	if (n == 0) /* b may be NULL then */
		return;
	if (e->full || (size_t)(e->end - e->p) < n) {
		e->full = true;
		return;
	}
	memcpy(e->p, b, n);
	e->p += n;
}

static inline void e8(struct bt_emit *e, uint8_t b)
{
	e_bytes(e, &b, 1);
}

static inline void e32(struct bt_emit *e, uint32_t v)
{
	e_bytes(e, &v, 4);
}

static inline void e64(struct bt_emit *e, uint64_t v)
{
	e_bytes(e, &v, 8);
}

/* --- Zydis-encoded instructions (emit.c) ----------------------------------- */

/* e_enc: encode req (64-bit mode) with the Zydis encoder and emit it; an
 * encoder failure is a translator bug (die). */
void e_enc(struct bt_emit *e, const ZydisEncoderRequest *req);
/* e_insn: mnemonic with n operands and legacy prefixes (ZYDIS_ATTRIB_HAS_*,
 * e.g. ZYDIS_ATTRIB_HAS_SEGMENT_GS), 64-bit mode. */
void e_insn(struct bt_emit *e, ZydisMnemonic mnemonic, ZyanU64 prefixes, unsigned n,
	    const ZydisEncoderOperand *ops);

/* enc_reg / enc_imm / enc_mem: operand builders for e_insn.  A memory
 * operand with 32-bit base/index registers gets the 0x67 prefix, so the
 * address wraps at 4 GiB (guest accesses use it with the GS prefix). */
static inline ZydisEncoderOperand enc_reg(ZydisRegister r)
{
	ZydisEncoderOperand o;
	memset(&o, 0, sizeof(o));
	o.type = ZYDIS_OPERAND_TYPE_REGISTER;
	o.reg.value = r;
	return o;
}

static inline ZydisEncoderOperand enc_imm(int64_t v)
{
	ZydisEncoderOperand o;
	memset(&o, 0, sizeof(o));
	o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o.imm.s = v;
	return o;
}

static inline ZydisEncoderOperand enc_mem(unsigned size, ZydisRegister base, ZydisRegister index,
					  unsigned scale, int64_t disp)
{
	ZydisEncoderOperand o;
	memset(&o, 0, sizeof(o));
	o.type = ZYDIS_OPERAND_TYPE_MEMORY;
	o.mem.size = (ZyanU16)size;
	o.mem.base = base;
	o.mem.index = index;
	o.mem.scale = (ZyanU8)(index == ZYDIS_REGISTER_NONE ? 0 : scale);
	o.mem.displacement = disp;
	return o;
}

/* enc_gpr: the general-purpose register of width bits (8/16/32/64) with
 * host number id (0-15; 8-bit: AL..BL, SPL..DIL, R8B..R15B, never AH..BH). */
static inline ZydisRegister enc_gpr(unsigned bits, int id)
{
	if (bits == 8)
		return (ZydisRegister)(id < 4	? ZYDIS_REGISTER_AL + id
				       : id < 8 ? ZYDIS_REGISTER_SPL + (id - 4)
						: ZYDIS_REGISTER_R8B + (id - 8));
	ZydisRegisterClass c = bits == 16   ? ZYDIS_REGCLASS_GPR16
			       : bits == 32 ? ZYDIS_REGCLASS_GPR32
					    : ZYDIS_REGCLASS_GPR64;
	return ZydisRegisterEncode(c, (ZyanU8)id);
}

/* e_insn2: e_insn with the two operands a, b. */
static inline void e_insn2(struct bt_emit *e, ZydisMnemonic mnemonic, ZyanU64 prefixes,
			   ZydisEncoderOperand a, ZydisEncoderOperand b)
{
	ZydisEncoderOperand o[2] = {a, b};
	e_insn(e, mnemonic, prefixes, 2, o);
}

/* e_guest_prefix: "65 67", the prefixes that make the memory operand that
 * follows a guest access: GS (the region base) and 32-bit addressing (the
 * guest address wraps at 4 GiB). */
static inline void e_guest_prefix(struct bt_emit *e)
{
	static const uint8_t pfx[] = {0x65, 0x67};
	e_bytes(e, pfx, sizeof(pfx));
}

/* e_jshort: a rel8 branch (JECXZ/JRCXZ/Jcc/JMP) to rel bytes past its end. */
void e_jshort(struct bt_emit *e, ZydisMnemonic mn, int rel);
/* e_patch_rel8: point the rel8 branch that ends at end to dest; false
 * (nothing written) when dest is out of rel8 range. */
bool e_patch_rel8(uint8_t *end, const uint8_t *dest);
/* e_patch_jmp: make the 5 bytes at `at` "jmp rel32" to dest (chaining an
 * exit stub); false (nothing written) if dest is out of rel32 range. */
bool e_patch_jmp(uint8_t *at, const uint8_t *dest);
/* e_patch_jcc: retarget the "jcc rel32" (0F 8x) at jcc to dest. */
void e_patch_jcc(uint8_t *jcc, const uint8_t *dest);

/* e_lea_esp: lea esp, [esp + d] with 0x67 (ESP stays 32-bit). */
static inline void e_lea_esp(struct bt_emit *e, int32_t d)
{
	ZydisEncoderOperand o[2] = {enc_reg(ZYDIS_REGISTER_ESP),
				    enc_mem(4, ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_NONE, 0, d)};
	e_insn(e, ZYDIS_MNEMONIC_LEA, 0, 2, o);
}

/* e_stack_access: a 16/32-bit load (opc 0x8b) or store (0x89) of reg
 * (r8-r15 with REX_R in rex) through [gs:esp+d] (65 67 ...). */
static inline void e_stack_access(struct bt_emit *e, bool o16, uint8_t rex, uint8_t opc, int reg,
				  int8_t d)
{
	ZydisRegister r = ZydisRegisterEncode(o16 ? ZYDIS_REGCLASS_GPR16 : ZYDIS_REGCLASS_GPR32,
					      (ZyanU8)((reg & 7) | ((rex & REX_R) ? 8 : 0)));
	ZydisEncoderOperand m = enc_mem(o16 ? 2 : 4, ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_NONE, 0, d);
	ZydisEncoderOperand o[2] = {m, enc_reg(r)};

	if (opc == 0x8b) {
		o[0] = enc_reg(r);
		o[1] = m;
	}
	e_insn(e, ZYDIS_MNEMONIC_MOV, ZYDIS_ATTRIB_HAS_SEGMENT_GS, 2, o);
}

#define EXIT_STUB_LEN 18

/* A host instruction built around the guest's memory operand. */
struct mem_insn {
	const uint8_t *pfx; /* legacy prefixes to keep */
	int npfx;
	uint8_t rex;	    /* REX bits the instruction needs (0: none) */
	const uint8_t *opc; /* opcode bytes */
	int nopc;
	int reg;	     /* ModRM.reg field */
	const uint8_t *tail; /* immediate bytes */
	int ntail;
};

/* mangle.c */
void mangle_callout(struct bt_ctx *x, enum bt_site_kind kind, const char *why);
/* mangle_mem.c */
bool emit_mem_insn(struct bt_ctx *x, const struct mem_insn *mi);
bool emit_load_scratch(struct bt_ctx *x, const ZydisDecodedOperand *op, int reg, bool o16);
/* emit_mem_insn_adj: emit_mem_insn, with adj added to the effective
 * address when its base register is ESP (POP m computes the address with
 * the incremented ESP). */
bool emit_mem_insn_adj(struct bt_ctx *x, const struct mem_insn *mi, int32_t adj);
/* emit_seg_base_add: addr32 += the base of segment seg (S_*), read
 * from bt_cpu.seg_base into tmp32, flag-free (lea, wraps at 4 GiB). */
void emit_seg_base_add(struct bt_ctx *x, int seg, ZydisRegister addr, ZydisRegister tmp);
/* bt_seg_mode: the BT_MODE_SEG_BASED bits of v's DS/ES/SS/CS. */
uint32_t bt_seg_mode(const struct vcpu *v);
/* bt_ss_based: the block being built runs with a based or 16-bit SS:
 * stack accesses go through emit_ss_access. */
bool bt_ss_based(const struct bt_ctx *x);
/* emit_esp_add: ESP (SP under a 16-bit SS) += d, flag-free. */
void emit_esp_add(struct bt_ctx *x, int32_t d);
/* emit_stack_access: e_stack_access (reg through [ss:esp+d]) that also
 * adds the SS base when the block's SS is based (scratch r9/r10 only). */
void emit_stack_access(struct bt_ctx *x, bool o16, uint8_t rex, uint8_t opc, int reg, int8_t d);
/* emit_ss_access: [66] [rex] opc reg, [ss:base+d] + tail for a based SS:
 * "lea r10d,[base+d]; mov r9d,[SS base]; lea r10d,[r10+r9]; 65 67 ..
 * [r10]".  Touches r9/r10 only (reg may be r8 or r11). */
void emit_ss_access(struct bt_ctx *x, bool o16, uint8_t rex, uint8_t opc, int reg, int base,
		    int32_t d, const void *tail, int ntail);
/* mangle_push_seg (mangle_stack.c): PUSH Sreg inline; false: a callout. */
bool mangle_push_seg(struct bt_ctx *x);
/* mangle_string.c */
/* mangle_string: MOVS/STOS/LODS/CMPS/SCAS without REP, 32-bit addressing,
 * expanded inline; false if the instruction is not one of them. */
bool mangle_string(struct bt_ctx *x);
/* mangle_rep_string: REP MOVS/STOS, 32-bit addressing, flat source and
 * destination segments, run by the host's own REP MOVS/STOS on the guest
 * view (DF=1: a callout); false for every other REP form (a callout). */
bool mangle_rep_string(struct bt_ctx *x);
/* copy_hazard: why x may not be copied (the isolation rule), or NULL. */
const char *copy_hazard(const struct bt_ctx *x);
/* mangle_copy: an innocuous instruction, memory operands made guest
 * accesses; opcode0 >= 0 replaces the first opcode byte (0x82 -> 0x80). */
void mangle_copy(struct bt_ctx *x, int opcode0);
/* mangle_moffs: MOV A0-A3 and XLAT (no ModRM). */
void mangle_moffs(struct bt_ctx *x);
/* mangle_flags.c: PUSHF/PUSHFD inline at any CPL; POPFD inline with a
 * run-time callout slow path (false: 16-bit, plain callout); STI inline
 * at CPL 0 (false above CPL 0). */
void mangle_pushf(struct bt_ctx *x);
bool mangle_popf(struct bt_ctx *x);
bool mangle_sti(struct bt_ctx *x);
/* mangle_stack.c */
void mangle_push(struct bt_ctx *x);
void mangle_pop(struct bt_ctx *x);
bool mangle_pusha(struct bt_ctx *x);
bool mangle_popa(struct bt_ctx *x);
void mangle_enter(struct bt_ctx *x);
void mangle_leave(struct bt_ctx *x);

#endif
