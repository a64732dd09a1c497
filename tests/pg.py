"""PostgreSQL databases for tests: the shared one, and throwaway ones per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

#: The server the PostgreSQL-backed tests use (make test sets it); None skips them.
POSTGRES_URL = os.environ.get("OVERTURE_TEST_DATABASE_URL")


def _admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    from runtime.store.sql import database_url

    return make_url(database_url(url)).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """Create the database ``url`` names if the server does not have it yet."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards; yields its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    from runtime.store.sql import database_url

    assert POSTGRES_URL, "OVERTURE_TEST_DATABASE_URL is not set"
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_url(POSTGRES_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url(POSTGRES_URL)).set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
