/*
 * disk.h - a raw disk image file as a block device for the disk controllers
 * (-drive file=IMG,format=raw, -hda).
 *
 * Sectors are 512 bytes.  A write reaches the file with one pwrite per
 * request before the controller reports it done, so a crash of the guest
 * or of bt86 loses nothing the guest was told is written, and never leaves
 * a partial sector; FLUSH CACHE becomes fdatasync, so the host's page cache
 * is on the disk when the guest asks.  The image is locked (flock) while
 * bt86 runs: a second bt86 on the same image is refused.
 *
 * A snapshot disk (-snapshot, as QEMU's) leaves the image as it is: writes
 * go to an unlinked temporary file of the same size, and a bitmap says
 * which sectors are read from there; both vanish when bt86 ends.
 */
#ifndef BT86_DISK_H
#define BT86_DISK_H

#include <stdbool.h>
#include <stdint.h>

#define DISK_SECTOR 512u

struct disk {
	int fd;
	uint64_t sectors;
	bool readonly;
	const char *path;
	int overlay_fd;	   /* snapshot: the written sectors, else -1 */
	uint64_t *written; /* snapshot: one bit per sector in the overlay */
};

/* disk_open: open path as a raw image (read-only if readonly; a snapshot
 * if snapshot); one line on stderr and -errno when it cannot be used
 * (missing, empty, locked by another bt86).  An image whose size is not a
 * whole number of sectors ends in a partial sector that reads as if padded
 * with zeros (writes there extend the file). */
int disk_open(struct disk *d, const char *path, bool readonly, bool snapshot);

/* disk_pad: the disk has sectors sectors (at least its own); those past
 * the file read as zeros and writes there extend it. */
void disk_pad(struct disk *d, uint64_t sectors);

/* disk_close: release the file (no-op on a disk never opened). */
void disk_close(struct disk *d);

/* disk_read / disk_write: n sectors at lba; 0, or -EIO past the end or on
 * a host error (-EROFS: a write to a read-only disk). */
int disk_read(struct disk *d, uint64_t lba, unsigned n, void *buf);
int disk_write(struct disk *d, uint64_t lba, unsigned n, const void *buf);

/* disk_flush: everything written so far is on stable storage; 0 or -EIO. */
int disk_flush(struct disk *d);

#endif
