"""The caller's notifications (assignments, escalations, reassignments), newest first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from builder.api.common import paginate, uses
from builder.api.params import caller, newest_first
from builder.auth import roles
from builder.extensions import engine

bp = Blueprint("notifications", __name__, url_prefix="/api/notifications")


@bp.get("")
@uses(paged=True)
@roles("admin", "ops", "member")
def list_notifications() -> Any:
    notes = sorted(engine().notifications(to=caller().name), key=lambda n: newest_first(n["created_at"], n["id"]))
    return jsonify(paginate(notes, lambda n: newest_first(n["created_at"], n["id"])))
