"""The engine's meter (runtime/meter.py): told what each committed transaction did, once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from runtime.actions import Action, ActionFailed, ActionField
from runtime.engine import Engine
from runtime.errors import Forbidden
from runtime.meter import FiredTimer, Observed
from runtime.model import Job
from runtime.worker import Worker
from tests.runtime.docs import one_stage, step


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, str, str | None]] = []
        self.timers: list[FiredTimer] = []
        self.lags: list[tuple[str, float]] = []
        self.beats: list[int] = []

    def committed(self, events: Sequence[Observed], timers: Sequence[FiredTimer]) -> None:
        self.events += [(key, version, e.type, e.node) for key, version, e in events]
        self.timers += timers

    def claimed(self, jobs: Sequence[Job]) -> None:
        assert all(j.claimed_at is not None for j in jobs)
        self.lags += [(j.action, (j.claimed_at - j.run_after).total_seconds()) for j in jobs if j.claimed_at]

    def heartbeat(self, jobs_in_hand: int) -> None:
        self.beats.append(jobs_in_hand)

    def types(self) -> list[str]:
        return [t for _k, _v, t, _n in self.events]


def test_events_are_counted_once_they_commit_and_refused_changes_not_at_all(store, clock, directory):
    meter = Recorder()
    engine = Engine(store, clock, directory)
    engine.ledger.meter = meter
    engine.deploy(one_stage(step("review", due="PT1H", escalation={"action": "notify", "to": {"type": "user", "value": "fiona"}})))
    run_id = engine.start("t", started_by="sam")
    assert meter.events[0] == ("t", 1, "run.started", None)
    (item,) = engine.work_items(run=run_id)
    counted = len(meter.events)
    with pytest.raises(Forbidden):
        engine.complete(item["id"], by="mallory", outcome="done")  # rolled back: nothing reported
    assert len(meter.events) == counted
    clock.advance(timedelta(minutes=90))  # the escalation was due at 60 min: fired 30 min late
    assert meter.timers == [FiredTimer("escalation", 1800.0)]
    engine.complete(item["id"], by="alice", outcome="done")
    assert meter.types().count("step.completed") == 1 and meter.types()[-1] == "run.completed"
    assert ("t", 1, "step.completed", "review") in meter.events


def test_claims_report_how_late_a_job_was_taken_and_workers_beat(store, clock, directory):
    meter = Recorder()
    engine = Engine(store, clock, directory, autoprocess=False)
    engine.ledger.meter = meter
    tries: list[int] = []

    def flaky(ctx, inputs):
        tries.append(ctx.attempt)
        if ctx.attempt == 1:
            raise ActionFailed("try again")
        return {}

    engine.actions.register(Action("test.flaky", flaky, (ActionField("value", "any"),)))
    doc = one_stage(step("sync", "background", action="test.flaky", inputs={"value": "1"}, retry={"max_attempts": 2, "backoff": "PT10S"}))
    engine.deploy(doc)
    run_id = engine.start("t")
    clock.advance(timedelta(seconds=2))  # nobody claims it for 2 s
    assert engine.process() == 1  # claimed from the store, failed, its retry due in 10 s
    clock.advance(timedelta(seconds=15))
    Worker(engine, heartbeat_interval=0.01).run(until_idle=True)
    assert tries == [1, 2] and engine.get_run(run_id)["status"] == "completed"
    assert meter.lags == [("test.flaky", 2.0), ("test.flaky", 5.0)]
    actions = [t for t in meter.types() if t.startswith("action.")]
    assert actions == ["action.scheduled", "action.failed", "action.scheduled", "action.succeeded"]


def test_a_worker_beats_while_it_runs(store, clock, directory):
    meter = Recorder()
    engine = Engine(store, clock, directory, autoprocess=False)
    engine.ledger.meter = meter
    worker = Worker(engine, heartbeat_interval=0.01, poll_interval=0.01)
    worker.start()
    try:
        for _ in range(500):
            if len(meter.beats) >= 2:
                break
            worker.stop_event.wait(0.01)
    finally:
        worker.stop()
    assert meter.beats[:2] == [0, 0]
