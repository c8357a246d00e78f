#!/usr/bin/env bash
# A slow link between hosts (2 test hosts x 2 ranks, tp 2 inside a host, dp 2 across): node2's
# link is held to 4 Mbit/s by a token bucket (tc tbf; this kernel has no netem for delays) while
# the job trains, then freed.
# - Training goes on through it, with no time-out and no error.
# - The slower steps show in the step times: the log's, and each rank's status file.
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/lib.sh"

args=(--config "$TF_SOURCE_DIR/configs/tiny.yaml" --set train.log_interval=1
      --set train.eval_interval=0 --set control.address= --set parallel.tp=2
      --set checkpoint.dir="$WORK/ckpt" --set checkpoint.interval=1000 --set fault.step_timeout=60)
across node1:2,node2:2 "${args[@]}" --set train.steps=100000 >"$WORK/run.log" 2>&1 &
job=$!
PIDS+=("$job")
# step_seconds FROM TO: the median of the logged step times of steps FROM..TO.
step_seconds() {
  sed -n 's/.*step *\([0-9]*\)\/[0-9]* | .* | \([0-9.]*\) s | .*/\1 \2/p' "$WORK/run.log" |
    awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { print $2 }' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
logged() { grep -q "step *$1/" "$WORK/run.log"; }

wait_for 120 logged 10 || fail "the run did not reach step 10"
before=$(step_seconds 4 10)
on node2 tc qdisc add dev eth0 root tbf rate 4mbit burst 32kbit latency 2s ||
  fail "tc tbf is not available here"
slowed=$(sed -n 's/.*step *\([0-9]*\)\/.*/\1/p' "$WORK/run.log" | tail -1)
wait_for 120 logged $((slowed + 6)) || fail "training stopped on the slow link"
slow=$(step_seconds $((slowed + 2)) $((slowed + 6)))
kill -0 "$job" || fail "the job ended on the slow link"
on node2 tc qdisc del dev eth0 root
freed=$(sed -n 's/.*step *\([0-9]*\)\/.*/\1/p' "$WORK/run.log" | tail -1)
wait_for 120 logged $((freed + 8)) || fail "training did not go on after the link was freed"
after=$(step_seconds $((freed + 3)) $((freed + 8)))
echo "median step time: ${before} s before, ${slow} s on the 4 Mbit/s link (steps" \
  "$((slowed + 2))-$((slowed + 6))), ${after} s after it was freed"
awk -v b="$before" -v s="$slow" 'BEGIN { exit !(s > 2 * b) }' ||
  fail "steps on the slow link (${slow} s) are not slower than before (${before} s)"
! grep -q "error\|timeout" "$WORK/run.log" || fail "an error on the slow link: $(grep -m1 "error\|timeout" "$WORK/run.log")"
for r in 0 1 2 3; do
  jq -e 'has("step_seconds")' "$WORK/ckpt/ranks/rank-$r.json" >/dev/null || continue
  echo "rank $r on $(jq -r .host "$WORK/ckpt/ranks/rank-$r.json"): last step $(jq -r .step_seconds "$WORK/ckpt/ranks/rank-$r.json") s"
done
echo "PASS"
