"""Alembic environment: the engine comes from runtime.store.migrate, never from a file."""

from __future__ import annotations

from alembic import context

from runtime.store.tables import Base

target_metadata = Base.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=engine.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
