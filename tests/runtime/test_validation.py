"""runtime.document: every rule of FORMAT.md, one mutation of a valid document each."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from runtime import document as document_module
from runtime.actions import Action, ActionField, ActionRegistry
from runtime.document import Checked, check, validate
from runtime.errors import ValidationIssue
from runtime.templates import RECORD_TYPES, TEMPLATES, load


def approve_reject() -> list[dict[str, str]]:
    return [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]


def contract_approval() -> dict[str, Any]:
    """A valid document: legal → size → (vp) → finance → done, with a reject loop back to legal."""
    return {
        "format": 1,
        "key": "contract_approval",
        "label": "Contract approval",
        "description": "Legal, then a VP for big deals, then finance.",
        "trigger": {"type": "record", "object": "contract", "on": ["create", "update"], "condition": "record.status == 'submitted'"},
        "inputs": [{"name": "amount", "type": "number", "required": True, "label": "Amount"}],
        "variables": [{"name": "approved", "type": "boolean", "default": False}, {"name": "paid_at", "type": "datetime"}],
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "legal",
                "type": "stage",
                "label": "Legal review",
                "entry": None,
                "exit": {"when": "all_steps"},
                "ui": {"x": 0, "y": 0, "width": 320, "height": 200},
            },
            {
                "id": "review",
                "type": "interactive",
                "stage": "legal",
                "label": "Review contract",
                "start": {"when": "stage_start"},
                "assignee": {"type": "group", "value": "legal"},
                "form": {
                    "fields": [
                        {"name": "notes", "type": "textarea", "label": "Notes", "required": False},
                        {"name": "risk", "type": "select", "label": "Risk", "options": ["low", "high"], "default": "low"},
                    ],
                    "outcomes": approve_reject(),
                },
                "due": "P2D",
                "escalation": {"after": "PT4H", "action": "reassign", "to": {"type": "expression", "value": "record.owner"}},
                # Its outcome is read here, or a rejected contract would go on as an approved one.
                "set": {"approved": "steps.review.outcome == 'approve'"},
            },
            {
                "id": "size",
                "type": "decision",
                "label": "Deal size",
                "outcomes": [{"id": "big", "label": "Over $50k", "condition": "inputs.amount >= 50000"}],
            },
            {
                "id": "vp",
                "type": "stage",
                "label": "VP approval",
                "exit": {"when": "condition", "condition": "steps.sign.status == 'completed'"},
            },
            {
                "id": "sign",
                "type": "interactive",
                "stage": "vp",
                "label": "Sign",
                "assignee": {"type": "group", "value": "vps"},
                "form": {"outcomes": approve_reject()},
                "approval": {
                    "policy": "all",
                    "approvers": [{"type": "user", "value": "alice"}, {"type": "user", "value": "bob"}],
                    "approve_outcome": "approve",
                },
                "set": {"approved": "steps.sign.outcome == 'approve'"},
            },
            {"id": "finance", "type": "stage", "label": "Finance", "entry": {"condition": "vars.approved || inputs.amount < 50000"}},
            {
                "id": "notify",
                "type": "background",
                "stage": "finance",
                "label": "Notify finance",
                "action": "notify",
                "inputs": {"to": "'finance'", "subject": "'Contract ' + record.id"},
                "retry": {"max_attempts": 5, "backoff": "PT10S", "multiplier": 2, "max_backoff": "PT10M"},
            },
            {
                "id": "cooldown",
                "type": "wait",
                "stage": "finance",
                "label": "Cooling-off period",
                "start": {"when": "after", "steps": ["notify"]},
                "timer": {"duration": "P1D"},
            },
            {
                "id": "payment",
                "type": "wait",
                "stage": "finance",
                "label": "Payment received",
                "event": {"name": "payment_received", "correlation": "record.id", "buffer": True},
                "set": {"paid_at": "event.payload.paid_at"},
            },
            {
                "id": "finance_review",
                "type": "interactive",
                "stage": "finance",
                "label": "Finance review",
                "start": {"when": "after", "steps": ["cooldown", "payment"]},
                "assignee": {"type": "queue", "value": "finance"},
                "form": {"outcomes": approve_reject()},
            },
            {
                "id": "finance_ok",
                "type": "decision",
                "label": "Finance approved?",
                "outcomes": [{"id": "rejected", "label": "Rejected", "condition": "steps.finance_review.outcome == 'reject'"}],
            },
            {"id": "done", "type": "end", "label": "Done"},
            {"id": "failed", "type": "end", "label": "Failed"},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "legal"},
            {"id": "e2", "source": "legal", "target": "size"},
            {"id": "e3", "source": "size", "target": "vp", "outcome": "big"},
            {"id": "e4", "source": "size", "target": "finance", "outcome": "default"},
            {"id": "e5", "source": "vp", "target": "finance"},
            {"id": "e6", "source": "finance", "target": "finance_ok"},
            {"id": "e7", "source": "finance_ok", "target": "legal", "outcome": "rejected", "label": "Back to legal"},
            {"id": "e8", "source": "finance_ok", "target": "done", "outcome": "default"},
            {"id": "e9", "source": "finance", "target": "failed", "kind": "error"},
        ],
    }


# --------------------------------------------------------------------------- helpers


def node(doc: dict, node_id: str) -> dict:
    return next(n for n in doc["nodes"] if n.get("id") == node_id)


def edge(doc: dict, edge_id: str) -> dict:
    return next(e for e in doc["edges"] if e.get("id") == edge_id)


def drop_node(doc: dict, node_id: str) -> None:
    doc["nodes"].remove(node(doc, node_id))


def drop_edge(doc: dict, edge_id: str) -> None:
    doc["edges"].remove(edge(doc, edge_id))


def add_stage(doc: dict, stage_id: str, *, with_step: bool = True) -> None:
    doc["nodes"].append({"id": stage_id, "type": "stage", "label": stage_id.title()})
    if with_step:
        doc["nodes"].append(
            {
                "id": f"{stage_id}_task",
                "type": "interactive",
                "stage": stage_id,
                "label": "Task",
                "assignee": {"type": "user", "value": "ann"},
                "form": {"outcomes": [{"value": "done"}]},
            }
        )


def add_edge(doc: dict, edge_id: str, source: str, target: str, **extra: Any) -> None:
    doc["edges"].append({"id": edge_id, "source": source, "target": target, **extra})


def errors_of(issues: list[ValidationIssue]) -> list[ValidationIssue]:
    return [i for i in issues if i.severity == "error"]


@dataclass(frozen=True)
class Expect:
    node: str | None
    field: str
    fragment: str
    edge: str | None = None
    errors: int | None = 1  # how many errors in all: one mistake, one issue
    column: int | None = None
    severity: str = "error"


def case(name: str, mutate: Callable[[dict], Any], node_id: str | None, field: str, fragment: str, **kwargs: Any) -> Any:
    return pytest.param(mutate, Expect(node_id, field, fragment, **kwargs), id=name)


def assert_issue(mutate: Callable[[dict], Any], expected: Expect) -> ValidationIssue:
    doc = contract_approval()
    mutate(doc)
    issues = validate(doc)
    matches = [
        i for i in issues if (i.node, i.edge, i.field) == (expected.node, expected.edge, expected.field) and expected.fragment in i.message
    ]
    assert matches, f"expected {expected}, got:\n" + "\n".join(map(str, issues))
    found = matches[0]
    assert found.severity == expected.severity
    if expected.column is not None:
        assert found.column == expected.column
    if expected.errors is not None:
        assert len(errors_of(issues)) == expected.errors, "\n".join(map(str, issues))
    return found


# --------------------------------------------------------------------------- the fixture


def test_contract_approval_is_valid():
    checked = check(contract_approval())
    assert checked.issues == []
    assert checked.ok


def test_validate_returns_the_issues_of_check():
    doc = contract_approval()
    doc["format"] = 2
    assert validate(doc) == check(doc).issues


def test_compiled_decision_condition_is_kept():
    checked = check(contract_approval())
    expression = checked.expressions[("size", "outcomes[0].condition")]
    assert expression.source == "inputs.amount >= 50000"
    assert expression.evaluate({"inputs": {"amount": 60000}}) is True
    assert checked.expressions[(None, "trigger.condition")].source == "record.status == 'submitted'"
    assert ("payment", "event.correlation") in checked.expressions
    assert ("notify", "inputs.subject") in checked.expressions
    assert ("review", "escalation.to.value") in checked.expressions


def test_expressions_are_keyed_like_issues():
    doc = contract_approval()
    node(doc, "size")["outcomes"][0]["condition"] = "inputs.amont >= 1"
    checked = check(doc)
    [issue] = checked.issues
    assert (issue.node, issue.field) in checked.expressions


def test_default_registry_is_built_once():
    assert document_module._builtin_actions() is document_module._builtin_actions()


# --------------------------------------------------------------------------- top level

TOP_LEVEL = [
    case("format-2", lambda d: d.update(format=2), None, "format", "must be 1"),
    case("format-string", lambda d: d.update(format="1"), None, "format", "must be an integer"),
    case("format-missing", lambda d: d.pop("format"), None, "format", "is required"),
    case("key-upper-case", lambda d: d.update(key="Contract"), None, "key", "lower-case identifier"),
    case("label-empty", lambda d: d.update(label=""), None, "label", "must not be empty"),
    case("label-too-long", lambda d: d.update(label="x" * 201), None, "label", "at most 200"),
    case("unknown-top-field", lambda d: d.update(owner="ann"), None, "owner", "unknown field"),
    case("ui-not-an-object", lambda d: d.update(ui=[1]), None, "ui", "must be an object"),
    case("trigger-type", lambda d: d.update(trigger={"type": "cron"}), None, "trigger.type", "must be one of: manual, record"),
    case("trigger-manual-extra", lambda d: d.update(trigger={"type": "manual", "object": "x"}), None, "trigger.object", "unknown field"),
    case("trigger-object-missing", lambda d: d["trigger"].pop("object"), None, "trigger.object", "is required"),
    case("trigger-on-empty", lambda d: d["trigger"].update(on=[]), None, "trigger.on", "must not be empty"),
    case("trigger-on-delete", lambda d: d["trigger"].update(on=["delete"]), None, "trigger.on[0]", "must be one of: create, update"),
    case("trigger-on-twice", lambda d: d["trigger"].update(on=["create", "create"]), None, "trigger.on", "more than once"),
    case(
        "trigger-condition-scope",
        lambda d: d["trigger"].update(condition="inputs.amount > 1"),
        None,
        "trigger.condition",
        "only record and now",
    ),
    case(
        "trigger-condition-syntax",
        lambda d: d["trigger"].update(condition="record.status =="),
        None,
        "trigger.condition",
        "syntax",
        column=17,
    ),
    case("inputs-not-a-list", lambda d: d.update(inputs={"amount": "number"}), None, "inputs", "must be a list"),
    case("input-type", lambda d: d["inputs"][0].update(type="money"), None, "inputs[0].type", "must be one of: string, number, integer"),
    case("input-name", lambda d: d["inputs"][0].update(name="2x"), None, "inputs[0].name", "must be an identifier"),
    case("input-unknown-field", lambda d: d["inputs"][0].update(min=1), None, "inputs[0].min", "unknown field"),
    case(
        "input-duplicate",
        lambda d: d["inputs"].append({"name": "amount", "type": "integer"}),
        None,
        "inputs[1].name",
        "duplicate input name 'amount'",
    ),
    case("input-default-type", lambda d: d["inputs"][0].update(default="lots"), None, "inputs[0].default", "must be a number"),
    case("input-default-null", lambda d: d["inputs"][0].update(default=None), None, "inputs[0].default", "must be a number"),
    case("input-required-not-bool", lambda d: d["inputs"][0].update(required="yes"), None, "inputs[0].required", "true or false"),
    case("variable-default-type", lambda d: d["variables"][0].update(default="yes"), None, "variables[0].default", "must be true or false"),
    case("variable-required", lambda d: d["variables"][0].update(required=True), None, "variables[0].required", "unknown field"),
    case(
        "variable-duplicate",
        lambda d: d["variables"].append({"name": "approved", "type": "string"}),
        None,
        "variables[2].name",
        "duplicate variable name",
    ),
    case(
        "variable-date-default",
        lambda d: d["variables"].append({"name": "due_on", "type": "date", "default": "2024-02-30"}),
        None,
        "variables[2].default",
        "YYYY-MM-DD",
    ),
    case("nodes-missing", lambda d: d.pop("nodes"), None, "nodes", "is required"),
    case("nodes-not-a-list", lambda d: d.update(nodes={"start": {}}), None, "nodes", "must be a list of nodes"),
    case("edges-not-a-list", lambda d: d.update(edges="e1"), None, "edges", "must be a list of edges"),
]


@pytest.mark.parametrize(("mutate", "expected"), TOP_LEVEL)
def test_top_level(mutate, expected):
    assert_issue(mutate, expected)


def test_variable_default_may_be_null():
    doc = contract_approval()
    doc["variables"][0]["default"] = None
    assert validate(doc) == []


# --------------------------------------------------------------------------- nodes: structure and counts


def _second_start(d):
    d["nodes"].append({"id": "start2", "type": "start"})
    add_edge(d, "e10", "start2", "legal")


def _no_start(d):
    drop_node(d, "start")
    drop_edge(d, "e1")


def _no_end(d):
    for end in ("done", "failed"):
        drop_node(d, end)
    drop_edge(d, "e9")
    edge(d, "e8").update(target="legal")


NODES = [
    case("node-not-an-object", lambda d: d["nodes"].append(7), None, "nodes[14]", "must be an object"),
    case("node-id-missing", lambda d: d["nodes"][1].pop("id"), None, "nodes[1].id", "is required"),
    case("node-id-invalid", lambda d: node(d, "legal").update(id="legal review"), None, "nodes[1].id", "must be an identifier"),
    case("node-id-duplicate", lambda d: d["nodes"].append({"id": "done", "type": "end"}), None, "nodes[14].id", "duplicate node id 'done'"),
    case(
        "node-type-unknown", lambda d: node(d, "review").update(type="task"), "review", "type", "must be one of: start, stage, interactive"
    ),
    case("node-type-missing", lambda d: node(d, "review").pop("type"), "review", "type", "is required"),
    case("node-unknown-field", lambda d: node(d, "legal").update(color="red"), "legal", "color", "unknown field"),
    case("node-label-not-string", lambda d: node(d, "done").update(label=5), "done", "label", "must be a string"),
    case("stage-label-missing", lambda d: node(d, "legal").pop("label"), "legal", "label", "is required"),
    case("step-label-missing", lambda d: node(d, "notify").pop("label"), "notify", "label", "is required"),
    case("second-start", _second_start, "start2", "type", "second start node"),
    case("no-start", _no_start, None, "nodes", "needs a start node"),
    case("no-end", _no_end, None, "nodes", "at least one end", errors=None),
    case("start-unknown-field", lambda d: node(d, "start").update(stage="legal"), "start", "stage", "unknown field"),
]


@pytest.mark.parametrize(("mutate", "expected"), NODES)
def test_nodes(mutate, expected):
    assert_issue(mutate, expected)


# --------------------------------------------------------------------------- edges and graph


def _unreachable_stage(d):
    add_stage(d, "limbo")
    add_edge(d, "e10", "limbo", "done")


def _stage_cycle(d):
    add_stage(d, "rework")
    edge(d, "e9").update(target="rework")
    add_edge(d, "e10", "rework", "finance")
    drop_node(d, "failed")


def _lost_default_edge(d):
    drop_edge(d, "e8")


GRAPH = [
    case("edge-unknown-field", lambda d: edge(d, "e1").update(weight=1), None, "weight", "unknown field", edge="e1"),
    case("edge-id-missing", lambda d: d["edges"][0].pop("id"), None, "edges[0].id", "is required"),
    case("edge-id-duplicate", lambda d: edge(d, "e9").update(id="e8"), None, "edges[8].id", "duplicate edge id 'e8'"),
    case("edge-source-missing", lambda d: edge(d, "e2").pop("source"), None, "source", "is required", edge="e2"),
    case("edge-unknown-target", lambda d: edge(d, "e8").update(target="dne"), None, "target", "there is no node 'dne'", edge="e8"),
    case("edge-unknown-source", lambda d: edge(d, "e5").update(source="pv"), None, "source", "there is no node 'pv'", edge="e5"),
    case("edge-to-start", lambda d: edge(d, "e8").update(target="start"), None, "target", "cannot lead to the start node", edge="e8"),
    case("edge-to-step", lambda d: edge(d, "e8").update(target="review"), None, "target", "'review' is a step", edge="e8"),
    case("edge-from-step", lambda d: edge(d, "e9").update(source="notify"), None, "source", "steps have no edges", edge="e9"),
    case("edge-from-end", lambda d: add_edge(d, "e10", "done", "legal"), None, "source", "an end has no outgoing edge", edge="e10"),
    case("start-two-edges", lambda d: add_edge(d, "e10", "start", "vp"), None, "source", "already has an outgoing edge (e1)", edge="e10"),
    case("start-no-edge", lambda d: drop_edge(d, "e1"), "start", "", "exactly one outgoing edge"),
    case("stage-two-edges", lambda d: add_edge(d, "e10", "legal", "vp"), None, "source", "already has an outgoing edge (e2)", edge="e10"),
    case("stage-no-edge", lambda d: drop_edge(d, "e5"), "vp", "", "needs one outgoing edge"),
    case("stage-only-error-edge", lambda d: drop_edge(d, "e6"), "finance", "", "besides an error edge", errors=None),
    case(
        "stage-two-error-edges",
        lambda d: add_edge(d, "e10", "finance", "done", kind="error"),
        None,
        "kind",
        "already has an error edge (e9)",
        edge="e10",
    ),
    case("kind-invalid", lambda d: edge(d, "e9").update(kind="fault"), None, "kind", "must be one of: error", edge="e9"),
    case("kind-on-decision-edge", lambda d: edge(d, "e8").update(kind="error"), None, "kind", "only edges leaving a stage", edge="e8"),
    case(
        "outcome-on-stage-edge", lambda d: edge(d, "e2").update(outcome="big"), None, "outcome", "only edges leaving a decision", edge="e2"
    ),
    case(
        "outcome-missing",
        lambda d: edge(d, "e8").pop("outcome"),
        None,
        "outcome",
        "is required on an edge leaving decision 'finance_ok'",
        edge="e8",
    ),
    case("outcome-unknown", lambda d: edge(d, "e7").update(outcome="refused"), None, "outcome", "has no outcome 'refused'", edge="e7"),
    case(
        "outcome-twice",
        lambda d: add_edge(d, "e10", "size", "finance", outcome="big"),
        None,
        "outcome",
        "already has an edge (e3)",
        edge="e10",
    ),
    case(
        "outcome-without-edge",
        lambda d: node(d, "size")["outcomes"].append({"id": "huge", "condition": "inputs.amount > 1000000"}),
        "size",
        "outcomes[1]",
        "outcome 'huge' has no edge",
    ),
    case("default-without-edge", _lost_default_edge, "finance_ok", "outcomes", "default outcome has no edge"),
    case("end-unreachable", lambda d: d["nodes"].append({"id": "orphan", "type": "end"}), "orphan", "", "not reachable from start"),
    case("stage-unreachable", _unreachable_stage, "limbo", "", "not reachable from start"),
    case("stage-cycle", _stage_cycle, "finance", "", "cycle that passes through no decision: finance → rework → finance"),
    case("stage-self-loop", lambda d: edge(d, "e5").update(target="vp"), "vp", "", "vp → vp"),
]


@pytest.mark.parametrize(("mutate", "expected"), GRAPH)
def test_graph(mutate, expected):
    assert_issue(mutate, expected)


def test_a_loop_through_a_decision_is_fine():
    doc = contract_approval()  # finance_ok sends rejected contracts back to legal
    assert edge(doc, "e7")["target"] == "legal"
    assert errors_of(validate(doc)) == []


def test_a_missing_node_id_does_not_cascade_into_edges():
    doc = contract_approval()
    node(doc, "legal").pop("id")
    issues = validate(doc)
    assert [(i.node, i.field) for i in issues] == [(None, "nodes[1].id")]


# --------------------------------------------------------------------------- decisions


DECISIONS = [
    case(
        "decision-default-declared",
        lambda d: node(d, "size")["outcomes"].append({"id": "default", "condition": "true"}),
        "size",
        "outcomes[1].id",
        "`default` is implicit",
    ),
    case(
        "decision-outcome-twice",
        lambda d: node(d, "size")["outcomes"].append({"id": "big", "condition": "true"}),
        "size",
        "outcomes[1].id",
        "duplicate outcome id 'big'",
    ),
    case(
        "decision-condition-missing",
        lambda d: node(d, "size")["outcomes"][0].pop("condition"),
        "size",
        "outcomes[0].condition",
        "is required",
    ),
    case(
        "decision-condition-syntax",
        lambda d: node(d, "size")["outcomes"][0].update(condition="inputs.amount >= "),
        "size",
        "outcomes[0].condition",
        "syntax",
        column=18,
    ),
    case(
        "decision-outcome-id",
        lambda d: node(d, "size")["outcomes"][0].update(id="big deal"),
        "size",
        "outcomes[0].id",
        "must be an identifier",
    ),
    case("decision-outcomes-not-list", lambda d: node(d, "size").update(outcomes={"big": "true"}), "size", "outcomes", "must be a list"),
    case(
        "decision-outcome-unknown-field",
        lambda d: node(d, "size")["outcomes"][0].update(priority=1),
        "size",
        "outcomes[0].priority",
        "unknown field",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), DECISIONS)
def test_decisions(mutate, expected):
    assert_issue(mutate, expected)


# --------------------------------------------------------------------------- stages and steps


STAGES_AND_STEPS = [
    case(
        "stage-exit-when", lambda d: node(d, "vp").update(exit={"when": "never"}), "vp", "exit.when", "must be one of: all_steps, condition"
    ),
    case("stage-exit-condition-missing", lambda d: node(d, "vp").update(exit={"when": "condition"}), "vp", "exit.condition", "is required"),
    case(
        "stage-exit-all-steps-extra",
        lambda d: node(d, "legal").update(exit={"when": "all_steps", "condition": "true"}),
        "legal",
        "exit.condition",
        "unknown field",
    ),
    case("stage-exit-null", lambda d: node(d, "legal").update(exit=None), "legal", "exit", "must not be null"),
    case(
        "stage-entry-syntax",
        lambda d: node(d, "finance").update(entry={"condition": "vars.approved ||"}),
        "finance",
        "entry.condition",
        "syntax",
        column=17,
    ),
    case("stage-entry-not-object", lambda d: node(d, "finance").update(entry="vars.approved"), "finance", "entry", "must be an object"),
    case("step-stage-missing", lambda d: node(d, "review").pop("stage"), "review", "stage", "is required"),
    case("step-stage-unknown", lambda d: node(d, "review").update(stage="lgal"), "review", "stage", "there is no stage 'lgal'"),
    case(
        "step-stage-not-a-stage",
        lambda d: node(d, "review").update(stage="size"),
        "review",
        "stage",
        "'size' is a decision node, not a stage",
    ),
    case(
        "step-start-when",
        lambda d: node(d, "review").update(start={"when": "later"}),
        "review",
        "start.when",
        "must be one of: stage_start, after, condition",
    ),
    case(
        "step-start-extra", lambda d: node(d, "cooldown")["start"].update(condition="true"), "cooldown", "start.condition", "unknown field"
    ),
    case("after-empty", lambda d: node(d, "cooldown")["start"].update(steps=[]), "cooldown", "start.steps", "at least one step"),
    case(
        "after-unknown",
        lambda d: node(d, "cooldown")["start"].update(steps=["notfy"]),
        "cooldown",
        "start.steps[0]",
        "there is no step 'notfy'",
    ),
    case(
        "after-itself",
        lambda d: node(d, "cooldown")["start"].update(steps=["cooldown"]),
        "cooldown",
        "start.steps[0]",
        "cannot start after itself",
    ),
    case(
        "after-other-stage",
        lambda d: node(d, "cooldown")["start"].update(steps=["review"]),
        "cooldown",
        "start.steps[0]",
        "step of stage 'legal'",
    ),
    case(
        "after-not-a-step",
        lambda d: node(d, "cooldown")["start"].update(steps=["finance"]),
        "cooldown",
        "start.steps[0]",
        "'finance' is a stage node, not a step",
    ),
    case(
        "after-an-end",
        lambda d: node(d, "cooldown")["start"].update(steps=["done"]),
        "cooldown",
        "start.steps[0]",
        "'done' is an end node, not a step",
    ),
    case(
        "after-twice",
        lambda d: node(d, "cooldown")["start"].update(steps=["notify", "notify"]),
        "cooldown",
        "start.steps[1]",
        "more than once",
    ),
    case(
        "after-cycle",
        lambda d: node(d, "notify").update(start={"when": "after", "steps": ["finance_review"]}),
        "notify",
        "start.steps",
        "cycle, so none of them can start: notify → finance_review → cooldown → notify",
    ),
    case(
        "start-condition-syntax",
        lambda d: node(d, "review").update(start={"when": "condition", "condition": "record.("}),
        "review",
        "start.condition",
        "syntax",
        column=8,
    ),
    case(
        "set-undeclared",
        lambda d: node(d, "sign").update(set={"aproved": "true"}),
        "sign",
        "set.aproved",
        "no variable 'aproved' is declared",
    ),
    case("set-bad-name", lambda d: node(d, "sign").update(set={"1x": "true"}), "sign", "set['1x']", "must be an identifier"),
    case("set-not-a-string", lambda d: node(d, "sign").update(set={"approved": True}), "sign", "set.approved", "must be a CEL expression"),
    case("set-not-an-object", lambda d: node(d, "sign").update(set=["approved"]), "sign", "set", "must be an object"),
]


@pytest.mark.parametrize(("mutate", "expected"), STAGES_AND_STEPS)
def test_stages_and_steps(mutate, expected):
    assert_issue(mutate, expected)


# --------------------------------------------------------------------------- interactive steps


def _quorum(quorum: int | None):
    def mutate(d):
        approval = node(d, "sign")["approval"]
        approval["policy"] = "quorum"
        if quorum is not None:
            approval["quorum"] = quorum

    return mutate


INTERACTIVE = [
    case("assignee-missing", lambda d: node(d, "review").pop("assignee"), "review", "assignee", "is required"),
    case(
        "assignee-type",
        lambda d: node(d, "review").update(assignee={"type": "role", "value": "x"}),
        "review",
        "assignee.type",
        "must be one of: user, group, queue, expression",
    ),
    case(
        "assignee-value-empty",
        lambda d: node(d, "review").update(assignee={"type": "user", "value": ""}),
        "review",
        "assignee.value",
        "must not be empty",
    ),
    case(
        "assignee-expression-syntax",
        lambda d: node(d, "review").update(assignee={"type": "expression", "value": "record.owner +"}),
        "review",
        "assignee.value",
        "syntax",
        column=15,
    ),
    case(
        "assignee-expression-root",
        lambda d: node(d, "review").update(assignee={"type": "expression", "value": "owner"}),
        "review",
        "assignee.value",
        "unknown name `owner`",
    ),
    case("form-missing", lambda d: node(d, "sign").pop("form"), "sign", "form", "is required"),
    case("form-outcomes-empty", lambda d: node(d, "sign")["form"].update(outcomes=[]), "sign", "form.outcomes", "at least one outcome"),
    case(
        "form-outcome-twice",
        lambda d: node(d, "review")["form"]["outcomes"].append({"value": "approve"}),
        "review",
        "form.outcomes[2].value",
        "duplicate outcome 'approve'",
    ),
    case(
        "form-field-twice",
        lambda d: node(d, "review")["form"]["fields"].append({"name": "notes", "type": "text"}),
        "review",
        "form.fields[2].name",
        "duplicate field name 'notes'",
    ),
    case(
        "form-field-type",
        lambda d: node(d, "review")["form"]["fields"][0].update(type="richtext"),
        "review",
        "form.fields[0].type",
        "must be one of: text, textarea",
    ),
    case(
        "form-field-unknown-field",
        lambda d: node(d, "review")["form"]["fields"][0].update(placeholder="..."),
        "review",
        "form.fields[0].placeholder",
        "unknown field",
    ),
    case(
        "select-without-options",
        lambda d: node(d, "review")["form"]["fields"][1].pop("options"),
        "review",
        "form.fields[1].options",
        "is required for a select field",
    ),
    case(
        "options-on-text",
        lambda d: node(d, "review")["form"]["fields"][0].update(options=["a"]),
        "review",
        "form.fields[0].options",
        "only applies to select and multiselect",
    ),
    case(
        "options-twice",
        lambda d: node(d, "review")["form"]["fields"][1].update(options=["low", "low"]),
        "review",
        "form.fields[1].options",
        "more than once",
    ),
    case(
        "field-default-not-an-option",
        lambda d: node(d, "review")["form"]["fields"][1].update(default="medium"),
        "review",
        "form.fields[1].default",
        "must be one of: low, high",
    ),
    case("due-not-a-duration", lambda d: node(d, "review").update(due="2 days"), "review", "due", "ISO-8601 duration"),
    case("escalation-without-due", lambda d: node(d, "review").pop("due"), "review", "escalation", "needs `due`"),
    case(
        "escalation-after",
        lambda d: node(d, "review")["escalation"].update(after="soon"),
        "review",
        "escalation.after",
        "ISO-8601 duration",
    ),
    case(
        "escalation-action",
        lambda d: node(d, "review")["escalation"].update(action="email"),
        "review",
        "escalation.action",
        "must be one of: notify, reassign",
    ),
    case(
        "reassign-without-to",
        lambda d: node(d, "review")["escalation"].pop("to"),
        "review",
        "escalation.to",
        "is required when the action is reassign",
    ),
    case(
        "escalation-to-expression",
        lambda d: node(d, "review")["escalation"]["to"].update(value="record.manager.("),
        "review",
        "escalation.to.value",
        "syntax",
        column=16,
    ),
    case(
        "approval-policy",
        lambda d: node(d, "sign")["approval"].update(policy="majority"),
        "sign",
        "approval.policy",
        "must be one of: any, all, quorum",
    ),
    case("quorum-missing", _quorum(None), "sign", "approval.quorum", "is required when the policy is quorum"),
    case("quorum-too-big", _quorum(3), "sign", "approval.quorum", "between 1 and the number of approvers (2)"),
    case("quorum-zero", _quorum(0), "sign", "approval.quorum", "must be at least 1"),
    case(
        "quorum-without-quorum-policy",
        lambda d: node(d, "sign")["approval"].update(quorum=1),
        "sign",
        "approval.quorum",
        "only applies to the quorum policy",
    ),
    case("approvers-empty", lambda d: node(d, "sign")["approval"].update(approvers=[]), "sign", "approval.approvers", "must not be empty"),
    case(
        "approver-type",
        lambda d: node(d, "sign")["approval"]["approvers"][1].update(type="role"),
        "sign",
        "approval.approvers[1].type",
        "must be one of: user, group",
    ),
    case(
        "approver-expression",
        lambda d: node(d, "sign")["approval"]["approvers"].append({"type": "expression", "value": "record owner"}),
        "sign",
        "approval.approvers[2].value",
        "syntax",
        column=8,
    ),
    case(
        "approve-outcome-unknown",
        lambda d: node(d, "sign")["approval"].update(approve_outcome="ok"),
        "sign",
        "approval.approve_outcome",
        "must be one of the form outcomes: approve, reject",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), INTERACTIVE)
def test_interactive_steps(mutate, expected):
    assert_issue(mutate, expected)


def test_a_broken_step_stage_does_not_make_its_stage_look_empty():
    doc = contract_approval()
    node(doc, "review")["stage"] = "legal review"
    issues = validate(doc)
    assert [(i.node, i.field, i.severity) for i in issues] == [("review", "stage", "error")]


def test_a_broken_form_does_not_cascade_into_the_approval():
    doc = contract_approval()
    node(doc, "sign")["form"]["outcomes"] = "approve"
    issues = validate(doc)
    assert [(i.node, i.field) for i in issues] == [("sign", "form.outcomes")]


# --------------------------------------------------------------------------- background and wait steps


def _wait_until(d, condition):
    cooldown = node(d, "cooldown")
    del cooldown["timer"]
    cooldown["until"] = condition


BACKGROUND_AND_WAIT = [
    case("action-missing", lambda d: node(d, "notify").pop("action"), "notify", "action", "is required"),
    case(
        "action-unknown",
        lambda d: node(d, "notify").update(action="email.send"),
        "notify",
        "action",
        "no action 'email.send' is registered",
    ),
    case(
        "action-unknown-input",
        lambda d: node(d, "notify")["inputs"].update(cc="'x'"),
        "notify",
        "inputs.cc",
        "action notify has no input 'cc'",
    ),
    case(
        "action-required-input",
        lambda d: node(d, "notify")["inputs"].pop("subject"),
        "notify",
        "inputs",
        "misses the required input 'subject'",
    ),
    case(
        "action-input-syntax",
        lambda d: node(d, "notify")["inputs"].update(subject="'Contract ' +"),
        "notify",
        "inputs.subject",
        "syntax",
        column=14,
    ),
    case(
        "retry-max-attempts",
        lambda d: node(d, "notify")["retry"].update(max_attempts=0),
        "notify",
        "retry.max_attempts",
        "must be at least 1",
    ),
    case(
        "retry-max-attempts-float",
        lambda d: node(d, "notify")["retry"].update(max_attempts=2.5),
        "notify",
        "retry.max_attempts",
        "must be an integer",
    ),
    case("retry-backoff", lambda d: node(d, "notify")["retry"].update(backoff="10s"), "notify", "retry.backoff", "ISO-8601 duration"),
    case(
        "retry-max-backoff",
        lambda d: node(d, "notify")["retry"].update(max_backoff=3600),
        "notify",
        "retry.max_backoff",
        "ISO-8601 duration",
    ),
    case(
        "retry-multiplier", lambda d: node(d, "notify")["retry"].update(multiplier=0.5), "notify", "retry.multiplier", "must be at least 1"
    ),
    case("retry-unknown-field", lambda d: node(d, "notify")["retry"].update(jitter=True), "notify", "retry.jitter", "unknown field"),
    case("wait-nothing", lambda d: node(d, "cooldown").pop("timer"), "cooldown", "", "exactly one of: until, event, timer"),
    case("wait-two-things", lambda d: node(d, "cooldown").update(until="true"), "cooldown", "until", "conflicts with `timer`"),
    case("wait-until-syntax", lambda d: _wait_until(d, "now >"), "cooldown", "until", "syntax", column=6),
    case("wait-until-undeclared-variable", lambda d: _wait_until(d, "vars.paid"), "cooldown", "until", "no variable 'paid' is declared"),
    case("timer-empty", lambda d: node(d, "cooldown").update(timer={}), "cooldown", "timer", "needs exactly one of: duration, at"),
    case("timer-both", lambda d: node(d, "cooldown")["timer"].update(at="now"), "cooldown", "timer.at", "conflicts with `duration`"),
    case("timer-duration", lambda d: node(d, "cooldown")["timer"].update(duration="1d"), "cooldown", "timer.duration", "ISO-8601 duration"),
    # Durations so long that every run start would overflow its dates (they used to pass).
    case(
        "timer-9999-years",
        lambda d: node(d, "cooldown")["timer"].update(duration="P9999Y"),
        "cooldown",
        "timer.duration",
        "at most 100 years",
    ),
    case("due-2147483648-days", lambda d: node(d, "review").update(due="P2147483648D"), "review", "due", "at most 100 years"),
    case("backoff-101-years", lambda d: node(d, "notify")["retry"].update(backoff="P101Y"), "notify", "retry.backoff", "at most 100 years"),
    case(
        "escalation-huge-hours",
        lambda d: node(d, "review")["escalation"].update(after="PT9999999999H"),
        "review",
        "escalation.after",
        "at most 100 years",
    ),
    case("timer-at-syntax", lambda d: node(d, "cooldown").update(timer={"at": "now +"}), "cooldown", "timer.at", "syntax", column=6),
    case(
        "timer-at-undeclared-input",
        lambda d: node(d, "cooldown").update(timer={"at": "inputs.deadline"}),
        "cooldown",
        "timer.at",
        "no input 'deadline' is declared",
    ),
    case("event-name-missing", lambda d: node(d, "payment")["event"].pop("name"), "payment", "event.name", "is required"),
    case(
        "event-correlation-missing", lambda d: node(d, "payment")["event"].pop("correlation"), "payment", "event.correlation", "is required"
    ),
    case("event-buffer", lambda d: node(d, "payment")["event"].update(buffer="yes"), "payment", "event.buffer", "true or false"),
    case(
        "event-correlation-syntax",
        lambda d: node(d, "payment")["event"].update(correlation="record.id =="),
        "payment",
        "event.correlation",
        "syntax",
        column=13,
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), BACKGROUND_AND_WAIT)
def test_background_and_wait_steps(mutate, expected):
    assert_issue(mutate, expected)


def test_open_inputs_accept_any_name():
    doc = contract_approval()
    node(doc, "notify").update(action="vars.set", inputs={"approved": "true", "anything": "1"})
    assert validate(doc) == []


def test_actions_come_from_the_given_registry():
    registry = ActionRegistry([Action("crm.sync", lambda ctx, inputs: {}, inputs=(ActionField("account", "string", True),))])
    doc = contract_approval()
    node(doc, "notify").update(action="crm.sync", inputs={"account": "record.id"})
    assert validate(doc, actions=registry) == []
    [issue] = validate(doc)
    assert (issue.node, issue.field) == ("notify", "action")
    assert "'crm.sync'" in issue.message


def test_a_correlation_may_be_a_predicate_on_the_event():
    doc = contract_approval()
    node(doc, "payment")["event"]["correlation"] = "event.payload.contract == record.id"
    checked = check(doc)
    assert checked.issues == []
    assert checked.expressions[("payment", "event.correlation")].roots == {"event", "record"}


# --------------------------------------------------------------------------- expressions: names in scope


def _exit_condition(source: Any):
    return lambda d: node(d, "vp")["exit"].update(condition=source)


EXPRESSIONS = [
    case("unknown-root", _exit_condition("foo.bar == 1"), "vp", "exit.condition", "unknown name `foo`"),
    case(
        "undeclared-input",
        lambda d: node(d, "size")["outcomes"][0].update(condition="inputs.amt >= 1"),
        "size",
        "outcomes[0].condition",
        "`inputs.amt`: no input 'amt' is declared",
    ),
    case(
        "undeclared-variable",
        lambda d: node(d, "finance")["entry"].update(condition="vars.aproved"),
        "finance",
        "entry.condition",
        "`vars.aproved`: no variable 'aproved' is declared",
    ),
    case("unknown-step", _exit_condition("steps.sgn.status == 'completed'"), "vp", "exit.condition", "`steps.sgn`: there is no step 'sgn'"),
    case(
        "step-is-a-stage",
        _exit_condition("steps.legal.status == 'completed'"),
        "vp",
        "exit.condition",
        "'legal' is a stage node, not a step",
    ),
    case("unknown-stage", _exit_condition("stages.lgal.visits > 1"), "vp", "exit.condition", "`stages.lgal`: there is no stage 'lgal'"),
    case(
        "stage-is-a-step", _exit_condition("stages.sign.visits > 1"), "vp", "exit.condition", "'sign' is an interactive node, not a stage"
    ),
    case(
        "event-outside-wait",
        lambda d: node(d, "finance")["entry"].update(condition="event.name == 'x'"),
        "finance",
        "entry.condition",
        "`event` is only in scope",
    ),
    case(
        "event-in-set-of-timer-wait",
        lambda d: node(d, "cooldown").update(set={"approved": "event.payload.ok"}),
        "cooldown",
        "set.approved",
        "`event` is only in scope",
    ),
    case(
        "event-in-set-of-interactive",
        lambda d: node(d, "sign")["set"].update(approved="event.payload.ok"),
        "sign",
        "set.approved",
        "`event` is only in scope",
    ),
    case("expression-not-a-string", _exit_condition(42), "vp", "exit.condition", "must be a CEL expression"),
    case("expression-empty", _exit_condition("  "), "vp", "exit.condition", "must not be empty"),
]


@pytest.mark.parametrize(("mutate", "expected"), EXPRESSIONS)
def test_expressions(mutate, expected):
    assert_issue(mutate, expected)


def test_comprehension_variables_are_not_roots():
    doc = contract_approval()
    node(doc, "vp")["exit"]["condition"] = "record.items.all(item, item.approved)"
    assert validate(doc) == []


def test_every_scope_name_is_usable():
    doc = contract_approval()
    node(doc, "vp")["exit"]["condition"] = (
        "record.id != '' && inputs.amount > 0 && vars.approved && steps.sign.outcome == 'approve' "
        "&& stages.legal.visits > 0 && run.id != '' && now > timestamp('2024-01-01T00:00:00Z')"
    )
    assert validate(doc) == []


# --------------------------------------------------------------------------- warnings


def _stage_without_steps(d):
    add_stage(d, "archive", with_step=False)
    edge(d, "e8").update(target="archive")
    add_edge(d, "e10", "archive", "done")


def _no_outcomes(d):
    node(d, "finance_ok")["outcomes"] = []
    drop_edge(d, "e7")


def _endless_loop(d):
    add_stage(d, "limbo")
    d["nodes"].append({"id": "spin", "type": "decision", "label": "Spin"})
    edge(d, "e7").update(target="limbo")
    add_edge(d, "e10", "limbo", "spin")
    add_edge(d, "e11", "spin", "limbo", outcome="default")


WARNINGS = [
    case("stage-without-steps", _stage_without_steps, "archive", "", "has no steps", errors=0, severity="warning"),
    case(
        "decision-without-outcomes", _no_outcomes, "finance_ok", "outcomes", "always takes the default edge", errors=0, severity="warning"
    ),
    case("no-end-from-here", _endless_loop, "limbo", "", "no end can be reached from here", errors=0, severity="warning"),
]


@pytest.mark.parametrize(("mutate", "expected"), WARNINGS)
def test_warnings(mutate, expected):
    assert_issue(mutate, expected)


def test_warnings_do_not_block():
    doc = contract_approval()
    _stage_without_steps(doc)
    checked = check(doc)
    assert checked.issues and checked.ok


def test_a_condition_exit_with_stage_start_steps_is_not_warned():
    doc = contract_approval()
    node(doc, "finance")["exit"] = {"when": "condition", "condition": "steps.notify.status == 'completed'"}
    assert validate(doc) == []


# --------------------------------------------------------------------------- modelling traps


def _unread(doc: dict) -> dict:
    node(doc, "review").pop("set")
    return doc


def unread_outcome_warnings(doc: dict) -> list[ValidationIssue]:
    return [i for i in validate(doc) if "is never read" in i.message]


def test_an_outcome_nothing_reads_is_a_warning_on_its_step():
    issues = validate(_unread(contract_approval()))
    assert [(i.node, i.field, i.severity) for i in issues] == [("review", "form.outcomes[1].value", "warning")]
    message = issues[0].message
    assert "outcome 'reject' (Reject) is never read" in message
    assert "goes on exactly as after 'approve' (Approve)" in message
    assert "add a decision after stage 'legal' with the condition steps.review.outcome == 'reject'" in message
    assert check(_unread(contract_approval())).ok


@pytest.mark.parametrize(
    "reader",
    [
        lambda d: node(d, "legal").update(exit={"when": "condition", "condition": "steps.review.outcome == 'approve'"}),
        lambda d: node(d, "size")["outcomes"][0].update(condition="steps.review.outcome != 'approve'"),
        lambda d: node(d, "notify")["inputs"].update(subject="'Reviewed: ' + steps.review.outcome"),
        lambda d: node(d, "cooldown").update(start={"when": "condition", "condition": "has(steps.review.outcome)"}),
        lambda d: node(d, "notify")["inputs"].update(subject="string(steps.review)"),  # the whole step, outcome included
        lambda d: node(d, "notify")["inputs"].update(subject="string(steps['review'])"),  # the map by key: any step
    ],
    ids=["stage-exit", "decision", "action-input", "start-condition", "whole-step", "steps-by-key"],
)
def test_an_outcome_read_anywhere_is_not_warned(reader):
    doc = _unread(contract_approval())
    reader(doc)
    assert unread_outcome_warnings(doc) == []


def test_reading_the_status_or_outputs_is_not_reading_the_outcome():
    doc = _unread(contract_approval())
    node(doc, "legal")["exit"] = {
        "when": "condition",
        "condition": "steps.review.status == 'completed' && steps.review.outputs.risk == 'low'",
    }
    node(doc, "notify")["inputs"]["subject"] = "'review' + ' steps.review.outcome'"  # inside a string literal
    assert [i.node for i in unread_outcome_warnings(doc)] == ["review"]


def test_a_single_outcome_has_nothing_to_tell_apart():
    doc = _unread(contract_approval())
    node(doc, "review")["form"]["outcomes"] = [{"value": "done", "label": "Done"}]
    assert validate(doc) == []


def test_the_approval_outcome_is_the_one_the_others_are_compared_with():
    doc = contract_approval()
    node(doc, "sign").pop("set")
    node(doc, "sign")["form"]["outcomes"] = list(reversed(approve_reject()))
    issues = unread_outcome_warnings(doc)
    assert [(i.node, i.field) for i in issues] == [("sign", "form.outcomes[0].value")]
    assert "outcome 'reject' (Reject) is never read" in issues[0].message


def test_a_comparison_with_an_outcome_the_step_does_not_have_is_a_warning():
    doc = contract_approval()
    node(doc, "finance_ok")["outcomes"][0]["condition"] = "steps.finance_review.outcome == 'rejected'"
    issues = validate(doc)
    assert [(i.node, i.field, i.column, i.severity) for i in issues] == [("finance_ok", "outcomes[0].condition", 33, "warning")]
    assert "steps.finance_review.outcome is never 'rejected'" in issues[0].message
    assert "'approve', 'reject'" in issues[0].message


SERVICE_REQUEST: dict[str, list[dict[str, Any]]] = {
    "service_request": [{"name": "kind", "type": "string", "options": ["refund", "exchange"]}, {"name": "customer", "type": "string"}]
}


def _refund_trigger(condition: str) -> dict:
    doc = contract_approval()
    doc["trigger"] = {"type": "record", "object": "service_request", "on": ["create"], "condition": condition}
    return doc


def test_a_trigger_comparing_a_field_to_a_value_outside_its_options_is_a_warning():
    issues = validate(_refund_trigger("record.kind == 'Refund'"), record_types=SERVICE_REQUEST)
    assert [(i.node, i.field, i.column, i.severity) for i in issues] == [(None, "trigger.condition", 16, "warning")]
    assert "record.kind is never 'Refund'" in issues[0].message
    assert "takes only 'refund', 'exchange'" in issues[0].message
    assert "write 'refund'" in issues[0].message


@pytest.mark.parametrize(
    ("condition", "column"),
    [
        ("'exchang' != record.kind", 1),
        ("record.customer != '' && record.kind in ['refund', 'swap']", 52),
    ],
)
def test_every_comparison_of_a_field_with_options_is_checked(condition, column):
    issues = validate(_refund_trigger(condition), record_types=SERVICE_REQUEST)
    assert [(i.field, i.column) for i in issues] == [("trigger.condition", column)]
    assert "compare with one of: 'refund', 'exchange'" in issues[0].message


@pytest.mark.parametrize("condition", ["record.kind == 'refund'", "record.customer == 'Refund'", "record.kind in ['refund', 'exchange']"])
def test_a_trigger_comparing_with_a_listed_option_is_not_warned(condition):
    assert validate(_refund_trigger(condition), record_types=SERVICE_REQUEST) == []


def test_a_trigger_on_a_record_type_nobody_defined_is_a_warning():
    issues = validate(_refund_trigger("record.kind == 'Refund'"), record_types={"contract": []})
    assert [(i.field, i.severity) for i in issues] == [("trigger.object", "warning")]
    assert "there is no record type 'service_request'" in issues[0].message
    assert "record types: contract" in issues[0].message


def test_record_types_are_not_checked_when_not_given():
    assert validate(_refund_trigger("record.kind == 'Refund'")) == []


# --------------------------------------------------------------------------- all at once, order, garbage


def test_every_problem_is_reported_at_once_in_document_order():
    doc = contract_approval()
    doc["format"] = 3
    node(doc, "review")["due"] = "tomorrow"
    node(doc, "size")["outcomes"][0]["condition"] = "inputs.amount >="
    node(doc, "notify")["action"] = "fax"
    edge(doc, "e5")["colour"] = "red"
    issues = validate(doc)
    assert [(i.node, i.edge, i.field) for i in issues] == [
        (None, None, "format"),
        ("review", None, "due"),
        ("size", None, "outcomes[0].condition"),
        ("notify", None, "action"),
        (None, "e5", "colour"),
    ]
    assert not check(doc).ok


def test_issues_are_in_a_stable_order():
    doc = contract_approval()
    for n in doc["nodes"]:
        n["zz"] = 1
        n["aa"] = 2
    first = validate(doc)
    assert first == validate(copy.deepcopy(doc))
    assert [i.field for i in first[:2]] == ["zz", "aa"]  # as written, not alphabetical


def test_issue_dicts_carry_column_and_edge():
    doc = contract_approval()
    node(doc, "size")["outcomes"][0]["condition"] = "inputs.amount >="
    edge(doc, "e1")["colour"] = "red"
    first, second = (i.to_dict() for i in validate(doc))
    assert first["node"] == "size" and first["column"] == 17 and "edge" not in first
    assert second == {"node": None, "edge": "e1", "field": "colour", "message": "unknown field", "severity": "error"}


GARBAGE = [
    None,
    [],
    "x",
    0,
    3.5,
    True,
    {},
    {"nodes": 5},
    {"nodes": [1, 2, 3], "edges": [4]},
    {"nodes": [None, [], "start", {"type": None}], "edges": [None, {"id": None}]},
    {"nodes": [{"id": [], "type": {}}], "edges": [{"id": "e", "source": {}, "target": []}]},
    {"format": [1], "key": {}, "label": None, "trigger": [], "inputs": "x", "variables": [None, 1], "nodes": {}, "edges": None},
    {"trigger": {"type": ["record"]}, "inputs": [{"name": {}, "type": [], "default": {}}], "nodes": [], "edges": []},
    {"nodes": [{"id": "s", "type": "interactive", "stage": [], "set": {1: 2}, "form": {"fields": [None], "outcomes": {}}}], "edges": []},
    {
        "nodes": [{"id": "d", "type": "decision", "outcomes": [None, {"id": "x", "condition": 5}]}],
        "edges": [{"id": "e", "source": "d", "target": "d"}],
    },
    {
        "nodes": [{"id": "w", "type": "wait", "stage": "w", "start": {"when": "after", "steps": ["w", None]}, "timer": [], "event": 1}],
        "edges": [],
    },
    {"nodes": [[[[[[[[[[]]]]]]]]]], "edges": [{"a": {"b": {"c": {}}}}]},
    {"ui": {"x": [1] * 1000}, "nodes": [{"id": "x" * 10_000, "type": "stage"}], "edges": []},
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: repr(g)[:40])
def test_garbage_gives_issues_and_never_raises(garbage):
    checked = check(garbage)
    assert isinstance(checked, Checked)
    assert checked.issues and not checked.ok
    for issue in checked.issues:
        assert isinstance(issue, ValidationIssue)
        assert isinstance(issue.field, str) and issue.message
        assert len(issue.message) < 400


def test_a_non_object_document_gives_one_issue():
    [issue] = validate([{"format": 1}])
    assert (issue.node, issue.field) == (None, "")
    assert "must be an object" in issue.message


def test_deeply_nested_garbage_does_not_recurse_forever():
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    doc = contract_approval()
    node(doc, "legal")["ui"] = {"deep": deep}
    node(doc, "review")["form"]["fields"][0]["default"] = deep
    issues = validate(doc)
    assert [(i.node, i.field) for i in issues] == [("review", "form.fields[0].default")]


def test_a_long_chain_of_stages_is_checked_without_recursion():
    doc = contract_approval()
    previous = "chain_start"
    add_stage(doc, previous)
    edge(doc, "e8").update(target=previous)
    for n in range(3000):
        stage_id = f"chain_{n}"
        add_stage(doc, stage_id)
        add_edge(doc, f"c{n}", previous, stage_id)
        previous = stage_id
    add_edge(doc, "to_done", previous, "done")
    add_edge(doc, "back", previous, "chain_start", kind="error")
    issues = validate(doc)
    assert [(i.node, i.field) for i in issues] == [("chain_start", "")]
    assert "cycle that passes through no decision: chain_start → chain_0 → chain_1" in issues[0].message


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_shipped_templates_have_no_modelling_traps(name):
    assert validate(load(name), record_types=RECORD_TYPES) == []
