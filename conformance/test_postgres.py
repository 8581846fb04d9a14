"""Switchboard on PostgreSQL: the directory and a store on a real server, and two nodes sharing them."""

import concurrent.futures

import pytest
from azure.communication.identity import CommunicationIdentityClient
from azure.core.exceptions import ClientAuthenticationError

from conftest import postgres_database, psql


def test_directory_and_store_on_postgres(start_server):
    directory = postgres_database("directory")
    us = postgres_database("us")
    server = start_server(extra_args=["--directory", directory, "--store", f"unitedstates={us}"])
    client = CommunicationIdentityClient.from_connection_string(server.connection_string)
    user, token = client.create_user_and_token(["chat"])
    assert psql(us, "SELECT count(*) FROM identities").strip() == "1"
    assert psql(directory, "SELECT name FROM resources").strip() == "dev"
    assert not (server.data_dir / "directory.sqlite").exists()
    client.delete_user(user)
    assert psql(us, "SELECT count(*) FROM identities").strip() == "0"


def test_two_nodes_start_together_and_share_the_directory(start_server, workdir):
    directory = postgres_database("directory")
    us = postgres_database("us")
    europe = postgres_database("eu")
    storage = ["--directory", directory, "--store", f"unitedstates={us}", "--store", f"europe={europe}"]
    # Both nodes share one master key, as nodes of one deployment do.
    env = {"SWITCHBOARD_MASTER_KEY": "q2lW0VqkH4yJ3ZK8bJ1u9Q1nq8eR0m7c3pO5eA2lH0Q="}
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = [pool.submit(start_server, f"node{i}", storage, env, False) for i in range(2)]
        nodes = [f.result() for f in futures]
    start_server.trust(*nodes)
    created = nodes[0].cli("resource", "create", "shared", "--geography", "europe", "--json")
    migrations = psql(europe, "SELECT count(*) FROM schema_migrations").strip()
    assert int(migrations) >= 2
    for node in nodes:
        endpoint_cs = created["connectionString"].replace(nodes[0].url, node.url)
        assert CommunicationIdentityClient.from_connection_string(endpoint_cs).create_user()
    # A key regenerated through one node's command line is refused by both nodes at once.
    nodes[1].cli("resource", "keys", "regenerate", "shared", "--key", "primary", "--json")
    for node in nodes:
        endpoint_cs = created["connectionString"].replace(nodes[0].url, node.url)
        with pytest.raises(ClientAuthenticationError):
            CommunicationIdentityClient.from_connection_string(endpoint_cs).create_user()
