#!/usr/bin/env bash
# Slurm: preemption and requeue. Two 2-rank tiny runs are submitted together: one runs through,
# the other gets `scancel --signal=USR1 --batch` at step 20 or later. The batch shell forwards
# the signal, the ranks write a checkpoint and exit 5, the script requeues the job, the job runs
# again (restart 1, its own log) and resumes from that checkpoint by itself, and ends with the
# final loss of the uninterrupted run. A job that depends on it (afterok) waits through the
# requeue and starts only once the resumed run completed.
source "$(dirname "$0")/lib.sh"

submit whole "${TWO_RANKS[@]}" "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" --set checkpoint.dir="$WORK/whole"
submit job "${TWO_RANKS[@]}" "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" --set checkpoint.dir="$WORK/ckpt"
submit after --dependency="afterok:$job" --output=after.out --wrap 'date +%s'
first=$WORK/logs/tokenformer-$job-restart0.log
second=$WORK/logs/tokenformer-$job-restart1.log

wait_for 120 grep -q "step *20/150" "$first" || fail "the run did not reach step 20"
scancel --signal=USR1 --batch "$job" || fail "scancel failed"
wait_for 60 grep -q "tokenformer.sbatch\] tf-launch exited 5: preempted" "$first" ||
  fail "no exit 5 after the signal"
grep -q "tokenformer.sbatch\] SIGUSR1 received" "$first" || fail "the batch shell did not log the signal"
step=$(sed -n 's/.*step *\([0-9]*\) | preempted by a signal.*/\1/p' "$first" | head -1)
[ -n "$step" ] && [ "$step" -ge 20 ] && [ "$step" -lt 150 ] || fail "no preemption step in the log"
[ -f "$WORK/ckpt/step_$step/COMPLETE" ] || fail "no complete checkpoint at step $step"

# Requeued: pending again (Slurm holds it back for a while), then restart 1 with its own log.
restarted() { [ "$(job_field "$job" Restarts)" = 1 ]; }
wait_for 60 restarted || fail "the job was not requeued"
wait_for 120 test -f "$second" || fail "the requeued job did not start again"
[ "$(job_field "$after" JobState)" = PENDING ] ||
  fail "the dependent job is $(job_field "$after" JobState) while the requeued job runs"
wait_state 120 "$job" COMPLETED
[ "$(job_field "$job" ExitCode)" = 0:0 ] || fail "exit code $(job_field "$job" ExitCode)"
[ "$(job_field "$job" Restarts)" = 1 ] || fail "Restarts=$(job_field "$job" Restarts), expected 1"
grep -q "job $job restart 1: " "$second" || fail "restart 1 not logged"
grep -q "resumed from $WORK/ckpt/step_$step: step $step" "$second" || fail "did not resume"

wait_state 120 "$whole" COMPLETED
whole_loss=$(final_loss "$WORK/logs/tokenformer-$whole-restart0.log")
grep -q "150/150" <<<"$whole_loss" || fail "the uninterrupted run logged no step 150"
[ "$(final_loss "$second")" = "$whole_loss" ] ||
  fail "final loss after requeue '$(final_loss "$second")', uninterrupted '$whole_loss'"

wait_state 60 "$after" COMPLETED
[ "$(epoch "$(job_field "$after" StartTime)")" -ge "$(epoch "$(job_field "$job" EndTime)")" ] ||
  fail "the dependent job started at $(job_field "$after" StartTime)," \
    "before the resumed run ended at $(job_field "$job" EndTime)"
echo "job $job preempted at step $step, requeued, resumed:" \
  "$(final_loss "$second") as uninterrupted job $whole"
echo "PASS"
