#!/bin/sh
# compile_check.sh SRC NBAD CC [ARGS...]: SRC must compile as it is, and with each
# -DBAD=1..NBAD it must fail with a _Generic diagnostic (a type error caught at
# compile time, not a crash at run time).
set -u
src=$1; nbad=$2; shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! "$@" -fsyntax-only -DBAD=0 "$src" >"$out" 2>&1; then
	echo "FAIL: $src does not compile in its good form:"; cat "$out"; exit 1
fi
echo "ok: the good forms compile"
n=1
while [ "$n" -le "$nbad" ]; do
	if "$@" -fsyntax-only -DBAD="$n" "$src" >"$out" 2>&1; then
		echo "FAIL: BAD=$n compiled"; exit 1
	fi
	if ! grep -q "_Generic" "$out"; then
		echo "FAIL: BAD=$n failed for another reason:"; cat "$out"; exit 1
	fi
	echo "ok: BAD=$n refused: $(grep -m1 '_Generic' "$out")"
	n=$((n + 1))
done
