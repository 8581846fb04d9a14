"""The server as a user meets it: first start, restart, TLS, the resource commands, shutdown."""

import json
import os
import socket
import sqlite3
import ssl
import subprocess
import urllib.parse

import pytest
import requests
from azure.communication.identity import CommunicationIdentityClient
from azure.core.exceptions import ClientAuthenticationError

from conftest import BIN, Server, signed_request


def test_first_start_creates_key_ca_and_dev_resource(server):
    files = {p.name for p in server.data_dir.iterdir()}
    assert {"master.key", "ca.pem", "connection-string", "directory.sqlite", "stores", "tls"} <= files
    assert server.connection_string.startswith(f"endpoint={server.url}/dev;accesskey=")
    assert oct(os.stat(server.data_dir / "master.key").st_mode & 0o777) == "0o600"
    log = server.read_log()
    assert "Connection string:" in log and "REQUESTS_CA_BUNDLE=" in log and "NODE_EXTRA_CA_CERTS=" in log
    user, token = CommunicationIdentityClient.from_connection_string(server.connection_string).create_user_and_token(["chat"])
    assert token.token


def test_restart_reuses_everything(start_server):
    first = start_server()
    client = CommunicationIdentityClient.from_connection_string(first.connection_string)
    user = client.create_user()
    ca = open(first.ca).read()
    key = first.connection_string.split("accesskey=")[1]
    assert first.stop() == 0
    second = start_server()
    assert open(second.ca).read() == ca
    assert second.connection_string.split("accesskey=")[1] == key
    assert CommunicationIdentityClient.from_connection_string(second.connection_string).get_token(user, ["chat"]).token


def test_a_second_server_on_the_same_data_directory_is_refused(server):
    url = (server.data_dir / "server-url").read_text()
    second = subprocess.run([BIN, "serve", "--data-dir", str(server.data_dir), "--port", "0"],
                            capture_output=True, text=True, timeout=60)
    assert second.returncode != 0 and "another switchboard serve is running" in second.stderr
    # The running server's files are untouched and it still answers.
    assert (server.data_dir / "server-url").read_text() == url
    assert CommunicationIdentityClient.from_connection_string(server.connection_string).create_user()


def test_sigterm_stops_gracefully(server):
    assert server.stop(timeout=15) == 0
    assert "Server started" in server.read_log()


def test_certificate_passes_strict_x509_verification(server):
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    for name in ["localhost", "127.0.0.1"]:
        context = ssl.create_default_context(cafile=server.ca)
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
    # OpenSSL's own strict check of the chain, and of what the server certificate says about itself.
    server_pem = server.data_dir / "tls" / "server.pem"
    result = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", server.ca, str(server_pem)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = subprocess.run(["openssl", "x509", "-in", str(server_pem), "-noout", "-text"], capture_output=True, text=True).stdout
    for expected in ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "CA:FALSE",
                     "TLS Web Server Authentication", "Subject Key Identifier", "Authority Key Identifier"]:
        assert expected in text


def test_resource_commands(server):
    created = server.cli("resource", "create", "contoso-eu", "--geography", "europe", "--json")
    assert created["name"] == "contoso-eu" and created["geography"] == "europe"
    assert created["endpoint"] == f"{server.url}/contoso-eu"
    assert created["connectionString"].startswith(f"endpoint={server.url}/contoso-eu;accesskey=")
    assert server.cli("resource", "create", "contoso-uk", "--geography", "United Kingdom", "--json")["geography"] == "unitedkingdom"
    names = [r["name"] for r in server.cli("resource", "list", "--json")]
    assert names == ["contoso-eu", "contoso-uk", "dev"]
    shown = server.cli("resource", "show", "contoso-eu", "--json")
    assert shown["id"] == created["id"] and shown["connectionString"] == created["connectionString"]
    # The running server serves the new resource at once.
    assert CommunicationIdentityClient.from_connection_string(created["connectionString"]).create_user()


def test_unknown_geography_is_refused_with_the_list(server):
    result = server.cli("resource", "create", "x", "--geography", "westeurope", check=False)
    assert result.returncode != 0
    assert "United Arab Emirates" in result.stderr and "westeurope" in result.stderr


def test_deleted_resource_is_refused_at_once(server):
    created = server.cli("resource", "create", "short-lived", "--geography", "canada", "--json")
    client = CommunicationIdentityClient.from_connection_string(created["connectionString"])
    client.create_user()
    deleted = server.cli("resource", "delete", "short-lived", "--json")
    assert deleted["deleted"] is True
    with pytest.raises(ClientAuthenticationError):
        client.create_user()
    assert server.cli("resource", "show", "short-lived", check=False).returncode != 0


