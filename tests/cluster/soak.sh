#!/usr/bin/env bash
# The fault soak (run by hand, as root; not a ctest): one training run of the tiny model under
# Slurm on 2 test hosts x 2 ranks (deploy/slurm/tokenformer.sbatch; TF_LAUNCHER srun by default,
# or mpirun), while K faults are injected at random steps (seeded), in turn:
#   kill     kill -9 of one rank (a tf-launch process on either host)
#   stop     SIGSTOP of one rank; the step time-out (fault.step_timeout) ends the job
#   link     node2's link to the bridge goes down; up again once the job has ended
#   host     every process of node2 is killed at once (slurmd too; started again afterwards)
#   preempt  scancel --signal=USR1 --batch: the ranks checkpoint, exit 5, the job requeues itself
# After a failure the soak submits the same job again (same arguments and checkpoint.dir), as an
# operator or a resubmitting wrapper would; every run resumes from the newest complete checkpoint.
# At the end the whole logged loss trajectory (the last value logged for each step) must be
# bit-equal to an uninterrupted job's at the same layout, with no step missing, and the final
# checkpoints' files identical. Prints one line per fault and a table.
#
# usage: [TF_LAUNCHER=mpirun|srun] TF_LAUNCH=... TF_CTL=... TF_SOURCE_DIR=... \
#          tests/cluster/soak.sh [K] [SEED]
#   K     faults (default 10); SEED  the random steps' and ranks' seed (default 1)
launcher=${TF_LAUNCHER:-srun}  # (slurm_lib.sh clears the batch script's settings)
source "$(dirname "$0")/slurm_lib.sh"
export TF_LAUNCHER=$launcher
K=${1:-10}
SEED=${2:-1}
[[ $K =~ ^[1-9][0-9]*$ ]] && [[ $SEED =~ ^[0-9]+$ ]] || { echo "usage: $0 [K] [SEED]" >&2; exit 2; }
RANDOM=$SEED
KINDS=(kill stop link host preempt)
STEPS=$((20 * K + 20))
TIMEOUT=5  # fault.step_timeout
ARGS=("${TINY_ARGS[@]}" --set "train.steps=$STEPS" --set checkpoint.interval=5
      --set "fault.step_timeout=$TIMEOUT" --set fault.startup_timeout=60
      --set fault.checkpoint_timeout=30)

# The uninterrupted job first, on the same hosts at the same layout.
submit whole "${TWO_NODES[@]}" "$SBATCH_SCRIPT" "${ARGS[@]}" --set checkpoint.dir="$WORK/whole"
wait_state 600 "$whole" COMPLETED
echo "uninterrupted job $whole: $(final_loss "$(job_log "$whole")")"


