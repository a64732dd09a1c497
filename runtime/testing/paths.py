"""Generated path tests: every path through an orchestration, as a scenario.

:func:`generate` walks the graph of an orchestration from start to its ends — every
decision outcome (``default`` included), loops bounded by ``max_visits`` visits of any
stage, the fault path of a stage whose background step fails for good, and a run
error for a background step that calls the outside world where no fault path exists.

Along each path it executes the orchestration *symbolically*: the values a scenario
chooses (inputs, the record's fields, form values and outcomes of each visit of an
interactive step, event payloads, mocked action outputs) are symbols, what steps
compute from them (``set``, ``record.update``) is tracked as expressions over them,
and each decision adds the condition of the chosen outcome and the negation of the
earlier ones. :mod:`runtime.testing.solver` then chooses values for the symbols, and
the path becomes a scenario: personas from the assignees, the record or inputs, the
completions, events, record updates, clock moves and mocks that drive the run down
the path, and the assertions of the stages visited and the end reached.

:func:`write_scenarios` writes them as ``<key>--<n>-<slug>.scenario.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from runtime.actions import default_registry
from runtime.spec import Assignee, OrchestrationSpec, Stage, Step, compile_document
from runtime.templates import RECORD_TYPES
from runtime.testing import solver
from runtime.testing.solver import (
    TODO, Formula, Lit, MapLit, Node, Not, Ref, Sym, Var, evaluate, reduce, solve, to_formula,
)

#: Actions the scenario runner runs for real; every other action is mocked (``orchestration.start`` too:
#: a child run's work is not the scenario's to do).
REAL_ACTIONS = frozenset({"record.update", "record.create", "notify", "vars.set"})
#: The owner of the record under test (and who starts manual runs).
OWNER = "requester"
FAILURE = "generated failure"
_START_DATE = "2026-01-05"
#: Event keys that are ids of the run under test: scenarios refer to them with `{ref: ...}`.
_RUN_REFS = ("record.id", "run.id")
_START_DATETIME = "2026-01-05T09:00:00Z"
_FORM_TYPES = {"text": "string", "textarea": "string", "email": "string", "select": "string", "multiselect": "list",
               "number": "number", "integer": "integer", "boolean": "boolean", "date": "date", "datetime": "datetime"}


@dataclass
class GeneratedPath:
    """One path through an orchestration and the scenario that drives a run down it.

    Attributes:
        name: Readable summary ("legal approved, finance approved, deal size: $50k or more, VP approved, signed").
        slug: ``name`` for a file name.
        stages: Stage ids in visit order.
        decisions: ``(decision, outcome)`` in the order taken (``(stage, "fault")`` for a fault path).
        end: The end node reached, or None when the path ends in a run error.
        status: The run status at the end: ``completed`` or ``error`` (``infeasible`` when not feasible).
        feasible: False when the path's conditions contradict each other (no scenario).
        reason: Why the path is not feasible.
        unsolved: Conditions beyond the solver; the scenario carries ``TODO`` for their values.
        data: The scenario as the data of its file (None when not feasible).
        stage_labels: ``stages`` as people read them: the stages' labels.
        path: ``decisions`` as people read them: "Legal approved? → Sent back", "Deal size → otherwise".
    """

    name: str
    slug: str
    stages: list[str]
    decisions: list[tuple[str, str]]
    end: str | None = None
    status: str = "completed"
    feasible: bool = True
    reason: str | None = None
    unsolved: list[str] = field(default_factory=list)
    data: dict[str, Any] | None = None
    stage_labels: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)

    @property
    def scenario(self) -> Any:
        """The :class:`~runtime.testing.Scenario` (None when the path is not feasible)."""
        from runtime.testing.scenario import Scenario

        return Scenario.from_dict(self.data) if self.data is not None else None

    def to_yaml(self) -> str:
        """The scenario file's text."""
        if self.data is None:
            raise ValueError(f"path {self.name!r} is not feasible: {self.reason}")
        return self.scenario.to_yaml()


class GeneratedPaths(list[GeneratedPath]):
    """The paths :func:`generate` found; ``truncated`` when it stopped at ``max_paths``."""

    truncated: bool = False


def generate(
    document: Mapping[str, Any],
    *,
    max_visits: int = 2,
    record_types: Mapping[str, list[dict[str, Any]]] | None = None,
    max_paths: int = 200,
) -> GeneratedPaths:
    """Enumerate the paths of an orchestration and build a scenario for each.

    Args:
        document: The orchestration document (it is validated first).
        max_visits: How many times a path may enter the same stage (loops).
        record_types: Record types by name (default: the shipped templates' types);
            given ones are written into the scenarios.
        max_paths: Stop after this many feasible paths (``truncated`` is then set).

    Returns:
        The feasible paths in the order found (happy paths first: ``default`` is tried
        before the declared outcomes), followed by the infeasible ones.

    Raises:
        DocumentInvalid: when the document is not valid.
        ValueError: for ``max_visits`` or ``max_paths`` below 1.
    """
    if max_visits < 1:
        raise ValueError(f"max_visits must be at least 1, got {max_visits}")
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, got {max_paths}")
    spec = compile_document(dict(document), actions=default_registry())
    walker = _Walker(spec, dict(document), max_visits, record_types, max_paths)
    return walker.run()


