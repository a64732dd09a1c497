"""Caps on open websockets (ARCHITECTURE §5, Serving): per person and in all, per process.

Every route made with :data:`sock` (``sock.route``) passes through
:func:`limited`, so a new ``/ws/...`` route is capped without asking. A socket over
a cap is accepted and then closed at once with a reason the page can show: a
browser does not let a page read why a handshake was refused, but it does give it
the close code and reason.

- ``WS_PER_USER`` (``OVERTURE_WS_PER_USER``, 20): one person's sockets — a page
  uses one per stream, so this is many tabs. Over it: code 1008 (policy violation).
- ``WS_TOTAL`` (``OVERTURE_WS_TOTAL``, 2000): all sockets of the process. Over it:
  code 1013 (try again later).

The counts are per server process, on purpose: with ``--workers N`` a person may hold
up to N times the per-person cap, but what the caps protect is each process's own
greenlets, sockets and memory, and no process holds more than its caps. A count in
the database (issue 15, "limits that must hold across processes") would add a write
to every connect and disconnect and would outlive a process that died with its
sockets open, shutting people out until someone cleaned it up.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_sock import Sock

from builder.auth import current
from builder.prometheus.web import meter

DEFAULT_PER_USER = 20
DEFAULT_TOTAL = 2000
#: RFC 6455 close codes.
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


class SocketCounts:
    """Open websockets of one app in this process, by person."""

    def __init__(self, per_user: int, total: int):
        self.per_user, self.total = per_user, total
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self._all = 0

    def take(self, who: str) -> tuple[int, str] | None:
        """Count one more socket for ``who``; or the close code and reason that refuse it."""
        with self._lock:
            if self._all >= self.total:
                return TRY_AGAIN_LATER, f"the server holds its limit of {self.total} live connections; try again later"
            if self._open.get(who, 0) >= self.per_user:
                return POLICY_VIOLATION, (f"you have {self.per_user} live connections open, the limit; close a tab or window of this site")
            self._open[who] = self._open.get(who, 0) + 1
            self._all += 1
            return None

    def give_back(self, who: str) -> None:
        with self._lock:
            left = self._open.get(who, 0) - 1
            if left > 0:
                self._open[who] = left
            else:
                self._open.pop(who, None)
            self._all -= 1


def positive_int(name: str, default: int) -> int:
    """A setting from the environment (``default`` when unset); ValueError naming it unless a whole number >= 1."""
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def counts() -> SocketCounts:
    found: SocketCounts = current_app.extensions["overture_sockets"]
    return found


def limited(view: Callable[..., None]) -> Callable[..., None]:
    """A websocket view that runs only with a place under the caps (else the socket is
    closed at once with the code and reason)."""

    @functools.wraps(view)
    def capped(ws: Any, *args: Any, **kwargs: Any) -> None:
        principal = current()
        who = principal.name if principal is not None else ""  # the routes refuse anonymous handshakes first
        table = counts()
        refused = table.take(who)
        if refused is not None:
            code, reason = refused
            ws.close(reason=code, message=reason)
            return
        metered = meter()
        clients = metered.websockets.labels(request.url_rule.rule if request.url_rule else "") if metered else None
        if clients is not None:
            clients.inc()
        try:
            view(ws, *args, **kwargs)
        finally:
            table.give_back(who)
            if clients is not None:
                clients.dec()

    vars(capped)["overture_limited"] = True  # read with getattr
    return capped


class _CappedSock(Sock):  # type: ignore[misc]
    """flask-sock whose every route counts against the websocket caps."""

    def route(self, path: str, bp: Any = None, **kwargs: Any) -> Callable[[Callable[..., None]], None]:
        register = super().route(path, bp, **kwargs)
        return lambda view: register(limited(view))


#: The websocket routes' decorator (``@sock.route("/ws/...", bp=bp)``), bound in ``create_app``.
sock = _CappedSock()


def init_app(app: Flask) -> None:
    app.extensions["overture_sockets"] = SocketCounts(int(app.config["WS_PER_USER"]), int(app.config["WS_TOTAL"]))
