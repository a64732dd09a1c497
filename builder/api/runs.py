"""Runs: start one, list and inspect them (who must act now), the ops controls, and
a run turned into a scenario test that replays it.

Members, ops, admins and API tokens start runs. Ops and admins see every run; a
member sees the runs they started, that run on a record they own, or that they have
or had a work item on (404 for the others: ids do not leak).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask import Blueprint, Response, jsonify
from marshmallow import fields, validate

from builder.audit import audited, variables_state
from builder.auth import caller, roles, tokens_allowed
from builder.extensions import engine
from builder.names import display_names, named_items, named_runs
from builder.queries import may_see_record, may_see_run, open_work_holders, run_page
from builder.requests import (
    MAX_INT32,
    MAX_INT64,
    CommaSeparated,
    NoBody,
    StrictSchema,
    body,
    cursor_arg,
    keyset_page,
    limit_arg,
    newest_first,
    newest_first_after,
    optional_body,
    query,
    uses,
)
from runtime.errors import NotFound
from runtime.testing.replay import scenario_from_run

bp = Blueprint("runs", __name__, url_prefix="/api/runs")

RUN_STATUSES = ("in_progress", "completed", "error", "suspended", "cancelled")


class RecordRef(StrictSchema):
    object = fields.String(required=True, validate=validate.Length(min=1, max=64))
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RunIn(StrictSchema):
    orchestration = fields.String(required=True, validate=validate.Length(min=1, max=64))
    inputs = fields.Dict(keys=fields.String(), load_default=dict)
    record = fields.Nested(RecordRef, load_default=None, allow_none=True)


class RunQuery(StrictSchema):
    orchestration = fields.String()
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_INT32))
    status = CommaSeparated(RUN_STATUSES)
    stage = fields.String()
    assignee = fields.String()
    started_after = fields.AwareDateTime(format="iso", default_timezone=UTC)
    started_before = fields.AwareDateTime(format="iso", default_timezone=UTC)


class EventQuery(StrictSchema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT64))


class CancelIn(StrictSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class StepInputsIn(StrictSchema):
    #: Action input name -> the literal value the retry uses (``null``: back to the document's expression).
    inputs = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class VariablesIn(StrictSchema):
    values = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(min=1, max=200),
    )


class SkipIn(StrictSchema):
    outcome = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]*$")]
    )


def _visible(run_id: str) -> str:
    """``run_id`` if the caller may see that run, else 404 (as if it did not exist)."""
    if not may_see_run(caller(), run_id):
        raise NotFound(f"run {run_id} does not exist")
    return run_id


@bp.post("")
@uses(RunIn)
@tokens_allowed
@roles("admin", "ops", "member")
def start_run() -> Any:
    data = body(RunIn())
    principal = caller()
    record = data["record"]
    if record is not None and not may_see_record(principal, record["object"], record["id"]):
        raise NotFound(f"record {record['object']}/{record['id']} does not exist")
    with audited("run.started", "run"):
        run_id = engine().start(data["orchestration"], data["inputs"], record=record, started_by=principal.name)
    return jsonify(engine().get_run(run_id)), 201


@bp.get("")
@uses(query=RunQuery, paged=True)
@roles("admin", "ops", "member")
def list_runs() -> Any:
    filters = query(RunQuery())
    limit = limit_arg()
    keys = run_page(
        caller(),
        newest_first_after(cursor_arg(int, str)),
        limit + 1,
        orchestration=filters.get("orchestration"),
        version=filters.get("version"),
        statuses=filters.get("status"),
        stage=filters.get("stage"),
        assignee=filters.get("assignee"),
        started_after=filters.get("started_after"),
        started_before=filters.get("started_before"),
    )
    page, next_cursor = keyset_page(keys, limit, lambda k: newest_first(k[1], k[0]))
    ids = [run_id for run_id, _at in page]
    # Summaries and who holds the ball in one read, by the run page's own rule (runtime/engine/views.py).
    summaries = {r["id"]: r for r in engine().runs(id=tuple(ids), ball=True)} if ids else {}
    items = named_runs([summaries[i] for i in ids if i in summaries])
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.get("/filters")
@roles("admin", "ops", "member")
def run_filters() -> Any:
    """The runs list's pick lists: orchestrations with their stages, and the assignees to filter by.

    ``orchestrations``: every orchestration with an active version, ``[{key, label, stages: [{id, label}]}]``
    (the stages of the active version); ``assignees``: ``[{type, value, name}]``, the caller and whoever
    holds open work on the runs the caller may see (so the list tells a member no more than the runs do).
    """
    orchestrations = []
    for o in engine().orchestrations():
        if o["active_version"] is None:
            continue
        spec = engine().spec(o["key"], o["active_version"])
        orchestrations.append(
            {"key": o["key"], "label": o["label"], "stages": [{"id": k, "label": stage.label} for k, stage in spec.stages.items()]}
        )
    principal = caller()
    held = open_work_holders(principal)
    held.add(("user", principal.name))
    people, teams = display_names({v for t, v in held if t == "user"}, {v for t, v in held if t != "user"})
    assignees = [{"type": t, "value": v, "name": (people if t == "user" else teams).get(v, v)} for t, v in held]
    assignees.sort(key=lambda a: (a["type"] != "user", a["name"].lower(), a["value"]))
    return jsonify({"orchestrations": orchestrations, "assignees": assignees})


@bp.get("/<run_id>")
@roles("admin", "ops", "member")
def get_run(run_id: str) -> Any:
    run = engine().get_run(_visible(run_id))
    # The names the runs list carries (record name, labels, who started it), so the page reads the same.
    run = named_runs([run])[0]
    if caller().role not in ("admin", "ops"):  # action inputs are ops' business, as in a version (§4)
        run["steps"] = [{**s, "input_overrides": None} for s in run["steps"]]
    return jsonify({**run, "work_items": named_items(run["work_items"])})


@bp.get("/<run_id>/events")
@uses(query=EventQuery)
@roles("admin", "ops", "member")
def run_events(run_id: str) -> Any:
    """The run's event log, oldest first: ``?after=<seq>&limit=``; ``next_after`` continues it."""
    after = query(EventQuery())["after"]
    limit = limit_arg()
    events = engine().events(_visible(run_id), after=after, limit=limit + 1)
    page = events[:limit]
    return jsonify(
        {
            "items": page,
            "next_after": page[-1]["seq"] if len(events) > limit else None,
            "last_seq": page[-1]["seq"] if page else after,
        }
    )


