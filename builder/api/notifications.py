"""The caller's notifications (assignments, escalations, reassignments), newest first,
each with the record its run concerns (the bell links to the record page) and named for
people: ``title`` is the orchestration's label and the record's name ("Refund for Rita Ruiz"),
``orchestration_label`` and ``record_name`` its parts (docs/ARCHITECTURE.md, "Names, not ids").
Each says whether it is read: "Mark all read" stores the moment on the person, so it holds
in every browser."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify

from builder.auth import caller, roles
from builder.extensions import db, engine
from builder.names import named_runs
from builder.queries import may_see_record, notification_page, reading
from builder.requests import cursor_arg, keyset_page, limit_arg, newest_first, newest_first_after, uses
from runtime.store.tables import UserRow

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")


@bp.get("")
@uses(paged=True)
@roles("admin", "ops", "member")
def list_notifications() -> Any:
    limit = limit_arg()
    keys = notification_page(caller().name, newest_first_after(cursor_arg(int, str)), limit + 1)
    chosen, next_cursor = keyset_page(keys, limit, lambda k: newest_first(k[1], k[0]))
    found = {n["id"]: n for n in engine().notifications(id=[note_id for note_id, _at in chosen])} if chosen else {}
    page: dict[str, Any] = {"items": [found[i] for i, _at in chosen if i in found], "next_cursor": next_cursor}
    _add_records(page["items"])
    with reading() as s:
        user = s.get(UserRow, caller().name)
        read_at = user.notifications_read_at if user is not None else None
    for note in page["items"]:
        note["read"] = read_at is not None and datetime.fromisoformat(note["created_at"]) <= read_at
    page["read_at"] = read_at.isoformat() if read_at is not None else None
    return jsonify(page)


@bp.post("/read")
@uses()
@roles("admin", "ops", "member")
def mark_all_read() -> Any:
    """Marks every notification the caller has now as read."""
    now = engine().clock.now()
    with db().begin() as s:
        user = s.get(UserRow, caller().name)
        if user is None:  # deleted since the request was let in: nothing to mark
            return jsonify({"read_at": None})
        user.notifications_read_at = now
    return jsonify({"read_at": now.isoformat()})


def _add_records(notes: list[dict[str, Any]]) -> None:
    """Sets each notification's ``record`` to its run's (``{"object", "id"}``), or None, and its names.

    None too, and no record name, when the caller may not see that record.
    """
    run_ids = tuple({n["run_id"] for n in notes if n["run_id"]})
    of_run = {r["id"]: r for r in named_runs(engine().runs(id=run_ids))} if run_ids else {}
    visible: dict[tuple[str, str], bool] = {}
    for note in notes:
        run = of_run.get(note["run_id"])
        record = run["record"] if run else None
        if record is not None:
            key = (record["object"], record["id"])
            if key not in visible:
                visible[key] = may_see_record(caller(), *key)
            record = record if visible[key] else None
        note["record"] = record
        note["orchestration_label"] = run["label"] if run else None
        note["record_name"] = run["record_name"] if record and run else None
        note["title"] = (f"{run['label']} for {note['record_name']}" if record else run["label"]) if run else note["subject"]
