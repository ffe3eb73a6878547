#!/usr/bin/env bash
# run.sh ENGINE FLAVOUR - the scripted Linux boot: Debian's i386 kernel
# (FLAVOUR 686 or 686-pae, scripts/linux-guest.sh) with tests/linux/init as
# /init, on ENGINE: bt (bt86 -accel bt), kvm (bt86 -accel kvm) or qemu
# (qemu-system-i386, the reference).  Passes when every check printed
# "LT ok", "LT done 0" came, and the machine powered off with status 0,
# all within LINUX_TIMEOUT seconds (default 240).
# Exit: 0 pass, 1 fail (the log's tail), 77 skip with the reason: no
# kernel could be fetched, qemu-system-i386 missing, KVM unusable here.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BT86_BUILD:-$HERE/../../build}
ENGINE=$1
FLAVOUR=$2
LIMIT=${LINUX_TIMEOUT:-240}
CHECKS="uname mount-proc mount-sysfs mount-tmpfs mount-devtmpfs forkexec pipe-lines pipe-bytes dd-sha256 sort sleep signal-term signal-trap"
WORK=$BUILD/tests/linux/$ENGINE-$FLAVOUR
mkdir -p "$WORK"
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; tail -n 30 "$WORK/log" | sed 's/^/  | /'; exit 1; }

case $ENGINE in
bt | kvm) ;;
qemu) command -v qemu-system-i386 >/dev/null || skip "qemu-system-i386 is not installed" ;;
*) echo "usage: $0 bt|kvm|qemu 686|686-pae" >&2; exit 2 ;;
esac
if [ "$ENGINE" = kvm ] && [ ! -w /dev/kvm ]; then
	skip "no usable /dev/kvm on this host"
fi
K=$(BT86_LINUX_FLAVOUR=$FLAVOUR "$HERE/../../scripts/linux-guest.sh" "$HERE/init" "$WORK" 2>"$WORK/fetch") ||
	skip "no Linux kernel: $(tail -n 1 "$WORK/fetch")"

# The expected digests, computed here by the host's own tools.
data=$(seq 1 100000 | sha256sum | cut -d' ' -f1)
sorted=$(awk 'BEGIN { x = 1; for (i = 0; i < 3000; i++) { x = (x * 75 + 74) % 65537; print "line " x } }' |
	LC_ALL=C sort | sha256sum | cut -d' ' -f1)
APPEND="console=ttyS0 quiet lt.data=$data lt.sort=$sorted"

case $ENGINE in
bt | kvm) cmd=("$BUILD/bt86" -accel "$ENGINE" -m 256 -no-reboot -serial stdio) ;;
qemu) cmd=(qemu-system-i386 -cpu "qemu32,+nx" -m 256 -no-reboot -display none -serial stdio -monitor none) ;;
esac
start=$(date +%s.%N)
timeout -k 5 "$LIMIT" "${cmd[@]}" -kernel "$K" -initrd "$WORK/initrd.gz" -append "$APPEND" \
	</dev/null >"$WORK/log" 2>"$WORK/err"
status=$?
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
tr -d '\r' <"$WORK/log" >"$WORK/log.txt" && mv "$WORK/log.txt" "$WORK/log"
cat "$WORK/err" >>"$WORK/log"

if [ "$ENGINE" = kvm ] && [ $status = 6 ]; then
	skip "bt86 -accel kvm cannot run it here: $(head -n 1 "$WORK/err")"
fi
[ $status = 124 ] || [ $status = 137 ] && fail "no power-off within $LIMIT s"
for c in $CHECKS; do
	grep -q "^LT ok $c\b" "$WORK/log" || fail "check '$c' did not pass"
done
grep -q '^LT done 0$' "$WORK/log" || fail "the script did not finish"
[ $status = 0 ] || fail "exit status $status after power-off, want 0"
printf 'pass: %s on %s in %.1f s (%s)\n' "$FLAVOUR" "$ENGINE" "$secs" \
	"$(grep '^LT ok forkexec' "$WORK/log" | cut -d' ' -f4-)"
