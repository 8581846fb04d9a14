"""Every public method of ChatClient and ChatThreadClient (azure-communication-chat 1.3.0) against a live server,
with the residency document's chat rules and the authorization rules."""

import datetime
import uuid

import pytest
from azure.communication.chat import ChatMessageType, ChatParticipant
from azure.communication.identity import CommunicationUserIdentifier
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from chat_support import Users, quote


@pytest.fixture
def users(server):
    return Users(server.connection_string)


def texts(thread_client, **kwargs):
    return [m.content.message for m in thread_client.list_messages(**kwargs) if m.type == ChatMessageType.TEXT and m.deleted_on is None]


def test_a_conversation_through_every_method(users):
    alice, bob, carol = users.create(), users.create(), users.create()
    token = str(uuid.uuid4())
    created = alice.chat.create_chat_thread(
        "Lunch", thread_participants=[ChatParticipant(identifier=bob.identifier, display_name="Bob")], idempotency_token=token)
    assert created.errors is None or created.errors == []
    thread = created.chat_thread
    assert thread.topic == "Lunch" and thread.created_by.raw_id == alice.raw_id
    again = alice.chat.create_chat_thread(
        "Lunch", thread_participants=[ChatParticipant(identifier=bob.identifier, display_name="Bob")], idempotency_token=token)
    assert again.chat_thread.id == thread.id

    ours = alice.chat.get_chat_thread_client(thread.id)
    theirs = bob.thread(thread.id)
    assert theirs.get_properties().topic == "Lunch"
    assert [t.id for t in bob.chat.list_chat_threads()] == [thread.id]
    assert [t.id for t in bob.chat.list_chat_threads(results_per_page=1, start_time=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5))] == [thread.id]

    first = ours.send_message("Where shall we go?", sender_display_name="Alice", metadata={"tag": "question"})
    second = theirs.send_message("<b>Pizza</b>", chat_message_type=ChatMessageType.HTML)
    message = theirs.get_message(first.id)
    assert message.content.message == "Where shall we go?" and message.sender_display_name == "Alice"
    assert message.metadata == {"tag": "question"} and message.sender.raw_id == alice.raw_id
    assert theirs.get_message(second.id).type == ChatMessageType.HTML

    listed = list(theirs.list_messages(results_per_page=1))
    assert [m.type for m in listed] == [ChatMessageType.HTML, ChatMessageType.TEXT, ChatMessageType.TOPIC_UPDATED, ChatMessageType.PARTICIPANT_ADDED]
    assert [int(m.sequence_id) for m in listed] == [4, 3, 2, 1]
    added = listed[3].content
    assert {p.identifier.raw_id for p in added.participants} == {alice.raw_id, bob.raw_id}
    assert added.initiator.raw_id == alice.raw_id
    assert listed[2].content.topic == "Lunch"

    ours.update_message(first.id, content="Where shall we eat?", metadata={"tag": "edited"})
    edited = theirs.get_message(first.id)
    assert edited.content.message == "Where shall we eat?" and edited.edited_on is not None
    assert int(edited.version) > int(message.version)

    ours.update_topic("Dinner")
    assert theirs.get_properties().topic == "Dinner"
    assert next(iter(theirs.list_messages())).type == ChatMessageType.TOPIC_UPDATED

    errors = ours.add_participants([ChatParticipant(identifier=carol.identifier, display_name="Carol", share_history_time=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))])
    assert errors == []
    names = {p.identifier.raw_id: p.display_name for p in ours.list_participants()}
    assert names == {alice.raw_id: None, bob.raw_id: "Bob", carol.raw_id: "Carol"}
    assert len(list(ours.list_participants(results_per_page=1, skip=1))) == 2
    assert "Where shall we eat?" in texts(carol.thread(thread.id))

    theirs.send_read_receipt(first.id)
    receipts = list(ours.list_read_receipts())
    assert [(r.sender.raw_id, r.chat_message_id) for r in receipts] == [(bob.raw_id, first.id)]
    assert len(list(ours.list_read_receipts(results_per_page=1, skip=0))) == 1
    ours.send_typing_notification(sender_display_name="Alice")

    ours.delete_message(first.id)
    gone = theirs.get_message(first.id)
    assert gone.deleted_on is not None and gone.content is None
    assert texts(theirs) == []

    ours.remove_participant(carol.identifier)
    assert {p.identifier.raw_id for p in ours.list_participants()} == {alice.raw_id, bob.raw_id}

    alice.chat.delete_chat_thread(thread.id)
    [item] = list(bob.chat.list_chat_threads())
    assert item.id == thread.id and item.deleted_on is not None
    with pytest.raises(ResourceNotFoundError):
        theirs.get_properties()
    ours.close()
    alice.chat.close()


