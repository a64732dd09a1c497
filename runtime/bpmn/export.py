"""An Overture document as BPMN 2.0 XML with diagram interchange (DI).

The mapping (ARCHITECTURE §2 is the document format):

- the document is one ``bpmn:process``; its top-level fields (key, label, trigger,
  inputs, variables...) travel whole in ``<overture:document>``;
- ``start`` / ``end`` are start and end events; a ``decision`` is an exclusive gateway
  whose outgoing flows carry the outcome's CEL condition in ``conditionExpression``
  (``language`` names CEL) and whose ``default`` names the default outcome's flow;
- a ``stage`` is a sub-process holding its steps: an inner start event, the steps
  wired by their start rules (``stage_start`` from the start event, ``after`` from the
  steps named — through a parallel join when there are several — and ``condition``
  through a conditional catch event), every step with nothing after it into the inner
  end event; its error edge leaves from a boundary error event;
- ``interactive`` is a user task (``camunda:assignee`` / ``camunda:candidateGroups``
  for a user or a group), with a non-interrupting boundary timer for ``due``;
  ``background`` is a service task (``camunda:type="external"``, the action as topic);
  ``wait`` is an intermediate catch event (timer, message, or condition).

Each node carries its own JSON in ``<overture:node index="i">`` and each edge in
``<overture:edge index="i">``, so ``runtime/bpmn/roundtrip.py`` rebuilds the document
exactly. Elements the export adds for BPMN's sake (inner start/end events, joins,
boundary events, inner flows) carry ``<overture:part of="...">`` instead.

Positions come from the canvas's ``ui`` (steps are placed relative to their stage, as
React Flow stores them); a node without one gets the canvas's own default placement.
The output depends only on the document: the same document gives the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from runtime.durations import parse_duration

NS_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS_BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
NS_DC = "http://www.omg.org/spec/DD/20100524/DC"
NS_DI = "http://www.omg.org/spec/DD/20100524/DI"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS_OVERTURE = "https://overture.dev/schema/bpmn/1"
CEL = "https://github.com/google/cel-spec"

STEP_TYPES = ("interactive", "background", "wait")

# The canvas's sizes and default placement (frontend/src/lib/document.ts).
STAGE_WIDTH = 320
STAGE_HEADER = 56
STEP_WIDTH = 280
STEP_HEIGHT = 56
STEP_GAP = 12
STAGE_PADDING = 20
COLUMN_GAP = 120
EVENT = 36
GATEWAY = 50
PART = 30  # the small events and gateways the export adds inside a stage

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ExportError(ValueError):
    """The document cannot be drawn as BPMN at all (not a document's shape)."""


def export_bpmn(document: dict[str, Any]) -> bytes:
    """BPMN 2.0 XML (UTF-8) for ``document``; see the module's docstring for the mapping."""
    return _Exporter(document).run().encode("utf-8")


# --------------------------------------------------------------------------- text


def _json(value: Any) -> str:
    """Compact JSON that is always valid XML character data (odd characters \\u-escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _attr(value: Any) -> str:
    text = escape(_clean(str(value)), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    return f'"{text}"'


def _text(value: Any) -> str:
    return escape(_clean(str(value)))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2

    @property
    def mid_x(self) -> float:
        return self.x + self.w / 2


def _number(ui: Any, key: str) -> float | None:
    if isinstance(ui, dict):
        value = ui.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


@dataclass
class _Element:
    """One BPMN element being written: its XML lines and its shape (if drawn)."""

    id: str
    lines: list[str] = field(default_factory=list)


class _Ids:
    """BPMN ids: the document's own where usable, fresh ones for what the export adds."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, wanted: Any, fallback: str) -> str:
        base = wanted if isinstance(wanted, str) and _NCNAME.match(wanted) else fallback
        return self.fresh(base)

    def fresh(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}_{n}"
        self.taken.add(candidate)
        return candidate


class _Exporter:
    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise ExportError("a document must be a JSON object")
        nodes, edges = document.get("nodes", []), document.get("edges", [])
        if not isinstance(nodes, list) or not isinstance(edges, list):
            raise ExportError("a document's `nodes` and `edges` must be lists")
        self.document = document
        self.nodes: list[Any] = nodes
        self.edges: list[Any] = edges
        self.ids = _Ids()
        self.bid: dict[int, str] = {}  # id() of a node -> its BPMN id
        self.bpmn_id: dict[str, str] = {}  # node id -> BPMN id (first node with that id)
        self.node_by_id: dict[str, dict[str, Any]] = {}
        self.boxes: dict[str, Box] = {}  # BPMN id -> bounds
        self.shapes: list[str] = []
        self.edge_shapes: list[str] = []
        self.stray: list[str] = []  # overture:node / overture:edge that no element can carry
        self.messages: dict[str, str] = {}  # message name -> BPMN id
        self.uses_error = False
        self.incoming: dict[str, list[str]] = {}
        self.outgoing: dict[str, list[str]] = {}
        self.flows: dict[str, list[str]] = {}  # container BPMN id -> sequenceFlow lines
        self.default_flow: dict[str, str] = {}  # gateway BPMN id -> flow id
        self.boundaries: list[list[str]] = []  # boundary error events on stages
        self.failed: dict[str, str] = {}  # stage BPMN id -> its boundary error event
        self.top_boxes: list[Box] = []  # the process's own shapes, which its flows route around
        self.lanes_below = self.lanes_above = 0

    # ------------------------------------------------------------------ ids and layout

    def _assign_ids(self) -> None:
        for index, node in enumerate(self.nodes):
            if isinstance(node, dict):
                node_id = node.get("id")
                bpmn = self.ids.claim(node_id, f"node_{index}")
                if isinstance(node_id, str) and node_id not in self.bpmn_id:
                    self.bpmn_id[node_id] = bpmn
                    self.node_by_id[node_id] = node
                self.bid[id(node)] = bpmn
        self.edge_ids: dict[int, str] = {}
        for index, edge in enumerate(self.edges):
            if isinstance(edge, dict):
                self.edge_ids[index] = self.ids.claim(edge.get("id"), f"flow_{index}")
        # The document's own ids first, so they stay as they are; then what the export names.
        self.process_id = self.ids.claim(self.document.get("key"), "process")
        self.diagram_id, self.plane_id, self.error_id = (self.ids.fresh(name) for name in ("diagram", "plane", "error_step_failed"))

    def _b(self, node: dict[str, Any]) -> str:
        return self.bid[id(node)]

    def _stage_of(self, node: dict[str, Any]) -> dict[str, Any] | None:
        if node.get("type") not in STEP_TYPES:
            return None
        stage = self.node_by_id.get(node.get("stage"))  # type: ignore[arg-type]
        return stage if stage is not None and stage.get("type") == "stage" else None

    def _layout(self) -> None:
        """Bounds of every node: the canvas's ``ui``, else the canvas's default placement."""
        # Nodes without a position go in columns to the right of those that have one.
        placed = [
            (_number(n.get("ui"), "x") or 0.0) + (_number(n.get("ui"), "width") or STAGE_WIDTH)
            for n in self._dicts()
            if self._stage_of(n) is None and _number(n.get("ui"), "x") is not None and _number(n.get("ui"), "y") is not None
        ]
        column = max(placed) + COLUMN_GAP if placed else 0.0
        steps_in: dict[str, list[dict[str, Any]]] = {}
        for node in self._dicts():
            stage = self._stage_of(node)
            if stage is not None:
                steps_in.setdefault(self._b(stage), []).append(node)
        self.steps_in = steps_in

        def next_column(width: float) -> float:
            nonlocal column
            x = column
            column += width + COLUMN_GAP
            return x

        for node in self._dicts():  # top level first: steps are placed inside their stage
            kind = node.get("type")
            if self._stage_of(node) is not None:
                continue
            ui = node.get("ui")
            x, y = _number(ui, "x"), _number(ui, "y")
            if kind == "stage":
                count = len(steps_in.get(self._b(node), []))
                w = _number(ui, "width") or STAGE_WIDTH
                h = _number(ui, "height") or STAGE_HEADER + max(count, 1) * (STEP_HEIGHT + STEP_GAP) + STAGE_PADDING
                if x is None or y is None:
                    x, y = next_column(w), 0.0
                self.boxes[self._b(node)] = Box(x, y, w, h)
            elif kind in ("start", "end"):
                if x is None or y is None:
                    x, y = next_column(60), 0.0
                self.boxes[self._b(node)] = Box(x, y, EVENT, EVENT)
            elif kind == "decision":
                if x is None or y is None:
                    x, y = next_column(160), 0.0
                self.boxes[self._b(node)] = Box(x, y, GATEWAY, GATEWAY)
            else:  # a step outside any stage, or a node of no known type
                if x is None or y is None:
                    x, y = next_column(STEP_WIDTH), 0.0
                self.boxes[self._b(node)] = Box(x, y, STEP_WIDTH, STEP_HEIGHT)
        self.top_boxes = list(self.boxes.values())
        for stage_bpmn, steps in steps_in.items():
            stage_box = self.boxes[stage_bpmn]
            for index, step in enumerate(steps):
                ui = step.get("ui")
                x, y = _number(ui, "x"), _number(ui, "y")
                if x is None or y is None:
                    x, y = STAGE_PADDING, STAGE_HEADER + index * (STEP_HEIGHT + STEP_GAP)
                box = Box(stage_box.x + x, stage_box.y + y, STEP_WIDTH, STEP_HEIGHT)
                if step.get("type") == "wait":  # an event, drawn at the left of the step's slot
                    box = Box(box.x, box.mid_y - EVENT / 2, EVENT, EVENT)
                self.boxes[self._b(step)] = box

    def _dicts(self) -> list[dict[str, Any]]:
        return [node for node in self.nodes if isinstance(node, dict)]

    # ------------------------------------------------------------------ writing

    def run(self) -> str:
        self._assign_ids()
        self._layout()
        self._defaults()
        body = self._process()
        head = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<bpmn:definitions xmlns:bpmn="{NS_BPMN}" xmlns:bpmndi="{NS_BPMNDI}" xmlns:dc="{NS_DC}"'
            f' xmlns:di="{NS_DI}" xmlns:xsi="{NS_XSI}" xmlns:camunda="{NS_CAMUNDA}" xmlns:overture="{NS_OVERTURE}"'
            f' id="definitions" targetNamespace="{NS_OVERTURE}" exporter="Overture" exporterVersion="1">',
        ]
        for name, message_id in sorted(self.messages.items(), key=lambda item: item[1]):
            head.append(f"  <bpmn:message id={_attr(message_id)} name={_attr(name)} />")
        if self.uses_error:
            head.append(f'  <bpmn:error id={_attr(self.error_id)} name="A step failed for good" errorCode="step_failed" />')
        diagram = [
            f"  <bpmndi:BPMNDiagram id={_attr(self.diagram_id)}>",
            f"    <bpmndi:BPMNPlane id={_attr(self.plane_id)} bpmnElement={_attr(self.process_id)}>",
            *self.shapes,
            *self.edge_shapes,
            "    </bpmndi:BPMNPlane>",
            "  </bpmndi:BPMNDiagram>",
            "</bpmn:definitions>",
            "",
        ]
        return "\n".join([*head, *body, *diagram])

    def _process(self) -> list[str]:
        meta = {k: v for k, v in self.document.items() if k not in ("nodes", "edges")}
        label = self.document.get("label")
        name = f" name={_attr(label)}" if isinstance(label, str) else ""
        lines = [f'  <bpmn:process id={_attr(self.process_id)}{name} isExecutable="true">']
        lines += self._documentation(self.document, 4)
        top: list[str] = []
        # Nodes first (they register the flows' ends), then the flows.
        elements: list[list[str]] = []
        for index, node in enumerate(self.nodes):
            if not isinstance(node, dict):
                self.stray.append(f'<overture:node index="{index}">{_cdata(_json(node))}</overture:node>')
                continue
            if self._stage_of(node) is not None:
                continue  # written inside its stage
            elements.append(self._node(index, node, 4))
        for index, edge in enumerate(self.edges):
            self._edge(index, edge)
        ext = [f"<overture:document>{_cdata(_json(meta))}</overture:document>", *self.stray]
        lines += ["    <bpmn:extensionElements>", *("      " + e for e in ext), "    </bpmn:extensionElements>"]
        for element in [*elements, *self.boundaries]:
            top += element
        lines += self._finish(top, self.process_id, 4)
        lines.append("  </bpmn:process>")
        return lines

    def _finish(self, element_lines: list[str], container: str, indent: int) -> list[str]:
        """A container's elements with their incoming/outgoing refs filled in, then its flows."""
        out: list[str] = []
        for line in element_lines:
            marker = re.fullmatch(r"(\s*)<!--refs:(.+)-->", line)
            if marker is None:
                out.append(line)
                continue
            pad, bpmn_id = marker.groups()
            out += [f"{pad}<bpmn:incoming>{_text(f)}</bpmn:incoming>" for f in self.incoming.get(bpmn_id, [])]
            out += [f"{pad}<bpmn:outgoing>{_text(f)}</bpmn:outgoing>" for f in self.outgoing.get(bpmn_id, [])]
        out += [" " * indent + line for line in self.flows.get(container, [])]
        return out

    def _documentation(self, item: dict[str, Any], indent: int) -> list[str]:
        text = item.get("description")
        if isinstance(text, str) and text:
            return [" " * indent + f"<bpmn:documentation>{_text(text)}</bpmn:documentation>"]
        return []

    def _ext(self, lines: list[str], indent: int) -> list[str]:
        pad = " " * indent
        return [f"{pad}<bpmn:extensionElements>", *(pad + "  " + line for line in lines), f"{pad}</bpmn:extensionElements>"]

    def _node_ext(self, index: int, node: dict[str, Any], indent: int) -> list[str]:
        return self._ext([f'<overture:node index="{index}">{_cdata(_json(node))}</overture:node>'], indent)

    def _part_ext(self, of: str, indent: int) -> list[str]:
        return self._ext([f"<overture:part of={_attr(of)} />"], indent)

    def _shape(self, bpmn_id: str, box: Box, extra: str = "") -> None:
        self.shapes.append(
            f"      <bpmndi:BPMNShape id={_attr(self.ids.fresh(bpmn_id + '_di'))} bpmnElement={_attr(bpmn_id)}{extra}>"
            f'<dc:Bounds x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" height="{_num(box.h)}" />'
            "</bpmndi:BPMNShape>"
        )

    def _flow(
        self,
        container: str,
        flow_id: str,
        source: str,
        target: str,
        *,
        ext: list[str],
        name: Any = None,
        condition: str | None = None,
        route: str = "auto",
    ) -> None:
        self.outgoing.setdefault(source, []).append(flow_id)
        self.incoming.setdefault(target, []).append(flow_id)
        label = f" name={_attr(name)}" if isinstance(name, str) and name else ""
        head = f"<bpmn:sequenceFlow id={_attr(flow_id)}{label} sourceRef={_attr(source)} targetRef={_attr(target)}"
        body = self._ext(ext, 2)
        if condition is not None:
            body.append(
                f'  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="{CEL}">'
                f"{_text(condition)}</bpmn:conditionExpression>"
            )
        lines = [head + ">", *body, "</bpmn:sequenceFlow>"]
        self.flows.setdefault(container, []).extend(lines)
        obstacles = self.top_boxes if container == self.process_id else []
        self._edge_shape(flow_id, self.boxes[source], self.boxes[target], route, obstacles)

    def _edge_shape(self, flow_id: str, a: Box, b: Box, route: str, obstacles: list[Box]) -> None:
        """Waypoints: ``down`` leaves from the bottom, ``up`` comes in from below, ``auto`` picks by where the ends are.

        A forward flow that would cross the shapes between its ends goes under them, a flow
        back goes over them; each such detour gets a lane of its own.
        """
        points: list[tuple[float, float]]
        between = [o for o in obstacles if o not in (a, b) and o.x < max(a.x, b.x) and o.x + o.w > min(a.x + a.w, b.x + b.w)]
        if route == "down":
            points = [(a.mid_x, a.y + a.h), (a.mid_x, b.mid_y), (b.x, b.mid_y)]
        elif route == "up":
            points = [(a.x + a.w, a.mid_y), (b.mid_x, a.mid_y), (b.mid_x, b.y + b.h)]
        elif b.x >= a.x + a.w:  # forward: right side to left side, or under what is in the way
            sx, sy, tx, ty = a.x + a.w, a.mid_y, b.x, b.mid_y
            low, high = min(sy, ty), max(sy, ty)
            if any(o.y <= high and o.y + o.h >= low for o in between):
                self.lanes_below += 1
                y = max(o.y + o.h for o in [a, b, *between]) + 20 + 12 * self.lanes_below
                points = [(a.mid_x, a.y + a.h), (a.mid_x, y), (b.mid_x, y), (b.mid_x, b.y + b.h)]
            else:
                mx = (sx + tx) / 2
                points = [(sx, sy), (tx, ty)] if sy == ty else [(sx, sy), (mx, sy), (mx, ty), (tx, ty)]
        elif b.y >= a.y + a.h:  # below: bottom to top
            sx, sy, tx, ty = a.mid_x, a.y + a.h, b.mid_x, b.y
            my = (sy + ty) / 2
            points = [(sx, sy), (tx, ty)] if sx == tx else [(sx, sy), (sx, my), (tx, my), (tx, ty)]
        else:  # back: over the top
            self.lanes_above += 1
            top = min(o.y for o in [a, b, *between]) - 20 - 12 * self.lanes_above
            points = [(a.mid_x, a.y), (a.mid_x, top), (b.mid_x, top), (b.mid_x, b.y)]
        waypoints = "".join(f'<di:waypoint x="{_num(x)}" y="{_num(y)}" />' for x, y in points)
        self.edge_shapes.append(
            f"      <bpmndi:BPMNEdge id={_attr(self.ids.fresh(flow_id + '_di'))} bpmnElement={_attr(flow_id)}>{waypoints}</bpmndi:BPMNEdge>"
        )

    # ------------------------------------------------------------------ nodes

    def _node(self, index: int, node: dict[str, Any], indent: int) -> list[str]:
        kind = node.get("type")
        bpmn = self._b(node)
        pad = " " * indent
        label = node.get("label")
        name = f" name={_attr(label)}" if isinstance(label, str) and label else ""
        box = self.boxes[bpmn]
        tag = {
            "start": "startEvent",
            "end": "endEvent",
            "stage": "subProcess",
            "decision": "exclusiveGateway",
            "interactive": "userTask",
            "background": "serviceTask",
            "wait": "intermediateCatchEvent",
        }.get(kind if isinstance(kind, str) else "", "task")
        attrs = ""
        if kind == "interactive":
            attrs = self._assignee_attrs(node.get("assignee"))
        elif kind == "decision" and bpmn in self.default_flow:
            attrs = f" default={_attr(self.default_flow[bpmn])}"
        elif kind == "background" and isinstance(node.get("action"), str):
            attrs = f' camunda:type="external" camunda:topic={_attr(node["action"])}'
        lines = [f"{pad}<bpmn:{tag} id={_attr(bpmn)}{name}{attrs}>"]
        lines += self._documentation(node, indent + 2)
        lines += self._node_ext(index, node, indent + 2)
        lines.append(f"{pad}  <!--refs:{bpmn}-->")
        if kind == "wait":
            lines += self._wait_definitions(node, indent + 2)
        if kind == "stage":
            lines += self._stage_inside(node, indent + 2)
        lines.append(f"{pad}</bpmn:{tag}>")
        self._shape(bpmn, box, ' isExpanded="true"' if kind == "stage" else "")
        if kind == "interactive" and isinstance(node.get("due"), str):
            lines += self._due_timer(node, indent)
        return lines

    def _assignee_attrs(self, assignee: Any) -> str:
        if isinstance(assignee, dict) and isinstance(assignee.get("value"), str):
            if assignee.get("type") == "user":
                return f" camunda:assignee={_attr(assignee['value'])}"
            if assignee.get("type") == "group":
                return f" camunda:candidateGroups={_attr(assignee['value'])}"
        return ""

    def _wait_definitions(self, node: dict[str, Any], indent: int) -> list[str]:
        pad = " " * indent
        bpmn = self._b(node)
        out: list[str] = []
        timer = node.get("timer")
        if isinstance(timer, dict):
            if isinstance(timer.get("duration"), str):
                inner = f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{_text(timer["duration"])}</bpmn:timeDuration>'
            elif isinstance(timer.get("at"), str):
                inner = f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression" language="{CEL}">{_text(timer["at"])}</bpmn:timeDate>'
            else:
                inner = ""
            out.append(f"{pad}<bpmn:timerEventDefinition id={_attr(self.ids.fresh(bpmn + '_timer'))}>{inner}</bpmn:timerEventDefinition>")
        event = node.get("event")
        if isinstance(event, dict) and isinstance(event.get("name"), str):
            message = self.messages.get(event["name"])
            if message is None:
                message = self.messages[event["name"]] = self.ids.fresh(
                    f"message_{event['name']}" if _NCNAME.match(event["name"]) else "message"
                )
            out.append(f"{pad}<bpmn:messageEventDefinition id={_attr(self.ids.fresh(bpmn + '_message'))} messageRef={_attr(message)} />")
        until = node.get("until")
        if isinstance(until, str):
            out.append(self._conditional(bpmn + "_until", until, indent))
        return out

    def _conditional(self, base: str, condition: str, indent: int) -> str:
        pad = " " * indent
        return (
            f"{pad}<bpmn:conditionalEventDefinition id={_attr(self.ids.fresh(base))}>"
            f'<bpmn:condition xsi:type="bpmn:tFormalExpression" language="{CEL}">{_text(condition)}</bpmn:condition>'
            "</bpmn:conditionalEventDefinition>"
        )

    def _due_timer(self, node: dict[str, Any], indent: int) -> list[str]:
        """Non-interrupting boundary timers: one at ``due``, one when the escalation fires (due + after)."""
        bpmn = self._b(node)
        task = self.boxes[bpmn]
        of = str(node.get("id"))
        due = node["due"]
        lines = self._boundary_timer(
            bpmn + "_due", f"Due after {due}", due, bpmn, of, Box(task.x + task.w - 50, task.y + task.h - EVENT / 2, EVENT, EVENT), indent
        )
        escalation = node.get("escalation")
        if isinstance(escalation, dict) and isinstance(escalation.get("action"), str):
            after = escalation.get("after")
            when = _add_durations(due, after) if isinstance(after, str) else due
            label = f"Escalate: {escalation['action']}"
            box = Box(task.x + task.w - 130, task.y + task.h - EVENT / 2, EVENT, EVENT)
            lines += self._boundary_timer(bpmn + "_escalation", label, when or due, bpmn, of, box, indent)
        return lines

    def _boundary_timer(self, base: str, name: str, duration: str, attached: str, of: str, box: Box, indent: int) -> list[str]:
        pad = " " * indent
        timer_id = self.ids.fresh(base)
        self.boxes[timer_id] = box
        self._shape(timer_id, box)
        return [
            f'{pad}<bpmn:boundaryEvent id={_attr(timer_id)} name={_attr(name)} cancelActivity="false" attachedToRef={_attr(attached)}>',
            *self._part_ext(of, indent + 2),
            f"{pad}  <bpmn:timerEventDefinition id={_attr(self.ids.fresh(timer_id + '_timer'))}>"
            f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{_text(duration)}</bpmn:timeDuration>'
            "</bpmn:timerEventDefinition>",
            f"{pad}</bpmn:boundaryEvent>",
        ]

    def _stage_inside(self, stage: dict[str, Any], indent: int) -> list[str]:
        """A stage's steps, wired by their start rules between an inner start and end event."""
        pad = " " * indent
        bpmn = self._b(stage)
        box = self.boxes[bpmn]
        of = str(stage.get("id"))
        start_id, end_id = self.ids.fresh(bpmn + "_start"), self.ids.fresh(bpmn + "_end")
        top = box.y + (STAGE_HEADER - PART) / 2
        self.boxes[start_id] = Box(box.x + 2, top, PART, PART)  # its flows run down the stage's left margin
        self.boxes[end_id] = Box(box.x + box.w - 2 - PART, top, PART, PART)  # and up its right one
        lines: list[str] = []
        lines += [
            f"{pad}<bpmn:startEvent id={_attr(start_id)}>",
            *self._part_ext(of, indent + 2),
            f"{pad}  <!--refs:{start_id}-->",
            f"{pad}</bpmn:startEvent>",
        ]
        self._shape(start_id, self.boxes[start_id])
        steps = self.steps_in.get(bpmn, [])
        index_of = {id(node): i for i, node in enumerate(self.nodes)}
        step_ids = {step.get("id"): self._b(step) for step in steps if isinstance(step.get("id"), str)}
        followed: set[str] = set()
        flow_n = 0

        def flow(source: str, target: str) -> None:
            nonlocal flow_n
            flow_n += 1
            route = "down" if source == start_id else "up" if target == end_id else "auto"
            self._flow(
                bpmn, self.ids.fresh(f"{bpmn}_flow_{flow_n}"), source, target, ext=[f"<overture:part of={_attr(of)} />"], route=route
            )

        for step in steps:
            lines += self._node(index_of[id(step)], step, indent)
        for step in steps:
            step_bpmn = self._b(step)
            step_box = self.boxes[step_bpmn]
            rule: dict[str, Any] = step["start"] if isinstance(step.get("start"), dict) else {}
            named: list[Any] = rule["steps"] if rule.get("when") == "after" and isinstance(rule.get("steps"), list) else []
            before = [step_ids[s] for s in named if isinstance(s, str) and s in step_ids]
            if before:
                followed.update(before)
                if len(before) == 1:
                    flow(before[0], step_bpmn)
                else:
                    join = self.ids.fresh(step_bpmn + "_join")
                    self.boxes[join] = Box(step_box.x - PART / 2, step_box.mid_y - PART / 2, PART, PART)
                    self._shape(join, self.boxes[join])
                    lines += [
                        f'{pad}<bpmn:parallelGateway id={_attr(join)} name="All done">',
                        *self._part_ext(str(step.get("id")), indent + 2),
                        f"{pad}  <!--refs:{join}-->",
                        f"{pad}</bpmn:parallelGateway>",
                    ]
                    for source in before:
                        flow(source, join)
                    flow(join, step_bpmn)
            elif rule.get("when") == "condition" and isinstance(rule.get("condition"), str):
                wait = self.ids.fresh(step_bpmn + "_when")
                self.boxes[wait] = Box(step_box.x - PART / 2, step_box.mid_y - PART / 2, PART, PART)
                self._shape(wait, self.boxes[wait])
                lines += [
                    f'{pad}<bpmn:intermediateCatchEvent id={_attr(wait)} name="Start condition">',
                    *self._part_ext(str(step.get("id")), indent + 2),
                    f"{pad}  <!--refs:{wait}-->",
                    self._conditional(wait + "_condition", rule["condition"], indent + 2),
                    f"{pad}</bpmn:intermediateCatchEvent>",
                ]
                flow(start_id, wait)
                flow(wait, step_bpmn)
            else:
                flow(start_id, step_bpmn)
        for step in steps:
            if self._b(step) not in followed:
                flow(self._b(step), end_id)
        if not steps:
            flow(start_id, end_id)
        lines += [
            f"{pad}<bpmn:endEvent id={_attr(end_id)}>",
            *self._part_ext(of, indent + 2),
            f"{pad}  <!--refs:{end_id}-->",
            f"{pad}</bpmn:endEvent>",
        ]
        self._shape(end_id, self.boxes[end_id])
        return self._finish(lines, bpmn, indent)

    # ------------------------------------------------------------------ edges

    def _edge(self, index: int, edge: Any) -> None:
        ext = f'<overture:edge index="{index}">{_cdata(_json(edge))}</overture:edge>'
        if not isinstance(edge, dict):
            self.stray.append(ext)
            return
        if not self._drawable(edge):
            self.stray.append(ext)  # kept, though BPMN cannot draw it
            return
        source, target = self.node_by_id[edge["source"]], self.node_by_id[edge["target"]]
        flow_id = self.edge_ids[index]
        source_bpmn, condition, route = self._b(source), None, "auto"
        if source.get("type") == "stage" and edge.get("kind") == "error":
            source_bpmn, route = self._error_boundary(source), "down"
        if source.get("type") == "decision":
            outcome = edge.get("outcome")
            found = _outcome(source, outcome)
            if outcome != "default" and found is not None and isinstance(found.get("condition"), str):
                condition = found["condition"]
        name = edge.get("label")
        if name is None and source.get("type") == "decision":
            found = _outcome(source, edge.get("outcome"))
            name = found.get("label") if found is not None else ("Otherwise" if edge.get("outcome") == "default" else None)
        self._flow(self.process_id, flow_id, source_bpmn, self._b(target), ext=[ext], name=name, condition=condition, route=route)

    def _defaults(self) -> None:
        """Each decision's default flow: the first edge it has for the outcome ``default``."""
        for index, edge in enumerate(self.edges):
            if isinstance(edge, dict) and edge.get("outcome") == "default":
                source = self.node_by_id.get(edge.get("source"))  # type: ignore[arg-type]
                if source is not None and source.get("type") == "decision" and self._drawable(edge):
                    self.default_flow.setdefault(self._b(source), self.edge_ids[index])

    def _drawable(self, edge: dict[str, Any]) -> bool:
        """True when both ends are nodes the process draws at its top level."""
        ends = [self.node_by_id.get(edge.get(end)) for end in ("source", "target")]  # type: ignore[arg-type]
        return all(
            node is not None and self._stage_of(node) is None and node.get("type") in ("start", "end", "stage", "decision") for node in ends
        )

    def _error_boundary(self, stage: dict[str, Any]) -> str:
        """The boundary error event a stage's fault path leaves from (one per stage)."""
        bpmn = self._b(stage)
        if bpmn in self.failed:
            return self.failed[bpmn]
        boundary = self.failed[bpmn] = self.ids.fresh(bpmn + "_failed")
        self.uses_error = True
        box = self.boxes[bpmn]
        self.boxes[boundary] = Box(box.x + box.w / 2 - EVENT / 2, box.y + box.h - EVENT / 2, EVENT, EVENT)
        self._shape(boundary, self.boxes[boundary])
        self.boundaries.append(
            [
                f'    <bpmn:boundaryEvent id={_attr(boundary)} name="A step failed" attachedToRef={_attr(bpmn)}>',
                *self._part_ext(str(stage.get("id")), 6),
                f"      <!--refs:{boundary}-->",
                f"      <bpmn:errorEventDefinition id={_attr(self.ids.fresh(boundary + '_error'))} errorRef={_attr(self.error_id)} />",
                "    </bpmn:boundaryEvent>",
            ]
        )
        return boundary


def _outcome(decision: dict[str, Any], outcome: Any) -> dict[str, Any] | None:
    """The decision's outcome with that id, if it lists one."""
    outcomes = decision.get("outcomes")
    for item in outcomes if isinstance(outcomes, list) else []:
        if isinstance(item, dict) and item.get("id") == outcome:
            return item
    return None


def _add_durations(first: str, second: str) -> str | None:
    """ISO-8601 ``first + second`` (P2D + PT4H = P2DT4H), or None if either is not a duration."""
    try:
        a, b = parse_duration(first), parse_duration(second)
    except ValueError:
        return None
    months, delta = a.months + b.months, a.delta + b.delta
    years, months = divmod(months, 12)
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    seconds_text = _num(seconds + delta.microseconds / 1_000_000)
    date = "".join(f"{n}{unit}" for n, unit in ((years, "Y"), (months, "M"), (delta.days, "D")) if n)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    time += f"{seconds_text}S" if seconds or delta.microseconds else ""
    if not date and not time:
        return "PT0S"
    return "P" + date + (f"T{time}" if time else "")
