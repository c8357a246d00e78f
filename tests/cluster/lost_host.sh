#!/usr/bin/env bash
# A host lost mid-step, then a relaunch on the host that is left (2 test hosts x 2 ranks, tp 2
# inside a host, dp 2 across):
# - every process of node2 is killed at once; the job ends within fault.step_timeout, and nothing
#   is left running on either host (no mpirun, daemon or rank);
# - `tf-launch summary --wait` (what the Slurm script runs after a failed launch) says first that
#   node2 was lost, names its ranks as the first failure and node1's as its consequences;
# - the newest complete checkpoint is intact: a relaunch on node1 alone (2 ranks: tp 2, dp 1,
#   twice the accumulation) resumes from it, and its losses are bit-equal to those of a run
#   resumed at that layout from a copy of the same checkpoint.
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/lib.sh"

timeout_s=6
args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set train.log_interval=1
      --set train.eval_interval=0 --set control.address= --set parallel.tp=2
      --set checkpoint.interval=5 --set fault.step_timeout=$timeout_s)
across node1:2,node2:2 "${args[@]}" --set train.steps=100000 --set checkpoint.dir="$WORK/ckpt" \
  >"$WORK/run.log" 2>&1 &
job=$!
PIDS+=("$job")
wait_for 120 test -f "$WORK/ckpt/step_10/COMPLETE" || fail "no checkpoint at step 10"
victims=$(host_pids node2)
[ -n "$victims" ] || fail "nothing runs on node2"
start=$(date +%s.%N)
# shellcheck disable=SC2086  # one pid per word
kill -9 $victims
rc=0
wait_exit 60 "$job" || rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
[ $rc -ne 0 ] || fail "the job exited 0 after losing node2"
echo "node2 lost (kill -9 of its ${victims//$'\n'/ } processes): the job ended in ${took} s" \
  "(exit $rc; fault.step_timeout $timeout_s s)"
awk -v t="$took" -v limit=$timeout_s 'BEGIN { exit !(t <= limit) }' ||
  fail "the job took $took s to end, more than fault.step_timeout ($timeout_s s)"
nothing_on() { [ -z "$(host_pids "$1")" ]; }
for host in node1 node2; do
  wait_for 5 nothing_on "$host" ||
    fail "left running on $host: $(ps -o pid=,comm= -p "$(host_pids "$host" | paste -sd,)")"
done

summary_start=$(date +%s.%N)
"$TF_LAUNCH" summary --wait "$WORK/ckpt/ranks" >"$WORK/summary.txt" || fail "no summary"
summary_took=$(echo "$(date +%s.%N) - $summary_start" | bc)
cat "$WORK/summary.txt"
grep -q "^  host node2 lost: ranks 2, 3 went silent" "$WORK/summary.txt" ||
  fail "the summary does not say first that node2 was lost"
grep -Eq "first failure: rank [23] on node2: went silent" "$WORK/summary.txt" ||
  fail "the summary does not name node2's ranks first"
grep -Eq "(the same on|consequence): +rank [23] on node2" "$WORK/summary.txt" ||
  fail "the summary names one of node2's ranks only"
[ "$(grep -c "consequence: *rank [01] on node1" "$WORK/summary.txt")" = 2 ] ||
  fail "node1's ranks are not consequences"
echo "summary --wait printed it after ${summary_took} s"

# The relaunch on node1 alone, and a resume at its layout from a copy of the same checkpoint.
newest=$(cd "$WORK/ckpt" && for d in step_*; do [ -f "$d/COMPLETE" ] && echo "${d#step_}"; done |
  sort -n | tail -1)
mkdir "$WORK/copy"
cp -r "$WORK/ckpt/step_$newest" "$WORK/copy/"
steps=$((newest + 4))
across node1:2 "${args[@]}" --set train.steps=$steps --set checkpoint.dir="$WORK/ckpt" \
  --set train.metrics_file="$WORK/fewer.jsonl" >"$WORK/fewer.log" 2>&1 ||
  fail "the relaunch on node1 failed: $(tail -5 "$WORK/fewer.log")"
grep -q "resumed from $WORK/ckpt/step_$newest: step $newest" "$WORK/fewer.log" ||
  fail "the relaunch did not resume from step $newest: $(grep -m1 resumed "$WORK/fewer.log")"
grep -q "layout: world 2 = dp 1 x pp 1 x tp 2" "$WORK/fewer.log" || fail "not tp 2 x dp 1"
launch 2 "${args[@]}" --set train.steps=$steps --set checkpoint.dir="$WORK/copy" \
  --set train.metrics_file="$WORK/copy.jsonl" >"$WORK/copy.log" 2>&1 ||
  fail "the resume of the copy failed: $(tail -5 "$WORK/copy.log")"
jq -r 'select(.kind == "train") | "\(.step) \(.loss)"' "$WORK/fewer.jsonl" >"$WORK/fewer.losses"
jq -r 'select(.kind == "train") | "\(.step) \(.loss)"' "$WORK/copy.jsonl" >"$WORK/copy.losses"
[ "$(wc -l <"$WORK/fewer.losses")" = 4 ] || fail "the relaunch logged no 4 steps"
cmp -s "$WORK/fewer.losses" "$WORK/copy.losses" ||
  fail "losses after the relaunch differ: $(paste "$WORK/fewer.losses" "$WORK/copy.losses")"
echo "relaunch on node1 alone: resumed from step $newest at tp 2 x dp 1; steps $((newest + 1))-$steps" \
  "bit-equal to a resume of the same checkpoint at that layout"
echo "PASS"
