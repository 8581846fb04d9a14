"""Schemathesis hooks for fuzzing Switchboard (loaded with SCHEMATHESIS_HOOKS=hooks by fuzz/run.py).

- Auth: every request is signed after requests has prepared it, so the signature covers the final URL and body:
  HMAC-SHA256 with the resource's access key, or the chat user's access token (Bearer) for chat.
- Fixtures: generated path parameters (and a few body fields) are swapped, most of the time, for ids that exist
  (identities, threads, messages, phone numbers, reservations, searches, operations), so requests reach the
  handlers; the rest keep the generated value, so the not-found paths are fuzzed too. What the fuzzer deletes is
  made again.
- Figures: every response is counted by operation and status; 5xx responses and network errors are kept with the
  request that caused them. The figures are written as JSON to $FUZZ_STATS.

Configuration comes from the environment: FUZZ_CONTEXT (JSON written by run.py), FUZZ_SERVICE, FUZZ_AUTH
(hmac or bearer), FUZZ_STATS, FUZZ_KNOWN_5XX, and for debugging FUZZ_DEBUG_STATUS (e.g. `401,403`: every request
answered with one of these statuses is appended to $FUZZ_STATS.debug, with how schemathesis generated it).
"""

import atexit
import collections
import json
import os
import sys
import threading
import zlib

import requests.auth
import schemathesis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acs  # noqa: E402

CONTEXT = json.load(open(os.environ["FUZZ_CONTEXT"]))
SERVICE = os.environ["FUZZ_SERVICE"]
AUTH = os.environ.get("FUZZ_AUTH", "hmac")
STATS_PATH = os.environ["FUZZ_STATS"]
KNOWN_5XX_PATH = os.environ.get("FUZZ_KNOWN_5XX")
DEBUG_STATUSES = set(filter(None, os.environ.get("FUZZ_DEBUG_STATUS", "").split(",")))
KEEP_EXAMPLES = 20            # 5xx / network-error requests kept per service
SUBSTITUTE_OUT_OF = (4, 5)    # 4 times out of 5 a generated id is replaced by an existing one

client = acs.Client(CONTEXT["endpoint"], CONTEXT["accessKey"], CONTEXT["ca"])
fixtures = acs.Fixtures(client, CONTEXT["fixtures"])
lock = threading.Lock()
stats = {
    "service": SERVICE,
    "requests": 0,
    "statuses": collections.Counter(),
    "operations": collections.defaultdict(collections.Counter),
    "serverErrors": [],
    "networkErrors": [],
    "networkErrorCount": 0,
    "fixtureErrors": [],
    "known5xx": collections.Counter(),
}


def read_known_5xx():
    """(status, "METHOD /path") pairs of fuzz/known-5xx for this service: acknowledged gaps, counted apart."""
    known = set()
    if KNOWN_5XX_PATH and os.path.exists(KNOWN_5XX_PATH):
        for line in open(KNOWN_5XX_PATH):
            parts = line.split("#", 1)[0].split()
            if len(parts) == 4 and parts[0] == SERVICE:
                known.add((int(parts[1]), f"{parts[2].upper()} {parts[3]}"))
    return known


KNOWN_5XX = read_known_5xx()


# -- auth ----------------------------------------------------------------------------------------------------

class SwitchboardAuth(requests.auth.AuthBase):
    """Applied by requests to the prepared request (final URL, final body bytes)."""

    def __init__(self):
        self.hmac = client.hmac

    def __call__(self, request):
        if AUTH == "bearer":
            return acs.BearerAuth(fixtures.state["chatUser"]["token"])(request)
        return self.hmac(request)


schemathesis.auth.set_from_requests(SwitchboardAuth())


# -- fixtures ------------------------------------------------------------------------------------------------

