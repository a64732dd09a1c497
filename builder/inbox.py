"""``/ws/inbox``: the signed-in person's open work, pushed when it changes (the My work
badge and the notification bell; protocol in builder/LIVE.md).

It rides on the live stream's poller (:class:`builder.live.hub.Hub`): each batch of new
events is handed to :func:`touched_names`, which reads the assignees of the work items
the ``work_item.*`` events name (one query per batch, whatever the number of clients);
a client whose name or group is among them reads its own counts again, in its own
thread, at most every ``INBOX_MIN_INTERVAL`` (0.5 s). Counts are also read again every
``INBOX_REFRESH_EVERY`` (30 s): an item becomes overdue with time alone, people join
groups, and a ``notify`` action or an escalation to another group sends notifications
without touching the person's items.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, current_app
from simple_websocket import ConnectionClosed
from sqlalchemy import select

from builder.auth import close_if_session_ended, screen_principal
from builder.extensions import engine, real_app
from builder.live.hub import hub
from builder.queries import memberships, notification_totals, reading
from builder.sockets import sock
from runtime.model import RunEvent
from runtime.store.tables import UserRow, WorkItemRow

bp = Blueprint("inbox", __name__)


def touched_names(events: Iterable[RunEvent]) -> set[str]:
    """Users, groups and queues whose open work the ``work_item.*`` events may have changed."""
    names: set[str] = set()
    ids: set[str] = set()
    for e in events:
        if not e.type.startswith("work_item."):
            continue
        if e.by:
            names.add(e.by)
        data = e.data or {}
        for side in ("assignee", "from", "to"):
            if isinstance(data.get(side), dict) and isinstance(data[side].get("value"), str):
                names.add(data[side]["value"])
        if isinstance(data.get("work_item"), str):
            ids.add(data["work_item"])
    if ids:
        with reading() as s:
            for value, claimed_by in s.execute(select(WorkItemRow.assignee_value, WorkItemRow.claimed_by).where(WorkItemRow.id.in_(ids))):
                names.add(value)
                if claimed_by:
                    names.add(claimed_by)
    return names


class InboxSubscriber:
    """One ``/ws/inbox`` client: woken when events touch its person or their groups."""

    def __init__(self, user: str):
        self.user = user
        self.names: frozenset[str] = frozenset({user})
        self.ready = threading.Event()

    def offer(self, names: set[str]) -> None:
        if names & self.names:
            self.ready.set()


class InboxFeed:
    """Hands each batch of events to the inbox subscribers (registered with the hub once per app)."""

    def __init__(self, app: Any):
        self.app = app
        self._lock = threading.Lock()
        self._subs: set[InboxSubscriber] = set()

    def add(self, sub: InboxSubscriber) -> None:
        with self._lock:
            self._subs.add(sub)
            hub().listen(self)  # a set: once; starts the poller if it had stopped

    def remove(self, sub: InboxSubscriber) -> None:
        with self._lock:
            self._subs.discard(sub)
            if not self._subs:
                hub().unlisten(self)  # lets the poller stop when nobody watches anything

    def __call__(self, events: list[RunEvent]) -> None:
        with self._lock:
            subs = list(self._subs)
        if not subs or not any(e.type.startswith("work_item.") for e in events):
            return
        with self.app.app_context():
            names = touched_names(events)
        for sub in subs:
            sub.offer(names)


_FEED_LOCK = threading.Lock()


def feed() -> InboxFeed:
    """This app's feed (created on first use)."""
    app = real_app()
    with _FEED_LOCK:
        found: InboxFeed | None = app.extensions.get("overture_inbox")
        if found is None:
            found = app.extensions["overture_inbox"] = InboxFeed(app)
    return found


def inbox_state(user: str, groups: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """What the client is sent: counts, and a fingerprint of everything that can change them."""
    listed = engine().work_items(assignee=user)
    fingerprint = [(i["id"], i["status"], i["claimed_by"], i["assignee"]["value"], i["escalated_at"], i["overdue"]) for i in listed]
    # A group's item a colleague claimed is listed (so the claim shows) but not counted: it is theirs to do.
    items = [i for i in listed if i["claimed_by"] in (None, user)]
    with reading() as s:
        count, latest = notification_totals(s, user, groups)  # who sees which notification: builder/queries.py
        read_at = s.scalar(select(UserRow.notifications_read_at).where(UserRow.id == user))
    return {
        "type": "inbox",
        "open": len(items),
        "overdue": sum(1 for i in items if i["overdue"]),
        "notifications": count,
        "latest_notification_at": latest.isoformat() if latest is not None else None,
        # "Mark all read" in any browser (builder/api/notifications.py).
        "notifications_read_at": read_at.isoformat() if read_at is not None else None,
        "_fingerprint": fingerprint,
    }


@bp.before_request
def _authenticate() -> None:
    screen_principal()


@sock.route("/ws/inbox", bp=bp)
def inbox(ws: Any) -> None:
    principal = screen_principal()
    spacing = float(current_app.config.get("INBOX_MIN_INTERVAL", 0.5))
    refresh = float(current_app.config.get("INBOX_REFRESH_EVERY", 30.0))
    sub = InboxSubscriber(principal.name)
    the_feed = feed()
    the_feed.add(sub)
    try:
        sent: dict[str, Any] | None = None
        groups = memberships(principal.name)
        read_at = time.monotonic()
        while ws.connected:
            now = time.monotonic()
            if sent is not None and not sub.ready.is_set() and now - read_at < refresh:
                sub.ready.wait(timeout=min(1.0, refresh - (now - read_at)))
                continue
            sub.ready.clear()
            if sent is not None and now - read_at >= refresh:
                if close_if_session_ended(ws):
                    break
                groups = memberships(principal.name)
                sub.names = frozenset({principal.name} | {name for _kind, name in groups})
            state = inbox_state(principal.name, groups)
            read_at = time.monotonic()
            if state != sent:
                ws.send(json.dumps({k: v for k, v in state.items() if not k.startswith("_")}, separators=(",", ":")))
                sent = state
            time.sleep(spacing)  # coalesce bursts: at most one read per spacing
    except ConnectionClosed:
        pass
    finally:
        the_feed.remove(sub)


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
