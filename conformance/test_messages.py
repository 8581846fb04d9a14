"""Advanced Messages (WhatsApp) through the official SDK (azure-communication-messages 1.1.0) against a live server, as
a user goes about it: register a channel (the sandbox, or the WhatsApp Cloud API against a faithful local peer of
Meta's Graph API), send every content kind and a template, watch what the sandbox captured, answer from a handset,
take Meta's webhook with a valid and with a forged signature (every kind of message Meta brings: text, media, stickers,
button and interactive replies, reactions, locations, contacts), download media, list templates (a Cloud API
channel's synced from Meta, through Meta's paging), and be refused a free-form message outside WhatsApp's 24-hour
window and any message from a resource outside the five geographies.
"""

import base64
import hashlib
import json
import time
import uuid

import pytest
from azure.communication.messages import MessageTemplateClient, NotificationMessagesClient
from azure.communication.messages.models import (
    AudioNotificationContent,
    DocumentNotificationContent,
    ImageNotificationContent,
    MessageTemplate,
    MessageTemplateImage,
    MessageTemplateQuickAction,
    MessageTemplateText,
    TemplateNotificationContent,
    TextNotificationContent,
    VideoNotificationContent,
    WhatsAppMessageTemplateBindings,
    WhatsAppMessageTemplateBindingsButton,
    WhatsAppMessageTemplateBindingsComponent,
    WhatsAppMessageTemplateItem,
)
from azure.communication.messages.models._models import MediaNotificationContent  # deprecated (image_v0): not exported
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.eventgrid import EventGridEvent

from conftest import signed_request
from test_sms import subscribe
from webhook_receiver import Receiver
from whatsapp_peer import GraphPeer

OWN = "2026-12-01"
HANDSET = "+14255550101"
MEDIA = "https://media.example.com/files"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def peer():
    p = GraphPeer()
    yield p
    p.close()


def own(cs, method, path, body=None):
    return signed_request(cs, method, path, body, api_version=OWN)


def register_sandbox(cs):
    channel = str(uuid.uuid4())
    response = own(cs, "PUT", f"/messages/channels/{channel}", {"kind": "sandbox"})
    assert response.status_code == 201, response.text
    return channel


def receive(cs, channel, from_=HANDSET, text="Hi, is my order on its way?", media=None):
    body = {"channelRegistrationId": channel, "from": from_}
    if media:
        body["media"] = media
    else:
        body["text"] = text
    response = own(cs, "POST", "/sandbox/whatsapp:receive", body)
    assert response.status_code == 202, response.text
    return response.json()


def captured(cs):
    response = own(cs, "GET", "/sandbox/whatsapp/messages")
    assert response.status_code == 200, response.text
    return [m for m in response.json()["value"] if m["direction"] == "outbound"]


