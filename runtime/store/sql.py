"""The durable store: SQLite by default, PostgreSQL for scale (SQLAlchemy 2 Core).

One database transaction per engine transaction. Writes that must have exactly one
winner are conditional updates (``UPDATE ... WHERE status IN (...)``); runs carry a
revision for optimistic concurrency. Events are buffered during the transaction and
inserted in one batch just before it commits.

On SQLite every writing transaction starts with ``BEGIN IMMEDIATE``: one writer at a
time, and no transaction fails half-way because another wrote first. On PostgreSQL
jobs are claimed with ``FOR UPDATE SKIP LOCKED`` in a single statement.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator, TypeVar

from sqlalchemy import Connection, create_engine, delete, event, insert, select, update
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url

from runtime.model import ROW_TYPES, Job, RunEvent, Timer
from runtime.store.tables import TABLES

T = TypeVar("T")

DEFAULT_URL = "sqlite:///var/overture.db"
_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in fields(cls)) for cls in ROW_TYPES}


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``DATABASE_URL``, else ``./var/overture.db``."""
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class SqlStore:
    """Rows in a relational database.

    Args:
        url: SQLAlchemy URL; ``sqlite:///path`` or ``postgresql://...`` (psycopg 3).
        upgrade: bring the schema to the newest migration on start (an empty
            database gets the whole schema).
    """

    def __init__(self, url: str | None = None, *, upgrade: bool = True, pool_size: int = 10):
        self.url = database_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: SAEngine = create_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False})
            _sqlite_pragmas(self.engine)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
        if upgrade:
            from runtime.store.migrate import upgrade as run_upgrade

            run_upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator["_SqlTransaction"]:
        with self.engine.connect() as conn:
            conn.execution_options(overture_write=write)
            with conn.begin():
                tx = _SqlTransaction(conn)
                yield tx
                tx._flush_events()

    def claim_jobs(self, now: datetime, worker: str, limit: int) -> list[Job]:
        jobs = TABLES[Job]
        values = {"status": "running", "claimed_by": worker, "claimed_at": now, "heartbeat_at": now}
        with self.transaction() as tx:
            ready = (
                select(jobs.c.id)
                .where(jobs.c.status == "queued", jobs.c.run_after <= now)
                .order_by(jobs.c.run_after, jobs.c.id)
                .limit(limit)
            )
            if self.dialect == "postgresql":
                ready = ready.with_for_update(skip_locked=True)
            statement = (
                update(jobs)
                .where(jobs.c.id.in_(ready.scalar_subquery()), jobs.c.status == "queued")
                .values(**values)
                .returning(*jobs.c)
            )
            rows = tx.conn.execute(statement).mappings().all()
            return [_row(Job, r) for r in rows]

    def heartbeat(self, job_ids: list[str], now: datetime) -> None:
        if not job_ids:
            return
        jobs = TABLES[Job]
        with self.transaction() as tx:
            tx.conn.execute(update(jobs).where(jobs.c.id.in_(job_ids), jobs.c.status == "running").values(heartbeat_at=now))

    def requeue_stale(self, now: datetime, timeout: timedelta) -> int:
        """Put back jobs whose worker stopped sending heartbeats (it died mid-action)."""
        jobs = TABLES[Job]
        with self.transaction() as tx:
            result = tx.conn.execute(
                update(jobs)
                .where(jobs.c.status == "running", jobs.c.heartbeat_at < now - timeout)
                .values(status="queued", claimed_by=None, claimed_at=None, heartbeat_at=None)
            )
            return int(result.rowcount or 0)

    def events_after(self, after: int, limit: int) -> list[RunEvent]:
        table = TABLES[RunEvent]
        with self.transaction(write=False) as tx:
            rows = tx.conn.execute(select(table).where(table.c.id > after).order_by(table.c.id).limit(limit)).mappings().all()
            return [_row(RunEvent, r) for r in rows]


class _SqlTransaction:
    def __init__(self, conn: Connection):
        self.conn = conn
        self._events: list[dict[str, Any]] = []

    def get(self, cls: type[T], id: Any) -> T | None:
        table = TABLES[cls]
        row = self.conn.execute(select(table).where(table.c.id == id)).mappings().first()
        return _row(cls, row) if row is not None else None

    def insert(self, row: Any) -> None:
        self.conn.execute(insert(TABLES[type(row)]), _values(row))

    def insert_many(self, rows: list[Any]) -> None:
        by_type: dict[type, list[dict[str, Any]]] = {}
        for row in rows:
            by_type.setdefault(type(row), []).append(_values(row))
        for cls, values in by_type.items():
            self.conn.execute(insert(TABLES[cls]), values)

    def update(self, row: Any, expect: dict[str, Any] | None = None) -> bool:
        table = TABLES[type(row)]
        statement = update(table).where(table.c.id == row.id)
        for name, wanted in (expect or {}).items():
            column = table.c[name]
            statement = statement.where(column.in_(wanted) if isinstance(wanted, (tuple, list, set, frozenset)) else column == wanted)
        values = _values(row)
        del values["id"]
        return bool(self.conn.execute(statement.values(**values)).rowcount == 1)

    def delete(self, cls: type, id: Any) -> bool:
        table = TABLES[cls]
        return bool(self.conn.execute(delete(table).where(table.c.id == id)).rowcount == 1)

    def find(self, cls: type[T], **filters: Any) -> list[T]:
        table = TABLES[cls]
        statement = select(table)
        for name, wanted in filters.items():
            column = table.c[name]
            if isinstance(wanted, (tuple, list, set, frozenset)):
                statement = statement.where(column.in_(list(wanted)))
            elif wanted is None:
                statement = statement.where(column.is_(None))
            else:
                statement = statement.where(column == wanted)
        return [_row(cls, r) for r in self.conn.execute(statement).mappings()]

    def append_event(self, event: RunEvent) -> None:
        values = _values(event)
        del values["id"]
        self._events.append(values)

    def events(self, run_id: str, after: int = 0, limit: int | None = None) -> list[RunEvent]:
        self._flush_events()
        table = TABLES[RunEvent]
        statement = select(table).where(table.c.run_id == run_id, table.c.id > after).order_by(table.c.id)
        if limit is not None:
            statement = statement.limit(limit)
        return [_row(RunEvent, r) for r in self.conn.execute(statement).mappings()]

    def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        table = TABLES[Timer]
        statement = select(table).where(table.c.due_at <= now).order_by(table.c.due_at, table.c.id).limit(limit)
        return [_row(Timer, r) for r in self.conn.execute(statement).mappings()]

    def _flush_events(self) -> None:
        if self._events:
            self.conn.execute(insert(TABLES[RunEvent]), self._events)
            self._events = []


def _values(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS[type(row)]}


def _row(cls: type[T], mapping: Any) -> T:
    obj = cls.__new__(cls)
    for name in _FIELDS[cls]:
        setattr(obj, name, mapping[name])
    return obj


def _sqlite_pragmas(engine: SAEngine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite: SQLAlchemy's "begin" event issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: no transaction fails half-way on SQLITE_BUSY.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("overture_write", True) else "BEGIN")
