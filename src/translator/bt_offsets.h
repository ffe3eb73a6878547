/*
 * bt_offsets.h - byte offsets shared by the C code and the assembly
 * trampolines (entry.S).  Plain macros only, so the .S file can include it;
 * bt.h checks every value against offsetof() with static assertions.
 */
#ifndef BT86_BT_OFFSETS_H
#define BT86_BT_OFFSETS_H

/* struct bt_cpu, reached through r12 in translated code. */
#define BTC_VCPU      0	   /* struct vcpu * */
#define BTC_MON_RSP   8	   /* monitor RSP saved by bt_enter */
#define BTC_TARGET    16   /* host PC bt_resume jumps to */
#define BTC_EXIT_ARG  24   /* exit record or callout site */
#define BTC_RESUME    32   /* host PC after a callout */
#define BTC_REASON    40   /* uint32 BT_EXIT_* (below) */
#define BTC_EXIT_EIP  44   /* uint32 guest EIP for indirect misses */
#define BTC_FN_DIRECT 48   /* address of bt_exit_direct */
#define BTC_FN_IND    56   /* address of bt_exit_indirect */
#define BTC_FN_CALL   64   /* address of bt_callout_entry */
#define BTC_SEG_BASE  72   /* uint32 seg_base[6] (ES..GS) */
#define BTC_IND_BASE  96   /* uint32 *: direct-mapped indirect table (r13) */
#define BTC_TC_BASE   104  /* uint8 *: TC base (r14), table offsets are from it */
#define BTC_CLR_IF    112  /* uint8 clr_if[256]: b & ~(EFL_IF >> 8) */
#define BTC_IF_CLEAR  368  /* uint8 if_clear[256]: 0 if b has EFL_IF >> 8, else 1 */
#define BTC_GS_BASE   624  /* uint64: the host GS base (inline REP MOVS/STOS) */
#define BTC_POLL      4096 /* the poll page */
#define BTC_SIZE      8192
/* Length of the block-entry poll load "mov r11b, [r12+BTC_POLL]". */
#define BT_POLL_LEN 8

/* struct vcpu */
#define VCPU_GPR    0
#define VCPU_EFLAGS 36
#define VCPU_FX	    304

/* Exit reasons (struct bt_cpu.reason). */
#define BT_EXIT_DIRECT	1 /* a direct-branch stub; exit_arg = struct bt_exit * */
#define BT_EXIT_IND	2 /* indirect lookup miss; exit_eip = target */
#define BT_EXIT_CALLOUT 3 /* a callout that leaves to the dispatcher */
#define BT_EXIT_ASYNC	4 /* the signal handler redirected us (async_kind) */

/* Guest EFLAGS bits carried in host RFLAGS: CF PF AF ZF SF OF DF. */
#define BT_LIVE_FLAGS 0xcd5

#endif
