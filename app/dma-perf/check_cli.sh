#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# dma-perf's command line and its D1 row, as a fast-suite test:
#   check_cli.sh DMA_PERF
# An unknown --rows id, a bad sweep value and a stray argument are errors (exit
# non-zero, one line naming them, no run); D1's loop checks its mappings, so a
# --dma-debug run reports no unchecked mapping.
set -u
exe=$1
fail=0
bad() { echo "check_cli: $*"; fail=1; }

for args in "--rows P99" "--rows P1,XX" "--rows ," "--sizes 0" "--burst 300" \
	"--lcores 0" "--iterations 0" "stray"; do
	# shellcheck disable=SC2086
	out=$("$exe" $args 2>&1) && bad "'$args' succeeded: $out"
	case $out in *"rows meet their target"*) bad "'$args' ran rows: $out" ;; esac
done
out=$("$exe" --rows P99 2>&1)
case $out in *"unknown row 'P99'"*) ;; *) bad "--rows P99 does not name the row: $out" ;; esac

out=$("$exe" --rows D1 --iterations 0.01 2>&1) || bad "--rows D1 failed: $out"
case $out in *D1*) ;; *) bad "no D1 row: $out" ;; esac
case $out in *udma_mapping_error*|*"never checked"*) bad "D1 left mappings unchecked: $out" ;; esac
[ $fail -eq 0 ] && echo "check_cli: ok"
exit $fail
