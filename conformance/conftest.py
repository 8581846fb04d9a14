"""Starts real Switchboard servers for the conformance suite and drives them like a user would.

Every server runs the built binary (`SWITCHBOARD_BIN`) on a free port with its own temporary data directory,
over HTTPS with the development CA it generates. Clients are the official Azure SDKs, built with
`from_connection_string` exactly as against Azure; they trust the CA through `REQUESTS_CA_BUNDLE`.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import uuid

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = os.environ.get("SWITCHBOARD_BIN") or str(ROOT / ".build" / "debug" / "switchboard")
POSTGRES_ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL")


class Server:
    """One `switchboard serve` process and the command line that goes with its data directory."""

    def __init__(self, data_dir, extra_args=(), env=None):
        self.data_dir = pathlib.Path(data_dir)
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.env.pop("SWITCHBOARD_DATA_DIR", None)
        self.process = None
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"

    # -- process ------------------------------------------------------------------------------------------

    def start(self, timeout=60):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        url_file = self.data_dir / "server-url"
        if url_file.exists():
            url_file.unlink()
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [BIN, "serve", "--data-dir", str(self.data_dir), "--port", "0", *self.extra_args],
            stdout=self.log, stderr=self.log, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"switchboard exited with {self.process.returncode}:\n{self.read_log()}")
            if url_file.exists() and url_file.read_text().strip():
                self.url = url_file.read_text().strip()
                return self
            time.sleep(0.1)
        raise RuntimeError(f"switchboard did not start in {timeout}s:\n{self.read_log()}")

    def stop(self, timeout=15):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        return self.process.returncode if self.process else None

    def read_log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- what a user reads off the data directory -------------------------------------------------------

    @property
    def ca(self):
        return str(self.data_dir / "ca.pem")

    @property
    def connection_string(self):
        return (self.data_dir / "connection-string").read_text().strip()

    # -- the command line --------------------------------------------------------------------------------

    def cli(self, *args, check=True):
        """Runs `switchboard ARGS --data-dir DIR` with the server's storage options; parses --json output."""
        storage = [a for a in self.extra_args if not a.startswith("--port")]
        result = subprocess.run(
            [BIN, *args, "--data-dir", str(self.data_dir), *storage],
            capture_output=True, text=True, env=self.env, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"switchboard {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        if check and "--json" in args:
            return json.loads(result.stdout)
        return result


@pytest.fixture
def workdir():
    path = pathlib.Path(tempfile.mkdtemp(prefix="switchboard-conformance-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_server(workdir, monkeypatch):
    """Starts servers on demand; stops them when the test ends. The last started one's CA is trusted."""
    servers = []

    def start(name="data", extra_args=(), env=None, trust=True):
        server = Server(workdir / name, extra_args, env).start()
        servers.append(server)
        if trust:
            trust_servers(server)
        return server

    def trust_servers(*trusted):
        bundle = workdir / f"ca-bundle-{len(servers)}.pem"
        bundle.write_text("\n".join(open(s.ca).read().strip() for s in trusted) + "\n")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))

    start.trust = trust_servers
    yield start
    for server in servers:
        # SDK clients keep idle TLS connections open, and a graceful stop waits for their close_notify; tests
        # that check graceful shutdown call stop() themselves.
        server.stop(timeout=2)


@pytest.fixture
def server(start_server):
    return start_server()


# -- PostgreSQL ------------------------------------------------------------------------------------------

def postgres_database(name):
    """Creates a fresh database on the test PostgreSQL and returns its URL."""
    if not POSTGRES_ADMIN_URL:
        pytest.skip("SWITCHBOARD_TEST_POSTGRES_URL is not set (scripts/test sets it)")
    database = f"sbconf_{name}_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", POSTGRES_ADMIN_URL, "-q", "-c", f"CREATE DATABASE {database}"], check=True)
    parts = urllib.parse.urlsplit(POSTGRES_ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def psql(url, query):
    result = subprocess.run(["psql", url, "-At", "-c", query], check=True, capture_output=True, text=True)
    return result.stdout


# -- A second, independent HMAC signer for requests the SDK 1.5.0 cannot make (newer api-versions) ----------

def signed_request(connection_string, method, path, body=None, api_version="2025-06-30", key=None):
    settings = dict(part.split("=", 1) for part in connection_string.split(";") if part)
    endpoint = settings["endpoint"].rstrip("/")
    access_key = key or settings["accesskey"]
    url = urllib.parse.urlsplit(endpoint)
    separator = "&" if "?" in path else "?"
    target = f"{url.path}{path}{separator}api-version={api_version}"
    payload = json.dumps(body).encode() if body is not None else b""
    content_hash = base64.b64encode(hashlib.sha256(payload).digest()).decode()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
    host = url.netloc + url.path
    string_to_sign = f"{method}\n{target}\n{date};{host};{content_hash}"
    signature = base64.b64encode(
        hmac.new(base64.b64decode(access_key), string_to_sign.encode(), hashlib.sha256).digest()).decode()
    headers = {
        "x-ms-date": date,
        "x-ms-content-sha256": content_hash,
        "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}",
        "Content-Type": "application/json",
    }
    return requests.request(method, f"{url.scheme}://{url.netloc}{target}", data=payload, headers=headers, timeout=30)
