#!/usr/bin/env bash
# linux-guest.sh INIT OUT_DIR - a Linux guest: Debian's i386 kernel
# (linux-image-686) and busybox-static, fetched once from the Debian archive
# with apt-get download into ${BT86_CACHE:-~/.cache/bt86}/debian, and
# OUT_DIR/initrd.gz: busybox plus INIT (a shell script) as /init.
# Prints the kernel's path on stdout; on failure one line on stderr, exit 1.
set -u
INIT=$1
OUT=$2
CACHE=${BT86_CACHE:-$HOME/.cache/bt86}/debian
say() { echo "linux-guest: $*" >&2; }

fetch() {
	mkdir -p "$CACHE" || return 1
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		[ "$(id -u)" = 0 ] || { say "i386 packages are not enabled; as root: dpkg --add-architecture i386 && apt-get update"; return 1; }
		dpkg --add-architecture i386 && apt-get update -qq || return 1
	fi
	local image
	image=$(apt-cache depends linux-image-686:i386 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	[ -n "$image" ] || { say "no linux-image-686:i386 in the package lists (apt-get update?)"; return 1; }
	say "downloading $image and busybox-static:i386 into $CACHE"
	(cd "$CACHE" && apt-get download -q "$image" busybox-static:i386 >&2) || return 1
	rm -rf "$CACHE/x" && mkdir -p "$CACHE/x"
	for deb in "$CACHE"/linux-image-*.deb "$CACHE"/busybox-static_*.deb; do
		dpkg-deb -x "$deb" "$CACHE/x" || return 1
	done
	cp "$CACHE"/x/boot/vmlinuz-* "$CACHE/vmlinuz" && cp "$CACHE/x/bin/busybox" "$CACHE/busybox" || return 1
	rm -rf "$CACHE/x" "$CACHE"/*.deb
}

[ -f "$CACHE/vmlinuz" ] && [ -f "$CACHE/busybox" ] || fetch || { say "cannot fetch the Linux guest"; exit 1; }
mkdir -p "$OUT" && rm -rf "$OUT/root" && mkdir -p "$OUT/root/bin" "$OUT/root/dev" "$OUT/root/proc" "$OUT/root/sys" "$OUT/root/tmp" || exit 1
cp "$CACHE/busybox" "$OUT/root/bin/busybox" && cp "$INIT" "$OUT/root/init" && chmod +x "$OUT/root/init" || exit 1
(cd "$OUT/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz) || { say "cannot build the initramfs"; exit 1; }
echo "$CACHE/vmlinuz"
