"""Purge speed: how fast old runs are archived and deleted (runtime/retention.py).

Seeds a fresh database with N old runs that ended (default 20,000) and a tenth as many
recent ones that must stay, then runs the purge as ``overture purge --older-than 180d``
does, and prints runs/s and rows/s, with an archive and without. Each run is a copy of
a real one (the engine runs a contract through two stages once; its rows are cloned
with new ids): ~4 stage visits and step runs, a work item, a notification and ~20
events: 30 rows.

SQLite gets a file in a temporary directory; PostgreSQL a throwaway database created
next to the one ``--database-url`` names, and dropped after.

    .venv/bin/python bench/purge_speed.py [--runs 20000] [--batch 100] [--stores sqlite,postgres]
                                          [--database-url postgresql://postgres@127.0.0.1:5432/x]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.insights import CURSOR
from runtime.model import InsightCursor, RunEvent
from runtime.retention import DEFAULT_BATCH, PurgeReport, purge
from runtime.store.memory import InMemoryStore
from runtime.store.purge import OWNED, RunRows
from runtime.store.sql import SqlStore

FORM = {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]}
DOCUMENT = {
    "format": 1,
    "key": "deal",
    "label": "Deal",
    "inputs": [{"name": "amount", "type": "number", "required": True}],
    "variables": [{"name": "total", "type": "number"}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "legal", "type": "stage", "label": "Legal"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "legal",
            "label": "Review",
            "form": FORM,
            "due": "P2D",
            "assignee": {"type": "user", "value": "rita"},
        },
        {
            "id": "total",
            "type": "background",
            "stage": "legal",
            "label": "Total",
            "action": "vars.set",
            "inputs": {"total": "inputs.amount * 2"},
        },
        {"id": "finance", "type": "stage", "label": "Finance"},
        {
            "id": "tell",
            "type": "background",
            "stage": "finance",
            "label": "Tell",
            "action": "notify",
            "inputs": {"to": "'fiona'", "subject": "'Total ' + string(vars.total)"},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "legal"},
        {"id": "e2", "source": "legal", "target": "finance"},
        {"id": "e3", "source": "finance", "target": "done"},
    ],
}
OLD = datetime(2024, 1, 1, tzinfo=UTC)


def template() -> RunRows:
    """One real run's rows: a contract through legal (a person) and finance (a notification)."""
    clock = ManualClock(OLD)
    engine = Engine(InMemoryStore(), clock, InMemoryDirectory({"rita": [], "fiona": []}))
    engine.deploy(DOCUMENT)
    run_id = engine.start("deal", {"amount": 10})
    (item,) = engine.work_items(run=run_id)
    clock.advance("PT1H")
    engine.complete(item["id"], by="rita", outcome="ok")
    kept: list[RunRows] = []
    engine.store.purge_runs(clock.now() + timedelta(days=1), events_upto=10**9, limit=1, archive=kept.extend)
    return kept[0]


def clone(rows: RunRows, shift: timedelta) -> Iterator[Any]:
    """The template's rows under new ids, every time moved by ``shift``; events last."""
    old_id, new_id = rows.run.id, uuid.uuid4().hex
    ids: dict[str, str] = {old_id: new_id}

    def copy(row: Any) -> Any:
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(row):
            value = getattr(row, f.name)
            if isinstance(value, datetime):
                changes[f.name] = value + shift
            elif isinstance(value, str) and old_id in value:
                changes[f.name] = value.replace(old_id, new_id)
            elif f.name in ("id", "work_item_id") and isinstance(value, str):
                changes[f.name] = ids.setdefault(value, uuid.uuid4().hex)
        return dataclasses.replace(row, **changes)

    yield copy(rows.run)
    for name, _cls in OWNED:
        for row in getattr(rows, name):
            yield copy(row)
    for event in rows.events:
        yield copy(event)


def seed(store: SqlStore, rows: RunRows, old: int, recent: int) -> None:
    chunk = 500
    for start in range(0, old + recent, chunk):
        with store.transaction() as tx:
            for i in range(start, min(start + chunk, old + recent)):
                shift = timedelta(seconds=i) if i < old else datetime.now(UTC) - OLD
                batch = list(clone(rows, shift))
                tx.insert_many([r for r in batch if not isinstance(r, RunEvent)])
                for event in (r for r in batch if isinstance(r, RunEvent)):
                    tx.append_event(event)
    # Live insights have counted every event, as they would have long before a purge.
    last = store.events_after(0, 10**9)[-1].id
    with store.transaction() as tx:
        cursor = InsightCursor(CURSOR, last, {}, datetime.now(UTC))
        if not tx.update(cursor):  # the schema's migration may have made the row
            tx.insert(cursor)
    # The planner's statistics, as autovacuum keeps them in a database that grew over months.
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def measure(store: SqlStore, rows: RunRows, runs: int, batch: int, archive: Path | None) -> str:
    began = time.perf_counter()
    seed(store, rows, runs, runs // 10)
    seeded = time.perf_counter() - began
    began = time.perf_counter()
    batches: list[float] = []  # the time of each batch: how long its transaction held its locks

    def progress(_report: PurgeReport) -> None:
        batches.append(time.perf_counter() - sum(batches) - began)

    report = purge(store, older_than=timedelta(days=180), now=datetime.now(UTC), batch=batch, archive_dir=archive, progress=progress)
    took = time.perf_counter() - began
    assert report.runs == runs, report
    batches = sorted(batches[1:])  # the first also brought the projector up to date
    size = f", archive {report.archive.stat().st_size / 2**20:,.0f} MiB" if report.archive else ""
    return (
        f"{report.runs:>7,} runs  {report.rows:>10,} rows  {took:7.1f} s  {report.runs / took:>8,.0f} runs/s  "
        f"{report.rows / took:>10,.0f} rows/s  batch p50 {batches[len(batches) // 2] * 1000:4.0f} ms, "
        f"max {batches[-1] * 1000:4.0f} ms  (seeded in {seeded:.0f} s{size})"
    )


def postgres_database(url: str) -> tuple[str, Any]:
    """A new, empty database beside ``url``'s, and a function that drops it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from runtime.store.sql import database_url

    base = make_url(database_url(url))
    name = f"overture_purge_bench_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20_000, help="old runs to purge (default 20,000)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help=f"runs per transaction (default {DEFAULT_BATCH})")
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite, postgres or both (default)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="a PostgreSQL server to create the throwaway database on (default: $DATABASE_URL)",
    )
    args = parser.parse_args()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if "postgres" in stores and not args.database_url:
        print("postgres: skipped (no --database-url or DATABASE_URL)")
        stores.remove("postgres")
    rows = template()
    print(
        f"purge speed: {args.runs:,} old runs of {rows.row_count()} rows each (+ {args.runs // 10:,} recent ones that stay), "
        f"{args.batch} runs per batch, {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in stores:
            for archived in (True, False):
                label = f"{name:8} {'archive' if archived else 'no archive':10}"
                if name == "sqlite":
                    store = SqlStore(f"sqlite:///{tmp}/purge-{archived}.db")
                    drop = None
                else:
                    url, drop = postgres_database(args.database_url)
                    store = SqlStore(url)
                try:
                    print(
                        f"{label} {measure(store, rows, args.runs, args.batch, Path(tmp, f'archive-{name}') if archived else None)}",
                        flush=True,
                    )
                finally:
                    store.dispose()
                    if drop is not None:
                        drop()


if __name__ == "__main__":
    main()
