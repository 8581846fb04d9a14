#!/usr/bin/env python3
"""Verifies messages signed by our DKIM signer with dkimpy, and reads our DSNs with Python's email package.

Reads OUT/manifest.json, written by MailTests' InteropExportTests: the signed messages and the TXT records their keys
are published under. Every message must verify with dkimpy; the same message with a changed body must not (so a
verifier that passes everything cannot pass this). Every DSN must be a multipart/report that Python's email package
reads as RFC 3464 delivery-status blocks. Exits non-zero on any failure.

Usage: verify.py OUT
"""

import email
import email.policy
import json
import pathlib
import sys

import dkim


def check_dkim(out: pathlib.Path, manifest: dict) -> list:
    records = {name.encode(): value.encode() for name, value in manifest["records"].items()}

    def dns(name, timeout=5):
        return records.get(name)

    problems = []
    for name in manifest["files"]:
        data = (out / name).read_bytes()
        found = []
        if not dkim.verify(data, dnsfunc=dns):
            found.append("dkimpy did not verify our signature")
        # A message with no body at all gets one, after the blank line that starts it.
        tampered = data + (b"" if b"\r\n\r\n" in data else b"\r\n") + b"tampered\r\n"
        if dkim.verify(tampered, dnsfunc=dns):
            found.append("dkimpy verified it with text appended to the body")
        problems += [f"dkim {name}: {problem}" for problem in found]
        print(f"{'FAIL' if found else 'ok  '} dkim {name}")
    return problems


def check_dsn(out: pathlib.Path, manifest: dict) -> list:
    problems = []
    for name in manifest.get("reports", []):
        message = email.message_from_bytes((out / name).read_bytes(), policy=email.policy.default)
        found = []
        if message.get_content_type() != "multipart/report":
            found.append(f"type {message.get_content_type()}")
        if message.get_param("report-type") != "delivery-status":
            found.append(f"report-type {message.get_param('report-type')}")
        parts = list(message.iter_parts()) if message.is_multipart() else []
        types = [part.get_content_type() for part in parts]
        if types[:2] != ["text/plain", "message/delivery-status"]:
            found.append(f"parts {types}")
        else:
            # Python reads a delivery-status body as a list of field blocks: per-message, then per-recipient.
            blocks = parts[1].get_payload()
            if len(blocks) < 2 or not blocks[0].get("Reporting-MTA", "").startswith("dns;"):
                found.append("no per-message block with Reporting-MTA")
            for block in blocks[1:]:
                for field in ("Final-Recipient", "Action", "Status"):
                    if not block.get(field):
                        found.append(f"a recipient block lacks {field}")
        problems += [f"dsn {name}: {problem}" for problem in found]
        print(f"{'FAIL' if found else 'ok  '} dsn  {name} {types}")
    return problems


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    manifest = json.loads((out / "manifest.json").read_text())
    if not manifest.get("files"):
        sys.exit("verify.py: the manifest lists no signed messages")
    problems = check_dkim(out, manifest) + check_dsn(out, manifest)
    for problem in problems:
        print(problem, file=sys.stderr)
    checks = len(manifest["files"]) + len(manifest.get("reports", []))
    failed = len({problem.split(": ")[0] for problem in problems})
    print(f"{checks - failed} passed, {failed} failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
