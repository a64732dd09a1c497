#!/usr/bin/env python3
"""Live stream latency: from a state change being committed to a websocket client
receiving a message that reflects it.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.

Setup: ``overture serve`` (gunicorn, one gevent worker, as deployed; no embedded
worker) on a free port; ``--clients`` websocket clients on
``/ws/live?orchestration=deal`` in a second process (one thread reading every socket,
so the clients cost the server nothing but their sockets); and a load generator in a
third process with its own engine and store on the same database, starting runs at a
steady rate: each start is one transaction of 5 events (run.started, edge.taken,
stage.started, step.started, work_item.created), so ``--rate 500`` events/s is 100
starts/s. The generator notes the wall time right after each commit; afterwards the
events' sequence numbers are read back, and for every (start, client) pair the
latency is the time from that commit to the first message the client received whose
``seq`` covers the start's last event.

Each case (a database and a number of clients) runs once per pacing interval
(``LIVE_MIN_INTERVAL``, set with ``OVERTURE_LIVE_INTERVAL_MS``) on a fresh log, and
the rows are printed side by side: by default 250 ms, the protocol before issue 15,
and 50 ms, the protocol now (LIVE.md, Coalescing). ``--intervals 0.25,0.05,0.001``
adds the pipeline nearly alone (poll, project, read figures, fan out, send). The
cases: 50 clients on SQLite, and with ``--database-url`` (PostgreSQL) 50 and 500
clients on it.

    .venv/bin/python bench/live_latency.py                      # SQLite file in a temp dir
    .venv/bin/python bench/live_latency.py --database-url postgresql://postgres@127.0.0.1:5432/overture_bench
    .venv/bin/python bench/live_latency.py --cases sqlite:10 --seconds 3 --intervals 0.05   # quick look
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.hostile_load import free_port, serve

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


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and every process under it (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += times.get(p, 0.0)
        todo.extend(children.get(p, ()))
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def watch(port: int, cookie: str, clients: int, deflate: bool, stop: Any, out: Any) -> None:
    """The clients' process: ``clients`` websockets read by one thread (a selector over
    plain sockets; frames parsed by hand, as the server sends them: unmasked and
    whole, so the clients cost the two cores little); puts "ready" once every client
    has its snapshot, then, once ``stop`` is set, every client's (arrival time, seq) list.
    ``deflate``: ask for permessage-deflate, as browsers do."""
    import base64
    import re
    import selectors
    import struct
    import zlib

    seq_of = re.compile(rb'"seq":(\d+)')
    selector = selectors.DefaultSelector()
    sockets: list[socket.socket] = []
    for i in range(clients):
        sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /ws/live?orchestration=deal HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                + ("Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else "")
                + f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, i)
        sockets.append(sock)
    buffers = [b""] * clients
    inflaters = [zlib.decompressobj(-zlib.MAX_WBITS) for _ in range(clients)]
    shaken = [False] * clients
    received: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
    announced = False
    while not stop.is_set():
        ready = selector.select(timeout=0.1)
        # One time for the whole batch: every message read below was in its socket by
        # now, so the time parsing the batch takes (this process's own cost) is not
        # counted as the server's latency. The clients' CPU is printed to show whether they keep up.
        arrived = time.time()
        for key, _mask in ready:
            i = key.data
            try:
                data = sockets[i].recv(262144)
            except BlockingIOError:
                continue
            if not data:
                raise SystemExit(f"client {i}: the server closed the connection")
            buf = buffers[i] + data
            if not shaken[i]:
                head, sep, buf = buf.partition(b"\r\n\r\n")
                if not sep:
                    buffers[i] = head
                    continue
                if not head.startswith(b"HTTP/1.1 101"):
                    raise SystemExit(f"client {i}: handshake refused: {head.splitlines()[0]!r}")
                if deflate and b"permessage-deflate" not in head.lower():
                    raise SystemExit(f"client {i}: the server did not grant permessage-deflate")
                shaken[i] = True
            while len(buf) >= 2:
                opcode, size = buf[0] & 0x0F, buf[1] & 0x7F
                start = 2
                if size == 126:
                    if len(buf) < 4:
                        break
                    size, start = struct.unpack(">H", buf[2:4])[0], 4
                elif size == 127:
                    if len(buf) < 10:
                        break
                    size, start = struct.unpack(">Q", buf[2:10])[0], 10
                if len(buf) < start + size:
                    break
                head, payload, buf = buf[0], buf[start : start + size], buf[start + size :]
                if opcode == 1 and head & 0x40:  # compressed (RSV1): permessage-deflate
                    payload = inflaters[i].decompress(payload + b"\x00\x00\xff\xff")
                if opcode == 1:  # text: the server sends each message in one frame
                    found = seq_of.search(payload)  # early in a delta; a snapshot names it after "at"
                    assert found is not None, payload[:100]
                    received[i].append((arrived, int(found.group(1))))
                elif opcode == 9:  # ping: pong, masked as a client must
                    mask = os.urandom(4)
                    sockets[i].sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + bytes(b ^ mask[j % 4] for j, b in enumerate(payload)))
                elif opcode == 8:
                    raise SystemExit(f"client {i} closed by the server: {payload[2:]!r}")
            buffers[i] = buf
        if not announced and all(received):
            out.put("ready")
            announced = True
    for sock in sockets:
        sock.close()
    out.put(received)


def arrivals(messages: list[tuple[float, int]], targets: list[int]) -> list[float | None]:
    """For each target seq, when the first message covering it arrived (None: never)."""
    import bisect

    times, seqs, top = [], [], -1
    for at, seq in messages:  # seqs only grow, but keep a running maximum to be safe
        top = max(top, seq)
        times.append(at)
        seqs.append(top)
    found: list[float | None] = []
    for target in targets:
        i = bisect.bisect_left(seqs, target)
        found.append(times[i] if i < len(times) else None)
    return found


def case(
    url: str, clients: int, rate: float, seconds: float, interval: float, tmp: str, deflate: bool, workers: int, watchers: int
) -> dict[str, Any]:
    from sqlalchemy import func, select

    from builder import accounts, create_app
    from builder.extensions import state
    from runtime.model import RunEvent
    from runtime.store.sql import SqlStore
    from runtime.store.tables import TABLES

    # The person, the orchestration and a session, written straight to the database the server reads.
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "EMBEDDED_WORKER": False})
    with app.app_context():
        with state().sessions.begin() as s:
            if accounts.authenticate(s, "otto", "bench password phrase") is None:
                accounts.create_user(s, "otto", role="ops", password="bench password phrase")
        state().engine.deploy(DEAL)
    http = app.test_client()
    assert http.post("/api/session", json={"username": "otto", "password": "bench password phrase"}).status_code == 200
    cookie = f"session={http.get_cookie('session').value}"
    app.extensions["overture"].close()
    port = free_port()  # overture serve, gevent workers as deployed; one person holds every socket
    server = serve(
        url,
        port,
        Path(tmp) / "server.log",
        workers,
        {
            "OVERTURE_EMBEDDED_WORKER": "0",
            "OVERTURE_LIVE_INTERVAL_MS": str(round(interval * 1000)),
            "OVERTURE_WS_PER_USER": str(clients + 10),
            "OVERTURE_WS_TOTAL": str(clients + 10),
        },
    )
    try:
        spawn = multiprocessing.get_context("spawn")
        stop = spawn.Event()
        shares = [clients // watchers + (i < clients % watchers) for i in range(watchers)]
        queues = [spawn.Queue() for _ in shares]
        procs = [spawn.Process(target=watch, args=(port, cookie, n, deflate, stop, q)) for n, q in zip(shares, queues, strict=True)]
        for proc in procs:
            proc.start()
        for q in queues:
            if q.get(timeout=120) != "ready":
                raise SystemExit("the clients did not all get a snapshot")
        print(f"  {clients} clients connected ({watchers} process(es)); loading for {seconds:.0f} s", file=sys.stderr)
        queue: Any = spawn.Queue()
        loader = spawn.Process(target=load, args=(url, rate, seconds, queue))
        cpu_before = (cpu_seconds(server.pid), sum(cpu_seconds(p.pid or 0) for p in procs))
        loader.start()
        result = queue.get(timeout=seconds * 5 + 60)
        cpu_after = (cpu_seconds(server.pid), sum(cpu_seconds(p.pid or 0) for p in procs))
        cpu = [(after - before) / result["seconds"] for after, before in zip(cpu_after, cpu_before, strict=True)]
        loader.join()
        print(f"  load done: {len(result['runs'])} starts in {result['seconds']:.1f} s", file=sys.stderr)
        time.sleep(1.0)  # let the last changes arrive
        stop.set()
        received = [messages for q in queues for messages in q.get(timeout=120)]
        for proc in procs:
            proc.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    store = SqlStore(url)
    table = TABLES[RunEvent]
    with store.engine.connect() as conn:
        last_seq = dict(conn.execute(select(table.c.run_id, func.max(table.c.id)).group_by(table.c.run_id)).all())
    holes = len(_cursor_skipped(store))
    store.dispose()
    targets = [last_seq[run_id] for run_id, _committed in result["runs"]]
    latencies = []
    missing = 0
    for messages in received:
        for (_run_id, committed), arrival in zip(result["runs"], arrivals(messages, targets), strict=True):
            if arrival is None:
                missing += 1
            else:
                latencies.append(arrival - committed)
    messages = sum(len(m) - 1 for m in received)  # not the snapshot
    return {
        "events/s": round(len(result["runs"]) * EVENTS_PER_START / result["seconds"]),
        "msg/s": round(messages / clients / result["seconds"], 1),
        "p50": round(statistics.median(latencies) * 1000, 1),
        "p99": round(percentile(latencies, 0.99) * 1000, 1),
        "max": round(max(latencies) * 1000, 1),
        "server cpu": round(cpu[0], 2),
        "client cpu": round(cpu[1], 2),
        "missed": missing,
        "holes": holes,
    }


def fresh_database(url: str | None, tmp: str) -> str:
    """A database for one case: a new SQLite file, or the PostgreSQL one emptied."""
    if url is None:
        return f"sqlite:///{tmp}/live.db"
    from sqlalchemy import create_engine, text

    from runtime.store.sql import database_url
    from runtime.store.tables import Base

    engine = create_engine(database_url(url))
    with engine.begin() as conn:  # a fresh log for each case
        names = ", ".join(
            t.name
            for t in Base.metadata.sorted_tables
            if t.name
            in ("run_events", "runs", "stage_visits", "step_runs", "work_items", "notifications", "insight_figures", "insight_positions")
        )
        if conn.execute(text("SELECT to_regclass('run_events')")).scalar():
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
            conn.execute(text("UPDATE insight_cursors SET position = 0, skipped = '{}'"))
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0, help="events per second written by the other process")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None, help="PostgreSQL, for the postgres cases (emptied before each)")
    parser.add_argument(
        "--cases",
        default=None,
        help="database:clients, comma-separated (default sqlite:50, and postgres:50,postgres:500 with --database-url)",
    )
    parser.add_argument("--workers", type=int, default=1, choices=range(1, 9), help="server processes (overture serve --workers)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=1,
        choices=range(1, 17),
        metavar="N",
        help="split the clients over N processes (1-16), to see how much of the latency is the clients' own",
    )
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="the clients ask for permessage-deflate, as browsers do (the server then compresses per client)",
    )
    parser.add_argument(
        "--intervals", default="0.25,0.05", help="LIVE_MIN_INTERVAL values, in seconds (whole milliseconds, at least 1), side by side"
    )
    args = parser.parse_args()
    cases = [c.split(":") for c in (args.cases or ("sqlite:50,postgres:50,postgres:500" if args.database_url else "sqlite:50")).split(",")]
    for database, clients in cases:
        if database not in ("sqlite", "postgres") or not clients.isdigit():
            parser.error(f"a case is sqlite:N or postgres:N, not {database}:{clients}")
        if database == "postgres" and not (args.database_url or "").startswith("postgres"):
            parser.error("postgres cases need --database-url postgresql://...")
    intervals = [float(x) for x in args.intervals.split(",")]
    rows = []
    for database, clients in cases:
        row = {"database": "PostgreSQL" if database == "postgres" else "SQLite", "clients": int(clients)}
        for interval in intervals:
            print(f"{row['database']}, {clients} clients, interval {interval * 1000:.0f} ms", file=sys.stderr)
            with tempfile.TemporaryDirectory() as tmp:
                url = fresh_database(args.database_url if database == "postgres" else None, tmp)
                row[interval] = case(
                    url, int(clients), args.rate, args.seconds, interval, tmp, args.deflate, args.workers, args.client_processes
                )
        rows.append(row)
    print(
        f"/ws/live latency, commit to client, ms: load from another process at {args.rate:.0f} events/s, "
        f"{args.seconds:.0f} s per case, {os.cpu_count()} cores, {args.workers} server process(es)"
        f"{', clients with permessage-deflate' if args.deflate else ''}, clients in {args.client_processes} process(es)"
    )
    label = {0.25: "250 ms (before)", 0.05: "50 ms (now)"}
    # msg/s: messages a client received a second; cpu: cores used by the server and by the clients' process
    cells = ["p50", "p99", "max", "msg/s", "server cpu", "client cpu"]
    head = f"{'database':<11}{'clients':>8}  " + " | ".join(f"{label.get(i, f'{i * 1000:.0f} ms'):^{11 * len(cells)}}" for i in intervals)
    print(head)
    print(f"{'':<11}{'':>8}  " + " | ".join("".join(f"{c:>11}" for c in cells) for _ in intervals))
    for row in rows:
        print(f"{row['database']:<11}{row['clients']:>8}  " + " | ".join("".join(f"{row[i][c]:>11}" for c in cells) for i in intervals))
    odd = [(row["database"], row["clients"], i, row[i]) for row in rows for i in intervals if row[i]["missed"] or row[i]["holes"]]
    for database, clients, interval, figures in odd:
        print(
            f"  {database}, {clients} clients, {interval * 1000:.0f} ms: {figures['missed']} (change, client) pairs "
            f"never delivered, {figures['holes']} sequence holes passed"
        )
    rates = sorted({row[i]["events/s"] for row in rows for i in intervals})
    print(f"  events/s reached: {rates[0]}-{rates[-1]}; load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
