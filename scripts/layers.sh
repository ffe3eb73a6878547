#!/bin/bash
# layers.sh - the include graph between rooms (folders under src/ and
# firmware/), checked against the layering drawn in docs/architecture.md:
# an include may only point to the same room or one of strictly lower rank
# (two rooms of one rank never include each other).
# Prints every edge between rooms with its count; exits 1 when an include
# points up or a source file is in no known room.
#   scripts/layers.sh [--quiet]
set -u
cd "$(dirname "$0")/.." || exit 2

# room rank: lower rooms never include higher ones
declare -A RANK=(
	[monitor/base]=0
	[devices]=1
	[monitor/machine]=2
	[firmware]=3
	[monitor/x86]=3
	[shadow_mmu]=4
	[monitor/insn]=4
	[monitor/emulate]=5
	[translator]=6
	[kvm]=5
	[monitor/boot]=7
	[monitor/cli]=8
)

room_of() { # path relative to the repository -> room, or empty
	local p=${1#src/}
	p=${p%/*}
	[[ -n ${RANK[$p]+x} ]] && echo "$p"
}

quiet=${1:-}
bad=0
declare -A EDGES=()
while IFS= read -r f; do
	from=$(room_of "$f")
	if [[ -z $from ]]; then
		echo "layers: $f is in no room listed in scripts/layers.sh" >&2
		bad=1
		continue
	fi
	while IFS= read -r inc; do
		to=$(room_of "src/$inc")
		[[ -z $to ]] && to=$(room_of "$inc")
		if [[ -z $to ]]; then
			echo "layers: $f includes \"$inc\", which is in no room" >&2
			bad=1
			continue
		fi
		[[ $from == "$to" ]] && continue
		EDGES["$from -> $to"]=$((${EDGES["$from -> $to"]:-0} + 1))
		if ((RANK[$to] >= RANK[$from])); then
			echo "layers: $f includes \"$inc\": $from (rank ${RANK[$from]}) does not point down to $to (rank ${RANK[$to]})" >&2
			bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find src firmware -name '*.[chS]' | sort)

if [[ $quiet != --quiet ]]; then
	for e in "${!EDGES[@]}"; do printf '%-36s %3d\n' "$e" "${EDGES[$e]}"; done | sort
fi
exit $bad
