#!/usr/bin/env python3
"""Scale-out: PostgreSQL, ``overture serve --workers N --no-worker`` and M ``overture worker``
processes, driven over HTTP by a load generator in processes of its own.

A benchmark, not a test: it prints figures and never asserts. Everything goes to
127.0.0.1; every wait is bounded.

Per cell (N serving processes, M workers) a new database (``<name>_w<N>m<M>``, dropped
afterwards) is seeded in this process: a group ``agents`` with ``--people`` members, an
API token, a record type ``ticket`` and two orchestrations. ``ticket`` starts on every
new ticket record: stage Triage (a person of ``agents`` completes ``triage``), then
stage Process, whose four steps are one of each kind of background work -

* ``spawn``, a background step that runs as a job (``orchestration.start`` of ``stamp``,
  a one-step child run): a worker claims it;
* ``ack``, a wait for the inbound event ``ack`` keyed by the record's id (buffered: the
  system posts it right after creating the record, before the wait starts);
* ``cool``, a one-second timer: a worker fires it;
* ``approve``, a second person's step, started after the three others.

The load, each part its own process: ``--people`` agents, each signed in with a
password (a session cookie and its CSRF token), list their work (``GET
/api/work-items?mine=1``), complete one item of theirs (items are shared among the agents
by a hash of their id, so two never race for one) and list again; "complete -> next" is
the time from sending the completion to having the next list. One system, with an API
token, creates ticket records (``POST /api/records/ticket``) and posts each one's ``ack``
event (``POST /api/events``), keeping ``--in-flight`` runs open (it reads that count
from the database, not over HTTP, so as not to load the API with its own bookkeeping).

Figures, over ``--seconds`` after ``--warmup``:

* completed runs/s (runs of ``ticket`` that ended in the window) and PostgreSQL commits/s;
* p50/p99 of complete -> next over HTTP, and HTTP errors;
* job lag (a job's ``run_after`` to its ``claimed_at``) and timer lag (the ``cool`` step's
  length less its one second), p50/p99, from the database;
* CPU per group of processes, from /proc (seconds of CPU per second of wall time, so 1.0
  is one core busy): the serving processes, the workers, PostgreSQL's backends, the load;
* what the cell's PostgreSQL backends were doing, sampled from ``pg_stat_activity``
  every 50 ms, as the average number of backends: running (CPU), waiting on a lock
  (``Lock``: a row, a tuple, a transaction id, an advisory lock), on an internal lock
  (``LWLock``: WAL insert, buffer mapping...), on I/O (``IO``: WAL fsync at commit), and
  idle inside a transaction (the application's own time between statements).

``--quick`` is a smoke run: 8 s is about as long as a run takes to go through when the
machine is busy, so its rates read low. The figures and what they mean are in
docs/SCALING.md.

    .venv/bin/python bench/scale_out.py --quick
    .venv/bin/python bench/scale_out.py --grid 1x1,2x2,4x4 --seconds 30
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.hostile_load import free_port, serve

HOST = "127.0.0.1"
PASSWORD = "scale-out bench passphrase"
CLI = [sys.executable, "-c", "from builder.cli import main; main()"]
FORM = {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}
AGENTS = {"type": "group", "value": "agents"}
TICKET = {
    "format": 1,
    "key": "ticket",
    "label": "Ticket",
    "trigger": {"type": "record", "object": "ticket", "on": ["create"]},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "triage_stage", "type": "stage", "label": "Triage"},
        {"id": "triage", "type": "interactive", "stage": "triage_stage", "label": "Triage", "assignee": AGENTS, "form": FORM},
        {"id": "process", "type": "stage", "label": "Process"},
        {
            "id": "spawn",
            "type": "background",
            "stage": "process",
            "label": "Start the paperwork",
            "action": "orchestration.start",
            "inputs": {"orchestration": "'stamp'"},
        },
        {
            "id": "ack",
            "type": "wait",
            "stage": "process",
            "label": "Acknowledged",
            "event": {"name": "ack", "correlation": "record.id", "buffer": True},
        },
        {"id": "cool", "type": "wait", "stage": "process", "label": "Cool down", "timer": {"duration": "PT1S"}},
        {
            "id": "approve",
            "type": "interactive",
            "stage": "process",
            "label": "Approve",
            "start": {"when": "after", "steps": ["spawn", "ack", "cool"]},
            "assignee": AGENTS,
            "form": FORM,
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "triage_stage"},
        {"id": "e2", "source": "triage_stage", "target": "process"},
        {"id": "e3", "source": "process", "target": "done"},
    ],
}
STAMP = {
    "format": 1,
    "key": "stamp",
    "label": "Stamp",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "work", "type": "stage", "label": "Work"},
        {"id": "note", "type": "background", "stage": "work", "label": "Note", "action": "vars.set", "inputs": {}},
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "work"}, {"id": "e2", "source": "work", "target": "done"}],
}
#: N x M for N, M in {1, 2, 4}: the issue's nine cells.
GRID = ",".join(f"{n}x{m}" for n in (1, 2, 4) for m in (1, 2, 4))
TIMEOUT = 30.0  # seconds for one HTTP request: a saturated 2-core machine is slow, not dead


# ---------------------------------------------------------------------- databases


def cell_url(base: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


def admin(base: str) -> Any:
    import psycopg

    return psycopg.connect(cell_url(base, "postgres"), autocommit=True)


def recreate(base: str, name: str) -> str:
    with admin(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return cell_url(base, name)


def drop(base: str, name: str) -> None:
    with admin(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, people: int) -> str:
    """The agents, the record type and both orchestrations; the API token's secret."""
    from builder import accounts, create_app
    from builder.extensions import state

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
    try:
        with app.app_context():
            with state().sessions.begin() as s:
                accounts.create_group(s, "agents", kind="group")
                s.flush()
                for n in range(people):
                    accounts.create_user(s, f"agent{n:02}", role="member", password=PASSWORD, groups=["agents"])
                _row, secret = accounts.create_token(s, "bench system", created_by=None)
            engine = state().engine
            engine.define_record_type("ticket", [{"name": "title", "type": "string", "required": True}])
            engine.deploy(STAMP, by="bench")
            engine.deploy(TICKET, by="bench")
            return secret
    finally:
        app.extensions["overture"].close()


