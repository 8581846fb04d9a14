"""Every public method of RoomsClient (azure-communication-rooms 1.2.0) against a live server, through a room's whole
life: create (with and without participants, with the defaults), get, update some fields, list with paging, add or
update and remove participants, list them, delete; and what ACS refuses.

Participants are communication users of the resource, made with azure-communication-identity as a user would.
The SDK signs the percent-decoded path, sends `null` for every field not given, and returns room times as strings.
"""

import datetime
import time
import uuid

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.rooms import (
    CommunicationUserIdentifier,
    ParticipantRole,
    PhoneNumberIdentifier,
    RoomParticipant,
    RoomsClient,
)
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from conftest import postgres_database, psql

ROOM_TIME = "%Y-%m-%dT%H:%M:%SZ"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def rooms(server):
    return RoomsClient.from_connection_string(server.connection_string)


@pytest.fixture
def identities(server):
    return CommunicationIdentityClient.from_connection_string(server.connection_string)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def parse(text):
    """A room time as the SDK hands it over: a string, `yyyy-MM-ddTHH:mm:ssZ`."""
    assert isinstance(text, str) and len(text) == 20 and text.endswith("Z"), text
    return datetime.datetime.strptime(text, ROOM_TIME).replace(tzinfo=datetime.timezone.utc)


def whole(moment):
    return moment.replace(microsecond=0)


def roster(client, room_id, **kwargs):
    return {p.communication_identifier.raw_id: p.role for p in client.list_participants(room_id, **kwargs)}


def error_detail(error):
    details = error.value.error.details if error.value.error else None
    return (details[0].code, details[0].target) if details else (None, None)


def second_resource(server, name="other"):
    created = server.cli("resource", "create", name, "--geography", "unitedstates", "--json")
    return created["connectionString"]


def test_a_room_with_the_defaults(rooms):
    before = whole(now())
    room = rooms.create_room()
    after = now()
    assert len(room.id) == 17 and room.id.isdigit(), room.id
    valid_from, valid_until = parse(room.valid_from), parse(room.valid_until)
    assert before <= valid_from <= after, "validFrom null means now"
    assert valid_until - valid_from == datetime.timedelta(days=180)
    assert before <= parse(room.created_at) <= after
    assert room.pstn_dial_out_enabled is False

    fetched = rooms.get_room(room.id)
    assert (fetched.id, fetched.valid_from, fetched.valid_until, fetched.pstn_dial_out_enabled) == (
        room.id, room.valid_from, room.valid_until, False)
    assert room.id in {r.id for r in rooms.list_rooms()}


def test_a_room_with_its_window_participants_and_dial_out(rooms, identities):
    presenter, attendee, collaborator = (identities.create_user() for _ in range(3))
    start = whole(now()) + DAY
    room = rooms.create_room(
        valid_from=start, valid_until=start + 7 * DAY, pstn_dial_out_enabled=True,
        participants=[
            RoomParticipant(communication_identifier=presenter, role=ParticipantRole.PRESENTER),
            RoomParticipant(communication_identifier=attendee),
            RoomParticipant(communication_identifier=collaborator, role=ParticipantRole.COLLABORATOR),
        ])
    assert parse(room.valid_from) == start and parse(room.valid_until) == start + 7 * DAY
    assert room.pstn_dial_out_enabled is True
    assert roster(rooms, room.id) == {
        presenter.raw_id: ParticipantRole.PRESENTER, attendee.raw_id: ParticipantRole.ATTENDEE,
        collaborator.raw_id: ParticipantRole.COLLABORATOR}
    listed = list(rooms.list_participants(room.id))
    assert all(isinstance(p.communication_identifier, CommunicationUserIdentifier) for p in listed)

    # Milliseconds are dropped: rooms keep whole seconds, as ACS writes them.
    precise = rooms.create_room(valid_until=start + DAY + datetime.timedelta(microseconds=123456))
    assert parse(precise.valid_until) == start + DAY


