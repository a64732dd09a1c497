"""The database's two Alembic chains: the runtime's tables (runtime/store/migrations) and
the builder's own (builder/migrations, version table ``builder_alembic_version``).

A fresh database gets exactly the tables of both; a database the runtime's chain made
before the builder had its own (when 0003, 0005, 0006 and 0008 made the builder's
tables) keeps its rows and ends at both heads; the builder's chain goes down and up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select
from sqlalchemy.engine import Engine as SAEngine

from builder import migrate
from builder.tables import ApiTokenRow, DraftRow, EmailOutboxRow, ScenarioRow, SessionRow
from builder.tables import Base as BuilderBase
from runtime.store import migrate as runtime_migrate
from runtime.store.sql import database_url
from runtime.store.tables import Base as RuntimeBase
from tests.runtime.test_migrations import empty_db  # noqa: F401 (the fixture: SQLite, and PostgreSQL when set)

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
VERSION_TABLES = {"alembic_version", "builder_alembic_version"}


def schema_diff(engine: SAEngine) -> list[Any]:
    """What autogenerate would change to reach the tables of both chains (none: they match)."""

    def not_a_version_table(name: str | None, type_: str, parent_names: Any) -> bool:
        return type_ != "table" or name not in VERSION_TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": not_a_version_table})
        # alembic takes a sequence of MetaData here, as it does for target_metadata; its annotation says one.
        return compare_metadata(context, [RuntimeBase.metadata, BuilderBase.metadata])  # type: ignore[arg-type]


def at_heads(engine: SAEngine) -> bool:
    return (runtime_migrate.current(engine), migrate.BUILDER.current(engine)) == (runtime_migrate.head(), migrate.BUILDER.head())


def test_a_fresh_database_gets_the_tables_of_both_chains(empty_db: str):
    store = migrate.open_store(empty_db)
    try:
        assert at_heads(store.engine) and migrate.BUILDER.head() is not None
        assert schema_diff(store.engine) == []
        assert set(inspect(store.engine).get_table_names()) == (
            set(RuntimeBase.metadata.tables) | set(BuilderBase.metadata.tables) | VERSION_TABLES
        )
        migrate.open_store(empty_db).dispose()  # again on an up-to-date database: nothing to do
        assert at_heads(store.engine)
    finally:
        store.dispose()


def test_the_runtime_chain_alone_makes_no_builder_table(empty_db: str):
    engine = create_engine(database_url(empty_db))
    try:
        runtime_migrate.upgrade(engine)
        assert set(inspect(engine).get_table_names()) == set(RuntimeBase.metadata.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def _old_chain_database(url: str, runtime_revision: str, builder_tables: list[type[BuilderBase]]) -> None:
    """A database as the runtime's chain left it at ``runtime_revision`` before the builder
    had a chain: the builder's tables that chain had made by then, with a row in each.
    (They never changed shape after they were made, so today's definitions are theirs.)"""
    engine = create_engine(database_url(url))
    try:
        runtime_migrate.upgrade(engine, runtime_revision)
        BuilderBase.metadata.create_all(engine, tables=[row.__table__ for row in builder_tables])
        with engine.begin() as conn:
            for row in builder_tables:
                conn.execute(insert(row), [OLD_ROWS[row]])
    finally:
        engine.dispose()


OLD_ROWS: dict[type, dict[str, Any]] = {
    ApiTokenRow: {
        "id": "t1",
        "name": "crm",
        "token_hash": "h",
        "created_by": "ada",
        "created_at": NOW,
        "revoked_at": None,
        "last_used_at": None,
    },
    DraftRow: {"id": "deal", "label": "Deal", "document": {"key": "deal"}, "updated_at": NOW, "updated_by": "ada", "revision": 3},
    ScenarioRow: {"orchestration": "deal", "name": "happy", "source": "steps: []\n", "updated_at": NOW, "updated_by": "ada"},
    EmailOutboxRow: {
        "id": "m1",
        "dedupe_key": "n:1:ada",
        "notification_id": "1",
        "work_item_id": None,
        "user_id": "ada",
        "address": "ada@example.com",
        "subject": "S",
        "body": "B",
        "kind": "assignment",
        "digest": False,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": NOW,
        "claimed_at": None,
        "sent_at": None,
        "last_error": None,
        "created_at": NOW,
    },
    SessionRow: {"id": "s1", "user_id": "ada", "created_at": NOW, "last_seen_at": NOW, "user_agent": "ua", "address": "10.0.0.1"},
}


@pytest.mark.parametrize(
    "runtime_revision, builder_tables",
    [
        ("0010", [ApiTokenRow, DraftRow, ScenarioRow, EmailOutboxRow, SessionRow]),  # the old head: all of them
        ("0004", [ApiTokenRow, DraftRow]),  # part way: the rest are made by the builder's chain
    ],
    ids=["old-head", "part-way"],
)
def test_a_database_of_the_old_chain_keeps_its_rows(empty_db: str, runtime_revision: str, builder_tables: list[type[BuilderBase]]):
    _old_chain_database(empty_db, runtime_revision, builder_tables)
    store = migrate.open_store(empty_db)
    try:
        assert at_heads(store.engine)
        assert schema_diff(store.engine) == []
        with store.engine.connect() as conn:
            for row in builder_tables:
                kept = [dict(r._mapping) for r in conn.execute(select(row.__table__))]
                assert kept == [OLD_ROWS[row]], row.__name__
    finally:
        store.dispose()


def test_the_builder_chain_goes_down_and_up_leaving_the_runtime_tables(empty_db: str):
    store = migrate.open_store(empty_db)
    try:
        migrate.BUILDER.downgrade(store.engine, "base")
        assert migrate.BUILDER.current(store.engine) is None
        assert set(inspect(store.engine).get_table_names()) == set(RuntimeBase.metadata.tables) | VERSION_TABLES
        assert runtime_migrate.current(store.engine) == runtime_migrate.head()
        migrate.upgrade(store.engine)
        assert at_heads(store.engine) and schema_diff(store.engine) == []
    finally:
        store.dispose()
