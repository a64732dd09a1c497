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

import contextlib
import functools
import json
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Connection,
    Float,
    Integer,
    bindparam,
    case,
    cast,
    create_engine,
    delete,
    event,
    exists,
    extract,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session

from runtime.model import ROW_TYPES, InsightFigure, InsightPosition, Job, Run, RunEvent, Timer, WorkItem
from runtime.states import ENDED_RUN, OPEN_ITEM
from runtime.store.base import RunTally, Transaction
from runtime.store.purge import OWNED, Mark, PurgeBatch, RunRows, choose
from runtime.store.tables import TABLES, UTCDateTime

T = TypeVar("T")

DEFAULT_URL = "sqlite:///var/overture.db"
_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in fields(cls)) for cls in ROW_TYPES}


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``DATABASE_URL``, else ``./var/overture.db``."""
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
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
        self._thread = threading.local()
        self._kept: set[Connection] = set()
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Each thread keeps a connection (below) while it lives: as many as threads, no cap.
            pool = {"max_overflow": -1} if parsed.database and parsed.database != ":memory:" else {}
            self.engine: SAEngine = create_engine(self.url, connect_args={"timeout": 30, "check_same_thread": False}, **pool)
            _sqlite_pragmas(self.engine)
            self._fast = _Fast(self.engine.dialect)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size * 2)
            self._fast = _Fast(self.engine.dialect)
            _ping_when_idle(self.engine, self._fast)
        _count_statements(self.engine, self._fast)
        self._build_statements()
        if upgrade:
            from runtime.store.migrate import upgrade as run_upgrade

            run_upgrade(self.engine)

    @contextmanager
    def session(self, tx: Transaction) -> Iterator[Session]:
        """An ORM session inside ``tx``, a transaction of this store: what it writes is
        flushed on leaving and commits, or rolls back, with the engine's writes - the
        builder marks a leaving person inactive this way in the transaction that hands
        their work over (``Engine.hand_over(also=...)``). The session never commits."""
        if not isinstance(tx, _SqlTransaction):
            raise TypeError(f"not a transaction of this SQL store: {type(tx).__name__}")
        # Bound to the connection inside its transaction: the session joins it rather than
        # beginning its own, and closing the session leaves it open.
        with Session(bind=tx.conn) as s:
            yield s
            s.flush()

    @property
    def statements(self) -> int:
        """SQL statements sent so far (see :class:`_Fast`)."""
        return self._fast.statements

    @property
    def round_trips(self) -> int:
        """PostgreSQL: network round trips to the server so far (0 on SQLite)."""
        return self._fast.round_trips

    def dispose(self) -> None:
        for conn in list(self._kept):
            with contextlib.suppress(Exception):  # a connection of a thread that is gone; closing is best effort
                conn.close()
        self._kept.clear()
        self.engine.dispose()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_SqlTransaction]:
        if self.dialect == "sqlite":
            # SQLite: each thread keeps its connection; checking one out of the pool for
            # every transaction cost more than the transaction.
            kept = getattr(self._thread, "kept", None)
            if kept is None or kept.conn.closed:
                kept = self._thread.kept = _ThreadConnection(self.engine.connect(), self._kept)
            conn = kept.conn
            conn.execution_options(overture_write=write)
            with conn.begin():
                tx = _SqlTransaction(conn, self._fast)
                yield tx
                tx._flush_events()
            return
        with self.engine.connect() as conn:
            conn.execution_options(overture_write=write)
            raw: Any = conn.connection.driver_connection
            # A read under READ COMMITTED takes a snapshot per statement, in a transaction
            # or not: without one it saves the BEGIN and the COMMIT round trips
            # (begin_snapshot opens one when a read needs a single snapshot).
            raw.autocommit = not write
            try:
                with conn.begin():
                    tx = _SqlTransaction(conn, self._fast)
                    yield tx
                    tx._flush_events()
                    # The buffered writes and COMMIT in one round trip; SQLAlchemy's commit then
                    # finds the transaction ended and sends nothing.
                    tx._send(commit=True)
            finally:
                if not write:
                    with contextlib.suppress(Exception):  # a lost connection: the pool drops it
                        raw.autocommit = False

    def claim_jobs(self, now: datetime, worker: str, limit: int) -> list[Job]:
        params = {"now": now, "worker": worker, "limit": limit}
        with self.transaction() as tx:
            return tx._select(Job, self._claim_statement, params)

    def has_work(self, now: datetime) -> tuple[bool, bool]:
        """Whether timers are due and whether jobs are ready, in one read."""
        with self.transaction(write=False) as tx:
            ((timer, job),), _ = tx._fetch(self._work_probe, {"now": now})
            return timer is not None, job is not None

    def _build_statements(self) -> None:
        jobs, timers = TABLES[Job], TABLES[Timer]
        now = bindparam("now", type_=jobs.c.run_after.type)
        ready = (
            select(jobs.c.id)
            .where(jobs.c.status == "queued", jobs.c.run_after <= now)
            .order_by(jobs.c.run_after, jobs.c.id)
            .limit(bindparam("limit", type_=Integer()))
        )
        values = {"status": "running", "claimed_by": bindparam("worker"), "claimed_at": now, "heartbeat_at": now}
        if self.dialect == "postgresql":
            # One statement: lock up to `limit` ready rows nobody else holds, then take them.
            # A CTE runs once; as an IN (sub-select) the planner may re-run it and take more.
            locked = ready.with_for_update(skip_locked=True).cte("ready").prefix_with("MATERIALIZED")
            self._claim_statement = update(jobs).where(jobs.c.id == locked.c.id).values(**values).returning(*jobs.c)
        else:
            self._claim_statement = (
                update(jobs).where(jobs.c.id.in_(ready.scalar_subquery()), jobs.c.status == "queued").values(**values).returning(*jobs.c)
            )
        timer_probe = select(timers.c.id).where(timers.c.due_at <= bindparam("now", type_=timers.c.due_at.type)).limit(1)
        job_probe = select(jobs.c.id).where(jobs.c.status == "queued", jobs.c.run_after <= now).limit(1)
        # Both in one statement: on PostgreSQL each would be a round trip.
        self._work_probe = select(timer_probe.scalar_subquery().label("timer"), job_probe.scalar_subquery().label("job"))

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
        if self.dialect == "postgresql" or dry_run:
            # PostgreSQL: one transaction that locks only the batch's rows (its roots FOR UPDATE
            # SKIP LOCKED: a purge in another process takes other trees), archiving included.
            with self.transaction(write=not dry_run) as tx:
                chosen, skipped, mark = tx._purge_choose(ended_before, events_upto, limit, after)
                ids = [run.id for run in chosen]
                if dry_run or not ids:
                    return PurgeBatch(ids, tx._purge_count(ids, events_upto) if ids else 0, skipped, mark)
                if archive is not None:  # read only when something keeps the rows: decoding them is most of the cost
                    archive(tx._purge_read(chosen))
                return PurgeBatch(ids, tx._purge_delete(ids, events_upto), skipped, mark)
        # SQLite has one write lock for the whole database: read and archive without it, then
        # take it only to delete. The runs have ended, so nothing changes them meanwhile; a
        # purge in another process may delete them first (they are archived twice, then).
        with self.transaction(write=False) as tx:
            chosen, skipped, mark = tx._purge_choose(ended_before, events_upto, limit, after)
            found = tx._purge_read(chosen) if archive is not None and chosen else []
        if found and archive is not None:
            archive(found)
        ids = [run.id for run in chosen]
        if not ids:
            return PurgeBatch([], 0, skipped, mark)
        with self.transaction() as tx:
            runs = TABLES[Run]
            there = set(tx.conn.execute(select(runs.c.id).where(runs.c.id.in_(ids))).scalars())
            ids = [run_id for run_id in ids if run_id in there]
            return PurgeBatch(ids, tx._purge_delete(ids, events_upto) if ids else 0, skipped, mark)


class _ThreadConnection:
    """One thread's kept SQLite connection. It lives in the thread's locals: when the
    thread ends they are dropped and the connection goes back to the pool (a server
    starts a thread per request or websocket; keeping theirs would drain the pool)."""

    def __init__(self, conn: Connection, kept: set[Connection]):
        self.conn = conn
        kept.add(conn)
        weakref.finalize(self, _release, conn, kept)


def _release(conn: Connection, kept: set[Connection]) -> None:
    kept.discard(conn)
    with contextlib.suppress(Exception):  # the store was disposed meanwhile; nothing to give back
        conn.close()


class _Statements:
    """Statements built once per table and shape, with bound parameters.

    Building a statement per call costs more than running it on SQLite; cached
    statement objects hit SQLAlchemy's compiled cache at once.
    """

    def __init__(self) -> None:
        self._cache: dict[Any, Any] = {}

    def get(self, cls: type) -> Any:
        key = ("get", cls)
        if key not in self._cache:
            table = TABLES[cls]
            self._cache[key] = select(table).where(table.c.id == bindparam("p_id"))
        return self._cache[key]

    def insert(self, cls: type) -> Any:
        key = ("insert", cls)
        if key not in self._cache:
            self._cache[key] = insert(TABLES[cls]).values({n: bindparam(n) for n in _FIELDS[cls]})
        return self._cache[key]

    def insert_event(self) -> Any:
        key = ("insert", RunEvent, "no id")
        if key not in self._cache:
            self._cache[key] = insert(TABLES[RunEvent]).values({n: bindparam(n) for n in _FIELDS[RunEvent] if n != "id"})
        return self._cache[key]

    def delete(self, cls: type) -> Any:
        key = ("delete", cls)
        if key not in self._cache:
            table = TABLES[cls]
            self._cache[key] = delete(table).where(table.c.id == bindparam("p_id"))
        return self._cache[key]

    def update(self, cls: type, shape: tuple[tuple[str, str], ...]) -> Any:
        key = ("update", cls, shape)
        if key not in self._cache:
            table = TABLES[cls]
            statement = update(table).where(table.c.id == bindparam("p_id"))
            statement = statement.where(*(_condition(table, name, kind, "x_") for name, kind in shape))
            self._cache[key] = statement.values({n: bindparam(f"v_{n}") for n in _FIELDS[cls] if n != "id"})
        return self._cache[key]

    def find(self, cls: type, shape: tuple[tuple[str, str], ...]) -> Any:
        key = ("find", cls, shape)
        if key not in self._cache:
            table = TABLES[cls]
            self._cache[key] = select(table).where(*(_condition(table, name, kind, "f_") for name, kind in shape))
        return self._cache[key]

    def find_fixed(self, cls: type, shape: tuple[tuple[str, str], ...], sizes: tuple[int, ...]) -> Any:
        """Like :meth:`find`, with each IN list spelled out as ``sizes`` parameters
        (``f_<name>_<i>``): a plain statement the SQLite fast path can run."""
        key = ("find", cls, shape, sizes)
        if key not in self._cache:
            table = TABLES[cls]
            conditions = []
            sized = iter(sizes)
            for name, kind in shape:
                if kind == "in":
                    params = [bindparam(f"f_{name}_{i}", type_=table.c[name].type) for i in range(next(sized))]
                    conditions.append(table.c[name].in_(params) if params else table.c[name].in_([]))
                else:
                    conditions.append(_condition(table, name, kind, "f_"))
            self._cache[key] = select(table).where(*conditions)
        return self._cache[key]


def _condition(table: Any, name: str, kind: str, prefix: str) -> Any:
    column = table.c[name]
    if kind == "in":
        return column.in_(bindparam(prefix + name, expanding=True))
    if kind == "null":
        return column.is_(None)
    return column == bindparam(prefix + name)


def _shape(filters: dict[str, Any], prefix: str) -> tuple[tuple[tuple[str, str], ...], dict[str, Any]]:
    shape = []
    params: dict[str, Any] = {}
    for name in sorted(filters):
        wanted = filters[name]
        if isinstance(wanted, (tuple, list, set, frozenset)):
            shape.append((name, "in"))
            params[prefix + name] = list(wanted)
        elif wanted is None:
            shape.append((name, "null"))
        else:
            shape.append((name, "eq"))
            params[prefix + name] = wanted
    return tuple(shape), params


_STATEMENTS = _Statements()


_REQUIRED = object()
_SQLITE_INSERT_EVENT = "INSERT INTO run_events (run_id, type, at, node, visit, by, data) VALUES (?, ?, ?, ?, ?, ?, ?)"


class _Fast:
    """Cached statements compiled once and run on the driver's own cursor (sqlite3 or
    psycopg 3).

    SQLAlchemy's per-execution work costs several times what SQLite itself takes
    for these small statements; the same bind and result processors are applied
    here, so values come back exactly as through SQLAlchemy. On PostgreSQL the raw
    cursor is what lets writes wait and go in one pipeline (see :class:`_SqlTransaction`);
    psycopg prepares a statement on the server once a connection has run it a few times.
    """

    def __init__(self, dialect: Any):
        self.dialect = dialect
        self.pg = dialect.name == "postgresql"
        self._compiled: dict[int, tuple[Any, str, list[str], list[Any], list[tuple[str, Any]]]] = {}
        #: SQL statements this store sent (each row of a batch counts; BEGIN and COMMIT
        #: count where they are statements of their own), and on PostgreSQL the network
        #: round trips they took (pings included): the benches print both per run.
        #: Plain counters, exact for one thread (threads may lose an increment).
        self.statements = 0
        self.round_trips = 0

    def count(self, statements: int) -> None:
        """Statements sent in one round trip (SQLite has no network: statements only)."""
        self.statements += statements
        self.round_trips += self.pg

    def prepare(self, statement: Any) -> tuple[str, list[str], list[Any], list[tuple[str, Any]]]:
        entry = self._compiled.get(id(statement))
        if entry is None or entry[0] is not statement:
            compiled = statement.compile(dialect=self.dialect)
            # sqlite3 takes "?" in order; psycopg takes %(name)s from a dict.
            order = list(compiled.positiontup or []) if not self.pg else list(compiled.binds)
            binds = [
                _sqlite_datetime
                if not self.pg and isinstance(compiled.binds[name].type, UTCDateTime)
                else compiled.binds[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
                for name in order
            ]
            selected = getattr(statement, "selected_columns", None)
            if selected is None:  # UPDATE ... RETURNING
                selected = statement.returning_column_descriptions and [d["expr"] for d in statement.returning_column_descriptions]
            columns = [(c.name, c.type.dialect_impl(self.dialect).result_processor(self.dialect, self._coltype(c))) for c in selected or []]
            # Values written into the statement itself ("queued"), as defaults for its parameters.
            literals = {n: compiled.binds[n].value for n in order if not compiled.binds[n].required}
            binds = [(process, literals.get(name, _REQUIRED)) for name, process in zip(order, binds, strict=True)]
            entry = (statement, str(compiled), order, binds, columns)
            self._compiled[id(statement)] = entry
        return entry[1], entry[2], entry[3], entry[4]

    def _coltype(self, column: Any) -> int | None:
        # psycopg's result processors for numbers ask the column's type oid (FLOAT is
        # double precision, oid 701); no other column type asks.
        return 701 if self.pg and isinstance(column.type, Float) else None

    def params(self, order: list[str], binds: list[Any], values: dict[str, Any]) -> Any:
        out = []
        for name, (process, default) in zip(order, binds, strict=True):
            value = values.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"no value for parameter {name!r}")
            out.append(process(value) if process is not None and value is not None else value)
        return dict(zip(order, out, strict=True)) if self.pg else out


class _SqlTransaction:
    """One database transaction of the engine.

    On PostgreSQL every statement is a network round trip, so writes whose result nobody
    reads (inserts, events, unconditional updates) wait in ``_pending`` and go to the
    server in one psycopg pipeline together with the next statement that must answer
    (a read, a conditional update, a delete) or with COMMIT: per engine operation a
    handful of round trips instead of one per row. Reads still see every write before
    them - the pipeline runs in order - and anything run through SQLAlchemy (``conn``)
    sends the waiting writes first. A write that fails fails the statement it went with,
    or the commit, and the whole transaction rolls back as before.
    """

    def __init__(self, conn: Connection, fast: _Fast | None):
        self._sa = conn
        self._fast = fast
        self._pg = fast is not None and fast.pg
        raw: Any = conn.connection.driver_connection if fast else None
        self._raw = raw
        self._cursor = raw.cursor() if fast else None
        self._writer = raw.cursor() if self._pg else None
        self._events: list[Any] = []
        #: PostgreSQL: (sql, parameter sets) waiting to be sent, in order.
        self._pending: list[tuple[str, list[dict[str, Any]]]] = []

    @property
    def conn(self) -> Connection:
        """SQLAlchemy's connection, with every buffered write sent first."""
        if self._pending:
            self._send()
        return self._sa

    def _queue(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        assert self._fast is not None
        sql, order, binds, _ = self._fast.prepare(statement)
        params = [self._fast.params(order, binds, r) for r in rows]
        if self._pending and self._pending[-1][0] == sql:
            self._pending[-1][1].extend(params)
        else:
            self._pending.append((sql, params))

    def _send(self, sql: str | None = None, params: dict[str, Any] | None = None, *, commit: bool = False) -> Any:
        """PostgreSQL: the waiting writes, then ``sql`` (or COMMIT), in one round trip;
        returns the cursor holding ``sql``'s result. The transaction's first statement
        goes in a pipeline too, so the BEGIN psycopg puts before it costs no round trip."""
        raw, cursor, fast = self._raw, self._cursor, self._fast
        assert raw is not None and cursor is not None and self._writer is not None and fast is not None
        pending, self._pending = self._pending, []
        if commit and not pending:
            return None  # SQLAlchemy commits, if a transaction was begun at all
        if not pending and not commit and (raw.autocommit or raw.info.transaction_status != _PG_IDLE):
            fast.count(1)
            with _raw_errors(self._sa, sql):
                return cursor.execute(sql, params)
        with _raw_errors(self._sa, sql), raw.pipeline():
            for text, rows in pending:
                if len(rows) == 1:
                    self._writer.execute(text, rows[0])
                else:
                    self._writer.executemany(text, rows)
            if sql is not None:
                cursor.execute(sql, params)
            if commit:
                # As a statement in the pipeline: Connection.commit() would add a second sync.
                self._writer.execute("COMMIT")
        fast.round_trips += 1
        fast.statements += sum(len(rows) for _, rows in pending) + (sql is not None) + commit
        return cursor

    def _execute(self, statement: Any, params: dict[str, Any]) -> int:
        if self._fast is None:
            return int(self._sa.execute(statement, params).rowcount or 0)
        sql, order, binds, _ = self._fast.prepare(statement)
        if self._pg:
            return int(self._send(sql, self._fast.params(order, binds, params)).rowcount)
        assert self._cursor is not None
        self._fast.count(1)
        self._cursor.execute(sql, self._fast.params(order, binds, params))
        return int(self._cursor.rowcount)

    def _execute_many(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        if self._fast is None:
            self._sa.execute(statement, rows)
            return
        if self._pg:
            self._queue(statement, rows)
            return
        sql, order, binds, _ = self._fast.prepare(statement)
        assert self._cursor is not None
        self._fast.count(len(rows))
        self._cursor.executemany(sql, [self._fast.params(order, binds, r) for r in rows])

    def _fetch(self, statement: Any, params: dict[str, Any]) -> tuple[list[Any], list[tuple[str, Any]]]:
        assert self._fast is not None and self._cursor is not None
        sql, order, binds, columns = self._fast.prepare(statement)
        values = self._fast.params(order, binds, params)
        if self._pg:
            return self._send(sql, values).fetchall(), columns
        self._fast.count(1)
        return self._cursor.execute(sql, values).fetchall(), columns

    def _select(self, cls: type[T], statement: Any, params: dict[str, Any]) -> list[T]:
        if self._fast is None:
            return [_row(cls, r) for r in self._sa.execute(statement, params).mappings()]
        rows, columns = self._fetch(statement, params)
        found = []
        for raw in rows:
            obj = cls.__new__(cls)
            for (name, process), value in zip(columns, raw, strict=True):
                setattr(obj, name, process(value) if process is not None else value)
            found.append(obj)
        return found

    def _select_scalar(self, statement: Any, params: dict[str, Any]) -> Any:
        if self._fast is None:
            return self._sa.execute(statement, params).scalar()
        rows, _ = self._fetch(statement, params)
        return rows[0][0] if rows else None

    def get(self, cls: type[T], id: Any) -> T | None:
        rows = self._select(cls, _STATEMENTS.get(cls), {"p_id": id})
        return rows[0] if rows else None

    def insert(self, row: Any) -> None:
        if self._pg:
            self._queue(_STATEMENTS.insert(type(row)), [_values(row)])
            return
        self._execute(_STATEMENTS.insert(type(row)), _values(row))

    def commit_lazily(self) -> None:
        """PostgreSQL: ``SET LOCAL synchronous_commit TO OFF``, sent with the next
        statement (no round trip of its own). SQLite: nothing (its WAL is synced at
        checkpoints, not each commit, already)."""
        if self._pg:
            self._pending.append(("SET LOCAL synchronous_commit TO OFF", [{}]))

    def insert_many(self, rows: list[Any]) -> None:
        by_type: dict[type, list[dict[str, Any]]] = {}
        for row in rows:
            by_type.setdefault(type(row), []).append(_values(row))
        for cls, values in by_type.items():
            self._execute_many(_STATEMENTS.insert(cls), values)

    def update(self, row: Any, expect: dict[str, Any] | None = None) -> bool:
        cls = type(row)
        shape, params = _shape(expect or {}, "x_")
        params["p_id"] = row.id
        for name in _FIELDS[cls]:
            if name != "id":
                params[f"v_{name}"] = getattr(row, name)
        statement = _STATEMENTS.update(cls, shape)
        if any(kind == "in" for _, kind in shape):
            return bool(self.conn.execute(statement, params).rowcount == 1)
        if self._pg and not shape:
            # Nothing to check, so nothing to wait for: it goes with the next statement. The
            # engine updates only rows it read or wrote in this transaction, so it is there.
            self._queue(statement, [params])
            return True
        return self._execute(statement, params) == 1

    def delete(self, cls: type, id: Any) -> bool:
        return self._execute(_STATEMENTS.delete(cls), {"p_id": id}) == 1

    def find(self, cls: type[T], **filters: Any) -> list[T]:
        shape, params = _shape(filters, "f_")
        if not any(kind == "in" for _, kind in shape):
            return self._select(cls, _STATEMENTS.find(cls, shape), params)
        if self._fast is None:  # SQLAlchemy expands the IN lists
            return [_row(cls, r) for r in self.conn.execute(_STATEMENTS.find(cls, shape), params).mappings()]
        sizes = []
        for name, kind in shape:
            if kind == "in":
                values = params.pop(f"f_{name}")
                sizes.append(len(values))
                params.update({f"f_{name}_{i}": v for i, v in enumerate(values)})
        if any(size == 0 for size in sizes):
            return []
        return self._select(cls, _STATEMENTS.find_fixed(cls, shape, tuple(sizes)), params)

    def append_event(self, event: RunEvent) -> None:
        if self._fast is not None and not self._pg:
            # The hottest insert (~40 per run): bound by hand, as the JSON and DateTime
            # types would bind them.
            self._events.append(
                (event.run_id, event.type, _sqlite_datetime(event.at), event.node, event.visit, event.by, json.dumps(event.data))
            )
            return
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

    def begin_snapshot(self) -> None:
        if self.conn.dialect.name == "postgresql":
            if self._raw is not None and self._raw.autocommit:  # a read-only transaction has not begun
                self.conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
            else:
                self.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def overdue_items(self, orchestration: str, now: datetime) -> list[tuple[int, str, str, int]]:
        # One grouped query over the (status, due_at) index.
        rows = self.conn.execute(_overdue_statement(), {"key": orchestration, "now": now})
        return [(version, step, stage, n) for version, step, stage, n in rows]

    def run_tally(self, orchestration: str, version: int | None, since: datetime) -> RunTally:
        # One grouped query over the (orchestration, status, started_at) index.
        params: dict[str, Any] = {"key": orchestration, "since": since, "version": version}
        rows = self.conn.execute(_tally_statement(self.conn.dialect.name, version is not None), params)
        by_status: dict[str, int] = {}
        per_day: dict[date, int] = {}
        completed = microseconds = 0
        for status, day, runs, timed, spent in rows:
            by_status[status] = by_status.get(status, 0) + runs
            completed += int(timed or 0)
            microseconds += int(spent or 0)
            if day is not None:
                started = date.fromisoformat(day)
                per_day[started] = per_day.get(started, 0) + runs
        return RunTally(by_status, completed, microseconds, per_day)

    def delete_hourly_figures(self, before_hour: int, orchestration: str | None = None) -> int:
        table = TABLES[InsightFigure]
        statement = delete(table).where(table.c.hour > 0, table.c.hour < before_hour)
        if orchestration:
            statement = statement.where(table.c.orchestration == orchestration)
        return int(self.conn.execute(statement).rowcount or 0)

    def _flush_events(self) -> None:
        if not self._events:
            return
        if self._fast is not None and not self._pg:
            assert self._cursor is not None
            self._fast.count(len(self._events))
            self._cursor.executemany(_SQLITE_INSERT_EVENT, self._events)
        else:
            self._execute_many(_STATEMENTS.insert_event(), self._events)
        self._events = []

    # -- retention: the steps of SqlStore.purge_runs

    def _purge_choose(self, ended_before: datetime, events_upto: int, limit: int, after: Mark | None) -> tuple[list[Run], int, Mark | None]:
        runs, events = TABLES[Run], TABLES[RunEvent]
        parent = runs.alias("parent")
        roots: list[Run] = []
        # One query per status, merged here: with one status the (status, started_at) index
        # gives the rows in order and the LIMIT stops the scan; with both (IN) the database
        # would sort every old run for each batch. started_at <= ended_at, so the bound on
        # started_at keeps the scan to the old runs.
        for status in ENDED_RUN:
            statement = (
                select(runs)
                .where(
                    runs.c.status == status,
                    runs.c.started_at < ended_before,
                    runs.c.ended_at < ended_before,
                    or_(runs.c.parent_run_id.is_(None), ~exists().where(parent.c.id == runs.c.parent_run_id)),
                )
                .order_by(runs.c.started_at, runs.c.id)
                .limit(limit)
            )
            if after is not None:
                started, run_id = after
                statement = statement.where(runs.c.started_at >= started, or_(runs.c.started_at > started, runs.c.id > run_id))
            if self.conn.dialect.name == "postgresql":
                statement = statement.with_for_update(skip_locked=True, of=runs)
            roots += [_row(Run, r) for r in self.conn.execute(statement).mappings()]
        roots = sorted(roots, key=lambda run: (run.started_at, run.id))[:limit]

        def last_events(ids: list[str]) -> dict[str, int]:
            rows = self.conn.execute(
                select(events.c.run_id, func.max(events.c.id)).where(events.c.run_id.in_(ids)).group_by(events.c.run_id)
            )
            return {run_id: last for run_id, last in rows}

        return choose(
            roots,
            lambda ids: self.find(Run, parent_run_id=ids),
            last_events,
            ended_before=ended_before,
            events_upto=events_upto,
            limit=limit,
        )

    def _purge_owned(self, ids: list[str], events_upto: int) -> list[tuple[Any, Any]]:
        """(table, condition) of every row the runs ``ids`` own, events up to the bound."""
        events = TABLES[RunEvent]
        owned = [(TABLES[cls], TABLES[cls].c.run_id.in_(ids)) for _name, cls in OWNED]
        return [*owned, (events, events.c.run_id.in_(ids) & (events.c.id <= events_upto))]

    def _purge_count(self, ids: list[str], events_upto: int) -> int:
        return len(ids) + sum(
            self.conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
            for table, where in self._purge_owned(ids, events_upto)
        )

    def _purge_read(self, chosen: list[Run]) -> list[RunRows]:
        events = TABLES[RunEvent]
        ids = [run.id for run in chosen]
        found = {run.id: RunRows(run) for run in chosen}
        row: Any
        for name, cls in OWNED:
            for row in self.find(cls, run_id=ids):
                getattr(found[row.run_id], name).append(row)
        for mapping in self.conn.execute(select(events).where(events.c.run_id.in_(ids)).order_by(events.c.id)).mappings():
            found[mapping["run_id"]].events.append(_row(RunEvent, mapping))
        return list(found.values())

    def _purge_delete(self, ids: list[str], events_upto: int) -> int:
        # An event above the bound would be one the projector has not counted: it stays.
        deleted = sum(
            int(self.conn.execute(delete(table).where(where)).rowcount or 0) for table, where in self._purge_owned(ids, events_upto)
        )
        positions, runs = TABLES[InsightPosition], TABLES[Run]
        self.conn.execute(delete(positions).where(positions.c.run_id.in_(ids)))
        return deleted + int(self.conn.execute(delete(runs).where(runs.c.id.in_(ids))).rowcount or 0)


@functools.cache
def _overdue_statement() -> Any:
    items, runs = TABLES[WorkItem], TABLES[Run]
    return (
        select(runs.c.version, items.c.step_id, items.c.stage_id, func.count())
        .select_from(items.join(runs, runs.c.id == items.c.run_id))
        .where(
            items.c.status.in_(OPEN_ITEM),
            items.c.due_at < bindparam("now", type_=items.c.due_at.type),
            items.c.orchestration == bindparam("key"),
        )
        .group_by(runs.c.version, items.c.step_id, items.c.stage_id)
    )


@functools.cache
def _tally_statement(dialect: str, one_version: bool) -> Any:
    """Runs counted per status and per UTC start day (from ``since`` on), with the completed
    ones' run time summed in whole microseconds, so the sum is exact on both databases."""
    runs = TABLES[Run]
    if dialect == "sqlite":  # UTCDateTime keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) on SQLite

        def microseconds(column: Any) -> Any:
            return cast(func.strftime("%s", column), BigInteger) * 1_000_000 + cast(func.substr(column, 21, 6), BigInteger)

        day = func.substr(runs.c.started_at, 1, 10)
        spent = microseconds(runs.c.ended_at) - microseconds(runs.c.started_at)
    else:  # PostgreSQL: EXTRACT gives an exact numeric
        day = func.to_char(func.timezone("UTC", runs.c.started_at), "YYYY-MM-DD")
        spent = cast(extract("epoch", runs.c.ended_at - runs.c.started_at) * 1_000_000, BigInteger)
    timed = (runs.c.status == "completed") & runs.c.ended_at.is_not(None)
    since = bindparam("since", type_=runs.c.started_at.type)
    where = [runs.c.orchestration == bindparam("key")]
    if one_version:
        where.append(runs.c.version == bindparam("version"))
    each = (
        select(
            runs.c.status,
            case((runs.c.started_at >= since, day)).label("day"),
            case((timed, 1), else_=0).label("timed"),
            case((timed, spent)).label("spent"),
        )
        .where(*where)
        .subquery()
    )
    # Grouped outside: PostgreSQL would not match a bound parameter in the select's CASE
    # with the same one written again in GROUP BY.
    return select(each.c.status, each.c.day, func.count(), func.sum(each.c.timed), func.sum(each.c.spent)).group_by(
        each.c.status, each.c.day
    )


def _sqlite_datetime(value: datetime) -> str:
    """What UTCDateTime stores on SQLite, in SQLAlchemy's own text format, faster."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


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
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: indexes stay in memory
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Checkpoint the WAL every ~40 MB rather than every 4 MB: checkpoints are what
        # made the slowest commits slow (p99 of complete() fell from ~5.6 to ~1.4 ms).
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    # Writers of this process queue here before SQLite's own lock (ARCHITECTURE §5, Serving).
    # Under gevent this lock yields, where SQLite's busy wait would stop the whole process
    # (and with it the writer it waits for, until busy_timeout); with threads it only
    # saves the busy wait's sleeps. Other processes still meet SQLite's lock.
    writers = threading.RLock()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        if not conn.get_execution_options().get("overture_write", True):
            conn.exec_driver_sql("BEGIN")
            return
        # Writers take the write lock up front: no transaction fails half-way on SQLITE_BUSY.
        writers.acquire()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release()
            raise
        conn.info["overture_writer"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(conn: Connection) -> None:
        if conn.info.pop("overture_writer", False):
            writers.release()


#: psycopg's TransactionStatus.IDLE: no transaction open on the connection.
_PG_IDLE = 0

#: Seconds a pooled PostgreSQL connection may sit unused before its checkout pings it.
PING_AFTER_IDLE = 10.0


@contextmanager
def _raw_errors(conn: Connection, statement: str | None) -> Iterator[None]:
    """psycopg's errors raised as SQLAlchemy's (IntegrityError...), as through SQLAlchemy;
    a lost connection is invalidated, so the pool does not hand it out again."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)  # type: ignore[arg-type]  # psycopg's Error is the DB-API Error
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, connection_invalidated=lost, dialect=conn.dialect) from exc


def _count_statements(engine: SAEngine, fast: _Fast) -> None:
    """Count what runs through SQLAlchemy in ``fast``'s figures, as the fast path counts its own."""

    @event.listens_for(engine, "before_cursor_execute")
    def on_execute(conn: Connection, _cursor: Any, _sql: str, params: Any, _context: Any, many: bool) -> None:
        # psycopg begins a transaction with a BEGIN of its own before the first statement.
        begins = fast.pg and _pg_begins(conn.connection.driver_connection)
        fast.statements += (len(params) if many else 1) + begins
        fast.round_trips += fast.pg * (1 + begins)

    @event.listens_for(engine, "commit")
    def on_commit(conn: Connection) -> None:
        if fast.pg and conn.connection.driver_connection.info.transaction_status != _PG_IDLE:  # type: ignore[union-attr]  # open in a transaction
            fast.statements += 1
            fast.round_trips += 1


def _pg_begins(raw: Any) -> bool:
    return bool(not raw.autocommit and raw.info.transaction_status == _PG_IDLE)


def _ping_when_idle(engine: SAEngine, fast: _Fast) -> None:
    """Check a pooled connection before use only when it sat idle a while.

    ``pool_pre_ping`` pings at every checkout: a network round trip per transaction, as
    much as a small transaction's own statements. A connection lost while in use is
    invalidated where the error shows (SQLAlchemy does it; :func:`_raw_errors` for the
    fast path), so only one idle long enough for a server restart needs the ping.
    """

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get("overture_used")
        if used is not None and time.monotonic() - used < PING_AFTER_IDLE:
            return
        fast.round_trips += 1
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool reconnects and retries the checkout.
            raise DisconnectionError() from exc
        finally:
            record.info["overture_used"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["overture_used"] = time.monotonic()
