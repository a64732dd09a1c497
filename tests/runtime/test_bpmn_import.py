"""BPMN import (issue 17): foreign files -> a document and a complete report; hostile files refused.

The fixtures in tests/runtime/bpmn/ are written in the styles of the tools people
export from: Camunda Modeler 7 (camunda: extensions, form fields, lanes, pools) and 8
(zeebe:, FEEL), Signavio (sid- ids, signavio: metadata, pools and message flows),
Bizagi (Id_ ids, bizagi: extensions, two pools, data objects, groups) and SpiffWorkflow
(Python conditions, no diagram). No published package we could find ships BPMN files
(SpiffWorkflow's wheel and sdist, bpmn-python, bpmn-dmn, bpmn-js, bpmnlint,
camunda-bpmn-moddle were looked at): see the report of the session that wrote this.
"""

from __future__ import annotations

import json
import re
import sys
import time
import types
import xml.etree.ElementTree as ET  # trusted fixtures only: the importer itself parses with defusedxml
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.bpmn import BpmnError, export_bpmn, import_bpmn
from runtime.bpmn.conditions import translate
from runtime.bpmn.importer import FLOW_NODES
from runtime.bpmn.xml import BPMN_NS, MAX_BYTES, parse
from runtime.document import check
from runtime.templates import TEMPLATES
from runtime.templates import load as load_template

FIXTURES = Path(__file__).parent / "bpmn"
FILES = sorted(FIXTURES.glob("*.bpmn"))


def load(name: str):
    return import_bpmn((FIXTURES / name).read_bytes())


def flow_ids(data: bytes) -> list[str]:
    """Every flow node and sequence flow of a file, read independently of the importer."""
    root = ET.fromstring(data)
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = el.tag.rsplit("}", 1)[-1]
        if (local in FLOW_NODES or local == "sequenceFlow") and el.get("id"):
            out.append(el.get("id"))
    return out


def node(document: dict, node_id: str) -> dict:
    found = [n for n in document["nodes"] if n["id"] == node_id]
    assert len(found) == 1, (node_id, [n["id"] for n in document["nodes"]])
    return found[0]


def mapped(result, bpmn_id: str):
    found = [e for e in result.report.mapped if e.bpmn_id == bpmn_id]
    assert len(found) == 1, (bpmn_id, [e.bpmn_id for e in result.report.unmapped if e.bpmn_id == bpmn_id])
    return found[0]


def unmapped(result, bpmn_id: str):
    found = [e for e in result.report.unmapped if e.bpmn_id == bpmn_id]
    assert len(found) == 1, (bpmn_id, [e.bpmn_id for e in result.report.mapped if e.bpmn_id == bpmn_id])
    return found[0]


# --------------------------------------------------------------------------- every file


