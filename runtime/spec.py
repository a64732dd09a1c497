"""The immutable compiled spec of one orchestration version.

:func:`compile_document` validates a document and turns it into frozen objects with
every expression compiled once. Runs refer to a spec by key and version number;
nothing in a spec changes after it is built.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from runtime.actions import ActionRegistry
from runtime.document import check
from runtime.durations import Duration, parse_duration
from runtime.errors import DocumentInvalid
from runtime.expressions import Expression


@dataclass(frozen=True)
class Assignee:
    type: str  # user | group | queue | expression
    value: str
    expression: Expression | None = None


@dataclass(frozen=True)
class FormField:
    name: str
    type: str
    label: str
    required: bool
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    fields: tuple[FormField, ...]
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class Escalation:
    after: Duration
    action: str  # notify | reassign
    to: Assignee | None


@dataclass(frozen=True)
class Approval:
    policy: str  # any | all | quorum
    approvers: tuple[Assignee, ...]
    quorum: int | None
    approve_outcome: str


@dataclass(frozen=True)
class Retry:
    max_attempts: int
    backoff: Duration
    multiplier: float
    max_backoff: Duration


@dataclass(frozen=True)
class StepStart:
    when: str  # stage_start | after | condition
    steps: tuple[str, ...] = ()
    condition: Expression | None = None


@dataclass(frozen=True)
class Step:
    id: str
    type: str  # interactive | background | wait
    stage: str
    label: str
    start: StepStart
    set: tuple[tuple[str, Expression], ...] = ()
    # interactive
    assignee: Assignee | None = None
    form: Form | None = None
    due: Duration | None = None
    escalation: Escalation | None = None
    approval: Approval | None = None
    # background
    action: str | None = None
    inputs: tuple[tuple[str, Expression], ...] = ()
    retry: Retry | None = None
    # wait
    until: Expression | None = None
    event_name: str | None = None
    correlation: Expression | None = None
    correlation_is_predicate: bool = False
    buffer: bool = False
    timer_duration: Duration | None = None
    timer_at: Expression | None = None


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    entry: Expression | None
    exit_when: str  # all_steps | condition
    exit_condition: Expression | None
    steps: tuple[str, ...]
    next: str
    next_edge: str
    error_next: str | None = None
    error_edge: str | None = None


@dataclass(frozen=True)
class DecisionOutcome:
    id: str
    label: str
    condition: Expression | None  # None for default
    target: str
    edge: str


@dataclass(frozen=True)
class Decision:
    id: str
    label: str
    outcomes: tuple[DecisionOutcome, ...]
    default: DecisionOutcome


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    required: bool = False
    default: Any = None
    has_default: bool = False
    #: Lists and maps: the most items the value may hold (None: the cap of runtime/limits.py).
    max_items: int | None = None


@dataclass(frozen=True)
class Trigger:
    type: str  # manual | record
    object: str | None = None
    on: tuple[str, ...] = ()
    condition: Expression | None = None


DEFAULT_RETRY = Retry(3, parse_duration("PT1S"), 2.0, parse_duration("PT1H"))


@dataclass(frozen=True)
class OrchestrationSpec:
    key: str
    version: int
    label: str
    trigger: Trigger
    inputs: tuple[Variable, ...]
    variables: tuple[Variable, ...]
    start_next: str
    start_edge: str
    stages: Mapping[str, Stage]
    steps: Mapping[str, Step]
    decisions: Mapping[str, Decision]
    ends: frozenset[str]
    document_json: str

    @property
    def document(self) -> dict[str, Any]:
        """A fresh copy of the source document."""
        document: dict[str, Any] = json.loads(self.document_json)
        return document

    def node_label(self, node_id: str) -> str:
        for table in (self.stages, self.steps, self.decisions):
            if node_id in table:
                return table[node_id].label
        return node_id


def compile_document(document: Any, version: int = 0, *, actions: ActionRegistry | None = None, stored: bool = False) -> OrchestrationSpec:
    """Validate ``document`` and build its spec; raise :class:`DocumentInvalid` on errors.

    ``stored``: the document is a version already activated. Expressions that have
    gone over the cost budget since (a lower ``OVERTURE_EXPRESSION_BUDGET``, a
    stricter estimate) do not stop it loading; they fail the run when evaluated
    (ARCHITECTURE §2 "Expressions and limits").
    """
    checked = check(document, actions=actions)
    if not (checked.ok or (stored and checked.runnable)):
        raise DocumentInvalid(checked.issues)
    return _build(copy.deepcopy(document), version, checked.expressions)


def _build(doc: dict[str, Any], version: int, exprs: Mapping[tuple[str | None, str], Expression]) -> OrchestrationSpec:
    nodes = {n["id"]: n for n in doc["nodes"]}
    edges_from: dict[str, list[dict[str, Any]]] = {}
    for edge in doc["edges"]:
        edges_from.setdefault(edge["source"], []).append(edge)

    start_id = next(i for i, n in nodes.items() if n["type"] == "start")
    start_edge = edges_from[start_id][0]

    steps: dict[str, Step] = {}
    stage_steps: dict[str, list[str]] = {}
    for node in doc["nodes"]:
        if node["type"] in ("interactive", "background", "wait"):
            steps[node["id"]] = _step(node, exprs)
            stage_steps.setdefault(node["stage"], []).append(node["id"])

    stages: dict[str, Stage] = {}
    decisions: dict[str, Decision] = {}
    for node_id, node in nodes.items():
        if node["type"] == "stage":
            out = edges_from.get(node_id, [])
            normal = next(e for e in out if e.get("kind") != "error")
            error = next((e for e in out if e.get("kind") == "error"), None)
            exit_spec = node.get("exit") or {"when": "all_steps"}
            stages[node_id] = Stage(
                id=node_id,
                label=node.get("label", node_id),
                entry=exprs.get((node_id, "entry.condition")) if node.get("entry") else None,
                exit_when=exit_spec["when"],
                exit_condition=exprs.get((node_id, "exit.condition")),
                steps=tuple(stage_steps.get(node_id, ())),
                next=normal["target"],
                next_edge=normal["id"],
                error_next=error["target"] if error else None,
                error_edge=error["id"] if error else None,
            )
        elif node["type"] == "decision":
            by_outcome = {e["outcome"]: e for e in edges_from.get(node_id, [])}
            outcomes = tuple(
                DecisionOutcome(
                    o["id"],
                    o.get("label", o["id"]),
                    exprs[(node_id, f"outcomes[{i}].condition")],
                    by_outcome[o["id"]]["target"],
                    by_outcome[o["id"]]["id"],
                )
                for i, o in enumerate(node.get("outcomes", []))
            )
            default = by_outcome["default"]
            decisions[node_id] = Decision(
                node_id,
                node.get("label", node_id),
                outcomes,
                DecisionOutcome("default", "Default", None, default["target"], default["id"]),
            )

    trigger_doc = doc.get("trigger") or {"type": "manual"}
    trigger = Trigger(
        type=trigger_doc["type"],
        object=trigger_doc.get("object"),
        on=tuple(trigger_doc.get("on", ())),
        condition=exprs.get((None, "trigger.condition")),
    )
    return OrchestrationSpec(
        key=doc["key"],
        version=version,
        label=doc["label"],
        trigger=trigger,
        inputs=tuple(_variable(v) for v in doc.get("inputs", [])),
        variables=tuple(_variable(v) for v in doc.get("variables", [])),
        start_next=start_edge["target"],
        start_edge=start_edge["id"],
        stages=MappingProxyType(stages),
        steps=MappingProxyType(steps),
        decisions=MappingProxyType(decisions),
        ends=frozenset(i for i, n in nodes.items() if n["type"] == "end"),
        document_json=json.dumps(doc, sort_keys=True),
    )


def _variable(v: dict[str, Any]) -> Variable:
    return Variable(v["name"], v["type"], bool(v.get("required", False)), v.get("default"), "default" in v, v.get("max_items"))


def _assignee(raw: dict[str, Any], node_id: str, path: str, exprs: Mapping[tuple[str | None, str], Expression]) -> Assignee:
    return Assignee(raw["type"], raw["value"], exprs.get((node_id, f"{path}.value")) if raw["type"] == "expression" else None)


def _duration(text: str | None) -> Duration | None:
    return parse_duration(text) if text else None


def _step(node: dict[str, Any], exprs: Mapping[tuple[str | None, str], Expression]) -> Step:
    node_id = node["id"]
    start_doc = node.get("start") or {"when": "stage_start"}
    common: dict[str, Any] = dict(
        id=node_id,
        type=node["type"],
        stage=node["stage"],
        label=node.get("label", node_id),
        start=StepStart(start_doc["when"], tuple(start_doc.get("steps", ())), exprs.get((node_id, "start.condition"))),
        set=tuple((name, exprs[(node_id, f"set.{name}")]) for name in (node.get("set") or {})),
    )
    if node["type"] == "interactive":
        form_doc = node["form"]
        form = Form(
            tuple(
                FormField(f["name"], f["type"], f.get("label", f["name"]), bool(f.get("required", False)), tuple(f.get("options", ())))
                for f in form_doc.get("fields", [])
            ),
            tuple(o["value"] for o in form_doc["outcomes"]),
        )
        escalation = None
        if node.get("escalation"):
            esc = node["escalation"]
            escalation = Escalation(
                parse_duration(esc.get("after", "PT0S")),
                esc["action"],
                _assignee(esc["to"], node_id, "escalation.to", exprs) if esc.get("to") else None,
            )
        approval = None
        if node.get("approval"):
            app = node["approval"]
            approval = Approval(
                app["policy"],
                tuple(_assignee(a, node_id, f"approval.approvers[{i}]", exprs) for i, a in enumerate(app.get("approvers", []))),
                app.get("quorum"),
                app.get("approve_outcome", form.outcomes[0]),
            )
        return Step(
            **common,
            assignee=_assignee(node["assignee"], node_id, "assignee", exprs),
            form=form,
            due=_duration(node.get("due")),
            escalation=escalation,
            approval=approval,
        )
    if node["type"] == "background":
        retry_doc = node.get("retry") or {}
        retry = Retry(
            int(retry_doc.get("max_attempts", DEFAULT_RETRY.max_attempts)),
            _duration(retry_doc.get("backoff")) or DEFAULT_RETRY.backoff,
            float(retry_doc.get("multiplier", DEFAULT_RETRY.multiplier)),
            _duration(retry_doc.get("max_backoff")) or DEFAULT_RETRY.max_backoff,
        )
        return Step(
            **common,
            action=node["action"],
            inputs=tuple((name, exprs[(node_id, f"inputs.{name}")]) for name in (node.get("inputs") or {})),
            retry=retry,
        )
    event = node.get("event")
    timer = node.get("timer") or {}
    correlation = exprs.get((node_id, "event.correlation")) if event else None
    return Step(
        **common,
        until=exprs.get((node_id, "until")),
        event_name=event["name"] if event else None,
        correlation=correlation,
        correlation_is_predicate=bool(correlation and "event" in correlation.roots),
        buffer=bool(event and event.get("buffer", False)),
        timer_duration=_duration(timer.get("duration")),
        timer_at=exprs.get((node_id, "timer.at")),
    )
