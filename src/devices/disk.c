/* disk.c - raw disk images (see disk.h). */
#define _GNU_SOURCE
#include "devices/disk.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int disk_open(struct disk *d, const char *path, bool readonly)
{
	struct stat st;
	int err;

	memset(d, 0, sizeof(*d));
	d->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		err = -errno;
		util_error("%s: cannot open the disk image: %s", path, strerror(errno));
		return err;
	}
	if (fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < DISK_SECTOR ||
	    st.st_size % DISK_SECTOR) {
		util_error("%s: a raw disk image must be a regular file of whole 512-byte "
			   "sectors (it is %lld bytes)",
			   path, (long long)st.st_size);
		close(d->fd);
		d->fd = -1;
		return -EINVAL;
	}
	if (flock(d->fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		util_error("%s: the disk image is in use by another program", path);
		close(d->fd);
		d->fd = -1;
		return -EBUSY;
	}
	d->sectors = (uint64_t)st.st_size / DISK_SECTOR;
	d->readonly = readonly;
	d->path = path;
	return 0;
}

void disk_close(struct disk *d)
{
	if (d->path && d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->path = NULL;
}

/* disk_span_ok: [lba, lba + n) lies on the disk. */
static bool disk_span_ok(const struct disk *d, uint64_t lba, unsigned n)
{
	return lba <= d->sectors && n <= d->sectors - lba;
}

int disk_read(struct disk *d, uint64_t lba, unsigned n, void *buf)
{
	size_t len = (size_t)n * DISK_SECTOR, done = 0;

	if (!disk_span_ok(d, lba, n))
		return -EIO;
	while (done < len) {
		ssize_t r = pread(d->fd, (uint8_t *)buf + done, len - done,
				  (off_t)(lba * DISK_SECTOR + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int disk_write(struct disk *d, uint64_t lba, unsigned n, const void *buf)
{
	size_t len = (size_t)n * DISK_SECTOR, done = 0;

	if (d->readonly)
		return -EROFS;
	if (!disk_span_ok(d, lba, n))
		return -EIO;
	while (done < len) {
		ssize_t r = pwrite(d->fd, (const uint8_t *)buf + done, len - done,
				   (off_t)(lba * DISK_SECTOR + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int disk_flush(struct disk *d)
{
	if (d->readonly)
		return 0;
	while (fdatasync(d->fd) < 0)
		if (errno != EINTR)
			return -EIO;
	return 0;
}
