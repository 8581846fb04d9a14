"""A faithful local peer of Meta's WhatsApp Cloud API (Graph API) for the conformance suite.

It answers as the Graph API does for what Switchboard's Cloud API carrier calls:

- `POST /v{N}/{phone-number-id}/messages` with `Authorization: Bearer <token>`: a message object
  (`messaging_product: whatsapp`, `to`, `type` and the object of that type) → 200
  `{"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id":"wamid…"}]}`; a wrong token → 401
  with Graph's `OAuthException` (code 190); a malformed message → 400 with code 100.
- `GET /v{N}/{media-id}` → `{"url","mime_type","sha256","file_size","id","messaging_product"}`, and `GET` of that
  url → the bytes (both with the token).
- `GET /v{N}/{whatsapp-business-account-id}/message_templates[?fields=&limit=&after=]` with the token: the account's
  templates (`name`, `language`, `status`, `category`, `components`, and always `id`; only the asked `fields`), at most
  `template_page_size` a page whatever the `limit`, with `paging.cursors.{before,after}` and `paging.next` while there
  is more; an unknown account → 400 (code 100), an unknown field, a bad `limit` or a cursor it never gave → 400 (code
  100), a wrong token → 401 (code 190). `template_failure` makes it answer that status.

And it plays Meta's side of the webhook: `verify()` makes the subscription handshake, `notify()` POSTs a
notification signed with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret), or forged.
"""

import base64
import hashlib
import hmac
import http.server
import json
import re
import threading
import time
import urllib.parse
import uuid

import requests


