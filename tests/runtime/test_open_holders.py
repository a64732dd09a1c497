"""``open_holders`` (migration 0016): who holds open work on each live run, once per key that
reaches the run, kept by the database's triggers. Compared with the rows worked out from
scratch in Python over every run, work item and record, after every kind of change a run,
its items and its record go through (claims, releases, reassignment, completion, a record
changing owner, suspension, cancellation, a purge), after a rolled-back transaction, after
concurrent writers, and after the migration's backfill; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from runtime.engine import Engine
from runtime.model import Record, Run, WorkItem
from runtime.retention import purge
from runtime.store import migrate
from runtime.store.sql import SqlStore, database_url
from runtime.store.tables import OpenHolderRow, RecordRow, RunRow, WorkItemRow
from tests.pg import POSTGRES_URL, throwaway_database
from tests.runtime.docs import one_stage, step
from tests.runtime.old_schema import insert_rows
from tests.runtime.test_store_aggregates import NOW

Row = tuple[str, str, str, str, str]  # viewer value, viewer type, holder type, holder value, run


def from_scratch(runs: list, items: list, records: list) -> set[Row]:
    """The rows open_holders must hold, worked out in Python (the rule of builder/queries.py's
    visibility and of the runs' balls)."""
    owner = {r.id: r.owner for r in records}
    rows: set[Row] = set()
    for run in runs:
        if run.status not in ("in_progress", "suspended", "error"):
            continue
        mine = [i for i in items if i.run_id == run.id]
        held = {(i.assignee_type, i.assignee_value) for i in mine if i.status in ("open", "claimed")}
        held |= {("user", i.claimed_by) for i in mine if i.status in ("open", "claimed") and i.claimed_by}
        viewers = {(i.assignee_type, i.assignee_value) for i in mine}
        viewers |= {("user", who) for i in mine for who in (i.claimed_by, i.completed_by) if who}
        viewers |= {("user", who) for who in (run.started_by, owner.get(run.record_id)) if who}
        rows |= {(v_value, v_type, h_type, h_value, run.id) for v_type, v_value in viewers for h_type, h_value in held}
    return rows


def kept(store) -> set[Row]:
    with store.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(*OpenHolderRow.__table__.c))}


def expected(store) -> set[Row]:
    with store.engine.connect() as conn:
        runs, items, records = (list(conn.execute(select(t))) for t in (RunRow, WorkItemRow, RecordRow))
    return from_scratch(runs, items, records)


def check(store) -> set[Row]:
    rows = kept(store)
    assert rows == expected(store)
    # Every holder holds under its own key (what staff's pick list reads, ix_open_holders_self).
    assert {(h_type, h_value) for _v, _t, h_type, h_value, _run in rows} == {
        (t, v) for v, t, h_type, h_value, _run in rows if (t, v) == (h_type, h_value)
    }
    return rows


@pytest.fixture
def sql_engine(sql_store, clock, directory) -> Engine:
    return Engine(sql_store, clock, directory)


def two_steps(key: str = "t") -> dict:
    """One stage with two steps at once: legal's review and bob's sign-off."""
    return one_stage(step("review"), step("sign", assignee={"type": "user", "value": "bob"}), key=key)


def items_of(engine: Engine, run_id: str, step_id: str) -> dict:
    (item,) = [i for i in engine.work_items(run=run_id) if i["step_id"] == step_id]
    return item


def test_the_rows_follow_a_run_s_life_its_items_and_its_record(sql_engine: Engine, clock):
    engine, store = sql_engine, sql_engine.store
    engine.define_record_type("account", [{"name": "name", "type": "string"}])
    engine.deploy(two_steps())
    record = engine.create_record("account", {"name": "Acme"}, owner="olive")
    bound = engine.start("t", {}, record={"object": "account", "id": record["id"]}, started_by="sam")
    other = engine.start("t", {}, started_by="sam")
    rows = check(store)
    assert ("olive", "user", "group", "legal", bound) in rows  # the record's owner reaches the run
    assert ("bob", "user", "group", "legal", other) in rows  # bob's item on the run reaches legal's
    assert ("legal", "group", "user", "bob", other) in rows

    review = items_of(engine, bound, "review")
    engine.claim(review["id"], by="alice")
    assert ("sam", "user", "user", "alice", bound) in check(store)  # a claimer holds the item too
    engine.release(review["id"], by="alice")
    rows = check(store)
    assert ("sam", "user", "user", "alice", bound) not in rows and not any(r[0] == "alice" for r in rows)  # released: no trace
    engine.reassign(items_of(engine, bound, "sign")["id"], {"type": "group", "value": "finance"}, by="ops")
    check(store)
    engine.complete(review["id"], by="alice", outcome="done")
    rows = check(store)
    assert ("alice", "user", "group", "finance", bound) in rows and ("legal", "group", "group", "legal", bound) not in rows
    engine.update_record("account", record["id"], {"name": "Acme Ltd"}, owner="oscar")
    rows = check(store)
    assert ("oscar", "user", "group", "finance", bound) in rows and not any(r[0] == "olive" for r in rows)

    engine.suspend(other)
    assert any(r[4] == other for r in check(store))  # a suspended run is live
    engine.resume(other)
    engine.cancel(other, by="ops")
    assert not any(r[4] == other for r in check(store))
    engine.complete(items_of(engine, bound, "sign")["id"], by="fiona", outcome="done")
    assert engine.get_run(bound)["status"] == "completed"
    assert check(store) == set()

    clock.advance(timedelta(days=400))
    again = engine.start("t", {}, started_by="sam")
    assert purge(store, older_than=timedelta(days=180), now=clock.now()).runs == 2
    assert {r[4] for r in check(store)} == {again}


