"""Real-time delivery over a real WebSocket client: the events of a conversation, resumption without loss, and
delivery across two nodes sharing PostgreSQL."""

import queue
import time

import pytest
from azure.communication.chat import ChatParticipant

from chat_support import Listener, Users
from conftest import postgres_database


@pytest.fixture
def users(server):
    return Users(server.connection_string)


def test_a_participant_receives_the_events_of_its_threads(server, users):
    alice, bob = users.create(), users.create()
    listener = Listener(server.url, "dev", bob.token, server.ca)
    thread = alice.chat.create_chat_thread("Lunch", thread_participants=[ChatParticipant(identifier=bob.identifier, display_name="Bob")]).chat_thread
    created = listener.next()
    assert created["type"] == "chatThreadCreated"
    assert created["data"]["threadId"] == thread.id and created["data"]["properties"]["topic"] == "Lunch"
    # Who acted is a participant, as the SDKs' real-time events carry it.
    assert created["data"]["createdBy"]["id"]["rawId"] == alice.raw_id
    assert created["data"]["properties"]["retentionPolicy"] == {"kind": "none"}
    ours = alice.thread(thread.id)
    sent = ours.send_message("hello", sender_display_name="Alice", metadata={"k": "v"})
    received = listener.next()
    assert received["type"] == "chatMessageReceived"
    data = received["data"]
    assert data["id"] == sent.id and data["message"] == "hello" and data["senderDisplayName"] == "Alice"
    assert data["sender"]["rawId"] == alice.raw_id and data["recipient"]["rawId"] == bob.raw_id
    assert data["metadata"] == {"k": "v"} and data["type"] == "text"
    ours.update_message(sent.id, content="hello!")
    assert listener.next()["type"] == "chatMessageEdited"
    ours.send_typing_notification(sender_display_name="Alice")
    typing = listener.next()
    assert typing["type"] == "typingIndicatorReceived" and typing["data"]["senderDisplayName"] == "Alice"
    bob.thread(thread.id).send_read_receipt(sent.id)
    receipt = listener.next()
    assert receipt["type"] == "readReceiptReceived" and receipt["data"]["chatMessageId"] == sent.id
    ours.update_topic("Dinner")
    updated = listener.next()
    assert updated["type"] == "chatThreadPropertiesUpdated" and updated["data"]["properties"]["topic"] == "Dinner"
    assert updated["data"]["updatedBy"]["id"]["rawId"] == alice.raw_id
    carol = users.create()
    ours.add_participants([ChatParticipant(identifier=carol.identifier, display_name="Carol")])
    added = listener.next()
    assert added["type"] == "participantsAdded" and added["data"]["participantsAdded"][0]["id"]["rawId"] == carol.raw_id
    assert added["data"]["addedBy"]["id"]["rawId"] == alice.raw_id
    ours.delete_message(sent.id)
    assert listener.next()["type"] == "chatMessageDeleted"
    ours.remove_participant(carol.identifier)
    assert listener.next()["type"] == "participantsRemoved"
    alice.chat.delete_chat_thread(thread.id)
    assert listener.next()["type"] == "chatThreadDeleted"
    listener.close()


def test_reconnecting_with_a_cursor_resumes_without_loss(server, users):
    alice, bob = users.create(), users.create()
    thread = alice.chat.create_chat_thread("t", thread_participants=[ChatParticipant(identifier=bob.identifier)]).chat_thread
    ours = alice.thread(thread.id)
    first = Listener(server.url, "dev", bob.token, server.ca)
    ours.send_message("one")
    seen = first.next()
    first.close()
    for text in ["two", "three", "four"]:
        ours.send_message(text)
    resumed = Listener(server.url, "dev", bob.token, server.ca, since=seen["cursor"], query_token=True)
    ours.send_message("five")
    messages = resumed.collect(4)
    assert [m["data"]["message"] for m in messages] == ["two", "three", "four", "five"]
    cursors = [m["cursor"] for m in messages]
    assert cursors == sorted(cursors) and cursors[0] > seen["cursor"]
    resumed.close()


def test_a_removed_participant_receives_nothing_after_removal(server, users):
    alice, bob = users.create(), users.create()
    thread = alice.chat.create_chat_thread("t", thread_participants=[ChatParticipant(identifier=bob.identifier)]).chat_thread
    listener = Listener(server.url, "dev", bob.token, server.ca)
    ours = alice.thread(thread.id)
    ours.remove_participant(bob.identifier)
    assert listener.next()["type"] == "participantsRemoved"
    ours.send_message("not for bob")
    with pytest.raises(queue.Empty):
        listener.next(timeout=1.5)
    listener.close()


def test_an_invalid_token_is_refused_and_a_revoked_one_disconnected(server, users):
    refused = Listener(server.url, "dev", "not-a-token", server.ca)
    assert refused.closed.wait(10)
    assert refused.close_code == 4401
    alice = users.create()
    listener = Listener(server.url, "dev", alice.token, server.ca)
    users.identity.revoke_tokens(alice.identifier)
    assert listener.closed.wait(20), "a revoked token's connection is closed"
    assert listener.close_code == 4401


def test_a_token_of_one_resource_never_opens_another_resources_stream(server, users):
    server.cli("resource", "create", "other", "--geography", "europe", "--json")
    alice = users.create()
    listener = Listener(server.url, "other", alice.token, server.ca)
    assert listener.closed.wait(10)
    assert listener.close_code == 4401


def test_a_token_without_a_chat_scope_is_refused(server, users):
    caller = users.create(scopes=("voip",))
    listener = Listener(server.url, "dev", caller.token, server.ca)
    assert listener.closed.wait(10)
    assert listener.close_code == 4403


def test_a_message_sent_through_one_node_reaches_a_websocket_on_another(start_server):
    directory = postgres_database("directory")
    store = postgres_database("us")
    storage = ["--directory", directory, "--store", f"unitedstates={store}"]
    env = {"SWITCHBOARD_MASTER_KEY": "q2lW0VqkH4yJ3ZK8bJ1u9Q1nq8eR0m7c3pO5eA2lH0Q="}
    node_a = start_server("node-a", storage, env, trust=False)
    node_b = start_server("node-b", storage, env, trust=False)
    start_server.trust(node_a, node_b)
    on_a = Users(node_a.connection_string)
    alice, bob = on_a.create(), on_a.create()
    listener = Listener(node_b.url, "dev", bob.token, node_b.ca)
    thread = alice.chat.create_chat_thread("across nodes", thread_participants=[ChatParticipant(identifier=bob.identifier)]).chat_thread
    assert listener.next()["type"] == "chatThreadCreated"
    started = time.time()
    alice.thread(thread.id).send_message("via node a")
    message = listener.next()
    assert message["data"]["message"] == "via node a"
    assert time.time() - started < 5
    listener.close()
