/*
 * kvm.c - the KVM engine (-accel kvm): the machine's vCPU run by /dev/kvm.
 *
 * init creates the VM, registers guest RAM (the machine's memfd mapping) as
 * memory slot 0, creates the vCPU, maps its kvm_run page and sets the guest
 * CPU model.  run loads m->vcpu into KVM (the loader fills m->vcpu after
 * init), loops on KVM_RUN handing each exit to kvm_handle_exit(), and copies
 * the registers back at the end.  kick, called from the kicker thread, sets
 * immediate_exit and sends KVM_KICK_SIGNAL to the vCPU thread, so KVM_RUN
 * returns -EINTR whether the thread is inside it or about to enter it.
 */
#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor/base/util.h"

#define KVM_API_VERSION_EXPECTED 12

/* kvm_kick_handler: empty: the signal exists only to interrupt KVM_RUN. */
static void kvm_kick_handler(int sig)
{
	(void)sig;
}

/* kvm_free: close and unmap whatever ks holds, then free it. */
static void kvm_free(struct kvm_state *ks)
{
	if (!ks)
		return;
	if (ks->run && ks->run != MAP_FAILED)
		munmap(ks->run, ks->run_size);
	if (ks->vcpu_fd >= 0)
		close(ks->vcpu_fd);
	if (ks->vm_fd >= 0)
		close(ks->vm_fd);
	if (ks->kvm_fd >= 0)
		close(ks->kvm_fd);
	free(ks);
}

/* kvm_open: open /dev/kvm and check the API version and the capabilities
 * the engine needs; -errno with one line printed. */
