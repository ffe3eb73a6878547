/* region.c - shadow regions (see region.h). */
#define _GNU_SOURCE
#include "shadow_mmu/region.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* region_create: reserve the window, nothing accessible yet. */
int region_create(struct region *r)
{
	memset(r, 0, sizeof(*r));
	void *p = mmap(NULL, REGION_SPAN + REGION_GUARD, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->base = p;
	return 0;
}

/* map_runs: map region [at, at + len) to the RAM frames from src on, a
 * run of contiguous backing offsets per mmap. */
static int map_runs(struct region *r, struct ram *ram, uint64_t at, uint64_t src, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		int fd, fd2;
		off_t off, off2;
		if (ram_backing(ram, src + done, &fd, &off) < 0)
			return -EFAULT;
		uint64_t n = 4096;
		while (done + n < len && ram_backing(ram, src + done + n, &fd2, &off2) == 0 &&
		       fd2 == fd && off2 == off + (off_t)n)
			n += 4096;
		void *p = mmap(r->base + at + done, n, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, fd, off);
		if (p == MAP_FAILED)
			return -errno;
		done += n;
	}
	return 0;
}

/* region_map_phys: map RAM frame runs whose backing offsets are contiguous
 * with one mmap each (one call in total while the backing is the identity). */
int region_map_phys(struct region *r, struct ram *ram)
{
	int err = map_runs(r, ram, 0, 0, ram->size);

	if (err < 0)
		return err;
	r->mapped = ram->size;
	return 0;
}

int region_map_a20(struct region *r, struct ram *ram, bool off)
{
	const uint64_t mb = 1u << 20;

	if (!off)
		return region_map_phys(r, ram);
	for (uint64_t at = mb; at < ram->size; at += 2 * mb) {
		int err = map_runs(r, ram, at, at - mb, MIN(mb, ram->size - at));
		if (err < 0)
			return err;
	}
	return 0;
}

/* region_protect_page: mprotect one guest page inside the mapped RAM. */
int region_protect_page(struct region *r, uint64_t gpa, int prot)
{
	gpa &= ~0xfffull;
	if (gpa >= r->mapped)
		return -EFAULT;
	if (mprotect(r->base + gpa, 4096, prot) < 0)
		return -errno;
	return 0;
}

/* region_addr: host address -> guest address inside the window. */
bool region_addr(const struct region *r, const void *p, uint64_t *gpa)
{
	const uint8_t *q = p;

	if (!r->base || q < r->base || q >= r->base + REGION_SPAN + REGION_GUARD)
		return false;
	*gpa = (uint64_t)(q - r->base);
	return true;
}

/* region_destroy: drop the whole reservation. */
void region_destroy(struct region *r)
{
	if (r->base)
		munmap(r->base, REGION_SPAN + REGION_GUARD);
	memset(r, 0, sizeof(*r));
}
