"""BPMN export: every template and an awkward document go out as BPMN and come back identical.

The proof uses tools nobody here wrote: SpiffWorkflow's parser with its BPMN 2.0 XSD
validator, and bpmn-moddle (the model bpmn.io's modeler reads files with) through
scripts/bpmn-validate.mjs.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.bpmn.export import CEL, NS_BPMN, NS_OVERTURE, ExportError, export_bpmn
from runtime.bpmn.roundtrip import read_overture
from runtime.templates import TEMPLATES, load

ROOT = Path(__file__).resolve().parents[2]
B = f"{{{NS_BPMN}}}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
FLOW_NODES = {
    "startEvent",
    "endEvent",
    "subProcess",
    "userTask",
    "serviceTask",
    "task",
    "exclusiveGateway",
    "parallelGateway",
    "intermediateCatchEvent",
    "boundaryEvent",
}


def awkward() -> dict[str, Any]:
    """A document using what the templates do not: positions, every wait, start rules, fault paths, odd text."""
    return {
        "format": 1,
        "key": "awkward",
        "label": 'Awkward <&> "quotes" ]]> and ünïcödé 🎉',
        "description": "Line one\nline two\r\n\ttabbed ]]> end",
        "trigger": {"type": "manual"},
        "inputs": [{"name": "amount", "type": "number", "required": True}],
        "variables": [{"name": "ok", "type": "boolean", "default": False}],
        "nodes": [
            {"id": "start", "type": "start", "ui": {"x": 0, "y": 100}},
            {
                "id": "intake",
                "type": "stage",
                "label": "Intake",
                "entry": {"condition": "inputs.amount > 0"},
                "exit": {"when": "condition", "condition": "steps.check.status == 'completed'"},
                "ui": {"x": 120, "y": 40, "width": 400, "height": 360, "collapsed": False},
            },
            {
                "id": "check",
                "type": "interactive",
                "stage": "intake",
                "label": "Check ]]> it",
                "assignee": {"type": "user", "value": "ana"},
                "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
                "due": "P1D",
                "escalation": {"after": "PT4H", "action": "reassign", "to": {"type": "group", "value": "leads"}},
                "approval": {"policy": "quorum", "quorum": 1, "approvers": [{"type": "user", "value": "bo"}]},
                "ui": {"x": 20, "y": 56},
            },
            {
                "id": "fetch",
                "type": "background",
                "stage": "intake",
                "label": "Fetch",
                "action": "http.request",
                "inputs": {"url": "'https://example.com/' + string(inputs.amount)"},
                "retry": {"attempts": 3},
                "start": {"when": "condition", "condition": "vars.ok"},
            },
            {
                "id": "both",
                "type": "background",
                "stage": "intake",
                "label": "After both",
                "action": "noop",
                "start": {"when": "after", "steps": ["check", "fetch", "nowhere"]},
                "set": {"ok": "true"},
            },
            {"id": "cool_off", "type": "wait", "stage": "intake", "label": "Cool off", "timer": {"duration": "PT1H"}},
            {"id": "until_date", "type": "wait", "stage": "intake", "label": "Until", "timer": {"at": "timestamp('2030-01-01T00:00:00Z')"}},
            {
                "id": "signal",
                "type": "wait",
                "stage": "intake",
                "label": "Signal",
                "event": {"name": "paid", "correlation": "event.id == run.id"},
            },
            {"id": "again", "type": "wait", "stage": "intake", "label": "Paid again", "event": {"name": "paid", "correlation": "true"}},
            {"id": "holds", "type": "wait", "stage": "intake", "label": "Holds", "until": "vars.ok && inputs.amount < 10"},
            {"id": "empty", "type": "stage", "label": "Empty", "entry": None, "exit": {"when": "all_steps"}},
            {
                "id": "route",
                "type": "decision",
                "label": "Route",
                "outcomes": [{"id": "big", "label": "Big", "condition": "inputs.amount >= 5 && inputs.amount < 7"}],
            },
            {"id": "fault", "type": "stage", "label": "Fault", "entry": None, "exit": {"when": "all_steps"}},
            {
                "id": "fix",
                "type": "interactive",
                "stage": "fault",
                "label": "Fix",
                "assignee": {"type": "expression", "value": "run.started_by"},
                "form": {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]},
            },
            {
                "id": "orphan",
                "type": "interactive",
                "stage": "missing",
                "label": "No stage",
                "assignee": {"type": "queue", "value": "q"},
                "form": {"fields": [], "outcomes": []},
            },
            {"id": "strange", "type": "mystery", "label": "\u0001\ufffe control"},
            {"id": "e_done", "type": "end", "label": "Done"},
            {"id": "e_failed", "type": "end"},
        ],
        "edges": [
            {"id": "e_start", "source": "start", "target": "intake", "ui": {"points": [1, 2]}},
            {"id": "e_intake", "source": "intake", "target": "route"},
            {"id": "e_fail", "source": "intake", "target": "fault", "kind": "error"},
            {"id": "e_big", "source": "route", "target": "empty", "outcome": "big", "label": "Big one"},
            {"id": "e_small", "source": "route", "target": "e_done", "outcome": "default"},
            {"id": "e_empty", "source": "empty", "target": "e_done"},
            {"id": "e_back", "source": "fault", "target": "e_failed"},
            {"id": "e_dangling", "source": "route", "target": "nowhere", "outcome": "x"},
            {"id": "e_to_step", "source": "empty", "target": "check"},
        ],
    }


def samples() -> list[tuple[str, dict[str, Any]]]:
    return [*((name, load(name)) for name in TEMPLATES), ("awkward", awkward())]


@pytest.fixture(params=[name for name, _ in samples()])
def sample(request: pytest.FixtureRequest) -> tuple[dict[str, Any], bytes]:
    document = dict(samples())[request.param]
    return document, export_bpmn(document)


# --------------------------------------------------------------------------- round trip


def test_round_trip_gives_back_the_same_document(sample: tuple[dict[str, Any], bytes]):
    document, xml = sample
    back = read_overture(ET.fromstring(xml))
    assert back == document
    assert json.dumps(back) == json.dumps(document)  # key order too


def test_round_trip_through_an_element_tree_and_from_a_file(tmp_path: Path):
    path = tmp_path / "contract.bpmn"
    path.write_bytes(export_bpmn(load("contract_approval")))
    assert read_overture(ET.parse(path)) == load("contract_approval")


def test_export_is_deterministic_and_leaves_the_document_alone():
    document = awkward()
    before = copy.deepcopy(document)
    first = export_bpmn(document)
    assert document == before
    assert export_bpmn(copy.deepcopy(document)) == first


# --------------------------------------------------------------------------- what BPMN sees


def tags(root: ET.Element) -> dict[str, ET.Element]:
    return {el.get("id", ""): el for el in root.iter() if el.get("id")}


def local(el: ET.Element) -> str:
    return el.tag.split("}")[1]


def test_mapping_of_nodes_to_bpmn_elements():
    root = ET.fromstring(export_bpmn(awkward()))
    by_id = tags(root)
    process = root.find(f"{B}process")
    assert process is not None and process.get("id") == "awkward" and process.get("isExecutable") == "true"
    assert local(by_id["start"]) == "startEvent" and local(by_id["e_done"]) == "endEvent"
    assert local(by_id["intake"]) == "subProcess" and local(by_id["route"]) == "exclusiveGateway"
    # Steps live inside their stage's sub-process.
    intake = by_id["intake"]
    inside = {el.get("id") for el in intake}
    assert {"check", "fetch", "both", "cool_off", "holds"} <= inside
    check_task = by_id["check"]
    assert local(check_task) == "userTask" and check_task.get("{http://camunda.org/schema/1.0/bpmn}assignee") == "ana"
    assert local(by_id["fix"]) == "userTask" and by_id["fix"].get("{http://camunda.org/schema/1.0/bpmn}assignee") is None
    assert local(by_id["fetch"]) == "serviceTask" and by_id["fetch"].get("{http://camunda.org/schema/1.0/bpmn}topic") == "http.request"
    assert local(by_id["orphan"]) == "userTask" and local(by_id["strange"]) == "task"
    # Waits are catch events with the matching definition.
    assert by_id["cool_off"].find(f"{B}timerEventDefinition/{B}timeDuration").text == "PT1H"
    at = by_id["until_date"].find(f"{B}timerEventDefinition/{B}timeDate")
    assert at is not None and at.get("language") == CEL
    refs = {by_id[w].find(f"{B}messageEventDefinition").get("messageRef") for w in ("signal", "again")}
    assert len(refs) == 1 and by_id[refs.pop() or ""].get("name") == "paid"  # one message per event name
    until = by_id["holds"].find(f"{B}conditionalEventDefinition/{B}condition")
    assert until is not None and until.text == "vars.ok && inputs.amount < 10" and until.get("language") == CEL


def test_decisions_carry_cel_conditions_and_a_default():
    root = ET.fromstring(export_bpmn(load("contract_approval")))
    by_id = tags(root)
    gateway = by_id["deal_size"]
    assert gateway.get("default") == "e_small"
    big = by_id["e_big"]
    condition = big.find(f"{B}conditionExpression")
    assert condition is not None and condition.get("language") == CEL
    assert condition.text == "double(record.amount) >= 50000.0"
    assert condition.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "bpmn:tFormalExpression"
    assert big.get("name") == "$50k or more"
    assert by_id["e_small"].find(f"{B}conditionExpression") is None


def test_due_is_a_non_interrupting_boundary_timer_and_an_error_edge_a_boundary_error():
    by_id = tags(ET.fromstring(export_bpmn(awkward())))
    due = by_id["check_due"]
    assert local(due) == "boundaryEvent" and due.get("attachedToRef") == "check" and due.get("cancelActivity") == "false"
    assert due.find(f"{B}timerEventDefinition/{B}timeDuration").text == "P1D"
    escalation = by_id["check_escalation"]
    assert (
        local(escalation) == "boundaryEvent" and escalation.get("attachedToRef") == "check" and escalation.get("cancelActivity") == "false"
    )
    assert escalation.find(f"{B}timerEventDefinition/{B}timeDuration").text == "P1DT4H"  # counted from the due date
    assert escalation.get("name") == "Escalate: reassign"
    failed = by_id["e_fail"].get("sourceRef") or ""
    assert local(by_id[failed]) == "boundaryEvent" and by_id[failed].get("attachedToRef") == "intake"
    assert by_id[failed].find(f"{B}errorEventDefinition") is not None
    assert by_id["e_fail"].get("targetRef") == "fault"


@pytest.mark.parametrize(
    ("due", "after", "total"),
    [
        ("P2D", "PT0S", "P2D"),
        ("P2D", "PT4H", "P2DT4H"),
        ("P11M", "P1M", "P1Y"),
        ("PT90M", "PT45M", "PT2H15M"),
        ("P1W", "PT1.5S", "P7DT1.5S"),
    ],
)
def test_escalation_timer_is_due_plus_after(due: str, after: str, total: str):
    node = awkward()
    node["nodes"][2].update(due=due, escalation={"after": after, "action": "notify"})
    timer = tags(ET.fromstring(export_bpmn(node)))["check_escalation"].find(f"{B}timerEventDefinition/{B}timeDuration")
    assert timer is not None and timer.text == total


def test_start_rules_become_inner_flows():
    root = ET.fromstring(export_bpmn(awkward()))
    by_id = tags(root)
    flows = [(f.get("sourceRef"), f.get("targetRef")) for f in by_id["intake"] if local(f) == "sequenceFlow"]
    # "both" starts after check and fetch (the unknown step is ignored): a parallel join.
    join = [t for s, t in flows if s == "check" and local(by_id[t or ""]) == "parallelGateway"]
    assert len(join) == 1 and ("fetch", join[0]) in flows and (join[0], "both") in flows
    # "fetch" starts on a condition: a conditional catch event between the stage's start and it.
    when = [s for s, t in flows if t == "fetch"][0] or ""
    assert local(by_id[when]) == "intermediateCatchEvent" and by_id[when].find(f"{B}conditionalEventDefinition") is not None
    # Every step that nothing follows ends in the stage's end event.
    ends = {s for s, t in flows if local(by_id[t or ""]) == "endEvent"}
    assert ends == {"both", "cool_off", "until_date", "signal", "again", "holds"}


def test_every_element_has_di_from_the_canvas_positions():
    root = ET.fromstring(export_bpmn(awkward()))
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{DI}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{DI}BPMNEdge")}
    for el in root.iter():
        if el.tag.startswith(B) and local(el) in FLOW_NODES:
            assert el.get("id") in shapes, el.get("id")
        if el.tag == f"{B}sequenceFlow":
            assert el.get("id") in edges and len(edges[el.get("id")].findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2

    def bounds(element: str) -> tuple[float, ...]:
        b = shapes[element].find(f"{DC}Bounds")
        assert b is not None
        return tuple(float(b.get(k) or "nan") for k in ("x", "y", "width", "height"))

    assert bounds("intake") == (120, 40, 400, 360)
    assert bounds("check")[:2] == (140, 96)  # relative to its stage, as the canvas stores it
    assert bounds("start")[:2] == (0, 100)
    assert shapes["intake"].get("isExpanded") == "true"


def test_documents_without_positions_get_the_canvas_default_placement():
    root = ET.fromstring(export_bpmn(load("service_request")))
    xs = []
    for node in load("service_request")["nodes"]:
        if "stage" not in node:
            b = next(s for s in root.iter(f"{DI}BPMNShape") if s.get("bpmnElement") == node["id"]).find(f"{DC}Bounds")
            assert b is not None
            xs.append(float(b.get("x") or "nan"))
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # one column each, left to right


def test_not_a_document_is_a_clear_error():
    with pytest.raises(ExportError, match="JSON object"):
        export_bpmn([])  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="must be lists"):
        export_bpmn({"nodes": {}, "edges": []})


def test_ids_that_are_not_xml_names_or_collide_still_round_trip():
    document = {
        "key": "start",
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "start_di", "type": "end"},
            {"id": "diagram", "type": "end"},
            {"id": "plane", "type": "end"},
            {"id": "start", "type": "end"},
            {"id": "9 lives", "type": "end"},
            "not a node",
            {"type": "end"},
        ],
        "edges": [{"id": "start", "source": "start", "target": "9 lives"}, 7],
    }
    xml = export_bpmn(document)
    root = ET.fromstring(xml)
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    by_id = tags(root)
    assert [local(by_id[i]) for i in ("start", "start_di", "diagram", "plane")] == ["startEvent", "endEvent", "endEvent", "endEvent"]
    assert read_overture(root) == document


# --------------------------------------------------------------------------- read_overture refuses what is not ours


def edited(xml: bytes, old: str, new: str) -> ET.Element:
    text = xml.decode()
    assert old in text
    return ET.fromstring(text.replace(old, new, 1))


def test_read_overture_answers_none_for_a_file_another_tool_changed():
    xml = export_bpmn(load("contract_approval"))
    # A task added in a modeler carries no overture mark: the importer must map the BPMN instead.
    assert read_overture(edited(xml, '<bpmn:endEvent id="signed"', '<bpmn:task id="added" /><bpmn:endEvent id="signed"')) is None
    # A node removed.
    root = ET.fromstring(xml)
    process = root.find(f"{B}process")
    assert process is not None
    process.remove(next(el for el in process if el.get("id") == "signed"))
    assert read_overture(root) is None
    # Broken JSON, a repeated index, no document at all.
    assert read_overture(edited(xml, '{"id":"signed"', '{"id":"signed"]')) is None
    assert read_overture(edited(xml, 'index="1"', 'index="0"')) is None
    assert read_overture(ET.fromstring(xml.replace(b"overture:document>", b"overture:other>"))) is None
    plain = ET.fromstring(
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">'
        b'<bpmn:startEvent id="s" /></bpmn:process></bpmn:definitions>'
    )
    assert read_overture(plain) is None


def test_read_overture_ignores_annotations_and_lanes_added_later():
    xml = export_bpmn(load("project_milestones"))
    root = edited(
        xml,
        '<bpmn:startEvent id="start">',
        '<bpmn:textAnnotation id="note"><bpmn:text>hi</bpmn:text></bpmn:textAnnotation><bpmn:startEvent id="start">',
    )
    assert read_overture(root) == load("project_milestones")


# --------------------------------------------------------------------------- tools nobody here wrote


def test_spiffworkflow_parses_and_validates_against_the_bpmn_xsd(sample: tuple[dict[str, Any], bytes], tmp_path: Path):
    parser_module = pytest.importorskip(
        "SpiffWorkflow.bpmn.parser", reason="SpiffWorkflow is in the bench extra: pip install -c constraints.txt -e '.[dev,bench]'"
    )
    document, xml = sample
    path = tmp_path / "out.bpmn"
    path.write_bytes(xml)
    parser = parser_module.BpmnParser(validator=parser_module.BpmnValidator())
    parser.add_bpmn_file(str(path))  # raises ValidationException on anything the XSD refuses
    spec = parser.get_spec(document["key"])
    subprocesses = parser.get_subprocess_specs(document["key"])
    stages = {n["id"] for n in document["nodes"] if isinstance(n, dict) and n.get("type") == "stage"}
    assert set(subprocesses) == stages
    people = {n["label"] for n in document["nodes"] if isinstance(n, dict) and n.get("type") == "interactive" and n.get("stage") in stages}
    found = {t.bpmn_name for sub in subprocesses.values() for t in sub.task_specs.values() if type(t).__name__ == "UserTask"}
    assert found == people
    assert spec.name == document["key"]


def test_bpmn_moddle_reads_the_export_without_a_warning(sample: tuple[dict[str, Any], bytes], tmp_path: Path):
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.skip("needs node and bpmn-moddle (npm ci at the repository root)")
    _, xml = sample
    path = tmp_path / "out.bpmn"
    path.write_bytes(xml)
    out = subprocess.run([node, str(ROOT / "scripts" / "bpmn-validate.mjs"), str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    report = json.loads(out.stdout)
    assert report == {"root": "bpmn:Definitions", "warnings": [], "error": None}


def test_bpmn_moddle_script_reports_warnings(tmp_path: Path):
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.skip("needs node and bpmn-moddle (npm ci at the repository root)")
    path = tmp_path / "bad.bpmn"
    path.write_bytes(export_bpmn(load("service_request")).replace(b'targetRef="returns"', b'targetRef="nowhere"'))
    out = subprocess.run([node, str(ROOT / "scripts" / "bpmn-validate.mjs"), str(path)], capture_output=True, text=True, timeout=60)
    warnings = json.loads(out.stdout)["warnings"]
    assert any("nowhere" in w["message"] for w in warnings)


def test_overture_namespace_is_declared():
    assert f'xmlns:overture="{NS_OVERTURE}"'.encode() in export_bpmn(load("service_request"))


# --------------------------------------------------------------------------- through the importer


def test_import_bpmn_gives_back_every_export_exactly_with_a_complete_report(sample: tuple[dict[str, Any], bytes]):
    from runtime.bpmn import export_bpmn as exported_from_package
    from runtime.bpmn import import_bpmn

    document, xml = sample
    assert exported_from_package(document) == xml
    result = import_bpmn(xml)
    assert result.document == document
    root = ET.fromstring(xml)
    listed = [e.bpmn_id for e in result.report.mapped] + [e.bpmn_id for e in result.report.unmapped]
    expected = [el.get("id") for el in root.iter() if el.tag.startswith(B) and (local(el) in FLOW_NODES or local(el) == "sequenceFlow")]
    assert sorted(listed) == sorted(expected)


def test_a_file_changed_in_another_tool_goes_through_the_mapping_instead():
    from runtime.bpmn import import_bpmn

    xml = export_bpmn(load("contract_approval")).replace(
        b'<bpmn:endEvent id="signed"', b'<bpmn:task id="added" name="Added" /><bpmn:endEvent id="signed"', 1
    )
    result = import_bpmn(xml)
    assert result.document != load("contract_approval")
    assert "added" in [e.bpmn_id for e in result.report.mapped + result.report.unmapped]


# --------------------------------------------------------------------------- run in SpiffWorkflow


GENERATED = sorted((ROOT / "runtime" / "templates" / "scenarios").glob("*/generated/*.scenario.yaml"))


class _Run:
    """What a run knows, for SpiffWorkflow to evaluate Overture's CEL against (ARCHITECTURE §2's names)."""

    def __init__(self, document: dict[str, Any], start: dict[str, Any]) -> None:
        self.nodes = {n["id"]: n for n in document["nodes"]}
        record = start.get("record") or {}
        self.record: dict[str, Any] = {**record.get("fields", {}), "owner": record.get("owner")}
        self.inputs: dict[str, Any] = dict(start.get("inputs") or {})
        self.vars: dict[str, Any] = {v["name"]: v.get("default") for v in document.get("variables", [])}
        self.steps: dict[str, dict[str, Any]] = {
            n["id"]: {"status": "not_started", "outcome": None, "outputs": {}, "completed_by": None}
            for n in document["nodes"]
            if n["type"] in ("interactive", "background", "wait")
        }
        self.stages: dict[str, dict[str, Any]] = {
            n["id"]: {"status": "not_started", "visits": 0} for n in document["nodes"] if n["type"] == "stage"
        }
        self.stages_visited: list[str] = []
        self.people: list[str] = []

    def evaluate(self, source: str) -> Any:
        from runtime.expressions import compile_expression, make_scope

        scope = {"record": self.record, "inputs": self.inputs, "vars": self.vars, "steps": self.steps, "stages": self.stages, "run": {}}
        return compile_expression(source).evaluate(make_scope(scope))

    def completed(self, step: str, outcome: Any = None, outputs: dict[str, Any] | None = None) -> None:
        self.steps[step] = {"status": "completed", "outcome": outcome, "outputs": outputs or {}, "completed_by": None}
        node = self.nodes[step]
        if node["type"] == "background" and node["action"] == "record.update":
            self.record.update(self.evaluate(node["inputs"]["fields"]))
        for name, source in (node.get("set") or {}).items():
            self.vars[name] = self.evaluate(source)


def _spiff_engine(run: _Run) -> Any:
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # type: ignore[import-untyped, import-not-found, unused-ignore]

    class CelEngine(PythonScriptEngine):  # type: ignore[misc, unused-ignore]
        def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
            node = run.nodes.get(task.task_spec.bpmn_id)
            if node is not None and node["type"] == "wait":
                return "PT0S"  # a wait's timer: the scenario's clock moves on at once
            if task.task_spec.__class__.__name__ == "BoundaryEvent" or expression.startswith("P"):
                return expression  # a due date or escalation: ISO-8601, not CEL
            return run.evaluate(expression)

    return CelEngine()


@pytest.mark.parametrize("path", GENERATED, ids=[p.name.split(".")[0] for p in GENERATED])
def test_spiffworkflow_runs_each_generated_path_with_the_same_people_tasks(path: Path, tmp_path: Path):
    """The exported file, run by SpiffWorkflow, asks people for the same tasks in the same order as Overture."""
    pytest.importorskip("SpiffWorkflow", reason="SpiffWorkflow is in the bench extra: pip install -c constraints.txt -e '.[dev,bench]'")
    import yaml
    from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped, import-not-found, unused-ignore]

    scenario = yaml.safe_load(path.read_text())
    document = load(scenario["orchestration"])
    file = tmp_path / "out.bpmn"
    file.write_bytes(export_bpmn(document))
    parser = BpmnParser()
    parser.add_bpmn_file(str(file))
    steps = scenario["steps"]
    run = _Run(document, steps[0]["start"])
    workflow = BpmnWorkflow(
        parser.get_spec(document["key"]), parser.get_subprocess_specs(document["key"]), script_engine=_spiff_engine(run)
    )

    def done(task: Any) -> None:
        spec_id = task.task_spec.bpmn_id
        node = run.nodes.get(spec_id)
        if node is not None and node["type"] == "wait":
            run.completed(spec_id)
        if node is not None and node["type"] == "stage":
            run.stages[spec_id] = {"status": "completed", "visits": run.stages[spec_id]["visits"] + 1}
            run.stages_visited.append(spec_id)

    def settle() -> None:
        """Run what needs no person; a service task is an external job, done here as the worker would."""
        for _ in range(100):
            workflow.do_engine_steps(did_complete_task=done)
            workflow.refresh_timers()
            jobs = [t for t in workflow.get_tasks(state=TaskState.STARTED) if t.task_spec.__class__.__name__ == "ServiceTask"]
            if not jobs and not [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]:
                return
            for job in jobs:
                run.completed(job.task_spec.bpmn_id)
                job.complete()

    def ready_people() -> list[Any]:
        return [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]

    settle()
    expected_people = [s["complete"] for s in steps if "complete" in s]
    for step in steps[1:]:
        if "complete" in step:
            ready = [t for t in ready_people() if t.task_spec.bpmn_id == step["complete"]]
            assert len(ready) == 1, (
                f"{step['complete']} is not ready in SpiffWorkflow; ready: {[t.task_spec.bpmn_id for t in ready_people()]}"
            )
            node = run.nodes[step["complete"]]
            outcomes = node["form"]["outcomes"]
            run.completed(step["complete"], step.get("outcome", outcomes[0]["value"] if outcomes else None), step.get("values"))
            run.people.append(step["complete"])
            ready[0].run()
            settle()
        elif "expect" in step and "stage" in step["expect"]:
            waiting = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)}
            assert step["expect"]["stage"] in waiting
    final = steps[-1]["expect"]
    assert run.people == expected_people
    assert not ready_people()
    left = [
        (t.task_spec.bpmn_id, t.task_spec.__class__.__name__, TaskState.get_name(t.state))
        for t in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)
    ]
    assert workflow.is_completed() == (final["status"] == "completed"), left
    if "node" in final:
        ended = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.__class__.__name__ == "EndEvent"}
        assert final["node"] in ended
    if "stages_visited" in final:
        assert run.stages_visited == final["stages_visited"]
    for name, value in (final.get("record") or {}).items():
        assert run.record.get(name) == value, name
    for name, value in (final.get("vars") or {}).items():
        assert run.vars.get(name) == value, name


# --------------------------------------------------------------------------- edits made in a modeler


def shape_bounds(root: ET.Element, element: str) -> ET.Element:
    shape = next(s for s in root.iter(f"{DI}BPMNShape") if s.get("bpmnElement") == element)
    bounds = shape.find(f"{DC}Bounds")
    assert bounds is not None
    return bounds


def move(bounds: ET.Element, dx: float, dy: float) -> None:
    bounds.set("x", str(float(bounds.get("x") or 0) + dx))
    bounds.set("y", str(float(bounds.get("y") or 0) + dy))


def test_renames_and_moves_made_in_a_modeler_carry_over():
    document = load("contract_approval")
    root = ET.fromstring(export_bpmn(document))
    by_id = tags(root)
    by_id["legal_review"].set("name", "Review the terms")
    by_id["legal"].set("name", "Legal")
    # A stage dragged in bpmn.io moves with its steps; one step is then moved inside it.
    for element in ("finance", "finance_review", "finance_start", "finance_end", "finance_review_due"):
        move(shape_bounds(root, element), 100, 50)
    move(shape_bounds(root, "finance_review"), 0, 30)
    shape_bounds(root, "vp").set("width", "500")
    back = read_overture(root)
    assert back is not None
    nodes = {n["id"]: n for n in back["nodes"]}
    assert nodes["legal_review"]["label"] == "Review the terms" and nodes["legal"]["label"] == "Legal"
    before = shape_bounds(ET.fromstring(export_bpmn(document)), "finance")
    assert nodes["finance"]["ui"] == {"x": float(before.get("x") or 0) + 100, "y": 50}
    assert nodes["finance_review"]["ui"] == {"x": 20, "y": 56 + 30}  # relative to its stage, as the canvas keeps it
    assert nodes["vp"]["ui"]["width"] == 500
    untouched = {k: v for k, v in nodes.items() if k not in ("legal_review", "legal", "finance", "finance_review", "vp")}
    assert untouched == {n["id"]: n for n in document["nodes"] if n["id"] in untouched}
    assert back["edges"] == document["edges"]


def test_a_moved_wait_step_keeps_its_slot():
    document = load("project_milestones")
    root = ET.fromstring(export_bpmn(document))
    move(shape_bounds(root, "stabilise"), 40, 0)
    back = read_overture(root)
    assert back is not None
    stabilise = next(n for n in back["nodes"] if n["id"] == "stabilise")
    assert stabilise["ui"] == {"x": 60, "y": 56}  # its default slot, 40 to the right
    again = read_overture(ET.fromstring(export_bpmn(back)))
    assert again == back  # and the moved document round-trips exactly


def test_json_nested_too_deep_is_refused_not_a_crash():
    xml = export_bpmn(load("service_request")).replace(b'{"id":"start","type":"start"}', b"[" * 100_000 + b"]" * 100_000)
    assert read_overture(ET.fromstring(xml)) is None


def test_a_file_saved_again_by_bpmn_moddle_still_round_trips(sample: tuple[dict[str, Any], bytes], tmp_path: Path):
    """What bpmn.io's modeler writes back (moddle's toXML) still carries the whole document."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        pytest.skip("needs node and bpmn-moddle (npm ci at the repository root)")
    document, xml = sample
    (tmp_path / "out.bpmn").write_bytes(xml)
    script = str(ROOT / "scripts" / "bpmn-validate.mjs")
    out = subprocess.run(
        [node, script, str(tmp_path / "out.bpmn"), "--write", str(tmp_path / "saved.bpmn")], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr + out.stdout
    saved = (tmp_path / "saved.bpmn").read_bytes()
    assert saved != xml  # moddle writes it its own way (no CDATA, its own layout)
    assert read_overture(ET.fromstring(saved)) == document


# --------------------------------------------------------------------------- any text, any JSON

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(label=st.text(), description=st.text(), extra=_JSON, node_label=st.text(), edge_label=st.text())
def test_any_text_and_json_round_trips(label: str, description: str, extra: Any, node_label: str, edge_label: str):
    document = load("service_request")
    document.update(label=label, description=description, extra=extra)
    document["nodes"][1]["label"] = node_label
    document["nodes"][2]["anything"] = extra
    document["edges"][0]["label"] = edge_label
    xml = export_bpmn(document)
    assert read_overture(ET.fromstring(xml)) == document


FIXTURES = sorted((ROOT / "tests" / "runtime" / "bpmn").glob("*.bpmn"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_imported_foreign_files_export_and_come_back_identical(path: Path, tmp_path: Path):
    """A file from another tool, imported, then exported: the export is valid BPMN and loses nothing."""
    from runtime.bpmn import import_bpmn

    document = import_bpmn(path.read_bytes()).document
    xml = export_bpmn(document)
    again = import_bpmn(xml)
    assert again.document == document
    assert again.report.unmapped == []
    node = shutil.which("node")
    if node is not None and (ROOT / "node_modules" / "bpmn-moddle").is_dir():
        (tmp_path / "out.bpmn").write_bytes(xml)
        out = subprocess.run(
            [node, str(ROOT / "scripts" / "bpmn-validate.mjs"), str(tmp_path / "out.bpmn")], capture_output=True, text=True, timeout=60
        )
        assert json.loads(out.stdout)["warnings"] == []
    try:
        from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return
    (tmp_path / "spiff.bpmn").write_bytes(xml)
    BpmnParser(validator=BpmnValidator()).add_bpmn_file(str(tmp_path / "spiff.bpmn"))  # the BPMN 2.0 XSD


def test_a_half_made_document_exports_and_imports_back_without_a_crash():
    """Nodes without ids and a step without a stage (a draft being drawn) round-trip."""
    from runtime.bpmn import export_bpmn, import_bpmn

    document = {"key": "k", "nodes": [{"type": "interactive"}], "edges": []}
    assert import_bpmn(export_bpmn(document)).document == document
