"""Proves the SMPP test peer (smsc_peer.SMSC) against an independent SMPP client, smpplib.

These tests need no Switchboard server. Where smpplib refuses to send something (a PDU in the wrong bind state, a
broken header), a raw socket speaks SMPP v3.4 directly, built here from the spec and not from the peer's own codec.
"""

import concurrent.futures
import json
import pathlib
import re
import select
import signal
import socket
import struct
import subprocess
import sys

import pytest
import smpplib.client
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from smsc_peer import SMSC

SYSTEM_ID, PASSWORD = "switchboard", "secret"
PEER = pathlib.Path(__file__).with_name("smsc_peer.py")


@pytest.fixture
def smsc():
    with SMSC(accounts={SYSTEM_ID: PASSWORD}) as peer:
        yield peer


@pytest.fixture
def connect(smsc):
    """connect(bind="transceiver"|"transmitter"|"receiver"|None, ..., peer=smsc) → a connected smpplib client."""
    clients = []

    def connect(bind="transceiver", system_id=SYSTEM_ID, password=PASSWORD, peer=None):
        client = smpplib.client.Client("127.0.0.1", (peer or smsc).port, timeout=5, allow_unknown_opt_params=True)
        client.connect()
        clients.append(client)
        if bind:
            getattr(client, f"bind_{bind}")(system_id=system_id, password=password)
        return client

    yield connect
    for client in clients:
        if client._socket is not None:
            client.disconnect()


class Esme:
    """An smpplib client that answers the deliver_sm PDUs arriving while it waits for other answers."""

    def __init__(self, client):
        self.client = client
        self.delivered = []

    def submit(self, short_message=b"hello", destination="15551230001", **fields):
        request = self.client.send_message(source_addr_ton=5, source_addr="Switchboard", dest_addr_ton=1,
                                           dest_addr_npi=1, destination_addr=destination,
                                           short_message=short_message, **fields)
        return self.response_to(request)

    def response_to(self, request):
        while True:
            pdu = self.client.read_pdu()
            if pdu.command == "deliver_sm":
                self.acknowledge(pdu)
                self.delivered.append(pdu)
                continue
            assert pdu.command == f"{request.command}_resp" and pdu.sequence == request.sequence
            return pdu

    def next_deliver_sm(self, status=0):
        if self.delivered:
            return self.delivered.pop(0)
        pdu = self.client.read_pdu()
        assert pdu.command == "deliver_sm"
        self.acknowledge(pdu, status)
        return pdu

    def acknowledge(self, pdu, status=0):
        ack = smpplib.smpp.make_pdu("deliver_sm_resp", client=self.client, status=status)
        ack.sequence = pdu.sequence
        self.client.send_pdu(ack)

    def nothing_arrives(self, seconds=0.3):
        readable, _, _ = select.select([self.client._socket], [], [], seconds)
        return not readable


def gsm_decode(octets):
    """GSM 03.38 unpacked septets → text, by smpplib's own table (escape 0x1B selects its upper half)."""
    table, chars, escape = smpplib.gsm.GSM_CHARACTER_TABLE, [], False
    for octet in octets:
        if octet == 0x1B:
            escape = True
            continue
        chars.append(table[octet + 0x80 if escape else octet])
        escape = False
    return "".join(chars)


# -- raw SMPP v3.4, for what smpplib will not send ---------------------------------------------------------------------

def raw_pdu(command_id, sequence, body=b"", length=None):
    return struct.pack(">IIII", length or 16 + len(body), command_id, 0, sequence) + body


def raw_read(sock):
    def exactly(size):
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data

    length, command_id, status, sequence = struct.unpack(">IIII", exactly(16))
    return command_id, status, sequence, exactly(length - 16)


def raw_bind_body(system_id=SYSTEM_ID, password=PASSWORD):
    return system_id.encode() + b"\0" + password.encode() + b"\0" + b"\0" + bytes((0x34, 0, 0)) + b"\0"


RAW_SUBMIT_BODY = (b"\0" + bytes((5, 0)) + b"Switchboard\0" + bytes((1, 1)) + b"15551230001\0"
                   + bytes((0, 0, 0)) + b"\0" + b"\0" + bytes((0, 0, 0, 0, 2)) + b"hi")


# -- binds ------------------------------------------------------------------------------------------------------------

def test_bind_transceiver(smsc, connect):
    client = connect(bind=None)
    resp = client.bind_transceiver(system_id=SYSTEM_ID, password=PASSWORD)
    assert (resp.command, resp.status) == ("bind_transceiver_resp", 0)
    assert resp.system_id == b"SMSCPEER"
    assert resp.sc_interface_version == 0x34
    assert smsc.binds == 1
    [session] = smsc.sessions
    assert (session["bind_type"], session["system_id"], session["interface_version"]) == \
        ("transceiver", SYSTEM_ID, 0x34)


