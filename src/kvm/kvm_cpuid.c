/*
 * kvm_cpuid.c - the guest CPU model under KVM, and host VT detection.
 *
 * The guest sees the host's vendor, family, model and stepping (KVM's
 * instruction emulation follows the host vendor), with the feature set cut
 * down to the 32-bit model the bt engine implements (vcpu.h): FPU, VME, DE,
 * PSE, TSC, MSR, PAE, CX8, SEP, PGE, CMOV, PAT, CLFSH, MMX, FXSR, SSE, SSE2,
 * SSE3 and NX (where the host's KVM offers them).  No long mode, no local
 * APIC (there is no in-kernel irqchip), no XSAVE/AVX, no hypervisor
 * leaves.
 */
#include "kvm/kvm.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "monitor/base/util.h"

/* CPUID.1:EDX bits of the model. */
#define F_FPU	(1u << 0)
#define F_VME	(1u << 1)
#define F_DE	(1u << 2)
#define F_PSE	(1u << 3)
#define F_TSC	(1u << 4)
#define F_MSR	(1u << 5)
#define F_PAE	(1u << 6)
#define F_CX8	(1u << 8)
#define F_APIC	(1u << 9)
#define F_SEP	(1u << 11)
#define F_PGE	(1u << 13)
#define F_CMOV	(1u << 15)
#define F_PAT	(1u << 16)
#define F_CLFSH (1u << 19)
#define F_MMX	(1u << 23)
#define F_FXSR	(1u << 24)
#define F_SSE	(1u << 25)
#define F_SSE2	(1u << 26)
#define LEAF1_EDX                                                                                  \
	(F_FPU | F_VME | F_DE | F_PSE | F_TSC | F_MSR | F_PAE | F_CX8 | F_APIC | F_SEP | F_PGE |   \
	 F_CMOV | F_PAT | F_CLFSH | F_MMX | F_FXSR | F_SSE | F_SSE2)
#define LEAF1_ECX (1u << 0) /* SSE3 */
/* CPUID.80000001h:EDX: the bits AMD mirrors from leaf 1 (0-9, 12-17, 23, 24). */
#define EXT1_EDX_MIRROR 0x0183f3ffu
#define EXT1_ECX	(1u << 0) /* LAHF/SAHF */
#define EXT1_EDX_NX	(1u << 20)

#define MAX_BASIC_LEAF 2u
/* Up to the cache leaves: no 0x80000008 (32-bit addresses are implied, and
 * KVM refuses a linear-address width other than 48 or 57 there). */
#define MAX_EXT_LEAF 0x80000006u

/* The brand string of leaves 0x80000002-4 (48 bytes, NUL padded). */
static const char kvm_brand[48] = "bt86 virtual CPU (KVM)";

bool kvm_host_has_vt(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 5)))
		return true;
	if (__get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 2)))
		return true;
	return false;
}

/* kvm_cpuid_keep: true if leaf `fn` belongs to the guest model. */
static bool kvm_cpuid_keep(uint32_t fn)
{
	if (fn <= MAX_BASIC_LEAF)
		return true;
	return fn >= 0x80000000u && fn <= MAX_EXT_LEAF && fn != 0x80000007u;
}

/* kvm_cpuid_edit: rewrite one kept entry into the guest model. */
static void kvm_cpuid_edit(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 0:
		e->eax = MIN(e->eax, MAX_BASIC_LEAF);
		break;
	case 1:
		e->ebx = (e->ebx & 0x0000ffffu) | (1u << 16); /* one logical CPU, APIC ID 0 */
		e->ecx &= LEAF1_ECX;
		e->edx &= LEAF1_EDX;
		break;
	case 0x80000000u:
		e->eax = MIN(e->eax, MAX_EXT_LEAF);
		break;
	case 0x80000001u:
		e->ebx = 0;
		e->ecx &= EXT1_ECX;
		e->edx &= (LEAF1_EDX & EXT1_EDX_MIRROR) | EXT1_EDX_NX;
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		memcpy(&e->eax, kvm_brand + (e->function - 0x80000002u) * 16, 4);
		memcpy(&e->ebx, kvm_brand + (e->function - 0x80000002u) * 16 + 4, 4);
		memcpy(&e->ecx, kvm_brand + (e->function - 0x80000002u) * 16 + 8, 4);
		memcpy(&e->edx, kvm_brand + (e->function - 0x80000002u) * 16 + 12, 4);
		break;
	}
}

unsigned kvm_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!kvm_cpuid_keep(e[i].function))
			continue;
		e[kept] = e[i];
		kvm_cpuid_edit(&e[kept]);
		kept++;
	}
	return kept;
}

int kvm_setup_cpuid(struct kvm_state *ks)
{
	unsigned cap = 256;
	struct kvm_cpuid2 *c;
	int err = 0;

	c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
	if (!c)
		die_host("out of memory");
	c->nent = cap;
	if (ioctl(ks->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		err = -errno;
		util_error("kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto out;
	}
	c->nent = kvm_cpuid_filter(c->entries, c->nent);
	if (ioctl(ks->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		err = -errno;
		util_error("kvm: KVM_SET_CPUID2: %s", strerror(errno));
	}
out:
	free(c);
	return err;
}
