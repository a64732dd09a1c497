"""The core loop: functions over a run context that move a run as far as it can go.

:func:`advance` re-evaluates every waiting condition until nothing more can move:
a decision is taken, a stage entered or exited, a step started (through its type's
hooks in runtime/engine/steps/) or completed. The stage rules themselves ("may this
step start", "are all steps completed") are the pure predicates of runtime/states.py,
which the path generator of runtime/testing calls too.
"""

from __future__ import annotations

from typing import Any

from runtime.engine.context import (
    Completion,
    Failure,
    RunContext,
    RunError,
    apply_variables,
    delete_timers,
    event,
    flush,
    holds,
    load,
    run_error,
    set_run_status,
    value,
)
from runtime.engine.plain import has_timers, seconds
from runtime.engine.steps import background, decision, interactive, wait
from runtime.model import StageVisit, StepRun, WorkItem
from runtime.spec import Step
from runtime.states import ENDED_RUN, OPEN_STEP, NodeStatus, RunStatus, all_completed, move, start_decided

MAX_MOVES = 500  # transitions in one advance before a run is judged to loop without waiting

#: Each step type's hooks (runtime/engine/steps/__init__.py says what they do).
_STEP_TYPES = {"interactive": interactive, "background": background, "wait": wait}


def advance(ctx: RunContext) -> None:
    """Move the run as far as it can go; stop at the first thing it must wait for."""
    try:
        for _ in range(MAX_MOVES):
            if ctx.run.status != RunStatus.IN_PROGRESS or not progress(ctx):
                return
        raise RunError(ctx.run.current_node, None, f"the run made {MAX_MOVES} moves without waiting; is there a loop with no wait?")
    except RunError as exc:
        run_error(ctx, exc)


def progress(ctx: RunContext) -> bool:
    """Make one move at the run's current node; False when it must wait there."""
    node = ctx.run.current_node
    spec = ctx.spec
    if node is None:
        enter(ctx, spec.start_next, spec.start_edge)
        return True
    if node in spec.decisions:
        chosen = decision.take(ctx, node)
        enter(ctx, chosen.target, chosen.edge)
        return True
    if node not in spec.stages:
        return False
    stage = spec.stages[node]
    visit = ctx.stages[node]
    if visit.status == NodeStatus.WAITING:
        if stage.entry is None or holds(ctx, stage.entry, node, "entry.condition"):
            move(visit, NodeStatus.IN_PROGRESS)
            visit.started_at = ctx.now
            ctx.touch(visit)
            event(ctx, "stage.started", node=node, visit=visit.visit)
            return True
        return False
    if visit.status != NodeStatus.IN_PROGRESS:
        return False
    changed = False
    for step_id in stage.steps:
        step, step_run = spec.steps[step_id], ctx.steps[step_id]
        if step_run.status == NodeStatus.NOT_STARTED and may_start(ctx, step):
            start_step(ctx, step)
            changed = True
        elif step_run.status == NodeStatus.WAITING and step.until is not None and holds(ctx, step.until, step_id, "until"):
            complete_step(ctx, step, outputs={})
            changed = True
    if changed:
        return True
    if stage.exit_when == "all_steps":
        done = all_completed(stage.steps, lambda s: ctx.steps[s].status)
    else:
        assert stage.exit_condition is not None
        done = holds(ctx, stage.exit_condition, node, "exit.condition")
    if not done:
        return False
    discontinue_stage_steps(ctx, node)
    move(visit, NodeStatus.COMPLETED)
    visit.ended_at = ctx.now
    ctx.touch(visit)
    event(ctx, "stage.completed", node=node, visit=visit.visit, data={"duration": seconds(visit.started_at, ctx.now)})
    enter(ctx, stage.next, stage.next_edge)
    return True