# now_ms: milliseconds since 1970.
now_ms() { date +%s%3N; }
# last_step LOG: the last step the log shows trained (0 before the first).
last_step() {
  sed -n 's/.*step *\([0-9]*\)\/[0-9]* | loss.*/\1/p' "$1" 2>/dev/null | tail -1 | grep . || echo 0
}
# newest_complete: the step of the newest complete checkpoint (0: none).
newest_complete() {
  find "$WORK/ckpt" -maxdepth 2 -name COMPLETE -path '*/step_*' 2>/dev/null |
    sed 's|.*/step_\([0-9]*\)/COMPLETE|\1|' | sort -n | tail -1 | grep . || echo 0
}
# relaunch: a new job with the same arguments and checkpoint directory, as an operator (or a
# resubmitting wrapper) would after a failure; it resumes from the newest complete checkpoint.
# (A new job rather than `scontrol requeue`: a requeued job keeps its id, and after a lost host
# the ranks of such a job were seen killed on that node without a fault, docs/slurm.md.)
relaunch() {
  submit job "${TWO_NODES[@]}" "$SBATCH_SCRIPT" "${ARGS[@]}" --set checkpoint.dir="$WORK/ckpt"
  RUNS+=("$job")
}
# failed: the job ended in failure.
failed() { [[ $(job_field "$job" JobState) =~ ^(FAILED|NODE_FAIL|TIMEOUT|OUT_OF_MEMORY|CANCELLED)$ ]]; }
# unplanned: a failure the soak did not inject: counted in the table, relaunched like the others.
unplanned() {
  local log step
  [ "$(grep -c unplanned "$WORK/table")" -lt 5 ] || fail "more than 5 failures the soak did not inject"
  log=$(job_log "$job" "$(job_field "$job" Restarts)")
  step=$(last_step "$log")
  echo "unplanned failure: job $job $(job_field "$job" JobState) at step $step," \
    "exit $(job_field "$job" ExitCode): relaunched"
  UNPLANNED_AT=$step UNPLANNED_NEWEST=$(newest_complete)
  relaunch
  training
  local resumed
  resumed=$(sed -n 's/.*resumed from .*: step \([0-9]*\).*/\1/p' "$(job_log "$job" "$RESTARTS")" | head -1)
  printf '%s %s %s %s %s %s %s\n' "-" unplanned "$step" - "${resumed:--}" $((step - ${resumed:-0})) \
    "$([ -n "$resumed" ] && [ "$resumed" -ge "$UNPLANNED_NEWEST" ] && echo yes || echo no)" |
    tee -a "$WORK/table"
}
# training: waits until the job runs and its ranks train; sets RESTARTS (its restart count).
training() {
  local deadline=$((SECONDS + 180)) log
  while :; do
    RESTARTS=$(job_field "$job" Restarts)
    log=$(job_log "$job" "$RESTARTS")
    if [ "$(job_field "$job" JobState)" = RUNNING ] && [ -f "$log" ] &&
      grep -q "step *[0-9]*/$STEPS | loss" "$log"; then
      return
    fi
    if failed; then unplanned; return; fi
    [ $SECONDS -lt $deadline ] || fail "job $job does not train after 180 s"
    sleep 0.2
  done
}
# reached STEP: the current run logged STEP (or later); an unplanned failure on the way is
# relaunched and waited through.
reached() {
  local deadline=$((SECONDS + 180))
  until [ "$(last_step "$(job_log "$job" "$RESTARTS")")" -ge "$1" ]; do
    ! failed || unplanned
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}
# rank_pid HOST|any: the pid of one rank (a tf-launch process) of the job, picked at random.
rank_pid() {
  local hosts=(node1 node2) pids=() host pid
  [ "$1" = any ] || hosts=("$1")
  for host in "${hosts[@]}"; do
    for pid in $(host_pids "$host"); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = tf-launch ] && pids+=("$pid")
    done
  done
  [ ${#pids[@]} -gt 0 ] || fail "no rank of job $job on ${hosts[*]}"
  echo "${pids[RANDOM % ${#pids[@]}]}"
}
# ended RESTARTS: the run of restart RESTARTS is over (the job left RUNNING or was requeued).
ended() {
  [ "$(job_field "$job" JobState)" != RUNNING ] || [ "$(job_field "$job" Restarts)" != "$1" ]
}
# settled: the job is in a final state, or pending again.
settled() {
  case $(job_field "$job" JobState) in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PENDING) return 0 ;;
    *) return 1 ;;
  esac
}
# node2_back: node2 back after a lost host, as after a reboot: its spool and temporary
# directories empty (the killed slurmstepd's PMIx sockets would refuse the requeued job's step,
# which has the same id), slurmd started again, and the node usable.
node2_back() {
  rm -rf "${SLURM_DIR:?}"/spool/node2/* "$SLURM_DIR"/tmp/node2/*
  on node2 slurmd -f "$SLURM_CONF" -N node2 || fail "slurmd did not start again on node2"
  node_ready() { [[ $(on node1 sinfo -h -n node2 -o %t) =~ ^(idle|mix|alloc)$ ]]; }
  if ! wait_for 30 node_ready; then
    scontrol update nodename=node2 state=resume || true
    wait_for 30 node_ready || fail "node2 is $(on node1 sinfo -h -n node2 -o %t) after its slurmd restarted"
  fi
}

RUNS=()  # the jobs of the soaked run, in order
relaunch
printf '%s\n' "fault kind step_injected detect_s checkpoint_resumed steps_lost recovered" >"$WORK/table"
for ((i = 1; i <= K; i++)); do
  kind=${KINDS[(i - 1) % ${#KINDS[@]}]}
  training
  from=$(last_step "$(job_log "$job" "$RESTARTS")")
  target=$((from + 3 + RANDOM % 10))
  [ $target -lt $((STEPS - 5)) ] || fail "fault $i: step $target is too near the end ($STEPS): more steps"
  reached "$target" || fail "fault $i: the run does not reach step $target"
  log=$(job_log "$job" "$RESTARTS")
  case $kind in
    kill) pid=$(rank_pid any); t0=$(now_ms); kill -9 "$pid" ;;
    stop) pid=$(rank_pid any); t0=$(now_ms); kill -STOP "$pid" ;;
    link) t0=$(now_ms); link node2 down ;;
    host)
      # Not the host's holder process (the host itself, tests/cluster/hosts.sh).
      mapfile -t pids < <(host_pids node2 | grep -vx "$(cat "$CLUSTER_DIR/node2.pid")")
      t0=$(now_ms)
      kill -9 "${pids[@]}" 2>/dev/null || true
      ;;
    preempt) t0=$(now_ms); scancel --signal=USR1 --batch "$job" ;;
  esac
  injected=$(last_step "$log")
  newest=$(newest_complete)
  if wait_for 120 ended "$RESTARTS"; then
    detect=$((($(now_ms) - t0) / 100))
    detect="$((detect / 10)).$((detect % 10))"
  else
    detect="-"  # not ended by itself: cancelled below
    scancel "$job" || true
  fi
  [ "$kind" != link ] || link node2 up
  [ "$kind" != host ] || node2_back
  wait_for 300 settled || fail "fault $i: job $job is $(job_field "$job" JobState) after 300 s"
  state=$(job_field "$job" JobState)
  if [ "$state" != PENDING ]; then
    echo "fault $i ($kind): job $job $state, exit $(job_field "$job" ExitCode): relaunched"
    relaunch
  fi
  training
  next=$(job_log "$job" "$RESTARTS")
  resumed=$(sed -n 's/.*resumed from .*: step \([0-9]*\).*/\1/p' "$next" | head -1)
  # Recovered: resumed from the newest checkpoint complete at the fault, or from one the ranks
  # completed while ending (the preemption's own).
  recovered=no
  [ -n "$resumed" ] && [ "$resumed" -ge "$newest" ] && recovered=yes
  # The work lost: the steps the run had trained (its last logged step) beyond that checkpoint.
  lost=$(($(last_step "$log") - ${resumed:-0}))
  printf '%s %s %s %s %s %s %s\n' "$i" "$kind" "$injected" "$detect" "${resumed:--}" "$lost" "$recovered" |
    tee -a "$WORK/table"
done

deadline=$((SECONDS + 900))
until [ "$(job_field "$job" JobState)" = COMPLETED ]; do
  ! failed || unplanned
  [ $SECONDS -lt $deadline ] || fail "job $job is $(job_field "$job" JobState) after 900 s"
  sleep 0.5
done
# Every run in order: each job's restarts, job after job.
logs=()
for run in "${RUNS[@]}"; do
  for ((r = 0; r <= $(job_field "$run" Restarts); r++)); do logs+=("$(job_log "$run" "$r")"); done
done
trajectory "${logs[@]}" >"$WORK/soak.log"
gap=$(same_losses "$(job_log "$whole")" "$WORK/soak.log" 0) ||
  fail "the soaked run's losses differ from the uninterrupted run's: $gap"
files=0
for file in "$WORK"/whole/step_$STEPS/*.safetensors; do
  cmp -s "$file" "$WORK/ckpt/step_$STEPS/${file##*/}" || fail "final weights differ: ${file##*/}"
  files=$((files + 1))
done
echo
echo "soak: $K faults, seed $SEED, launcher $TF_LAUNCHER, $STEPS steps: jobs ${RUNS[*]}, ${#logs[@]} runs"
echo "losses against the uninterrupted job $whole: $gap"
echo "final checkpoint step_$STEPS: $files weight files identical"
echo
column -t "$WORK/table"
UNPLANNED=$(grep -c unplanned "$WORK/table" || true)
recovered=$(awk 'NR > 1 && $2 != "unplanned" && $7 == "yes"' "$WORK/table" | wc -l)
echo "recovered $recovered of $K injected faults; $UNPLANNED failures not injected (relaunched too)"
[ "$recovered" = "$K" ] || fail "not every fault recovered"
echo "PASS"
