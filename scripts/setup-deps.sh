#!/usr/bin/env bash
# Installs the Debian packages bt86 needs to build, test and benchmark
# (qemu-user: qemu-i386 is the differential test's reference CPU on hosts
# that cannot run 32-bit programs).
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
PKGS="build-essential cmake pkg-config gcc-multilib libzydis-dev libcapstone-dev libelf-dev check qemu-system-x86 seabios qemu-user bc cpio python3 debootstrap syslinux syslinux-common mtools dosfstools fdisk e2fsprogs"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# The Linux guest (scripts/linux-guest.sh) downloads i386 packages, which
# needs the i386 package lists: enabled here, once, as root.
if [ "$(id -u)" = 0 ] && ! dpkg --print-foreign-architectures | grep -qx i386; then
	echo "setup: enabling i386 packages for the Linux guest"
	dpkg --add-architecture i386 && apt-get update -qq || echo "setup: apt-get update failed; the Linux guest cannot be downloaded" >&2
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	# No recommends: qemu-user's would register binfmt_misc handlers, and
	# one for i386 would make this host's 32-bit programs run under QEMU.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "setup: missing Debian packages; run: sudo apt-get install -y$missing" >&2
	exit 1
fi