def test_bind_rejects_wrong_password_and_unknown_system_id(smsc, connect):
    client = connect(bind=None)
    with pytest.raises(smpplib.exceptions.PDUError) as wrong_password:
        client.bind_transmitter(system_id=SYSTEM_ID, password="wrong")
    assert wrong_password.value.args[1] == 0x0E  # ESME_RINVPASWD
    with pytest.raises(smpplib.exceptions.PDUError) as unknown:
        client.bind_transmitter(system_id="nobody", password=PASSWORD)
    assert unknown.value.args[1] == 0x0F  # ESME_RINVSYSID
    assert smsc.binds == 0
    # A failed bind leaves the session open for another attempt.
    assert client.bind_transmitter(system_id=SYSTEM_ID, password=PASSWORD).status == 0
    assert [b["status"] for b in smsc.bind_log] == [0x0E, 0x0F, 0]


def test_bind_state_errors_and_unknown_commands(smsc):
    with socket.create_connection(("127.0.0.1", smsc.port), timeout=5) as sock:
        sock.sendall(raw_pdu(0x00000004, 1, RAW_SUBMIT_BODY))  # submit_sm before any bind
        assert raw_read(sock) == (0x80000004, 0x04, 1, b"")  # ESME_RINVBNDSTS, no body
        sock.sendall(raw_pdu(0x00000999, 2))  # no such command
        assert raw_read(sock) == (0x80000000, 0x03, 2, b"")  # generic_nack ESME_RINVCMDID
        sock.sendall(raw_pdu(0x00000001, 3, raw_bind_body()))  # bind_receiver
        command_id, status, sequence, body = raw_read(sock)
        assert (command_id, status, sequence) == (0x80000001, 0, 3)
        assert body.startswith(b"SMSCPEER\0")
        sock.sendall(raw_pdu(0x00000009, 4, raw_bind_body()))  # bind again
        assert raw_read(sock) == (0x80000009, 0x05, 4, b"")  # ESME_RALYBND
        sock.sendall(raw_pdu(0x00000004, 5, RAW_SUBMIT_BODY))  # submit_sm on a receiver bind
        assert raw_read(sock) == (0x80000004, 0x04, 5, b"")
    assert smsc.submitted == []


def test_invalid_command_length_is_nacked_and_the_connection_closed(smsc):
    with socket.create_connection(("127.0.0.1", smsc.port), timeout=5) as sock:
        sock.sendall(raw_pdu(0x00000015, 7, length=8))  # enquire_link claiming 8 octets: shorter than its header
        assert raw_read(sock) == (0x80000000, 0x02, 7, b"")  # generic_nack ESME_RINVCMDLEN
        assert sock.recv(1) == b""


# -- submit_sm and receipts -------------------------------------------------------------------------------------------

def test_submit_sm_with_delivery_receipt(smsc, connect):
    esme = Esme(connect())
    resp = esme.submit(b"Your code is 123456", registered_delivery=1)
    assert resp.status == 0 and resp.message_id
    message_id = resp.message_id.decode()

    receipt = esme.next_deliver_sm()
    assert receipt.esm_class == 0x04  # SMSC delivery receipt
    assert receipt.receipted_message_id == resp.message_id
    assert receipt.message_state == 2  # DELIVERED
    assert (receipt.source_addr, receipt.destination_addr) == (b"15551230001", b"Switchboard")
    assert (receipt.source_addr_ton, receipt.dest_addr_ton) == (1, 5)
    assert re.fullmatch(rf"id:{message_id} sub:001 dlvrd:001 submit date:\d{{10}} done date:\d{{10}} "
                        r"stat:DELIVRD err:000 text:Your code is 123456", gsm_decode(receipt.short_message))

    [sent] = smsc.wait_for(lambda: smsc.receipts)
    assert (sent["message_id"], sent["stat"], sent["status"]) == (message_id, "DELIVRD", 0)
    [submission] = smsc.submitted
    assert submission["message_id"] == message_id
    assert (submission["system_id"], submission["source_addr"], submission["destination_addr"]) == \
        (SYSTEM_ID, "Switchboard", "15551230001")
    assert (submission["text"], submission["short_message"], submission["registered_delivery"]) == \
        ("Your code is 123456", b"Your code is 123456", 1)
    assert submission["udh"] is None and submission["message_payload"] is None


