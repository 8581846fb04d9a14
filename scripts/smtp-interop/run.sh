#!/usr/bin/env bash
# Proves the SMTP target against real peers on loopback: our client against aiosmtpd 1.4.6 (STARTTLS
# required, AUTH PLAIN over TLS) and our server against Python's smtplib (STARTTLS with a verified
# certificate, AUTH PLAIN and LOGIN, SMTPUTF8, 8BITMIME, refused recipients). Both are driven from
# Tests/SMTPTests/InteropTests.swift, which this script enables through the environment.
# Usage: scripts/smtp-interop/run.sh [extra swift test arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${SMTP_INTEROP_VENV:-/tmp/smtp-interop-venv}"
port="${AIOSMTPD_PORT:-5825}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null || "$venv/bin/pip" install -q 'aiosmtpd==1.4.6'

work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# aiosmtpd's certificate: self-signed for localhost, trusted by the Swift client as its only root.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
: > "$work/received.jsonl"

"$venv/bin/python" "$here/aiosmtpd_peer.py" --port "$port" --cert "$work/cert.pem" --key "$work/key.pem" \
    --out "$work/received.jsonl" > "$work/aiosmtpd.log" 2>&1 &
pid=$!
# The peer prints its line once its listener is up (Controller.start waits for that).
for _ in $(seq 100); do
    grep -q "listening" "$work/aiosmtpd.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/aiosmtpd.log" >&2; echo "aiosmtpd failed to start" >&2; exit 1; }
    sleep 0.1
done
grep -q "listening" "$work/aiosmtpd.log" || { echo "aiosmtpd did not start listening" >&2; exit 1; }

cd "$root"
set +e
SMTP_INTEROP_AIOSMTPD="127.0.0.1:$port" SMTP_INTEROP_CA="$work/cert.pem" SMTP_INTEROP_RECEIVED="$work/received.jsonl" \
    SMTP_INTEROP_PYTHON="$venv/bin/python" SMTP_INTEROP_SMTPLIB="$here/smtplib_client.py" \
    swift test --filter 'SMTPTests.InteropTests' "$@" 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e
# A filter that matched nothing, or tests skipped for want of the environment, must not pass.
passed=$(grep -cE '✔ Test (clientAgainstAiosmtpd|serverAgainstSmtplib)\(\) passed' "$work/test.log" || true)
if [ "$status" -ne 0 ] || [ "$passed" -ne 2 ]; then
    echo "smtp-interop: FAILED (swift test exit $status, $passed of 2 interop tests passed)" >&2
    echo "--- aiosmtpd log" >&2
    cat "$work/aiosmtpd.log" >&2
    exit 1
fi
echo "smtp-interop: 2 passed, 0 failed"
