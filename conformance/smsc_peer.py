#!/usr/bin/env python3
"""A small SMPP v3.4 SMSC (the server side of SMPP) for tests and benchmarks, in pure standard-library Python.

References are to "Short Message Peer to Peer Protocol Specification v3.4", Issue 1.2 (12-Oct-1999).

The SMSC runs an asyncio loop in a background thread, so synchronous test code drives it directly:

    with SMSC(accounts={"switchboard": "secret"}) as smsc:
        ...  # point the ESME at 127.0.0.1:smsc.port
        smsc.wait_for(lambda: smsc.submitted)
        smsc.send_mo("+15550001111", "12345", "hello")

What it does:

- Binds (§4.1) as transmitter, receiver or transceiver against `accounts`; answers every request it implements
  (bind_*, unbind, submit_sm, enquire_link) and nacks the rest (§4.3).
- Records every accepted submit_sm in `submitted`, decoding the text (§5.2.19 data_coding, GSM 03.38 for 0) and a
  concatenation UDH (esm_class UDHI, §5.2.12) or sar_* TLVs (§5.3.2.22-24).
- Sends delivery receipts (§5.2.17 registered_delivery, Appendix B text, receipted_message_id and message_state
  TLVs) to a receiver or transceiver of the same system_id, one per submit_sm — so one per segment of a
  concatenated message, each segment having its own message_id. Receipts wait in a queue while no such session is
  bound, and go out when one binds.
- Sends mobile-originated messages (deliver_sm) on demand, splitting long texts into UDH-concatenated segments.
- Scripted faults (throttling, queue full, any status, slow responses) and counters for tests.

Not implemented: query_sm, cancel_sm, replace_sm, submit_multi, data_sm and outbind; the ESME gets generic_nack
ESME_RINVCMDID for them.

Run as a process (for benchmarks):

    python conformance/smsc_peer.py --port 0 --account sys:pw [--receipt-delay S]

prints `SMSC listening on PORT` first, runs until SIGTERM/SIGINT, then prints a one-line JSON summary.
"""

import argparse
import asyncio
import collections
import itertools
import json
import logging
import re
import signal
import struct
import sys
import threading
import time

log = logging.getLogger("smsc_peer")

# -- command_id values (§5.1.2.1). A response has the request's id with bit 31 set. ---------------------------------

GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
QUERY_SM = 0x00000003
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
REPLACE_SM = 0x00000007
CANCEL_SM = 0x00000008
BIND_TRANSCEIVER = 0x00000009
OUTBIND = 0x0000000B
ENQUIRE_LINK = 0x00000015
SUBMIT_MULTI = 0x00000021
ALERT_NOTIFICATION = 0x00000102
DATA_SM = 0x00000103
RESPONSE_BIT = 0x80000000

COMMAND_NAMES = {
    GENERIC_NACK: "generic_nack", BIND_RECEIVER: "bind_receiver", BIND_TRANSMITTER: "bind_transmitter",
    QUERY_SM: "query_sm", SUBMIT_SM: "submit_sm", DELIVER_SM: "deliver_sm", UNBIND: "unbind",
    REPLACE_SM: "replace_sm", CANCEL_SM: "cancel_sm", BIND_TRANSCEIVER: "bind_transceiver", OUTBIND: "outbind",
    ENQUIRE_LINK: "enquire_link", SUBMIT_MULTI: "submit_multi", ALERT_NOTIFICATION: "alert_notification",
    DATA_SM: "data_sm",
}

BIND_TYPES = {BIND_TRANSMITTER: "transmitter", BIND_RECEIVER: "receiver", BIND_TRANSCEIVER: "transceiver"}

# -- command_status values (§5.1.3) used here ------------------------------------------------------------------------

ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RINVPRTFLG = 0x06
ESME_RINVREGDLVFLG = 0x07
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RINVSERTYP = 0x15
ESME_RINVESMCLASS = 0x43
ESME_RINVSYSTYP = 0x53
ESME_RTHROTTLED = 0x58
ESME_RINVSCHED = 0x61
ESME_RINVEXPIRY = 0x62
ESME_RINVOPTPARSTREAM = 0xC0
ESME_RINVPARLEN = 0xC2

# -- Optional parameter (TLV) tags (§5.3.2) ---------------------------------------------------------------------------

TLV_NAMES = {
    0x0005: "dest_addr_subunit", 0x0006: "dest_network_type", 0x0007: "dest_bearer_type",
    0x0008: "dest_telematics_id", 0x000D: "source_addr_subunit", 0x000E: "source_network_type",
    0x000F: "source_bearer_type", 0x0010: "source_telematics_id", 0x0017: "qos_time_to_live",
    0x0019: "payload_type", 0x001D: "additional_status_info_text", 0x001E: "receipted_message_id",
    0x0030: "ms_msg_wait_facilities", 0x0201: "privacy_indicator", 0x0202: "source_subaddress",
    0x0203: "dest_subaddress", 0x0204: "user_message_reference", 0x0205: "user_response_code",
    0x020A: "source_port", 0x020B: "destination_port", 0x020C: "sar_msg_ref_num", 0x020D: "language_indicator",
    0x020E: "sar_total_segments", 0x020F: "sar_segment_seqnum", 0x0210: "sc_interface_version",
    0x0302: "callback_num_pres_ind", 0x0303: "callback_num_atag", 0x0304: "number_of_messages",
    0x0381: "callback_num", 0x0420: "dpf_result", 0x0421: "set_dpf", 0x0422: "ms_availability_status",
    0x0423: "network_error_code", 0x0424: "message_payload", 0x0425: "delivery_failure_reason",
    0x0426: "more_messages_to_send", 0x0427: "message_state", 0x0501: "ussd_service_op", 0x1201: "display_time",
    0x1203: "sms_signal", 0x1204: "ms_validity", 0x130C: "alert_on_message_delivery", 0x1380: "its_reply_type",
    0x1383: "its_session_info",
}
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_SC_INTERFACE_VERSION = 0x0210
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427

