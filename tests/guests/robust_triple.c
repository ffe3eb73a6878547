/*
 * A triple fault: the #GP, #NP and #DF gates are made not present, then a
 * #GP is raised. Delivering it faults (#NP on the gate), the two
 * contributory faults make a #DF, and delivering the #DF faults again: the
 * CPU shuts down. QEMU with -no-reboot exits with status 0, bt86 with
 * status 4 and a message on stderr; the serial output before the fault must
 * be exactly the lines below, and nothing may follow them.
 */
#include "rt.h"

#define GATE_P (1ull << 47)

void test_main(void)
{
	tap_plan(3);
	RT_CATCH("movw %w0, %%ds", : : "r"(0x1000) : "memory");
	tap_fault("with the #GP gate present a bad selector is caught", VEC_GP, 0x1000);
	rt_idt[VEC_GP] &= ~GATE_P;
	RT_CATCH("int $0x0d", : : : "memory");
	tap_fault("int 13 through the not-present #GP gate: #NP(13*8+2)", VEC_NP, VEC_GP * 8 + 2);
	rt_idt[VEC_NP] &= ~GATE_P;
	rt_idt[VEC_DF] &= ~GATE_P;
	tap_diag("#GP, #NP and #DF gates not present: the next #GP shuts the CPU down");
	tap_ok(1, "about to fault");
	asm volatile("movw %w0, %%ds" : : "r"(0x1000) : "memory");
	tap_diag("still running after a triple fault");
	rt_exit(1);
}
