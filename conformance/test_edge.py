"""The server's HTTP edge as any client on the network meets it, over real sockets and raw bytes: timeouts for silent,
slow and idle connections, the connection limit, answers to malformed requests, and which Host a request may name.

Each server configuration is started once for the module; every test opens its own connections to it. The Python
`ssl` module is the TLS client (trusting the server's development CA), so what is written and read is exactly the
bytes of HTTP/1.1 inside TLS.
"""

import base64
import email.utils
import hashlib
import hmac
import json
import os
import re
import resource
import select
import socket
import ssl
import time

import pytest

from conftest import Server

# How long after the moment a timeout starts counting (accept, last response, last body byte) a connection must be
# gone, for servers started with timeouts of 1–1.5 s.
CLOSE_WITHIN = 3.0
# How long a test waits for an answer the server should give at once.
ANSWER_WITHIN = 5.0
IDENTITY = "api-version=2023-10-01"
COUNTRIES = "/dev/availablePhoneNumbers/countries?api-version=2025-06-01&maxPageSize=1"


# -- Servers ---------------------------------------------------------------------------------------------------


class Edge:
    """A running server and what a raw client needs to reach it."""

    def __init__(self, server, address="127.0.0.1"):
        self.server = server
        self.address = address
        self.port = bound_port(server)
        self.context = ssl.create_default_context(cafile=server.ca)
        self.access_key = server.connection_string.split("accesskey=", 1)[1]

    @property
    def local(self):
        """The Host a client on this machine would send."""
        return f"{self.address}:{self.port}"


def bound_port(server):
    """The port the server listens on: from its log, or from /proc when --public-url hides it from the banner."""
    found = re.search(r"listening on (?:https?://)?(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+)", server.read_log())
    if found:
        return int(found.group(1))
    inodes = set()
    for fd in os.listdir(f"/proc/{server.process.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{server.process.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    return int(fields[1].rsplit(":", 1)[1], 16)
    raise RuntimeError(f"cannot tell which port the server listens on:\n{server.read_log()}")


def launch(tmp_path_factory, name, *args, address="127.0.0.1", open_files=None):
    """Starts `switchboard serve ARGS`; with `open_files`, the soft RLIMIT_NOFILE it inherits is lowered to that."""
    server = Server(tmp_path_factory.mktemp(name) / "data", args)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if open_files is not None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, open_files), hard))
    try:
        server.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return Edge(server, address)


def serving(tmp_path_factory, name, *args, **options):
    edge = launch(tmp_path_factory, name, *args, **options)
    yield edge
    edge.server.stop(timeout=2)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """Default edge options. Started with a soft open-file limit of 1,024 (the usual login default), which the server
    must raise to the hard limit itself."""
    yield from serving(tmp_path_factory, "plain", open_files=1024)


@pytest.fixture(scope="module")
def impatient(tmp_path_factory):
    yield from serving(
        tmp_path_factory, "impatient",
        "--tls-handshake-timeout", "1", "--header-timeout", "1.5", "--idle-timeout", "1", "--body-timeout", "1")


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    yield from serving(tmp_path_factory, "limited", "--max-connections", "20", "--idle-timeout", "60", "--header-timeout", "60")


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    yield from serving(tmp_path_factory, "public", "--public-url", "https://pub.example:8443")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """Listens on 127.0.0.2, a non-wildcard address other than the always-allowed ones, and allows proxy.example."""
    yield from serving(tmp_path_factory, "proxied", "--host", "127.0.0.2", "--allowed-host", "proxy.example", address="127.0.0.2")


@pytest.fixture(scope="module")
def wildcard(tmp_path_factory):
    yield from serving(tmp_path_factory, "wildcard", "--host", "0.0.0.0")


# -- A raw client ----------------------------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def closes(self):
        return "close" in [token.strip().lower() for token in self.headers.get("connection", "").split(",")]

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"


