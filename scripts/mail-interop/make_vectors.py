#!/usr/bin/env python3
"""Regenerates the dkimpy-signed fixtures under Tests/MailTests/Fixtures/dkimpy.

Each fixture is a message signed by dkimpy (1.1.8, pinned in run.sh), sometimes altered after signing, with the
result our verifier must give recorded in manifest.json; keys.json holds the DNS TXT records of the keys. The RSA key
is test-key.pem beside this script; the Ed25519 key is the example key of RFC 8463 (a published test key). The
clock is fixed, so the output is the same on every run and a diff shows any change.

Usage: scripts/mail-interop/run.sh vectors     (or: <venv>/bin/python make_vectors.py [output directory])
"""

import base64
import json
import pathlib
import subprocess
import sys
import time

import dkim
import nacl.signing

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "Tests" / "MailTests" / "Fixtures" / "dkimpy"

DOMAIN = b"example.com"
RSA_SELECTOR = b"rsa2048"
ED_SELECTOR = b"ed25519"
# RFC 8463 appendix A.2's example private key (the seed, base64).
ED_SEED = b"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
FIXED_TIME = 1700000000

# dkimpy stamps t= from time.time(); a fixed clock makes the fixtures reproducible.
time.time = lambda: FIXED_TIME


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


PLAIN = crlf(
    "From: Jane Doe <jane@example.com>\n"
    "To: John Smith <john@example.net>,\n"
    "  \"Mary  Major\" <mary@example.org>\n"
    "Subject: Lunch   on\tThursday?\n"
    "  (folded subject line)\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
    "Message-ID: <plain-1@example.com>\n"
    "\n"
    "Hi John,  \n"
    "\n"
    "Shall we meet at\tnoon?   The usual place.\n"
    "  Indented line with trailing tab\t\n"
    "\n"
    "Jane\n"
    "\n"
    "\n"
)

MIME = crlf(
    "From: =?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.com>\n"
    "To: anna@example.net\n"
    "Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
    "Message-ID: <mime-1@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Grüße aus Köln – bis bald!\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>Gr=C3=BC=C3=9Fe aus K=C3=B6ln</p>\n"
    "--b1--\n"
)

EMPTY = crlf(
    "From: robot@example.com\n"
    "To: ops@example.net\n"
    "Subject: ping\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
    "Message-ID: <empty-1@example.com>\n"
    "\n"
)

# Two To and two Subject fields: a signer takes instances from the bottom up (RFC 6376 §5.4.2).
DUPLICATES = crlf(
    "From: jane@example.com\n"
    "To: first@example.net\n"
    "Subject: first subject\n"
    "To: second@example.net\n"
    "Subject: second subject\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
    "\n"
    "Which To was signed?\n"
)

HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type"]


