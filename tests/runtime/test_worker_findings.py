"""Worker bugs found while writing the crash-safety and multi-worker tests, fixed;
each test is the smallest reproduction of one of them."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from runtime.actions import Action, ActionField
from runtime.engine import Engine
from runtime.model import Job
from runtime.worker import Worker
from tests.runtime.test_worker import background_doc, make_engine

MINUTE = timedelta(seconds=60)


def worker_engine(store, clock, directory, worker_id, handler) -> Engine:
    engine = Engine(store, clock, directory, autoprocess=False, worker_id=worker_id)
    engine.actions.register(Action("test.echo", handler, (ActionField("value", "any"),)))
    return engine


def recorder(calls: list[str]):
    def record(ctx, inputs):
        calls.append(ctx.idempotency_key)
        return {}

    return record


def test_a_live_worker_keeps_the_jobs_it_claimed_inline(store, clock, directory):
    """A job a worker claims as it schedules it (inline claim) is not in ``jobs_in_hand``
    until the worker gets round to it, so its heartbeats do not cover it: when that takes
    longer than ``stale_after`` (a slow batch ahead of it), another worker re-queues it and
    runs it, and then the first worker runs it too: two executions, no worker died."""
    calls: list[str] = []
    w1 = make_engine(store, clock, directory, calls)
    w1.deploy(background_doc())
    Worker(w1, stale_after=MINUTE)  # w1 now claims what it schedules
    run_id = w1.start("t", {"n": 1})  # job a: born claimed by w1, waiting in w1's local queue
    for _ in range(2):  # w1 is alive and busy for 90 s; its heartbeat thread beats what it holds
        clock.advance(timedelta(seconds=45))
        store.heartbeat(list(w1.jobs_in_hand), clock.now())
    w2 = worker_engine(store, clock, directory, "w2", recorder(calls))
    Worker(w2, stale_after=MINUTE, heartbeat_interval=0.05).run(until_idle=True)
    Worker(w1, stale_after=MINUTE, heartbeat_interval=0.05).run(until_idle=True)
    assert calls.count(f"{run_id}:a:1:1") == 1, calls


def test_a_worker_claims_no_more_jobs_than_its_batch(store, clock, directory):
    """``--batch`` is documented as "jobs claimed at a time (small keeps work spread across
    workers)", but ``Engine.process(limit=)`` calls ``run_jobs(limit=50)`` whatever the
    limit: with ``--batch 10`` the killed worker of test_pg_workers held 50 jobs."""
    claimed: list[int] = []

    def count_claims(ctx, inputs):
        if ctx.step_id == "a":
            with store.transaction(write=False) as tx:
                claimed.append(sum(1 for j in tx.find(Job, status="running", claimed_by="w1") if j.step_id == "a"))
        return {}

    engine = worker_engine(store, clock, directory, "w1", count_claims)
    engine.deploy(background_doc())
    for n in range(12):
        engine.start("t", {"n": n})  # 12 jobs for step a, queued
    Worker(engine, batch=3, heartbeat_interval=0.05).run(until_idle=True)
    assert len(claimed) == 12 and max(claimed) <= 3, claimed


def test_a_store_error_while_requeueing_does_not_stop_the_worker(store, clock, directory, monkeypatch):
    """``Worker.run`` keeps going when ``process()`` fails ("keep the worker alive"), but
    ``requeue_stale`` sits outside that ``try``: one dropped connection there ends the loop
    (and the ``overture worker`` process, or the server's embedded worker thread)."""
    calls: list[str] = []
    engine = make_engine(store, clock, directory, calls)
    engine.deploy(background_doc())
    run_id = engine.start("t", {"n": 1})
    real = store.requeue_stale
    failed: list[bool] = []

    def flaky(now, timeout):
        if not failed:
            failed.append(True)
            raise ConnectionError("server closed the connection unexpectedly")
        return real(now, timeout)

    monkeypatch.setattr(store, "requeue_stale", flaky)
    worker = Worker(engine, poll_interval=0.01, heartbeat_interval=0.05)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # what would end the thread (or the process)
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while thread.is_alive() and engine.get_run(run_id)["status"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop_event.set()
    thread.join(10)
    assert not errors, errors
    assert engine.get_run(run_id)["status"] == "completed"


def test_a_stopped_worker_hands_back_the_jobs_it_has_not_started(store, clock, directory):
    """SIGTERM (``stop_event``) ends ``Worker.run`` after the current ``process()`` call;
    the jobs that call's results scheduled were born claimed by this worker and stay
    ``running`` with nobody to run them, so other workers may not take them before
    ``stale_after`` (60 s by default): every run in flight stalls on a rolling restart."""
    calls: list[str] = []
    seeder = make_engine(store, clock, directory, [])
    seeder.deploy(background_doc())
    run_id = seeder.start("t", {"n": 1})  # job a, queued

    def echo_then_sigterm(ctx, inputs):
        calls.append(ctx.idempotency_key)
        worker.stop_event.set()  # SIGTERM arrives while w1 runs job a
        return {}

    w1 = worker_engine(store, clock, directory, "w1", echo_then_sigterm)
    worker = Worker(w1, stale_after=MINUTE, heartbeat_interval=0.05, batch=1)
    worker.run()  # runs a; recording it schedules b, born claimed by w1; then w1 stops
    w2 = worker_engine(store, clock, directory, "w2", recorder(calls))
    Worker(w2, stale_after=MINUTE, heartbeat_interval=0.05).run(until_idle=True)
    assert w2.get_run(run_id)["status"] == "completed", calls


def test_a_claim_takes_no_more_jobs_than_its_limit(store, clock, directory):
    """On PostgreSQL ``claim_jobs`` is ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE
    SKIP LOCKED)``; the planner may run that sub-select as the inner side of a nested-loop
    semi-join and re-run it, each time locking and returning further rows, so one claim
    takes more than ``n`` jobs (``limit=1`` claimed 2 on a fresh table)."""
    engine = make_engine(store, clock, directory, [])
    engine.deploy(background_doc())
    for n in range(30):
        engine.start("t", {"n": n})  # 30 jobs, queued
    claimed = [len(store.claim_jobs(clock.now(), f"w{limit}", limit)) for limit in (1, 2, 3, 4, 5)]
    assert claimed == [1, 2, 3, 4, 5]
