#!/usr/bin/env bash
# Usage: tests/bench/parallel_bench.sh [BUILD_DIR] [STEPS]
# Step time of tp=2 and of dp=2 on 2 ranks against 1 rank (one intra-op thread per rank), as
# speed-up (t1 / t2) and efficiency (speed-up / 2), and bytes sent per rank per step against the
# analytic count. Not run by ctest: timings need a quiet machine.
set -euo pipefail
build=${1:-build}
steps=${2:-10}
bench=$build/tests/tf_parallel_bench
mpirun=(mpirun --allow-run-as-root --oversubscribe -x OMP_NUM_THREADS=1)
export OMP_NUM_THREADS=1

run() {  # ranks tp -> prints the result line and leaves the median step time in $seconds
  local line
  line=$("${mpirun[@]}" -np "$1" "$bench" "$2" "$steps" | grep '^ranks')
  echo "$line"
  seconds=$(echo "$line" | sed -E 's/.*median step ([0-9.]+) s.*/\1/')
}

run 1 1; t1=$seconds
run 2 2; ttp=$seconds
run 2 1; tdp=$seconds
awk -v t1="$t1" -v ttp="$ttp" -v tdp="$tdp" 'BEGIN {
  printf "tp=2: speed-up %.2f, efficiency %.2f\n", t1 / ttp, t1 / ttp / 2
  printf "dp=2: speed-up %.2f, efficiency %.2f\n", t1 / tdp, t1 / tdp / 2
}'
