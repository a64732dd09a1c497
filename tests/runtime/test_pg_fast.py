"""The SQL stores' fast path: on PostgreSQL writes wait and go in one pipeline with the
next read or with COMMIT (``_SqlTransaction``). What it must keep: a transaction reads
its own writes, a write that fails fails the whole transaction, nothing is sent before it
must be; and the round trips an engine operation takes, pinned as upper bounds (counts,
not wall-clock, so they do not flake)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.model import Orchestration
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
        assert tx.get(Orchestration, "deal") is not None  # the writes go first, in the same round trip
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
    """Upper bounds, a little above what they are (4 and 6): one more round trip per row
    or per statement would break them."""
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
    assert started <= 5 and completed <= 7, (started, completed)
