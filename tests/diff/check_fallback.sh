#!/usr/bin/env bash
# check_fallback.sh NO_IA32 DIFFTEST NATIVE32 - difftest with --reference auto
# on a simulated host that cannot run 32-bit programs (NO_IA32 kills any
# 32-bit system call) must fall back to qemu-i386, name it on its first and
# last line with the reason, and pass.  Exit 0 pass, 1 fail, 77 skip (no
# qemu-i386 here: difftest itself says so).
set -u
if ! why=$("$1" true 2>&1); then
	echo "SKIP: cannot simulate a host without 32-bit execution: $why"
	exit 77
fi
out=$("$1" "$2" --native "$3" --reference auto --seed 5 --count 2000 2>&1)
st=$?
echo "$out" | head -n 3
echo "$out" | tail -n 1
[ $st -ne 77 ] || exit 77
first=$(echo "$out" | head -n 1)
last=$(echo "$out" | tail -n 1)
case $first in
"difftest: reference: qemu-i386 "*"the real CPU cannot: "*) ;;
*) echo "FAIL: first line does not name qemu-i386 and why the real CPU was not used"; exit 1 ;;
esac
case $last in
PASS:*"reference qemu-i386 "*) ;;
*) echo "FAIL: last line is not a PASS naming qemu-i386"; exit 1 ;;
esac
[ $st -eq 0 ] || { echo "FAIL: exit status $st"; exit 1; }
echo "pass: auto fell back to qemu-i386"
