"""The hub: one poller thread per app and process (ARCHITECTURE §5, protocol in builder/LIVE.md).

It polls the event log by sequence every ``LIVE_POLL_INTERVAL`` (25 ms): it runs the
insight :class:`~runtime.insights.Projector` (the cursor's lock makes one process apply
each batch), reads the figures of the nodes and edges the new events touched — one read
per watched orchestration, not per client — and offers them to each watched view
(``builder/live/subscribers.py``: an orchestration, version and window). A view makes a
frame, one delta encoded once, as soon as a change finds it quiet and then at most
every ``LIVE_MIN_INTERVAL`` (50 ms), and the hub hands it to every client of the view:
the poller also polls when a view's frame falls due between two polls. Events written
by other processes reach the stream the same way as this one's. Other readers of the
event log ride on it too: :meth:`Hub.listen` (``builder/inbox.py``).

We poll rather than LISTEN/NOTIFY: a probe of the newest sequence number is one
index lookup (well under a millisecond on SQLite and PostgreSQL), 40 a second per
process, it works the same on SQLite, and it needs no trigger on the event insert;
bench/live_latency.py measures the result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from builder.extensions import real_app
from builder.live.subscribers import DEFAULT_INTERVAL, LiveSubscriber, LiveView, RunSubscriber
from runtime import insights
from runtime.model import RunEvent

log = logging.getLogger(__name__)

_CHUNK = 2_000
_WINDOW_EVERY = 60.0  # seconds between full refreshes of windowed streams (buckets slide)
_IDLE_EXIT = 5.0  # the poller stops this long after its last subscriber left
_PRUNE_EVERY = 3600.0  # hourly figures older than a week (and a day) are deleted this often


class Hub:
    """One per app and process: polls the log, projects, fans out to subscribers."""

    def __init__(self, app: Flask):
        overture = app.extensions["overture"]
        self.store = overture.store
        self.engine = overture.engine
        self.clock = overture.engine.clock
        self.interval = float(app.config.get("LIVE_POLL_INTERVAL", 0.025))
        self.min_interval = float(app.config.get("LIVE_MIN_INTERVAL", DEFAULT_INTERVAL))
        self.overdue_every = float(app.config.get("LIVE_OVERDUE_EVERY", 10.0))
        self.projector = insights.Projector(self.store)
        self.project_lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self._lock = threading.Lock()
        self._live: dict[str, set[LiveSubscriber]] = {}
        self._views: dict[tuple[str, int | None, str], LiveView] = {}
        self._runs: dict[str, set[RunSubscriber]] = {}
        self._listeners: set[Callable[[list[RunEvent]], None]] = set()  # every new batch of events (builder/inbox.py)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._position: int | None = None
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
            view = self._views.get(sub.view)
            if view is None:
                view = self._views[sub.view] = LiveView(self.min_interval)
            view.subscribers.add(sub)
            self._ensure_running()

    def view(self, key: str, version: int | None, window: str) -> LiveView | None:
        """The view clients of (orchestration, version, window) share, while any watch it."""
        with self._lock:
            return self._views.get((key, version, window))

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
            table: dict[str, set[Any]] = self._live if isinstance(sub, LiveSubscriber) else self._runs
            key = sub.key if isinstance(sub, LiveSubscriber) else sub.run_id
            subs = table.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del table[key]
            view_key = sub.view if isinstance(sub, LiveSubscriber) else None
            view = self._views.get(view_key) if view_key is not None else None
            if view is not None and view_key is not None:
                view.subscribers.discard(sub)
                if not view.subscribers:
                    del self._views[view_key]

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
        next_poll = time.monotonic()
        next_frame: float | None = None
        while not self._stop.is_set():
            started = time.monotonic()
            # A frame that falls due polls first: it then carries every change committed
            # until it goes, not only those the last poll found (up to 25 ms older).
            if started >= next_poll or (next_frame is not None and started >= next_frame):
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
                next_poll = started if busy else started + self.interval
            try:
                next_frame = self.emit()
            except Exception:  # as a failed tick: the next one retries
                log.exception("live: sending frames failed")
                next_frame = None
            wake = next_poll if next_frame is None else min(next_poll, next_frame)
            self._stop.wait(max(0.0, wake - time.monotonic()))

    def project(self) -> None:
        """Apply what the log holds now, so a reader that follows counts everything
        committed up to now (a snapshot, a resume, the metrics)."""
        with self.project_lock:
            self.projector.catch_up(max_passes=10)

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
        end = min(applied.position, start + _CHUNK)  # the cursor as the pass left or found it
        with self._lock:
            watched = {key: {(s.version, s.window) for s in subs} for key, subs in self._live.items()}
        if end <= start:
            events = []
        elif applied.taken is not None and applied.start == start:
            events = [e for e in applied.taken if e.id <= end]  # this pass read them: no second read
        else:  # another process projected them
            events = [e for e in self.store.events_after(start, end - start) if e.id <= end]
        unknown = {e.run_id for e in events if self.projector.known_run(e.run_id) is None}
        if unknown and watched:  # their orchestrations in one read (another process counted them)
            with self.store.transaction(write=False) as tx:
                self.projector.load_runs(tx, unknown)
        changed = changed_elements(events, self.run_key) if watched else {}
        now_wall = time.monotonic()
        for key in watched:
            elements = changed.get(key, set())
            if now_wall - self._overdue_at.get(key, 0.0) > self.overdue_every or (elements is not None and insights.OVERDUE in elements):
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
        self._emit()
        return applied.events >= self.projector.batch or end - start >= _CHUNK

    def emit(self) -> float | None:
        """Hand every view's frame that is due to its clients; returns when the next
        one falls due (monotonic time), None when no view has anything waiting."""
        with self._tick_lock:
            return self._emit()

    def _emit(self) -> float | None:
        with self._lock:
            views = list(self._views.values())
        now = time.monotonic()
        next_due: float | None = None
        for view in views:
            due = view.due_at()
            if due is None:
                continue
            if due > now:
                next_due = due if next_due is None else min(next_due, due)
                continue
            frame = view.take()
            if frame is None:
                continue
            with self._lock:
                subs = list(view.subscribers)
            for sub in subs:
                sub.offer_frame(frame)
        return next_due

    def run_key(self, run_id: str) -> tuple[str, int] | None:
        """(orchestration, version) of a run, cached (with the projector's cache, which has
        the runs it just counted). Only the orchestration is read from it here: a run keeps
        its orchestration for life, while a migration may change its version."""
        info = self.projector.known_run(run_id)
        if info is None:
            with self.store.transaction(write=False) as tx:
                info = self.projector.run_info(tx, run_id)
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
            view = insights.figures(insights.windowed(in_window, window), overdue, version=version, nodes=nodes or (), edges=edges or ())
            if nodes is not None:
                view["nodes"] = {n: f for n, f in view["nodes"].items() if n in nodes}
            with self._lock:
                watching = self._views.get((key, version, window))
            if watching is not None:
                watching.offer(seq, view["nodes"], view["edges"])

    def _refresh_overdue(self, key: str) -> None:
        """Count overdue work items again and offer the counts to the key's subscribers."""
        read_at = time.monotonic()
        with self.store.transaction(write=False) as tx:
            counts = insights.overdue_counts(tx, key, self.clock.now())
        if counts == self._overdue_counts.get(key):
            counts = self._overdue_counts[key]  # the same object: a client that had it skips it at once
        self._overdue_counts[key] = counts
        self._overdue_at[key] = read_at
        with self._lock:
            subs = list(self._live.get(key, ()))
        for sub in subs:
            sub.offer_overdue(read_at, counts)


def changed_elements(events: list[RunEvent], run_key: Callable[[str], tuple[str, int] | None]) -> dict[str, set[tuple[str, str]] | None]:
    """:func:`runtime.insights.changed_elements`, and every element of an orchestration one
    of whose runs moved to another version (``run.migrated``): its counts left nodes of the
    old version and joined nodes of the new one, which one event's node does not say."""
    changed = insights.changed_elements(events, run_key)
    for e in events:
        if e.type == "run.migrated" and (info := run_key(e.run_id)) is not None:
            changed[info[0]] = insights.ALL
    return changed


_HUB_LOCK = threading.Lock()


def hub() -> Hub:
    """This app's hub (created on first use)."""
    app = real_app()
    found: Hub | None = app.extensions.get("overture_live")
    if found is None:
        with _HUB_LOCK:
            found = app.extensions.get("overture_live")
            if found is None:
                found = app.extensions["overture_live"] = Hub(app)
    return found
