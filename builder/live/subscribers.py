"""The clients of the live stream, as the hub sees them: what each is waiting to be sent.

``/ws/live`` clients watch a *view*, an (orchestration, version, window). The hub
offers the figures each poll read to the :class:`LiveView` once, not per client; the
view paces them (LIVE.md, Coalescing) and hands every client of the view the same
:class:`Frame`, one delta encoded once, as a websocket frame too. A
:class:`LiveSubscriber` (one client) has the hub write that frame to its socket at once
(``builder/live/outlet.py``), or, when it has figures of its own waiting (overdue
counts, figures older than its first message, frames that came while its socket was
full), its greenlet sends one delta of its own, newest per element. A :class:`RunSubscriber`
(``/ws/runs/<id>``) keeps every new event of its run, in order. The hub
(``builder/live/hub.py``) offers, the routes (``builder/live/routes.py``) ask
``wait()`` how long to hold back, then take.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builder.live.outlet import BUSY, GONE, SENT, Outlet, os_lock, ws_frame
from runtime.model import RunEvent

#: Seconds between two deltas to one ``/ws/live`` client at the least (``LIVE_MIN_INTERVAL``):
#: at most 20 a second, and a change waits at most this long for its client's next slot.
DEFAULT_INTERVAL = 0.05

#: (kind, element) -> (the sequence number the figure was read for, the figure)
Figures = dict[tuple[str, str], tuple[int, dict[str, Any]]]


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def event_view(e: RunEvent) -> dict[str, Any]:
    """An event as ``GET /api/runs/<id>/events`` and ``Engine.events`` show it."""
    return {
        "seq": e.id,
        "run_id": e.run_id,
        "type": e.type,
        "at": e.at.isoformat(),
        "node": e.node,
        "visit": e.visit,
        "by": e.by,
        "data": e.data,
    }


def _delta(seq: int, figures: Figures) -> dict[str, Any]:
    return {
        "type": "delta",
        "seq": seq,
        "nodes": {e: f for (kind, e), (_s, f) in figures.items() if kind == "node"},
        "edges": {e: f for (kind, e), (_s, f) in figures.items() if kind == "edge"},
    }


def _overdue_in(message: dict[str, Any]) -> dict[str, int]:
    return {n: f["overdue"] for n, f in message["nodes"].items() if "overdue" in f}


@dataclass(frozen=True)
class Frame:
    """One delta for every client of a view, encoded once."""

    seq: int
    figures: Figures
    text: str
    #: The lowest sequence number a figure of it was read for: a client whose first
    #: message is at least as new must drop some of its figures, so it cannot send ``text``.
    oldest: int
    overdue: dict[str, int]
    #: When the view made it (``clock`` time): a client that sends it counts its interval from then.
    made_at: float
    #: ``text`` as a whole websocket frame, made once for every client (``outlet.ws_frame``).
    wire: bytes = b""


class LiveView:
    """The figures waiting for every client of one (orchestration, version, window),
    and when they may go.

    Pacing: a change that finds the view quiet (no frame for ``interval`` seconds)
    goes at once, the leading edge; changes that follow within the interval wait for
    its end and go together, newest figure per element. ``leading`` and
    ``coalesced`` count the frames made each way (``clock`` is ``time.monotonic`` but
    in tests). Only the hub's poller calls it, under its tick lock.
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.interval, self.clock = interval, clock
        self.subscribers: set[LiveSubscriber] = set()
        self.leading = 0
        self.coalesced = 0
        self._pending: Figures = {}
        self._seq = 0
        self._sent_at: float | None = None  # when the last frame was made
        self._since = 0.0  # when the oldest change pending arrived

    def offer(self, seq: int, nodes: dict[str, Any], edges: dict[str, Any]) -> None:
        if not nodes and not edges:
            return
        if not self._pending:
            self._since = self.clock()
        for kind, figures in (("node", nodes), ("edge", edges)):
            for element, figure in figures.items():
                self._pending[(kind, element)] = (seq, figure)
        self._seq = max(self._seq, seq)

    def due_at(self) -> float | None:
        """When the pending figures may go (``clock`` time); None when nothing is pending."""
        if not self._pending:
            return None
        if self._sent_at is None:
            return self._since
        return max(self._since, self._sent_at + self.interval)

    def take(self) -> Frame | None:
        """The pending figures as one frame, once :meth:`due_at` has come; None when nothing is pending."""
        if not self._pending:
            return None
        if self._sent_at is None or self._since >= self._sent_at + self.interval:
            self.leading += 1  # the first change found the view quiet: it went at once
        else:
            self.coalesced += 1
        made_at = self._sent_at = self.clock()
        figures, self._pending = self._pending, {}
        message = _delta(self._seq, figures)
        text = encode(message)
        return Frame(self._seq, figures, text, min(seq for seq, _f in figures.values()), _overdue_in(message), made_at, ws_frame(text))


