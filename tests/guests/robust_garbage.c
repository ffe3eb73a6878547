/*
 * Control transfers into garbage: a page of 0xFF bytes, the last bytes of
 * RAM, far jumps to invalid code selectors and jumps past the limit of a
 * limited code segment. Every case must end in the exception a real CPU
 * raises, with the faulting EIP, and the guest must go on running.
 *
 * Fetching from physical addresses above the end of RAM is not tested
 * directly: what the bus returns there is not defined by the architecture
 * (QEMU returns zeros and runs them, real chipsets float to 0xFF). The jump
 * there is tested through a code segment whose limit ends with RAM, where
 * the CPU must raise #GP(0) before fetching anything.
 */
#include "rt.h"

#define RAM_END	  0x04000000u /* the runner starts every guest with -m 64 */
#define SEL_RAM	  0x38	      /* code, base 0, limit RAM_END - 1 */
#define SEL_LIM	  0x40	      /* code, base 0, limit the end of lim_page[0..4095] */
#define SEL_NPC	  0x48	      /* code segment, not present */
#define SEL_CODE3 0x50	      /* code segment, DPL 3 (no RPL bits) */

static uint8_t ff_pages[2 * 4096] __attribute__((aligned(4096)));
static uint8_t lim_page[2 * 4096] __attribute__((aligned(4096)));
static volatile uint32_t esp_delta;

/*
 * CATCH_FAR(insn, operands) runs INSN like RT_CATCH, which may leave CS at
 * another code segment with base 0, then returns to the flat kernel code
 * segment. esp_delta receives ESP before INSN minus ESP after it (ESI holds
 * the former meanwhile); the stack is then put back as it was.
 */
#define CATCH_FAR(insn, ...)                                                                       \
	do {                                                                                       \
		rt_fault_clear();                                                                  \
		asm volatile("movl $9f, rt_catch_next\n\t"                                         \
			     "movl %%esp, %%esi\n\t" insn "\n9:\n\t"                               \
			     "movl $0, rt_catch_next\n\t"                                          \
			     "subl %%esp, %%esi\n\t"                                               \
			     "movl %%esi, esp_delta\n\t"                                           \
			     "addl %%esi, %%esp\n\t"                                               \
			     "ljmp $0x08, $8f\n8:" __VA_ARGS__);                                   \
	} while (0)

/* (a) A jump into a page of 0xFF bytes: FF FF is FF /7, undefined: #UD. */
static void test_ff_page(void)
{
	memset(ff_pages, 0xff, sizeof(ff_pages));
	RT_CATCH("jmp *%0", : : "r"(ff_pages) : "memory");
	tap_fault("jump into a page of 0xFF bytes: #UD", VEC_UD, 0);
	tap_eq("#UD EIP is the first garbage byte", rt_fault.eip, (uint32_t)ff_pages);
	RT_CATCH("jmp *%0", : : "r"(ff_pages + 4095) : "memory");
	tap_fault("FF FF across a page boundary: #UD", VEC_UD, 0);
	tap_eq("#UD EIP is the last byte of the first page", rt_fault.eip,
	       (uint32_t)ff_pages + 4095);
	RT_CATCH("call *%0", : : "r"(ff_pages + 100) : "memory");
	asm volatile("addl $4, %%esp" ::: "memory");
	tap_fault("call into 0xFF bytes: #UD at the target", VEC_UD, 0);
	tap_eq("#UD EIP is the call target", rt_fault.eip, (uint32_t)ff_pages + 100);
	tap_eq("CS is the kernel code segment", rt_fault.cs, SEL_KCODE);
}

/* Writes a ud2 into the last two bytes of RAM and a jump back into the five
 * before; runs both. */
static void test_end_of_ram(void)
{
	volatile uint8_t *p = (volatile uint8_t *)(RAM_END - 7);
	p[5] = 0x0f; /* ud2 at RAM_END - 2 */
	p[6] = 0x0b;
	RT_CATCH("jmp *%0", : : "r"(RAM_END - 2) : "memory");
	tap_fault("ud2 in the last two bytes of RAM: #UD", VEC_UD, 0);
	tap_eq("#UD EIP is RAM_END - 2", rt_fault.eip, RAM_END - 2);

	p[0] = 0xe9; /* jmp rel32 at RAM_END - 7, into the 0xFF page */
	*(volatile uint32_t *)(p + 1) = (uint32_t)ff_pages - (RAM_END - 2);
	RT_CATCH("jmp *%0", : : "r"(RAM_END - 7) : "memory");
	tap_fault("jmp rel32 ending 2 bytes before the end of RAM runs", VEC_UD, 0);
	tap_eq("it reached the 0xFF page", rt_fault.eip, (uint32_t)ff_pages);

	/* A code segment that ends with RAM: a far jump above RAM is #GP(0)
	 * before anything is fetched there. */
	rt_gdt_set(SEL_RAM >> 3, 0, (RAM_END >> 12) - 1, ACC_CODE0, FLG_G32);
	CATCH_FAR("ljmp $0x38, $0x04001000", : : : "esi", "memory");
	tap_fault("ljmp above RAM past the CS limit: #GP(0)", VEC_GP, 0);
	tap_eq("#GP EIP is the ljmp", rt_fault.eip, rt_fault.next - 7);
	CATCH_FAR("ljmp $0x38, $0x04000000", : : : "esi", "memory");
	tap_fault("ljmp to RAM_END, one past the limit: #GP(0)", VEC_GP, 0);
	CATCH_FAR("ljmp $0x38, $0x03fffffe", : : : "esi", "memory");
	tap_fault("ljmp to the ud2 at RAM_END - 2 inside the limit: #UD", VEC_UD, 0);
	tap_eq("#UD came from the segment ending with RAM", rt_fault.cs, SEL_RAM);
}

