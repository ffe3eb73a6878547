/*
 * insn.h - the instruction table: for each guest instruction (by mnemonic)
 * or class of instructions (a mnemonic split by encoding or operands), one
 * entry says why it cannot simply be copied, which callout runs it, which
 * of the translator's own expansions it has, whether a block ends after
 * it, and what memory it touches.
 *
 * Everything that decides what happens to an instruction reads this table:
 * callout_needed() and callout_exec() (callout.c), the translator's
 * bt_mangle() (mangle.c), the isolation rule copy_hazard() (mangle_mem.c)
 * and the reasons `bt86 xlat` prints.  Adding a rewritten instruction is
 * one entry in insn_table.c plus its handler (docs/translator.md, "Adding
 * an instruction").
 */
#ifndef BT86_INSN_H
#define BT86_INSN_H

#include <stdbool.h>
#include <stdint.h>
#include <Zydis/Zydis.h>

#include "monitor/insn/callout.h"

/* The translator's own code for an instruction (mangle*.c), tried before
 * the callout or the copy; it may decline (false), and then the entry's
 * callout runs it, or it is copied when the entry has none. */
enum insn_expand {
	XP_NONE,
	XP_BRANCH,	/* near JMP/CALL/RET: chained exits, indirect lookup */
	XP_JCC,		/* Jcc: two exits */
	XP_LOOP,	/* LOOP/LOOPE/LOOPNE/JCXZ/JECXZ */
	XP_PUSH,	/* PUSH: guest stack through the guest's SS */
	XP_PUSH_SEG,	/* PUSH Sreg: the selector from the vCPU, then a PUSH */
	XP_POP,		/* POP */
	XP_PUSHA,	/* PUSHA/PUSHAD (no such opcode in 64-bit mode) */
	XP_POPA,	/* POPA/POPAD */
	XP_ENTER,	/* ENTER */
	XP_LEAVE,	/* LEAVE */
	XP_MOFFS,	/* XLAT, MOV A0-A3: implicit or absolute addresses */
	XP_INCDEC,	/* INC/DEC 40-4F: REX prefixes in 64-bit mode */
	XP_GRP82,	/* 82 /n: 80 /n (82 is invalid in 64-bit mode) */
	XP_STRING,	/* one MOVS/CMPS/STOS/LODS/SCAS without REP */
	XP_REP_STRING,	/* REP MOVS/STOS on flat segments (the rest: callout) */
	XP_CLI,		/* CLI at CPL 0: clears the virtual IF inline */
	XP_FLAGS,	/* PUSHF/POPF/STI on the virtual EFLAGS (mangle_flags.c) */
	XP_MOV_FROM_CR, /* MOV r32, CRn at CPL 0: reads the vcpu field */
	XP_RDTSC,	/* RDTSC where it cannot #GP: host TSC + the guest offset */
	XP_HINT_NOP,	/* 0F 18-1F hint NOPs: nothing to run */
	XP_COUNT
};

/* What memory an instruction touches (bits). */
enum insn_mem {
	MEM_OPERAND = 1,    /* its explicit ModRM or moffs operand */
	MEM_STACK = 2,	    /* SS:ESP (pushes, pops, frames) */
	MEM_STRING = 4,	    /* DS:ESI and/or ES:EDI, stepped by DF */
	MEM_SYSTEM = 8,	    /* GDT, LDT, IDT or TSS (segment loads, gates) */
	MEM_FPU_IMAGE = 16, /* an x87/SSE state image at its operand, with pointers */
	MEM_MASKED = 32,    /* DS:EDI under a byte mask (MASKMOV) */
};

/* Entry flags. */
enum {
	/* after its callout, control never falls through inline: the block ends */
	INSN_ENDS_BLOCK = 1,
	/* never copied, whatever the callout rule in use says: a 64-bit host
	 * would run other code, or the copy would reach the host's state */
	INSN_NO_COPY = 2,
	/* callout_needed is false: the callout runs only when the expansion
	 * declines (single string instructions).  Entries whose expansion
	 * replaces a callout that is still "needed" (PUSHA, 82 /n) do not
	 * carry it: the emulator and xlat see them as callouts. */
	INSN_FALLBACK = 4,
	/* decided by the CPU model before CR0.TS/EM are looked at */
	INSN_MODEL = 8,
};

struct insn_rule {
	const char *why;  /* why it is not copied (xlat's reason); NULL: copied */
	co_handler run;	  /* its callout (callout*.c); NULL: none */
	uint8_t expand;	  /* enum insn_expand */
	uint8_t mem;	  /* enum insn_mem bits */
	uint8_t flags;	  /* INSN_* */
	const char *name; /* the entry's name (a mnemonic or class), for listings */
};

/* insn_rule: the entry for in (decoded for the guest CPU model, 32-bit or
 * 16-bit code).  Never NULL: an instruction without an entry gets the copy
 * rule (why NULL, MEM_OPERAND).  Instructions the model lacks and invalid
 * LOCK prefixes get a #UD entry first. */
const struct insn_rule *insn_rule(const ZydisDecodedInstruction *in);

/* insn_model_has: the guest CPU model (Pentium M class: x87, MMX, SSE, SSE2,
 * CMOV, CX8, FXSR, SEP, CLFLUSH, PAUSE; no SSE3 or later, no AVX, no long
 * mode, no VMX/SVM) implements in. */
bool insn_model_has(const ZydisDecodedInstruction *in);

/* insn_fpu_class: 0 for instructions CR0.TS/EM do not affect; 'x' x87 (EM
 * or TS -> #NM), 'f' FXSAVE/FXRSTOR (same), 'w' WAIT/FWAIT (TS and MP ->
 * #NM), 's' MMX/SSE/SSE2 (EM -> #UD, TS -> #NM). */
int insn_fpu_class(const ZydisDecodedInstruction *in);

#endif
