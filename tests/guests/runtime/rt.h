/*
 * Freestanding runtime for the bt86 guest test kernels.
 *
 * A guest defines test_main(); the runtime boots it from a multiboot loader
 * with a flat GDT (ring 0 and ring 3), a TSS with an I/O bitmap, an IDT whose
 * exception, IRQ and system-call vectors all reach rt_trap(), the PIC
 * remapped to vectors 0x20-0x2f (all lines masked) and COM1 at 115200 8N1.
 * Output is TAP on COM1; the run ends through isa-debug-exit (port 0xf4).
 *
 * Nothing printed by the runtime depends on the engine running the guest.
 */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Segment selectors of the runtime's GDT ---------------------------- */
#define SEL_KCODE      0x08
#define SEL_KDATA      0x10
#define SEL_UCODE      0x1b /* index 3, RPL 3 */
#define SEL_UDATA      0x23 /* index 4, RPL 3 */
#define SEL_TSS	       0x28
#define SEL_LDT	       0x30
#define GDT_FIRST_FREE 7 /* indexes 7..GDT_ENTRIES-1 are for tests */
#define GDT_ENTRIES    32
#define LDT_ENTRIES    8

/* Descriptor access bytes (P, DPL, S, type). */
#define ACC_CODE0   0x9a /* present, DPL0, code, readable */
#define ACC_DATA0   0x92 /* present, DPL0, data, writable */
#define ACC_CODE3   0xfa
#define ACC_DATA3   0xf2
#define ACC_XONLY0  0x98 /* code, execute-only */
#define ACC_RODATA0 0x90
#define ACC_CONF0   0x9e /* conforming readable code, DPL0 */
/* Descriptor flags nibble: G (4 KiB granularity) and D/B (32-bit). */
#define FLG_G32 0xc
#define FLG_B32 0x4
#define FLG_16	0x0

/* ---- EFLAGS, CR bits ---------------------------------------------------- */
#define FL_CF	 0x0001
#define FL_PF	 0x0004
#define FL_AF	 0x0010
#define FL_ZF	 0x0040
#define FL_SF	 0x0080
#define FL_TF	 0x0100
#define FL_IF	 0x0200
#define FL_DF	 0x0400
#define FL_OF	 0x0800
#define FL_IOPL3 0x3000
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#define CR0_PE	       0x00000001
#define CR0_MP	       0x00000002
#define CR0_EM	       0x00000004
#define CR0_TS	       0x00000008
#define CR0_NE	       0x00000020
#define CR0_WP	       0x00010000
#define CR0_PG	       0x80000000
#define CR4_PSE	       0x00000010
#define CR4_PAE	       0x00000020
#define CR4_PGE	       0x00000080
#define CR4_OSFXSR     0x00000200
#define CR4_OSXMMEXCPT 0x00000400

/* ---- Exception vectors -------------------------------------------------- */
#define VEC_DE	      0
#define VEC_DB	      1
#define VEC_BP	      3
#define VEC_OF	      4
#define VEC_BR	      5
#define VEC_UD	      6
#define VEC_NM	      7
#define VEC_DF	      8
#define VEC_TS	      10
#define VEC_NP	      11
#define VEC_SS	      12
#define VEC_GP	      13
#define VEC_PF	      14
#define VEC_MF	      16
#define VEC_AC	      17
#define VEC_XM	      19
#define VEC_IRQ0      0x20
#define VEC_SYSCALL   0x80
#define VEC_PRIV_GATE 0x81 /* present gate with DPL 0: INT from ring 3 faults */
#define NO_FAULT      0xffffffffu

/* ---- Port I/O and CPU helpers ------------------------------------------- */
static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	asm volatile("sti" ::: "memory");
}

static inline void hlt(void)
{
	asm volatile("hlt" ::: "memory");
}

/* STI then HLT: the STI shadow guarantees no interrupt slips in between. */
static inline void sti_hlt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

static inline uint32_t read_eflags(void)
{
	uint32_t v;
	asm volatile("pushfl; popl %0" : "=r"(v));
	return v;
}

static inline void write_eflags(uint32_t v)
{
	asm volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc");
}