/* (c) Far jumps and calls to selectors that are no code segment. */
static void test_far_selectors(void)
{
	rt_gdt[SEL_NPC >> 3] = rt_desc(0, 0xfffff, ACC_CODE0 & 0x7f, FLG_G32);
	rt_gdt_set(SEL_CODE3 >> 3, 0, 0xfffff, ACC_CODE3, FLG_G32);
	RT_CATCH("ljmp $0, $0", : : : "memory");
	tap_fault("ljmp to the null selector: #GP(0)", VEC_GP, 0);
	tap_eq("#GP EIP is the ljmp", rt_fault.eip, rt_fault.next - 7);
	RT_CATCH("lcall $0, $0", : : : "memory");
	tap_fault("lcall to the null selector: #GP(0)", VEC_GP, 0);
	RT_CATCH("ljmp $0x3, $0", : : : "memory");
	tap_fault("ljmp to a null selector with RPL 3: #GP(0)", VEC_GP, 0);
	RT_CATCH("ljmp $0x100, $0", : : : "memory");
	tap_fault("ljmp past the GDT limit: #GP(sel)", VEC_GP, 0x100);
	RT_CATCH("ljmp $0x10, $0", : : : "memory");
	tap_fault("ljmp to a data segment: #GP(sel)", VEC_GP, 0x10);
	RT_CATCH("ljmp $0x48, $0", : : : "memory");
	tap_fault("ljmp to a not-present code segment: #NP(sel)", VEC_NP, SEL_NPC);
	RT_CATCH("ljmp $0x50, $0", : : : "memory");
	tap_fault("ljmp to DPL 3 non-conforming code at CPL 0: #GP(sel)", VEC_GP, SEL_CODE3);
	RT_CATCH("ljmp $0x0b, $0", : : : "memory");
	tap_fault("ljmp with RPL 3 > CPL to DPL 0 code: #GP(sel)", VEC_GP, SEL_KCODE);
	RT_CATCH("ljmp $0x34, $0", : : : "memory");
	tap_fault("ljmp through the LDT with a null LDTR: #GP(sel)", VEC_GP, 0x34);
	RT_CATCH("lcall $0x10, $0", : : : "memory");
	tap_fault("lcall to a data segment: #GP(sel)", VEC_GP, 0x10);
	tap_eq("CS still the kernel code segment", read_cs(), SEL_KCODE);
}

/* (d) Far transfers past the limit of a code segment that ends with the
 * first page of lim_page (all of the guest's code lies below it). Near
 * jumps past the limit are not tested: QEMU's TCG does not check them. */
static void test_cs_limit(void)
{
	uint32_t p = (uint32_t)lim_page;
	struct {
		uint32_t off;
		uint16_t sel;
	} __attribute__((packed)) far = {p + 0x2000, SEL_LIM};

	memset(lim_page, 0xff, sizeof(lim_page));
	lim_page[0xffe] = 0x0f; /* ud2 in the last two bytes inside the limit */
	lim_page[0xfff] = 0x0b;
	rt_gdt_set(SEL_LIM >> 3, 0, p >> 12, ACC_CODE0, FLG_G32);
	CATCH_FAR("ljmp $0x40, %0", : : "i"(lim_page + 0xffe) : "esi", "memory");
	tap_fault("ljmp to the last bytes inside the limit runs them: #UD", VEC_UD, 0);
	tap_eq("#UD EIP is the ud2 inside the limit", rt_fault.eip, p + 0xffe);
	tap_eq("#UD came from the limited segment", rt_fault.cs, SEL_LIM);

	CATCH_FAR("ljmp $0x40, %0", : : "i"(lim_page + 0x1000) : "esi", "memory");
	tap_fault("ljmp one byte past the limit: #GP(0)", VEC_GP, 0);
	tap_eq("#GP EIP is the ljmp", rt_fault.eip, rt_fault.next - 7);
	tap_eq("#GP came from the kernel code segment", rt_fault.cs, SEL_KCODE);

	CATCH_FAR("ljmp *%0", : : "m"(far) : "esi", "memory");
	tap_fault("indirect ljmp past the limit: #GP(0)", VEC_GP, 0);

	/* lcall: the error code is 0 on a real CPU; QEMU 7.2 pushes the
	 * selector, so only the vector is checked. Far returns past the limit
	 * are not tested: QEMU's TCG does not check them. */
	CATCH_FAR("lcall $0x40, %0", : : "i"(lim_page + 0x1000) : "esi", "memory");
	tap_eq("lcall past the limit: #GP", rt_fault.vector, VEC_GP);
	tap_eq("the faulting lcall pushed nothing", esp_delta, 0);
	tap_eq("CS back to the kernel code segment", read_cs(), SEL_KCODE);
}

void test_main(void)
{
	tap_plan(38);
	test_ff_page();
	test_end_of_ram();
	test_far_selectors();
	test_cs_limit();
}
