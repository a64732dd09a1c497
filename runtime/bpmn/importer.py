"""Foreign BPMN 2.0 -> an Overture document and a report (issue 17; ARCHITECTURE §2).

Best effort, never silent: every flow node and sequence flow of the file is in the
report once, either mapped (BPMN id -> the node, edge or rule it became) or unmapped
with the reason; lanes, pools, message flows, data objects, annotations and groups are
reported too. The document may not validate (``runtime.document.check``): it is saved as
a draft and the admin fixes what the report lists on the canvas.

How things map:
- start / end events -> start / end nodes (extra start events are reported);
- sub-processes -> stages, their tasks -> steps (nested sub-processes are flattened);
  without sub-processes, stages are inferred from lanes (tasks of one lane that follow
  one another), else from chains of tasks between decisions;
- user / manual tasks -> interactive steps (camunda/zeebe assignee or candidate groups,
  else the lane -> assignee; camunda:formData fields -> form fields);
- service / script / send / business-rule tasks -> background steps, action left to configure;
- call activities -> background steps running ``orchestration.start``;
- exclusive / inclusive gateways that split -> decisions (conditions -> CEL when simple);
- parallel and merging gateways -> no node: the steps after a parallel split run in
  parallel in one stage, a join becomes an ``after`` start rule;
- timer / message / signal / conditional catch events and receive tasks -> wait steps;
- timer boundary events on user tasks -> ``due`` + ``escalation``; error boundary
  events -> the stage's fault path (an ``error`` edge);
- loops -> edges back through a decision, as drawn.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from runtime.actions import default_registry
from runtime.actions.registry import ActionRegistry
from runtime.bpmn.conditions import as_cel, is_cel, translate
from runtime.bpmn.xml import BPMN_NS

__all__ = ["Entry", "ImportResult", "Report", "import_tree"]

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DD_NS = "http://www.omg.org/spec/DD/20100524/DI"

#: The width of a step's card on the canvas (``frontend/src/lib/document.ts``): a file's diagram is stretched to it.
STEP_WIDTH = 280
TASKS = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "businessRuleTask", "receiveTask", "callActivity"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FLOW_NODES = TASKS | SUBPROCESSES | GATEWAYS | EVENTS
ARTIFACTS = {
    "lane": "a lane",
    "participant": "a pool",
    "messageFlow": "a message flow between pools",
    "dataObject": "a data object",
    "dataObjectReference": "a data object",
    "dataStoreReference": "a data store",
    "textAnnotation": "a text annotation",
    "association": "an association",
    "group": "a group",
}
# Extension elements the import reads (where they are understood), and namespaces that only carry a tool's looks.
_READ_EXTENSIONS = {"formData", "assignmentDefinition", "taskDefinition", "formDefinition", "calledElement", "node", "document"}
_COSMETIC = {"http://www.signavio.com", "http://www.bizagi.com/bpmn20", "http://camunda.org/schema/modeler/1.0"}
_PREFIXES = {
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
    "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow",
}
_OWN_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_WAITABLE = {"timerEventDefinition", "messageEventDefinition", "signalEventDefinition", "conditionalEventDefinition"}
_SENDABLE = {"messageEventDefinition", "signalEventDefinition", "escalationEventDefinition"}
_FORM_TYPES = {
    "string": "text",
    "long": "integer",
    "integer": "integer",
    "number": "number",
    "double": "number",
    "boolean": "boolean",
    "date": "date",
    "enum": "select",
}


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: Any) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def slug(text: str, *, lower: bool = False, fallback: str = "node") -> str:
    """An identifier (ARCHITECTURE §2) made from a name or a BPMN id."""
    out = re.sub(r"[^A-Za-z0-9_]+", "_", text.strip()).strip("_")
    if lower:
        out = out.lower()
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = f"{fallback}_{out}" if out else fallback
    return out[:64].rstrip("_") or fallback


@dataclass
class Entry:
    bpmn_id: str
    bpmn_type: str
    name: str | None
    where: str
    #: mapped: the Overture node or edge id it became (None for what became a rule or an assignee)
    node: str | None = None
    #: mapped: what it became; unmapped: why not
    detail: str = ""
    #: where it was drawn (BPMN DI): a shape's bounds, a flow's waypoints' box; None without a diagram
    bounds: dict[str, float] | None = None


@dataclass
class Report:
    mapped: list[Entry] = field(default_factory=list)
    unmapped: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    round_trip: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "round_trip": self.round_trip,
            "counts": {"mapped": len(self.mapped), "unmapped": len(self.unmapped)},
            "mapped": [asdict(e) for e in self.mapped],
            "unmapped": [asdict(e) for e in self.unmapped],
            "notes": list(self.notes),
        }

    def ids(self) -> list[str]:
        return [e.bpmn_id for e in self.mapped] + [e.bpmn_id for e in self.unmapped]


@dataclass
class ImportResult:
    document: dict[str, Any]
    report: Report


@dataclass
class _Rel:
    source: str  # BPMN id of a bearing node
    target: str
    flows: list[str]  # the sequence flows on the way, first one first
    forks: list[str]  # parallel (or event) gateways passed
    joins: list[str]  # gateways passed that more than one flow enters


class _Importer:
    def __init__(self, root: Element) -> None:
        self.root = root
        self.report = Report()
        self.by_id: dict[str, Element] = {}
        self.parent: dict[str, Element] = {}
        for parent in root.iter():
            for child in parent:
                cid = child.get("id")
                if cid:
                    self.by_id.setdefault(cid, child)
                    self.parent[cid] = parent
        self.reported: set[str] = set()
        self.shapes: dict[str, tuple[float, float, float, float]] = {}
        for shape in root.iter(_q(DI_NS, "BPMNShape")):
            bounds = shape.find(_q(DC_NS, "Bounds"))
            ref = shape.get("bpmnElement")
            if bounds is not None and ref:
                with contextlib.suppress(ValueError):
                    x, y, w, h = (float(bounds.get(k, "0")) for k in ("x", "y", "width", "height"))
                    self.shapes[ref] = (x, y, w, h)
        self.edge_boxes: dict[str, tuple[float, float, float, float]] = {}
        for drawn in root.iter(_q(DI_NS, "BPMNEdge")):
            points = []
            for point in drawn.findall(_q(DD_NS, "waypoint")):
                with contextlib.suppress(ValueError):
                    points.append((float(point.get("x", "0")), float(point.get("y", "0"))))
            if points and drawn.get("bpmnElement"):
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                self.edge_boxes[drawn.get("bpmnElement", "")] = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        self.node_ids: set[str] = set()
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.afters: set[tuple[str, str]] = set()  # (step, step it starts after)
        self.faulted: set[str] = set()  # stages with a fault path
        self.edge_index: dict[tuple[str, str, str | None, str | None], dict[str, Any]] = {}
        self.variables: dict[str, str | None] = {}
        self.lane_of: dict[str, Element] = {}
        self.used_lanes: dict[str, set[str]] = defaultdict(set)
        # BPMN id of a bearing element -> the Overture node that stands for it in edges
        self.ov: dict[str, str] = {}
        self.step_of: dict[str, dict[str, Any]] = {}
        self.stage_of_step: dict[str, str] = {}
        self.flow_result: dict[str, tuple[str | None, str]] = {}
        self.flow_reason: dict[str, str] = {}

    # ------------------------------------------------------------------ reporting
    def _name(self, el: Element) -> str | None:
        name = el.get("name")
        if name is None and _local(el.tag) == "textAnnotation":
            text = el.find(_q(BPMN_NS, "text"))
            name = (text.text or "").strip()[:200] if text is not None else None
        return " ".join(name.split()) if name else None

    def _where(self, el: Element) -> str:
        parts = []
        eid = el.get("id", "")
        parent = self.parent.get(eid)
        while parent is not None and _local(parent.tag) != "definitions":
            kind = _local(parent.tag)
            if kind in SUBPROCESSES or kind == "process":
                label = self._name(parent) or parent.get("id", "")
                parts.append(f"{'sub-process' if kind != 'process' else 'process'} {label}")
            parent = self.parent.get(parent.get("id", ""))
        lane = self.lane_of.get(eid)
        if lane is not None:
            parts.insert(0, f"lane {self._name(lane) or lane.get('id')}")
        return ", ".join(parts) if parts else "the file"

    def mapped(self, el: Element, node: str | None, detail: str) -> None:
        eid = el.get("id", "")
        if eid in self.reported:
            return
        self.reported.add(eid)
        if _local(el.tag) in FLOW_NODES:
            detail += self._not_read(el)
        self.report.mapped.append(Entry(eid, _local(el.tag), self._name(el), self._where(el), node, detail, self._bounds(eid)))

    def _not_read(self, el: Element) -> str:
        """What the element carries that the import does not take over, said in the report (never dropped silently)."""
        parts = []
        loop = el.find(_q(BPMN_NS, "multiInstanceLoopCharacteristics"))
        if loop is not None:
            order = "one after another" if loop.get("isSequential") == "true" else "in parallel"
            parts.append(
                f"it runs several times {order} (multi-instance): imported as one step; "
                "for several approvers give it an approval policy (any, all, quorum)"
            )
        if el.find(_q(BPMN_NS, "standardLoopCharacteristics")) is not None:
            parts.append("it repeats (a loop marker): imported once; loop through a decision instead")
        extensions = el.find(_q(BPMN_NS, "extensionElements"))
        unread = sorted(
            {
                f"{_PREFIXES.get(_ns(child.tag), _ns(child.tag) or 'no namespace')}:{_local(child.tag)}"
                for child in (extensions if extensions is not None else [])
                if isinstance(child.tag, str) and _local(child.tag) not in _READ_EXTENSIONS and _ns(child.tag) not in _COSMETIC
            }
        )
        if unread:
            parts.append(f"extension elements not read: {', '.join(unread)}")
        if el.find(_q(BPMN_NS, "ioSpecification")) is not None or el.find(_q(BPMN_NS, "dataInputAssociation")) is not None:
            parts.append("its data inputs and outputs are not kept")
        return "".join(f"; {part}" for part in parts)

    def unmapped(self, el: Element, reason: str) -> None:
        eid = el.get("id", "")
        if eid in self.reported:
            return
        self.reported.add(eid)
        self.report.unmapped.append(Entry(eid, _local(el.tag), self._name(el), self._where(el), None, reason, self._bounds(eid)))

    def _bounds(self, eid: str) -> dict[str, float] | None:
        box = self.shapes.get(eid) or self.edge_boxes.get(eid)
        return None if box is None else {"x": box[0], "y": box[1], "width": box[2], "height": box[3]}

    def own_id(self, el: Element | None, base: str) -> str:
        """The element's BPMN id when a person chose it (``legal_review``), else ``base`` made unique.

        Modellers generate ids like ``Activity_0x1abc`` or ``sid-...``; those give way to the name."""
        eid = el.get("id", "") if el is not None else ""
        if _OWN_ID.match(eid) and eid not in self.node_ids:
            self.node_ids.add(eid)
            return eid
        return self.new_id(base)

    def new_id(self, base: str) -> str:
        candidate, n = base, 2
        while candidate in self.node_ids:
            suffix = f"_{n}"
            candidate, n = base[: 64 - len(suffix)] + suffix, n + 1
        self.node_ids.add(candidate)
        return candidate

    # ------------------------------------------------------------------ the run
    def run(self) -> ImportResult:
        processes = self.root.findall(_q(BPMN_NS, "process"))
        pools = {p.get("processRef"): p for p in self.root.iter(_q(BPMN_NS, "participant"))}
        if not processes:
            from runtime.bpmn.xml import BpmnError

            raise BpmnError("the file has no <process>: nothing to import")

        def weight(p: Element) -> tuple[int, int]:
            count = sum(1 for el in p.iter() if _local(el.tag) in FLOW_NODES and _ns(el.tag) == BPMN_NS)
            return (1 if p.get("isExecutable") == "true" else 0, count)

        main = max(processes, key=weight)
        for lane in main.iter(_q(BPMN_NS, "lane")):
            for ref in lane.findall(_q(BPMN_NS, "flowNodeRef")):
                if ref.text and ref.text.strip():  # document order: an inner lane comes after its parent
                    self.lane_of[ref.text.strip()] = lane
        pool = pools.get(main.get("id"))
        label = self._name(main) or (pool is not None and self._name(pool)) or self.root.get("name") or main.get("id") or "Imported process"
        key = slug(main.get("id") or label, lower=True, fallback="process")
        self.has_di = bool(self.shapes)
        self._level(main, stage=None)
        for other in processes:
            if other is not main:
                owner = pools.get(other.get("id"))
                what = f"pool {self._name(owner) or owner.get('id')}" if owner is not None else f"process {other.get('id')}"
                for el in other.iter():
                    if _local(el.tag) in FLOW_NODES | {"sequenceFlow"} and el.get("id"):
                        self.unmapped(el, f"in {what}, a second process: one orchestration is imported per file, the process '{label}'")
        self._artifacts(main, pools)
        document: dict[str, Any] = {
            "format": 1,
            "key": key,
            "label": str(label)[:200],
            "trigger": {"type": "manual"},
            "inputs": [],
            "variables": [{"name": name, "type": kind or "string"} for name, kind in self.variables.items()],
            "nodes": self.nodes,
            "edges": self.edges,
        }
        doc_el = self.root.find(_q(BPMN_NS, "documentation"))
        documentation = main.find(_q(BPMN_NS, "documentation"))
        if documentation is not None and (documentation.text or "").strip():
            document["description"] = documentation.text.strip()  # type: ignore[union-attr]
        del doc_el
        if self.variables:
            self.report.notes.append(
                "Conditions read process variables; they are declared as variables ("
                + ", ".join(sorted(self.variables))
                + "): set them with a step's `set`, or make them inputs."
            )
        if not self.has_di:
            self.report.notes.append("The file has no diagram (BPMN DI): the canvas lays the nodes out.")
        # Anything in the process with an id not yet reported (a flow node or flow of an unknown kind).
        for el in main.iter():
            if _local(el.tag) in FLOW_NODES | {"sequenceFlow"} and el.get("id") and el.get("id") not in self.reported:
                self.unmapped(el, "not imported: Overture has no counterpart for it here")
        return ImportResult(document, self.report)

    # ------------------------------------------------------------------ artifacts
    def _artifacts(self, main: Element, pools: dict[str | None, Element]) -> None:
        for el in self.root.iter():
            kind = _local(el.tag)
            if kind not in ARTIFACTS or _ns(el.tag) != BPMN_NS or not el.get("id"):
                continue
            what = ARTIFACTS[kind]
            if kind == "lane":
                steps = self.used_lanes.get(el.get("id", ""))
                if steps:
                    self.mapped(el, None, f"the assignee (group) of {len(steps)} step(s): {', '.join(sorted(steps))}")
                else:
                    self.unmapped(el, "a lane with no task that took it as assignee")
            elif kind == "participant" and el.get("processRef") == main.get("id"):
                self.mapped(el, None, "the orchestration (its process was imported)")
            elif kind == "participant":
                self.unmapped(el, f"{what} whose process was not imported (one process per orchestration)")
            elif kind == "messageFlow":
                self.unmapped(el, f"{what}: Overture has no pools; a message step waits for an event by name instead")
            else:
                self.unmapped(el, f"{what}: documentation on the diagram, not part of what runs")

    # ------------------------------------------------------------------ one level
    def _children(self, container: Element) -> tuple[list[Element], list[Element]]:
        nodes, flows = [], []
        for child in container:
            kind = _local(child.tag)
            if _ns(child.tag) != BPMN_NS or not child.get("id"):
                continue
            if kind == "sequenceFlow":
                flows.append(child)
            elif kind in FLOW_NODES:
                nodes.append(child)
        return nodes, flows

    def _definitions(self, el: Element) -> list[str]:
        return [_local(c.tag) for c in el if _local(c.tag).endswith("EventDefinition")]

    def _level(self, container: Element, stage: dict[str, Any] | None) -> None:
        nodes, flows = self._children(container)
        outgoing: dict[str, list[Element]] = defaultdict(list)
        incoming: dict[str, list[Element]] = defaultdict(list)
        for f in flows:
            outgoing[f.get("sourceRef", "")].append(f)
            incoming[f.get("targetRef", "")].append(f)
        kinds: dict[str, str] = {}
        starts = 0
        inner = stage is not None
        for el in nodes:
            eid, kind, defs = el.get("id", ""), _local(el.tag), self._definitions(el)
            if kind == "startEvent":
                starts += 1
                kinds[eid] = "start" if starts == 1 or inner else "drop"
            elif kind == "endEvent":
                kinds[eid] = "end"
            elif kind in SUBPROCESSES:
                kinds[eid] = "pass" if inner else "stage"
            elif kind in TASKS:
                kinds[eid] = "step"
            elif kind == "intermediateCatchEvent":
                kinds[eid] = "step" if set(defs) & _WAITABLE else "drop"
            elif kind == "intermediateThrowEvent":
                kinds[eid] = "step" if set(defs) & _SENDABLE else "pass"
            elif kind == "boundaryEvent":
                kinds[eid] = "boundary"
            elif kind in ("exclusiveGateway", "inclusiveGateway", "complexGateway") and len(outgoing[eid]) > 1 and not inner:
                kinds[eid] = "decision"
            elif kind in GATEWAYS:
                kinds[eid] = "pass"
            else:
                kinds[eid] = "drop"
        by_id = {el.get("id", ""): el for el in nodes}

        # Relations between bearing nodes, through pass-through nodes.
        rels: list[_Rel] = []
        memo: dict[str, dict[str, tuple[list[str], list[str], list[str]]]] = {}
        for el in nodes:
            eid = el.get("id", "")
            if kinds[eid] in ("pass", "drop"):
                continue
            for f in outgoing[eid]:
                for found, (on_way, forks, joins) in self._step_from(f, kinds, outgoing, incoming, memo).items():
                    rels.append(_Rel(eid, found, on_way, forks, joins))

        # For each gateway passed: the steps after it (a split) and before it (a join).
        self.gateway_sides = defaultdict(list)
        for rel in rels:
            for gateway in rel.forks:
                self.gateway_sides[gateway].append(rel.target)
            for gateway in rel.joins:
                self.gateway_sides[gateway].append(rel.source)
        # Nodes of this level.
        if not inner:
            self._top_nodes(nodes, kinds, rels, outgoing, incoming)
        else:
            assert stage is not None
            self._inner_nodes(nodes, kinds, rels, stage, outgoing)
        # Sub-processes nested in a sub-process: flattened into the same stage.
        for el in nodes:
            if _local(el.tag) in SUBPROCESSES:
                target_stage = stage if inner else self.stages_by_bpmn.get(el.get("id", ""))
                if inner:
                    self.mapped(el, stage["id"] if stage else None, "flattened: its tasks are steps of the enclosing stage")
                if target_stage is not None:
                    self._level(el, target_stage)
        # Boundary events.
        for el in nodes:
            if kinds[el.get("id", "")] == "boundary":
                self._boundary(el, [r for r in rels if r.source == el.get("id")], kinds, by_id)
        # Flows.
        for f in flows:
            fid = f.get("id", "")
            if fid in self.flow_result:
                node, detail = self.flow_result[fid]
                condition = f.find(_q(BPMN_NS, "conditionExpression"))
                text = (condition.text or "").strip() if condition is not None else ""
                source = by_id.get(f.get("sourceRef", ""))
                if text and fid not in self.outcome_of_flow and (source is None or _local(source.tag) not in GATEWAYS):
                    detail += f"; its condition {text!r} is not kept: put a decision before the stage it leads to"
                self.mapped(f, node, detail)
            else:
                source, target = by_id.get(f.get("sourceRef", "")), by_id.get(f.get("targetRef", ""))
                reason = self.flow_reason.get(fid)
                if reason is None:
                    if source is None or target is None:
                        reason = "joins elements that are not in the same process or sub-process"
                    elif kinds.get(source.get("id", "")) in ("drop", "boundary"):
                        reason = f"leaves {_local(source.tag)} '{self._name(source) or source.get('id')}', which was not imported"
                    else:
                        reason = f"leads to {_local(target.tag)} '{self._name(target) or target.get('id')}', which was not imported"
                self.unmapped(f, reason)
        # Pass-through and dropped nodes.
        for el in nodes:
            eid, kind = el.get("id", ""), kinds[el.get("id", "")]
            if kind == "pass":
                self._report_pass(el, inner, stage)
            elif kind == "drop":
                self._report_drop(el)

    stages_by_bpmn: dict[str, dict[str, Any]]

    def _reach(
        self,
        start: str,
        kinds: dict[str, str],
        outgoing: dict[str, list[Element]],
        incoming: dict[str, list[Element]],
        memo: dict[str, dict[str, tuple[list[str], list[str], list[str]]]],
    ) -> dict[str, tuple[list[str], list[str], list[str]]]:
        """The bearing nodes a pass-through node leads to: target -> (flows, forks, joins) on the way.

        Depth first without recursion (a file may chain gateways by the thousand), memoised, and
        the paths to one target merged, so n diamonds in a row are n entries, not 2**n paths."""
        if start in memo:
            return memo[start]

        def marks(node: str) -> tuple[list[str], list[str]]:
            el = self.by_id.get(node)
            local = _local(el.tag) if el is not None else ""
            fork = [node] if local in ("parallelGateway", "eventBasedGateway") and len(outgoing[node]) > 1 else []
            return fork, [node] if len(incoming[node]) > 1 else []

        partial: dict[str, dict[str, tuple[list[str], list[str], list[str]]]] = {start: {}}
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack[-1]
            flows = outgoing[node]
            if index < len(flows):
                stack[-1] = (node, index + 1)
                flow = flows[index]
                target, fork_join = flow.get("targetRef", ""), marks(node)
                kind = kinds.get(target)
                if kind is None or kind == "drop" or target in partial:  # not imported, or a loop of gateways
                    continue
                if kind != "pass":
                    _merge(partial[node], target, [flow.get("id", "")], *fork_join)
                elif target in memo:
                    for found, (on_way, forks, joins) in memo[target].items():
                        _merge(partial[node], found, [flow.get("id", ""), *on_way], fork_join[0] + forks, fork_join[1] + joins)
                else:
                    partial[target] = {}
                    stack.append((target, 0))
                continue
            stack.pop()
            memo[node] = partial.pop(node)
            if stack:
                parent, index = stack[-1]
                flow = outgoing[parent][index - 1]
                fork, join = marks(parent)
                for found, (on_way, forks, joins) in memo[node].items():
                    _merge(partial[parent], found, [flow.get("id", ""), *on_way], fork + forks, join + joins)
        return memo[start]

    def _step_from(
        self,
        flow: Element,
        kinds: dict[str, str],
        outgoing: dict[str, list[Element]],
        incoming: dict[str, list[Element]],
        memo: dict[str, dict[str, tuple[list[str], list[str], list[str]]]],
    ) -> dict[str, tuple[list[str], list[str], list[str]]]:
        fid, target = flow.get("id", ""), flow.get("targetRef", "")
        kind = kinds.get(target)
        if kind is None or kind == "drop":
            return {}
        if kind != "pass":
            return {target: ([fid], [], [])}
        reached = self._reach(target, kinds, outgoing, incoming, memo)
        return {found: ([fid, *on_way], forks, joins) for found, (on_way, forks, joins) in reached.items()}

    def _claim(self, rel: _Rel, node: str | None, detail: str) -> None:
        for fid in rel.flows:
            self.flow_result.setdefault(fid, (node, detail))

    # ------------------------------------------------------------------ top level
    def _top_nodes(
        self,
        nodes: list[Element],
        kinds: dict[str, str],
        rels: list[_Rel],
        outgoing: dict[str, list[Element]],
        incoming: dict[str, list[Element]],
    ) -> None:
        # Start, end, decisions, sub-process stages.
        for el in nodes:
            eid, kind = el.get("id", ""), kinds[el.get("id", "")]
            if kind == "start":
                nid = self.own_id(el, "start")
                self._add({"id": nid, "type": "start", **self._label(el)}, el)
                self.ov[eid] = nid
                defs = self._definitions(el)
                detail = "the start"
                if defs:
                    detail += f" (its {', '.join(defs)} is not kept: the orchestration starts manually; set a record trigger if that fits)"
                self.mapped(el, nid, detail)
            elif kind == "end":
                nid = self.own_id(el, slug(self._name(el) or "end", lower=True, fallback="end"))
                self._add({"id": nid, "type": "end", **self._label(el)}, el)
                self.ov[eid] = nid
                defs = self._definitions(el)
                self.mapped(el, nid, "an end" + (f" (its {', '.join(defs)} is not kept)" if defs else ""))
            elif kind == "stage":
                nid = self.own_id(el, slug(self._name(el) or "stage", lower=True, fallback="stage"))
                label = (self._name(el) or "Sub-process")[:200]
                node = {"id": nid, "type": "stage", "label": label, "entry": None, "exit": {"when": "all_steps"}, **self._documentation(el)}
                self._add(node, el, size=True)
                self.ov[eid] = nid
                self.stages_by_bpmn[eid] = node
                detail = f"a stage ({_local(el.tag)} -> stage)"
                if el.get("triggeredByEvent") == "true":
                    detail += "; an event sub-process: nothing leads to it in Overture, connect it on the canvas or delete it"
                self.mapped(el, nid, detail)
        # Steps of the top level: stages inferred from lanes, else from chains of tasks.
        steps = [el for el in nodes if kinds[el.get("id", "")] == "step"]
        lanes_used = any(el.get("id") in self.lane_of for el in steps)
        parent: dict[str, str] = {el.get("id", ""): el.get("id", "") for el in steps}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a: str, b: str) -> None:
            parent[find(a)] = find(b)

        for rel in rels:
            if rel.source in parent and rel.target in parent:
                same_lane = self.lane_of.get(rel.source) is self.lane_of.get(rel.target)
                if not lanes_used or same_lane:
                    union(rel.source, rel.target)
        by_gateway: dict[str, list[str]] = defaultdict(list)
        for rel in rels:
            if rel.target in parent and rel.forks:
                by_gateway["f" + rel.forks[-1]].append(rel.target)
            if rel.source in parent and rel.joins and rel.target in parent:
                by_gateway["j" + rel.joins[0]].append(rel.source)
        for together in by_gateway.values():
            for m in together[1:]:
                union(together[0], m)
        groups: dict[str, list[Element]] = defaultdict(list)
        for el in steps:
            groups[find(el.get("id", ""))].append(el)
        if steps:
            self.report.notes.append(
                "Tasks outside sub-processes were grouped into stages "
                + (
                    "by lane (tasks of one lane that follow one another form a stage; tasks split by a parallel gateway share one)."
                    if lanes_used
                    else "by chains of tasks (tasks that follow one another without a decision between them form a stage)."
                )
            )
        order = {el.get("id", ""): i for i, el in enumerate(nodes)}
        group_of = {eid: find(eid) for eid in parent}
        entered_inside = {r.target for r in rels if r.target in group_of and group_of.get(r.source) == group_of[r.target]}
        for members in sorted(groups.values(), key=lambda m: min(order[e.get("id", "")] for e in m)):
            firsts = [e for e in members if e.get("id") not in entered_inside] or members
            lane = self.lane_of.get(members[0].get("id", "")) if lanes_used else None
            label = (self._name(lane) if lane is not None else None) or self._name(firsts[0]) or firsts[0].get("id") or "Stage"
            nid = self.new_id(slug(label, lower=True, fallback="stage") + ("" if lanes_used else "_stage"))
            node = {"id": nid, "type": "stage", "label": label[:200], "entry": None, "exit": {"when": "all_steps"}}
            self._add_inferred_stage(node, members)
            for el in members:
                self.stages_by_bpmn[el.get("id", "")] = node
        for el in steps:
            stage = self.stages_by_bpmn[el.get("id", "")]
            self._step(el, stage)
        # Decisions.
        for el in nodes:
            if kinds[el.get("id", "")] == "decision":
                self._decision(el, outgoing[el.get("id", "")])
        # Gateways on the way into each inferred stage: a flow inside the stage that passes one again loops back.
        for rel in rels:
            if kinds[rel.target] == "step" and kinds[rel.source] != "boundary":
                stage_id = self.stages_by_bpmn[rel.target]["id"]
                inside = kinds[rel.source] == "step" and self.stages_by_bpmn[rel.source]["id"] == stage_id
                if not inside:
                    self.entry_gateways.setdefault(stage_id, set()).update(rel.forks + rel.joins)
        # Edges and start rules.
        for rel in rels:
            src_kind, tgt_kind = kinds[rel.source], kinds[rel.target]
            if src_kind == "boundary":
                continue
            if src_kind == "step" and tgt_kind == "step" and self.stages_by_bpmn[rel.source] is self.stages_by_bpmn[rel.target]:
                self._after(rel)
                continue
            source, target = self._ov(rel.source, kinds), self._ov(rel.target, kinds)
            if source is None or target is None:
                continue
            outcome = None
            if src_kind == "decision":
                outcome = self.outcome_of_flow.get(rel.flows[0])
            first = self.by_id[rel.flows[0]]
            edge = self._edge(source, target, outcome, label=self._name(first) if src_kind == "decision" else None, flow=first)
            self._claim(rel, edge["id"], f"the edge {source} -> {target}" + (f" (outcome {outcome})" if outcome else ""))
        ways_out: dict[str, set[str]] = defaultdict(set)
        for e in self.edges:
            if e.get("kind") != "error":
                ways_out[e["source"]].add(e["target"])
        for node in self.nodes:
            if node["type"] == "stage":
                outs = ways_out[str(node["id"])]
                if len(outs) > 1:
                    self.report.notes.append(
                        f"Stage {node['id']} leads to {len(outs)} nodes ({', '.join(sorted(outs))}); a stage has one way out: "
                        "put a decision after it on the canvas."
                    )

    outcome_of_flow: dict[str, str]
    gateway_sides: dict[str, list[str]]
    entry_gateways: dict[str, set[str]]

    def _ov(self, bpmn_id: str, kinds: dict[str, str]) -> str | None:
        if kinds.get(bpmn_id) == "step" or bpmn_id in self.stages_by_bpmn:
            return str(self.stages_by_bpmn[bpmn_id]["id"])
        return self.ov.get(bpmn_id)

    def _edge(
        self,
        source: str,
        target: str,
        outcome: str | None,
        *,
        kind: str | None = None,
        label: str | None = None,
        flow: Element | None = None,
    ) -> dict[str, Any]:
        key = (source, target, outcome, kind)
        if key in self.edge_index:
            return self.edge_index[key]
        edge: dict[str, Any] = {"id": self.own_id(flow, slug(f"e_{source}_{target}")), "source": source, "target": target}
        self.edge_index[key] = edge
        if outcome:
            edge["outcome"] = outcome
        if kind:
            edge["kind"] = kind
        if label:
            edge["label"] = label[:200]
        self.edges.append(edge)
        return edge

    def _after(self, rel: _Rel) -> None:
        step = self.step_of[rel.target]
        before = self.step_of[rel.source]["id"]
        stage_id = self.stage_of_step[step["id"]]
        entries = self.entry_gateways.get(stage_id, set())
        if rel.target == rel.source or set(rel.forks + rel.joins) & entries:
            for fid in rel.flows:
                if fid not in self.flow_result:
                    self.flow_reason.setdefault(
                        fid,
                        f"a loop inside stage {stage_id} (back to step {step['id']}): steps of a stage run once per visit; "
                        "loop through a decision between stages instead",
                    )
            return
        start = step.setdefault("start", {"when": "after", "steps": []})
        if start.get("when") == "after" and (step["id"], before) not in self.afters:
            self.afters.add((step["id"], before))
            start["steps"].append(before)
        self._claim(rel, step["id"], f"step {step['id']} starts after {before}")

    # ------------------------------------------------------------------ inside a sub-process
    def _inner_nodes(
        self, nodes: list[Element], kinds: dict[str, str], rels: list[_Rel], stage: dict[str, Any], outgoing: dict[str, list[Element]]
    ) -> None:
        for el in nodes:
            eid, kind = el.get("id", ""), kinds[el.get("id", "")]
            if kind == "start":
                self.mapped(el, stage["id"], f"the start of stage {stage['id']}")
            elif kind == "end":
                self.mapped(el, stage["id"], f"the exit of stage {stage['id']} (when all its steps are done)")
            elif kind == "step":
                self.stages_by_bpmn[eid] = stage
                self._step(el, stage)
        for rel in rels:
            src, tgt = kinds[rel.source], kinds[rel.target]
            if src == "step" and tgt == "step":
                self._after(rel)
            elif src == "start" and tgt == "step":
                self._claim(rel, self.step_of[rel.target]["id"], f"step {self.step_of[rel.target]['id']} starts with stage {stage['id']}")
            elif src in ("start", "step") and tgt == "end":
                self._claim(rel, stage["id"], f"stage {stage['id']} exits when its steps are done")
        for el in nodes:
            if _local(el.tag) in ("exclusiveGateway", "inclusiveGateway", "complexGateway") and len(outgoing[el.get("id", "")]) > 1:
                conditions = [
                    (c.text or "").strip() for f in outgoing[el.get("id", "")] for c in f.findall(_q(BPMN_NS, "conditionExpression"))
                ]
                self.unmapped(
                    el,
                    "a choice inside a sub-process: Overture decides between stages, not between steps of one stage; "
                    "the steps after it are imported to start after the steps before it"
                    + (f" (its conditions: {'; '.join(c for c in conditions if c)})" if any(conditions) else "")
                    + ": give them start conditions on the canvas",
                )

    # ------------------------------------------------------------------ nodes
    def _documentation(self, el: Element) -> dict[str, str]:
        doc = el.find(_q(BPMN_NS, "documentation"))
        text = (doc.text or "").strip() if doc is not None else ""
        return {"description": text} if text else {}

    def _label(self, el: Element) -> dict[str, Any]:
        name = self._name(el)
        return {"label": name[:200]} if name else {}

    @functools.cached_property
    def stretch(self) -> float:
        """How much wider the canvas draws the file: a BPMN task is about 100 px wide, an
        Overture step card STEP_WIDTH; positions stretch alike so that no card covers its neighbour."""
        tasks = [e.get("id", "") for e in self.by_id.values() if _local(e.tag) in TASKS]
        widths = sorted(self.shapes[t][2] for t in tasks if t in self.shapes)
        if not widths or widths[len(widths) // 2] <= 0:
            return 1.0
        return min(4.0, max(1.0, (STEP_WIDTH + 24) / widths[len(widths) // 2]))

    def _x(self, x: float) -> float:
        return float(round(x * self.stretch))

    def _add(self, node: dict[str, Any], el: Element, *, size: bool = False) -> None:
        shape = self.shapes.get(el.get("id", ""))
        if shape is not None:
            x, y, w, h = shape
            node["ui"] = {"x": self._x(x), "y": y, **({"width": self._x(w), "height": h} if size else {})}
        self.nodes.append(node)

    def _add_inferred_stage(self, node: dict[str, Any], members: list[Element]) -> None:
        boxes = [self.shapes[e.get("id", "")] for e in members if e.get("id", "") in self.shapes]
        if boxes:
            x0 = min(b[0] for b in boxes) - 40
            y0 = min(b[1] for b in boxes) - 40
            x1 = max(b[0] + b[2] for b in boxes) + 40
            y1 = max(b[1] + b[3] for b in boxes) + 40
            node["ui"] = {"x": self._x(x0), "y": y0, "width": self._x(x1) - self._x(x0), "height": y1 - y0}
        self.nodes.append(node)

    def _step_ui(self, step: dict[str, Any], el: Element, stage: dict[str, Any]) -> None:
        shape = self.shapes.get(el.get("id", ""))
        sui = stage.get("ui")
        if shape is not None and isinstance(sui, dict):
            step["ui"] = {"x": self._x(shape[0]) - sui["x"], "y": shape[1] - sui["y"]}

    def _step(self, el: Element, stage: dict[str, Any]) -> None:
        eid, kind = el.get("id", ""), _local(el.tag)
        name = self._name(el) or eid
        nid = self.own_id(el, slug(name, lower=True, fallback="step"))
        step: dict[str, Any] = {"id": nid, "stage": stage["id"], "label": name[:200], **self._documentation(el)}
        self.step_of[eid] = step
        self.stage_of_step[nid] = stage["id"]
        notes: list[str] = []
        where = f"in stage {stage['id']}"
        if kind in ("userTask", "manualTask", "task"):
            step["type"] = "interactive"
            step["assignee"] = self._assignee(el, nid, notes)
            step["form"] = self._form(el, notes)
            detail = f"an interactive step {where}"
            if kind == "task":
                notes.append("a task of no kind: imported as work for a person")
        elif kind == "callActivity":
            called = el.get("calledElement") or ""
            for zc in el.iter(_q(ZEEBE_NS, "calledElement")):
                called = called or zc.get("processId") or ""
            step["type"] = "background"
            step["action"] = "orchestration.start"
            step["inputs"] = {"orchestration": "'" + slug(called or "orchestration", lower=True) + "'", "wait": "true"}
            detail = f"a background step {where} running orchestration.start"
            notes.append(f"starts orchestration '{slug(called or 'orchestration', lower=True)}' (called element '{called}'): it must exist")
        elif kind in ("receiveTask", "intermediateCatchEvent"):
            step["type"] = "wait"
            detail = f"a wait step {where}"
            self._wait(el, step, notes)
        else:
            step["type"] = "background"
            hint = self._implementation(el)
            named = self._named_action(el)
            if named:
                step["action"] = named
                step["inputs"] = {}
                detail = f"a background step {where} running {named} (the task names that action)"
                notes.append("set its inputs")
            else:
                step["action"] = ""
                detail = f"a background step {where}, action left to configure"
                notes.append("choose its action" + (f" (the file had {hint})" if hint else ""))
            if hint:
                step["description"] = "\n\n".join(filter(None, [step.get("description"), f"BPMN {kind}: {hint}"]))
        self._step_ui(step, el, stage)
        self.nodes.append(step)
        self.mapped(el, nid, detail + ("; " + "; ".join(notes) if notes else ""))

    def _named_action(self, el: Element) -> str | None:
        """A built-in action named by an external task's topic or a Zeebe job type (``record.update``), if any."""
        names = [el.get(_q(CAMUNDA_NS, "topic")) or ""]
        names += [t.get("type") or "" for t in el.iter(_q(ZEEBE_NS, "taskDefinition"))]
        actions = _builtin_actions()
        return next((name for name in names if name and name in actions), None)

    def _implementation(self, el: Element) -> str:
        parts = []
        for attr in ("class", "expression", "delegateExpression", "topic", "type", "decisionRef"):
            value = el.get(_q(CAMUNDA_NS, attr))
            if value:
                parts.append(f"camunda:{attr}={value}")
        for task_def in el.iter(_q(ZEEBE_NS, "taskDefinition")):
            parts.append(f"zeebe:taskDefinition type={task_def.get('type')}")
        if el.get("implementation") and el.get("implementation") != "##WebService":
            parts.append(f"implementation={el.get('implementation')}")
        script = el.find(_q(BPMN_NS, "script"))
        if script is not None and (script.text or "").strip():
            language = f"{el.get('scriptFormat')} " if el.get("scriptFormat") else ""
            parts.append(f"a {language}script: {(script.text or '').strip()[:500]}")
        return "; ".join(parts)

    def _assignee(self, el: Element, nid: str, notes: list[str]) -> dict[str, str]:
        def expression(value: str) -> dict[str, str]:
            t = translate(value)
            if t is not None:
                for name in t.names:
                    self.variables.setdefault(name, "string")
                return {"type": "expression", "value": t.cel}
            notes.append(f"assignee expression '{value}' kept as text: rewrite it in CEL")
            return {"type": "expression", "value": value}

        assignee = el.get(_q(CAMUNDA_NS, "assignee"))
        groups = el.get(_q(CAMUNDA_NS, "candidateGroups"))
        users = el.get(_q(CAMUNDA_NS, "candidateUsers"))
        for zd in el.iter(_q(ZEEBE_NS, "assignmentDefinition")):
            assignee = assignee or zd.get("assignee")
            groups = groups or zd.get("candidateGroups")
            users = users or zd.get("candidateUsers")
        if not groups:
            for owner in list(el.iter(_q(BPMN_NS, "potentialOwner"))) + list(el.iter(_q(BPMN_NS, "humanPerformer"))):
                for expr in owner.iter(_q(BPMN_NS, "formalExpression")):
                    if (expr.text or "").strip():
                        groups = (expr.text or "").strip()
        for value, kind in ((assignee, "user"), (groups, "group"), (users, "user")):
            if not value:
                continue
            value = value.strip()
            if value.startswith(("${", "#{", "=")):
                return expression(value)
            names = [v.strip() for v in value.split(",") if v.strip()]
            if len(names) > 1:
                notes.append(f"{kind}s {', '.join(names)}: the first is the assignee")
            return {"type": kind, "value": names[0]}
        lane = self.lane_of.get(el.get("id", ""))
        if lane is not None and (self._name(lane) or lane.get("id")):
            self.used_lanes[lane.get("id", "")].add(nid)
            return {"type": "group", "value": slug(self._name(lane) or lane.get("id") or "group", lower=True, fallback="group")}
        notes.append("no assignee in the file: set one (imported as the group 'unassigned')")
        return {"type": "group", "value": "unassigned"}

    def _form(self, el: Element, notes: list[str]) -> dict[str, Any]:
        fields: list[dict[str, Any]] = []
        for ff in el.iter(_q(CAMUNDA_NS, "formField")):
            raw_type = ff.get("type") or "string"
            ftype = _FORM_TYPES.get(raw_type)
            name = slug(ff.get("id") or ff.get("label") or "field", fallback="field")
            entry: dict[str, Any] = {"name": name, "type": ftype or "text"}
            if ff.get("label"):
                entry["label"] = ff.get("label", "")[:200]
            if ftype is None:
                notes.append(f"form field {name} of type {raw_type} imported as text")
            if ftype == "select":
                options = [v.get("name") or v.get("id") for v in ff.iter(_q(CAMUNDA_NS, "value"))]
                entry["options"] = [o for o in options if o] or ["option"]
            if any(c.get("name") == "required" for c in ff.iter(_q(CAMUNDA_NS, "constraint"))):
                entry["required"] = True
            if ff.get("defaultValue") is not None and ftype in ("text", "textarea", "select"):
                entry["default"] = ff.get("defaultValue")
            if name not in {f["name"] for f in fields}:
                fields.append(entry)
        form_key = el.get(_q(CAMUNDA_NS, "formKey")) or el.get(_q(CAMUNDA_NS, "formRef"))
        for zf in el.iter(_q(ZEEBE_NS, "formDefinition")):
            form_key = form_key or zf.get("formKey") or zf.get("formId")
        if form_key:
            notes.append(f"its form '{form_key}' lives outside the file: add the fields on the canvas")
        return {"fields": fields, "outcomes": [{"value": "done", "label": "Done"}]}

    def _wait(self, el: Element, step: dict[str, Any], notes: list[str]) -> None:
        timer = el.find(_q(BPMN_NS, "timerEventDefinition"))
        if timer is not None:
            duration = timer.find(_q(BPMN_NS, "timeDuration"))
            date = timer.find(_q(BPMN_NS, "timeDate"))
            cycle = timer.find(_q(BPMN_NS, "timeCycle"))
            if duration is not None and _is_duration(_unquote(duration.text)):
                step["timer"] = {"duration": _unquote(duration.text)}
            elif date is not None and is_cel(date.get("language")) and as_cel((date.text or "").strip()) is not None:
                step["timer"] = {"at": (date.text or "").strip()}
            elif date is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?", _unquote(date.text)):
                step["timer"] = {"at": f"timestamp('{_unquote(date.text)}')"}
            elif cycle is not None and (every := re.fullmatch(r"R\d*/(P[^/]+)", _unquote(cycle.text))) and _is_duration(every[1]):
                step["timer"] = {"duration": every[1]}
                notes.append(f"its timer cycle {_unquote(cycle.text)} waits once, {every[1]}: repeating is not kept")
            else:
                text = next(((x.text or "").strip() for x in (duration, date, cycle) if x is not None), "")
                step["timer"] = {"duration": "PT0S"}
                notes.append(f"its timer '{text}' was not translated: set the duration")
            return
        message = el.find(_q(BPMN_NS, "messageEventDefinition"))
        signal = el.find(_q(BPMN_NS, "signalEventDefinition"))
        if message is not None or signal is not None or _local(el.tag) == "receiveTask":
            ref_el = message if message is not None else signal
            ref = (ref_el.get("messageRef") or ref_el.get("signalRef")) if ref_el is not None else el.get("messageRef")
            target = self.by_id.get(ref or "")
            name = (target.get("name") if target is not None else None) or ref or step["id"]
            event = slug(name, lower=True, fallback="event")
            step["event"] = {"name": event, "correlation": "true"}
            notes.append(f"waits for event {event}: set its correlation (which run an event belongs to)")
            return
        cond = el.find(_q(BPMN_NS, "conditionalEventDefinition"))
        text, language = "", None
        if cond is not None:
            c = cond.find(_q(BPMN_NS, "condition"))
            text = (c.text or "").strip() if c is not None else ""
            language = c.get("language") if c is not None else None
        t = translate(text, language or self.root.get("expressionLanguage")) if text else None
        if t is not None:
            step["until"] = t.cel
            for name, kind in t.names.items():
                self.variables.setdefault(name, kind)
        else:
            step["until"] = text or "false"
            notes.append(f"its condition '{text}' was not translated to CEL")

    def _decision(self, el: Element, flows: list[Element]) -> None:
        self.outcome_of_flow = getattr(self, "outcome_of_flow", {})
        eid = el.get("id", "")
        nid = self.own_id(el, slug(self._name(el) or eid, lower=True, fallback="decision"))
        node: dict[str, Any] = {"id": nid, "type": "decision", **self._label(el), **self._documentation(el), "outcomes": []}
        default = el.get("default")
        has_default = bool(default) and any(f.get("id") == default for f in flows)
        notes: list[str] = []
        used: set[str] = {"default"}
        for f in flows:
            fid = f.get("id", "")
            if fid == default:
                self.outcome_of_flow[fid] = "default"
                continue
            cond = f.find(_q(BPMN_NS, "conditionExpression"))
            text = (cond.text or "").strip() if cond is not None else ""
            if not text and not has_default:
                has_default = True
                self.outcome_of_flow[fid] = "default"
                continue
            base = slug(self._name(f) or fid, lower=True, fallback="outcome")
            oid, n = base, 2
            while oid in used:
                oid, n = f"{base}_{n}", n + 1
            used.add(oid)
            outcome: dict[str, Any] = {"id": oid, "label": (self._name(f) or oid)[:200]}
            language = (cond.get("language") if cond is not None else None) or self.root.get("expressionLanguage")
            t = translate(text, language) if text else None
            if not text:
                outcome["condition"] = "true"
                notes.append(f"flow {fid} has no condition: outcome {oid} is 'true'")
            elif t is None:
                outcome["condition"] = text
                notes.append(f"condition of flow {fid} kept as text, not CEL: {text!r}")
            else:
                outcome["condition"] = t.cel
                for name, kind in t.names.items():
                    self.variables.setdefault(name, kind)
            node["outcomes"].append(outcome)
            self.outcome_of_flow[fid] = oid
        if not has_default:
            notes.append("no default flow: add an edge for the default outcome")
        if _local(el.tag) == "inclusiveGateway":
            notes.append("an inclusive gateway: Overture takes the first outcome that holds, not every one")
        self._add(node, el)
        self.ov[eid] = nid
        self.mapped(el, nid, "a decision" + ("; " + "; ".join(notes) if notes else ""))

    # ------------------------------------------------------------------ boundary events
    def _boundary(self, el: Element, rels: list[_Rel], kinds: dict[str, str], by_id: dict[str, Element]) -> None:
        attached = el.get("attachedToRef", "")
        defs = self._definitions(el)
        host = self.by_id.get(attached)
        step = self.step_of.get(attached)
        stage = self.stages_by_bpmn.get(attached)
        if "timerEventDefinition" in defs and step is not None and step.get("type") == "interactive":
            timer = el.find(_q(BPMN_NS, "timerEventDefinition"))
            duration = timer.find(_q(BPMN_NS, "timeDuration")) if timer is not None else None
            text = _unquote(duration.text) if duration is not None else ""
            interrupting = el.get("cancelActivity", "true") != "false"
            target_step = next((self.step_of[r.target] for r in rels if r.target in self.step_of), None)
            to = target_step["assignee"] if target_step is not None and target_step.get("type") == "interactive" else step["assignee"]
            action = "reassign" if interrupting and target_step is not None and to != step["assignee"] else "notify"
            if _is_duration(text) and "due" in step:
                # A second timer on the same task (an export writes the escalation as its own timer at due + after).
                detail = (
                    f"the escalation of step {step['id']}; its timer {text} is later than the due {step['due']}: "
                    "check the escalation's 'after'"
                )
                step.setdefault("escalation", {"after": "PT0S", "action": action, "to": dict(to)})
            elif _is_duration(text):
                step["due"] = text
                step["escalation"] = {"after": "PT0S", "action": action, "to": dict(to)}
                detail = f"due {text} and escalation ({action}) of step {step['id']}"
            else:
                step["escalation"] = {"action": action, "to": dict(to)}
                detail = f"escalation ({action}) of step {step['id']}; its timer '{text}' was not translated: set the due"
            self.mapped(el, step["id"], detail)
            for rel in rels:
                self._claim(rel, step["id"], f"the escalation of step {step['id']}")
                for fid in rel.flows:
                    self.flow_result[fid] = (step["id"], f"the escalation of step {step['id']} (the path after the timer is not taken)")
            return
        if "errorEventDefinition" in defs and stage is not None:
            if stage["id"] in self.faulted:
                self.unmapped(el, f"a second error boundary on stage {stage['id']}: a stage has one fault path")
                return
            targets = [r for r in rels if self._ov(r.target, kinds)]
            if not targets:
                self.unmapped(el, "an error boundary event that leads nowhere Overture imported")
                return
            for rel in targets[:1]:
                target = self._ov(rel.target, kinds)
                assert target is not None
                edge = self._edge(stage["id"], target, None, kind="error", flow=self.by_id.get(rel.flows[0]))
                self.faulted.add(stage["id"])
                self._claim(rel, edge["id"], f"the fault path of stage {stage['id']}")
                self.mapped(el, edge["id"], f"the fault path of stage {stage['id']} (an error edge to {target})")
            return
        what = ", ".join(defs) or "no event definition"
        host_name = (self._name(host) or attached) if host is not None else attached
        reason = (
            f"a boundary event ({what}) on {host_name}: Overture takes boundary timers on interactive steps (due) "
            "and errors (fault path) only"
        )
        self.unmapped(el, reason)
        for rel in rels:
            for fid in rel.flows:
                self.flow_reason.setdefault(fid, f"leaves a boundary event that was not imported ({what})")

    # ------------------------------------------------------------------ pass-through nodes
    def _report_pass(self, el: Element, inner: bool, stage: dict[str, Any] | None) -> None:
        eid, kind = el.get("id", ""), _local(el.tag)
        if kind in SUBPROCESSES:
            return
        # A split's steps are after it, a join's before it.
        sides = self.gateway_sides.get(eid, [])
        stages = {self.stages_by_bpmn[side]["id"] for side in sides if side in self.step_of and side in self.stages_by_bpmn}
        if kind == "parallelGateway" and len(stages) == 1:
            sid = next(iter(stages))
            self.mapped(el, sid, f"parallel steps in stage {sid} (split: they start together; join: the next step starts after them all)")
        elif kind in GATEWAYS:
            detail = {
                "parallelGateway": "a parallel gateway whose branches are in different stages: the stages follow one another instead",
                "eventBasedGateway": "an event-based gateway: the wait steps after it all wait; the first event does not cancel the others",
            }.get(kind, "a gateway where flows merge (or with one way out): no node, the flows through it lead to the node after it")
            self.unmapped(el, detail)
        else:
            self.unmapped(el, f"{kind} with nothing to wait for or send: no node, the flow goes through it")

    def _report_drop(self, el: Element) -> None:
        kind = _local(el.tag)
        if kind == "startEvent":
            self.unmapped(el, "a second start event: an orchestration has one start")
        elif kind == "intermediateCatchEvent":
            defs = ", ".join(self._definitions(el)) or "no event definition"
            self.unmapped(el, f"a catch event ({defs}) Overture cannot wait for: the path through it is cut")
        else:
            self.unmapped(el, f"{kind}: Overture has no counterpart for it")