def test_there_are_fixtures_of_every_style():
    assert {f.name for f in FILES} >= {
        "camunda_modeler.bpmn",
        "camunda8_zeebe.bpmn",
        "signavio_order.bpmn",
        "bizagi_claims.bpmn",
        "spiff_style_no_di.bpmn",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_flow_node_and_flow_is_reported_exactly_once(path: Path):
    data = path.read_bytes()
    result = import_bpmn(data)
    expected = flow_ids(data)
    assert expected, "a fixture without flow nodes proves nothing"
    counts = Counter(result.report.ids())
    for bpmn_id in expected:
        assert counts[bpmn_id] == 1, f"{bpmn_id} is reported {counts[bpmn_id]} times"
    # Nothing is reported twice, and every unmapped element says why.
    assert all(count == 1 for count in counts.values()), [i for i, c in counts.items() if c > 1]
    assert all(e.detail for e in result.report.unmapped)
    assert all(e.detail for e in result.report.mapped)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_document_is_json_the_builder_loads(path: Path):
    result = import_bpmn(path.read_bytes())
    document = json.loads(json.dumps(result.document))
    assert document["format"] == 1 and document["nodes"] and document["edges"]
    ids = [n["id"] for n in document["nodes"]] + [e["id"] for e in document["edges"]]
    assert len(ids) == len(set(ids)), "node and edge ids are unique"
    node_ids = {n["id"] for n in document["nodes"]}
    stages = {n["id"] for n in document["nodes"] if n["type"] == "stage"}
    for edge in document["edges"]:
        assert edge["source"] in node_ids and edge["target"] in node_ids, edge
    for n in document["nodes"]:
        if n["type"] in ("interactive", "background", "wait"):
            assert n["stage"] in stages, n
    # It may not validate (it is saved as a draft), but the checker reads it without failing,
    # and every id it made is an identifier.
    checked = check(document)
    assert not [i for i in checked.issues if "must be an identifier" in i.message or "lower-case identifier" in i.message]
    # Every mapped entry that names a node or edge names one that exists.
    for entry in result.report.mapped:
        assert entry.node is None or entry.node in ids, entry
    json.dumps(result.report.to_json())


# --------------------------------------------------------------------------- Camunda Modeler 7


def test_camunda_lanes_become_stages_and_user_tasks_interactive_steps():
    result = load("camunda_modeler.bpmn")
    doc = result.document
    assert doc["key"] == "invoice_approval" and doc["label"] == "Invoice approval"
    assert doc["description"] == "Invoices are checked, approved and paid."
    check_invoice = node(doc, mapped(result, "Task_Check").node)
    assert check_invoice["type"] == "interactive"
    assert check_invoice["assignee"] == {"type": "group", "value": "accounting"}
    assert check_invoice["form"]["fields"] == [
        {"name": "amount", "type": "integer", "label": "Amount", "required": True},
        {"name": "category", "type": "select", "label": "Category", "options": ["Travel", "Office"]},
        {"name": "urgent", "type": "boolean", "label": "Urgent"},
    ]
    # The service task is a background step in the same lane stage, its action left to configure.
    archive = node(doc, mapped(result, "Task_Prepare").node)
    assert archive["type"] == "background" and archive["action"] == ""
    assert archive["stage"] == check_invoice["stage"] == "accounting"
    assert archive["start"] == {"when": "after", "steps": ["check_invoice"]}
    assert "com.acme.ArchiveDelegate" in mapped(result, "Task_Prepare").detail
    # The approver lane's task is its own stage; its assignee is a JUEL expression -> CEL.
    approve = node(doc, mapped(result, "Task_Approve").node)
    assert approve["stage"] == "approver"
    assert approve["assignee"] == {"type": "expression", "value": "vars.approver"}
    # Pay invoice is in the accounting lane again, after the decision: a second stage.
    assert node(doc, mapped(result, "Task_Pay").node)["stage"] == "accounting_2"
    assert "lives outside the file" in mapped(result, "Task_Pay").detail
    assert any("by lane" in note for note in result.report.notes)


def test_camunda_boundary_timer_is_due_and_escalation():
    result = load("camunda_modeler.bpmn")
    approve = node(result.document, "approve_invoice")
    assert approve["due"] == "P3D"
    assert approve["escalation"]["action"] == "notify"  # non-interrupting
    assert mapped(result, "Timer_Reminder").node == "approve_invoice"
    assert mapped(result, "Flow_Remind").node == "approve_invoice"


def test_camunda_decision_conditions_to_cel_or_kept_and_reported():
    result = load("camunda_modeler.bpmn")
    decision = node(result.document, mapped(result, "Gateway_Approved").node)
    assert decision["type"] == "decision"
    conditions = {o["id"]: o["condition"] for o in decision["outcomes"]}
    assert conditions["yes"] == "vars.approved && vars.amount <= 10000"
    assert conditions["needs_fixing"] == '${execution.getVariable("fix") == true}'
    assert "kept as text" in mapped(result, "Gateway_Approved").detail
    edges = {(e["source"], e["target"], e.get("outcome")) for e in result.document["edges"]}
    # The default flow; the loop back to an earlier stage goes through the decision.
    assert ("approved", "rejected", "default") in edges
    assert ("approved", "accounting", "needs_fixing") in edges
    assert {v["name"]: v["type"] for v in result.document["variables"]} == {
        "approved": "boolean",
        "amount": "number",
        "approver": "string",
    }
    # The untranslated condition is what validation flags.
    messages = [i.message for i in check(result.document).issues if i.severity == "error"]
    assert any("syntax error" in m for m in messages)


def test_camunda_pools_message_flows_data_and_annotations_are_reported():
    result = load("camunda_modeler.bpmn")
    assert mapped(result, "Participant_Company").detail.startswith("the orchestration")
    assert "not imported" in unmapped(result, "Participant_Vendor").detail
    assert "message flow" in unmapped(result, "MessageFlow_1").detail
    for artifact in ("DataObjectReference_1", "DataObject_1", "TextAnnotation_1", "Association_1"):
        assert "not part of what runs" in unmapped(result, artifact).detail
    assert unmapped(result, "TextAnnotation_1").name == "Over 10k needs the CFO"


def test_positions_come_from_the_diagram():
    result = load("camunda_modeler.bpmn")
    doc = result.document

    # Tasks are 100 px wide in the file, step cards 280 on the canvas: x stretches by (280 + 24) / 100.
    def x(value: float) -> float:
        return float(round(value * 3.04))

    assert node(doc, "start")["ui"] == {"x": x(180), "y": 142.0}
    stage = node(doc, "accounting")
    # An inferred stage surrounds its steps; steps are placed relative to their stage.
    assert stage["ui"] == {"x": x(220), "y": 80.0, "width": x(540) - x(220), "height": 160.0}
    assert node(doc, "check_invoice")["ui"] == {"x": x(260) - x(220), "y": 40.0}
    assert node(doc, "archive_scan")["ui"] == {"x": x(400) - x(220), "y": 40.0}
    # The report says where each element was drawn, so unmapped ones can be pointed at.
    assert mapped(result, "Timer_Reminder").bounds == {"x": 572.0, "y": 382.0, "width": 36.0, "height": 36.0}
    assert mapped(result, "Flow_1").bounds == {"x": 216.0, "y": 160.0, "width": 44.0, "height": 0.0}
    assert unmapped(result, "TextAnnotation_1").bounds is None  # not drawn in this file
    assert result.report.to_json()["counts"] == {"mapped": len(result.report.mapped), "unmapped": len(result.report.unmapped)}


# --------------------------------------------------------------------------- Signavio


def test_signavio_parallel_gateways_make_parallel_steps_in_one_stage():
    result = load("signavio_order.bpmn")
    doc = result.document
    pack, label = node(doc, "pack_goods"), node(doc, "print_label")
    assert pack["stage"] == label["stage"] == "warehouse"
    assert "start" not in pack and "start" not in label  # both at stage start: parallel
    wait = node(doc, "courier_picked_up")
    assert wait["type"] == "wait"
    assert wait["event"] == {"name": "courier_pickup", "correlation": "true"}
    assert wait["start"] == {"when": "after", "steps": ["pack_goods", "print_label"]}
    assert mapped(result, "sid-and-split").node == "warehouse"
    assert mapped(result, "sid-and-join").node == "warehouse"
    # A condition in prose is kept as text and reported.
    decision = node(doc, "in_stock")
    assert decision["outcomes"][0]["condition"] == "in stock"
    assert "kept as text" in mapped(result, "sid-xor-stock").detail
    assert "messageEventDefinition is not kept" in mapped(result, "sid-start").detail
    assert "sid-group-1" in [e.bpmn_id for e in result.report.unmapped]


# --------------------------------------------------------------------------- Bizagi


def test_bizagi_sub_process_is_a_stage_with_its_fault_path():
    result = load("bizagi_claims.bpmn")
    doc = result.document
    stage = mapped(result, "Id_sp_assess").node
    assert node(doc, stage)["type"] == "stage"
    stretch = (280 + 24) / 90  # its tasks are 90 px wide, step cards 280
    assert node(doc, stage)["ui"] == {"x": round(340 * stretch), "y": 60.0, "width": round(420 * stretch), "height": 200.0}
    assert node(doc, "expert_opinion")["start"] == {"when": "after", "steps": ["review_documents"]}
    assert node(doc, "fraud_score")["start"] == {"when": "after", "steps": ["review_documents"]}
    assert node(doc, "fraud_score")["description"] == "BPMN scriptTask: a javascript script: score = 0.1"
    assert mapped(result, "Id_sp_start").node == stage and mapped(result, "Id_sp_end").node == stage
    assert mapped(result, "Id_sp_join").node == stage
    error_edges = [e for e in doc["edges"] if e.get("kind") == "error"]
    assert error_edges == [{"id": mapped(result, "Id_be_error").node, "source": stage, "target": "finance_2", "kind": "error"}]
    # The loop back for more documents: through the decision, past the merging gateway.
    assert {"source": "claim_covered", "target": stage, "outcome": "more_documents"}.items() <= next(
        e for e in doc["edges"] if e.get("outcome") == "more_documents"
    ).items()
    assert "merge" in unmapped(result, "Id_gw_merge").detail
    assert "boundary" in unmapped(result, "Id_be_msg").detail
    assert "boundary event that was not imported" in unmapped(result, "Id_sf_withdrawn").detail
    # The second pool's process is reported, element by element.
    for bpmn_id in ("Id_c_start", "Id_send_claim", "Id_c_end", "Id_c_sf1", "Id_c_sf2"):
        assert "second process" in unmapped(result, bpmn_id).detail
    assert "terminateEventDefinition" in mapped(result, "Id_end_declined").detail


# --------------------------------------------------------------------------- Camunda 8


def test_zeebe_assignment_forms_call_activities_and_timers():
    result = load("camunda8_zeebe.bpmn")
    doc = result.document
    laptop = node(doc, "order_laptop")
    assert laptop["assignee"] == {"type": "group", "value": "it"}
    assert "groups it, facilities" in mapped(result, "order_laptop").detail
    # An interrupting timer leading to another person's task: due + reassign to them.
    assert laptop["due"] == "P2D"
    assert laptop["escalation"] == {"after": "PT0S", "action": "reassign", "to": {"type": "user", "value": "it_lead"}}
    welcome = node(doc, "welcome")
    assert welcome["action"] == "orchestration.start"
    assert welcome["inputs"]["orchestration"] == "'welcome_week'"
    assert node(doc, "first_day")["timer"] == {"at": "timestamp('2027-01-04T09:00:00Z')"}
    assert node(doc, "cancelled")["event"]["name"] == "offer_withdrawn"
    assert node(doc, "create_account")["description"] == "BPMN serviceTask: zeebe:taskDefinition type=create-accounts"
    # Ids a person chose are kept; generated ones (Activity_0x1abc) give way to names.
    assert mapped(result, "prepare").node == "prepare" and node(doc, "prepare")["label"] == "Prepare first day"
    # The nested sub-process is flattened into the outer stage.
    assert node(doc, "request_badge")["stage"] == "prepare"
    assert "flattened" in mapped(result, "badge").detail
    # A choice between steps is reported with its conditions; so are what Overture has no place for.
    assert "remote = true" in unmapped(result, "remote").detail
    assert "boundary event" in unmapped(result, "prepare_timeout").detail
    assert "event-based gateway" in unmapped(result, "wait_first").detail
    assert "linkEventDefinition" in unmapped(result, "link_catch").detail
    # The error boundary on the sub-process is its stage's fault path, the fix loops back.
    assert {(e["source"], e["target"], e.get("kind")) for e in doc["edges"]} >= {
        ("prepare", "fix_the_setup_stage", "error"),
        ("fix_the_setup_stage", "prepare", None),
    }
    assert any("has one way out" in note for note in result.report.notes)


# --------------------------------------------------------------------------- SpiffWorkflow style


def test_spiff_chains_of_tasks_become_stages_without_a_diagram():
    result = load("spiff_style_no_di.bpmn")
    doc = result.document
    stages = [n for n in doc["nodes"] if n["type"] == "stage"]
    assert [s["id"] for s in stages] == ["collect_documents_stage", "approve_loan_stage"]
    assert [n["id"] for n in doc["nodes"] if n.get("stage") == "collect_documents_stage"] == [
        "collect_documents",
        "compute_score",
        "apply_lending_rules",
    ]
    assert all("ui" not in n for n in doc["nodes"])
    assert any("no diagram" in note for note in result.report.notes)
    assert any("chains of tasks" in note for note in result.report.notes)
    assert node(doc, "cooling_off_period")["timer"] == {"duration": "P14D"}
    assert node(doc, "contract_signed")["until"] == "vars.signed == true"
    decision = node(doc, "score_ok")
    assert [o["condition"] for o in decision["outcomes"]] == [
        "vars.score >= 50 && !vars.blacklisted",
        "len(documents) < 3",
        "vars.score < 50",
    ]
    detail = mapped(result, "Check").detail
    assert "inclusive gateway" in detail and "no default flow" in detail
    assert "nothing to wait for" in unmapped(result, "Milestone").detail
    assert mapped(result, "F11").node == mapped(result, "F12").node == "e_approve_loan_stage_end"


def test_a_clean_file_imports_to_a_document_that_validates():
    data = f"""<?xml version="1.0"?>
<definitions xmlns="{BPMN_NS}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d">
  <process id="Leave_Request" name="Leave request" isExecutable="true">
    <startEvent id="s"/>
    <userTask id="ask" name="Ask for leave" camunda:candidateGroups="staff">
      <extensionElements><camunda:formData>
        <camunda:formField id="days" label="Days" type="long"/>
      </camunda:formData></extensionElements>
    </userTask>
    <exclusiveGateway id="g" name="Long?" default="short"/>
    <userTask id="hr" name="HR approves" camunda:candidateGroups="hr"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="ask"/>
    <sequenceFlow id="f2" sourceRef="ask" targetRef="g"/>
    <sequenceFlow id="long" name="Long" sourceRef="g" targetRef="hr">
      <conditionExpression>${{days &gt; 10}}</conditionExpression></sequenceFlow>
    <sequenceFlow id="short" sourceRef="g" targetRef="e"/>
    <sequenceFlow id="f3" sourceRef="hr" targetRef="e"/>
  </process>
</definitions>""".encode()
    result = import_bpmn(data)
    checked = check(result.document)
    assert [i for i in checked.issues if i.severity == "error"] == []
    assert result.report.unmapped == []
    assert result.document["key"] == "leave_request"


# --------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("text", "language", "cel"),
    [
        ("${amount > 1000}", None, "vars.amount > 1000"),
        ("#{approved}", None, "vars.approved"),
        ('${!approved && kind eq "refund"}', None, "!vars.approved && vars.kind == 'refund'"),
        ("${a ge 1 or b lt 2}", None, "vars.a >= 1 || vars.b < 2"),
        ('= amount >= 50000 and status = "ok"', None, "vars.amount >= 50000 && vars.status == 'ok'"),
        ("not(rejected)", "https://www.omg.org/spec/DMN/20191111/FEEL/", "!(vars.rejected)"),
        ("score >= 50 and not blacklisted", "python", "vars.score >= 50 && !vars.blacklisted"),
        ("order.total <= 3", None, "vars.order.total <= 3"),
        ("(a > 1) or (b < 2)", None, "(vars.a > 1) || (vars.b < 2)"),
        ("x == None", "python", "vars.x == null"),
    ],
)
def test_simple_conditions_become_cel(text: str, language: str | None, cel: str):
    translation = translate(text, language)
    assert translation is not None and translation.cel == cel