def test_only_participants_read_or_act(users):
    alice, mallory = users.create(), users.create()
    thread = alice.chat.create_chat_thread("private").chat_thread
    alice.thread(thread.id).send_message("secret")
    intruder = mallory.thread(thread.id)
    for call in [intruder.get_properties, lambda: list(intruder.list_messages()), lambda: intruder.send_message("hi"),
                 lambda: list(intruder.list_participants()), lambda: intruder.update_topic("mine")]:
        with pytest.raises(ResourceNotFoundError):
            call()
    assert list(mallory.chat.list_chat_threads()) == []


def test_nobody_edits_or_deletes_another_users_message(users):
    alice, bob = users.create(), users.create()
    thread = alice.chat.create_chat_thread("t", thread_participants=[ChatParticipant(identifier=bob.identifier)]).chat_thread
    sent = alice.thread(thread.id).send_message("mine")
    for call in [lambda: bob.thread(thread.id).update_message(sent.id, content="yours"), lambda: bob.thread(thread.id).delete_message(sent.id)]:
        with pytest.raises(HttpResponseError) as raised:
            call()
        assert raised.value.status_code == 403
    assert texts(alice.thread(thread.id)) == ["mine"]


def test_a_removed_participant_reads_history_up_to_removal_only(users):
    alice, bob = users.create(), users.create()
    thread = alice.chat.create_chat_thread("t", thread_participants=[ChatParticipant(identifier=bob.identifier)]).chat_thread
    ours = alice.thread(thread.id)
    ours.send_message("before")
    ours.remove_participant(bob.identifier)
    ours.send_message("after")
    theirs = bob.thread(thread.id)
    assert texts(theirs) == ["before"]
    assert next(iter(theirs.list_messages())).type == ChatMessageType.PARTICIPANT_REMOVED
    with pytest.raises(HttpResponseError) as raised:
        theirs.send_message("let me back in")
    assert raised.value.status_code == 403
    assert [t.id for t in bob.chat.list_chat_threads()] == [thread.id]
    # Nothing set after the removal reaches the former participant, the topic included.
    ours.update_topic("after bob left")
    assert theirs.get_properties().topic == "t"
    assert [t.topic for t in bob.chat.list_chat_threads()] == ["t"]


def test_share_history_time_bounds_what_an_added_participant_sees(users):
    alice, bob, carol = users.create(), users.create(), users.create()
    thread = alice.chat.create_chat_thread("t").chat_thread
    ours = alice.thread(thread.id)
    ours.send_message("ancient")
    ours.add_participants([ChatParticipant(identifier=bob.identifier)])
    ours.add_participants([ChatParticipant(identifier=carol.identifier, share_history_time=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))])
    ours.send_message("fresh")
    assert texts(bob.thread(thread.id)) == ["fresh"]
    assert texts(carol.thread(thread.id)) == ["fresh", "ancient"]


def test_deleting_an_identity_deletes_its_messages_and_its_token_is_refused(users):
    alice, bob = users.create(), users.create()
    thread = alice.chat.create_chat_thread("t", thread_participants=[ChatParticipant(identifier=bob.identifier)]).chat_thread
    bob.thread(thread.id).send_message("from bob")
    alice.thread(thread.id).send_message("from alice")
    users.identity.delete_user(bob.identifier)
    assert texts(alice.thread(thread.id)) == ["from alice"]
    with pytest.raises(ClientAuthenticationError):
        list(bob.chat.list_chat_threads())


def test_a_revoked_token_is_refused_at_once(users):
    alice = users.create()
    list(alice.chat.list_chat_threads())
    users.identity.revoke_tokens(alice.identifier)
    with pytest.raises(ClientAuthenticationError):
        list(alice.chat.list_chat_threads())


def test_invalid_participants_are_reported_per_participant(users, server):
    alice = users.create()
    other = server.cli("resource", "create", "elsewhere", "--geography", "europe", "--json")
    stranger = Users(other["connectionString"]).create()
    ghost = CommunicationUserIdentifier(alice.raw_id.split("_")[0] + "_" + str(uuid.uuid4()))
    result = alice.chat.create_chat_thread(
        "t", thread_participants=[ChatParticipant(identifier=stranger.identifier), ChatParticipant(identifier=ghost)])
    failed = {participant.identifier.raw_id for participant, _ in result.errors}
    assert failed == {stranger.raw_id, ghost.raw_id}
    errors = alice.thread(result.chat_thread.id).add_participants([ChatParticipant(identifier=ghost)])
    assert [p.identifier.raw_id for p, _ in errors] == [ghost.raw_id]


