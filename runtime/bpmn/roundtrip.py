"""Overture -> BPMN -> Overture without loss: the document a file's ``overture:`` extensions hold.

``runtime/bpmn/export.py`` writes each node's JSON in ``<overture:node index="i">``, each
edge's in ``<overture:edge index="i">``, the top-level fields in ``<overture:document>``
and marks what it adds for BPMN's sake with ``<overture:part>``. ``read_overture``
gives that document back exactly — but only when the file still is what Overture
wrote: any flow element or flow that carries none of these (one added in another
tool), a missing or repeated index, or JSON that does not parse, and it answers
``None`` so the importer maps the BPMN instead.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.bpmn.export import NS_BPMN, NS_OVERTURE

_EXT = f"{{{NS_BPMN}}}extensionElements"
_PROCESS = f"{{{NS_BPMN}}}process"
_NODE = f"{{{NS_OVERTURE}}}node"
_EDGE = f"{{{NS_OVERTURE}}}edge"
_PART = f"{{{NS_OVERTURE}}}part"
_DOCUMENT = f"{{{NS_OVERTURE}}}document"

# What a process or sub-process may hold that is not a flow element.
_NOT_FLOW = {
    f"{{{NS_BPMN}}}{name}"
    for name in (
        "documentation",
        "extensionElements",
        "incoming",
        "outgoing",
        "laneSet",
        "textAnnotation",
        "association",
        "group",
        "auditing",
        "monitoring",
        "property",
        "ioSpecification",
    )
}


def read_overture(tree: Any) -> dict[str, Any] | None:
    """The Overture document ``tree`` (an ElementTree or its root element) carries, else None."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    processes = [el for el in root if el.tag == _PROCESS]
    carriers = [p for p in processes if _ext(p, _DOCUMENT)]
    if len(carriers) != 1:
        return None
    process = carriers[0]
    meta = _load(_ext(process, _DOCUMENT)[0])
    if not isinstance(meta, dict) or "nodes" in meta or "edges" in meta:
        return None
    nodes: dict[int, Any] = {}
    edges: dict[int, Any] = {}
    for element in process.iter():
        if element.tag not in (_NODE, _EDGE):
            continue
        index = element.get("index")
        if index is None or not index.isdigit():
            return None
        found = nodes if element.tag == _NODE else edges
        if int(index) in found:
            return None
        value = _load(element)
        if value is _BAD:
            return None
        found[int(index)] = value
    if not _all_ours(process):
        return None
    if sorted(nodes) != list(range(len(nodes))) or sorted(edges) != list(range(len(edges))):
        return None
    return {**meta, "nodes": [nodes[i] for i in range(len(nodes))], "edges": [edges[i] for i in range(len(edges))]}


_BAD = object()


def _load(element: Any) -> Any:
    try:
        return json.loads(element.text or "")
    except ValueError:
        return _BAD


def _ext(element: Any, tag: str) -> list[Any]:
    return [child for ext in element if ext.tag == _EXT for child in ext if child.tag == tag]


def _all_ours(container: Any) -> bool:
    """True when every flow element in ``container`` (and its sub-processes) carries an Overture mark."""
    for child in container:
        if not isinstance(child.tag, str) or child.tag in _NOT_FLOW or not child.tag.startswith(f"{{{NS_BPMN}}}"):
            continue
        if not (_ext(child, _NODE) or _ext(child, _EDGE) or _ext(child, _PART)):
            return False
        if child.tag == f"{{{NS_BPMN}}}subProcess" and not _all_ours(child):
            return False
    return True
