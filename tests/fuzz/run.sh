#!/usr/bin/env bash
# run.sh TARGET SECONDS DIR...: runs a fuzz target for SECONDS, starting from the inputs in each DIR
# (its seed corpus and its regression inputs, tests/fuzz/corpus/<name> and regressions/<name>). New
# inputs the fuzzer finds go to a scratch corpus, not into the source tree; a crash, leak, time-out
# or sanitizer report fails the run and leaves the input beside the scratch corpus.
set -euo pipefail
# The fuzzer runs in a scratch directory: the paths given are made absolute first.
target=$(realpath "$1") seconds=$2
shift 2
dirs=()
for dir in "$@"; do dirs+=("$(realpath "$dir")"); done
work=$(mktemp -d "${TMPDIR:-/tmp}/tf-fuzz.XXXXXX")
mkdir "$work/corpus" "$work/tmp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
(cd "$work" && TMPDIR="$work/tmp" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
   -max_len=65536 -print_final_stats=1 "$work/corpus" "${dirs[@]}") || rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: $(basename "$target") exited $rc; the input that failed is under $work" >&2
  exit $rc
fi
rm -rf "$work"
echo "PASS: $(basename "$target"), $seconds s without a finding"
