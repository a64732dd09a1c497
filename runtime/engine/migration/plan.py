"""A migration plan, and the node mapping it implies between two versions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.errors import InvalidInput
from runtime.spec import OrchestrationSpec
from runtime.states import LIVE_RUN

RECOMPUTABLE = ("assignee", "due")
#: What happens to timers of steps under way: kept as they are, or set again from the target.
TIMER_POLICIES = ("keep", "recompute")


@dataclass(frozen=True)
class Plan:
    """Which runs move to which version, and how their nodes map.

    Args:
        orchestration: the orchestration's key.
        target: the version the runs move to.
        sources: the versions runs move from (empty: every version but the target).
        runs: only these runs (empty: every live run of the source versions).
        stages: only runs whose current node is one of these (source node ids).
        statuses: only runs in these statuses (live ones: in_progress, suspended, error).
        mapping: source node id -> target node id, for nodes renamed or replaced.
        recompute: for open work items, work these out again from the target: ``assignee``, ``due``.
        timers: ``keep`` the timers of steps under way, or ``recompute`` them from the target.
    """

    orchestration: str
    target: int
    sources: tuple[int, ...] = ()
    runs: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    recompute: tuple[str, ...] = ()
    timers: str = "keep"

    def to_json(self) -> dict[str, Any]:
        return {
            "orchestration": self.orchestration,
            "target": self.target,
            "sources": list(self.sources),
            "runs": list(self.runs),
            "stages": list(self.stages),
            "statuses": list(self.statuses),
            "mapping": dict(self.mapping),
            "recompute": list(self.recompute),
            "timers": self.timers,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """A plan from its JSON form, each field checked (:class:`InvalidInput` names the wrong ones)."""
        errors: dict[str, str] = {}

        def texts(name: str) -> tuple[str, ...]:
            raw = data.get(name) or []
            if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
                errors[name] = "must be a list of non-empty strings"
                return ()
            return tuple(dict.fromkeys(raw))

        key = data.get("orchestration")
        if not isinstance(key, str) or not key:
            errors["orchestration"] = "is required"
        target = data.get("target")
        if not isinstance(target, int) or isinstance(target, bool) or target < 1:
            errors["target"] = "must be a version number (1 or more)"
        raw_sources = data.get("sources") or []
        if not isinstance(raw_sources, list) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in raw_sources):
            errors["sources"] = "must be a list of version numbers"
            raw_sources = []
        mapping = data.get("mapping") or {}
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in mapping.items()):
            errors["mapping"] = "must map node ids to node ids"
            mapping = {}
        recompute = texts("recompute")
        if unknown := [r for r in recompute if r not in RECOMPUTABLE]:
            errors["recompute"] = f"{', '.join(unknown)}: only {' and '.join(RECOMPUTABLE)} can be worked out again"
        statuses = texts("statuses")
        if wrong := [s for s in statuses if s not in LIVE_RUN]:
            errors["statuses"] = f"{', '.join(wrong)}: only runs that have not ended move ({', '.join(LIVE_RUN)})"
        timers = data.get("timers", "keep")
        if timers not in TIMER_POLICIES:
            errors["timers"] = f"must be {' or '.join(TIMER_POLICIES)}"
        runs, stages = texts("runs"), texts("stages")
        if errors:
            raise InvalidInput("the migration plan is not valid", errors)
        assert isinstance(key, str) and isinstance(target, int)
        return cls(key, target, tuple(sorted(set(raw_sources))), runs, stages, statuses, dict(mapping), recompute, timers)


# -- the mapping


def kind_of(spec: OrchestrationSpec, node: str) -> str | None:
    """A node's kind: ``stage``, ``decision``, ``end`` or its step type; None if it has none."""
    if node in spec.stages:
        return "stage"
    if node in spec.decisions:
        return "decision"
    if node in spec.ends:
        return "end"
    step = spec.steps.get(node)
    return step.type if step is not None else None


def _nodes(spec: OrchestrationSpec) -> list[str]:
    return [*spec.stages, *spec.steps, *spec.decisions, *sorted(spec.ends)]


def node_map(source: OrchestrationSpec, target: OrchestrationSpec, mapping: Mapping[str, str]) -> dict[str, str | None]:
    """Each node of ``source`` -> its node in ``target`` (None: it has none there)."""
    found: dict[str, str | None] = {}
    for node in _nodes(source):
        if node in mapping:
            found[node] = mapping[node]
        else:
            found[node] = node if kind_of(target, node) is not None and kind_of(target, node) == kind_of(source, node) else None
    return found


def check_mapping(sources: Iterable[OrchestrationSpec], target: OrchestrationSpec, mapping: Mapping[str, str]) -> None:
    """Refuse a mapping that names unknown nodes, maps across kinds, or gives two nodes one
    target (:class:`InvalidInput`, one message per wrong entry)."""
    sources = list(sources)
    errors: dict[str, str] = {}
    for old, new in mapping.items():
        kinds = {kind_of(s, old) for s in sources} - {None}
        if not kinds:
            errors[old] = f"is not a node of version {', '.join(str(s.version) for s in sources)}"
        elif kind_of(target, new) is None:
            errors[old] = f"maps to {new!r}, which is not a node of version {target.version}"
        elif kind_of(target, new) not in kinds:
            kinds_text = "/".join(sorted(k for k in kinds if k))
            errors[old] = f"is a {kinds_text} and {new!r} a {kind_of(target, new)}; a node maps to one of its kind"
    for spec in sources:
        taken: dict[str, str] = {}
        for old, mapped in node_map(spec, target, mapping).items():
            if mapped is None or old in errors:
                continue
            if mapped in taken:
                errors.setdefault(old, f"and {taken[mapped]!r} both map to {mapped!r}; give each its own node")
            taken[mapped] = old
    if errors:
        raise InvalidInput("the node mapping is not valid", {"mapping": errors})
