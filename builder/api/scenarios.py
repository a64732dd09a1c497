"""Scenario tests of an orchestration: list, save, delete, run and generate them
(runtime/testing/SCENARIOS.md, "In the builder").

Admins and ops read them; only admins change or run them. Running tests plays the
stored scenarios on the runner's in-memory engine against the draft, the active
version or a version number: the database is only read.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, jsonify
from marshmallow import ValidationError, fields, validate
from sqlalchemy.orm import Session

from builder import audit, scenarios
from builder.auth import caller, roles
from builder.extensions import db, engine
from builder.queries import reading
from builder.requests import MAX_INT32, Bool, Int, StrictSchema, body, no_content, optional_body, uses
from builder.tables import ScenarioRow
from runtime.errors import InvalidInput
from runtime.testing.trial import MAX_STEPS as MAX_TRIAL_STEPS

bp = Blueprint("scenarios", __name__, url_prefix="/api/orchestrations/<key>")


def _target(value: Any) -> None:
    if value in ("draft", "active"):
        return
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT32:
        return
    raise ValidationError('must be "draft", "active" or a version number')


def _target_field() -> fields.Raw:
    return fields.Raw(
        load_default="draft", validate=_target, metadata={"description": '"draft" (the default), "active" or a version number'}
    )


class ScenarioIn(StrictSchema):
    source = fields.String(required=True, metadata={"description": "the scenario file, YAML (at most 256 KiB)"})


class RunTestsIn(StrictSchema):
    target = _target_field()
    names = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        load_default=None,
        validate=validate.Length(min=1, max=scenarios.MAX_SCENARIOS),
        metadata={"description": "only these stored scenarios (default: all of them)"},
    )


class TestRunIn(StrictSchema):
    source = _target_field()
    steps = fields.List(
        fields.Dict(keys=fields.String()),
        load_default=list,
        validate=validate.Length(max=MAX_TRIAL_STEPS),
        metadata={"description": "scenario steps (runtime/testing/SCENARIOS.md) to replay, in order"},
    )
    personas = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Dict(keys=fields.String()),
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "personas to add to those of the document's assignees"},
    )
    name = fields.String(
        load_default="Test run",
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the name of the scenario the steps make"},
    )


class GenerateIn(StrictSchema):
    target = _target_field()
    max_visits = Int(
        load_default=2, validate=validate.Range(min=1, max=5), metadata={"description": "how many visits of a stage a loop may make"}
    )
    save = Bool(load_default=False, metadata={"description": "also store them (replacing earlier generated ones of the same name)"})


def _document(key: str, target: str | int) -> dict[str, Any]:
    with reading() as s:
        return scenarios.target_document(s, key, target, actions=engine().actions)


@bp.get("/scenarios")
@roles("admin", "ops")
def list_scenarios(key: str) -> Any:
    """The orchestration's stored scenarios, by name."""
    with reading() as s:
        scenarios.check_orchestration(s, key)
        return jsonify({"items": [scenarios.item(row) for row in scenarios.list_scenarios(s, key)]})


def _source(s: Session, key: str, name: str) -> str | None:
    row = s.get(ScenarioRow, (key, name))
    return row.source if row is not None else None


#: A scenario up to this size is kept whole in its audit entries; a longer one by its size and digest.
AUDIT_WHOLE = 10_000


def _kept(source: str | None) -> dict[str, Any] | None:
    if source is None:
        return None
    if len(source) <= AUDIT_WHOLE:
        return {"source": source}
    return {"lines": len(source.splitlines()), "sha256": hashlib.sha256(source.encode()).hexdigest()}


def _saved(s: Session, key: str, name: str, source: str) -> None:
    """Audit a scenario about to be saved in ``s`` (a save that changes nothing is no change)."""
    old = _source(s, key, name)
    if old != source:
        audit.record(s, "scenario.saved", "scenario", f"{key}/{name}", label=name, before=_kept(old), after=_kept(source))


@bp.put("/scenarios/<name>")
@uses(ScenarioIn)
@roles("admin")
def save_scenario(key: str, name: str) -> Any:
    """Create or replace a scenario (422 with ``details.problems`` for a bad file)."""
    data = body(ScenarioIn())
    with db().begin() as s:
        scenarios.check_orchestration(s, key)
        _saved(s, key, name, data["source"])
        row = scenarios.save_scenario(s, key, name, data["source"], by=caller().name)
        return jsonify(scenarios.item(row))


@bp.delete("/scenarios/<name>")
@uses(empty=True)
@roles("admin")
def delete_scenario(key: str, name: str) -> Any:
    """Delete a stored scenario."""
    with db().begin() as s:
        scenarios.check_orchestration(s, key)
        source = _source(s, key, name)
        scenarios.delete_scenario(s, key, name)
        audit.record(s, "scenario.deleted", "scenario", f"{key}/{name}", label=name, before=_kept(source))
    return no_content()


@bp.post("/tests")
@uses(RunTestsIn, optional=True)
@roles("admin")
def run_tests(key: str) -> Any:
    """Run the stored scenarios (or ``names``) against the draft, the active version or a version."""
    data = optional_body(RunTestsIn())
    document = _document(key, data["target"])
    with reading() as s:
        stored = [scenarios.Stored(row.name, row.source) for row in scenarios.list_scenarios(s, key, data["names"])]
    if len(stored) > scenarios.MAX_SCENARIOS:  # saved at the same moment as others, past the cap
        raise InvalidInput(f"orchestration {key} has {len(stored)} scenarios; run at most {scenarios.MAX_SCENARIOS} at a time (send names)")
    report = scenarios.run_tests(key, document, stored, documents=scenarios.database_documents(reading))
    return jsonify({"target": data["target"], **report})


@bp.post("/scenarios/generate")
@uses(GenerateIn, optional=True)
@roles("admin")
def generate_scenarios(key: str) -> Any:
    """Write a scenario for each path through the orchestration; ``save`` stores them too."""
    data = optional_body(GenerateIn())
    items = scenarios.generate(_document(key, data["target"]), max_visits=data["max_visits"])
    if data["save"]:
        with db().begin() as s:
            for generated in items:
                _saved(s, key, generated["name"], generated["source"])
                scenarios.save_scenario(s, key, generated["name"], generated["source"], by=caller().name)
    return jsonify({"items": items})


@bp.post("/test-run")
@uses(TestRunIn, optional=True)
@roles("admin")
def test_run(key: str) -> Any:
    """Replay ``steps`` on a fresh in-memory engine running the draft (or a version) and
    give the state after the last one; nothing is stored. A step that cannot be applied
    is a 422 whose ``details`` name its index (``step``), ``kind`` and, for a background
    action without an answer, ``unanswered: {step, action}``."""
    data = optional_body(TestRunIn())
    document = _document(key, data["source"])
    with reading() as s:
        types = scenarios.defined_record_types(s)
    trial = scenarios.test_run(
        document,
        data["steps"],
        name=data["name"],
        personas=data["personas"],
        record_types=types,
        documents=scenarios.database_documents(reading),
    )
    return jsonify({"source": data["source"], **trial})