# interface_version 0x34 is SMPP v3.4 (§5.2.4). TLVs are new in v3.4, so an ESME that binds with an older
# interface_version gets none: no sc_interface_version (§5.3.2.25) in bind_resp, no TLVs in receipts.
SMPP_VERSION_34 = 0x34

# message_state values (§5.2.28) for the Appendix B `stat:` words a receipt can carry.
MESSAGE_STATES = {
    "ENROUTE": 1, "DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "UNKNOWN": 7, "REJECTD": 8,
}

ESM_CLASS_UDHI = 0x40              # §5.2.12 bits 7-6 = 01: short_message begins with a User Data Header
ESM_CLASS_DELIVERY_RECEIPT = 0x04  # §5.2.12 bits 5-2 = 0001 in deliver_sm: SMSC Delivery Receipt

HEADER = struct.Struct(">IIII")  # §3.2: command_length, command_id, command_status, sequence_number
MAX_COMMAND_LENGTH = 0x10400     # generous: the largest body is a 64K message_payload TLV plus mandatory fields
MAX_SEQUENCE = 0x7FFFFFFF        # §5.1.4: sequence_number runs 0x00000001..0x7FFFFFFF

# -- GSM 03.38 default alphabet, one septet per octet as SMPP carries it ---------------------------------------------

GSM_ESCAPE = 0x1B
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(GSM_BASIC) == 128
GSM_EXTENSION = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
}
_GSM_BASIC_CODES = {char: code for code, char in enumerate(GSM_BASIC) if code != GSM_ESCAPE}
_GSM_EXTENSION_CODES = {char: code for code, char in GSM_EXTENSION.items()}


def gsm_encode(text, errors="strict"):
    """Text → GSM 03.38 default alphabet septets, one per octet; extension-table characters take ESC + code.

    errors="replace" writes "?" for characters outside the alphabet; "strict" raises ValueError."""
    out = bytearray()
    for char in text:
        if char in _GSM_BASIC_CODES:
            out.append(_GSM_BASIC_CODES[char])
        elif char in _GSM_EXTENSION_CODES:
            out += bytes((GSM_ESCAPE, _GSM_EXTENSION_CODES[char]))
        elif errors == "replace":
            out.append(_GSM_BASIC_CODES["?"])
        else:
            raise ValueError(f"{char!r} is not in the GSM 03.38 default alphabet")
    return bytes(out)


def gsm_decode(data):
    """GSM 03.38 septets (one per octet) → text. An escape before a code the extension table does not define reads
    as the default-alphabet character (GSM 03.38 §6.2.1.1); a trailing escape — left by a segment split between the
    escape and its code — reads as nothing. Octets above 0x7F are not septets and read as U+FFFD."""
    chars = []
    i = 0
    while i < len(data):
        octet = data[i]
        if octet == GSM_ESCAPE:
            if i + 1 < len(data):
                code = data[i + 1]
                chars.append(GSM_EXTENSION.get(code) or (GSM_BASIC[code] if code < 0x80 and code != GSM_ESCAPE
                                                         else "\ufffd"))
            i += 2
            continue
        chars.append(GSM_BASIC[octet] if octet < 0x80 else "\ufffd")
        i += 1
    return "".join(chars)


def is_gsm_text(text):
    return all(char in _GSM_BASIC_CODES or char in _GSM_EXTENSION_CODES for char in text)


# data_coding (§5.2.19) → Python codec for the character codings decoded here. 2 and 4 are binary; other values
# (JIS, pictograms, Korean, GSM message-class codings) are left as bytes.
_CODECS = {1: "ascii", 3: "latin-1", 6: "iso8859_5", 7: "iso8859_8", 8: "utf-16-be"}


def decode_text(data, data_coding):
    """short_message user data → str for a character data_coding, or the bytes themselves for any other."""
    if data_coding == 0:
        return gsm_decode(data)
    codec = _CODECS.get(data_coding)
    # UCS-2 is read as UTF-16BE: phones and ESMEs send surrogate pairs for characters beyond the BMP.
    return bytes(data).decode(codec, errors="replace") if codec else bytes(data)


# -- PDU body encoding and decoding (§3.1 field types) ---------------------------------------------------------------

class DecodeError(Exception):
    """A request body that cannot be accepted; `status` is the command_status to answer with."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


class _BodyReader:
    """Reads a PDU body field by field, in order."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def cstring(self, max_size, status):
        """A C-Octet String of at most max_size octets including its NUL (§3.1). Too long → `status`."""
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise DecodeError(ESME_RINVCMDLEN, "C-Octet String runs past the end of the PDU")
        if end + 1 - self.pos > max_size:
            raise DecodeError(status, f"C-Octet String longer than {max_size} octets")
        value = self.data[self.pos:end].decode("latin-1")
        self.pos = end + 1
        return value

    def int8(self):
        if self.pos >= len(self.data):
            raise DecodeError(ESME_RINVCMDLEN, "mandatory field runs past the end of the PDU")
        self.pos += 1
        return self.data[self.pos - 1]

    def octets(self, length, status):
        if self.pos + length > len(self.data):
            raise DecodeError(status, "octet string runs past the end of the PDU")
        self.pos += length
        return bytes(self.data[self.pos - length:self.pos])

    def tlvs(self):
        """The optional parameters that follow the mandatory ones: 2-octet tag, 2-octet length, value (§5.3).
        Unknown tags are kept in the record and otherwise ignored, as SMPP asks of a receiver."""
        result = {}
        while self.pos < len(self.data):
            if self.pos + 4 > len(self.data):
                raise DecodeError(ESME_RINVOPTPARSTREAM, "truncated TLV header")
            tag, length = struct.unpack_from(">HH", self.data, self.pos)
            self.pos += 4
            result[tag] = self.octets(length, ESME_RINVOPTPARSTREAM)
        return result


def _cstring(value):
    return value.encode("latin-1") + b"\0"


def _tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


# §7.1.1 absolute "YYMMDDhhmmsstnnp" (p = + or -) and §7.1.2 relative "YYMMDDhhmmss000R"; empty means "not set".
_SMPP_TIME = re.compile(r"\d{15}[+\-R]\Z")


