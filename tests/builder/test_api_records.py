"""Records and record types through the API, and the contract approval from start to end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime.templates import RECORD_TYPES
from tests.builder.api_support import error_code, my_items, setup_contracts

CONTRACT = {"title": "Acme MSA", "customer": "Acme", "amount": 20000, "status": "submitted"}


@pytest.fixture
def ada(login):
    ada = login("ada")
    setup_contracts(ada)
    return ada


def create(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/records/contract", json={"fields": {**CONTRACT, **fields}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def complete(client: Any, run_id: str, outcome: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    (item,) = my_items(client, run=run_id)
    response = client.post(f"/api/work-items/{item['id']}/complete", json={"outcome": outcome, "values": values or {}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_contract_approval_from_submission_to_signature(ada, login, clock):
    sam, alice, fiona, frank, erin, otto = (login(n) for n in ("sam", "alice", "fiona", "frank", "erin", "otto"))
    record = create(sam)
    assert record["owner"] == "sam" and record["fields"] == CONTRACT
    (run_id,) = record["started_runs"]
    # Named for people, so the page links the run by its orchestration's label.
    assert record["started"] == [{"id": run_id, "orchestration": "contract_approval", "label": "Contract approval"}]
    # sam owns the record, so he follows its run.
    run = sam.get(f"/api/runs/{run_id}").get_json()
    assert run["current_stage"] == "legal" and run["record"] == {"object": "contract", "id": record["id"]}
    assert [b["value"] for b in run["ball"]] == ["legal"]

    clock.advance("PT3H")
    complete(alice, run_id, "approve", {"notes": "standard terms"})
    clock.advance("PT5H")
    rejected = complete(fiona, run_id, "reject", {"reason": "discount too deep"})
    assert rejected["completed_by"] == "fiona"

    # Back to the sales rep: the contract is in revision and the work is sam's.
    assert sam.get(f"/api/records/contract/{record['id']}").get_json()["fields"]["status"] == "in_revision"
    (revise,) = my_items(sam)
    assert revise["step_id"] == "revise_contract" and revise["assignee"] == {"type": "user", "value": "sam"}
    detail = sam.get(f"/api/work-items/{revise['id']}").get_json()
    assert detail["record"]["amount"] == 20000
    finance_step = next(s for s in detail["context"]["steps"] if s["id"] == "finance_review")
    assert finance_step["outcome"] == "reject" and finance_step["outputs"]["reason"] == "discount too deep"
    complete(sam, run_id, "resubmit", {"amount": 18000, "changes": "smaller discount"})

    # Round two: legal, then frank (finance) approves; a small deal goes straight to signature.
    run = otto.get(f"/api/runs/{run_id}").get_json()
    assert run["current_stage"] == "legal" and run["vars"]["rounds"] == 1
    assert [h["stage"] for h in run["history"]] == ["legal", "finance", "revise", "legal"]
    complete(alice, run_id, "approve")
    complete(frank, run_id, "approve", {"margin": 31})
    assert my_items(fiona) == []
    complete(erin, run_id, "sign", {"signed_on": "2026-01-07"})

    run = sam.get(f"/api/runs/{run_id}").get_json()
    assert run["status"] == "completed" and run["current_node"] == "signed" and run["ball"] == []
    final = sam.get(f"/api/records/contract/{record['id']}").get_json()
    assert final["fields"]["status"] == "signed" and final["fields"]["amount"] == 18000
    assert final["fields"]["signed_on"] == "2026-01-07"
    assert [r["id"] for r in final["runs"]] == [run_id] and final["runs"][0]["status"] == "completed"
    events = otto.get(f"/api/runs/{run_id}/events?limit=200").get_json()["items"]
    completions = [(e["by"], e["data"]["outcome"]) for e in events if e["type"] == "work_item.completed"]
    assert completions == [
        ("alice", "approve"),
        ("fiona", "reject"),
        ("sam", "resubmit"),
        ("alice", "approve"),
        ("frank", "approve"),
        ("erin", "sign"),
    ]
    # Everyone who worked on it can look back at it; mallory cannot.
    for name in ("alice", "fiona", "erin"):
        assert login(name).get(f"/api/runs/{run_id}").status_code == 200
    assert login("mallory").get(f"/api/runs/{run_id}").status_code == 404
    assert login("mallory").get(f"/api/records/contract/{record['id']}").status_code == 404


def test_record_types(login):
    ada, sam = login("ada"), login("sam")
    created = ada.post("/api/record-types", json={"name": "contract", "label": "Contract", "fields": RECORD_TYPES["contract"]})
    assert created.status_code == 201
    assert created.get_json()["label"] == "Contract" and len(created.get_json()["fields"]) == 5
    changed = ada.post("/api/record-types", json={"name": "contract", "fields": [{"name": "title", "type": "string"}]})
    assert changed.status_code == 200 and changed.get_json()["fields"] == [{"name": "title", "type": "string", "required": False}]
    assert ada.post("/api/record-types", json={"name": "project", "fields": []}).status_code == 201
    listed = sam.get("/api/record-types").get_json()
    assert [t["name"] for t in listed["items"]] == ["contract", "project"]

    assert sam.post("/api/record-types", json={"name": "x", "fields": []}).status_code == 403
    twice = [{"name": "a", "type": "string"}, {"name": "a", "type": "number"}]
    duplicate = ada.post("/api/record-types", json={"name": "x", "fields": twice})
    assert duplicate.status_code == 422 and "fields" in duplicate.get_json()["error"]["details"]
    assert ada.post("/api/record-types", json={"name": "x", "fields": [{"name": "a", "type": "money"}]}).status_code == 422
    assert ada.post("/api/record-types", json={"name": "x y", "fields": []}).status_code == 422
    assert ada.post("/api/record-types", json={"name": "x", "fields": [{"name": "a", "type": "string", "unit": "m"}]}).status_code == 422
    assert ada.post("/api/record-types", json={"name": "x"}).status_code == 422
    assert [t["name"] for t in ada.get("/api/record-types").get_json()["items"]] == ["contract", "project"]


def test_a_field_with_options_takes_only_those(login):
    ada = login("ada")
    kind = {"name": "kind", "type": "string", "options": ["refund", "exchange"]}
    defined = ada.post("/api/record-types", json={"name": "service_request", "fields": [kind]})
    assert defined.status_code == 201 and defined.get_json()["fields"] == [{**kind, "required": False}]
    assert ada.post("/api/records/service_request", json={"fields": {"kind": "refund"}}).status_code == 201
    refused = ada.post("/api/records/service_request", json={"fields": {"kind": "Refund"}})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["fields"] == {"kind": "must be one of: refund, exchange"}

    for bad, message in [
        ({"name": "n", "type": "number", "options": ["1"]}, "only string fields have options"),
        ({"name": "k", "type": "string", "options": ["a", "a"]}, "options must be unique: a"),
        ({"name": "k", "type": "string", "options": []}, "must list 1 to 200 options"),
        ({"name": "k", "type": "string", "options": [""]}, "must be 1 to 200 characters"),
        ({"name": "k", "type": "string", "options": [1]}, "Not a valid string"),
    ]:
        answer = ada.post("/api/record-types", json={"name": "other", "fields": [bad]})
        assert answer.status_code == 422 and message in json.dumps(answer.get_json()["error"]["details"]), answer.get_json()
    assert [t["name"] for t in ada.get("/api/record-types").get_json()["items"]] == ["service_request"]


def test_bad_records_are_4xx_and_write_nothing(ada, login):
    sam = login("sam")
    unknown_type = sam.post("/api/records/invoice", json={"fields": {"a": 1}})
    assert unknown_type.status_code == 404 and error_code(unknown_type) == "not_found"
    wrong = sam.post("/api/records/contract", json={"fields": {**CONTRACT, "amount": "a lot", "colour": "red"}})
    assert wrong.status_code == 422 and set(wrong.get_json()["error"]["details"]["fields"]) == {"amount", "colour"}
    missing = sam.post("/api/records/contract", json={"fields": {"title": "x"}})
    assert missing.status_code == 422 and "customer" in missing.get_json()["error"]["details"]["fields"]
    assert sam.post("/api/records/contract", json={"fields": [1]}).status_code == 422
    assert sam.post("/api/records/contract", json={"values": CONTRACT}).status_code == 422
    assert sam.post("/api/records/contract", data="{", content_type="application/json").status_code == 400
    # Members create records they own.
    assert sam.post("/api/records/contract", json={"fields": CONTRACT, "owner": "alice"}).status_code == 403
    assert ada.post("/api/records/contract", json={"fields": CONTRACT, "owner": "nobody"}).status_code == 422
    assert ada.get("/api/records/contract").get_json()["items"] == []
    assert login("otto").get("/api/runs").get_json()["items"] == []
    assert ada.get("/api/records/invoice").status_code == 404
    assert ada.get("/api/records/contract/nothing").status_code == 404
    assert ada.patch("/api/records/contract/nothing", json={"fields": {"status": "x"}}).status_code == 404


def test_saving_a_record_starts_runs_when_the_trigger_holds(ada, login):
    sam = login("sam")
    draft = create(sam, status="draft")
    assert draft["started_runs"] == [] and draft["revision"] == 0
    url = f"/api/records/contract/{draft['id']}"
    assert sam.patch(url, json={"fields": {"amount": "x"}}).status_code == 422
    assert sam.patch(url, json={"fields": {"amount": 1}, "owner": "alice"}).status_code == 422
    submitted = sam.patch(url, json={"fields": {"status": "submitted"}})
    assert submitted.status_code == 200
    body = submitted.get_json()
    assert len(body["started_runs"]) == 1 and body["fields"]["status"] == "submitted" and body["revision"] == 1
    assert [(r["id"], r["label"]) for r in body["started"]] == [(body["started_runs"][0], "Contract approval")]
    assert body["fields"]["title"] == "Acme MSA"
    # The run in progress is not started twice.
    again = sam.patch(url, json={"fields": {"amount": 25000}}).get_json()
    assert again["started_runs"] == [] and again["started"] == [] and again["fields"]["amount"] == 25000


def test_who_sees_and_changes_which_records(ada, login):
    sam, alice, mallory, otto = login("sam"), login("alice"), login("mallory"), login("otto")
    submitted = create(sam)
    quiet = create(sam, status="draft", title="Quiet")
    mine = create(mallory, status="draft", title="Mallory's")

    def listed(client: Any, query: str = "") -> set[str]:
        response = client.get(f"/api/records/contract{query}")
        assert response.status_code == 200
        return {r["id"] for r in response.get_json()["items"]}

    assert listed(sam) == {submitted["id"], quiet["id"]}
    assert listed(mallory) == {mine["id"]}
    # alice has legal's work item on the submitted contract's run, so she sees that contract.
    assert listed(alice) == {submitted["id"]}
    assert alice.get(f"/api/records/contract/{submitted['id']}").status_code == 200
    assert alice.get(f"/api/records/contract/{quiet['id']}").status_code == 404
    assert listed(otto) == {submitted["id"], quiet["id"], mine["id"]}
    assert listed(otto, "?owner=mallory") == {mine["id"]}
    assert listed(otto, "?owner=nobody") == set()
    assert otto.get("/api/records/contract?colour=red").status_code == 400

    for url in (f"/api/records/contract/{quiet['id']}", f"/api/records/contract/{submitted['id']}"):
        assert mallory.get(url).status_code == 404
        assert mallory.patch(url, json={"fields": {"title": "mine now"}}).status_code == 404
    assert otto.get(f"/api/records/contract/{quiet['id']}").get_json()["fields"]["title"] == "Quiet"
    # A member may not bind someone else's record to a run of their own.
    hijack = mallory.post("/api/runs", json={"orchestration": "contract_approval", "record": {"object": "contract", "id": quiet["id"]}})
    assert hijack.status_code == 404
    # Ops watch records; the owner, admins and the people with an open step on them change them.
    refused = otto.patch(f"/api/records/contract/{quiet['id']}", json={"fields": {"title": "Ops edit"}})
    assert refused.status_code == 403 and refused.get_json()["error"]["details"] == {"fields": {"title": ["you may not change this field"]}}
    assert ada.patch(f"/api/records/contract/{quiet['id']}", json={"fields": {"title": "Admin edit"}}).status_code == 200
    assert otto.get(f"/api/records/contract/{quiet['id']}").get_json()["editable_fields"] == []


def test_a_past_step_gives_no_right_to_change_the_record(ada, login):
    """alice reviewed sam's contract for legal; while it sits in finance review she may
    read it but neither set its amount to 1 nor flip its status to restart approval."""
    sam, alice, fiona = login("sam"), login("alice"), login("fiona")
    contract = create(sam)
    (run_id,) = contract["started_runs"]
    url = f"/api/records/contract/{contract['id']}"
    # While legal's step is open, alice may change what her step's form names (no record field).
    assert alice.get(url).get_json()["editable_fields"] == []
    complete(alice, run_id, "approve", {"notes": "standard terms"})
    assert login("otto").get(f"/api/runs/{run_id}").get_json()["current_stage"] == "finance"

    seen = alice.get(url)
    assert seen.status_code == 200 and seen.get_json()["editable_fields"] == []
    for change in ({"amount": 1}, {"status": "submitted"}, {"amount": 1, "status": "draft"}):
        refused = alice.patch(url, json={"fields": change})
        assert refused.status_code == 403, refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "forbidden" and set(error["details"]["fields"]) == set(change)
        assert all(name in error["message"] for name in change)
    # finance's open step asks for a margin and a reason, no field of the record: read only too.
    assert fiona.get(url).get_json()["editable_fields"] == []
    assert fiona.patch(url, json={"fields": {"amount": 1}}).status_code == 403
    after = sam.get(url).get_json()
    assert after["fields"] == CONTRACT and after["revision"] == contract["revision"]
    assert after["editable_fields"] == ["title", "customer", "amount", "status", "signed_on"]
    assert sam.patch(url, json={"fields": {"title": "Acme MSA v2"}}).status_code == 200


def test_an_open_step_changes_the_record_fields_its_form_names(ada, login):
    """The revise step's form asks for the amount: whoever has that step open may change
    the amount on the record, and nothing else."""
    sam, alice, fiona = login("sam"), login("alice"), login("fiona")
    contract = create(sam)
    (run_id,) = contract["started_runs"]
    url = f"/api/records/contract/{contract['id']}"
    complete(alice, run_id, "approve")
    complete(fiona, run_id, "reject", {"reason": "too deep"})
    (revise,) = my_items(sam)
    # sam owns the record anyway; hand his revise step to alice to see the step's own right.
    assert ada.post(f"/api/work-items/{revise['id']}/reassign", json={"to": {"type": "user", "value": "alice"}}).status_code == 200
    assert alice.get(url).get_json()["editable_fields"] == ["amount"]
    assert alice.patch(url, json={"fields": {"amount": 19000}}).status_code == 200
    refused = alice.patch(url, json={"fields": {"amount": 18000, "status": "signed"}})
    assert refused.status_code == 403 and set(refused.get_json()["error"]["details"]["fields"]) == {"status"}
    assert "you may change only amount" in refused.get_json()["error"]["message"]
    complete(alice, run_id, "resubmit", {"amount": 19000})
    assert alice.get(url).get_json()["editable_fields"] == []


def test_systems_create_and_update_records_with_a_token(ada, login):
    secret = ada.post("/api/tokens", json={"name": "crm"}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {secret}"}
    system = login(None)
    created = system.post("/api/records/contract", json={"fields": CONTRACT, "owner": "sam"}, headers=bearer)
    assert created.status_code == 201 and created.get_json()["owner"] == "sam" and len(created.get_json()["started_runs"]) == 1
    url = f"/api/records/contract/{created.get_json()['id']}"
    assert system.patch(url, json={"fields": {"amount": 21000}}, headers=bearer).get_json()["fields"]["amount"] == 21000
    assert system.get(url, headers=bearer).status_code == 403
    assert login("sam").get(url).get_json()["fields"]["amount"] == 21000
    assert system.post("/api/record-types", json={"name": "x", "fields": []}, headers=bearer).status_code == 403


def test_records_are_paginated_newest_first(ada, login, clock):
    sam = login("sam")
    ids = []
    for n in range(3):
        ids.append(create(sam, status="draft", title=f"C{n}")["id"])
        clock.advance("PT1M")
    first = sam.get("/api/records/contract?limit=2").get_json()
    second = sam.get(f"/api/records/contract?limit=2&cursor={first['next_cursor']}").get_json()
    assert [r["id"] for r in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_a_notification_names_the_record_its_run_concerns(ada, login):
    record = create(login("sam"))
    (run_id,) = record["started_runs"]
    notes = [n for n in login("alice").get("/api/notifications").get_json()["items"] if n["run_id"] == run_id]
    assert [(n["kind"], n["record"]) for n in notes] == [("assignment", {"object": "contract", "id": record["id"]})]


def test_an_admin_changes_a_record_types_fields_and_options(login):
    ada = login("ada")
    kind = {"name": "kind", "type": "string", "options": ["refund", "exchange"]}
    assert ada.post("/api/record-types", json={"name": "service_request", "label": "Service request", "fields": [kind]}).status_code == 201
    more = {**kind, "options": ["refund", "exchange", "repair"]}
    changed = ada.put("/api/record-types/service_request", json={"fields": [more, {"name": "urgent", "type": "boolean"}]})
    assert changed.status_code == 200, changed.get_json()
    view = changed.get_json()
    assert view["name"] == "service_request" and view["label"] == "Service request"
    assert view["fields"] == [{**more, "required": False}, {"name": "urgent", "type": "boolean", "required": False}]
    assert ada.post("/api/records/service_request", json={"fields": {"kind": "repair"}}).status_code == 201
    # Options removed: a field without them takes any text.
    plain = ada.put("/api/record-types/service_request", json={"label": "Request", "fields": [{"name": "kind", "type": "string"}]})
    assert plain.status_code == 200 and plain.get_json()["label"] == "Request"
    assert ada.post("/api/records/service_request", json={"fields": {"kind": "anything"}}).status_code == 201


def test_changing_a_record_type_badly_is_a_4xx_naming_the_field_and_writes_nothing(login):
    ada = login("ada")
    kind = {"name": "kind", "type": "string", "options": ["refund"]}
    assert ada.post("/api/record-types", json={"name": "service_request", "fields": [kind]}).status_code == 201
    for bad, message in [
        ([{"name": "kind", "type": "string", "options": ["a", "a"]}], "field kind: options: options must be unique: a"),
        ([kind, {"name": "n", "type": "number", "options": ["1"]}], "field n: options: only string fields have options"),
        ([{"name": "kind", "type": "string", "options": []}], "field kind: options: must list 1 to 200 options"),
        ([{"name": "bad name", "type": "string"}], "field bad name: name: must be an identifier"),
        ([{"type": "string"}], "field #1: name: Missing data"),
        ([kind, kind], "fields: field names must be unique: kind"),
    ]:
        answer = ada.put("/api/record-types/service_request", json={"fields": bad})
        assert answer.status_code == 422, answer.get_json()
        assert message in answer.get_json()["error"]["message"], answer.get_json()
    assert ada.put("/api/record-types/service_request", json={"fields": [kind], "name": "x"}).status_code == 422
    assert ada.put("/api/record-types/nope", json={"fields": [kind]}).status_code == 404
    assert ada.get("/api/record-types").get_json()["items"][0]["fields"] == [{**kind, "required": False}]


def test_only_an_admin_changes_a_record_type(login):
    ada = login("ada")
    assert ada.post("/api/record-types", json={"name": "service_request", "fields": []}).status_code == 201
    for who in ("sam", "otto"):
        answer = login(who).put("/api/record-types/service_request", json={"fields": [{"name": "kind", "type": "string"}]})
        assert answer.status_code == 403, (who, answer.get_json())
    assert ada.get("/api/record-types").get_json()["items"][0]["fields"] == []
