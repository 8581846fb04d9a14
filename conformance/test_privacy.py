"""A person's data exported and erased in one request each, as a new user goes about it: one person with a chat identity,
a phone number and an email address, active in chat, SMS and email with consent on record (the official SDKs make all
of it); the export's archive read; the erasure's receipt checked by an independent Ed25519 implementation (Python
`cryptography`) and by `switchboard privacy verify`, and refused when altered; then each canary looked for in the API and
in the store — the SQLite files with their write-ahead log, or a `pg_dump` of the PostgreSQL store."""

import base64
import json
import subprocess
import time
import uuid

import pytest
from azure.communication.chat import ChatClient, ChatParticipant, CommunicationTokenCredential
from azure.communication.email import EmailClient
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.sms import SmsClient
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import postgres_database, signed_request
from test_sms import buy

OWN = "2026-12-01"
PHONE = "+14255550123"
EMAIL = "ivy.canary@example.com"
TEXT = "canary-chat-text-7f3e"
NAME = "Ivy Canary"
EVIDENCE = "canary-evidence-call-to-action-51c2"


def own(cs, method, path, body=None):
    return signed_request(cs, method, path, body, api_version=OWN)


def b64url(data):
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def run(cs, kind, identifiers):
    """Submits a privacy request, follows its Operation-Location as a poller does, and returns the finished status."""
    response = own(cs, "POST", f"/privacy/{kind}", {"identifiers": identifiers})
    assert response.status_code == 202, response.text
    location = response.headers["Operation-Location"]
    path = location.split("/dev", 1)[1].split("?", 1)[0]
    deadline = time.time() + 30
    while time.time() < deadline:
        status = own(cs, "GET", path)
        assert status.status_code == 200, status.text
        if status.json()["status"] in ("Succeeded", "Failed"):
            return status.json()
        time.sleep(float(status.headers.get("Retry-After", "1")) / 10)
    raise AssertionError("the request did not finish")


def verify(jws, jwk):
    """An independent check of the receipt: RFC 7515 signing input, RFC 8037 Ed25519 key, Python `cryptography`."""
    header, payload, signature = jws.split(".")
    key = Ed25519PublicKey.from_public_bytes(b64url(jwk["x"]))
    key.verify(b64url(signature), f"{header}.{payload}".encode())
    assert json.loads(b64url(header))["alg"] == "EdDSA"
    return json.loads(b64url(payload))


