#!/usr/bin/env bash
# End to end: a real Prometheus server (on loopback, temporary storage) scrapes a running
# tf-launch through the shipped deploy/prometheus configuration; the Grafana dashboard must decode
# with Grafana's own schema without loss (tests/e2e/grafana_schema.py), every PromQL expression of
# it must return data (those of GPU figures must return none: the run is on CPUs), and the alert
# rules must load.
source "$(dirname "$0")/lib.sh"
: "${TF_DEPLOY_DIR:?path of deploy/}"
PROMETHEUS=${PROMETHEUS:-prometheus}
command -v "$PROMETHEUS" >/dev/null || fail "no prometheus binary (scripts/install-deps.sh installs it)"

# dp 2: two ranks report figures.
# Periodic checkpoints: the trainer's own saves reach the checkpoint metrics.
RUN_RANKS=2 start_run --set metrics.peak_flops=1.0e11 --set train.micro_batch=2 \
  --set checkpoint.dir="$WORK/ckpt" --set checkpoint.interval=25
ctl status >/dev/null  # so that the control-request counter has a series

# The shipped configuration, with second-scale intervals so the test is short.
mkdir -p "$WORK/prometheus"
sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' -e 's/evaluation_interval: 15s/evaluation_interval: 1s/' \
  -e 's/refresh_interval: 30s/refresh_interval: 1s/' \
  "$TF_DEPLOY_DIR/prometheus/prometheus.yml" >"$WORK/prometheus/prometheus.yml"
cp "$TF_DEPLOY_DIR/prometheus/alerts.yml" "$WORK/prometheus/"
"$TF_DEPLOY_DIR/prometheus/publish-target.sh" "$WORK/prometheus/targets" "$METRICS"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  PROM_PORT=$((20000 + RANDOM % 30000))
  port_in_use "$PROM_PORT" || break
done
"$PROMETHEUS" --config.file="$WORK/prometheus/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")
API="http://127.0.0.1:$PROM_PORT/api/v1"

# query EXPR: prints the number of series in the instant-query result.
query() { curl -sf --max-time 5 "$API/query" --data-urlencode "query=$1" | jq '.data.result | length'; }
has_data() { [ "$(query "$1")" -gt 0 ]; }

wait_for 60 has_data 'up{job="tokenformer"} == 1' ||
  { tail -20 "$WORK/prometheus.log" >&2; fail "Prometheus does not scrape $METRICS"; }
sleep 5  # rate() over [1m] needs two samples at least; give it a few

# The dashboard decodes with Grafana's own schema without loss; its queries, as that schema reads
# them, are the expressions checked below.
dashboard=$TF_DEPLOY_DIR/grafana/tokenformer-training.json
"$TF_ENV_PYTHON" "$TF_E2E_DIR/grafana_schema.py" "$dashboard" || fail "the dashboard does not fit Grafana's schema"
queries=$("$TF_ENV_PYTHON" "$TF_E2E_DIR/grafana_schema.py" "$dashboard" --queries) ||
  fail "cannot read the dashboard's queries"
[ "$(wc -l <<<"$queries")" -eq "$(jq '[.panels[].targets[]] | length' "$dashboard")" ] ||
  fail "the schema's queries are not the file's"

missing=0
while IFS= read -r expr; do
  if [[ $expr == *_gpu_* ]]; then
    if has_data "$expr"; then
      echo "GPU DATA ON CPU RANKS: $expr" >&2
      missing=$((missing + 1))
    else
      echo "none (CPU ranks): $expr"
    fi
  elif wait_for 30 has_data "$expr"; then
    echo "data: $expr"
  else
    echo "NO DATA: $expr" >&2
    missing=$((missing + 1))
  fi
done <<<"$queries"
[ $missing -eq 0 ] || fail "$missing dashboard expressions return no data (or GPU data on CPUs)"

has_data 'tokenformer_step > 0' || fail "tokenformer_step is not positive"
for rank in 0 1; do
  has_data "tokenformer_rank_step_seconds{rank=\"$rank\"} > 0" || fail "no step time of rank $rank"
  has_data "tokenformer_rank_resident_memory_bytes{rank=\"$rank\"} > 1e6" ||
    fail "no resident memory of rank $rank"
done
has_data 'tokenformer_skipped_steps_total == 0' || fail "skipped steps counter missing or non-zero"
wait_for 30 has_data 'tokenformer_checkpoints_total{result="success"} > 0' ||
  fail "periodic checkpoints not counted"
has_data 'tokenformer_checkpoint_last_success_timestamp_seconds > 0' ||
  fail "no last checkpoint time"
has_data 'tokenformer_build_info{control="grpc"} == 1' || fail "no build info"
has_data 'tokenformer_control_requests_total{method="GetStatus",code="OK"} >= 1' ||
  fail "control request not counted"
rules=$(curl -sf --max-time 5 "$API/rules" | jq '[.data.groups[].rules[]] | length')
[ "$rules" = 5 ] || fail "alert rules loaded: $rules, expected 5"
echo "PASS"
