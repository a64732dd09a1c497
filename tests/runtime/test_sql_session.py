"""``SqlStore.session(tx)``: an ORM session inside the engine's transaction, so rows the
caller writes through the ORM (the builder's people) commit or roll back with the
engine's writes. On SQLite and PostgreSQL (the ``sql_store`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.model import Orchestration
from runtime.store.memory import InMemoryStore
from runtime.store.tables import OrchestrationRow, UserRow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _person(name: str) -> UserRow:
    return UserRow(id=name, role="member", password_hash=None, display_name=name.title(), active=True, created_at=NOW)


def _kept(store) -> tuple[list[str], list[str]]:
    with store.transaction(write=False) as tx:
        orchestrations = [o.id for o in tx.find(Orchestration)]
    with Session(store.engine) as s:
        people = list(s.scalars(select(UserRow.id).order_by(UserRow.id)))
    return orchestrations, people


def test_the_session_commits_with_the_transaction(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
        with sql_store.session(tx) as s:
            s.add(_person("ada"))
        # flushed on leaving: the engine's reads in the same transaction see it
        assert tx.get(Orchestration, "deal") is not None
    assert _kept(sql_store) == (["deal"], ["ada"])


def test_the_session_rolls_back_with_the_transaction(sql_store):
    with pytest.raises(RuntimeError), sql_store.transaction() as tx:
        with sql_store.session(tx) as s:
            s.add(_person("ada"))
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
        raise RuntimeError("the engine's part failed")
    assert _kept(sql_store) == ([], [])


def test_a_transaction_of_another_store_is_refused(sql_store):
    with (
        InMemoryStore().transaction() as tx,
        pytest.raises(TypeError, match="not a transaction of this SQL store"),
        sql_store.session(tx),
    ):
        pass


def test_rows_the_session_changes_are_read_again_after_it(sql_store):
    with sql_store.transaction() as tx:
        tx.insert(Orchestration("deal", "Deal", None, NOW, NOW))
    with sql_store.transaction() as tx:
        with sql_store.session(tx) as s:
            assert tx.get(Orchestration, "deal").label == "Deal"  # kept by the transaction
            s.get(OrchestrationRow, "deal").label = "Renamed by the builder"
        assert tx.get(Orchestration, "deal").label == "Renamed by the builder"  # not the kept row
