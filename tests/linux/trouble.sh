#!/usr/bin/env bash
# trouble.sh ENGINE - a Linux guest in trouble is told clearly (bt86 on
# ENGINE bt or kvm; docs/linux.md "When the guest is in trouble"):
#   init exits (a panic), without panic= and with panic=-1  -> 10, the panic line
#   an initramfs that is not one                            -> 10, the panic line
#   halt -f (HLT with interrupts disabled)                  -> 10, "halted with interrupts disabled"
#   reboot -f under -no-reboot                              -> 0
# Each boot is bounded (60 s).  Exit: 0 pass, 1 fail, 77 skip (no kernel,
# no usable KVM).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BT86_BUILD:-$HERE/../../build}
ENGINE=$1
WORK=$BUILD/tests/linux/trouble-$ENGINE
mkdir -p "$WORK"
skip() { echo "skip: $*"; exit 77; }
fails=0

[ "$ENGINE" != kvm ] || [ -w /dev/kvm ] || skip "no usable /dev/kvm on this host"

# guest NAME SCRIPT: an initramfs whose /init is SCRIPT; the kernel's path in $K
guest() {
	printf '#!/bin/busybox sh\n%s\n' "$2" >"$WORK/$1.init"
	K=$("$HERE/../../scripts/linux-guest.sh" "$WORK/$1.init" "$WORK/$1" 2>"$WORK/fetch") ||
		skip "no Linux kernel: $(tail -n 1 "$WORK/fetch")"
}

# expect NAME STATUS TEXT INITRD [APPEND...]: boot and check status and stderr
expect() {
	local name=$1 want=$2 text=$3 initrd=$4 st
	shift 4
	timeout -k 5 60 "$BUILD/bt86" -accel "$ENGINE" -m 128 -no-reboot -serial stdio -kernel "$K" \
		-initrd "$initrd" -append "console=ttyS0 quiet $*" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err"
	st=$?
	if [ "$ENGINE" = kvm ] && [ $st = 6 ]; then
		skip "bt86 -accel kvm cannot run Linux here: $(head -n 1 "$WORK/$name.err")"
	fi
	if [ $st = "$want" ] && grep -q -- "$text" "$WORK/$name.err" && [ "$(wc -l <"$WORK/$name.err")" = 1 ]; then
		echo "ok: $name: status $st, $(cat "$WORK/$name.err")"
	else
		echo "FAIL: $name: status $st (want $want), stderr:"
		sed 's/^/  | /' "$WORK/$name.err"
		tail -n 5 "$WORK/$name.out" | sed 's/^/  > /'
		fails=$((fails + 1))
	fi
}

guest exit 'echo init exits; exit 3'
expect panic 10 "guest kernel panic: Kernel panic - not syncing: Attempted to kill init" "$WORK/exit/initrd.gz"
expect panic-1 10 "guest kernel panic: Kernel panic - not syncing: Attempted to kill init" "$WORK/exit/initrd.gz" panic=-1
head -c 65536 /dev/urandom >"$WORK/junk"
expect junk-initrd 10 "guest kernel panic: Kernel panic - not syncing: VFS: Unable to mount root fs" "$WORK/junk"
guest halt '/bin/busybox halt -f'
expect halt 10 "the guest halted with interrupts disabled at" "$WORK/halt/initrd.gz"
guest reboot '/bin/busybox reboot -f'
timeout -k 5 60 "$BUILD/bt86" -accel "$ENGINE" -m 128 -no-reboot -serial stdio -kernel "$K" \
	-initrd "$WORK/reboot/initrd.gz" -append "console=ttyS0 quiet" </dev/null >"$WORK/reboot.out" 2>"$WORK/reboot.err"
st=$?
if [ $st = 0 ] && [ ! -s "$WORK/reboot.err" ]; then echo "ok: reboot -f under -no-reboot: status 0"; else
	echo "FAIL: reboot -f under -no-reboot: status $st"; fails=$((fails + 1)); fi
[ $fails = 0 ]
