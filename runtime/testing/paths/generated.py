"""What path generation gives: each path found, and the scenario that drives a run down it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.testing.scenario import Scenario


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
    def scenario(self) -> Scenario | None:
        """The :class:`~runtime.testing.Scenario` (None when the path is not feasible)."""
        return Scenario.from_dict(self.data) if self.data is not None else None

    def to_yaml(self) -> str:
        """The scenario file's text."""
        if self.data is None:
            raise ValueError(f"path {self.name!r} is not feasible: {self.reason}")
        return Scenario.from_dict(self.data).to_yaml()


class GeneratedPaths(list[GeneratedPath]):
    """The paths :func:`generate` found; ``truncated`` when it stopped at ``max_paths``."""

    truncated: bool = False
