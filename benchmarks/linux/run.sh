#!/usr/bin/env bash
# run.sh BUILD_DIR [RUNS] - `make bench-linux`: Debian's i386 Linux
# (scripts/linux-guest.sh, fetched once; linux-image-$BT86_LINUX_FLAVOUR,
# 686 by default) booted RUNS times (default 3) on bt86 -accel bt,
# qemu-system-i386 (TCG) and bt86 -accel kvm where usable, side by side in
# one run.  Each boot measures, on the guest's own clock: boot to /init
# (uptime), 200 fork+exec, 10000 pipe round trips and 2 x 20000
# sched_yield switches (lbench.c).  Prints the medians and qemu/bt (above
# 1: bt is faster).  An engine that cannot run here is shown as skipped,
# with why.
set -u
BUILD=${1:-build}
RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
BT86=$BUILD/bt86
LBENCH=$BUILD/benchmarks/linux/lbench
WORKS="boot forkexec pipe yield"
[ -x "$BT86" ] && [ -x "$LBENCH" ] || { echo "run.sh: build first (make)"; exit 2; }
command -v bc >/dev/null || { echo "run.sh: bc is needed (make deps installs it)"; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
K=$("$HERE/../../scripts/linux-guest.sh" "$HERE/init" "$WORK" "$LBENCH" 2>"$WORK/why") ||
	{ echo "bench-linux: skipped: $(tail -n 1 "$WORK/why")"; exit 0; }
APPEND="console=ttyS0 quiet"

declare -A SKIP=()
command -v qemu-system-i386 >/dev/null || SKIP[qemu]="qemu-system-i386 is not installed"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || SKIP[kvm]="no usable /dev/kvm"

# boot_once ENGINE: one boot; its "LB" lines in $WORK/out.
boot_once() {
	local cmd
	case $1 in
	bt | kvm) cmd=("$BT86" -accel "$1" -m 256 -no-reboot -serial stdio) ;;
	qemu) cmd=(qemu-system-i386 -cpu "qemu32,+nx" -m 256 -no-reboot -display none -serial stdio -monitor none) ;;
	esac
	timeout 300 "${cmd[@]}" -kernel "$K" -initrd "$WORK/initrd.gz" -append "$APPEND" \
		</dev/null 2>"$WORK/err" | tr -d '\r' >"$WORK/out"
	return "${PIPESTATUS[0]}"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

declare -A VALS=() MED=()
for e in bt qemu kvm; do
	[ -z "${SKIP[$e]:-}" ] || continue
	for _ in $(seq "$RUNS"); do
		boot_once "$e"
		st=$?
		if ! grep -q '^LB done' "$WORK/out"; then
			SKIP[$e]="did not finish (status $st: $(head -n 1 "$WORK/err"))"
			break
		fi
		for w in $WORKS; do
			VALS[$e,$w]="${VALS[$e,$w]:-} $(awk -v w="$w" '$1 == "LB" && $2 == w {print $4}' "$WORK/out")"
		done
	done
	[ -z "${SKIP[$e]:-}" ] || continue
	for w in $WORKS; do MED[$e,$w]=$(echo "${VALS[$e,$w]}" | tr ' ' '\n' | grep . | median); done
done

printf 'Linux guest %s, median of %s boots, seconds on the guest clock\n' "$(basename "$K")" "$RUNS"
printf '%-28s %9s %9s %9s %9s\n' work bt qemu-tcg kvm qemu/bt
for w in $WORKS; do
	case $w in
	boot) label="boot to /init" ;;
	forkexec) label="200 fork+exec" ;;
	pipe) label="10000 pipe round trips" ;;
	yield) label="40000 context switches" ;;
	esac
	row=$(printf '%-28s' "$label")
	for e in bt qemu kvm; do
		if [ -n "${SKIP[$e]:-}" ]; then row+=$(printf ' %9s' skipped); else row+=$(printf ' %9s' "${MED[$e,$w]}"); fi
	done
	b=${MED[bt,$w]:-} q=${MED[qemu,$w]:-}
	if [[ $b =~ ^[0-9.]+$ && $q =~ ^[0-9.]+$ ]] && [ "$(echo "$b > 0" | bc)" = 1 ]; then
		row+=$(printf ' %8.2fx' "$(echo "$q / $b" | bc -l)")
	fi
	echo "$row"
done
for e in bt qemu kvm; do
	[ -z "${SKIP[$e]:-}" ] || echo "$e: skipped: ${SKIP[$e]}"
done
