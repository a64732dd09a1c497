"""The run-state rows are declared twice: dataclasses in ``runtime/model.py`` (what the
engine and the in-memory store use) and ORM tables in ``runtime/store/tables.py`` (what
the SQL store and the migrations use). The SQL store converts between them by field
name, so the two must never drift: these tests fail when a field is added, renamed or
loosened on one side only.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from datetime import datetime

import pytest
from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, String, Text

from runtime import model
from runtime.store.tables import TABLES, Base, UTCDateTime

# Runtime tables that are no run state: people, groups, memberships and out of office (the
# directory reads them), and the secrets vault, read through their own ORM sessions, never
# through the model's rows; and run_counts, the runs counted per day and status that the
# database's triggers keep (the metrics read it grouped), and open_holders, who holds open work
# on which run per key that reaches it, kept by triggers too (the runs list's pick list); and
# processes, the heartbeats of serving processes and workers (runtime/heartbeat.py).
# The builder's own tables are in builder/tables.py, another metadata.
NOT_RUN_STATE = {"users", "groups", "memberships", "secrets", "out_of_office", "run_counts", "open_holders", "processes"}


def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls, vars(model))


def _optional(hint: object) -> tuple[bool, object]:
    """(whether ``None`` is allowed, the type without ``None``)."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        return type(None) in args, rest[0] if len(rest) == 1 else hint
    return False, hint


def _python_type(hint: object) -> object:
    origin = typing.get_origin(hint)
    return origin if origin is not None else hint


# Which column types can hold a field of each Python type (the SQL store writes the
# dataclass value as it is, and reads the column back into the field).
COMPATIBLE: dict[object, tuple[type, ...]] = {
    str: (String, Text),
    int: (Integer, BigInteger),
    float: (Float,),
    bool: (Boolean,),
    datetime: (UTCDateTime,),
    dict: (JSON,),
    list: (JSON,),
}


def test_every_row_type_has_a_table_and_every_run_state_table_a_row_type():
    assert set(TABLES) == set(model.ROW_TYPES)
    mapped = {table.name for table in TABLES.values()}
    others = {table.name for table in Base.metadata.sorted_tables} - mapped
    assert others == NOT_RUN_STATE, "a new table: add its row type to runtime/model.py, or list it here as builder-only"


@pytest.mark.parametrize("cls", model.ROW_TYPES, ids=lambda c: c.__name__)
def test_row_type_and_table_have_the_same_columns(cls):
    table = TABLES[cls]
    assert [f.name for f in fields(cls)] == [c.name for c in table.columns]
    assert [c.name for c in table.primary_key.columns] == ["id"]
    assert set(cls.INDEXED) <= {f.name for f in fields(cls)}


@pytest.mark.parametrize("cls", model.ROW_TYPES, ids=lambda c: c.__name__)
def test_row_type_and_table_agree_on_nullability_and_types(cls):
    table = TABLES[cls]
    hints = _hints(cls)
    for f in fields(cls):
        column = table.columns[f.name]
        optional, inner = _optional(hints[f.name])
        if not optional and inner is not typing.Any and f.default is not None and column.nullable and not column.primary_key:
            pytest.fail(f"{cls.__name__}.{f.name} is never None but {table.name}.{f.name} may be NULL")
        if optional and not column.nullable:
            pytest.fail(f"{cls.__name__}.{f.name} may be None but {table.name}.{f.name} is NOT NULL")
        wanted = COMPATIBLE.get(_python_type(inner))
        if wanted is None:  # e.g. Any: nothing cheap to compare
            continue
        assert isinstance(column.type, wanted), f"{cls.__name__}.{f.name}: {inner} in a {column.type!r} column"
