"""Memory with many waiting runs: state lives in the database, not in Python objects.

Seeds a SQLite (or ``--database-url``) database with N runs that each wait on a
person (default 100,000), then starts a fresh process that opens the engine over it
and does a server's work — lists a person's work items, loads runs, completes items,
drains jobs and timers — and prints its peak RSS. The same is done against an
empty database; the two figures should match (no per-run memory).

    .venv/bin/python bench/memory_waiting_runs.py [--runs 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOCUMENT = {
    "format": 1,
    "key": "waiting",
    "label": "Waiting on a person",
    "inputs": [{"name": "n", "type": "integer", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "s", "type": "stage", "label": "Review"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "s",
            "label": "Review",
            "assignee": {"type": "group", "value": "reviewers"},
            "due": "P7D",
            "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "s"}, {"id": "e2", "source": "s", "target": "done"}],
}

# What the measured process does: the work a server does, over whatever is in the database.
SERVER_WORK = r"""
import json, resource, sys, time
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.store.sql import SqlStore
from runtime.model import Run
from sqlalchemy import func, select
from runtime.store.tables import TABLES

store = SqlStore(sys.argv[1])
engine = Engine(store, directory=InMemoryDirectory({"rita": ["reviewers"]}), autoprocess=False)
engine.deploy(json.loads(sys.argv[2]))
started = time.perf_counter()
with store.engine.connect() as conn:
    waiting = conn.execute(select(func.count()).select_from(TABLES[Run]).where(TABLES[Run].c.status == "in_progress")).scalar()
for i in range(200):
    run_id = engine.start("waiting", {"n": -i})
    engine.get_run(run_id)
    (item,) = engine.work_items(run=run_id)
    engine.complete(item["id"], by="rita")
    engine.process()
with store.engine.connect() as conn:
    sample = [r[0] for r in conn.execute(select(TABLES[Run].c.id).limit(50))]
for run_id in sample:
    engine.get_run(run_id)
    engine.events(run_id, limit=20)
engine.runs(status="completed", orchestration="waiting") if waiting < 1000 else None
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"waiting_runs": waiting, "peak_rss_mib": round(peak_kib / 1024, 1), "seconds": round(time.perf_counter() - started, 2)}))
"""


def seed(url: str, runs: int) -> None:
    from sqlalchemy import func, select

    from runtime.directory import InMemoryDirectory
    from runtime.engine import Engine
    from runtime.model import Run
    from runtime.store.sql import SqlStore
    from runtime.store.tables import TABLES

    store = SqlStore(url)
    engine = Engine(store, directory=InMemoryDirectory({"rita": ["reviewers"]}), autoprocess=False)
    engine.deploy(DOCUMENT)
    with store.engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(TABLES[Run]).where(TABLES[Run].c.status == "in_progress")).scalar() or 0
    started = time.perf_counter()
    for n in range(have, runs):
        engine.start("waiting", {"n": n})
        if n and n % 10_000 == 0:
            print(f"  seeded {n:,} runs ({n / (time.perf_counter() - started):,.0f}/s)", flush=True)
    if runs > have:
        took = time.perf_counter() - started
        print(f"seeded {runs - have:,} waiting runs in {took:,.0f} s ({(runs - have) / took:,.0f} runs/s)")
    store.dispose()


def measure(url: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SERVER_WORK, url, json.dumps(DOCUMENT)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-memory.db'}")
    parser.add_argument("--empty-url", default=f"sqlite:///{ROOT / 'var' / 'bench-memory-empty.db'}")
    args = parser.parse_args()
    for path in (args.empty_url,):
        if path.startswith("sqlite:///"):
            Path(path[len("sqlite:///") :]).unlink(missing_ok=True)
    seed(args.database_url, args.runs)
    empty = measure(args.empty_url)
    full = measure(args.database_url)
    print(f"{'database':<28}{'waiting runs':>14}{'peak RSS MiB':>14}{'work s':>8}")
    for name, figures in (("empty", empty), (f"{args.runs:,} waiting runs", full)):
        print(f"{name:<28}{figures['waiting_runs']:>14,}{figures['peak_rss_mib']:>14}{figures['seconds']:>8}")
    print(
        f"difference: {full['peak_rss_mib'] - empty['peak_rss_mib']:+.1f} MiB for {full['waiting_runs'] - empty['waiting_runs']:,} more waiting runs"
    )


if __name__ == "__main__":
    main()