def enter(ctx: RunContext, target: str, edge: str) -> None:
    """Follow ``edge`` to ``target``: an end ends the run, a stage gets a new visit with fresh step runs."""
    event(ctx, "edge.taken", node=target, data={"edge": edge, "from": ctx.run.current_node})
    ctx.run.current_node = target
    ctx.touch(ctx.run)
    if target in ctx.spec.ends:
        event(ctx, "end.reached", node=target)
        end_run(ctx, RunStatus.COMPLETED)
        return
    if target not in ctx.spec.stages:
        return
    stage = ctx.spec.stages[target]
    previous = ctx.stages.get(target)
    number = previous.visit + 1 if previous else 1
    if previous:
        previous.current = False
        ctx.touch(previous)
    for step_id in stage.steps:
        old = ctx.steps.get(step_id)
        if old is not None:
            old.current = False
            ctx.touch(old)
        step_run = StepRun(f"{ctx.run.id}:{step_id}:{number}", ctx.run.id, step_id, target, number)
        ctx.steps[step_id] = step_run
        ctx.add(step_run)
    waiting = stage.entry is not None
    ctx.run.visits += 1
    visit = StageVisit(
        f"{ctx.run.id}:{target}:{number}",
        ctx.run.id,
        target,
        number,
        (NodeStatus.WAITING if waiting else NodeStatus.IN_PROGRESS).value,
        ctx.now,
        None if waiting else ctx.now,
        position=ctx.run.visits,
    )
    ctx.stages[target] = visit
    ctx.add(visit)
    event(ctx, "stage.waiting" if waiting else "stage.started", node=target, visit=number)


def may_start(ctx: RunContext, step: Step) -> bool:
    decided = start_decided(step.start, lambda s: ctx.steps[s].status)
    if decided is not None:
        return decided
    assert step.start.condition is not None
    return holds(ctx, step.start.condition, step.id, "start.condition")


def start_step(ctx: RunContext, step: Step) -> None:
    step_run = ctx.steps[step.id]
    step_run.started_at = ctx.now
    ctx.touch(step_run)
    ended = _STEP_TYPES[step.type].start(ctx, step, step_run)
    if isinstance(ended, Completion):
        complete_step(ctx, step, outputs=ended.outputs, outcome=ended.outcome, by=ended.by, extra=ended.extra)
    elif isinstance(ended, Failure):
        fail_step(ctx, step, ended.message)


def item_completed(ctx: RunContext, step: Step, item: WorkItem) -> None:
    """A work item of ``step`` was completed (the item is already marked so)."""
    ended = interactive.item_completed(ctx, step, item)
    if ended is not None:
        complete_step(ctx, step, outputs=ended.outputs, outcome=ended.outcome, by=ended.by)


