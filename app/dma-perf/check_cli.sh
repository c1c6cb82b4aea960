#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# dma-perf's command line and its D1 row, as a fast-suite test:
#   check_cli.sh DMA_PERF
# An unknown --rows id, a bad sweep value and a stray argument are errors (exit
# non-zero, one line naming them, no run); D1's loop checks its mappings, so a
# --dma-debug run reports no unchecked mapping. A run killed with SIGKILL leaves
# no DPDK hugepage file (/dev/hugepages/dmaperf<pid>map_*) and no DPDK runtime
# file behind (dma-perf runs DPDK --in-memory). Without hugepages (run as nobody)
# it runs DPDK --no-huge in VA mode.
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
tmp=$(mktemp) || exit 1
"$exe" --rows P9 --iterations 100 > "$tmp" 2>&1 &
pid=$!
i=0
until grep -q '^dma-perf: DPDK' "$tmp" || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
grep -q '^dma-perf: DPDK' "$tmp" || bad "dma-perf did not start: $(cat "$tmp")"
kill -KILL $pid
wait $pid 2>/dev/null
left=$(ls -d /dev/hugepages/dmaperf${pid}map_* /var/run/dpdk/dmaperf${pid}/* 2>/dev/null | head -3)
[ -z "$left" ] || bad "a killed dma-perf ($(head -1 "$tmp")) left: $left"
rm -f "$tmp"

# without hugepages (not root) dma-perf runs DPDK --no-huge in VA mode, which DPDK
# refuses with --in-memory: as nobody, keeping CAP_IPC_LOCK (udma locks its memory)
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+ipc_lock \
		--ambient-caps=+ipc_lock "$exe" --rows P9 --iterations 0.01 2>&1) ||
		bad "dma-perf without hugepages failed: $(printf '%s\n' "$out" | tail -3)"
	case $out in
	*"DPDK VA"*) ;;
	*) bad "dma-perf as nobody did not run DPDK in VA mode: $out" ;;
	esac
fi
[ $fail -eq 0 ] && echo "check_cli: ok"
exit $fail
