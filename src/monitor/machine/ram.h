/*
 * ram.h - guest RAM: one memfd, mapped whole once for the monitor.
 *
 * Guest-physical addresses [0, size) are RAM (at most 3.5 GiB).  Every read
 * or write the monitor does on the guest's behalf goes through ram_ptr(),
 * which refuses ranges outside RAM: the monitor never touches host memory
 * outside guest RAM for the guest.  ram_backing() gives the (fd, offset)
 * that backs a guest frame, for the shadow MMU's mmap(); no other code may
 * assume that a guest-physical address equals an offset in the memfd.
 */
#ifndef BT86_RAM_H
#define BT86_RAM_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#define RAM_MAX (3584ull << 20) /* 3.5 GiB */

struct ram {
	int fd;
	uint64_t size;
	uint8_t *host; /* the monitor's mapping of all of RAM */
};

/* ram_init: create and map `size` bytes (page multiple); -errno on failure. */
int ram_init(struct ram *r, uint64_t size);
void ram_destroy(struct ram *r);
/* ram_ptr: host pointer to [gpa, gpa+len), or NULL if not entirely RAM. */
void *ram_ptr(struct ram *r, uint64_t gpa, uint64_t len);
/* ram_backing: fd and file offset of the 4 KiB frame holding gpa; -EFAULT
 * if gpa is not RAM. */
int ram_backing(struct ram *r, uint64_t gpa, int *fd, off_t *offset);
/* ram_read / ram_write: copy to/from guest RAM; -EFAULT outside RAM. */
int ram_read(struct ram *r, uint64_t gpa, void *dst, uint64_t len);
int ram_write(struct ram *r, uint64_t gpa, const void *src, uint64_t len);

#endif
