/* disk.c - raw disk images (see disk.h). */
#define _GNU_SOURCE
#include "devices/disk.h"
#include "monitor/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* disk_open_overlay: the snapshot's temporary file and bitmap. */
static int disk_open_overlay(struct disk *d)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	d->overlay_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (d->overlay_fd < 0 || ftruncate(d->overlay_fd, (off_t)(d->sectors * DISK_SECTOR)) < 0) {
		util_error("%s: cannot make the snapshot's file in %s: %s", d->path, dir,
			   strerror(errno));
		return -EIO;
	}
	d->written = calloc((d->sectors + 63) / 64, sizeof(uint64_t));
	if (!d->written)
		die_host("out of memory");
	return 0;
}

int disk_open(struct disk *d, const char *path, bool readonly, bool snapshot)
{
	struct stat st;
	int err;

	memset(d, 0, sizeof(*d));
	d->overlay_fd = -1;
	d->fd = open(path, (readonly || snapshot ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		err = -errno;
		util_error("%s: cannot open the disk image: %s", path, strerror(errno));
		return err;
	}
	if (fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		util_error("%s: a raw disk image must be a regular file that is not empty", path);
		close(d->fd);
		d->fd = -1;
		return -EINVAL;
	}
	if (flock(d->fd, (readonly || snapshot ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		util_error("%s: the disk image is in use by another program", path);
		close(d->fd);
		d->fd = -1;
		return -EBUSY;
	}
	/* a partial last sector counts, its missing bytes read as zeros (a
	 * boot sector and a kernel put together without padding) */
	d->sectors = ((uint64_t)st.st_size + DISK_SECTOR - 1) / DISK_SECTOR;
	d->readonly = readonly;
	d->path = path;
	if (snapshot && !readonly && disk_open_overlay(d) < 0) {
		disk_close(d);
		return -EIO;
	}
	return 0;
}

void disk_pad(struct disk *d, uint64_t sectors)
{
	if (sectors <= d->sectors)
		return;
	if (d->written) { /* the snapshot's bitmap covers the new sectors, clear */
		size_t old = (d->sectors + 63) / 64, now = (sectors + 63) / 64;
		uint64_t *w = realloc(d->written, now * sizeof(uint64_t));
		if (!w)
			die_host("out of memory");
		memset(w + old, 0, (now - old) * sizeof(uint64_t));
		d->written = w;
	}
	d->sectors = sectors;
}

void disk_close(struct disk *d)
{
	if (d->path && d->fd >= 0)
		close(d->fd);
	if (d->path && d->overlay_fd >= 0)
		close(d->overlay_fd);
	free(d->written);
	d->written = NULL;
	d->fd = d->overlay_fd = -1;
	d->path = NULL;
}

/* disk_in_overlay: sector lba of a snapshot has been written. */
static bool disk_in_overlay(const struct disk *d, uint64_t lba)
{
	return d->written && (d->written[lba / 64] >> (lba % 64) & 1);
}

/* disk_span_ok: [lba, lba + n) lies on the disk. */
static bool disk_span_ok(const struct disk *d, uint64_t lba, unsigned n)
{
	return lba <= d->sectors && n <= d->sectors - lba;
}

/* disk_pio: all of [lba, lba + n) through fd, read or written. */
static int disk_pio(int fd, bool write, uint64_t lba, unsigned n, void *buf)
{
	size_t len = (size_t)n * DISK_SECTOR, done = 0;

	while (done < len) {
		off_t at = (off_t)(lba * DISK_SECTOR + done);
		ssize_t r = write ? pwrite(fd, (uint8_t *)buf + done, len - done, at)
				  : pread(fd, (uint8_t *)buf + done, len - done, at);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && !write) { /* past the end of the file: zeros */
			memset((uint8_t *)buf + done, 0, len - done);
			return 0;
		}
		if (r <= 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int disk_read(struct disk *d, uint64_t lba, unsigned n, void *buf)
{
	if (!disk_span_ok(d, lba, n))
		return -EIO;
	/* runs of sectors from the same file (a snapshot's overlay or not) */
	for (unsigned i = 0; i < n;) {
		bool ov = disk_in_overlay(d, lba + i);
		unsigned k = 1;
		while (i + k < n && disk_in_overlay(d, lba + i + k) == ov)
			k++;
		if (disk_pio(ov ? d->overlay_fd : d->fd, false, lba + i, k,
			     (uint8_t *)buf + (size_t)i * DISK_SECTOR) < 0)
			return -EIO;
		i += k;
	}
	return 0;
}

int disk_write(struct disk *d, uint64_t lba, unsigned n, const void *buf)
{
	if (d->readonly)
		return -EROFS;
	if (!disk_span_ok(d, lba, n))
		return -EIO;
	if (!d->written)
		return disk_pio(d->fd, true, lba, n, (void *)buf);
	if (disk_pio(d->overlay_fd, true, lba, n, (void *)buf) < 0)
		return -EIO;
	for (unsigned i = 0; i < n; i++)
		d->written[(lba + i) / 64] |= 1ull << ((lba + i) % 64);
	return 0;
}

int disk_flush(struct disk *d)
{
	if (d->readonly || d->written) /* a snapshot keeps nothing */
		return 0;
	while (fdatasync(d->fd) < 0)
		if (errno != EINTR)
			return -EIO;
	return 0;
}
