"""Alembic environment of the builder's tables (builder/tables.py): the engine comes
from builder.migrate, never from a file, and the chain records its revision in its own
version table, beside the runtime's in the same database."""

from __future__ import annotations

from typing import Any

from alembic import context

from builder.tables import Base

target_metadata = Base.metadata
engine = context.config.attributes["engine"]


def own_tables(name: str | None, type_: str, parent_names: Any) -> bool:
    """Autogenerate compares this chain's tables only: the runtime's chain keeps the others."""
    return type_ != "table" or name in target_metadata.tables


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes["version_table"],
        include_name=own_tables,
        render_as_batch=engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
