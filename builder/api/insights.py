"""Per node and per edge figures of an orchestration, for the monitor's overlay (ops, admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder import live
from builder.api.common import StrictSchema
from builder.auth import roles
from runtime.insights import WINDOWS

bp = Blueprint("insights", __name__, url_prefix="/api/orchestrations")


class InsightsArgs(StrictSchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))
    window = fields.String(load_default="all", validate=validate.OneOf(tuple(WINDOWS)))


@bp.get("/<key>/insights")
@roles("admin", "ops")
def get_insights(key: str) -> Any:
    """``?version=n`` (all versions added up when absent), ``?window=hour|day|week|all``."""
    args = live.query(InsightsArgs())
    return jsonify(live.snapshot(key, args["version"], args["window"]))
