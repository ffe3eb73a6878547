/*
 * mode.h - the translation mode: the bits of vcpu state that change how a
 * guest instruction is translated.  They are part of a block's key (with
 * its EIP and CS base): a block runs only under the mode it was built for.
 * bt_mode() (builder.c) computes them; nothing else defines mode bits.
 */
#ifndef BT86_TRANSLATOR_MODE_H
#define BT86_TRANSLATOR_MODE_H

#define BT_MODE_CS32	  1u /* CS.D: 32-bit default operand and address size */
#define BT_MODE_CPL_SHIFT 1
#define BT_MODE_CPL_MASK  (3u << BT_MODE_CPL_SHIFT)
#define BT_MODE_CPL(m)	  (((m)&BT_MODE_CPL_MASK) >> BT_MODE_CPL_SHIFT) /* 0..3 */
#define BT_MODE_FPU_TRAP  8u	  /* CR0.TS or CR0.EM: x87/SSE call out (#NM/#UD) */
#define BT_MODE_NO_OSFXSR 16u	  /* CR4.OSFXSR clear: SSE raises #UD */
#define BT_MODE_PAGING	  32u	  /* CR0.PG: code at linear addresses, no chaining across pages */
#define BT_MODE_TSD	  64u	  /* CR4.TSD: RDTSC above CPL 0 calls out (#GP) */
#define BT_MODE_SS16	  128u	  /* SS.B clear: the stack pointer is SP, wrapping at 64 KiB */
#define BT_MODE_V86	  0x1000u /* EFLAGS.VM: virtual-8086 mode (CPL 3, IOPL-sensitive) */
/* DS/ES/SS/CS has a non-zero base: accesses through it add the base from
 * bt_cpu.seg_base (mangle_mem.c).  s = S_ES, S_CS, S_SS or S_DS. */
#define BT_MODE_SEG_BASED(s) (0x100u << (s))
#define BT_MODE_SEG_MASK     (0xfu << 8)

#endif
