#!/usr/bin/env python3
"""Live stream latency: from a state change being committed to a websocket client
receiving a message that reflects it.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.

Setup: the Flask app on werkzeug's threaded server (as ``overture serve`` would,
without gunicorn) in this process, ``--clients`` websocket clients on
``/ws/live?orchestration=deal`` (one thread each), and a load generator in a
*separate process* with its own engine and store on the same database, starting
runs at a steady rate: each start is one transaction of 5 events (run.started,
edge.taken, stage.started, step.started, work_item.created), so ``--rate 500``
events/s is 100 starts/s. The generator notes the wall time right after each
commit; afterwards the events' sequence numbers are read back, and for every
(start, client) pair the latency is the time from that commit to the first message
the client received whose ``seq`` covers the start's last event.

It runs twice by default: with the protocol's coalescing (at most one message per
client every 250 ms, LIVE.md) and without (``LIVE_MIN_INTERVAL`` 0: the pipeline
itself — poll, project, read figures, fan out, send).

    .venv/bin/python bench/live_latency.py                      # SQLite file in a temp dir
    .venv/bin/python bench/live_latency.py --database-url postgresql://postgres@127.0.0.1:5432/overture_bench
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEAL = {
    "format": 1,
    "key": "deal",
    "label": "Deal",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "legal", "type": "stage", "label": "Legal"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "legal",
            "label": "Review",
            "due": "P2D",
            "assignee": {"type": "group", "value": "legal"},
            "form": {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}]},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "legal"}, {"id": "e2", "source": "legal", "target": "done"}],
}
EVENTS_PER_START = 5


def load(url: str, rate: float, seconds: float, out: Any) -> None:
    """The other process: start runs at ``rate`` events/s; send (run id, commit time)."""
    from runtime.clock import SystemClock
    from runtime.directory import InMemoryDirectory
    from runtime.engine import Engine
    from runtime.store.sql import SqlStore

    store = SqlStore(url)
    engine = Engine(store, SystemClock(), InMemoryDirectory({"alice": ["legal"]}), autoprocess=False)
    starts = int(rate * seconds / EVENTS_PER_START)
    gap = EVENTS_PER_START / rate
    began = time.monotonic()
    done = []
    for i in range(starts):
        pause = began + i * gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        run_id = engine.start("deal", {})
        done.append((run_id, time.time()))
    out.put({"runs": done, "seconds": time.monotonic() - began})
    store.dispose()


def _cursor_skipped(store: Any) -> dict[str, str]:
    from runtime.insights import CURSOR
    from runtime.model import InsightCursor

    with store.transaction(write=False) as tx:
        cursor = tx.get(InsightCursor, CURSOR)
    return cursor.skipped if cursor else {}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def case(url: str, clients: int, rate: float, seconds: float, spacing: float) -> dict[str, Any]:
    from simple_websocket import Client
    from sqlalchemy import func, select
    from werkzeug.serving import make_server

    from builder import accounts, create_app
    from builder.extensions import state
    from runtime.model import RunEvent
    from runtime.store.tables import TABLES

    app = create_app(
        {"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "LIVE_MIN_INTERVAL": spacing, "LIVE_POLL_INTERVAL": 0.025}
    )
    with app.app_context():
        with state().sessions.begin() as s:
            if accounts.authenticate(s, "otto", "bench password phrase") is None:
                accounts.create_user(s, "otto", role="ops", password="bench password phrase")
        state().engine.deploy(DEAL)
    http = app.test_client()
    assert http.post("/api/session", json={"username": "otto", "password": "bench password phrase"}).status_code == 200
    cookie = f"session={http.get_cookie('session').value}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()

    received: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
    stop = threading.Event()

    def listen(i: int) -> None:
        ws = Client.connect(f"ws://127.0.0.1:{server.server_port}/ws/live?orchestration=deal", headers={"Cookie": cookie})
        try:
            while not stop.is_set():
                raw = ws.receive(timeout=0.2)
                if raw is not None:
                    received[i].append((time.time(), json.loads(raw)["seq"]))
        finally:
            ws.close()

    listeners = [threading.Thread(target=listen, args=(i,), daemon=True) for i in range(clients)]
    for t in listeners:
        t.start()
    deadline = time.monotonic() + 60
    while any(not r for r in received):  # every client has its snapshot
        if time.monotonic() > deadline:
            raise SystemExit(f"only {sum(1 for r in received if r)} of {clients} clients got a snapshot in 60 s")
        time.sleep(0.05)
    print(f"  {clients} clients connected; loading for {seconds:.0f} s", file=sys.stderr)

    queue: Any = multiprocessing.get_context("spawn").Queue()
    loader = multiprocessing.get_context("spawn").Process(target=load, args=(url, rate, seconds, queue))
    loader.start()
    result = queue.get(timeout=seconds * 5 + 60)
    loader.join()
    print(f"  load done: {len(result['runs'])} starts in {result['seconds']:.1f} s", file=sys.stderr)
    time.sleep(1.0)  # let the last changes arrive
    stop.set()
    for t in listeners:
        t.join()
    server.shutdown()
    serving.join()
    server.server_close()

    store = app.extensions["overture"].store
    table = TABLES[RunEvent]
    with store.engine.connect() as conn:
        last_seq = dict(conn.execute(select(table.c.run_id, func.max(table.c.id)).group_by(table.c.run_id)).all())
    latencies = []
    missing = 0
    for messages in received:
        for run_id, committed in result["runs"]:
            target = last_seq[run_id]
            arrival = next((t for t, seq in messages if seq >= target), None)
            if arrival is None:
                missing += 1
            else:
                latencies.append(arrival - committed)
    hub = app.extensions.get("overture_live")
    if hub is not None:
        hub.stop()
    app.extensions["overture"].close()
    messages = sum(len(m) for m in received)
    return {
        "coalescing": f"{spacing * 1000:.0f} ms",
        "starts": len(result["runs"]),
        "events/s": round(len(result["runs"]) * EVENTS_PER_START / result["seconds"]),
        "messages/client/s": round(messages / clients / result["seconds"], 1),
        "p50 ms": round(statistics.median(latencies) * 1000, 1),
        "p99 ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max ms": round(max(latencies) * 1000, 1),
        "missed": missing,
        "holes passed": len(_cursor_skipped(store)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=500.0, help="events per second written by the other process")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per case")
    parser.add_argument("--coalescing", default="0.25,0", help="LIVE_MIN_INTERVAL values to run, in seconds")
    args = parser.parse_args()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rows = []
    for spacing in [float(x) for x in args.coalescing.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/live.db"
            if args.database_url and url.startswith("postgres"):
                from sqlalchemy import create_engine, text

                from runtime.store.sql import database_url
                from runtime.store.tables import Base

                engine = create_engine(database_url(url))
                with engine.begin() as conn:  # a fresh log for each case
                    names = ", ".join(
                        t.name
                        for t in Base.metadata.sorted_tables
                        if t.name
                        in (
                            "run_events",
                            "runs",
                            "stage_visits",
                            "step_runs",
                            "work_items",
                            "notifications",
                            "insight_figures",
                            "insight_positions",
                        )
                    )
                    if conn.execute(text("SELECT to_regclass('run_events')")).scalar():
                        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
                        conn.execute(text("UPDATE insight_cursors SET position = 0, skipped = '{}'"))
                engine.dispose()
            rows.append(case(url, args.clients, args.rate, args.seconds, spacing))
    print(
        f"{args.clients} clients on /ws/live, load from another process, {args.seconds:.0f} s per case, "
        f"{'PostgreSQL' if args.database_url and args.database_url.startswith('postgres') else 'SQLite'}"
    )
    keys = list(rows[0])
    print("  ".join(f"{k:>18}" for k in keys))
    for row in rows:
        print("  ".join(f"{str(row[k]):>18}" for k in keys))


if __name__ == "__main__":
    main()
