#!/usr/bin/env bash
# linux-guest.sh INIT OUT_DIR [FILE...] - a Linux guest: Debian's i386 kernel
# (linux-image-686, or linux-image-$BT86_LINUX_FLAVOUR: 686-pae) and
# busybox-static, fetched once from the Debian archive with apt-get
# download into ${BT86_CACHE:-~/.cache/bt86}/debian, and OUT_DIR/initrd.gz:
# busybox plus INIT (a shell script) as /init and each FILE in /bin.
# Prints the kernel's path on stdout; on failure one line on stderr, exit 1.
set -u
INIT=$1
OUT=$2
shift 2
FLAVOUR=${BT86_LINUX_FLAVOUR:-686}
CACHE=${BT86_CACHE:-$HOME/.cache/bt86}/debian
KERNEL=$CACHE/vmlinuz-$FLAVOUR
say() { echo "linux-guest: $*" >&2; }

# fetch_deb PKG...: download the packages into $CACHE/x and unpack them.
fetch_deb() {
	rm -rf "$CACHE/x" && mkdir -p "$CACHE/x" || return 1
	(cd "$CACHE/x" && apt-get download "$@" >&2) || return 1
	for deb in "$CACHE"/x/*.deb; do
		dpkg-deb -x "$deb" "$CACHE/x/root" || return 1
	done
}

fetch() {
	mkdir -p "$CACHE" || return 1
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		[ "$(id -u)" = 0 ] || { say "i386 packages are not enabled; as root: dpkg --add-architecture i386 && apt-get update"; return 1; }
		dpkg --add-architecture i386 && apt-get update -qq || return 1
	fi
	if [ ! -f "$KERNEL" ]; then
		local image
		image=$(apt-cache depends "linux-image-$FLAVOUR:i386" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		[ -n "$image" ] || { say "no linux-image-$FLAVOUR:i386 in the package lists (apt-get update?)"; return 1; }
		say "downloading $image (about 60 MB, once) into $CACHE"
		fetch_deb "$image" || return 1
		say "unpacking the kernel"
		cp "$CACHE"/x/root/boot/vmlinuz-* "$KERNEL.tmp" && mv "$KERNEL.tmp" "$KERNEL" || return 1
	fi
	if [ ! -f "$CACHE/busybox" ]; then
		say "downloading busybox-static:i386 (about 1 MB, once) into $CACHE"
		fetch_deb busybox-static:i386 || return 1
		cp "$CACHE/x/root/bin/busybox" "$CACHE/busybox.tmp" && mv "$CACHE/busybox.tmp" "$CACHE/busybox" || return 1
	fi
	rm -rf "$CACHE/x"
}

[ -f "$KERNEL" ] && [ -f "$CACHE/busybox" ] || fetch || { say "cannot fetch the Linux guest"; exit 1; }
mkdir -p "$OUT" && rm -rf "$OUT/root" && mkdir -p "$OUT/root/bin" "$OUT/root/dev" "$OUT/root/proc" "$OUT/root/sys" "$OUT/root/tmp" || exit 1
cp "$CACHE/busybox" "$OUT/root/bin/busybox" && cp "$INIT" "$OUT/root/init" && chmod +x "$OUT/root/init" || exit 1
for f in "$@"; do cp "$f" "$OUT/root/bin/" || exit 1; done
(cd "$OUT/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz) || { say "cannot build the initramfs"; exit 1; }
echo "$KERNEL"