def header_names(message: bytes) -> set:
    head = message.split(b"\r\n\r\n", 1)[0]
    return {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n") if line and line[:1] not in b" \t"}


def signature(message: bytes, canon: str, algorithm: bytes = b"rsa-sha256", length: bool = False, include=None) -> bytes:
    """The DKIM-Signature field dkimpy writes for the message (ending in CRLF)."""
    header_c, body_c = canon.encode().split(b"/")
    if algorithm == b"ed25519-sha256":
        selector, key = ED_SELECTOR, ED_SEED
    else:
        selector, key = RSA_SELECTOR, (HERE / "test-key.pem").read_bytes()
    present = include or [h for h in HEADERS if h in header_names(message)]
    return dkim.sign(
        message, selector, DOMAIN, key, canonicalize=(header_c, body_c), signature_algorithm=algorithm,
        include_headers=present, length=length)


def sign(message: bytes, canon: str, algorithm: bytes = b"rsa-sha256", length: bool = False) -> bytes:
    return signature(message, canon, algorithm, length) + message


def altered(message: bytes, canon: str, old: bytes, new: bytes, algorithm: bytes = b"rsa-sha256") -> bytes:
    """The message signed, then changed (the change is made outside the signature field)."""
    assert old in message, old
    return signature(message, canon, algorithm) + message.replace(old, new)


def rsa_record() -> str:
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(HERE / "test-key.pem"), "-pubout", "-outform", "DER"],
        check=True, capture_output=True).stdout
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def ed_record() -> str:
    public = nacl.signing.SigningKey(base64.b64decode(ED_SEED)).verify_key.encode()
    return "v=DKIM1; k=ed25519; p=" + base64.b64encode(public).decode()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.eml"):
        old.unlink()
    cases = []

    def add(name: str, data: bytes, expect: str, reason: str = "", note: str = "") -> None:
        (OUT / f"{name}.eml").write_bytes(data)
        cases.append({"file": f"{name}.eml", "expect": expect, "reason": reason, "note": note})

    for base_name, base in [("plain", PLAIN), ("mime", MIME), ("empty", EMPTY)]:
        for canon in ["simple/simple", "relaxed/relaxed", "relaxed/simple", "simple/relaxed"]:
            add(f"{base_name}-rsa-{canon.replace('/', '-')}", sign(base, canon), "pass", note=f"rsa-sha256 c={canon}")
    add("plain-ed25519-relaxed-relaxed", sign(PLAIN, "relaxed/relaxed", b"ed25519-sha256"), "pass",
        note="ed25519-sha256 (RFC 8463)")
    add("mime-ed25519-simple-simple", sign(MIME, "simple/simple", b"ed25519-sha256"), "pass",
        note="ed25519-sha256 (RFC 8463)")

    # h= naming a field once signs its last instance; naming it twice signs both, bottom one first. Naming it once
    # more than it occurs signs the absence of a further instance (over-signing).
    add("duplicates-rsa-once", signature(DUPLICATES, "relaxed/relaxed", include=[b"from", b"to", b"subject"]) + DUPLICATES,
        "pass", note="h= names to and subject once; two instances of each")
    add("duplicates-rsa-twice",
        signature(DUPLICATES, "simple/simple", include=[b"from", b"to", b"to", b"subject", b"subject", b"subject"])
        + DUPLICATES, "pass", note="h= names to twice and subject three times")
    add("duplicates-rsa-top-changed",
        signature(DUPLICATES, "relaxed/relaxed", include=[b"from", b"to", b"subject"])
        + DUPLICATES.replace(b"first@example.net", b"changed@example.net"), "pass",
        note="the unsigned (top) To changed after signing")
    add("duplicates-rsa-bottom-changed",
        signature(DUPLICATES, "relaxed/relaxed", include=[b"from", b"to", b"subject"])
        + DUPLICATES.replace(b"second@example.net", b"changed@example.net"), "fail", "signature",
        note="the signed (bottom) To changed after signing")
    add("duplicates-rsa-oversigned-added",
        signature(DUPLICATES, "relaxed/relaxed", include=[b"from", b"to", b"to", b"to", b"subject"])
        + DUPLICATES.replace(b"Date:", b"To: third@example.net\r\nDate:"), "fail", "signature",
        note="a third To added after over-signing to")

    # l= covers only the signed body, so text appended later leaves the signature intact.
    add("plain-rsa-length-appended", sign(PLAIN, "relaxed/relaxed", length=True) + b"Appended footer\r\n", "pass",
        note="l= with text appended after signing")

    # Relaxed canonicalization survives refolding, header-name case and whitespace changes; simple does not.
    subject = b"Subject: Lunch   on\tThursday?\r\n  (folded"
    refolded = b"SUBJECT:Lunch on Thursday?\r\n\t(folded"
    add("plain-rsa-relaxed-refolded", altered(PLAIN, "relaxed/relaxed", subject, refolded), "pass",
        note="Subject refolded and its name uppercased after signing")
    add("plain-rsa-simple-refolded", altered(PLAIN, "simple/simple", subject, refolded), "fail", "signature",
        note="Subject refolded after signing, simple header canonicalization")
    spaced = (b"Shall we meet at\tnoon?", b"Shall  we meet at noon?")
    add("plain-rsa-relaxed-body-whitespace", altered(PLAIN, "relaxed/relaxed", *spaced), "pass",
        note="body whitespace changed, relaxed body canonicalization")
    add("plain-rsa-simple-body-whitespace", altered(PLAIN, "simple/simple", *spaced), "fail", "body hash",
        note="body whitespace changed, simple body canonicalization")

    # Tampering.
    add("plain-rsa-tampered-body", altered(PLAIN, "relaxed/relaxed", b"noon", b"nine"), "fail", "body hash",
        note="body changed after signing")
    add("plain-rsa-tampered-subject", altered(PLAIN, "relaxed/relaxed", b"Thursday", b"Friday"), "fail", "signature",
        note="signed header changed after signing")
    add("mime-ed25519-tampered-from",
        altered(MIME, "relaxed/relaxed", b"<joerg@example.com>", b"<joerg@example.org>", b"ed25519-sha256"),
        "fail", "signature", note="From changed after signing")

    (OUT / "manifest.json").write_text(json.dumps(cases, indent=2) + "\n")
    keys = [
        {"selector": RSA_SELECTOR.decode(), "domain": DOMAIN.decode(), "record": rsa_record()},
        {"selector": ED_SELECTOR.decode(), "domain": DOMAIN.decode(), "record": ed_record()},
    ]
    (OUT / "keys.json").write_text(json.dumps(keys, indent=2) + "\n")

    # Every case must come out as recorded with dkimpy itself, or the fixture is wrong.
    records = {f"{k['selector']}._domainkey.{k['domain']}.".encode(): k["record"].encode() for k in keys}
    failures = 0
    for case in cases:
        ok = dkim.verify((OUT / case["file"]).read_bytes(), dnsfunc=lambda name, timeout=5: records.get(name))
        if ok != (case["expect"] == "pass"):
            print(f"dkimpy disagrees with {case['file']}: verify={ok}, expected {case['expect']}", file=sys.stderr)
            failures += 1
    print(f"{len(cases)} fixtures written to {OUT}, {failures} disagreements with dkimpy")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
