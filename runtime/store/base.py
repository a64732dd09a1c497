"""The store interface the engine talks to.

A store keeps the rows of :mod:`runtime.model`. The engine opens a transaction per
operation; every state change and the events it appends to the run's log are
written by one transaction, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from runtime.model import Job, RunEvent, Timer
from runtime.store.purge import Mark, PurgeBatch, RunRows

T = TypeVar("T")


@dataclass(frozen=True)
class RunTally:
    """An orchestration's runs counted by the store (:meth:`Transaction.run_tally`), for
    the builder's metrics: no run row leaves the database to be counted."""

    #: Runs per status.
    by_status: dict[str, int]
    #: Completed runs that have an end time, and their run times summed, in microseconds
    #: (an integer, so every store gives the same sum to the last digit).
    completed: int
    completed_microseconds: int
    #: Runs started on each UTC day from ``since`` on (days without a start are absent).
    started_per_day: dict[date, int]


@dataclass(frozen=True)
class Operations:
    """What an operator watches now, counted by the store (:meth:`Transaction.operations`)
    when metrics are scraped. Labels stay bounded: groups and queues by name, never a person."""

    #: (assignee type, group or queue name — "" for items assigned to a person, open, overdue).
    work_items: list[tuple[str, str, int, int]]
    #: (action, state, count): state ``ready`` (queued and due), ``scheduled`` (queued for
    #: later: a retry's backoff) or ``running`` (claimed by a worker).
    jobs: list[tuple[str, str, int]]
    #: Timers waiting, those past due and not fired yet, and the earliest due time among them.
    timers: int
    timers_due: int
    oldest_due_timer: datetime | None
    #: The newest event's sequence number (the insight projector's lag is measured from it).
    last_event: int


class Transaction(Protocol):
    def get(self, cls: type[T], id: Any) -> T | None:
        """The row, a copy the caller may change and pass to :meth:`update`."""
        ...

    def get_with_run(self, cls: type[T], id: Any) -> T | None:
        """:meth:`get` of a row that has a ``run_id`` (a work item...). A store may read the
        row's run and the run's record in the same query and answer the next :meth:`get` of
        each, in this transaction, without another (PostgreSQL: one round trip, not three)."""
        ...

    def insert(self, row: Any) -> None: ...

    def insert_many(self, rows: list[Any]) -> None: ...

    def update(self, row: Any, expect: dict[str, Any] | None = None) -> bool:
        """Write ``row``; with ``expect``, only if the stored row still has those values.

        A tuple as an expected value means "any of these". Returns whether it wrote.
        Without ``expect`` a store may send the write later in the transaction (PostgreSQL
        sends it with the next statement) and answer True: the caller updates a row it has
        read or written in this transaction, which is there.
        """
        ...

    def update_or_raise(self, row: Any, expect: dict[str, Any], conflict: Exception) -> None:
        """Write ``row`` if the stored row still has the ``expect`` values (as :meth:`update`),
        else raise ``conflict``. A store may send the write later and raise then - at the
        latest when the transaction commits, which it then does not: nothing the transaction
        wrote is kept (PostgreSQL sends it with the next statement or COMMIT, checked on the
        server). So the caller must not count on the write having matched before the end of
        the transaction: later statements of the transaction may run first."""
        ...

    def delete(self, cls: type, id: Any) -> bool:
        """Delete the row; whether it was there (deleting is how timers are claimed)."""
        ...

    def read_several(self, reads: list[tuple[type, Any]]) -> list[Any]:
        """Several reads at once, each ``(cls, id)`` - :meth:`get`, a row or None - or
        ``(cls, {filters})`` - :meth:`find`, a list; their answers in order. A store may send
        them together (PostgreSQL: one round trip, not one per read)."""
        ...

    def probe_on_commit(self, now: datetime) -> None:
        """The caller will ask :meth:`Store.has_work` right after this transaction commits:
        a store may look at ``now`` with the commit (PostgreSQL: in its round trip) and answer
        that ``has_work`` on this thread from it, if no other transaction ran between."""
        ...

    def delete_all(self, cls: type, **filters: Any) -> None:
        """Delete the rows :meth:`find` would give for ``filters``; a store may send it later
        in the transaction (PostgreSQL: with the next statement)."""
        ...

    def find(self, cls: type[T], **filters: Any) -> list[T]:
        """Rows whose fields equal the filters (a tuple, list or set means "any of")."""
        ...

    def append_event(self, event: RunEvent) -> None:
        """Append to the run's log; the store assigns the store-wide sequence number."""
        ...

    def events(self, run_id: str, after: int = 0, limit: int | None = None) -> list[RunEvent]: ...

    def due_timers(self, now: datetime, limit: int) -> list[Timer]: ...

    def run_tally(self, orchestration: str, version: int | None, since: datetime) -> RunTally:
        """The runs of ``orchestration`` (of one version, or all when None) counted per
        status, the completed ones' run time, and starts per UTC day from ``since`` (a
        midnight, UTC) on. Runs purged by retention stay counted (as they were when
        purged). SQL reads the ``run_counts`` rows the database's triggers keep in the
        transaction that writes each run (a few per day and status, whatever the number
        of runs); the in-memory store counts its runs and keeps the purged ones' counts."""
        ...

    # -- aggregates for live insights (runtime/insights.py): each store answers them its
    # own way (SQL in one statement), so no caller needs to know which store it has.

    def commit_lazily(self) -> None:
        """Let this transaction's commit return before it is on disk (PostgreSQL:
        ``synchronous_commit`` off for it; elsewhere nothing). A crash may then lose it,
        whole, with every later one that saw it: only for rows derived from the log
        whose cursor is written in the same transaction (the insight projector), which
        are then derived again. Call it before the first statement."""
        ...

    def begin_snapshot(self) -> None:
        """Make the rest of this read transaction see one snapshot (PostgreSQL's default,
        READ COMMITTED, takes a new one per statement; SQLite's read transactions and
        the in-memory store's lock already give one). Call it before the first read."""
        ...

    def overdue_items(self, orchestration: str, now: datetime) -> list[tuple[int, str, str, int]]:
        """Open work items of ``orchestration`` due before ``now``, counted per
        ``(run version, step_id, stage_id)``: rows ``(version, step_id, stage_id, count)``.
        The version is the one the engine writes on each item (``WorkItem.version``); SQL
        counts over a partial index of the open items by due time, without reading a run."""
        ...

    def operations(self, now: datetime) -> Operations:
        """Open and overdue work items per group or queue, jobs per action and state,
        timers, and the newest event's sequence number (builder/prometheus/ exports them).
        SQL answers in a few grouped statements; nothing is read per run."""
        ...

    def delete_hourly_figures(self, before_hour: int, orchestration: str | None = None) -> int:
        """Delete the :class:`~runtime.model.InsightFigure` rows with ``0 < hour < before_hour``
        (of one orchestration, or all); returns how many. Hour 0 (all-time) rows stay."""
        ...