def test_scopes_restrict_as_acs_documents_them(users):
    owner = users.create()
    joiner = users.create(["chat.join"])
    limited = users.create(["chat.join.limited"])
    guest = users.create()
    with pytest.raises(HttpResponseError) as raised:
        joiner.chat.create_chat_thread("mine")
    assert raised.value.status_code == 403
    thread = owner.chat.create_chat_thread(
        "t", thread_participants=[ChatParticipant(identifier=joiner.identifier), ChatParticipant(identifier=limited.identifier)]).chat_thread
    joiner.thread(thread.id).send_message("hello")
    with pytest.raises(HttpResponseError):
        joiner.thread(thread.id).update_topic("mine")
    with pytest.raises(HttpResponseError):
        limited.thread(thread.id).add_participants([ChatParticipant(identifier=guest.identifier)])
    assert joiner.thread(thread.id).add_participants([ChatParticipant(identifier=guest.identifier)]) == []


def test_limits(users):
    alice = users.create()
    thread = alice.chat.create_chat_thread("t").chat_thread
    ours = alice.thread(thread.id, retry_total=0)
    with pytest.raises(HttpResponseError) as raised:
        ours.send_message("x" * (28 * 1024 + 1))
    assert raised.value.status_code == 400 and raised.value.error.code == "MessageTooLarge"
    for index in range(10):
        ours.send_message(f"burst {index}")
    with pytest.raises(HttpResponseError) as raised:
        ours.send_message("one too many")
    assert raised.value.status_code == 429
    assert int(raised.value.response.headers["Retry-After"]) >= 1
    # With its default retry policy the SDK waits as told and gets through.
    assert alice.thread(thread.id).send_message("patience").id


def test_paging_across_many_pages(users):
    alice = users.create()
    thread = alice.chat.create_chat_thread("t").chat_thread
    ours = alice.thread(thread.id)
    sent = []
    for index in range(9):
        sent.append(ours.send_message(f"m{index}").id)
        if index % 5 == 4:
            import time; time.sleep(1.1)  # stay under the per-thread rate
    pages = list(ours.list_messages(results_per_page=2).by_page())
    assert len(pages) == 6
    ids = [m.id for page in pages for m in page]
    assert ids[:9] == list(reversed(sent))
    assert len(ids) == len(set(ids)) == 11

    # start_time keeps only what changed since then, still paged.
    import time; time.sleep(1.1)
    since = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.05)
    later = [ours.send_message(f"later{index}").id for index in range(3)]
    recent = [m.id for page in ours.list_messages(results_per_page=2, start_time=since).by_page() for m in page]
    assert recent == list(reversed(later))

    # Threads page too, most recently active first, each once; lastMessageReceivedOn is the last message's time.
    others = [alice.chat.create_chat_thread(f"other {index}").chat_thread for index in range(4)]
    thread_pages = list(alice.chat.list_chat_threads(results_per_page=2).by_page())
    listed = [t for page in thread_pages for t in page]
    assert len(thread_pages) == 3 and len(listed) == 5 and len({t.id for t in listed}) == 5
    assert [t.id for t in listed] == [o.id for o in reversed(others)] + [thread.id]
    newest = ours.get_message(later[-1])
    item = next(t for t in listed if t.id == thread.id)
    assert abs((item.last_message_received_on - newest.created_on).total_seconds()) < 1


def test_retention_policy_and_thread_metadata_with_a_newer_api_version(users):
    alice = users.create()
    created = alice.rest("POST", "/chat/threads", {
        "topic": "retained", "metadata": {"case": "42"},
        "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 30}})
    assert created.status_code == 201, created.text
    thread = created.json()["chatThread"]
    assert thread["retentionPolicy"] == {"kind": "threadCreationDate", "deleteThreadAfterDays": 30}
    assert thread["metadata"] == {"case": "42"}
    bad = alice.rest("PATCH", f"/chat/threads/{quote(thread['id'])}", {"retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 91}})
    assert bad.status_code == 400 and bad.json()["error"]["target"] == "retentionPolicy.deleteThreadAfterDays"
    cleared = alice.rest("PATCH", f"/chat/threads/{quote(thread['id'])}", {"retentionPolicy": None})
    assert cleared.status_code == 204
    assert "retentionPolicy" not in alice.rest("GET", f"/chat/threads/{quote(thread['id'])}").json()