_ACTIONS: ActionRegistry | None = None


def _merge(
    into: dict[str, tuple[list[str], list[str], list[str]]], target: str, flows: list[str], forks: list[str], joins: list[str]
) -> None:
    """Add one way to ``target``, merging it with the ways already found (order kept, no repeats)."""
    if target not in into:
        into[target] = (list(dict.fromkeys(flows)), list(dict.fromkeys(forks)), list(dict.fromkeys(joins)))
        return
    old_flows, old_forks, old_joins = into[target]
    into[target] = (
        list(dict.fromkeys(old_flows + flows)),
        list(dict.fromkeys(old_forks + forks)),
        list(dict.fromkeys(old_joins + joins)),
    )


def _builtin_actions() -> ActionRegistry:
    global _ACTIONS
    if _ACTIONS is None:
        _ACTIONS = default_registry(plugins=False)
    return _ACTIONS


def _unquote(text: str | None) -> str:
    """A timer's text; SpiffWorkflow writes them as Python strings (``"P14D"``)."""
    text = (text or "").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text


def _is_duration(text: str) -> bool:
    return bool(re.fullmatch(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", text))


def import_tree(root: Element) -> ImportResult:
    """Map a parsed BPMN ``definitions`` element (``runtime.bpmn.xml.parse``) to a document and a report."""
    importer = _Importer(root)
    importer.outcome_of_flow = {}
    importer.stages_by_bpmn = {}
    importer.entry_gateways = {}
    result = importer.run()
    json.dumps(result.document)  # always JSON
    return result