class Store(Protocol):
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        """One transaction; ``write=False`` promises it only reads."""
        ...

    def claim_jobs(self, now: datetime, worker: str, limit: int) -> list[Job]:
        """Atomically mark up to ``limit`` ready jobs as running for ``worker``."""
        ...

    def has_work(self, now: datetime) -> tuple[bool, bool]:
        """(timers due, jobs ready): one cheap look before claiming anything."""
        ...

    def heartbeat(self, job_ids: list[str], now: datetime) -> None:
        """Record that the worker holding these running jobs is alive."""
        ...

    def requeue_stale(self, now: datetime, timeout: timedelta) -> int:
        """Put running jobs without a heartbeat for ``timeout`` back in the queue."""
        ...

    def events_after(self, after: int, limit: int) -> list[RunEvent]:
        """Events of every run with a sequence number above ``after``, in order."""
        ...

    # -- retention (runtime/retention.py)

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
        """Delete one batch of old runs: whole trees (a run with its sub-runs) whose every
        run is completed or cancelled, ended before ``ended_before``, with every event id at
        most ``events_upto``, about ``limit`` runs, the oldest started after ``after`` first
        (the choice is :func:`runtime.store.purge.choose`). Each goes with all its rows
        (:data:`~runtime.store.purge.OWNED`), its event log and what the insight projector
        kept of where it was (figures stay as they are).

        Its own transactions, so each store keeps its locks short: ``archive`` gets the runs
        with their rows before anything is deleted (if it raises, nothing is). SQLite reads
        and archives in a read transaction and takes the one write lock only to delete;
        PostgreSQL does all in one transaction holding only the batch's rows, the roots
        locked ``FOR UPDATE SKIP LOCKED`` so purges in several processes take different
        trees. ``dry_run`` counts the batch's rows and deletes nothing.
        """
        ...

    def purge_audit(self, before: datetime, *, limit: int) -> int:
        """Delete at most ``limit`` of the oldest audit entries made before ``before`` (one
        transaction); how many went. The only way an audit entry is ever deleted."""
        ...
