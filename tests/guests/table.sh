#!/usr/bin/env bash
# Prints the guest x engine table from the verdicts that run_guest.sh left in
# $BT86_BUILD/tests/guests/results/ENGINE/NAME (the per-pair ctest tests are
# the truth; this only summarises them, it runs no guest), and writes it to
# $BT86_BUILD/guest-table.txt.
#
# Exit: 0 when the table was written, 1 when there is no verdict at all
# (run the guest/* tests first).
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${BT86_BUILD:-$here/../../build}
results=$build/tests/guests/results
engines=(qemu kvm bt)

names=$(
	{
		awk '$1 !~ /^#/ && NF >= 2 { print $1 }' "$here/guests.list"
		for s in "$here"/real/*.S; do
			[ -f "$s" ] && basename "$s" .S
		done
	} | awk '!seen[$0]++'
)

declare -A reason_no=()
reasons=()
found=0
table=$(
	printf '%-16s' guest
	printf ' %-8s' "${engines[@]}"
	printf '\n'
	for n in $names; do
		printf '%-16s' "$n"
		for e in "${engines[@]}"; do
			cell="-"
			if [ -f "$results/$e/$n" ]; then
				v=$(head -n 1 "$results/$e/$n")
				case $v in
				pass) cell=pass ;;
				FAIL*) cell=FAIL ;;
				skip:*)
					r=${v#skip: }
					if [ -z "${reason_no[$r]:-}" ]; then
						reasons+=("$r")
						reason_no[$r]=${#reasons[@]}
					fi
					cell="skip(${reason_no[$r]})"
					;;
				esac
			fi
			printf ' %-8s' "$cell"
		done
		printf '\n'
	done
	for i in "${!reasons[@]}"; do
		printf '(%d) %s\n' $((i + 1)) "${reasons[$i]}"
	done
)
for e in "${engines[@]}"; do
	[ -d "$results/$e" ] && [ -n "$(ls -A "$results/$e")" ] && found=1
done
if [ $found -eq 0 ]; then
	echo "no guest results under $results: run the guest/* tests first" >&2
	exit 1
fi

{
	echo "Guest tests per engine (pass, FAIL, skip(n): reason n below, -: not run)"
	echo "$table"
	for e in "${engines[@]}"; do
		p=0 f=0 s=0
		for n in $names; do
			v=$(head -n 1 "$results/$e/$n" 2>/dev/null)
			case $v in
			pass) p=$((p + 1)) ;;
			FAIL*) f=$((f + 1)) ;;
			skip:*) s=$((s + 1)) ;;
			esac
		done
		echo "$e: $p pass, $f FAIL, $s skip"
	done
} | tee "$build/guest-table.txt"
