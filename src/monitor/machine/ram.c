/* ram.c - guest RAM as one memfd (see ram.h). */
#define _GNU_SOURCE
#include "monitor/machine/ram.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int ram_init(struct ram *r, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (size == 0 || size > RAM_MAX || (size & 0xfff))
		return -EINVAL;
	r->fd = memfd_create("bt86-ram", MFD_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (ftruncate(r->fd, (off_t)size) < 0)
		goto fail;
	r->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, r->fd, 0);
	if (r->host == MAP_FAILED) {
		r->host = NULL;
		goto fail;
	}
	r->size = size;
	return 0;
fail:;
	int err = -errno;
	close(r->fd);
	r->fd = -1;
	return err;
}

void ram_destroy(struct ram *r)
{
	if (r->host)
		munmap(r->host, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->host = NULL;
	r->fd = -1;
	r->size = 0;
}

void *ram_ptr(struct ram *r, uint64_t gpa, uint64_t len)
{
	if (gpa >= r->size || len > r->size - gpa)
		return NULL;
	return r->host + gpa;
}

int ram_backing(struct ram *r, uint64_t gpa, int *fd, off_t *offset)
{
	if (gpa >= r->size)
		return -EFAULT;
	*fd = r->fd;
	*offset = (off_t)(gpa & ~0xfffull);
	return 0;
}

int ram_read(struct ram *r, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = ram_ptr(r, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int ram_write(struct ram *r, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = ram_ptr(r, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
