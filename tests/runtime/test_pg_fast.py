"""The SQL stores' fast path: on PostgreSQL writes wait and go in one pipeline with the
next read or with COMMIT (``_SqlTransaction``), checked updates included. What it must
keep: a transaction reads its own writes, a write that fails - or a checked update that
matches nothing - fails the whole transaction, nothing is sent before it must be, a row
kept for a transaction is never served to another; and the round trips an engine
operation takes, pinned as upper bounds (counts, not wall-clock, so they do not flake)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.errors import Conflict
from runtime.model import Orchestration, Record, Run, RunEvent, Timer, WorkItem
from tests.runtime.docs import one_stage, step

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _postgres(store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite writes at once: there is no network round trip to save")


def _ids(store) -> list[str]:
    with store.transaction(write=False) as tx:
        return sorted(o.id for o in tx.find(Orchestration))


def test_writes_wait_for_the_next_read_which_sees_them(sql_store):
    _postgres(sql_store)
    with sql_store.transaction() as tx:
        tx.get(Orchestration, "none")  # the transaction has begun
        before = sql_store.round_trips
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
        tx.insert_many([Orchestration("a", "A", None, NOW, NOW), Orchestration("b", "B", None, NOW, NOW)])
        assert sql_store.round_trips == before  # nothing sent yet
        assert _ids(sql_store) == []  # another connection sees nothing before the commit
        before = sql_store.round_trips
        assert [o.id for o in tx.find(Orchestration, id="deal")] == ["deal"]  # the writes go first, in the same round trip
        assert sql_store.round_trips == before + 1
    assert _ids(sql_store) == ["a", "b", "deal"]


def test_writes_left_at_the_end_go_with_the_commit(sql_store):
    _postgres(sql_store)
    with sql_store.transaction() as tx:
        tx.get(Orchestration, "none")
        before = sql_store.round_trips
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
    assert sql_store.round_trips == before + 1
    assert _ids(sql_store) == ["deal"]


def test_a_write_that_fails_fails_the_transaction_and_writes_nothing(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
    # SQLite's fast path raises sqlite3's own error, as it did before PostgreSQL had one.
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)), sql_store.transaction() as tx:
        tx.insert(Orchestration("other", "Other", None, NOW, NOW))
        tx.insert(Orchestration("deal", "Deal again", None, NOW, NOW))  # the same id: fails when sent
    assert _ids(sql_store) == ["deal"]
    # The connection went back to the pool clean: the store goes on working.
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("later", "Later", None, NOW, NOW))
    assert _ids(sql_store) == ["deal", "later"]


def test_a_failure_in_the_transaction_drops_the_waiting_writes(sql_store):
    with pytest.raises(RuntimeError), sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
        raise RuntimeError("the engine's part failed")
    assert _ids(sql_store) == []


def test_a_read_only_transaction_takes_one_round_trip_per_read(sql_store):
    _postgres(sql_store)
    _ids(sql_store)  # the pooled connection was just used: no ping
    before = sql_store.round_trips
    with sql_store.transaction(write=False) as tx:
        tx.get(Orchestration, "deal")
        tx.find(Orchestration)
    assert sql_store.round_trips == before + 2  # no BEGIN, no COMMIT


def test_a_snapshot_read_still_begins_a_transaction(sql_store):
    _postgres(sql_store)
    with sql_store.transaction(write=False) as tx:
        tx.begin_snapshot()
        isolation = tx.conn.exec_driver_sql("SHOW transaction_isolation").scalar()
    assert isolation == "repeatable read"


def test_round_trips_per_engine_operation_stay_few(sql_store):
    """Upper bounds, a little above what they are (2 and 2: the orchestration's or the
    item's rows with its run read in one query; the writes, checked updates, events,
    COMMIT and the worker's probe in one pipeline): one more round trip per row or per
    statement would break them."""
    _postgres(sql_store)
    engine = Engine(sql_store, ManualClock(), InMemoryDirectory({"alice": ["legal"]}))
    engine.deploy(one_stage(step("a"), step("b")))
    engine.start("t")  # warm: the orchestration is cached
    before = sql_store.round_trips
    run_id = engine.start("t")
    started = sql_store.round_trips - before
    item = engine.work_items(run=run_id)[0]
    before = sql_store.round_trips
    engine.complete(item["id"], by="alice")
    completed = sql_store.round_trips - before
    assert started <= 3 and completed <= 3, (started, completed)


def _labels(store) -> dict[str, str]:
    with store.transaction(write=False) as tx:
        return {o.id: o.label for o in tx.find(Orchestration)}


def test_a_checked_update_that_matches_nothing_rolls_everything_back_and_raises_its_conflict(sql_store):
    with sql_store.transaction() as tx:
        tx.insert_many([Orchestration("deal", "Deal", None, NOW, NOW), Orchestration("other", "Other", None, NOW, NOW)])
    first, second = Conflict("the deal changed"), Conflict("the other changed")
    with pytest.raises(Conflict) as raised, sql_store.transaction() as tx:
        tx.insert(Orchestration("new", "New", None, NOW, NOW))
        tx.update_or_raise(Orchestration("deal", "Deal 2", 2, NOW, NOW), {"label": "Deal"}, first)  # matches
        tx.update_or_raise(Orchestration("other", "Other 2", 2, NOW, NOW), {"label": ("Nope", "Never")}, second)  # does not
        tx.insert(Orchestration("after", "After", None, NOW, NOW))
    assert raised.value is second  # the one that failed, not the first checked update
    assert _labels(sql_store) == {"deal": "Deal", "other": "Other"}  # nothing of it committed
    # The connection went back to the pool clean: the store goes on working.
    with sql_store.transaction() as tx:
        tx.update_or_raise(Orchestration("other", "Other 3", 3, NOW, NOW), {"label": "Other"}, second)
    assert _labels(sql_store) == {"deal": "Deal", "other": "Other 3"}


def test_a_checked_update_goes_with_the_commit_and_raises_there(sql_store):
    _postgres(sql_store)
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
    reached = False
    with pytest.raises(Conflict, match="changed"), sql_store.transaction() as tx:
        tx.get(Orchestration, "deal")
        before = sql_store.round_trips
        tx.update_or_raise(Orchestration("deal", "Deal 2", 2, NOW, NOW), {"label": "Elsewhere"}, Conflict("changed"))
        tx.insert(Orchestration("new", "New", None, NOW, NOW))
        assert sql_store.round_trips == before  # nothing sent yet: not a round trip of its own
        reached = True
    assert reached and sql_store.round_trips == before + 1  # with the insert and COMMIT, which never ran
    assert _labels(sql_store) == {"deal": "Deal"}
    with sql_store.transaction() as tx:  # matching, it commits in the same single round trip
        tx.get(Orchestration, "deal")
        before = sql_store.round_trips
        tx.update_or_raise(Orchestration("deal", "Deal 2", 2, NOW, NOW), {"label": "Deal"}, Conflict("changed"))
    assert sql_store.round_trips == before + 1
    assert _labels(sql_store) == {"deal": "Deal 2"}


def test_a_row_read_twice_in_a_transaction_is_read_once_and_handed_out_as_copies(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
    with sql_store.transaction() as tx:
        first = tx.get(Orchestration, "deal")
        before = sql_store.statements
        again = tx.get(Orchestration, "deal")
        assert sql_store.statements == before  # no query
        assert again == first and again is not first
        again.label = "changed in hand only"
        assert tx.get(Orchestration, "deal").label == "Deal"  # the kept row did not change
        again.label = "Written"
        tx.update(again)
        assert tx.get(Orchestration, "deal").label == "Written"  # what this transaction wrote
        tx.delete(Orchestration, "deal")
        assert tx.get(Orchestration, "deal") is None  # deleted: not served from what was kept
        assert sql_store.statements > before


def test_a_kept_row_is_never_served_to_another_transaction(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
        assert tx.get(Orchestration, "deal").label == "Deal"
    with sql_store.transaction() as tx:
        assert tx.get(Orchestration, "deal").label == "Deal"
        tx.update(Orchestration("deal", "Renamed", 1, NOW, NOW))
    with sql_store.transaction(write=False) as tx:
        assert tx.get(Orchestration, "deal").label == "Renamed"
    # A write the store does not see (SQLAlchemy, an ORM session) makes it forget every row.
    with sql_store.transaction() as tx:
        assert tx.get(Orchestration, "deal").label == "Renamed"
        tx.conn.exec_driver_sql("UPDATE orchestrations SET label = 'By hand'")
        assert tx.get(Orchestration, "deal").label == "By hand"


def test_a_work_item_comes_with_its_run_and_record_in_one_query(sql_store):
    engine = Engine(sql_store, ManualClock(), InMemoryDirectory({"alice": ["legal"]}))
    engine.deploy(one_stage(step("a")))
    run_id = engine.start("t")
    item_id = engine.work_items(run=run_id)[0]["id"]
    with sql_store.transaction() as tx:
        tx.insert(Record("r1", "contract", {"amount": 5}, NOW, NOW))
        run = tx.get(Run, run_id)
        assert run is not None
        run.record_id = "r1"
        tx.update(run)
    with sql_store.transaction(write=False) as tx:
        before = sql_store.statements
        item = tx.get_with_run(WorkItem, item_id)
        run = tx.get(Run, run_id)
        record = tx.get(Record, "r1")
        assert sql_store.statements == before + 1
        assert item is not None and item.id == item_id and item.status == "open"
        assert run is not None and run.id == run_id and run.record_id == "r1" and run.vars == {}
        assert record is not None and record.fields == {"amount": 5} and record.created_at == NOW
        assert tx.get_with_run(WorkItem, "missing") is None
    with sql_store.transaction() as tx:  # a run without a record: the record is not made up
        run = tx.get(Run, run_id)
        assert run is not None
        run.record_id = None
        tx.update(run)
    with sql_store.transaction(write=False) as tx:
        assert tx.get_with_run(WorkItem, item_id) is not None
        before = sql_store.statements
        assert tx.get(Run, run_id) is not None and sql_store.statements == before
        assert tx.get(Record, "missing") is None


def test_delete_all_deletes_what_find_gives_and_waits_for_the_next_statement(sql_store):
    engine = Engine(sql_store, ManualClock(), InMemoryDirectory({"alice": ["legal"]}))
    engine.deploy(one_stage(step("a")))
    run_id = engine.start("t")
    timers = [Timer(f"t{i}", run_id, "escalation", step, 1, NOW, None) for i, step in enumerate(["a", "a", "b"])]
    with sql_store.transaction() as tx:
        tx.insert_many(timers)
    with sql_store.transaction() as tx:
        tx.get(Timer, "t0")
        before = sql_store.round_trips
        tx.delete_all(Timer, run_id=run_id, step_id="a")
        tx.delete_all(Timer, run_id=run_id, step_id=())  # nothing
        assert sql_store.round_trips == before  # PostgreSQL: nothing sent yet (SQLite: no round trips)
        assert tx.get(Timer, "t0") is None  # not served from what the transaction had read
        assert [t.id for t in tx.find(Timer, run_id=run_id)] == ["t2"]


def test_several_reads_go_in_one_round_trip_and_answer_in_order(sql_store):
    with sql_store.transaction() as tx:
        tx.insert_many([Orchestration("deal", "Deal", None, NOW, NOW), Orchestration("other", "Other", 1, NOW, NOW)])
    with sql_store.transaction() as tx:
        tx.get(Orchestration, "none")
        tx.insert(Orchestration("new", "New", None, NOW, NOW))  # waiting: goes first, so the reads see it
        before = sql_store.round_trips
        deal, missing, active, none, new = tx.read_several(
            [
                (Orchestration, "deal"),
                (Orchestration, "missing"),
                (Orchestration, {"active_version": 1}),
                (Orchestration, {"id": ()}),
                (Orchestration, {"id": ["new", "deal"]}),
            ]
        )
        assert sql_store.round_trips == before + (1 if sql_store.dialect == "postgresql" else 0)
        assert deal.label == "Deal" and missing is None and none == []
        assert [o.id for o in active] == ["other"] and sorted(o.id for o in new) == ["deal", "new"]
        before = sql_store.statements
        assert tx.get(Orchestration, "deal") == deal and sql_store.statements == before  # kept, as a get's


def test_the_work_probe_goes_with_the_commit_and_answers_only_right_after(sql_store):
    _postgres(sql_store)
    with sql_store.transaction() as tx:
        tx.get(Orchestration, "none")
        tx.insert(Timer("t1", "run", "wait", "a", 1, NOW, None))
        before = sql_store.round_trips
        tx.probe_on_commit(NOW)
    assert sql_store.round_trips == before + 1  # the insert, COMMIT and the probe
    before = sql_store.round_trips
    assert sql_store.has_work(NOW) == (True, False)  # answered from the commit's round trip
    assert sql_store.round_trips == before
    assert sql_store.has_work(NOW) == (True, False) and sql_store.round_trips == before + 1  # once only
    with sql_store.transaction() as tx:
        tx.insert(Timer("t2", "run", "wait", "a", 1, NOW, None))
        tx.probe_on_commit(NOW)
    _ids(sql_store)  # another transaction between: the probe's answer may be stale
    before = sql_store.round_trips
    assert sql_store.has_work(NOW) == (True, False) and sql_store.round_trips == before + 1
    with sql_store.transaction() as tx:
        tx.insert(Timer("t3", "run", "wait", "a", 1, NOW, None))
        tx.probe_on_commit(NOW)
    before = sql_store.round_trips
    earlier = datetime(2026, 2, 1, tzinfo=UTC)  # asked about an earlier time than probed: not from it
    assert sql_store.has_work(earlier) == (False, False) and sql_store.round_trips == before + 1


def test_a_record_created_and_updated_reads_what_it_needs_at_once(sql_store):
    _postgres(sql_store)
    engine = Engine(sql_store, ManualClock(), InMemoryDirectory({"alice": ["legal"]}))
    engine.define_record_type("deal", [{"name": "amount", "type": "number"}])
    engine.create_record("deal", {"amount": 1}, owner="sam")  # warm
    before = sql_store.round_trips
    record = engine.create_record("deal", {"amount": 2}, owner="sam", idempotency_key="k")
    created = sql_store.round_trips - before
    before = sql_store.round_trips
    engine.update_record("deal", record["id"], {"amount": 3}, by="sam")
    updated = sql_store.round_trips - before
    assert engine.create_record("deal", {"amount": 2}, owner="sam", idempotency_key="k")["id"] == record["id"]
    # The record type, the orchestrations (and the record, its runs) in one; the writes and COMMIT in one.
    assert created <= 2 and updated <= 2, (created, updated)


def test_rows_of_a_table_go_in_one_statement_with_their_values_and_order(sql_store):
    """PostgreSQL sends the rows of a table waiting together as one INSERT ... unnest(...):
    every type comes back as written (NULLs, a column of NULLs only, JSON), and the event
    ids the database assigns follow the order the events were appended in."""
    data = [{"n": i, "list": [1, "two", None], "text": 'quote \' and \\ and "{,}"'} for i in range(30)]
    with sql_store.transaction() as tx:
        tx.insert_many([Orchestration(f"o{i}", f"O {i}", i if i % 2 else None, NOW, NOW) for i in range(30)])
        tx.insert_many([Orchestration(f"n{i}", f"N {i}", None, NOW, NOW) for i in range(3)])  # active_version: NULL only
        for i, each in enumerate(data):
            tx.append_event(RunEvent(0, "run", f"e{i}", NOW, None if i % 3 else "node", i if i % 2 else None, None, each))
    with sql_store.transaction(write=False) as tx:
        found = {o.id: o for o in tx.find(Orchestration)}
        events = tx.events("run")
    assert len(found) == 33 and found["o3"].active_version == 3 and found["o4"].active_version is None
    assert found["n1"] == Orchestration("n1", "N 1", None, NOW, NOW)
    assert [e.type for e in events] == [f"e{i}" for i in range(30)]  # ids in the order appended
    assert [e.data for e in events] == data
    assert events[3].node == "node" and events[4].node is None and events[5].visit == 5 and events[6].visit is None
    assert all(e.at == NOW for e in events)


def test_a_batch_with_a_row_that_fails_fails_the_transaction(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("o2", "Deal", None, NOW, NOW))
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)), sql_store.transaction() as tx:
        tx.insert_many([Orchestration(f"o{i}", f"O {i}", None, NOW, NOW) for i in range(5)])  # o2 is there
    assert _ids(sql_store) == ["o2"]


def test_a_failure_behind_a_checked_update_that_does_not_match_is_that_conflict(sql_store):
    """Code after a checked update runs before it is checked (PostgreSQL): what it read
    after may not fit together, and it may fail on that. Then the conflict is the cause."""
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
    with pytest.raises(Conflict, match="changed") as raised, sql_store.transaction() as tx:
        tx.update_or_raise(Orchestration("deal", "Deal 2", 2, NOW, NOW), {"label": "Elsewhere"}, Conflict("changed"))
        raise RuntimeError("a symptom of the stale read")
    if sql_store.dialect == "postgresql":
        assert isinstance(raised.value.__cause__, RuntimeError)
    with pytest.raises(RuntimeError), sql_store.transaction() as tx:  # matching: the failure is the failure
        tx.update_or_raise(Orchestration("deal", "Deal 2", 2, NOW, NOW), {"label": "Deal"}, Conflict("changed"))
        raise RuntimeError("a real failure")
    assert _labels(sql_store) == {"deal": "Deal"}


def test_the_engine_sends_its_probe_for_work_with_the_commit(sql_store, monkeypatch):
    _postgres(sql_store)
    engine = Engine(sql_store, ManualClock(), InMemoryDirectory({"alice": ["legal"]}))
    engine.deploy(one_stage(step("a")))
    probed = []
    has_work = sql_store.has_work

    def spy(now):
        probed.append(sql_store._thread.probed is not None)  # what the commit's round trip found
        return has_work(now)

    monkeypatch.setattr(sql_store, "has_work", spy)
    run_id = engine.start("t")
    engine.complete(engine.work_items(run=run_id)[0]["id"], by="alice")
    assert probed and all(probed)