def parse_response(data, eof):
    """(Response, bytes after it) once `data` holds a whole response, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    assert status_line[0].startswith("HTTP/") and len(status_line) >= 2, f"not an HTTP response: {data[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    rest = data[end + 4:]
    status = int(status_line[1])
    if status in (204, 304) or 100 <= status < 200:
        return Response(status, headers, b""), rest
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, position = b"", 0
        while True:
            line_end = rest.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = int(rest[position:line_end].split(b";")[0], 16)
            if size == 0:
                trailer_end = rest.find(b"\r\n\r\n", line_end)
                if rest[line_end:line_end + 4] == b"\r\n\r\n":
                    return Response(status, headers, body), rest[line_end + 4:]
                if trailer_end < 0:
                    return None
                return Response(status, headers, body), rest[trailer_end + 4:]
            if len(rest) < line_end + 2 + size + 2:
                return None
            body += rest[line_end + 2:line_end + 2 + size]
            position = line_end + 2 + size + 2
    if "content-length" in headers:
        length = int(headers["content-length"])
        if len(rest) < length:
            return None
        return Response(status, headers, rest[:length]), rest[length:]
    return (Response(status, headers, rest), b"") if eof else None


class Client:
    """One connection to the server: TCP, then TLS unless `tls=False`. Never sends anything by itself."""

    def __init__(self, edge, tls=True, timeout=ANSWER_WITHIN):
        self.edge = edge
        self.opened = time.monotonic()
        raw = socket.create_connection((edge.address, edge.port), timeout=timeout)
        try:
            self.sock = edge.context.wrap_socket(raw, server_hostname="localhost") if tls else raw
        except BaseException:
            raw.close()
            raise
        self.buffer = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        """Sends `data`; False when the server has already closed (it may have answered before reading it all)."""
        try:
            self.sock.sendall(data)
            return True
        except (OSError, ssl.SSLError):
            return False

    def _receive(self, deadline):
        """One read: bytes, b'' at EOF, 'reset', or None when the deadline passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.sock.settimeout(remaining)
        try:
            return self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return None
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""
        except (ConnectionError, ssl.SSLError, OSError):
            return "reset"

    def response(self, timeout=ANSWER_WITHIN):
        deadline = time.monotonic() + timeout
        while True:
            parsed = parse_response(self.buffer, eof=False)
            if parsed:
                response, self.buffer = parsed
                return response
            data = self._receive(deadline)
            if data is None:
                raise AssertionError(f"no complete response within {timeout}s; received {self.buffer[:300]!r}")
            if data == b"" or data == "reset":
                parsed = parse_response(self.buffer, eof=True)
                if parsed:
                    response, self.buffer = parsed
                    return response
                how = "EOF" if data == b"" else "a reset"
                raise AssertionError(f"{how} before a complete response; received {self.buffer[:300]!r}")
            self.buffer += data

    def rest(self, until):
        """Reads until the connection ends or the monotonic time `until`: (bytes received, 'eof' | 'reset' | 'open')."""
        received, self.buffer = self.buffer, b""
        while True:
            data = self._receive(until)
            if data is None:
                return received, "open"
            if data == "reset":
                return received, "reset"
            if data == b"":
                return received, "eof"
            received += data

    def request(self, method, target, host=None, headers=(), body=b""):
        self.send(head(method, target, self.edge.local if host is None else host, headers, body) + body)
        return self.response()


