/*
 * emit.c - host instructions built with the Zydis encoder (see emit.h).
 *
 * Copied guest instructions keep their own bytes (prefixes added, ModRM/SIB
 * re-encoded); every instruction the translator adds of its own is encoded
 * here, so the emitted code is exactly what Zydis says it is.
 */
#include "translator/emit.h"
#include "monitor/util.h"

void e_enc(struct bt_emit *e, const ZydisEncoderRequest *req)
{
	ZyanU8 buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ZyanUSize len = sizeof(buf);

	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(req, buf, &len)))
		die("Zydis cannot encode mnemonic %d with %u operands", req->mnemonic,
		    (unsigned)req->operand_count);
	e_bytes(e, buf, len);
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
