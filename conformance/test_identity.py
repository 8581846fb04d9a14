"""Every public method of CommunicationIdentityClient (azure-communication-identity 1.5.0) against a live server."""

import base64
import datetime
import json

import pytest
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from conftest import signed_request


@pytest.fixture
def client(server):
    return CommunicationIdentityClient.from_connection_string(server.connection_string)


def claims(token):
    # As CommunicationTokenCredential reads it: standard base64 with padding appended.
    return json.loads(base64.b64decode(token.split(".")[1] + "==").decode("ascii"))


def expires_at(access_token):
    return datetime.datetime.fromisoformat(str(access_token.expires_on).replace("Z", "+00:00"))


def test_create_user(client):
    user = client.create_user()
    assert isinstance(user, CommunicationUserIdentifier)
    assert user.raw_id.startswith("8:acs:") and user.raw_id.count("_") == 1


def test_create_user_and_token(client):
    user, token = client.create_user_and_token([CommunicationTokenScope.CHAT, CommunicationTokenScope.VOIP])
    payload = claims(token.token)
    assert payload["skypeid"] == user.raw_id[2:]
    assert payload["acsScope"] == "chat,voip"
    assert payload["resourceLocation"] == "unitedstates"
    assert abs((expires_at(token) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 86400) < 60


def test_create_user_and_token_with_lifetime(client):
    _, token = client.create_user_and_token(["chat"], token_expires_in=datetime.timedelta(minutes=90))
    assert abs((expires_at(token) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 5400) < 60


@pytest.mark.parametrize("scopes", [["chat"], ["voip"], ["chat.join"], ["chat.join.limited"], ["voip.join"]])
def test_get_token_for_every_scope(client, scopes):
    user = client.create_user()
    token = client.get_token(user, scopes, token_expires_in=datetime.timedelta(hours=1))
    assert claims(token.token)["acsScope"] == scopes[0]
    assert abs((expires_at(token) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 3600) < 60


def test_tokens_parse_in_the_sdk_credential(client):
    from azure.communication.chat import CommunicationTokenCredential

    _, token = client.create_user_and_token(["chat"])
    credential = CommunicationTokenCredential(token.token)
    assert credential.get_token().token == token.token


def test_revoke_tokens(client):
    user = client.create_user()
    client.get_token(user, ["chat"])
    client.revoke_tokens(user)
    # The identity lives on and gets new tokens.
    assert client.get_token(user, ["chat"]).token


def test_delete_user(client):
    user = client.create_user()
    client.delete_user(user)
    with pytest.raises(ResourceNotFoundError):
        client.get_token(user, ["chat"])
    with pytest.raises(ResourceNotFoundError):
        client.delete_user(user)


def test_get_token_for_teams_user_is_clearly_not_supported(client):
    with pytest.raises(HttpResponseError) as raised:
        client.get_token_for_teams_user("aad-token", "app-id", "user-id")
    assert raised.value.status_code == 501
    assert raised.value.error.code == "NotSupported"


def test_unknown_identity(client, server):
    resource_id = claims(client.create_user_and_token(["chat"])[1].token)["resourceId"]
    stranger = CommunicationUserIdentifier(f"8:acs:{resource_id}_00000000-0000-0000-0000-000000000001")
    with pytest.raises(ResourceNotFoundError):
        client.get_token(stranger, ["chat"])
    with pytest.raises(ResourceNotFoundError):
        client.revoke_tokens(stranger)


def test_bad_scope(client):
    user = client.create_user()
    with pytest.raises(HttpResponseError) as raised:
        client.get_token(user, ["email"])
    assert raised.value.status_code == 400
    assert raised.value.error.code == "InvalidScope"


@pytest.mark.parametrize("minutes", [59, 1441])
def test_bad_expires_in_minutes(client, minutes):
    user = client.create_user()
    with pytest.raises(HttpResponseError) as raised:
        client.get_token(user, ["chat"], token_expires_in=datetime.timedelta(minutes=minutes))
    assert raised.value.status_code == 400
    assert raised.value.error.code == "InvalidExpiresInMinutes"


def test_wrong_key(server):
    wrong = base64.b64encode(b"not the key" * 6).decode()
    connection_string = server.connection_string.split(";accesskey=")[0] + f";accesskey={wrong}"
    client = CommunicationIdentityClient.from_connection_string(connection_string)
    with pytest.raises(ClientAuthenticationError):
        client.create_user()


def test_regenerated_key_is_refused_at_once(server):
    old = CommunicationIdentityClient.from_connection_string(server.connection_string)
    old.create_user()
    shown = server.cli("resource", "keys", "regenerate", "dev", "--key", "primary", "--json")
    with pytest.raises(ClientAuthenticationError):
        old.create_user()
    new = CommunicationIdentityClient.from_connection_string(shown["connectionString"])
    assert new.create_user()
    # The secondary key was not touched.
    CommunicationIdentityClient.from_connection_string(shown["secondaryConnectionString"]).create_user()


def test_custom_id_with_newer_api_version(server):
    created = signed_request(server.connection_string, "POST", "/identities", {"customId": "alice@contoso.com"})
    assert created.status_code == 201, created.text
    again = signed_request(server.connection_string, "POST", "/identities", {"customId": "alice@contoso.com"})
    assert again.json()["identity"]["id"] == created.json()["identity"]["id"]
    identity = created.json()["identity"]["id"]
    from urllib.parse import quote

    details = signed_request(server.connection_string, "GET", f"/identities/{quote(identity, safe='')}")
    assert details.status_code == 200
    assert details.json()["customId"] == "alice@contoso.com"


def test_responses_carry_acs_headers(server):
    response = signed_request(server.connection_string, "POST", "/identities", api_version="2023-10-01")
    assert response.status_code == 201
    assert response.headers["x-ms-request-id"]
    assert response.headers["MS-CV"]
    assert "2023-10-01" in response.headers["api-supported-versions"]
    error = signed_request(server.connection_string, "POST", "/identities", api_version="1999-01-01")
    assert error.status_code == 400
    assert error.json()["error"]["code"] == "UnsupportedApiVersion"
    assert "2023-10-01" in error.headers["api-supported-versions"]
