#!/bin/sh
# run-fuzz.sh HARNESS SEED_CORPUS_DIR: one bounded libFuzzer run (meson suite fuzz).
# New inputs go to a scratch corpus (the seeds in the source tree stay as they are).
#   UDMA_FUZZ_TIME=S      seconds (default 60)
#   UDMA_FUZZ_SEED=N      libFuzzer -seed (default 1: the same run each time)
#   UDMA_FUZZ_NO_EXCLUDE=1  do not step around the known defects (fuzz_common.h)
# A crash, a leak, a timeout (10 s for one input) or a broken invariant fails the
# test; the failing input is kept in the build directory and printed in hex.
set -u
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
harness=$1 seeds=$2
name=$(basename "$harness")
work=${MESON_BUILD_ROOT:-.}/fuzz-out/$name
rm -rf "$work" && mkdir -p "$work/corpus" || exit 1
"$harness" -seed="${UDMA_FUZZ_SEED:-1}" -max_total_time="${UDMA_FUZZ_TIME:-60}" \
	-timeout=10 -error_exitcode=1 -timeout_exitcode=1 -rss_limit_mb=4096 -max_len=1024 -close_fd_mask=1 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" "$seeds" 2>"$work/log"
rc=$?
grep -E '^(#[0-9]+ +DONE|stat::peak_rss|fuzz)|INVARIANT|ERROR:|SUMMARY' "$work/log" | head -40
for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
	[ -e "$f" ] || continue
	echo "failing input: $f"
	od -A d -t x1 -v "$f" | head -40
	echo "reproduce: $harness $f"
done
[ $rc -ne 0 ] && tail -60 "$work/log"
execs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$work/log")
echo "$name: ${execs:-?} executions in ${UDMA_FUZZ_TIME:-60} s (seed ${UDMA_FUZZ_SEED:-1}), $(ls "$work/corpus" | wc -l) new inputs, exit $rc"
# any failure is 1: a 77 (meson's "skipped") from a path libFuzzer did not map is a failure
[ $rc -eq 0 ] || exit 1