static int kvm_open(struct kvm_state *ks)
{
	int v;

	ks->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (ks->kvm_fd < 0) {
		int e = errno;

		util_error("/dev/kvm: %s", strerror(e));
		return -e;
	}
	v = ioctl(ks->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION_EXPECTED) {
		util_error("/dev/kvm: API version %d, this engine needs %d", v,
			   KVM_API_VERSION_EXPECTED);
		return -EINVAL;
	}
	if (ioctl(ks->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0 ||
	    ioctl(ks->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		util_error("/dev/kvm: lacks KVM_CAP_USER_MEMORY or KVM_CAP_IMMEDIATE_EXIT");
		return -ENOTSUP;
	}
	return 0;
}

/* kvm_create_vm: the VM with RAM as slot 0 and, for VMX without
 * unrestricted guest, the real-mode TSS and identity map outside RAM. */
static int kvm_create_vm(struct machine *m, struct kvm_state *ks)
{
	struct kvm_userspace_memory_region slot = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = m->ram.size,
	    .userspace_addr = (uintptr_t)m->ram.host,
	};
	uint64_t ident = KVM_IDENTITY_ADDR;

	ks->vm_fd = ioctl(ks->kvm_fd, KVM_CREATE_VM, 0);
	if (ks->vm_fd < 0) {
		util_error("kvm: KVM_CREATE_VM: %s", strerror(errno));
		return -errno;
	}
	/* Both are needed only by VMX; other KVMs may refuse them. */
	if (ioctl(ks->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
		(void)ioctl(ks->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident);
	if (ioctl(ks->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		(void)ioctl(ks->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
	if (!m->ram.host || !m->ram.size) {
		util_error("kvm: the machine has no RAM");
		return -EINVAL;
	}
	if (ioctl(ks->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		util_error("kvm: KVM_SET_USER_MEMORY_REGION (%llu MiB): %s",
			   (unsigned long long)(m->ram.size >> 20), strerror(errno));
		return -errno;
	}
	return 0;
}

/* kvm_create_vcpu: vCPU 0, its kvm_run mapping and its CPUID. */
static int kvm_create_vcpu(struct kvm_state *ks)
{
	int size;

	ks->vcpu_fd = ioctl(ks->vm_fd, KVM_CREATE_VCPU, 0);
	if (ks->vcpu_fd < 0) {
		util_error("kvm: KVM_CREATE_VCPU: %s", strerror(errno));
		return -errno;
	}
	size = ioctl(ks->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		util_error("kvm: KVM_GET_VCPU_MMAP_SIZE: %s",
			   size < 0 ? strerror(errno) : "too small");
		return -EINVAL;
	}
	ks->run_size = (size_t)size;
	ks->run = mmap(NULL, ks->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, ks->vcpu_fd, 0);
	if (ks->run == MAP_FAILED) {
		int e = errno;

		ks->run = NULL;
		util_error("kvm: mmap of kvm_run: %s", strerror(e));
		return -e;
	}
	return kvm_setup_cpuid(ks);
}

/* kvm_install_kick_handler: the process-wide handler of KVM_KICK_SIGNAL
 * (no SA_RESTART: the interrupted KVM_RUN must return -EINTR). */
static int kvm_install_kick_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvm_kick_handler;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0) {
		util_error("kvm: sigaction: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* kvm_init: engine init (machine.h): prepare /dev/kvm to run m's vCPU. */
static int kvm_init(struct machine *m)
{
	struct kvm_state *ks = calloc(1, sizeof(*ks));
	int err;

	if (!ks)
		die_host("out of memory");
	ks->magic = KVM_STATE_MAGIC;
	ks->kvm_fd = ks->vm_fd = ks->vcpu_fd = -1;
	if ((err = kvm_open(ks)))
		goto fail;
	/* Without VT-x/SVM only real-mode guests run: said in the error line
	 * of a run that fails (kvm_fail), not at every start. */
	ks->host_vt = kvm_host_has_vt();
	if ((err = kvm_create_vm(m, ks)) || (err = kvm_create_vcpu(ks)) ||
	    (err = kvm_install_kick_handler()))
		goto fail;
	m->engine_data = ks;
	return 0;
fail:
	kvm_free(ks);
	return err;
}

/* kvm_count_exit: one more exit of this reason, for --stats. */
static void kvm_count_exit(struct kvm_state *ks, uint32_t reason)
{
	if (reason < KVM_EXIT_KINDS)
		ks->exits[reason]++;
	else
		ks->exits_other++;
}

/* kvm_run_once: one KVM_RUN and its exit.  Returns -1 when the run ended. */
static int kvm_run_once(struct machine *m, struct kvm_state *ks)
{
	struct kvm_run *run = ks->run;

	/* Clear the kick before looking at events_pending: a kick that lands
	 * after the check leaves immediate_exit set for the KVM_RUN below. */
	__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->events_pending, __ATOMIC_SEQ_CST))
		machine_service(m);
	if (m->exit.reason != EXIT_NONE)
		return -1;
	kvm_inject_pending(m, run);
	if (m->exit.reason != EXIT_NONE)
		return -1;
	ks->runs++;
	if (ioctl(ks->vcpu_fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			ks->eintr++;
			return 0;
		}
		machine_request_exit(m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE, "kvm: KVM_RUN: %s",
				     strerror(errno));
		return -1;
	}
	kvm_count_exit(ks, run->exit_reason);
	return kvm_handle_exit(m, run);
}

/* kvm_finish: complete an I/O or MMIO read KVM is still waiting for (so
 * its result reaches the registers), then copy the registers back. */
static void kvm_finish(struct machine *m, struct kvm_state *ks)
{
	__atomic_store_n(&ks->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	(void)ioctl(ks->vcpu_fd, KVM_RUN, 0);
	__atomic_store_n(&ks->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (kvm_get_vcpu(m, ks) < 0)
		util_error("kvm: cannot read the vCPU registers back: %s", strerror(errno));
}

/* kvm_run: engine run (machine.h): run until m->exit.reason is set. */
static void kvm_run(struct machine *m)
{
	struct kvm_state *ks = m->engine_data;
	sigset_t kick, old;

	if (!ks)
		die("kvm engine run before init");
	sigemptyset(&kick);
	sigaddset(&kick, KVM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, &old);
	ks->thread = pthread_self();
	__atomic_store_n(&ks->thread_valid, 1, __ATOMIC_SEQ_CST);
	if (kvm_put_vcpu(m, ks) < 0) {
		machine_request_exit(m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
				     "kvm: cannot load the vCPU's start state");
	}
	m->vcpu.halted = false;
	while (m->exit.reason == EXIT_NONE) {
		if (kvm_run_once(m, ks) < 0 && m->exit.reason == EXIT_NONE)
			machine_request_exit(m, EXIT_ENGINE_ERROR, EXIT_STATUS_ENGINE,
					     "kvm: the run stopped without a reason");
	}
	__atomic_store_n(&ks->thread_valid, 0, __ATOMIC_SEQ_CST);
	kvm_finish(m, ks);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* kvm_kick: engine kick (machine.h), from the kicker thread: make the
 * vCPU thread leave (or not enter) KVM_RUN and service events. */
static void kvm_kick(struct machine *m)
{
	struct kvm_state *ks = m->engine_data;

	if (!ks)
		return;
	__atomic_store_n(&m->events_pending, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&ks->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ks->thread_valid, __ATOMIC_SEQ_CST))
		pthread_kill(ks->thread, KVM_KICK_SIGNAL);
}

/* kvm_print_stats: engine print_stats: KVM_RUN calls and exits by kind. */
static void kvm_print_stats(struct machine *m, FILE *f)
{
	struct kvm_state *ks = m->engine_data;
	char name[64];

	if (!ks)
		return;
	fprintf(f, "kvm engine:\n");
	fprintf(f, "  %-48s %12llu\n", "KVM_RUN calls", (unsigned long long)ks->runs);
	fprintf(f, "  %-48s %12llu\n", "KVM_RUN interrupted by a kick",
		(unsigned long long)ks->eintr);
	fprintf(f, "  %-48s %12llu\n", "interrupts injected", (unsigned long long)ks->injected);
	for (uint32_t r = 0; r < KVM_EXIT_KINDS; r++) {
		if (!ks->exits[r])
			continue;
		snprintf(name, sizeof(name), "exits: %s", kvm_exit_name(r));
		fprintf(f, "  %-48s %12llu\n", name, (unsigned long long)ks->exits[r]);
	}
	if (ks->exits_other)
		fprintf(f, "  %-48s %12llu\n", "exits: other", (unsigned long long)ks->exits_other);
}

/* kvm_destroy: engine destroy: close the vCPU and VM. */
static void kvm_destroy(struct machine *m)
{
	kvm_free(m->engine_data);
	m->engine_data = NULL;
}

const struct engine kvm_engine = {
    .name = "kvm",
    .init = kvm_init,
    .run = kvm_run,
    .kick = kvm_kick,
    .print_stats = kvm_print_stats,
    .invalidate = NULL,
    .destroy = kvm_destroy,
};
