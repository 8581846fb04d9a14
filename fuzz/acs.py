"""A small ACS client for the fuzz harness: HMAC-SHA256 request signing, user-token (Bearer) auth, and the fixtures
(identities, chat threads and messages, phone numbers, reservations, searches) that the fuzzed operations need so
that generated requests reach the handlers instead of all being 404s.

The signing follows the wire contract (shared/reference/acs-wire.md §2.1) and conformance/conftest.py
`signed_request`: the signed host is the endpoint minus its scheme (`127.0.0.1:PORT/dev`), the signed path is the
request target exactly as sent. It signs a `requests.PreparedRequest`, so it covers the final URL and body bytes.
"""

import base64
import email.utils
import hashlib
import hmac
import threading
import time
import urllib.parse
import uuid

import requests
import requests.auth

CHAT_API = "2024-03-07"
IDENTITY_API = "2023-10-01"
NUMBERS_API = "2025-06-01"


def parse_connection_string(connection_string):
    settings = {}
    for part in connection_string.strip().split(";"):
        if part:
            name, value = part.split("=", 1)
            settings[name.strip().lower()] = value.strip()
    return settings["endpoint"].rstrip("/"), settings["accesskey"]


class HmacAuth(requests.auth.AuthBase):
    """Signs each prepared request with the resource's access key, as the Azure SDKs do."""

    def __init__(self, endpoint, access_key):
        url = urllib.parse.urlsplit(endpoint)
        self.host = (url.netloc + url.path).rstrip("/")
        self.secret = base64.b64decode(access_key)

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, (bytes, bytearray)):  # a generator or file: not produced by the harness
            raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")
        content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
        date = email.utils.formatdate(usegmt=True)
        string_to_sign = f"{request.method.upper()}\n{request.path_url}\n{date};{self.host};{content_hash}"
        signature = base64.b64encode(hmac.new(self.secret, string_to_sign.encode(), hashlib.sha256).digest()).decode()
        request.headers["x-ms-date"] = date
        request.headers["x-ms-content-sha256"] = content_hash
        request.headers["x-ms-return-client-request-id"] = "true"
        request.headers["Authorization"] = (
            f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}")
        return request


class BearerAuth(requests.auth.AuthBase):
    """A user access token, as the chat SDK sends it."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def quote(value):
    return urllib.parse.quote(str(value), safe="")


class Client:
    """Plain requests against one resource, signed (HMAC) or with a user token."""

    def __init__(self, endpoint, access_key, ca):
        self.endpoint = endpoint.rstrip("/")
        self.hmac = HmacAuth(self.endpoint, access_key)
        self.verify = ca
        self.session = requests.Session()

    def call(self, method, path, body=None, api_version=None, auth=None, headers=None, expect=None):
        url = self.endpoint + path
        if api_version:
            url += ("&" if "?" in path else "?") + "api-version=" + api_version
        all_headers = {"Content-Type": "application/json"}
        if body is not None and method == "PATCH":
            all_headers["Content-Type"] = "application/merge-patch+json"
        all_headers.update(headers or {})
        response = self.session.request(
            method, url, json=body, headers=all_headers, auth=auth or self.hmac, verify=self.verify, timeout=60)
        if expect is not None and response.status_code not in expect:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response

    def wait_operation(self, response, timeout=60):
        """Follows a long-running operation's Operation-Location until it ends; returns the final poll body."""
        location = response.headers.get("Operation-Location")
        if not location:
            return None
        if location.startswith("/"):
            base = urllib.parse.urlsplit(self.endpoint)
            # A path-relative location already carries the resource segment or is relative to the endpoint.
            location = location if location.startswith(base.path + "/") else base.path + location
            url = f"{base.scheme}://{base.netloc}{location}"
        else:
            url = location
        deadline = time.time() + timeout
        while time.time() < deadline:
            poll = self.session.get(url, auth=self.hmac, verify=self.verify, timeout=60)
            if poll.status_code != 200:
                raise RuntimeError(f"polling {url} answered {poll.status_code}: {poll.text[:500]}")
            status = str(poll.json().get("status", "")).lower()
            if status in ("succeeded", "failed", "canceled", "cancelled"):
                if status != "succeeded":
                    raise RuntimeError(f"operation {url} ended {status}: {poll.text[:500]}")
                return poll.json()
            time.sleep(0.1)
        raise RuntimeError(f"operation {url} did not end in {timeout}s")


