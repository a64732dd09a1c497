"""One visit of a stage, run symbolically: what the engine does by itself, and what the
scenario must do (complete work, send an event, change the record, move the clock)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runtime.spec import Stage, Step
from runtime.states import all_completed, open_steps, start_decided
from runtime.testing.paths.naming import sample
from runtime.testing.paths.symbolic import FAILURE, EventScope, Infeasible, Orchestration, PathState
from runtime.testing.solver.formulas import FALSE, TRUE, Const, Not
from runtime.testing.solver.reduction import reduce
from runtime.testing.solver.search import TODO, Var
from runtime.testing.solver.syntax import Lit, MapLit, Node, Ref, Sym, parse

#: Event keys that are ids of the run under test: scenarios refer to them with `{ref: ...}`.
_RUN_REFS = ("record.id", "run.id")
#: The type of the value a form field of each type holds.
_FORM_TYPES = {
    "text": "string",
    "textarea": "string",
    "email": "string",
    "select": "string",
    "multiselect": "list",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}
#: The types a chosen value may have (:class:`~runtime.testing.solver.search.Var`); any other is "any".
_TYPES = {"string", "number", "integer", "boolean", "date", "datetime", "list", "map", "any"}


class StageRun:
    """Runs one visit of a stage symbolically, adding the scenario's actions to the state.

    ``run()`` answers ``"next"`` when the stage completed, ``"failed"`` when
    ``failing`` failed (the caller takes the fault path or ends in a run error), and
    raises :class:`Infeasible` when the run would be stuck.
    """

    def __init__(self, orchestration: Orchestration, state: PathState, stage: Stage, failing: str | None):
        self.orch, self.state, self.stage, self.failing = orchestration, state, stage, failing
        self.spec = orchestration.spec
        self.announced = False

    def run(self) -> str:
        state, stage = self.state, self.stage
        visit = state.stages.get(stage.id, {}).get("visits", 0) + 1
        state.stages[stage.id] = {"status": "waiting" if stage.entry else "in_progress", "visits": visit}
        state.stages_visited.append(stage.id)
        for step_id in stage.steps:
            state.steps[step_id] = {"status": "not_started", "outcome": None, "outputs": {}, "completed_by": None}
        if stage.entry is not None:
            self._require(stage.entry.source, f"{stage.id}: entry condition", "waits forever for its entry condition")
            state.stages[stage.id] = {"status": "in_progress", "visits": visit}
        while True:
            if self._automatic():
                return "failed"
            if self._exits():
                break
            self._external()
        state.stages[stage.id] = {"status": "completed", "visits": visit}
        for step_id in stage.steps:
            view = state.steps[step_id]
            if view["status"] in ("not_started", "in_progress", "waiting"):
                state.steps[step_id] = {**view, "status": "discontinued"}
        return "next"

    def _require(self, source: str, origin: str, stuck: str) -> None:
        formula = self.orch.formula(self.state, source, origin)
        if formula == FALSE:
            raise Infeasible(f"stage {self.stage.id} {stuck}: `{source}` is false here")
        self.state.add(formula)

    # -- what the engine does by itself
    def _automatic(self) -> bool:
        """Start what may start, run background steps; True when the failing step failed."""
        state = self.state
        progress = True
        while progress:
            progress = False
            for step_id in self.stage.steps:
                view = state.steps[step_id]
                step = self.spec.steps[step_id]
                if view["status"] == "not_started" and self._may_start(step):
                    if self._start(step):
                        return True
                    progress = True
                elif view["status"] == "waiting" and step.until is not None:
                    holds = self.orch.formula(state, step.until.source, f"{step_id}: until")
                    if holds == TRUE:
                        self._complete(step, outputs={})
                        progress = True
        return False

    def _status(self, step_id: str) -> str:
        status: str = self.state.steps[step_id]["status"]
        return status

    def _may_start(self, step: Step) -> bool:
        start = step.start
        decided = start_decided(start, self._status)
        if decided is not None:
            return decided
        assert start.condition is not None
        formula = self.orch.formula(self.state, start.condition.source, f"{step.id}: start condition")
        if isinstance(formula, Const):
            return formula.value
        if open_steps(self.stage.steps, self._status):
            return False  # decide once the other steps are done
        self.state.add(formula)
        return True

    def _start(self, step: Step) -> bool:
        state = self.state
        visit = state.step_visits.get(step.id, 0) + 1
        state.step_visits[step.id] = visit
        view = {**state.steps[step.id], "status": "in_progress"}
        state.steps[step.id] = view
        if step.type == "interactive":
            return False
        if step.type == "wait":
            state.steps[step.id] = {**view, "status": "waiting"}
            if step.until is not None:
                holds = self.orch.formula(state, step.until.source, f"{step.id}: until")
                if holds == TRUE:
                    self._complete(step, outputs={})
            return False
        return self._background(step, visit)

    def _background(self, step: Step, visit: int) -> bool:
        state = self.state
        real = self.orch.runs_for_real(step)
        if step.id == self.failing:
            state.mock({"step": step.id, "fail": FAILURE})
            if real:
                state.failing_local.add(step.id)
            state.steps[step.id] = {**state.steps[step.id], "status": "error"}
            return True
        if real and step.id in state.failing_local:
            raise Infeasible(
                f"step {step.id} runs again after the scenario made it fail; a mock cannot be undone "
                f"for an action that runs for real ({step.action})"
            )
        inputs = {name: self.orch.value(state, expr.source) for name, expr in step.inputs}
        outputs: dict[str, Node] = {}
        if real:
            self._effects(step, inputs)
        else:
            outputs = self._mocked_outputs(step, visit)
            state.mock({"step": step.id, "result": outputs})
        self._complete(step, outputs=outputs)
        return False

    def _effects(self, step: Step, inputs: dict[str, Node]) -> None:
        state = self.state
        if step.action == "vars.set":
            state.vars.update(inputs)
            return
        if step.action != "record.update" or "id" in inputs or "object" in inputs:
            return
        fields = inputs.get("fields")
        named = [(k.value, v) for k, v in fields.entries if isinstance(k, Lit)] if isinstance(fields, MapLit) else []
        if isinstance(fields, Lit) and isinstance(fields.value, dict):
            state.record.update({k: Lit(v) for k, v in fields.value.items()})
        elif isinstance(fields, MapLit) and len(named) == len(fields.entries):
            state.record.update(named)
        else:
            for name in state.record:
                state.record[name] = Ref(("?", name), text=f"record.{name} after {step.id}")
            state.note(f"the fields {step.id} writes are beyond the solver; the record is unknown after it")

    def _mocked_outputs(self, step: Step, visit: int) -> dict[str, Node]:
        state = self.state
        action = self.orch.registry.get(step.action or "")
        declared = {f.name: f.type for f in action.outputs} if action else {}
        wanted = sorted(self.orch.referenced["outputs"].get(step.id, set()) | ({"status"} if step.action == "http.request" else set()))
        outputs: dict[str, Node] = {}
        for key in wanted:
            name = f"steps.{step.id}.outputs.{key}#{visit}"
            kind = declared.get(key, "any")
            preferred = 200 if (step.action, key) == ("http.request", "status") else sample(key, kind)
            state.variables[name] = Var(name, kind if kind in _TYPES else "any", preferred=preferred)
            outputs[key] = Sym(name, text=f"steps.{step.id}.outputs.{key}")
        return outputs

    def _complete(
        self, step: Step, *, outputs: dict[str, Node], outcome: Node | None = None, by: str | None = None, event: EventScope | None = None
    ) -> None:
        state = self.state
        state.steps[step.id] = {"status": "completed", "outcome": outcome, "outputs": outputs, "completed_by": by}
        for name, expr in step.set:
            state.vars[name] = reduce(parse(expr.source), self.orch.lookup(state, event))

    def _exits(self) -> bool:
        stage, state = self.stage, self.state
        under_way = open_steps(stage.steps, self._status)
        if stage.exit_when == "all_steps":
            if all_completed(stage.steps, self._status):
                return True
            if not under_way:
                blocked = [s for s in stage.steps if state.steps[s]["status"] == "not_started"]
                raise Infeasible(f"stage {stage.id} never completes: step(s) {', '.join(blocked)} never start")
            return False
        assert stage.exit_condition is not None
        formula = self.orch.formula(state, stage.exit_condition.source, f"{stage.id}: exit condition")
        if isinstance(formula, Const):
            if formula.value:
                return True
            if not under_way:
                raise Infeasible(f"stage {stage.id} never exits: `{stage.exit_condition.source}` stays false")
            return False
        if under_way:
            state.add(Not(formula))  # the stage goes on until its last step
            return False
        state.add(formula)
        return True

    # -- what the scenario does
    def _announce(self) -> None:
        if not self.announced:
            self.announced = True
            self.state.actions.append({"expect": {"stage": self.stage.id}})

    def _external(self) -> None:
        waiting = [self.spec.steps[s] for s in open_steps(self.stage.steps, self._status)]
        for kind, act in _ACTS.items():
            for step in waiting:
                if _kind(step) == kind:
                    self._announce()
                    act(self, step)
                    return
        raise Infeasible(f"stage {self.stage.id} is stuck: nothing left to do")  # pragma: no cover - guarded by _exits

    def _do_interactive(self, step: Step) -> None:
        state = self.state
        assert step.form is not None and step.assignee is not None
        visit = state.step_visits[step.id]
        outcomes = step.form.outcomes
        if len(outcomes) == 1:
            outcome: Node = Lit(outcomes[0])
        else:
            name = f"steps.{step.id}.outcome#{visit}"
            state.variables[name] = Var(name, "string", options=tuple(outcomes), preferred=outcomes[0])
            outcome = Sym(name, text=f"steps.{step.id}.outcome")
        values: dict[str, Node] = {}
        referenced = self.orch.referenced["outputs"].get(step.id, set())
        for f in step.form.fields:
            if not (f.required or f.name in referenced):
                continue
            name = f"steps.{step.id}.outputs.{f.name}#{visit}"
            kind = _FORM_TYPES.get(f.type, "any")
            options: tuple[Any, ...] = tuple(f.options) if f.type == "select" else ()
            preferred = [f.options[0]] if f.type == "multiselect" and f.options else sample(f.name, f.type)
            state.variables[name] = Var(name, kind, options=options, preferred=options[0] if options else preferred)
            values[f.name] = Sym(name, text=f"steps.{step.id}.outputs.{f.name}")
        if step.approval is not None:
            personas = [self.orch.persona_for(state, a, step) for a in step.approval.approvers] or [
                self.orch.persona_for(state, step.assignee, step)
            ]
            state.act(
                {
                    "_approval": {
                        "step": step.id,
                        "personas": personas,
                        "policy": step.approval.policy,
                        "quorum": step.approval.quorum,
                        "approve": step.approval.approve_outcome,
                        "outcomes": list(outcomes),
                        "outcome": outcome,
                        "values": values,
                    }
                }
            )
            by = state.personas[personas[0]]["user"]
        else:
            persona = self.orch.persona_for(state, step.assignee, step)
            by = state.personas[persona]["user"]
            action: dict[str, Any] = {"as": persona, "complete": step.id}
            if len(outcomes) > 1:
                action["outcome"] = outcome
            if values:
                action["values"] = values
            state.act(action)
        self._complete(step, outputs=dict(values), outcome=outcome, by=by)

    def _do_event(self, step: Step) -> None:
        state = self.state
        visit = state.step_visits[step.id]
        payload: dict[str, Node] = {}
        event = EventScope(state, step, visit, payload)
        correlation: Node | None = None
        if step.correlation is not None and step.correlation.source.strip() in _RUN_REFS:
            correlation = MapLit(((Lit("ref"), Lit(step.correlation.source.strip())),))
        elif step.correlation is not None and not step.correlation_is_predicate:
            correlation = self.orch.value(state, step.correlation.source)
            if not isinstance(correlation, (Lit, Sym)):
                state.note(
                    f"`{step.correlation.source}` (correlation of {step.id}): its value is known only "
                    "when the run starts; the event carries TODO"
                )
        elif step.correlation is not None:
            state.add(self.orch.formula(state, step.correlation.source, f"{step.id}: event correlation", event))
            chosen = f"event.{step.id}.correlation#{visit}"
            correlation = Sym(chosen, text="event.correlation") if chosen in state.variables else None
        for _, expr in step.set:  # the payload fields `set` reads are chosen too
            reduce(parse(expr.source), self.orch.lookup(state, event))
        body: dict[str, Any] = {"name": step.event_name}
        if correlation is not None or (step.correlation is not None and not step.correlation_is_predicate):
            body["correlation"] = correlation if correlation is not None else Lit(TODO)
        body["payload"] = payload
        state.act({"event": body})
        outputs: dict[str, Node] = {
            "event": MapLit(
                (
                    (Lit("name"), Lit(step.event_name)),
                    (Lit("correlation"), body.get("correlation", Lit(None))),
                    (Lit("payload"), MapLit(tuple((Lit(k), v) for k, v in payload.items()))),
                )
            )
        }
        self._complete(step, outputs=outputs, event=event)

    def _do_until(self, step: Step) -> None:
        state = self.state
        assert step.until is not None
        fields = sorted({m for m in re.findall(r"(?<![\w.])record\s*\.\s*([A-Za-z_]\w*)", step.until.source)} - {"id", "owner", "object"})
        if not fields or not self.orch.record_object:
            raise Infeasible(f"step {step.id} waits forever: `{step.until.source}` is false here and no record change can make it true")
        before = self.orch.formula(state, step.until.source, f"{step.id}: until (before the update)")
        if before != FALSE:
            state.add(Not(before))
        changes: dict[str, Node] = {}
        visit = state.step_visits[step.id]
        for fname in fields:
            fdef = self.orch.record_fields.get(fname, {"type": "any"})
            name = f"record.{fname}#{step.id}.{visit}"
            state.variables[name] = Var(name, fdef["type"], preferred=sample(fname, fdef["type"]))
            state.record[fname] = changes[fname] = Sym(name, text=f"record.{fname}")
        state.add(self.orch.formula(state, step.until.source, f"{step.id}: until"))
        state.act({"update_record": {"fields": changes}})
        self._complete(step, outputs={})

    def _do_timer(self, step: Step) -> None:
        timers = [s for s in self.stage.steps if self.state.steps[s]["status"] == "waiting" and _kind(self.spec.steps[s]) == "timer"]
        if step.timer_duration is not None and len(timers) == 1:
            source = next(n.get("timer", {}).get("duration") for n in self.orch.document["nodes"] if n["id"] == step.id)
            self.state.act({"advance": source})
        else:
            self.state.act({"advance": "next"})
        self._complete(step, outputs={})


def _kind(step: Step) -> str:
    if step.type == "interactive":
        return "interactive"
    if step.event_name is not None:
        return "event"
    if step.until is not None:
        return "until"
    return "timer"


#: What the scenario does for a step waiting on it, by the step's kind (:func:`_kind`), in the order
#: tried: a person completes work, an event arrives, the record changes, and only then the clock moves.
_ACTS: dict[str, Callable[[StageRun, Step], None]] = {
    "interactive": StageRun._do_interactive,
    "event": StageRun._do_event,
    "until": StageRun._do_until,
    "timer": StageRun._do_timer,
}