@pytest.mark.parametrize(
    "text",
    [
        '${execution.getVariable("x")}',
        "len(items) > 2",
        "x[0] > 1",
        "in stock",
        "a >",
        "${a = 1}",
        "${amount > 1000",
        "",
        "count(items) > 2 and x",
    ],
)
def test_other_conditions_are_not_translated(text: str):
    assert translate(text) is None


# --------------------------------------------------------------------------- round trip


def test_an_overture_export_comes_back_through_read_overture(monkeypatch: pytest.MonkeyPatch):
    document = {"format": 1, "key": "k", "label": "K", "nodes": [{"id": "start", "type": "start"}], "edges": []}
    seen = []

    def read_overture(tree):
        seen.append(tree)
        return document

    module = types.ModuleType("runtime.bpmn.roundtrip")
    module.read_overture = read_overture  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runtime.bpmn.roundtrip", module)
    data = f'<definitions xmlns="{BPMN_NS}"><process id="p"><startEvent id="start"/><endEvent id="x"/></process></definitions>'.encode()
    result = import_bpmn(data)
    assert result.document is document
    assert seen[0].tag == f"{{{BPMN_NS}}}definitions"
    assert result.report.round_trip
    assert [(e.bpmn_id, e.node) for e in result.report.mapped] == [("start", "start"), ("x", None)]


