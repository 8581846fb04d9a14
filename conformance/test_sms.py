"""SMS through the official SDK (azure-communication-sms 1.1.0) against a live server with the sandbox carrier, as a new
user goes about it: buy a toll-free number, send with delivery reports to a webhook, watch the sandbox handsets, reply
STOP from one and see the next send to it refused — on a second number of the same program too."""

import asyncio
import os
import uuid

import pytest
from azure.communication.phonenumbers import PhoneNumbersClient
from azure.communication.sms import SmsClient
from azure.communication.sms.aio import SmsClient as AsyncSmsClient
from azure.eventgrid import EventGridEvent

from conftest import signed_request
from webhook_receiver import Receiver

OWN = "2026-12-01"
FAST = ["--sms-sandbox-delay", "100ms", "--webhook-retry-delays", "1s"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def enforcing(server, name="shop"):
    """A resource whose messaging policy is enforced (the dev resource only audits)."""
    created = server.cli("resource", "create", name, "--geography", "unitedstates", "--policy-mode", "enforce", "--json")
    return created["connectionString"]


def buy(connection_string, quantity=1, number_type="tollFree"):
    client = PhoneNumbersClient.from_connection_string(connection_string)
    offer = next(iter(client.list_available_offerings("US", phone_number_type=number_type)))
    result = client.begin_search_available_phone_numbers(
        "US", number_type, offer.assignment_type, offer.available_capabilities, quantity=quantity, polling_interval=0).result()
    client.begin_purchase_phone_numbers(result.search_id, polling_interval=0).result()
    return result.phone_numbers


def subscribe(connection_string, url, types):
    body = {"properties": {
        "destination": {"endpointType": "WebHook", "properties": {"endpointUrl": url, "maxEventsPerBatch": 1}},
        "filter": {"includedEventTypes": types},
        "eventDeliverySchema": "EventGridSchema",
        "retryPolicy": {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}}}
    response = signed_request(connection_string, "PUT", f"/eventSubscriptions/{uuid.uuid4().hex[:12]}", body, api_version="2022-06-15")
    assert response.status_code == 201, response.text


def own(connection_string, method, path, body=None):
    return signed_request(connection_string, method, path, body, api_version=OWN)


def handset(connection_string, number):
    """What a sandbox handset holds, oldest first."""
    response = own(connection_string, "GET", f"/sandbox/sms/messages?handset=%2B{number.lstrip('+')}")
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["value"]))


def reply(connection_string, from_, to, text):
    response = own(connection_string, "POST", "/sandbox/sms:receive", {"from": from_, "to": to, "message": text})
    assert response.status_code == 202, response.text
    return response.json()["messageId"]


def wait(predicate, timeout=20):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def consent(connection_string, recipient, program="default"):
    response = signed_request(connection_string, "POST", "/messaging/consents", {
        "recipient": recipient, "channel": "sms", "programId": program, "kind": "written",
        "evidence": {"medium": "webForm", "callToAction": "Text me updates. STOP to end."}}, api_version=OWN)
    assert response.status_code == 201, response.text


