/*
 * emit.c - host encodings (see emit.h).
 *
 * The emitter owns every encoding the translator makes: instructions of
 * its own go through the Zydis encoder here (e_enc, e_insn, e_jshort), a
 * few fixed shapes on hot paths are written as bytes in emit.h (the guest
 * prefix 65 67, stack accesses, LEA of ESP), and the patches of code
 * already emitted (chaining an exit: jmp rel32, retargeting a jcc rel32,
 * landing a rel8) are made here too.  Copied guest instructions keep their
 * own bytes, with prefixes added and ModRM/SIB re-encoded (mangle_mem.c).
 */
#include "translator/emit.h"
#include "monitor/base/util.h"

#include <string.h>

void e_enc(struct bt_emit *e, const ZydisEncoderRequest *req)
{
	ZyanU8 buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZyanUSize len = sizeof(buf);

	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(req, buf, &len)))
		die("Zydis cannot encode mnemonic %d with %u operands", req->mnemonic,
		    (unsigned)req->operand_count);
	e_bytes(e, buf, len);
}

void e_jshort(struct bt_emit *e, ZydisMnemonic mn, int rel)
{
	ZydisEncoderRequest req;

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.mnemonic = mn;
	req.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
	req.branch_width = ZYDIS_BRANCH_WIDTH_8;
	req.operand_count = 1;
	req.operands[0].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	req.operands[0].imm.s = rel;
	e_enc(e, &req);
}

bool e_patch_rel8(uint8_t *end, const uint8_t *dest)
{
	ptrdiff_t d = dest - end;
	if (d < -128 || d > 127)
		return false;
	end[-1] = (uint8_t)(int8_t)d;
	return true;
}

bool e_patch_jmp(uint8_t *at, const uint8_t *dest)
{
	int64_t rel = dest - (at + 5);
	if (rel != (int32_t)rel)
		return false;
	int32_t r32 = (int32_t)rel;
	at[0] = 0xe9;
	memcpy(at + 1, &r32, 4);
	return true;
}

void e_patch_jcc(uint8_t *jcc, const uint8_t *dest)
{
	int32_t r32 = (int32_t)(dest - (jcc + 6));
	memcpy(jcc + 2, &r32, 4);
}

void e_insn(struct bt_emit *e, ZydisMnemonic mnemonic, ZyanU64 prefixes, unsigned n,
	    const ZydisEncoderOperand *ops)
{
	ZydisEncoderRequest req;

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.mnemonic = mnemonic;
	req.prefixes = prefixes;
	req.operand_count = (ZyanU8)n;
	for (unsigned i = 0; i < n; i++)
		req.operands[i] = ops[i];
	e_enc(e, &req);
}
