#!/usr/bin/env bash
# End to end: a chain whose last stage needs another layout. One process trains the first two
# stages (growing live between them), writes a checkpoint and exits 3; a relaunch with too few
# ranks is refused by name; the relaunch with 2 ranks picks the last stage's layout (tp 2) by
# itself, loads the checkpoint, re-partitions the token rows, grows and finishes.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/chain.yaml" <<YAML
model: {hidden_size: 32, num_layers: 1, num_heads: 2, seq_len: 32, vocab_size: 257}
train: {global_batch: 4, micro_batch: 2, log_interval: 5, eval_batches: 2, threads: 1}
data: {synthetic: {documents: 100, doc_len: 128}}
checkpoint: {dir: $WORK/ckpt}
stages:
  - {name: small, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 16, steps: 10, lr: 3.0e-3}
  - {name: medium, qkv_tokens: 12, proj_tokens: 12, ffn_tokens: 24, steps: 10, lr: 2.0e-3,
     growth: preserve}
  - {name: large, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 32, steps: 10, lr: 1.0e-3,
     growth: normal, parallel: {tp: 2}}
YAML

rc=0
launch 1 --config "$WORK/chain.yaml" >"$WORK/run.log" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "first launch exited $rc, expected 3 (relaunch)"
grep -q "stage 'medium' starts at step 10" "$WORK/run.log" || fail "no live transition to medium"
grep -q "stage 'large' needs layout tp 2 x pp 1: relaunch the same command with a multiple of 2 ranks to continue from the checkpoint of step" "$WORK/run.log" ||
  fail "layout change not logged"
[ -f "$WORK/ckpt/step_20/COMPLETE" ] || fail "no complete checkpoint at step 20: $(ls "$WORK/ckpt")"

rc=0
launch 1 --config "$WORK/chain.yaml" >"$WORK/refused.log" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "relaunch on 1 rank exited $rc, expected 2 (bad input)"
grep -q "stage 'large' runs at tp 2 x pp 1, which does not fit the 1 rank of this job: launch it with a multiple of 2 ranks" \
  "$WORK/refused.log" || fail "unclear refusal: $(cat "$WORK/refused.log")"

launch 2 --config "$WORK/chain.yaml" >"$WORK/run.log" 2>&1 || fail "relaunch on 2 ranks failed"
grep -q "stage 'large' runs at tp 2 x pp 1" "$WORK/run.log" || fail "layout not picked"
grep -q "resumed from $WORK/ckpt/step_20: step 20" "$WORK/run.log" || fail "did not resume"
grep -q "stage 'large' starts at step 20" "$WORK/run.log" || fail "no transition to large"
grep -q "step *30/30" "$WORK/run.log" || fail "did not train to step 30"
grep -q "validation loss .* | done" "$WORK/run.log" || fail "no final validation"
[ -f "$WORK/ckpt/step_30/COMPLETE" ] || fail "no final checkpoint"
echo "PASS"