class GraphPeer:
    TEMPLATE_FIELDS = {"id", "name", "language", "status", "category", "components", "parameter_format", "sub_category",
                       "quality_score", "rejected_reason", "previous_category"}

    def __init__(self, phone_number_id="106540352242922", token="EAAG-test-token", app_secret="peer-app-secret",
                 business_account_id="102290129340398"):
        self.phone_number_id = phone_number_id
        self.business_account_id = business_account_id
        self.token = token
        self.app_secret = app_secret
        self.lock = threading.Lock()
        self.sent = []      # every accepted message object, with its wamid
        self.refused = []   # (status, body) of every refused request
        self.media = {}     # media id -> (mime type, bytes)
        self.templates = []             # the business account's templates, as Meta keeps them
        self.template_requests = []     # (path, query dict) of every template list request
        self.template_page_size = 2
        self.template_failure = None    # an HTTP status to answer the template list with
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def authorized(self):
                return self.headers.get("Authorization") == f"Bearer {peer.token}"

            def answer(self, status, payload, content_type="application/json"):
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def graph_error(self, status, message, code, kind="OAuthException"):
                payload = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}}
                with peer.lock:
                    peer.refused.append((status, payload))
                self.answer(status, payload)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                match = re.fullmatch(r"/v\d+\.\d+/(\d+)/messages", self.path)
                if not match:
                    return self.graph_error(404, "Unknown path components", 2500)
                if not self.authorized():
                    return self.graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190)
                if match.group(1) != peer.phone_number_id:
                    return self.graph_error(400, "Unsupported post request. Object does not exist", 100, "GraphMethodException")
                try:
                    message = json.loads(raw)
                except ValueError:
                    return self.graph_error(400, "(#100) Invalid parameter", 100)
                kind = message.get("type", "text")
                if message.get("messaging_product") != "whatsapp" or not str(message.get("to", "")).isdigit() or kind not in message:
                    return self.graph_error(400, "(#100) Invalid parameter", 100)
                wamid = "wamid." + uuid.uuid4().hex.upper()
                with peer.lock:
                    peer.sent.append(dict(message, wamid=wamid))
                self.answer(200, {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": message["to"], "wa_id": message["to"]}],
                    "messages": [{"id": wamid}]})

            def do_GET(self):
                path, _, query_string = self.path.partition("?")
                templates_match = re.fullmatch(r"/v\d+\.\d+/(\d+)/message_templates", path)
                if templates_match:
                    return self.message_templates(templates_match.group(1), urllib.parse.parse_qs(query_string))
                if not self.authorized():
                    return self.graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190)
                bytes_match = re.fullmatch(r"/media-bytes/([\w.]+)", self.path)
                if bytes_match and bytes_match.group(1) in peer.media:
                    mime, data = peer.media[bytes_match.group(1)]
                    return self.answer(200, data, mime)
                meta = re.fullmatch(r"/v\d+\.\d+/([\w.]+)", self.path)
                if meta and meta.group(1) in peer.media:
                    media_id = meta.group(1)
                    mime, data = peer.media[media_id]
                    return self.answer(200, {
                        "messaging_product": "whatsapp", "url": f"{peer.url}/media-bytes/{media_id}", "mime_type": mime,
                        "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data), "id": media_id})
                self.graph_error(404, "Unsupported get request. Object does not exist", 100, "GraphMethodException")

            def message_templates(self, account, query):
                with peer.lock:
                    peer.template_requests.append((self.path.partition("?")[0], {k: v[-1] for k, v in query.items()}))
                    templates = list(peer.templates)
                    failure = peer.template_failure
                if failure:
                    return self.graph_error(failure, "An unexpected error has occurred. Please retry your request later.", 2)
                if "access_token" in query:
                    return self.graph_error(400, "(#100) The token goes in the Authorization header here", 100)
                if not self.authorized():
                    return self.graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190)
                if account != peer.business_account_id:
                    return self.graph_error(
                        400, f"Unsupported get request. Object with ID '{account}' does not exist, cannot be loaded due to "
                        "missing permissions, or does not support this operation", 100, "GraphMethodException")
                fields = query.get("fields", ["name,language,status,category,components"])[-1].split(",")
                if not all(field in GraphPeer.TEMPLATE_FIELDS for field in fields):
                    return self.graph_error(400, "(#100) Tried accessing nonexisting field", 100)
                limit = query.get("limit", ["25"])[-1]
                if not limit.isdigit() or int(limit) < 1:
                    return self.graph_error(400, "(#100) Param limit must be a positive integer", 100)
                start = 0
                if "after" in query:
                    try:
                        start = int(base64.b64decode(query["after"][-1], validate=True).decode())
                    except (ValueError, UnicodeDecodeError):
                        start = -1
                    if not 1 <= start <= len(templates):
                        return self.graph_error(400, "(#100) Invalid parameter", 100)
                end = min(len(templates), start + min(int(limit), peer.template_page_size))
                data = [{k: v for k, v in t.items() if k in fields or k == "id"} for t in templates[start:end]]
                page = {"data": data}
                if end > start:
                    cursors = {"before": base64.b64encode(str(start + 1).encode()).decode(),
                               "after": base64.b64encode(str(end).encode()).decode()}
                    page["paging"] = {"cursors": cursors}
                    if end < len(templates):
                        page["paging"]["next"] = (
                            f"https://graph.facebook.com/v21.0/{account}/message_templates?fields={','.join(fields)}"
                            f"&limit={limit}&after={cursors['after']}")
                self.answer(200, page)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def messages(self):
        with self.lock:
            return list(self.sent)

    def wait_for(self, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out; the peer holds {len(self.sent)} messages")

    def add_template(self, name, language, status, category="UTILITY", body="Your order {{1}} has shipped."):
        """A template of the business account, as Meta's template list shows it."""
        template = {
            "name": name, "language": language, "status": status, "category": category, "parameter_format": "POSITIONAL",
            "components": [
                {"type": "BODY", "text": body, "example": {"body_text": [["A-1234"]]}},
                {"type": "FOOTER", "text": "Lucky Shrub"}],
            "id": str(uuid.uuid4().int)[:15]}
        with self.lock:
            self.templates.append(template)
        return template

    def add_media(self, mime, data):
        media_id = str(uuid.uuid4().int)[:15]
        self.media[media_id] = (mime, data)
        return media_id

    # -- Meta's side of the webhook ----------------------------------------------------------------------

    def verify(self, webhook_url, verify_token, challenge="1158201444"):
        return requests.get(webhook_url, params={
            "hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}, timeout=30)

    def notify(self, webhook_url, value, forged=False):
        """POSTs one `messages` change, signed with the app secret (or with another one when forged)."""
        payload = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages",
            "value": dict({"messaging_product": "whatsapp", "metadata": {
                "display_phone_number": "15550783881", "phone_number_id": self.phone_number_id}}, **value)}]}]}
        body = json.dumps(payload, separators=(",", ":")).encode()
        secret = b"not-the-app-secret" if forged else self.app_secret.encode()
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return requests.post(webhook_url, data=body, timeout=30, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature})

    @staticmethod
    def text_message(from_number, text):
        return {"contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": from_number}], "messages": [{
            "from": from_number, "id": "wamid." + uuid.uuid4().hex.upper(), "timestamp": str(int(time.time())),
            "type": "text", "text": {"body": text}}]}

    @staticmethod
    def image_message(from_number, media_id, caption):
        return {"contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": from_number}], "messages": [{
            "from": from_number, "id": "wamid." + uuid.uuid4().hex.upper(), "timestamp": str(int(time.time())),
            "type": "image", "image": {"caption": caption, "mime_type": "image/jpeg", "sha256": "x", "id": media_id}}]}

    @staticmethod
    def message(from_number, kind, content, context_id=None):
        """One message of `kind` (`interactive`, `button`, `location`, `contacts`, `reaction`, `sticker`, …) with its
        object, as Meta's webhook carries it; `context_id` is the wamid of the message it answers."""
        message = {"from": from_number, "id": "wamid." + uuid.uuid4().hex.upper(), "timestamp": str(int(time.time())),
                   "type": kind, kind: content}
        if context_id:
            message["context"] = {"from": "15550783881", "id": context_id}
        return {"contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": from_number}], "messages": [message]}

    @staticmethod
    def status(wamid, recipient, state):
        return {"statuses": [{
            "id": wamid, "status": state, "timestamp": str(int(time.time())), "recipient_id": recipient,
            "conversation": {"id": uuid.uuid4().hex, "origin": {"type": "service"}},
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"}}]}
