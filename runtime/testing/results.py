"""What running a scenario gives: a :class:`ScenarioResult` and its :class:`Failure` list.

Apart from the runner, so that what reads results (the suite, JUnit, the pytest plugin,
the builder) needs the result types and not the engine that produced them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import yaml

from runtime.testing.coverage import Coverage
from runtime.testing.scenario_format import ScenarioFormatError

#: Failure kinds.
KINDS = ("expect", "action", "negative", "mock", "setup")


@dataclass
class Failure:
    """One thing that went wrong in a scenario.

    Attributes:
        step: 0-based index into ``steps`` (None for set-up problems).
        line: 1-based line of that step in the file (None when built in Python).
        kind: ``expect``, ``action``, ``negative``, ``mock`` or ``setup``.
        message: what went wrong, in words.
        expected: what the scenario expected (JSON), when it applies.
        actual: what the run had (JSON), when it applies.
    """

    step: int | None
    line: int | None
    kind: str
    message: str
    expected: Any = None
    actual: Any = None

    def diff(self) -> str:
        """A unified diff of expected vs actual as YAML; empty when there is nothing to compare."""
        if self.expected is None and self.actual is None:
            return ""
        lines = difflib.unified_diff(_yaml_lines(self.expected), _yaml_lines(self.actual), "expected", "actual", lineterm="")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "line": self.line,
            "kind": self.kind,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "diff": self.diff(),
        }


def _yaml_lines(value: Any) -> list[str]:
    text = yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return [line for line in text.splitlines() if line != "..."]


@dataclass
class ScenarioResult:
    """What running one scenario gave."""

    name: str
    source: str | None
    orchestration: str
    failures: list[Failure] = field(default_factory=list)
    duration_ms: float = 0.0
    steps_run: int = 0
    run_id: str | None = None
    #: Stage ids the run under test visited, in order.
    path: list[str] = field(default_factory=list)
    #: Coverage of this scenario alone.
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self) -> str:
        """A readable account: PASS/FAIL, and for each failure where it is, what, and a diff."""
        head = f"{'PASS' if self.passed else 'FAIL'} {self.name} [{self.orchestration}] {self.duration_ms:.1f} ms"
        lines = [head]
        for failure in self.failures:
            where = self.source or "<scenario>"
            if failure.line is not None:
                where += f":{failure.line}"
            step = f"step {failure.step + 1}" if failure.step is not None else "set-up"
            lines.append(f"  {where}: {step}: {failure.kind}: {failure.message}")
            lines.extend(f"      {line}" for line in failure.diff().splitlines())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what the API returns for one scenario."""
        return {
            "name": self.name,
            "source": self.source,
            "orchestration": self.orchestration,
            "passed": self.passed,
            "failures": [f.to_dict() for f in self.failures],
            "duration_ms": round(self.duration_ms, 3),
            "steps_run": self.steps_run,
            "run_id": self.run_id,
            "path": list(self.path),
            "coverage": self.coverage.report(),
        }


def setup_failures(error: ScenarioFormatError) -> list[Failure]:
    """A file that does not load, as failures of kind ``setup`` (one per problem, with its line)."""
    return [
        Failure(None, p.get("line"), "setup", f"{p['path']}: {p['message']}" if p.get("path") else p["message"]) for p in error.problems
    ]
