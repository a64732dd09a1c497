"""Runs: starting one (inputs checked), and what ops do to a whole run (cancel,
suspend, resume, retry)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime import tracing
from runtime.actions import ActionContext
from runtime.engine.context import Host, RunContext, event, flush, load, require_run, set_run_status, transact
from runtime.engine.plain import json_copy, new_id, over_max_items, record_scope
from runtime.engine.rules import advance, close_open_work, end_run
from runtime.errors import Conflict, InvalidInput, NotFound
from runtime.limits import describe as describe_size
from runtime.limits import size_problem
from runtime.model import Record, Run
from runtime.spec import OrchestrationSpec
from runtime.states import LIVE_RUN, NodeStatus, RunStatus, move
from runtime.store.base import Transaction
from runtime.values import check_type


def start(
    host: Host,
    key: str,
    inputs: Mapping[str, Any] | None,
    record: Mapping[str, str] | None,
    started_by: str | None,
    version: int | None,
) -> str:
    def op(tx: Transaction) -> str:
        spec = host.spec(key, version, tx=tx)
        record_row = None
        if record is not None:
            if not isinstance(record, Mapping) or not isinstance(record.get("object"), str) or not isinstance(record.get("id"), str):
                raise InvalidInput('record must be {"object": type, "id": id}')
            record_row = tx.get(Record, record["id"])
            if record_row is None or record_row.object != record["object"]:
                raise NotFound(f"record {record['object']}/{record['id']} does not exist")
        return start_run(host, tx, spec, dict(inputs or {}), record_row, started_by)

    return transact(host, op)


def start_run(
    host: Host,
    tx: Transaction,
    spec: OrchestrationSpec,
    inputs: dict[str, Any],
    record: Record | None,
    started_by: str | None,
    parent: ActionContext | None = None,
    parent_waits: bool = False,
    trigger: str | None = None,
) -> str:
    """Start a run in ``tx`` and advance it as far as it goes; returns its id."""
    with tracing.span("overture.run.start", orchestration=spec.key, version=spec.version, trigger=trigger):
        now = host.clock.now()
        values = check_inputs(spec, inputs)
        run = Run(
            id=new_id(),
            orchestration=spec.key,
            version=spec.version,
            status=RunStatus.IN_PROGRESS.value,
            inputs=values,
            vars={v.name: v.default for v in spec.variables},
            started_at=now,
            updated_at=now,
            started_by=started_by,
            record_object=record.object if record else None,
            record_id=record.id if record else None,
            parent_run_id=parent.run_id if parent else None,
            parent_step_id=parent.step_id if parent else None,
            parent_visit=parent.visit if parent else None,
            parent_waits=parent_waits,
        )
        tx.insert(run)
        tracing.annotate(run_id=run.id)
        ctx = RunContext(host, tx, spec, run, now, {}, {}, record_scope(record), run.revision)
        data: dict[str, Any] = {"inputs": values, "version": spec.version}
        if record is not None:  # the record as the run found it, and the trigger that started it (replay needs both)
            data["record"] = json_copy(record_scope(record))
        if trigger is not None:
            data["trigger"] = trigger
        event(ctx, "run.started", by=started_by, data=data)
        advance(ctx)
        flush(ctx)
        tracing.annotate(outcome=run.status)
        return run.id


def check_inputs(spec: OrchestrationSpec, inputs: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    declared = {v.name: v for v in spec.inputs}
    for name in inputs:
        if name not in declared:
            errors[name] = "is not an input of this orchestration"
    values: dict[str, Any] = {}
    for var in spec.inputs:
        if var.name in inputs and inputs[var.name] is not None:
            problem = check_type(var.type, inputs[var.name])
            if problem:
                errors[var.name] = problem
            elif too_big := size_problem(inputs[var.name]) or over_max_items(var, inputs[var.name]):
                errors[var.name] = describe_size(var.name, too_big)
            values[var.name] = json_copy(inputs[var.name])
        elif var.has_default:
            values[var.name] = var.default
        elif var.required:
            errors[var.name] = "is required"
        else:
            values[var.name] = None
    if errors:
        raise InvalidInput("the inputs do not fit the orchestration", {"inputs": errors})
    return values


def control(host: Host, run_id: str, allowed: tuple[str, ...], which: str, verb: str, change: Callable[[RunContext], None]) -> None:
    """An ops action on a run: only from the ``allowed`` statuses, else a clear 409."""

    def op(tx: Transaction) -> None:
        ctx = load(host, tx, run_id)
        if ctx.run.status not in allowed:
            raise Conflict(f"run {run_id} is {ctx.run.status}; only a run {which} can be {verb}")
        change(ctx)
        flush(ctx)

    transact(host, op)


def cancel(host: Host, run_id: str, by: str | None, reason: str | None) -> None:
    def change(ctx: RunContext) -> None:
        close_open_work(ctx, NodeStatus.DISCONTINUED)
        end_run(ctx, RunStatus.CANCELLED, by=by, data={"reason": reason} if reason else None)

    control(host, run_id, LIVE_RUN, "in progress, suspended or in error", "cancelled", change)


def suspend(host: Host, run_id: str, by: str | None) -> None:
    def change(ctx: RunContext) -> None:
        set_run_status(ctx, RunStatus.SUSPENDED)
        event(ctx, "run.suspended", by=by)

    control(host, run_id, (RunStatus.IN_PROGRESS,), "in progress", "suspended", change)


def resume(host: Host, run_id: str, by: str | None) -> None:
    def change(ctx: RunContext) -> None:
        set_run_status(ctx, RunStatus.IN_PROGRESS)
        event(ctx, "run.resumed", by=by)
        advance(ctx)

    control(host, run_id, (RunStatus.SUSPENDED,), "suspended", "resumed", change)


def retry(host: Host, run_id: str, by: str | None) -> None:
    def change(ctx: RunContext) -> None:
        set_run_status(ctx, RunStatus.IN_PROGRESS)
        ctx.run.error = None
        event(ctx, "run.retried", by=by)
        stage = ctx.stages.get(ctx.run.current_node or "")
        if stage is not None and stage.status == NodeStatus.ERROR:
            move(stage, NodeStatus.IN_PROGRESS)
            ctx.touch(stage)
        for step_run in ctx.steps.values():
            if step_run.status == NodeStatus.ERROR:
                # A fresh set of attempts; attempt numbers keep growing so keys stay unique.
                move(step_run, NodeStatus.NOT_STARTED)
                step_run.error, step_run.ended_at = None, None
                step_run.retry_base = step_run.attempts
                ctx.touch(step_run)
        advance(ctx)

    control(host, run_id, (RunStatus.ERROR,), "in error", "retried", change)


def retry_outcome(host: Host, run_id: str) -> dict[str, Any]:
    """What a retry led to, read just after it: ``failed`` again (with the new error),
    ``completed``, or ``running`` (the run moves on: its failed step runs again)."""
    with host.store.transaction(write=False) as tx:
        run = require_run(tx, run_id)
        result = {"error": "failed", "completed": "completed"}.get(run.status, "running")
        return {"result": result, "status": run.status, "error": json_copy(run.error) if run.error else None}