#define RT_DEF_CR(n)                                                                               \
	static inline uint32_t read_cr##n(void)                                                    \
	{                                                                                          \
		uint32_t v;                                                                        \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                                      \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(uint32_t v)                                                 \
	{                                                                                          \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                             \
	}
RT_DEF_CR(0)
RT_DEF_CR(2)
RT_DEF_CR(3)
RT_DEF_CR(4)

static inline void invlpg(uint32_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static inline uint16_t read_cs(void)
{
	uint16_t v;
	asm volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static inline uint16_t read_ss(void)
{
	uint16_t v;
	asm volatile("mov %%ss, %0" : "=r"(v));
	return v;
}

/* ---- Library ------------------------------------------------------------ */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* rt_le16 / rt_le32: unaligned little-endian fields of a byte image (an
 * FXSAVE or FNSTENV area). */
static inline uint16_t rt_le16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static inline uint32_t rt_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* rt_masked_want: what a masked store (MASKMOVQ, MASKMOVDQU) of n bytes of
 * data at w + at leaves: the bytes whose mask byte has bit 7 set. */
static inline void rt_masked_want(uint8_t *w, unsigned at, const uint8_t *data, const uint8_t *mask,
				  unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (mask[i] & 0x80)
			w[at + i] = data[i];
}

/* ---- Serial console (COM1, polled) --------------------------------------- */
void serial_init(void);
void serial_putc(char c);
void rt_vprintf(const char *fmt, va_list ap);
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- TAP ------------------------------------------------------------------ */
void tap_plan(unsigned n);
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_eq(const char *desc, uint32_t got, uint32_t want);
/* tap_bytes: n bytes equal; a failure names the first differing byte. */
int tap_bytes(const char *desc, const uint8_t *got, const uint8_t *want, unsigned n);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void tap_done(void) __attribute__((noreturn));
void rt_exit(int failed) __attribute__((noreturn));

/* ---- Traps ----------------------------------------------------------------- */
/* Register frame built by the common stub; the fields after eflags exist
 * only when the trap came from ring 3. */
struct rt_frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
	uint32_t vector, err;
	uint32_t eip, cs, eflags;
	uint32_t user_esp, user_ss;
};

typedef void (*rt_handler_fn)(struct rt_frame *f);

/* Per-vector hook; NULL restores the default behaviour. */
void rt_set_handler(unsigned vector, rt_handler_fn fn);
/* Set the DPL of an IDT gate (3 lets ring 3 use INT n on it). */
void rt_idt_set_dpl(unsigned vector, unsigned dpl);
/* Install an arbitrary gate (for tests that need trap gates etc.). */
void rt_idt_set_gate(unsigned vector, uint32_t offset, uint16_t sel, uint8_t type_attr);

/* The last caught fault. */
struct rt_fault_rec {
	uint32_t vector, err, cr2, eip, cs, count;
	uint32_t next; /* where RT_CATCH resumed */
};
extern volatile struct rt_fault_rec rt_fault;
extern volatile uint32_t rt_catch_next;
extern volatile uint32_t rt_catch_skip;

/* Forget the last fault. */
void rt_fault_clear(void);

/*
 * RT_CATCH("insn", outputs : inputs : clobbers) runs the instruction text;
 * if it raises an exception the default handler records it in rt_fault and
 * resumes right after the text (label 9). Usable at CPL 0 and CPL 3.
 */
#define RT_CATCH(insn, ...)                                                                        \
	do {                                                                                       \
		rt_fault_clear();                                                                  \
		asm volatile("movl $9f, rt_catch_next\n\t" insn "\n9:\n\t"                         \
			     "movl $0, rt_catch_next" __VA_ARGS__);                                \
	} while (0)

/* Checks that the last RT_CATCH raised VECTOR with error code ERR. */
int tap_fault(const char *desc, uint32_t vector, uint32_t err);
/* Checks that the last RT_CATCH raised nothing. */
int tap_nofault(const char *desc);

/* ---- GDT / LDT / TSS ------------------------------------------------------ */
struct rt_tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
	uint8_t iomap[8192];
	uint8_t iomap_end;
} __attribute__((packed));
extern struct rt_tss rt_tss;
extern uint64_t rt_gdt[GDT_ENTRIES];
extern uint64_t rt_ldt[LDT_ENTRIES];
extern uint64_t rt_idt[256];

uint64_t rt_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void rt_gdt_set(unsigned idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void rt_ldt_set(unsigned idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
/* Load LDTR with the runtime LDT (GDT slot SEL_LDT). */
void rt_ldt_load(void);
/* Allow (1) or deny (0) ring-3 access to PORT through the TSS I/O bitmap. */
void rt_io_allow(uint16_t port, int allow);
/* Top of the ring-0 stack that the TSS gives for traps from ring 3. */
extern uint8_t rt_kstack_top[];

/* ---- PIC and PIT ---------------------------------------------------------- */
void pic_remap(void);
void pic_mask(unsigned irq);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);
uint8_t pic_read_irr(void);
/* Program PIT channel 0 as a rate generator at about HZ interrupts/s. */
void pit_set_rate(unsigned hz);
/* IRQ hook run before the EOI; the default IRQ0 hook counts rt_ticks. */
void rt_irq_set(unsigned irq, rt_handler_fn fn);
extern volatile uint32_t rt_ticks;

/* ---- Paging ------------------------------------------------------------- */
#define PG_P   0x001
#define PG_RW  0x002
#define PG_US  0x004
#define PG_PWT 0x008
#define PG_PCD 0x010
#define PG_A   0x020
#define PG_D   0x040
#define PG_PS  0x080
#define PG_G   0x100
#define PF_P   1 /* page-fault error code bits */
#define PF_W   2
#define PF_U   4

/* One zeroed, page-aligned page from a static pool (tap_bail when empty). */
void *pg_alloc(void);
uint32_t *pg_new_dir(void);
void pg_map4k(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
void pg_map4m(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
void pg_unmap(uint32_t *pd, uint32_t va);
/* Identity-map [0, bytes) with 4 MiB pages. */
void pg_identity4m(uint32_t *pd, uint32_t bytes, uint32_t flags);
/* Identity-map [start, end) with 4 KiB pages. */
void pg_identity4k(uint32_t *pd, uint32_t start, uint32_t end, uint32_t flags);
/* PTE (or 4 MiB PDE) of VA, NULL when no page table covers it. */
uint32_t *pg_entry(uint32_t *pd, uint32_t va);
/* Set and clear flag bits of VA's entry, then INVLPG it. */
void pg_set_flags(uint32_t *pd, uint32_t va, uint32_t set, uint32_t clear);
/* Load CR3, turn on PSE (and PGE if asked) and CR0.PG. */
void pg_enable(uint32_t *pd, uint32_t cr4_extra);
void pg_disable(void);

/* ---- Ring 3 ------------------------------------------------------------- */
#define RT_SYS_EXIT 0 /* ebx = value returned by rt_user_call */
#define RT_SYS_NOTE 1 /* records the trap frame in rt_sys_note */
#define RT_SYS_ADD  2 /* returns ebx + ecx in eax */

/* Run FN at CPL 3 with EFLAGS (bit 1 forced); returns FN's return value. */
uint32_t rt_user_call(uint32_t (*fn)(void), uint32_t eflags);
extern uint8_t rt_ustack_top[];

struct rt_sys_note {
	uint32_t frame, cs, ss, eflags, user_esp, user_ss, kernel_ss, count;
};
extern volatile struct rt_sys_note rt_sys_note;

/* Ring-3 side of the system calls. */
static inline uint32_t rt_syscall(uint32_t nr, uint32_t b, uint32_t c)
{
	uint32_t r = nr;
	asm volatile("int $0x80" : "+a"(r) : "b"(b), "c"(c) : "memory");
	return r;
}

/* SYSENTER: sets the three MSRs; the entry calls rt_sysenter_hook(eax) and
 * returns its value in EAX through SYSEXIT to EDX/ECX. */
#define MSR_SYSENTER_CS	 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
void rt_sysenter_init(void);
extern uint32_t (*volatile rt_sysenter_hook)(uint32_t eax);
extern uint8_t rt_sestack_top[];
extern void rt_sysenter_entry(void);
struct rt_sysenter_note {
	uint32_t esp, cs, ss, eflags;
};
extern volatile struct rt_sysenter_note rt_sysenter_note;

/* ---- Boot ----------------------------------------------------------------- */
struct multiboot_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr;
};
extern struct multiboot_info *rt_mbi;
extern char _end[];

/* Defined by each guest. */
void test_main(void);

#endif
