"""Alembic environment: the engine comes from runtime.store.migrate, never from a file."""

from __future__ import annotations

from typing import Any

from alembic import context

from runtime.store.tables import Base

target_metadata = Base.metadata
engine = context.config.attributes["engine"]


def own_tables(name: str | None, type_: str, parent_names: Any) -> bool:
    """Autogenerate compares this chain's tables only: the builder's chain
    (builder/migrations) keeps the others in the same database."""
    return type_ != "table" or name in target_metadata.tables


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes.get("version_table", "alembic_version"),
        include_name=own_tables,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
