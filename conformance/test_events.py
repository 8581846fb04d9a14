"""Event Grid-compatible webhooks: handshakes, payloads parsed by the official azure-eventgrid, filters,
retries, dead letters, expiry, crash safety and several nodes — against a real webhook receiver."""

import collections
import hashlib
import hmac
import json
import pathlib
import signal
import time
import urllib.parse

import pytest
import requests
from azure.communication.chat import ChatParticipant
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, SystemEventNames

from chat_support import Users
from conftest import postgres_database, psql, signed_request
from webhook_receiver import Receiver

# The Event Grid schema of ACS events, kept in the repository (specs/); the payload checks compare against it,
# independently of Switchboard's own generated catalog.
SCHEMA_PATH = pathlib.Path(__file__).resolve().parents[1] / "specs" / "eventgrid" / "AzureCommunicationServices.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
FAST = ["--webhook-retry-delays", "1s", "--webhook-timeout", "2s"]


def subscribe(server, name, url, schema="EventGridSchema", types=None, begins=None, attempts=30, ttl=1440, batch=1, connection_string=None, batch_kb=None):
    destination = {"endpointUrl": url, "maxEventsPerBatch": batch}
    if batch_kb is not None:
        destination["preferredBatchSizeInKilobytes"] = batch_kb
    body = {"properties": {
        "destination": {"endpointType": "WebHook", "properties": destination},
        "filter": {k: v for k, v in {"includedEventTypes": types, "subjectBeginsWith": begins}.items() if v is not None},
        "eventDeliverySchema": schema,
        "retryPolicy": {"maxDeliveryAttempts": attempts, "eventTimeToLiveInMinutes": ttl}}}
    return signed_request(connection_string or server.connection_string, "PUT", f"/eventSubscriptions/{name}", body, api_version="2022-06-15")


def events_api(server, method, path, body=None):
    return signed_request(server.connection_string, method, path, body, api_version="2022-06-15")


def follow(server, next_link):
    """Follows a nextLink as the SDKs do: the link as given, signed, with the api-version it carries."""
    endpoint = server.connection_string.split(";")[0].split("=", 1)[1].rstrip("/")
    assert next_link.startswith(endpoint), next_link
    parts = urllib.parse.urlsplit(next_link[len(endpoint):])
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "api-version"]
    version = dict(urllib.parse.parse_qsl(parts.query))["api-version"]
    return signed_request(server.connection_string, "GET", f"{parts.path}?{urllib.parse.urlencode(query)}", api_version=version)


def conversation(users, receiver=None):
    """A chat conversation touching every chat event type. Deleting a message or a thread withdraws the events
    still queued with its content, so with a receiver it waits for the earlier events before deleting."""
    alice, bob, carol = users.create(), users.create(), users.create()
    thread = alice.chat.create_chat_thread("Lunch", thread_participants=[ChatParticipant(identifier=bob.identifier, display_name="Bob")]).chat_thread
    ours = alice.thread(thread.id)
    sent = ours.send_message("hello", sender_display_name="Alice", metadata={"k": "v"})
    ours.update_message(sent.id, content="hello!")
    ours.send_typing_notification(sender_display_name="Alice")
    ours.update_topic("Dinner")
    ours.add_participants([ChatParticipant(identifier=carol.identifier, display_name="Carol")])
    ours.remove_participant(carol.identifier)
    if receiver:
        receiver.wait_for(lambda: "Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser" in receiver.types())
    ours.delete_message(sent.id)
    if receiver:
        receiver.wait_for(lambda: "Microsoft.Communication.ChatMessageDeleted" in receiver.types())
    alice.chat.delete_chat_thread(thread.id)
    return alice, bob, thread


CHAT_TYPES = {
    "Microsoft.Communication.ChatThreadCreated", "Microsoft.Communication.ChatThreadCreatedWithUser",
    "Microsoft.Communication.ChatMessageReceivedInThread", "Microsoft.Communication.ChatMessageReceived",
    "Microsoft.Communication.ChatMessageEditedInThread", "Microsoft.Communication.ChatMessageEdited",
    "Microsoft.Communication.ChatTypingIndicatorReceivedInThread",
    "Microsoft.Communication.ChatThreadPropertiesUpdated", "Microsoft.Communication.ChatThreadPropertiesUpdatedPerUser",
    "Microsoft.Communication.ChatThreadParticipantAdded", "Microsoft.Communication.ChatParticipantAddedToThreadWithUser",
    "Microsoft.Communication.ChatThreadParticipantRemoved", "Microsoft.Communication.ChatParticipantRemovedFromThreadWithUser",
    "Microsoft.Communication.ChatMessageDeletedInThread", "Microsoft.Communication.ChatMessageDeleted",
    "Microsoft.Communication.ChatThreadDeleted", "Microsoft.Communication.ChatThreadWithUserDeleted",
}