class LiveSubscriber:
    """One ``/ws/live`` client: the view's frame it is to send, or a delta of its own.

    Figures that events change are ordered by sequence number: those read for a
    sequence number at or below the client's starting point are dropped. Overdue
    counts change with time alone, so they are compared with what this client was
    last sent (or is about to be) instead, and only a count that differs is sent.
    Figures of its own are merged, newest per element, so a client far behind is sent
    the current figures, never a backlog. Every message waits for the end of the
    client's own ``interval``, counted from its last message's slot — for a frame, when
    the view made it (or, held back, when this pace let it go), so the next frame, made
    an interval later, goes at once.
    """

    def __init__(
        self, key: str, version: int | None, window: str, interval: float = DEFAULT_INTERVAL, clock: Callable[[], float] = time.monotonic
    ):
        self.key, self.version, self.window = key, version, window
        self.interval, self.clock = interval, clock
        self.ready = threading.Event()
        self._lock = os_lock()
        self._floor = -1
        self._started: float | None = None  # monotonic time the first message was read by
        self._frame: Frame | None = None
        self._pending: Figures = {}
        self._overdue: dict[str, int] = {}  # node -> overdue count as last sent
        self._counts: dict[tuple[int, str], int] | None = None  # the last counts offered (and compared)
        self._seq = 0
        self._sent_at: float | None = None
        self.outlet: Outlet | None = None  # set once its first message is written (attach)

    @property
    def view(self) -> tuple[str, int | None, str]:
        return self.key, self.version, self.window

    def attach(self, outlet: Outlet) -> None:
        """From now on (its first message is written) the hub may write frames to this
        client's socket itself (:meth:`offer_frame`)."""
        with self._lock:
            self.outlet = outlet

    def offer_frame(self, frame: Frame) -> None:
        """The view's frame. The usual case, with an outlet: written to the socket here
        and now, without waiting for it and without waking the client's greenlet. Else
        kept for :meth:`take` (it must wait for this client's pace, or its first
        message is not written yet), or merged into figures of its own (it holds some,
        or its socket has a backlog: a slow client)."""
        with self._lock:
            if frame.seq <= self._floor:
                return
            if self._frame is None and not self._pending and frame.oldest > self._floor:
                slot = self._slot(frame)
                if self.outlet is None or slot > self.clock():
                    self._frame = frame  # sent as it is, by the client's greenlet
                else:
                    done = self.outlet.offer(frame.wire)
                    if done == GONE:
                        return  # the client's loop sees the socket closed
                    if done != BUSY:
                        self._sent(frame, slot)
                        if done == SENT:
                            return  # nothing for the client's greenlet to do
                    else:
                        self._absorb(frame)  # sent when the socket drains, merged with what follows
            else:
                self._absorb()
                self._absorb(frame)
        self.ready.set()

    def _slot(self, frame: Frame) -> float:
        """When this client may be sent ``frame``: when the view made it, or when this
        client's pace lets it go."""
        return frame.made_at if self._sent_at is None else max(frame.made_at, self._sent_at + self.interval)

    def _sent(self, frame: Frame, slot: float) -> None:
        self._seq = max(self._seq, frame.seq)
        self._overdue.update(frame.overdue)
        self._sent_at = slot

    def _absorb(self, frame: Frame | None = None) -> None:
        """Merge ``frame`` (default: the one held) into this client's own figures."""
        if frame is None:
            frame, self._frame = self._frame, None
            if frame is None:
                return
        for element, (seq, figure) in frame.figures.items():
            if seq > self._floor:
                self._pending[element] = (seq, figure)
        self._seq = max(self._seq, frame.seq)

    def offer_overdue(self, read_at: float, counts: dict[tuple[int, str], int]) -> None:
        """Overdue counts of every version (read at ``read_at``, monotonic time). The hub
        offers the same object again while the counts stay the same (every poll that saw
        a work item change): nothing to compare then."""
        if counts is self._counts:
            return
        mine: dict[str, int] = {}
        for (version, node), n in counts.items():
            if self.version is None or version == self.version:
                mine[node] = mine.get(node, 0) + n
        with self._lock:
            if self._started is None or read_at < self._started:
                return  # read before this client's first message: maybe older than it
            self._counts = counts
            held = {**self._overdue, **(self._frame.overdue if self._frame else {})}
            changed = {node: mine.get(node, 0) for node in set(mine) | set(held) if mine.get(node, 0) != held.get(node, 0)}
            if not changed:
                return
            self._absorb()
            for node, n in changed.items():
                seq, figure = self._pending.get(("node", node), (self._seq, {}))
                self._pending[("node", node)] = (seq, {**figure, "overdue": n})
        self.ready.set()

    def start_at(self, message: dict[str, Any], read_at: float) -> None:
        """The first message (snapshot or resumed delta) is about to be sent."""
        with self._lock:
            self._floor = message["seq"]
            self._started = read_at
            if self._frame is not None and self._frame.oldest <= self._floor:
                self._absorb()
            self._pending = {k: v for k, v in self._pending.items() if v[0] > self._floor}
            self._seq = max(self._seq, self._floor)
            self._overdue.update(_overdue_in(message))

    def wait(self) -> float:
        """Seconds before what is pending may be taken."""
        with self._lock:
            if self._sent_at is None:
                return 0.0
            return max(0.0, self._sent_at + self.interval - self.clock())

    def take(self) -> str | None:
        """The next message's text (the frame's, shared with the view's other clients,
        or a delta of this client's own); None when nothing is pending."""
        with self._lock:
            self.ready.clear()
            if self._frame is not None and not self._pending:
                frame, self._frame = self._frame, None
                self._sent(frame, self._slot(frame))
                return frame.text
            self._absorb()
            if not self._pending:
                return None
            message = _delta(self._seq, self._pending)
            self._pending = {}
            self._overdue.update(_overdue_in(message))
            self._sent_at = self.clock()
            return encode(message)


class RunSubscriber:
    """One ``/ws/runs/<id>`` client: the run's new events, in order."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self.floor = 0

    def wait(self) -> float:
        """A run's events come a few at a time: they are never held back."""
        return 0.0

    def offer(self, events: list[RunEvent]) -> None:
        with self._lock:
            self._events.extend(event_view(e) for e in events if e.id > self.floor)
        self.ready.set()

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            self.ready.clear()
            taken, self._events = self._events, []
            return taken
