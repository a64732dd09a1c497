"""Live insights: per node and per edge figures of an orchestration, from the event log.

The engine writes nothing for insights but a ``duration`` on ``stage.completed`` and
``step.completed`` events, so the write path stays as fast as it was. A
:class:`Projector` applies new events, in sequence order, to aggregate rows
(:class:`~runtime.model.InsightFigure`): figures are read from those rows, never by
rescanning history, so a snapshot costs the same with millions of step runs.

Figures, per orchestration, version and node:

- ``active``, ``waiting`` — stage visits and step runs in progress / waiting now;
- ``error`` — runs in error now at this node (a stage also counts the runs whose
  failure left it in error);
- ``completed``, ``failed`` — how many completed / failed (a decision counts each
  time it is taken, an end each time it is reached);
- ``p50``, ``p95`` — time spent (seconds) from start to completion, from a fixed
  log-scale histogram (8 bins per doubling from 1 ms: within ~4.5 %, clamped to the
  smallest and largest value seen);
- ``overdue`` — open work items past due, counted from the work items at read time
  (time passing makes items overdue without any event);

and per edge ``taken``, the number of times it was taken.

**Windows.** Counters and histograms are kept per hour (``InsightFigure.hour``: hours
since the epoch, by ``event.at``) and all-time (hour 0, which also holds the gauges).
``window=hour|day|week`` adds the buckets of the hours that overlap the last
1/24/168 hours, so it covers up to one hour more than its name; gauges and overdue
are always "now". Hourly rows older than eight days are deleted by :func:`prune`
(the web app's live hub calls it hourly); all-time rows stay.

**Exactly once.** One cursor row (:class:`~runtime.model.InsightCursor`) says every
event with ``id <= position`` is counted. A projector reads the events after the
position, then, in one write transaction, takes the cursor — ``BEGIN IMMEDIATE`` on
SQLite, the row lock of ``UPDATE insight_cursors ... WHERE position = <read>`` on
PostgreSQL — applies the batch and moves the position. A second projector (another
thread or process) blocks on the same lock, then finds the position moved and
gives up its batch: every event is applied once, whatever the number of servers.

**PostgreSQL sequence order is not commit order.** Transaction A may take event id
10, B id 11, and B commit first; a reader of ``id > 9`` sees 11 but not 10. So the
cursor only moves over a contiguous run of ids: at a hole it stops, and waits for
the hole to fill. A hole that stays open longer than ``horizon`` (2 s) is passed
over and written down in ``InsightCursor.skipped``; for ``recheck`` (10 min),
once a second, those ids are looked up again and any that appeared late are
applied. We chose this over "only read events older than a commit horizon" because
it costs no latency in the normal case: the engine inserts a transaction's events
just before its commit, so holes close within milliseconds; only an id that is
never committed (a rolled-back commit) costs the horizon once. A late event's
counts (completed, taken, durations) add up in any order; the one thing order
changes is where a run is, so a late event does not reopen a node when a later
event of its run has been counted already (the run has moved on). SQLite has no
such holes (one writer; rolled-back ids are reused); the same code runs there and
never waits.

**Migrated runs.** A run may move to another version (issue 16): the engine changes
``runs.version`` and appends ``run.migrated`` (``from``, ``to``, ``mapping``,
``positions``: old node -> new node for every node the run had open) in one
transaction. Applying it moves each position the run holds to version ``to``, onto the
node it maps to (all close before any opens: a mapping may swap ids), and every later
event of the run counts under ``to``; what was counted before stays where it happened.
So a run's version is "as of the cursor", not its row's: a run read ahead of the
cursor (a projector behind, or just started) is at the ``from`` of its first migration
not counted yet, a late event is at the ``from`` of the first migration counted after
it. Each projector caches the versions of the runs it counted; one that moved a run
names it in a second cursor row (``MIGRATED``: a generation and the last few hundred
runs moved, each with the generation that moved it), which every pass reads under the
lock with the cursor: a projector in another process drops the runs moved since it
last looked (all of its cache when it missed more than the row names) before it
counts anything.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from runtime.clock import Clock, SystemClock
from runtime.model import InsightCursor, InsightFigure, InsightPosition, Run, RunEvent
from runtime.store.base import Store, Transaction

CURSOR = "figures"
WINDOWS = {"hour": 1, "day": 24, "week": 168, "all": None}
ERROR_SLOT = "!error"  # node ids are identifiers: this slot never clashes with one
_GAUGE = {"waiting": "waiting", "in_progress": "active", "error": "error"}
_RUN_CACHE = 50_000
#: The event types the projector counts (work items, actions, timers...: nothing; overdue is read live).
_PROJECTED = ("stage.", "step.", "run.", "decision.", "end.", "edge.")
_MAX_SKIPPED = 1000
#: The cursor row that names the runs passes moved to another version (``run.migrated``),
#: so that a projector in another process drops what it cached of them.
MIGRATED = "migrated"
_MAX_MIGRATED = 500  # runs named there at most; a projector further behind forgets every run
_FLOOR = "!floor"  # in MIGRATED's map: the newest generation dropped from it (run ids never start with "!")

# The histogram: bin 0 holds durations up to 1 ms; bin b >= 1 holds
# [1 ms * 2^((b-1)/8), 1 ms * 2^(b/8)).
_BASE = 0.001
_PER_DOUBLING = 8
_MAX_BIN = 8 * 45  # 1 ms * 2^45 is over a thousand years


def bin_of(seconds: float) -> int:
    if seconds <= _BASE:
        return 0
    return min(_MAX_BIN, 1 + int(math.log2(seconds / _BASE) * _PER_DOUBLING))


def _bin_bounds(b: int) -> tuple[float, float]:
    if b == 0:
        return 0.0, _BASE
    return _BASE * 2 ** ((b - 1) / _PER_DOUBLING), _BASE * 2 ** (b / _PER_DOUBLING)


def quantile(histogram: Mapping[str, int], q: float, low: float | None = None, high: float | None = None) -> float | None:
    """The ``q`` quantile of a histogram (interpolated within its bin, clamped to [low, high])."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0
    value = None
    for b in sorted(histogram, key=int):
        count = histogram[b]
        if count and seen + count >= rank:
            lo, hi = _bin_bounds(int(b))
            fraction = (rank - seen) / count
            value = lo + (hi - lo) * fraction if lo == 0 else lo * (hi / lo) ** fraction
            break
        seen += count
    if value is None:
        value = _bin_bounds(int(max(histogram, key=int)))[1]
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return round(value, 3)