def test_a_toll_free_number_sends_to_three_handsets_with_delivery_reports_as_events(start_server, receiver):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    (number,) = buy(cs)
    subscribe(cs, receiver.url, ["Microsoft.Communication.SMSDeliveryReportReceived"])
    handsets = ["+14255550101", "+14255550102", "+14255550000"]
    sms = SmsClient.from_connection_string(cs)
    results = sms.send(from_=number, to=handsets, message="Your order has shipped.", enable_delivery_report=True, tag="order-42")
    assert [r.to for r in results] == handsets
    assert all(r.successful and r.http_status_code == 202 and r.message_id for r in results), results
    ids = {r.to: r.message_id for r in results}

    # Each handset got the message, as the handset shows it.
    for phone in handsets:
        (received,) = wait(lambda: handset(cs, phone))
        assert received["from"] == number and received["to"] == phone and received["message"] == "Your order has shipped."
        assert received["direction"] == "outbound" and received["segments"] == 1

    # One report per message, parsed by azure-eventgrid; the number ending 0000 is unreachable in the sandbox.
    reports = receiver.wait_for(lambda: len(receiver.events()) >= 3 and receiver.events())
    parsed = {e.data["MessageId"]: e for e in (EventGridEvent.from_dict(raw) for raw in reports)}
    assert set(parsed) == set(ids.values())
    for phone, message_id in ids.items():
        event = parsed[message_id]
        assert event.event_type == "Microsoft.Communication.SMSDeliveryReportReceived"
        assert event.subject == f"/phonenumber/{number.lstrip('+')}"
        assert event.data["From"] == number and event.data["To"] == phone and event.data["Tag"] == "order-42"
        expected = "Failed" if phone.endswith("0000") else "Delivered"
        assert event.data["DeliveryStatus"] == expected, event.data
        (attempt,) = event.data["DeliveryAttempts"]
        assert (attempt["SegmentsSucceeded"], attempt["SegmentsFailed"]) == ((0, 1) if expected == "Failed" else (1, 0))


def test_every_form_of_send_and_what_is_refused_per_recipient(start_server):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    (number,) = buy(cs)
    sms = SmsClient.from_connection_string(cs)
    # One recipient as a string, without a report.
    (single,) = sms.send(from_=number, to="+14255550111", message="Hi")
    assert single.successful and single.http_status_code == 202
    # A long Unicode message is split into segments.
    long_text = "Привет! " * 30
    (long_result,) = sms.send(from_=number, to=["+14255550112"], message=long_text)
    assert long_result.successful
    (received,) = wait(lambda: handset(cs, "+14255550112"))
    assert received["segments"] == 4 and received["message"] == long_text
    # The async client.
    async def send_async():
        # aiohttp builds its TLS context once, at import, without the test's CA: hand it the bundle.
        async with AsyncSmsClient.from_connection_string(cs, connection_verify=os.environ["SSL_CERT_FILE"]) as client:
            return await client.send(from_=number, to=["+14255550113", "not-a-number"], message="Async hello", tag="a")
    ok, bad = asyncio.run(send_async())
    assert ok.successful
    assert not bad.successful and bad.http_status_code == 400 and bad.error_message
    # The dev resource audits: a number it does not hold is recorded as refused but sent, as the SDK quick-starts need.
    assert sms.send(from_="+18005559999", to=["+14255550114"], message="Hi")[0].successful
    # A resource that enforces the policy refuses it per recipient, the gate's code first.
    shop = SmsClient.from_connection_string(enforcing(server))
    (spoofed,) = shop.send(from_=number, to=["+14255550116"], message="Hi")
    assert not spoofed.successful and spoofed.http_status_code == 401
    assert spoofed.error_message.startswith("SenderNotAuthorized"), spoofed.error_message
    assert handset(cs, "+14255550116") == []
    # Bad requests as a whole are ACS-shaped 400s.
    too_many = signed_request(cs, "POST", "/sms", {
        "from": number, "smsRecipients": [{"to": f"+1425555{i:04d}"} for i in range(101)], "message": "x"}, api_version="2021-03-07")
    assert too_many.status_code == 400 and too_many.json()["error"]["code"]
    too_long = signed_request(cs, "POST", "/sms", {
        "from": number, "smsRecipients": [{"to": "+14255550115"}], "message": "x" * 2049}, api_version="2021-03-07")
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "MessageTooLong"
    timeout = signed_request(cs, "POST", "/sms", {
        "from": number, "smsRecipients": [{"to": "+14255550115"}], "message": "x",
        "smsSendOptions": {"enableDeliveryReport": True, "deliveryReportTimeoutInSeconds": 30}}, api_version="2025-09-17")
    assert timeout.status_code == 400 and "deliveryReportTimeoutInSeconds" in timeout.json()["error"]["message"]


