"""Orchestration metrics for ops (``builder/metrics.py`` reads them): run times,
completion, failures, starts per day and time spent per stage."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder.auth import roles
from builder.metrics import metrics
from builder.requests import MAX_INT32, StrictSchema, query, uses

bp = Blueprint("metrics", __name__, url_prefix="/api/orchestrations")


class MetricsQuery(StrictSchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_INT32))
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


@bp.get("/<key>/metrics")
@uses(query=MetricsQuery)
@roles("admin", "ops")
def get_metrics(key: str) -> Any:
    """``?version=n`` (every version when absent), ``?days=d`` of runs started per day (30)."""
    args = query(MetricsQuery())
    return jsonify(metrics(key, args["version"], args["days"]))
