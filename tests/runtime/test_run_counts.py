"""The aggregates behind the monitor at a million runs (migration 0013): the runs counted per
day and status that ``Transaction.run_tally`` reads (kept by the database's triggers on
SQL, by the store in memory) and the work items' version that ``overdue_items`` counts by.
Each is compared with a count from scratch over the rows, after every kind of change a
run goes through, after a purge (purged runs stay counted), and after concurrent writers;
on the in-memory store, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from runtime.actions import Action, ActionFailed, ActionField
from runtime.engine import Engine
from runtime.model import Run, WorkItem
from runtime.retention import purge
from runtime.states import OPEN_ITEM
from runtime.store import migrate
from runtime.store.base import RunTally
from runtime.store.sql import SqlStore, database_url
from tests.pg import POSTGRES_URL, throwaway_database
from tests.runtime.docs import one_stage, step
from tests.runtime.old_schema import insert_rows
from tests.runtime.test_retention import GONE, OLD, finish, flow, scene
from tests.runtime.test_store_aggregates import NOW

KEYS = ("deal", "parent", "child", "forget", "pay")


def from_scratch(runs: list[Run], version: int | None, since: datetime) -> RunTally:
    """What run_tally must answer, counted over run rows."""
    by_status: dict[str, int] = {}
    per_day: dict[date, int] = {}
    completed = microseconds = 0
    for run in runs:
        if version is not None and run.version != version:
            continue
        by_status[run.status] = by_status.get(run.status, 0) + 1
        if run.status == "completed" and run.ended_at is not None:
            completed += 1
            microseconds += (run.ended_at - run.started_at) // timedelta(microseconds=1)
        if run.started_at >= since:
            day = run.started_at.astimezone(UTC).date()
            per_day[day] = per_day.get(day, 0) + 1
    return RunTally(by_status, completed, microseconds, per_day)


def all_runs(store, key: str) -> list[Run]:
    with store.transaction(write=False) as tx:
        return tx.find(Run, orchestration=key)


def tallies(store, since: datetime) -> dict[tuple[str, int | None], RunTally]:
    with store.transaction(write=False) as tx:
        return {(key, version): tx.run_tally(key, version, since) for key in KEYS for version in (None, 1, 2)}


def counted(store, since: datetime, purged: tuple[Run, ...] = ()) -> dict[tuple[str, int | None], RunTally]:
    return {
        (key, version): from_scratch([*all_runs(store, key), *(r for r in purged if r.orchestration == key)], version, since)
        for key in KEYS
        for version in (None, 1, 2)
    }


def overdue_from_scratch(store, key: str, now: datetime) -> list[tuple[int, str, str, int]]:
    """Open items past due per (run version, step, stage), the run's version read from the run."""
    counts: dict[tuple[int, str, str], int] = {}
    with store.transaction(write=False) as tx:
        for item in tx.find(WorkItem, orchestration=key, status=OPEN_ITEM):
            run = tx.get(Run, item.run_id)
            if item.due_at is not None and item.due_at < now and run is not None:
                group = (run.version, item.step_id, item.stage_id)
                counts[group] = counts.get(group, 0) + 1
    return sorted((*group, n) for group, n in counts.items())


def pay_flow() -> dict:
    return one_stage(
        step("pay", "background", action="test.charge", inputs={"amount": "inputs.amount"}, retry={"max_attempts": 1}),
        key="pay",
        inputs=[{"name": "amount", "type": "integer"}],
    )


def charge(ctx, inputs):
    if inputs["amount"] <= 0:
        raise ActionFailed(f"amount {inputs['amount']} is not positive", retryable=False)
    return {}


def test_run_counts_match_a_count_from_scratch_through_a_run_s_life_and_a_purge(engine: Engine, clock):
    engine.actions.register(Action("test.charge", charge, (ActionField("amount", "integer", True),), ()))
    since = datetime.combine(clock.now().date() - timedelta(days=400), datetime.min.time(), UTC)
    runs = scene(engine, clock)  # completed, cancelled, open, suspended, sub-runs; half a year apart
    engine.deploy(pay_flow())
    engine.deploy({**pay_flow(), "label": "Pay, again"})  # version 2
    failed = engine.start("pay", {"amount": 0})  # in error
    repaired = engine.start("pay", {"amount": -1})
    engine.edit_step_inputs(repaired, "pay", {"amount": 5}, by="ops")
    assert engine.retry(repaired)["status"] == "completed"  # error -> completed: moved between rows
    skipped = engine.start("pay", {"amount": 0})
    engine.skip_step(skipped, "pay", by="ops")
    engine.resume(runs["suspended"])
    engine.cancel(runs["open"], by="ops")
    with engine.store.transaction() as tx:  # a run restarted by hand: back in progress, no end
        run = tx.get(Run, runs["recent"])
        run.status, run.ended_at = "in_progress", None
        tx.update(run)
    statuses = {r.status for key in KEYS for r in all_runs(engine.store, key)}
    assert {"completed", "cancelled", "error", "in_progress"} <= statuses, statuses
    assert engine.get_run(failed)["status"] == "error"

    assert tallies(engine.store, since) == counted(engine.store, since)
    assert tallies(engine.store, clock.now() - timedelta(days=2)) == counted(engine.store, clock.now() - timedelta(days=2))

    with engine.store.transaction(write=False) as tx:
        gone = [tx.get(Run, runs[name]) for name in GONE]
    before = tallies(engine.store, since)
    assert purge(engine.store, older_than=OLD, now=clock.now()).runs == len(GONE)
    left = {r.id for key in KEYS for r in all_runs(engine.store, key)}
    assert not left & {r.id for r in gone}
    # Purged runs stay counted: the same figures as before, and as rows plus the purged.
    assert tallies(engine.store, since) == before == counted(engine.store, since, tuple(gone))
    # A run that goes on after the purge is moved as before.
    finish(engine, runs["recent"])
    assert tallies(engine.store, since) == counted(engine.store, since, tuple(gone))


