#!/usr/bin/env bash
# Runs one guest test kernel on one engine and checks it.
#
#   tests/guests/run_guest.sh ENGINE NAME
#
# ENGINE is qemu (qemu-system-i386, the reference CPU), kvm or bt (bt86 with
# -accel kvm / -accel bt). The guest image is $BT86_BUILD/tests/guests/NAME.elf
# (multiboot), NAME.bin (bios) or NAME.img (disk: booted by SeaBIOS from -hda,
# output on the debug console instead of the serial one).
# The serial output must equal NAME.expected exactly (CRs dropped) and the
# exit status must be the one guests.list gives for the engine: a field
# "status=ENGINE:N,..." on the guest's line (e.g. status=qemu:0,bt:4,kvm:4
# for a guest that triple-faults), 1 by default (the guest wrote 0 to
# isa-debug-exit). A bt86 engine expected to exit with 4 (triple fault) must
# also say "triple fault" on stderr.
#
# On kvm, a run that ends with status 6 (bt86: the engine cannot run this
# guest, e.g. an emulation failure of a host KVM without VT-x/SVM) is a skip
# whose reason is the first line bt86 printed on stderr.
#
# Every run is bounded by GUEST_TIMEOUT seconds (default 20).
#
# Exit: 0 pass, 1 fail (with a diff), 77 skip (one line with the reason).
# Every run also leaves its verdict in
# $BT86_BUILD/tests/guests/results/ENGINE/NAME for tests/guests/table.sh.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${BT86_BUILD:-$here/../../build}
timeout_s=${GUEST_TIMEOUT:-20}
# The reference CPU model: it has SSE2, SEP (SYSENTER), CX8, CMOV and PGE.
qemu_cpu=${GUEST_QEMU_CPU:-coreduo}

if [ $# -ne 2 ]; then
	echo "usage: $0 qemu|kvm|bt NAME" >&2
	exit 2
fi
engine=$1
name=$2
case $engine in
qemu | kvm | bt) ;;
*)
	echo "run_guest.sh: unknown engine '$engine' (qemu, kvm or bt)" >&2
	exit 2
	;;
esac

resdir=$build/tests/guests/results/$engine
mkdir -p "$resdir"
result() { printf '%s\n' "$1" >"$resdir/$name"; }
skip() {
	echo "skip: $1"
	result "skip: $1"
	exit 77
}
fail() {
	echo "FAIL: $1"
	result "FAIL: $1"
	exit 1
}

# Manifest line "NAME FORMAT NEEDS..."; real-mode sources that the manifest
# does not list are "bios realmode".
line=$(awk -v n="$name" '$1 == n && $1 !~ /^#/' "$here/guests.list" | head -n 1)
if [ -z "$line" ] && [ -f "$here/real/$name.S" ]; then
	line="$name bios realmode"
fi
[ -n "$line" ] || fail "guest '$name' is not in tests/guests/guests.list"
read -r _ format fields <<<"$line"
needs=
want_status=1
for f in $fields; do
	case $f in
	status=*)
		for pair in $(tr ',' ' ' <<<"${f#status=}"); do
			if [[ ! $pair =~ ^(qemu|kvm|bt):[0-9]+$ ]]; then
				fail "guests.list: bad '$pair' in '$f' (want ENGINE:N)"
			fi
			[ "${pair%%:*}" = "$engine" ] && want_status=${pair#*:}
		done
		;;
	*=*) fail "guests.list: unknown field '$f' for $name" ;;
	*) needs="$needs $f" ;;
	esac
done
has_need() { [[ " $needs " == *" $1 "* ]]; }

if [ "$format" = bios ]; then
	image=$build/tests/guests/$name.bin
	loadopt=-bios
elif [ "$format" = disk ] || [ "$format" = floppy ]; then
	image=$build/tests/guests/$name.img
	loadopt=-hda
	[ "$format" = floppy ] && loadopt=-fda
else
	image=$build/tests/guests/$name.elf
	loadopt=-kernel
fi
expected=$here/$name.expected
[ -f "$expected" ] || expected=$here/real/$name.expected
[ -f "$expected" ] || fail "no expected output for $name"
[ -f "$image" ] || fail "guest image $image is missing (build first)"