def head(method, target, host, headers=(), body=b"", version="HTTP/1.1"):
    lines = [f"{method} {target} {version}"]
    if host is not False:
        lines.append(f"Host: {host}")
    lines += list(headers)
    if body and not any(h.lower().startswith("content-length:") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def get(edge, target="/-/healthz", host=None, headers=()):
    """A GET on a fresh TLS connection; `host=False` sends no Host header."""
    with Client(edge) as client:
        client.send(head("GET", target, edge.local if host is None else host, headers))
        return client.response()


def signed_head(edge, method, target, host, body=b""):
    """A request head signed with the dev resource's access key for `host`, as the SDKs sign (host/resource)."""
    date = email.utils.formatdate(usegmt=True)
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    string_to_sign = f"{method}\n{target}\n{date};{host}/dev;{content_hash}"
    signature = base64.b64encode(
        hmac.new(base64.b64decode(edge.access_key), string_to_sign.encode(), hashlib.sha256).digest()).decode()
    return head(method, target, host, [
        f"x-ms-date: {date}",
        f"x-ms-content-sha256: {content_hash}",
        f"Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ])


def signed_get(edge, target, host):
    with Client(edge) as client:
        client.send(signed_head(edge, "GET", target, host))
        return client.response()


def assert_acs_error(response, code=None):
    assert "json" in response.headers.get("content-type", ""), response
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"] and isinstance(error["message"], str) and error["message"], response
    if code:
        assert error["code"] == code, response


def assert_closed_within(client, seconds, since):
    """The server ends the connection within `seconds` of `since`; anything it writes first is a 408."""
    data, how = client.rest(until=since + seconds)
    elapsed = time.monotonic() - since
    assert how in ("eof", "reset"), f"still open {elapsed:.1f}s later (received {data[:200]!r})"
    if data:
        parsed = parse_response(data, eof=True)
        assert parsed and parsed[0].status == 408, f"only a 408 may precede the close, got {data[:300]!r}"


def handshake(edge, timeout=2.0):
    """Connects and tries a TLS handshake: 'ok', 'closed' (EOF or reset) or 'timeout'."""
    raw = socket.create_connection((edge.address, edge.port), timeout=timeout)
    try:
        with edge.context.wrap_socket(raw, server_hostname="localhost"):
            return "ok"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except (ssl.SSLError, ConnectionError, OSError):
        return "closed"
    finally:
        raw.close()


# -- Malformed requests: an answer in the ACS shape, then the connection is closed ------------------------------


def rejected(edge, data, statuses, allow_reset=False):
    """Sends `data` on a fresh TLS connection; the answer must be one of `statuses` with `Connection: close` and an
    ACS error body, and the connection must end right after it. A reset instead of a clean EOF is only tolerated
    where the server may not have read everything that was sent (`allow_reset`)."""
    with Client(edge) as client:
        client.send(data)
        response = client.response()
        assert response.status in statuses, response
        assert response.closes, f"no Connection: close: {response}"
        assert_acs_error(response)
        trailing, how = client.rest(until=time.monotonic() + ANSWER_WITHIN)
        assert trailing == b"", f"bytes after the answer: {trailing[:200]!r}"
        assert how in (("eof", "reset") if allow_reset else ("eof",)), f"connection {how} after the answer"
        return response


def test_a_header_over_80_kib_is_431(plain):
    filler = "a" * (81 * 1024)
    rejected(plain, head("GET", "/-/healthz", plain.local, [f"X-Filler: {filler}"]), {431}, allow_reset=True)


def test_a_url_over_16_kib_is_414(plain):
    rejected(plain, head("GET", "/-/healthz?q=" + "a" * (20 * 1024), plain.local), {414}, allow_reset=True)


def test_a_url_over_80_kib_is_431_or_414(plain):
    rejected(plain, head("GET", "/-/healthz?q=" + "a" * (90 * 1024), plain.local), {414, 431}, allow_reset=True)


def test_a_nul_byte_in_a_header_value_is_400(plain):
    rejected(plain, head("GET", "/-/healthz", plain.local, ["X-Test: a\x00b"]), {400})


def test_a_raw_0xff_byte_in_the_path_is_400(plain):
    rejected(plain, head("GET", "/-/health\xffz", plain.local), {400})


def test_an_unknown_http_version_is_505(plain):
    rejected(plain, head("GET", "/-/healthz", plain.local, version="HTTP/9.9"), {505})


def test_a_negative_content_length_is_400(plain):
    rejected(plain, head("POST", f"/dev/identities?{IDENTITY}", plain.local, ["Content-Length: -1"]), {400})


def test_content_length_with_chunked_transfer_encoding_is_400(plain):
    request = head("POST", f"/dev/identities?{IDENTITY}", plain.local,
                   ["Content-Type: application/json", "Content-Length: 5", "Transfer-Encoding: chunked"]) + b"0\r\n\r\n"
    rejected(plain, request, {400})


def test_a_garbage_request_line_is_400(plain):
    rejected(plain, b"\x16\x03garbage\r\n\r\n", {400})


def test_a_body_over_the_routes_limit_is_413_before_authentication(plain):
    # Unsigned, and only the head announcing 5 MB is sent: the size check comes first and answers from the head.
    # (Sending the body too would race the server's close: a reset can discard the answer before it is read.)
    request = head("POST", "/dev/identities?api-version=2025-06-30", plain.local,
                   ["Content-Type: application/json", f"Content-Length: {5 * 1024 * 1024}"])
    rejected(plain, request, {413})


# -- Host: links and trust never come from an arbitrary Host -----------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "127.0.0.1", "localhost:{port}", "LocalHost:{port}", "localhost:1",
                                  "[::1]:{port}", "[::1]"])
def test_loopback_hosts_are_accepted(plain, host):
    response = get(plain, host=host.format(port=plain.port))
    assert response.status == 200, response


def test_the_machines_hostname_is_accepted(plain):
    name = socket.gethostname()
    assert get(plain, host=f"{name}:{plain.port}").status == 200
    assert get(plain, host=name.upper()).status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "localhost.evil.example:{port}",
                                  "127.0.0.1.evil.example", "[::2]:{port}"])