def test_a_foreign_file_is_mapped_when_read_overture_says_none(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("runtime.bpmn.roundtrip")
    module.read_overture = lambda tree: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runtime.bpmn.roundtrip", module)
    result = load("spiff_style_no_di.bpmn")
    assert not result.report.round_trip and result.document["key"] == "process_loan"


# --------------------------------------------------------------------------- hostile files


def expect_refused(data: bytes, *words: str) -> str:
    with pytest.raises(BpmnError) as caught:
        import_bpmn(data)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


def test_billion_laughs_is_refused():
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    data = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]><definitions xmlns="{BPMN_NS}">&lol9;</definitions>'
    expect_refused(data.encode(), "DTD", "refused")


def test_an_external_entity_is_refused_and_nothing_is_read(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    for target in (f"file://{secret}", "file:///etc/passwd", "http://127.0.0.1:9/x"):
        data = (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "{target}">]>'
            f'<definitions xmlns="{BPMN_NS}"><process id="p" name="&xxe;"/></definitions>'
        )
        message = expect_refused(data.encode(), "refused")
        assert "TOP SECRET" not in message


def test_an_external_dtd_is_refused():
    data = f'<?xml version="1.0"?><!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/bpmn.dtd"><definitions xmlns="{BPMN_NS}"/>'
    expect_refused(data.encode(), "DTD")