def test_update_changes_only_what_it_is_given(rooms):
    room = rooms.create_room(pstn_dial_out_enabled=True)

    same = rooms.update_room(room_id=room.id)
    assert (same.valid_from, same.valid_until, same.pstn_dial_out_enabled) == (room.valid_from, room.valid_until, True)

    until = whole(now()) + 30 * DAY
    moved = rooms.update_room(room_id=room.id, valid_until=until)
    assert moved.valid_from == room.valid_from
    assert parse(moved.valid_until) == until
    assert moved.pstn_dial_out_enabled is True

    off = rooms.update_room(room_id=room.id, pstn_dial_out_enabled=False)
    assert off.pstn_dial_out_enabled is False and parse(off.valid_until) == until

    start = whole(now()) + 2 * DAY
    both = rooms.update_room(room_id=room.id, valid_from=start, valid_until=start + DAY)
    assert (parse(both.valid_from), parse(both.valid_until)) == (start, start + DAY)
    fetched = rooms.get_room(room.id)
    assert (fetched.valid_from, fetched.valid_until, fetched.pstn_dial_out_enabled) == (
        both.valid_from, both.valid_until, False)


def test_participants_added_updated_removed_and_listed(rooms, identities):
    alice, bob, carol = (identities.create_user() for _ in range(3))
    room = rooms.create_room(participants=[RoomParticipant(communication_identifier=alice)])
    assert roster(rooms, room.id) == {alice.raw_id: "Attendee"}

    assert rooms.add_or_update_participants(room_id=room.id, participants=[
        RoomParticipant(communication_identifier=alice, role=ParticipantRole.PRESENTER),
        RoomParticipant(communication_identifier=bob, role=ParticipantRole.CONSUMER),
        RoomParticipant(communication_identifier=carol, role=None),
    ]) is None
    assert roster(rooms, room.id) == {alice.raw_id: "Presenter", bob.raw_id: "Consumer", carol.raw_id: "Attendee"}

    # Removing takes identifiers or participants; someone who is not there is no error.
    stranger = identities.create_user()
    assert rooms.remove_participants(room_id=room.id, participants=[bob, RoomParticipant(communication_identifier=carol), stranger]) is None
    assert roster(rooms, room.id) == {alice.raw_id: "Presenter"}


def test_collaborator_needs_2025_03_13(server, identities):
    older = RoomsClient.from_connection_string(server.connection_string, api_version="2024-04-15")
    user = identities.create_user()
    room = older.create_room(participants=[RoomParticipant(communication_identifier=user, role=ParticipantRole.PRESENTER)])
    assert older.get_room(room.id).pstn_dial_out_enabled is False
    with pytest.raises(HttpResponseError) as refused:
        older.add_or_update_participants(room_id=room.id, participants=[
            RoomParticipant(communication_identifier=user, role=ParticipantRole.COLLABORATOR)])
    assert refused.value.status_code == 400
    assert roster(older, room.id) == {user.raw_id: "Presenter"}
    oldest = RoomsClient.from_connection_string(server.connection_string, api_version="2023-06-14")
    assert oldest.get_room(room.id).id == room.id


def test_list_rooms_and_participants_page(rooms, identities):
    created = [rooms.create_room().id for _ in range(5)]
    pages = list(rooms.list_rooms(params={"maxPageSize": 2}).by_page())
    assert len(pages) == 3
    assert [room.id for page in pages for room in page] == created

    users = [identities.create_user() for _ in range(5)]
    room = created[0]
    for user in users:
        rooms.add_or_update_participants(room_id=room, participants=[RoomParticipant(communication_identifier=user)])
    pages = list(rooms.list_participants(room, params={"maxPageSize": 2}).by_page())
    assert len(pages) == 3
    assert [p.communication_identifier.raw_id for page in pages for p in page] == [u.raw_id for u in users]


def test_delete(rooms, identities):
    user = identities.create_user()
    room = rooms.create_room(participants=[RoomParticipant(communication_identifier=user)])
    assert rooms.delete_room(room.id) is None
    with pytest.raises(ResourceNotFoundError):
        rooms.get_room(room.id)
    with pytest.raises(ResourceNotFoundError):
        list(rooms.list_participants(room.id))
    with pytest.raises(ResourceNotFoundError):
        rooms.update_room(room_id=room.id, pstn_dial_out_enabled=True)
    assert room.id not in {r.id for r in rooms.list_rooms()}
    # As in ACS, deleting a room that is not there succeeds.
    assert rooms.delete_room(room.id) is None


