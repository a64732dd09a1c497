"""A websocket client for tests: wsproto over a plain socket, every frame read in order.

simple-websocket's client reads only the handshake answer from its first ``recv``:
when the server's first message arrives in the same packet (a fast server), that
message waits for the next packet, sometimes for good. This one keeps every event.
"""

from __future__ import annotations

import json
import socket
import time
from collections import deque
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, CloseConnection, Event, Ping, Request, TextMessage


class WsClient:
    def __init__(self, host: str, port: int, path: str, headers: dict[str, str], timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events: deque[Event] = deque()
        self.sock.sendall(
            self.ws.send(Request(host=f"{host}:{port}", target=path, extra_headers=[(k.encode(), v.encode()) for k, v in headers.items()]))
        )
        answer = self.next_event(timeout)
        if not isinstance(answer, AcceptConnection):
            self.sock.close()
            raise ConnectionError(f"handshake refused: {getattr(answer, 'status_code', answer)}")

    def next_event(self, timeout: float = 10.0) -> Event:
        """The next frame (pings are answered on the way); TimeoutError when none comes in time."""
        deadline = time.monotonic() + timeout
        while True:
            while not self.events:
                self.sock.settimeout(max(0.001, deadline - time.monotonic()))
                data = self.sock.recv(65536)
                self.ws.receive_data(data or None)
                self.events.extend(self.ws.events())
                if not data and not self.events:
                    raise ConnectionError("the server closed the connection without a close frame")
            event = self.events.popleft()
            if isinstance(event, Ping):
                self.sock.sendall(self.ws.send(event.response()))
                continue
            return event

    def message(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next JSON message; AssertionError when the server closes instead."""
        while True:
            event = self.next_event(timeout)
            assert not isinstance(event, CloseConnection), f"closed: {event.code} {event.reason}"
            if isinstance(event, TextMessage):
                return json.loads(event.data)

    def closed_with(self, timeout: float = 10.0) -> tuple[int, str]:
        """The close code and reason of a socket the server closes (and no message before)."""
        with self.sock:
            while True:
                event = self.next_event(timeout)
                assert not isinstance(event, TextMessage), f"the server sent a message: {event.data}"
                if isinstance(event, CloseConnection):
                    return event.code, event.reason

    def close(self) -> None:
        try:
            if self.ws.state is ConnectionState.OPEN:
                self.sock.sendall(self.ws.send(CloseConnection(code=1000)))
        except OSError:
            pass
        self.sock.close()
