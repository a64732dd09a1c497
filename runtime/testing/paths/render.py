"""Rendering a solved path as the data of a scenario file."""

from __future__ import annotations

from typing import Any

from runtime.testing.paths.naming import clip, path_labels
from runtime.testing.paths.symbolic import FAILURE, OWNER, Orchestration, PathState
from runtime.testing.solver.search import TODO, evaluate
from runtime.testing.solver.syntax import Lit, Node, Sym


class Render:
    """Turns a solved path into the data of a scenario file."""

    def __init__(self, orchestration: Orchestration, state: PathState, values: dict[str, Any], unsolved: list[str]):
        self.orch, self.state, self.values, self.unsolved = orchestration, state, values, unsolved

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
        spec, state = self.orch.spec, self.state
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
        if record and self.orch.record_object:
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
            described.append(
                "TODO: some conditions are beyond the path generator; the values marked TODO must be "
                "chosen by hand: " + "; ".join(self.unsolved) + "."
            )
        data: dict[str, Any] = {
            "scenario": 1,
            "name": clip(name),
            "description": " ".join(described),
            "orchestration": spec.key,
            "personas": dict(sorted(state.personas.items())),
        }
        if self.orch.given_types is not None and self.orch.record_object is not None and self.orch.record_object in self.orch.given_types:
            data["record_types"] = {self.orch.record_object: self.orch.given_types[self.orch.record_object]}
        if mocks:
            data["mocks"] = mocks
        data["steps"] = steps
        return data

    def _start(self) -> dict[str, Any]:
        state, w = self.state, self.orch
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
