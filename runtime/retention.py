"""Retention: archive, then purge, runs that ended long ago (README, "Retention").

:func:`purge` deletes completed and cancelled runs that ended before a cut-off, with every
row that belongs to them and their event logs, a batch of runs at a time so no lock is
held for long (:meth:`~runtime.store.base.Store.purge_runs`; which runs go is
decided in ``runtime/store/purge.py``). Live insights keep their figures: the projector is
brought up to date first, and a run goes only when it has counted all of the run's events.

With an archive directory, each batch is written to a JSON-lines file and flushed to disk
(``fsync``) before its rows are deleted: a crash between the two leaves the runs in the
database and in the archive, and the next purge archives them again — a run may be
archived twice, never lost. The format (one run per line) is
:data:`ARCHIVE_FORMAT`, read back by :func:`read_archive`:

``{"format": 1, "run": {...}, "stage_visits": [...], "step_runs": [...], "work_items": [...],
"timers": [...], "jobs": [...], "subscriptions": [...], "notifications": [...], "events": [...]}``

each row an object of its fields (``runtime/model.py``), times as ISO-8601 with an offset.

:class:`NightlyPurge` runs a purge once a day where background work runs, when
``OVERTURE_PURGE_OLDER_THAN`` is set (:meth:`RetentionSettings.from_environment`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from runtime.clock import Clock
from runtime.durations import parse_age
from runtime.insights import CURSOR, Projector
from runtime.model import InsightCursor, Run, RunEvent
from runtime.store.base import Store
from runtime.store.purge import OWNED, Mark, RunRows

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)
Row = TypeVar("Row", bound="DataclassInstance")  # a row of runtime/model.py

ARCHIVE_FORMAT = 1
#: Runs per batch. SQLite's one write lock is held only while a batch is deleted, a few tens
#: of milliseconds for 100 runs (bench/purge_speed.py); PostgreSQL locks only the batch's rows.
DEFAULT_BATCH = 100
#: Keeps a batch's ``IN`` lists within SQLite's limit on bound parameters.
MAX_BATCH = 5000


@dataclass
class PurgeReport:
    """What a purge did so far (given to the progress callback after every batch)."""

    runs: int = 0
    rows: int = 0
    #: Trees of runs passed over (still live, ended after the cut-off, events not yet counted).
    skipped: int = 0
    batches: int = 0
    #: The event ids the insight projector had counted: runs with later events stayed.
    events_upto: int = 0
    archive: Path | None = None
    dry_run: bool = False


def purge(
    store: Store,
    *,
    older_than: timedelta,
    now: datetime,
    batch: int = DEFAULT_BATCH,
    archive_dir: Path | None = None,
    dry_run: bool = False,
    progress: Callable[[PurgeReport], None] | None = None,
) -> PurgeReport:
    """Purge the runs that ended more than ``older_than`` before ``now``, about ``batch``
    runs at a time, archived into a new file in ``archive_dir`` first when it is given.
    ``dry_run`` counts what would go, deletes and archives nothing (live insights are
    still brought up to date: that only counts events sooner)."""
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch must be from 1 to {MAX_BATCH} runs, not {batch}")
    if older_than <= timedelta(0):
        raise ValueError("the age must be more than zero")
    report = PurgeReport(dry_run=dry_run)
    Projector(store).catch_up(max_passes=100)
    report.events_upto = projected_upto(store)
    archive = Archive(archive_dir, now) if archive_dir is not None and not dry_run else None
    after: Mark | None = None
    try:
        while True:
            done = store.purge_runs(
                now - older_than, events_upto=report.events_upto, limit=batch, after=after, archive=archive, dry_run=dry_run
            )
            report.batches += 1
            report.runs += len(done.runs)
            report.rows += done.rows
            report.skipped += done.skipped
            report.archive = archive.path if archive is not None and archive.written else None
            if progress is not None and (done.runs or done.skipped):
                progress(report)
            if done.next is None:
                return report
            after = done.next
    finally:
        if archive is not None:
            archive.close()


#: Audit entries deleted per transaction.
AUDIT_BATCH = 1000


def purge_audit(store: Store, *, older_than: timedelta, now: datetime, batch: int = AUDIT_BATCH) -> int:
    """Delete the audit entries (runtime/audit.py) older than ``older_than``, a batch per
    transaction; how many went. Age is the audit log's only retention rule."""
    if older_than <= timedelta(0):
        raise ValueError("the age must be more than zero")
    total = 0
    while done := store.purge_audit(now - older_than, limit=batch):
        total += done
    return total


def projected_upto(store: Store) -> int:
    """The highest event id up to which the insight projector has counted every event.

    Below its position, save the ids it passed over as holes (``skipped``): one of those
    may still turn up and be counted late, so the bound stays under the first of them.
    """
    with store.transaction(write=False) as tx:
        cursor = tx.get(InsightCursor, CURSOR)
    if cursor is None:
        return 0
    holes = [int(k) for k in cursor.skipped]
    return min([cursor.position, *(h - 1 for h in holes)])


# ---------------------------------------------------------------------- the archive


class Archive:
    """One JSON-lines file per purge, created in ``directory`` at the first batch; each
    batch is on disk (``fsync``) when the call returns, before the batch is deleted."""

    def __init__(self, directory: Path, now: datetime):
        self.directory = directory
        # Unique per purge: the workers of several processes may purge at the same hour.
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = directory / f"overture-purge-{stamp}-{uuid.uuid4().hex[:8]}.jsonl"
        self.written = False
        self._file: IO[str] | None = None

    def __call__(self, runs: list[RunRows]) -> None:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "x", encoding="utf-8")  # noqa: SIM115 - kept open across batches; close() closes it
            _fsync_directory(self.directory)  # the new file's name is durable too
        self._file.writelines(encode(rows) + "\n" for rows in runs)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.written = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode(rows: RunRows) -> str:
    """One archive line (without its newline): the run, its rows and its events."""
    line: dict[str, Any] = {"format": ARCHIVE_FORMAT, "run": _fields(rows.run)}
    for name, _cls in OWNED:
        line[name] = [_fields(row) for row in getattr(rows, name)]
    line["events"] = [_fields(event) for event in rows.events]
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=_iso)


