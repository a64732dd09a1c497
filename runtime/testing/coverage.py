"""Coverage of orchestrations by scenarios: which nodes, decision outcomes and edges ran.

Collected from the event logs of the runs a scenario made. Every visit counts as a hit,
so a loop that goes round twice hits its stages twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

_KINDS = ("nodes", "outcomes", "edges")


def _elements(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """What there is to cover in a document, in document order."""
    nodes: list[str] = []
    outcomes: list[str] = []
    for node in document.get("nodes", []):
        if node.get("type") == "start":
            continue
        nodes.append(node["id"])
        if node.get("type") == "decision":
            outcomes.extend(f"{node['id']}:{o['id']}" for o in node.get("outcomes", []))
            outcomes.append(f"{node['id']}:default")
    edges = [edge["id"] for edge in document.get("edges", [])]
    return {"nodes": nodes, "outcomes": outcomes, "edges": edges}


def _figures(covered: int, total: int) -> dict[str, Any]:
    return {"covered": covered, "total": total, "percent": round(100.0 * covered / total, 1) if total else 100.0}


class Coverage:
    """Hits per node, decision outcome and edge, per orchestration key."""

    def __init__(self) -> None:
        #: key -> what there is to cover in that orchestration's document.
        self._elements: dict[str, dict[str, list[str]]] = {}
        self._hits: dict[str, dict[str, Counter[str]]] = {}

    def _key(self, document: Mapping[str, Any]) -> str:
        key = str(document["key"])
        self._elements[key] = _elements(document)
        self._hits.setdefault(key, {kind: Counter() for kind in _KINDS})
        return key

    def add_run(self, document: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> None:
        """Count what one run of ``document`` did, from its event log (oldest first)."""
        hits = self._hits[self._key(document)]
        stage_visits: set[tuple[str, Any]] = set()
        for event in events:
            kind, node, data = event["type"], event.get("node", ""), event.get("data") or {}
            if kind in ("stage.started", "stage.waiting"):
                # A stage with an entry condition waits, then starts: one visit, one hit.
                if (node, event.get("visit")) not in stage_visits:
                    stage_visits.add((node, event.get("visit")))
                    hits["nodes"][node] += 1
            elif kind in ("step.started", "step.waiting", "end.reached"):
                # A wait step's visit shows as step.waiting (it never "starts").
                hits["nodes"][node] += 1
            elif kind == "decision.taken":
                hits["nodes"][node] += 1
                hits["outcomes"][f"{node}:{data.get('outcome')}"] += 1
            elif kind == "edge.taken":
                hits["edges"][str(data.get("edge"))] += 1

    def merge(self, other: Coverage) -> Coverage:
        """Add another coverage's hits to this one; returns self."""
        for key, elements in other._elements.items():
            self._elements[key] = elements
            mine = self._hits.setdefault(key, {kind: Counter() for kind in _KINDS})
            for kind in _KINDS:
                mine[kind].update(other._hits[key][kind])
        return self

    def hits(self, key: str) -> dict[str, dict[str, int]]:
        """Raw hit counts of one orchestration (``{"nodes": {...}, "outcomes": {...}, "edges": {...}}``)."""
        found = self._hits.get(key, {kind: Counter() for kind in _KINDS})
        return {kind: dict(found[kind]) for kind in _KINDS}

    def report(self) -> dict[str, Any]:
        """Per orchestration and in total: covered, total, percent, missed and hits of each kind."""
        orchestrations: dict[str, Any] = {}
        totals = {kind: [0, 0] for kind in _KINDS}
        for key in sorted(self._elements):
            elements = self._elements[key]
            section: dict[str, Any] = {}
            for kind in _KINDS:
                counts = self._hits[key][kind]
                hits = {name: counts.get(name, 0) for name in elements[kind]}
                covered = sum(1 for n in hits.values() if n)
                section[kind] = {**_figures(covered, len(hits)), "missed": [name for name, n in hits.items() if not n], "hits": hits}
                totals[kind][0] += covered
                totals[kind][1] += len(hits)
            orchestrations[key] = section
        return {"orchestrations": orchestrations, "total": {kind: _figures(*totals[kind]) for kind in _KINDS}}
