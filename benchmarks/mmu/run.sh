#!/usr/bin/env bash
# run.sh BUILD_DIR [RUNS] - MMU benchmarks side by side on bt86 -accel bt,
# qemu-system-i386 (TCG) and bt86 -accel kvm where usable, in one run:
#   - the guest kernels of mmu.elf (fill, pagefault, ptemod, cr3switch):
#     median wall time of RUNS runs (default 3) minus the "null" kernel's;
#     every engine must print the same checksum (Linux itself: make
#     bench-linux, benchmarks/linux);
#   - the host's own cost of a SIGSEGV + mmap (mmu-hostcost), the floor of
#     a shadow fill.
set -u
BUILD=${1:-build}
RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
GUEST=$BUILD/benchmarks/mmu/mmu.elf
BT86=$BUILD/bt86
KERNELS="fill pagefault ptemod cr3switch"
[ -f "$GUEST" ] && [ -x "$BT86" ] || { echo "run.sh: build first (make)"; exit 2; }
command -v bc >/dev/null || { echo "run.sh: bc is needed (make deps installs it)"; exit 2; }

QEMU="qemu-system-i386 -display none -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4"
ENGINES=""
declare -A SKIP=()
for e in bt qemu kvm; do
	case $e in
	qemu) command -v qemu-system-i386 >/dev/null || { SKIP[$e]="qemu-system-i386 not installed"; continue; } ;;
	kvm) [ -r /dev/kvm ] && [ -w /dev/kvm ] || { SKIP[$e]="/dev/kvm not usable"; continue; } ;;
	esac
	ENGINES="$ENGINES $e"
done

# run_guest ENGINE MEM KERNEL [INITRD APPEND]: run once; stdout to $OUT
OUT=$(mktemp)
trap 'rm -f "$OUT" "$OUT.err"' EXIT
run_guest() {
	local e=$1 mem=$2 k=$3
	shift 3
	case $e in
	bt) timeout 300 "$BT86" -no-reboot -m "$mem" -kernel "$k" "$@" >"$OUT" 2>"$OUT.err" ;;
	kvm) timeout 300 "$BT86" -accel kvm -no-reboot -m "$mem" -kernel "$k" "$@" >"$OUT" 2>"$OUT.err" ;;
	qemu) timeout 300 $QEMU -m "$mem" -kernel "$k" "$@" >"$OUT" 2>"$OUT.err" ;;
	esac
	sed -i 's/\r$//' "$OUT"
}

# wall ENGINE KERNEL_NAME: "seconds first-output-line"
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	run_guest "$1" 64 "$GUEST" -append "$2"
	t1=$(date +%s.%N)
	echo "$(echo "$t1 - $t0" | bc -l) $(head -n 1 "$OUT")"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

declare -A T=() SUM=() WHY=()
for e in $ENGINES; do
	if [ "$(wall "$e" null | cut -d' ' -f2-)" != "null 00000000" ]; then
		SKIP[$e]="cannot run the benchmark guest here: $(tail -n 1 "$OUT.err")"
		continue
	fi
	base=$(for _ in $(seq "$RUNS"); do wall "$e" null | cut -d' ' -f1; done | median)
	for k in $KERNELS; do
		times=""
		for _ in $(seq "$RUNS"); do
			r=$(wall "$e" "$k")
			times="$times ${r%% *}"
			SUM[$e,$k]=${r#* }
		done
		T[$e,$k]=$(echo "$times" | tr ' ' '\n' | grep . | median)
		T[$e,$k]=$(echo "x = ${T[$e,$k]} - $base; if (x < 0.001) x = 0.001; x" | bc -l)
		if [ "${SUM[$e,$k]%% *}" != "$k" ]; then
			T[$e,$k]="n/a"
			WHY[$e,$k]="$e $k: $(tail -n 1 "$OUT.err")"
		fi
	done
done

printf '\nMMU benchmarks: median of %s runs, start-up subtracted, seconds\n' "$RUNS"
printf '%-12s %10s %10s %10s %10s  %s\n' kernel bt qemu-tcg kvm qemu/bt checksum
for k in $KERNELS; do
	row=$(printf '%-12s' "$k")
	for e in bt qemu kvm; do
		if [ -n "${SKIP[$e]:-}" ]; then
			row+=$(printf ' %10s' skipped)
		elif [ "${T[$e,$k]}" = n/a ]; then
			row+=$(printf ' %10s' n/a)
		else
			row+=$(printf ' %10.3f' "${T[$e,$k]}")
		fi
	done
	if [[ ${T[qemu,$k]:-} =~ ^[0-9.]+$ && ${T[bt,$k]:-} =~ ^[0-9.]+$ ]]; then
		row+=$(printf ' %9.2fx' "$(echo "${T[qemu,$k]} / ${T[bt,$k]}" | bc -l)")
	else
		row+=$(printf ' %10s' -)
	fi
	agree=same
	for e in $ENGINES; do
		[ -n "${SKIP[$e]:-}" ] || [ "${T[$e,$k]}" = n/a ] || [ "${SUM[$e,$k]}" = "${SUM[bt,$k]}" ] ||
			agree="DIFFERENT: bt '${SUM[bt,$k]}', $e '${SUM[$e,$k]}'"
	done
	echo "$row  ${SUM[bt,$k]#* } ($agree)"
done

printf '\nhost: SIGSEGV + mmap of a memfd page %s ns, mmap alone %s ns (the floor of a shadow fill)\n' \
	$("$BUILD/benchmarks/mmu/mmu-hostcost" | awk '{print $2}')
for e in bt qemu kvm; do [ -z "${SKIP[$e]:-}" ] || echo "$e skipped: ${SKIP[$e]}"; done
for w in "${WHY[@]}"; do echo "n/a: $w"; done