def test_windows_outside_acs_bounds_are_refused(rooms):
    start = whole(now())
    cases = [
        ({"valid_from": start + 181 * DAY}, "ValidFrom"),
        ({"valid_until": start - DAY}, "ValidUntil"),
        ({"valid_from": start + 2 * DAY, "valid_until": start + DAY}, "ValidUntil"),
        ({"valid_from": start + DAY, "valid_until": start + 182 * DAY}, "ValidUntil"),
    ]
    count = len(list(rooms.list_rooms()))
    for window, target in cases:
        with pytest.raises(HttpResponseError) as refused:
            rooms.create_room(**window)
        assert refused.value.status_code == 400
        assert refused.value.error.code == "BadRequest"
        assert error_detail(refused) == ("BadArgument", target), window
    assert len(list(rooms.list_rooms())) == count, "a refused room leaves nothing"

    room = rooms.create_room()
    with pytest.raises(HttpResponseError) as refused:
        rooms.update_room(room_id=room.id, valid_until=start + 200 * DAY)
    assert refused.value.status_code == 400 and error_detail(refused) == ("BadArgument", "ValidUntil")
    assert rooms.get_room(room.id).valid_until == room.valid_until


def test_too_many_participants(rooms, identities):
    users = [identities.create_user() for _ in range(251)]
    with pytest.raises(HttpResponseError) as refused:
        rooms.create_room(participants=[RoomParticipant(communication_identifier=u) for u in users])
    assert refused.value.status_code == 400 and error_detail(refused) == ("BadArgument", "Participants")

    room = rooms.create_room(participants=[RoomParticipant(communication_identifier=u) for u in users[:250]])
    assert len(roster(rooms, room.id)) == 250
    with pytest.raises(HttpResponseError) as refused:
        rooms.add_or_update_participants(room_id=room.id, participants=[RoomParticipant(communication_identifier=users[250])])
    assert refused.value.status_code == 400
    # A change of role is no new participant.
    rooms.add_or_update_participants(room_id=room.id, participants=[
        RoomParticipant(communication_identifier=users[0], role=ParticipantRole.PRESENTER)])
    assert len(roster(rooms, room.id)) == 250


def test_unknown_room(rooms):
    with pytest.raises(ResourceNotFoundError) as missing:
        rooms.get_room("99999999999999999")
    assert missing.value.error.code == "NotFound"
    with pytest.raises(ResourceNotFoundError):
        rooms.add_or_update_participants(room_id="99999999999999999", participants=[])
    with pytest.raises(HttpResponseError) as malformed:
        rooms.get_room("invalid_id")
    assert malformed.value.status_code == 400


def test_participants_that_are_not_users_of_the_resource(server, rooms, identities):
    mine = identities.create_user()
    foreign = CommunicationIdentityClient.from_connection_string(second_resource(server)).create_user()
    deleted = identities.create_user()
    identities.delete_user(deleted)
    room = rooms.create_room(participants=[RoomParticipant(communication_identifier=mine)])
    for stranger in [
        foreign, deleted, CommunicationUserIdentifier("wrong_mri"), PhoneNumberIdentifier("+14255550123"),
        CommunicationUserIdentifier("8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081"),
    ]:
        with pytest.raises(HttpResponseError) as refused:
            rooms.create_room(participants=[RoomParticipant(communication_identifier=stranger)])
        assert refused.value.status_code == 400, stranger.raw_id
        with pytest.raises(HttpResponseError) as refused:
            rooms.add_or_update_participants(room_id=room.id, participants=[
                RoomParticipant(communication_identifier=mine, role=ParticipantRole.PRESENTER),
                RoomParticipant(communication_identifier=stranger)])
        assert refused.value.status_code == 400, stranger.raw_id
    with pytest.raises(HttpResponseError) as refused:
        rooms.create_room(participants=[RoomParticipant(communication_identifier=CommunicationUserIdentifier("wrong_mri"))])
    assert refused.value.error.message == "Invalid format for communication identifier."
    assert roster(rooms, room.id) == {mine.raw_id: "Attendee"}, "a refused change is not half made"