def test_a_replayed_repeatability_id_returns_the_first_result_and_sends_nothing(start_server):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    (number,) = buy(cs)
    request_id = str(uuid.uuid4())
    body = {"from": number, "message": "Once only", "smsRecipients": [
        {"to": "+14255550121", "repeatabilityRequestId": request_id, "repeatabilityFirstSent": "Tue, 01 Dec 2026 10:00:00 GMT"}],
        "smsSendOptions": {"enableDeliveryReport": False}}
    first = signed_request(cs, "POST", "/sms", body, api_version="2021-03-07")
    assert first.status_code == 202, first.text
    (accepted,) = first.json()["value"]
    assert accepted["repeatabilityResult"] == "accepted" and accepted["successful"]
    again = signed_request(cs, "POST", "/sms", body, api_version="2021-03-07")
    (rejected,) = again.json()["value"]
    assert rejected["repeatabilityResult"] == "rejected" and rejected["messageId"] == accepted["messageId"]
    wait(lambda: handset(cs, "+14255550121"))
    assert len(handset(cs, "+14255550121")) == 1


def test_stop_from_a_handset_refuses_the_next_send_on_every_number_of_the_program(start_server, receiver):
    server = start_server(extra_args=FAST)
    cs = enforcing(server)
    first, second = buy(cs, quantity=2)
    program = signed_request(cs, "PUT", "/messaging/programs/alerts", {
        "name": "Contoso Alerts", "description": "Order alerts", "senders": [first, second], "helpText": "Visit contoso.example/help"},
        api_version=OWN)
    assert program.status_code == 201, program.text
    subscribe(cs, receiver.url, ["Microsoft.Communication.SMSReceived"])
    phone = "+14255550131"
    consent(cs, phone, "alerts")
    sms = SmsClient.from_connection_string(cs)
    assert sms.send(from_=first, to=phone, message="Your order has shipped.")[0].successful

    reply(cs, phone, first, "  stop ")
    # The application sees the keyword as ACS relays it.
    (event,) = receiver.wait_for(lambda: receiver.events())
    parsed = EventGridEvent.from_dict(event)
    assert parsed.event_type == "Microsoft.Communication.SMSReceived"
    assert parsed.data["From"] == phone and parsed.data["To"] == first and parsed.data["Message"] == "  stop "
    # Answered once, through the carrier.
    wait(lambda: any("unsubscribed" in m["message"] for m in handset(cs, phone)))

    for number in (first, second):
        (refused,) = sms.send(from_=number, to=phone, message="Another update")
        assert not refused.successful and refused.http_status_code == 403
        assert refused.error_message.startswith("RecipientOptedOut"), refused.error_message
    # HELP is answered with the program's help text; START renews consent.
    reply(cs, phone, second, "HELP")
    wait(lambda: any("contoso.example/help" in m["message"] for m in handset(cs, phone)))
    reply(cs, phone, second, "START")
    assert sms.send(from_=first, to=phone, message="Welcome back")[0].successful


def test_opt_out_management_as_acs_has_it(start_server):
    server = start_server(extra_args=FAST)
    cs = enforcing(server)
    (number,) = buy(cs)
    phone = "+14255550141"
    consent(cs, phone)

    def optouts(action, recipients, sender=number):
        return signed_request(cs, "POST", f"/sms/optouts:{action}", {"from": sender, "recipients": [{"to": r} for r in recipients]},
                              api_version="2025-09-17")

    checked = optouts("check", [phone, "nope"])
    assert checked.status_code == 200, checked.text
    assert checked.json()["value"] == [
        {"to": phone, "httpStatusCode": 200, "isOptedOut": False},
        {"to": "nope", "httpStatusCode": 400, "errorMessage": "Invalid To phone number format."}]
    assert optouts("add", [phone]).json()["value"][0]["isOptedOut"] is True
    sms = SmsClient.from_connection_string(cs)
    assert sms.send(from_=number, to=phone, message="x")[0].error_message.startswith("RecipientOptedOut")
    assert optouts("remove", [phone]).json()["value"][0]["isOptedOut"] is False
    assert sms.send(from_=number, to=phone, message="x")[0].successful
    # Only a sender the resource owns; the 2021-03-07 API has no opt-out management.
    assert optouts("check", [phone], sender="+18005559999").status_code == 400
    old = signed_request(cs, "POST", "/sms/optouts:check", {"from": number, "recipients": [{"to": phone}]}, api_version="2021-03-07")
    assert old.status_code == 400


