"""Small pure helpers of the engine: JSON and row copies, ISO times, new ids."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from runtime.expressions import Expression
from runtime.model import Record
from runtime.spec import Step


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def new_id() -> str:
    return uuid.uuid4().hex


def json_copy(value: Any) -> Any:
    """A copy of a JSON value for a caller: views never share what the store keeps."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def copy_row(row: Any) -> Any:
    # Shallow copies suffice: the engine replaces JSON values, it never edits them in place.
    new = object.__new__(type(row))
    new.__dict__.update(row.__dict__)
    return new


def copy_state(rows: dict[str, Any]) -> dict[str, Any]:
    return {key: copy_row(row) for key, row in rows.items()}


def record_scope(record: Record | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {**record.fields, "id": record.id, "object": record.object, "owner": record.owner}


def plain(value: Any) -> Any:
    """CEL results as JSON values (timestamps become ISO strings)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def seconds(since: datetime | None, now: datetime) -> float | None:
    """Time spent in a stage or step, for live insights (None if it never started)."""
    return (now - since).total_seconds() if since is not None else None


def has_timers(step: Step) -> bool:
    """Whether starting this step can have created timers (escalations, timer waits)."""
    return (step.due is not None and step.escalation is not None) or step.timer_duration is not None or step.timer_at is not None


def on_behalf(person: str | None) -> str:
    """The ``" (for ada)"`` that says work is done on someone's behalf."""
    return f" (for {person})" if person else ""


def expression_shown(expr: Expression | None) -> Any:
    """An input that no override replaces, as the log shows it: its expression's text."""
    return {"expression": expr.source} if expr is not None else None


def over_max_items(var: Any, value: Any) -> tuple[str, str] | None:
    """A list or map with more items than its declaration's ``max_items``, as (path, message)."""
    if var.max_items is not None and isinstance(value, (list, dict)) and len(value) > var.max_items:
        return "", f"has {len(value):,} items; at most {var.max_items:,} are allowed (its max_items)"
    return None
