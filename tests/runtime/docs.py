"""Small builders of orchestration documents for tests."""

from __future__ import annotations

from typing import Any


def step(id: str, type: str = "interactive", stage: str = "s1", **fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"id": id, "type": type, "stage": stage, "label": fields.pop("label", id)}
    if type == "interactive":
        node["assignee"] = fields.pop("assignee", {"type": "group", "value": "legal"})
        node["form"] = fields.pop("form", {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]})
    node.update(fields)
    return node


def one_stage(*steps: dict[str, Any], key: str = "t", exit: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """start -> stage s1 (with ``steps``) -> end."""
    return document(
        [{"id": "s1", "type": "stage", "label": "Stage one", "exit": exit or {"when": "all_steps"}}, *steps],
        [("start", "s1"), ("s1", "end")],
        key=key,
        **top,
    )


def document(nodes: list[dict[str, Any]], edges: list[tuple[Any, ...]], key: str = "t", **top: Any) -> dict[str, Any]:
    """A document with start and end nodes added; edges are (source, target[, outcome|"error"])."""
    all_nodes = [{"id": "start", "type": "start"}, *nodes]
    if not any(n["id"] == "end" for n in nodes):
        all_nodes.append({"id": "end", "type": "end"})
    edge_docs = []
    for i, (source, target, *rest) in enumerate(edges):
        edge: dict[str, Any] = {"id": f"e{i}", "source": source, "target": target}
        if rest:
            if rest[0] == "error":
                edge["kind"] = "error"
            else:
                edge["outcome"] = rest[0]
        edge_docs.append(edge)
    return {"format": 1, "key": key, "label": top.pop("label", key), "nodes": all_nodes, "edges": edge_docs, **top}
