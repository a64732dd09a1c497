"""Repairing a run in error (ARCHITECTURE §3): edit the failed step's action inputs or
the run's variables before a retry, or skip the failed step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.engine.context import Host, RunContext, event, flush, load, set_run_status, transact
from runtime.engine.plain import expression_shown, json_copy, over_max_items
from runtime.engine.rules import advance, complete_step
from runtime.engine.runs import control
from runtime.errors import Conflict, InvalidInput
from runtime.limits import describe as describe_size
from runtime.limits import size_problem
from runtime.model import StepRun
from runtime.secrets import mask
from runtime.spec import Step
from runtime.states import NodeStatus, RunStatus, move
from runtime.store.base import Transaction
from runtime.values import INPUT_TYPES, check_type


def failed_step(ctx: RunContext, step_id: str, verb: str) -> tuple[Step, StepRun]:
    """The step ``step_id`` of a run in error, if it is the step that failed; else a 409."""
    run_id = ctx.run.id
    if ctx.run.status != RunStatus.ERROR:
        raise Conflict(f"run {run_id} is {ctx.run.status}; only a run in error can have a step {verb}")
    step, step_run = ctx.spec.steps.get(step_id), ctx.steps.get(step_id)
    if step is None or step_run is None or step_run.status != NodeStatus.ERROR:
        raise Conflict(f"step {step_id} of run {run_id} is not in error; only the failed step can be {verb}")
    return step, step_run


def edit_step_inputs(host: Host, run_id: str, step_id: str, inputs: dict[str, Any], by: str | None) -> None:
    def op(tx: Transaction) -> None:
        ctx = load(host, tx, run_id)
        step, step_run = failed_step(ctx, step_id, "edited")
        if step.type != "background":
            raise Conflict(f"step {step_id} is a {step.type} step; only a background step has action inputs")
        check_action_inputs(host, step, inputs)
        before, shown = dict(step_run.input_overrides or {}), shown_masked(host)
        after = {**before, **{k: json_copy(v) for k, v in inputs.items()}}
        after = {k: v for k, v in after.items() if v is not None}
        expressions = dict(step.inputs)
        changes = [
            {
                "name": name,
                "old": shown(before[name]) if name in before else expression_shown(expressions.get(name)),
                "new": shown(after[name]) if name in after else expression_shown(expressions.get(name)),
            }
            for name in inputs
        ]
        step_run.input_overrides = after or None
        ctx.touch(step_run)
        event(ctx, "step.inputs_edited", node=step_id, visit=step_run.visit, by=by, data={"changes": changes})
        flush(ctx)

    transact(host, op)


def shown_masked(host: Host) -> Callable[[Any], Any]:
    """How a value a person entered is written to the event log: any secret's value in
    it masked, like everything an action gives back (runtime/secrets.py)."""
    values = []
    for name in host.secrets.names():
        try:
            values.append(host.secrets.value(name) or "")
        except Exception:  # a value that cannot be decrypted cannot be typed in either
            continue
    return lambda value: mask(json_copy(value), values)


def check_action_inputs(host: Host, step: Step, inputs: dict[str, Any]) -> None:
    action = host.actions.get(step.action or "")
    expressions = dict(step.inputs)
    errors: dict[str, str] = {}
    if not inputs:
        errors["inputs"] = "give at least one input"
    for name, value in inputs.items():
        declared = action.input(name) if action is not None else None
        if name in expressions and "secrets" in expressions[name].roots:
            errors[name] = "reads a secret; an admin changes the secret under Admin, Secrets instead"
        elif action is not None and declared is None and not action.open_inputs and name not in expressions:
            errors[name] = f"is not an input of the action {step.action}"
        elif value is None:
            if declared is not None and declared.required and name not in expressions:
                errors[name] = "is required by the action"
        elif declared is not None and declared.type in INPUT_TYPES and (problem := check_type(declared.type, value)):
            errors[name] = problem
        elif too_big := size_problem(value):
            errors[name] = describe_size(name, too_big)
    if errors:
        raise InvalidInput(f"the inputs do not fit the action {step.action}", {"inputs": errors})


def edit_variables(host: Host, run_id: str, values: dict[str, Any], by: str | None) -> None:
    def op(tx: Transaction) -> None:
        ctx = load(host, tx, run_id)
        if ctx.run.status != RunStatus.ERROR:
            raise Conflict(f"run {run_id} is {ctx.run.status}; only a run in error can have its variables edited")
        declared = {v.name: v for v in ctx.spec.variables}
        errors: dict[str, str] = {}
        if not values:
            errors["values"] = "give at least one variable"
        for name, value in values.items():
            var = declared.get(name)
            if var is None:
                errors[name] = "is not a variable of this orchestration"
            elif value is None:
                if var.required:
                    errors[name] = "is required"
            elif problem := check_type(var.type, value):
                errors[name] = problem
            elif too_big := size_problem(value) or over_max_items(var, value):
                errors[name] = describe_size(name, too_big)
        if errors:
            raise InvalidInput("the values do not fit the variables", {"values": errors})
        before, shown = ctx.run.vars, shown_masked(host)
        changes = [{"name": k, "old": shown(before.get(k)), "new": shown(v)} for k, v in values.items()]
        ctx.run.vars = {**before, **json_copy(values)}
        ctx.touch(ctx.run)
        event(ctx, "variables.edited", by=by, data={"changes": changes})
        flush(ctx)

    transact(host, op)


def skip_step(host: Host, run_id: str, step_id: str, outcome: str | None, by: str | None) -> None:
    def change(ctx: RunContext) -> None:
        step, step_run = failed_step(ctx, step_id, "skipped")
        outcomes = step.form.outcomes if step.form is not None else ()
        if outcomes and outcome not in outcomes:
            raise InvalidInput(
                f"outcome {outcome!r} is not an outcome of step {step_id}", {"outcome": f"must be one of {', '.join(outcomes)}"}
            )
        set_run_status(ctx, RunStatus.IN_PROGRESS)
        ctx.run.error = None
        event(ctx, "step.skipped", node=step_id, visit=step_run.visit, by=by, data={"outcome": outcome, "error": step_run.error})
        stage = ctx.stages.get(step.stage)
        if stage is not None and stage.status == NodeStatus.ERROR:
            move(stage, NodeStatus.IN_PROGRESS)
            ctx.touch(stage)
        step_run.error = None
        complete_step(ctx, step, outputs={}, outcome=outcome, by=by)
        advance(ctx)

    control(host, run_id, (RunStatus.ERROR,), "in error", "repaired", change)