def test_a_50_mb_file_is_refused_before_parsing():
    data = b'<definitions xmlns="' + BPMN_NS.encode() + b'">' + b" " * (50 * 1024 * 1024) + b"</definitions>"
    expect_refused(data, "50.0 MB", "at most 10.0 MB")
    assert MAX_BYTES == 10 * 1024 * 1024


def test_deep_nesting_is_refused():
    data = f'<definitions xmlns="{BPMN_NS}">'.encode() + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</definitions>"
    expect_refused(data, "nested more than 200 deep")


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04\x14\x00\x00\x00", b"just some text", b'{"nodes": []}', b"<definitions", b"\xff\xfe<\x00"],
)
def test_not_xml_is_refused(data: bytes):
    expect_refused(data, "not XML")


def test_empty_is_refused():
    expect_refused(b"  \n", "empty")


def test_xml_but_not_bpmn_is_refused():
    message = expect_refused(b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "not BPMN 2.0", "<svg>")
    assert "http://www.w3.org/2000/svg" in message
    expect_refused(b"<definitions/>", "without a namespace")


def test_bpmn_without_a_process_is_refused():
    expect_refused(f'<definitions xmlns="{BPMN_NS}"><collaboration id="c"/></definitions>'.encode(), "no <process>")


def test_parse_returns_the_definitions_element():
    root = parse(f'<definitions xmlns="{BPMN_NS}" id="d"/>'.encode())
    assert root.get("id") == "d"


