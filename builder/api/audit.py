"""The audit log (README, "Audit log"): admins only; ops, members and API tokens get 403.

``GET /api/audit`` lists entries newest first with keyset paging, filtered by who
(``actor``), what (``action``, ``object_type``, ``object``) and when (``since``, ``until``);
``GET /api/audit/export.csv`` and ``/api/audit/export.jsonl`` give every entry the same
filters match, streamed a page at a time. Entries carry the names people read (the actor's
display name, the object's label when it was changed). Reading the log writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, stream_with_context
from marshmallow import fields, validate
from sqlalchemy import Select, and_, or_, select

from builder.auth import roles
from builder.names import display_names
from builder.queries import reading
from builder.requests import (
    CommaSeparated,
    StrictSchema,
    cursor_arg,
    keyset_page,
    limit_arg,
    newest_first,
    newest_first_after,
    query,
    uses,
)
from runtime.store.tables import AuditEntryRow

bp = Blueprint("audit", __name__, url_prefix="/api/audit")

#: Every action the application audits, by the object it changes (README, "Audit log").
ACTIONS = (
    "session.signed_in",
    "session.sign_in_failed",
    "session.signed_out",
    "user.created",
    "user.changed",
    "user.deactivated",
    "user.reactivated",
    "user.password_reset",
    "user.password_changed",
    "user.out_of_office_set",
    "user.out_of_office_cleared",
    "user.signed_out_everywhere",
    "group.created",
    "group.changed",
    "queue.created",
    "queue.changed",
    "token.created",
    "token.revoked",
    "secret.created",
    "secret.replaced",
    "secret.deleted",
    "record_type.created",
    "record_type.changed",
    "orchestration.created",
    "draft.saved",
    "version.activated",
    "scenario.saved",
    "scenario.deleted",
    "run.started",
    "run.cancelled",
    "run.suspended",
    "run.resumed",
    "run.retried",
    "run.variables_edited",
    "run.step_inputs_edited",
    "run.step_skipped",
    "migration.started",
    "migration.cancelled",
    "work_item.reassigned",
    "work_item.completed_on_behalf",
)
OBJECT_TYPES = tuple(sorted({a.split(".", 1)[0] for a in ACTIONS if not a.startswith("session.")} | {"version"}))
#: Entries read per query while an export streams.
EXPORT_PAGE = 500
CSV_COLUMNS = (
    "at",
    "actor",
    "actor_name",
    "actor_kind",
    "address",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "before",
    "after",
)


class AuditQuery(StrictSchema):
    actor = fields.String(validate=validate.Length(min=1, max=200))
    action = CommaSeparated(ACTIONS)
    object_type = fields.String(validate=validate.OneOf(OBJECT_TYPES))
    object = fields.String(validate=validate.Length(min=1, max=200))
    since = fields.AwareDateTime(format="iso", default_timezone=UTC)
    until = fields.AwareDateTime(format="iso", default_timezone=UTC)


def _filtered(filters: dict[str, Any]) -> Select[Any]:
    statement = select(AuditEntryRow)
    if "actor" in filters:
        statement = statement.where(AuditEntryRow.actor == filters["actor"])
    if "action" in filters:
        statement = statement.where(AuditEntryRow.action.in_(filters["action"]))
    if "object_type" in filters:
        statement = statement.where(AuditEntryRow.object_type == filters["object_type"])
    if "object" in filters:
        statement = statement.where(AuditEntryRow.object_id == filters["object"])
    if "since" in filters:
        statement = statement.where(AuditEntryRow.at >= filters["since"])
    if "until" in filters:
        statement = statement.where(AuditEntryRow.at < filters["until"])
    return statement


def _page(filters: dict[str, Any], after: tuple[datetime, str] | None, limit: int) -> list[AuditEntryRow]:
    """Up to ``limit`` entries newest first (ties by id), after the entry ``after`` names."""
    statement = _filtered(filters)
    if after is not None:
        at, ident = after
        statement = statement.where(or_(AuditEntryRow.at < at, and_(AuditEntryRow.at == at, AuditEntryRow.id > ident)))
    with reading() as s:
        return list(s.scalars(statement.order_by(AuditEntryRow.at.desc(), AuditEntryRow.id).limit(limit)))


def _views(rows: list[AuditEntryRow]) -> list[dict[str, Any]]:
    people, _ = display_names({r.actor for r in rows if r.actor_kind == "user" and r.actor}, set())

    def actor_name(row: AuditEntryRow) -> str | None:
        if row.actor_kind == "token" and row.actor:
            return f"API token {row.actor.removeprefix('token:')}"
        return people.get(row.actor, row.actor) if row.actor else None

    return [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "actor_kind": r.actor_kind,
            "actor_name": actor_name(r),
            "address": r.address,
            "action": r.action,
            "object_type": r.object_type,
            "object_id": r.object_id,
            "object_label": r.object_label or r.object_id,
            "before": r.before,
            "after": r.after,
        }
        for r in rows
    ]


@bp.get("")
@uses(query=AuditQuery, paged=True)
@roles("admin")
def list_entries() -> Any:
    """Audit entries, newest first: filters ``actor``, ``action`` (comma-separated), ``object_type``, ``object``, ``since``, ``until``."""
    filters = query(AuditQuery())
    limit = limit_arg()
    rows = _page(filters, newest_first_after(cursor_arg(int, str)), limit + 1)
    page, next_cursor = keyset_page(rows, limit, lambda r: newest_first(r.at, r.id))
    return jsonify({"items": _views(page), "next_cursor": next_cursor})


@bp.get("/actions")
@roles("admin")
def list_actions() -> Any:
    """Every action the audit log records, and the object types they change (the page's filters)."""
    return jsonify({"actions": list(ACTIONS), "object_types": list(OBJECT_TYPES)})


def _entries(filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    after: tuple[datetime, str] | None = None
    while True:
        rows = _page(filters, after, EXPORT_PAGE)
        yield from _views(rows)
        if len(rows) < EXPORT_PAGE:
            return
        after = rows[-1].at, rows[-1].id


def _export(media: str, extension: str, lines: Callable[[Iterator[dict[str, Any]]], Iterator[str]]) -> Response:
    filters = query(AuditQuery())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(lines(_entries(filters))),
        mimetype=media,
        headers={"Content-Disposition": f'attachment; filename="overture-audit-{stamp}.{extension}"'},
    )


def _exported(media: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The view answers ``media``, not JSON (``GET /api/openapi.json`` says so)."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        vars(view)["media"] = {"body": None, "response": media}
        return view

    return mark


def _cell(value: Any) -> str:
    """A CSV cell; one a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) starts with a quote."""
    text = value if isinstance(value, str) else "" if value is None else json.dumps(value, ensure_ascii=False)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(entries: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([_cell(entry[c]) for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json_lines(entries: Iterator[dict[str, Any]]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"


@bp.get("/export.csv")
@uses(query=AuditQuery)
@_exported("text/csv")
@roles("admin")
def export_csv() -> Any:
    """Every entry the filters match, newest first, as CSV (before and after as JSON; formulas defused)."""
    return _export("text/csv", "csv", _csv_lines)


@bp.get("/export.jsonl")
@uses(query=AuditQuery)
@_exported("application/x-ndjson")
@roles("admin")
def export_jsonl() -> Any:
    """Every entry the filters match, newest first, one JSON object a line."""
    return _export("application/x-ndjson", "jsonl", _json_lines)
