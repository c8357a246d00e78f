#!/usr/bin/env bash
# Slurm: a chain whose last stage needs another layout, submitted by deploy/slurm/chain.sh and
# launched with srun --mpi=pmix (TF_LAUNCHER=srun). `tf-launch plan` gives two jobs: stages 1-2
# on 1 rank, stage 3 at tp 2 on 2 ranks. The first ends with status 3 (mapped to 0), the second
# waits for it (afterok), starts after it, resumes from its checkpoint, runs the last stage at
# tp 2 and finishes. A plan that leaves a job at dp auto (no --ranks) submits nothing.
source "$(dirname "$0")/lib.sh"
export TF_LAUNCHER=srun

cat >"$WORK/chain.yaml" <<YAML
model: {hidden_size: 32, num_layers: 1, num_heads: 2, seq_len: 32, vocab_size: 257}
train: {global_batch: 4, micro_batch: 2, log_interval: 5, eval_batches: 2, threads: 1}
data: {synthetic: {documents: 100, doc_len: 128}}
parallel: {dp: 1}
checkpoint: {dir: $WORK/ckpt}
control: {address: ""}
stages:
  - {name: small, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16, steps: 10, lr: 3.0e-3}
  - {name: medium, qkv_tokens: 12, proj_tokens: 12, ffn_tokens: 24, steps: 10, lr: 2.0e-3,
     growth: preserve}
  - {name: large, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 32, steps: 10, lr: 1.0e-3,
     growth: normal, parallel: {tp: 2}}
YAML
chain=$TF_SOURCE_DIR/deploy/slurm/chain.sh

# dp auto and no --ranks: refused before anything is submitted.
before=$(squeue -h -o %i | wc -l)
rc=0
(cd "$WORK" && "$chain" --gpus-per-node 2 --config "$WORK/chain.yaml" --set parallel.dp=0) \
  >"$WORK/refused.txt" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "chain.sh with dp auto and no --ranks exited $rc, expected 2"
grep -q "job 1 (stages small to medium) has dp auto: give --ranks N" "$WORK/refused.txt" ||
  fail "unclear refusal: $(cat "$WORK/refused.txt")"
[ "$(squeue -h -o %i | wc -l)" = "$before" ] || fail "the refused chain submitted jobs"

rc=0
(cd "$WORK" && "$chain" --gpus-per-node 2 --config "$WORK/chain.yaml") >"$WORK/chain.txt" 2>&1 || rc=$?
cat "$WORK/chain.txt"
mapfile -t ids < <(sed -n 's/^job [0-9]*: \([0-9]*\) .*/\1/p' "$WORK/chain.txt")
JOBS+=("${ids[@]}")
[ $rc -eq 0 ] || fail "chain.sh exited $rc"
[ ${#ids[@]} -eq 2 ] || fail "expected 2 jobs, chain.sh printed: $(cat "$WORK/chain.txt")"
grep -q "^job 1: ${ids[0]} (stages small to medium, tp 1 x pp 1 x dp 1 = 1 rank on 1 node)" \
  "$WORK/chain.txt" || fail "job 1 line"
grep -q "^job 2: ${ids[1]} (stages large to large, tp 2 x pp 1 x dp 1 = 2 ranks on 1 node)" \
  "$WORK/chain.txt" || fail "job 2 line"
[ "$(job_field "${ids[1]}" Dependency)" = "afterok:${ids[0]}(unfulfilled)" ] ||
  fail "job 2 dependency '$(job_field "${ids[1]}" Dependency)'"

wait_state 120 "${ids[0]}" COMPLETED
[ "$(job_field "${ids[0]}" ExitCode)" = 0:0 ] || fail "job 1 exit code $(job_field "${ids[0]}" ExitCode)"
[ "$(job_field "${ids[0]}" NumTasks)" = 1 ] || fail "job 1 ran $(job_field "${ids[0]}" NumTasks) tasks"
log1=$WORK/logs/tokenformer-${ids[0]}-restart0.log
grep -q "launcher srun" "$log1" || fail "job 1 not launched by srun"
grep -q "stage 'medium' starts at step 10" "$log1" || fail "no live transition to medium"
grep -q "stage 'large' needs layout tp 2 x pp 1 x dp 1: relaunch the same command with 2 ranks to continue from the checkpoint of step" "$log1" ||
  fail "layout change not logged"
grep -q "tokenformer.sbatch\] tf-launch exited 3: stage done" "$log1" || fail "exit 3 not mapped"
[ -f "$WORK/ckpt/step_20/COMPLETE" ] || fail "no complete checkpoint at step 20"

wait_state 120 "${ids[1]}" COMPLETED
[ "$(job_field "${ids[1]}" ExitCode)" = 0:0 ] || fail "job 2 exit code $(job_field "${ids[1]}" ExitCode)"
[ "$(job_field "${ids[1]}" NumTasks)" = 2 ] || fail "job 2 ran $(job_field "${ids[1]}" NumTasks) tasks"
[ "$(epoch "$(job_field "${ids[1]}" StartTime)")" -ge "$(epoch "$(job_field "${ids[0]}" EndTime)")" ] ||
  fail "job 2 started at $(job_field "${ids[1]}" StartTime)," \
    "before job 1 ended at $(job_field "${ids[0]}" EndTime)"
log2=$WORK/logs/tokenformer-${ids[1]}-restart0.log
grep -q "stage 'large' runs at tp 2 x pp 1" "$log2" || fail "layout not picked"
grep -q "resumed from $WORK/ckpt/step_20: step 20" "$log2" || fail "job 2 did not resume"
grep -q "stage 'large' starts at step 20" "$log2" || fail "no transition to large"
grep -q "step *30/30" "$log2" || fail "did not train to step 30"
grep -q "validation loss .* | done" "$log2" || fail "no final validation"
[ -f "$WORK/ckpt/step_30/COMPLETE" ] || fail "no final checkpoint"
echo "PASS"