@bp.get("/<run_id>/scenario")
@roles("admin", "ops")
def download_scenario(run_id: str) -> Any:
    """The run as a scenario test that replays it: a ``*.scenario.yaml`` download (``text/yaml``).

    Admins and ops only, like the other ops tools: the file names everyone who acted
    on the run and holds its record, values and recorded action outputs.
    """
    scenario = scenario_from_run(engine(), run_id)
    filename = f"{scenario.orchestration}-{run_id[:8]}.scenario.yaml"
    return Response(scenario.to_yaml(), mimetype="text/yaml", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/<run_id>/cancel")
@uses(CancelIn, optional=True)
@roles("admin", "ops")
def cancel(run_id: str) -> Any:
    reason = optional_body(CancelIn())["reason"]
    with audited("run.cancelled", "run", run_id, after={"reason": reason}):
        engine().cancel(run_id, by=caller().name, reason=reason)
    return jsonify(engine().get_run(run_id))


def _control(run_id: str, operation: Callable[..., Any], action: str) -> Any:
    optional_body(NoBody())  # no body, or an empty object
    with audited(action, "run", run_id):
        operation(run_id, by=caller().name)
    return jsonify(engine().get_run(run_id))


def _repaired(run_id: str, outcome: dict[str, Any] | None = None) -> Any:
    """The run after a repair, with what the retry or skip led to (``retry``: result, status, error)."""
    return jsonify({**engine().get_run(run_id), **({"retry": outcome} if outcome is not None else {})})


@bp.post("/<run_id>/suspend")
@uses(NoBody, optional=True)
@roles("admin", "ops")
def suspend(run_id: str) -> Any:
    return _control(run_id, engine().suspend, "run.suspended")


@bp.post("/<run_id>/resume")
@uses(NoBody, optional=True)
@roles("admin", "ops")
def resume(run_id: str) -> Any:
    return _control(run_id, engine().resume, "run.resumed")


@bp.post("/<run_id>/retry")
@uses(NoBody, optional=True)
@roles("admin", "ops")
def retry(run_id: str) -> Any:
    """Resume a run in error: failed steps start again.

    ``retry`` in the answer says what that led to: ``result`` is ``failed`` (again: ``error``
    is the new error), ``completed``, or ``running`` (the failed step runs again).
    """
    optional_body(NoBody())
    with audited("run.retried", "run", run_id):
        outcome = engine().retry(run_id, by=caller().name)
    return _repaired(run_id, outcome)


@bp.patch("/<run_id>/steps/<step_id>/inputs")
@uses(StepInputsIn)
@roles("admin", "ops")
def edit_step_inputs(run_id: str, step_id: str) -> Any:
    """Set action inputs of the failed step for the retry (409 unless the run is in error at that step).

    The values replace the document's expressions for those inputs on the next attempt;
    ``null`` removes an earlier value. Each change is in the event log with who made it.
    """
    inputs = body(StepInputsIn())["inputs"]
    # Action inputs may hold what secrets would (URLs, keys): the entry names the inputs changed, not their values.
    with audited("run.step_inputs_edited", "run", run_id, after={"step": step_id, "inputs": sorted(inputs)}):
        engine().edit_step_inputs(run_id, step_id, inputs, by=caller().name)
    return _repaired(run_id)


@bp.patch("/<run_id>/variables")
@uses(VariablesIn)
@roles("admin", "ops")
def edit_variables(run_id: str) -> Any:
    """Change variables of a run in error before retrying it (checked against their declarations)."""
    values = body(VariablesIn())["values"]
    with audited("run.variables_edited", "run", run_id, state=variables_state(sorted(values))):
        engine().edit_variables(run_id, values, by=caller().name)
    return _repaired(run_id)


@bp.post("/<run_id>/steps/<step_id>/skip")
@uses(SkipIn, optional=True)
@roles("admin", "ops")
def skip_step(run_id: str, step_id: str) -> Any:
    """End the failed step as if it completed with ``outcome``; the run goes on (``retry`` says how)."""
    outcome = optional_body(SkipIn())["outcome"]
    with audited("run.step_skipped", "run", run_id, after={"step": step_id, "outcome": outcome}):
        result = engine().skip_step(run_id, step_id, outcome=outcome, by=caller().name)
    return _repaired(run_id, result)
