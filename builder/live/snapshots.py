"""Figures of an orchestration read whole: the snapshot a ``/ws/live`` client starts with
(and ``GET /api/orchestrations/<key>/insights`` answers), and the delta a client that
resumes with ``?after=<seq>`` missed (builder/LIVE.md).
"""

from __future__ import annotations

from typing import Any

from builder.extensions import state
from builder.live.hub import changed_elements, hub
from runtime import insights
from runtime.model import Version

#: A client resuming further behind than this gets a snapshot instead of a delta.
RESUME_LIMIT = 10_000


def elements_of(key: str, version: int | None) -> tuple[list[str], list[str]]:
    """Node and edge ids of a version (the active one when None), listed with zeros."""
    spec = state().engine.spec(key, version)
    return [n["id"] for n in spec.document["nodes"]], [e["id"] for e in spec.document["edges"]]


def snapshot(key: str, version: int | None, window: str) -> dict[str, Any]:
    """Figures of an orchestration right now (the projector catches up first)."""
    nodes, edges = elements_of(key, version)
    hub().project()
    now = state().engine.clock.now()
    figures = insights.snapshot(state().store, key, now=now, version=version, window=window, nodes=nodes, edges=edges)
    return {"orchestration": key, "version": version, "window": window, "at": now.isoformat(), **figures}


def _due_nodes(key: str) -> set[str]:
    """Nodes that can have overdue work: steps with a due date and their stages."""
    found: set[str] = set()
    with state().store.transaction(write=False) as tx:
        numbers = [v.number for v in tx.find(Version, orchestration=key)]
    for number in numbers:
        for step in state().engine.spec(key, number).steps.values():
            if step.due is not None:
                found.update((step.id, step.stage))
    return found


def resume(key: str, version: int | None, window: str, after: int) -> dict[str, Any] | None:
    """What a client that has figures up to ``after`` missed, as a delta; None when a
    snapshot is needed (too far behind, a window that slides, or a reset database)."""
    if window != "all":
        return None
    store = state().store
    live = hub()
    live.project()
    position = live.projector.position()
    if after > position or position - after > RESUME_LIMIT:
        return None
    events = [e for e in store.events_after(after, position - after) if e.id <= position]
    elements = changed_elements(events, live.run_key).get(key, set())
    if elements is not None:
        elements |= {("node", n) for n in _due_nodes(key)}
    now = state().engine.clock.now()
    # Figures read now may also hold what happened after `position`: labelled with
    # `position`, so the deltas that follow repeat it rather than skip it.
    with store.transaction(write=False) as tx:
        rows = insights.read_rows(tx, key, (0,), elements)
        overdue = insights.overdue_counts(tx, key, now)
    nodes = None if elements is None else sorted(e for k, e in elements if k == "node")
    edges = None if elements is None else sorted(e for k, e in elements if k == "edge")
    view = insights.figures(rows, overdue, version=version, nodes=nodes or (), edges=edges or ())
    if nodes is not None:
        view["nodes"] = {n: f for n, f in view["nodes"].items() if n in nodes}
    return {"type": "delta", "seq": position, "resumed": True, **view}
