"""The live stream (ARCHITECTURE §5, protocol in builder/LIVE.md): websockets fed by one
poller thread per process.

The :class:`Hub` polls the event log by sequence every ``LIVE_POLL_INTERVAL``
(25 ms): it runs the insight :class:`~runtime.insights.Projector` (the cursor's lock
makes one process apply each batch), reads the figures of the nodes and edges the
new events touched — one read per watched orchestration, not per client — and
hands them to every subscriber, which sends them at most every
``LIVE_MIN_INTERVAL`` (250 ms: at most 4 messages a second per client). Events
written by other processes reach the stream the same way as this one's.

We poll rather than LISTEN/NOTIFY: a probe of the newest sequence number is one
index lookup (well under a millisecond on SQLite and PostgreSQL), 40 a second per
process, it works the same on SQLite, and it needs no trigger on the event insert;
bench/live_latency.py measures the result.

Who may watch: people with a session cookie. ``/ws/live`` needs the ops or admin
role; ``/ws/runs/<id>`` any person who may see the run (members: runs they started
or worked on). Bearer tokens are refused: they are for systems that start runs and
publish events, not for screens. A cross-site handshake (an ``Origin`` that is not
this host) is refused too.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, request
from marshmallow import ValidationError, fields, validate
from simple_websocket import ConnectionClosed

from builder.api.common import StrictSchema
from builder.auth import Principal, close_if_session_ended, current
from builder.errors import ApiError
from builder.extensions import sock, state
from runtime import insights
from runtime.errors import NotFound
from runtime.model import InsightCursor, Run, RunEvent, Version

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__)

#: A client resuming further behind than this gets a snapshot instead of a delta.
RESUME_LIMIT = 10_000
_CHUNK = 2_000
_WINDOW_EVERY = 60.0  # seconds between full refreshes of windowed streams (buckets slide)
_IDLE_EXIT = 5.0  # the poller stops this long after its last subscriber left
_PRUNE_EVERY = 3600.0  # hourly figures older than a week (and a day) are deleted this often


# ---------------------------------------------------------------------- subscribers


def event_view(e: RunEvent) -> dict[str, Any]:
    """An event as ``GET /api/runs/<id>/events`` and ``Engine.events`` show it."""
    return {"seq": e.id, "run_id": e.run_id, "type": e.type, "at": e.at.isoformat(), "node": e.node, "visit": e.visit,
            "by": e.by, "data": e.data}


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


# ---------------------------------------------------------------------- the hub


class Hub:
    """One per app and process: polls the log, projects, fans out to subscribers."""

    def __init__(self, app: Flask):
        overture = app.extensions["overture"]
        self.store = overture.store
        self.engine = overture.engine
        self.clock = overture.engine.clock
        self.interval = float(app.config.get("LIVE_POLL_INTERVAL", 0.025))
        self.overdue_every = float(app.config.get("LIVE_OVERDUE_EVERY", 10.0))
        self.projector = insights.Projector(self.store)
        self.project_lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self._lock = threading.Lock()
        self._live: dict[str, set[LiveSubscriber]] = {}
        self._runs: dict[str, set[RunSubscriber]] = {}
        self._listeners: set[Callable[[list[RunEvent]], None]] = set()  # every new batch of events (builder/inbox.py)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._position: int | None = None
        self._run_keys: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._overdue_counts: dict[str, dict[tuple[int, str], int]] = {}
        self._overdue_at: dict[str, float] = {}
        self._refreshed: dict[str, float] = {}
        self._idle_since: float | None = None
        self._pruned = 0.0

    # -- subscribing

    def position(self) -> int:
        """The sequence number every subscriber has been given changes up to."""
        with self._lock:
            if self._position is None:
                self._position = self.projector.position()
            return self._position

    def subscribe_live(self, sub: LiveSubscriber) -> None:
        with self._lock:
            self._live.setdefault(sub.key, set()).add(sub)
            self._ensure_running()

    def subscribe_run(self, sub: RunSubscriber) -> int:
        """Register; returns the sequence number from which the hub will deliver."""
        with self._lock:
            self._ensure_running()
            if self._position is None:
                self._position = self.projector.position()
            sub.floor = self._position
            self._runs.setdefault(sub.run_id, set()).add(sub)
            return self._position

    def listen(self, listener: Callable[[list[RunEvent]], None]) -> None:
        """Call ``listener`` from the poller thread with each new batch of events (keep it quick)."""
        with self._lock:
            self._listeners.add(listener)
            self._ensure_running()

    def unlisten(self, listener: Callable[[list[RunEvent]], None]) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def unsubscribe(self, sub: LiveSubscriber | RunSubscriber) -> None:
        with self._lock:
            table: dict[str, set[Any]] = self._live if isinstance(sub, LiveSubscriber) else self._runs  # type: ignore[assignment]
            key = sub.key if isinstance(sub, LiveSubscriber) else sub.run_id
            subs = table.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del table[key]

    def _ensure_running(self) -> None:
        self._idle_since = None
        if self._thread is None or not self._thread.is_alive():
            # Start from where the log is now, not from where the last thread left it
            # (every client's first message is read after it registers, so later).
            self._position = self.projector.position()
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="overture-live", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    # -- polling

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                busy = self.tick()
            except Exception:  # the stream must outlive a failed read; the next tick retries
                log.exception("live: tick failed")
                busy = False
            with self._lock:
                if not self._live and not self._runs and not self._listeners:
                    self._idle_since = self._idle_since or started
                    if started - self._idle_since > _IDLE_EXIT:
                        self._thread = None
                        return
            if not busy:
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def catch_up(self) -> None:
        """Tick until the hub has given out everything the log holds (a new client then
        gets a history or snapshot that is up to date)."""
        for _ in range(20):
            if not self.tick():
                return

    def tick(self) -> bool:
        """One poll: project, read what changed, fan out. Returns whether it is behind."""
        with self._tick_lock:
            return self._tick()

    def _tick(self) -> bool:
        with self.project_lock:
            applied = self.projector.run_once()
            if time.monotonic() - self._pruned > _PRUNE_EVERY:
                self._pruned = time.monotonic()
                insights.prune(self.store, now=self.clock.now())
        start = self.position()
        with self.store.transaction(write=False) as tx:
            cursor = tx.get(InsightCursor, insights.CURSOR)
        end = min(cursor.position if cursor else 0, start + _CHUNK)
        with self._lock:
            watched = {key: {(s.version, s.window) for s in subs} for key, subs in self._live.items()}
        events = self.store.events_after(start, end - start) if end > start else []
        events = [e for e in events if e.id <= end]
        changed = insights.changed_elements(events, self.run_key) if watched else {}
        now_wall = time.monotonic()
        for key in watched:
            elements = changed.get(key, set())
            if now_wall - self._overdue_at.get(key, 0.0) > self.overdue_every or (
                elements is not None and insights.OVERDUE in elements
            ):
                self._refresh_overdue(key)
            if any(w != "all" for _v, w in watched[key]) and now_wall - self._refreshed.get(key, 0.0) > _WINDOW_EVERY:
                changed[key] = insights.ALL
                self._refreshed[key] = now_wall
        for key, elements in changed.items():
            if key in watched:
                self._fan_out(key, elements, watched[key], end if end > start else start)
        by_run: dict[str, list[RunEvent]] = {}
        for e in events:
            by_run.setdefault(e.run_id, []).append(e)
        with self._lock:
            # Under the lock with the position: a run subscriber joins before (and is
            # given these events) or after (and reads them in its history).
            for run_id, run_events in by_run.items():
                for sub in self._runs.get(run_id, ()):
                    sub.offer(run_events)
            listeners = list(self._listeners) if events else []
            self._position = max(self._position or 0, end)
        for listener in listeners:
            try:
                listener(events)
            except Exception:  # a listener's failure must not stop the figures and run streams
                log.exception("live: event listener failed")
        return applied.events >= self.projector.batch or end - start >= _CHUNK

    def run_key(self, run_id: str) -> tuple[str, int] | None:
        """(orchestration, version) of a run: fixed for its life, so cached."""
        info = self._run_keys.get(run_id)
        if info is None:
            with self.store.transaction(write=False) as tx:
                run = tx.get(Run, run_id)
            if run is None:
                return None
            info = self._run_keys[run_id] = (run.orchestration, run.version)
            while len(self._run_keys) > 50_000:
                self._run_keys.popitem(last=False)
        return info

    def _fan_out(self, key: str, elements: set[tuple[str, str]] | None, views: set[tuple[int | None, str]], seq: int) -> None:
        nodes = None if elements is None else sorted(e for k, e in elements if k == "node")
        edges = None if elements is None else sorted(e for k, e in elements if k == "edge")
        if nodes == [] and edges == []:
            return
        windows = {w for _v, w in views}
        now = self.clock.now()
        hours = tuple(sorted({h for w in windows for h in insights.window_hours(w, now)}))
        with self.store.transaction(write=False) as tx:
            rows = insights.read_rows(tx, key, hours, elements)
        overdue = self._overdue_counts.get(key, {})
        for version, window in views:
            hours_in = set(insights.window_hours(window, now))
            in_window = [r for r in rows if r.hour in hours_in]
            view = insights.figures(insights.windowed(in_window, window), overdue, version=version,
                                    nodes=nodes or (), edges=edges or ())
            if nodes is not None:
                view["nodes"] = {n: f for n, f in view["nodes"].items() if n in nodes}
            with self._lock:
                subs = [s for s in self._live.get(key, ()) if (s.version, s.window) == (version, window)]
            for sub in subs:
                sub.offer(seq, view["nodes"], view["edges"])

    def _refresh_overdue(self, key: str) -> None:
        """Count overdue work items again and offer the counts to the key's subscribers."""
        read_at = time.monotonic()
        with self.store.transaction(write=False) as tx:
            counts = insights.overdue_counts(tx, key, self.clock.now())
        self._overdue_counts[key] = counts
        self._overdue_at[key] = read_at
        with self._lock:
            subs = list(self._live.get(key, ()))
        for sub in subs:
            sub.offer_overdue(read_at, counts)


