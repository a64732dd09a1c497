"""Orchestration metrics for ops: run times, completion, failures, starts per day and
time spent per stage.

Run figures come from the runs table (one row per run, with its status and times);
time per stage from the insight projector's all-time rows (``runtime/insights.py``),
so nothing here reads the event history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder import live
from builder.api.common import StrictSchema, uses
from builder.api.params import MAX_INT32, query
from builder.auth import roles
from builder.extensions import state
from runtime.errors import NotFound
from runtime.insights import quantile
from runtime.model import InsightFigure, Run, Version

bp = Blueprint("metrics", __name__, url_prefix="/api/orchestrations")

ENDED = ("completed", "cancelled", "error")


class MetricsQuery(StrictSchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_INT32))
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


def _stages(key: str, versions: list[int]) -> dict[str, str]:
    """Stage id -> label, over the versions asked for (newest label wins)."""
    labels: dict[str, str] = {}
    for number in sorted(versions):
        for node in state().engine.spec(key, number).document["nodes"]:
            if node["type"] == "stage":
                labels[node["id"]] = node.get("label") or node["id"]
    return labels


def metrics(key: str, version: int | None, days: int) -> dict[str, Any]:
    hub = live.hub()
    with hub.project_lock:  # count what was committed up to now, as the insights call does
        hub.projector.catch_up(max_passes=10)
    now = state().engine.clock.now()
    with state().store.transaction(write=False) as tx:
        numbers = [v.number for v in tx.find(Version, orchestration=key)]
        if not numbers or (version is not None and version not in numbers):
            raise NotFound(f"orchestration {key}" + (f" has no version {version}" if version else " does not exist"))
        runs = tx.find(Run, orchestration=key, version=version) if version else tx.find(Run, orchestration=key)
        rows = tx.find(InsightFigure, orchestration=key, hour=0, kind="node")
    stages = _stages(key, [version] if version else numbers)

    by_status = {s: 0 for s in ("in_progress", "suspended", *ENDED)}
    durations: list[float] = []
    first_day = (now - timedelta(days=days - 1)).date()
    per_day = {(first_day + timedelta(days=i)).isoformat(): 0 for i in range(days)}
    for run in runs:
        by_status[run.status] = by_status.get(run.status, 0) + 1
        if run.status == "completed" and run.ended_at is not None:
            durations.append((run.ended_at - run.started_at).total_seconds())
        day = run.started_at.date().isoformat()
        if day in per_day:
            per_day[day] += 1
    ended = sum(by_status[s] for s in ENDED)

    spent: dict[str, dict[str, Any]] = {s: {"count": 0, "sum": 0.0, "hist": {}, "min": None, "max": None} for s in stages}
    for row in rows:
        if row.element not in spent or (version is not None and row.version != version):
            continue
        f = spent[row.element]
        f["count"] += row.duration_count
        f["sum"] += row.duration_sum
        for b, n in row.durations.items():
            f["hist"][b] = f["hist"].get(b, 0) + n
        if row.duration_min is not None:
            f["min"] = row.duration_min if f["min"] is None else min(f["min"], row.duration_min)
        if row.duration_max is not None:
            f["max"] = row.duration_max if f["max"] is None else max(f["max"], row.duration_max)

    return {
        "orchestration": key,
        "version": version,
        "at": now.isoformat(),
        "runs": len(runs),
        "by_status": by_status,
        "average_run_seconds": round(sum(durations) / len(durations), 3) if durations else None,
        "completion_rate": round(by_status["completed"] / ended, 4) if ended else None,
        "failed_runs": by_status["error"],
        "started_per_day": [{"day": d, "runs": n} for d, n in per_day.items()],
        "stages": [
            {
                "id": stage,
                "label": label,
                "completed": spent[stage]["count"],
                "average_seconds": round(spent[stage]["sum"] / spent[stage]["count"], 3) if spent[stage]["count"] else None,
                "total_seconds": round(spent[stage]["sum"], 3),
                "p50": quantile(spent[stage]["hist"], 0.5, spent[stage]["min"], spent[stage]["max"]),
                "p95": quantile(spent[stage]["hist"], 0.95, spent[stage]["min"], spent[stage]["max"]),
            }
            for stage, label in stages.items()
        ],
    }


@bp.get("/<key>/metrics")
@uses(query=MetricsQuery)
@roles("admin", "ops")
def get_metrics(key: str) -> Any:
    """``?version=n`` (every version when absent), ``?days=d`` of runs started per day (30)."""
    args = query(MetricsQuery())
    return jsonify(metrics(key, args["version"], args["days"]))
