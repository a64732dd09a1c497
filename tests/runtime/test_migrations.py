"""Alembic migrations: an empty or older database is brought to the models' schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine as SAEngine

from runtime.store import migrate
from runtime.store.sql import SqlStore, database_url
from runtime.store.tables import Base
from tests.pg import POSTGRES_URL, throwaway_database


@pytest.fixture(params=["sqlite"] + (["postgres"] if POSTGRES_URL else []))
def empty_db(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    with throwaway_database("overture_migrate") as url:
        yield url


def schema_diff(engine: SAEngine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_empty_database_is_upgraded_to_the_models(empty_db: str):
    store = SqlStore(empty_db)
    try:
        assert migrate.current(store.engine) == migrate.head() is not None
        assert schema_diff(store.engine) == []
        SqlStore(empty_db).dispose()  # starting again on an up-to-date database changes nothing
        assert migrate.current(store.engine) == migrate.head()
    finally:
        store.dispose()


def test_upgrade_from_the_first_migration_keeps_data(empty_db: str):
    engine = create_engine(database_url(empty_db))
    try:
        migrate.upgrade(engine, "0001")
        assert migrate.current(engine) == "0001"
        assert not any(i["name"] == "ix_work_items_assignee" for i in inspect(engine).get_indexes("work_items"))
        now = datetime(2026, 1, 5, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO orchestrations (id, label, active_version, created_at, updated_at) VALUES ('k', 'K', 1, :t, :t)"),
                {"t": now},
            )
    finally:
        engine.dispose()

    store = SqlStore(empty_db)  # starting the store upgrades the rest of the way
    try:
        assert migrate.current(store.engine) == migrate.head()
        assert schema_diff(store.engine) == []
        assert any(i["name"] == "ix_work_items_assignee" for i in inspect(store.engine).get_indexes("work_items"))
        from runtime.model import Orchestration

        with store.transaction(write=False) as tx:
            row = tx.get(Orchestration, "k")
        assert row is not None and (row.label, row.created_at) == ("K", datetime(2026, 1, 5, tzinfo=UTC))
    finally:
        store.dispose()


def test_downgrade_to_nothing_and_back(empty_db: str):
    store = SqlStore(empty_db)
    try:
        migrate.downgrade(store.engine, "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(store.engine)
        assert schema_diff(store.engine) == []
    finally:
        store.dispose()