def schema_definition(event_type):
    name = event_type.split(".")[-1]
    return {"ChatThreadParticipantAdded": "AcsChatParticipantAddedToThreadEventData",
            "ChatThreadParticipantRemoved": "AcsChatParticipantRemovedFromThreadEventData"}.get(name, f"Acs{name}EventData")


def collect(definition, key):
    """The union of `key` ("properties" or "required") over a definition and the definitions it extends."""
    spec = SCHEMA["definitions"][definition]
    result = set(spec.get(key, {}))
    for parent in spec.get("allOf", []):
        result |= collect(parent["$ref"].split("/")[-1], key)
    return result


def schema_fields(event_type):
    return collect(schema_definition(event_type), "properties")


def required_fields(event_type):
    return collect(schema_definition(event_type), "required")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_event_grid_handshake_and_every_chat_event_parsed_by_azure_eventgrid(server, receiver):
    response = subscribe(server, "all-chat", receiver.url + "?code=receiver-secret")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["properties"]["provisioningState"] == "Succeeded"
    assert created["properties"]["destination"]["properties"]["endpointBaseUrl"] == receiver.url
    assert receiver.validations[0][0]["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    secret = created["properties"]["signingSecret"]

    conversation(Users(server.connection_string), receiver)
    receiver.wait_for(lambda: CHAT_TYPES <= set(receiver.types()))
    known = {name.value for name in SystemEventNames}
    ids = set()
    for raw in receiver.events():
        event = EventGridEvent.from_dict(raw)
        assert event.event_type in known
        assert event.topic.endswith("/providers/Microsoft.Communication/communicationServices/dev")
        assert event.data_version == "1.0" and event.subject.startswith("thread/")
        assert set(event.data) <= schema_fields(event.event_type), (event.event_type, set(event.data) - schema_fields(event.event_type))
        assert required_fields(event.event_type) <= set(event.data), (event.event_type, required_fields(event.event_type) - set(event.data))
        ids.add(event.id)
    received = [e for e in receiver.events() if e["eventType"] == "Microsoft.Communication.ChatMessageReceived"]
    assert received[0]["data"]["messageBody"] == "hello" and received[0]["data"]["senderDisplayName"] == "Alice"
    assert "/recipient/" in received[0]["subject"]
    # Every delivery carries the aeg headers, the secret query string, and a signature the receiver can check.
    delivery = receiver.deliveries[0]
    assert delivery["path"] == "/events?code=receiver-secret"
    assert delivery["headers"]["aeg-event-type"] == "Notification"
    assert delivery["headers"]["aeg-subscription-name"] == "ALL-CHAT"
    timestamp, mac = dict(part.split("=", 1) for part in delivery["headers"]["X-Switchboard-Signature"].split(",")).values()
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + delivery["raw"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    assert len(ids) == len(receiver.events())


def test_cloudevents_handshake_and_payloads(server, receiver):
    response = subscribe(server, "cloud", receiver.url, schema="CloudEventSchemaV1_0")
    assert response.status_code == 201, response.text
    assert receiver.options[0]["WebHook-Request-Origin"] == "eventgrid.azure.net"
    users = Users(server.connection_string)
    alice = users.create()
    alice.chat.create_chat_thread("cloudy")
    receiver.wait_for(lambda: "Microsoft.Communication.ChatThreadCreated" in receiver.types())
    delivery = receiver.deliveries[0]
    assert delivery["headers"]["Content-Type"].startswith("application/cloudevents+json")
    for raw in receiver.events():
        event = CloudEvent.from_dict(raw)
        assert event.specversion == "1.0" and event.type.startswith("Microsoft.Communication.")
        assert event.source.endswith("/communicationServices/dev")


def test_an_endpoint_that_does_not_echo_the_code_receives_nothing_until_validated_manually(server):
    receiver = Receiver(validation="accept")
    try:
        response = subscribe(server, "manual", receiver.url)
        assert response.status_code == 201 and response.json()["properties"]["provisioningState"] == "AwaitingManualAction"
        users = Users(server.connection_string)
        alice = users.create()
        alice.chat.create_chat_thread("before validation")
        time.sleep(1.5)
        assert receiver.events() == []
        # Nothing is replayed to it either.
        refused = events_api(server, "POST", "/eventSubscriptions/manual/:replay", {"hours": 1})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "SubscriptionNotValidated"
        url = receiver.validations[0][0]["data"]["validationUrl"]
        assert requests.get(url, timeout=10).status_code == 200
        assert events_api(server, "GET", "/eventSubscriptions/manual").json()["properties"]["provisioningState"] == "Succeeded"
        alice.chat.create_chat_thread("after validation")
        receiver.wait_for(lambda: receiver.events())
        assert all(e["data"]["properties"]["topic"] == "after validation" for e in receiver.events() if e["eventType"] == "Microsoft.Communication.ChatThreadCreated")
    finally:
        receiver.close()


def test_a_failed_handshake_refuses_the_subscription(server):
    receiver = Receiver(validation="refuse")
    try:
        response = subscribe(server, "refused", receiver.url)
        assert response.status_code == 400 and response.json()["error"]["code"] == "WebhookValidationFailed"
        unreachable = subscribe(server, "unreachable", "http://127.0.0.1:9/nowhere")
        assert unreachable.status_code == 400
        assert events_api(server, "GET", "/eventSubscriptions").json()["value"] == []
        bad = subscribe(server, "bad-type", receiver.url, types=["Microsoft.Storage.BlobCreated"])
        assert bad.status_code == 400 and bad.json()["error"]["target"] == "properties.filter.includedEventTypes"
    finally:
        receiver.close()


def test_an_operator_can_keep_webhooks_off_private_networks(start_server, receiver):
    server = start_server(extra_args=["--webhook-deny-private-networks"])
    refused = subscribe(server, "inside", receiver.url)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "WebhookValidationFailed"
    assert "loopback" in refused.json()["error"]["message"]
    assert receiver.validations == [], "the private endpoint was never called"
    # Link-local addresses (cloud metadata) are refused whatever the setting.
    default = start_server("default")
    metadata = subscribe(default, "metadata", "http://169.254.169.254/latest/meta-data")
    assert metadata.status_code == 400 and "link-local" in metadata.json()["error"]["message"]


def test_filters_deliver_only_what_matches(server, receiver):
    users = Users(server.connection_string)
    alice = users.create()
    first = alice.chat.create_chat_thread("first").chat_thread
    second = alice.chat.create_chat_thread("second").chat_thread
    assert subscribe(server, "filtered", receiver.url, types=["Microsoft.Communication.ChatMessageReceivedInThread"],
                     begins=f"thread/{second.id}").status_code == 201
    alice.thread(first.id).send_message("not this one")
    alice.thread(second.id).send_message("this one")
    receiver.wait_for(lambda: receiver.events())
    time.sleep(1)
    events = receiver.events()
    assert [e["data"]["messageBody"] for e in events] == ["this one"]
    assert {e["eventType"] for e in events} == {"Microsoft.Communication.ChatMessageReceivedInThread"}


def test_retries_after_500s_and_timeouts_keep_the_event_id(start_server, receiver):
    server = start_server(extra_args=FAST)
    subscribe(server, "retried", receiver.url, types=["Microsoft.Communication.ChatThreadCreated"])
    # A 500; an answer too slow for the 2 s timeout; a 200 whose body never comes (headers, then nothing, which
    # must time out too rather than hold the worker); then success.
    receiver.script = [(500, 0), (0, 3), (200, 60, "stall"), (200, 0)]
    Users(server.connection_string).create().chat.create_chat_thread("retry me")
    receiver.wait_for(lambda: receiver.events(), timeout=30)
    attempts = receiver.deliveries
    assert len(attempts) == 4
    ids = {d["body"][0]["id"] for d in attempts}
    assert len(ids) == 1
    # The slow attempt is recorded by the receiver when its sleep ends, possibly after the next attempt began.
    counts = sorted(d["headers"]["aeg-delivery-count"] for d in attempts)
    assert counts == ["0", "1", "2", "3"]
    assert [d["headers"]["aeg-delivery-count"] for d in attempts if d["status"] == 200 and d["body"]][-1] == "3"


def test_a_400_goes_straight_to_the_dead_letters_and_can_be_redelivered(start_server, receiver):
    server = start_server(extra_args=FAST)
    subscribe(server, "picky", receiver.url, types=["Microsoft.Communication.ChatThreadCreated"])
    receiver.default_status = 400
    Users(server.connection_string).create().chat.create_chat_thread("rejected")
    letters = receiver.wait_for(lambda: events_api(server, "GET", "/eventSubscriptions/picky/deadLetters").json()["value"])
    time.sleep(1.5)
    assert len(receiver.deliveries) == 1, "no retry after a 400"
    letter = letters[0]
    assert letter["deadLetterReason"] == "DeliveryFailed" and letter["lastHttpStatusCode"] == 400
    assert letter["event"]["eventType"] == "Microsoft.Communication.ChatThreadCreated"
    receiver.default_status = 200
    assert events_api(server, "POST", "/eventSubscriptions/picky/deadLetters/:redeliver", {}).json()["queued"] == 1
    receiver.wait_for(lambda: receiver.events())
    assert receiver.events()[0]["id"] == letter["id"]


def test_events_past_their_time_to_live_are_dead_lettered(start_server, receiver):
    server = start_server(extra_args=["--webhook-retry-delays", "2m", "--webhook-timeout", "2s"])
    subscribe(server, "short-lived", receiver.url, types=["Microsoft.Communication.ChatThreadCreated"], ttl=1)
    receiver.default_status = 503
    Users(server.connection_string).create().chat.create_chat_thread("expires")
    letters = receiver.wait_for(lambda: events_api(server, "GET", "/eventSubscriptions/short-lived/deadLetters").json()["value"])
    assert letters[0]["deadLetterReason"] == "TimeToLiveExceeded"


def test_kill_9_in_the_middle_of_deliveries_loses_nothing(start_server, receiver):
    # The per-thread send rate is lifted so a real backlog builds up behind a slow receiver.
    server = start_server(extra_args=FAST + ["--chat-send-rate", "1000/1"])
    subscribe(server, "durable", receiver.url, types=["Microsoft.Communication.ChatMessageReceivedInThread"])
    receiver.delay = 0.2
    users = Users(server.connection_string)
    alice = users.create()
    thread = alice.thread(alice.chat.create_chat_thread("burst").chat_thread.id)
    expected = {thread.send_message(f"m{index}").id for index in range(40)}
    receiver.wait_for(lambda: len(receiver.events()) >= 3)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    before = {e["data"]["messageId"]: e["id"] for e in receiver.events()}
    assert len(before) < 40, "the crash happened before everything was delivered"
    receiver.delay = 0
    server.start()
    receiver.wait_for(lambda: expected <= {e["data"]["messageId"] for e in receiver.events()}, timeout=60)
    # At least once, with a stable id: an event delivered again after the restart carries the id it had before.
    for event in receiver.events():
        if event["data"]["messageId"] in before:
            assert event["id"] == before[event["data"]["messageId"]]
    assert len({e["id"] for e in receiver.events()}) == 40
    # An event delivered again says so: the batch in flight at the crash counts as an attempt the receiver saw.
    # In order of arrival: the request the crash cut off may be recorded after its redelivery.
    seen = set()
    for delivery in sorted(receiver.deliveries, key=lambda delivery: delivery["arrived"]):
        body = delivery["body"]
        ids = {event["id"] for event in (body if isinstance(body, list) else [body])}
        if ids & seen:
            assert int(delivery["headers"]["aeg-delivery-count"]) >= 1, delivery["headers"]
        seen |= ids


def test_two_nodes_on_one_postgres_deliver_each_event_once(start_server, receiver):
    directory, store = postgres_database("directory"), postgres_database("us")
    storage = ["--directory", directory, "--store", f"unitedstates={store}"] + FAST
    env = {"SWITCHBOARD_MASTER_KEY": "q2lW0VqkH4yJ3ZK8bJ1u9Q1nq8eR0m7c3pO5eA2lH0Q="}
    node_a = start_server("node-a", storage, env, trust=False)
    node_b = start_server("node-b", storage, env, trust=False)
    start_server.trust(node_a, node_b)
    subscribe(node_a, "shared", receiver.url, types=["Microsoft.Communication.ChatMessageReceivedInThread"])
    users = Users(node_b.connection_string)
    alice = users.create()
    # A slow receiver: while one node waits on a delivery, the other claims what is queued behind it.
    receiver.delay = 0.2
    threads = [alice.thread(alice.chat.create_chat_thread(f"t{i}").chat_thread.id) for i in range(4)]
    sent = {threads[i % 4].send_message(f"m{i}").id for i in range(32)}
    receiver.wait_for(lambda: sent <= {e["data"]["messageId"] for e in receiver.events()}, timeout=60)
    time.sleep(2)
    counts = collections.Counter(e["id"] for e in receiver.events())
    assert max(counts.values()) == 1, "an event was delivered twice"
    assert all(d["headers"]["aeg-delivery-count"] == "0" for d in receiver.deliveries)
    # Both nodes took part, and every delivery was recorded once, by the node that made it.
    nodes = psql(store, "SELECT count(DISTINCT node) FROM outbox_attempts").strip()
    assert nodes == "2", "one node did all the work"
    recorded = psql(store, "SELECT count(*) FROM outbox_attempts").strip()
    assert int(recorded) == len(receiver.deliveries)


def test_replay_and_listing_recent_events(server, receiver):
    users = Users(server.connection_string)
    alice = users.create()
    alice.chat.create_chat_thread("earlier")
    alice.chat.create_chat_thread("and another")
    listed = events_api(server, "GET", "/events?hours=1").json()["value"]
    assert "Microsoft.Communication.ChatThreadCreated" in {e["eventType"] for e in listed}
    # The listing pages: one event per page, following nextLink, gives the same events.
    paged, page = [], events_api(server, "GET", "/events?hours=1&maxPageSize=1").json()
    while True:
        paged += page["value"]
        if not page.get("nextLink"):
            break
        page = follow(server, page["nextLink"]).json()
    assert [e["id"] for e in paged] == [e["id"] for e in listed]
    assert subscribe(server, "late", receiver.url, types=["Microsoft.Communication.ChatThreadCreated"]).status_code == 201
    assert receiver.events() == []
    queued = events_api(server, "POST", "/eventSubscriptions/late/:replay", {"hours": 1})
    assert queued.status_code == 202 and queued.json()["queued"] == 2
    receiver.wait_for(lambda: receiver.events())
    receiver.wait_for(lambda: len(receiver.events()) == 2)
    originals = {e["id"] for e in listed if e["eventType"] == "Microsoft.Communication.ChatThreadCreated"}
    assert {e["id"] for e in receiver.events()} == originals


def test_subscriptions_through_the_command_line(server, receiver):
    created = server.cli("events", "subscription", "create", "dev", "from-cli", "--endpoint", receiver.url,
                         "--event-type", "Microsoft.Communication.ChatThreadCreated", "--json")
    assert created[0]["provisioningState"] == "Succeeded"
    assert [s["name"] for s in server.cli("events", "subscription", "list", "dev", "--json")] == ["from-cli"]
    Users(server.connection_string).create().chat.create_chat_thread("cli")
    receiver.wait_for(lambda: receiver.events())
    server.cli("events", "subscription", "delete", "dev", "from-cli")
    assert server.cli("events", "subscription", "list", "dev", "--json") == []


def test_batches_carry_several_events(start_server, receiver):
    server = start_server(extra_args=FAST)
    assert subscribe(server, "batched", receiver.url, types=["Microsoft.Communication.ChatMessageReceivedInThread"], batch=10).status_code == 201
    receiver.delay = 1  # while the first delivery is slow, the next messages queue up
    users = Users(server.connection_string)
    alice = users.create()
    thread = alice.thread(alice.chat.create_chat_thread("batch").chat_thread.id)
    for index in range(8):
        thread.send_message(f"m{index}")
    receiver.wait_for(lambda: len(receiver.events()) == 8, timeout=30)
    sizes = [len(d["body"]) for d in receiver.deliveries]
    assert max(sizes) > 1 and sum(sizes) == 8


def test_batches_end_at_the_preferred_size(start_server, receiver):
    server = start_server(extra_args=FAST)
    created = subscribe(server, "sized", receiver.url, types=["Microsoft.Communication.ChatMessageReceivedInThread"], batch=10, batch_kb=2)
    assert created.status_code == 201
    assert created.json()["properties"]["destination"]["properties"]["preferredBatchSizeInKilobytes"] == 2
    receiver.delay = 1
    users = Users(server.connection_string)
    alice = users.create()
    thread = alice.thread(alice.chat.create_chat_thread("sized").chat_thread.id)
    sent = [thread.send_message("x" * 600 + f" {index}").id for index in range(8)]
    receiver.wait_for(lambda: len(receiver.events()) == 8, timeout=40)
    # Every batch fits in 2 KB unless it is a single event; nothing is lost or repeated, and order is kept.
    for delivery in receiver.deliveries:
        assert len(delivery["raw"]) <= 2048 or len(delivery["body"]) == 1
    assert [e["data"]["messageId"] for e in receiver.events()] == sent
    assert all(d["headers"]["aeg-delivery-count"] == "0" for d in receiver.deliveries)
    assert subscribe(server, "too-big", receiver.url, batch_kb=2048).status_code == 400
