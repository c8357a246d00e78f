#!/usr/bin/env bash
# Slurm on two hosts: deploy/slurm/chain.sh submits a chain whose stages use different node
# counts (2 GPUs per node): stage 'small' at dp 2 (2 ranks on 1 node), then stage 'large' at
# tp 2 x dp 2 (4 ranks on 2 nodes), launched with srun --mpi=pmix. The second job waits for the
# first (afterok), runs on both hosts, resumes from its checkpoint and trains to the end.
source "$(dirname "$0")/slurm_lib.sh"
export TF_LAUNCHER=srun

cat >"$WORK/chain.yaml" <<YAML
model: {hidden_size: 32, num_layers: 1, num_heads: 2, seq_len: 32, vocab_size: 257}
train: {global_batch: 4, micro_batch: 2, log_interval: 5, eval_batches: 2, threads: 1}
data: {synthetic: {documents: 100, doc_len: 128}}
parallel: {dp: 2}
checkpoint: {dir: $WORK/ckpt}
control: {address: ""}
stages:
  - {name: small, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16, steps: 10, lr: 3.0e-3}
  - {name: large, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 32, steps: 10, lr: 1.0e-3,
     growth: normal, parallel: {tp: 2, dp: 2}}
YAML

rc=0
(cd "$WORK" && on node1 "$TF_SOURCE_DIR/deploy/slurm/chain.sh" --gpus-per-node 2 \
  --config "$WORK/chain.yaml") >"$WORK/chain.txt" 2>&1 || rc=$?
cat "$WORK/chain.txt"
[ $rc -eq 0 ] || fail "chain.sh exited $rc"
mapfile -t ids < <(sed -n 's/^job [0-9]*: \([0-9]*\) .*/\1/p' "$WORK/chain.txt")
[ ${#ids[@]} -eq 2 ] || fail "expected 2 jobs, chain.sh printed: $(cat "$WORK/chain.txt")"
grep -q "^job 1: ${ids[0]} (stages small to small, tp 1 x pp 1 x dp 2 = 2 ranks on 1 node)" \
  "$WORK/chain.txt" || fail "job 1 line"
grep -q "^job 2: ${ids[1]} (stages large to large, tp 2 x pp 1 x dp 2 = 4 ranks on 2 nodes)" \
  "$WORK/chain.txt" || fail "job 2 line"

wait_state 120 "${ids[0]}" COMPLETED
[ "$(job_field "${ids[0]}" NumNodes)" = 1 ] || fail "job 1 ran on $(job_field "${ids[0]}" NumNodes) nodes"
[ "$(job_field "${ids[0]}" NumTasks)" = 2 ] || fail "job 1 ran $(job_field "${ids[0]}" NumTasks) tasks"
log1=$(job_log "${ids[0]}")
grep -q "tokenformer.sbatch\] tf-launch exited 3: stage done" "$log1" || fail "exit 3 not mapped"
[ -f "$WORK/ckpt/step_10/COMPLETE" ] || fail "no complete checkpoint at step 10"
[ "$(rank_hosts "$WORK/ckpt" | wc -l)" = 1 ] || fail "job 1's ranks on several hosts"

wait_state 120 "${ids[1]}" COMPLETED
[ "$(job_field "${ids[1]}" NodeList)" = "node[1-2]" ] ||
  fail "job 2 ran on $(job_field "${ids[1]}" NodeList)"
[ "$(job_field "${ids[1]}" NumTasks)" = 4 ] || fail "job 2 ran $(job_field "${ids[1]}" NumTasks) tasks"
log2=$(job_log "${ids[1]}")
grep -q "launcher srun" "$log2" || fail "job 2 not launched by srun"
grep -q "resumed from $WORK/ckpt/step_10: step 10" "$log2" || fail "job 2 did not resume"
grep -q "stage 'large' starts at step 10" "$log2" || fail "no transition to large"
grep -q "step *20/20" "$log2" || fail "did not train to step 20"
[ -f "$WORK/ckpt/step_20/COMPLETE" ] || fail "no final checkpoint"
hosts=$(rank_hosts "$WORK/ckpt" | tr '\n' ' ')
[ "$hosts" = "node1 2 node2 2 " ] || fail "job 2's ranks per host '$hosts'"
echo "chain: job ${ids[0]} on 1 node x 2 ranks, job ${ids[1]} on 2 nodes x 2 ranks"
echo "PASS"
