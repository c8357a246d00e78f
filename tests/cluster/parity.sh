#!/usr/bin/env bash
# Across hosts: 2 test hosts x 2 ranks (tests/cluster/hosts.sh), mpirun started on node1.
# - The multi-rank parity tests (tf_mpi_tests: every tp x dp layout, and the pipeline at pp 2 x
#   tp 2, tp inside a host and pp across) pass with their own tolerances.
# - tf-launch at tp 2 inside each host and dp 2 across gives the single-process run's losses
#   (relative 1e-6, the metrics file's full-precision values) and weights (absolute 2e-5).
# - Every rank's host, local rank and device are right in its status file and in `tf-ctl status`
#   (asked on node1 while the job trains): node1 node1 node2 node2, local ranks 0 1 0 1, cpu.
source "$(dirname "$0")/../e2e/lib.sh"
: "${TF_MPI_TESTS:?path of tf_mpi_tests}" "${TF_EXPORT:?path of tf-export}"
: "${TF_ENV_PYTHON:?Python of the project environment, with safetensors}"
source "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2086  # TF_MPIRUN is a command line
OMP_NUM_THREADS=1 on node1 timeout 200 $TF_MPIRUN -x OMP_NUM_THREADS -np 4 \
  --host node1:2,node2:2 "$TF_MPI_TESTS" --gtest_brief=1 \
  --gtest_filter='Parity.L2NormGeluEveryLayout:Pipeline.MatchesTheSingleProcessRun' \
  >"$WORK/mpi.log" 2>&1 || { tail -30 "$WORK/mpi.log"; fail "tf_mpi_tests across hosts"; }
echo "tf_mpi_tests across 2 hosts x 2 ranks:"
grep -E "^(parity|pipeline) " "$WORK/mpi.log" | sort -u | sed 's/^/  /'

args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set train.steps=12 --set train.log_interval=1
      --set train.eval_interval=0 --set control.address=)
launch 1 "${args[@]}" --set checkpoint.dir="$WORK/one" --set train.metrics_file="$WORK/one.jsonl" \
  >"$WORK/one.log" 2>&1 || fail "the single-process run failed: $(tail -3 "$WORK/one.log")"
# The run across hosts serves its control API on node1 (rank 0), where tf-ctl asks for its status
# while it trains (held by a pause, resumed after).
control=127.0.0.1:$((20000 + RANDOM % 20000))
(umask 077 && printf 'cluster-secret-%05d%05d%05d\n' $RANDOM $RANDOM $RANDOM >"$WORK/token")
across node1:2,node2:2 "${args[@]}" --set parallel.tp=2 --set checkpoint.dir="$WORK/four" \
  --set train.metrics_file="$WORK/four.jsonl" --set control.address="$control" \
  --set control.token_file="$WORK/token" >"$WORK/run.log" 2>&1 &
job=$!
PIDS+=("$job")
ctl() { on node1 "$TF_CTL" --address "$control" "$@"; }
ranks_listed() { ctl --json status 2>/dev/null | jq -e '.ranks | length == 4'; }
# Held by a pause while tf-ctl looks (a pause changes no loss). The ranks are listed from the
# first step on: a pause that came before it is lifted and asked for again.
wait_for 120 ctl --token-file "$WORK/token" pause ||
  fail "tf-ctl pause on node1 was not answered: $(tail -3 "$WORK/run.log")"
for _ in $(seq 20); do
  ranks_listed >/dev/null && break
  ctl --token-file "$WORK/token" resume >/dev/null
  sleep 0.1
  ctl --token-file "$WORK/token" pause >/dev/null
done
ranks_listed >/dev/null || fail "tf-ctl status on node1 lists no 4 ranks: $(ctl --json status 2>&1)"
ctl --json status >"$WORK/status.json"
ctl status >"$WORK/status.txt"
ctl --token-file "$WORK/token" resume >/dev/null || fail "tf-ctl resume failed"
rc=0
wait_exit 200 "$job" || rc=$?
[ $rc -eq 0 ] || fail "the run across hosts exited $rc"
grep -q "layout: world 4 = dp 2 x pp 1 x tp 2" "$WORK/run.log" || fail "not dp 2 x tp 2"
for r in 0 1 2 3; do
  jq -e ".ranks[$r] | .rank == \"$r\" and .host == \"node$((r / 2 + 1))\" and
         .local_rank == \"$((r % 2))\" and .device == \"cpu\"" "$WORK/status.json" >/dev/null ||
    fail "rank $r in tf-ctl status: $(jq -c ".ranks[$r]" "$WORK/status.json")"
done
echo "tf-ctl status on node1, while the job trained:"
grep "^ranks \|^ *rank [0-9] on" "$WORK/status.txt" | sed 's/^/  /'

# Full-precision losses from the metrics files, as "step loss" lines.
jq -r 'select(.kind == "train") | "\(.step) \(.loss)"' "$WORK/one.jsonl" >"$WORK/one.losses"
jq -r 'select(.kind == "train") | "\(.step) \(.loss)"' "$WORK/four.jsonl" >"$WORK/four.losses"
[ "$(wc -l <"$WORK/one.losses")" = 12 ] || fail "the single-process run logged no 12 steps"
gap=$(awk 'NR == FNR { want[$1] = $2; next }
           { g = (want[$1] - $2) / want[$1]; if (g < 0) g = -g; if (g > w) w = g; n++ }
           END { if (n != 12) print "steps " n; else printf "%.3g", w }' \
        "$WORK/one.losses" "$WORK/four.losses")
awk -v g="$gap" 'BEGIN { exit !(g ~ /^[0-9.e+-]+$/ && g + 0 <= 1e-6) }' ||
  fail "losses across hosts differ from the single-process run: largest relative gap $gap"
"$TF_EXPORT" --checkpoint "$WORK/one/step_12" --output "$WORK/one.export" >/dev/null
"$TF_EXPORT" --checkpoint "$WORK/four/step_12" --output "$WORK/four.export" >/dev/null
weights=$("$TF_ENV_PYTHON" "$TF_SOURCE_DIR/tests/cluster/same_weights.py" \
  "$WORK/one.export/model.safetensors" "$WORK/four.export/model.safetensors" 2e-5) ||
  fail "weights across hosts differ from the single-process run: $weights"
echo "tf-launch dp 2 (across hosts) x tp 2 (inside): 12 steps, largest relative loss gap $gap;" \
  "weights: $weights"

# Where each rank ran.
for r in 0 1 2 3; do
  status=$WORK/four/ranks/rank-$r.json
  want_host=node$((r / 2 + 1))
  host=$(jq -r .host "$status")
  [ "$host" = "$want_host" ] || fail "rank $r ran on '$host', expected $want_host"
  [ "$(jq -r .local_rank "$status")" = $((r % 2)) ] ||
    fail "rank $r: local rank $(jq -r .local_rank "$status"), expected $((r % 2))"
  [ "$(jq -r .device "$status")" = cpu ] || fail "rank $r: device $(jq -r .device "$status")"
done
echo "status files: ranks 0-3 on node1 node1 node2 node2, local ranks 0 1 0 1, device cpu"
echo "PASS"
