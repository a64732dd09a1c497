#!/usr/bin/env python3
"""Migrating runs to another version: how many runs per second, dry run and apply.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.

Seeding: a contract orchestration (stage ``legal`` with a review by the legal group,
then ``finance`` with a budget approval) is deployed as version 1. ``--engine-runs``
runs are started through the engine and half of them taken past legal (so half sit on
``legal``, half on ``finance``, each with its open work item). Their rows (run, stage
visits, step runs, work items, events) are then cloned until there are ``--runs`` runs
(new ids; the ids the engine derives from the run's id keep their shape), bulk loaded:
``COPY`` on PostgreSQL, ``executemany`` in one transaction on SQLite, as
``bench/big_data.py`` does. Version 2 adds a ``compliance`` stage after finance, so
every run can move.

Timing (``time.perf_counter``), for each store:

* **dry run**: ``Engine.check_migration(Plan(key, 2))`` over every run; per run, the
  time of judging it (loading the run and assessing it against the target);
* **apply**: ``Engine.start_migration`` then ``Engine.finish_migration(id, batch=B)``
  - the worker's path, batch after batch, each run in its own transaction with its
  result row; per run, the time of ``migrate_run`` (its transaction, commit included).

Runs/s is runs over the wall time of the whole call. Each store's runs are checked
after the apply: all on version 2, one ``run.migrated`` event each.

    .venv/bin/python bench/migrations.py                                   # SQLite, 10,000 runs
    .venv/bin/python bench/migrations.py --stores postgres \\
        --database-url postgresql://postgres@127.0.0.1:5432/overture_bench_migrations
    .venv/bin/python bench/migrations.py --runs 2000 --profile apply       # where apply's time goes
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.big_data import Loader  # bulk loads: COPY on PostgreSQL, executemany on SQLite
from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine, Plan
from runtime.engine.migration import batches
from runtime.store.sql import SqlStore

PEOPLE = {"alice": ["legal"], "fiona": ["finance"], "erin": ["executives"]}
#: Tables holding a run's state, cloned from the engine's runs (a run of this document has
#: no timers, jobs or subscriptions while it waits on a person).
CLONED = ("runs", "stage_visits", "step_runs", "work_items", "run_events")
LOAD_BATCH = 5_000


def document(key: str, *, compliance: bool) -> dict[str, Any]:
    """legal -> finance (-> compliance) -> end; one people step per stage."""

    def people(step: str, stage: str, label: str, group: str) -> dict[str, Any]:
        outcomes = [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]
        return {
            "id": step,
            "type": "interactive",
            "stage": stage,
            "label": label,
            "assignee": {"type": "group", "value": group},
            "form": {"fields": [{"name": "notes", "type": "text", "label": "Notes"}], "outcomes": outcomes},
        }

    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "start"},
        {"id": "legal", "type": "stage", "label": "Legal"},
        people("review", "legal", "Legal review", "legal"),
        {"id": "finance", "type": "stage", "label": "Finance"},
        people("approve", "finance", "Budget approval", "finance"),
        {"id": "end", "type": "end"},
    ]
    edges = [("start", "legal"), ("legal", "finance")]
    if compliance:
        nodes[-1:-1] = [
            {"id": "compliance", "type": "stage", "label": "Compliance"},
            people("check", "compliance", "Compliance check", "executives"),
        ]
        edges += [("finance", "compliance"), ("compliance", "end")]
    else:
        edges.append(("finance", "end"))
    return {
        "format": 1,
        "key": key,
        "label": "Contract",
        "variables": [{"name": "amount", "type": "number", "default": 0}],
        "nodes": nodes,
        "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)],
    }


def make_store(name: str, database_url: str | None, tmp: Path) -> SqlStore:
    if name == "sqlite":
        return SqlStore(f"sqlite:///{tmp / f'migrations-{uuid.uuid4().hex[:8]}.db'}")
    if not database_url:
        raise SystemExit("--stores postgres needs --database-url (a scratch database)")
    return SqlStore(database_url)


def seed(engine: Engine, store: SqlStore, key: str, runs: int, engine_runs: int) -> float:
    """``runs`` runs of ``key`` at version 1, half on legal and half on finance; returns seconds."""
    from sqlalchemy import select

    from runtime.store.tables import Base

    began = time.perf_counter()
    engine.deploy(document(key, compliance=False), by="bench")
    made = []
    for n in range(min(engine_runs, runs)):
        run_id = engine.start(key, {}, started_by="bench")
        if n % 2:
            (item,) = engine.work_items(run=run_id)
            engine.complete(item["id"], by="alice", outcome="approve", values={"notes": f"run {n}"})
        made.append(run_id)
    tables = {name: Base.metadata.tables[name] for name in CLONED}
    shapes: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with store.engine.connect() as conn:
        for run_id in made:
            shapes[run_id] = {
                name: [dict(r._mapping) for r in conn.execute(select(t).where((t.c.id if name == "runs" else t.c.run_id) == run_id))]
                for name, t in tables.items()
            }
    loader = Loader(store.engine)
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in CLONED}
    for n in range(runs - len(made)):
        template_id = made[n % len(made)]
        new = uuid.uuid4().hex
        shift = timedelta(microseconds=n + 1)  # distinct start times, in seed order
        for name, rows in shapes[template_id].items():
            for row in rows:
                copy = {c: (v + shift if c == "started_at" and v is not None else v) for c, v in row.items()}
                if name == "runs":
                    copy["id"] = new
                else:
                    copy["run_id"] = new
                    if name == "run_events":
                        del copy["id"]
                    elif template_id in copy["id"]:
                        copy["id"] = copy["id"].replace(template_id, new)
                    else:
                        copy["id"] = uuid.uuid4().hex
                pending[name].append(copy)
        if len(pending["runs"]) >= LOAD_BATCH or n == runs - len(made) - 1:
            for name in CLONED:
                loader.load(tables[name], pending[name])
                pending[name] = []
    if loader.postgres:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.deploy(document(key, compliance=True), by="bench")
    return time.perf_counter() - began


@contextmanager
def timed(module: Any, name: str, samples: list[float]) -> Iterator[None]:
    """Time every call of ``module.name`` (the migration code looks its helpers up at call time)."""
    real: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            samples.append(time.perf_counter() - began)

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, real)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99 and mean, in ms."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000, statistics.fmean(ordered) * 1000


def profiled(call: Callable[[], Any], top: int) -> Any:
    profile = cProfile.Profile()
    result = profile.runcall(call)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(top)
        print(f"--- by {order} time ---")
        print("\n".join(out.getvalue().splitlines()[: top + 12]))
    return result


def bench_store(name: str, args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    store = make_store(name, args.database_url, tmp)
    engine = Engine(store, ManualClock(), InMemoryDirectory(PEOPLE), autoprocess=False, worker_id=f"bench:{uuid.uuid4().hex[:6]}")
    key = f"migrate_{uuid.uuid4().hex[:8]}"  # a database may be reused: only this key's runs count
    seconds = seed(engine, store, key, args.runs, args.engine_runs)
    print(f"{name}: seeded {args.runs:,} runs in {seconds:.1f} s", file=sys.stderr)
    plan = Plan(key, 2)
    rows = []

    judged: list[float] = []
    with timed(batches, "_judge", judged):
        began = time.perf_counter()
        report = profiled(lambda: engine.check_migration(plan), args.top) if args.profile == "dry" else engine.check_migration(plan)
        dry = time.perf_counter() - began
    assert report["movable"] == args.runs, report["summary"]
    rows.append({"store": name, "phase": "dry run", "runs": args.runs, "batch": "-", "seconds": dry, "samples": judged})

    moved: list[float] = []
    with timed(batches, "migrate_run", moved):
        began = time.perf_counter()
        migration_id = engine.start_migration(plan, by="bench")
        if args.profile == "apply":
            view = profiled(lambda: engine.finish_migration(migration_id, batch=args.batch), args.top)
        else:
            view = engine.finish_migration(migration_id, batch=args.batch)
        applied = time.perf_counter() - began
    assert (view["status"], view["moved"], view["total"]) == ("completed", args.runs, args.runs), view["summary"]
    rows.append({"store": name, "phase": "apply", "runs": args.runs, "batch": args.batch, "seconds": applied, "samples": moved})
    check(store, key, args.runs)
    store.dispose()
    return rows


def check(store: SqlStore, key: str, runs: int) -> None:
    """Every run on version 2 with exactly one run.migrated event."""
    from sqlalchemy import func, select

    from runtime.store.tables import RunEventRow, RunRow

    with store.engine.connect() as conn:
        by_version = select(RunRow.version, func.count()).where(RunRow.orchestration == key).group_by(RunRow.version)
        versions = dict(conn.execute(by_version).all())
        ids = select(RunRow.id).where(RunRow.orchestration == key).scalar_subquery()
        events = conn.scalar(select(func.count()).where(RunEventRow.run_id.in_(ids), RunEventRow.type == "run.migrated"))
    assert versions == {2: runs}, versions
    assert events == runs, events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs to migrate (default 10,000)")
    parser.add_argument("--engine-runs", type=int, default=200, help="runs made by the engine; the rest are clones (default 200)")
    parser.add_argument("--batch", type=int, default=batches.BATCH, help=f"runs per batch when applying (default {batches.BATCH})")
    parser.add_argument("--stores", default="sqlite", help="comma-separated: sqlite,postgres (default sqlite)")
    parser.add_argument("--database-url", default=None, help="a scratch PostgreSQL database for the postgres store")
    parser.add_argument("--profile", choices=("dry", "apply"), default=None, help="run that phase under cProfile")
    parser.add_argument("--top", type=int, default=25, help="functions the profile lists (default 25)")
    args = parser.parse_args(argv)
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if unknown := [s for s in stores if s not in ("sqlite", "postgres")]:
        parser.error(f"unknown store(s): {', '.join(unknown)} (known: sqlite, postgres)")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="overture-bench-") as tmp:
        for name in stores:
            rows += bench_store(name, args, Path(tmp))
    print(f"python {platform.python_version()}, {platform.machine()}; per run: dry run = judging one run, apply = its transaction")
    header = f"{'store':<9} {'phase':<8} {'runs':>7} {'batch':>5} {'seconds':>8} {'runs/s':>8}"
    print(header + f" {'p50 ms':>7} {'p99 ms':>7} {'mean ms':>7} {'in runs':>7}")
    for row in rows:
        p50, p99, mean = percentiles(row["samples"])
        share = sum(row["samples"]) / row["seconds"]
        print(
            f"{row['store']:<9} {row['phase']:<8} {row['runs']:>7,} {row['batch']!s:>5} {row['seconds']:>8.2f} "
            f"{row['runs'] / row['seconds']:>8,.0f} {p50:>7.2f} {p99:>7.2f} {mean:>7.2f} {share:>7.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
