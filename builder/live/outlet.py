"""The socket under one websocket, written without waiting when it can be.

The hub sends a view's frame to every client of the view itself, from its poller: it
writes the frame's bytes (the websocket frame, made once per view by
:func:`ws_frame`) to each client's socket with a send that never waits
(:meth:`Outlet.offer`). Under ``overture serve`` that is one system call per client,
with no greenlet woken, no lock of gevent's, and nothing encoded per client — with 500
clients at 20 frames a second, waking each client's greenlet to encode and send its
copy was most of the server's time (bench/README.md, live_latency.py).

A socket whose buffer is full (a slow or stuck client) takes what it can; the rest of
that message is kept (:attr:`Outlet.backlog`) and written by the client's own greenlet
(:meth:`Outlet.flush`), which may wait. While a backlog is kept the hub writes nothing
more to that socket: :meth:`Outlet.offer` says no and the client's subscriber merges the
frame into figures of its own, sent when the socket drains — so a slow client is sent
the current figures, once, and never holds up the others.

Everything else written to the socket (the first message, pings, pongs, the close, a
subscriber's own deltas: simple_websocket's ``ws.sock.send``) goes through
:meth:`Outlet.send`, in order behind the backlog, so messages never interleave.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

from gevent.monkey import get_original

#: A lock of the operating system even where gevent patched ``threading`` (``overture
#: serve``): the hub takes a client's lock for every frame (10,000 times a second with
#: 500 clients at 20 frames a second), and gevent's lock, written in Python, was once a
#: quarter of the server's time. Safe because nothing done under it waits or yields
#: (the hub's sends do not wait), so no greenlet can wait for it while another holds it.
os_lock: Callable[[], Any] = get_original("_thread", "allocate_lock")

_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)

#: What :meth:`Outlet.offer` did with a message.
SENT = "sent"  # written whole
STARTED = "started"  # written in part; the rest is kept for :meth:`Outlet.flush`
BUSY = "busy"  # not written: a backlog waits (the caller keeps what the message says)
GONE = "gone"  # the socket is closed


def ws_frame(text: str) -> bytes:
    """``text`` as one whole, unmasked websocket text frame (RFC 6455 §5.2), as a server sends it.

    Uncompressed even to a client that agreed to permessage-deflate: RFC 7692 lets a
    sender leave any message uncompressed (RSV1 clear), and the client's inflater is untouched.
    """
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 127, size)
    return head + payload


class Outlet:
    """Stands in for the websocket's socket (``ws.sock``): every write goes through it."""

    def __init__(self, sock: Any):
        self._sock = sock
        self._lock = os_lock()
        self._backlog = bytearray()
        self._draining = False
        self.closed = False

    def __getattr__(self, name: str) -> Any:  # recv, close, fileno, ...: the socket's own
        return getattr(self._sock, name)

    @property
    def backlog(self) -> int:
        """Bytes of whole messages accepted and not yet written."""
        with self._lock:
            return len(self._backlog)

    def offer(self, data: bytes) -> str:
        """Write ``data`` (one whole message) now, without waiting: :data:`SENT`,
        :data:`STARTED` (then have :meth:`flush` called soon), :data:`BUSY` or :data:`GONE`."""
        with self._lock:
            if self.closed:
                return GONE
            if self._backlog or self._draining:
                return BUSY
            # gevent's socket object waits by switching greenlets; the OS socket under it
            # (looked up each time: gevent swaps it for a closed stand-in on close) does not
            # wait at all with MSG_DONTWAIT, nor does a plain socket (tests, werkzeug).
            raw = getattr(self._sock, "_sock", self._sock)
            try:
                sent = raw.send(data, _DONTWAIT)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.closed = True
                return GONE
            if sent < len(data):
                self._backlog += data[sent:]
                return STARTED
            return SENT

    def send(self, data: bytes) -> int:
        """simple_websocket's write (it ignores the count): in order behind any backlog;
        this caller waits for the socket unless another is already writing it."""
        with self._lock:
            self._backlog += data
        self.flush()
        return len(data)

    def flush(self) -> bool:
        """Write the backlog, waiting for the socket as long as it takes. False when
        another caller is writing it already (it will write everything)."""
        with self._lock:
            if self._draining:
                return False
            self._draining = True
        try:
            while True:
                with self._lock:
                    if not self._backlog:
                        return True
                    chunk = bytes(self._backlog)
                try:
                    sent = self._sock.send(chunk)  # waits (gevent: this greenlet only)
                except OSError:
                    with self._lock:
                        self.closed = True
                        self._backlog.clear()
                    raise
                with self._lock:
                    del self._backlog[:sent]
        finally:
            with self._lock:
                self._draining = False
