"""Workers drain jobs and timers; stale claims go back to the queue with the same key."""

from __future__ import annotations

from datetime import timedelta

from runtime.actions import Action, ActionField
from runtime.engine import Engine
from runtime.model import Job
from runtime.worker import Worker
from tests.runtime.docs import one_stage, step


def background_doc() -> dict:
    return one_stage(
        step("a", "background", action="test.echo", inputs={"value": "inputs.n"}),
        step("b", "background", action="test.echo", inputs={"value": "inputs.n + 1"}, start={"when": "after", "steps": ["a"]}),
        inputs=[{"name": "n", "type": "integer", "required": True}],
    )


def make_engine(store, clock, directory, calls: list[str]) -> Engine:
    engine = Engine(store, clock, directory, autoprocess=False, worker_id="w1")

    def echo(ctx, inputs):
        calls.append(ctx.idempotency_key)
        return {"echo": inputs["value"]}

    engine.actions.register(Action("test.echo", echo, (ActionField("value", "any"),)))
    return engine


def test_worker_drains_until_idle(store, clock, directory):
    calls: list[str] = []
    engine = make_engine(store, clock, directory, calls)
    engine.deploy(background_doc())
    runs = [engine.start("t", {"n": n}) for n in range(5)]
    assert all(engine.get_run(r)["status"] == "in_progress" for r in runs)  # nothing ran yet
    handled = Worker(engine, batch=3, heartbeat_interval=0.05).run(until_idle=True)
    assert handled == 10
    assert all(engine.get_run(r)["status"] == "completed" for r in runs)
    assert sorted(calls) == sorted(f"{r}:{s}:1:1" for r in runs for s in "ab")


def test_stale_claim_is_requeued_with_the_same_key(store, clock, directory):
    calls: list[str] = []
    engine = make_engine(store, clock, directory, calls)
    engine.deploy(background_doc())
    run_id = engine.start("t", {"n": 1})
    # A worker claims the job and dies before running it.
    (claimed,) = store.claim_jobs(clock.now(), "dead-worker", 10)
    assert store.claim_jobs(clock.now(), "w2", 10) == []  # nobody else gets it meanwhile
    clock.advance(timedelta(seconds=30))
    assert store.requeue_stale(clock.now(), timedelta(seconds=60)) == 0
    store.heartbeat([claimed.id], clock.now())  # still alive at 30 s
    clock.advance(timedelta(seconds=61))
    assert store.requeue_stale(clock.now(), timedelta(seconds=60)) == 1
    Worker(engine, heartbeat_interval=0.05).run(until_idle=True)
    assert engine.get_run(run_id)["status"] == "completed"
    assert calls[0] == claimed.idempotency_key == f"{run_id}:a:1:1"


def test_claims_are_exclusive(store, clock, directory):
    engine = make_engine(store, clock, directory, [])
    engine.deploy(background_doc())
    for n in range(6):
        engine.start("t", {"n": n})
    first = store.claim_jobs(clock.now(), "w1", 4)
    second = store.claim_jobs(clock.now(), "w2", 4)
    assert len(first) == 4 and len(second) == 2
    assert not {j.id for j in first} & {j.id for j in second}
    assert {j.claimed_by for j in first} == {"w1"}
    with store.transaction(write=False) as tx:
        assert {j.status for j in tx.find(Job)} == {"running"}


def test_jobs_wait_for_their_time(store, clock, directory):
    engine = make_engine(store, clock, directory, [])
    engine.deploy(background_doc())
    engine.start("t", {"n": 1})
    with store.transaction() as tx:
        (job,) = tx.find(Job)
        job.run_after = clock.now() + timedelta(minutes=5)
        tx.update(job)
    assert store.claim_jobs(clock.now(), "w1", 10) == []
    clock.advance("PT5M")
    assert len(store.claim_jobs(clock.now(), "w1", 10)) == 1