def test_overdue_items_count_by_the_version_the_engine_writes_on_each_item(engine: Engine, clock):
    runs = scene(engine, clock)
    with engine.store.transaction(write=False) as tx:
        items = tx.find(WorkItem)
        versions = {r.id: r.version for key in KEYS for r in tx.find(Run, orchestration=key)}
    assert items and all(item.version == versions[item.run_id] for item in items)
    engine.deploy({**flow(), "label": "Deal, again"})  # version 2 of deal, with an item left open
    newer = engine.start("deal", {"n": 9})
    assert engine.get_run(newer)["version"] == 2
    later = clock.now() + timedelta(days=3)  # every open item is past due ("P2D")
    with engine.store.transaction(write=False) as tx:
        found = sorted(tx.overdue_items("deal", later))
    assert found == overdue_from_scratch(engine.store, "deal", later)
    assert {version for version, *_ in found} == {1, 2}
    assert runs  # the scene left items open on version 1


def test_concurrent_completions_are_each_counted_once(engine: Engine, clock, store):
    """Threads complete runs of one orchestration at once, on the same run_counts rows."""
    if type(store).__name__ == "InMemoryStore":
        pytest.skip("one lock serialises the in-memory store: there is no concurrency to test")
    engine.deploy(one_stage(step("review", assignee={"type": "user", "value": "bob"}, form={"fields": [], "outcomes": [{"value": "ok"}]})))
    started = [engine.start("t") for _ in range(24)]
    since = datetime.combine(clock.now().date(), datetime.min.time(), UTC)
    errors: list[BaseException] = []

    def work(part: list[str]) -> None:
        try:
            for run_id in part:
                for item in engine.work_items(run=run_id, status=("open",)):
                    engine.complete(item["id"], by="bob", outcome="ok")
                engine.start("t")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(started[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    with store.transaction(write=False) as tx:
        tally = tx.run_tally("t", None, since)
    assert tally == from_scratch(all_runs(store, "t"), None, since)
    assert tally.by_status == {"completed": 24, "in_progress": 24}


def test_a_rolled_back_transaction_counts_nothing(sql_store):
    start = NOW - timedelta(days=1)
    with sql_store.transaction() as tx:
        tx.insert(Run("a", "deal", 1, "in_progress", {}, {}, start, start))
    with pytest.raises(RuntimeError), sql_store.transaction() as tx:
        run = tx.get(Run, "a")
        run.status, run.ended_at = "completed", NOW
        tx.update(run)
        tx.insert(Run("b", "deal", 1, "in_progress", {}, {}, start, start))
        tx.get(Run, "b")  # sent
        raise RuntimeError("rolled back")
    with sql_store.transaction(write=False) as tx:
        assert tx.run_tally("deal", None, start).by_status == {"in_progress": 1}


@pytest.fixture(params=["sqlite"] + (["postgres"] if POSTGRES_URL else []))
def empty_db(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    with throwaway_database("overture_counts") as url:
        yield url


def test_the_migration_backfills_counts_and_item_versions(empty_db: str):
    url = empty_db
    engine = create_engine(database_url(url))
    day = timedelta(days=1)
    runs = [
        Run("a", "deal", 1, "completed", {}, {}, NOW - 3 * day, NOW, ended_at=NOW - 3 * day + timedelta(seconds=90, microseconds=7)),
        Run("b", "deal", 2, "completed", {}, {}, NOW - day, NOW, ended_at=NOW),
        Run("c", "deal", 2, "in_progress", {}, {}, NOW - day, NOW),
        Run("d", "deal", 1, "error", {}, {}, NOW, NOW),
        Run("e", "other", 1, "cancelled", {}, {}, NOW, NOW, ended_at=NOW),
    ]
    items = [
        WorkItem("i1", "c", "deal", "review", "legal", 1, "Review", "user", "bob", "open", NOW - day, due_at=NOW - timedelta(hours=1)),
        WorkItem("i2", "d", "deal", "review", "legal", 1, "Review", "user", "bob", "claimed", NOW, due_at=NOW - timedelta(hours=1)),
        WorkItem("i3", "a", "deal", "review", "legal", 1, "Review", "user", "bob", "completed", NOW, due_at=NOW - day),
    ]
    try:
        migrate.upgrade(engine, "0012")
        with engine.begin() as conn:
            insert_rows(conn, runs)
            insert_rows(conn, items)  # without their version: 0013 works it out
    finally:
        engine.dispose()
    store = SqlStore(url)  # upgrades to 0013 and on
    try:
        since = NOW - 2 * day
        with store.transaction(write=False) as tx:
            for version in (None, 1, 2):
                assert tx.run_tally("deal", version, since) == from_scratch(runs[:4], version, since)
            assert sorted(tx.overdue_items("deal", NOW)) == [(1, "review", "legal", 1), (2, "review", "legal", 1)]
            assert {i.id: i.version for i in tx.find(WorkItem)} == {"i1": 2, "i2": 1, "i3": 1}
        with store.engine.connect() as conn:  # the triggers came with it: a new run is counted
            assert conn.execute(text("SELECT sum(n) FROM run_counts")).scalar_one() == 5
        with store.transaction() as tx:
            tx.insert(Run("f", "deal", 1, "in_progress", {}, {}, NOW, NOW))
        with store.transaction(write=False) as tx:
            assert tx.run_tally("deal", 1, since).by_status == {"error": 1, "in_progress": 1, "completed": 1}
    finally:
        store.dispose()
