"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that keeps what it
receives; it can answer ``451`` (try again later) to the next few messages."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """Start with :meth:`start`, stop with :meth:`stop`; ``messages`` as they arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refuse_next = 0  # answer 451 to this many more messages
        self.refused = 0
        self._changed = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._running = False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?from=overture@example.com"

    def start(self) -> SmtpSink:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop listening (again: nothing happens)."""
        if self._running:
            self._running = False
            self._controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._changed:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            raw = (envelope.original_content or envelope.content).replace(b"\r\n", b"\n")  # as written, not as on the wire
            message = message_from_bytes(raw, policy=policy.default)
            self.messages.append(message)
            self._changed.notify_all()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] and address in str(m["To"])]

    def wait_for(self, found: Callable[[list[EmailMessage]], Any], timeout: float = 30.0) -> Any:
        """Wait until ``found(messages)`` is truthy and return it (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := found(list(self.messages))):
                left = deadline - time.monotonic()
                assert left > 0, f"no such e-mail within {timeout} s; received: {[m['Subject'] for m in self.messages]}"
                self._changed.wait(left)
        return result