_HUB_LOCK = threading.Lock()


def hub() -> Hub:
    """This app's hub (created on first use)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("overture_live")
    if found is None:
        with _HUB_LOCK:
            found = app.extensions.get("overture_live")
            if found is None:
                found = app.extensions["overture_live"] = Hub(app)
    return found  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- figures for the API and snapshots


def elements_of(key: str, version: int | None) -> tuple[list[str], list[str]]:
    """Node and edge ids of a version (the active one when None), listed with zeros."""
    spec = state().engine.spec(key, version)
    return [n["id"] for n in spec.document["nodes"]], [e["id"] for e in spec.document["edges"]]


def snapshot(key: str, version: int | None, window: str) -> dict[str, Any]:
    """Figures of an orchestration right now (the projector catches up first)."""
    nodes, edges = elements_of(key, version)
    live = hub()
    with live.project_lock:
        live.projector.catch_up(max_passes=10)
    now = state().engine.clock.now()
    figures = insights.snapshot(state().store, key, now=now, version=version, window=window, nodes=nodes, edges=edges)
    return {"orchestration": key, "version": version, "window": window, "at": now.isoformat(), **figures}


def _due_nodes(key: str) -> set[str]:
    """Nodes that can have overdue work: steps with a due date and their stages."""
    found: set[str] = set()
    with state().store.transaction(write=False) as tx:
        numbers = [v.number for v in tx.find(Version, orchestration=key)]
    for number in numbers:
        for step in state().engine.spec(key, number).steps.values():
            if step.due is not None:
                found.update((step.id, step.stage))
    return found


def resume(key: str, version: int | None, window: str, after: int) -> dict[str, Any] | None:
    """What a client that has figures up to ``after`` missed, as a delta; None when a
    snapshot is needed (too far behind, a window that slides, or a reset database)."""
    if window != "all":
        return None
    store = state().store
    live = hub()
    with live.project_lock:
        live.projector.catch_up(max_passes=10)
    position = live.projector.position()
    if after > position or position - after > RESUME_LIMIT:
        return None
    events = [e for e in store.events_after(after, position - after) if e.id <= position]
    elements = insights.changed_elements(events, live.run_key).get(key, set())
    if elements is not None:
        elements |= {("node", n) for n in _due_nodes(key)}
    now = state().engine.clock.now()
    # Figures read now may also hold what happened after `position`: labelled with
    # `position`, so the deltas that follow repeat it rather than skip it.
    with store.transaction(write=False) as tx:
        rows = insights.read_rows(tx, key, (0,), elements)
        overdue = insights.overdue_counts(tx, key, now)
    nodes = None if elements is None else sorted(e for k, e in elements if k == "node")
    edges = None if elements is None else sorted(e for k, e in elements if k == "edge")
    view = insights.figures(rows, overdue, version=version, nodes=nodes or (), edges=edges or ())
    if nodes is not None:
        view["nodes"] = {n: f for n, f in view["nodes"].items() if n in nodes}
    return {"type": "delta", "seq": position, "resumed": True, **view}


# ---------------------------------------------------------------------- websocket routes


class LiveArgs(StrictSchema):
    orchestration = fields.String(required=True)
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))
    window = fields.String(load_default="all", validate=validate.OneOf(tuple(insights.WINDOWS)))
    after = fields.Integer(load_default=None, validate=validate.Range(min=0))


def query(schema: StrictSchema) -> dict[str, Any]:
    try:
        return schema.load(request.args.to_dict())  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ApiError(400, "bad_query", "the query string does not fit: see details", exc.messages) from None


def screen_principal() -> Principal:
    """The person opening a websocket; the handshake is refused (an HTTP error, not an
    upgraded socket) for another site's page, nobody signed in, or a bearer token."""
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        raise ApiError(403, "cross_origin", "websockets are only served to pages of this site")
    principal = current()
    if principal is None:
        raise ApiError(401, "unauthenticated", "sign in first (POST /api/session)")
    if not principal.is_user:
        raise ApiError(403, "forbidden", "API tokens may not open live streams; sign in as a person")
    return principal


