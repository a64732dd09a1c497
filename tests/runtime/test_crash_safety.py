"""Crash safety: a driver killed with SIGKILL at random moments, and restarted, loses nothing.

``tests/runtime/crash_driver.py`` works through ``RUNS`` runs of a document that mixes
people, background actions, a loop back through a decision and a timer, resuming from
the database on every start. This test starts it, kills it (seeded random moments,
several times), restarts it each time, lets the last one finish, and then checks
from the database alone that every run reached the end its number calls for, nothing
was started, created or completed twice, and every run's event log tells the same
story as its state.

Runs on a SQLite file, and on a fresh PostgreSQL database of its own when
``OVERTURE_TEST_DATABASE_URL`` is set. ``OVERTURE_CRASH_SEED`` picks another kill
schedule.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg import POSTGRES_URL, throwaway_database
from tests.runtime import crash_driver as cd

ROOT = Path(__file__).resolve().parents[2]
RUNS = 200
SEED = int(os.environ.get("OVERTURE_CRASH_SEED", "20260105"))
READY_DEADLINE = 60.0  # seconds for a driver to start (generous: loaded 2-core machines)
FINISH_DEADLINE = 150.0  # seconds for the last driver to finish every run


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("OVERTURE_TEST_DATABASE_URL is not set")
    with throwaway_database("overture_crash") as url:
        yield url


class Drivers:
    """Driver processes, one at a time; every one is reaped, killed if need be."""

    def __init__(self, url: str, workdir: Path):
        self.url, self.workdir = url, workdir
        self.log = workdir / "actions.log"
        self.procs: list[subprocess.Popen] = []
        self.killed_pids: set[int] = set()

    def out(self, k: int) -> Path:
        return self.workdir / f"driver-{k}.out"

    def err(self, k: int) -> Path:
        return self.workdir / f"driver-{k}.err"

    def spawn(self) -> subprocess.Popen:
        k = len(self.procs)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        with self.out(k).open("wb") as out, self.err(k).open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.runtime.crash_driver", self.url, str(RUNS), str(self.log)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )
        self.procs.append(proc)
        return proc

    def wait_ready(self, proc: subprocess.Popen) -> bool:
        """Whether the driver got going (False: it already exited)."""
        k = self.procs.index(proc)
        deadline = time.monotonic() + READY_DEADLINE
        while time.monotonic() < deadline:
            if b"ready" in self.out(k).read_bytes():
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.01)
        raise AssertionError(f"driver {k} not ready after {READY_DEADLINE}s: {self.tail(k)}")

    def kill(self, proc: subprocess.Popen) -> bool:
        """SIGKILL; whether it was still running (False: it had finished by itself)."""
        if proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if proc.returncode != -signal.SIGKILL:
            return False
        self.killed_pids.add(proc.pid)
        return True

    def tail(self, k: int) -> str:
        return f"stdout={self.out(k).read_text()[-2000:]!r} stderr={self.err(k).read_text()[-4000:]!r}"

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)


def completed_runs(url: str) -> int:
    """How far the drivers got (read straight from the database)."""
    from sqlalchemy import create_engine, text

    from runtime.store.sql import database_url as normalise

    engine = create_engine(normalise(url))
    try:
        with engine.connect() as conn:
            try:
                return int(conn.execute(text("SELECT count(*) FROM runs WHERE status = 'completed'")).scalar() or 0)
            except Exception:  # the first driver may have been killed before the schema existed
                return 0
    finally:
        engine.dispose()


@pytest.mark.timeout(300)
def test_killed_driver_resumes_and_loses_nothing(database_url: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}:{database_url.split(':')[0]}")
    drivers = Drivers(database_url, tmp_path)
    planned = rng.randint(5, 8)
    kills: list[tuple[str, float, int]] = []  # (when, delay, runs completed by then)
    started = time.monotonic()
    try:
        for k in range(planned):
            proc = drivers.spawn()
            if k == 0:
                # The first kill may land anywhere: imports, migrations, deployment, first runs.
                delay = rng.uniform(0.05, 0.6)
                time.sleep(delay)
                when = "start-up"
            else:
                if not drivers.wait_ready(proc):
                    break
                delay = rng.uniform(0.03, 0.35)
                time.sleep(delay)
                when = "working"
            if not drivers.kill(proc):
                break  # it finished every run before we got to kill it
            kills.append((when, round(delay, 3), completed_runs(database_url)))
        final = drivers.procs[-1]
        if final.pid in drivers.killed_pids:
            final = drivers.spawn()
        try:
            final.wait(FINISH_DEADLINE)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the last driver did not finish within {FINISH_DEADLINE}s: {drivers.tail(len(drivers.procs) - 1)}")
        for k, proc in enumerate(drivers.procs):  # every driver we did not kill ended well
            assert proc.pid in drivers.killed_pids or proc.returncode == 0, f"driver {k}: rc={proc.returncode} {drivers.tail(k)}"
    finally:
        drivers.close()
    elapsed = time.monotonic() - started

    working_kills = [k for k in kills if k[0] == "working" and k[2] < RUNS]
    assert len(working_kills) >= 3, f"too few kills while there was work left: {kills}"

    state = load_state(database_url)
    duplicates = check_state(state, drivers)
    print(
        f"\n[crash-safety {database_url.split(':')[0]}] seed={SEED} runs={RUNS} drivers={len(drivers.procs)} "
        f"kills={len(kills)} {kills} duplicate executions={duplicates} elapsed={elapsed:.1f}s"
    )


# ---------------------------------------------------------------------------- checks


def load_state(url: str) -> dict[str, list[Any]]:
    from runtime import model
    from runtime.store.sql import SqlStore

    store = SqlStore(url)
    try:
        with store.transaction(write=False) as tx:
            return {
                cls.__name__: tx.find(cls)
                for cls in (
                    model.Record,
                    model.Run,
                    model.StageVisit,
                    model.StepRun,
                    model.WorkItem,
                    model.Job,
                    model.Timer,
                    model.Subscription,
                    model.RunEvent,
                )
            }
    finally:
        store.dispose()


def by_run(rows: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.run_id].append(row)
    return grouped


_RUN_STATUS = {
    "run.started": "in_progress",
    "run.completed": "completed",
    "run.error": "error",
    "run.cancelled": "cancelled",
    "run.suspended": "suspended",
    "run.resumed": "in_progress",
    "run.retried": "in_progress",
}
_NODE_STATUS = {
    "started": "in_progress",
    "waiting": "waiting",
    "completed": "completed",
    "discontinued": "discontinued",
    "error": "error",
    "cancelled": "cancelled",
}


def check_state(state: dict[str, list[Any]], drivers: Drivers) -> int:
    """Every check of the module docstring; returns the number of duplicate action executions."""
    records = [r for r in state["Record"] if r.object == cd.OBJECT]
    numbers = Counter(r.fields["n"] for r in records)
    assert sorted(numbers) == list(range(RUNS)) and set(numbers.values()) == {1}, f"records per n: {numbers}"
    for record in records:
        assert record.idempotency_key == f"run-{record.fields['n']}"
        assert record.owner == cd.owner(record.fields["n"])
    n_of = {r.id: r.fields["n"] for r in records}

    runs = [r for r in state["Run"] if r.orchestration == cd.KEY]
    per_record = Counter(r.record_id for r in runs)
    assert set(per_record) == set(n_of) and set(per_record.values()) == {1}, f"runs per record: {per_record}"
    assert len(runs) == RUNS

    visits, steps, items, jobs, events = (by_run(state[k]) for k in ("StageVisit", "StepRun", "WorkItem", "Job", "RunEvent"))
    assert state["Timer"] == [] and state["Subscription"] == []
    job_keys = {j.idempotency_key: j for j in state["Job"]}

    for run in runs:
        n = n_of[run.record_id]
        want = cd.expected(n)
        where = f"run {run.id} (n={n})"

        # The end state its number calls for.
        assert run.status == "completed" and run.current_node == want["end"], f"{where}: {run.status} at {run.current_node} {run.error}"
        assert run.vars == want["vars"], f"{where}: vars {run.vars}"
        run_visits = sorted(visits[run.id], key=lambda v: v.position)
        assert [(v.stage_id, v.visit) for v in run_visits] == want["visits"], where
        assert all(v.status == "completed" for v in run_visits), where
        step_runs = {(s.step_id, s.visit): s for s in steps[run.id]}
        assert len(step_runs) == len(steps[run.id]), f"{where}: duplicate step runs"
        assert set(step_runs) == set(want["steps"]), f"{where}: step runs {sorted(step_runs)}"
        for key, outcome in want["steps"].items():
            s = step_runs[key]
            assert s.status == "completed", f"{where}: {key} is {s.status}"
            assert s.outcome == outcome, f"{where}: {key} outcome {s.outcome}"
            if key[0] == "review":
                assert s.outputs == {"notes": cd.notes(n, key[1])}, f"{where}: {key} outputs {s.outputs}"
            elif key in want["background"]:
                assert s.outputs == {"n": n, "step": key[0]}, f"{where}: {key} outputs {s.outputs}"

        # One work item per interactive step and visit, completed once, by the right person.
        run_items = items[run.id]
        per_step = Counter((i.step_id, i.visit) for i in run_items)
        interactive = {k for k in want["steps"] if k[0] in ("review", "sign")}
        assert set(per_step) == interactive and set(per_step.values()) == {1}, f"{where}: work items {per_step}"
        for item in run_items:
            view = {"assignee": {"type": item.assignee_type, "value": item.assignee_value}, "visit": item.visit}
            assert item.status == "completed" and item.completed_by == cd.person(view, n), f"{where}: item {item}"
            assert item.outcome == want["steps"][(item.step_id, item.visit)]
            assert item.claimed_by == (item.completed_by if cd.claims_first(n) else None), f"{where}: item {item}"

        # One job per background step and visit, done, on its first (and only) attempt.
        run_jobs = jobs[run.id]
        assert sorted((j.step_id, j.visit) for j in run_jobs) == want["background"], f"{where}: jobs {run_jobs}"
        for job in run_jobs:
            assert job.status == "done" and job.attempt == 1, f"{where}: job {job}"
            assert job.idempotency_key == f"{run.id}:{job.step_id}:{job.visit}:1"

        check_log(run, sorted(events[run.id], key=lambda e: e.id), run_visits, step_runs, run_items, run_jobs, want, where)

    return check_actions(drivers, job_keys)


def check_log(run, log, run_visits, step_runs, run_items, run_jobs, want, where) -> None:
    """The run's event log replays to its state; nothing is missing or doubled."""
    ids = [e.id for e in log]
    assert len(set(ids)) == len(ids) and ids == sorted(ids), f"{where}: event ids {ids}"
    types = [e.type for e in log]
    assert types[0] == "run.started" and types.count("run.started") == 1, f"{where}: {types}"
    assert types[-1] == "run.completed" and types.count("run.completed") == 1, f"{where}: {types}"

    run_status = None
    node = None
    stage_status: dict[tuple[str, int], str] = {}
    step_status: dict[tuple[str, int], str] = {}
    completions: Counter = Counter()
    variables: dict[str, Any] = {}
    decisions = []
    for e in log:
        kind, _, what = e.type.partition(".")
        if e.type in _RUN_STATUS:
            run_status = _RUN_STATUS[e.type]
        elif kind == "edge":
            assert e.data["from"] == node, f"{where}: edge from {e.data['from']} while at {node}"
            node = e.node
        elif kind == "stage" and what in _NODE_STATUS:
            stage_status[(e.node, e.visit)] = _NODE_STATUS[what]
        elif kind == "step" and what in _NODE_STATUS:
            step_status[(e.node, e.visit)] = _NODE_STATUS[what]
            if what == "completed":
                completions[(e.node, e.visit)] += 1
                s = step_runs[(e.node, e.visit)]
                assert (e.data["outcome"], e.data["outputs"]) == (s.outcome, s.outputs), f"{where}: {e}"
        elif e.type == "variables.set":
            variables.update(e.data["values"])
        elif e.type == "decision.taken":
            decisions.append(e.data["outcome"])
    assert run_status == run.status and node == run.current_node, where
    assert stage_status == {(v.stage_id, v.visit): v.status for v in run_visits}, f"{where}: stages {stage_status}"
    assert step_status == {k: s.status for k, s in step_runs.items() if s.status != "not_started"}, f"{where}: {step_status}"
    assert set(completions) == {k for k, s in step_runs.items() if s.status == "completed"}, where
    assert set(completions.values()) == {1}, f"{where}: step.completed per step and visit {completions}"
    assert {**{"reviews": 0, "work": 0}, **variables} == run.vars, f"{where}: variables replay to {variables}"
    assert decisions == want["decisions"], f"{where}: decisions {decisions}"

    # Work items: created and completed (and claimed) exactly as often as the rows say.
    def items_in(kind: str) -> Counter:
        return Counter(e.data["work_item"] for e in log if e.type == f"work_item.{kind}")

    created, completed, claimed = items_in("created"), items_in("completed"), items_in("claimed")
    assert created == Counter(i.id for i in run_items), f"{where}: work_item.created {created}"
    assert completed == Counter(i.id for i in run_items if i.status == "completed"), f"{where}: work_item.completed {completed}"
    assert claimed == Counter(i.id for i in run_items if i.claimed_by), f"{where}: work_item.claimed {claimed}"
    by_item = {e.data["work_item"]: e for e in log if e.type == "work_item.completed"}
    for item in run_items:
        e = by_item[item.id]
        assert (e.by, e.data["outcome"], e.data["values"], e.node, e.visit) == (
            item.completed_by,
            item.outcome,
            item.values,
            item.step_id,
            item.visit,
        ), f"{where}: {e}"

    # Background actions: scheduled and succeeded once per job; the timer fired once.
    scheduled = Counter(e.data["idempotency_key"] for e in log if e.type == "action.scheduled")
    assert scheduled == Counter(j.idempotency_key for j in run_jobs), f"{where}: action.scheduled {scheduled}"
    succeeded = Counter((e.node, e.visit) for e in log if e.type == "action.succeeded")
    assert succeeded == Counter((j.step_id, j.visit) for j in run_jobs), f"{where}: action.succeeded {succeeded}"
    assert "action.failed" not in types, where
    fired = Counter((e.node, e.visit) for e in log if e.type == "timer.fired")
    assert fired == Counter(k for k in want["steps"] if k[0] == "pause"), f"{where}: timer.fired {fired}"


def check_actions(drivers: Drivers, job_keys: dict[str, Any]) -> int:
    """At least once, and only ever with a job's own key; returns the number of repeats."""
    executions = [line.split() for line in drivers.log.read_text().splitlines()]
    assert all(len(parts) == 2 for parts in executions), "torn line in the action log"
    counts = Counter(key for key, _pid in executions)
    assert set(counts) <= set(job_keys), f"executions with unknown keys: {set(counts) - set(job_keys)}"
    assert set(counts) == set(job_keys), f"jobs never executed: {set(job_keys) - set(counts)}"
    return sum(c - 1 for c in counts.values())
