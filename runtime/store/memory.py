"""An in-memory store for fast tests: same semantics as the SQL store.

One lock serialises transactions; writes are buffered and applied on commit, so an
operation that fails half-way leaves nothing behind. Rows go in and out as copies:
changing a row the store handed out changes nothing until it is written back.
The copies are shallow: JSON values (dicts, lists) are shared, which is safe because
the engine replaces them and never edits one in place, copies what callers hand in
and copies what it hands out (see ``runtime/model.py``).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from runtime.model import ROW_TYPES, AuditEntry, InsightFigure, InsightPosition, Job, Run, RunEvent, Timer, WorkItem
from runtime.states import ENDED_RUN, OPEN_ITEM
from runtime.store.base import Operations, RunTally
from runtime.store.purge import OWNED, Mark, PurgeBatch, RunRows, choose

T = TypeVar("T")
_DELETED = object()


def _shallow(row: T) -> T:
    cls = type(row)
    new = cls.__new__(cls)
    new.__dict__.update(row.__dict__)
    return new


def _matches(row: Any, filters: dict[str, Any]) -> bool:
    for name, wanted in filters.items():
        value = getattr(row, name)
        if isinstance(wanted, (tuple, list, set, frozenset)):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


class InMemoryStore:
    """Rows in dictionaries, with the indexes the model declares."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables: dict[type, dict[Any, Any]] = {cls: {} for cls in ROW_TYPES}
        self._indexes: dict[type, dict[str, defaultdict[Any, set[Any]]]] = {
            cls: {name: defaultdict(set) for name in cls.INDEXED} for cls in ROW_TYPES
        }
        self._events: list[RunEvent | None] = []
        #: (due_at, timer id), sorted; entries of deleted or moved timers are skipped.
        self._timer_order: list[tuple[datetime, Any]] = []
        self._events_by_run: defaultdict[str, list[RunEvent]] = defaultdict(list)
        #: The runs purged, as run_tally counts them: retention keeps the aggregates.
        self._purged_tally: list[_Tallied] = []

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_Transaction]:
        with self._lock:
            tx = _Transaction(self)
            yield tx
            tx._commit()

    def claim_jobs(self, now: datetime, worker: str, limit: int) -> list[Job]:
        with self.transaction() as tx:
            ready = sorted((j for j in tx.find(Job, status="queued") if j.run_after <= now), key=lambda j: (j.run_after, j.id))[:limit]
            claimed = []
            for job in ready:
                job.status, job.claimed_by, job.claimed_at, job.heartbeat_at = "running", worker, now, now
                if tx.update(job, expect={"status": "queued"}):
                    claimed.append(job)
            return claimed

    def has_work(self, now: datetime) -> tuple[bool, bool]:
        with self._lock:
            timers = next(self._due(now), None) is not None
            jobs = any(self._tables[Job][i].run_after <= now for i in self._indexes[Job]["status"].get("queued", ()))
            return timers, jobs

    def heartbeat(self, job_ids: list[str], now: datetime) -> None:
        with self.transaction() as tx:
            for job_id in job_ids:
                job = tx.get(Job, job_id)
                if job is not None and job.status == "running":
                    job.heartbeat_at = now
                    tx.update(job)

    def requeue_stale(self, now: datetime, timeout: timedelta) -> int:
        with self.transaction() as tx:
            stale = [j for j in tx.find(Job, status="running") if j.heartbeat_at is None or j.heartbeat_at < now - timeout]
            for job in stale:
                job.status, job.claimed_by, job.claimed_at, job.heartbeat_at = "queued", None, None, None
                tx.update(job)
            return len(stale)

    def events_after(self, after: int, limit: int) -> list[RunEvent]:
        with self._lock:
            # Sequence numbers are dense and start at 1, so the list index is seq - 1;
            # a purged run's events leave None in their places.
            found: list[RunEvent] = []
            for index in range(after, len(self._events)):
                event = self._events[index]
                if event is not None:
                    found.append(_shallow(event))
                    if len(found) == limit:
                        break
            return found

    # -- used by _Transaction on commit -------------------------------------------------

    def _put(self, cls: type, key: Any, row: Any) -> None:
        table = self._tables[cls]
        old = table.get(key)
        for name, index in self._indexes[cls].items():
            if old is not None:
                index[getattr(old, name)].discard(key)
            if row is not _DELETED:
                index[getattr(row, name)].add(key)
        if row is _DELETED:
            table.pop(key, None)
        else:
            table[key] = row
            if cls is Timer and (old is None or old.due_at != row.due_at):
                bisect.insort(self._timer_order, (row.due_at, key))

    def _due(self, now: datetime) -> Iterator[Any]:
        """Committed timers due by ``now``, soonest first; stale entries are dropped."""
        order, table = self._timer_order, self._tables[Timer]
        while order and (order[0][1] not in table or table[order[0][1]].due_at != order[0][0]):
            order.pop(0)
        for due_at, key in list(order):
            if due_at > now:
                return
            timer = table.get(key)
            if timer is not None and timer.due_at == due_at:
                yield timer

    def purge_audit(self, before: datetime, *, limit: int) -> int:
        with self.transaction() as tx:
            old = sorted((e for e in tx.find(AuditEntry) if e.at < before), key=lambda e: (e.at, e.id))[:limit]
            for entry in old:
                tx.delete(AuditEntry, entry.id)
            return len(old)

    def purge_runs(
        self,
        ended_before: datetime,
        *,
        events_upto: int,
        limit: int,
        after: Mark | None = None,
        archive: Callable[[list[RunRows]], None] | None = None,
        dry_run: bool = False,
    ) -> PurgeBatch:
        with self.transaction(write=not dry_run) as tx:
            return tx._purge(ended_before, events_upto, limit, after, archive, dry_run)