def wait(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def every_kind(channel, to):
    return [
        TextNotificationContent(channel_registration_id=channel, to=to, content="Your order has shipped."),
        ImageNotificationContent(channel_registration_id=channel, to=to, media_uri=f"{MEDIA}/receipt.png", content="Receipt"),
        MediaNotificationContent(channel_registration_id=channel, to=to, media_uri=f"{MEDIA}/old.png", content="Old style"),
        DocumentNotificationContent(
            channel_registration_id=channel, to=to, media_uri=f"{MEDIA}/invoice.pdf", caption="Invoice", file_name="invoice.pdf"),
        VideoNotificationContent(channel_registration_id=channel, to=to, media_uri=f"{MEDIA}/unboxing.mp4", caption="Unboxing"),
        AudioNotificationContent(channel_registration_id=channel, to=to, media_uri=f"{MEDIA}/note.mp3"),
    ]


def order_template(channel, to):
    template = MessageTemplate(
        name="order_update", language="en_US",
        template_values=[
            MessageTemplateText(name="name", text="Bob"),
            MessageTemplateImage(name="hero", url=f"{MEDIA}/hero.jpg"),
            MessageTemplateQuickAction(name="track", payload="track-42"),
        ],
        bindings=WhatsAppMessageTemplateBindings(
            header=[WhatsAppMessageTemplateBindingsComponent(ref_value="hero")],
            body=[WhatsAppMessageTemplateBindingsComponent(ref_value="name")],
            buttons=[WhatsAppMessageTemplateBindingsButton(sub_type="quickReply", ref_value="track")]))
    return TemplateNotificationContent(channel_registration_id=channel, to=to, template=template)


def test_the_sandbox_receives_every_kind_and_a_template_and_a_handset_answers_with_media(server, receiver):
    cs = server.connection_string
    channel = register_sandbox(cs)
    subscribe(cs, receiver.url, ["Microsoft.Communication.AdvancedMessageReceived",
                                 "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated"])
    assert own(cs, "PUT", f"/messages/channels/{channel}/templates/order_update?language=en_US", {"status": "approved"}).status_code == 201
    assert own(cs, "PUT", f"/messages/channels/{channel}/templates/promo?language=en_US", {"status": "pending"}).status_code == 201
    client = NotificationMessagesClient.from_connection_string(cs)

    # The handset wrote first: its 24-hour window is open for free-form messages.
    receive(cs, channel)
    ids = []
    for content in every_kind(channel, [HANDSET]) + [order_template(channel, [HANDSET])]:
        result = client.send(content)
        (receipt,) = result.receipts
        assert receipt.to == HANDSET and receipt.message_id
        ids.append(receipt.message_id)

    messages = wait(lambda: len(captured(cs)) == 7 and captured(cs))
    by_kind = {m["content"]["kind"]: m for m in messages}
    assert set(by_kind) == {"text", "image", "image_v0", "document", "video", "audio", "template"}
    assert by_kind["text"]["content"]["text"] == "Your order has shipped."
    assert by_kind["image"]["content"]["caption"] == "Receipt"
    assert by_kind["image_v0"]["content"]["caption"] == "Old style"
    assert by_kind["document"]["content"]["fileName"] == "invoice.pdf"
    template = by_kind["template"]["content"]["template"]
    assert template["name"] == "order_update" and template["values"][0] == {"kind": "text", "name": "name", "text": "Bob"}
    assert {m["handset"] for m in messages} == {HANDSET}

    # A handset sends a picture: it becomes an event and its bytes are downloadable.
    picture = bytes(range(256)) * 4
    answered = receive(cs, channel, media={"mimeType": "image/jpeg", "caption": "Arrived broken", "data": base64.b64encode(picture).decode()})
    assert b"".join(client.download_media(answered["mediaId"])) == picture

    events = receiver.wait_for(lambda: len(receiver.events()) >= 9 and receiver.events())
    parsed = [EventGridEvent.from_dict(raw) for raw in events]
    statuses = [e for e in parsed if e.event_type == "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated"]
    assert {e.data["messageId"] for e in statuses} == set(ids)
    assert all(e.data["status"] == "Delivered" and e.data["from"] == channel and e.data["to"] == HANDSET
               and e.data["channelType"] == "whatsapp" for e in statuses)
    received = [e for e in parsed if e.event_type == "Microsoft.Communication.AdvancedMessageReceived"]
    assert len(received) == 2
    image = next(e for e in received if e.data["messageType"] == "image")
    assert image.subject == f"advancedMessage/sender/{HANDSET}/recipient/{channel}"
    assert image.data["media"] == {"mimeType": "image/jpeg", "id": answered["mediaId"], "caption": "Arrived broken"}

    # list_templates, with paging.
    templates = MessageTemplateClient.from_connection_string(cs)
    items = list(templates.list_templates(channel, maxpagesize=1))
    assert [(t.name, t.language, t.status) for t in items] == [("order_update", "en_US", "approved"), ("promo", "en_US", "pending")]
    assert all(t.kind == "whatsApp" for t in items)

    # A pending template, an unknown one and an unknown channel are refused.
    with pytest.raises(HttpResponseError) as refused:
        client.send(TemplateNotificationContent(
            channel_registration_id=channel, to=[HANDSET], template=MessageTemplate(name="promo", language="en_US")))
    assert refused.value.status_code == 400 and refused.value.error.code == "TemplateNotApproved"
    with pytest.raises(HttpResponseError) as unknown:
        client.send(TextNotificationContent(channel_registration_id=str(uuid.uuid4()), to=[HANDSET], content="Hi"))
    assert unknown.value.status_code == 400 and unknown.value.error.code == "ChannelNotFound"
    with pytest.raises(ResourceNotFoundError):
        b"".join(client.download_media(str(uuid.uuid4())))


def test_free_form_outside_the_24_hour_window_is_refused_and_a_template_is_not(server):
    cs = server.connection_string
    channel = register_sandbox(cs)
    own(cs, "PUT", f"/messages/channels/{channel}/templates/order_update?language=en_US", {})
    client = NotificationMessagesClient.from_connection_string(cs)
    stranger = "+14255550199"
    with pytest.raises(HttpResponseError) as refused:
        client.send(TextNotificationContent(channel_registration_id=channel, to=[stranger], content="Hello there"))
    assert refused.value.status_code == 400 and refused.value.error.code == "OutsideConversationWindow"
    assert "24 hours" in refused.value.error.message
    # A template may open the conversation (the dev resource's policy audits, so no consent is needed here).
    (receipt,) = client.send(order_template(channel, [stranger])).receipts
    assert receipt.to == stranger
    wait(lambda: captured(cs))


def test_repeatability_sends_once(server):
    cs = server.connection_string
    channel = register_sandbox(cs)
    receive(cs, channel)
    client = NotificationMessagesClient.from_connection_string(cs)
    request_id = str(uuid.uuid4())
    first_sent = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    headers = {"Repeatability-Request-ID": request_id, "Repeatability-First-Sent": first_sent}
    content = TextNotificationContent(channel_registration_id=channel, to=[HANDSET], content="Once only")
    first = client.send(content, headers=headers)
    again = client.send(content, headers=headers)
    assert [r.message_id for r in first.receipts] == [r.message_id for r in again.receipts]
    wait(lambda: captured(cs))
    time.sleep(0.5)
    assert len(captured(cs)) == 1


def test_a_resource_outside_the_five_geographies_is_refused(server):
    created = server.cli("resource", "create", "rio", "--geography", "brazil", "--json")
    cs = created["connectionString"]
    response = own(cs, "PUT", f"/messages/channels/{uuid.uuid4()}", {"kind": "sandbox"})
    assert response.status_code == 403, response.text
    message = response.json()["error"]["message"]
    for name in ("Asia Pacific", "Australia", "Europe", "United Kingdom", "United States"):
        assert name in message
    client = NotificationMessagesClient.from_connection_string(cs)
    with pytest.raises(HttpResponseError) as refused:
        client.send(TextNotificationContent(channel_registration_id=str(uuid.uuid4()), to=[HANDSET], content="Hi"))
    assert refused.value.status_code == 403 and refused.value.error.code == "AdvancedMessagingNotAvailableInGeography"


def test_the_cloud_api_channel_sends_through_graph_and_takes_only_signed_webhooks(start_server, peer, receiver):
    server = start_server(extra_args=["--whatsapp-graph-url", peer.url])
    cs = server.connection_string
    channel = str(uuid.uuid4())
    response = own(cs, "PUT", f"/messages/channels/{channel}", {
        "kind": "cloudApi", "phoneNumberId": peer.phone_number_id, "accessToken": peer.token, "appSecret": peer.app_secret,
        "verifyToken": "my-verify-token"})
    assert response.status_code == 201, response.text
    registered = response.json()
    # The secrets are stored, never shown again.
    assert registered["accessTokenSet"] and registered["appSecretSet"] and registered["verifyTokenSet"]
    for secret in (peer.token, peer.app_secret, "my-verify-token"):
        assert secret not in response.text
        assert secret not in own(cs, "GET", f"/messages/channels/{channel}").text
    webhook = server.url + registered["webhookPath"]
    subscribe(cs, receiver.url, ["Microsoft.Communication.AdvancedMessageReceived",
                                 "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated"])

    # Meta's handshake.
    verified = peer.verify(webhook, "my-verify-token", challenge="987654")
    assert verified.status_code == 200 and verified.text == "987654"
    assert peer.verify(webhook, "a-guess").status_code == 403

    client = NotificationMessagesClient.from_connection_string(cs)
    # No conversation yet: free-form is refused, and nothing reaches Meta.
    with pytest.raises(HttpResponseError) as refused:
        client.send(TextNotificationContent(channel_registration_id=channel, to=[HANDSET], content="Hello"))
    assert refused.value.error.code == "OutsideConversationWindow"

    # A forged notification is refused and records nothing; a signed one opens the window.
    digits = HANDSET.lstrip("+")
    assert peer.notify(webhook, GraphPeer.text_message(digits, "Where is my order?"), forged=True).status_code == 401
    assert peer.notify(webhook, GraphPeer.text_message(digits, "Where is my order?")).status_code == 200
    received = receiver.wait_for(lambda: [e for e in receiver.events() if e["eventType"].endswith("AdvancedMessageReceived")])
    assert len(received) == 1 and received[0]["data"]["content"] == "Where is my order?"
    assert received[0]["data"]["from"] == HANDSET and received[0]["data"]["to"] == channel

    # Every kind and a template go to the Graph API as Meta's message objects.
    receipts = [client.send(c).receipts[0] for c in every_kind(channel, [HANDSET]) + [order_template(channel, [HANDSET])]]
    sent = peer.wait_for(lambda: len(peer.messages()) == 7 and peer.messages())
    assert {m["type"] for m in sent} == {"text", "image", "document", "video", "audio", "template"}
    assert all(m["to"] == digits and m["messaging_product"] == "whatsapp" for m in sent)
    text = next(m for m in sent if m["type"] == "text")
    assert text["text"] == {"body": "Your order has shipped."}
    document = next(m for m in sent if m["type"] == "document")
    assert document["document"] == {"link": f"{MEDIA}/invoice.pdf", "caption": "Invoice", "filename": "invoice.pdf"}
    template = next(m for m in sent if m["type"] == "template")["template"]
    assert template["name"] == "order_update" and template["language"] == {"code": "en_US"}
    assert {"type": "body", "parameters": [{"type": "text", "text": "Bob"}]} in template["components"]
    assert {"type": "header", "parameters": [{"type": "image", "image": {"link": f"{MEDIA}/hero.jpg"}}]} in template["components"]
    assert {"type": "button", "sub_type": "quick_reply", "index": "0",
            "parameters": [{"type": "payload", "payload": "track-42"}]} in template["components"]

    # Meta's statuses become delivery status events for the message ids the SDK got.
    wamid = next(m for m in sent if m["type"] == "text")["wamid"]
    text_id = receipts[0].message_id
    assert peer.notify(webhook, GraphPeer.status(wamid, digits, "delivered")).status_code == 200
    assert peer.notify(webhook, GraphPeer.status(wamid, digits, "read"), forged=True).status_code == 401
    statuses = receiver.wait_for(
        lambda: [e for e in receiver.events() if e["eventType"].endswith("AdvancedMessageDeliveryStatusUpdated")])
    assert [(e["data"]["messageId"], e["data"]["status"]) for e in statuses] == [(text_id, "Delivered")]

    # Inbound media is fetched from the Graph media endpoint through the peer.
    picture = b"\xff\xd8\xff" + bytes(range(200))
    media_id = peer.add_media("image/jpeg", picture)
    assert peer.notify(webhook, GraphPeer.image_message(digits, media_id, "Broken box")).status_code == 200
    image = receiver.wait_for(lambda: [e for e in receiver.events() if e["data"].get("messageType") == "image"])[0]
    assert image["data"]["media"]["caption"] == "Broken box" and image["data"]["media"]["mimeType"] == "image/jpeg"
    assert b"".join(client.download_media(image["data"]["media"]["id"])) == picture


def test_bad_requests_are_400s(server):
    cs = server.connection_string
    channel = register_sandbox(cs)
    receive(cs, channel)
    client = NotificationMessagesClient.from_connection_string(cs)
    with pytest.raises(HttpResponseError) as many:
        client.send(TextNotificationContent(
            channel_registration_id=channel, to=[f"+1425555{n:04d}" for n in range(101)], content="Hi"))
    assert many.value.status_code == 400 and many.value.error.code == "TooManyRecipients"
    with pytest.raises(HttpResponseError) as bad_uri:
        client.send(ImageNotificationContent(channel_registration_id=channel, to=[HANDSET], media_uri="not a url"))
    assert bad_uri.value.status_code == 400 and bad_uri.value.error.target == "mediaUri"
    with pytest.raises(HttpResponseError) as bad_kind:
        client.send({"kind": "sticker", "channelRegistrationId": channel, "to": [HANDSET]})
    assert bad_kind.value.status_code == 400 and bad_kind.value.error.target == "kind"
    assert captured(cs) == []


def register_cloud(cs, peer, business_account=True, token=None):
    channel = str(uuid.uuid4())
    body = {"kind": "cloudApi", "phoneNumberId": peer.phone_number_id, "accessToken": token or peer.token,
            "appSecret": peer.app_secret, "verifyToken": "my-verify-token"}
    if business_account:
        body["businessAccountId"] = peer.business_account_id
    response = own(cs, "PUT", f"/messages/channels/{channel}", body)
    assert response.status_code == 201, response.text
    return channel, response.json()


def test_a_cloud_api_channel_lists_metas_templates_and_sends_are_checked_against_them(start_server, peer):
    server = start_server(extra_args=["--whatsapp-graph-url", peer.url])
    cs = server.connection_string
    channel, registered = register_cloud(cs, peer)
    assert registered["businessAccountId"] == peer.business_account_id
    peer.add_template("order_update", "en_US", "APPROVED")
    peer.add_template("order_update", "es", "APPROVED")
    peer.add_template("promo", "en_US", "PENDING")
    peer.add_template("spring_sale", "en_US", "PAUSED", category="MARKETING")
    peer.add_template("winback", "en_US", "DISABLED", category="MARKETING")

    # Meta's five templates (three Graph pages of two), through ACS's pages of two.
    templates = MessageTemplateClient.from_connection_string(cs)
    items = list(templates.list_templates(channel, maxpagesize=2))
    assert [(t.name, t.language, t.status) for t in items] == [
        ("order_update", "en_US", "approved"), ("order_update", "es", "approved"), ("promo", "en_US", "pending"),
        ("spring_sale", "en_US", "paused"), ("winback", "en_US", "rejected")]
    assert all(isinstance(t, WhatsAppMessageTemplateItem) and t.kind == "whatsApp" for t in items)
    content = items[0].content
    assert content["name"] == "order_update" and content["status"] == "APPROVED" and content["category"] == "UTILITY"
    assert content["components"][0] == {"type": "BODY", "text": "Your order {{1}} has shipped.",
                                        "example": {"body_text": [["A-1234"]]}}
    requests_made = peer.template_requests
    assert [path for path, _ in requests_made] == [f"/v21.0/{peer.business_account_id}/message_templates"] * 3
    assert ["after" in query for _, query in requests_made] == [False, True, True]

    # A template send is checked against them: the approved one goes to Meta, the others are refused here.
    client = NotificationMessagesClient.from_connection_string(cs)
    (receipt,) = client.send(TemplateNotificationContent(
        channel_registration_id=channel, to=[HANDSET], template=MessageTemplate(name="order_update", language="es"))).receipts
    sent = peer.wait_for(lambda: [m for m in peer.messages() if m["type"] == "template"])
    assert sent[0]["template"] == {"name": "order_update", "language": {"code": "es"}} and receipt.to == HANDSET
    with pytest.raises(HttpResponseError) as pending:
        client.send(TemplateNotificationContent(
            channel_registration_id=channel, to=[HANDSET], template=MessageTemplate(name="promo", language="en_US")))
    assert pending.value.status_code == 400 and pending.value.error.code == "TemplateNotApproved"
    with pytest.raises(HttpResponseError) as unknown:
        client.send(TemplateNotificationContent(
            channel_registration_id=channel, to=[HANDSET], template=MessageTemplate(name="order_update", language="fr")))
    assert unknown.value.status_code == 400 and unknown.value.error.code == "TemplateNotFound"
    assert len([m for m in peer.messages() if m["type"] == "template"]) == 1

    # Its templates are Meta's: none is registered here.
    put = own(cs, "PUT", f"/messages/channels/{channel}/templates/mine?language=en_US", {"status": "approved"})
    assert put.status_code == 400 and put.json()["error"]["code"] == "TemplatesManagedByMeta"


def test_listing_metas_templates_fails_with_acs_shaped_errors(start_server, peer):
    server = start_server(extra_args=["--whatsapp-graph-url", peer.url])
    cs = server.connection_string
    peer.add_template("order_update", "en_US", "APPROVED")
    templates = MessageTemplateClient.from_connection_string(cs, retry_total=0)

    without_account, _ = register_cloud(cs, peer, business_account=False)
    with pytest.raises(HttpResponseError) as missing:
        list(templates.list_templates(without_account))
    assert missing.value.status_code == 400 and missing.value.error.code == "BusinessAccountIdMissing"
    assert missing.value.error.target == "businessAccountId"

    revoked, _ = register_cloud(cs, peer, token="EAAG-revoked-token")
    with pytest.raises(HttpResponseError) as rejected:
        list(templates.list_templates(revoked))
    assert rejected.value.status_code == 424 and rejected.value.error.code == "WhatsAppAccessTokenRejected"
    assert "EAAG-revoked-token" not in rejected.value.response.text()

    channel, _ = register_cloud(cs, peer)
    peer.template_failure = 500
    with pytest.raises(HttpResponseError) as down:
        list(templates.list_templates(channel))
    assert down.value.status_code == 502 and down.value.error.code == "WhatsAppUnavailable"
    peer.template_failure = None
    assert [t.name for t in templates.list_templates(channel)] == ["order_update"]
    assert "EAAG-revoked-token" not in server.read_log() and peer.token not in server.read_log()


def test_every_kind_of_inbound_message_becomes_an_event_with_the_schemas_fields(start_server, peer, receiver):
    server = start_server(extra_args=["--whatsapp-graph-url", peer.url])
    cs = server.connection_string
    channel, registered = register_cloud(cs, peer)
    webhook = server.url + registered["webhookPath"]
    subscribe(cs, receiver.url, ["Microsoft.Communication.AdvancedMessageReceived"])
    client = NotificationMessagesClient.from_connection_string(cs)
    with pytest.raises(HttpResponseError) as closed:
        client.send(TextNotificationContent(channel_registration_id=channel, to=[HANDSET], content="Hello"))
    assert closed.value.error.code == "OutsideConversationWindow"

    digits = HANDSET.lstrip("+")
    sticker = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + bytes(range(18))
    sticker_id = peer.add_media("image/webp", sticker)
    location = {"latitude": 47.6062, "longitude": -122.3321, "name": "Lucky Shrub", "address": "1 Pike St, Seattle, WA"}
    contacts = [{"name": {"formatted_name": "Barbara Johnson", "first_name": "Barbara"},
                 "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME", "wa_id": "19405551234"}]}]
    messages = [
        # A reaction as the handset's first message: it opens the 24-hour window as any message does.
        ("reaction", {"message_id": "wamid.SENT1", "emoji": "\u2764\ufe0f"}, None),
        ("interactive", {"type": "button_reply", "button_reply": {"id": "cancel-button", "title": "Cancel"}}, "wamid.SENT1"),
        ("interactive", {"type": "list_reply", "list_reply": {
            "id": "priority_express", "title": "Priority Mail Express", "description": "Next Day to 2 Days"}}, "wamid.SENT2"),
        ("button", {"text": "Track my order", "payload": "track-42"}, "wamid.SENT3"),
        ("location", location, None),
        ("contacts", contacts, None),
        ("sticker", {"mime_type": "image/webp", "sha256": hashlib.sha256(sticker).hexdigest(), "id": sticker_id,
                     "animated": False}, None),
    ]
    forged = GraphPeer.message(digits, "reaction", {"message_id": "wamid.SENT1", "emoji": "\U0001F44E"})
    assert peer.notify(webhook, forged, forged=True).status_code == 401
    for kind, content, context in messages:
        assert peer.notify(webhook, GraphPeer.message(digits, kind, content, context)).status_code == 200
    (receipt,) = client.send(TextNotificationContent(channel_registration_id=channel, to=[HANDSET], content="Thanks!")).receipts
    assert receipt.to == HANDSET

    raw = receiver.wait_for(lambda: len(receiver.events()) >= len(messages) and receiver.events())
    events = [EventGridEvent.from_dict(e) for e in raw]
    assert all(e.event_type == "Microsoft.Communication.AdvancedMessageReceived"
               and e.subject == f"advancedMessage/sender/{HANDSET}/recipient/{channel}" for e in events)
    data = [e.data for e in events]
    assert sorted(d["messageType"] for d in data) == sorted(kind for kind, _, _ in messages)

    def one(predicate):
        (found,) = [d for d in data if predicate(d)]
        return found

    reaction = one(lambda d: d["messageType"] == "reaction")
    assert reaction["reaction"] == {"messageId": "wamid.SENT1", "emoji": "\u2764\ufe0f"} and "content" not in reaction
    button_reply = one(lambda d: d.get("interactive", {}).get("type") == "buttonReply")
    assert button_reply["interactive"] == {"type": "buttonReply", "buttonReply": {"id": "cancel-button", "title": "Cancel"}}
    assert button_reply["context"] == {"from": "15550783881", "id": "wamid.SENT1"}
    list_reply = one(lambda d: d.get("interactive", {}).get("type") == "listReply")
    assert list_reply["interactive"]["listReply"] == {
        "id": "priority_express", "title": "Priority Mail Express", "description": "Next Day to 2 Days"}
    button = one(lambda d: d["messageType"] == "button")
    assert button["button"] == {"text": "Track my order", "payload": "track-42"} and button["content"] == "Track my order"
    # ACS's event has no field for a location or shared contacts: Meta's object is the content, as JSON.
    assert json.loads(one(lambda d: d["messageType"] == "location")["content"]) == location
    assert json.loads(one(lambda d: d["messageType"] == "contacts")["content"]) == contacts
    sticker_event = one(lambda d: d["messageType"] == "sticker")
    assert sticker_event["media"]["mimeType"] == "image/webp" and sticker_event["media"]["animated"] is False
    assert b"".join(client.download_media(sticker_event["media"]["id"])) == sticker
    for d in data:
        assert d["from"] == HANDSET and d["to"] == channel and d["channelType"] == "whatsapp"
        assert set(d) <= {"from", "to", "receivedTimestamp", "error", "content", "messageId", "channelType", "messageType",
                          "media", "reaction", "context", "button", "interactive"}