# --------------------------------------------------------------------------- exports read by the mapping


@pytest.mark.parametrize("key", TEMPLATES)
def test_an_export_without_its_overture_extensions_maps_back_to_the_same_shape(key: str):
    """An Overture export opened and saved by a tool that drops foreign extensions goes through the mapping.

    Stages, steps, decisions and ends come back with their ids, types and stages, and the same
    edges (decision outcomes are named after the flows' labels); every flow node and flow is reported.
    """
    original = load_template(key)
    data = re.sub(r"<bpmn:extensionElements>.*?</bpmn:extensionElements>", "", export_bpmn(original).decode(), flags=re.S)
    assert "overture:" not in data.split("<bpmn:process", 1)[1].split("bpmndi:", 1)[0]
    result = import_bpmn(data.encode())
    assert not result.report.round_trip
    counts = Counter(result.report.ids())
    assert all(counts[i] == 1 for i in flow_ids(data.encode()))
    assert result.report.unmapped == []
    got = result.document

    def shape(doc: dict) -> set:
        return {(n["id"], n["type"], n.get("stage")) for n in doc["nodes"]}

    def edges(doc: dict) -> set:
        return {(e["id"], e["source"], e["target"], e.get("kind"), e.get("outcome") == "default") for e in doc["edges"]}

    assert shape(got) == shape(original)
    assert edges(got) == edges(original)
    # The conditions come back as the CEL they were (the export names CEL as their language).
    conditions = lambda doc: sorted(o["condition"] for n in doc["nodes"] if n["type"] == "decision" for o in n["outcomes"])  # noqa: E731
    assert conditions(got) == conditions(original)
    # Background steps run the action the external task's topic names; their inputs are to set.
    for n in original["nodes"]:
        if n["type"] == "background":
            assert node(got, n["id"])["action"] == n["action"]