def complete_step(
    ctx: RunContext,
    step: Step,
    *,
    outputs: dict[str, Any],
    outcome: str | None = None,
    by: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """The step completed: its outputs are kept and its ``set`` expressions set variables."""
    step_run = ctx.steps[step.id]
    move(step_run, NodeStatus.COMPLETED)
    step_run.ended_at = ctx.now
    step_run.outcome, step_run.outputs, step_run.completed_by = outcome, outputs, by
    ctx.touch(step_run)
    if has_timers(step):
        delete_timers(ctx, step_id=step.id)
    event(
        ctx,
        "step.completed",
        node=step.id,
        visit=step_run.visit,
        by=by,
        data={"outcome": outcome, "outputs": outputs, "duration": seconds(step_run.started_at, ctx.now)},
    )
    if not step.set:
        return
    ctx.extra_scope, ctx.scope_cache = extra, None
    try:
        values = {name: value(ctx, expr, step.id, f"set.{name}") for name, expr in step.set}
        ctx.extra_scope, ctx.scope_cache = None, None
        apply_variables(ctx, step, values)
    except RunError as exc:
        run_error(ctx, exc)
    finally:
        ctx.extra_scope, ctx.scope_cache = None, None


def fail_step(ctx: RunContext, step: Step, message: str) -> None:
    """The step failed: its stage takes its fault path if it has one, else the run is in error."""
    step_run = ctx.steps[step.id]
    move(step_run, NodeStatus.ERROR)
    step_run.error, step_run.ended_at = message, ctx.now
    ctx.touch(step_run)
    event(ctx, "step.error", node=step.id, visit=step_run.visit, data={"error": message})
    stage = ctx.spec.stages[step.stage]
    visit = ctx.stages[step.stage]
    if stage.error_next is not None and stage.error_edge is not None:
        discontinue_stage_steps(ctx, stage.id)
        move(visit, NodeStatus.ERROR)
        visit.ended_at = ctx.now
        ctx.touch(visit)
        event(ctx, "stage.error", node=stage.id, visit=visit.visit, data={"error": message, "fault_path": stage.error_edge})
        if ctx.run.status == RunStatus.IN_PROGRESS:
            enter(ctx, stage.error_next, stage.error_edge)
        return
    move(visit, NodeStatus.ERROR)
    ctx.touch(visit)
    event(ctx, "stage.error", node=stage.id, visit=visit.visit, data={"error": message})
    run_error(ctx, RunError(step.id, None, message))


# -- closing things


def discontinue_stage_steps(ctx: RunContext, stage_id: str) -> None:
    for step_id in ctx.spec.stages[stage_id].steps:
        step_run = ctx.steps[step_id]
        if step_run.status in OPEN_STEP:
            move(step_run, NodeStatus.DISCONTINUED)
            step_run.ended_at = ctx.now
            ctx.touch(step_run)
            event(ctx, "step.discontinued", node=step_id, visit=step_run.visit)
            close_step_work(ctx, step_id, step_run.visit)


def close_step_work(ctx: RunContext, step_id: str, visit: int) -> None:
    """Undo what a step waits on: its open work items, queued jobs, subscriptions, timers."""
    step = ctx.spec.steps[step_id]
    _STEP_TYPES[step.type].close(ctx, step, visit)
    if has_timers(step):
        delete_timers(ctx, step_id=step_id)


def close_open_work(ctx: RunContext, step_status: NodeStatus) -> None:
    """End every open step and the current stage with ``step_status`` (a cancelled run)."""
    for step_run in ctx.steps.values():
        if step_run.status in OPEN_STEP:
            move(step_run, step_status)
            step_run.ended_at = ctx.now
            ctx.touch(step_run)
            event(ctx, f"step.{step_status}", node=step_run.step_id, visit=step_run.visit)
        close_step_work(ctx, step_run.step_id, step_run.visit)
    visit = ctx.stages.get(ctx.run.current_node or "")
    if visit is not None and visit.status in (NodeStatus.WAITING, NodeStatus.IN_PROGRESS, NodeStatus.ERROR):
        move(visit, step_status)
        visit.ended_at = ctx.now
        ctx.touch(visit)
        event(ctx, f"stage.{step_status}", node=visit.stage_id, visit=visit.visit)


def end_run(ctx: RunContext, status: RunStatus, *, by: str | None = None, data: dict[str, Any] | None = None) -> None:
    set_run_status(ctx, status)
    ctx.run.ended_at = ctx.now
    event(ctx, f"run.{status}", by=by, data=data or {})
    notify_parent_if_needed(ctx)


def notify_parent_if_needed(ctx: RunContext) -> None:
    """A child run the parent's step waits for ended: that step completes (or fails, if cancelled)."""
    run = ctx.run
    if not (run.parent_run_id and run.parent_waits and run.status in ENDED_RUN):
        return
    if ctx.parent_notified:
        return
    ctx.parent_notified = True
    flush(ctx)
    parent = load(ctx.host, ctx.tx, run.parent_run_id)
    step_run = parent.steps.get(run.parent_step_id or "")
    if step_run is None or step_run.visit != run.parent_visit or step_run.status != NodeStatus.IN_PROGRESS:
        return
    step = parent.spec.steps[step_run.step_id]
    if run.status == RunStatus.COMPLETED:
        event(parent, "child.completed", node=step.id, visit=step_run.visit, data={"run_id": run.id})
        complete_step(parent, step, outputs={"run_id": run.id, "status": "completed", "vars": run.vars})
    else:
        fail_step(parent, step, f"child run {run.id} was cancelled")
    advance(parent)
    flush(parent)
