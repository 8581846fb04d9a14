"""Helpers for the chat conformance tests: users with tokens, SDK clients, a WebSocket listener."""

import asyncio
import json
import ssl
import threading
import queue
import urllib.parse

import requests
import websockets
from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient


class Users:
    """Creates identities with tokens in one resource and chat clients for them."""

    def __init__(self, connection_string):
        self.connection_string = connection_string
        self.identity = CommunicationIdentityClient.from_connection_string(connection_string)
        self.endpoint = connection_string.split(";")[0].split("=", 1)[1]

    def create(self, scopes=("chat",)):
        user, token = self.identity.create_user_and_token(list(scopes))
        return User(user, token.token, self.endpoint)


class User:
    def __init__(self, identifier, token, endpoint):
        self.identifier = identifier
        self.token = token
        self.endpoint = endpoint
        self.chat = ChatClient(endpoint, CommunicationTokenCredential(token))

    @property
    def raw_id(self):
        return self.identifier.raw_id

    def thread(self, thread_id, **kwargs):
        return ChatThreadClient(self.endpoint, CommunicationTokenCredential(self.token), thread_id, **kwargs)

    def rest(self, method, path, body=None, api_version="2025-03-15"):
        """A chat request the 1.3.0 SDK cannot make (newer fields), with this user's token."""
        return requests.request(
            method, f"{self.endpoint}{path}?api-version={api_version}", json=body,
            headers={"Authorization": f"Bearer {self.token}"}, timeout=30)


def quote(thread_id):
    return urllib.parse.quote(thread_id, safe="")


class Listener:
    """A real WebSocket client on the real-time endpoint, running in a background thread."""

    def __init__(self, server_url, resource, token, ca, since=None, query_token=False):
        url = server_url.replace("https://", "wss://") + f"/-/realtime/{resource}"
        params = {}
        if since is not None:
            params["since"] = str(since)
        headers = {}
        if query_token:
            params["access_token"] = token
        else:
            headers["Authorization"] = f"Bearer {token}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        self.url, self.headers, self.ca = url, headers, ca
        self.messages = queue.Queue()
        self.closed = threading.Event()
        self.close_code = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()
        assert self.ready.wait(20), "the WebSocket did not connect"

    async def _run(self):
        context = ssl.create_default_context(cafile=self.ca)
        try:
            async with websockets.connect(self.url, ssl=context, additional_headers=self.headers) as socket:
                self.socket = socket
                self.loop = asyncio.get_running_loop()
                async for text in socket:
                    message = json.loads(text)
                    self.messages.put(message)
                    # The session follows the log from its `connected` frame on: a message sent before that frame
                    # arrives may come before the session's cursor and not be delivered live.
                    if message.get("type") == "connected":
                        self.ready.set()
        except websockets.ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
        finally:
            if self.close_code is None and getattr(self, "socket", None) is not None and self.socket.close_code:
                self.close_code = self.socket.close_code
            self.ready.set()
            self.closed.set()

    def next(self, timeout=10, skip=("connected",)):
        while True:
            message = self.messages.get(timeout=timeout)
            if message.get("type") not in skip:
                return message

    def collect(self, count, timeout=10):
        return [self.next(timeout) for _ in range(count)]

    def close(self):
        if getattr(self, "socket", None) is not None and not self.closed.is_set():
            asyncio.run_coroutine_threadsafe(self.socket.close(), self.loop).result(10)
        self.closed.wait(10)