# --------------------------------------------------------------------------- shapes that are costly to walk


def test_gateways_by_the_thousand_import_in_linear_time():
    """Diamonds in a row double the paths each time (2**1000 here); a chain of 2,000 gateways
    would overflow a recursive walk. Both import, every flow reported, in well under a second each."""
    parts = ['<startEvent id="s"/><userTask id="a" name="A"/><sequenceFlow id="f0" sourceRef="s" targetRef="a"/>']
    previous = "a"
    for i in range(1000):
        parts.append(
            f'<parallelGateway id="g{i}"/><parallelGateway id="j{i}"/>'
            f'<sequenceFlow id="p{i}" sourceRef="{previous}" targetRef="g{i}"/>'
            f'<sequenceFlow id="x{i}" sourceRef="g{i}" targetRef="j{i}"/><sequenceFlow id="y{i}" sourceRef="g{i}" targetRef="j{i}"/>'
        )
        previous = f"j{i}"
    parts.append(
        f'<userTask id="b" name="B"/><endEvent id="e"/><sequenceFlow id="fb" sourceRef="{previous}" targetRef="b"/>'
        '<sequenceFlow id="fe" sourceRef="b" targetRef="e"/>'
    )
    data = f'<definitions xmlns="{BPMN_NS}"><process id="p">{"".join(parts)}</process></definitions>'.encode()
    started = time.perf_counter()
    result = import_bpmn(data)
    assert time.perf_counter() - started < 5
    assert Counter(result.report.ids()) == Counter(flow_ids(data))
    assert node(result.document, "b")["start"] == {"when": "after", "steps": ["a"]}
    assert node(result.document, "a")["stage"] == node(result.document, "b")["stage"]


# --------------------------------------------------------------------------- any shape at all

_KINDS = [
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "subProcess",
]
_DEFINITIONS = [
    "",
    "timerEventDefinition",
    "messageEventDefinition",
    "errorEventDefinition",
    "signalEventDefinition",
    "linkEventDefinition",
]


@st.composite
def bpmn_files(draw: st.DrawFn) -> bytes:
    """A random process: any flow nodes, nested sub-processes, boundary events on anything,
    flows between any two ids of a container (loops, self-loops, flows to nowhere), lanes."""
    counter = iter(range(10_000))
    lanes: list[list[str]] = [[], []]

    def container(depth: int) -> str:
        ids: list[str] = []
        parts: list[str] = []
        for _ in range(draw(st.integers(0, 7))):
            kind = draw(st.sampled_from(_KINDS if depth < 2 else _KINDS[:-1]))
            nid = f"n{next(counter)}"
            ids.append(nid)
            lanes[draw(st.integers(0, 1))].append(nid)
            name = draw(st.sampled_from(["", ' name="Review"', ' name="Review"', ' name="  "', ' name="1 &amp; 2"']))
            definition = draw(st.sampled_from(_DEFINITIONS)) if "Event" in kind else ""
            inner = f"<{definition}/>" if definition else ""
            if kind == "subProcess":
                inner = container(depth + 1)
            parts.append(f'<{kind} id="{nid}"{name}>{inner}</{kind}>')
        for _ in range(draw(st.integers(0, 3))) if ids else ():
            bid = f"b{next(counter)}"
            definition = draw(st.sampled_from(_DEFINITIONS))
            cancel = draw(st.sampled_from(["", ' cancelActivity="false"']))
            parts.append(
                f'<boundaryEvent id="{bid}" attachedToRef="{draw(st.sampled_from(ids))}"{cancel}>'
                f"<{definition or 'timerEventDefinition'}/></boundaryEvent>"
            )
            ids.append(bid)
        targets = [*ids, "missing"]
        for _ in range(draw(st.integers(0, 12))) if ids else ():
            fid = f"f{next(counter)}"
            condition = draw(
                st.sampled_from(
                    ["", "<conditionExpression>${x &gt; 1}</conditionExpression>", "<conditionExpression>nonsense(</conditionExpression>"]
                )
            )
            source, target = draw(st.sampled_from(ids)), draw(st.sampled_from(targets))
            label = draw(st.sampled_from(["", ' name="yes"']))
            parts.append(f'<sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}"{label}>{condition}</sequenceFlow>')
        return "".join(parts)

    body = container(0)
    lane_xml = "".join(
        f'<lane id="lane{i}" name="Lane {i}">' + "".join(f"<flowNodeRef>{n}</flowNodeRef>" for n in members) + "</lane>"
        for i, members in enumerate(lanes)
    )
    lane_set = f'<laneSet id="ls">{lane_xml}</laneSet>' if draw(st.booleans()) else ""
    return f'<definitions xmlns="{BPMN_NS}"><process id="p">{lane_set}{body}</process></definitions>'.encode()


