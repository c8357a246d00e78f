#!/usr/bin/env bash
# Slurm: a 2-rank tiny run submitted with deploy/slurm/tokenformer.sbatch (mpirun inside the
# allocation) runs to completion: job COMPLETED with exit 0, the log of restart 0 has the final
# step. While it runs, its metrics target is published for Prometheus and serves the run's
# metrics; it is removed when the job ends.
source "$(dirname "$0")/lib.sh"

# A free port for the exporter.
port=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
export TF_PROMETHEUS_TARGETS=$WORK/targets TF_METRICS_PORT=$port

submit job "${TWO_RANKS[@]}" "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" --set checkpoint.dir="$WORK/ckpt"
log=$WORK/logs/tokenformer-$job-restart0.log
target=$TF_PROMETHEUS_TARGETS/tokenformer-$job.json

wait_for 60 test -f "$target" || fail "no metrics target $target"
address=$(jq -r '.[0].targets[0]' "$target")
[ "$address" = "$(hostname):$port" ] || fail "target '$address', expected $(hostname):$port"
[ "$(jq -r '.[0].labels.slurm_job_id' "$target")" = "$job" ] ||
  fail "no slurm_job_id label: $(cat "$target")"
wait_for 60 grep -q "step *10/150" "$log" || fail "the run did not reach step 10"
step=$(curl -sf --max-time 5 "http://$address/metrics" | awk '$1 == "tokenformer_step" { print $2 }')
[ -n "$step" ] && [ "$step" -ge 10 ] || fail "metrics at $address: tokenformer_step '$step'"

wait_state 120 "$job" COMPLETED
[ "$(job_field "$job" ExitCode)" = 0:0 ] || fail "exit code $(job_field "$job" ExitCode)"
[ "$(job_field "$job" Restarts)" = 0 ] || fail "restarted $(job_field "$job" Restarts) times"
[ "$(job_field "$job" NumTasks)" = 2 ] || fail "$(job_field "$job" NumTasks) tasks, expected 2"
grep -q "launcher mpirun" "$log" || fail "not launched by mpirun"
grep -q "layout: world 2 = dp 2" "$log" || fail "not 2 ranks"
grep -q "150/150" <<<"$(final_loss "$log")" || fail "no final step in $log"
grep -q "tokenformer.sbatch\] tf-launch finished" "$log" || fail "the script did not log the end"
[ -f "$WORK/ckpt/step_150/COMPLETE" ] || fail "no final checkpoint"
wait_for 10 test ! -e "$target" || fail "the metrics target was not removed"
echo "job $job: $(final_loss "$log"), metrics served at $address (step $step)"
echo "PASS"
