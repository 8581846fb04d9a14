#!/usr/bin/env python3
"""aiosmtpd 1.4.6 as the peer of our SMTP client (scripts/smtp-interop/run.sh).

STARTTLS is required before anything else, AUTH PLAIN and LOGIN are offered over TLS only and
accept user/secret, recipients whose local part starts with "reject" get 550 5.1.1, and every
message accepted is appended to --out as one JSON line. Runs until SIGTERM or SIGINT.
"""
import argparse
import base64
import json
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "content": base64.b64encode(envelope.original_content).decode("ascii"),
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "helo": session.host_name,
        }
        with self.lock, open(self.out, "a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")
        return "250 2.0.0 Stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    accepted = isinstance(auth_data, LoginPassword) and auth_data.login == b"user" and auth_data.password == b"secret"
    # handled=False on failure: aiosmtpd then answers 535 itself (handled=True would leave the
    # reply to us, and the client would wait for one).
    return AuthResult(success=accepted, handled=accepted, auth_data=auth_data if accepted else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    controller = Controller(
        Handler(args.out),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="aiosmtpd.test",
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print(f"aiosmtpd listening on 127.0.0.1:{args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