def numbered(paths: Sequence[GeneratedPath]) -> list[tuple[str, GeneratedPath]]:
    """The feasible paths with their numbers, zero-padded to sort in order (``"03"``): the
    files of :func:`write_scenarios` and the builder's stored names are numbered alike."""
    feasible = [p for p in paths if p.feasible and p.data is not None]
    width = len(str(len(feasible)))
    return [(f"{n:0{width}d}", path) for n, path in enumerate(feasible, start=1)]


def write_scenarios(paths: Sequence[GeneratedPath], out_dir: str | Path, key: str) -> list[Path]:
    """Write each feasible path as ``<out_dir>/<key>--<n>-<slug>.scenario.yaml``.

    Args:
        paths: What :func:`generate` returned.
        out_dir: The directory (created if needed).
        key: The orchestration key, first in the file names.

    Returns:
        The files written, in order.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, path in numbered(paths):
        target = directory / f"{key}--{number}-{path.slug}.scenario.yaml"
        target.write_text(path.to_yaml(), encoding="utf-8")
        written.append(target)
    return written


# ---------------------------------------------------------------------- the walk


class _OutOfBudget(Exception):
    """The walk tried as many branches as it may."""


class _Infeasible(Exception):
    """The path cannot go on: its conditions contradict each other or the run is stuck."""


class _State:
    """What a path knows so far: symbolic run state, conditions and scenario steps."""

    def __init__(self) -> None:
        self.record: dict[str, Node] = {}
        self.inputs: dict[str, Node] = {}
        self.vars: dict[str, Node] = {}
        self.initial_record: dict[str, Node] = {}
        self.initial_vars: dict[str, Node] = {}
        self.steps: dict[str, dict[str, Any]] = {}
        self.stages: dict[str, dict[str, Any]] = {}
        self.variables: dict[str, Var] = {}
        self.formulas: list[Formula] = []
        self.actions: list[dict[str, Any]] = []
        self.trigger_index = 0
        self.personas: dict[str, dict[str, Any]] = {}
        self.stages_visited: list[str] = []
        self.decisions: list[tuple[str, str]] = []
        self.segments: list[str] = []
        self.node_visits: dict[str, int] = {}
        self.step_visits: dict[str, int] = {}
        self.unsolved: list[str] = []
        self.failing_local: set[str] = set()

    def branch(self) -> "_State":
        other = _State.__new__(_State)
        for name, value in self.__dict__.items():
            other.__dict__[name] = value.copy() if isinstance(value, (dict, list, set)) else value
        return other

    def add(self, formula: Formula) -> None:
        self.formulas.append(formula)

    def note(self, message: str) -> None:
        if message not in self.unsolved:
            self.unsolved.append(message)

    def act(self, action: dict[str, Any]) -> None:
        """Append an external action: what runs after it happened because of it."""
        self.trigger_index = len(self.actions)
        self.actions.append(action)

    def mock(self, spec: dict[str, Any]) -> None:
        """Put a mock in force before the action that makes its step run."""
        self.actions.insert(self.trigger_index, {"_mock": spec})
        self.trigger_index += 1


class _Walker:
    def __init__(self, spec: OrchestrationSpec, document: dict[str, Any], max_visits: int,
                 record_types: Mapping[str, list[dict[str, Any]]] | None, max_paths: int):
        self.spec = spec
        self.document = document
        self.max_visits = max_visits
        self.max_paths = max_paths
        self.given_types = record_types
        self.record_types = dict(record_types) if record_types is not None else RECORD_TYPES
        self.registry = default_registry()
        self.feasible = GeneratedPaths()
        self.infeasible: list[GeneratedPath] = []
        self.run_errors_done: set[str] = set()
        self.decision_cap = max_visits * max(1, len(spec.stages))
        #: Branches the walk may try: paths that all turn out infeasible must not make it endless.
        self.budget = max_paths * 100
        self.referenced = _references(document)
        self.labels = {n["id"]: n.get("label") or n["id"] for n in document["nodes"]}
        trigger = spec.trigger
        self.record_object = trigger.object if trigger.type == "record" else None
        self.record_fields = {f["name"]: f for f in self.record_types.get(self.record_object or "", [])}

    # -- driving
    def run(self) -> GeneratedPaths:
        state = self._initial()
        try:
            for _ in self._walk(state, self.spec.start_next):
                if len(self.feasible) >= self.max_paths:
                    self.feasible.truncated = True
                    break
        except _OutOfBudget:
            self.feasible.truncated = True
        result = GeneratedPaths([*self.feasible, *self.infeasible])
        result.truncated = self.feasible.truncated
        return result

    def _initial(self) -> _State:
        state = _State()
        spec = self.spec
        for var in spec.variables:
            state.vars[var.name] = Lit(var.default)
        for var in spec.inputs:
            name = f"inputs.{var.name}"
            if var.name in self.referenced["inputs"] or var.required:
                state.variables[name] = Var(name, var.type, preferred=var.default if var.has_default else _sample(var.name, var.type))
                state.inputs[var.name] = Sym(name, text=name)
            else:
                state.inputs[var.name] = Lit(var.default if var.has_default else None)
        if self.record_object:
            for fname, fdef in self.record_fields.items():
                if fdef.get("required") or fname in self.referenced["record"]:
                    name = f"record.{fname}"
                    state.variables[name] = Var(name, fdef["type"], preferred=_sample(fname, fdef["type"]))
                    state.record[fname] = Sym(name, text=name)
            if spec.trigger.condition is not None:
                formula = self._formula(state, spec.trigger.condition.source, "the trigger condition")
                state.add(formula)
            self._persona(state, OWNER, user=OWNER)
        state.initial_record = dict(state.record)
        state.initial_vars = dict(state.vars)
        state.act({"_start": True})
        return state

    def _walk(self, state: _State, node: str) -> Iterator[None]:
        spec = self.spec
        if node in spec.ends:
            yield from self._finish(state, end=node)
        elif node in spec.decisions:
            yield from self._decide(state, node)
        elif node in spec.stages:
            yield from self._stage(state, spec.stages[node])

    def _decide(self, state: _State, node: str) -> Iterator[None]:
        decision = self.spec.decisions[node]
        visits = state.node_visits.get(node, 0) + 1
        if visits > self.decision_cap:
            return
        sources = [o.condition.source for o in decision.outcomes if o.condition is not None]
        formulas = [self._formula(state, source, f"{node}: {o.id}") for source, o in zip(sources, decision.outcomes)]
        choices = [(decision.default, len(formulas)), *((o, i) for i, o in enumerate(decision.outcomes))]
        for outcome, index in choices:
            self._spend()
            branch = state.branch()
            branch.node_visits[node] = visits
            for earlier in formulas[:index]:
                branch.add(Not(earlier))
            if index < len(formulas):
                branch.add(formulas[index])
            branch.decisions.append((node, outcome.id))
            if outcome is not decision.default:  # a name lists the exceptions: defaults are the way through
                branch.segments.append(_segment(decision.label, outcome.label))
            problem = _constant_conflict(node, decision.outcomes, sources, formulas, index) or self._check(branch)
            if problem:
                self._drop(branch, problem)
                continue
            yield from self._walk(branch, outcome.target)

    def _stage(self, state: _State, stage: Stage) -> Iterator[None]:
        if state.stages.get(stage.id, {}).get("visits", 0) >= self.max_visits:
            return
        variants: list[tuple[str | None, str]] = [(None, "next")]
        fault = self._fault_step(stage)
        if fault is not None:
            variants.append((fault, "fault" if stage.error_next else "error"))
        for failing, kind in variants:
            if kind == "error" and failing in self.run_errors_done:
                continue
            self._spend()
            branch = state.branch()
            try:
                reached = _StageRun(self, branch, stage, failing).run()
            except _Infeasible as exc:
                if kind == "next":
                    self._drop(branch, str(exc))
                continue
            if failing is not None and reached != "failed":
                continue  # the failing step did not run on this visit
            problem = self._check(branch)
            if problem:
                self._drop(branch, problem)
                continue
            if kind == "next":
                yield from self._walk(branch, stage.next)
            elif kind == "fault":
                branch.decisions.append((stage.id, "fault"))
                branch.segments.append(f"{_lower(self.spec.steps[failing].label)} fails")  # type: ignore[index]
                yield from self._walk(branch, stage.error_next)  # type: ignore[arg-type]
            else:
                self.run_errors_done.add(failing)  # type: ignore[arg-type]
                branch.decisions.append((stage.id, "error"))
                branch.segments.append(f"{_lower(self.spec.steps[failing].label)} fails")  # type: ignore[index]
                yield from self._finish(branch, end=None, failed=failing)

    def _spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _OutOfBudget

    def _fault_step(self, stage: Stage) -> str | None:
        background = [s for s in stage.steps if self.spec.steps[s].type == "background"]
        outside = [s for s in background if not self._runs_for_real(self.spec.steps[s])]
        if stage.error_next is not None:
            return (outside or background or [None])[0]
        return outside[0] if outside else None

    def _runs_for_real(self, step: Step) -> bool:
        return step.action in REAL_ACTIONS

    # -- conditions
    def _formula(self, state: _State, source: str, origin: str, event: _EventScope | None = None) -> Formula:
        return to_formula(reduce(solver.parse(source), self._lookup(state, event)), origin)

    def _value(self, state: _State, source: str) -> Node:
        return reduce(solver.parse(source), self._lookup(state))

    def _lookup(self, state: _State, event: _EventScope | None = None) -> solver.Lookup:
        def lookup(path: tuple[str, ...]) -> Node | None:
            root = path[0]
            if len(path) == 1:
                return None
            if root == "record" and self.record_object:
                if len(path) != 2:
                    return None
                if path[1] == "owner":
                    return Lit(OWNER)
                if path[1] == "object":
                    return Lit(self.record_object)
                found = state.record.get(path[1])
                if found is None and not self.record_fields and path[1] != "id":
                    name = f"record.{path[1]}"  # an undeclared record type: any field may be chosen
                    state.variables[name] = Var(name, "any", preferred=_sample(path[1], "string"))
                    found = state.record[path[1]] = state.initial_record[path[1]] = Sym(name, text=name)
                return found
            if root == "inputs" and len(path) == 2:
                return state.inputs.get(path[1])
            if root == "vars" and len(path) == 2:
                return state.vars.get(path[1])
            if root == "steps" and len(path) >= 3:
                view = state.steps.get(path[1])
                if view is None:
                    if path[1] not in self.spec.steps:
                        return None
                    view = {"status": "not_started", "outcome": None, "outputs": {}, "completed_by": None}
                if path[2] == "outputs":
                    return view["outputs"].get(path[3]) if len(path) >= 4 else None
                value = view.get(path[2], _ABSENT)
                if value is _ABSENT:
                    return None
                return value if isinstance(value, Node) else Lit(value)
            if root == "stages" and len(path) == 3 and path[2] in ("status", "visits"):
                visit = state.stages.get(path[1], {"status": "not_started", "visits": 0})
                return Lit(visit[path[2]])
            if root == "event" and event is not None:
                return event.lookup(path)
            return None

        return lookup

    def _check(self, state: _State) -> str | None:
        found = solve(state.formulas, state.variables)
        return None if found.satisfiable else found.conflict

    def _drop(self, state: _State, reason: str) -> None:
        if len(self.infeasible) >= self.max_paths:
            return
        name = _name(state.segments, "impossible")
        self.infeasible.append(GeneratedPath(name, _slug(name), list(state.stages_visited), list(state.decisions),
                                             feasible=False, reason=reason, status="infeasible", **self._labels(state)))

    def _labels(self, state: _State) -> dict[str, list[str]]:
        """A path's stages and decisions by their labels (``GeneratedPath.stage_labels`` and ``path``)."""
        return {"stage_labels": [self.spec.node_label(s) for s in state.stages_visited],
                "path": path_labels(self.spec, state.decisions)}

    # -- people
    def _persona(self, state: _State, name: str, *, user: str, group: str | None = None, queue: str | None = None) -> str:
        base, n = name, 1
        while name in state.personas and state.personas[name]["user"] != user:  # a group and a user of one name
            n += 1
            name = f"{base}_{n}"
        persona = state.personas.get(name)
        persona = dict(persona) if persona else {"user": user}
        if group and group not in persona.get("groups", []):
            persona["groups"] = [*persona.get("groups", []), group]
        if queue and queue not in persona.get("queues", []):
            persona["queues"] = [*persona.get("queues", []), queue]
        state.personas[name] = persona
        return name

    def persona_for(self, state: _State, assignee: Assignee, step: Step) -> str:
        """The persona that acts for ``assignee``."""
        if assignee.type in ("group", "queue"):
            name = _ident(assignee.value)
            kind = {"group": "group", "queue": "queue"}[assignee.type]
            return self._persona(state, name, user=f"{name}_user", **{kind: assignee.value})
        if assignee.type == "user":
            return self._persona(state, _ident(assignee.value), user=assignee.value)
        value = self._value(state, assignee.value)
        if isinstance(value, Lit) and isinstance(value.value, str) and value.value:
            if value.value == OWNER:
                return self._persona(state, OWNER, user=OWNER)
            return self._persona(state, _ident(value.value), user=value.value)
        if isinstance(value, Sym):
            user = f"{step.id}_assignee"
            state.add(solver.Atom(value.name, "==", user, assignee.value, f"{step.id}: assignee"))
            return self._persona(state, user, user=user)
        state.note(f"`{assignee.value}` (assignee of {step.id}): the user it names is beyond the solver")
        return self._persona(state, OWNER, user=OWNER)

    # -- the end of a path
    def _finish(self, state: _State, *, end: str | None, failed: str | None = None) -> Iterator[None]:
        found = solve(state.formulas, state.variables)
        name = _name(state.segments, _lower(self.labels.get(end, end)) if end else "run error")
        taken = {p.name for p in self.feasible}
        name = next(f"{name} (#{n})" for n in range(2, len(taken) + 3) if f"{name} (#{n})" not in taken) if name in taken else name
        if not found.satisfiable:
            self._drop(state, found.conflict or "the conditions cannot all hold")
            return
        unsolved = [*state.unsolved, *found.unsolved]
        data = _Render(self, state, found.values, unsolved).scenario(name, end, failed)
        self.feasible.append(GeneratedPath(
            name=name, slug=_slug(name), stages=list(state.stages_visited), decisions=list(state.decisions), end=end,
            status="completed" if end else "error", unsolved=unsolved, data=data, **self._labels(state),
        ))
        yield None


