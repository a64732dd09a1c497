"""Fixtures for engine tests: a manual clock, a directory of people, an engine per store.

Every engine test runs against the in-memory store and SQLite, and against
PostgreSQL when ``OVERTURE_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.store.memory import InMemoryStore
from runtime.templates import RECORD_TYPES, TEMPLATES, load
from tests.pg import POSTGRES_URL, ensure_database

PEOPLE = {
    "alice": ["legal"],
    "bob": ["legal"],
    "fiona": ["finance"],
    "frank": ["finance"],
    "erin": ["executives"],
    "ed": ["executives"],
    "eve": ["executives"],
    "sam": ["sales"],
    "sue": ["support"],
    "steve": ["support"],
    "walt": ["warehouse"],
    "pat": ["project_managers"],
    "dave": ["developers"],
    "mallory": [],
}
QUEUES = {"warehouse": ["walt"], "support_escalations": ["steve"]}
STORES = ["memory", "sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite database, copied for each test (migrating each time is slow)."""
    from runtime.store.sql import SqlStore

    path = tmp_path_factory.mktemp("template") / "overture.db"
    SqlStore(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def postgres_store():
    from runtime.store.sql import SqlStore

    assert POSTGRES_URL
    ensure_database(POSTGRES_URL)
    store = SqlStore(POSTGRES_URL)
    yield store
    store.dispose()


def truncate_all(store) -> None:
    from sqlalchemy import text

    from runtime.store.tables import Base

    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))


@pytest.fixture(params=STORES)
def store(request, tmp_path) -> Iterator[object]:
    yield from _open_store(request, tmp_path)


@pytest.fixture(params=[s for s in STORES if s != "memory"])
def sql_store(request, tmp_path) -> Iterator[object]:
    """The SQL stores only: SQLite, and PostgreSQL when it is set."""
    yield from _open_store(request, tmp_path)


def _open_store(request, tmp_path) -> Iterator[object]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "sqlite":
        from runtime.store.sql import SqlStore

        path = tmp_path / "overture.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        store = SqlStore(f"sqlite:///{path}")
        yield store
        store.dispose()
    else:
        store = request.getfixturevalue("postgres_store")
        truncate_all(store)
        yield store


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def directory() -> InMemoryDirectory:
    return InMemoryDirectory(PEOPLE, queues=QUEUES)


@pytest.fixture
def engine(store, clock, directory) -> Engine:
    return Engine(store, clock, directory)


@pytest.fixture
def templated(engine: Engine) -> Engine:
    """An engine with the record types and the three shipped templates deployed."""
    for name, fields in RECORD_TYPES.items():
        engine.define_record_type(name, fields)
    for name in TEMPLATES:
        engine.deploy(load(name))
    return engine
