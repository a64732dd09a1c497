"""BPMN 2.0 in and out (issue 17): ``import_bpmn`` and ``export_bpmn``.

``import_bpmn(data)`` parses a file safely (``runtime/bpmn/xml.py``) and returns an
``ImportResult``: the Overture document and a ``Report`` naming every flow node and
sequence flow of the file as mapped or unmapped (with the reason). A file Overture
itself exported (every flow node carries ``overture:node``) comes back exactly, through
``runtime/bpmn/roundtrip.py``. A file that is not BPMN, or is hostile, raises
``BpmnError`` with a clear message; nothing is written either way (this package is pure).
"""

from __future__ import annotations

from typing import Any

from runtime.bpmn.importer import ARTIFACTS, FLOW_NODES, Entry, ImportResult, Report, import_tree
from runtime.bpmn.xml import BPMN_NS, BpmnError, parse

__all__ = ["BpmnError", "Entry", "ImportResult", "Report", "export_bpmn", "import_bpmn"]


def import_bpmn(data: bytes) -> ImportResult:
    """The Overture document and the report for the BPMN 2.0 file ``data``; ``BpmnError`` if it is not one."""
    root = parse(data)
    document = _round_trip(root)
    if document is not None:
        return ImportResult(document, _round_trip_report(root, document))
    return import_tree(root)


def export_bpmn(document: dict[str, Any]) -> bytes:
    """BPMN 2.0 XML with DI for an Overture document (``runtime/bpmn/export.py``)."""
    from runtime.bpmn.export import export_bpmn as export  # type: ignore[import-not-found, unused-ignore]

    result: bytes = export(document)
    return result


def _round_trip(root: Any) -> dict[str, Any] | None:
    try:
        from runtime.bpmn.roundtrip import read_overture  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # the exporter's half is not there yet
        return None
    document: dict[str, Any] | None = read_overture(root)
    return document


def _round_trip_report(root: Any, document: dict[str, Any]) -> Report:
    """Every flow node and sequence flow of an Overture export, mapped to what it came from."""
    report = Report(round_trip=True)
    nodes = {n.get("id") for n in document.get("nodes", []) if isinstance(n, dict)}
    edges = {e.get("id") for e in document.get("edges", []) if isinstance(e, dict)}
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag.startswith(f"{{{BPMN_NS}}}") or not el.get("id"):
            continue
        local = tag.rsplit("}", 1)[-1]
        eid = el.get("id")
        if local in ARTIFACTS:  # an Overture export draws none: added in another tool, and not kept
            reason = f"{ARTIFACTS[local]} added in another tool: an Overture document has no place for it, so it was not kept"
            report.unmapped.append(Entry(eid, local, el.get("name"), "the file", None, reason))
            continue
        if local not in FLOW_NODES and local != "sequenceFlow":
            continue
        target = eid if eid in nodes or eid in edges else None
        report.mapped.append(
            Entry(eid, local, el.get("name"), "the file", target, "kept exactly (an Overture export: its overture: extensions were read)")
        )
    report.notes.append("The file is an Overture export: the document was rebuilt exactly from its overture: extensions.")
    return report