def populate(server):
    """Ivy, active everywhere, and Sam, who must be left alone."""
    cs = server.connection_string
    for recipient, channel in [(PHONE, "sms"), (EMAIL, "email"), ("+14255550999", "sms")]:
        response = own(cs, "POST", "/messaging/consents", {
            "recipient": recipient, "channel": channel, "programId": "default", "kind": "written",
            "evidence": {"medium": "webForm", "callToAction": f"{EVIDENCE} {recipient}"}})
        assert response.status_code == 201, response.text
    identity = CommunicationIdentityClient.from_connection_string(cs)
    ivy, ivy_token = identity.create_user_and_token(["chat"])
    sam, sam_token = identity.create_user_and_token(["chat"])
    endpoint = cs.split("endpoint=", 1)[1].split(";", 1)[0]
    ivy_chat = ChatClient(endpoint, CommunicationTokenCredential(ivy_token.token))
    thread = ivy_chat.create_chat_thread("Orders", thread_participants=[
        ChatParticipant(identifier=ivy, display_name=NAME), ChatParticipant(identifier=sam, display_name="Sam")]).chat_thread
    ivy_chat.get_chat_thread_client(thread.id).send_message(TEXT, sender_display_name=NAME)
    sam_chat = ChatClient(endpoint, CommunicationTokenCredential(sam_token.token))
    sam_chat.get_chat_thread_client(thread.id).send_message("sam stays", sender_display_name="Sam")
    (number,) = buy(cs)
    results = SmsClient.from_connection_string(cs).send(from_=number, to=[PHONE, "+14255550999"], message="Your order shipped.")
    assert all(r.successful for r in results), results
    poller = EmailClient.from_connection_string(cs).begin_send({
        "senderAddress": "DoNotReply@dev.sandbox.switchboard.test", "recipients": {"to": [{"address": EMAIL}]},
        "content": {"subject": "Receipt", "plainText": "Thank you."}})
    assert poller.result()["status"] == "Succeeded"
    return {"ivy": ivy, "ivy_token": ivy_token, "sam": sam, "sam_token": sam_token, "endpoint": endpoint, "thread": thread.id}


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_one_person_exported_and_erased_everywhere_with_a_receipt_anyone_can_check(start_server, workdir, engine):
    extra = []
    if engine == "postgres":
        us = postgres_database("privacy")
        extra = ["--directory", postgres_database("privacydir"), "--store", f"unitedstates={us}"]
    server = start_server(extra_args=extra)
    cs = server.connection_string
    people = populate(server)
    identifiers = {"communicationUserIds": [people["ivy"].properties["id"]], "phoneNumbers": [PHONE], "emailAddresses": [EMAIL]}

    # The export: one archive, every category, nothing of Sam.
    exported = run(cs, "exports", identifiers)
    assert exported["status"] == "Succeeded", exported
    archive = own(cs, "GET", exported["archiveLocation"].split("/dev", 1)[1].split("?", 1)[0])
    assert archive.status_code == 200 and archive.headers["Content-Type"].startswith("application/json")
    content = archive.json()
    assert {"identities", "chat", "sms", "email", "messagingPolicy", "eventsAndDeliveries"} <= set(content["categories"])
    assert TEXT in archive.text and f"{EVIDENCE} {PHONE}" in archive.text
    assert "sam stays" not in archive.text and "+14255550999" not in archive.text

    # The erasure and its receipt, checked independently, then altered.
    erased = run(cs, "erasures", identifiers)
    assert erased["status"] == "Succeeded", erased
    jwk = own(cs, "GET", "/privacy/receiptKey").json()
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    receipt = verify(erased["receipt"], jwk)
    assert receipt["resource"]["name"] == "dev" and receipt["geography"] == "unitedstates" and receipt["passes"] == 2
    assert receipt["erased"]["identities"]["identities"] == 1 and receipt["erased"]["chat"]["messages"] == 1
    assert receipt["erased"]["sms"]["messages"] == 1 and receipt["erased"]["email"]["deliveries"] == 1
    assert receipt["erased"]["messagingPolicy"]["consentsMinimised"] == 2
    assert receipt["erased"]["privacyExports"]["archives"] == 1
    for value in [PHONE, EMAIL, people["ivy"].properties["id"]]:
        assert value not in erased["receipt"] and value not in json.dumps(receipt)
    header, payload, signature = erased["receipt"].split(".")
    forged = json.loads(b64url(payload))
    forged["erased"]["sms"]["messages"] = 0
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    with pytest.raises(InvalidSignature):
        verify(f"{header}.{forged_payload}.{signature}", jwk)

    # The command line agrees, offline, with the key given as the API returned it.
    (workdir / "receipt.jws").write_text(erased["receipt"])
    (workdir / "forged.jws").write_text(f"{header}.{forged_payload}.{signature}")
    (workdir / "key.json").write_text(json.dumps(jwk))
    checked = subprocess.run([server_bin(), "privacy", "verify", str(workdir / "receipt.jws"), "--public-key", str(workdir / "key.json")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["id"] == receipt["id"]
    refused = subprocess.run([server_bin(), "privacy", "verify", str(workdir / "forged.jws"), "--public-key", str(workdir / "key.json")],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "signature" in refused.stderr

    # Through the API: Ivy's token is dead, her message gone, the archive gone; Sam's message is there.
    with pytest.raises(ClientAuthenticationError):
        ChatClient(people["endpoint"], CommunicationTokenCredential(people["ivy_token"].token)).list_chat_threads().next()
    sam_thread = ChatClient(people["endpoint"], CommunicationTokenCredential(people["sam_token"].token)).get_chat_thread_client(people["thread"])
    messages = [m for m in sam_thread.list_messages() if m.type == "text"]
    assert [m.content.message for m in messages if m.content] == ["sam stays"]
    assert [m.deleted_on is not None for m in messages if not m.content] == [True], "Ivy's message is erased"
    gone = own(cs, "GET", exported["archiveLocation"].split("/dev", 1)[1].split("?", 1)[0])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "ArchiveExpired"

    # In the store: no canary in clear anywhere (the files with their log, or a dump of the database).
    canaries = [people["ivy"].properties["id"], PHONE, EMAIL, TEXT, NAME, EVIDENCE]
    if engine == "sqlite":
        stored = b"".join(p.read_bytes() for p in (server.data_dir / "stores").iterdir() if p.is_file())
    else:
        stored = subprocess.run(["pg_dump", us], check=True, capture_output=True).stdout
    assert people["sam"].properties["id"].encode() in stored, "the scan sees what is stored in clear"
    for canary in canaries:
        assert canary.encode() not in stored, canary


def test_requests_are_checked_and_another_resource_sees_nothing(start_server):
    server = start_server()
    cs = server.connection_string
    other = server.cli("resource", "create", "other", "--geography", "unitedstates", "--json")["connectionString"]
    for body in [{"identifiers": {}}, {"identifiers": {"phoneNumbers": ["555"]}}, {},
                 {"identifiers": {"communicationUserIds": ["8:acs:" + str(uuid.uuid4()) + "_" + str(uuid.uuid4())]}}]:
        for kind in ["exports", "erasures"]:
            response = own(cs, "POST", f"/privacy/{kind}", body)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["error"]["code"] in ("InvalidRequest", "InvalidIdentifier", "InvalidRequestBody"), response.text
    done = run(cs, "exports", {"emailAddresses": ["nobody@example.org"]})
    assert own(other, "GET", f"/privacy/exports/{done['id']}").status_code == 404
    assert own(other, "GET", f"/privacy/exports/{done['id']}/archive").status_code == 404
    assert own(other, "GET", "/privacy/receiptKey").json()["x"] != own(cs, "GET", "/privacy/receiptKey").json()["x"]
    table = own(cs, "GET", "/retention")
    assert table.status_code == 200
    assert {"privacy.archives", "sms.messages", "email.contents", "eventLog"} <= {rule["name"] for rule in table.json()["rules"]}


def server_bin():
    from conftest import BIN
    return BIN


def test_the_operational_log_names_callers_keeps_no_content_and_forgets_on_request(start_server):
    server = start_server()
    cs = server.connection_string
    identity = CommunicationIdentityClient.from_connection_string(cs)
    user, token = identity.create_user_and_token(["chat"])
    endpoint = cs.split("endpoint=", 1)[1].split(";", 1)[0]
    chat = ChatClient(endpoint, CommunicationTokenCredential(token.token))
    thread = chat.create_chat_thread("log-canary-topic").chat_thread
    chat.get_chat_thread_client(thread.id).send_message("log-canary-text")
    bad = cs.replace(cs.split("accesskey=", 1)[1].split(";", 1)[0], base64.b64encode(b"x" * 32).decode())
    with pytest.raises(ClientAuthenticationError):
        CommunicationIdentityClient.from_connection_string(bad).create_user()

    entries = own(cs, "GET", "/logs?maxPageSize=1000").json()["value"]
    operations = {(e["category"], e["operation"], e["status"]) for e in entries}
    assert ("api", "POST /identities", "201") in operations, operations
    assert ("authentication", "POST /identities", "401") in operations, operations
    mine = own(cs, "GET", f"/logs?identifier={user.properties['id']}").json()["value"]
    assert {e["operation"] for e in mine} >= {"POST /chat/threads", "POST /chat/threads/{thread}/messages"}
    assert all(e["caller"] == user.properties["id"] for e in mine)
    export = own(cs, "GET", "/logs:export")
    assert export.headers["Content-Type"] == "application/x-ndjson"
    assert all(json.loads(line)["id"] for line in export.text.splitlines())
    assert "log-canary" not in export.text

    purged = own(cs, "POST", "/logs:purge", {"identifier": user.properties["id"]})
    assert purged.status_code == 200 and purged.json()["purged"] >= 2
    assert own(cs, "GET", f"/logs?identifier={user.properties['id']}").json()["value"] == []

    assert server.cli("resource", "update", "dev", "--log-retention-days", "7", "--json")["logRetentionDays"] == 7
    refused = server.cli("resource", "update", "dev", "--log-retention-days", "0", check=False)
    assert refused.returncode != 0 and "730" in refused.stderr


def test_the_residency_report_finds_each_resource_in_its_geography(start_server):
    server = start_server()
    CommunicationIdentityClient.from_connection_string(server.connection_string).create_user()
    server.cli("resource", "create", "paris", "--geography", "europe", "--json")
    report = server.cli("residency", "report", "--json")
    stores = {store["geography"]: store for store in report["stores"]}
    assert [r["name"] for r in stores["unitedstates"]["resources"]] == ["dev"]
    assert stores["unitedstates"]["resources"][0]["tables"]["identities"] == 1
    assert "paris" in [r["name"] for r in stores["europe"]["resources"]]
    assert all(not store["misplaced"] for store in report["stores"])
    text = server.cli("residency", "report")
    assert text.returncode == 0 and "Every row is in its resource's geography." in text.stdout
