"""Orchestrations through the API: drafts, validation, activation, versions, templates."""

from __future__ import annotations

import json
from typing import Any

from builder.extensions import engine
from runtime.templates import TEMPLATES, load
from tests.builder.api_support import EXPENSE, deploy, document, error_code

INCOMPLETE = {"format": 1, "key": "expense", "label": "Expense approval", "nodes": [{"id": "start", "type": "start"}]}


def test_create_gives_a_draft_with_its_issues(login):
    ada = login("ada")
    created = ada.post("/api/orchestrations", json=EXPENSE)
    assert created.status_code == 201
    body = created.get_json()
    assert body["key"] == "expense" and body["revision"] == 1 and body["updated_by"] == "ada"
    assert body["issues"] == [] and body["valid"] is True
    assert body["document"] == EXPENSE
    assert created.headers["ETag"] == '"1"'

    listed = ada.get("/api/orchestrations").get_json()["items"]
    assert listed == [
        {
            "key": "expense",
            "label": "Expense approval",
            "active_version": None,
            "has_draft": True,
            "trigger": None,
            "updated_at": body["updated_at"],
        }
    ]
    detail = ada.get("/api/orchestrations/expense").get_json()
    assert detail["active_version"] is None and detail["versions"] == []
    assert detail["draft"]["document"] == EXPENSE


def test_create_refuses_duplicates_bad_keys_and_non_admins(login):
    ada = login("ada")
    assert ada.post("/api/orchestrations", json=EXPENSE).status_code == 201
    duplicate = ada.post("/api/orchestrations", json=document(EXPENSE, label="Other"))
    assert duplicate.status_code == 409 and error_code(duplicate) == "conflict"
    assert ada.get("/api/orchestrations/expense").get_json()["label"] == "Expense approval"

    bad_key = ada.post("/api/orchestrations", json=document(EXPENSE, key="Bad Key"))
    assert bad_key.status_code == 422 and bad_key.get_json()["error"]["details"][0]["field"] == "key"
    assert ada.post("/api/orchestrations", json=[EXPENSE]).status_code == 422
    assert ada.post("/api/orchestrations", data="{nope", content_type="application/json").status_code == 400
    assert ada.post("/api/orchestrations", data="x", content_type="text/plain").status_code == 415

    assert login("otto").post("/api/orchestrations", json=document(EXPENSE, key="other")).status_code == 403
    assert login("sam").post("/api/orchestrations", json=document(EXPENSE, key="other")).status_code == 403
    assert login(None).post("/api/orchestrations", json=document(EXPENSE, key="other")).status_code == 401
    assert [o["key"] for o in ada.get("/api/orchestrations").get_json()["items"]] == ["expense"]


def test_an_invalid_draft_is_saved_with_its_issues_but_never_activated(login, app):
    ada = login("ada")
    assert ada.post("/api/orchestrations", json=EXPENSE).status_code == 201
    saved = ada.put("/api/orchestrations/expense/draft", json=INCOMPLETE)
    assert saved.status_code == 200
    body = saved.get_json()
    assert body["revision"] == 2 and body["valid"] is False
    assert any(i["field"] == "edges" for i in body["issues"])
    assert all({"node", "field", "message", "severity"} <= set(i) for i in body["issues"])
    assert ada.get("/api/orchestrations/expense").get_json()["draft"]["document"] == INCOMPLETE

    refused = ada.post("/api/orchestrations/expense/activate")
    assert refused.status_code == 422 and error_code(refused) == "invalid_document"
    assert refused.get_json()["error"]["details"] == body["issues"]
    detail = ada.get("/api/orchestrations/expense").get_json()
    assert detail["active_version"] is None and detail["versions"] == []
    with app.app_context():
        assert engine().orchestrations() == []


def test_draft_key_must_match_and_the_orchestration_must_exist(login):
    ada = login("ada")
    assert ada.post("/api/orchestrations", json=EXPENSE).status_code == 201
    mismatch = ada.put("/api/orchestrations/expense/draft", json=document(EXPENSE, key="other"))
    assert mismatch.status_code == 422 and mismatch.get_json()["error"]["details"][0]["field"] == "key"
    assert ada.put("/api/orchestrations/nothing/draft", json=document(EXPENSE, key="nothing")).status_code == 404
    assert ada.put("/api/orchestrations/expense/draft", json="a string").status_code == 422
    assert login("otto").put("/api/orchestrations/expense/draft", json=EXPENSE).status_code == 403
    assert ada.get("/api/orchestrations/expense").get_json()["draft"]["revision"] == 1


