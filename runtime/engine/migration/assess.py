"""Can one run move? Every reason it cannot, and what changes on the way (nothing is written)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.context import RunContext
from runtime.engine.migration.plan import kind_of, node_map
from runtime.engine.plain import json_copy
from runtime.expressions import Expression
from runtime.model import Run
from runtime.spec import Form, OrchestrationSpec, Step
from runtime.states import LIVE_RUN, OPEN_STEP, NodeStatus, RunStatus
from runtime.values import check_type

# -- one run: can it move?


@dataclass
class Assessment:
    """What moving one run would do: every reason it cannot, and what changes on the way."""

    run_id: str
    version: int
    node: str | None
    node_label: str | None
    status: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Source node -> target node for the nodes this run has rows of (identity included).
    nodes: dict[str, str | None] = field(default_factory=dict)

    @property
    def movable(self) -> bool:
        return not self.reasons

    def refuse(self, code: str, node: str | None, message: str) -> None:
        self.reasons.append({"code": code, "node": node, "message": message})

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "version": self.version,
            "at": self.node,
            "at_label": self.node_label,
            "status": self.status,
            "movable": self.movable,
            "reasons": json_copy(self.reasons),
            "notes": list(self.notes),
        }


def assess(ctx: RunContext, target: OrchestrationSpec, mapping: Mapping[str, str]) -> Assessment:
    """Every reason the run of ``ctx`` cannot move to ``target`` (nothing is written)."""
    run, source = ctx.run, ctx.spec
    node = run.current_node
    found = Assessment(run.id, run.version, node, source.node_label(node) if node else None, run.status)
    nodes = node_map(source, target, mapping)
    found.nodes = nodes
    t = f"version {target.version}"
    if run.status == RunStatus.SUSPENDED:
        found.refuse("suspended", node, "is suspended; resume it first (a moved run is evaluated again at once)")
    elif run.status == RunStatus.ERROR:
        found.refuse("error", node, "is in error; retry, repair or cancel it first")
    elif run.status not in LIVE_RUN:
        found.refuse("ended", None, f"has {run.status}; only runs that have not ended move")
        return found
    children = [c for c in ctx.tx.find(Run, parent_run_id=run.id) if c.status in LIVE_RUN and c.parent_waits]
    if children:
        found.refuse("children", node, f"waits for {len(children)} child run{'s' if len(children) != 1 else ''} to end")
    new_node = nodes.get(node) if node is not None else None
    label = source.node_label(node) if node is not None else ""
    if node is not None and new_node is None:
        if kind_of(target, node) is not None:
            found.refuse("type_changed", node, f"sits on {label}, a {kind_of(source, node)} that is a {kind_of(target, node)} in {t}")
        else:
            found.refuse("removed", node, f"sits on {label}, removed in {t} without a mapping")
    if node is None or new_node is None:  # nothing more to map; its values are judged all the same
        _assess_values(ctx, target, found)
        return found
    if node in source.decisions:
        lost = {o.id for o in source.decisions[node].outcomes} - {o.id for o in target.decisions[new_node].outcomes}
        if lost:
            found.refuse("decision_outcomes", node, f"sits on decision {label}, whose outcome{_s(lost)} {_names(lost)} {t} removed")
    if node in source.stages:
        _assess_stage(ctx, target, found, node, new_node)
    _assess_values(ctx, target, found)
    return found


def _assess_stage(ctx: RunContext, target: OrchestrationSpec, found: Assessment, stage_id: str, new_stage: str) -> None:
    source, t = ctx.spec, f"version {ctx.spec.version} → {target.version}"
    taken: dict[str, str] = {}
    for step_id in source.stages[stage_id].steps:
        step_run = ctx.steps.get(step_id)
        if step_run is None or step_run.status not in (*OPEN_STEP, NodeStatus.ERROR):
            continue
        step, label = source.steps[step_id], source.steps[step_id].label
        new_id = found.nodes.get(step_id)
        what = "waits" if step_run.status == NodeStatus.WAITING else "is under way"
        if new_id is None:
            if kind_of(target, step_id) is not None:
                found.refuse(
                    "type_changed", step_id, f"step {label} {what}; it is a {kind_of(target, step_id)} step in version {target.version}"
                )
            else:
                found.refuse("removed", step_id, f"step {label} {what} and version {target.version} removed it without a mapping")
            continue
        new = target.steps[new_id]
        if new.stage != new_stage:
            found.refuse(
                "moved_stage",
                step_id,
                f"step {label} {what}; in version {target.version} it is in stage {target.node_label(new.stage)}, "
                f"not {target.node_label(new_stage)}",
            )
        if new_id in taken:
            found.refuse("merged", step_id, f"steps {source.steps[taken[new_id]].label} and {label} are both under way and map to one step")
        taken[new_id] = step_id
        if step.type == "interactive":
            _assess_item_step(ctx, target, found, step, new)
        elif step.type == "wait":
            _assess_wait(found, step, new, target.version)
        elif step.type == "background" and step.action != new.action:
            found.refuse("action_changed", step_id, f"step {label} runs {step.action}; {t} runs {new.action} there")
        elif step.type == "background" and new_id != step_id:
            found.refuse(
                "action_renamed", step_id, f"step {label} is running its action; it keeps its id ({step_id}) until the action ends"
            )
        elif step.type == "background" and dict((k, e.source) for k, e in step.inputs) != dict((k, e.source) for k, e in new.inputs):
            found.notes.append(f"step {label}: the action under way keeps the inputs it started with")


def _assess_item_step(ctx: RunContext, target: OrchestrationSpec, found: Assessment, step: Step, new: Step) -> None:
    label, version = step.label, target.version
    assert step.form is not None and new.form is not None
    problems = form_changes(step.form, new.form)
    if problems:
        found.refuse("form", step.id, f"step {label} has open work and its form changed: {'; '.join(problems)}")
    if (step.approval is None) != (new.approval is None) or (
        step.approval is not None
        and new.approval is not None
        and (step.approval.policy, step.approval.quorum, step.approval.approve_outcome, len(step.approval.approvers))
        != (new.approval.policy, new.approval.quorum, new.approval.approve_outcome, len(new.approval.approvers))
    ):
        found.refuse("approval", step.id, f"step {label} has open work and its approval rule changed in version {version}")
    if step.assignee != new.assignee:
        what = f"{new.assignee.type} {new.assignee.value}" if new.assignee else "nobody"
        found.notes.append(f"step {label}: version {version} assigns {what}; open items keep their assignee unless the plan recomputes it")
    if step.due != new.due:
        found.notes.append(f"step {label}: the due time changed; open items keep theirs unless the plan recomputes it")


def form_changes(old: Form, new: Form) -> list[str]:
    """What makes an open item's form incompatible: outcomes removed, required fields
    added, field types changed (said in words, one entry per kind)."""
    problems = []
    lost = [o for o in old.outcomes if o not in new.outcomes]
    if lost:
        problems.append(f"outcome{_s(lost)} {_names(lost)} no longer exist{'s' if len(lost) == 1 else ''}")
    before = {f.name: f for f in old.fields}
    added = [f.name for f in new.fields if f.required and (f.name not in before or not before[f.name].required)]
    if added:
        problems.append(f"required field{_s(added)} {_names(added)} added")
    retyped = [f"{f.name} ({before[f.name].type} → {f.type})" for f in new.fields if f.name in before and before[f.name].type != f.type]
    if retyped:
        problems.append(f"field type{_s(retyped)} changed: {', '.join(retyped)}")
    return problems


def _assess_wait(found: Assessment, step: Step, new: Step, version: int) -> None:
    label = step.label
    if step.event_name != new.event_name:
        before = f"event {step.event_name}" if step.event_name else "a timer or condition"
        after = f"event {new.event_name}" if new.event_name else "no event"
        found.refuse("wait_changed", step.id, f"step {label} waits for {before}; version {version} waits for {after}")
    elif step.event_name and (step.correlation.source if step.correlation else None) != (
        new.correlation.source if new.correlation else None
    ):
        found.refuse("wait_changed", step.id, f"step {label} waits for event {step.event_name}, matched differently in version {version}")
    timed, new_timed = (
        step.timer_duration is not None or step.timer_at is not None,
        new.timer_duration is not None or new.timer_at is not None,
    )
    if timed != new_timed:
        found.refuse(
            "wait_changed",
            step.id,
            f"step {label} {'has' if timed else 'has no'} timer; version {version} {'has' if new_timed else 'has none'}",
        )
    elif timed and (step.timer_duration, step.timer_at and step.timer_at.source) != (
        new.timer_duration,
        new.timer_at and new.timer_at.source,
    ):
        found.notes.append(f"step {label}: the timer changed; it is kept unless the plan recomputes timers")


def _assess_values(ctx: RunContext, target: OrchestrationSpec, found: Assessment) -> None:
    run, version = ctx.run, target.version
    for var in target.variables:
        current = run.vars.get(var.name)
        if var.name not in run.vars:
            found.notes.append(f"variable {var.name} is new: it starts as {json_copy(var.default)!r}")
        elif current is not None and (problem := check_type(var.type, current)):
            found.refuse("variable", None, f"variable {var.name} {problem}, as version {version} declares it")
    dropped = sorted(set(run.vars) - {v.name for v in target.variables})
    if dropped:
        found.notes.append(
            f"variable{_s(dropped)} {_names(dropped)} {'are' if len(dropped) > 1 else 'is'} not in version {version} and will be dropped"
        )
    for var in target.inputs:
        given = run.inputs.get(var.name)
        if given is not None:
            if problem := check_type(var.type, given):
                found.refuse("input", None, f"input {var.name} {problem}, as version {version} declares it")
        elif var.required and not var.has_default:
            found.refuse("input", None, f"input {var.name} is required in version {version} and the run has none")


def _source(expr: Expression | None) -> str | None:
    return expr.source if expr is not None else None


def _s(items: Iterable[Any]) -> str:
    return "s" if len(list(items)) != 1 else ""


def _names(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))
