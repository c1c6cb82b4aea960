#!/bin/sh
# abi_skew.sh SRC CONFIG_H LIBDIR CC [ARGS...]: build tests/abi_skew_app.c against the
# headers as configured (the pool must work) and against a copy of udma_config.h
# with another UDMA_MAX_LCORES (udma_pool_create must refuse: EPROTO, one line
# telling to rebuild), both linked to the same libudma.
set -u
src=$1; config=$2; libdir=$3; shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/good" "$tmp/skew"
cp "$config" "$tmp/good/udma_config.h"
lc=$(sed -n 's/^#define UDMA_MAX_LCORES \([0-9]*\)$/\1/p' "$config")
[ -n "$lc" ] || { echo "FAIL: no UDMA_MAX_LCORES in $config"; exit 1; }
sed "s/^#define UDMA_MAX_LCORES .*/#define UDMA_MAX_LCORES $((lc * 2))/" "$config" > "$tmp/skew/udma_config.h"
for v in good skew; do
	"$@" -I"$tmp/$v" "$src" -L"$libdir" -ludma -Wl,-rpath,"$libdir" -o "$tmp/$v/app" ||
		{ echo "FAIL: $v build"; exit 1; }
done
"$tmp/good/app" > "$tmp/good.out" 2>&1; rc=$?
cat "$tmp/good.out"
[ $rc -eq 0 ] || { echo "FAIL: the app built against these headers got $rc"; exit 1; }
"$tmp/skew/app" > "$tmp/skew.out" 2>&1; rc=$?
cat "$tmp/skew.out"
[ $rc -eq 3 ] || { echo "FAIL: the skewed app got $rc, expected a refusal"; exit 1; }
[ "$(grep -c 'rebuild it against' "$tmp/skew.out")" -eq 1 ] ||
	{ echo "FAIL: expected one line telling to rebuild"; exit 1; }
grep -q "UDMA_MAX_LCORES $((lc * 2))" "$tmp/skew.out" ||
	{ echo "FAIL: the line does not name the app's layout"; exit 1; }
echo "ok: same layout works, another layout refused clearly"