def test_an_alphanumeric_sender_id_sends_only_to_its_countries(start_server):
    server = start_server(extra_args=FAST)
    cs = enforcing(server)
    created = own(cs, "PUT", "/sms/alphanumericSenders/Contoso", {"countries": ["GB", "de"]})
    assert created.status_code == 201, created.text
    assert created.json()["countries"] == ["DE", "GB"]
    assert own(cs, "GET", "/sms/alphanumericSenders").json()["value"][0]["senderId"] == "Contoso"
    assert own(cs, "PUT", "/sms/alphanumericSenders/Contoso", {"countries": ["US"]}).status_code == 400
    sms = SmsClient.from_connection_string(cs)
    consent(cs, "+447700900123")
    uk, us = sms.send(from_="Contoso", to=["+447700900123", "+14255550151"], message="Hello from Contoso")
    assert uk.successful
    assert not us.successful and us.error_message.startswith("AlphanumericSenderNotAllowed")
    assert own(cs, "DELETE", "/sms/alphanumericSenders/Contoso").status_code == 204
    (after,) = sms.send(from_="Contoso", to=["+447700900123"], message="Hello again")
    assert not after.successful and after.error_message.startswith("SenderNotAuthorized")


def test_the_sandbox_cli_lists_and_injects(start_server):
    server = start_server(extra_args=FAST)
    cs = server.connection_string
    (number,) = buy(cs)
    SmsClient.from_connection_string(cs).send(from_=number, to="+14255550161", message="From the SDK")
    listed = wait(lambda: server.cli("sandbox", "sms", "list", "dev", "--json"))
    assert listed[0]["message"] == "From the SDK" and listed[0]["to"] == "+14255550161"
    injected = server.cli("sandbox", "sms", "receive", "dev", "--from", "+14255550161", "--to", number, "--message", "Thanks!", "--json")
    assert injected["messageId"].startswith("Incoming_")
    assert handset(cs, "+14255550161")[-1]["message"] == "Thanks!"


# -- Through an SMPP carrier: the SMSC test peer (conformance/smsc_peer.py) stands in for the operator's SMSC. --------


