#!/usr/bin/env bash
# Checks the Mail library against dkimpy (PyPI, pinned below):
#   1. MailTests' InteropExportTests signs messages and DSNs with our DKIM signer and test-key.pem (and checks them
#      with our own verifier first);
#   2. verify.py verifies every one with dkimpy (and that a changed body fails), and reads the DSNs with Python's
#      email package.
# The dkimpy-signed fixtures that MailTests verifies come from make_vectors.py: `run.sh vectors` regenerates them.
# test-key.pem is a throwaway RSA-2048 key made for these checks (openssl genrsa -traditional); it signs nothing real.
# Exits non-zero on any failure.
# Usage: scripts/mail-interop/run.sh [vectors | extra swift test arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${MAIL_INTEROP_VENV:-/tmp/mail-interop-venv}"
requirements=("dkimpy==1.1.8" "pynacl==1.6.2")

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("dkimpy") != "1.1.8")' 2>/dev/null \
    || ! "$venv/bin/python" -c 'import nacl' 2>/dev/null; then
    "$venv/bin/pip" install -q --disable-pip-version-check "${requirements[@]}"
fi

if [ "${1:-}" = "vectors" ]; then
    exec "$venv/bin/python" "$here/make_vectors.py"
fi

out="$(mktemp -d /tmp/mail-interop.XXXXXX)"
trap 'rm -rf "$out"' EXIT

cd "$root"
MAIL_INTEROP_OUT="$out" MAIL_INTEROP_KEY="$here/test-key.pem" \
    swift test --filter MailTests.InteropExportTests "$@"
"$venv/bin/python" "$here/verify.py" "$out"