@settings(max_examples=300, deadline=None)
@given(bpmn_files())
def test_any_process_imports_with_a_complete_report(data: bytes):
    result = import_bpmn(data)
    counts = Counter(result.report.ids())
    for bpmn_id in flow_ids(data):
        assert counts[bpmn_id] == 1, bpmn_id
    document = json.loads(json.dumps(result.document))
    ids = [n["id"] for n in document["nodes"]] + [e["id"] for e in document["edges"]]
    assert len(ids) == len(set(ids))
    node_ids = {n["id"] for n in document["nodes"]}
    assert all(e["source"] in node_ids and e["target"] in node_ids for e in document["edges"])
    check(document)  # never raises


def test_what_is_not_taken_over_is_said():
    result = load("camunda7_details.bpmn")
    doc = result.document
    approve = mapped(result, "approve").detail
    assert "multi-instance" in approve and "approval policy" in approve
    assert "extension elements not read: camunda:inputOutput, camunda:taskListener" in approve
    assert node(doc, "approve")["description"] == "Each manager on the list approves."
    tally = mapped(result, "tally").detail
    assert "a loop marker" in tally
    assert node(doc, "tally")["description"] == "Counts the approvals.\n\nBPMN scriptTask: a groovy script: approved = votes.every { it }"
    assert node(doc, "every_hour")["timer"] == {"duration": "PT1H"}
    assert "R3/PT1H waits once" in mapped(result, "every_hour").detail
    assert node(doc, "goods")["event"] == {"name": "goods_received", "correlation": "true"}
    # Tool metadata (Signavio, Bizagi, the modeler's own) is not reported as unread.
    assert "not read" not in mapped(load("signavio_order.bpmn"), "sid-check-stock").detail


def test_a_conditional_flow_from_a_task_says_its_condition_is_not_kept():
    data = f"""<definitions xmlns="{BPMN_NS}"><process id="p">
      <startEvent id="s"/><userTask id="a" name="A"/><userTask id="b" name="B"/><endEvent id="e"/>
      <sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
      <sequenceFlow id="f2" sourceRef="a" targetRef="b"><conditionExpression>${{ok}}</conditionExpression></sequenceFlow>
      <sequenceFlow id="f3" sourceRef="b" targetRef="e"/>
    </process></definitions>""".encode()
    result = import_bpmn(data)
    assert "its condition '${ok}' is not kept" in mapped(result, "f2").detail


def test_what_another_tool_added_to_an_overture_export_is_reported_not_dropped():
    """The round trip rebuilds the document from its overture: extensions; a text annotation,
    a group or a lane drawn on the file afterwards has no place in it and says so."""
    from runtime.bpmn import export_bpmn, import_bpmn
    from runtime.templates import load

    xml = export_bpmn(load("contract_approval")).decode()
    prefix = "bpmn:" if "</bpmn:process>" in xml else ""
    cut = xml.index(f"</{prefix}process>")
    added = f'<{prefix}textAnnotation id="note1"><{prefix}text>ask legal first</{prefix}text></{prefix}textAnnotation>'
    result = import_bpmn((xml[:cut] + added + xml[cut:]).encode())
    assert result.document == load("contract_approval")
    (note,) = [e for e in result.report.unmapped if e.bpmn_id == "note1"]
    assert note.bpmn_type == "textAnnotation" and "not kept" in note.detail