def test_other_hosts_are_421_even_for_healthz(plain, host):
    response = get(plain, host=host.format(port=plain.port))
    assert response.status == 421, response
    assert_acs_error(response, "MisdirectedRequest")


def test_an_api_request_signed_for_another_host_is_421(plain):
    # Correctly signed for the Host it names, so only the Host check can refuse it.
    response = signed_get(plain, COUNTRIES, "evil.example")
    assert response.status == 421, response
    assert_acs_error(response, "MisdirectedRequest")


def test_a_missing_host_on_http_1_1_is_400(plain):
    assert get(plain, host=False).status == 400


def test_an_absolute_target_with_a_foreign_authority_is_421(plain):
    response = get(plain, target="https://evil.example/-/healthz", host=plain.local)
    assert response.status == 421, response
    assert_acs_error(response, "MisdirectedRequest")


def test_an_absolute_target_with_an_allowed_authority_is_served(plain):
    response = get(plain, target=f"https://{plain.local}/-/healthz", host=plain.local)
    assert response.status == 200, response
    assert response.json()["status"] == "ok"


def test_next_links_use_the_host_the_client_named(plain):
    response = signed_get(plain, COUNTRIES, f"localhost:{plain.port}")
    assert response.status == 200, response
    assert response.json()["nextLink"].startswith(f"https://localhost:{plain.port}/"), response


def test_the_public_url_host_is_accepted_and_used_for_links(public):
    assert get(public, host="pub.example:8443").status == 200
    response = signed_get(public, COUNTRIES, "pub.example:8443")
    assert response.status == 200, response
    assert response.json()["nextLink"].startswith("https://pub.example:8443/"), response


def test_with_a_public_url_other_hosts_are_421(public):
    response = get(public, host="evil.example")
    assert response.status == 421, response
    assert_acs_error(response, "MisdirectedRequest")


def test_an_allowed_host_is_accepted_and_used_for_links(proxied):
    assert get(proxied, host="proxy.example").status == 200
    assert get(proxied, host="PROXY.example:9443").status == 200
    response = signed_get(proxied, COUNTRIES, "proxy.example")
    assert response.status == 200, response
    assert response.json()["nextLink"].startswith("https://proxy.example/"), response


def test_the_listening_host_and_loopback_stay_accepted_next_to_allowed_hosts(proxied):
    assert get(proxied, host=proxied.local).status == 200
    assert get(proxied, host=f"localhost:{proxied.port}").status == 200
    assert get(proxied, host="127.0.0.1").status == 200


def test_hosts_not_allowed_next_to_allowed_hosts_are_421(proxied):
    response = get(proxied, host="evil.example")
    assert response.status == 421, response
    assert_acs_error(response, "MisdirectedRequest")


