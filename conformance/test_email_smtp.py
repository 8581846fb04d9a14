"""Email leaving through SMTP, as an operator runs it: a custom domain verified on a DNS server of the test's own, the
official SDK sending, and real mail servers (aiosmtpd) receiving — a relay that insists on STARTTLS and AUTH, and mail
exchangers found by MX lookups for direct delivery. What they receive is checked as a receiver would: the envelope, the
TLS and login, the DKIM signature by an independent verifier (dkimpy). Their refusals come back as Bounced, their
temporary failures are retried, and the delivery status notifications (RFC 3464) and unsubscribe mails they send back
to the VERP address reach Switchboard's own SMTP listener and become reports and opt-outs."""

import email
import email.policy
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import uuid

import dkim
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from azure.communication.email import EmailClient
from azure.eventgrid import EventGridEvent

# The email suite's helpers and fixtures: its DNS server, webhook receiver, signed own-API calls and subscription.
from test_email import dns, own, receiver, subscribe, wait  # noqa: F401 (fixtures)

FAST = ["--webhook-retry-delays", "1s", "--email-retry-delays", "1s,1s"]
BODY = "It is on its way, and this sentence must not reach any log."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for the relay, and the file Switchboard is told to trust it by (`ca=`)."""
    folder = tmp_path_factory.mktemp("relay-tls")
    cert, key = folder / "relay.pem", folder / "relay-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class MailServer:
    """An aiosmtpd server that keeps what it is given and answers as told: `nobody*` is refused for good (550 5.1.1),
    `busy*` is refused for now (451 4.3.0) the first time and accepted after."""

    def __init__(self, certificate=None, credentials=None, require_tls=True):
        self.messages = []
        self.refusals = []
        self.peers = set()          # (address, port) of every connection a message came over
        self.lock = threading.Lock()
        self.busy_seen = set()
        kwargs = {}
        if certificate:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certificate[0]), str(certificate[1]))
            kwargs.update(tls_context=context, require_starttls=require_tls)
        if credentials:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == credentials
                return AuthResult(success=ok, auth_data=auth_data)
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="mx.test.example", **kwargs)
        self.controller.start()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0].lower()
        if local.startswith("nobody"):
            with self.lock:
                self.refusals.append(address)
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("busy"):
            with self.lock:
                first = address not in self.busy_seen
                self.busy_seen.add(address)
            if first:
                return "451 4.3.0 <%s>: Temporarily unavailable, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.peers.add(tuple(session.peer[:2]))
            self.messages.append({
                "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos), "data": envelope.original_content,
                "tls": session.ssl is not None, "login": session.auth_data.login.decode() if session.authenticated else None,
                "helo": session.host_name})
        return "250 2.0.0 Ok: queued"

    def received(self, recipient):
        with self.lock:
            return [m for m in self.messages if recipient in m["rcpt_tos"]]

    def close(self):
        self.controller.stop()


def message(sender, to, subject="Your order has shipped"):
    return {"senderAddress": sender, "recipients": {"to": [{"address": a} for a in to]},
            "content": {"subject": subject, "plainText": BODY, "html": f"<p>{BODY}</p>"}}


def reports(receiver, recipient, count):
    def found():
        events = [EventGridEvent.from_dict(e) for e in receiver.events() if e["data"]["recipient"] == recipient]
        return events if len(events) >= count else None
    return receiver.wait_for(found)


def verified_domain(cs, dns):
    """A custom domain set up as its owner would: added, its records published, verified."""
    domain = f"shop{uuid.uuid4().hex[:6]}.example"
    created = own(cs, "PUT", f"/email/domains/{domain}", {})
    assert created.status_code == 201, created.text
    records = created.json()["verificationRecords"]
    dns.zone.add_txt(domain, records["domain"]["value"])
    dns.zone.add_txt(domain, records["spf"]["value"])
    for record in records["dkim"]:
        dns.zone.add_txt(record["name"], record["value"])
    verified = own(cs, "POST", f"/email/domains/{domain}:verify").json()
    assert verified["canSend"], verified
    return domain


def dkim_passes(data, dns):
    def dnsfunc(name, timeout=5):
        answers = [r for r in dns.zone.records if str(r[0]).rstrip(".") == name.decode().rstrip(".") and r[1] == "TXT"]
        return b"".join(answers[0][2].data) if answers else None
    return dkim.verify(data, dnsfunc=dnsfunc)


def test_a_relay_that_insists_on_starttls_and_auth_gets_signed_mail_and_its_refusals_become_reports(
        start_server, dns, certificate, receiver):
    relay = MailServer(certificate, credentials=("relay-user", "s3cret-pass"))
    try:
        server = start_server(extra_args=[
            *FAST, "--dns-resolver", dns.address,
            "--email-relay", f"smtp://relay-user:s3cret-pass@127.0.0.1:{relay.port}?starttls=required&ca={certificate[0]}"])
        cs = server.connection_string
        subscribe(cs, receiver.url, ["Microsoft.Communication.EmailDeliveryReportReceived"])
        domain = verified_domain(cs, dns)
        client = EmailClient.from_connection_string(cs)

        result = client.begin_send(message(f"DoNotReply@{domain}", ["ann@example.net", "nobody@example.net"])).result()
        assert result["status"] == "Succeeded"
        (copy,) = wait(lambda: relay.received("ann@example.net"), timeout=30)
        assert copy["tls"] and copy["login"] == "relay-user"
        assert copy["mail_from"].startswith("bounces+") and copy["mail_from"].endswith("@" + domain)
        assert dkim_passes(copy["data"], dns)
        parsed = email.message_from_bytes(copy["data"], policy=email.policy.default)
        assert parsed["From"].addresses[0].addr_spec == f"donotreply@{domain}"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        (delivered,) = reports(receiver, "ann@example.net", 1)
        assert delivered.data["status"] == "Delivered"
        assert delivered.data["deliveryStatusDetails"]["recipientMailServerHostName"] == "mx.test.example"  # as it greets
        (bounced,) = reports(receiver, "nobody@example.net", 1)
        assert bounced.data["status"] == "Bounced" and "5.1.1" in bounced.data["deliveryStatusDetails"]["statusMessage"]

        # Within the hard-bounce lease the address is not tried again.
        client.begin_send(message(f"DoNotReply@{domain}", ["nobody@example.net"])).result()
        leased = reports(receiver, "nobody@example.net", 2)[-1]
        assert leased.data["status"] == "Suppressed" and leased.data["deliveryStatusDetails"]["statusMessage"].startswith("HardBounceLease")
        assert relay.refusals == ["nobody@example.net"]

        # A temporary refusal is retried, then delivered.
        client.begin_send(message(f"DoNotReply@{domain}", ["busy@example.net"])).result()
        (later,) = reports(receiver, "busy@example.net", 1)
        assert later.data["status"] == "Delivered" and len(relay.received("busy@example.net")) == 1

        # Connections stay open from batch to batch: sends one after another share the relay connection.
        peers = set(relay.peers)
        for name in ("carl", "dora", "emil"):
            client.begin_send(message(f"DoNotReply@{domain}", [f"{name}@example.net"])).result()
            wait(lambda: relay.received(f"{name}@example.net"), timeout=30)
        assert len(relay.peers - peers) <= 1, relay.peers

        # Neither the relay's password nor a message body is written to the log.
        log = server.read_log()
        assert "s3cret-pass" not in log and BODY not in log
    finally:
        relay.close()


def delivery_status_notification(original, recipient, status, diagnostic):
    """The DSN (RFC 3464) a mail exchanger sends back to the envelope sender when a message it took cannot be delivered."""
    parsed = email.message_from_bytes(original["data"], policy=email.policy.default)
    headers = original["data"].split(b"\r\n\r\n", 1)[0].decode()
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx1.example.org>\r\n"
        f"To: {original['mail_from']}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"\r\n'
        "\r\n--B0UND\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "\r\n--B0UND\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx1.example.org\r\n"
        f"Arrival-Date: {parsed['Date']}\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; store.example.org\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "\r\n--B0UND\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"{headers}\r\n"
        "\r\n--B0UND--\r\n")


def test_direct_delivery_follows_mx_and_the_bounces_and_unsubscribes_mailed_back_are_heard(
        start_server, dns, certificate, receiver):
    exchanger = MailServer(certificate, require_tls=False)
    listen_port = free_port()
    try:
        server = start_server(extra_args=[
            *FAST, "--dns-resolver", dns.address, "--email-direct", "--email-smtp-port", str(exchanger.port),
            "--smtp-listen", f"127.0.0.1:{listen_port}"])
        cs = server.connection_string
        subscribe(cs, receiver.url, ["Microsoft.Communication.EmailDeliveryReportReceived"])
        domain = verified_domain(cs, dns)
        client = EmailClient.from_connection_string(cs)
        dns.zone.add_mx("example.org", 10, "mx1.example.org")
        dns.zone.add_a("mx1.example.org", "127.0.0.1")
        dns.zone.add_mx("nomail.example", 0, ".")

        client.begin_send(message(f"DoNotReply@{domain}", ["kim@example.org", "lee@nomail.example", "max@nowhere.invalid"])).result()
        (copy,) = wait(lambda: exchanger.received("kim@example.org"), timeout=30)
        # STARTTLS is taken when offered, though the exchanger's certificate is its own (opportunistic TLS, RFC 7435).
        assert copy["tls"] and dkim_passes(copy["data"], dns)
        (delivered,) = reports(receiver, "kim@example.org", 1)
        assert delivered.data["status"] == "Delivered"
        assert delivered.data["deliveryStatusDetails"]["recipientMailServerHostName"] == "mx.test.example"
        (null_mx,) = reports(receiver, "lee@nomail.example", 1)
        assert null_mx.data["status"] == "Bounced" and "5.1.10" in null_mx.data["deliveryStatusDetails"]["statusMessage"]
        (no_domain,) = reports(receiver, "max@nowhere.invalid", 1)
        assert no_domain.data["status"] == "Bounced" and "5.1.2" in no_domain.data["deliveryStatusDetails"]["statusMessage"]

        # The exchanger took kim's copy, then could not store it: its DSN to the VERP address turns the report to
        # Bounced and starts the lease.
        dsn = delivery_status_notification(copy, "kim@example.org", "5.2.2", "552 5.2.2 Mailbox full")
        with smtplib.SMTP("127.0.0.1", listen_port) as smtp:
            smtp.sendmail("", [copy["mail_from"]], dsn.encode())
        late = reports(receiver, "kim@example.org", 2)[-1]
        assert late.data["status"] == "Bounced" and "5.2.2" in late.data["deliveryStatusDetails"]["statusMessage"]
        assert late.data["messageId"] == delivered.data["messageId"]
        client.begin_send(message(f"DoNotReply@{domain}", ["kim@example.org"])).result()
        assert reports(receiver, "kim@example.org", 3)[-1].data["status"] == "Suppressed"

        # An address this server never handed out is refused at RCPT, so forged bounces change nothing.
        with smtplib.SMTP("127.0.0.1", listen_port) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("", [f"bounces+{'a' * 42}@{domain}"], dsn.encode())
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("", [f"postmaster@{domain}.evil"], dsn.encode())

        # The recipient uses the mailto: of List-Unsubscribe: the mail to the VERP address records the opt-out.
        client.begin_send(message(f"DoNotReply@{domain}", ["pat@example.org"])).result()
        (second,) = wait(lambda: exchanger.received("pat@example.org"), timeout=30)
        parsed = email.message_from_bytes(second["data"], policy=email.policy.default)
        mailto = next(p.strip().strip("<>") for p in str(parsed["List-Unsubscribe"]).split(",") if "mailto:" in p)
        address, _, query = mailto[len("mailto:"):].partition("?")
        assert query == "subject=unsubscribe" and address == second["mail_from"]
        with smtplib.SMTP("127.0.0.1", listen_port) as smtp:
            smtp.sendmail("pat@example.org", [address], b"From: pat@example.org\r\nTo: " + address.encode()
                          + b"\r\nSubject: unsubscribe\r\n\r\n")
        optouts = wait(lambda: own(cs, "GET", "/messaging/optouts?recipient=pat%40example.org").json()["value"], timeout=30)
        assert optouts[0]["source"] == "unsubscribeMail" and optouts[0]["channel"] == "email"
        log = server.read_log()
        assert BODY not in log
    finally:
        exchanger.close()
