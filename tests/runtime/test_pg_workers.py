"""Several ``overture worker`` processes drain one PostgreSQL queue; one is killed mid-way.

``RUNS`` runs of a document with two background steps (``2 * RUNS`` jobs) are seeded
by an engine that does not process them. ``WORKERS`` worker processes then share the
queue (claims with ``FOR UPDATE SKIP LOCKED``); the action, loaded with ``--plugin``,
records every execution (idempotency key, pid) in a side table. Mid-way one worker is
killed with SIGKILL while it holds jobs, and a replacement is started; the killed
worker's claims go stale (``--heartbeat 0.5 --stale-after 2``) and are re-queued. Once
the database shows every run completed, the workers are stopped with SIGTERM.

Then: every job ran at least once; every run completed; each step completed exactly
once in the state and in the log; and an action ran more than once only for a job
whose earlier executions were by the killed worker (a repeat carries the same
idempotency key: that is at-least-once).

Skipped unless ``OVERTURE_TEST_DATABASE_URL`` is set; it works in a database of its
own, created and dropped here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.pg import POSTGRES_URL, throwaway_database
from tests.runtime import pg_plugin
from tests.runtime.docs import one_stage, step

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="OVERTURE_TEST_DATABASE_URL is not set"),
    pytest.mark.timeout(400),
]

ROOT = Path(__file__).resolve().parents[2]
RUNS = 1500
JOBS = 2 * RUNS
WORKERS = 4
KILL_AFTER = 0.3  # fraction of the jobs done before a worker is killed
DRAIN_DEADLINE = 240.0  # seconds; generous for a loaded 2-core machine
WORKER_ARGS = ["--batch", "10", "--poll", "0.1", "--heartbeat", "0.5", "--stale-after", "2"]


def document() -> dict[str, Any]:
    return one_stage(
        step("a", "background", action=pg_plugin.ACTION, inputs={"n": "inputs.n"}),
        step("b", "background", action=pg_plugin.ACTION, inputs={"n": "inputs.n + 1"}, start={"when": "after", "steps": ["a"]}),
        key="pgworkers",
        inputs=[{"name": "n", "type": "integer", "required": True}],
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    with throwaway_database("overture_workers") as url:
        yield url


def seed(url: str) -> float:
    """Deploy and start RUNS runs without processing them; returns the seconds it took."""
    from runtime.actions import default_registry
    from runtime.engine import Engine
    from runtime.store.sql import SqlStore

    started = time.monotonic()
    store = SqlStore(url)
    try:
        registry = default_registry()
        pg_plugin.register(registry)
        engine = Engine(store, actions=registry, autoprocess=False)
        engine.deploy(document())
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: engine.start("pgworkers", {"n": n}), range(RUNS)))
    finally:
        store.dispose()
    return time.monotonic() - started


class Workers:
    def __init__(self, url: str, workdir: Path):
        self.url, self.workdir = url, workdir
        self.procs: dict[str, subprocess.Popen] = {}
        overture = Path(sys.executable).with_name("overture")
        self.command = [str(overture)] if overture.exists() else [sys.executable, "-c", "from builder.cli import main; main()"]

    def start(self, name: str) -> subprocess.Popen:
        env = {
            **os.environ,
            pg_plugin.URL_ENV: self.url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        with (self.workdir / f"{name}.err").open("wb") as err:
            proc = subprocess.Popen(
                [
                    *self.command,
                    "worker",
                    "--database-url",
                    self.url,
                    "--plugin",
                    "tests.runtime.pg_plugin:register",
                    "--worker-id",
                    name,
                    *WORKER_ARGS,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.procs[name] = proc
        return proc

    def stderr(self, name: str) -> str:
        return (self.workdir / f"{name}.err").read_text()[-4000:]

    def check_alive(self, except_: set[str]) -> None:
        for name, proc in self.procs.items():
            if name not in except_ and proc.poll() is not None:
                raise AssertionError(f"worker {name} exited by itself (rc={proc.returncode}): {self.stderr(name)}")

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)


def scalar(conn: Any, sql: str, *params: Any) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def test_workers_drain_the_queue_and_survive_a_kill(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    seconds_seeding = seed(pg_url)
    pg_plugin.create_table(pg_url)
    workers = Workers(pg_url, tmp_path)
    killed = "w0"
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert scalar(db, "SELECT count(*) FROM jobs WHERE status = 'queued'") == RUNS  # step b waits for a
        try:
            started = time.monotonic()
            for k in range(WORKERS):
                workers.start(f"w{k}")

            # Mid-way, kill one worker while it holds jobs, and start a replacement.
            deadline = started + DRAIN_DEADLINE
            while scalar(db, "SELECT count(*) FROM jobs WHERE status = 'done'") < KILL_AFTER * JOBS:
                assert time.monotonic() < deadline, "the workers made too little progress"
                workers.check_alive(except_=set())
                time.sleep(0.05)
            while scalar(db, "SELECT count(*) FROM jobs WHERE status = 'running' AND claimed_by = %s", killed) == 0:
                assert time.monotonic() < deadline, f"{killed} never held a job"
                time.sleep(0.005)
            killed_pid = workers.procs[killed].pid
            workers.procs[killed].send_signal(signal.SIGKILL)
            workers.procs[killed].wait(30)
            killed_at = time.monotonic() - started
            held = scalar(db, "SELECT count(*) FROM jobs WHERE status = 'running' AND claimed_by = %s", killed)
            workers.start(f"w{WORKERS}")

            # Drain: poll the database until every run has completed.
            while (open_runs := scalar(db, "SELECT count(*) FROM runs WHERE status <> 'completed'")) > 0:
                assert time.monotonic() < deadline, f"{open_runs} runs still open after {DRAIN_DEADLINE}s"
                assert scalar(db, "SELECT count(*) FROM runs WHERE status NOT IN ('in_progress', 'completed')") == 0
                workers.check_alive(except_={killed})
                time.sleep(0.1)
            drained = time.monotonic() - started

            for name, proc in workers.procs.items():
                if name != killed:
                    proc.send_signal(signal.SIGTERM)
            for name, proc in workers.procs.items():
                if name != killed:
                    proc.wait(60)
                    assert proc.returncode == 0, f"worker {name} rc={proc.returncode}: {workers.stderr(name)}"
        finally:
            workers.close()

        executions = db.execute(f"SELECT idempotency_key, pid FROM {pg_plugin.TABLE} ORDER BY id").fetchall()
        job_rows = db.execute("SELECT run_id, step_id, visit, attempt, status, idempotency_key FROM jobs").fetchall()
        runs: dict[str, int] = dict(db.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
        step_runs: dict[str, int] = dict(db.execute("SELECT status, count(*) FROM step_runs GROUP BY status").fetchall())
        events: dict[str, dict[int, int]] = {
            kind: dict(
                db.execute(
                    "SELECT n, count(*) FROM (SELECT count(*) AS n FROM run_events WHERE type = %s"
                    " GROUP BY run_id, node, visit) per GROUP BY n",
                    (kind,),
                ).fetchall()
            )
            for kind in ("step.completed", "action.succeeded", "action.scheduled", "run.completed", "run.started")
        }

    # Every run completed; every step completed once in the state and once in the log.
    assert runs == {"completed": RUNS}
    assert step_runs == {"completed": JOBS}
    assert events["step.completed"] == {1: JOBS}, f"step.completed per step and visit: {events['step.completed']}"
    assert events["action.succeeded"] == {1: JOBS}
    assert events["action.scheduled"] == {1: JOBS}
    assert events["run.started"] == {1: RUNS} and events["run.completed"] == {1: RUNS}

    # One job per step and visit, done on its first attempt (a re-queued job keeps its key).
    assert len(job_rows) == JOBS and len({(r, s, v) for r, s, v, *_ in job_rows}) == JOBS
    assert {(attempt, status) for _r, _s, _v, attempt, status, _k in job_rows} == {(1, "done")}
    keys = {key for *_, key in job_rows}

    # At least once; more than once only after the killed worker ran it and died.
    by_key: dict[str, list[int]] = defaultdict(list)
    for key, pid in executions:
        by_key[key].append(pid)
    assert set(by_key) <= keys, f"executions with keys of no job: {sorted(set(by_key) - keys)[:5]}"
    assert set(by_key) == keys, f"{len(keys - set(by_key))} jobs never executed"
    repeated = {key: pids for key, pids in by_key.items() if len(pids) > 1}
    wrong = {key: pids for key, pids in repeated.items() if any(pid != killed_pid for pid in pids[:-1])}
    assert not wrong, f"repeats not explained by the killed worker ({killed_pid}): {list(wrong.items())[:5]}"
    duplicates = sum(len(pids) - 1 for pids in repeated.values())
    assert duplicates <= held, f"{duplicates} repeats, but the killed worker held only {held} jobs"

    per_worker: defaultdict[int, int] = defaultdict(int)
    for _key, pid in executions:
        per_worker[pid] += 1
    print(
        f"\n[pg-workers] runs={RUNS} jobs={JOBS} workers={WORKERS}+1 seeding={seconds_seeding:.1f}s "
        f"drain={drained:.1f}s killed {killed} (pid {killed_pid}) at {killed_at:.1f}s holding {held} jobs; "
        f"executions={len(executions)} duplicates={duplicates} on {len(repeated)} keys; per pid {dict(per_worker)}"
    )