# ---------------------------------------------------------------------------
# SKIP RULES: what an engine cannot run here yet. Remove a rule when the
# feature it stands for lands; nothing else in this script needs to change.
skip_reason() {
	if { [ "$format" = disk ] || [ "$format" = floppy ]; } && [ ! -r /usr/share/seabios/bios.bin ]; then
		echo "no BIOS to boot a disk: /usr/share/seabios/bios.bin is missing (package seabios)"
		return
	fi
	case $engine in
	qemu)
		command -v qemu-system-i386 >/dev/null ||
			echo "qemu-system-i386 is not installed"
		;;
	kvm)
		# Protected-mode guests run even without VT-x/SVM: some work on
		# the host's software KVM; exit status 6 turns into a skip below.
		# Guest paging does not: that KVM answers the guest's MOV CR0 that
		# sets PG with #GP (seen on kvm-pvm), which the guest reports as a
		# failed check, not as an engine error.
		if [ ! -e /dev/kvm ]; then
			echo "/dev/kvm is missing"
		elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
			echo "/dev/kvm is not accessible"
		elif has_need a20; then
			echo "the kvm engine does not mask the A20 gate (docs/kvm.md)"
		elif has_need paging && ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
			echo "host KVM has no VT-x/SVM: it faults on guest paging (#GP on MOV CR0.PG)"
		fi
		;;
	esac
}
# ---------------------------------------------------------------------------

reason=$(skip_reason)
[ -z "$reason" ] || skip "$reason"

out=$(mktemp -d "${TMPDIR:-/tmp}/guest.XXXXXX")
trap 'rm -rf "$out"' EXIT

# A disk guest runs on its own copy of the image (it writes to it) and
# reports on the debug console; the serial console carries the BIOS's text.
extra=()
if [ "$format" = disk ] || [ "$format" = floppy ]; then
	cp "$image" "$out/disk.img"
	image=$out/disk.img
	extra=(-debugcon "file:$out/debugcon")
fi
if [ "$engine" = qemu ]; then
	load=("$loadopt" "$image")
	[ "$format" = disk ] && load=(-drive "file=$image,format=raw,if=ide")
	[ "$format" = floppy ] && load=(-drive "file=$image,format=raw,if=floppy")
	cmd=(qemu-system-i386 -display none -no-reboot -m 64 -cpu "$qemu_cpu"
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4
		"${load[@]}" "${extra[@]}")
else
	[ -x "$build/bt86" ] || fail "$build/bt86 is missing (build first)"
	cmd=("$build/bt86" -accel "$engine" -m 64 "$loadopt" "$image" -serial stdio "${extra[@]}")
fi

timeout -k 5 "$timeout_s" "${cmd[@]}" </dev/null >"$out/raw" 2>"$out/stderr"
status=$?
if [ "$format" = disk ] || [ "$format" = floppy ]; then
	tr -d '\r' <"$out/debugcon" >"$out/serial" 2>/dev/null
else
	tr -d '\r' <"$out/raw" >"$out/serial"
fi

# bt86 exit status 6: the engine cannot run this guest. On kvm that is the
# host's limit, not a wrong result: skip with bt86's last line (the error,
# without its guest address, so equal reasons group in the table) as reason.
if [ "$engine" = kvm ] && [ $status -eq 6 ] && [ "$want_status" -ne 6 ]; then
	first=$(tail -n 1 "$out/stderr")
	first=${first#bt86: }
	first=${first%% at CS:EIP*}
	echo "--- stderr:"
	head -n 5 "$out/stderr"
	skip "host KVM cannot run this guest: ${first:-no message}"
fi

problems=()
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
	problems+=("timed out after ${timeout_s}s")
elif [ $status -ne "$want_status" ]; then
	problems+=("exit status $status, expected $want_status")
elif [ "$engine" != qemu ] && [ "$want_status" -eq 4 ] &&
	! grep -q "triple fault" "$out/stderr"; then
	problems+=("exit status 4 without a triple-fault message on stderr")
fi
cmp -s "$expected" "$out/serial" || problems+=("serial output differs from $(basename "$expected")")

if [ ${#problems[@]} -eq 0 ]; then
	echo "pass: $engine $name"
	result "pass"
	exit 0
fi
echo "command: ${cmd[*]}"
diff -u --label expected --label "serial ($engine)" "$expected" "$out/serial" | head -n 80
if [ -s "$out/stderr" ]; then
	echo "--- stderr:"
	head -n 20 "$out/stderr"
fi
msg=$(
	IFS=';'
	echo "${problems[*]}"
)
fail "${msg//;/; }"