def _decode_bind(body):
    """bind_transmitter / bind_receiver / bind_transceiver body (§4.1.1, §4.1.3, §4.1.5)."""
    reader = _BodyReader(body)
    return {
        "system_id": reader.cstring(16, ESME_RINVSYSID),
        "password": reader.cstring(9, ESME_RINVPASWD),
        "system_type": reader.cstring(13, ESME_RINVSYSTYP),
        "interface_version": reader.int8(),
        "addr_ton": reader.int8(),
        "addr_npi": reader.int8(),
        "address_range": reader.cstring(41, ESME_RBINDFAIL),
    }


def _decode_udh(data):
    """GSM 03.40 §9.2.3.24 User Data Header at the start of `data` → (udh dict, user data after it).

    Concatenation IEs: 0x00 (8-bit reference: ref, total, seq) and 0x08 (16-bit reference: ref(2), total, seq)."""
    if not data or 1 + data[0] > len(data):
        raise DecodeError(ESME_RINVESMCLASS, "esm_class has UDHI set but the user data holds no complete UDH")
    header, user_data = data[1:1 + data[0]], data[1 + data[0]:]
    udh = {"ref": None, "total": None, "seq": None, "ref_bits": None, "ies": []}
    i = 0
    while i < len(header):
        if i + 2 > len(header) or i + 2 + header[i + 1] > len(header):
            raise DecodeError(ESME_RINVESMCLASS, "malformed information element in the UDH")
        iei, value = header[i], bytes(header[i + 2:i + 2 + header[i + 1]])
        udh["ies"].append((iei, value))
        if iei == 0x00 and len(value) == 3:
            udh.update(ref=value[0], total=value[1], seq=value[2], ref_bits=8)
        elif iei == 0x08 and len(value) == 4:
            udh.update(ref=(value[0] << 8) | value[1], total=value[2], seq=value[3], ref_bits=16)
        i += 2 + len(value)
    return udh, user_data


def _decode_sar(tlvs):
    """sar_msg_ref_num (2 octets), sar_total_segments (1), sar_segment_seqnum (1) (§5.3.2.22-24), or None."""
    present = [tag in tlvs for tag in (TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL_SEGMENTS, TLV_SAR_SEGMENT_SEQNUM)]
    if not any(present):
        return None
    if not all(present):
        raise DecodeError(ESME_RINVOPTPARSTREAM, "sar_* TLVs must come together")
    ref, total, seq = tlvs[TLV_SAR_MSG_REF_NUM], tlvs[TLV_SAR_TOTAL_SEGMENTS], tlvs[TLV_SAR_SEGMENT_SEQNUM]
    if (len(ref), len(total), len(seq)) != (2, 1, 1):
        raise DecodeError(ESME_RINVPARLEN, "sar_* TLV of the wrong length")
    return {"ref": int.from_bytes(ref, "big"), "total": total[0], "seq": seq[0]}


def decode_submit_sm(body):
    """submit_sm body (§4.4.1) → the submission dict recorded in SMSC.submitted (without system_id, message_id, at).

    Raises DecodeError with the status a strict SMSC answers for a malformed or invalid submission."""
    reader = _BodyReader(body)
    sub = {"service_type": reader.cstring(6, ESME_RINVSERTYP)}
    sub["source_addr_ton"] = reader.int8()
    sub["source_addr_npi"] = reader.int8()
    sub["source_addr"] = reader.cstring(21, ESME_RINVSRCADR)
    sub["dest_addr_ton"] = reader.int8()
    sub["dest_addr_npi"] = reader.int8()
    sub["destination_addr"] = reader.cstring(21, ESME_RINVDSTADR)
    sub["esm_class"] = reader.int8()
    sub["protocol_id"] = reader.int8()
    sub["priority_flag"] = reader.int8()
    sub["schedule_delivery_time"] = reader.cstring(17, ESME_RINVSCHED)
    sub["validity_period"] = reader.cstring(17, ESME_RINVEXPIRY)
    sub["registered_delivery"] = reader.int8()
    sub["replace_if_present_flag"] = reader.int8()
    sub["data_coding"] = reader.int8()
    sub["sm_default_msg_id"] = reader.int8()
    sm_length = reader.int8()
    sub["short_message"] = reader.octets(sm_length, ESME_RINVMSGLEN)
    raw_tlvs = reader.tlvs()

    if not sub["destination_addr"]:
        raise DecodeError(ESME_RINVDSTADR, "destination_addr is empty")
    if sub["priority_flag"] > 3:  # §5.2.14: 0-3, the rest reserved
        raise DecodeError(ESME_RINVPRTFLG, "priority_flag above 3")
    if sub["schedule_delivery_time"] and not _SMPP_TIME.match(sub["schedule_delivery_time"]):
        raise DecodeError(ESME_RINVSCHED, "schedule_delivery_time is not in §7.1 time format")
    if sub["validity_period"] and not _SMPP_TIME.match(sub["validity_period"]):
        raise DecodeError(ESME_RINVEXPIRY, "validity_period is not in §7.1 time format")
    if sub["registered_delivery"] & 0x03 == 0x03:  # §5.2.17 bits 1-0 = 11 is reserved
        raise DecodeError(ESME_RINVREGDLVFLG, "registered_delivery bits 1-0 = 11 are reserved")
    if sm_length > 254:  # §4.4.1: short_message is 0-254 octets
        raise DecodeError(ESME_RINVMSGLEN, "sm_length above 254")

    sub["message_payload"] = raw_tlvs.get(TLV_MESSAGE_PAYLOAD)
    # §4.4.1 / §5.3.2.32: the message goes in short_message or message_payload, never both; with message_payload
    # sm_length is 0. The spec names no status for the violation; this SMSC rejects it with ESME_RINVMSGLEN.
    if sub["message_payload"] is not None and sm_length:
        raise DecodeError(ESME_RINVMSGLEN, "both short_message and message_payload are set")
    payload = sub["message_payload"] if sub["message_payload"] is not None else sub["short_message"]

    sub["udh"] = None
    user_data = payload
    if sub["esm_class"] & ESM_CLASS_UDHI:
        sub["udh"], user_data = _decode_udh(payload)
    sub["sar"] = _decode_sar(raw_tlvs)
    sub["user_data"] = user_data
    sub["text"] = decode_text(user_data, sub["data_coding"])
    sub["tlvs"] = {TLV_NAMES.get(tag, f"0x{tag:04x}"): value for tag, value in raw_tlvs.items()}
    return sub


