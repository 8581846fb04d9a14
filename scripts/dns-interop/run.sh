#!/usr/bin/env bash
# Runs the DNS client's interop tests against two real DNS server implementations on loopback:
# dnslib's zoneresolver (PyPI) and dnsmasq (Debian), both serving example.test.zone's records.
# Usage: scripts/dns-interop/run.sh [extra swift test arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${DNS_INTEROP_VENV:-/tmp/dns-interop-venv}"
dnslib_port="${DNSLIB_PORT:-5391}"
dnsmasq_port="${DNSMASQ_PORT:-5392}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import dnslib' 2>/dev/null || "$venv/bin/pip" install -q 'dnslib==0.9.26'
command -v dnsmasq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

"$venv/bin/python" -m dnslib.zoneresolver --zone "$here/example.test.zone" --address 127.0.0.1 \
    --port "$dnslib_port" --tcp --udplen 512 --log=error &
pids+=($!)
dnsmasq --no-daemon --conf-file="$here/dnsmasq.conf" --port="$dnsmasq_port" --pid-file= --user=root &
pids+=($!)
sleep 1
for pid in "${pids[@]}"; do kill -0 "$pid" || { echo "a DNS peer failed to start" >&2; exit 1; }; done

cd "$root"
DNS_INTEROP_DNSLIB="127.0.0.1:$dnslib_port" DNS_INTEROP_DNSMASQ="127.0.0.1:$dnsmasq_port" \
    swift test --filter DNSClientTests.InteropTests "$@"
