#!/usr/bin/env bash
# run.sh BUILD_DIR [RUNS] - compute benchmarks side by side: native,
# bt86 -accel bt, qemu-system-i386 (TCG) and bt86 -accel kvm where usable.
# Native is the 32-bit Linux build of the kernels where this host runs
# 32-bit programs, else the x86-64 build of the same source, labelled
# "native64" (a different instruction set: its ratios say so).
# Each cell is the median wall time of RUNS runs (default 3) minus the
# median time of the "null" kernel on the same engine (its start-up cost).
# Every run's checksum must equal the expected one (the kernels' checksums
# are the same on every build), or the cell says why in a footnote.
set -u
BUILD=${1:-build}
RUNS=${2:-3}
DIR=$BUILD/benchmarks/compute
NATIVE32=$DIR/compute-native
NATIVE64=$DIR/compute-native64
GUEST=$DIR/compute.elf
BT86=$BUILD/bt86
KERNELS="crc32 sieve matmul quicksort bytecode strings"

for tool in bc timeout awk; do
	command -v $tool >/dev/null || { echo "run.sh: $tool is needed (make deps installs it)"; exit 2; }
done
[ -x "$NATIVE32" ] && [ -x "$NATIVE64" ] && [ -f "$GUEST" ] || {
	echo "run.sh: build first (make)"
	exit 2
}

# The native column: the 32-bit build if this host runs it, else native64.
NATIVE=$NATIVE32
NATIVE_LABEL=native
why32=$("$NATIVE32" null 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ "$why32" != "null 00000000" ]; then
	why32=$(echo "$why32" | tail -n 1 | sed 's/^.*compute-native: //')
	[ $rc -le 128 ] || why32="killed by signal $((rc - 128)) (SIG$(kill -l $((rc - 128))))"
	NATIVE=$NATIVE64
	NATIVE_LABEL=native64
	NATIVE_NOTE="native64: the x86-64 build of the same kernels; this host cannot run the 32-bit build (${why32:-exit status $rc})"
fi

QEMU_CMD="qemu-system-i386 -display none -no-reboot -m 64 -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel $GUEST -append"
BT_CMD="$BT86 -accel bt -m 64 -kernel $GUEST -append"
KVM_CMD="$BT86 -accel kvm -m 64 -kernel $GUEST -append"

# engine_usable ENGINE: prints a skip reason and fails if ENGINE cannot run here.
engine_usable() {
	case $1 in
	qemu) command -v qemu-system-i386 >/dev/null || { echo "qemu-system-i386 not installed"; return 1; } ;;
	kvm)
		[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "/dev/kvm not usable"; return 1; } ;;
	bt) [ -x "$BT86" ] || { echo "bt86 not built"; return 1; } ;;
	esac
	return 0
}

# A run longer than RUN_LIMIT seconds is cut off (its cell shows n/a on kvm,
# WRONG elsewhere): a KVM without VT-x/SVM underneath emulates in software.
# On kvm it is set per kernel below to 30 times the native time (min 20 s).
RUN_LIMIT=120
ERRF=$(mktemp)
trap 'rm -f "$ERRF"' EXIT

# time_one CMD...: run once; prints "seconds output-line" (output empty on
# failure); the last line the command printed on stderr is left in $ERRF.
time_one() {
	local t0 t1 out
	t0=$(date +%s.%N)
	timeout "$RUN_LIMIT" "$@" >"$ERRF.out" 2>"$ERRF.run"
	[ $? != 124 ] || echo "timed out after ${RUN_LIMIT} s" >>"$ERRF.run"
	out=$(head -n 1 "$ERRF.out")
	t1=$(date +%s.%N)
	tail -n 1 "$ERRF.run" >"$ERRF"
	rm -f "$ERRF.run" "$ERRF.out"
	echo "$(echo "$t1 - $t0" | bc -l) $out"
}

# median_time KIND KERNEL: prints "median-seconds output-line" over RUNS runs
# (the output line is empty if any run printed something else).
median_time() {
	local kind=$1 k=$2 times=() line check="" first=1
	for _ in $(seq "$RUNS"); do
		case $kind in
		native) line=$(time_one "$NATIVE" "$k") ;;
		qemu) line=$(time_one $QEMU_CMD "$k") ;;
		bt) line=$(time_one $BT_CMD "$k") ;;
		kvm) line=$(time_one $KVM_CMD "$k") ;;
		esac
		times+=("${line%% *}")
		[ -n "${line#* }" ] || { check=""; break; } # failed: no point repeating
		if [ $first = 1 ]; then
			check="${line#* }"
			first=0
		elif [ "$check" != "${line#* }" ]; then
			check=""
		fi
	done
	printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$check"
}