def _address(value):
    """An address for send_mo: (ton, npi, addr) as given, "+digits" → international/ISDN (1, 1) without the "+",
    digits → unknown/ISDN (0, 1), anything else → alphanumeric/unknown (5, 0) (§5.2.5, §5.2.6)."""
    if isinstance(value, tuple):
        return value
    if value.startswith("+") and value[1:].isdigit():
        return 1, 1, value[1:]
    if value.isdigit():
        return 0, 1, value
    return 5, 0, value


def _deliver_sm_body(source, destination, esm_class, data_coding, short_message, tlvs=b""):
    """deliver_sm body (§4.6.1). service_type, schedule_delivery_time, validity_period, replace_if_present_flag and
    sm_default_msg_id are NULL in deliver_sm; protocol_id, priority_flag and registered_delivery are 0 here."""
    source_ton, source_npi, source_addr = source
    dest_ton, dest_npi, dest_addr = destination
    return b"".join((
        _cstring(""), bytes((source_ton, source_npi)), _cstring(source_addr),
        bytes((dest_ton, dest_npi)), _cstring(dest_addr),
        bytes((esm_class, 0, 0)), _cstring(""), _cstring(""),
        bytes((0, 0, data_coding, 0, len(short_message))), short_message, tlvs,
    ))


def _mo_segments(text, data_coding):
    """Encodes an MO text and splits it when it does not fit one message: 160 septets (GSM) or 140 octets in one
    message, 153 septets or 134 octets per segment beside a 6-octet concatenation UDH (GSM 03.40 §9.2.3.24.1).
    Splits fall between characters, so a GSM escape pair or a UTF-16 surrogate pair is never cut.
    Returns [(user data, text of that part)]."""
    if data_coding == 0:
        encoded = [gsm_encode(char) for char in text]
        single, per_segment = 160, 153
    else:
        codec = {1: "ascii", 3: "latin-1", 8: "utf-16-be"}.get(data_coding)
        if codec is None:
            raise ValueError(f"send_mo encodes data_coding 0, 1, 3 or 8, not {data_coding}")
        encoded = [char.encode(codec) for char in text]
        single, per_segment = 140, 134
    if sum(map(len, encoded)) <= single:
        return [(b"".join(encoded), text)]
    parts, data, part_text = [], b"", ""
    for char, octets in zip(text, encoded):
        if len(data) + len(octets) > per_segment:
            parts.append((data, part_text))
            data, part_text = b"", ""
        data += octets
        part_text += char
    parts.append((data, part_text))
    if len(parts) > 255:
        raise ValueError("text needs more than 255 segments")
    return parts


def default_receipt_status(submission):
    """Destinations ending in 0000 are undeliverable; everything else is delivered."""
    return "UNDELIV" if submission["destination_addr"].endswith("0000") else "DELIVRD"


def _receipt_time(epoch):
    return time.strftime("%y%m%d%H%M", time.gmtime(epoch))  # Appendix B: YYMMDDhhmm (UTC here)


# -- One ESME connection ------------------------------------------------------------------------------------------------

