"""The clients of the live stream, as the hub sees them: what each is waiting to be sent.

A :class:`LiveSubscriber` (``/ws/live``) keeps the newest figures per node and edge, so a
client sent at most every 250 ms gets the latest of each, not every change; a
:class:`RunSubscriber` (``/ws/runs/<id>``) keeps every new event of its run, in order.
The hub (``builder/live/hub.py``) offers, the routes (``builder/live/routes.py``) take.
"""

from __future__ import annotations

import threading
from typing import Any

from runtime.model import RunEvent


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


class LiveSubscriber:
    """One ``/ws/live`` client: figures waiting to be sent, newest per element.

    Figures that events change are ordered by sequence number: those read for a
    sequence number at or below the client's starting point are dropped. Overdue
    counts change with time alone, so they are compared with what this client was
    last sent instead, and only a count that differs is sent.
    """

    def __init__(self, key: str, version: int | None, window: str):
        self.key, self.version, self.window = key, version, window
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._floor = -1
        self._started: float | None = None  # monotonic time the first message was read by
        self._pending: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self._overdue: dict[str, int] = {}  # node -> overdue count as last sent
        self._seq = 0

    def offer(self, seq: int, nodes: dict[str, Any], edges: dict[str, Any]) -> None:
        with self._lock:
            if seq <= self._floor:
                return
            for kind, figures in (("node", nodes), ("edge", edges)):
                for element, figure in figures.items():
                    self._pending[(kind, element)] = (seq, figure)
            self._seq = max(self._seq, seq)
        self.ready.set()

    def offer_overdue(self, read_at: float, counts: dict[tuple[int, str], int]) -> None:
        """Overdue counts of every version (read at ``read_at``, monotonic time)."""
        mine: dict[str, int] = {}
        for (version, node), n in counts.items():
            if self.version is None or version == self.version:
                mine[node] = mine.get(node, 0) + n
        with self._lock:
            if self._started is None or read_at < self._started:
                return  # read before this client's first message: maybe older than it
            changed = False
            for node in set(mine) | set(self._overdue):
                n = mine.get(node, 0)
                if n != self._overdue.get(node, 0):
                    seq, figure = self._pending.get(("node", node), (self._seq, {}))
                    self._pending[("node", node)] = (seq, {**figure, "overdue": n})
                    changed = True
        if changed:
            self.ready.set()

    def start_at(self, message: dict[str, Any], read_at: float) -> None:
        """The first message (snapshot or resumed delta) is about to be sent."""
        with self._lock:
            self._floor = message["seq"]
            self._started = read_at
            self._pending = {k: v for k, v in self._pending.items() if v[0] > self._floor}
            self._seq = max(self._seq, self._floor)
            self._overdue.update({n: f["overdue"] for n, f in message["nodes"].items() if "overdue" in f})

    def take(self) -> dict[str, Any] | None:
        with self._lock:
            self.ready.clear()
            if not self._pending:
                return None
            nodes = {e: f for (kind, e), (_s, f) in self._pending.items() if kind == "node"}
            edges = {e: f for (kind, e), (_s, f) in self._pending.items() if kind == "edge"}
            self._pending = {}
            self._overdue.update({n: f["overdue"] for n, f in nodes.items() if "overdue" in f})
            return {"type": "delta", "seq": self._seq, "nodes": nodes, "edges": edges}


class RunSubscriber:
    """One ``/ws/runs/<id>`` client: the run's new events, in order."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self.floor = 0

    def offer(self, events: list[RunEvent]) -> None:
        with self._lock:
            self._events.extend(event_view(e) for e in events if e.id > self.floor)
        self.ready.set()

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            self.ready.clear()
            taken, self._events = self._events, []
            return taken
