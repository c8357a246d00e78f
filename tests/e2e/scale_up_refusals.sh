#!/usr/bin/env bash
# End to end: a ScaleUp can never kill a run. On a 2-rank job (tp 2), a count beyond 2^31 - 1
# (10^12 tokens) is refused as invalid, a huge one within it (2 x 10^9) by the memory estimate,
# and a request whose allocation really fails on rank 1
# (its address space limited with prlimit while paused) is refused after both ranks agree. The job
# trains on, and its losses equal those of a run that never received a request.
source "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || fail "no prlimit (util-linux)"

STEPS=300
cat >"$WORK/run.yaml" <<YAML
model: {hidden_size: 32, num_layers: 1, num_heads: 2, qkv_tokens: 32, proj_tokens: 32,
        ffn_tokens: 64, seq_len: 32, vocab_size: 257}
train: {steps: $STEPS, global_batch: 4, micro_batch: 4, log_interval: 1, eval_interval: 100,
        eval_batches: 1, threads: 1}
data: {synthetic: {documents: 100, doc_len: 128}}
parallel: {tp: 2}
YAML
TOKEN=(--token-file "$WORK/token")

# The losses of every step and validation, without time stamps and step times.
losses() { sed -n 's/.*r0\] \(step .* | lr [^|]*\)|.*/\1/p; s/.*r0\] \(step .*validation loss [0-9.]*\).*/\1/p' "$1"; }

launch 2 --config "$WORK/run.yaml" --set control.address= >"$WORK/reference.log" 2>&1 ||
  fail "reference run failed: $(tail -5 "$WORK/reference.log")"
[ "$(losses "$WORK/reference.log" | grep -c 'loss')" -gt "$STEPS" ] || fail "no losses in the reference log"

RUN_RANKS=2 start_config "$WORK/run.yaml"
ctl "${TOKEN[@]}" pause >/dev/null || fail "pause refused"

# expect_refusal CODE TEXT ARGS...: tf-ctl exits 1 with CODE and a message containing TEXT.
expect_refusal() {
  local code=$1 text=$2 out rc=0
  shift 2
  out=$(ctl --json "${TOKEN[@]}" "$@") || rc=$?
  [ $rc -eq 1 ] || fail "tf-ctl $* exited $rc, expected 1: $out"
  [ "$(json_field code <<<"$out")" = "$code" ] || fail "tf-ctl $*: $out, expected $code"
  grep -qF "$text" <<<"$(json_field message <<<"$out")" || fail "tf-ctl $*: '$out' does not say '$text'"
  echo "refused: $(json_field message <<<"$out")"
}
expect_refusal INVALID_ARGUMENT "tokens.qkv_tokens must be within [1, 2147483647]" \
  scale-up --qkv-tokens 1000000000000 --proj-tokens 32 --ffn-tokens 64
expect_refusal RESOURCE_EXHAUSTED "rank 0 has" \
  scale-up --qkv-tokens 2000000000 --proj-tokens 32 --ffn-tokens 64

# Rank 1's process: the tf-launch below mpirun whose environment names world rank 1.
rank1=""
for pid in $(tree "$RUN_PID"); do
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = tf-launch ] &&
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then
    rank1=$pid
  fi
done
[ -n "$rank1" ] || fail "rank 1's process not found"
# 64 MiB of address space left: the ~128 MiB blocks of a million new FFN tokens cannot be mapped.
vsize=$(awk '/^VmSize:/ { printf "%d", $2 * 1024 }' "/proc/$rank1/status")
prlimit --pid "$rank1" --as=$((vsize + 64 * 1024 * 1024)): || fail "prlimit failed"  # soft limit
expect_refusal RESOURCE_EXHAUSTED "failed on rank 1" \
  scale-up --qkv-tokens 32 --proj-tokens 32 --ffn-tokens 1000000
prlimit --pid "$rank1" --as=unlimited: || fail "cannot lift the limit"
grep -q "r1\] growth to qkv 32, proj 32, ffn 1000000 tokens failed here: " "$WORK/run.log" ||
  fail "rank 1 did not log its allocation failure"

status=$(ctl --json status)
[ "$(jq -r .tokens.ffn_tokens <<<"$status")" = 64 ] || fail "the model changed: $status"
ctl "${TOKEN[@]}" resume >/dev/null || fail "resume refused"
rc=0
wait_exit 120 "$RUN_PID" || rc=$?
[ $rc -eq 0 ] || fail "the run exited $rc after the refusals"
diff <(losses "$WORK/reference.log") <(losses "$WORK/run.log") >"$WORK/diff.txt" ||
  fail "losses differ from the run without requests: $(head -5 "$WORK/diff.txt")"
echo "identical losses over $STEPS steps"
echo "PASS"