class _Session:
    """One ESME connection: its bind state (§2.2), its requests awaiting our answer, and ours awaiting its answer."""

    def __init__(self, smsc, reader, writer, number):
        self.smsc = smsc
        self.reader = reader
        self.writer = writer
        self.id = number
        self.peer = writer.get_extra_info("peername")
        self.bind_type = None  # "transmitter", "receiver" or "transceiver" once bound
        self.system_id = None
        self.interface_version = None
        self.unbinding = False  # we sent unbind: route nothing more here
        self.closing = False    # the ESME unbound: stop reading
        self.closed = False
        self.outstanding = 0    # submit_sm received and not yet answered
        self.max_outstanding = 0
        self.done = asyncio.Event()
        self._sequence = 0
        self._pending = {}      # our sequence_number → Future of the ESME's response
        self._tasks = set()     # delayed answers and the enquire_link timer; cancelled when the connection ends
        self._handlers = {
            BIND_TRANSMITTER: self._bind, BIND_RECEIVER: self._bind, BIND_TRANSCEIVER: self._bind,
            UNBIND: self._unbind, SUBMIT_SM: self._submit_sm, ENQUIRE_LINK: self._enquire_link,
        }

    @property
    def can_receive(self):
        return self.bind_type in ("receiver", "transceiver") and not (self.unbinding or self.closing or self.closed)

    def snapshot(self):
        return {"id": self.id, "peer": self.peer, "bind_type": self.bind_type, "system_id": self.system_id,
                "interface_version": self.interface_version, "max_outstanding": self.max_outstanding}

    def spawn(self, coro):
        self.smsc._spawn(coro, self._tasks)

    # -- wire -----------------------------------------------------------------------------------------------------

    async def run(self):
        try:
            while not self.closing:
                try:
                    header = await self.reader.readexactly(HEADER.size)
                    length, command_id, status, sequence = HEADER.unpack(header)
                    if not HEADER.size <= length <= MAX_COMMAND_LENGTH:
                        # A command_length that cannot be right leaves the stream unframeable: nack it (§4.3) and
                        # drop the connection, since no later PDU boundary can be trusted.
                        log.info("session %d: invalid command_length %d", self.id, length)
                        await self.send(GENERIC_NACK, ESME_RINVCMDLEN, sequence)
                        return
                    body = await self.reader.readexactly(length - HEADER.size)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                log.debug("session %d <- %s status=0x%x seq=%d len=%d", self.id,
                          _command_name(command_id), status, sequence, length)
                await self._dispatch(command_id, status, sequence, body)
        finally:
            await self._close()

    async def send(self, command_id, status, sequence, body=b""):
        if self.writer.is_closing():
            raise ConnectionResetError("connection closed")
        log.debug("session %d -> %s status=0x%x seq=%d", self.id, _command_name(command_id), status, sequence)
        self.writer.write(HEADER.pack(HEADER.size + len(body), command_id, status, sequence) + body)
        await self.writer.drain()

    async def request(self, command_id, body, timeout):
        """Sends a request and returns the ESME's (command_id, command_status, body) answer."""
        self._sequence = self._sequence % MAX_SEQUENCE + 1
        sequence = self._sequence
        future = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        try:
            await self.send(command_id, ESME_ROK, sequence, body)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(sequence, None)

    async def _close(self):
        self.closed = True
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionResetError("connection closed"))
        for task in list(self._tasks):
            task.cancel()
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
        self.smsc._session_closed(self)
        self.done.set()

    def abort(self):
        self.writer.transport.abort()

    async def unbind(self, timeout):
        """SMSC-initiated unbind (§4.2): send unbind, wait for unbind_resp, close. True if the ESME answered."""
        self.unbinding = True
        try:
            command_id, _, _ = await self.request(UNBIND, b"", timeout)
            answered = command_id == UNBIND | RESPONSE_BIT
        except (asyncio.TimeoutError, ConnectionError):
            answered = False
        self.writer.close()
        await self.done.wait()
        return answered

    # -- requests from the ESME ---------------------------------------------------------------------------------

    async def _dispatch(self, command_id, status, sequence, body):
        if command_id & RESPONSE_BIT:  # an answer to one of our requests (generic_nack included)
            future = self._pending.get(sequence)
            if future is not None and not future.done():
                future.set_result((command_id, status, body))
            else:
                log.info("session %d: unexpected %s seq=%d", self.id, _command_name(command_id), sequence)
            return
        handler = self._handlers.get(command_id)
        try:
            if handler is None:
                await self.send(GENERIC_NACK, ESME_RINVCMDID, sequence)
            elif self.bind_type is None and command_id not in BIND_TYPES and command_id != ENQUIRE_LINK:
                # §2.2: in the OPEN state only bind requests (and the link check) are allowed.
                await self.send(command_id | RESPONSE_BIT, ESME_RINVBNDSTS, sequence)
            else:
                await handler(command_id, sequence, body)
        except ConnectionError:
            self.closing = True

    async def _bind(self, command_id, sequence, body):
        response_id = command_id | RESPONSE_BIT
        if self.bind_type is not None:
            await self.send(response_id, ESME_RALYBND, sequence)
            return
        try:
            fields = _decode_bind(body)
        except DecodeError as error:
            fields, status = {}, error.status
        else:
            status = self.smsc._authenticate(fields["system_id"], fields["password"])
        self.smsc._record_bind(self, BIND_TYPES[command_id], fields, status)
        if status != ESME_ROK:
            await self.send(response_id, status, sequence)  # §4.1.2: no body when command_status is non-zero
            return
        response = _cstring(self.smsc.system_id)
        if fields["interface_version"] >= SMPP_VERSION_34:
            response += _tlv(TLV_SC_INTERFACE_VERSION, bytes((SMPP_VERSION_34,)))
        # Bookkeeping before the answer, so whoever sees bind_resp also sees the bind. The queued receipts this
        # releases go out from tasks, which cannot run before send() has written bind_resp.
        self.smsc._bound(self, BIND_TYPES[command_id], fields)
        await self.send(response_id, ESME_ROK, sequence, response)

    async def _unbind(self, command_id, sequence, body):
        await self.send(UNBIND | RESPONSE_BIT, ESME_ROK, sequence)
        self.closing = True  # §4.2: the unbinding ESME closes the connection; we close our side too

    async def _enquire_link(self, command_id, sequence, body):
        self.smsc._count("_enquire_links_received")
        await self.send(ENQUIRE_LINK | RESPONSE_BIT, ESME_ROK, sequence)

    async def _submit_sm(self, command_id, sequence, body):
        if self.bind_type == "receiver":  # §2.2: submit_sm needs a transmitter or transceiver bind
            await self.send(SUBMIT_SM | RESPONSE_BIT, ESME_RINVBNDSTS, sequence)
            return
        self.outstanding += 1
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        self.smsc._note_outstanding(self.max_outstanding)
        try:
            submission = decode_submit_sm(body)
        except DecodeError as error:
            self.smsc._record_invalid(self, error)
            status, submission = error.status, None
        else:
            status = self.smsc._accept(self, submission)
        delay = self.smsc._response_delay
        if delay > 0:
            # Answer later without blocking the reader, so the ESME's window of unanswered submits shows.
            self.spawn(self._answer_submit(sequence, status, submission, delay))
        else:
            await self._answer_submit(sequence, status, submission, 0)

    async def _answer_submit(self, sequence, status, submission, delay):
        if delay:
            await asyncio.sleep(delay)
        self.outstanding -= 1
        # §4.4.2: submit_sm_resp carries the message_id, and no body at all when command_status is non-zero.
        body = _cstring(submission["message_id"]) if status == ESME_ROK else b""
        try:
            await self.send(SUBMIT_SM | RESPONSE_BIT, status, sequence, body)
        except ConnectionError:
            return  # the ESME went away before its answer
        if status == ESME_ROK:
            self.smsc._schedule_receipt(submission)


def _command_name(command_id):
    name = COMMAND_NAMES.get(command_id & ~RESPONSE_BIT, f"0x{command_id & ~RESPONSE_BIT:08x}")
    return name if command_id == GENERIC_NACK or not command_id & RESPONSE_BIT else name + "_resp"


# -- The SMSC -----------------------------------------------------------------------------------------------------------

