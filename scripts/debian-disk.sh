#!/usr/bin/env bash
# debian-disk.sh [--rebuild] [IMAGE] - a disk image of a minimal Debian 12
# i386 system that boots on a PC: MBR (syslinux's), partition 1 FAT16 with
# SYSLINUX, the kernel and its initramfs, partition 2 ext4 with the system
# (debootstrap minbase + linux-image-686, initramfs-tools, sysvinit).  The
# serial console logs root in (agetty --autologin) and gives a shell.
#
# Default IMAGE: ${BT86_CACHE:-~/.cache/bt86}/debian-disk.img; an existing
# image is kept unless --rebuild.  Packages come from the Debian archive
# ($BT86_DEBIAN_MIRROR, default http://deb.debian.org/debian).
#
# Needs root (debootstrap, chroot) and a host that runs i386 programs (the
# second stage runs the system's own maintainer scripts); the image itself
# is put together without mounting anything (mkfs.fat/mtools/syslinux on
# the file, mke2fs -d).  On failure: one line on stderr, exit 1.
set -u
rebuild=false
if [ "${1:-}" = --rebuild ]; then
	rebuild=true
	shift
fi
CACHE=${BT86_CACHE:-$HOME/.cache/bt86}
IMG=${1:-$CACHE/debian-disk.img}
MIRROR=${BT86_DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=$CACHE/debian-disk.work
ROOT=$WORK/root
BOOT_MB=64
ROOT_MB=1024
say() { echo "debian-disk: $*" >&2; }
die() {
	say "$*"
	exit 1
}

if [ -f "$IMG" ] && ! $rebuild; then
	echo "$IMG"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "building the image needs root (debootstrap, chroot)"
for t in debootstrap mkfs.fat mcopy syslinux sfdisk mke2fs; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/setup-deps.sh installs it)"
done
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -r "$MBR" ] || die "$MBR is missing (package syslinux-common)"
mkdir -p "$CACHE" && rm -rf "$WORK" && mkdir -p "$WORK" || die "cannot use $WORK"

say "debootstrap, first stage: downloading Debian 12 i386 (about 100 MB) from $MIRROR"
debootstrap --arch=i386 --variant=minbase --foreign \
	--include=linux-image-686,initramfs-tools,sysvinit-core,udev,kmod,procps \
	bookworm "$ROOT" "$MIRROR" >"$WORK/stage1.log" 2>&1 ||
	die "debootstrap failed (log: $WORK/stage1.log)"
chroot "$ROOT" /bin/true 2>/dev/null ||
	die "this host cannot run i386 programs, which debootstrap's second stage needs"
say "debootstrap, second stage: installing (about a minute)"
chroot "$ROOT" /debootstrap/debootstrap --second-stage >"$WORK/stage2.log" 2>&1 ||
	die "debootstrap --second-stage failed (log: $WORK/stage2.log)"

say "configuring: serial console with root logged in, a small initramfs"
echo bt86-debian >"$ROOT/etc/hostname"
printf '/dev/sda2 / ext4 defaults,errors=remount-ro 0 1\n' >"$ROOT/etc/fstab"
# no virtual consoles (there is no screen or keyboard to log in on), a
# shell on the serial line instead
sed -i -e 's/^\([1-6]:.*getty\)/#\1/' "$ROOT/etc/inittab"
echo 'T0:2345:respawn:/sbin/agetty --autologin root --noclear -L 115200 ttyS0 vt100' \
	>>"$ROOT/etc/inittab"
chroot "$ROOT" passwd -d root >/dev/null 2>&1
# the initramfs needs only what finds and mounts the root disk
sed -i 's/^MODULES=.*/MODULES=list/' "$ROOT/etc/initramfs-tools/initramfs.conf"
printf 'ata_piix\nsd_mod\next4\n' >>"$ROOT/etc/initramfs-tools/modules"
chroot "$ROOT" update-initramfs -u >"$WORK/initramfs.log" 2>&1 ||
	die "update-initramfs failed (log: $WORK/initramfs.log)"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT/debootstrap"

say "building the disk: MBR, FAT16 boot partition with SYSLINUX, ext4 root"
BOOT_OFF=2048 # sectors
ROOT_OFF=$((BOOT_OFF + BOOT_MB * 2048))
TOTAL=$((ROOT_OFF + ROOT_MB * 2048))
TMP=$IMG.tmp
rm -f "$TMP" && truncate -s $((TOTAL * 512)) "$TMP" || die "cannot create $TMP"
printf 'label: dos\n%s,%s,6,*\n%s,%s,83\n' $BOOT_OFF $((BOOT_MB * 2048)) \
	$ROOT_OFF $((ROOT_MB * 2048)) | sfdisk -q "$TMP" || die "sfdisk failed"
dd if="$MBR" of="$TMP" bs=440 count=1 conv=notrunc status=none || die "cannot write the MBR"
# the boot partition, made apart and copied in
BOOTFS=$WORK/boot.fat
rm -f "$BOOTFS" && mkfs.fat -F 16 -n BOOT -C "$BOOTFS" $((BOOT_MB * 1024)) >/dev/null ||
	die "mkfs.fat failed"
# no SERIAL line: SYSLINUX prints through INT 10h, which the BIOS's serial
# console carries (with it, every line came twice on bt86)
cat >"$WORK/syslinux.cfg" <<'EOF'
PROMPT 0
TIMEOUT 0
DEFAULT debian
LABEL debian
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=/dev/sda2 rw console=ttyS0,115200
EOF
vmlinuz=$(ls "$ROOT"/boot/vmlinuz-* | head -n 1)
initrd=$(ls "$ROOT"/boot/initrd.img-* | head -n 1)
export MTOOLS_SKIP_CHECK=1
mcopy -i "$BOOTFS" "$vmlinuz" ::/vmlinuz && mcopy -i "$BOOTFS" "$initrd" ::/initrd.img &&
	mcopy -i "$BOOTFS" "$WORK/syslinux.cfg" ::/syslinux.cfg || die "mcopy failed"
syslinux --install "$BOOTFS" || die "syslinux --install failed"
dd if="$BOOTFS" of="$TMP" bs=512 seek=$BOOT_OFF conv=notrunc,sparse status=none ||
	die "cannot copy the boot partition"
ROOTFS=$WORK/root.ext4
rm -f "$ROOTFS" && mke2fs -q -t ext4 -L root -d "$ROOT" "$ROOTFS" "${ROOT_MB}M" ||
	die "mke2fs -d failed"
dd if="$ROOTFS" of="$TMP" bs=1M seek=$((ROOT_OFF / 2048)) conv=notrunc,sparse status=none ||
	die "cannot copy the root partition"
mv "$TMP" "$IMG" || die "cannot write $IMG"
rm -rf "$WORK"
say "done: $IMG"
echo "$IMG"
