#!/bin/sh
# tests/subproject/run.sh SRCROOT: build tests/subproject with udma as its meson
# subproject, with no C++ compiler (CXX=false), and check that only the library
# was built (no apps, tests, examples, benchmarks) and that the consumer runs.
set -eu
src=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/tests/subproject/meson.build" "$src/tests/subproject/consumer.c" "$tmp/"
mkdir "$tmp/subprojects"
# a copy of the tree as git has it (plus local changes), without build directories
(cd "$src" && git ls-files -co --exclude-standard | grep -vE '^build' |
	tar -cf - -T -) | (mkdir "$tmp/subprojects/udma" && cd "$tmp/subprojects/udma" && tar -xf -)
CXX=false meson setup "$tmp/build" "$tmp" >"$tmp/setup.log" 2>&1 ||
	{ cat "$tmp/setup.log"; echo "FAIL: setup"; exit 1; }
ninja -C "$tmp/build" >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; echo "FAIL: build"; exit 1; }
sub="$tmp/build/subprojects/udma"
[ -e "$sub/libudma.so" ] || { echo "FAIL: no libudma.so"; exit 1; }
for d in app tests examples benchmarks; do
	if [ -d "$sub/$d" ] && [ -n "$(find "$sub/$d" -type f -perm -u+x)" ]; then
		echo "FAIL: $d built in a subproject build"; exit 1
	fi
done
if grep -q "C++ compiler" "$tmp/setup.log"; then
	echo "FAIL: setup looked for a C++ compiler"; grep "C++" "$tmp/setup.log"; exit 1
fi
"$tmp/build/consumer"
echo "ok: subproject build (C only, library only) and consumer run"