# ---------------------------------------------------------------------- processes


def start(command: list[str], url: str, log: Path) -> subprocess.Popen[bytes]:
    """An ``overture`` command (a worker) with the settings ``serve`` gets from hostile_load."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERTURE_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, OVERTURE_SECRET_KEY="bench", OVERTURE_VAR=str(log.parent / "var"), PYTHONPATH=str(ROOT))
    with log.open("ab") as out:
        return subprocess.Popen(CLI + command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn's master and its worker processes)."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                kids = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
                found.extend(int(k) for k in kids)
                frontier.extend(int(k) for k in kids)
        except OSError:
            pass
    return found


def backend_pids(url: str, database: str) -> list[int]:
    """The PostgreSQL backends serving ``database`` (the server's own processes and other databases left out)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
    return [int(pid) for (pid,) in rows]


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU of ``pids``, in seconds (processes gone meanwhile count nothing)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError):
            pass
    return total / ticks


# ---------------------------------------------------------------------- the load


#: When this load process sent each of its requests (the window's requests/s are counted from these).
SENT: list[float] = []


def call(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    """One request on a new connection, so that connections spread over the serving processes."""
    SENT.append(time.time())
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None, response.msg
    finally:
        conn.close()


def sign_in(port: int, index: int) -> dict[str, str]:
    """Agent ``index``'s session: the headers a browser sends (cookies, CSRF token).

    Done before the load starts: a sign-in hashes a password (deliberately slow) and
    counts the attempt under the sign-in throttle's per-address lock, and every agent
    here comes from 127.0.0.1, so sign-ins in the window would queue on that one lock
    (0.87 backends waited on it when they did) and measure the throttle, not the load."""
    status, body, msg = call(port, "POST", "/api/session", {"username": f"agent{index:02}", "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"sign-in of agent{index:02}: {status} {body}")
    return {"Cookie": "; ".join(c.split(";")[0] for c in msg.get_all("Set-Cookie") or []), "X-CSRF-Token": body["csrf_token"]}


def person(port: int, index: int, people: int, headers: dict[str, str], until: float, out: Any) -> None:
    """One agent: list, complete one of theirs, list again; (time sent, seconds) per completion."""
    samples: list[tuple[float, float]] = []
    errors: list[str] = []
    items: list[dict[str, Any]] = []
    while time.time() < until:
        try:
            if not items:
                status, body, _ = call(port, "GET", "/api/work-items?mine=1&limit=200", headers=headers)
                items = [i for i in body["items"] if zlib.crc32(i["id"].encode()) % people == index] if status == 200 else []
                if not items:  # nothing of theirs yet: look again shortly, as the inbox's live list would
                    time.sleep(0.25)
                    continue
            item = items.pop(0)
            sent, began = time.time(), time.perf_counter()
            status, body, _ = call(port, "POST", f"/api/work-items/{item['id']}/complete", {"outcome": "done", "values": {}}, headers)
            if status != 200:
                errors.append(f"complete {status} {body}")
                items = []
                continue
            status, body, _ = call(port, "GET", "/api/work-items?mine=1&limit=200", headers=headers)
            samples.append((sent, time.perf_counter() - began))
            items = [i for i in body["items"] if zlib.crc32(i["id"].encode()) % people == index] if status == 200 else []
        except (OSError, ValueError, KeyError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.1)
    out.put({"errors": errors, "samples": samples, "sent": SENT})


def system(port: int, url: str, token: str, in_flight: int, until: float, out: Any) -> None:
    """Creates tickets and posts their events, keeping ``in_flight`` runs of ``ticket`` open."""
    import psycopg

    headers = {"Authorization": f"Bearer {token}"}
    errors: list[str] = []
    created = 0
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < until:
            counted = conn.execute("SELECT count(*) FROM runs WHERE orchestration = 'ticket' AND status = 'in_progress'").fetchone()
            open_runs = counted[0] if counted else 0
            if open_runs >= in_flight:
                time.sleep(0.1)
                continue
            for _ in range(min(in_flight - open_runs, 10)):
                try:
                    status, body, _ = call(port, "POST", "/api/records/ticket", {"fields": {"title": f"Ticket {created}"}}, headers)
                    if status != 201:
                        errors.append(f"record {status} {body}")
                        continue
                    created += 1
                    status, body, _ = call(port, "POST", "/api/events", {"name": "ack", "correlation": body["id"], "payload": {}}, headers)
                    if status != 200:
                        errors.append(f"event {status} {body}")
                except (OSError, ValueError, KeyError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
    out.put({"errors": errors, "samples": [], "sent": SENT})


# ---------------------------------------------------------------------- sampling


class WaitSampler(threading.Thread):
    """What the cell database's backends do, every 50 ms, from pg_stat_activity."""

    def __init__(self, url: str, database: str):
        super().__init__(daemon=True)
        self.url, self.database = url, database
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self.stop_event = threading.Event()
        self.pid = 0  # its own backend, left out of the figures

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            self.pid = conn.info.backend_pid
            while not self.stop_event.wait(0.05):
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.database,),
                ).fetchall()
                self.samples += 1
                for state, kind, event in rows:
                    if state == "active":
                        self.counts["running" if kind is None else f"{kind}:{event}"] += 1
                    elif state and state.startswith("idle in transaction"):
                        self.counts["idle in transaction"] += 1

    def summary(self) -> dict[str, float]:
        """Per sample, how many backends were in each state (0.5 = half of the time, one backend)."""
        return {k: v / max(self.samples, 1) for k, v in self.counts.most_common()}


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1..99); NaN when nothing was measured."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def window_figures(url: str, began: float, ended: float) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        window = (began, ended)
        (completed,) = conn.execute(
            "SELECT count(*) FROM runs WHERE orchestration = 'ticket' AND status = 'completed'"
            " AND ended_at >= to_timestamp(%s) AND ended_at < to_timestamp(%s)",
            window,
        ).fetchone() or (0,)
        job_lags = [
            r[0]
            for r in conn.execute(
                "SELECT extract(epoch FROM claimed_at - run_after)::float FROM jobs"
                " WHERE claimed_at >= to_timestamp(%s) AND claimed_at < to_timestamp(%s)",
                window,
            )
        ]
        timer_lags = [
            r[0]
            for r in conn.execute(
                "SELECT extract(epoch FROM ended_at - started_at)::float - 1 FROM step_runs"
                " WHERE step_id = 'cool' AND ended_at >= to_timestamp(%s) AND ended_at < to_timestamp(%s)",
                window,
            )
        ]
    return {"completed": completed, "job_lags": job_lags, "timer_lags": timer_lags}


def commits(url: str, database: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        (n,) = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (database,)).fetchone() or (0,)
        return int(n)


# ---------------------------------------------------------------------- one cell


def cell(base: str, serving: int, workers: int, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    database = f"{make_url(base).database}_w{serving}m{workers}"
    url = recreate(base, database)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        token = seed(url, args.people)
        port = free_port()
        log = logs / f"w{serving}m{workers}-workers.log"
        # As --no-worker does: only the M workers run jobs and timers.
        server = serve(url, port, logs / f"w{serving}m{workers}-serve.log", serving, {"OVERTURE_EMBEDDED_WORKER": "0"})
        processes.append(server)
        for n in range(workers):
            processes.append(start(["worker", "--worker-id", f"bench-worker-{n}", "--poll", str(args.poll)], url, log))

        sessions = [sign_in(port, i) for i in range(args.people)]
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        until = time.time() + args.warmup + args.seconds
        load = [context.Process(target=person, args=(port, i, args.people, sessions[i], until, out)) for i in range(args.people)]
        load.append(context.Process(target=system, args=(port, url, token, args.in_flight, until, out)))
        for p in load:
            p.start()

        time.sleep(args.warmup)
        sampler = WaitSampler(url, database)
        groups = {
            "serve": children(server.pid),
            "workers": [p.pid for p in processes[1:]],
            "postgres": backend_pids(url, database),
            "load": [p.pid for p in load if p.pid is not None],
        }
        cpu_before = {k: cpu_seconds(v) for k, v in groups.items()}
        commits_before = commits(url, database)
        began = time.time()
        sampler.start()
        time.sleep(max(0.0, until - time.time()))
        ended = time.time()
        # Backends that connected during the window count from their start (a pool grows early, then stays).
        groups["postgres"] = sorted((set(groups["postgres"]) | set(backend_pids(url, database))) - {sampler.pid})
        cpu = {k: (cpu_seconds(v) - cpu_before[k]) / (ended - began) for k, v in groups.items()}
        committed = (commits(url, database) - commits_before) / (ended - began)
        sampler.stop_event.set()
        sampler.join()

        results = [out.get(timeout=TIMEOUT + 30) for _ in load]
        for p in load:
            p.join(TIMEOUT)
        latencies = [s for r in results for (sent, s) in r["samples"] if began <= sent < ended]
        errors = [e for r in results for e in r["errors"]]
        requests = sum(1 for r in results for t in r["sent"] if began <= t < ended)
        figures = window_figures(url, began, ended)
        return {
            "serving": serving,
            "workers": workers,
            "runs_per_s": figures["completed"] / (ended - began),
            "commits_per_s": committed,
            "requests_per_s": requests / (ended - began),
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "completions": len(latencies),
            "job_lag_p50_ms": percentile(figures["job_lags"], 50) * 1000,
            "job_lag_p99_ms": percentile(figures["job_lags"], 99) * 1000,
            "timer_lag_p99_ms": percentile(figures["timer_lags"], 99) * 1000,
            "cpu": cpu,
            "waits": sampler.summary(),
            "errors": errors,
        }
    finally:
        stop(processes)
        if not args.keep:
            drop(base, database)


# ---------------------------------------------------------------------- main


def parse_grid(text: str) -> list[tuple[int, int]]:
    cells = []
    for part in text.split(","):
        serving, _, workers = part.strip().partition("x")
        try:
            cells.append((int(serving), int(workers)))
        except ValueError:
            raise SystemExit(f"--grid: {part!r} is not NxM (serving processes x workers), e.g. 2x1") from None
        if not (1 <= cells[-1][0] <= 16 and 0 <= cells[-1][1] <= 16):
            raise SystemExit(f"--grid: {part!r}: 1..16 serving processes and 0..16 workers")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/overture_bench",
        help="a PostgreSQL server; each cell makes its own database named after this one (<name>_w<N>m<M>)",
    )
    parser.add_argument("--grid", default=GRID, help="cells NxM (serving processes x workers), comma-separated")
    parser.add_argument("--people", type=int, default=12, help="agents completing items, one process each")
    parser.add_argument("--in-flight", type=int, default=60, help="open runs the system keeps")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window per cell")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--poll", type=float, default=0.5, help="the workers' --poll (seconds idle between looks)")
    parser.add_argument("--quick", action="store_true", help="8 s windows after 3 s of warm-up")
    parser.add_argument("--keep", action="store_true", help="keep each cell's database (to look at it afterwards)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 8.0, 3.0
    if not (1 <= args.people <= 64 and 1 <= args.in_flight <= 10_000):
        raise SystemExit("--people: 1..64; --in-flight: 1..10000")
    grid = parse_grid(args.grid)

    print(
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start; "
        f"{args.people} people, {args.in_flight} runs in flight, {args.seconds:.0f} s per cell"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="overture-scale-out-") as logs:
        for serving, workers in grid:
            row = cell(args.database_url, serving, workers, args, Path(logs))
            rows.append(row)
            print(
                f"  {serving}x{workers}: {row['runs_per_s']:.1f} runs/s, p99 {row['p99_ms']:.0f} ms, "
                f"load {os.getloadavg()[0]:.2f}, {len(row['errors'])} errors" + (f" (first: {row['errors'][0]})" if row["errors"] else ""),
                flush=True,
            )
    print()
    print(
        "| serve N | workers M | runs/s | HTTP requests/s | commits/s | complete->next p50 / p99 ms | job lag p50 / p99 ms "
        "| timer lag p99 ms | CPU serve / workers / PG / load (cores) | PG backends: running / Lock / LWLock / IO / idle in tx |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        waits = r["waits"]
        kinds = {kind: sum(v for k, v in waits.items() if k.startswith(kind + ":")) for kind in ("Lock", "LWLock", "IO")}
        cpu = r["cpu"]
        print(
            f"| {r['serving']} | {r['workers']} | {r['runs_per_s']:.1f} | {r['requests_per_s']:.0f} | {r['commits_per_s']:.0f} "
            f"| {r['p50_ms']:.0f} / {r['p99_ms']:.0f} | {r['job_lag_p50_ms']:.0f} / {r['job_lag_p99_ms']:.0f} "
            f"| {r['timer_lag_p99_ms']:.0f} "
            f"| {cpu['serve']:.2f} / {cpu['workers']:.2f} / {cpu['postgres']:.2f} / {cpu['load']:.2f} "
            f"| {waits.get('running', 0):.2f} / {kinds['Lock']:.2f} / {kinds['LWLock']:.2f} / {kinds['IO']:.2f} "
            f"/ {waits.get('idle in transaction', 0):.2f} |"
        )
    print()
    print("Waits by event (backends per sample), per cell:")
    for r in rows:
        top = ", ".join(f"{k} {v:.2f}" for k, v in list(r["waits"].items())[:6])
        print(f"  {r['serving']}x{r['workers']}: {top}")


if __name__ == "__main__":
    main()