@bp.before_request
def _authenticate() -> None:
    """Refuse the handshake itself (an HTTP error, not an upgraded socket)."""
    principal = screen_principal()
    if request.endpoint == "live.live_figures":
        if principal.role not in ("admin", "ops"):
            raise ApiError(403, "forbidden", f"live figures need the role ops or admin; you are {principal.role}")
        args = query(LiveArgs())
        try:
            elements_of(args["orchestration"], args["version"])
        except NotFound as exc:
            raise ApiError(404, "not_found", exc.message) from None
        request.environ["overture.live"] = args
    elif request.endpoint == "live.run_events":
        from builder.queries import may_see_run

        run_id = (request.view_args or {}).get("run_id", "")
        if not may_see_run(principal, run_id) or not _run_exists(run_id):
            raise ApiError(404, "not_found", f"run {run_id} does not exist")


def _run_exists(run_id: str) -> bool:
    with state().store.transaction(write=False) as tx:
        return tx.get(Run, run_id) is not None


def _send(ws: Any, message: dict[str, Any]) -> None:
    ws.send(json.dumps(message, separators=(",", ":")))


def _serve(ws: Any, ready: threading.Event, send_pending: Callable[[], bool], spacing: float) -> None:
    """Send what is pending, at most every ``spacing`` seconds, until the client leaves
    or its session ends."""
    last = 0.0
    recheck = float(current_app.config.get("SESSION_RECHECK", 30.0))
    checked = time.monotonic()
    while ws.connected:
        if time.monotonic() - checked >= recheck:
            if close_if_session_ended(ws):
                return
            checked = time.monotonic()
        if not ready.wait(timeout=min(1.0, recheck)):
            continue
        wait = last + spacing - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if send_pending():
            last = time.monotonic()


