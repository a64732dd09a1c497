"""Alembic, driven from code: the store upgrades an empty or older database on start.

One database holds two chains of migrations, each with its own version table: the
runtime's (``runtime/store/migrations``, table ``alembic_version``), run by
:class:`~runtime.store.sql.SqlStore` when it starts, and the builder's
(``builder/migrations``, ``builder_alembic_version``), run by the builder after it.
:class:`Chain` drives either; the functions below drive the runtime's.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Chain:
    """One Alembic script directory and the table that records how far a database is.

    The chain's ``env.py`` reads the engine and the version table from the config's
    attributes (:meth:`config`), so both chains share this code and none reads a file.
    """

    def __init__(self, directory: Path, version_table: str = "alembic_version"):
        self.directory = directory
        self.version_table = version_table

    def config(self, engine: Engine) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.directory))
        cfg.attributes["engine"] = engine
        cfg.attributes["version_table"] = self.version_table
        return cfg

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        """Apply every migration up to ``revision``; nothing to do when already there."""
        if revision == "head" and self.current(engine) == self.head():
            return
        command.upgrade(self.config(engine), revision)

    def downgrade(self, engine: Engine, revision: str) -> None:
        command.downgrade(self.config(engine), revision)

    def current(self, engine: Engine) -> str | None:
        with engine.connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": self.version_table}).get_current_revision()

    def head(self) -> str | None:
        return ScriptDirectory(str(self.directory)).get_current_head()


#: The runtime's chain: the run state and the rows the runtime reads (runtime/store/tables.py).
RUNTIME = Chain(MIGRATIONS)


def config(engine: Engine) -> Config:
    return RUNTIME.config(engine)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every runtime migration up to ``revision``; nothing to do when already there."""
    RUNTIME.upgrade(engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    RUNTIME.downgrade(engine, revision)


def current(engine: Engine) -> str | None:
    return RUNTIME.current(engine)


def head() -> str | None:
    return RUNTIME.head()
