#!/usr/bin/env bash
# Slurm on two hosts: preemption of a 2-node job. Two 2-node jobs of the tiny model run side by
# side; one gets `scancel --signal=USR1 --batch` at step 15 or later. Its batch shell forwards the
# signal through mpirun to the ranks on both hosts, they write a checkpoint and exit 5, the script
# requeues the job, and the job runs again on both hosts (restart 1) from that checkpoint. Its
# logged losses, before and after the requeue, are bit-equal to the uninterrupted job's at every
# step, and both end with the same weights.
source "$(dirname "$0")/slurm_lib.sh"
STEPS=(--set train.steps=60)

submit whole "${TWO_NODES[@]}" "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" "${STEPS[@]}" \
  --set checkpoint.dir="$WORK/whole"
submit job "${TWO_NODES[@]}" "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" "${STEPS[@]}" \
  --set checkpoint.dir="$WORK/ckpt"
first=$(job_log "$job")
second=$(job_log "$job" 1)

wait_for 120 grep -q "step *15/60" "$first" || fail "the run did not reach step 15"
scancel --signal=USR1 --batch "$job" || fail "scancel failed"
wait_for 60 grep -q "tokenformer.sbatch\] tf-launch exited 5: preempted" "$first" ||
  fail "no exit 5 after the signal"
step=$(sed -n 's/.*step *\([0-9]*\) | preempted by a signal.*/\1/p' "$first" | head -1)
[ -n "$step" ] && [ "$step" -ge 15 ] && [ "$step" -lt 60 ] || fail "no preemption step in the log"
[ -f "$WORK/ckpt/step_$step/COMPLETE" ] || fail "no complete checkpoint at step $step"

restarted() { [ "$(job_field "$job" Restarts)" = 1 ]; }
wait_for 60 restarted || fail "the job was not requeued"
wait_state 120 "$job" COMPLETED
[ "$(job_field "$job" ExitCode)" = 0:0 ] || fail "exit code $(job_field "$job" ExitCode)"
[ "$(job_field "$job" NodeList)" = "node[1-2]" ] || fail "restart 1 ran on $(job_field "$job" NodeList)"
grep -q "resumed from $WORK/ckpt/step_$step: step $step" "$second" || fail "did not resume"
hosts=$(rank_hosts "$WORK/ckpt" | tr '\n' ' ')
[ "$hosts" = "node1 2 node2 2 " ] || fail "ranks per host after the requeue '$hosts'"

wait_state 120 "$whole" COMPLETED
trajectory "$first" "$second" >"$WORK/preempted.log"
gap=$(same_losses "$(job_log "$whole")" "$WORK/preempted.log" 0) ||
  fail "the requeued job's losses differ from the uninterrupted job's: $gap"
for file in "$WORK"/whole/step_60/*.safetensors; do
  cmp -s "$file" "$WORK/ckpt/step_60/${file##*/}" || fail "final weights differ: ${file##*/}"
done
echo "job $job preempted at step $step, requeued, resumed on both hosts: bit-equal to job" \
  "$whole ($gap)"
echo "PASS"