@sock.route("/ws/live", bp=bp)
def live_figures(ws: Any) -> None:
    args = request.environ["overture.live"]
    key, version, window, after = args["orchestration"], args["version"], args["window"], args["after"]
    live = hub()
    sub = LiveSubscriber(key, version, window)
    live.subscribe_live(sub)
    try:
        first = resume(key, version, window, after) if after is not None else None
        if first is None:
            first = {"type": "snapshot", **snapshot(key, version, window)}
        sub.start_at(first, time.monotonic())
        _send(ws, first)

        def send_pending() -> bool:
            delta = sub.take()
            if delta is not None:
                _send(ws, delta)
            return delta is not None

        _serve(ws, sub.ready, send_pending, float(current_app.config.get("LIVE_MIN_INTERVAL", 0.25)))
    except ConnectionClosed:
        pass
    finally:
        live.unsubscribe(sub)


@sock.route("/ws/runs/<run_id>", bp=bp)
def run_events(ws: Any, run_id: str) -> None:
    live = hub()
    live.catch_up()
    sub = RunSubscriber(run_id)
    upto = live.subscribe_run(sub)
    try:
        history = [e for e in state().engine.events(run_id) if e["seq"] <= upto]
        _send(ws, {"type": "history", "run_id": run_id, "seq": upto, "events": history})

        def send_pending() -> bool:
            events = sub.take()
            if events:
                _send(ws, {"type": "events", "run_id": run_id, "seq": events[-1]["seq"], "events": events})
            return bool(events)

        _serve(ws, sub.ready, send_pending, 0.0)  # a run's events come a few at a time: no coalescing
    except ConnectionClosed:
        pass
    finally:
        live.unsubscribe(sub)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