def test_europe_on_its_own_store_keeps_its_data_there(start_server, workdir):
    europe_store = workdir / "eu-disk" / "europe.sqlite"
    server = start_server(extra_args=["--store", f"europe=sqlite://{europe_store}"])
    created = server.cli("resource", "create", "eu-app", "--geography", "europe", "--json")
    client = CommunicationIdentityClient.from_connection_string(created["connectionString"])
    users = [client.create_user_and_token(["chat"])[0] for _ in range(3)]
    personal = "eve.personal@example.eu"
    assert signed_request(created["connectionString"], "POST", "/identities", {"customId": personal}).status_code == 201
    dev = CommunicationIdentityClient.from_connection_string(server.connection_string)
    dev.create_user()

    def owners(path):
        with sqlite3.connect(path) as db:
            return {row[0] for row in db.execute("SELECT resource_id FROM identities")}

    assert owners(europe_store) == {created["id"]}
    us_store = server.data_dir / "stores" / "unitedstates.sqlite"
    assert created["id"] not in owners(us_store)
    assert not (server.data_dir / "stores" / "europe.sqlite").exists()
    with sqlite3.connect(europe_store) as db:
        ids = {row[0] for row in db.execute("SELECT id FROM identities")}
    assert {u.raw_id.split("_")[1] for u in users} <= ids
    # No personal value in clear in any file, and the directory knows no users.
    for path in [europe_store, us_store, server.data_dir / "directory.sqlite"]:
        for suffix in ["", "-wal"]:
            file = path.with_name(path.name + suffix)
            if file.exists():
                assert personal.encode() not in file.read_bytes()
    directory = (server.data_dir / "directory.sqlite").read_bytes()
    for user in users:
        assert user.raw_id.split("_")[1].encode() not in directory


def test_health_and_metrics(server):
    assert requests.get(f"{server.url}/-/healthz", timeout=10).json()["status"] == "ok"
    ready = requests.get(f"{server.url}/-/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"]["directory"] == "ok"
    CommunicationIdentityClient.from_connection_string(server.connection_string).create_user()
    metrics = requests.get(f"{server.url}/-/metrics", timeout=10).text
    assert 'route="POST /identities"' in metrics


def test_logs_hold_no_secrets(server):
    client = CommunicationIdentityClient.from_connection_string(server.connection_string)
    user, token = client.create_user_and_token(["chat"])
    signed_request(server.connection_string, "POST", "/identities", {"customId": "secret.person@example.com"})
    client.revoke_tokens(user)
    log = server.read_log()
    key = server.connection_string.split("accesskey=")[1]
    log_without_banner = log.replace(server.connection_string, "")
    assert key not in log_without_banner
    assert token.token not in log and "secret.person@example.com" not in log


def test_own_certificate_and_key(start_server, workdir):
    key, cert = workdir / "own-key.pem", workdir / "own-cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = start_server(extra_args=["--tls-cert", str(cert), "--tls-key", str(key)], trust=False)
    response = requests.get(f"{server.url}/-/healthz", verify=str(cert), timeout=10)
    assert response.status_code == 200
    # It is that certificate, not a development one, that is served.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.url}/-/healthz", verify=True, timeout=10)


def test_plain_http_behind_a_proxy(start_server):
    server = start_server(extra_args=["--insecure-http", "--public-url", "https://comms.example.test"], trust=False)
    assert server.url == "https://comms.example.test"
    port = open(server.data_dir / "server-url").read()  # the public URL is what clients are told
    assert "comms.example.test" in port
    log = server.read_log()
    listening = [line for line in log.splitlines() if "listening on" in line.lower()]
    assert listening
    # The server itself speaks HTTP on its port.
    import re
    bound = re.search(r"listening on 127\.0\.0\.1:(\d+)", log)
    assert bound, log
    assert requests.get(f"http://127.0.0.1:{bound.group(1)}/-/healthz", timeout=10).json()["status"] == "ok"
    # Requests signed for the public host are accepted (the SDK signs the endpoint it was given).
    key = server.connection_string.split("accesskey=")[1]
    direct = f"endpoint=http://127.0.0.1:{bound.group(1)}/dev;accesskey={key}"
    response = signed_request(direct, "POST", "/identities", api_version="2023-10-01")
    assert response.status_code == 201


def test_resource_commands_work_without_a_running_server_and_with_a_master_key_file(workdir):
    data = workdir / "offline"
    key_file = workdir / "secrets" / "master.key"
    base = [BIN, "--data-dir", str(data), "--master-key-file", str(key_file)]
    created = subprocess.run([BIN, "resource", "create", "offline-app", "--geography", "Switzerland", "--json",
                              "--data-dir", str(data), "--master-key-file", str(key_file)], capture_output=True, text=True, check=True)
    assert json.loads(created.stdout)["geography"] == "switzerland"
    assert key_file.exists() and not (data / "master.key").exists()
    migrated = subprocess.run([BIN, "migrate", "--data-dir", str(data), "--master-key-file", str(key_file)], capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    server = Server(data, ["--master-key-file", str(key_file)]).start()
    try:
        os.environ["REQUESTS_CA_BUNDLE"] = server.ca
        shown = server.cli("resource", "show", "offline-app", "--json")
        assert CommunicationIdentityClient.from_connection_string(shown["connectionString"]).create_user()
    finally:
        server.stop()
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    wrong = subprocess.run([BIN, "resource", "list", "--data-dir", str(data)], capture_output=True, text=True)
    assert wrong.returncode != 0 and "different master key" in wrong.stderr
