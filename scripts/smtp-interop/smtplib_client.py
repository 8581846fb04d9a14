#!/usr/bin/env python3
"""Python's smtplib as the peer of our SMTPServer (scripts/smtp-interop/run.sh).

Connects to --port on localhost, checks what the server offers before and after STARTTLS
(verifying its certificate against --cafile), authenticates with PLAIN, sends the messages the
Swift side expects (see Tests/SMTPTests/InteropTests.swift), then tries a wrong password and AUTH
LOGIN. Prints one line per check and exits non-zero on the first failure.
"""
import argparse
import smtplib
import ssl
import sys

DOTS = b"Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nlast\r\n"
UTF8 = "Subject: Grüße\r\n\r\nÄÖÜ\r\n".encode("utf-8")


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def connect(port, cafile):
    smtp = smtplib.SMTP("localhost", port, local_hostname="smtplib.example.test", timeout=30)
    smtp.ehlo()
    smtp.starttls(context=ssl.create_default_context(cafile=cafile))
    smtp.ehlo()
    return smtp


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    args = parser.parse_args()

    smtp = smtplib.SMTP("localhost", args.port, local_hostname="smtplib.example.test", timeout=30)
    code, _ = smtp.ehlo()
    check(code == 250, "EHLO answered 250")
    check(smtp.has_extn("starttls"), "STARTTLS offered in plain text")
    check(not smtp.has_extn("auth"), "no AUTH offered in plain text")
    code, message = smtp.mail("sender@example.org")
    check(code == 530, f"MAIL refused before STARTTLS ({code} {message!r})")
    code, _ = smtp.starttls(context=ssl.create_default_context(cafile=args.cafile))
    check(code == 220, "STARTTLS with a verified certificate")
    smtp.ehlo()
    for keyword in ["auth", "pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes"]:
        check(smtp.has_extn(keyword), f"{keyword.upper()} offered over TLS")
    check(not smtp.has_extn("starttls"), "no STARTTLS offered over TLS")
    code, message = smtp.mail("sender@example.org")
    check(code == 530, f"MAIL refused before AUTH ({code} {message!r})")
    smtp.rset()
    code, _ = smtp.login("user", "secret")
    check(code == 235, "AUTH PLAIN accepted")

    refused = smtp.sendmail("sender@example.org", ["a@example.test", "reject@example.test"], DOTS)
    check(list(refused) == ["reject@example.test"] and refused["reject@example.test"][0] == 550, f"one recipient refused: {refused}")
    refused = smtp.sendmail("sénder@example.org", ["ünï@example.test"], UTF8, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    check(refused == {}, "SMTPUTF8 and 8BITMIME message accepted")
    try:
        smtp.sendmail("sender@example.org", ["reject1@example.test", "reject2@example.test"], DOTS)
        check(False, "every recipient refused")
    except smtplib.SMTPRecipientsRefused as error:
        check(len(error.recipients) == 2, "every recipient refused")
    code, _ = smtp.quit()
    check(code == 221, "QUIT answered 221")

    smtp = connect(args.port, args.cafile)
    try:
        smtp.login("user", "wrong")
        check(False, "wrong password refused")
    except smtplib.SMTPAuthenticationError as error:
        check(error.smtp_code == 535, "wrong password refused with 535")
    smtp.quit()

    smtp = connect(args.port, args.cafile)
    smtp.user, smtp.password = "user", "secret"
    code, _ = smtp.auth("LOGIN", smtp.auth_login)
    check(code == 235, "AUTH LOGIN accepted")
    refused = smtp.sendmail("", ["b@example.test"], b"Subject: login\r\n\r\nvia LOGIN\r\n")
    check(refused == {}, "null sender accepted")
    smtp.quit()
    print("smtplib: every check passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
