#!/usr/bin/env python3
"""API round trip: over HTTP, complete a work item, then see the run's next one.

A benchmark, not a test: it prints figures and never asserts a wall-clock time
(the target is p99 <= 25 ms with 10,000 open runs).

Setup: a fresh SQLite file in a temp dir (or ``--database-url``); ``--runs`` runs
(10,000) of a two-step orchestration are started with the engine directly (fast),
each waiting on its first step for the ``finance`` group. Then the real server is
started in another process — ``overture serve`` (gunicorn, gevent, the embedded
worker on: exactly what production runs) or, with ``--server werkzeug``, the app on
werkzeug's threaded server — and a client in this process signs in as a finance
member over one keep-alive connection.

Per sample, on a run nobody has touched yet: ``POST /api/work-items/<id>/complete``
then ``GET /api/work-items?run=<run id>`` until the next step's item is listed (it is
on the first read: the engine creates it in the completion's transaction). Figures:
p50/p99/max of that round trip, and of each half. Also, for scale: the member's
inbox (``GET /api/work-items?mine=1``, first page of 50 among all their open items).

    .venv/bin/python bench/api_roundtrip.py
    .venv/bin/python bench/api_roundtrip.py --runs 1000 --samples 300 --server werkzeug
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench password phrase"
FORM = {
    "fields": [{"name": "note", "type": "text", "label": "Note", "required": False}],
    "outcomes": [{"value": "approve", "label": "Approve"}],
}
INVOICE = {
    "format": 1,
    "key": "invoice",
    "label": "Invoice",
    "inputs": [{"name": "amount", "type": "number", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "check", "type": "stage", "label": "Check"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "check",
            "label": "Review the invoice",
            "assignee": {"type": "group", "value": "finance"},
            "due": "P2D",
            "form": FORM,
        },
        {"id": "payment", "type": "stage", "label": "Payment"},
        {
            "id": "pay",
            "type": "interactive",
            "stage": "payment",
            "label": "Pay the invoice",
            "assignee": {"type": "group", "value": "finance"},
            "form": FORM,
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "check"},
        {"id": "e2", "source": "check", "target": "payment"},
        {"id": "e3", "source": "payment", "target": "done"},
    ],
}


def seed(url: str, runs: int) -> list[tuple[str, str]]:
    """Start ``runs`` runs; returns (run id, open item id) of each."""
    from builder import accounts, create_app
    from builder.extensions import state

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
    try:
        with app.app_context():
            with state().sessions.begin() as s:
                accounts.create_group(s, "finance", kind="group")
                s.flush()
                accounts.create_user(s, "fiona", role="member", password=PASSWORD, groups=["finance"])
            engine = state().engine
            engine.deploy(INVOICE, by="bench")
            began = time.perf_counter()
            ids = [engine.start("invoice", {"amount": i}, started_by="bench") for i in range(runs)]
            seconds = time.perf_counter() - began
            items = {i["run_id"]: i["id"] for i in engine.work_items(status=("open",))}
    finally:
        app.extensions["overture"].close()
    print(f"seeded {runs} open runs in {seconds:.1f} s ({runs / seconds:.0f} starts/s, engine direct)")
    return [(run_id, items[run_id]) for run_id in ids]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(kind: str, url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "OVERTURE_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
    if kind == "serve":
        command = [sys.executable, "-c", "from builder.cli import main; main()", "serve", "--port", str(port)]
    else:
        command = [
            sys.executable,
            "-c",
            (
                "import logging; from werkzeug.serving import run_simple; from builder import create_app; "
                "logging.getLogger('werkzeug').setLevel(logging.WARNING); "
                f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)"
            ),
        ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not answer on port {port} within 30 s")


class Client:
    """One keep-alive connection, signed in, sending the CSRF token on writes."""

    def __init__(self, port: int, username: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.cookie = ""
        self.csrf = ""
        status, body = self.call("POST", "/api/session", {"username": username, "password": PASSWORD})
        assert status == 200, body
        self.csrf = body["csrf_token"]

    def call(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if method != "GET" and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, json.loads(raw) if raw else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{name:<34} {len(ms):>7} {statistics.median(ms):>8.2f} {percentile(ms, 0.99):>8.2f} {max(ms):>8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000, help="open runs in the database")
    parser.add_argument("--samples", type=int, default=1_000, help="round trips measured (after --warmup)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--inbox-samples", type=int, default=100)
    parser.add_argument(
        "--server",
        choices=("serve", "werkzeug"),
        default="serve",
        help="serve: `overture serve` (gunicorn gevent); werkzeug: its threaded server",
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    if args.samples + args.warmup > args.runs:
        raise SystemExit("--samples + --warmup must not exceed --runs (each sample uses an untouched run)")

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/roundtrip.db"
        runs = seed(url, args.runs)
        port = free_port()
        server = serve(args.server, url, port)
        try:
            fiona = Client(port, "fiona")
            complete: list[float] = []
            visible: list[float] = []
            total: list[float] = []
            reads = 0
            for n, (run_id, item_id) in enumerate(runs[: args.warmup + args.samples]):
                began = time.perf_counter()
                status, body = fiona.call("POST", f"/api/work-items/{item_id}/complete", {"outcome": "approve", "values": {}})
                assert status == 200, body
                done = time.perf_counter()
                while True:
                    reads += 1
                    status, body = fiona.call("GET", f"/api/work-items?run={run_id}")
                    assert status == 200, body
                    if any(i["step_id"] == "pay" for i in body["items"]):
                        break
                seen = time.perf_counter()
                if n >= args.warmup:
                    complete.append(done - began)
                    visible.append(seen - done)
                    total.append(seen - began)
            inbox = []
            for _ in range(args.inbox_samples):
                began = time.perf_counter()
                status, body = fiona.call("GET", "/api/work-items?mine=1")
                assert status == 200 and len(body["items"]) == 50, body
                inbox.append(time.perf_counter() - began)
        finally:
            server.terminate()
            server.wait(timeout=15)

    store = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"{args.runs} open runs, {store}, server: {'overture serve (gunicorn gevent)' if args.server == 'serve' else 'werkzeug threaded'}, "
        f"one keep-alive client, {args.samples} samples after {args.warmup} warm-up"
    )
    print(f"{'ms':<34} {'samples':>7} {'p50':>8} {'p99':>8} {'max':>8}")
    print(figures("complete -> next item visible", total))
    print(figures("  POST .../complete", complete))
    print(figures("  GET /api/work-items?run= (reads)", visible))
    print(figures("inbox: GET /api/work-items?mine=1", inbox))
    print(f"reads per round trip: {reads / (args.warmup + args.samples):.2f} (1.00: the next item is there at once)")
    print(f"target: p99 <= 25 ms for the round trip -> {'met' if percentile(total, 0.99) * 1000 <= 25 else 'NOT met'}")


if __name__ == "__main__":
    main()