declare -A T WHY SKIP
# Kernel checksums, the same on every build (kernels.c uses fixed-width types).
declare -A EXPECT=([crc32]=0d759115 [sieve]=00025fdb [matmul]=56f7fe89
	[quicksort]=adaa1a19 [bytecode]=03800030 [strings]=81279fa5)
ENGINES="native bt qemu kvm"
for e in $ENGINES; do
	if [ "$e" != native ] && ! reason=$(engine_usable "$e"); then
		SKIP[$e]=$reason
		continue
	fi
	base=0
	if [ "$e" != native ]; then
		r=$(median_time "$e" null)
		base=${r%% *}
		if [ "${r#* }" != "null 00000000" ]; then
			SKIP[$e]="cannot run the benchmark guest here: $(cat "$ERRF")"
			continue
		fi
	fi
	for k in $KERNELS; do
		# a KVM 30 times slower than native is emulating: cut off (min 20 s)
		if [ "$e" = kvm ] && [[ ${T[native,$k]:-} =~ ^[0-9.]+$ ]]; then
			RUN_LIMIT=$(echo "x = 30 * ${T[native,$k]} + $base; if (x < 20) x = 20; scale=0; x / 1" | bc -l)
		fi
		r=$(median_time "$e" "$k")
		t=${r%% *}
		CHECK=${r#* }
		[ "$CHECK" != "$r" ] || CHECK=""
		if [ -z "$CHECK" ]; then
			err=$(cat "$ERRF")
			WHY[$e,$k]="$e $k: ${err:-failed or gave different output on repeated runs}"
		elif [ "$CHECK" != "$k ${EXPECT[$k]}" ]; then
			WHY[$e,$k]="$e $k: wrong result '$CHECK', expected '$k ${EXPECT[$k]}'"
		else
			T[$e,$k]=$(echo "x=$t - $base; if (x < 0.001) x = 0.001; x" | bc -l)
		fi
	done
done

# Footnotes: a cell that could not be measured shows [n]; note n says why.
# note_for WHY sets NOTE_REF to "[n]" (no subshell: NOTES must grow here).
NOTES=()
note_for() {
	local i
	for i in "${!NOTES[@]}"; do
		[ "${NOTES[$i]}" != "$1" ] || { NOTE_REF="[$((i + 1))]"; return; }
	done
	NOTES+=("$1")
	NOTE_REF="[${#NOTES[@]}]"
}
num() { [[ ${1:-} =~ ^[0-9.]+$ ]]; }

printf '\ncompute benchmarks: median of %s runs, start-up subtracted, seconds (ratio to %s)\n' \
	"$RUNS" "$NATIVE_LABEL"
printf '%-10s %10s %18s %18s %18s %12s\n' kernel "$NATIVE_LABEL" bt qemu-tcg kvm qemu/bt
for k in $KERNELS; do
	n=${T[native,$k]:-}
	if num "$n"; then
		row=$(printf '%-10s %10.3f' "$k" "$n")
	else
		note_for "${WHY[native,$k]}"
		row=$(printf '%-10s %10s' "$k" "n/a $NOTE_REF")
	fi
	for e in bt qemu kvm; do
		v=${T[$e,$k]:-}
		if [ -n "${SKIP[$e]:-}" ]; then
			row+=$(printf ' %18s' "skipped")
		elif ! num "$v"; then
			note_for "${WHY[$e,$k]}"
			row+=$(printf ' %18s' "n/a $NOTE_REF")
		elif num "$n"; then
			row+=$(printf ' %9.3f (%5.2fx)' "$v" "$(echo "$v / $n" | bc -l)")
		else
			row+=$(printf ' %9.3f %8s' "$v" "")
		fi
	done
	b=${T[bt,$k]:-} q=${T[qemu,$k]:-}
	if num "$b" && num "$q"; then
		row+=$(printf ' %11.2fx' "$(echo "$q / $b" | bc -l)")
	else
		row+=$(printf ' %12s' "-")
	fi
	echo "$row"
done
# geometric means of the ratios to native ("-" unless every kernel measured)
gm() {
	local e=$1 s=0 n=0 v
	for k in $KERNELS; do
		v=${T[$e,$k]:-}
		num "$v" && num "${T[native,$k]:-}" || { echo "-"; return; }
		s=$(echo "$s + l($v / ${T[native,$k]})" | bc -l)
		n=$((n + 1))
	done
	printf '%.2fx' "$(echo "e($s / $n)" | bc -l)"
}
printf '%-10s %10s %18s %18s %18s\n' geomean "1.00x" "$(gm bt)" "$(gm qemu)" "$(gm kvm)"
[ -z "${NATIVE_NOTE:-}" ] || echo "$NATIVE_NOTE"
for e in bt qemu kvm; do
	[ -z "${SKIP[$e]:-}" ] || echo "$e skipped: ${SKIP[$e]}"
done
for i in "${!NOTES[@]}"; do
	echo "[$((i + 1))] ${NOTES[$i]}"
done