_ABSENT: Any = object()


# ---------------------------------------------------------------------- one stage visit


class _StageRun:
    """Runs one visit of a stage symbolically, adding the scenario's actions to the state.

    ``run()`` answers ``"next"`` when the stage completed, ``"failed"`` when
    ``failing`` failed (the caller takes the fault path or ends in a run error), and
    raises :class:`_Infeasible` when the run would be stuck.
    """

    def __init__(self, walker: _Walker, state: _State, stage: Stage, failing: str | None):
        self.w, self.state, self.stage, self.failing = walker, state, stage, failing
        self.spec = walker.spec
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
        formula = self.w._formula(self.state, source, origin)
        if formula == solver.FALSE:
            raise _Infeasible(f"stage {self.stage.id} {stuck}: `{source}` is false here")
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
                    holds = self.w._formula(state, step.until.source, f"{step_id}: until")
                    if holds == solver.TRUE:
                        self._complete(step, outputs={})
                        progress = True
        return False

    def _may_start(self, step: Step) -> bool:
        start = step.start
        if start.when == "stage_start":
            return True
        if start.when == "after":
            return all(self.state.steps[s]["status"] == "completed" for s in start.steps)
        assert start.condition is not None
        formula = self.w._formula(self.state, start.condition.source, f"{step.id}: start condition")
        if isinstance(formula, solver.Const):
            return formula.value
        if any(self.state.steps[s]["status"] in ("in_progress", "waiting") for s in self.stage.steps):
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
                holds = self.w._formula(state, step.until.source, f"{step.id}: until")
                if holds == solver.TRUE:
                    self._complete(step, outputs={})
            return False
        return self._background(step, visit)

    def _background(self, step: Step, visit: int) -> bool:
        state = self.state
        real = self.w._runs_for_real(step)
        if step.id == self.failing:
            state.mock({"step": step.id, "fail": FAILURE})
            if real:
                state.failing_local.add(step.id)
            state.steps[step.id] = {**state.steps[step.id], "status": "error"}
            return True
        if real and step.id in state.failing_local:
            raise _Infeasible(f"step {step.id} runs again after the scenario made it fail; a mock cannot be undone "
                              f"for an action that runs for real ({step.action})")
        inputs = {name: self.w._value(state, expr.source) for name, expr in step.inputs}
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
        if isinstance(fields, Lit) and isinstance(fields.value, dict):
            state.record.update({k: Lit(v) for k, v in fields.value.items()})
        elif isinstance(fields, MapLit) and all(isinstance(k, Lit) for k, _ in fields.entries):
            state.record.update({k.value: v for k, v in fields.entries})  # type: ignore[attr-defined]
        else:
            for name in state.record:
                state.record[name] = Ref(("?", name), text=f"record.{name} after {step.id}")
            state.note(f"the fields {step.id} writes are beyond the solver; the record is unknown after it")

    def _mocked_outputs(self, step: Step, visit: int) -> dict[str, Node]:
        state = self.state
        action = self.w.registry.get(step.action or "")
        declared = {f.name: f.type for f in action.outputs} if action else {}
        wanted = sorted(self.w.referenced["outputs"].get(step.id, set()) | ({"status"} if step.action == "http.request" else set()))
        outputs: dict[str, Node] = {}
        for key in wanted:
            name = f"steps.{step.id}.outputs.{key}#{visit}"
            kind = declared.get(key, "any")
            preferred = 200 if (step.action, key) == ("http.request", "status") else _sample(key, kind)
            state.variables[name] = Var(name, kind if kind in _TYPES else "any", preferred=preferred)
            outputs[key] = Sym(name, text=f"steps.{step.id}.outputs.{key}")
        return outputs

    def _complete(self, step: Step, *, outputs: dict[str, Node], outcome: Node | None = None, by: str | None = None,
                  event: _EventScope | None = None) -> None:
        state = self.state
        state.steps[step.id] = {"status": "completed", "outcome": outcome, "outputs": outputs, "completed_by": by}
        for name, expr in step.set:
            state.vars[name] = reduce(solver.parse(expr.source), self.w._lookup(state, event))

    def _exits(self) -> bool:
        stage, state = self.stage, self.state
        open_steps = [s for s in stage.steps if state.steps[s]["status"] in ("in_progress", "waiting")]
        if stage.exit_when == "all_steps":
            if all(state.steps[s]["status"] == "completed" for s in stage.steps):
                return True
            if not open_steps:
                blocked = [s for s in stage.steps if state.steps[s]["status"] == "not_started"]
                raise _Infeasible(f"stage {stage.id} never completes: step(s) {', '.join(blocked)} never start")
            return False
        assert stage.exit_condition is not None
        formula = self.w._formula(state, stage.exit_condition.source, f"{stage.id}: exit condition")
        if isinstance(formula, solver.Const):
            if formula.value:
                return True
            if not open_steps:
                raise _Infeasible(f"stage {stage.id} never exits: `{stage.exit_condition.source}` stays false")
            return False
        if open_steps:
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
        state = self.state
        waiting = [self.spec.steps[s] for s in self.stage.steps if state.steps[s]["status"] in ("in_progress", "waiting")]
        for kind in ("interactive", "event", "until", "timer"):
            for step in waiting:
                if _kind(step) == kind:
                    self._announce()
                    getattr(self, f"_do_{kind}")(step)
                    return
        raise _Infeasible(f"stage {self.stage.id} is stuck: nothing left to do")  # pragma: no cover - guarded by _exits

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
        referenced = self.w.referenced["outputs"].get(step.id, set())
        for f in step.form.fields:
            if not (f.required or f.name in referenced):
                continue
            name = f"steps.{step.id}.outputs.{f.name}#{visit}"
            kind = _FORM_TYPES.get(f.type, "any")
            options: tuple[Any, ...] = tuple(f.options) if f.type == "select" else ()
            preferred = [f.options[0]] if f.type == "multiselect" and f.options else _sample(f.name, f.type)
            state.variables[name] = Var(name, kind, options=options, preferred=options[0] if options else preferred)
            values[f.name] = Sym(name, text=f"steps.{step.id}.outputs.{f.name}")
        if step.approval is not None:
            personas = [self.w.persona_for(state, a, step) for a in step.approval.approvers] or [self.w.persona_for(state, step.assignee, step)]
            state.act({"_approval": {"step": step.id, "personas": personas, "policy": step.approval.policy,
                                     "quorum": step.approval.quorum, "approve": step.approval.approve_outcome,
                                     "outcomes": list(outcomes), "outcome": outcome, "values": values}})
            by = state.personas[personas[0]]["user"]
        else:
            persona = self.w.persona_for(state, step.assignee, step)
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
        event = _EventScope(state, step, visit, payload)
        correlation: Node | None = None
        if step.correlation is not None and step.correlation.source.strip() in _RUN_REFS:
            correlation = MapLit(((Lit("ref"), Lit(step.correlation.source.strip())),))
        elif step.correlation is not None and not step.correlation_is_predicate:
            correlation = self.w._value(state, step.correlation.source)
            if not isinstance(correlation, (Lit, Sym)):
                state.note(f"`{step.correlation.source}` (correlation of {step.id}): its value is known only "
                           "when the run starts; the event carries TODO")
        elif step.correlation is not None:
            state.add(self.w._formula(state, step.correlation.source, f"{step.id}: event correlation", event))
            chosen = f"event.{step.id}.correlation#{visit}"
            correlation = Sym(chosen, text="event.correlation") if chosen in state.variables else None
        for _, expr in step.set:  # the payload fields `set` reads are chosen too
            reduce(solver.parse(expr.source), self.w._lookup(state, event))
        body: dict[str, Any] = {"name": step.event_name}
        if correlation is not None or (step.correlation is not None and not step.correlation_is_predicate):
            body["correlation"] = correlation if correlation is not None else Lit(TODO)
        body["payload"] = payload
        state.act({"event": body})
        outputs = {"event": MapLit(((Lit("name"), Lit(step.event_name)), (Lit("correlation"), body.get("correlation", Lit(None))),
                                    (Lit("payload"), MapLit(tuple((Lit(k), v) for k, v in payload.items())))))}
        self._complete(step, outputs=outputs, event=event)

    def _do_until(self, step: Step) -> None:
        state = self.state
        assert step.until is not None
        fields = sorted({m for m in re.findall(r"(?<![\w.])record\s*\.\s*([A-Za-z_]\w*)", step.until.source)}
                        - {"id", "owner", "object"})
        if not fields or not self.w.record_object:
            raise _Infeasible(f"step {step.id} waits forever: `{step.until.source}` is false here and no record change "
                              "can make it true")
        before = self.w._formula(state, step.until.source, f"{step.id}: until (before the update)")
        if before != solver.FALSE:
            state.add(Not(before))
        changes: dict[str, Node] = {}
        visit = state.step_visits[step.id]
        for fname in fields:
            fdef = self.w.record_fields.get(fname, {"type": "any"})
            name = f"record.{fname}#{step.id}.{visit}"
            state.variables[name] = Var(name, fdef["type"], preferred=_sample(fname, fdef["type"]))
            state.record[fname] = changes[fname] = Sym(name, text=f"record.{fname}")
        state.add(self.w._formula(state, step.until.source, f"{step.id}: until"))
        state.act({"update_record": {"fields": changes}})
        self._complete(step, outputs={})

    def _do_timer(self, step: Step) -> None:
        timers = [s for s in self.stage.steps if self.state.steps[s]["status"] == "waiting"
                  and _kind(self.spec.steps[s]) == "timer"]
        if step.timer_duration is not None and len(timers) == 1:
            source = next(n.get("timer", {}).get("duration") for n in self.w.document["nodes"] if n["id"] == step.id)
            self.state.act({"advance": source})
        else:
            self.state.act({"advance": "next"})
        self._complete(step, outputs={})