def pick(value, pool):
    """Deterministically (so hypothesis can replay a case) replaces `value` by an item of `pool`, or keeps it."""
    if not pool:
        return value
    digest = zlib.crc32(repr(value).encode())
    if digest % SUBSTITUTE_OUT_OF[1] >= SUBSTITUTE_OUT_OF[0]:
        return value
    return pool[(digest // SUBSTITUTE_OUT_OF[1]) % len(pool)]


def valid_phone(value):
    return pick(value, ["+14255550123", "+12065550100", "+18005550199", "+447700900123"])


def substitute_path(case):
    params = case.path_parameters
    if not params:
        return
    state = fixtures.state
    with fixtures.lock:
        if "id" in params and SERVICE == "identity":
            params["id"] = pick(params["id"], list(state["identities"]))
        if "chatThreadId" in params:
            params["chatThreadId"] = pick(params["chatThreadId"], sorted(state["threads"]))
            if "chatMessageId" in params:
                messages = state["threads"].get(params["chatThreadId"]) or []
                params["chatMessageId"] = pick(params["chatMessageId"], list(messages))
        if "countryCode" in params:
            params["countryCode"] = pick(params["countryCode"], ["US", "US", "CA"])
        if "phoneNumber" in params:
            params["phoneNumber"] = pick(params["phoneNumber"], list(state["numbers"]))
        if "reservationId" in params:
            params["reservationId"] = pick(params["reservationId"], list(state["reservations"]))
        if "searchId" in params:
            params["searchId"] = pick(params["searchId"], list(state["searches"]))
        if "operationId" in params:
            params["operationId"] = pick(params["operationId"], list(state["operations"]))


def identifier(value, pool):
    """A CommunicationIdentifierModel body naming an existing user, or the generated one."""
    chosen = pick(json.dumps(value, sort_keys=True, default=str), pool)
    if chosen in pool:
        return {"rawId": chosen, "communicationUser": {"id": chosen}}
    return value


def substitute_body(case):
    body = case.body
    if not isinstance(body, dict):
        return
    state = fixtures.state
    path = case.operation.path
    if SERVICE.startswith("sms"):
        if "from" in body:
            body["from"] = pick(body["from"], list(state["smsNumbers"]))
        for key in ("smsRecipients", "recipients"):
            if isinstance(body.get(key), list):
                for recipient in body[key]:
                    if isinstance(recipient, dict) and "to" in recipient:
                        recipient["to"] = valid_phone(recipient["to"])
    elif SERVICE == "chat":
        spare = list(state["spareUsers"])
        participants = body.get("participants") if isinstance(body.get("participants"), list) else []
        for participant in participants:
            if isinstance(participant, dict) and "communicationIdentifier" in participant:
                participant["communicationIdentifier"] = identifier(participant["communicationIdentifier"], spare)
        if path.endswith("/participants/:remove"):
            case.body = identifier(body, spare)
        if "chatMessageId" in body and case.path_parameters:
            messages = state["threads"].get(case.path_parameters.get("chatThreadId")) or []
            body["chatMessageId"] = pick(body["chatMessageId"], list(messages))
    elif SERVICE == "phonenumbers":
        if "searchId" in body:
            body["searchId"] = pick(body["searchId"], list(state["searches"]))
        if isinstance(body.get("phoneNumbers"), list) and path.startswith("/operatorInformation"):
            body["phoneNumbers"] = [valid_phone(number) for number in body["phoneNumbers"]]


@schemathesis.hook
def before_call(context, case, **kwargs):
    substitute_path(case)
    substitute_body(case)


def replenish(case, response):
    """Makes again the fixtures a successful request just deleted or used up."""
    method, path, params = case.method.upper(), case.operation.path, case.path_parameters or {}
    if not 200 <= response.status_code < 300:
        return
    state = fixtures.state
    try:
        if SERVICE == "identity" and method == "DELETE" and params.get("id") in state["identities"]:
            with fixtures.lock:
                state["identities"].remove(params["id"])
            fixtures.add_identity()
        elif SERVICE == "chat" and params.get("chatThreadId") in state["threads"]:
            thread = params["chatThreadId"]
            if method == "DELETE" and path == "/chat/threads/{chatThreadId}":
                with fixtures.lock:
                    state["threads"].pop(thread, None)
                fixtures.add_thread()
            elif method == "DELETE" and params.get("chatMessageId") in state["threads"].get(thread, []):
                with fixtures.lock:
                    state["threads"][thread].remove(params["chatMessageId"])
                fixtures.add_message(thread)
        elif SERVICE == "phonenumbers":
            if method == "DELETE" and path == "/phoneNumbers/{phoneNumber}" and params.get("phoneNumber") in state["numbers"]:
                with fixtures.lock:
                    state["numbers"].remove(params["phoneNumber"])
                fixtures.buy(1, pool="numbers")
            elif "reservationId" in params and params["reservationId"] in state["reservations"] and (
                    method == "DELETE" or path.endswith("/:purchase")):
                with fixtures.lock:
                    state["reservations"].remove(params["reservationId"])
                fixtures.add_reservation()
    except Exception as error:  # a fixture that cannot be made again is worth knowing, not worth stopping for
        with lock:
            if len(stats["fixtureErrors"]) < KEEP_EXAMPLES:
                stats["fixtureErrors"].append(f"{method} {path}: {error}")


# -- figures -------------------------------------------------------------------------------------------------

def redact(headers):
    kept = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            value = value.split("Signature=")[0] + "Signature=<computed>" if value.startswith("HMAC") else "Bearer <user token>"
        elif name.lower() in ("x-ms-date", "x-ms-content-sha256"):
            value = "<computed>"
        kept[name] = value
    return kept


def describe(request):
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="backslashreplace")
    return {"method": request.method, "url": request.url, "headers": redact(dict(request.headers)), "body": body}


@schemathesis.hook
def after_call(context, case, response):
    operation = f"{case.method.upper()} {case.operation.path}"
    known = (response.status_code, operation) in KNOWN_5XX
    with lock:
        stats["requests"] += 1
        stats["statuses"][str(response.status_code)] += 1
        stats["operations"][operation][str(response.status_code)] += 1
        if known:
            stats["known5xx"][f"{response.status_code} {operation}"] += 1
        keep = response.status_code >= 500 and not known and len(stats["serverErrors"]) < KEEP_EXAMPLES
        count = stats["requests"]
    if str(response.status_code) in DEBUG_STATUSES:  # FUZZ_DEBUG_STATUS=401,403: why did these happen?
        with lock, open(STATS_PATH + ".debug", "a") as debug:
            debug.write(json.dumps(dict(describe(response.request), operation=operation, status=response.status_code,
                                        response=response.text[:500],
                                        generation=str(getattr(case, "meta", None))[:800])) + "\n")
    if keep:
        example = describe(response.request)
        example.update(operation=operation, status=response.status_code, response=response.text[:2000])
        with lock:
            stats["serverErrors"].append(example)
    replenish(case, response)
    if count % 250 == 0:
        write_stats()


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps `not_a_server_error` quiet about the acknowledged 5xx of fuzz/known-5xx; they are counted apart."""
    status = getattr(failure, "status_code", None)
    return not (status is not None and (status, f"{case.method.upper()} {case.operation.path}") in KNOWN_5XX)


@schemathesis.hook
def after_network_error(context, case, request):
    operation = f"{case.method.upper()} {case.operation.path}"
    with lock:
        stats["networkErrorCount"] += 1
        stats["operations"][operation]["network-error"] += 1
        if len(stats["networkErrors"]) < KEEP_EXAMPLES:
            example = describe(request)
            example["operation"] = operation
            stats["networkErrors"].append(example)


def write_stats():
    with lock, fixtures.lock:
        # The fixtures as left (for the next service), less the chat user's token: run.py keeps its own.
        state = dict(fixtures.state, chatUser={"id": (fixtures.state.get("chatUser") or {}).get("id")})
        document = json.dumps(dict(stats, fixtures=state), indent=1, default=dict)
    temporary = STATS_PATH + ".tmp"
    with open(temporary, "w") as out:
        out.write(document)
    os.replace(temporary, STATS_PATH)


atexit.register(write_stats)