def test_receipt_policy(smsc, connect):
    esme = Esme(connect())
    esme.submit(b"to nowhere", destination="15551230000", registered_delivery=1)
    receipt = esme.next_deliver_sm()
    assert receipt.message_state == 5  # UNDELIVERABLE
    assert b"dlvrd:000" in receipt.short_message and b"stat:UNDELIV" in receipt.short_message

    esme.submit(b"delivered, receipt on failure only", registered_delivery=2)
    assert esme.nothing_arrives()

    smsc.receipt_status = lambda submission: None if submission["text"] == "silent" else "EXPIRED"
    esme.submit(b"silent", registered_delivery=1)
    assert esme.nothing_arrives()
    esme.submit(b"late", registered_delivery=1)
    assert esme.next_deliver_sm().message_state == 3  # EXPIRED


def test_receipts_wait_for_a_receiver(smsc, connect):
    transmitter = Esme(connect("transmitter"))
    resp = transmitter.submit(b"queued", registered_delivery=1)
    smsc.wait_for(lambda: smsc.pending_receipts == 1)

    receiver = Esme(connect("receiver"))
    receipt = receiver.next_deliver_sm()
    assert receipt.receipted_message_id == resp.message_id
    smsc.wait_for(lambda: smsc.receipts)
    assert smsc.pending_receipts == 0


def test_long_message_as_concatenated_segments(smsc, connect):
    esme = Esme(connect())
    text = "Switchboard sends this long message in several parts. " * 6
    parts, data_coding, esm_class = smpplib.gsm.make_parts(text)
    assert (len(parts), data_coding, esm_class) == (3, 0, 0x40)
    ids = [esme.submit(part, esm_class=esm_class, data_coding=data_coding, registered_delivery=1)
           .message_id.decode() for part in parts]

    segments = smsc.submitted
    assert [s["message_id"] for s in segments] == ids and len(set(ids)) == 3
    assert [(s["udh"]["total"], s["udh"]["seq"], s["udh"]["ref_bits"]) for s in segments] == \
        [(3, 1, 8), (3, 2, 8), (3, 3, 8)]
    assert len({s["udh"]["ref"] for s in segments}) == 1
    assert "".join(s["text"] for s in segments) == text
    [message] = smsc.messages()
    assert (message["text"], message["message_ids"], message["complete"]) == (text, ids, True)

    # One receipt per segment, each naming its segment's message_id.
    receipts = [esme.next_deliver_sm() for _ in parts]
    assert sorted(r.receipted_message_id.decode() for r in receipts) == sorted(ids)


def test_ucs2_text(smsc, connect):
    esme = Esme(connect())
    text = "Привет, мир! 你好 👋"
    [part], data_coding, esm_class = smpplib.gsm.make_parts(text)
    assert data_coding == 8
    assert esme.submit(part, data_coding=data_coding, esm_class=esm_class).status == 0
    [submission] = smsc.submitted
    assert (submission["data_coding"], submission["text"]) == (8, text)


def test_message_payload_and_sar_segments(smsc, connect):
    esme = Esme(connect())
    long_text = "A message_payload carries more than one short_message can. " * 5
    resp = esme.submit(None, message_payload=long_text.encode("ascii"), data_coding=1)
    assert resp.status == 0
    for seq, chunk in enumerate((b"first half, ", b"second half"), start=1):
        esme.submit(chunk, sar_msg_ref_num=0x1234, sar_total_segments=2, sar_segment_seqnum=seq)

    payload, first, second = smsc.submitted
    assert (payload["message_payload"], payload["short_message"], payload["text"]) == \
        (long_text.encode("ascii"), b"", long_text)
    assert payload["tlvs"]["message_payload"] == long_text.encode("ascii")
    assert (first["sar"], second["sar"]) == ({"ref": 0x1234, "total": 2, "seq": 1},
                                             {"ref": 0x1234, "total": 2, "seq": 2})
    assert [m["text"] for m in smsc.messages()] == [long_text, "first half, second half"]


def test_throttling_and_scripted_failures(smsc, connect):
    esme = Esme(connect())
    smsc.throttle_next(1)
    smsc.queue_full_next(1)
    smsc.fail_next(1, 0x0B)  # ESME_RINVDSTADR
    responses = [esme.submit(b"retry me") for _ in range(4)]
    assert [r.status for r in responses] == [0x58, 0x14, 0x0B, 0]
    assert [r.message_id for r in responses[:3]] == [None, None, None]  # no body on error (§4.4.2)
    assert len(smsc.submitted) == 1
    assert [r["status"] for r in smsc.rejected] == [0x58, 0x14, 0x0B]


def test_delayed_responses_expose_the_client_window(smsc, connect):
    client = connect("transmitter")
    smsc.delay_responses(0.3)
    requests = [client.send_message(source_addr="Switchboard", destination_addr="15551230001",
                                    short_message=b"window %d" % i) for i in range(5)]
    responses = [client.read_pdu() for _ in requests]
    assert [(r.sequence, r.status) for r in responses] == [(r.sequence, 0) for r in requests]
    assert smsc.max_outstanding == 5
    assert smsc.sessions[0]["max_outstanding"] == 5


