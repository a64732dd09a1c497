#!/usr/bin/env python3
"""Hostile load: does a normal person still get quick answers while slow clients pile up?

A benchmark, not a test: it prints figures and never asserts (the target is p99 <= 100 ms
and 0 errors for the normal client, with and without the attack). Everything goes to
127.0.0.1, and every count and wait is bounded.

Setup: a fresh SQLite file in a temp dir (or ``--database-url``); a ``finance`` member
(fiona) with ``--samples`` open work items, and 25 people who only hold websockets.
Then ``overture serve`` on a free port, with its defaults (embedded worker on, header
timeout 10 s, 20 websockets per person, 2000 in all): the 500 idle websockets are
spread over the 25 people (20 each), so no cap is raised.

Per sample, the normal client does what a person does, each on a new connection:
sign in (``POST /api/session``), list runs (``GET /api/runs``), complete an item
(``POST /api/work-items/<id>/complete``). Figures: p50/p99/max per request and in all,
and errors (any non-2xx answer, refused connection or a wait over ``--timeout``).

Run 1: no attack. Run 2: ``--half-open`` connections (1,000) that send half a request
header, re-opened whenever the server closes them (as a slowloris attacker does), and
``--websockets`` (500) signed-in, idle websockets that answer pings, all held while the
normal client works.

    .venv/bin/python bench/hostile_load.py
    .venv/bin/python bench/hostile_load.py --half-open 200 --websockets 100 --samples 50
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, RejectConnection, Request

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "hostile load bench passphrase"
HOLDERS = 25  # people who hold the websockets: 500 / 25 = 20 each, the default cap
FORM = {
    "fields": [{"name": "note", "type": "text", "label": "Note", "required": False}],
    "outcomes": [{"value": "approve", "label": "Approve"}],
}
REVIEW = {
    "format": 1,
    "key": "review",
    "label": "Review",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "check", "type": "stage", "label": "Check"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "check",
            "label": "Review the invoice",
            "assignee": {"type": "group", "value": "finance"},
            "form": FORM,
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "check"}, {"id": "e2", "source": "check", "target": "done"}],
}
LIMITS = {"half_open": 5000, "websockets": 2000, "samples": 2000}


def seed(url: str, items: int) -> list[str]:
    """fiona in finance with ``items`` open items, and the socket holders; the item ids."""
    from builder import accounts, create_app
    from builder.extensions import state

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
    try:
        with app.app_context():
            with state().sessions.begin() as s:
                accounts.create_group(s, "finance", kind="group")
                s.flush()
                accounts.create_user(s, "fiona", role="member", password=PASSWORD, groups=["finance"])
                for n in range(HOLDERS):
                    accounts.create_user(s, f"holder{n:02}", role="member", password=PASSWORD)
            engine = state().engine
            engine.deploy(REVIEW, by="bench")
            for _ in range(items):
                engine.start("review", {}, started_by="bench")
            return [i["id"] for i in engine.work_items(status=("open",))]
    finally:
        app.extensions["overture"].close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int, log: Path, workers: int, settings: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``overture serve`` on ``port`` with its defaults, or ``settings`` (``OVERTURE_*``) instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERTURE_")}
    env.update(
        DATABASE_URL=url, OVERTURE_SECRET_KEY="bench", OVERTURE_VAR=str(log.parent / "var"), PYTHONPATH=str(ROOT), **(settings or {})
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from builder.cli import main; main()", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/session")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not answer on port {port}:\n{log.read_text()[-2000:]}")


# ---------------------------------------------------------------------- the normal client


class Person:
    """One person's requests, each on a new connection (a browser's new tab, say)."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.cookie = self.csrf = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            if self.cookie:
                headers["Cookie"] = self.cookie
            if method != "GET" and self.csrf:
                headers["X-CSRF-Token"] = self.csrf
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";")[0]
            return response.status, json.loads(payload) if payload else None
        finally:
            conn.close()

    def sign_in(self, username: str) -> None:
        status, body = self.call("POST", "/api/session", {"username": username, "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"sign-in of {username}: {status} {body}")
        self.csrf = body["csrf_token"]


def normal_client(port: int, items: list[str], timeout: float, deadline: float) -> dict[str, Any]:
    """The samples: per step, the times of the answered requests; and the errors."""
    steps: dict[str, list[float]] = {"sign in": [], "list runs": [], "complete an item": []}
    errors: list[str] = []
    for item in items:
        if time.monotonic() > deadline:
            errors.append(f"{len(items) - sum(map(len, steps.values())) // 3} samples not started: out of time")
            break
        person = Person(port, timeout)
        for step, call in (
            ("sign in", lambda person=person: person.call("POST", "/api/session", {"username": "fiona", "password": PASSWORD})),
            ("list runs", lambda person=person: person.call("GET", "/api/runs")),
            (
                "complete an item",
                lambda person=person, item=item: person.call(
                    "POST", f"/api/work-items/{item}/complete", {"outcome": "approve", "values": {}}
                ),
            ),
        ):
            began = time.perf_counter()
            try:
                status, body = call()
            except OSError as exc:
                errors.append(f"{step}: {type(exc).__name__}: {exc}")
                break
            took = time.perf_counter() - began
            if not 200 <= status < 300:
                errors.append(f"{step}: {status} {body}")
                break
            if step == "sign in":
                person.csrf = body["csrf_token"]
            steps[step].append(took)
    return {"steps": steps, "errors": errors}


# ---------------------------------------------------------------------- the attack


class Attack:
    """Half-open connections and idle websockets, held (and re-opened) by one thread."""

    def __init__(self, port: int, half_open: int, sockets_wanted: list[tuple[str, int]]):
        self.port = port
        self.half_open = half_open
        self.sockets_wanted = sockets_wanted
        self.selector = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.reopened = 0  # half-open connections the server closed (header timeout) and we opened again
        self.websockets = 0
        self.refused: list[str] = []
        self.failed: list[str] = []  # connections that could not even be opened (the server did not answer)
        self.ws_closed: list[str] = []
        self._thread = threading.Thread(target=self._hold, name="attack", daemon=True)

    def _open_half(self) -> None:
        conn = socket.create_connection((HOST, self.port), timeout=5)
        conn.sendall(b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, ("half", None))

    def _open_websocket(self, cookie: str) -> None:
        conn = socket.create_connection((HOST, self.port), timeout=5)
        ws = WSConnection(ConnectionType.CLIENT)
        conn.sendall(ws.send(Request(host=f"{HOST}:{self.port}", target="/ws/inbox", extra_headers=[("Cookie", cookie)])))
        accepted = None
        while accepted is None:
            data = conn.recv(65536)
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, (AcceptConnection, RejectConnection)):
                    accepted = event
                elif isinstance(event, CloseConnection):
                    self.refused.append(f"{event.code} {event.reason}")
            if not data:
                break
        if not isinstance(accepted, AcceptConnection):
            self.refused.append("handshake refused")
            conn.close()
            return
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, ("ws", ws))
        self.websockets += 1

    def start(self, limit: float) -> None:
        """Open everything, for at most ``limit`` seconds (a server that stopped answering makes each open wait)."""
        deadline = time.monotonic() + limit
        for open_one, count in [(self._open_half, self.half_open)] + [
            (lambda cookie=cookie: self._open_websocket(cookie), n) for cookie, n in self.sockets_wanted
        ]:
            for _ in range(count):
                if time.monotonic() > deadline:
                    self.failed.append("not tried: out of time")
                    continue
                try:
                    open_one()
                except OSError as exc:
                    self.failed.append(f"{type(exc).__name__}: {exc}")
        self._thread.start()

    def _hold(self) -> None:
        while not self.stop.is_set():
            for key, _mask in self.selector.select(timeout=0.2):
                conn: socket.socket = key.fileobj  # type: ignore[assignment]
                kind, ws = key.data
                try:
                    data = conn.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if kind == "half":
                    if data:
                        continue  # the server answered something (a 400?): keep waiting for it to close
                    self.selector.unregister(conn)
                    conn.close()
                    self.reopened += 1
                    if not self.stop.is_set():
                        try:
                            self._open_half()
                        except OSError as exc:
                            self.failed.append(f"{type(exc).__name__}: {exc}")
                    continue
                ws.receive_data(data or None)
                for event in ws.events():
                    if isinstance(event, Ping):
                        conn.sendall(ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        self.ws_closed.append(f"{event.code} {event.reason}")
                if not data:
                    self.selector.unregister(conn)
                    conn.close()
                    self.websockets -= 1

    def held(self) -> tuple[int, int]:
        half = sum(1 for key in self.selector.get_map().values() if key.data[0] == "half")
        return half, self.websockets

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()


def attacker(port: int, half_open: int, sockets_wanted: list[tuple[str, int]], limit: float, pipe: Any) -> None:
    """The attack in a process of its own: its CPU does not slow the normal client's clock."""
    attack = Attack(port, half_open, sockets_wanted)
    began = time.monotonic()
    attack.start(limit)
    pipe.send({"held": attack.held(), "seconds": time.monotonic() - began, "refused": attack.refused, "failed": list(attack.failed)})
    pipe.recv()  # until the normal client is done
    pipe.send({"held": attack.held(), "reopened": attack.reopened, "ws_closed": attack.ws_closed, "failed": attack.failed})
    attack.close()


# ---------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(result: dict[str, Any]) -> dict[str, str]:
    rows = {}
    everything: list[float] = []
    for step, times in result["steps"].items():
        everything += times
        rows[step] = (
            f"{percentile(times, 0.5) * 1000:6.1f} {percentile(times, 0.99) * 1000:7.1f} {max(times, default=float('nan')) * 1000:7.1f}"
        )
    unhashed = [t for step, times in result["steps"].items() if step != "sign in" for t in times]
    for row, times in (("all requests", everything), ("all but sign in", unhashed)):
        rows[row] = (
            f"{percentile(times, 0.5) * 1000:6.1f} {percentile(times, 0.99) * 1000:7.1f} {max(times, default=float('nan')) * 1000:7.1f}"
        )
    rows["answered / errors"] = f"{len(everything):>6} {len(result['errors']):>7}"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half-open", type=int, default=1000)
    parser.add_argument("--websockets", type=int, default=500)
    parser.add_argument("--samples", type=int, default=200, help="normal-client rounds per run (3 requests each)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a request may take before it counts as an error")
    parser.add_argument("--run-limit", type=float, default=120.0, help="seconds each run may last at most")
    parser.add_argument("--workers", type=int, default=1, choices=range(1, 9), help="server processes (overture serve --workers)")
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file in a temp dir)")
    args = parser.parse_args()
    for name, cap in LIMITS.items():
        if not 0 <= getattr(args, name) <= cap:
            raise SystemExit(f"--{name.replace('_', '-')} must be between 0 and {cap}")

    # Our own sockets: the attack's, plus the normal client's and some slack.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.half_open + args.websockets + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))

    with tempfile.TemporaryDirectory(prefix="overture-hostile-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'overture.db'}"
        items = seed(url, 2 * args.samples)
        port = free_port()
        log = Path(tmp) / "server.log"
        server = serve(url, port, log, args.workers)
        try:
            people = min(HOLDERS, -(-args.websockets // 20))  # 20 each at most: the default cap
            shares = [args.websockets // people + (1 if n < args.websockets % people else 0) for n in range(people)] if people else []
            print(
                f"{log.read_text().splitlines()[0]}  [{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}, "
                "defaults: no limit raised for the bench]"
            )
            print(f"normal client: {args.samples} rounds of sign in / list runs / complete an item, each request on a new connection")

            calm = normal_client(port, items[: args.samples], args.timeout, time.monotonic() + args.run_limit)

            wanted = []
            for n, share in enumerate(shares):
                holder = Person(port, args.timeout)
                holder.sign_in(f"holder{n:02}")
                wanted.append((holder.cookie, share))
            ours, theirs = multiprocessing.Pipe()
            attack = multiprocessing.get_context("fork").Process(
                target=attacker, args=(port, args.half_open, wanted, args.run_limit, theirs)
            )
            attack.start()
            try:
                if not ours.poll(args.run_limit + 30):
                    raise SystemExit("the attacker did not report: see its traceback above")
                opened = ours.recv()
                half, sockets = opened["held"]
                print(
                    f"attack (another process): {half} half-open connections and {sockets} idle websockets "
                    f"(up to {max(shares, default=0)} for each of {people} people) opened in {opened['seconds']:.1f} s"
                    + (f"; {len(opened['refused'])} websockets refused: {opened['refused'][0]}" if opened["refused"] else "")
                    + (f"; {len(opened['failed'])} could not be opened: {opened['failed'][0]}" if opened["failed"] else "")
                )
                hostile = normal_client(port, items[args.samples :], args.timeout, time.monotonic() + args.run_limit)
                ours.send("stop")
                if not ours.poll(30):
                    raise SystemExit("the attacker did not report at the end")
                ended = ours.recv()
                half, sockets = ended["held"]
                print(
                    f"attack at the end: {half} half-open and {sockets} websockets held; the server closed "
                    f"{ended['reopened']} half-open connections (header timeout) and they were opened again"
                    + (f"; {len(ended['ws_closed'])} websockets closed by the server" if ended["ws_closed"] else "")
                    + (f"; {len(ended['failed'])} opens failed in all" if ended["failed"] else "")
                )
            finally:
                attack.join(timeout=30)
                if attack.is_alive():
                    attack.kill()
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    print()
    print(f"{'milliseconds':<20} | {'without attack':^22} | {'with attack':^22}")
    print(f"{'':<20} | {'p50':>6} {'p99':>7} {'max':>7} | {'p50':>6} {'p99':>7} {'max':>7}")
    left, right = summary(calm), summary(hostile)
    for row in left:
        print(f"{row:<20} | {left[row]:>22} | {right[row]:>22}")
    for title, result in (("without attack", calm), ("with attack", hostile)):
        for error in result["errors"][:5]:
            print(f"error ({title}): {error}")
    from werkzeug.security import check_password_hash, generate_password_hash

    stored = generate_password_hash(PASSWORD, method="scrypt")
    began = time.perf_counter()
    check_password_hash(stored, PASSWORD)
    print(f"sign in checks a scrypt hash on purpose: {(time.perf_counter() - began) * 1000:.0f} ms alone on this machine")
    print()
    print("target: p99 <= 100 ms and 0 errors, with and without the attack")


if __name__ == "__main__":
    main()
