"""Overture -> BPMN -> Overture without loss: the document a file's ``overture:`` extensions hold.

``runtime/bpmn/export.py`` writes each node's JSON in ``<overture:node index="i">``, each
edge's in ``<overture:edge index="i">``, the top-level fields in ``<overture:document>``
and marks what it adds for BPMN's sake with ``<overture:part>``. ``read_overture``
gives that document back exactly — but only when the file still is what Overture
wrote: any flow element or flow that carries none of these (one added in another
tool), a missing or repeated index, or JSON that does not parse, and it answers
``None`` so the importer maps the BPMN instead.

Two edits made in a modeler do carry over: a renamed node (its ``name``) and a moved or
resized shape (its DI bounds, written back to the node's ``ui``, a step's relative to its
stage). They are found by exporting the document again and comparing, so a file nobody
edited gives back exactly the document it was made from.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.bpmn.export import EVENT, NS_BPMN, NS_OVERTURE, STEP_HEIGHT, STEP_TYPES, export_bpmn

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
    document = {**meta, "nodes": [nodes[i] for i in range(len(nodes))], "edges": [edges[i] for i in range(len(edges))]}
    return _with_edits(root, document)


_BAD = object()


def _load(element: Any) -> Any:
    try:
        return json.loads(element.text or "")
    except (ValueError, RecursionError):  # RecursionError: JSON nested beyond what the parser follows
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


_DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
_DC = "{http://www.omg.org/spec/DD/20100524/DC}"


def _marked(root: Any) -> dict[int, Any]:
    """Node index -> the BPMN element carrying that ``overture:node``."""
    found: dict[int, Any] = {}
    for element in root.iter():
        for mark in _ext(element, _NODE):
            found[int(mark.get("index"))] = element
    return found


def _bounds(root: Any) -> dict[str, tuple[float, float, float, float]]:
    out: dict[str, tuple[float, float, float, float]] = {}
    for shape in root.iter(f"{_DI}BPMNShape"):
        box = shape.find(f"{_DC}Bounds")
        try:
            if box is not None:
                out[shape.get("bpmnElement")] = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[assignment]
        except (TypeError, ValueError):
            continue
    return out


def _with_edits(root: Any, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the names and positions edited in the file since Overture wrote it."""
    import xml.etree.ElementTree as ET  # our own output, parsed again: no untrusted input here

    try:
        ours = ET.fromstring(export_bpmn(document))
    except (ValueError, TypeError, RecursionError):  # e.g. NaN in a hand-made file: keep what it says
        return document
    theirs_at, ours_at = _marked(root), _marked(ours)
    theirs_box, ours_box = _bounds(root), _bounds(ours)
    stage_of: dict[int, int] = {}
    index_of = {n["id"]: i for i, n in reversed(list(enumerate(document["nodes"]))) if isinstance(n, dict) and isinstance(n.get("id"), str)}
    for i, node in enumerate(document["nodes"]):
        if isinstance(node, dict) and node.get("type") in STEP_TYPES and node.get("stage") in index_of:
            j = index_of[node["stage"]]
            if isinstance(document["nodes"][j], dict) and document["nodes"][j].get("type") == "stage":
                stage_of[i] = j
    nodes = list(document["nodes"])
    for i, node in enumerate(nodes):
        theirs, mine = theirs_at.get(i), ours_at.get(i)
        if not isinstance(node, dict) or theirs is None or mine is None:
            continue
        edited = dict(node)
        name = theirs.get("name")
        if name is not None and name != mine.get("name"):
            edited["label"] = name
        a, b = theirs_box.get(theirs.get("id")), ours_box.get(mine.get("id"))
        if a is not None and b is not None:
            if i in stage_of:  # a step: where it sits in its stage
                sa = theirs_box.get(theirs_at[stage_of[i]].get("id")) if stage_of[i] in theirs_at else None
                sb = ours_box.get(ours_at[stage_of[i]].get("id")) if stage_of[i] in ours_at else None
                if sa is None or sb is None:
                    continue
                a = (a[0] - sa[0], a[1] - sa[1], *a[2:])
                b = (b[0] - sb[0], b[1] - sb[1], *b[2:])
            if a[:2] != b[:2]:
                x, y = a[0], a[1]
                if node.get("type") == "wait" and i in stage_of:  # drawn as an event in the middle of its slot
                    y = y + EVENT / 2 - STEP_HEIGHT / 2
                ui = dict(node["ui"]) if isinstance(node.get("ui"), dict) else {}
                ui.update(x=_plain(x), y=_plain(y))
                edited["ui"] = ui
            if node.get("type") == "stage" and a[2:] != b[2:]:
                ui = dict(edited["ui"]) if isinstance(edited.get("ui"), dict) else {}
                ui.update(width=_plain(a[2]), height=_plain(a[3]))
                edited["ui"] = ui
        if edited != node:
            nodes[i] = edited
    return {**document, "nodes": nodes}


def _plain(value: float) -> float | int:
    return int(value) if value.is_integer() else value
