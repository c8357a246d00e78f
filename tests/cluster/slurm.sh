#!/usr/bin/env bash
# Slurm on two hosts: `sbatch -N 2 --ntasks-per-node=2 deploy/slurm/tokenformer.sbatch` trains
# the tiny model in both launch modes at once, mpirun inside the allocation (its daemon on node2
# started through Slurm) and srun --mpi=pmix. Each job completes with two ranks on each host (the
# rank status files name the hosts) and the losses of the same 4-rank run on one host. While the
# mpirun job runs, a real Prometheus on node2 scrapes the target the batch script published
# (node1:port), and finds the job up with its step.
source "$(dirname "$0")/slurm_lib.sh"
PROMETHEUS=${PROMETHEUS:-prometheus}
command -v "$PROMETHEUS" >/dev/null || fail "no prometheus binary (scripts/install-deps.sh installs it)"
STEPS=(--set train.steps=60)

# Prometheus on node2, with the shipped configuration at second-scale intervals.
mkdir -p "$WORK/prometheus"
sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' -e 's/evaluation_interval: 15s/evaluation_interval: 1s/' \
  -e 's/refresh_interval: 30s/refresh_interval: 1s/' \
  "$TF_SOURCE_DIR/deploy/prometheus/prometheus.yml" >"$WORK/prometheus/prometheus.yml"
cp "$TF_SOURCE_DIR/deploy/prometheus/alerts.yml" "$WORK/prometheus/"
on node2 "$PROMETHEUS" --config.file="$WORK/prometheus/prometheus.yml" \
  --storage.tsdb.path="$WORK/tsdb" --web.listen-address=127.0.0.1:9090 >"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")
# query EXPR: the number of series of the instant query, asked on node2.
query() {
  on node2 curl -sf --max-time 5 http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$1" |
    jq '.data.result | length'
}
has_data() { [ "$(query "$1")" -gt 0 ]; }
wait_for 30 on node2 curl -sf --max-time 2 http://127.0.0.1:9090/-/ready ||
  fail "Prometheus on node2 is not ready: $(tail -5 "$WORK/prometheus.log")"

# The two jobs run side by side (each node has room for both); the mpirun one publishes its
# metrics target. The reference runs meanwhile on this machine, one host.
port=9400
submit mpi "${TWO_NODES[@]}" --export="ALL,TF_LAUNCHER=mpirun,TF_PROMETHEUS_TARGETS=$WORK/prometheus/targets,TF_METRICS_PORT=$port" \
  "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" "${STEPS[@]}" --set checkpoint.dir="$WORK/ckpt-mpirun"
submit pmix "${TWO_NODES[@]}" --export=ALL,TF_LAUNCHER=srun \
  "$SBATCH_SCRIPT" "${TINY_ARGS[@]}" "${STEPS[@]}" --set checkpoint.dir="$WORK/ckpt-srun"
launch 4 "${TINY_ARGS[@]}" "${STEPS[@]}" --set checkpoint.dir="$WORK/ckpt-one" >"$WORK/one.log" 2>&1 ||
  fail "the run on one host failed: $(tail -5 "$WORK/one.log")"

# Scraped across hosts while the mpirun job trains.
wait_for 60 has_data "up{slurm_job_id=\"$mpi\", instance=\"node1:$port\"} == 1" ||
  fail "Prometheus on node2 does not scrape node1:$port: $(tail -5 "$WORK/prometheus.log")"
wait_for 30 has_data "tokenformer_step{slurm_job_id=\"$mpi\"} > 0" || fail "no tokenformer_step scraped"
echo "Prometheus on node2 scraped job $mpi at node1:$port: up, tokenformer_step > 0"

for job in "$mpi" "$pmix"; do
  wait_state 120 "$job" COMPLETED
  [ "$(job_field "$job" ExitCode)" = 0:0 ] || fail "job $job exit code $(job_field "$job" ExitCode)"
  [ "$(job_field "$job" NumNodes)" = 2 ] || fail "job $job ran on $(job_field "$job" NumNodes) nodes"
  [ "$(job_field "$job" NodeList)" = "node[1-2]" ] || fail "job $job nodes $(job_field "$job" NodeList)"
done
grep -q "launcher mpirun" "$(job_log "$mpi")" || fail "job $mpi not launched by mpirun"
grep -q "launcher srun" "$(job_log "$pmix")" || fail "job $pmix not launched by srun"
for mode in mpirun srun; do
  hosts=$(rank_hosts "$WORK/ckpt-$mode" | tr '\n' ' ')
  [ "$hosts" = "node1 2 node2 2 " ] || fail "$mode: ranks per host '$hosts', expected 2 on each"
done
for job in "$mpi" "$pmix"; do
  log=$(job_log "$job")
  grep -q "layout: world 4 = dp 4" "$log" || fail "job $job is not 4 ranks at dp 4"
  grep -q "60/60" <<<"$(final_loss "$log")" || fail "job $job logged no step 60"
  gap=$(same_losses "$WORK/one.log" "$log" 1e-5) ||
    fail "job $job's losses differ from the run on one host: $gap"
  echo "job $job ($(final_loss "$log")) against one host: $gap"
done
wait_for 10 test ! -e "$WORK/prometheus/targets/tokenformer-$mpi.json" ||
  fail "the metrics target was not removed"
echo "PASS"
