"""The builder's Alembic chain (builder/migrations): its own tables (builder/tables.py),
migrated after the runtime's, with its revision kept in ``builder_alembic_version``.

Whatever opens the database for the builder - the app, ``overture serve`` before it
starts its processes, ``overture worker`` (it sends the e-mail outbox) - does it
through :func:`open_store`, so both chains are at their heads before any request.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from runtime.store.migrate import Chain
from runtime.store.sql import SqlStore

#: The builder's chain; the runtime's is :data:`runtime.store.migrate.RUNTIME`.
BUILDER = Chain(Path(__file__).resolve().parent / "migrations", "builder_alembic_version")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the builder's migrations up to ``revision`` (after the runtime's: the store does those)."""
    BUILDER.upgrade(engine, revision)


def open_store(url: str | None = None) -> SqlStore:
    """The SQL store with both chains at their heads: the store upgrades the runtime's
    tables when it starts, then this the builder's."""
    store = SqlStore(url)
    try:
        upgrade(store.engine)
    except BaseException:
        store.dispose()
        raise
    return store
