"""Rows written into a database migrated to an older revision, as a migration's backfill finds them."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, inspect

from runtime.store.tables import TABLES


def insert_rows(conn: Connection, rows: list[Any]) -> None:
    """Insert model rows of one type with the columns its table has at this revision
    (those that later migrations add are left out)."""
    cls = type(rows[0])
    then = {c["name"] for c in inspect(conn).get_columns(TABLES[cls].name)}
    conn.execute(TABLES[cls].insert(), [{f.name: getattr(r, f.name) for f in fields(cls) if f.name in then} for r in rows])
