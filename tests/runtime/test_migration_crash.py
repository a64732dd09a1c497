"""A migration's worker killed with SIGKILL in the middle of a batch, then restarted, moves every
run exactly once and changes nothing else.

60 runs at version 1 (half on legal, half on finance) are to move to version 2, which adds
a compliance stage. ``tests/runtime/migration_crash_driver.py`` applies the migration in a
subprocess, 5 runs a batch, each run's transaction slowed a little; the test kills it twice
once results are being written (each time when the results are not a whole number of
batches, so mid-batch), restarts it, and lets the last one finish. Then, from the database
alone: every run is on version 2 with exactly one ``run.migrated`` event, the migration has
60 results and counts moved=60 of total=60, and every run's event log, position and open
work are those of the same run in a control migration that was never killed.

Runs on a SQLite file, and on a fresh PostgreSQL database when ``OVERTURE_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg import POSTGRES_URL, throwaway_database
from tests.runtime import migration_crash_driver as driver

ROOT = Path(__file__).resolve().parents[2]
RUNS = 60
KILL_AT = (12, 33)  # kill once at least this many results exist (and the count is mid-batch)
DEADLINE = 60.0


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("OVERTURE_TEST_DATABASE_URL is not set")
    with throwaway_database("overture_migration_crash") as url:
        yield url


def spawn(url: str, migration_id: str, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with out.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.runtime.migration_crash_driver", url, migration_id],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def progress(url: str, migration_id: str) -> tuple[int, int]:
    """(result rows written, runs the migration row has counted as moved), read straight from the database."""
    from sqlalchemy import create_engine, text

    from runtime.store.sql import database_url as normalise

    engine = create_engine(normalise(url))
    try:
        with engine.connect() as conn:
            results = conn.execute(text("SELECT count(*) FROM migration_results WHERE migration_id = :m"), {"m": migration_id}).scalar()
            moved = conn.execute(text("SELECT moved FROM migrations WHERE id = :m"), {"m": migration_id}).scalar()
            return int(results or 0), int(moved or 0)
    finally:
        engine.dispose()


def kill_mid_batch(url: str, migration_id: str, proc: subprocess.Popen, at_least: int) -> tuple[int, int]:
    """SIGKILL ``proc`` once ``at_least`` results exist and the count is not a whole number of batches."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        results, moved = progress(url, migration_id)
        if results >= at_least and results % driver.BATCH:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            assert proc.returncode == -signal.SIGKILL, "the driver ended before it could be killed"
            return progress(url, migration_id)
        assert proc.poll() is None, f"the driver ended early (rc={proc.returncode}) with {results} results"
        time.sleep(0.005)
    raise AssertionError(f"no {at_least} results within {DEADLINE}s")


def state(url: str, migration_id: str) -> dict[str, Any]:
    """Per run (by its input n): version, position, open work and event types; and the migration."""
    from runtime import model
    from runtime.store.sql import SqlStore

    engine = driver.engine_for(url, "reader")
    try:
        runs = {}
        with engine.store.transaction(write=False) as tx:
            for run in tx.find(model.Run, orchestration=driver.KEY):
                items = sorted((i.step_id, i.status, i.assignee_type, i.assignee_value) for i in tx.find(model.WorkItem, run_id=run.id))
                runs[run.inputs["n"]] = {
                    "id": run.id,
                    "version": run.version,
                    "status": run.status,
                    "node": run.current_node,
                    "items": items,
                }
            results = tx.find(model.MigrationResult, migration_id=migration_id)
        for entry in runs.values():
            entry["events"] = [e["type"] for e in engine.events(entry["id"])]
            entry["migrated"] = [e for e in engine.events(entry["id"]) if e["type"] == "run.migrated"]
        return {"runs": runs, "results": results, "view": engine.migration(migration_id)}
    finally:
        assert isinstance(engine.store, SqlStore)
        engine.store.dispose()


@pytest.fixture(scope="module")
def control(tmp_path_factory) -> dict[str, Any]:
    """The same migration applied without a kill (in this process, on its own SQLite file)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('control') / 'control.db'}"
    migration_id = driver.seed(url, RUNS)
    view = driver.apply(url, migration_id, slow=False)
    assert (view["status"], view["moved"]) == ("completed", RUNS)
    return state(url, migration_id)


@pytest.mark.timeout(120)
def test_a_killed_migration_resumes_and_moves_every_run_once(database_url: str, tmp_path: Path, control: dict[str, Any]) -> None:
    started = time.monotonic()
    migration_id = driver.seed(database_url, RUNS)
    procs: list[subprocess.Popen] = []
    kills: list[tuple[int, int]] = []
    try:
        for k, at_least in enumerate(KILL_AT):
            procs.append(spawn(database_url, migration_id, tmp_path / f"driver-{k}.out"))
            kills.append(kill_mid_batch(database_url, migration_id, procs[-1], at_least))
        last = spawn(database_url, migration_id, tmp_path / "driver-last.out")
        procs.append(last)
        last.wait(DEADLINE)
        output = (tmp_path / "driver-last.out").read_text()
        assert last.returncode == 0, output
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
    elapsed = time.monotonic() - started

    # Each kill landed mid-batch: results were written that the migration row had not counted yet.
    assert all(results > moved for results, moved in kills), kills
    assert f"completed moved={RUNS} total={RUNS}" in output

    after = state(database_url, migration_id)
    view = after["view"]
    assert (view["status"], view["total"], view["handled"], view["moved"]) == ("completed", RUNS, RUNS, RUNS)
    assert (view["refused"], view["skipped"], view["failed"]) == (0, 0, 0)
    assert len(after["results"]) == RUNS and {r.outcome for r in after["results"]} == {"moved"}
    assert sorted(r.run_id for r in after["results"]) == sorted(r["id"] for r in after["runs"].values())

    runs = after["runs"]
    assert sorted(runs) == list(range(RUNS))
    assert Counter(r["version"] for r in runs.values()) == {2: RUNS}
    for n, run in runs.items():
        assert len(run["migrated"]) == 1, f"run {n}: {len(run['migrated'])} run.migrated events"
        (moved,) = run["migrated"]
        assert (moved["data"]["from"], moved["data"]["to"], moved["data"]["migration"], moved["by"]) == (1, 2, migration_id, "otto")
        same = control["runs"][n]
        assert run["events"] == same["events"], f"run {n}: events differ from the unkilled control"
        assert (run["status"], run["node"], run["items"]) == (same["status"], same["node"], same["items"]), f"run {n}"
    print(f"\n[migration crash {database_url.split(':')[0]}] kills at (results, counted)={kills} elapsed={elapsed:.1f}s")
