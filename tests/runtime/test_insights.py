"""Live insights: figures follow runs, the projector applies each event once, holes
in the sequence are waited for, and windows read the hourly buckets."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime, timedelta

import pytest

from runtime import insights
from runtime.clock import ManualClock
from runtime.engine import Engine
from runtime.insights import Projector, bin_of, quantile
from runtime.model import InsightCursor, InsightPosition, RunEvent
from tests.pg import POSTGRES_URL
from tests.runtime.docs import document, one_stage, step
from tests.runtime.test_engine import flaky, register

REVIEW = {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]}


def contract() -> dict:
    """legal (review, due in 2 days) -> size? -> finance (sign) -> end, or straight to end."""
    return document(
        [
            {"id": "legal", "type": "stage", "label": "Legal"},
            step("review", stage="legal", assignee={"type": "group", "value": "legal"}, form=REVIEW, due="P2D"),
            {
                "id": "size",
                "type": "decision",
                "label": "Big?",
                "outcomes": [{"id": "big", "label": "Big", "condition": "inputs.amount > 100"}],
            },
            {"id": "finance", "type": "stage", "label": "Finance"},
            step("sign", stage="finance", assignee={"type": "group", "value": "finance"}),
        ],
        [("start", "legal"), ("legal", "size"), ("size", "finance", "big"), ("size", "end", "default"), ("finance", "end")],
        key="deal",
        inputs=[{"name": "amount", "type": "number", "required": True}],
    )


def figures(engine: Engine, **kw) -> dict:
    Projector(engine.store).catch_up()
    return insights.snapshot(engine.store, "deal", now=engine.clock.now(), **kw)


def complete(engine: Engine, run_id: str, user: str, outcome: str | None = None) -> None:
    (item,) = [i for i in engine.work_items(assignee=user) if i["run_id"] == run_id]
    engine.complete(item["id"], by=user, outcome=outcome)


def test_histogram_quantiles_are_close_and_clamped():
    assert bin_of(0.0005) == 0 and bin_of(1.0) < bin_of(1.1) < bin_of(2.0)
    hist: dict[str, int] = {}
    values = [float(v) for v in range(1, 1001)]
    for v in values:
        hist[str(bin_of(v))] = hist.get(str(bin_of(v)), 0) + 1
    assert quantile(hist, 0.5) == pytest.approx(500, rel=0.05)
    assert quantile(hist, 0.95) == pytest.approx(950, rel=0.05)
    one = {str(bin_of(3600.0)): 7}
    assert quantile(one, 0.5, 3600.0, 3600.0) == 3600.0
    assert quantile({}, 0.5) is None


def test_figures_follow_runs(engine: Engine, clock: ManualClock):
    engine.deploy(contract())
    small = [engine.start("deal", {"amount": 10}) for _ in range(2)]
    big = [engine.start("deal", {"amount": 500}) for _ in range(3)]
    f = figures(engine)
    assert (f["nodes"]["legal"]["active"], f["nodes"]["review"]["active"]) == (5, 5)
    assert f["edges"]["e0"] == {"taken": 5}

    clock.advance(timedelta(hours=1))
    for run_id in small + big[:2]:
        complete(engine, run_id, "alice", "approve")
    clock.advance(timedelta(hours=2))
    complete(engine, big[2], "alice", "approve")
    clock.advance(timedelta(hours=1))
    complete(engine, big[0], "fiona")

    f = figures(engine)
    nodes, edges = f["nodes"], f["edges"]
    assert {k: nodes["review"][k] for k in ("active", "waiting", "completed", "error")} == {
        "active": 0,
        "waiting": 0,
        "completed": 5,
        "error": 0,
    }
    # Four reviews took an hour, one three hours.
    assert nodes["review"]["p50"] == pytest.approx(3600, rel=0.05)
    assert nodes["review"]["p95"] == pytest.approx(3 * 3600, rel=0.05)
    assert nodes["legal"]["p95"] == pytest.approx(3 * 3600, rel=0.05)
    assert (nodes["finance"]["active"], nodes["finance"]["completed"]) == (2, 1)
    assert nodes["sign"]["p50"] == 3 * 3600.0  # one sample: exact (clamped to min and max)
    assert nodes["size"]["completed"] == 5
    assert nodes["end"]["completed"] == 3
    assert {e: edges[e]["taken"] for e in ("e0", "e1", "e2", "e3", "e4")} == {"e0": 5, "e1": 5, "e2": 3, "e3": 2, "e4": 1}
    assert f["seq"] == engine.store.events_after(0, 10_000)[-1].id


def test_overdue_is_counted_at_read_time(engine: Engine, clock: ManualClock):
    engine.deploy(contract())
    for _ in range(2):
        engine.start("deal", {"amount": 10})
    assert figures(engine)["nodes"]["review"]["overdue"] == 0
    clock.advance(timedelta(days=2, seconds=1))
    f = figures(engine)
    assert (f["nodes"]["review"]["overdue"], f["nodes"]["legal"]["overdue"], "size" in f["nodes"]) == (2, 2, False)


def test_waiting_error_and_retry(engine: Engine, clock: ManualClock):
    handler, _ = flaky(1)
    register(engine, "test.flaky", handler)
    engine.deploy(
        one_stage(
            step("call", "background", action="test.flaky", retry={"max_attempts": 1}),
            step("pause", "wait", timer={"duration": "PT1H"}),
            key="deal",
        )
    )
    run_id = engine.start("deal")
    f = figures(engine)["nodes"]
    assert (f["call"]["failed"], f["call"]["error"], f["s1"]["error"], f["s1"]["active"]) == (1, 1, 1, 0)
    assert (f["pause"]["waiting"], f["pause"]["active"]) == (1, 0)
    engine.retry(run_id, by="otto")
    f = figures(engine)["nodes"]
    assert (f["call"]["error"], f["call"]["completed"], f["s1"]["error"], f["s1"]["active"]) == (0, 1, 0, 1)
    clock.advance(timedelta(hours=1))
    f = figures(engine)["nodes"]
    assert (f["pause"]["waiting"], f["pause"]["completed"], f["s1"]["active"], f["s1"]["completed"]) == (0, 1, 0, 1)


def test_cancelling_a_run_in_error_clears_its_figures(engine: Engine):
    handler, _ = flaky(9, retryable=False)
    register(engine, "test.broken", handler)
    engine.deploy(one_stage(step("call", "background", action="test.broken"), step("other"), key="deal"))
    run_id = engine.start("deal")
    f = figures(engine)["nodes"]
    assert (f["call"]["error"], f["other"]["active"], f["s1"]["error"]) == (1, 1, 1)
    engine.cancel(run_id, by="otto")
    f = figures(engine)["nodes"]
    assert (f["call"]["error"], f["other"]["active"], f["s1"]["error"], f["s1"]["active"]) == (0, 0, 0, 0)
    with engine.store.transaction(write=False) as tx:
        assert tx.find(InsightPosition, run_id=run_id) == []


def test_versions_apart_and_added_up(engine: Engine):
    engine.deploy(contract())
    engine.start("deal", {"amount": 10})
    doc = contract()
    doc["label"] = "Deal v2"
    assert engine.deploy(doc) == 2
    engine.start("deal", {"amount": 10})
    engine.start("deal", {"amount": 10})
    assert figures(engine, version=1)["nodes"]["review"]["active"] == 1
    assert figures(engine, version=2)["nodes"]["review"]["active"] == 2
    assert figures(engine)["nodes"]["review"]["active"] == 3


def test_windows_read_hourly_buckets(engine: Engine, clock: ManualClock):
    engine.deploy(contract())
    old = [engine.start("deal", {"amount": 10}) for _ in range(2)]
    for run_id in old:
        complete(engine, run_id, "alice", "approve")
    clock.advance(timedelta(days=3))
    recent = engine.start("deal", {"amount": 10})
    complete(engine, recent, "alice", "approve")
    assert figures(engine, window="all")["nodes"]["review"]["completed"] == 3
    assert figures(engine, window="week")["nodes"]["review"]["completed"] == 3
    assert figures(engine, window="day")["nodes"]["review"]["completed"] == 1
    hour = figures(engine, window="hour")
    assert hour["nodes"]["review"]["completed"] == 1 and hour["edges"]["e0"]["taken"] == 1
    clock.advance(timedelta(hours=3))
    later = figures(engine, window="hour", nodes=["review"])
    assert later["nodes"]["review"]["completed"] == 0 and later["nodes"]["review"]["active"] == 0
    assert insights.prune(engine.store, now=clock.now(), keep=timedelta(days=1)) > 0
    assert figures(engine, window="all")["nodes"]["review"]["completed"] == 3


def test_two_projectors_apply_each_event_once(tmp_path, sqlite_template, clock, directory, monkeypatch):
    from runtime.store.sql import SqlStore

    path = tmp_path / "o.db"
    shutil.copy(sqlite_template, path)
    stores = [SqlStore(f"sqlite:///{path}") for _ in range(3)]
    try:
        engine = Engine(stores[0], clock, directory)
        engine.deploy(contract())
        projectors = [Projector(stores[1], batch=7), Projector(stores[2], batch=5)]
        stop = threading.Event()
        applied = [0, 0]

        def project(i: int) -> None:
            while not stop.is_set():
                applied[i] += projectors[i].run_once().events

        threads = [threading.Thread(target=project, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        runs = [engine.start("deal", {"amount": 500}) for _ in range(20)]
        for run_id in runs[:12]:
            complete(engine, run_id, "alice", "approve")
        for run_id in runs[:5]:
            complete(engine, run_id, "fiona")
        stop.set()
        for t in threads:
            t.join()
        while n := projectors[0].run_once().events:  # what the threads left
            applied[0] += n
        total = len(stores[0].events_after(0, 100_000))
        assert sum(applied) == total
        # The race itself, made certain: A reads a batch, B applies it first, A gives up.
        engine.start("deal", {"amount": 500})
        a, b = projectors
        read = stores[1].events_after

        def read_then_lose(after: int, limit: int) -> list:
            events = read(after, limit)
            assert b.run_once().events == len(events) > 0
            return events

        monkeypatch.setattr(stores[1], "events_after", read_then_lose)
        assert a.run_once().events == 0
        total = len(stores[0].events_after(0, 100_000))
        assert b.position() == total
        f = insights.snapshot(stores[0], "deal", now=clock.now())
        assert f["seq"] == total
        assert (f["nodes"]["review"]["active"], f["nodes"]["review"]["completed"]) == (9, 12)
        assert (f["nodes"]["sign"]["active"], f["nodes"]["sign"]["completed"]) == (7, 5)
        assert f["edges"]["e0"]["taken"] == 21 and f["edges"]["e4"]["taken"] == 5
    finally:
        for s in stores:
            s.dispose()


def test_a_projector_that_lost_the_race_gives_its_batch_up(engine: Engine):
    """A reads a batch; B applies it first; A finds the cursor moved and applies nothing."""
    engine.deploy(contract())
    engine.start("deal", {"amount": 10})
    a, b = Projector(engine.store), Projector(engine.store)
    store = engine.store
    read = store.events_after
    raced: list[int] = []

    def read_then_lose(after: int, limit: int) -> list:
        events = read(after, limit)
        if not raced:
            raced.append(0)  # B reads through here too
            raced[0] = b.run_once().events
        return events

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(store, "events_after", read_then_lose)
        assert a.run_once().events == 0
    assert raced[0] == len(read(0, 1000)) > 0
    assert a.run_once().events == b.run_once().events == 0
    f = insights.snapshot(store, "deal", now=engine.clock.now())
    assert (f["nodes"]["review"]["active"], f["edges"]["e0"]["taken"]) == (1, 1)


def _insert_event(
    store, event_id: int, run_id: str, at: datetime, type: str = "edge.taken", node: str = "legal", data: dict | None = None
) -> None:
    from runtime.store.tables import TABLES

    with store.engine.begin() as conn:
        conn.execute(
            TABLES[RunEvent]
            .insert()
            .values(id=event_id, run_id=run_id, type=type, at=at, node=node, data={"edge": "e0", "from": None} if data is None else data)
        )


def test_a_hole_in_the_sequence_is_waited_for_then_passed_and_rechecked(tmp_path, sqlite_template, directory):
    """A missing id may be a transaction not committed yet: the cursor stops there, for
    ``horizon``; then passes it, and still counts it if it turns up later."""
    from runtime.store.sql import SqlStore

    path = tmp_path / "o.db"
    shutil.copy(sqlite_template, path)
    store = SqlStore(f"sqlite:///{path}")
    try:
        clock = ManualClock()
        engine = Engine(store, clock, directory)
        engine.deploy(contract())
        run_id = engine.start("deal", {"amount": 10})
        last = store.events_after(0, 1000)[-1].id
        _insert_event(store, last + 2, run_id, clock.now())  # id last+1 is "in flight"
        wall = ManualClock()
        projector = Projector(store, clock=wall, horizon=timedelta(seconds=2))
        assert projector.run_once().position == last
        wall.advance(timedelta(seconds=1))
        assert projector.run_once().events == 0
        assert insights.snapshot(store, "deal", now=clock.now())["edges"]["e0"]["taken"] == 1
        wall.advance(timedelta(seconds=1.5))
        assert projector.run_once().position == last + 2
        with store.transaction(write=False) as tx:
            cursor = tx.get(InsightCursor, insights.CURSOR)
        assert list(cursor.skipped) == [str(last + 1)]
        assert insights.snapshot(store, "deal", now=clock.now())["edges"]["e0"]["taken"] == 2
        _insert_event(store, last + 1, run_id, clock.now())  # the late commit
        assert projector.run_once().events == 1
        assert insights.snapshot(store, "deal", now=clock.now())["edges"]["e0"]["taken"] == 3
        assert projector.run_once().events == 0  # counted once
        with store.transaction(write=False) as tx:
            assert tx.get(InsightCursor, insights.CURSOR).skipped == {}
    finally:
        store.dispose()


def test_a_late_event_does_not_reopen_a_node_its_run_has_left(tmp_path, sqlite_template, directory):
    from runtime.store.sql import SqlStore

    path = tmp_path / "o.db"
    shutil.copy(sqlite_template, path)
    store = SqlStore(f"sqlite:///{path}")
    try:
        clock = ManualClock()
        engine = Engine(store, clock, directory)
        engine.deploy(contract())
        run_id = engine.start("deal", {"amount": 10})
        last = store.events_after(0, 1000)[-1].id
        # The run's later event is counted first; its earlier one commits late.
        _insert_event(store, last + 2, run_id, clock.now(), "step.completed", "review", {"duration": 5.0})
        wall = ManualClock()
        projector = Projector(store, clock=wall)
        projector.run_once()
        wall.advance(timedelta(seconds=3))
        projector.run_once()
        assert insights.snapshot(store, "deal", now=clock.now())["nodes"]["review"]["active"] == 0
        _insert_event(store, last + 1, run_id, clock.now(), "step.started", "review", {})
        wall.advance(timedelta(seconds=1))
        assert projector.run_once().events == 1
        review = insights.snapshot(store, "deal", now=clock.now())["nodes"]["review"]
        assert (review["active"], review["completed"]) == (0, 1)  # counted, not reopened
    finally:
        store.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs OVERTURE_TEST_DATABASE_URL")
def test_postgres_commit_order_is_not_sequence_order(postgres_store, directory):
    """A transaction holding a lower id that commits after a higher one is not missed."""
    from sqlalchemy import text

    from tests.runtime.conftest import truncate_all

    store = postgres_store
    truncate_all(store)
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO insight_cursors (id, position, skipped) VALUES ('figures', 0, '{}')"))
    clock = ManualClock()
    engine = Engine(store, clock, directory)
    engine.deploy(contract())
    first = engine.start("deal", {"amount": 10})
    projector = Projector(store)
    projector.catch_up()
    slow = store.engine.connect()
    try:
        tx = slow.begin()
        slow.execute(
            text("INSERT INTO run_events (run_id, type, at, node, data) VALUES (:r, 'edge.taken', :at, 'legal', :d)"),
            {"r": first, "at": clock.now(), "d": '{"edge": "e0"}'},
        )
        engine.start("deal", {"amount": 10})  # commits events with higher ids
        before = projector.run_once()
        assert before.events == 0  # stopped at the hole
        tx.commit()
    finally:
        slow.close()
    projector.catch_up()
    f = insights.snapshot(store, "deal", now=clock.now())
    assert f["edges"]["e0"]["taken"] == 3
    assert f["nodes"]["review"]["active"] == 2
    assert f["seq"] == store.events_after(0, 10_000)[-1].id


def test_a_pass_hands_back_the_events_it_applied(engine: Engine):
    """The live hub fans out what the pass read instead of reading it again."""
    projector = Projector(engine.store)
    projector.catch_up()
    start = projector.position()
    engine.deploy(contract())
    engine.start("deal", {"amount": 10})
    applied = projector.run_once()
    assert applied.start == start and applied.taken is not None
    assert [e.id for e in applied.taken] == [e.id for e in engine.store.events_after(start, 1000)]
    assert applied.position == applied.taken[-1].id and applied.events == len(applied.taken)
    nothing = projector.run_once()
    assert nothing.events == 0 and nothing.taken is None


def test_a_pass_that_writes_commits_lazily(engine: Engine, monkeypatch):
    """Figures and cursor are lost together or not at all: the commit need not wait for the disk."""
    with engine.store.transaction(write=False) as tx:
        kind = type(tx)
    asked: list[bool] = []
    monkeypatch.setattr(kind, "commit_lazily", lambda self: asked.append(True), raising=True)
    projector = Projector(engine.store)
    projector.catch_up()
    asked.clear()
    assert projector.run_once().events == 0 and asked == []  # nothing to write: no write transaction
    engine.deploy(contract())
    engine.start("deal", {"amount": 10})
    assert projector.run_once().events > 0 and asked == [True]


@pytest.mark.skipif(not POSTGRES_URL, reason="needs OVERTURE_TEST_DATABASE_URL")
def test_commit_lazily_turns_synchronous_commit_off_for_that_transaction_only(postgres_store):
    with postgres_store.transaction() as tx:
        tx.commit_lazily()
        lazy = tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar()
    with postgres_store.transaction() as tx:
        usual = tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar()
    assert (lazy, usual) == ("off", "on")