class SMSC:
    """An SMPP v3.4 SMSC listening on host:port. See the module docstring.

    receipt_status: callable(submission dict) → "DELIVRD" | "UNDELIV" | "EXPIRED" | "REJECTD" (or another Appendix B
    stat word) | None for no receipt. Called when the receipt falls due; assignable at any time.
    """

    def __init__(self, accounts, host="127.0.0.1", port=0, enquire_link_interval=None, receipt_delay=0.0, *,
                 system_id="SMSCPEER", receipt_status=None, response_timeout=5.0):
        self.accounts = dict(accounts)
        self.host = host
        self.port = port
        self.enquire_link_interval = enquire_link_interval
        self.receipt_delay = receipt_delay
        self.system_id = system_id
        self.receipt_status = receipt_status or default_receipt_status
        self.response_timeout = response_timeout  # how long to wait for the ESME's answer to our requests

        self._lock = threading.Lock()
        self._sessions = []
        self._submitted = []
        self._rejected = []
        self._receipts = []
        self._mo_responses = []
        self._bind_log = []
        self._binds = 0
        self._enquire_links_received = 0
        self._enquire_link_resp_received = 0
        self._max_outstanding = 0
        self._faults = collections.deque()  # command_status for each of the next submit_sm
        self._response_delay = 0.0
        self._receipt_queue = collections.defaultdict(collections.deque)  # system_id → receipts awaiting a receiver
        self._message_ids = itertools.count(1)
        self._session_ids = itertools.count(1)
        self._mo_reference = 0
        self._round_robin = 0
        self._tasks = set()
        self._loop = None
        self._thread = None
        self._server = None

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def start(self):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smsc-peer", daemon=True)
        self._thread.start()
        self._call(self._start_server())
        return self

    def stop(self, timeout=2.0):
        """Unbinds bound sessions (waiting up to `timeout` for each unbind_resp), closes everything."""
        if self._loop is None:
            return
        try:
            self._call(self._shutdown(timeout))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self._loop = None

    def __enter__(self):
        return self.start() if self._loop is None else self

    def __exit__(self, *exc_info):
        self.stop()

    def _call(self, coro, timeout=None):
        """Runs a coroutine on the SMSC's loop and waits for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _start_server(self):
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self, timeout):
        self._server.close()
        await self._unbind_all(timeout)
        await self._drop_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader, writer):
        session = _Session(self, reader, writer, next(self._session_ids))
        with self._lock:
            self._sessions.append(session)
        log.info("session %d: connected from %s", session.id, session.peer)
        await session.run()

    def _spawn(self, coro, owner=None):
        """Starts a task the loop keeps a reference to (in `owner`, a set) and whose failure gets logged."""
        owner = self._tasks if owner is None else owner
        task = self._loop.create_task(coro)
        owner.add(task)
        task.add_done_callback(owner.discard)
        task.add_done_callback(_log_failure)
        return task

    # -- scripted behaviour (thread-safe) ---------------------------------------------------------------------

    def throttle_next(self, n=1):
        """The next n submit_sm are answered ESME_RTHROTTLED (0x58)."""
        self.fail_next(n, ESME_RTHROTTLED)

    def queue_full_next(self, n=1):
        """The next n submit_sm are answered ESME_RMSGQFUL (0x14)."""
        self.fail_next(n, ESME_RMSGQFUL)

    def fail_next(self, n, status):
        """The next n submit_sm are answered with `status` (after any faults already scripted)."""
        with self._lock:
            self._faults.extend([status] * n)

    def delay_responses(self, seconds):
        """Answer each later submit_sm `seconds` after it arrives (0 answers at once)."""
        with self._lock:
            self._response_delay = seconds

    # -- peer-initiated actions (thread-safe, blocking) ---------------------------------------------------------

    def send_mo(self, source, destination, text, data_coding=None, *, system_id=None, timeout=5.0):
        """Sends a mobile-originated message as deliver_sm (esm_class 0, or 0x40 with a concatenation UDH per
        segment when the text needs several) to a bound receiver/transceiver — of `system_id` if given — waiting up
        to `timeout` for one to be bound. data_coding None picks GSM 03.38 (0) when the text fits that alphabet,
        else UCS-2 (8); 1 (ASCII) and 3 (Latin-1) are also accepted.

        Returns {"status": first non-zero deliver_sm_resp status or 0, "segments": [records]} once every segment
        is answered; each record also lands in `mo_responses`. Raises TimeoutError when no receiver is bound or no
        answer comes within `timeout`, ConnectionError when the receiver's connection ends first."""
        return self._call(self._send_mo(source, destination, text, data_coding, system_id, timeout))

    def unbind_all(self, timeout=5.0):
        """Sends unbind to every bound session, waits for each unbind_resp (up to `timeout`), closes the
        connections. Returns how many sessions answered unbind_resp."""
        return self._call(self._unbind_all(timeout))

    def drop_all(self):
        """Closes every connection abruptly, without unbind. Returns how many were open."""
        return self._call(self._drop_all())

    async def _unbind_all(self, timeout):
        sessions = [s for s in self._snapshot_sessions() if s.bind_type and not s.closed]
        answers = await asyncio.gather(*(session.unbind(timeout) for session in sessions))
        return sum(answers)

    async def _drop_all(self):
        sessions = self._snapshot_sessions()
        for session in sessions:
            session.abort()
        for session in sessions:
            await session.done.wait()
        return len(sessions)

    async def _send_mo(self, source, destination, text, data_coding, system_id, timeout):
        deadline = self._loop.time() + timeout
        if data_coding is None:
            data_coding = 0 if is_gsm_text(text) else 8
        parts = _mo_segments(text, data_coding)
        self._mo_reference = (self._mo_reference + 1) % 256
        while (session := self._receiver_for(system_id)) is None:
            if self._loop.time() >= deadline:
                raise TimeoutError("no receiver or transceiver is bound")
            await asyncio.sleep(0.02)
        source, destination = _address(source), _address(destination)
        records = []
        for number, (user_data, part_text) in enumerate(parts, start=1):
            udh, esm_class = None, 0
            if len(parts) > 1:
                # IEI 0x00, 8-bit reference (GSM 03.40 §9.2.3.24.1): UDHL 5, IEI, IEDL 3, ref, total, seq.
                udh = {"ref": self._mo_reference, "total": len(parts), "seq": number}
                user_data = bytes((5, 0x00, 3, self._mo_reference, len(parts), number)) + user_data
                esm_class = ESM_CLASS_UDHI
            body = _deliver_sm_body(source, destination, esm_class, data_coding, user_data)
            try:
                command_id, status, _ = await session.request(
                    DELIVER_SM, body, max(0.0, deadline - self._loop.time()))
            except asyncio.TimeoutError:
                raise TimeoutError("no deliver_sm_resp within the timeout") from None
            record = {"system_id": session.system_id, "source_addr": source[2], "destination_addr": destination[2],
                      "text": part_text, "data_coding": data_coding, "esm_class": esm_class, "udh": udh,
                      "response": _command_name(command_id), "status": status, "at": time.time()}
            with self._lock:
                self._mo_responses.append(record)
            records.append(record)
        return {"status": next((r["status"] for r in records if r["status"]), ESME_ROK), "segments": records}

    # -- bookkeeping called from sessions (on the loop) ---------------------------------------------------------

    def _authenticate(self, system_id, password):
        if system_id not in self.accounts:
            return ESME_RINVSYSID
        if self.accounts[system_id] != password:
            return ESME_RINVPASWD
        return ESME_ROK

    def _record_bind(self, session, bind_type, fields, status):
        with self._lock:
            self._bind_log.append({"session": session.id, "bind_type": bind_type,
                                   "system_id": fields.get("system_id"), "system_type": fields.get("system_type"),
                                   "interface_version": fields.get("interface_version"), "status": status,
                                   "at": time.time()})

    def _bound(self, session, bind_type, fields):
        with self._lock:
            session.bind_type = bind_type
            session.system_id = fields["system_id"]
            session.interface_version = fields["interface_version"]
            self._binds += 1
            queued = self._receipt_queue.pop(session.system_id, ()) if session.can_receive else ()
        log.info("session %d: bound as %s for %s", session.id, bind_type, session.system_id)
        for receipt in queued:  # receipts held while no receiver was bound, in order
            self._spawn(self._deliver_receipt(session, receipt))
        if self.enquire_link_interval:
            session.spawn(self._enquire_link_timer(session))

    def _session_closed(self, session):
        with self._lock:
            self._sessions.remove(session)
        log.info("session %d: closed", session.id)

    def _count(self, counter):
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)

    def _note_outstanding(self, value):
        with self._lock:
            self._max_outstanding = max(self._max_outstanding, value)

    def _accept(self, session, submission):
        """Applies any scripted fault; records the submission; returns the status to answer with."""
        with self._lock:
            status = self._faults.popleft() if self._faults else ESME_ROK
            submission.update(system_id=session.system_id, session=session.id, at=time.time(), status=status)
            if status == ESME_ROK:
                submission["message_id"] = f"{next(self._message_ids):08x}"
                self._submitted.append(submission)
            else:
                submission["message_id"] = None
                self._rejected.append(submission)
            return status

    def _record_invalid(self, session, error):
        with self._lock:
            self._rejected.append({"system_id": session.system_id, "session": session.id, "status": error.status,
                                   "error": str(error), "message_id": None, "at": time.time()})

    # -- delivery receipts ----------------------------------------------------------------------------------------

    def _schedule_receipt(self, submission):
        if submission["registered_delivery"] & 0x03:  # §5.2.17 bits 1-0: 01 always, 10 on failure only
            self._spawn(self._receipt_after_delay(submission))

    async def _receipt_after_delay(self, submission):
        await asyncio.sleep(self.receipt_delay)
        stat = self.receipt_status(dict(submission))
        if stat is None or (submission["registered_delivery"] & 0x03 == 0x02 and stat == "DELIVRD"):
            return
        delivered = stat == "DELIVRD"
        text = submission["text"] if isinstance(submission["text"], str) else ""
        receipt = {
            "message_id": submission["message_id"],
            "system_id": submission["system_id"],
            "stat": stat,
            # The receipt goes back from the handset to the submitter.
            "source": (submission["dest_addr_ton"], submission["dest_addr_npi"], submission["destination_addr"]),
            "destination": (submission["source_addr_ton"], submission["source_addr_npi"], submission["source_addr"]),
            # Appendix B; err is SMSC-specific: 000 when delivered, 001 otherwise.
            "text": (f"id:{submission['message_id']} sub:001 dlvrd:{'001' if delivered else '000'} "
                     f"submit date:{_receipt_time(submission['at'])} done date:{_receipt_time(time.time())} "
                     f"stat:{stat} err:{'000' if delivered else '001'} text:{text[:20]}"),
        }
        self._route_receipt(receipt)

    def _route_receipt(self, receipt):
        session = self._receiver_for(receipt["system_id"])
        if session is None:
            with self._lock:
                self._receipt_queue[receipt["system_id"]].append(receipt)
        else:
            self._spawn(self._deliver_receipt(session, receipt))

    async def _deliver_receipt(self, session, receipt):
        tlvs = b""
        if session.interface_version >= SMPP_VERSION_34:
            tlvs = (_tlv(TLV_RECEIPTED_MESSAGE_ID, _cstring(receipt["message_id"]))
                    + _tlv(TLV_MESSAGE_STATE, bytes((MESSAGE_STATES.get(receipt["stat"], 7),))))
        # Receipt text goes in the SMSC default alphabet (data_coding 0).
        body = _deliver_sm_body(receipt["source"], receipt["destination"], ESM_CLASS_DELIVERY_RECEIPT, 0,
                                gsm_encode(receipt["text"], errors="replace"), tlvs)
        try:
            command_id, status, _ = await session.request(DELIVER_SM, body, self.response_timeout)
        except (asyncio.TimeoutError, ConnectionError):
            self._route_receipt(receipt)  # unanswered: keep it for the next receiver, like an SMSC retrying
            return
        with self._lock:
            self._receipts.append({"message_id": receipt["message_id"], "stat": receipt["stat"],
                                   "system_id": receipt["system_id"], "session": session.id,
                                   "text": receipt["text"], "response": _command_name(command_id),
                                   "status": status, "at": time.time()})

    def _receiver_for(self, system_id):
        """A bound receiver/transceiver (of system_id, when given), taking turns among several."""
        candidates = [s for s in self._snapshot_sessions()
                      if s.can_receive and (system_id is None or s.system_id == system_id)]
        if not candidates:
            return None
        self._round_robin += 1
        return candidates[self._round_robin % len(candidates)]

    async def _enquire_link_timer(self, session):
        while True:
            await asyncio.sleep(self.enquire_link_interval)
            try:
                command_id, status, _ = await session.request(ENQUIRE_LINK, b"", self.response_timeout)
            except asyncio.TimeoutError:
                continue
            except ConnectionError:
                return
            if command_id == ENQUIRE_LINK | RESPONSE_BIT and status == ESME_ROK:
                self._count("_enquire_link_resp_received")

    # -- thread-safe views ----------------------------------------------------------------------------------------

    def _snapshot_sessions(self):
        with self._lock:
            return list(self._sessions)

    @property
    def sessions(self):
        """Open connections: [{"id", "peer", "bind_type" (None until bound), "system_id", "interface_version",
        "max_outstanding"}]."""
        with self._lock:
            return [session.snapshot() for session in self._sessions]

    @property
    def submitted(self):
        """Accepted submit_sm, oldest first: dicts with system_id, session, message_id, every submit_sm field
        (service_type, source_addr_ton/npi, source_addr, dest_addr_ton/npi, destination_addr, esm_class, protocol_id,
        priority_flag, schedule_delivery_time, validity_period, registered_delivery, replace_if_present_flag,
        data_coding, sm_default_msg_id, short_message), message_payload (bytes or None), udh ({ref, total, seq,
        ref_bits, ies} or None), sar ({ref, total, seq} or None), user_data (payload after any UDH), text (str, or
        bytes for binary codings), tlvs ({name: raw bytes}), status (0) and at (epoch seconds)."""
        with self._lock:
            return list(self._submitted)

    @property
    def rejected(self):
        """submit_sm answered with an error: scripted faults (full submission dicts with their status) and invalid
        PDUs ({system_id, session, status, error, message_id: None, at})."""
        with self._lock:
            return list(self._rejected)

    @property
    def receipts(self):
        """Delivery receipts sent and answered: [{message_id, stat, system_id, session, text, response, status,
        at}]."""
        with self._lock:
            return list(self._receipts)

    @property
    def pending_receipts(self):
        """Receipts waiting for a receiver of their system_id to bind."""
        with self._lock:
            return sum(len(queue) for queue in self._receipt_queue.values())

    @property
    def mo_responses(self):
        """One record per MO deliver_sm segment answered: [{system_id, source_addr, destination_addr, text,
        data_coding, esm_class, udh, response, status, at}]."""
        with self._lock:
            return list(self._mo_responses)

    @property
    def bind_log(self):
        """Every bind attempt: [{session, bind_type, system_id, system_type, interface_version, status, at}]."""
        with self._lock:
            return list(self._bind_log)

    @property
    def binds(self):
        """Successful binds so far."""
        with self._lock:
            return self._binds

    @property
    def enquire_links_received(self):
        with self._lock:
            return self._enquire_links_received

    @property
    def enquire_link_resp_received(self):
        with self._lock:
            return self._enquire_link_resp_received

    @property
    def max_outstanding(self):
        """The most submit_sm any one session had unanswered at once."""
        with self._lock:
            return self._max_outstanding

    def messages(self):
        """Accepted submissions with concatenated segments (UDH or sar_* TLVs) joined, in order of first segment:
        [{system_id, source_addr, destination_addr, data_coding, text, message_ids, complete}]. The user data of the
        segments is joined before decoding, so characters split across segments come out whole."""
        result, open_groups = [], {}
        for sub in self.submitted:
            concat = sub["udh"] if sub["udh"] and sub["udh"]["ref"] is not None else sub["sar"]
            key = concat and (sub["system_id"], sub["source_addr"], sub["destination_addr"],
                              concat["ref"], concat["total"])
            group = open_groups.get(key) if key else None
            if group is None or concat["seq"] in group["parts"]:
                group = {"sub": sub, "total": concat["total"] if concat else 1, "parts": {}}
                result.append(group)
                if key:
                    open_groups[key] = group
            group["parts"][concat["seq"] if concat else 1] = sub
        return [self._joined(group) for group in result]

    @staticmethod
    def _joined(group):
        parts = [group["parts"][seq] for seq in sorted(group["parts"])]
        first = group["sub"]
        return {
            "system_id": first["system_id"], "source_addr": first["source_addr"],
            "destination_addr": first["destination_addr"], "data_coding": first["data_coding"],
            "text": decode_text(b"".join(part["user_data"] for part in parts), first["data_coding"]),
            "message_ids": [part["message_id"] for part in parts],
            "complete": len(parts) == group["total"],
        }

    @staticmethod
    def wait_for(predicate, timeout=10.0, interval=0.02):
        """Polls predicate() until it returns something truthy, and returns that; TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)


def _log_failure(task):
    if not task.cancelled() and task.exception() is not None:
        log.error("smsc task failed", exc_info=task.exception())


# -- Command line ---------------------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description="A small SMPP v3.4 SMSC for tests and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the first line)")
    parser.add_argument("--account", action="append", required=True, metavar="SYSTEM_ID:PASSWORD")
    parser.add_argument("--receipt-delay", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--enquire-link-interval", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--system-id", default="SMSCPEER", help="the SMSC's system_id in bind responses")
    parser.add_argument("--verbose", action="store_true", help="log PDUs to stderr")
    args = parser.parse_args(argv)
    accounts = dict(account.split(":", 1) for account in args.account)

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    smsc = SMSC(accounts, host=args.host, port=args.port, enquire_link_interval=args.enquire_link_interval,
                receipt_delay=args.receipt_delay, system_id=args.system_id).start()
    print(f"SMSC listening on {smsc.port}", flush=True)
    while not stopping.wait(0.5):
        pass
    smsc.stop()
    print(json.dumps({"submitted": len(smsc.submitted), "rejected": len(smsc.rejected),
                      "receipts": len(smsc.receipts), "mo": len(smsc.mo_responses), "binds": smsc.binds,
                      "max_outstanding": smsc.max_outstanding}), flush=True)


if __name__ == "__main__":
    main()
