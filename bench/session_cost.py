#!/usr/bin/env python3
"""What server-side sessions and the database-backed sign-in throttle cost per request.

A benchmark, not a test: it prints figures and asserts no time. On a fresh SQLite file
(or ``--database-url``), with the app in this process (Flask's test client, no network):

- ``GET /api/session`` with a session cookie (one indexed lookup of the session and its
  person; ``last_seen_at`` written at most once a minute) and, for comparison, with a
  bearer token (its own lookup, then a 401: tokens have no session);
- a failed sign-in (throttle check, password hash check, failure row written) and a
  refused one (429: only the throttle check).

Bounded: ``--requests`` of each (1,000). Passwords are hashed with a cheap method here,
as in the tests, so the figures show the bookkeeping, not scrypt.

    .venv/bin/python bench/session_cost.py
    .venv/bin/python bench/session_cost.py --database-url postgresql://postgres@127.0.0.1:5432/overture_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from builder import accounts, create_app  # noqa: E402
from builder.extensions import state  # noqa: E402

PASSWORD = "bench password phrase"


def timed(label: str, n: int, call: Callable[[], Any], expect: int) -> None:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        status = call().status_code
        samples.append((time.perf_counter() - started) * 1000)
        if status != expect:
            raise SystemExit(f"{label}: expected {expect}, got {status}")
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{label:48} n={n:5}  p50 {statistics.median(samples):6.2f} ms  p99 {p99:6.2f} ms  max {samples[-1]:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    accounts.HASH_METHOD = "pbkdf2:sha256:1000"
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
        try:
            with app.app_context(), state().sessions.begin() as s:
                if s.get(accounts.UserRow, "fiona") is None:
                    accounts.create_user(s, "fiona", role="member", password=PASSWORD)
                    accounts.create_user(s, "ada", role="admin", password=PASSWORD)
            person = app.test_client()
            assert person.post("/api/session", json={"username": "fiona", "password": PASSWORD}).status_code == 200
            admin = app.test_client()
            signed_in = admin.post("/api/session", json={"username": "ada", "password": PASSWORD}).get_json()
            secret = admin.post("/api/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": signed_in["csrf_token"]}).get_json()[
                "token"
            ]
            system = app.test_client()
            print(f"database: {url.split(':', 1)[0]}, {args.requests} requests of each")
            timed("GET /api/session, session cookie", args.requests, lambda: person.get("/api/session"), 200)
            timed(
                "GET /api/session, bearer token (401)",
                args.requests,
                lambda: system.get("/api/session", headers={"Authorization": f"Bearer {secret}"}),
                401,
            )
            guesser = app.test_client()
            addresses = iter(range(10**9))

            def fail() -> Any:  # a new address each time: never throttled, always checked
                return guesser.post(
                    "/api/session",
                    json={"username": "fiona", "password": "wrong guess"},
                    environ_base={"REMOTE_ADDR": f"10.{(i := next(addresses)) // 250 % 250}.{i % 250}.1"},
                )

            timed("POST /api/session, wrong password (401)", args.requests, fail, 401)

            def refused() -> Any:
                return guesser.post(
                    "/api/session", json={"username": "fiona", "password": "wrong guess"}, environ_base={"REMOTE_ADDR": "192.0.2.66"}
                )

            for _ in range(5):
                refused()
            timed("POST /api/session, throttled (429)", args.requests, refused, 429)
        finally:
            app.extensions["overture"].close()


if __name__ == "__main__":
    main()
