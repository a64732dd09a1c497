"""Moving one run that can move, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.engine.context import RunContext, event, value
from runtime.engine.migration.assess import Assessment
from runtime.engine.migration.plan import Plan
from runtime.engine.plain import json_copy
from runtime.engine.rules import advance
from runtime.engine.steps import interactive
from runtime.engine.steps.wait import timer_moment
from runtime.model import StageVisit, StepRun, Subscription, Timer, WorkItem
from runtime.spec import OrchestrationSpec
from runtime.states import OPEN_ITEM, OPEN_STEP

# -- one run: moving it


def move_run(
    ctx: RunContext,
    target: OrchestrationSpec,
    found: Assessment,
    plan: Plan,
    *,
    by: str | None,
    migration: str | None,
) -> None:
    """Move the run of ``ctx`` (assessed movable as ``found``) to ``target`` in ``ctx``'s
    transaction, then evaluate every condition once (the caller flushes)."""
    assert found.movable
    tx, run, nodes = ctx.tx, ctx.run, found.nodes
    renamed = {old: new for old, new in nodes.items() if new is not None and new != old}
    positions = {
        n: nodes.get(n)
        for n in [run.current_node, *(s for s, r in ctx.steps.items() if r.status in OPEN_STEP)]
        if n is not None and n in nodes
    }
    # What else the move reads, in one go (PostgreSQL: one round trip): open work items
    # always; timers, subscriptions and history rows only when something asks for them.
    timed = bool(renamed) or plan.timers == "recompute" or "due" in plan.recompute
    reads: list[tuple[type, Any]] = [(WorkItem, {"run_id": run.id, "status": OPEN_ITEM})]
    reads += [(Timer, {"run_id": run.id})] if timed else []
    reads += [(Subscription, {"run_id": run.id})] if renamed else []
    if renamed:
        reads += [(StageVisit, {"run_id": run.id, "current": False}), (StepRun, {"run_id": run.id, "current": False})]
    found_rows = iter(tx.read_several(reads))
    items: list[WorkItem] = next(found_rows)
    timers: list[Timer] = next(found_rows) if timed else []
    subscriptions: list[Subscription] = next(found_rows) if renamed else []
    old_visits: list[StageVisit] = next(found_rows) if renamed else []
    old_steps: list[StepRun] = next(found_rows) if renamed else []
    # Stage visits and step runs: the current ones follow the mapping or stop being
    # current (their node is gone); history rows of renamed nodes are renamed too.
    stages: dict[str, StageVisit] = {}
    for stage_id, visit in ctx.stages.items():
        new = nodes.get(stage_id)
        if new is None:
            visit.current = False
            ctx.touch(visit)
        else:
            if new != stage_id:
                visit.stage_id = new
                ctx.touch(visit)
            stages[new] = visit
    steps: dict[str, StepRun] = {}
    for step_id, step_run in ctx.steps.items():
        new = nodes.get(step_id)
        if new is None:
            step_run.current = False
            ctx.touch(step_run)
        else:
            if (new, target.steps[new].stage) != (step_run.step_id, step_run.stage_id):
                step_run.step_id, step_run.stage_id = new, target.steps[new].stage
                ctx.touch(step_run)
            steps[new] = step_run
    for visit in old_visits:
        if visit.stage_id in renamed:
            visit.stage_id = renamed[visit.stage_id]
            ctx.touch(visit)
    for step_run in old_steps:
        if step_run.step_id in renamed:
            step_run.step_id = renamed[step_run.step_id]
            step_run.stage_id = target.steps[step_run.step_id].stage
            ctx.touch(step_run)
    ctx.stages, ctx.steps = stages, steps
    # The current stage in the target: a step run for each of its steps (new steps start fresh).
    at = nodes.get(run.current_node or "")
    if at is not None and at in target.stages:
        visit = stages[at]
        for step_id in target.stages[at].steps:
            current = steps.get(step_id)
            if current is not None and current.visit == visit.visit and current.stage_id == at:
                continue
            if current is not None:
                current.current = False
                ctx.touch(current)
            fresh = StepRun(f"{run.id}:{step_id}:{visit.visit}", run.id, step_id, at, visit.visit)
            if tx.get(StepRun, fresh.id) is not None:  # moved here and back before: keep ids unique
                fresh.id = f"{fresh.id}:{run.revision + 1}"
            steps[step_id] = fresh
            ctx.add(fresh)
    _move_waiting(ctx, target, nodes, plan, items, timers, subscriptions)
    old_version = run.version
    run.version = target.version
    run.current_node = nodes.get(run.current_node) if run.current_node else None
    run.vars = {v.name: json_copy(run.vars[v.name]) if v.name in run.vars else json_copy(v.default) for v in target.variables}
    run.inputs = {
        v.name: json_copy(run.inputs[v.name]) if run.inputs.get(v.name) is not None else (json_copy(v.default) if v.has_default else None)
        for v in target.inputs
    }
    ctx.touch(run)
    ctx.spec, ctx.scope_cache = target, None
    data = {
        "from": old_version,
        "to": target.version,
        "migration": migration,
        "mapping": renamed,
        "positions": positions,
        "notes": list(found.notes),
    }
    event(ctx, "run.migrated", node=run.current_node, by=by, data=data)
    advance(ctx)


def _move_waiting(
    ctx: RunContext,
    target: OrchestrationSpec,
    nodes: Mapping[str, str | None],
    plan: Plan,
    open_items: list[WorkItem],
    timers: list[Timer],
    subscriptions: list[Subscription],
) -> None:
    """Open work items, timers and subscriptions follow their steps (a job under way
    keeps its step's id: :func:`assess` refuses to rename a step whose action runs)."""
    tx = ctx.tx
    items = {i.id: i for i in open_items}
    for item in open_items:
        new_id = nodes.get(item.step_id)
        if new_id is None:  # assessed: a step under way always maps; an item of an ended step is not open
            continue
        step = target.steps[new_id]
        item.step_id, item.stage_id, item.label, item.version = new_id, step.stage, step.label, target.version
        if "due" in plan.recompute:
            item.due_at = step.due.after(item.created_at) if step.due else None
        ctx.touch(item)
        if "assignee" in plan.recompute and step.assignee is not None and step.approval is None:
            meant = interactive.resolve(ctx, step.assignee, step.id, "assignee.value")
            if (meant.type, meant.value) != (item.assignee_type, item.assignee_value) and item.on_behalf_of != meant.value:
                interactive.reassign(ctx, item, meant, by=None, kind="reassignment")
    for timer in timers:
        new_id = nodes.get(timer.step_id)
        if new_id is None:
            continue
        step = target.steps[new_id]
        if timer.kind == "escalation":
            escalated = items.get(timer.work_item_id or "")
            if escalated is not None and ("due" in plan.recompute or plan.timers == "recompute"):
                if step.escalation is None or escalated.due_at is None:
                    tx.delete(Timer, timer.id)
                    continue
                timer.due_at = step.escalation.after.after(escalated.due_at)
        elif plan.timers == "recompute":
            step_run = ctx.steps.get(new_id)
            started = step_run.started_at if step_run is not None and step_run.started_at else ctx.now
            if step.timer_duration is not None:
                timer.due_at = step.timer_duration.after(started)
            elif step.timer_at is not None:
                timer.due_at = timer_moment(value(ctx, step.timer_at, step.id, "timer.at"), step.id, ctx.now)
        timer.step_id = new_id
        ctx.touch(timer)
    for sub in subscriptions:
        if (new_id := nodes.get(sub.step_id)) is not None:
            sub.step_id = new_id
            ctx.touch(sub)
