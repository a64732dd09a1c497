"""Background steps: an action runs, here at once when it is local, else as a job."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from runtime import tracing
from runtime.actions import ActionContext, ActionFailed, Pending
from runtime.engine.context import (
    Completion,
    Failure,
    Host,
    RunContext,
    RunError,
    apply_variables,
    event,
    run_error,
    value,
)
from runtime.engine.plain import json_copy, new_id
from runtime.limits import full_path, size_problem
from runtime.model import Job, StepRun
from runtime.secrets import UnknownSecret, mask, reveal
from runtime.spec import Step
from runtime.states import JobStatus, NodeStatus, move

log = logging.getLogger("runtime.engine")


def start(ctx: RunContext, step: Step, step_run: StepRun) -> Completion | Failure | None:
    move(step_run, NodeStatus.IN_PROGRESS)
    event(ctx, "step.started", node=step.id, visit=step_run.visit, data={"action": step.action})
    overrides = step_run.input_overrides or {}
    inputs = {name: value(ctx, expr, step.id, f"inputs.{name}") for name, expr in step.inputs if name not in overrides}
    inputs.update(json_copy(overrides))
    action = ctx.host.actions.get(step.action or "")
    if action is not None and action.local:
        return run_local(ctx, step, step_run, action, inputs)
    enqueue(ctx, step, step_run, inputs, step_run.attempts + 1, ctx.now)
    return None


def close(ctx: RunContext, step: Step, visit: int) -> None:
    for job in ctx.tx.find(Job, run_id=ctx.run.id, step_id=step.id, status=JobStatus.QUEUED.value):
        move(job, JobStatus.CANCELLED)
        ctx.touch(job)


def run_local(ctx: RunContext, step: Step, step_run: StepRun, action: Any, inputs: dict[str, Any]) -> Completion | Failure:
    """A local action runs here, in this transaction: no job, no queue, no retry
    (it is deterministic: the same inputs would fail the same way)."""
    step_run.attempts += 1
    key = f"{ctx.run.id}:{step.id}:{step_run.visit}:{step_run.attempts}"
    context = ActionContext(
        run_id=ctx.run.id,
        step_id=step.id,
        visit=step_run.visit,
        attempt=step_run.attempts,
        idempotency_key=key,
        now=ctx.now,
        services=ctx.host.local_services(ctx),
        settings=ctx.host.settings,
        load_run=lambda: (ctx.run.orchestration, ctx.record),
    )
    try:
        result = call(ctx.host, action, context, inputs)
    except Exception as exc:
        message = exc.message if isinstance(exc, ActionFailed) else f"{type(exc).__name__}: {exc}"
        event(
            ctx,
            "action.failed",
            node=step.id,
            visit=step_run.visit,
            data={"attempt": step_run.attempts, "action": action.name, "error": message, "local": True},
        )
        return Failure(message)
    event(
        ctx,
        "action.succeeded",
        node=step.id,
        visit=step_run.visit,
        data={"attempt": step_run.attempts, "action": action.name, "local": True},
    )
    try:
        apply_variables(ctx, step, context.variables)
    except RunError as exc:
        run_error(ctx, exc)
    return Completion(action_outputs(ctx, step, result))


def action_outputs(ctx: RunContext, step: Step, result: Any) -> dict[str, Any]:
    """An action's result as the step's outputs; one over the size caps is not kept and puts the run in error."""
    if not isinstance(result, dict):
        return {}
    if too_big := size_problem(result):
        where = full_path("outputs", too_big)
        run_error(ctx, RunError(step.id, "outputs", f"the result of action {step.action}: {where} {too_big[1]}"))
        return {}
    return result


def call(host: Host, action: Any, context: ActionContext, inputs: dict[str, Any]) -> Any:
    """Run ``action`` with the secrets its inputs name; what it returns, sets or raises
    comes back with their values masked, before anything is stored (runtime/secrets.py)."""
    try:
        revealed, used = reveal(inputs, host.secrets)
    except UnknownSecret as exc:
        raise ActionFailed(str(exc), retryable=False) from None
    if not used:
        return action.handler(context, revealed)
    try:
        result = action.handler(context, revealed)
    except ActionFailed as exc:
        raise ActionFailed(mask(exc.message, used), retryable=exc.retryable) from None
    except Exception as exc:  # logged here, masked: the caller's log would print the value
        message = mask(f"{type(exc).__name__}: {exc}", used)
        log.error("action %s failed: %s", action.name, message)
        raise ActionFailed(message) from None
    context.variables = mask(context.variables, used)
    if isinstance(result, Pending):
        result.outputs = mask(result.outputs, used)
        return result
    return mask(result, used)


def enqueue(ctx: RunContext, step: Step, step_run: StepRun, inputs: dict[str, Any], attempt: int, when: datetime) -> None:
    """Schedule the action as a job (a first attempt, or a retry after a backoff)."""
    step_run.attempts = attempt
    ctx.touch(step_run)
    key = f"{ctx.run.id}:{step.id}:{step_run.visit}:{attempt}"
    job = Job(new_id(), ctx.run.id, step.id, step_run.visit, attempt, step.action or "", inputs, JobStatus.QUEUED.value, when, key, ctx.now)
    job.trace_context = tracing.trace_context()  # its span, in whichever worker, continues this trace
    host = ctx.host
    if host.claim_inline and when <= ctx.now:
        # This engine runs what it schedules: the job is born claimed, saving a claim
        # round trip; if the process dies, the missing heartbeat re-queues it.
        move(job, JobStatus.RUNNING)
        job.claimed_by, job.claimed_at, job.heartbeat_at = host.worker_id, ctx.now, ctx.now
        host.ledger.claimed(job)
    ctx.add(job)
    event(
        ctx,
        "action.scheduled",
        node=step.id,
        visit=step_run.visit,
        data={"action": step.action, "attempt": attempt, "run_after": when.isoformat(), "idempotency_key": key},
    )
