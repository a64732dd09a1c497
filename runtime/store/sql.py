"""The durable store: SQLite by default, PostgreSQL for scale (SQLAlchemy 2 Core).

One database transaction per engine transaction. Writes that must have exactly one
winner are conditional updates (``UPDATE ... WHERE status IN (...)``); runs carry a
revision for optimistic concurrency. Events are buffered during the transaction and
inserted in one batch just before it commits. Rows a transaction read by id or wrote are
kept for it, so reading one again costs no query.

On SQLite every writing transaction starts with ``BEGIN IMMEDIATE``: one writer at a
time, and no transaction fails half-way because another wrote first. On PostgreSQL
jobs are claimed with ``FOR UPDATE SKIP LOCKED`` in a single statement, and writes -
checked updates included - wait and go to the server in one pipeline with the next read
or with COMMIT (:class:`_SqlTransaction`): an engine operation is two round trips.
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
    Connection,
    Float,
    Integer,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session

from runtime.heartbeat import FORGOTTEN, ProcessBeat
from runtime.model import ROW_TYPES, AuditEntry, InsightFigure, InsightPosition, Job, Record, Run, RunEvent, Timer, WorkItem
from runtime.states import ENDED_RUN
from runtime.store.base import Operations, RunTally, Transaction
from runtime.store.purge import OWNED, Mark, PurgeBatch, RunRows, choose
from runtime.store.tables import OPEN_ITEM_SQL, OPEN_ITEM_WHERE, TABLES, ProcessRow, RunCountRow, UTCDateTime

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
        tx._rows.clear()  # what the transaction kept may be what the session just changed

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
        self._thread.probed = None  # what has_work may answer without a query: only right after the commit
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
                    try:
                        yield tx
                    except BaseException as exc:
                        tx._conflict_behind(exc)
                        raise
                    tx._flush_events()
                    # The buffered writes and COMMIT in one round trip; SQLAlchemy's commit then
                    # finds the transaction ended and sends nothing.
                    then = tx._probe_sql(self._work_probe, tx.probe_at) if tx.probe_at is not None else None
                    if tx._send(commit=True, then=then) is not None and then is not None:
                        ((timer, job),) = tx._cursor.fetchall()
                        self._thread.probed = (tx.probe_at, timer is not None, job is not None)
            finally:
                if not write:
                    with contextlib.suppress(Exception):  # a lost connection: the pool drops it
                        raw.autocommit = False

    def claim_jobs(self, now: datetime, worker: str, limit: int) -> list[Job]:
        params = {"now": now, "worker": worker, "limit": limit}
        with self.transaction() as tx:
            return tx._select(Job, self._claim_statement, params)

    def has_work(self, now: datetime) -> tuple[bool, bool]:
        """Whether timers are due and whether jobs are ready, in one read. On PostgreSQL,
        right after a transaction that asked for it (:meth:`_SqlTransaction.probe_on_commit`)
        on this thread, the answer the probe sent with its COMMIT gave, without a query."""
        probed = getattr(self._thread, "probed", None)
        if probed is not None:
            self._thread.probed = None
            if probed[0] <= now:
                return probed[1], probed[2]
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

    def purge_audit(self, before: datetime, *, limit: int) -> int:
        table = TABLES[AuditEntry]
        oldest = select(table.c.id).where(table.c.at < before).order_by(table.c.at).limit(limit)
        with self.transaction() as tx:
            return int(tx.conn.execute(delete(table).where(table.c.id.in_(oldest))).rowcount or 0)

    # -- process heartbeats (runtime/heartbeat.py)

    def _database_clock(self, ago: timedelta = timedelta(0)) -> Any:
        """The database's time (less ``ago``) as SQL: PostgreSQL's, or SQLite's (the
        machine's) to the millisecond."""
        if self.dialect == "sqlite":
            return func.strftime("%Y-%m-%d %H:%M:%f", "now", f"-{ago.total_seconds()} seconds")
        return func.now() - ago if ago else func.now()

    def database_now(self) -> datetime:
        """The database's clock: one query, so also the cheapest proof the database answers."""
        with self.transaction(write=False) as tx:
            found: datetime = tx.conn.execute(select(type_coerce(self._database_clock(), UTCDateTime()))).scalar_one()
            return found

    def beat(self, process: ProcessBeat) -> None:
        """Write ``process``'s heartbeat: its row, stamped with the database's time and its own
        (``process.clock_at``); rows silent for :data:`~runtime.heartbeat.FORGOTTEN` go."""
        table = ProcessRow.__table__
        values = {
            "kind": process.kind,
            "host": process.host,
            "pid": process.pid,
            "runs_worker": process.runs_worker,
            "key_id": process.key_id,
            "started_at": process.started_at,
            "clock_at": process.clock_at,
            "beat_at": self._database_clock(),
        }
        with self.transaction() as tx:
            if not tx.conn.execute(update(table).where(table.c.id == process.id).values(**values)).rowcount:
                tx.conn.execute(insert(table).values(id=process.id, **values))
            # By the database's clock: a process whose own is days fast must not delete the others.
            tx.conn.execute(delete(table).where(table.c.beat_at < self._database_clock(FORGOTTEN)))

    def jobs_running(self) -> bool:
        """Whether a worker holds a job (readiness: with no worker alive, one that stopped does)."""
        jobs = TABLES[Job]
        with self.transaction(write=False) as tx:
            return tx.conn.execute(select(jobs.c.id).where(jobs.c.status == "running").limit(1)).first() is not None

    def oldest_ready_job(self, now: datetime) -> datetime | None:
        """When the longest-waiting ready job became due (how far behind the workers are)."""
        jobs = TABLES[Job]
        with self.transaction(write=False) as tx:
            oldest: datetime | None = tx.conn.execute(
                select(func.min(jobs.c.run_after)).where(jobs.c.status == "queued", jobs.c.run_after <= now)
            ).scalar_one()
            return oldest

    def connection_limit(self) -> int | None:
        """PostgreSQL's ``max_connections`` less the superuser reserve; None on SQLite."""
        if self.dialect != "postgresql":
            return None
        with self.transaction(write=False) as tx:
            show = tx.conn.exec_driver_sql
            return int(show("SHOW max_connections").scalar_one()) - int(show("SHOW superuser_reserved_connections").scalar_one())

    def forget_process(self, process_id: str) -> None:
        """Delete a process's heartbeat row (it stops cleanly)."""
        table = ProcessRow.__table__
        with self.transaction() as tx:
            tx.conn.execute(delete(table).where(table.c.id == process_id))

    def processes(self) -> tuple[datetime, list[ProcessBeat]]:
        """The database's time now and every process with a heartbeat row, the latest beat first."""
        table = ProcessRow.__table__
        with self.transaction(write=False) as tx:
            tx.begin_snapshot()  # the time and the rows from one moment
            now: datetime = tx.conn.execute(select(type_coerce(self._database_clock(), UTCDateTime()))).scalar_one()
            rows = tx.conn.execute(select(table).order_by(table.c.beat_at.desc(), table.c.id)).mappings().all()
        return now, [ProcessBeat(**row) for row in rows]

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

    def update_fixed(self, cls: type, shape: tuple[tuple[str, str], ...], sizes: tuple[int, ...]) -> Any:
        """Like :meth:`update`, each IN list spelled out as ``sizes`` parameters (``x_<name>_<i>``)."""
        key = ("update", cls, shape, sizes)
        if key not in self._cache:
            table = TABLES[cls]
            statement = update(table).where(table.c.id == bindparam("p_id"), *_fixed_conditions(table, shape, sizes, "x_"))
            self._cache[key] = statement.values({n: bindparam(f"v_{n}") for n in _FIELDS[cls] if n != "id"})
        return self._cache[key]

    def delete_fixed(self, cls: type, shape: tuple[tuple[str, str], ...], sizes: tuple[int, ...]) -> Any:
        key = ("delete", cls, shape, sizes)
        if key not in self._cache:
            table = TABLES[cls]
            self._cache[key] = delete(table).where(*_fixed_conditions(table, shape, sizes, "f_"))
        return self._cache[key]

    def get_with_run(self, cls: type) -> Any:
        """``cls``'s row by id with its run and the run's record, in one query: the columns
        of each labelled ``<i>_<name>`` (``i`` = 0, 1, 2), the run's and record's NULL when absent."""
        key = ("get_with_run", cls)
        if key not in self._cache:
            rows, runs, records = TABLES[cls], TABLES[Run], TABLES[Record]
            columns = [c.label(f"{i}_{c.name}") for i, table in enumerate((rows, runs, records)) for c in table.c]
            joined = rows.outerjoin(runs, runs.c.id == rows.c.run_id).outerjoin(records, records.c.id == runs.c.record_id)
            self._cache[key] = select(*columns).select_from(joined).where(rows.c.id == bindparam("p_id"))
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
            self._cache[key] = select(table).where(*_fixed_conditions(table, shape, sizes, "f_"))
        return self._cache[key]