# -- mobile-originated messages -----------------------------------------------------------------------------------------

def test_mobile_originated_messages(smsc, connect):
    esme = Esme(connect())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        gsm_text = "Hi there, 5€ {ok} @home"
        sending = pool.submit(smsc.send_mo, "+15550001111", "12345", gsm_text)
        pdu = esme.next_deliver_sm()
        assert sending.result(5)["status"] == 0
        assert (pdu.esm_class, pdu.data_coding) == (0, 0)
        assert (pdu.source_addr, pdu.source_addr_ton, pdu.source_addr_npi) == (b"15550001111", 1, 1)
        assert pdu.destination_addr == b"12345"
        assert gsm_decode(pdu.short_message) == gsm_text

        ucs2_text = "Привет 你好"
        sending = pool.submit(smsc.send_mo, "+15550001111", "12345", ucs2_text)
        pdu = esme.next_deliver_sm()
        sending.result(5)
        assert pdu.data_coding == 8 and pdu.short_message.decode("utf-16-be") == ucs2_text

        long_text = "An inbound reply long enough to need two segments. " * 4
        sending = pool.submit(smsc.send_mo, "+15550001111", "12345", long_text)
        segments = [esme.next_deliver_sm() for _ in range(2)]
        assert len(sending.result(5)["segments"]) == 2
        assert [s.esm_class for s in segments] == [0x40, 0x40]
        headers = [s.short_message[:6] for s in segments]
        assert [h[:3] for h in headers] == [b"\x05\x00\x03"] * 2 and headers[0][3] == headers[1][3]
        assert [h[4:] for h in headers] == [b"\x02\x01", b"\x02\x02"]
        assert "".join(gsm_decode(s.short_message[6:]) for s in segments) == long_text

        sending = pool.submit(smsc.send_mo, "+15550001111", "12345", "refused")
        esme.next_deliver_sm(status=0x64)  # ESME_RX_T_APPN
        assert sending.result(5)["status"] == 0x64

    assert [r["status"] for r in smsc.mo_responses] == [0, 0, 0, 0, 0x64]
    assert smsc.mo_responses[0]["text"] == gsm_text


def test_send_mo_without_a_receiver_times_out(smsc, connect):
    connect("transmitter")
    with pytest.raises(TimeoutError):
        smsc.send_mo("+15550001111", "12345", "nobody listens", timeout=0.2)


# -- link management ------------------------------------------------------------------------------------------------------

def test_enquire_link_both_ways(smsc, connect):
    client = connect()
    request = smpplib.smpp.make_pdu("enquire_link", client=client)
    client.send_pdu(request)
    resp = client.read_pdu()
    assert (resp.command, resp.status, resp.sequence) == ("enquire_link_resp", 0, request.sequence)
    assert smsc.enquire_links_received == 1

    with SMSC(accounts={SYSTEM_ID: PASSWORD}, enquire_link_interval=0.1) as pinging:
        pinged = connect(peer=pinging)
        pinged.read_once()  # smpplib answers the SMSC's enquire_link
        pinging.wait_for(lambda: pinging.enquire_link_resp_received >= 1)
        pinged.disconnect()


def test_unbind_all(smsc, connect):
    client = connect()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        unbinding = pool.submit(smsc.unbind_all)
        pdu = client.read_pdu()
        assert pdu.command == "unbind"
        resp = smpplib.smpp.make_pdu("unbind_resp", client=client)
        resp.sequence = pdu.sequence
        client.send_pdu(resp)
        assert unbinding.result(5) == 1
    with pytest.raises(smpplib.exceptions.ConnectionError):
        client.read_pdu()
    assert smsc.sessions == []


def test_esme_unbind_and_drop_all(smsc, connect):
    leaving = connect()
    assert leaving.unbind().command == "unbind_resp"
    staying = connect("receiver")
    smsc.wait_for(lambda: len(smsc.sessions) == 1)
    assert smsc.drop_all() == 1
    with pytest.raises(smpplib.exceptions.ConnectionError):
        staying.read_pdu()
    assert smsc.sessions == [] and smsc.binds == 2


# -- as a process -----------------------------------------------------------------------------------------------------------

def test_command_line(connect):
    process = subprocess.Popen([sys.executable, str(PEER), "--port", "0", "--account", "bench:pw"],
                               stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        port = int(re.fullmatch(r"SMSC listening on (\d+)\n", first_line).group(1))
        client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
        client.connect()
        client.bind_transmitter(system_id="bench", password="pw")
        assert Esme(client).submit(b"from the benchmark").status == 0
        client.unbind()
        client.disconnect()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert json.loads(out.strip().splitlines()[-1])["submitted"] == 1