def test_two_admins_saving_one_draft_the_second_gets_409(login):
    first, second = login("ada"), login("ada")
    assert first.post("/api/orchestrations", json=EXPENSE).status_code == 201
    seen = second.get("/api/orchestrations/expense")
    assert seen.headers["ETag"] == '"1"'

    ok = first.put("/api/orchestrations/expense/draft", json=document(EXPENSE, label="First"), headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.get_json()["revision"] == 2
    stale = second.put("/api/orchestrations/expense/draft", json=document(EXPENSE, label="Second"), headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert "reload" in stale.get_json()["error"]["message"]
    assert stale.get_json()["error"]["details"] == {"revision": 2}
    assert first.get("/api/orchestrations/expense").get_json()["label"] == "First"

    assert second.put("/api/orchestrations/expense/draft", json=EXPENSE, headers={"If-Match": "two"}).status_code == 400
    # Without If-Match the last save wins.
    assert second.put("/api/orchestrations/expense/draft", json=document(EXPENSE, label="Second")).status_code == 200
    assert first.get("/api/orchestrations/expense").get_json()["label"] == "Second"
    assert first.post("/api/orchestrations/expense/activate", headers={"If-Match": "2"}).status_code == 409


def test_validate_the_draft_or_a_given_document(login):
    ada = login("ada")
    assert ada.post("/api/orchestrations", json=EXPENSE).status_code == 201
    draft = ada.post("/api/orchestrations/expense/validate")
    assert draft.status_code == 200 and draft.get_json() == {"key": "expense", "valid": True, "issues": []}

    broken = document(EXPENSE)
    broken["nodes"][2]["assignee"] = {"type": "expression", "value": "record.owner +"}
    given = ada.post("/api/orchestrations/expense/validate", json=broken).get_json()
    assert given["valid"] is False
    (issue,) = given["issues"]
    assert issue["node"] == "approve" and issue["field"] == "assignee.value" and "column" in issue
    # Validating a document does not save it.
    assert ada.get("/api/orchestrations/expense").get_json()["draft"]["document"] == EXPENSE

    other_key = ada.post("/api/orchestrations/expense/validate", json=document(EXPENSE, key="other")).get_json()
    assert other_key["valid"] is False and other_key["issues"][0]["field"] == "key"
    assert ada.post("/api/orchestrations/expense/validate", json=[EXPENSE]).status_code == 422
    assert ada.post("/api/orchestrations/expense/validate", data="{", content_type="application/json").status_code == 400
    assert ada.post("/api/orchestrations/nothing/validate").status_code == 404
    assert login("sam").post("/api/orchestrations/expense/validate").status_code == 403


def test_a_record_trigger_is_checked_against_the_record_types_defined(login):
    ada = login("ada")
    kind: dict[str, Any] = {"name": "kind", "type": "string", "required": True, "options": ["refund", "exchange"]}
    assert ada.post("/api/record-types", json={"name": "service_request", "fields": [kind]}).status_code == 201
    refunds = load("service_request")
    refunds["trigger"]["condition"] = "record.kind == 'Refund'"
    created = ada.post("/api/orchestrations", json=refunds).get_json()
    (issue,) = created["issues"]
    assert (issue["node"], issue["field"], issue["column"], issue["severity"]) == (None, "trigger.condition", 16, "warning")
    assert "record.kind is never 'Refund'" in issue["message"] and "write 'refund'" in issue["message"]

    # A new option is seen at once: the remembered issues depend on the record types.
    kind["options"].append("Refund")
    assert ada.post("/api/record-types", json={"name": "service_request", "fields": [kind]}).status_code == 200
    assert ada.post("/api/orchestrations/service_request/validate").get_json()["issues"] == []

    on_nothing = document(refunds, trigger={"type": "record", "object": "invoice", "on": ["create"]})
    (issue,) = ada.post("/api/orchestrations/service_request/validate", json=on_nothing).get_json()["issues"]
    assert issue["field"] == "trigger.object" and "there is no record type 'invoice'" in issue["message"]


def test_an_outcome_nothing_reads_is_a_warning_in_the_draft(login):
    ada = login("ada")
    refunds = load("service_request")
    decision = next(n for n in refunds["nodes"] if n["id"] == "claim_valid")
    decision["outcomes"][0]["condition"] = "record.amount > 1000"
    issues = [i for i in ada.post("/api/orchestrations", json=refunds).get_json()["issues"] if i["node"] is not None]
    assert [(i["node"], i["field"], i["severity"]) for i in issues] == [("verify_claim", "form.outcomes[1].value", "warning")]
    assert "outcome 'invalid' (Reject claim) is never read" in issues[0]["message"]
    assert ada.post("/api/orchestrations/service_request/activate").status_code == 200  # a warning does not block


def test_activate_versions_and_has_draft(login):
    ada = login("ada")
    assert ada.post("/api/orchestrations", json=EXPENSE).status_code == 201
    first = ada.post("/api/orchestrations/expense/activate")
    assert first.status_code == 200 and first.get_json() == {"key": "expense", "version": 1, "active_version": 1}
    (listed,) = ada.get("/api/orchestrations").get_json()["items"]
    assert listed["has_draft"] is False and listed["trigger"] == {"type": "manual"}  # the active version's, by default
    # Activating the same document again is the same version.
    assert ada.post("/api/orchestrations/expense/activate").get_json()["version"] == 1

    assert ada.put("/api/orchestrations/expense/draft", json=document(EXPENSE, label="Expense approval v2")).status_code == 200
    (listed,) = ada.get("/api/orchestrations").get_json()["items"]
    assert listed["has_draft"] is True and listed["active_version"] == 1 and listed["label"] == "Expense approval v2"
    assert ada.post("/api/orchestrations/expense/activate").get_json()["version"] == 2

    detail = ada.get("/api/orchestrations/expense").get_json()
    assert detail["active_version"] == 2
    assert [(v["number"], v["created_by"]) for v in detail["versions"]] == [(1, "ada"), (2, "ada")]
    old = login("otto").get("/api/orchestrations/expense/versions/1")
    assert old.status_code == 200
    assert old.get_json()["document"]["label"] == "Expense approval" and old.get_json()["active"] is False
    # A member reads the active version (to start a run), not an old one no run of theirs follows.
    assert login("sam").get("/api/orchestrations/expense/versions/2").status_code == 200
    assert login("sam").get("/api/orchestrations/expense/versions/1").status_code == 404
    assert ada.get("/api/orchestrations/expense/versions/2").get_json()["active"] is True
    assert ada.get("/api/orchestrations/expense/versions/9").status_code == 404
    assert ada.get("/api/orchestrations/expense/versions/x").status_code == 404
    assert ada.get("/api/orchestrations/nothing").status_code == 404
    assert login("sam").get("/api/orchestrations/expense").status_code == 403
    assert login("otto").get("/api/orchestrations/expense").status_code == 200


def test_an_orchestration_deployed_without_the_api_opens_as_its_active_version(login, app):
    with app.app_context():
        engine().deploy(EXPENSE, by="cli")
    ada = login("ada")
    detail = ada.get("/api/orchestrations/expense")
    assert detail.headers["ETag"] == '"0"'
    draft = detail.get_json()["draft"]
    assert draft["document"] == EXPENSE and draft["revision"] == 0 and draft["updated_by"] == "cli"
    assert ada.get("/api/orchestrations").get_json()["items"][0]["has_draft"] is False
    saved = ada.put("/api/orchestrations/expense/draft", json=document(EXPENSE, label="Edited"), headers={"If-Match": "0"})
    assert saved.status_code == 200 and saved.get_json()["revision"] == 1
    assert ada.post("/api/orchestrations", json=EXPENSE).status_code == 409


def test_actions_and_templates_for_the_canvas(login):
    ada = login("ada")
    actions = ada.get("/api/actions")
    assert actions.status_code == 200
    names = [a["name"] for a in actions.get_json()["items"]]
    assert {"record.update", "notify", "http.request"} <= set(names) and names == sorted(names)
    assert login("sam").get("/api/actions").status_code == 403

    listed = ada.get("/api/templates").get_json()["items"]
    assert sorted(t["name"] for t in listed) == sorted(TEMPLATES)
    contract = next(t for t in listed if t["name"] == "contract_approval")
    assert contract["trigger"]["object"] == "contract" and "amount" in [f["name"] for f in contract["record_types"]["contract"]]
    one = ada.get("/api/templates/contract_approval").get_json()
    assert one["document"] == load("contract_approval")
    assert ada.get("/api/templates/nothing").status_code == 404
    assert login("otto").get("/api/templates").status_code == 403
    # New from template: the document is a valid draft as it is.
    assert ada.post("/api/orchestrations", json=one["document"]).get_json()["valid"] is True


def test_orchestrations_are_paginated_by_key(login):
    ada = login("ada")
    for key in ("charlie", "alpha", "bravo"):
        assert ada.post("/api/orchestrations", json=document(EXPENSE, key=key)).status_code == 201
    first = ada.get("/api/orchestrations?limit=2").get_json()
    assert [o["key"] for o in first["items"]] == ["alpha", "bravo"] and first["next_cursor"]
    second = ada.get(f"/api/orchestrations?limit=2&cursor={first['next_cursor']}").get_json()
    assert [o["key"] for o in second["items"]] == ["charlie"] and second["next_cursor"] is None
    assert ada.get("/api/orchestrations?cursor=@@@").status_code == 400
    assert ada.get("/api/orchestrations?limit=0").status_code == 400
    # Any signed-in person may list them (the work list shows their labels).
    assert login("sam").get("/api/orchestrations").status_code == 200
    assert login(None).get("/api/orchestrations").status_code == 401


def test_deploy_helper_round_trip(login):
    ada = login("ada")
    assert deploy(ada, EXPENSE) == 1
    assert deploy(ada, document(EXPENSE, label="Again")) == 2


def test_issues_are_remembered_per_document_and_actions(app, monkeypatch):
    """Opening a big draft does not validate again what its save validated; any change does."""
    from builder import definitions
    from runtime.document import validate as real  # what definitions calls

    calls: list[str] = []

    def counted(doc, **kw):
        calls.append(doc.get("label"))
        return real(doc, **kw)

    monkeypatch.setattr(definitions, "validate", counted)
    with app.app_context():
        first = definitions.issues_of(INCOMPLETE)
        assert first and calls == ["Expense approval"]
        first[0]["message"] = "changed by a caller"
        again = definitions.issues_of(document(INCOMPLETE))  # an equal document, another object
        assert calls == ["Expense approval"]
        assert again and again[0]["message"] != "changed by a caller"

        definitions.issues_of(document(INCOMPLETE, label="Other"))
        assert calls == ["Expense approval", "Other"]

        @engine().actions.action("tests.noop_for_issues")
        def noop(ctx, inputs):  # pragma: no cover - never run
            return {}

        assert definitions.issues_of(document(INCOMPLETE)) == again  # the same issues, checked again
        assert calls == ["Expense approval", "Other", "Expense approval"]


def _with_a_typed_token(label: str) -> dict[str, Any]:
    """EXPENSE with a background step whose header is a bearer token typed in by hand."""
    doc = document(EXPENSE, label=label)
    doc["nodes"] = [
        *doc["nodes"],
        {
            "id": "notify_crm",
            "type": "background",
            "stage": "filing",
            "label": "Tell the CRM",
            "action": "http.request",
            "inputs": {"url": "'https://crm.example.com/hooks'", "headers": "{'Authorization': 'Bearer sk_live_typed_by_hand'}"},
        },
    ]
    return doc


def test_a_member_reads_only_the_versions_their_work_needs_and_never_their_action_inputs(login, app):
    """Members once read every version, whatever its orchestration allowed them, with
    the bearer token typed into an http.request header."""
    ada, sam, fiona, mallory = login("ada"), login("sam"), login("fiona"), login("mallory")
    assert ada.post("/api/orchestrations", json=_with_a_typed_token("Expense v1")).status_code == 201
    assert ada.post("/api/orchestrations/expense/activate").get_json()["version"] == 1
    run_id = sam.post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": 5}}).get_json()["id"]
    assert ada.put("/api/orchestrations/expense/draft", json=_with_a_typed_token("Expense v2")).status_code == 200
    assert ada.post("/api/orchestrations/expense/activate").get_json()["version"] == 2
    assert ada.put("/api/orchestrations/expense/draft", json=_with_a_typed_token("Expense v3")).status_code == 200
    assert ada.post("/api/orchestrations/expense/activate").get_json()["version"] == 3
    assert sam.get("/api/orchestrations/expense").status_code == 403

    # Staff read every version whole.
    for staff in (ada, login("otto")):
        whole = staff.get("/api/orchestrations/expense/versions/1").get_json()["document"]
        assert "sk_live_typed_by_hand" in json.dumps(whole)
    # sam started a run on v1 and fiona has its work: both read v1; v3 is active; nobody's run follows v2.
    for member in (sam, fiona):
        outline = member.get("/api/orchestrations/expense/versions/1")
        assert outline.status_code == 200, outline.get_json()
        assert "sk_live_typed_by_hand" not in outline.get_data(as_text=True)
        notify = next(n for n in outline.get_json()["document"]["nodes"] if n["id"] == "notify_crm")
        assert notify["action"] == "http.request" and "inputs" not in notify
        assert member.get("/api/orchestrations/expense/versions/3").status_code == 200
        assert "sk_live_typed_by_hand" not in member.get("/api/orchestrations/expense/versions/3").get_data(as_text=True)
        assert member.get("/api/orchestrations/expense/versions/2").status_code == 404
    # mallory has nothing to do with the v1 run: as if v1 did not exist.
    hidden, missing = mallory.get("/api/orchestrations/expense/versions/1"), mallory.get("/api/orchestrations/expense/versions/9")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"]["message"].replace(" 1", " N") == missing.get_json()["error"]["message"].replace(" 9", " N")
    assert mallory.get(f"/api/runs/{run_id}").status_code == 404
