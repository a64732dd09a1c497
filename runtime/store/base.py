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


class Transaction(Protocol):
    def get(self, cls: type[T], id: Any) -> T | None:
        """The row, a copy the caller may change and pass to :meth:`update`."""
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

    def delete(self, cls: type, id: Any) -> bool:
        """Delete the row; whether it was there (deleting is how timers are claimed)."""
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
        midnight, UTC) on: one grouped query in SQL."""
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
        ``(run version, step_id, stage_id)``: rows ``(version, step_id, stage_id, count)``."""
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
