#!/usr/bin/env bash
# Slurm: signals at any time. Two 2-rank runs at once:
# - one cannot finish within its 1-minute limit and is submitted with --signal=B:USR1@40 (the
#   script's own line says @600): SIGUSR1 reaches its batch shell before the limit, the ranks
#   write a checkpoint and exit 5, the job is requeued instead of timing out, and restart 1
#   resumes from that checkpoint (then the test cancels it);
# - the other gets `scancel --signal=USR1 --batch` as soon as its batch script runs, before the
#   ranks could take the signal: the script holds it back until they are ready, then they
#   checkpoint and exit 5, and the requeued job resumes and completes.
source "$(dirname "$0")/lib.sh"

submit job "${TWO_RANKS[@]}" --time=1 --signal=B:USR1@40 "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" \
  --set train.steps=1000000 --set train.log_interval=10 --set checkpoint.dir="$WORK/ckpt"
submit early "${TWO_RANKS[@]}" "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" --set checkpoint.dir="$WORK/early"

# resumed ID DIR: the job's restart 0 exited 5 after a complete checkpoint in DIR, and restart 1
# resumed from it; prints the step.
resumed() {
  local first=$WORK/logs/tokenformer-$1-restart0.log second=$WORK/logs/tokenformer-$1-restart1.log
  local step
  wait_for 90 grep -q "tokenformer.sbatch\] tf-launch exited 5: preempted" "$first" ||
    fail "job $1: no exit 5 (job $(job_field "$1" JobState))"
  step=$(sed -n 's/.*step *\([0-9]*\) | preempted by a signal.*/\1/p' "$first" | head -1)
  [ -n "$step" ] && [ -f "$2/step_$step/COMPLETE" ] ||
    fail "job $1: no complete checkpoint at the preemption step"
  wait_for 60 test -f "$second" || fail "job $1 did not start again"
  wait_for 60 grep -q "resumed from $2/step_$step: step $step" "$second" ||
    fail "job $1: restart 1 did not resume"
  echo "$step"
}

wait_for 60 test -f "$WORK/logs/tokenformer-$early-restart0.log" || fail "job $early did not start"
scancel --signal=USR1 --batch "$early" || fail "scancel failed"

step=$(resumed "$job" "$WORK/ckpt")
grep -q "tokenformer.sbatch\] SIGUSR1 received" "$WORK/logs/tokenformer-$job-restart0.log" ||
  fail "the batch shell logged no SIGUSR1"
[ "$(job_field "$job" Restarts)" = 1 ] || fail "Restarts=$(job_field "$job" Restarts), expected 1"
scancel "$job"

early_step=$(resumed "$early" "$WORK/early")
grep -q "tokenformer.sbatch\] SIGUSR1 received before the ranks are ready: holding" \
  "$WORK/logs/tokenformer-$early-restart0.log" || fail "job $early: the signal was not held back"
grep -q "tokenformer.sbatch\] ranks ready: sending them the SIGUSR1 held back" \
  "$WORK/logs/tokenformer-$early-restart0.log" || fail "job $early: the held signal was not sent"
wait_state 120 "$early" COMPLETED
[ "$(job_field "$early" Restarts)" = 1 ] || fail "job $early: Restarts=$(job_field "$early" Restarts)"
grep -q "150/150" <<<"$(final_loss "$WORK/logs/tokenformer-$early-restart1.log")" ||
  fail "job $early: no final step after the requeue"
echo "job $job: SIGUSR1 before its 1-minute limit, checkpoint at step $step, requeued, resumed"
echo "job $early: signal at start-up held back, checkpoint at step $early_step, requeued, completed"
echo "PASS"