class _EventScope:
    """``event`` in a wait step's correlation and ``set``: payload fields become choices as they are read."""

    def __init__(self, state: _State, step: Step, visit: int, payload: dict[str, Node]):
        self.state, self.step, self.visit, self.payload = state, step, visit, payload

    def lookup(self, path: tuple[str, ...]) -> Node | None:
        if path[1] == "name":
            return Lit(self.step.event_name)
        if path[1] == "correlation":
            return self._choice("correlation", "event.correlation")
        if path[1] == "payload" and len(path) >= 3:
            if path[2] not in self.payload:
                self.payload[path[2]] = self._choice(f"payload.{path[2]}", f"event.payload.{path[2]}")
            return self.payload[path[2]]
        return None

    def _choice(self, what: str, text: str) -> Sym:
        name = f"event.{self.step.id}.{what}#{self.visit}"
        if name not in self.state.variables:
            self.state.variables[name] = Var(name, "any", preferred=_sample(what.split(".")[-1], "string"))
        return Sym(name, text=text)


def _constant_conflict(node: str, outcomes: Sequence[Any], sources: list[str], formulas: list[Formula], index: int) -> str | None:
    """Why taking outcome ``index`` is impossible whatever the values, or None."""
    for i in range(index):
        if formulas[i] == solver.TRUE:
            return f"`{sources[i]}` ({node}: {outcomes[i].id}) always holds here, so later outcomes are never taken"
    if index < len(formulas) and formulas[index] == solver.FALSE:
        return f"`{sources[index]}` ({node}: {outcomes[index].id}) can never hold here"
    return None


