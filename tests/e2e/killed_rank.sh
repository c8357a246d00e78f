#!/usr/bin/env bash
# End to end: a rank killed under plain mpirun (docs/troubleshooting.md). Rank 0, the one that
# logs, is killed with SIGKILL during training. mpirun then ends the job, and the failure summary
# appears in mpirun's own output (printed by the surviving rank of that host before mpirun kills
# it), naming rank 0 and the step it died in: the step after the last one it logged.
source "$(dirname "$0")/lib.sh"

launch 2 --config "$TF_SOURCE_DIR/configs/tiny.yaml" --set control.address= \
  --set train.steps=100000 --set train.log_interval=1 --set train.eval_interval=0 \
  --set checkpoint.interval=100000 --set checkpoint.dir="$WORK/ckpt" >"$WORK/run.log" 2>&1 &
run=$!
PIDS+=("$run")
wait_for 120 grep -q "step *30/" "$WORK/run.log" || fail "the run did not reach step 30"
mapfile -t ranks < <(rank_pids "$run")
[ ${#ranks[@]} -eq 2 ] || fail "expected 2 rank processes under mpirun, found ${#ranks[@]}"
kill -9 "${ranks[0]}"
rc=0
wait_exit 60 "$run" || rc=$?
[ $rc -ne 0 ] || fail "mpirun exited 0 after a rank was killed"
last=$(sed -n 's/.*step *\([0-9]*\)\/100000 |.*/\1/p' "$WORK/run.log" | tail -1)
summary=$(grep "first failure:" "$WORK/run.log" || true)
[ -n "$summary" ] || fail "no failure summary in mpirun's output"
echo "mpirun exit $rc; last logged step $last; $summary"
died="first failure: rank 0 on $(hostname): died in phase"
echo "$summary" | grep -Eq "$died (step at step $((last + 1))|idle at step $last) " ||
  fail "the summary does not say rank 0 died after step $last: $summary"
[ "$(grep -c "failure summary of launch" "$WORK/run.log")" -eq 1 ] ||
  fail "the summary was printed more than once"
echo "PASS"
