"""The symbolic side of a walk: what a path knows so far, and how the orchestration's
conditions read it.

Values a scenario chooses are :class:`~runtime.testing.solver.syntax.Sym` symbols, what steps
compute from them is tracked as expressions over them, and each condition read on the way
becomes a formula over the symbols (:mod:`runtime.testing.solver`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runtime.actions import default_registry
from runtime.spec import Assignee, OrchestrationSpec, Step
from runtime.templates import RECORD_TYPES
from runtime.testing.paths.naming import identifier, sample
from runtime.testing.solver.formulas import Atom, Formula, to_formula
from runtime.testing.solver.reduction import Lookup, reduce
from runtime.testing.solver.search import Var
from runtime.testing.solver.syntax import Lit, Node, Sym, parse

#: Actions the scenario runner runs for real; every other action is mocked (``orchestration.start`` too:
#: a child run's work is not the scenario's to do).
REAL_ACTIONS = frozenset({"record.update", "record.create", "notify", "vars.set"})
#: The owner of the record under test (and who starts manual runs).
OWNER = "requester"
#: The message of a background step a path makes fail (its mock fails with it; the end expects it).
FAILURE = "generated failure"


class Infeasible(Exception):
    """The path cannot go on: its conditions contradict each other or the run is stuck."""


class PathState:
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

    def branch(self) -> PathState:
        other = PathState.__new__(PathState)
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


class EventScope:
    """``event`` in a wait step's correlation and ``set``: payload fields become choices as they are read."""

    def __init__(self, state: PathState, step: Step, visit: int, payload: dict[str, Node]):
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
            self.state.variables[name] = Var(name, "any", preferred=sample(what.split(".")[-1], "string"))
        return Sym(name, text=text)


def references(document: Mapping[str, Any]) -> dict[str, Any]:
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


_ABSENT: Any = object()


class Orchestration:
    """The orchestration a walk goes through: its spec, the record it runs on, what its
    expressions read; and how a path's state reads in its conditions and assignees."""

    def __init__(self, spec: OrchestrationSpec, document: dict[str, Any], record_types: Mapping[str, list[dict[str, Any]]] | None):
        self.spec = spec
        self.document = document
        self.given_types = record_types
        self.record_types = dict(record_types) if record_types is not None else RECORD_TYPES
        self.registry = default_registry()
        self.referenced = references(document)
        trigger = spec.trigger
        self.record_object = trigger.object if trigger.type == "record" else None
        self.record_fields = {f["name"]: f for f in self.record_types.get(self.record_object or "", [])}

    def runs_for_real(self, step: Step) -> bool:
        """Whether the scenario runner runs the step's action for real (else the scenario mocks it)."""
        return step.action in REAL_ACTIONS

    def formula(self, state: PathState, source: str, origin: str, event: EventScope | None = None) -> Formula:
        """The condition ``source`` states about the path's chosen values, at this point of the path."""
        return to_formula(reduce(parse(source), self.lookup(state, event)), origin)

    def value(self, state: PathState, source: str) -> Node:
        """What the expression ``source`` is at this point of the path (a Lit when known)."""
        return reduce(parse(source), self.lookup(state))

    def lookup(self, state: PathState, event: EventScope | None = None) -> Lookup:
        """What each dotted name of the orchestration's expressions stands for in ``state``."""

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
                    state.variables[name] = Var(name, "any", preferred=sample(path[1], "string"))
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

    def persona(self, state: PathState, name: str, *, user: str, group: str | None = None, queue: str | None = None) -> str:
        """Add (or extend) the persona ``name`` acting as ``user``; returns the name it got."""
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

    def persona_for(self, state: PathState, assignee: Assignee, step: Step) -> str:
        """The persona that acts for ``assignee``."""
        if assignee.type in ("group", "queue"):
            name = identifier(assignee.value)
            kind = {"group": "group", "queue": "queue"}[assignee.type]
            return self.persona(state, name, user=f"{name}_user", **{kind: assignee.value})
        if assignee.type == "user":
            return self.persona(state, identifier(assignee.value), user=assignee.value)
        value = self.value(state, assignee.value)
        if isinstance(value, Lit) and isinstance(value.value, str) and value.value:
            if value.value == OWNER:
                return self.persona(state, OWNER, user=OWNER)
            return self.persona(state, identifier(value.value), user=value.value)
        if isinstance(value, Sym):
            user = f"{step.id}_assignee"
            state.add(Atom(value.name, "==", user, assignee.value, f"{step.id}: assignee"))
            return self.persona(state, user, user=user)
        state.note(f"`{assignee.value}` (assignee of {step.id}): the user it names is beyond the solver")
        return self.persona(state, OWNER, user=OWNER)