def test_an_smpp_carrier_submits_reports_and_relays_what_handsets_send(start_server, receiver):
    from smsc_peer import SMSC
    with SMSC(accounts={"switchboard": "s3cret"}) as smsc:
        server = start_server(extra_args=FAST + ["--sms-carrier", f"acme=smpp://switchboard:s3cret@127.0.0.1:{smsc.port}?window=5"])
        server.cli("numbers", "inventory", "add", "--country", "US", "--type", "tollFree", "--carrier", "acme", "+18335550100", "+18335550101")
        cs = enforcing(server)
        first, second = buy(cs, quantity=2)
        assert {first, second} == {"+18335550100", "+18335550101"}
        program = signed_request(cs, "PUT", "/messaging/programs/alerts", {"name": "Contoso Alerts", "senders": [first, second]},
                                 api_version=OWN)
        assert program.status_code == 201, program.text
        phone, unreachable = "+14255550171", "+14255550000"
        consent(cs, phone, "alerts")
        consent(cs, unreachable, "alerts")
        subscribe(cs, receiver.url, ["Microsoft.Communication.SMSDeliveryReportReceived", "Microsoft.Communication.SMSReceived"])
        sms = SmsClient.from_connection_string(cs)

        results = sms.send(from_=first, to=[phone, unreachable], message="Your order has shipped.", enable_delivery_report=True, tag="smpp")
        assert all(r.successful for r in results), results
        smsc.wait_for(lambda: len(smsc.submitted) >= 2)
        submitted = {s["destination_addr"]: s for s in smsc.submitted}
        assert submitted[phone[1:]]["source_addr"] == first[1:] and submitted[phone[1:]]["text"] == "Your order has shipped."
        assert submitted[phone[1:]]["registered_delivery"] & 1
        reports = receiver.wait_for(lambda: len(receiver.events()) >= 2 and receiver.events())
        statuses = {e["data"]["To"]: e["data"]["DeliveryStatus"] for e in reports}
        assert statuses == {phone: "Delivered", unreachable: "Failed"}
        # Nothing went to the sandbox: the number is held at acme.
        assert handset(cs, phone) == []
        # Delivered, the body is nowhere in the store's files, and no queued row still carries it.
        import sqlite3
        store = server.data_dir / "stores" / "unitedstates.sqlite"
        for path in store.parent.glob("unitedstates.sqlite*"):
            assert b"Your order has shipped." not in path.read_bytes(), path
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'sms.submit' AND payload IS NOT NULL").fetchone()[0] == 0

        # A long message travels as concatenated segments, each receipted; the report counts them.
        (long_result,) = sms.send(from_=first, to=phone, message="A long update. " * 20, enable_delivery_report=True)
        assert long_result.successful
        report = receiver.wait_for(lambda: [e for e in receiver.events() if e["data"]["MessageId"] == long_result.message_id])[0]
        assert report["data"]["DeliveryAttempts"][0]["SegmentsSucceeded"] == 2
        assert len([s for s in smsc.submitted if s["udh"]]) == 2

        # The handset answers STOP through the SMSC: the application hears it, the handset gets one confirmation
        # through the SMSC, and the program's other number may not send to it either.
        smsc.send_mo(phone, first, "STOP")
        receiver.wait_for(lambda: [e for e in receiver.events() if e["eventType"] == "Microsoft.Communication.SMSReceived"])
        smsc.wait_for(lambda: [s for s in smsc.submitted if s["destination_addr"] == phone[1:] and "unsubscribed" in s["text"]])
        (refused,) = sms.send(from_=second, to=phone, message="Another update")
        assert refused.error_message.startswith("RecipientOptedOut"), refused.error_message


def test_kill_9_while_submitting_loses_no_message_and_repeats_at_most_one_batch(start_server):
    """A message is submitted twice only when the process died between the SMSC's acceptance and the commit of its
    ids: at most one batch (four windows) of messages, and every accepted message reaches the SMSC."""
    import collections
    import signal
    from smsc_peer import SMSC
    with SMSC(accounts={"switchboard": "s3cret"}) as smsc:
        carrier = ["--sms-carrier", f"acme=smpp://switchboard:s3cret@127.0.0.1:{smsc.port}?window=4"]
        server = start_server(extra_args=FAST + carrier)
        server.cli("numbers", "inventory", "add", "--country", "US", "--type", "tollFree", "--carrier", "acme", "+18335550200")
        cs = server.connection_string
        (number,) = buy(cs)
        smsc.delay_responses(0.1)
        handsets = [f"+1425555{index:04d}" for index in range(201, 241)]
        results = SmsClient.from_connection_string(cs).send(from_=number, to=handsets, message="Your code is 1234")
        assert all(r.successful for r in results)
        smsc.wait_for(lambda: len(smsc.submitted) >= 6)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        smsc.delay_responses(0)
        server.start()
        smsc.wait_for(lambda: {s["destination_addr"] for s in smsc.submitted} >= {h[1:] for h in handsets}, timeout=60)
        counts = collections.Counter(s["destination_addr"] for s in smsc.submitted)
        repeated = sum(count - 1 for count in counts.values())
        assert repeated <= 4 * 4, counts


