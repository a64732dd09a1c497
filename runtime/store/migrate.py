"""Alembic, driven from code: the store upgrades an empty or older database on start.

One database holds two chains of migrations, each with its own version table: the
runtime's (``runtime/store/migrations``, table ``alembic_version``), run by
:class:`~runtime.store.sql.SqlStore` when it starts, and the builder's
(``builder/migrations``, ``builder_alembic_version``), run by the builder after it.
:class:`Chain` drives either; the functions below drive the runtime's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

#: The PostgreSQL advisory lock that one upgrade at a time holds ("overture" in ASCII).
LOCK_KEY = 0x6F76657274757265

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
        """Apply every migration up to ``revision``; nothing to do when already there.

        Processes that start together on one database (servers and workers) upgrade one
        at a time: the first applies the migrations, the others then find them done.
        """
        if revision == "head" and self.current(engine) == self.head():
            return
        with _one_at_a_time(engine):
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

    def knows(self, revision: str) -> bool:
        """Whether ``revision`` is one of this chain's: a database at an older one is behind
        this code; at one it does not know, ahead of it (written by newer code)."""
        try:
            return ScriptDirectory(str(self.directory)).get_revision(revision) is not None
        except Exception:  # alembic's ResolutionError or CommandError: not a revision of ours
            return False


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for the upgrade, on a connection of its own (Alembic
    uses another). SQLite needs none: `overture serve` upgrades before it starts its
    processes, and SQLite is for one machine."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            conn.commit()


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
