#!/usr/bin/env bash
# End to end: with control.tls_cert/tls_key the API (of a 2-rank dp 2 job) speaks TLS only. tf-ctl
# with the CA reaches it (and the token still decides mutating calls); a plaintext client does not.
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "no openssl (scripts/install-deps.sh installs it)"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
# A key that belongs to another certificate: refused before gRPC sees it, by a dry run as at launch.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other -keyout "$WORK/other.key" \
  -out "$WORK/other.pem" 2>/dev/null
(umask 077 && printf 'tls-e2e-token-%05d%05d\n' $RANDOM $RANDOM >"$WORK/token")
rc=0
out=$(launch 1 --config "$TF_E2E_DIR/control_run.yaml" --set control.token_file="$WORK/token" \
  --set control.tls_cert="$WORK/cert.pem" --set control.tls_key="$WORK/other.key" --dry-run 2>&1) ||
  rc=$?
[ $rc -eq 2 ] && grep -qF "control.tls_key: $WORK/other.key does not belong to the certificate \
$WORK/cert.pem" <<<"$out" || fail "a mismatched key (exit $rc): $(tail -3 <<<"$out")"

RUN_RANKS=2 start_run --set control.tls_cert="$WORK/cert.pem" --set control.tls_key="$WORK/key.pem" \
  --set train.micro_batch=2
grep -q "control: listening on $CONTROL (TLS)" "$WORK/run.log" || fail "TLS not announced"

TLS=(--tls-ca "$WORK/cert.pem" --timeout 10)
[ "$(ctl "${TLS[@]}" --json status | json_field state)" = RUN_STATE_RUNNING ] || fail "TLS status"
rc=0
out=$(ctl --timeout 5 --json status) || rc=$?
[ $rc -eq 1 ] && [ "$(json_field code <<<"$out")" = UNAVAILABLE ] || fail "plaintext reached it: $out"
json_field message <<<"$out" | grep -q "does the server use TLS, control.tls_cert? then give --tls-ca FILE" ||
  fail "the plaintext refusal gives no hint: $out"
# A CA that did not sign the server's certificate: the hint says so, and not to drop --tls-ca.
rc=0
out=$(ctl --tls-ca "$WORK/other.pem" --timeout 5 --json status 2>/dev/null) || rc=$?
[ $rc -eq 1 ] && json_field message <<<"$out" | grep -q "does not verify against the CA of --tls-ca" ||
  fail "the wrong-CA failure gives no hint: $out"
! json_field message <<<"$out" | grep -q "leave out --tls-ca" || fail "wrong-CA hint: $out"
out=$(ctl "${TLS[@]}" --json pause) || true
[ "$(json_field code <<<"$out")" = UNAUTHENTICATED ] || fail "no-token pause over TLS: $out"
ctl "${TLS[@]}" --token-file "$WORK/token" stop >/dev/null || fail "stop over TLS"
wait_exit 60 "$RUN_PID" || fail "tf-launch did not exit 0 after stop"
echo "PASS"
