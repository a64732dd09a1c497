"""Per node and per edge figures of an orchestration, for the monitor's overlay (ops, admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder.auth import roles
from builder.live.snapshots import snapshot
from builder.requests import StrictSchema, query, uses
from runtime.insights import WINDOWS

bp = Blueprint("insights", __name__, url_prefix="/api/orchestrations")


class InsightsArgs(StrictSchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))
    window = fields.String(load_default="all", validate=validate.OneOf(tuple(WINDOWS)))


@bp.get("/<key>/insights")
@uses(query=InsightsArgs)
@roles("admin", "ops")
def get_insights(key: str) -> Any:
    """``?version=n`` (all versions added up when absent), ``?window=hour|day|week|all``."""
    args = query(InsightsArgs())
    return jsonify(snapshot(key, args["version"], args["window"]))