def _kind(step: Step) -> str:
    if step.type == "interactive":
        return "interactive"
    if step.event_name is not None:
        return "event"
    if step.until is not None:
        return "until"
    return "timer"


_TYPES = {"string", "number", "integer", "boolean", "date", "datetime", "list", "map", "any"}


# ---------------------------------------------------------------------- rendering


class _Render:
    """Turns a solved path into the data of a scenario file."""

    def __init__(self, walker: _Walker, state: _State, values: dict[str, Any], unsolved: list[str]):
        self.w, self.state, self.values, self.unsolved = walker, state, values, unsolved

    def value(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {k: self.value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, Node):
            return node
        result = evaluate(node, self.values)
        return result.value if isinstance(result, Lit) else TODO

    def scenario(self, name: str, end: str | None, failed: str | None) -> dict[str, Any]:
        spec, state = self.w.spec, self.state
        steps: list[dict[str, Any]] = []
        mocks: list[dict[str, Any]] = []
        in_force: dict[str, dict[str, Any]] = {}
        started = False
        for action in state.actions:
            if "_mock" in action:
                mock = self.value(action["_mock"])
                if in_force.get(mock["step"]) == mock:
                    continue
                first = mock["step"] not in in_force  # a step's first mock is in force from the start
                in_force[mock["step"]] = mock
                if first or not started:
                    mocks.append(mock)
                else:
                    steps.append({"mock": mock})
            elif "_start" in action:
                started = True
                steps.append({"start": self._start()})
            elif "_approval" in action:
                steps.extend(self._approval(action["_approval"]))
            else:
                steps.append(self.value(action))
        final: dict[str, Any] = {"status": "completed" if end else "error"}
        if end:
            final["node"] = end
        final["stages_visited"] = list(state.stages_visited)
        if failed:
            final["error"] = {"step": failed, "message": FAILURE}
        record = self._changed(state.record, state.initial_record)
        if record and self.w.record_object:
            final["record"] = record
        variables = self._changed(state.vars, state.initial_vars)
        if variables:
            final["vars"] = variables
        steps.append({"expect": final})
        described = [f"Generated path test of {spec.label}: {name}."]
        decisions = ", ".join(path_labels(spec, state.decisions))
        if decisions:
            described.append(f"Path: {decisions}.")
        if self.unsolved:
            described.append("TODO: some conditions are beyond the path generator; the values marked TODO must be "
                             "chosen by hand: " + "; ".join(self.unsolved) + ".")
        data: dict[str, Any] = {"scenario": 1, "name": _clip(name), "description": " ".join(described),
                                "orchestration": spec.key, "personas": dict(sorted(state.personas.items()))}
        if self.w.given_types is not None and self.w.record_object in self.w.given_types:
            data["record_types"] = {self.w.record_object: self.w.given_types[self.w.record_object]}
        if mocks:
            data["mocks"] = mocks
        data["steps"] = steps
        return data

    def _start(self) -> dict[str, Any]:
        state, w = self.state, self.w
        if w.record_object:
            fields = {k: self.value(v) for k, v in state.initial_record.items()}
            return {"record": {"object": w.record_object, "owner": OWNER, "fields": fields}}
        inputs = {k: self.value(v) for k, v in state.inputs.items() if isinstance(v, Sym)}
        body: dict[str, Any] = {"as": OWNER}
        if inputs:
            body["inputs"] = inputs
        state.personas.setdefault(OWNER, {"user": OWNER})
        return body

    def _approval(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        outcome = self.value(spec["outcome"])
        personas = spec["personas"]
        total = len(personas)
        if outcome == spec["approve"]:
            count = 1 if spec["policy"] == "any" else total if spec["policy"] == "all" else int(spec["quorum"] or total)
        else:
            count = 1 if spec["policy"] in ("any", "all") else total - int(spec["quorum"] or total) + 1
        values = self.value(spec["values"])
        actions = []
        for persona in personas[:count]:
            action: dict[str, Any] = {"as": persona, "complete": spec["step"]}
            if len(spec["outcomes"]) > 1:
                action["outcome"] = outcome
            if values:
                action["values"] = values
            actions.append(action)
        return actions

    def _changed(self, now: dict[str, Node], before: dict[str, Node]) -> dict[str, Any]:
        changed = {}
        for key, node in now.items():
            if before.get(key) == node and key in before:
                continue
            value = self.value(node)
            if value != TODO:
                changed[key] = value
        return dict(sorted(changed.items()))


# ---------------------------------------------------------------------- helpers


def _references(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the document's expressions read: record fields, inputs, step outputs."""
    sources: list[str] = []

    def collect(value: Any, key: str = "") -> None:
        if isinstance(value, str):
            if key != "label" and key != "description":
                sources.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in ("ui", "label", "description", "id", "type"):
                    collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)

    collect(document.get("nodes", []))
    collect(document.get("trigger", {}))
    text = "\n".join(sources)
    outputs: dict[str, set[str]] = {}
    for step, key in re.findall(r"steps\s*\.\s*([A-Za-z_]\w*)\s*\.\s*outputs\s*\.\s*([A-Za-z_]\w*)", text):
        outputs.setdefault(step, set()).add(key)
    return {
        "record": set(re.findall(r"(?<![\w.])record\s*\.\s*([A-Za-z_]\w*)", text)),
        "inputs": set(re.findall(r"(?<![\w.])inputs\s*\.\s*([A-Za-z_]\w*)", text)),
        "outputs": outputs,
    }


def _sample(name: str, kind: str) -> Any:
    """A plausible value of a type when nothing constrains it."""
    words = name.replace("_", " ")
    return {
        "number": 1000, "integer": 1, "boolean": True, "date": _START_DATE, "datetime": _START_DATETIME,
        "list": [], "map": {}, "email": f"{_ident(name)}@example.com",
    }.get(kind, f"Sample {words}")


def path_labels(spec: OrchestrationSpec, decisions: list[tuple[str, str]]) -> list[str]:
    """``(decision, outcome)`` pairs by their labels: "Legal approved? → Sent back", "Deal size → otherwise",
    and a stage's fault path: "Work → fault path" (docs/ARCHITECTURE.md, "Names, not ids")."""
    described = []
    for node, outcome in decisions:
        decision = spec.decisions.get(node)
        if decision is None:
            described.append(f"{spec.node_label(node)} → {'fault path' if outcome == 'fault' else outcome}")
        elif outcome == decision.default.id:
            described.append(f"{decision.label} → otherwise")
        else:
            described.append(f"{decision.label} → {next((o.label for o in decision.outcomes if o.id == outcome), outcome)}")
    return described


def _segment(label: str, outcome_label: str) -> str:
    """How a path names a decision's non-default outcome: "deal size: $50k or more", "legal approved? sent back"."""
    subject = _lower(label.strip())
    return f"{subject} {_lower(outcome_label)}" if subject.endswith("?") else f"{subject}: {_lower(outcome_label)}"


def _lower(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym ("VP approved" stays)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _name(segments: list[str], end: str) -> str:
    """"legal approved? sent back, resubmitted? withdrawn → withdrawn"; "default path → signed"."""
    head = ", ".join(segments) or "default path"
    return f"{head} → {end}" if end else head


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(", ") + "…"


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "path"


def _ident(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "_", text)
    return ident if re.match(r"^[A-Za-z_]", ident) else f"p_{ident}"


__all__ = ["GeneratedPath", "GeneratedPaths", "generate", "write_scenarios", "REAL_ACTIONS"]
