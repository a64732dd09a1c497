"""Events from external systems, delivered to the runs whose wait steps match them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder.auth import roles, tokens_allowed
from builder.extensions import engine
from builder.requests import StrictSchema, body, uses

bp = Blueprint("events", __name__, url_prefix="/api/events")


class EventIn(StrictSchema):
    name = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", error="must be an identifier, as in the wait step")
    )
    correlation = fields.Raw(load_default=None, allow_none=True)
    payload = fields.Dict(keys=fields.String(), load_default=dict)


@bp.post("")
@uses(EventIn)
@tokens_allowed
@roles("admin", "ops")
def publish() -> Any:
    """``{"name", "correlation", "payload"}`` -> ``{"delivered_to": [run ids]}`` (buffered if the orchestration says so)."""
    data = body(EventIn())
    delivered = engine().publish_event(data["name"], data["correlation"], data["payload"])
    return jsonify({"delivered_to": delivered})