def test_deleting_an_identity_removes_it_from_every_room(rooms, identities):
    alice, bob = identities.create_user(), identities.create_user()
    first = rooms.create_room(participants=[RoomParticipant(communication_identifier=alice), RoomParticipant(communication_identifier=bob)])
    second = rooms.create_room(participants=[RoomParticipant(communication_identifier=alice, role=ParticipantRole.PRESENTER)])
    identities.delete_user(alice)
    assert roster(rooms, first.id) == {bob.raw_id: "Attendee"}
    assert roster(rooms, second.id) == {}


def test_another_resources_key_never_reaches_a_room(server, rooms):
    room = rooms.create_room()
    other = RoomsClient.from_connection_string(second_resource(server))
    with pytest.raises(ResourceNotFoundError):
        other.get_room(room.id)
    with pytest.raises(ResourceNotFoundError):
        other.update_room(room_id=room.id, pstn_dial_out_enabled=True)
    with pytest.raises(ResourceNotFoundError):
        list(other.list_participants(room.id))
    assert room.id not in {r.id for r in other.list_rooms()}
    other.delete_room(room.id)
    assert rooms.get_room(room.id).id == room.id

    settings = dict(part.split("=", 1) for part in server.connection_string.split(";") if part)
    forged = RoomsClient.from_connection_string(
        f"endpoint={settings['endpoint']};accesskey={'A' * 43}=")
    with pytest.raises(ClientAuthenticationError):
        forged.get_room(room.id)


def test_a_repeated_create_answers_with_the_first_room(rooms):
    request_id = str(uuid.uuid1())

    def same_id(request):
        request.http_request.headers["Repeatability-Request-Id"] = request_id

    first = rooms.create_room(pstn_dial_out_enabled=True, raw_request_hook=same_id)
    again = rooms.create_room(pstn_dial_out_enabled=True, raw_request_hook=same_id)
    assert again.id == first.id
    assert [r.id for r in rooms.list_rooms()].count(first.id) == 1
    assert rooms.create_room().id != first.id, "the SDK's own ids are fresh each time"


def test_a_room_past_valid_until_is_still_read_and_listed(rooms, identities):
    # ACS sets no shortest window, so a room a few seconds long ends while the test waits for it.
    user = identities.create_user()
    until = whole(now()) + datetime.timedelta(seconds=3)
    room = rooms.create_room(valid_until=until, participants=[RoomParticipant(communication_identifier=user)])
    time.sleep(max(0.0, (until - now()).total_seconds()) + 1.1)
    assert now() > until
    fetched = rooms.get_room(room.id)
    assert parse(fetched.valid_until) == until
    assert room.id in {r.id for r in rooms.list_rooms()}
    assert roster(rooms, room.id) == {user.raw_id: "Attendee"}
    with pytest.raises(HttpResponseError) as refused:
        rooms.update_room(room_id=room.id, pstn_dial_out_enabled=None, valid_from=whole(now()) - DAY)
    assert error_detail(refused) == ("BadArgument", "ValidUntil"), "its ended window stays ended"
    reopened = rooms.update_room(room_id=room.id, valid_until=whole(now()) + DAY)
    assert parse(reopened.valid_until) > now()


def test_rooms_live_in_the_resources_geography_store_on_postgresql(start_server):
    directory, us = postgres_database("directory"), postgres_database("us")
    server = start_server(extra_args=["--directory", directory, "--store", f"unitedstates={us}"])
    rooms = RoomsClient.from_connection_string(server.connection_string)
    identities = CommunicationIdentityClient.from_connection_string(server.connection_string)
    alice, bob = identities.create_user(), identities.create_user()
    room = rooms.create_room(participants=[
        RoomParticipant(communication_identifier=alice, role=ParticipantRole.PRESENTER), RoomParticipant(communication_identifier=bob)])
    rows = psql(us, f"SELECT participant || ' ' || role FROM room_participants WHERE room_id = '{room.id}'").splitlines()
    assert sorted(rows) == sorted([f"{alice.raw_id} Presenter", f"{bob.raw_id} Attendee"])
    identities.delete_user(alice)
    assert roster(rooms, room.id) == {bob.raw_id: "Attendee"}
    rooms.delete_room(room.id)
    assert psql(us, "SELECT count(*) FROM rooms").strip() == "0"
    assert psql(us, "SELECT count(*) FROM room_participants").strip() == "0"
