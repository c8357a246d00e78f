# shellcheck shell=bash
# Helpers for the end-to-end scripts (sourced). Every wait is bounded; cleanup kills what the
# script started, by process id.
source "$(dirname "${BASH_SOURCE[0]}")/../strict.sh"

: "${TF_LAUNCH:?path of tf-launch}"
: "${TF_CTL:?path of tf-ctl}"
: "${TF_E2E_DIR:?directory of the e2e files}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tf-e2e.XXXXXX")
PIDS=()

# tree PID: PID and its descendants (mpirun's ranks would outlive a killed mpirun).
tree() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1"); do tree "$child"; done
}

# rank_pids PID: the tf-launch processes under PID (mpirun's ranks), in start order.
rank_pids() {
  local pid
  for pid in $(tree "$1"); do
    if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = tf-launch ]; then echo "$pid"; fi
  done
}

cleanup() {
  local pid alive all=()
  for pid in "${PIDS[@]}"; do mapfile -t -O "${#all[@]}" all < <(tree "$pid"); done
  [ ${#all[@]} -eq 0 ] || kill "${all[@]}" 2>/dev/null || true
  for _ in $(seq 25); do  # up to 5 s to end by themselves
    alive=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 1 ] || break
    sleep 0.2
  done
  [ ${#all[@]} -eq 0 ] || kill -9 "${all[@]}" 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [ -f "$WORK/run.log" ]; then echo "--- run.log (last 40 lines)" >&2; tail -40 "$WORK/run.log" >&2; fi
  exit 1
}

# launch RANKS ARGS...: tf-launch with ARGS, under mpirun when RANKS > 1 (TF_MPIRUN).
launch() {
  local ranks=$1
  shift
  if [ "$ranks" -gt 1 ]; then
    : "${TF_MPIRUN:?mpirun command line}"
    # shellcheck disable=SC2086  # TF_MPIRUN is a command line
    OMP_NUM_THREADS=1 $TF_MPIRUN -x OMP_NUM_THREADS -np "$ranks" "$TF_LAUNCH" "$@"
  else
    OMP_NUM_THREADS=1 "$TF_LAUNCH" "$@"
  fi
}

# start_config CONFIG [--set ...]: starts tf-launch on CONFIG over RUN_RANKS ranks (default 1)
# with a control server (bearer token in $WORK/token) and a metrics exposer; appends to
# $WORK/run.log; sets RUN_PID, CONTROL, METRICS.
start_config() {
  local config=$1
  shift
  # Owner-only from the start, and 26 characters: the run refuses others' files and short tokens.
  [ -f "$WORK/token" ] ||
    (umask 077 && printf 'e2e-secret-%05d%05d%05d\n' $RANDOM $RANDOM $RANDOM >"$WORK/token")
  chmod 600 "$WORK/token"
  local from=1
  [ ! -f "$WORK/run.log" ] || from=$(($(wc -l <"$WORK/run.log") + 1))
  launch "${RUN_RANKS:-1}" --config "$config" \
    --set control.address=127.0.0.1:0 --set control.token_file="$WORK/token" \
    --set metrics.address=127.0.0.1:0 "$@" >>"$WORK/run.log" 2>&1 &
  RUN_PID=$!
  PIDS+=("$RUN_PID")
  wait_for 60 bash -c "tail -n +$from '$WORK/run.log' | grep -q 'control: listening on'" ||
    fail "control server did not start"
  CONTROL=$(tail -n +"$from" "$WORK/run.log" |
    sed -n 's/.*control: listening on \([0-9.]*:[0-9]*\).*/\1/p' | head -1)
  METRICS=$(tail -n +"$from" "$WORK/run.log" |
    sed -n 's|.*metrics: serving http://\([0-9.]*:[0-9]*\)/metrics.*|\1|p' | head -1)
  [ -n "$CONTROL" ] && [ -n "$METRICS" ] || fail "no addresses in the log"
}

# start_run [--set ...]: start_config on control_run.yaml.
start_run() { start_config "$TF_E2E_DIR/control_run.yaml" "$@"; }

ctl() { timeout 60 "$TF_CTL" --address "$CONTROL" "$@"; }

# metric NAME [LABELS]: the value of one series on the exposer, e.g. metric tokenformer_stage, or
# metric tokenformer_parameter_tokens 'projection="qkv"'.
metric() {
  local series=$1
  [ -z "${2:-}" ] || series="$1{$2}"
  curl -sf --max-time 5 "http://$METRICS/metrics" | awk -v s="$series" '$1 == s { print $2 }'
}

# json_field NAME: the value of a top-level scalar field of the JSON object on stdin.
json_field() { jq -r ".$1"; }