def test_a_carrier_that_asks_for_message_payload_gets_long_messages_whole_and_an_unbind_is_bound_again(start_server):
    from smsc_peer import SMSC
    with SMSC(accounts={"switchboard": "s3cret"}) as smsc:
        carrier = f"acme=smpp://switchboard:s3cret@127.0.0.1:{smsc.port}?concatenation=payload&enquireLink=1"
        server = start_server(extra_args=FAST + ["--sms-carrier", carrier])
        server.cli("numbers", "inventory", "add", "--country", "US", "--type", "tollFree", "--carrier", "acme", "+18335550300")
        cs = server.connection_string
        (number,) = buy(cs)
        sms = SmsClient.from_connection_string(cs)
        long_text = "Ваш заказ отправлен. " * 10
        assert sms.send(from_=number, to="+14255550181", message=long_text)[0].successful
        (submitted,) = smsc.wait_for(lambda: smsc.submitted)
        assert submitted["message_payload"] and not submitted["short_message"] and submitted["text"] == long_text
        # The SMSC's own enquire_link is answered, and ours reach it.
        smsc.wait_for(lambda: smsc.enquire_links_received >= 1, timeout=5)
        # The SMSC ends the session: the carrier answers the unbind and binds again.
        binds = smsc.binds
        assert smsc.unbind_all() == 1
        smsc.wait_for(lambda: smsc.binds > binds, timeout=10)
        assert sms.send(from_=number, to="+14255550182", message="After the unbind")[0].successful
        smsc.wait_for(lambda: any(s["destination_addr"] == "14255550182" for s in smsc.submitted), timeout=10)


def test_the_smpp_session_holds_its_window_rides_out_throttling_and_drops_and_waits_out_a_refused_bind(start_server):
    from smsc_peer import SMSC
    with SMSC(accounts={"switchboard": "s3cret"}) as smsc:
        carrier = f"acme=smpp://switchboard:s3cret@127.0.0.1:{smsc.port}?window=3"
        server = start_server(extra_args=FAST + ["--sms-carrier", carrier, "--sms-sender-rates", "tollFree=100000"])
        server.cli("numbers", "inventory", "add", "--country", "US", "--type", "tollFree", "--carrier", "acme", "+18335550400")
        cs = server.connection_string
        (number,) = buy(cs)
        sms = SmsClient.from_connection_string(cs)
        # Slow answers fill the window, never past it; throttled submissions come back until accepted.
        smsc.delay_responses(0.05)
        smsc.throttle_next(3)
        handsets = [f"+1425555{i:04d}" for i in range(401, 421)]
        assert all(r.successful for r in sms.send(from_=number, to=handsets, message="Windowed"))
        smsc.wait_for(lambda: {s["destination_addr"] for s in smsc.submitted} >= {h[1:] for h in handsets}, timeout=30)
        assert 2 <= smsc.max_outstanding <= 3, smsc.max_outstanding
        assert len([r for r in smsc.rejected if r.get("status") == 0x58]) == 3
        # A dropped connection is bound again and sending goes on.
        binds = smsc.binds
        smsc.drop_all()
        smsc.wait_for(lambda: smsc.binds > binds, timeout=10)
        assert sms.send(from_=number, to="+14255550431", message="After the drop")[0].successful
        smsc.wait_for(lambda: any(s["destination_addr"] == "14255550431" for s in smsc.submitted), timeout=10)

    # Refused credentials: the bind is retried with backoff and nothing is submitted meanwhile; messages wait.
    with SMSC(accounts={"switchboard": "other"}) as smsc:
        carrier = f"acme=smpp://switchboard:s3cret@127.0.0.1:{smsc.port}"
        server = start_server(name="refused", extra_args=FAST + ["--sms-carrier", carrier])
        server.cli("numbers", "inventory", "add", "--country", "US", "--type", "tollFree", "--carrier", "acme", "+18335550401")
        cs = server.connection_string
        (number,) = buy(cs)
        assert SmsClient.from_connection_string(cs).send(from_=number, to="+14255550441", message="Waiting")[0].successful
        smsc.wait_for(lambda: len(smsc.bind_log) >= 2, timeout=10)
        assert all(entry["status"] == 0x0E for entry in smsc.bind_log) and smsc.submitted == []
        assert "s3cret" not in server.read_log()
