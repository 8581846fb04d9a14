"""Email through the official SDK (azure-communication-email 1.1.0) against a live server, as a new user goes about it:
the quick start on the resource's sandbox domain, every error ACS answers, a custom domain whose records are published on
a DNS server of the test's own and verified, DKIM checked by an independent verifier (dkimpy), the one-click unsubscribe
posted by a real HTTP client, suppression and the hard-bounce lease, reports parsed by azure-eventgrid, and the content
gone from the store once delivered."""

import email
import email.policy
import pathlib
import re
import sqlite3
import time
import urllib.parse
import uuid

import dkim
import pytest
import requests
from azure.communication.email import EmailClient
from azure.core.exceptions import HttpResponseError
from azure.eventgrid import EventGridEvent

from conftest import signed_request
from dns_peer import DNSPeer
from webhook_receiver import Receiver

OWN = "2026-12-01"
FAST = ["--webhook-retry-delays", "1s"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def dns():
    peer = DNSPeer()
    yield peer
    peer.close()


def own(cs, method, path, body=None):
    return signed_request(cs, method, path, body, api_version=OWN)


def wait(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def message(sender, to, subject="Your order has shipped", **extra):
    body = {"senderAddress": sender, "recipients": {"to": [{"address": a} for a in to]},
            "content": {"subject": subject, "plainText": "It is on its way.", "html": "<p>It is <b>on its way</b>.</p>"}}
    body.update(extra)
    return body


def mailbox(cs, recipient=None):
    query = f"?recipient={urllib.parse.quote(recipient)}" if recipient else ""
    response = own(cs, "GET", f"/sandbox/email/messages{query}")
    assert response.status_code == 200, response.text
    return response.json()["value"]


def raw(cs, message_id):
    response = own(cs, "GET", f"/sandbox/email/messages/{message_id}/raw")
    assert response.status_code == 200 and response.headers["Content-Type"] == "message/rfc822", response.text
    return response.content


def dkim_record(cs, domain):
    response = own(cs, "GET", f"/email/domains/{domain}")
    assert response.status_code == 200, response.text
    return {r["name"]: r["value"] for r in response.json()["verificationRecords"]["dkim"]}


def verify_dkim(raw_message, records):
    """dkimpy's verdict, with the DKIM TXT records handed to it as DNS would."""
    def dnsfunc(name, timeout=5):
        value = records.get(name.decode().rstrip("."))
        return value.encode() if value else None
    return dkim.verify(raw_message, dnsfunc=dnsfunc)


def subscribe(cs, url, types):
    body = {"properties": {
        "destination": {"endpointType": "WebHook", "properties": {"endpointUrl": url, "maxEventsPerBatch": 1}},
        "filter": {"includedEventTypes": types}, "eventDeliverySchema": "EventGridSchema"}}
    response = signed_request(cs, "PUT", f"/eventSubscriptions/{uuid.uuid4().hex[:12]}", body, api_version="2022-06-15")
    assert response.status_code == 201, response.text


def test_the_quick_start_sends_from_the_sandbox_domain_and_the_mailbox_shows_the_signed_message(start_server):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    sender = "DoNotReply@dev.sandbox.switchboard.test"
    client = EmailClient.from_connection_string(cs)
    poller = client.begin_send({
        **message(sender, ["alice@example.com"], subject="Grüße, Alice 👋"),
        "recipients": {"to": [{"address": "alice@example.com", "displayName": "Alice Ä"}],
                       "cc": [{"address": "bob@example.com"}], "bcc": [{"address": "carol@example.com"}]},
        "attachments": [{"name": "invoice.txt", "contentType": "text/plain", "contentInBase64": "SW52b2ljZSAjNDI="}],
        "replyTo": [{"address": "support@example.com", "displayName": "Support"}],
        "headers": {"x-campaign": "spring"}})
    result = poller.result()
    assert result["status"] == "Succeeded" and result["id"] == poller.result()["id"]

    # Every recipient's copy is in the sandbox mailbox; Bcc is not written into any of them.
    for address in ["alice@example.com", "bob@example.com", "carol@example.com"]:
        (copy,) = wait(lambda: mailbox(cs, address))
        assert copy["subject"] == "Grüße, Alice 👋" and copy["outcome"] == "Delivered"
        assert copy["text"].strip() == "It is on its way." and "<b>on its way</b>" in copy["html"]
        assert copy["attachments"] == [{"name": "invoice.txt", "contentType": "text/plain", "size": 11}]
        assert copy["dkim"]["status"] == "pass", copy["dkim"]
        data = raw(cs, copy["id"])
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert "carol@example.com" not in str(parsed["To"]) + str(parsed.get("Cc", ""))
        assert parsed["Reply-To"].addresses[0].addr_spec == "support@example.com"
        assert parsed["x-campaign"] == "spring"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/-/unsubscribe/" in parsed["List-Unsubscribe"]
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
        # An independent verifier agrees with the signature, and it covers what it must.
        assert verify_dkim(data, dkim_record(cs, "dev.sandbox.switchboard.test"))
        signature = parsed["DKIM-Signature"].replace(" ", "").replace("\t", "").replace("\r\n", "")
        signed = set(dict(t.split("=", 1) for t in signature.split(";") if "=" in t)["h"].lower().split(":"))
        assert {"from", "to", "subject", "date", "message-id", "mime-version", "content-type", "list-unsubscribe",
                "list-unsubscribe-post"} <= signed


def test_what_acs_refuses_is_refused_with_its_codes(start_server):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    client = EmailClient.from_connection_string(cs)
    sender = "DoNotReply@dev.sandbox.switchboard.test"

    def refused(body, status=400):
        with pytest.raises(HttpResponseError) as raised:
            client.begin_send(body)
        assert raised.value.status_code == status, raised.value
        return raised.value.error.code

    assert refused(message(sender, ["not-an-address"])) == "InvalidEmailAddress"
    assert refused(message(sender, [f"r{i}@example.com" for i in range(51)])) == "TooManyRecipients"
    assert refused(message("someone@contoso.com", ["a@example.com"])) == "DomainNotLinked"
    assert refused(message("nobody@dev.sandbox.switchboard.test", ["a@example.com"])) == "InvalidSenderUsername"
    no_content = message(sender, ["a@example.com"])
    no_content["content"] = {"subject": "Empty"}
    assert refused(no_content) == "InvalidRequest"
    assert refused(message(sender, ["a@example.com"], attachments=[
        {"name": "setup.exe", "contentType": "application/octet-stream", "contentInBase64": "TVo="}])) == "InvalidAttachmentType"
    assert refused(message(sender, ["a@example.com"], headers={"From": "ceo@example.com"})) == "InvalidRequest"
    big = "A" * (14 * 1000 * 1000)  # 10.5 MB once decoded
    assert refused(message(sender, ["a@example.com"], attachments=[
        {"name": "big.bin", "contentType": "application/octet-stream", "contentInBase64": big}]), 413) == "EmailSizeLimitExceeded"

    # Operation-Id is the idempotency key: the same send again answers the same operation and sends nothing more;
    # another send with the same id is a conflict.
    operation_id = str(uuid.uuid4())
    first = client.begin_send(message(sender, ["once@example.com"]), operation_id=operation_id).result()
    again = client.begin_send(message(sender, ["once@example.com"]), operation_id=operation_id).result()
    assert first["id"] == again["id"] == operation_id
    time.sleep(0.5)
    assert len(mailbox(cs, "once@example.com")) == 1
    with pytest.raises(HttpResponseError) as raised:
        client.begin_send(message(sender, ["other@example.com"]), operation_id=operation_id)
    assert raised.value.status_code == 409 and raised.value.error.code == "OperationIdAlreadyUsed"
    response = signed_request(cs, "GET", f"/emails/operations/{uuid.uuid4()}", api_version="2025-09-01")
    assert response.status_code == 404 and response.json()["error"]["code"] == "OperationNotFound"


def test_a_custom_domain_verifies_against_published_records_and_signs_as_itself(start_server, dns):
    server = start_server(extra_args=[*FAST, "--dns-resolver", dns.address, "--email-spf", "include:spf.switchboard.test"])
    cs = server.connection_string
    domain = f"shop{uuid.uuid4().hex[:6]}.example"
    created = own(cs, "PUT", f"/email/domains/{domain}", {})
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["status"] == "NotStarted" and not view["canSend"]
    records = view["verificationRecords"]
    assert records["spf"]["value"] == "v=spf1 include:spf.switchboard.test -all"

    # Not yet verified: sending is refused.
    client = EmailClient.from_connection_string(cs)
    with pytest.raises(HttpResponseError) as raised:
        client.begin_send(message(f"DoNotReply@{domain}", ["a@example.com"]))
    assert raised.value.error.code == "DomainNotVerified"

    # Only the ownership record published: ownership verifies, SPF and DKIM fail with what was found.
    dns.zone.add_txt(domain, records["domain"]["value"])
    partial = own(cs, "POST", f"/email/domains/{domain}:verify").json()
    assert partial["verificationStates"]["domain"]["status"] == "Verified"
    assert partial["verificationStates"]["spf"]["status"] == "Failed" and not partial["canSend"]

    dns.zone.add_txt(domain, records["spf"]["value"])
    for record in records["dkim"]:
        dns.zone.add_txt(record["name"], record["value"])
    dns.zone.add_txt(records["dmarc"]["name"], records["dmarc"]["value"])
    verified = own(cs, "POST", f"/email/domains/{domain}:verify").json()
    assert verified["status"] == "Verified" and verified["canSend"], verified
    assert all(s["status"] == "Verified" for s in verified["verificationStates"]["dkim"].values())

    # A registered username sends; the signature's d= is the domain (DMARC alignment) and dkimpy verifies it.
    assert own(cs, "PUT", f"/email/domains/{domain}/senders/orders", {"displayName": "Shop Orders"}).status_code == 201
    result = client.begin_send(message(f"orders@{domain}", ["dave@example.com"])).result()
    assert result["status"] == "Succeeded"
    (copy,) = wait(lambda: mailbox(cs, "dave@example.com"))
    data = raw(cs, copy["id"])
    assert f"d={domain}".encode() in data.replace(b"\r\n\t", b"").replace(b" ", b"")
    assert b'From: "Shop Orders" <orders@' + domain.encode() in data or b"From: Shop Orders <orders@" + domain.encode() in data
    assert verify_dkim(data, {r["name"]: r["value"] for r in records["dkim"]})

    senders = own(cs, "GET", f"/email/domains/{domain}/senders").json()["value"]
    assert {s["username"] for s in senders} == {"donotreply", "orders"}
    assert own(cs, "DELETE", f"/email/domains/{domain}/senders/orders").status_code == 204
    with pytest.raises(HttpResponseError):
        client.begin_send(message(f"orders@{domain}", ["dave@example.com"]))


def test_one_click_unsubscribe_suppression_and_the_bounce_lease_as_reports(start_server, receiver):
    server = start_server(extra_args=FAST)
    # The opt-out is the policy gate's: it refuses on a resource that enforces (the dev resource only audits).
    created = server.cli("resource", "create", "news", "--geography", "unitedstates", "--policy-mode", "enforce", "--json")
    cs = created["connectionString"]
    subscribe(cs, receiver.url, ["Microsoft.Communication.EmailDeliveryReportReceived"])
    client = EmailClient.from_connection_string(cs)
    sender = "DoNotReply@news.sandbox.switchboard.test"
    consent = signed_request(cs, "POST", "/messaging/consents", {
        "recipient": "erin@example.com", "channel": "email", "programId": "default", "kind": "written",
        "evidence": {"medium": "webForm", "callToAction": "Send me the newsletter."}}, api_version=OWN)
    assert consent.status_code == 201, consent.text

    def reports(recipient, count):
        def found():
            events = [EventGridEvent.from_dict(e) for e in receiver.events() if e["data"]["recipient"] == recipient]
            return events if len(events) >= count else None
        return receiver.wait_for(found)

    # Delivered, with a report parsed by azure-eventgrid.
    first = client.begin_send(message(sender, ["erin@example.com"])).result()
    (delivered,) = reports("erin@example.com", 1)
    assert delivered.event_type == "Microsoft.Communication.EmailDeliveryReportReceived"
    assert delivered.subject == f"sender/donotreply@news.sandbox.switchboard.test/message/{first['id']}"
    assert delivered.data["status"] == "Delivered" and delivered.data["messageId"] == first["id"]
    assert delivered.data["internetMessageId"].startswith("<") and delivered.data["deliveryStatusDetails"]["recipientMailServerHostName"]

    # The recipient presses one-click unsubscribe in their mail client: a POST of List-Unsubscribe=One-Click, no login.
    (copy,) = mailbox(cs, "erin@example.com")
    parsed = email.message_from_bytes(raw(cs, copy["id"]), policy=email.policy.default)
    link = parsed["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert requests.get(link, timeout=10).status_code == 200  # a link scanner's GET changes nothing
    client.begin_send(message(sender, ["erin@example.com"])).result()
    wait(lambda: len(mailbox(cs, "erin@example.com")) == 2)
    posted = requests.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert posted.status_code == 200
    assert requests.post(link[:-4] + "AAAA", data={"List-Unsubscribe": "One-Click"}, timeout=10).status_code == 404
    client.begin_send(message(sender, ["erin@example.com"])).result()
    suppressed = reports("erin@example.com", 3)[-1]
    assert suppressed.data["status"] == "Suppressed"
    assert suppressed.data["deliveryStatusDetails"]["statusMessage"].startswith("RecipientOptedOut")
    assert len(mailbox(cs, "erin@example.com")) == 2
    optouts = own(cs, "GET", "/messaging/optouts?recipient=erin%40example.com").json()["value"]
    assert optouts and optouts[0]["source"] == "unsubscribeLink"

    # The domain's suppression list and the bounce lease are the channel's own: they hold on the auditing dev resource too.
    cs = server.connection_string
    subscribe(cs, receiver.url, ["Microsoft.Communication.EmailDeliveryReportReceived"])
    client = EmailClient.from_connection_string(cs)
    sender = "DoNotReply@dev.sandbox.switchboard.test"
    domain = "dev.sandbox.switchboard.test"
    assert own(cs, "PUT", f"/email/domains/{domain}/suppressionList/frank%40example.com", {"reason": "asked by phone"}).status_code == 201
    client.begin_send(message(sender, ["frank@example.com"])).result()
    (listed,) = reports("frank@example.com", 1)
    assert listed.data["status"] == "Suppressed" and listed.data["deliveryStatusDetails"]["statusMessage"].startswith("SuppressionList")
    assert own(cs, "DELETE", f"/email/domains/{domain}/suppressionList/frank%40example.com").status_code == 204
    client.begin_send(message(sender, ["frank@example.com"])).result()
    assert reports("frank@example.com", 2)[-1].data["status"] == "Delivered"

    # A hard bounce: reported Bounced, and the next send within the lease is suppressed without an attempt.
    client.begin_send(message(sender, ["bounce-grace@example.com"])).result()
    (bounced,) = reports("bounce-grace@example.com", 1)
    assert bounced.data["status"] == "Bounced" and "5.1.1" in bounced.data["deliveryStatusDetails"]["statusMessage"]
    client.begin_send(message(sender, ["bounce-grace@example.com"])).result()
    leased = reports("bounce-grace@example.com", 2)[-1]
    assert leased.data["status"] == "Suppressed" and leased.data["deliveryStatusDetails"]["statusMessage"].startswith("HardBounceLease")

    # A soft bounce is retried, then bounces.
    client.begin_send(message(sender, ["softbounce-hal@example.com"])).result()
    assert reports("softbounce-hal@example.com", 1)[-1].data["status"] == "Bounced"


def test_an_enforcing_resource_reports_the_gates_refusal_and_keeps_no_content_once_delivered(start_server, receiver):
    server = start_server(extra_args=FAST)
    created = server.cli("resource", "create", "shop", "--geography", "unitedstates", "--policy-mode", "enforce", "--json")
    cs = created["connectionString"]
    subscribe(cs, receiver.url, ["Microsoft.Communication.EmailDeliveryReportReceived"])
    client = EmailClient.from_connection_string(cs)
    sender = "DoNotReply@shop.sandbox.switchboard.test"
    consent = signed_request(cs, "POST", "/messaging/consents", {
        "recipient": "ivy@example.com", "channel": "email", "programId": "default", "kind": "written",
        "evidence": {"medium": "webForm", "callToAction": "Email me my receipts."}}, api_version=OWN)
    assert consent.status_code == 201, consent.text
    result = client.begin_send(message(sender, ["ivy@example.com", "jack@example.com"])).result()
    assert result["status"] == "Succeeded"
    events = receiver.wait_for(lambda: len(receiver.events()) >= 2 and receiver.events())
    by_recipient = {e["data"]["recipient"]: e["data"] for e in events}
    assert by_recipient["ivy@example.com"]["status"] == "Delivered"
    assert by_recipient["jack@example.com"]["status"] == "Suppressed"
    assert by_recipient["jack@example.com"]["deliveryStatusDetails"]["statusMessage"].startswith("ConsentRequired")
    assert [m["recipient"] for m in mailbox(cs)] == ["ivy@example.com"]

    # "Ephemerally stored for processing": once every recipient is final, the store holds no content of the send.
    stores = list(pathlib.Path(server.data_dir, "stores").glob("*.sqlite"))
    assert stores
    for store in stores:
        with sqlite3.connect(store) as db:
            assert db.execute("SELECT count(*) FROM email_contents").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM email_recipients").fetchone()[0] >= 2


def test_opening_and_clicking_an_html_email_are_engagement_reports_unless_tracking_is_disabled(start_server, receiver):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    subscribe(cs, receiver.url, ["Microsoft.Communication.EmailEngagementTrackingReportReceived"])
    client = EmailClient.from_connection_string(cs)
    sender = "DoNotReply@dev.sandbox.switchboard.test"
    html = '<html><body><p>Your <a href="https://shop.example/orders/42?a=1&amp;b=2">order</a> shipped.</p></body></html>'
    body = message(sender, ["ivy@example.com"])
    body["content"]["html"] = html
    sent = client.begin_send(body).result()
    untracked = dict(body, userEngagementTrackingDisabled=True)
    untracked["recipients"] = {"to": [{"address": "sam@example.com"}]}
    client.begin_send(untracked).result()

    (copy,) = wait(lambda: mailbox(cs, "ivy@example.com"))
    assert "https://shop.example/orders/42" not in copy["html"]
    pixel = re.search(r'src="([^"]+/-/t/o/[^"]+)"', copy["html"]).group(1)
    link = re.search(r'href="([^"]+/-/t/c/[^"]+)"', copy["html"]).group(1)
    (plain,) = wait(lambda: mailbox(cs, "sam@example.com"))
    assert "/-/t/" not in plain["html"] and "https://shop.example/orders/42" in plain["html"]

    # The recipient's mail client loads the image, then the recipient follows the link.
    image = requests.get(pixel, headers={"User-Agent": "MailReader/2.0"}, timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/gif"
    click = requests.get(link, headers={"User-Agent": "MailReader/2.0"}, allow_redirects=False, timeout=10)
    assert click.status_code == 302 and click.headers["Location"] == "https://shop.example/orders/42?a=1&b=2"
    forged = requests.get(link[:-4] + "AAAA", allow_redirects=False, timeout=10)
    assert forged.status_code == 404 and "Location" not in forged.headers

    events = receiver.wait_for(lambda: (lambda got: got if len(got) >= 2 else None)(
        [EventGridEvent.from_dict(e) for e in receiver.events()]))
    assert [e.data["engagementType"] for e in events] == ["view", "click"]
    for event in events:
        assert event.event_type == "Microsoft.Communication.EmailEngagementTrackingReportReceived"
        assert event.subject == f"sender/donotreply@dev.sandbox.switchboard.test/message/{sent['id']}"
        assert event.data["recipient"] == "ivy@example.com" and event.data["userAgent"] == "MailReader/2.0"
    assert events[1].data["engagementContext"] == "https://shop.example/orders/42?a=1&b=2"


def test_a_double_opt_in_program_emails_its_confirmation_and_the_link_lets_the_program_send(start_server):
    server = start_server(extra_args=FAST)
    cs = server.cli("resource", "create", "news", "--geography", "unitedstates", "--policy-mode", "enforce", "--json")["connectionString"]
    sender = "DoNotReply@news.sandbox.switchboard.test"
    program = own(cs, "PUT", "/messaging/programs/weekly", {
        "name": "Contoso Weekly", "description": "The weekly newsletter", "senders": [sender], "frequency": "One email a week",
        "fees": "Free", "helpText": "Write to help@contoso.example", "doubleOptIn": True})
    assert program.status_code in (200, 201), program.text
    consent = own(cs, "POST", "/messaging/consents", {
        "recipient": "ivy@example.com", "channel": "email", "programId": "weekly", "kind": "written",
        "evidence": {"medium": "webForm", "callToAction": "Send me the weekly newsletter."}})
    assert consent.status_code == 201 and consent.json()["state"] == "awaitingConfirmation", consent.text

    # The confirmation arrives, signed; the program cannot send until the recipient confirms.
    (confirmation,) = wait(lambda: mailbox(cs, "ivy@example.com"))
    assert confirmation["subject"] == "Confirm your subscription to Contoso Weekly" and confirmation["dkim"]["status"] == "pass"
    link = re.search(r"https://\S+/-/messaging/confirm/\S+", confirmation["text"]).group(0)
    client = EmailClient.from_connection_string(cs)
    # Refused by the gate: the operation ends at once with nothing queued.
    assert client.begin_send(message(sender, ["ivy@example.com"])).result()["status"] == "Succeeded"
    assert len(mailbox(cs, "ivy@example.com")) == 1, "refused before confirmation"

    # The recipient presses the button (a POST; the GET only shows it), and the next send is delivered.
    assert requests.get(link, timeout=10).status_code == 200
    assert requests.post(link, timeout=10).status_code == 200
    client.begin_send(message(sender, ["ivy@example.com"], subject="Issue 1")).result()
    delivered = wait(lambda: [m for m in mailbox(cs, "ivy@example.com") if m["subject"] == "Issue 1"])
    assert delivered[0]["outcome"] == "Delivered"
