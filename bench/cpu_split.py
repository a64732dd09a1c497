"""Where a run's time goes on SQLite and on PostgreSQL: the engine's own CPU (this process)
and the PostgreSQL server's CPU (its backends for this database), per run.

    python -m bench.cpu_split --runs 300 --database-url postgresql://postgres@127.0.0.1:5432/overture_cpu

It runs the people workload of ``bench/engine_throughput.py`` (create a contract record,
people complete its items until the run ends, one run at a time) and reads CPU time, not
wall time: CPU time per run hardly changes when other work shares the machine, so the
figures say what a run costs even on a noisy machine. The server's CPU is the sum of
``utime + stime`` (``/proc/<pid>/stat``) of the backends ``pg_stat_activity`` lists for
the database, before and after.

With one run at a time a run's wall time is at least client CPU + server CPU (they
wait for each other), so these two figures bound what PostgreSQL can reach against
SQLite in this workload, whatever is done about round trips.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import engine_throughput as workload
from runtime.store.sql import SqlStore

TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(url: str) -> float:
    """Seconds of CPU the PostgreSQL backends connected to ``url``'s database have used."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(drivername="postgresql+psycopg", database="postgres"))
    try:
        with admin.connect() as conn:
            pids = [row[0] for row in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": parsed.database})]
    finally:
        admin.dispose()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, PermissionError):  # ended meanwhile, or PostgreSQL runs elsewhere
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def people_runs(store: Any, runs: int) -> None:
    engine = workload.new_engine(store, workload.templates.load("contract_approval"))
    for case in workload.make_cases(runs, 0):
        run_id = workload.start_contract(engine, case)
        items = engine.work_items(run=run_id)
        while items:
            items = workload.complete_next(engine, case, run_id, items[0], [])


def measure(name: str, store: Any, runs: int, url: str | None) -> dict[str, float]:
    people_runs(store, 20)  # warm: caches, prepared statements
    server0 = server_cpu(url) if url else 0.0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    people_runs(store, runs)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    server1 = server_cpu(url) if url else 0.0
    return {
        "wall": (wall1 - wall0) * 1000 / runs,
        "client": (cpu1 - cpu0) * 1000 / runs,
        "server": (server1 - server0) * 1000 / runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (left out: SQLite only)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqlStore(f"sqlite:///{tmp}/bench.db")
        rows.append(("SQLite", measure("sqlite", sqlite, args.runs, None)))
        sqlite.dispose()
    if args.database_url:
        pg = SqlStore(args.database_url)
        rows.append(("PostgreSQL", measure("postgres", pg, args.runs, args.database_url)))
        pg.dispose()
    print(f"people runs, one at a time, {args.runs} runs, {os.cpu_count()} cores; ms per run")
    print(f"{'store':<12}{'wall':>8}{'engine CPU':>12}{'server CPU':>12}{'CPU total':>11}")
    for name, f in rows:
        print(f"{name:<12}{f['wall']:>8.2f}{f['client']:>12.2f}{f['server']:>12.2f}{f['client'] + f['server']:>11.2f}")
    if len(rows) == 2:
        sqlite_cpu = rows[0][1]["client"]
        pg_cpu = rows[1][1]["client"] + rows[1][1]["server"]
        print(f"ceiling   PostgreSQL runs/s can reach at most {sqlite_cpu / pg_cpu:.2f}x SQLite's while its CPU per run is this")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
