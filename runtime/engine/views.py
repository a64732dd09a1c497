"""JSON views for the API: runs, work items, events, notifications (copies, never the stored values)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from runtime.engine.plain import iso, json_copy
from runtime.model import Notification, Run, RunEvent, StageVisit, StepRun, WorkItem
from runtime.spec import OrchestrationSpec
from runtime.states import OPEN_ITEM, OPEN_STEP
from runtime.store.base import Transaction


def run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "orchestration": run.orchestration,
        "version": run.version,
        "status": run.status,
        "current_node": run.current_node,
        "started_by": run.started_by,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "updated_at": iso(run.updated_at),
        "record": {"object": run.record_object, "id": run.record_id} if run.record_id else None,
        "error": json_copy(run.error),
        "parent_run_id": run.parent_run_id,
    }


def run_view(tx: Transaction, spec: OrchestrationSpec, run: Run, now: datetime) -> dict[str, Any]:
    """A run with every stage and step status, variables, open work items and who has the ball."""
    visits = sorted(tx.find(StageVisit, run_id=run.id), key=lambda v: v.position)
    step_runs = {s.step_id: s for s in tx.find(StepRun, run_id=run.id, current=True)}
    current_visits = {v.stage_id: v for v in visits if v.current}
    open_items = tx.find(WorkItem, run_id=run.id, status=OPEN_ITEM)
    items = [item_view(i, now) for i in open_items]
    stages = []
    for stage_id, stage in spec.stages.items():
        v = current_visits.get(stage_id)
        stages.append(
            {
                "id": stage_id,
                "label": stage.label,
                "status": v.status if v else "not_started",
                "visits": v.visit if v else 0,
                "started_at": iso(v.started_at) if v else None,
                "ended_at": iso(v.ended_at) if v else None,
            }
        )
    steps = []
    for step_id, step in spec.steps.items():
        s = step_runs.get(step_id)
        steps.append(
            {
                "id": step_id,
                "stage": step.stage,
                "type": step.type,
                "label": step.label,
                "status": s.status if s else "not_started",
                "visit": s.visit if s else 0,
                "outcome": s.outcome if s else None,
                "outputs": json_copy(s.outputs) if s else {},
                "completed_by": s.completed_by if s else None,
                "attempts": s.attempts if s else 0,
                "error": s.error if s else None,
                "started_at": iso(s.started_at) if s else None,
                "ended_at": iso(s.ended_at) if s else None,
                "input_overrides": json_copy(s.input_overrides) if s and s.input_overrides else None,
            }
        )
    return {
        **run_summary(run),
        "label": spec.label,
        "inputs": json_copy(run.inputs),
        "vars": json_copy(run.vars),
        "current_stage": run.current_node if run.current_node in spec.stages else None,
        "stages": stages,
        "steps": steps,
        "history": [
            {"stage": v.stage_id, "visit": v.visit, "status": v.status, "started_at": iso(v.started_at), "ended_at": iso(v.ended_at)}
            for v in visits
        ],
        "work_items": items,
        "ball": ball(open_items, step_runs.values(), spec),
    }


def ball(items: Iterable[WorkItem], step_runs: Iterable[StepRun], spec: OrchestrationSpec) -> list[dict[str, Any]]:
    """Who holds the ball in one run: the assignee of each open work item, oldest first, with
    who claimed it; then ``system`` for each step under way that no person does (its action,
    or ``wait``), in the document's order. The run page and the runs list (:func:`balls`,
    through ``Engine.runs(ball=True)``) both build it here, so they always name the same holders."""
    entries = [
        {"type": i.assignee_type, "value": i.assignee_value, "step": i.step_id, "work_item": i.id, "claimed_by": i.claimed_by}
        for i in sorted((i for i in items if i.status in OPEN_ITEM), key=lambda i: (i.created_at, i.id))
    ]
    under_way = {s.step_id for s in step_runs if s.current and s.status in OPEN_STEP}
    for step_id, step in spec.steps.items():
        if step_id in under_way and step.type != "interactive":
            entries.append({"type": "system", "value": step.action or "wait", "step": step_id})
    return entries


def balls(tx: Transaction, runs: Iterable[Run], spec_of: Callable[[str, int], OrchestrationSpec]) -> dict[str, list[dict[str, Any]]]:
    """:func:`ball` of each run, in two reads for all of them (a page of the runs list)."""
    by_id = {r.id: r for r in runs}
    if not by_id:
        return {}
    items: defaultdict[str, list[WorkItem]] = defaultdict(list)
    steps: defaultdict[str, list[StepRun]] = defaultdict(list)
    for i in tx.find(WorkItem, run_id=tuple(by_id), status=OPEN_ITEM):
        items[i.run_id].append(i)
    for s in tx.find(StepRun, run_id=tuple(by_id), current=True, status=OPEN_STEP):
        steps[s.run_id].append(s)
    return {run_id: ball(items[run_id], steps[run_id], spec_of(r.orchestration, r.version)) for run_id, r in by_id.items()}


def item_view(item: WorkItem, now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "run_id": item.run_id,
        "orchestration": item.orchestration,
        "step_id": item.step_id,
        "stage_id": item.stage_id,
        "visit": item.visit,
        "label": item.label,
        "assignee": {"type": item.assignee_type, "value": item.assignee_value},
        "status": item.status,
        "claimed_by": item.claimed_by,
        "created_at": iso(item.created_at),
        "due_at": iso(item.due_at),
        "overdue": bool(item.due_at and item.status in OPEN_ITEM and item.due_at < now),
        "escalated_at": iso(item.escalated_at),
        "completed_at": iso(item.completed_at),
        "completed_by": item.completed_by,
        "outcome": item.outcome,
        "values": json_copy(item.values),
        "comment": item.comment,
        "record": {"object": item.record_object, "id": item.record_id} if item.record_id else None,
        "on_behalf_of": item.on_behalf_of,
    }


def event_view(e: RunEvent) -> dict[str, Any]:
    return {
        "seq": e.id,
        "run_id": e.run_id,
        "type": e.type,
        "at": iso(e.at),
        "node": e.node,
        "visit": e.visit,
        "by": e.by,
        "data": json_copy(e.data),
    }


def notification_view(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "to": {"type": n.to_type, "value": n.to_value},
        "subject": n.subject,
        "body": n.body,
        "run_id": n.run_id,
        "work_item_id": n.work_item_id,
        "created_at": iso(n.created_at),
    }
