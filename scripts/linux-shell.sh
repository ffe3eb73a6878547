#!/usr/bin/env bash
# linux-shell.sh BUILD [bt86 options...] - `make run`: Debian's i386 kernel
# with busybox (fetched once into ${BT86_CACHE:-~/.cache/bt86}, see
# linux-guest.sh) booted under bt86 to a shell on this terminal.
# `poweroff` in the guest ends it with status 0; Ctrl-A x quits bt86.
set -u
BUILD=$1
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$BUILD/linux-shell
echo "bt86: preparing the Linux guest (kernel and busybox from the Debian archive, cached)" >&2
KERNEL=$("$ROOT/scripts/linux-guest.sh" "$ROOT/scripts/linux/shell-init" "$OUT") || exit 1
APPEND="console=ttyS0 quiet"
if [ -t 0 ] && size=$(stty size 2>/dev/null) && [ -n "$size" ]; then
	APPEND="$APPEND bt86.size=${size% *}x${size#* }"
fi
echo "bt86: booting $KERNEL under bt (Ctrl-A x quits)" >&2
exec "$BUILD/bt86" -m 256 -kernel "$KERNEL" -initrd "$OUT/initrd.gz" -append "$APPEND" \
	-serial stdio "$@"
