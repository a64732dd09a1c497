"""Wait steps: until a timer fires, an event arrives or a condition holds (the rules check ``until``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from runtime import tracing
from runtime.durations import as_moment, moment_problem
from runtime.engine.context import Completion, RunContext, RunError, event, holds, value
from runtime.engine.plain import new_id
from runtime.model import BufferedEvent, StepRun, Subscription, Timer
from runtime.spec import Step
from runtime.states import NodeStatus, move


def start(ctx: RunContext, step: Step, step_run: StepRun) -> Completion | None:
    """Set the timer or subscribe to the event; a buffered event that matches completes the step at once."""
    move(step_run, NodeStatus.WAITING)
    event(ctx, "step.waiting", node=step.id, visit=step_run.visit)
    if step.timer_duration is not None or step.timer_at is not None:
        if step.timer_duration is not None:
            due = step.timer_duration.after(ctx.now)
        else:
            assert step.timer_at is not None
            due = timer_moment(value(ctx, step.timer_at, step.id, "timer.at"), step.id, ctx.now)
        ctx.add(Timer(new_id(), ctx.run.id, "wait", step.id, step_run.visit, due, trace_context=tracing.trace_context()))
    elif step.event_name is not None:
        key = None
        if step.correlation is not None and not step.correlation_is_predicate:
            key = value(ctx, step.correlation, step.id, "event.correlation")
        for buffered in sorted(ctx.tx.find(BufferedEvent, name=step.event_name), key=lambda b: (b.received_at, b.id)):
            if buffered.expires_at <= ctx.now:
                ctx.tx.delete(BufferedEvent, buffered.id)
                continue
            received = {"name": buffered.name, "correlation": buffered.correlation, "payload": buffered.payload}
            if event_matches(ctx, step, key, received):
                ctx.tx.delete(BufferedEvent, buffered.id)
                event(ctx, "event.received", node=step.id, visit=step_run.visit, data={**received, "buffered": True})
                return Completion({"event": received}, extra={"event": received})
        ctx.add(Subscription(new_id(), ctx.run.id, step.id, step_run.visit, step.event_name, key, step.correlation_is_predicate))
    return None


def close(ctx: RunContext, step: Step, visit: int) -> None:
    if step.event_name is not None:
        for sub in ctx.tx.find(Subscription, run_id=ctx.run.id, step_id=step.id):
            ctx.tx.delete(Subscription, sub.id)


def fired(ctx: RunContext, step: Step, timer: Timer) -> Completion:
    """The step's timer fired: the step completes."""
    event(ctx, "timer.fired", node=step.id, visit=timer.visit, data={"due_at": timer.due_at.isoformat()})
    return Completion({"fired_at": ctx.now.isoformat()})


def event_matches(ctx: RunContext, step: Step, key: Any, received: dict[str, Any]) -> bool:
    """Whether an event is the one the step waits for (its correlation key, or predicate)."""
    if step.correlation is None:
        return True
    if not step.correlation_is_predicate:
        return bool(key == received["correlation"])
    ctx.extra_scope, ctx.scope_cache = {"event": received}, None
    try:
        return holds(ctx, step.correlation, step.id, "event.correlation")
    except RunError:
        return False  # an event that does not fit the predicate's shape does not match
    finally:
        ctx.extra_scope, ctx.scope_cache = None, None


def timer_moment(moment_value: Any, node: str, now: datetime) -> datetime:
    problem = moment_problem(moment_value, now)
    moment = as_moment(moment_value)
    if problem or moment is None:
        raise RunError(node, "timer.at", f"timer.at {problem}")
    return moment
