#!/usr/bin/env bash
# Usage: tests/bench/data_check_scaling.sh [BUILD_DIR] [REPEATS]
# Launch cost against corpus size: `tf-launch --dry-run` and a one-step run of configs/tiny.yaml
# (start-up, one step, the closing validation) on a small dataset (the synthetic corpus,
# 514,000 tokens) and on a 16 GiB sparse .bin (8,589,934,592 uint16 zeros in 5 documents; the
# holes take no disk). Prints the best of REPEATS (default 3) wall-clock seconds of each and the
# ratio 16 GiB / small. Not run by ctest: timings need a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
repeats=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/launcher/tf-data" synth --output "$work/small" >/dev/null

# The 16 GiB dataset: 4 sequences of 2^31 - 1 tokens and one of 4, one document each.
truncate -s 16G "$work/big.bin"
python3 - "$work/big.idx" <<'PY'
import struct, sys
lengths = [2**31 - 1] * 4 + [4]
pointers = [2 * sum(lengths[:i]) for i in range(len(lengths))]
with open(sys.argv[1], "wb") as f:
    f.write(b"MMIDIDX\0\0" + struct.pack("<QBQQ", 1, 8, len(lengths), len(lengths) + 1))
    f.write(struct.pack(f"<{len(lengths)}i", *lengths))
    f.write(struct.pack(f"<{len(lengths)}q", *pointers))
    f.write(struct.pack(f"<{len(lengths) + 1}q", *range(len(lengths) + 1)))
PY

# best_seconds ARGS...: the least wall-clock seconds of `repeats` runs of tf-launch ARGS.
best_seconds() {
  local best="" start end seconds
  for _ in $(seq "$repeats"); do
    start=$(date +%s.%N)
    OMP_NUM_THREADS=1 "$build/launcher/tf-launch" --config configs/tiny.yaml "$@" \
      >"$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
    end=$(date +%s.%N)
    seconds=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$seconds < $best" | bc -l)" = 1 ]; then best=$seconds; fi
  done
  printf '%.2f' "$best"
}

printf '%-12s %10s %10s %8s\n' "" "small (s)" "16 GiB (s)" "ratio"
for mode in dry_run first_step; do
  case $mode in
    dry_run) args=(--dry-run) ;;
    first_step) args=(--set train.steps=1 --set train.eval_interval=0 --set train.eval_batches=1) ;;
  esac
  small=$(best_seconds "${args[@]}" --set "data.train=[{path: $work/small}]")
  big=$(best_seconds "${args[@]}" --set "data.train=[{path: $work/big}]")
  printf '%-12s %10s %10s %8.2f\n' "$mode" "$small" "$big" "$(echo "$big / $small" | bc -l)"
done