def interface_address():
    """A non-loopback IPv4 address of this machine (the one a default route would use), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1; connecting a UDP socket sends nothing
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_a_wildcard_server_accepts_its_interface_addresses(wildcard):
    address = interface_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    assert get(wildcard, host=f"{address}:{wildcard.port}").status == 200
    assert get(wildcard, host=f"localhost:{wildcard.port}").status == 200


def test_a_wildcard_server_refuses_other_hosts(wildcard):
    response = get(wildcard, host="evil.example")
    assert response.status == 421, response
    assert_acs_error(response, "MisdirectedRequest")
    assert get(wildcard, host="0.0.0.0").status == 421


# -- Timeouts: silent, slow and idle connections are closed -------------------------------------------------------


def test_a_silent_connection_is_closed_before_any_handshake(impatient):
    with Client(impatient, tls=False) as client:
        _, how = client.rest(until=client.opened + CLOSE_WITHIN)
        assert how in ("eof", "reset"), f"a connection that never starts TLS is still open after {CLOSE_WITHIN}s"


def test_an_unfinished_handshake_is_closed(impatient):
    with Client(impatient, tls=False) as client:
        client.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello, never finished
        _, how = client.rest(until=client.opened + CLOSE_WITHIN)
        assert how in ("eof", "reset"), f"a half-done handshake is still open after {CLOSE_WITHIN}s"


def test_a_connection_that_sends_nothing_after_the_handshake_is_closed(impatient):
    with Client(impatient) as client:
        assert_closed_within(client, CLOSE_WITHIN, client.opened)


def test_half_a_request_head_is_closed(impatient):
    with Client(impatient) as client:
        client.send(f"GET /-/healthz HTTP/1.1\r\nHost: {impatient.local}\r\n".encode())
        assert_closed_within(client, CLOSE_WITHIN, client.opened)


def test_a_request_head_in_pieces_within_the_header_timeout_is_served(impatient):
    with Client(impatient) as client:
        client.send(f"GET /-/healthz HTTP/1.1\r\nHost: {impatient.local}\r\n".encode())
        time.sleep(0.4)
        client.send(b"Accept: */*\r\n\r\n")
        assert client.response().status == 200


def test_an_idle_keep_alive_connection_is_closed(impatient):
    with Client(impatient) as client:
        response = client.request("GET", "/-/healthz")
        assert response.status == 200 and not response.closes, response
        assert_closed_within(client, CLOSE_WITHIN, time.monotonic())


def test_a_next_request_within_the_idle_timeout_is_served(impatient):
    with Client(impatient) as client:
        assert client.request("GET", "/-/healthz").status == 200
        time.sleep(0.3)
        assert client.request("GET", "/-/healthz").status == 200


def test_a_stalled_body_is_closed(impatient):
    body = b"{" + b" " * 98 + b"}"
    with Client(impatient) as client:
        client.send(signed_head(impatient, "POST", f"/dev/identities?{IDENTITY}", impatient.local, body) + body[:10])
        assert_closed_within(client, CLOSE_WITHIN, time.monotonic())


def test_a_body_that_keeps_arriving_is_not_cut_off(impatient):
    # 100 bytes over about 2 s: longer than the body timeout in total, never silent for as long as it.
    body = b"{" + b" " * 98 + b"}"
    with Client(impatient) as client:
        client.send(signed_head(impatient, "POST", f"/dev/identities?{IDENTITY}", impatient.local, body))
        for start in range(0, len(body), 20):
            time.sleep(0.4)
            assert client.send(body[start:start + 20]), "the server closed while the body was still arriving"
        response = client.response()
        assert response.status == 201, response


def test_a_websocket_outlives_the_idle_timeout(impatient, monkeypatch):
    from azure.communication.chat import ChatParticipant
    from chat_support import Listener, Users

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", impatient.server.ca)
    monkeypatch.setenv("SSL_CERT_FILE", impatient.server.ca)
    users = Users(impatient.server.connection_string)
    alice, bob = users.create(), users.create()
    listener = Listener(impatient.server.url, "dev", bob.token, impatient.server.ca)
    try:
        assert not listener.closed.wait(3.0), f"the WebSocket was closed (code {listener.close_code})"
        alice.chat.create_chat_thread("still there?", thread_participants=[ChatParticipant(identifier=bob.identifier)])
        assert listener.next()["type"] == "chatThreadCreated"
    finally:
        listener.close()


# -- The connection limit -----------------------------------------------------------------------------------------


def open_served_connections(edge, count, timeout=ANSWER_WITHIN):
    """`count` keep-alive connections, each having had one answered request. A connection refused because the server
    has not yet noticed earlier ones close is retried until `timeout`."""
    clients, deadline = [], time.monotonic() + timeout
    try:
        while len(clients) < count:
            try:
                client = Client(edge)
            except (ssl.SSLError, ConnectionError, OSError):
                assert time.monotonic() < deadline, f"only {len(clients)} of {count} connections were accepted"
                time.sleep(0.05)
                continue
            clients.append(client)
            assert client.request("GET", "/-/healthz").status == 200
        return clients
    except BaseException:
        for client in clients:
            client.close()
        raise


def test_a_connection_over_the_limit_is_closed_at_once(limited):
    clients = open_served_connections(limited, 20)
    try:
        started = time.monotonic()
        assert handshake(limited, timeout=2.0) == "closed", "the 21st connection was not closed by the server"
        assert time.monotonic() - started < 1.5
        # The 20 are untouched.
        assert clients[0].request("GET", "/-/healthz").status == 200
    finally:
        for client in clients:
            client.close()


def test_connections_are_accepted_again_once_some_close(limited):
    clients = open_served_connections(limited, 20)
    try:
        assert handshake(limited, timeout=2.0) == "closed"
        for client in clients[:5]:
            client.close()
        deadline = time.monotonic() + ANSWER_WITHIN
        while True:
            try:
                assert get(limited).status == 200
                break
            except (ssl.SSLError, ConnectionError, OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        for client in clients:
            client.close()


# -- Many silent connections do not lock clients out --------------------------------------------------------------


def test_the_server_raises_its_open_file_limit_to_the_hard_limit(plain):
    with open(f"/proc/{plain.server.process.pid}/limits") as limits:
        line = next(line for line in limits if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard, line


def open_silent_connections(edge, sockets, count, batch=100, stall=3.0):
    """Opens up to `count` TCP connections that never send anything into `sockets`, `batch` at a time so that a
    server accepting promptly never sees its accept queue overflow. Stops early when a batch is not established
    within `stall` seconds (the server has stopped accepting). Returns how many were established."""
    established = 0
    while len(sockets) < count:
        poller, fresh = select.poll(), {}
        for _ in range(min(batch, count - len(sockets))):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex((edge.address, edge.port))
            sockets.append(sock)
            fresh[sock.fileno()] = sock
            poller.register(sock.fileno(), select.POLLOUT)
        deadline = time.monotonic() + stall
        while fresh and time.monotonic() < deadline:
            for fd, _ in poller.poll(100):
                poller.unregister(fd)
                sock = fresh.pop(fd)
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                assert error == 0, f"connection {len(sockets) - len(fresh)} failed: {os.strerror(error)}"
                established += 1
        if fresh:
            break
    return established


def test_thousands_of_silent_connections_do_not_lock_clients_out(plain):
    silent = 3000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4200:
        pytest.skip(f"the hard open-file limit ({hard}) is too low for {silent} connections on both ends")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, hard))
    sockets = []
    try:
        established = open_silent_connections(plain, sockets, silent)
        assert established == silent, f"the server stopped accepting connections after {established} silent ones"
        started = time.monotonic()
        with Client(plain, timeout=ANSWER_WITHIN) as client:
            response = client.request("GET", "/-/healthz")
        assert response.status == 200, response
        assert time.monotonic() - started < ANSWER_WITHIN
    finally:
        for sock in sockets:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert plain.server.process.poll() is None, "the server exited"
