"""A real webhook receiver for the events tests: an HTTP server that answers Event Grid's handshakes and
records every delivery, with scripted failures (status codes, slow answers)."""

import http.server
import json
import threading
import time


class Receiver:
    def __init__(self, validation="echo"):
        # validation: "echo" answers with the code, "accept" answers 200 without it, "refuse" answers 500.
        self.validation = validation
        self.lock = threading.Lock()
        self.deliveries = []          # (headers, parsed body) of every notification request
        self.validations = []         # parsed validation events
        self.options = []             # headers of OPTIONS handshakes
        self.script = []              # per notification: (status, delay seconds[, "stall"]); empty means 200 at once
                                      # "stall" sends the status and headers, then holds the body back for the delay
        self.default_status = 200
        self.delay = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_OPTIONS(self):
                with receiver.lock:
                    receiver.options.append(dict(self.headers))
                self.send_response(200)
                origin = self.headers.get("WebHook-Request-Origin")
                if origin and receiver.validation != "refuse":
                    self.send_header("WebHook-Allowed-Origin", origin)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                # When the request arrived: a slow answer is recorded after its delay, so the order of arrival
                # can differ from the order of `deliveries` (a request cut off by a crash ends after its retry).
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw) if raw else None
                if self.headers.get("aeg-event-type") == "SubscriptionValidation":
                    with receiver.lock:
                        receiver.validations.append(body)
                    if receiver.validation == "refuse":
                        return self.reply(500, b"")
                    if receiver.validation == "accept":
                        return self.reply(200, b"")
                    code = body[0]["data"]["validationCode"]
                    return self.reply(200, json.dumps({"validationResponse": code}).encode())
                with receiver.lock:
                    step = receiver.script.pop(0) if receiver.script else (receiver.default_status, receiver.delay)
                status, delay = step[0], step[1]
                if len(step) > 2 and step[2] == "stall":
                    with receiver.lock:
                        receiver.deliveries.append({"path": self.path, "headers": dict(self.headers), "body": body, "raw": raw, "status": 0, "at": time.time(), "arrived": arrived})
                    try:
                        self.send_response(status)
                        self.send_header("Content-Length", "64")
                        self.end_headers()
                        self.wfile.flush()
                        time.sleep(delay)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
                if delay:
                    time.sleep(delay)
                with receiver.lock:
                    receiver.deliveries.append({"path": self.path, "headers": dict(self.headers), "body": body, "raw": raw, "status": status, "at": time.time(), "arrived": arrived})
                self.reply(status, b"")

            def reply(self, status, payload):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, accepted_only=True):
        """Every event received, flattened out of batches."""
        with self.lock:
            deliveries = list(self.deliveries)
        events = []
        for delivery in deliveries:
            if accepted_only and not 200 <= delivery["status"] <= 204:
                continue
            body = delivery["body"]
            events.extend(body if isinstance(body, list) else [body])
        return events

    def wait_for(self, predicate, timeout=20, interval=0.1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(interval)
        raise AssertionError(f"timed out waiting; received {len(self.deliveries)} deliveries")

    def types(self):
        return [e.get("eventType") or e.get("type") for e in self.events()]