def decode(line: Mapping[str, Any]) -> RunRows:
    """The run of an archive line, with its rows as :mod:`runtime.model` objects."""
    if line.get("format") != ARCHIVE_FORMAT:
        raise ValueError(f"archive format {line.get('format')!r} is not {ARCHIVE_FORMAT}")
    rows = RunRows(_decode_row(Run, line["run"]))
    for name, cls in OWNED:
        setattr(rows, name, [_decode_row(cls, row) for row in line.get(name, [])])
    rows.events = [_decode_row(RunEvent, event) for event in line.get("events", [])]
    return rows


def read_archive(path: Path) -> Iterator[RunRows]:
    """The runs of an archive file, in the order written. A last line cut short (the
    process stopped while writing it, so its batch was never deleted) is left out; a run
    archived twice comes twice (the later copy is the one that was purged)."""
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, 1):
            if not text.endswith("\n"):
                return
            try:
                yield decode(json.loads(text))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not an archived run: {exc}") from None


_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(row: Any) -> dict[str, Any]:
    cls = type(row)
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return {name: getattr(row, name) for name in names}


def _iso(value: Any) -> str:
    """Times as ISO-8601 with their offset (the only values of a row JSON has no type for)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value a row holds")


def _decode_row(cls: type[Row], data: Mapping[str, Any]) -> Row:
    row = cls.__new__(cls)
    for f in fields(cls):
        value = data.get(f.name)
        if isinstance(value, str) and "datetime" in str(f.type):
            value = datetime.fromisoformat(value)
        setattr(row, f.name, value)
    return row


# ---------------------------------------------------------------------- nightly


class RetentionSettingsError(ValueError):
    """A retention setting that cannot be used: the message names the variable."""


@dataclass(frozen=True)
class RetentionSettings:
    #: Runs that ended longer ago go (None: runs are kept).
    older_than: timedelta | None
    #: Hour of the day (UTC) the nightly purge runs in.
    hour: int = 3
    archive_dir: Path | None = None
    batch: int = DEFAULT_BATCH
    #: Audit entries older than this go (None: the audit log is kept whole).
    audit_older_than: timedelta | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, Any]) -> RetentionSettings | None:
        """``OVERTURE_PURGE_OLDER_THAN`` (runs), ``OVERTURE_AUDIT_OLDER_THAN`` (audit entries;
        both unset: no nightly purge), ``OVERTURE_PURGE_HOUR`` (0-23, default 3) and
        ``OVERTURE_PURGE_ARCHIVE`` (a directory for the runs; unset: no archive)."""
        ages = {name: environ.get(name) for name in ("OVERTURE_PURGE_OLDER_THAN", "OVERTURE_AUDIT_OLDER_THAN")}
        if not any(ages.values()):
            return None
        parsed: dict[str, timedelta | None] = {}
        for name, age in ages.items():
            try:
                parsed[name] = parse_age(age) if age else None
            except ValueError as exc:
                raise RetentionSettingsError(f"{name}: {exc}") from None
        older_than, audit_older_than = parsed["OVERTURE_PURGE_OLDER_THAN"], parsed["OVERTURE_AUDIT_OLDER_THAN"]
        raw_hour = environ.get("OVERTURE_PURGE_HOUR") or "3"
        if not (str(raw_hour).isdigit() and 0 <= int(raw_hour) <= 23):
            raise RetentionSettingsError(f"OVERTURE_PURGE_HOUR must be a whole hour from 0 to 23, not {raw_hour!r}")
        archive = environ.get("OVERTURE_PURGE_ARCHIVE")
        return cls(older_than, int(raw_hour), Path(archive) if archive else None, audit_older_than=audit_older_than)


class NightlyPurge:
    """Runs :func:`purge` once a day, in the settings' hour, on a thread until stopped.

    Every worker process with the setting does it; their purges take different runs
    (PostgreSQL's ``SKIP LOCKED``; SQLite has one writer), so more than one is harmless.
    """

    def __init__(self, store: Store, settings: RetentionSettings, clock: Clock, *, poll_interval: float = 60.0):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.poll_interval = poll_interval
        self._last: date | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> PurgeReport | None:
        """Purge if it is the hour and this runner has not purged today; the report (of the runs) if it did."""
        now = self.clock.now()
        if now.hour != self.settings.hour or self._last == now.date():
            return None
        self._last = now.date()
        if self.settings.audit_older_than is not None:
            entries = purge_audit(self.store, older_than=self.settings.audit_older_than, now=now)
            log.info("nightly purge: %d audit entries older than %s", entries, self.settings.audit_older_than)
        if self.settings.older_than is None:
            return PurgeReport()
        report = purge(
            self.store, older_than=self.settings.older_than, now=now, batch=self.settings.batch, archive_dir=self.settings.archive_dir
        )
        log.info(
            "nightly purge: %d runs (%d rows) older than %s%s",
            report.runs,
            report.rows,
            self.settings.older_than,
            f", archived in {report.archive}" if report.archive else "",
        )
        return report

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="overture-purge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a dropped connection, a full disk: tomorrow tries again
                log.exception("nightly purge failed")
            self._stop.wait(self.poll_interval)