def _fixed_conditions(table: Any, shape: tuple[tuple[str, str], ...], sizes: tuple[int, ...], prefix: str) -> list[Any]:
    conditions = []
    sized = iter(sizes)
    for name, kind in shape:
        if kind == "in":
            params = [bindparam(f"{prefix}{name}_{i}", type_=table.c[name].type) for i in range(next(sized))]
            conditions.append(table.c[name].in_(params) if params else table.c[name].in_([]))
        else:
            conditions.append(_condition(table, name, kind, prefix))
    return conditions


def _spell_out(shape: tuple[tuple[str, str], ...], params: dict[str, Any], prefix: str) -> tuple[int, ...]:
    """Each IN list of ``params`` as one parameter per value (``<prefix><name>_<i>``); their sizes."""
    sizes = []
    for name, kind in shape:
        if kind == "in":
            values = params.pop(f"{prefix}{name}")
            sizes.append(len(values))
            params.update({f"{prefix}{name}_{i}": v for i, v in enumerate(values)})
    return tuple(sizes)


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
        self._bulk: dict[int, tuple[Any, str, list[str]]] = {}
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

    def bulk(self, statement: Any) -> tuple[str, list[str]]:
        """PostgreSQL: an ``INSERT`` of :class:`_Statements` as one statement for any number of
        rows - ``INSERT ... SELECT * FROM unnest(<column>[], ...)``, a parameter per column
        holding every row's value - and those parameters' names. One text whatever the
        count, so the server prepares it once; unnest gives the rows in order, so the ids
        the database assigns (events) follow the order they were appended in."""
        entry = self._bulk.get(id(statement))
        if entry is None or entry[0] is not statement:
            _, order, _, _ = self.prepare(statement)
            table, quote = statement.table, self.dialect.identifier_preparer.quote
            arrays = ", ".join(f"%({n})s::{table.c[n].type.compile(dialect=self.dialect)}[]" for n in order)
            sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in order)}) SELECT * FROM unnest({arrays})"
            entry = self._bulk[id(statement)] = (statement, sql, order)
        return entry[1], entry[2]

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
    reads wait in ``_pending`` and go to the server in one psycopg pipeline together with
    the next statement that must answer (a read, a delete whose answer is wanted) or with
    COMMIT: per engine operation a couple of round trips instead of one per row. The
    waiting writes are inserts, events, unconditional updates, deletes by filter, and
    *checked* updates (:meth:`update_or_raise`): those go as ``WITH u AS (UPDATE ...
    RETURNING 1) SELECT 1/count(*) FROM u``, so one that matches no row fails on the
    server - the pipeline stops there, COMMIT never runs - and the store raises the
    conflict the caller gave. Reads still see every write before them - the pipeline
    runs in order - and anything run through SQLAlchemy (``conn``) sends the waiting
    writes first. A write that fails fails the statement it went with, or the commit,
    and the whole transaction rolls back as before.

    Rows the transaction read by id, inserted or updated are kept (``_rows``, on both
    databases): a second :meth:`get` of one is answered from there, a copy, without a
    query. What the transaction itself does not write may change meanwhile in another
    one; the engine's writes that must see the latest state are checked updates, which
    the database checks. The kept rows live and die with the transaction; a statement
    through ``conn`` (which may write anything) forgets them all.
    """

    def __init__(self, conn: Connection, fast: _Fast):
        self._sa = conn
        self._fast = fast
        self._pg = fast.pg
        raw: Any = conn.connection.driver_connection
        self._raw = raw
        self._cursor: Any = raw.cursor()
        self._writer: Any = raw.cursor() if self._pg else None
        self._events: list[Any] = []
        #: PostgreSQL: (sql, parameter sets, the conflict of a checked update, the statement)
        #: waiting to be sent, in order.
        self._pending: list[tuple[str, list[dict[str, Any]], Exception | None, Any]] = []
        #: (row type, id) -> the row as this transaction last read or wrote it.
        self._rows: dict[tuple[type, Any], Any] = {}
        #: PostgreSQL: the time to probe for work at, after COMMIT in the same round trip.
        self.probe_at: datetime | None = None

    def probe_on_commit(self, now: datetime) -> None:
        if self._pg:
            self.probe_at = now

    def _probe_sql(self, statement: Any, now: datetime) -> tuple[str, Any]:
        sql, order, binds, _ = self._fast.prepare(statement)
        return sql, self._fast.params(order, binds, {"now": now})

    @property
    def conn(self) -> Connection:
        """SQLAlchemy's connection, with every buffered write sent first."""
        if self._pending:
            self._send()
        self._rows.clear()
        return self._sa

    def _queue(self, statement: Any, rows: list[dict[str, Any]], conflict: Exception | None = None) -> None:
        sql, order, binds, _ = self._fast.prepare(statement)
        params = [self._fast.params(order, binds, r) for r in rows]
        if conflict is not None:
            self._pending.append((_checked(sql), params, conflict, statement))
        elif self._pending and self._pending[-1][0] == sql:
            self._pending[-1][1].extend(params)
        else:
            self._pending.append((sql, params, None, statement))

    def _send(
        self, sql: str | None = None, params: dict[str, Any] | None = None, *, commit: bool = False, then: tuple[str, Any] | None = None
    ) -> Any:
        reads = [(sql, params)] if sql is not None else []
        cursors = self._send_all(reads, commit=commit, then=then)
        return cursors[0] if cursors else None

    def _send_all(self, reads: list[tuple[str, Any]], *, commit: bool = False, then: tuple[str, Any] | None = None) -> list[Any]:
        """PostgreSQL: the waiting writes, then ``sql`` (or COMMIT, and the read ``then``
        after it), in one round trip; returns the cursor holding ``sql``'s (``then``'s) result.
        The transaction's first statement
        goes in a pipeline too, so the BEGIN psycopg puts before it costs no round trip.
        A checked update that matched no row raises its conflict."""
        import psycopg

        raw, cursor, fast, writer = self._raw, self._cursor, self._fast, self._writer
        pending, self._pending = self._pending, []
        if commit and not pending:
            return []  # SQLAlchemy commits, if a transaction was begun at all
        sql = reads[0][0] if reads else None
        if not pending and not commit and len(reads) == 1 and (raw.autocommit or raw.info.transaction_status != _PG_IDLE):
            fast.count(1)
            with _raw_errors(self._sa, sql):
                return [cursor.execute(*reads[0])]
        checks: list[tuple[Any, Exception]] = []
        cursors = [cursor if i == 0 else raw.cursor() for i in range(len(reads))]
        with _raw_errors(self._sa, sql):
            try:
                with raw.pipeline():
                    for text, rows, conflict, statement in pending:
                        if conflict is not None:
                            check = raw.cursor()  # its own: whether it has a result tells where the pipeline stopped
                            checks.append((check, conflict))
                            check.execute(text, rows[0])
                        elif len(rows) == 1:
                            writer.execute(text, rows[0])
                        elif statement.is_insert:  # one statement for the rows of a table, not one each
                            bulk, names = fast.bulk(statement)
                            writer.execute(bulk, {name: [row[name] for row in rows] for name in names})
                        else:
                            writer.executemany(text, rows)
                    for each, (text, values) in zip(cursors, reads, strict=True):
                        each.execute(text, values)
                    if commit:
                        # As a statement in the pipeline: Connection.commit() would add a second sync.
                        writer.execute("COMMIT")
                        if then is not None:  # outside the transaction, as has_work would read
                            cursor.execute(*then)
                            cursors = [cursor]
            except psycopg.errors.DivisionByZero:
                # Only a checked update divides: the first one without a result matched no row.
                failed = next((conflict for check, conflict in checks if check.pgresult is None), None)
                if failed is None:
                    raise
                raise failed from None
            finally:
                fast.round_trips += 1
                fast.statements += sum(len(rows) for _, rows, _, _ in pending) + len(reads) + commit + (commit and then is not None)
        return cursors

    def _conflict_behind(self, exc: BaseException) -> None:
        """The transaction failed with ``exc`` while checked updates waited: if one does not
        match, raise its conflict instead (``exc`` its cause). The caller went on as if they
        matched, so what it read after may not fit together - another transaction completed
        the work item meanwhile, say - and ``exc`` (a step that cannot move from completed
        to completed) is a symptom of the conflict, which the caller handles (a retry, a 409)."""
        conflicts = [conflict for _, _, conflict, _ in self._pending if conflict is not None]
        if not conflicts:
            return
        try:
            self._send_all([])
        except Exception as found:
            if any(found is conflict for conflict in conflicts):
                raise found from exc
            # Another error: the transaction rolls back all the same, with ``exc``.

    def _execute(self, statement: Any, params: dict[str, Any]) -> int:
        sql, order, binds, _ = self._fast.prepare(statement)
        if self._pg:
            return int(self._send(sql, self._fast.params(order, binds, params)).rowcount)
        self._fast.count(1)
        self._cursor.execute(sql, self._fast.params(order, binds, params))
        return int(self._cursor.rowcount)

    def _execute_many(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        if self._pg:
            self._queue(statement, rows)
            return
        sql, order, binds, _ = self._fast.prepare(statement)
        self._fast.count(len(rows))
        self._cursor.executemany(sql, [self._fast.params(order, binds, r) for r in rows])

    def _fetch(self, statement: Any, params: dict[str, Any]) -> tuple[list[Any], list[tuple[str, Any]]]:
        sql, order, binds, columns = self._fast.prepare(statement)
        values = self._fast.params(order, binds, params)
        if self._pg:
            return self._send(sql, values).fetchall(), columns
        self._fast.count(1)
        return self._cursor.execute(sql, values).fetchall(), columns

    def _select(self, cls: type[T], statement: Any, params: dict[str, Any]) -> list[T]:
        rows, columns = self._fetch(statement, params)
        return [_build(cls, columns, raw) for raw in rows]

    def _keep(self, row: Any) -> None:
        self._rows[(type(row), row.id)] = _copy(row)

    def get(self, cls: type[T], id: Any) -> T | None:
        kept: T | None = self._rows.get((cls, id))
        if kept is not None:
            return _copy(kept)
        rows = self._select(cls, _STATEMENTS.get(cls), {"p_id": id})
        if not rows:
            return None
        self._keep(rows[0])
        return rows[0]

    def read_several(self, reads: list[tuple[type, Any]]) -> list[Any]:
        if not self._pg:
            return [self.find(cls, **key) if isinstance(key, dict) else self.get(cls, key) for cls, key in reads]
        answers: list[Any] = [None] * len(reads)
        wanted: list[tuple[int, type, bool, str, Any, list[tuple[str, Any]]]] = []
        for i, (cls, key) in enumerate(reads):
            if isinstance(key, dict):
                shape, params = _shape(key, "f_")
                sizes = _spell_out(shape, params, "f_")
                if any(size == 0 for size in sizes):
                    answers[i] = []
                    continue
                statement = _STATEMENTS.find_fixed(cls, shape, sizes) if sizes else _STATEMENTS.find(cls, shape)
            elif (cls, key) in self._rows:
                answers[i] = self.get(cls, key)
                continue
            else:
                statement, params = _STATEMENTS.get(cls), {"p_id": key}
            sql, order, binds, columns = self._fast.prepare(statement)
            wanted.append((i, cls, isinstance(key, dict), sql, self._fast.params(order, binds, params), columns))
        if not wanted:
            return answers
        cursors = self._send_all([(sql, params) for _, _, _, sql, params, _ in wanted])
        for (i, cls, many, _, _, columns), cursor in zip(wanted, cursors, strict=True):
            rows: list[Any] = [_build(cls, columns, raw) for raw in cursor.fetchall()]
            if many:
                answers[i] = rows
            elif rows:
                self._keep(rows[0])
                answers[i] = rows[0]
        return answers

    def get_with_run(self, cls: type[T], id: Any) -> T | None:
        if (cls, id) in self._rows:
            return self.get(cls, id)
        rows, columns = self._fetch(_STATEMENTS.get_with_run(cls), {"p_id": id})
        if not rows:
            return None
        found: list[Any] = [c.__new__(c) for c in (cls, Run, Record)]
        for (label, process), value in zip(columns, rows[0], strict=True):
            i, name = label.split("_", 1)
            setattr(found[int(i)], name, process(value) if process is not None else value)
        row, run, record = found
        for each in (run, record):
            if each.id is not None:  # absent: every column NULL
                self._keep(each)
        self._keep(row)
        return row  # type: ignore[no-any-return]  # built as cls

    def insert(self, row: Any) -> None:
        if self._pg:
            self._queue(_STATEMENTS.insert(type(row)), [_values(row)])
        else:
            self._execute(_STATEMENTS.insert(type(row)), _values(row))
        self._keep(row)

    def commit_lazily(self) -> None:
        """PostgreSQL: ``SET LOCAL synchronous_commit TO OFF``, sent with the next
        statement (no round trip of its own). SQLite: nothing (its WAL is synced at
        checkpoints, not each commit, already)."""
        if self._pg:
            self._pending.append(("SET LOCAL synchronous_commit TO OFF", [{}], None, None))

    def insert_many(self, rows: list[Any]) -> None:
        by_type: dict[type, list[dict[str, Any]]] = {}
        for row in rows:
            by_type.setdefault(type(row), []).append(_values(row))
        for cls, values in by_type.items():
            self._execute_many(_STATEMENTS.insert(cls), values)
        for row in rows:
            self._keep(row)

    def _update_statement(self, row: Any, expect: dict[str, Any] | None) -> tuple[Any, dict[str, Any]]:
        cls = type(row)
        shape, params = _shape(expect or {}, "x_")
        params["p_id"] = row.id
        for name in _FIELDS[cls]:
            if name != "id":
                params[f"v_{name}"] = getattr(row, name)
        if any(kind == "in" for _, kind in shape):
            return _STATEMENTS.update_fixed(cls, shape, _spell_out(shape, params, "x_")), params
        return _STATEMENTS.update(cls, shape), params

    def update(self, row: Any, expect: dict[str, Any] | None = None) -> bool:
        statement, params = self._update_statement(row, expect)
        if self._pg and not expect:
            # Nothing to check, so nothing to wait for: it goes with the next statement. The
            # engine updates only rows it read or wrote in this transaction, so it is there.
            self._queue(statement, [params])
            self._keep(row)
            return True
        if self._execute(statement, params) != 1:
            self._rows.pop((type(row), row.id), None)
            return False
        self._keep(row)
        return True

    def update_or_raise(self, row: Any, expect: dict[str, Any], conflict: Exception) -> None:
        statement, params = self._update_statement(row, expect)
        if self._pg:
            self._queue(statement, [params], conflict)  # checked on the server, raised by _send
        elif self._execute(statement, params) != 1:
            raise conflict
        self._keep(row)

    def delete(self, cls: type, id: Any) -> bool:
        self._rows.pop((cls, id), None)
        return self._execute(_STATEMENTS.delete(cls), {"p_id": id}) == 1

    def delete_all(self, cls: type, **filters: Any) -> None:
        shape, params = _shape(filters, "f_")
        sizes = _spell_out(shape, params, "f_")
        for key in [k for k in self._rows if k[0] is cls]:
            del self._rows[key]
        if any(size == 0 for size in sizes):
            return
        statement = _STATEMENTS.delete_fixed(cls, shape, sizes)
        if self._pg:
            self._queue(statement, [params])
        else:
            self._execute(statement, params)

    def find(self, cls: type[T], **filters: Any) -> list[T]:
        shape, params = _shape(filters, "f_")
        if not any(kind == "in" for _, kind in shape):
            return self._select(cls, _STATEMENTS.find(cls, shape), params)
        sizes = _spell_out(shape, params, "f_")
        if any(size == 0 for size in sizes):
            return []
        return self._select(cls, _STATEMENTS.find_fixed(cls, shape, sizes), params)

    def append_event(self, event: RunEvent) -> None:
        if not self._pg:
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
            if self._raw.autocommit:  # a read-only transaction has not begun
                self.conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
            else:
                self.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def overdue_items(self, orchestration: str, now: datetime) -> list[tuple[int, str, str, int]]:
        # One grouped index-only scan of the open items' partial index, from the
        # orchestration's earliest due time to now: no join, no closed item read.
        statement = _SQLITE_OVERDUE if self.conn.dialect.name == "sqlite" else _overdue_statement()
        rows = self.conn.execute(statement, {"key": orchestration, "now": now})
        return [(version, step, stage, n) for version, step, stage, n in rows]

    def operations(self, now: datetime) -> Operations:
        items, jobs, timers, events = TABLES[WorkItem], TABLES[Job], TABLES[Timer], TABLES[RunEvent]
        group = case((items.c.assignee_type == "user", ""), else_=items.c.assignee_value)
        overdue = func.sum(case((items.c.due_at < now, 1), else_=0))
        open_items = self.conn.execute(
            select(items.c.assignee_type, group, func.count(), overdue).where(OPEN_ITEM_WHERE).group_by(items.c.assignee_type, group)
        )
        state = case((jobs.c.status == "running", "running"), (jobs.c.run_after <= now, "ready"), else_="scheduled")
        queued = self.conn.execute(
            select(jobs.c.action, state, func.count()).where(jobs.c.status.in_(("queued", "running"))).group_by(jobs.c.action, state)
        )
        waiting, due, oldest = self.conn.execute(
            select(func.count(), func.sum(case((timers.c.due_at <= now, 1), else_=0)), func.min(timers.c.due_at))
        ).one()
        last = self.conn.execute(select(func.max(events.c.id))).scalar()
        return Operations(
            [(kind, name, int(n), int(late or 0)) for kind, name, n, late in open_items],
            [(action, st, int(n)) for action, st, n in queued],
            int(waiting),
            int(due or 0),
            oldest if due else None,  # the earliest of all is the earliest due one when any is due
            int(last or 0),
        )

    def run_tally(self, orchestration: str, version: int | None, since: datetime) -> RunTally:
        # The run_counts rows the database's triggers keep (migration 0013): a few per day
        # and status, whatever the number of runs, and purged runs still counted.
        params: dict[str, Any] = {"key": orchestration, "since": since.astimezone(UTC).date().isoformat(), "version": version}
        rows = self.conn.execute(_tally_statement(version is not None), params)
        by_status: dict[str, int] = {}
        per_day: dict[date, int] = {}
        completed = microseconds = 0
        for status, day, runs, timed, spent in rows:
            runs = int(runs or 0)
            if runs:
                by_status[status] = by_status.get(status, 0) + runs
            completed += int(timed or 0)
            microseconds += int(spent or 0)
            if day is not None and runs:
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
        if not self._pg:
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


#: The same on SQLite, which without statistics would take the (orchestration, status,
#: due_at) index for its two equalities and read each item's row for the rest.
_SQLITE_OVERDUE = sql_text(
    "SELECT version, step_id, stage_id, count(*) FROM work_items INDEXED BY ix_work_items_overdue"
    f" WHERE orchestration = :key AND {OPEN_ITEM_SQL} AND due_at < :now AND version IS NOT NULL"
    " GROUP BY version, step_id, stage_id"
).bindparams(bindparam("now", type_=UTCDateTime()))


@functools.cache
def _overdue_statement() -> Any:
    items = TABLES[WorkItem]
    return (
        select(items.c.version, items.c.step_id, items.c.stage_id, func.count())
        .where(
            items.c.orchestration == bindparam("key"),
            # The partial index's condition as written there, not bound: with bound values
            # a prepared statement's generic plan could not prove it and would miss the index.
            OPEN_ITEM_WHERE,
            items.c.due_at < bindparam("now", type_=items.c.due_at.type),
            items.c.version.is_not(None),
        )
        .group_by(items.c.version, items.c.step_id, items.c.stage_id)
    )


@functools.cache
def _tally_statement(one_version: bool) -> Any:
    """The run_counts rows of an orchestration summed per status and per start day (days
    before ``since`` summed into one NULL day)."""
    counts = RunCountRow.__table__
    where = [counts.c.orchestration == bindparam("key")]
    if one_version:
        where.append(counts.c.version == bindparam("version"))
    each = select(
        counts.c.status,
        case((counts.c.day >= bindparam("since"), counts.c.day)).label("day"),
        counts.c.n,
        counts.c.timed,
        counts.c.microseconds,
    ).where(*where)
    rows = each.subquery()
    # Grouped outside: PostgreSQL would not match a bound parameter in the select's CASE
    # with the same one written again in GROUP BY.
    return select(rows.c.status, rows.c.day, func.sum(rows.c.n), func.sum(rows.c.timed), func.sum(rows.c.microseconds)).group_by(
        rows.c.status, rows.c.day
    )


def _sqlite_datetime(value: datetime) -> str:
    """What UTCDateTime stores on SQLite, in SQLAlchemy's own text format, faster."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _checked(sql: str) -> str:
    """An UPDATE of one row by id that fails on the server (division by zero) when it
    matched no row: the transaction stops there and COMMIT, later in the pipeline, never runs."""
    return f"WITH u AS ({sql} RETURNING 1) SELECT 1 / count(*) FROM u"


def _build(cls: type[T], columns: list[tuple[str, Any]], raw: Any) -> T:
    obj = cls.__new__(cls)
    for (name, process), value in zip(columns, raw, strict=True):
        setattr(obj, name, process(value) if process is not None else value)
    return obj


def _copy(row: T) -> T:
    # Shallow: the engine replaces JSON values, it never edits them in place (as the in-memory store).
    new = object.__new__(type(row))
    new.__dict__.update(row.__dict__)
    return new


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
