"""The walk: every path from start to the ends, each decision outcome and fault path in turn.

Loops are bounded by ``max_visits`` visits of a stage, the number of paths by ``max_paths``
and the branches tried by a budget (paths that all turn out infeasible must not make it
endless). Each branch is checked with the solver as it goes; a path that reaches an end
is solved and rendered as a scenario.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypedDict

from runtime.spec import OrchestrationSpec, Stage
from runtime.testing.paths.generated import GeneratedPath, GeneratedPaths
from runtime.testing.paths.naming import file_slug, lower, path_labels, path_name, sample, segment
from runtime.testing.paths.render import Render
from runtime.testing.paths.stage import StageRun
from runtime.testing.paths.symbolic import OWNER, Infeasible, Orchestration, PathState
from runtime.testing.solver.formulas import FALSE, TRUE, Formula, Not
from runtime.testing.solver.search import Var, solve
from runtime.testing.solver.syntax import Lit, Sym


class _Labels(TypedDict):
    """The label fields of a GeneratedPath, passed as keywords."""

    stage_labels: list[str]
    path: list[str]


class _OutOfBudget(Exception):
    """The walk tried as many branches as it may."""


class Walker:
    """Walks an orchestration's graph, branching the path state at each decision and fault path."""

    def __init__(
        self,
        spec: OrchestrationSpec,
        document: dict[str, Any],
        max_visits: int,
        record_types: Mapping[str, list[dict[str, Any]]] | None,
        max_paths: int,
    ):
        self.orch = Orchestration(spec, document, record_types)
        self.spec = spec
        self.max_visits = max_visits
        self.max_paths = max_paths
        self.feasible = GeneratedPaths()
        self.infeasible: list[GeneratedPath] = []
        self.run_errors_done: set[str] = set()
        self.decision_cap = max_visits * max(1, len(spec.stages))
        #: Branches the walk may try: paths that all turn out infeasible must not make it endless.
        self.budget = max_paths * 100
        self.labels = {n["id"]: n.get("label") or n["id"] for n in document["nodes"]}

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

    def _initial(self) -> PathState:
        state = PathState()
        spec = self.spec
        for var in spec.variables:
            state.vars[var.name] = Lit(var.default)
        for var in spec.inputs:
            name = f"inputs.{var.name}"
            if var.name in self.orch.referenced["inputs"] or var.required:
                state.variables[name] = Var(name, var.type, preferred=var.default if var.has_default else sample(var.name, var.type))
                state.inputs[var.name] = Sym(name, text=name)
            else:
                state.inputs[var.name] = Lit(var.default if var.has_default else None)
        if self.orch.record_object:
            for fname, fdef in self.orch.record_fields.items():
                if fdef.get("required") or fname in self.orch.referenced["record"]:
                    name = f"record.{fname}"
                    state.variables[name] = Var(name, fdef["type"], preferred=sample(fname, fdef["type"]))
                    state.record[fname] = Sym(name, text=name)
            if spec.trigger.condition is not None:
                formula = self.orch.formula(state, spec.trigger.condition.source, "the trigger condition")
                state.add(formula)
            self.orch.persona(state, OWNER, user=OWNER)
        state.initial_record = dict(state.record)
        state.initial_vars = dict(state.vars)
        state.act({"_start": True})
        return state

    def _walk(self, state: PathState, node: str) -> Iterator[None]:
        spec = self.spec
        if node in spec.ends:
            yield from self._finish(state, end=node)
        elif node in spec.decisions:
            yield from self._decide(state, node)
        elif node in spec.stages:
            yield from self._stage(state, spec.stages[node])

    def _decide(self, state: PathState, node: str) -> Iterator[None]:
        decision = self.spec.decisions[node]
        visits = state.node_visits.get(node, 0) + 1
        if visits > self.decision_cap:
            return
        sources = [o.condition.source for o in decision.outcomes if o.condition is not None]
        formulas = [self.orch.formula(state, source, f"{node}: {o.id}") for source, o in zip(sources, decision.outcomes)]
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
                branch.segments.append(segment(decision.label, outcome.label))
            problem = _constant_conflict(node, decision.outcomes, sources, formulas, index) or self._check(branch)
            if problem:
                self._drop(branch, problem)
                continue
            yield from self._walk(branch, outcome.target)

    def _stage(self, state: PathState, stage: Stage) -> Iterator[None]:
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
                reached = StageRun(self.orch, branch, stage, failing).run()
            except Infeasible as exc:
                if kind == "next":
                    self._drop(branch, str(exc))
                continue
            if failing is not None and reached != "failed":
                continue  # the failing step did not run on this visit
            problem = self._check(branch)
            if problem:
                self._drop(branch, problem)
                continue
            # The variants above: "next" fails nothing; "fault" and "error" name
            # the failing step, and "fault" is the one of a stage with an error edge.
            if failing is None:
                yield from self._walk(branch, stage.next)
            elif stage.error_next:
                branch.decisions.append((stage.id, "fault"))
                branch.segments.append(f"{lower(self.spec.steps[failing].label)} fails")
                yield from self._walk(branch, stage.error_next)
            else:
                self.run_errors_done.add(failing)
                branch.decisions.append((stage.id, "error"))
                branch.segments.append(f"{lower(self.spec.steps[failing].label)} fails")
                yield from self._finish(branch, end=None, failed=failing)

    def _spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _OutOfBudget

    def _fault_step(self, stage: Stage) -> str | None:
        background = [s for s in stage.steps if self.spec.steps[s].type == "background"]
        outside = [s for s in background if not self.orch.runs_for_real(self.spec.steps[s])]
        if stage.error_next is not None:
            either = outside or background
            return either[0] if either else None
        return outside[0] if outside else None

    def _check(self, state: PathState) -> str | None:
        found = solve(state.formulas, state.variables)
        return None if found.satisfiable else found.conflict

    def _drop(self, state: PathState, reason: str) -> None:
        if len(self.infeasible) >= self.max_paths:
            return
        name = path_name(state.segments, "impossible")
        self.infeasible.append(
            GeneratedPath(
                name,
                file_slug(name),
                list(state.stages_visited),
                list(state.decisions),
                feasible=False,
                reason=reason,
                status="infeasible",
                **self._labels(state),
            )
        )

    def _labels(self, state: PathState) -> _Labels:
        """A path's stages and decisions by their labels (``GeneratedPath.stage_labels`` and ``path``)."""
        return {"stage_labels": [self.spec.node_label(s) for s in state.stages_visited], "path": path_labels(self.spec, state.decisions)}

    def _finish(self, state: PathState, *, end: str | None, failed: str | None = None) -> Iterator[None]:
        found = solve(state.formulas, state.variables)
        name = path_name(state.segments, lower(self.labels.get(end, end)) if end else "run error")
        taken = {p.name for p in self.feasible}
        name = next(f"{name} (#{n})" for n in range(2, len(taken) + 3) if f"{name} (#{n})" not in taken) if name in taken else name
        if not found.satisfiable:
            self._drop(state, found.conflict or "the conditions cannot all hold")
            return
        unsolved = [*state.unsolved, *found.unsolved]
        data = Render(self.orch, state, found.values, unsolved).scenario(name, end, failed)
        self.feasible.append(
            GeneratedPath(
                name=name,
                slug=file_slug(name),
                stages=list(state.stages_visited),
                decisions=list(state.decisions),
                end=end,
                status="completed" if end else "error",
                unsolved=unsolved,
                data=data,
                **self._labels(state),
            )
        )
        yield None


def _constant_conflict(node: str, outcomes: Sequence[Any], sources: list[str], formulas: list[Formula], index: int) -> str | None:
    """Why taking outcome ``index`` is impossible whatever the values, or None."""
    for i in range(index):
        if formulas[i] == TRUE:
            return f"`{sources[i]}` ({node}: {outcomes[i].id}) always holds here, so later outcomes are never taken"
    if index < len(formulas) and formulas[index] == FALSE:
        return f"`{sources[index]}` ({node}: {outcomes[index].id}) can never hold here"
    return None