class Fixtures:
    """Creates the objects fuzzed operations refer to, and makes new ones when the fuzzer deletes them.

    Pools are lists of ids; the fuzz hooks substitute generated path parameters with them. Thread-safe: the
    schemathesis workers share one instance.
    """

    def __init__(self, client, state=None):
        self.client = client
        self.lock = threading.RLock()
        self.state = state or {
            "identities": [],        # identity ids for the identity API (never the chat user)
            "spareUsers": [],        # identity ids that chat bodies may name as participants
            "chatUser": None,        # {"id", "token"}: the user every chat request acts as
            "threads": {},           # thread id -> [message ids]
            "numbers": [],           # purchased numbers the phone-numbers API may change or release
            "smsNumbers": [],        # purchased numbers kept for sending SMS (never given to the numbers fuzzer)
            "reservations": [],      # reservation ids (uuid)
            "searches": [],          # search ids
            "operations": [],        # long-running operation ids
        }

    # -- identity ------------------------------------------------------------------------------------------

    def new_identity(self, scopes=None):
        body = {"createTokenWithScopes": scopes} if scopes else None
        response = self.client.call("POST", "/identities", body, IDENTITY_API, expect=(201,))
        data = response.json()
        return data["identity"]["id"], (data.get("accessToken") or {}).get("token")

    def add_identity(self):
        identity, _ = self.new_identity()
        with self.lock:
            self.state["identities"].append(identity)
        return identity

    # -- chat ----------------------------------------------------------------------------------------------

    def chat_auth(self):
        return BearerAuth(self.state["chatUser"]["token"])

    def chat_participant(self, raw_id, name="fuzz"):
        return {"communicationIdentifier": {"rawId": raw_id, "communicationUser": {"id": raw_id}}, "displayName": name}

    def add_thread(self, messages=2):
        user = self.state["chatUser"]["id"]
        participants = [self.chat_participant(user, "owner")]
        participants += [self.chat_participant(spare, "spare") for spare in self.state["spareUsers"][:1]]
        response = self.client.call(
            "POST", "/chat/threads", {"topic": "fuzz fixture", "participants": participants}, CHAT_API,
            auth=self.chat_auth(), headers={"repeatability-request-id": str(uuid.uuid4())}, expect=(201,))
        thread = response.json()["chatThread"]["id"]
        with self.lock:
            self.state["threads"][thread] = []
        for _ in range(messages):
            self.add_message(thread)
        return thread

    def add_message(self, thread):
        response = self.client.call(
            "POST", f"/chat/threads/{quote(thread)}/messages", {"content": "fixture", "type": "text"}, CHAT_API,
            auth=self.chat_auth(), expect=(201,))
        message = response.json()["id"]
        with self.lock:
            if thread in self.state["threads"]:
                self.state["threads"][thread].append(message)
        return message

    # -- phone numbers -------------------------------------------------------------------------------------

    def search(self, quantity=1, number_type="tollFree", country="US"):
        offers = self.client.call(
            "GET", f"/availablePhoneNumbers/countries/{country}/offerings?phoneNumberType={number_type}", None,
            NUMBERS_API, expect=(200,)).json()["phoneNumberOfferings"]
        offer = offers[0]
        body = {"phoneNumberType": number_type, "assignmentType": offer["assignmentType"],
                "capabilities": offer["availableCapabilities"], "quantity": quantity}
        response = self.client.call(
            "POST", f"/availablePhoneNumbers/countries/{country}/:search", body, NUMBERS_API, expect=(202,))
        operation = response.headers.get("operation-id")
        self.client.wait_operation(response)
        search_id = response.headers.get("search-id") or operation.split("_", 1)[-1]
        result = self.client.call(
            "GET", f"/availablePhoneNumbers/searchResults/{search_id}", None, NUMBERS_API, expect=(200,)).json()
        with self.lock:
            self.state["searches"].append(search_id)
            if operation:
                self.state["operations"].append(operation)
        return result

    def buy(self, quantity=1, pool="numbers"):
        result = self.search(quantity)
        body = {"searchId": result["searchId"], "agreeToNotResell": True}
        response = self.client.call("POST", "/availablePhoneNumbers/:purchase", body, NUMBERS_API, expect=(202,))
        self.client.wait_operation(response)
        with self.lock:
            self.state[pool].extend(result["phoneNumbers"])
            if response.headers.get("operation-id"):
                self.state["operations"].append(response.headers["operation-id"])
        return result["phoneNumbers"]

    def add_reservation(self):
        body = {"phoneNumberType": "geographic", "assignmentType": "application"}
        available = self.client.call(
            "POST", "/availablePhoneNumbers/countries/US/:browse", body, NUMBERS_API, expect=(200,)).json()
        numbers = available.get("phoneNumbers") or []
        reservation = str(uuid.uuid4())
        entries = {number["id"]: {key: number[key] for key in
                                  ("countryCode", "capabilities", "phoneNumberType", "assignmentType") if key in number}
                   for number in numbers[:1]}
        self.client.call("PATCH", f"/availablePhoneNumbers/reservations/{reservation}", {"phoneNumbers": entries},
                         NUMBERS_API, expect=(200, 201))
        with self.lock:
            self.state["reservations"].append(reservation)
        return reservation

    # -- everything ----------------------------------------------------------------------------------------

    def create_all(self, identities=4, threads=3, numbers=3, sms_numbers=2, reservations=2):
        user, token = self.new_identity(["chat"])
        self.state["chatUser"] = {"id": user, "token": token}
        for _ in range(3):
            spare, _ = self.new_identity()
            self.state["spareUsers"].append(spare)
        for _ in range(identities):
            self.add_identity()
        for _ in range(threads):
            self.add_thread()
        self.buy(numbers, pool="numbers")
        self.buy(sms_numbers, pool="smsNumbers")
        for _ in range(reservations):
            self.add_reservation()
        self.search()
        return self.state
