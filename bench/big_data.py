#!/usr/bin/env python3
"""Lists at scale: seed a big store fast, then time the lists people and ops open.

A benchmark, not a test: it prints figures and never asserts a wall-clock time (the
targets on PostgreSQL are p99 <= 50 ms per list and for the insights snapshot, <= 200 ms
for a year of metrics, and the server's RSS flat).

Seeding: 10 orchestrations (one stage, one people step each) are deployed and 50 groups
made, five per orchestration; ``member`` belongs to group ``g00``, ``olga`` is ops. For
each orchestration the engine itself makes two template runs - one left open on its
work item, one completed - on a template record. Their rows (run, stage visits, step
runs, work items, events) are then cloned ``--runs`` times with new ids, start times
spread over the past year and each open item given to one of the orchestration's five
groups: ``--open`` of the runs (0.3) stay open. One record in ten runs is bound to a
record of its own. Cloning goes by bulk loading - ``COPY`` on PostgreSQL, ``executemany``
in one transaction on SQLite - so a million runs load in minutes.

Before timing, the insight projector catches up with the cloned history (it follows the
log as runs go; the clones arrived all at once). Timing: the app runs in this process (Flask's test client, no HTTP), each request
``--samples`` times (after one warm-up): My work for a member of a big group, the runs list
as ops with each filter and as the member, a run's detail, a record page, the insights
snapshot and a year of metrics. RSS is this process's, read before the first request and
after the last.

    .venv/bin/python bench/big_data.py                                   # SQLite, 100,000 runs
    .venv/bin/python bench/big_data.py --runs 1000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/overture_bigdata
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench password phrase"
ORCHESTRATIONS = 10
GROUPS_EACH = 5
CLONED = ("runs", "stage_visits", "step_runs", "work_items", "run_events")
BATCH = 20_000


def seeded_file(url: str) -> Path:
    """Where the seeding of ``url`` notes what --reuse needs to know (a run id, an orchestration)."""
    name = "".join(c if c.isalnum() else "_" for c in url.rsplit("/", 1)[-1])
    return Path(tempfile.gettempdir()) / f"overture_big_data_{name}.json"


def document(key: str, group: str) -> dict[str, Any]:
    return {
        "format": 1,
        "key": key,
        "label": key.title(),
        "inputs": [{"name": "amount", "type": "number", "required": True}],
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "check", "type": "stage", "label": "Check"},
            {
                "id": "review",
                "type": "interactive",
                "stage": "check",
                "label": "Review",
                "assignee": {"type": "group", "value": group},
                "due": "P2D",
                "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
            },
            {"id": "done", "type": "end"},
        ],
        "edges": [{"id": "e1", "source": "start", "target": "check"}, {"id": "e2", "source": "check", "target": "done"}],
    }


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Loader:
    """Bulk inserts of plain dict rows: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def load(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.postgres:
            with self.engine.begin() as conn:
                conn.execute(table.insert(), rows)
            return
        from psycopg.types.json import Jsonb

        columns = list(rows[0])
        json_columns = {c.name for c in table.columns if c.type.__class__.__name__ in ("JSON", "JSONB", "Variant")}
        json_columns = {c for c in columns if c in json_columns or isinstance(rows[0][c], (dict, list))}
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([Jsonb(row[c]) if c in json_columns and row[c] is not None else row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()


def seed(url: str, runs: int, open_share: float) -> dict[str, Any]:
    from sqlalchemy import select

    from builder import accounts, create_app
    from builder.extensions import state
    from runtime.store.tables import Base

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
    began = time.perf_counter()
    with app.app_context():
        engine = state().engine
        with state().sessions.begin() as s:
            for g in range(ORCHESTRATIONS * GROUPS_EACH):
                accounts.create_group(s, f"g{g:02d}", kind="group")
            s.flush()
            accounts.create_user(s, "member", role="member", password=PASSWORD, groups=["g00"])
            accounts.create_user(s, "olga", role="ops", password=PASSWORD)
            groups = [f"g{g:02d}" for g in range(ORCHESTRATIONS * GROUPS_EACH)]
            accounts.create_user(s, "closer", role="member", password=PASSWORD, groups=groups)
        engine.define_record_type("account", [{"name": "name", "type": "string"}], label="Account")
        templates = []
        for o in range(ORCHESTRATIONS):
            key = f"flow{o}"
            engine.deploy(document(key, f"g{o * GROUPS_EACH:02d}"), by="bench")
            record = engine.create_record("account", {"name": f"template {o}"}, by="bench")
            open_run = engine.start(key, {"amount": 1}, record={"object": "account", "id": record["id"]}, started_by="bench")
            done_run = engine.start(key, {"amount": 2}, record={"object": "account", "id": record["id"]}, started_by="bench")
            item = next(i for i in engine.work_items(run=done_run, status=("open",)))
            engine.complete(item["id"], by="closer", outcome="ok", values={})
            templates.append((key, open_run, done_run, record["id"]))
        sql = state().store.engine
        tables = {name: Base.metadata.tables[name] for name in (*CLONED, "records")}
        shapes: dict[str, dict[str, list[dict[str, Any]]]] = {}
        with sql.connect() as conn:
            for _key, open_run, done_run, record_id in templates:
                for run_id in (open_run, done_run):
                    shapes[run_id] = {
                        name: [
                            dict(r._mapping) for r in conn.execute(select(t).where((t.c.id if name == "runs" else t.c.run_id) == run_id))
                        ]
                        for name, t in tables.items()
                        if name != "records"
                    }
                shapes[record_id] = {
                    "records": [
                        dict(r._mapping) for r in conn.execute(select(tables["records"]).where(tables["records"].c.id == record_id))
                    ]
                }
        loader = Loader(sql)
        now = datetime.now(UTC)
        rng = random.Random(15)
        pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        sample_run = ""
        for n in range(runs):
            o = n % ORCHESTRATIONS
            key, open_run, done_run, record_id = templates[o]
            is_open = rng.random() < open_share
            template = shapes[open_run if is_open else done_run]
            run_id = uuid.uuid4().hex
            sample_run = sample_run or run_id
            start = now - timedelta(seconds=rng.uniform(60, 365 * 86400))
            shift = start - template["runs"][0]["started_at"]
            group = f"g{o * GROUPS_EACH + rng.randrange(GROUPS_EACH):02d}"
            bound = None
            if n % 10 == 0:
                bound = uuid.uuid4().hex
                pending["records"].append(
                    {
                        **shapes[record_id]["records"][0],
                        "id": bound,
                        "fields": {"name": f"account {n}"},
                        "created_at": start,
                        "updated_at": start,
                        "owner": "bench",
                        "idempotency_key": None,
                    }
                )
            for name, rows in template.items():
                for row in rows:
                    copy = {c: (v + shift if isinstance(v, datetime) else v) for c, v in row.items()}
                    if name == "runs":
                        copy["id"] = run_id
                        copy["record_id"] = bound
                        copy["record_object"] = "account" if bound else None
                    else:
                        copy["run_id"] = run_id
                        if name == "run_events":
                            del copy["id"]
                        else:
                            copy["id"] = uuid.uuid4().hex
                    if name == "work_items":
                        copy["assignee_value"] = group
                        copy["record_id"] = bound
                        copy["record_object"] = "account" if bound else None
                    pending[name].append(copy)
            if len(pending["runs"]) >= BATCH or n == runs - 1:
                for name in ("records", *CLONED):
                    loader.load(tables[name], pending[name])
                    pending[name] = []
        if loader.postgres:
            # Settled as autovacuum leaves a loaded table (a server may run without it):
            # statistics, and the visibility map that index-only scans need.
            with sql.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM runs outside a transaction
                conn.exec_driver_sql("VACUUM ANALYZE")
    seconds = time.perf_counter() - began
    app.extensions["overture"].close()
    print(f"seeded {runs:,} runs ({open_share:.0%} open) in {seconds:.1f} s ({runs / seconds:,.0f} runs/s)")
    return {"run": sample_run, "key": templates[0][0], "record": templates[0][3]}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def skip_projection(url: str) -> None:
    """Move the insight projector's cursor past the cloned history, as if it had counted it
    (``--skip-projection``, for a million runs: catching up takes far longer than seeding).
    The snapshot then reads fewer figure rows than it would, but those are per element and
    hour, not per run; what grows with the runs (overdue items, run tallies) is all there."""
    from sqlalchemy import create_engine, func, select

    from runtime.insights import CURSOR
    from runtime.store.sql import database_url
    from runtime.store.tables import InsightCursorRow, RunEventRow

    engine = create_engine(database_url(url))
    with engine.begin() as conn:
        last = conn.scalar(select(func.max(RunEventRow.id))) or 0
        conn.execute(InsightCursorRow.__table__.delete().where(InsightCursorRow.id == CURSOR))
        conn.execute(InsightCursorRow.__table__.insert().values(id=CURSOR, position=last, skipped={}, updated_at=datetime.now(UTC)))
    engine.dispose()


def measure(url: str, seeded: dict[str, Any], samples: int, only: list[str] | None = None) -> None:
    from builder import create_app
    from builder.live.hub import hub

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
    # The insight projector follows the log as runs go; the cloned history arrived all at
    # once, so it catches up here first, or the first insights and metrics calls would time that.
    began = time.perf_counter()
    with app.app_context():
        projected = 0
        while applied := hub().projector.catch_up(max_passes=50):
            projected += applied
    print(f"the insight projector caught up with {projected:,} events in {time.perf_counter() - began:.1f} s")
    clients = {}
    for user in ("member", "olga"):
        client = app.test_client()
        answer = client.post("/api/session", json={"username": user, "password": PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        clients[user] = client
    year_ago = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = seeded["key"]
    cases = [
        ("My work (member of a big group)", "member", "/api/work-items?mine=1"),
        ("My work, page 2", "member", None),
        ("My work's first page with its total", "member", "/api/work-items?mine=1&total=1"),
        ("runs list (ops)", "olga", "/api/runs"),
        ("runs ?status=in_progress", "olga", "/api/runs?status=in_progress"),
        ("runs ?orchestration=", "olga", f"/api/runs?orchestration={key}"),
        ("runs ?orchestration=&stage=", "olga", f"/api/runs?orchestration={key}&stage=check"),
        ("runs ?assignee=g00", "olga", "/api/runs?assignee=g00"),
        ("runs ?started_after=30 days", "olga", f"/api/runs?started_after={year_ago}"),
        ("runs list (member)", "member", "/api/runs"),
        ("runs list's filters (ops)", "olga", "/api/runs/filters"),
        ("runs list's filters (member)", "member", "/api/runs/filters"),
        ("notifications (member)", "member", "/api/notifications"),
        ("run detail", "olga", f"/api/runs/{seeded['run']}"),
        ("record page (accounts)", "olga", "/api/records/account"),
        ("record page (member)", "member", "/api/records/account"),
        ("insights snapshot", "olga", f"/api/orchestrations/{key}/insights"),
        ("metrics, a year", "olga", f"/api/orchestrations/{key}/metrics?days=365"),
    ]
    if only:
        cases = [case for case in cases if any(word.lower() in case[0].lower() for word in only)]
    rss_before = rss_mib()
    print(f"{'request':40} {'p50 ms':>9} {'p99 ms':>9}  items")
    print(f"{'-' * 40} {'-' * 9} {'-' * 9}  -----")
    next_page = ""
    for label, user, path in cases:
        if path is None:
            if not next_page:
                continue
            path = f"/api/work-items?mine=1&cursor={next_page}"
        client = clients[user]
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code, first.get_data(as_text=True)[:300])
        body = first.get_json()
        if label.startswith("My work (") and isinstance(body, dict):
            next_page = body.get("next_cursor") or ""
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - began) * 1000)
        p50, p99 = percentiles(times)
        count = len(body["items"]) if isinstance(body, dict) and "items" in body else "-"
        print(f"{label:40} {p50:9.1f} {p99:9.1f}  {count}")
    print()  # the table ends here (bench/compare.py reads up to a blank line)
    print(f"RSS before the first request {rss_before:.0f} MiB, after the last {rss_mib():.0f} MiB")
    app.extensions["overture"].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--open", type=float, default=0.3, help="share of runs left open (0.3)")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--database-url", help="PostgreSQL URL (an empty database); SQLite in a temp dir otherwise")
    parser.add_argument("--reuse", action="store_true", help="time an already seeded --database-url, seed nothing")
    parser.add_argument("--seed-only", action="store_true", help="seed, time nothing")
    parser.add_argument("--only", action="append", metavar="WORD", help="time only the requests whose label holds WORD (repeatable)")
    parser.add_argument("--skip-projection", action="store_true", help="mark the cloned history as projected (see skip_projection)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/big.db"
        if args.reuse:
            seeded = json.loads(seeded_file(url).read_text())
        else:
            seeded = seed(url, args.runs, args.open)
            if args.database_url:
                seeded_file(url).write_text(json.dumps(seeded))
            if args.skip_projection:
                skip_projection(url)
        if not args.seed_only:
            measure(url, seeded, args.samples, args.only)


if __name__ == "__main__":
    main()