def test_a_rolled_back_transaction_leaves_no_rows(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Run("a", "t", 1, "in_progress", {}, {}, NOW, NOW))
    with pytest.raises(RuntimeError), sql_store.transaction() as tx:
        tx.insert(WorkItem("i", "a", "t", "review", "s1", 1, "Review", "group", "legal", "open", NOW))
        tx.get(WorkItem, "i")  # sent
        raise RuntimeError("rolled back")
    assert kept(sql_store) == set()
    with sql_store.transaction() as tx:
        tx.insert(WorkItem("i", "a", "t", "review", "s1", 1, "Review", "group", "legal", "open", NOW))
    assert kept(sql_store) == {("legal", "group", "group", "legal", "a")}


def test_concurrent_writers_on_the_same_runs_leave_the_rows_a_count_from_scratch_gives(sql_engine: Engine, sql_store):
    """Threads claim, release and complete the two items of the same runs at once."""
    engine = sql_engine
    engine.deploy(two_steps())
    started = [engine.start("t", {}, started_by="sam") for _ in range(6)]
    errors: list[BaseException] = []

    def work(step_id: str, who: str) -> None:
        try:
            for run_id in started:
                item = items_of(engine, run_id, step_id)
                if step_id == "review":
                    engine.claim(item["id"], by=who)
                engine.complete(item["id"], by=who, outcome="done")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=args) for args in (("review", "alice"), ("sign", "bob"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert all("changed meanwhile" in str(e) or "conflict" in str(e).lower() for e in errors), errors
    check(sql_store)


@pytest.fixture(params=["sqlite"] + (["postgres"] if POSTGRES_URL else []))
def empty_db(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    with throwaway_database("overture_holders") as url:
        yield url


def test_the_migration_backfills_the_rows(empty_db: str):
    runs = [
        Run("live", "t", 1, "in_progress", {}, {}, NOW, NOW, started_by="sam", record_object="account", record_id="r1"),
        Run("stuck", "t", 1, "error", {}, {}, NOW, NOW),
        Run("done", "t", 1, "completed", {}, {}, NOW, NOW, started_by="sam", ended_at=NOW),
    ]
    item = ("t", "review", "s1", 1, "Review")
    items = [
        WorkItem("i1", "live", *item, "group", "legal", "claimed", NOW, claimed_by="alice"),
        WorkItem("i2", "live", *item, "user", "bob", "completed", NOW, completed_by="bob"),
        WorkItem("i3", "stuck", *item, "queue", "warehouse", "open", NOW),
        WorkItem("i4", "done", *item, "group", "legal", "completed", NOW, completed_by="alice"),
    ]
    records = [Record("r1", "account", {}, NOW, NOW, owner="olive")]
    engine = create_engine(database_url(empty_db))
    try:
        migrate.upgrade(engine, "0015")
        with engine.begin() as conn:
            for rows in (runs, items, records):
                insert_rows(conn, rows)
    finally:
        engine.dispose()
    store = SqlStore(empty_db)  # upgrades to 0016 and on
    try:
        assert check(store) == {
            (viewer, kind, *holder, "live")
            for viewer, kind in (("sam", "user"), ("olive", "user"), ("legal", "group"), ("alice", "user"), ("bob", "user"))
            for holder in (("group", "legal"), ("user", "alice"))
        } | {("warehouse", "queue", "queue", "warehouse", "stuck")}
        with store.engine.begin() as conn:  # the triggers came with it
            conn.execute(text("UPDATE work_items SET status = 'completed', completed_by = 'walt' WHERE id = 'i3'"))
        assert {r for r in check(store) if r[4] == "stuck"} == set()
    finally:
        store.dispose()