def hour_of(moment: datetime) -> int:
    return int(moment.timestamp() // 3600)


def window_hours(window: str, now: datetime) -> tuple[int, ...]:
    """The figure rows a window reads: hour 0 (gauges, all-time) and the hourly buckets."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of: {', '.join(WINDOWS)}")
    span = WINDOWS[window]
    if span is None:
        return (0,)
    last = hour_of(now)
    first = hour_of(now - timedelta(hours=span))
    return (0, *range(first, last + 1))


def _figure_id(key: str, version: int, kind: str, element: str, hour: int) -> str:
    return f"{key}:{version}:{kind}:{element}:{hour}"


# ---------------------------------------------------------------------- the projector


@dataclass
class Applied:
    """What one projector pass did: events applied, and the cursor position after it."""

    events: int
    position: int
    #: The pass moved the cursor from ``start`` to ``position`` over ``taken``: every event
    #: in between (None when it moved nothing). The live hub fans them out without reading them again.
    start: int = 0
    taken: tuple[RunEvent, ...] | None = None


class Projector:
    """Applies new events to the figure rows, exactly once across processes.

    Args:
        store: the store the engine writes to.
        clock: wall time to age holes in the sequence by (``SystemClock`` by default;
            not the engine's clock, which tests may hold still).
        horizon: how long a hole may stay open before the cursor passes it.
        recheck: how long passed-over holes are looked up again.
        batch: events applied per transaction at most.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        horizon: timedelta = timedelta(seconds=2),
        recheck: timedelta = timedelta(minutes=10),
        batch: int = 1000,
    ):
        self.store = store
        self.clock = clock or SystemClock()
        self.horizon = horizon
        self.recheck = recheck
        self.batch = batch
        self._holes: dict[int, datetime] = {}  # id -> when this projector first saw it missing
        self._rechecked: datetime | None = None
        #: (orchestration, version) of runs as counted up to the cursor: what the passes use.
        self._runs: OrderedDict[str, tuple[str, int]] = OrderedDict()
        #: Runs read outside a pass (the live hub's): their orchestration, and version when read.
        self._seen: OrderedDict[str, tuple[str, int]] = OrderedDict()
        #: The generation of the MIGRATED row ``_runs`` agrees with (None: not read yet).
        self._synced: int | None = None

    def position(self) -> int:
        with self.store.transaction(write=False) as tx:
            row = tx.get(InsightCursor, CURSOR)
            return row.position if row else 0

    def catch_up(self, *, max_passes: int = 20) -> int:
        """Apply passes until nothing is left (or ``max_passes``); returns events applied."""
        total = 0
        for _ in range(max_passes):
            applied = self.run_once()
            total += applied.events
            if applied.events < self.batch:
                break
        return total

    def run_once(self) -> Applied:
        """One pass: read what is new, then apply it under the cursor's lock."""
        with self.store.transaction(write=False) as tx:
            seen = tx.get(InsightCursor, CURSOR)
            late = self._late_events(tx, seen) if seen is not None and seen.skipped else []
        start = seen.position if seen is not None else 0
        events = self.store.events_after(start, self.batch)
        if not events and not late:
            return Applied(0, start)
        now = self.clock.now()
        take, end, passed = self._contiguous(start, events, now)
        if not take and not late and not passed:
            return Applied(0, start)
        with self.store.transaction() as tx:
            # Figures and cursor commit together: a crash that loses the commit loses
            # both, and the pass is made again. So the commit need not wait for the disk
            # (on a busy PostgreSQL that wait was the pass's longest round trip).
            tx.commit_lazily()
            cursor = tx.get(InsightCursor, CURSOR)
            if cursor is None:
                cursor = InsightCursor(CURSOR, 0, {}, now)
                tx.insert(cursor)
                marker = tx.get(InsightCursor, MIGRATED)
            elif cursor.position != start or not tx.update(cursor, expect={"position": start}):
                return Applied(0, cursor.position)  # another projector took this batch
            else:
                # Read again under the lock: `skipped` may have moved, and so may the runs
                # other projectors moved to another version (one read for both).
                rows = {row.id: row for row in tx.find(InsightCursor, id=(CURSOR, MIGRATED))}
                cursor, marker = rows[CURSOR], rows.get(MIGRATED)
            if cursor.position != start:
                return Applied(0, cursor.position)
            self._sync(marker)
            skipped = dict(cursor.skipped)
            late = [e for e in late if str(e.id) in skipped]
            for e in late:
                del skipped[str(e.id)]
            # A transaction holds a few hundred ids at most: of a wider hole (a log
            # that was truncated, say) only the newest ids are worth looking for again.
            for hole in passed[-_MAX_SKIPPED:]:
                skipped[str(hole)] = now.isoformat()
            oldest = now - self.recheck
            kept = sorted((int(k) for k, v in skipped.items() if datetime.fromisoformat(v) > oldest))[-_MAX_SKIPPED:]
            skipped = {str(k): skipped[str(k)] for k in kept}
            batch = _Batch(tx, self, start)
            batch.load(late + take)
            for event in late:
                # Counted in any order; but it may not reopen a node that a later event
                # of its run, counted already, has moved on from.
                batch.stale = any(later.id <= start for later in tx.events(event.run_id, event.id, 1))
                batch.apply(event, late=True)
            batch.stale = False
            for event in take:
                batch.apply(event)
            batch.write()
            generation = batch.write_migrations(marker, now)
            cursor.position, cursor.skipped, cursor.updated_at = end, skipped, now
            tx.update(cursor)
        # Committed: what the pass learnt of its runs holds from now on.
        for run_id, info in batch.runs.items():
            self._remember(run_id, info)
        if generation is not None:
            self._synced = generation
        for hole in [h for h in self._holes if h <= end]:
            del self._holes[hole]
        return Applied(len(take) + len(late), end, start, tuple(take))

    def _contiguous(self, start: int, events: list[RunEvent], now: datetime) -> tuple[list[RunEvent], int, list[int]]:
        """The events to apply now, the position after them, and the holes passed over."""
        expected = start + 1
        take: list[RunEvent] = []
        passed: list[int] = []
        for event in events:
            if event.id > expected:
                missing = range(expected, event.id)
                first = min(self._holes.setdefault(i, now) for i in missing)
                if now - first < self.horizon:
                    break  # most likely a transaction that has not committed yet
                passed.extend(missing)
            take.append(event)
            expected = event.id + 1
        return take, expected - 1, passed

    def _late_events(self, tx: Transaction, cursor: InsightCursor) -> list[RunEvent]:
        """Passed-over ids that have turned up since (looked up at most once a second)."""
        now = self.clock.now()
        if self._rechecked is not None and now - self._rechecked < timedelta(seconds=1):
            return []
        self._rechecked = now
        ids = sorted(int(k) for k in cursor.skipped)[:500]
        return sorted(tx.find(RunEvent, id=tuple(ids)), key=lambda e: e.id)

    def _sync(self, marker: InsightCursor | None) -> None:
        """Forget the runs other projectors moved to another version since this one
        last looked (``marker``: the MIGRATED row, read under the cursor's lock)."""
        generation = marker.position if marker is not None else 0
        if generation == self._synced:
            return
        named = dict(marker.skipped) if marker is not None else {}
        floor = int(named.pop(_FLOOR, 0))
        if self._synced is None or self._synced < floor:
            self._runs.clear()  # more moved than the row names: read every run again
        else:
            for run_id, moved_at in named.items():
                if int(moved_at) > self._synced:
                    self._runs.pop(run_id, None)
        self._synced = generation

    def counted_runs(self, tx: Transaction, run_ids: set[str], events: list[RunEvent], start: int) -> dict[str, tuple[str, int]]:
        """(orchestration, version) of these runs as of the cursor ``start``, in one read
        (pipelined on PostgreSQL) for those not known yet. A run's row says its version
        now: a migration after ``start`` (its ``run.migrated`` not counted yet) means
        the events up to it belong to the version it came ``from``; a run whose
        ``run.started`` is among ``events`` is at the version it says."""
        found = {r: info for r in run_ids if (info := self._runs.get(r)) is not None}
        missing = tuple(run_ids - found.keys())
        if not missing:
            return found
        started = {e.run_id: e.data.get("version") for e in events if e.type == "run.started" and e.id > start}
        older = tuple(r for r in missing if type(started.get(r)) is not int)
        reads: list[tuple[type, Any]] = [(Run, {"id": missing})]
        if older:
            reads.append((RunEvent, {"run_id": older, "type": "run.migrated"}))
        runs, *moves = tx.read_several(reads)
        first_move: dict[str, RunEvent] = {}
        for move in sorted(moves[0] if moves else [], key=lambda m: m.id):
            if move.id > start:
                first_move.setdefault(move.run_id, move)
        for run in runs:
            version = started.get(run.id)
            if type(version) is not int:
                move = first_move.get(run.id)
                before = move.data.get("from") if move is not None else None
                version = before if type(before) is int else run.version
            found[run.id] = (run.orchestration, version)
        return found

    def run_info(self, tx: Transaction, run_id: str) -> tuple[str, int] | None:
        """(orchestration, version) of a run, cached. Its orchestration is fixed for its
        life; its version is as the projector counted it (a run read outside a pass:
        as read), so a reader outside a pass may trust the orchestration only."""
        info = self.known_run(run_id)
        if info is None:
            run = tx.get(Run, run_id)
            if run is None:
                return None
            info = self._saw(run)
        return info

    def load_runs(self, tx: Transaction, run_ids: Iterable[str]) -> None:
        """Cache the orchestration of these runs, in one read for those not cached yet
        (the live hub's, for the events another process counted)."""
        missing = tuple({r for r in run_ids if r not in self._runs and r not in self._seen})
        if missing:
            for run in tx.find(Run, id=missing):
                self._saw(run)

    def known_run(self, run_id: str) -> tuple[str, int] | None:
        """The cached (orchestration, version) of a run, without reading (see :meth:`run_info`)."""
        return self._runs.get(run_id) or self._seen.get(run_id)

    def _saw(self, run: Run) -> tuple[str, int]:
        info = self._seen[run.id] = (run.orchestration, run.version)
        while len(self._seen) > _RUN_CACHE:
            self._seen.popitem(last=False)
        return info

    def _remember(self, run_id: str, info: tuple[str, int]) -> None:
        self._runs[run_id] = info
        self._runs.move_to_end(run_id)
        self._seen.pop(run_id, None)
        while len(self._runs) > _RUN_CACHE:
            self._runs.popitem(last=False)


class _Batch:
    """The rows one projector pass reads and changes, written once at the end."""

    def __init__(self, tx: Transaction, projector: Projector, start: int):
        self.tx = tx
        self.projector = projector
        self.start = start  # the cursor before the pass: late events are older
        #: (orchestration, version) of the pass's runs, as of the event being applied.
        self.runs: dict[str, tuple[str, int]] = {}
        #: Runs the pass moved to another version, and the event that did.
        self.migrated: dict[str, int] = {}
        self.absent_runs: set[str] = set()  # looked for up front and not there (purged)
        self.figures: dict[str, InsightFigure] = {}
        self.new_figures: set[str] = set()
        self.positions: dict[str, InsightPosition | None] = {}
        self.by_run: dict[str, set[str]] = {}  # run -> ids of its entries in `positions`
        self.stored_positions: set[str] = set()
        self.loaded_runs: set[str] = set()  # runs whose every position is in `positions`
        self.absent_figures: set[str] = set()  # figure rows looked for up front and not there
        self.touched: set[str] = set()  # figure rows changed (or made): the ones written
        #: Applying a late event that later events of its run have overtaken.
        self.stale = False

    # -- rows

    def figure(self, key: str, version: int, kind: str, element: str, hour: int) -> InsightFigure:
        fid = _figure_id(key, version, kind, element, hour)
        self.touched.add(fid)
        row = self.figures.get(fid)
        if row is None:
            row = None if fid in self.absent_figures else self.tx.get(InsightFigure, fid)
            if row is None:
                row = InsightFigure(fid, key, version, kind, element, hour)
                self.new_figures.add(fid)
            self.figures[fid] = row
        return row

    def load(self, events: list[RunEvent]) -> None:
        """Read up front, in three queries, what applying ``events`` reads row by row
        otherwise: their runs, the positions those runs hold, and the figure rows they
        can change (a few more than they do: a row read and left as it was is not written)."""
        run_ids = {e.run_id for e in events if e.type.startswith(_PROJECTED)}
        if not run_ids:
            return
        self.runs.update(self.projector.counted_runs(self.tx, run_ids, events, self.start))
        self.absent_runs |= run_ids - self.runs.keys()
        for row in self.tx.find(InsightPosition, run_id=tuple(run_ids)):
            self.hold(row.id, row)
            self.stored_positions.add(row.id)
        self.loaded_runs |= run_ids
        wanted = {_figure_id(p.orchestration, p.version, "node", p.node, 0) for p in self.positions.values() if p is not None}
        versions = dict(self.runs)  # as the events will move them
        for e in events:
            info = versions.get(e.run_id)
            if e.type == "run.migrated" and info is not None and type(e.data.get("to")) is int:
                info = versions[e.run_id] = (info[0], e.data["to"])
                targets = e.data.get("positions")
                if isinstance(targets, dict):
                    wanted.update(_figure_id(*info, "node", n, 0) for n in targets.values() if isinstance(n, str))
                continue
            edge = e.data.get("edge") if e.type == "edge.taken" else None
            if isinstance(edge, str):
                kind, element = "edge", edge
            elif e.node:
                kind, element = "node", e.node
            else:
                continue
            if info is None:
                continue
            wanted.update(_figure_id(*info, kind, element, hour) for hour in (0, hour_of(e.at)))
        wanted -= set(self.figures)
        if wanted:
            found = self.tx.find(InsightFigure, id=tuple(wanted))
            self.figures.update((row.id, row) for row in found)
            self.absent_figures |= wanted - {row.id for row in found}

    def position(self, pid: str) -> InsightPosition | None:
        if pid not in self.positions and pid.rsplit(":", 1)[0] in self.loaded_runs:
            return None  # loaded with its run: it has none
        if pid not in self.positions:
            row = self.tx.get(InsightPosition, pid)
            if row is not None:
                self.stored_positions.add(pid)
            self.hold(pid, row)
        return self.positions[pid]

    def hold(self, pid: str, row: InsightPosition | None) -> None:
        self.positions[pid] = row
        self.by_run.setdefault(pid.rsplit(":", 1)[0], set()).add(pid)

    def run_positions(self, run_id: str) -> list[InsightPosition]:
        if run_id not in self.loaded_runs:
            for row in self.tx.find(InsightPosition, run_id=run_id):
                if row.id not in self.positions:
                    self.hold(row.id, row)
                    self.stored_positions.add(row.id)
            self.loaded_runs.add(run_id)
        return [p for pid in sorted(self.by_run.get(run_id, ())) if (p := self.positions[pid]) is not None]

    def write(self) -> None:
        self.tx.insert_many([self.figures[f] for f in self.new_figures])
        for fid in self.touched - self.new_figures:
            self.tx.update(self.figures[fid])
        new, closed = [], []
        for pid, pos in self.positions.items():
            stored = pid in self.stored_positions
            if pos is None:
                if stored:
                    closed.append(pid)
            elif stored:
                self.tx.update(pos)
            else:
                new.append(pos)
        if closed:  # one statement (a delete each was a round trip each on PostgreSQL)
            self.tx.delete_all(InsightPosition, id=tuple(closed))
        self.tx.insert_many(new)

    # -- changes

    def move(self, run_id: str, key: str, version: int, slot: str, node: str | None, status: str | None) -> None:
        """Put the run's ``slot`` (a node, or the error slot) in ``status`` (None: closed)."""
        if self.stale and status is not None:
            return
        pid = f"{run_id}:{slot}"
        old = self.position(pid)
        if old is not None and (old.status, old.node, old.version) == (status, node, version):
            return
        if old is not None:
            self.gauge(old, -1)
        if status is None or node is None:
            self.hold(pid, None)
            return
        new = InsightPosition(pid, run_id, key, version, node, status)
        self.hold(pid, new)
        self.gauge(new, +1)

    def gauge(self, pos: InsightPosition, delta: int) -> None:
        row = self.figure(pos.orchestration, pos.version, "node", pos.node, 0)
        name = _GAUGE[pos.status]
        setattr(row, name, getattr(row, name) + delta)

    def count(self, key: str, version: int, kind: str, element: str, at: datetime, name: str, duration: Any = None) -> None:
        for hour in (0, hour_of(at)):
            row = self.figure(key, version, kind, element, hour)
            setattr(row, name, getattr(row, name) + 1)
            if isinstance(duration, (int, float)) and duration >= 0:
                seconds = float(duration)
                b = str(bin_of(seconds))
                row.durations = {**row.durations, b: row.durations.get(b, 0) + 1}
                row.duration_count += 1
                row.duration_sum += seconds
                row.duration_min = seconds if row.duration_min is None else min(row.duration_min, seconds)
                row.duration_max = seconds if row.duration_max is None else max(row.duration_max, seconds)

    def run_info(self, run_id: str) -> tuple[str, int] | None:
        info = self.runs.get(run_id)
        if info is None and run_id not in self.absent_runs:  # not loaded up front (every projected event's run is)
            info = self.projector.counted_runs(self.tx, {run_id}, [], self.start).get(run_id)
            if info is not None:
                self.runs[run_id] = info
        return info

    def apply(self, e: RunEvent, *, late: bool = False) -> None:
        t = e.type
        if t.startswith(_PROJECTED):
            info = self.run_info(e.run_id)
        else:
            return  # work items, actions, timers...: nothing here (overdue is read live)
        if info is None:
            return
        key, version = info
        later = self.later_migrations(e) if late else []
        if later:  # counted after moves that were counted already: it belongs to the version they left
            before = later[0].data.get("from")
            version = before if type(before) is int else version
        if t == "run.migrated":
            if not later:
                self.migrate(e, key)
            return
        kind, _, what = t.partition(".")
        node = e.node
        if kind in ("stage", "step") and node is not None:
            if what == "waiting":
                self.move(e.run_id, key, version, node, node, "waiting")
            elif what == "started":
                self.move(e.run_id, key, version, node, node, "in_progress")
            elif what == "completed":
                self.move(e.run_id, key, version, node, node, None)
                self.count(key, version, "node", node, e.at, "completed", e.data.get("duration"))
            elif what == "discontinued":
                self.move(e.run_id, key, version, node, node, None)
            elif what == "error":
                self.count(key, version, "node", node, e.at, "failed")
                # A stage on its fault path is left; otherwise it holds the run in error.
                stuck = kind == "stage" and not e.data.get("fault_path")
                self.move(e.run_id, key, version, node, node, "error" if stuck else None)
        elif t in ("decision.taken", "end.reached") and node is not None:
            self.count(key, version, "node", node, e.at, "completed")
        elif t == "edge.taken" and isinstance(e.data.get("edge"), str):
            self.count(key, version, "edge", e.data["edge"], e.at, "taken")
        elif t == "run.error":
            self.move(e.run_id, key, version, ERROR_SLOT, node, "error")
        elif t == "run.retried":
            self.move(e.run_id, key, version, ERROR_SLOT, None, None)
            for pos in self.run_positions(e.run_id):
                if pos.status == "error" and not pos.id.endswith(ERROR_SLOT):
                    self.move(e.run_id, key, version, pos.id.rsplit(":", 1)[1], pos.node, "in_progress")
        elif t in ("run.cancelled", "run.completed"):
            self.move(e.run_id, key, version, ERROR_SLOT, None, None)

    def later_migrations(self, e: RunEvent) -> list[RunEvent]:
        """The ``run.migrated`` events of ``e``'s run counted already although later
        than ``e`` (a late event), oldest first."""
        moves = self.tx.find(RunEvent, run_id=e.run_id, type="run.migrated")
        return sorted((m for m in moves if e.id < m.id <= self.start), key=lambda m: m.id)

    def migrate(self, e: RunEvent, key: str) -> None:
        """``run.migrated``: the run is at version ``to`` from now on, and every position
        it holds moves there, onto the node it maps to (``positions``, then ``mapping``;
        an id in neither stays; one that maps to None is gone: its position closes). All
        close before any opens: a mapping may swap ids."""
        target = e.data.get("to")
        if type(target) is not int:
            return
        renamed: dict[str, str | None] = {}
        for table in (e.data.get("mapping"), e.data.get("positions")):
            if isinstance(table, dict):
                renamed.update((old, new) for old, new in table.items() if isinstance(old, str) and (new is None or isinstance(new, str)))
        stale, self.stale = self.stale, False  # where the run is now, whatever was counted after it
        held = [(p.id.rsplit(":", 1)[1], p) for p in self.run_positions(e.run_id)]
        for slot, pos in held:
            self.move(e.run_id, key, pos.version, slot, None, None)
        for slot, pos in held:
            node = renamed.get(pos.node, pos.node)
            if node is not None:
                self.move(e.run_id, key, target, slot if slot == ERROR_SLOT else node, node, pos.status)
        self.stale = stale
        self.runs[e.run_id] = (key, target)
        self.migrated[e.run_id] = e.id

    def write_migrations(self, marker: InsightCursor | None, now: datetime) -> int | None:
        """Name the runs this pass moved to another version in the MIGRATED row, for
        projectors in other processes; returns its new generation (None: none moved)."""
        if not self.migrated:
            return None
        generation = (marker.position if marker is not None else 0) + 1
        named = dict(marker.skipped) if marker is not None else {}
        floor = int(named.pop(_FLOOR, 0))
        named.update((run_id, str(generation)) for run_id in self.migrated)
        if len(named) > _MAX_MIGRATED:
            oldest = sorted(named.items(), key=lambda item: int(item[1]))[: len(named) - _MAX_MIGRATED]
            floor = max(floor, *(int(g) for _r, g in oldest))
            for run_id, _g in oldest:
                del named[run_id]
        row = InsightCursor(MIGRATED, generation, {**named, _FLOOR: str(floor)}, now)
        if marker is None:
            self.tx.insert(row)
        else:
            self.tx.update(row)
        return generation


# ---------------------------------------------------------------------- reading


#: "Any element may have changed".
ALL = None
#: "Work items changed": overdue counts must be read again.
OVERDUE = ("overdue", "")


def changed_elements(events: Iterable[RunEvent], run_info: Any) -> dict[str, set[tuple[str, str]] | None]:
    """Per orchestration, the (kind, element) pairs whose figures the events change
    (None: possibly any, e.g. a run in error was cancelled). ``run_info(run_id)``
    gives (orchestration, version) or None."""
    changed: dict[str, set[tuple[str, str]] | None] = {}
    for e in events:
        t = e.type
        if not t.startswith(("stage.", "step.", "run.", "decision.", "end.", "edge.", "work_item.")):
            continue
        info = run_info(e.run_id)
        if info is None:
            continue
        key = info[0]
        if key in changed and changed[key] is None:
            continue
        found = changed.setdefault(key, set())
        assert found is not None
        if t in ("run.retried", "run.cancelled", "run.migrated"):
            # Migrated: figures of two versions changed (its positions moved from one to the other).
            changed[key] = ALL
        elif t == "edge.taken" and isinstance(e.data.get("edge"), str):
            found.add(("edge", e.data["edge"]))
        elif t.startswith("work_item."):
            found.add(OVERDUE)
        elif e.node is not None and t not in ("run.started", "run.completed"):
            found.add(("node", e.node))
    return changed


def read_rows(tx: Transaction, key: str, hours: tuple[int, ...], elements: set[tuple[str, str]] | None = ALL) -> list[InsightFigure]:
    """The figure rows of an orchestration for these hours (and elements)."""
    if elements is not None:
        if not elements:
            return []
        names = tuple({element for _kind, element in elements})
        rows = tx.find(InsightFigure, orchestration=key, hour=hours, element=names)
        return [r for r in rows if (r.kind, r.element) in elements]
    return tx.find(InsightFigure, orchestration=key, hour=hours)


def overdue_counts(tx: Transaction, key: str, now: datetime) -> dict[tuple[int, str], int]:
    """Open work items past due, per (version, node): each counts on its step and stage."""
    counts: dict[tuple[int, str], int] = {}
    for version, step, stage, n in tx.overdue_items(key, now):
        for node in (step, stage):
            counts[(version, node)] = counts.get((version, node), 0) + n
    return counts


def _empty_node() -> dict[str, Any]:
    return {
        "active": 0,
        "waiting": 0,
        "error": 0,
        "completed": 0,
        "failed": 0,
        "overdue": 0,
        "p50": None,
        "p95": None,
        "_hist": {},
        "_min": None,
        "_max": None,
    }


def figures(
    rows: Iterable[InsightFigure],
    overdue: Mapping[tuple[int, str], int],
    *,
    version: int | None = None,
    nodes: Iterable[str] = (),
    edges: Iterable[str] = (),
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"nodes": {id: figures}, "edges": {id: {"taken"}}}`` of one version, or of
    every version added up when ``version`` is None. ``nodes``/``edges`` are listed
    even when nothing happened there yet (zeros)."""
    node_figures: dict[str, dict[str, Any]] = {n: _empty_node() for n in nodes}
    edge_figures: dict[str, dict[str, Any]] = {e: {"taken": 0} for e in edges}
    for row in rows:
        if version is not None and row.version != version:
            continue
        if row.kind == "edge":
            edge_figures.setdefault(row.element, {"taken": 0})["taken"] += row.taken
            continue
        f = node_figures.setdefault(row.element, _empty_node())
        if row.hour == 0:
            f["active"] += row.active
            f["waiting"] += row.waiting
            f["error"] += row.error
        f["completed"] += row.completed
        f["failed"] += row.failed
        hist = f["_hist"]
        for b, n in row.durations.items():
            hist[b] = hist.get(b, 0) + n
        if row.duration_min is not None:
            f["_min"] = row.duration_min if f["_min"] is None else min(f["_min"], row.duration_min)
        if row.duration_max is not None:
            f["_max"] = row.duration_max if f["_max"] is None else max(f["_max"], row.duration_max)
    for (v, node), n in overdue.items():
        if version is None or v == version:
            node_figures.setdefault(node, _empty_node())["overdue"] += n
    for f in node_figures.values():
        hist, low, high = f.pop("_hist"), f.pop("_min"), f.pop("_max")
        f["p50"] = quantile(hist, 0.5, low, high)
        f["p95"] = quantile(hist, 0.95, low, high)
    return {"nodes": node_figures, "edges": edge_figures}


def windowed(rows: Iterable[InsightFigure], window: str) -> list[InsightFigure]:
    """Rows of the window: with ``all`` only hour 0; otherwise the hourly buckets, plus
    the gauges of hour 0 (its counters zeroed, or they would count twice)."""
    if window == "all":
        return [r for r in rows if r.hour == 0]
    out = []
    for r in rows:
        if r.hour == 0:
            out.append(InsightFigure(r.id, r.orchestration, r.version, r.kind, r.element, 0, r.active, r.waiting, r.error))
        else:
            out.append(r)
    return out


def snapshot(
    store: Store,
    key: str,
    *,
    now: datetime,
    version: int | None = None,
    window: str = "all",
    nodes: Iterable[str] = (),
    edges: Iterable[str] = (),
) -> dict[str, Any]:
    """Every figure of an orchestration (one version, or all added up), with the
    cursor position ``seq`` it is consistent with: it counts every event up to ``seq``."""
    hours = window_hours(window, now)
    with store.transaction(write=False) as tx:
        tx.begin_snapshot()
        cursor = tx.get(InsightCursor, CURSOR)
        seq = cursor.position if cursor else 0
        rows = windowed(read_rows(tx, key, hours), window)
        overdue = overdue_counts(tx, key, now)
    return {"seq": seq, **figures(rows, overdue, version=version, nodes=nodes, edges=edges)}


def prune(store: Store, *, now: datetime, keep: timedelta = timedelta(days=8), key: str | None = None) -> int:
    """Delete hourly rows older than ``keep`` (all-time rows stay); returns how many."""
    oldest = hour_of(now - keep)
    with store.transaction() as tx:
        return tx.delete_hourly_figures(oldest, key)