class _Transaction:
    def __init__(self, store: InMemoryStore):
        self._store = store
        self._writes: dict[tuple[type, Any], Any] = {}
        self._new_events: list[RunEvent] = []
        self._purged_logs: set[str] = set()
        self._purged_runs: list[_Tallied] = []

    def _current(self, cls: type, key: Any) -> Any:
        pending = self._writes.get((cls, key))
        if pending is not None:
            return None if pending is _DELETED else pending
        return self._store._tables[cls].get(key)

    def get(self, cls: type[T], id: Any) -> T | None:
        row = self._current(cls, id)
        return _shallow(row) if row is not None else None

    def insert(self, row: Any) -> None:
        cls = type(row)
        if self._current(cls, row.id) is not None:
            raise KeyError(f"{cls.__name__} {row.id!r} already exists")
        self._writes[(cls, row.id)] = _shallow(row)

    def commit_lazily(self) -> None:
        """Nothing is on disk: nothing to wait for."""

    def insert_many(self, rows: list[Any]) -> None:
        for row in rows:
            self.insert(row)

    def update(self, row: Any, expect: dict[str, Any] | None = None) -> bool:
        cls = type(row)
        stored = self._current(cls, row.id)
        if stored is None:
            return False
        if expect and not _matches(stored, expect):
            return False
        self._writes[(cls, row.id)] = _shallow(row)
        return True

    def read_several(self, reads: list[tuple[type, Any]]) -> list[Any]:
        return [self.find(cls, **key) if isinstance(key, dict) else self.get(cls, key) for cls, key in reads]

    def probe_on_commit(self, now: datetime) -> None:
        pass  # has_work costs nothing here

    def get_with_run(self, cls: type[T], id: Any) -> T | None:
        return self.get(cls, id)

    def update_or_raise(self, row: Any, expect: dict[str, Any], conflict: Exception) -> None:
        if not self.update(row, expect):
            raise conflict

    def delete(self, cls: type, id: Any) -> bool:
        if self._current(cls, id) is None:
            return False
        self._writes[(cls, id)] = _DELETED
        return True

    def delete_all(self, cls: type, **filters: Any) -> None:
        row: Any
        for row in self.find(cls, **filters):
            self._writes[(cls, row.id)] = _DELETED

    def find(self, cls: type[T], **filters: Any) -> list[T]:
        if cls is RunEvent:  # the log is kept apart from the tables
            runs = filters.get("run_id")
            if isinstance(runs, (tuple, list, set, frozenset)):
                logs = [e for run_id in runs for e in self.events(run_id)]
            elif isinstance(runs, str):
                logs = self.events(runs)
            else:
                logs = [_shallow(e) for e in self._store._events if e is not None] + [_shallow(e) for e in self._new_events]
            return [e for e in logs if _matches(e, filters)]  # type: ignore[misc]
        table = self._store._tables[cls]
        keys: Any = None
        for name in cls.INDEXED:  # type: ignore[attr-defined]
            wanted = filters.get(name)
            if name in filters and not isinstance(wanted, (tuple, list, set, frozenset)):
                keys = self._store._indexes[cls][name].get(wanted, ())
                break
        if keys is None:
            keys = table.keys()
        found = []
        seen = set()
        for key in list(keys):
            seen.add(key)
            row = self._current(cls, key)
            if row is not None and _matches(row, filters):
                found.append(_shallow(row))
        for (row_cls, key), row in self._writes.items():
            if row_cls is cls and key not in seen and row is not _DELETED and _matches(row, filters):
                found.append(_shallow(row))
        return found

    def append_event(self, event: RunEvent) -> None:
        event.id = len(self._store._events) + len(self._new_events) + 1
        self._new_events.append(_shallow(event))

    def events(self, run_id: str, after: int = 0, limit: int | None = None) -> list[RunEvent]:
        rows = [e for e in self._store._events_by_run.get(run_id, ()) if e.id > after]
        rows += [e for e in self._new_events if e.run_id == run_id and e.id > after]
        return [_shallow(e) for e in rows[:limit]]

    def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        due = []
        for timer in self._store._due(now):
            current = self._current(Timer, timer.id)
            if current is not None and current.due_at <= now:
                due.append(_shallow(current))
            if len(due) >= limit:
                break
        return due

    def begin_snapshot(self) -> None:
        pass  # the store's lock is held for the whole transaction: it sees one state

    def overdue_items(self, orchestration: str, now: datetime) -> list[tuple[int, str, str, int]]:
        counts: dict[tuple[int, str, str], int] = {}
        for item in self.find(WorkItem, orchestration=orchestration, status=OPEN_ITEM):
            if item.due_at is None or item.due_at >= now or item.version is None:
                continue  # as in SQL: an item without a version counts nowhere
            group = (item.version, item.step_id, item.stage_id)
            counts[group] = counts.get(group, 0) + 1
        return [(*group, n) for group, n in counts.items()]

    def run_tally(self, orchestration: str, version: int | None, since: datetime) -> RunTally:
        live = [_tallied(run) for run in self.find(Run, orchestration=orchestration)]
        purged = [t for t in self._store._purged_tally if t.orchestration == orchestration]
        by_status: dict[str, int] = {}
        per_day: dict[date, int] = {}
        completed = microseconds = 0
        first_day = since.astimezone(UTC).date()
        for t in live + purged:
            if version is not None and t.version != version:
                continue
            by_status[t.status] = by_status.get(t.status, 0) + 1
            if t.microseconds is not None:
                completed += 1
                microseconds += t.microseconds
            if t.day >= first_day:
                per_day[t.day] = per_day.get(t.day, 0) + 1
        return RunTally(by_status, completed, microseconds, per_day)

    def operations(self, now: datetime) -> Operations:
        items: dict[tuple[str, str], tuple[int, int]] = {}
        for item in self.find(WorkItem, status=OPEN_ITEM):
            group = (item.assignee_type, "" if item.assignee_type == "user" else item.assignee_value)
            open_, overdue = items.get(group, (0, 0))
            items[group] = (open_ + 1, overdue + (item.due_at is not None and item.due_at < now))
        jobs: dict[tuple[str, str], int] = {}
        for job in self.find(Job, status=("queued", "running")):
            state = "running" if job.status == "running" else "ready" if job.run_after <= now else "scheduled"
            jobs[(job.action, state)] = jobs.get((job.action, state), 0) + 1
        timers = [t.due_at for t in self.find(Timer)]
        due = [at for at in timers if at <= now]
        return Operations(
            [(kind, name, o, d) for (kind, name), (o, d) in items.items()],
            [(action, state, n) for (action, state), n in jobs.items()],
            len(timers),
            len(due),
            min(due, default=None),
            len(self._store._events) + len(self._new_events),
        )

    def delete_hourly_figures(self, before_hour: int, orchestration: str | None = None) -> int:
        rows = self.find(InsightFigure, orchestration=orchestration) if orchestration else self.find(InsightFigure)
        stale = [r for r in rows if 0 < r.hour < before_hour]
        for r in stale:
            self.delete(InsightFigure, r.id)
        return len(stale)

    def _commit(self) -> None:
        for (cls, key), row in self._writes.items():
            self._store._put(cls, key, row)
        for event in self._new_events:
            self._store._events.append(event)
            self._store._events_by_run[event.run_id].append(event)
        self._store._purged_tally += self._purged_runs
        for run_id in self._purged_logs:
            for event in self._store._events_by_run.pop(run_id, ()):
                self._store._events[event.id - 1] = None

    def _purge(
        self,
        ended_before: datetime,
        events_upto: int,
        limit: int,
        after: Mark | None,
        archive: Callable[[list[RunRows]], None] | None,
        dry_run: bool,
    ) -> PurgeBatch:
        def is_root(run: Run) -> bool:
            return run.parent_run_id is None or self._current(Run, run.parent_run_id) is None

        old = sorted(
            (
                r
                for r in self.find(Run, status=ENDED_RUN)
                if r.started_at < ended_before
                and r.ended_at is not None
                and r.ended_at < ended_before
                and (after is None or (r.started_at, r.id) > after)
                and is_root(r)
            ),
            key=lambda r: (r.started_at, r.id),
        )[:limit]

        def children(ids: list[str]) -> list[Run]:
            return [child for run_id in ids for child in self.find(Run, parent_run_id=run_id)]

        def last_events(ids: list[str]) -> dict[str, int]:
            return {run_id: log[-1].id for run_id in ids if (log := self.events(run_id))}

        runs, skipped, mark = choose(old, children, last_events, ended_before=ended_before, events_upto=events_upto, limit=limit)
        found = [RunRows(run, events=self.events(run.id)) for run in runs]
        for rows in found:
            for name, cls in OWNED:
                setattr(rows, name, self.find(cls, run_id=rows.run.id))
        if found and not dry_run:
            if archive is not None:
                archive(found)
            for rows in found:
                for name, cls in OWNED:
                    for row in getattr(rows, name):
                        self.delete(cls, row.id)
                for position in self.find(InsightPosition, run_id=rows.run.id):
                    self.delete(InsightPosition, position.id)
                self.delete(Run, rows.run.id)
                self._purged_logs.add(rows.run.id)
                self._purged_runs.append(_tallied(rows.run))
        return PurgeBatch([run.id for run in runs], sum(rows.row_count() for rows in found), skipped, mark)


@dataclass(frozen=True)
class _Tallied:
    """What :meth:`_Transaction.run_tally` counts of a run (and keeps of a purged one)."""

    orchestration: str
    version: int
    status: str
    day: date  # of its start, UTC
    microseconds: int | None  # its run time, if completed with an end time


def _tallied(run: Run) -> _Tallied:
    spent = None
    if run.status == "completed" and run.ended_at is not None:
        spent = (run.ended_at - run.started_at) // timedelta(microseconds=1)
    return _Tallied(run.orchestration, run.version, run.status, run.started_at.astimezone(UTC).date(), spent)
