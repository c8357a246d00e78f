#!/usr/bin/env bash
# Usage: tests/bench/pipeline_bench.sh [BUILD_DIR] [STEPS] [SCHEDULE: 1f1b (default) | gpipe]
# The 1F1B pipeline bubble at pp=2 for 4, 8 and 16 micro batches: the step time on 2 ranks against
# the ideal (the 1-rank step time / 2), as the measured bubble 1 - ideal / step, beside the
# analytic bubble (P-1) / (m+P-1); and the bytes rank 0 sent per step against the analytic count.
# One intra-op thread per rank. Not run by ctest: timings need a quiet machine.
set -euo pipefail
build=${1:-build}
steps=${2:-6}
schedule=${3:-1f1b}
bench=$build/tests/tf_pipeline_bench
mpirun=(mpirun --allow-run-as-root --oversubscribe -x OMP_NUM_THREADS=1)
export OMP_NUM_THREADS=1

seconds_of() { echo "$1" | sed -E 's/.*median step ([0-9.]+) s.*/\1/'; }

for m in 4 8 16; do
  one=$("${mpirun[@]}" -np 1 "$bench" "$m" "$steps" | grep '^pp')
  two=$("${mpirun[@]}" -np 2 "$bench" "$m" "$steps" "$schedule" | grep '^pp')
  echo "$one"
  echo "$two"
  awk -v t1="$(seconds_of "$one")" -v t2="$(seconds_of "$two")" -v m="$m" -v s="$schedule" 'BEGIN {
    ideal = t1 / 2
    printf "pp=2 %s m=%d: step %.4f s, ideal %.4f s, step/ideal %.3f, bubble measured %.3f, analytic %.3f\n",
           s, m, t2, ideal, t2 / ideal, 1 - ideal / t2, 1 / (m + 1)
  }'
done
