"""Health: ``GET /healthz`` (the process answers) and ``GET /readyz`` (it can do its work).

Readiness is three checks, each with a reason anyone may read (no host names, paths,
addresses or error texts: the probe needs no sign-in; those go to the log, and
``overture doctor`` prints them):

- **database**: it answers (one query for its clock); a SQLite file must still be where
  the app opened it - a process keeps using a deleted file, and a new connection would
  quietly create an empty one;
- **migrations**: both chains (``runtime/store/migrate.py``) are at the heads this code
  has - not behind (a restore of an older backup), not ahead (older code on a newer
  database);
- **workers**: when jobs are ready or timers due, or a job is claimed (with no worker
  alive, by one that stopped mid-action), a process that runs background work has sent a
  heartbeat within the last minute (``runtime/heartbeat.py``), by the database's clock.

``overture doctor`` (``builder/doctor.py``) runs the same checks with the configuration's.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy.engine import make_url

from builder.extensions import state
from builder.migrate import BUILDER
from runtime.clock import Clock
from runtime.heartbeat import FRESH, ProcessBeat
from runtime.store.migrate import RUNTIME, Chain
from runtime.store.sql import SqlStore

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

#: Names of the migration chains, as the checks report them.
CHAINS: tuple[tuple[str, Chain], ...] = (("runtime", RUNTIME), ("builder", BUILDER))

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "skipped"


@dataclass
class Check:
    """One check's outcome.

    ``reason`` is safe to show anyone; ``detail`` is for the operator (paths, hosts,
    errors): the doctor prints it, readiness only logs it.
    """

    name: str
    status: str  # ok | warn | fail | skipped
    reason: str
    detail: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def sqlite_file(store: SqlStore) -> Path | None:
    """The database file of a SQLite store (None: PostgreSQL, or SQLite in memory)."""
    url = make_url(store.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def check_database(store: SqlStore) -> Check:
    path = sqlite_file(store)
    if path is not None and not path.exists():
        return Check("database", FAIL, "the database file is missing", f"{path} does not exist (deleted or moved while the app ran)")
    try:
        store.database_now()
    except Exception as exc:
        return Check("database", FAIL, "the database does not answer", error_text(exc))
    return Check("database", OK, "the database answers", f"{store.dialect}" + (f" {path}" if path else ""))


@functools.cache
def _head(chain: Chain) -> str | None:
    # The code this process runs does not change under it: read its migration files once.
    return chain.head()


def check_migrations(store: SqlStore) -> Check:
    behind, ahead, at = [], [], []
    for name, chain in CHAINS:
        try:
            current = chain.current(store.engine)
        except Exception as exc:
            return Check("migrations", FAIL, "the migration state cannot be read", error_text(exc))
        head = _head(chain)
        at.append(f"{name} {current or 'none'}")
        if current == head:
            continue
        if current is None:
            behind.append(f"the {name} tables are not there (this code needs {head})")
        elif chain.knows(current):
            behind.append(f"the {name} tables are at {current}, this code needs {head}")
        else:
            ahead.append(f"the {name} tables are at {current}, which this code does not know: newer code migrated them (it needs {head})")
    if behind or ahead:
        # Every overture process migrates the database when it opens it (not the doctor).
        fix = ["start `overture serve` or `overture worker` once to migrate"] if behind else []
        return Check("migrations", FAIL, "; ".join(behind + ahead + fix), ", ".join(at))
    return Check("migrations", OK, "the database is at this code's migrations", ", ".join(at))


def check_workers(store: SqlStore, clock: Clock, seen: tuple[Any, list[ProcessBeat]] | None = None) -> Check:
    """Whether background work has a worker: fails only when work is due and no worker beat
    within :data:`~runtime.heartbeat.FRESH`. ``seen``: :meth:`SqlStore.processes`, if read already."""
    try:
        now, processes = seen if seen is not None else store.processes()
        timers, jobs = store.has_work(clock.now())
        held = store.jobs_running()
    except Exception as exc:
        return Check("workers", FAIL, "the worker heartbeats cannot be read", error_text(exc))
    alive = [p for p in processes if p.runs_worker and p.beat_at is not None and p.beat_at >= now - FRESH]
    # A running job with no worker alive was claimed by one that stopped: it waits to be re-queued.
    due = " and ".join(what for what, there in (("jobs are ready", jobs), ("timers are due", timers), ("jobs are claimed", held)) if there)
    window = f"in the last {int(FRESH.total_seconds())} s"
    if alive:
        latest = min((now - p.beat_at).total_seconds() for p in alive if p.beat_at is not None)
        names = ", ".join(f"{p.host}:{p.pid}" for p in alive)
        reason = f"{len(alive)} worker{'s' if len(alive) > 1 else ''} sent a heartbeat {window}"
        return Check("workers", OK, reason, f"{names}; latest beat {latest:.0f} s ago")
    if due:
        return Check("workers", FAIL, f"{due}, and no worker sent a heartbeat {window}", _last_seen(processes, now))
    return Check("workers", OK, f"no background work is due (no worker sent a heartbeat {window})", _last_seen(processes, now))


def readiness(store: SqlStore, clock: Clock) -> list[Check]:
    """The database, migrations and workers checks; a later one is skipped when an earlier fails."""
    checks = [check_database(store)]
    if checks[0].failed:
        return [*checks, Check("migrations", SKIPPED, "not checked: no database"), Check("workers", SKIPPED, "not checked: no database")]
    checks.append(check_migrations(store))
    if checks[1].failed:
        return [*checks, Check("workers", SKIPPED, "not checked: the tables may not be there")]
    checks.append(check_workers(store, clock))
    return checks


def _last_seen(processes: list[ProcessBeat], now: Any) -> str:
    workers = [p for p in processes if p.runs_worker and p.beat_at is not None]
    if not workers:
        return "no worker has a heartbeat row"
    last = workers[0]  # the latest beat first
    assert last.beat_at is not None
    return f"last worker heartbeat: {last.host}:{last.pid}, {(now - last.beat_at).total_seconds():.0f} s ago"


def error_text(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@bp.get("/healthz")
def healthz() -> Any:
    """The process answers. Reads nothing: a database outage must not get it restarted."""
    return _no_store(jsonify({"status": "ok"}), 200)


@bp.get("/readyz")
def readyz() -> Any:
    """200 when every check passes, else 503; the checks and their reasons either way.

    Anyone may ask, so an answer is kept for ``READY_CACHE`` seconds (1): a flood of
    probes costs the database one round of checks a second per process.
    """
    ttl = float(current_app.config.get("READY_CACHE", 1.0))
    kept = current_app.extensions.get("overture_ready")
    if kept is not None and time.monotonic() - kept[0] < ttl:
        body, status = kept[1], kept[2]
    else:
        found = state()
        checks = readiness(found.store, found.engine.clock)
        ready = not any(c.failed for c in checks)
        if not ready:
            log.warning("not ready: %s", "; ".join(f"{c.name}: {c.reason} ({c.detail})" for c in checks if c.failed))
        body = {"status": "ready" if ready else "not_ready", "checks": {c.name: {"status": c.status, "reason": c.reason} for c in checks}}
        status = 200 if ready else 503
        current_app.extensions["overture_ready"] = (time.monotonic(), body, status)
    return _no_store(jsonify(body), status)


def _no_store(response: Any, status: int) -> Any:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
