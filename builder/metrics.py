"""Orchestration metrics for ops: run times, completion, failures, starts per day and
time spent per stage (``GET /api/orchestrations/<key>/metrics``).

Run figures are counted by the store (:meth:`runtime.store.base.Transaction.run_tally`:
in SQL the per-day ``run_counts`` rows kept by the database, so a year costs the same at a
million runs, and purged runs stay counted) rather than from every run row; time per stage from the
insight projector's all-time rows (``runtime/insights.py``, whose
:func:`~runtime.insights.figures` merges their histograms into p50 and p95, as it does
for the monitor), so nothing here reads the event history.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from builder.extensions import state
from builder.live.hub import hub
from runtime import insights
from runtime.errors import NotFound
from runtime.model import InsightFigure, Version

ENDED = ("completed", "cancelled", "error")


def _stages(key: str, versions: list[int]) -> dict[str, str]:
    """Stage id -> label, over the versions asked for (newest label wins)."""
    labels: dict[str, str] = {}
    for number in sorted(versions):
        for node in state().engine.spec(key, number).document["nodes"]:
            if node["type"] == "stage":
                labels[node["id"]] = node.get("label") or node["id"]
    return labels


def metrics(key: str, version: int | None, days: int) -> dict[str, Any]:
    """The figures of ``key`` (one version, or every version when None), with runs
    started per day over the last ``days`` days."""
    hub().project()  # count what was committed up to now, as the insights call does
    now = state().engine.clock.now()
    first_day = (now - timedelta(days=days - 1)).date()
    with state().store.transaction(write=False) as tx:
        numbers = [v.number for v in tx.find(Version, orchestration=key)]
        if not numbers or (version is not None and version not in numbers):
            raise NotFound(f"orchestration {key}" + (f" has no version {version}" if version else " does not exist"))
        tally = tx.run_tally(key, version, datetime.combine(first_day, time(), UTC))
        rows = tx.find(InsightFigure, orchestration=key, hour=0, kind="node")
    stages = _stages(key, [version] if version else numbers)

    by_status = {s: 0 for s in ("in_progress", "suspended", *ENDED)}
    for status, count in tally.by_status.items():
        by_status[status] = by_status.get(status, 0) + count
    per_day = {(first_day + timedelta(days=i)).isoformat(): 0 for i in range(days)}
    for started, count in tally.started_per_day.items():
        if started.isoformat() in per_day:  # a start dated after today (a clock set back) is left out
            per_day[started.isoformat()] += count
    ended = sum(by_status[s] for s in ENDED)
    run_seconds = tally.completed_microseconds / 1_000_000

    mine = [row for row in rows if row.element in stages and (version is None or row.version == version)]
    spent: dict[str, dict[str, Any]] = {s: {"count": 0, "sum": 0.0} for s in stages}
    for row in mine:
        spent[row.element]["count"] += row.duration_count
        spent[row.element]["sum"] += row.duration_sum
    quantiles = insights.figures(mine, {}, nodes=stages)["nodes"]  # p50 and p95 from the merged histograms

    return {
        "orchestration": key,
        "version": version,
        "at": now.isoformat(),
        "runs": sum(tally.by_status.values()),
        "by_status": by_status,
        "average_run_seconds": round(run_seconds / tally.completed, 3) if tally.completed else None,
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
                "p50": quantiles[stage]["p50"],
                "p95": quantiles[stage]["p95"],
            }
            for stage, label in stages.items()
        ],
    }
