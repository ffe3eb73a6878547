/*
 * diff.h - constants and the job protocol shared by the differential tester
 * (difftest, 64-bit) and its native helper (native32, a 32-bit process).
 *
 * Both sides run a sequence at the same linear addresses, so code bytes and
 * pointers are identical: code at DIFF_CODE_ADDR, data area (with the stack
 * at its top) at DIFF_DATA_ADDR.  Paging is off under bt, so these are also
 * the guest-physical addresses and must lie inside the 64 MiB guest RAM.
 *
 * Protocol on the helper's stdin/stdout (native byte order, no padding):
 *   job:    struct diff_job, code_len code bytes, DIFF_DATA_SIZE data bytes
 *   result: struct diff_result, DIFF_DATA_SIZE data bytes
 * The helper appends its own epilogue (a jump back into its stub) to the
 * code; difftest appends `out 0xf4, al` for bt.
 */
#ifndef BT86_DIFF_H
#define BT86_DIFF_H

#include <stdint.h>

#define DIFF_CODE_ADDR 0x00100000u
#define DIFF_CODE_MAX  0x10000u /* mapped code bytes, epilogue included */
#define DIFF_DATA_ADDR 0x00200000u
#define DIFF_DATA_SIZE 0x4000u /* compared byte for byte */

/* Layout of the data area (offsets from DIFF_DATA_ADDR). */
#define DIFF_MEM_LO    0x0100u /* memory operands fall in [LO, HI) */
#define DIFF_MEM_HI    0x3000u
#define DIFF_XMM_INIT  0x3000u /* prologue loads xmm0..7 from here */
#define DIFF_X87_OUT   0x3080u /* x87 results (FSTP): 8 m64 slots, 16 m32 */
#define DIFF_X87_SLOTS 24u
/* x87 result slot k: its offset in the data area and its size */
#define DIFF_X87_SLOT_OFF(k)  (DIFF_X87_OUT + ((k) < 8 ? 8 * (k) : 64 + 4 * ((k)-8)))
#define DIFF_X87_SLOT_SIZE(k) ((k) < 8 ? 8u : 4u)
#define DIFF_STACK_TOP	      0x3c00u /* initial ESP (stack grows down to 0x3100) */

/* EFLAGS bits the tester sets and compares. */
#define DIFF_CF	   0x0001u
#define DIFF_PF	   0x0004u
#define DIFF_AF	   0x0010u
#define DIFF_ZF	   0x0040u
#define DIFF_SF	   0x0080u
#define DIFF_DF	   0x0400u
#define DIFF_OF	   0x0800u
#define DIFF_ARITH (DIFF_CF | DIFF_PF | DIFF_AF | DIFF_ZF | DIFF_SF | DIFF_OF)
#define DIFF_FLAGS (DIFF_ARITH | DIFF_DF)

/* The kinds of reference CPU (reference.h); quirks are per kind. */
enum diff_ref_kind {
	REF_CPU,  /* the helper executed directly by this host's CPU */
	REF_QEMU, /* the helper under qemu-i386 */
	DIFF_NREF
};

#define DIFF_JOB_MAGIC 0x4a666964u /* "difJ" */
#define DIFF_RES_MAGIC 0x52666964u /* "difR" */

struct diff_job {
	uint32_t magic;
	uint32_t code_len; /* bytes of code that follow, no epilogue */
	uint32_t regs[8];  /* EAX..EDI, hardware order */
	uint32_t eflags;   /* only DIFF_FLAGS bits are used */
};

struct diff_result {
	uint32_t magic;
	uint32_t fault;	    /* 0, or the signal that stopped the sequence */
	uint32_t fault_eip; /* EIP at the signal */
	uint32_t regs[8];
	uint32_t eflags;
};

#endif
