"""The three shipped processes, end to end, with people completing their work."""

from __future__ import annotations

import pytest

from runtime.engine import Engine
from runtime.errors import Forbidden


def only_item(engine: Engine, user: str, run_id: str) -> dict:
    items = [i for i in engine.work_items(assignee=user) if i["run_id"] == run_id]
    assert len(items) == 1, items
    return items[0]


def stage_order(engine: Engine, run_id: str) -> list[str]:
    return [h["stage"] for h in engine.get_run(run_id)["history"]]


def new_contract(engine: Engine, amount: float, status: str = "submitted") -> tuple[dict, str]:
    record = engine.create_record("contract", {"title": "Acme MSA", "customer": "Acme", "amount": amount, "status": status}, owner="sam")
    assert len(record["started_runs"]) == (1 if status == "submitted" else 0)
    return record, (record["started_runs"] or [""])[0]


def test_contract_small_deal_skips_vp(templated: Engine):
    record, run_id = new_contract(templated, 20_000)
    run = templated.get_run(run_id)
    assert run["current_stage"] == "legal"
    assert run["ball"] == [
        {"type": "group", "value": "legal", "step": "legal_review", "work_item": run["work_items"][0]["id"], "claimed_by": None}
    ]

    templated.complete(only_item(templated, "alice", run_id)["id"], by="alice", outcome="approve", values={"notes": "fine"})
    assert templated.get_run(run_id)["current_stage"] == "finance"
    assert templated.get_run(run_id)["vars"]["legal_notes"] == "fine"
    templated.complete(only_item(templated, "fiona", run_id)["id"], by="fiona", outcome="approve")
    assert templated.get_run(run_id)["current_stage"] == "executive"
    templated.complete(only_item(templated, "erin", run_id)["id"], by="erin", outcome="sign", values={"signed_on": "2026-01-06"})

    run = templated.get_run(run_id)
    assert run["status"] == "completed"
    assert run["current_node"] == "signed"
    assert stage_order(templated, run_id) == ["legal", "finance", "executive"]
    assert {s["id"]: s["status"] for s in run["stages"]}["vp"] == "not_started"
    assert templated.get_record("contract", record["id"])["status"] == "signed"
    assert templated.get_record("contract", record["id"])["signed_on"] == "2026-01-06"
    steps = {s["id"]: s for s in run["steps"]}
    assert steps["sign"]["completed_by"] == "erin"
    assert steps["legal_review"]["completed_by"] == "alice"


def test_contract_big_deal_needs_vp(templated: Engine):
    _, run_id = new_contract(templated, 75_000)
    templated.complete(only_item(templated, "bob", run_id)["id"], by="bob", outcome="approve")
    templated.complete(only_item(templated, "frank", run_id)["id"], by="frank", outcome="approve")
    assert templated.get_run(run_id)["current_stage"] == "vp"
    templated.complete(only_item(templated, "ed", run_id)["id"], by="ed", outcome="approve")
    templated.complete(only_item(templated, "erin", run_id)["id"], by="erin", outcome="sign", values={"signed_on": "2026-01-07"})
    assert templated.get_run(run_id)["status"] == "completed"
    assert stage_order(templated, run_id) == ["legal", "finance", "vp", "executive"]


def test_contract_finance_rejects_and_goes_round_again(templated: Engine):
    record, run_id = new_contract(templated, 60_000)
    templated.complete(only_item(templated, "alice", run_id)["id"], by="alice", outcome="approve")
    templated.complete(only_item(templated, "fiona", run_id)["id"], by="fiona", outcome="reject", values={"reason": "margin"})

    run = templated.get_run(run_id)
    assert run["current_stage"] == "revise"
    assert templated.get_record("contract", record["id"])["status"] == "in_revision"
    revise = only_item(templated, "sam", run_id)
    assert revise["assignee"] == {"type": "user", "value": "sam"}
    # Nobody else may complete the sales rep's revision.
    with pytest.raises(Forbidden):
        templated.complete(revise["id"], by="alice", outcome="resubmit", values={"amount": 1})
    templated.complete(revise["id"], by="sam", outcome="resubmit", values={"amount": 45_000, "changes": "discount"})

    run = templated.get_run(run_id)
    assert run["current_stage"] == "legal"
    assert {s["id"]: s["visits"] for s in run["stages"]}["legal"] == 2
    assert run["vars"]["rounds"] == 1
    contract = templated.get_record("contract", record["id"])
    assert (contract["amount"], contract["status"]) == (45_000, "submitted")
    # Still exactly one run on the record: the resubmission did not trigger another.
    assert len(templated.runs(orchestration="contract_approval")) == 1

    templated.complete(only_item(templated, "alice", run_id)["id"], by="alice", outcome="approve")
    templated.complete(only_item(templated, "fiona", run_id)["id"], by="fiona", outcome="approve")
    # Now under $50k: no VP stage this time.
    templated.complete(only_item(templated, "eve", run_id)["id"], by="eve", outcome="sign", values={"signed_on": "2026-01-09"})
    run = templated.get_run(run_id)
    assert run["status"] == "completed"
    assert stage_order(templated, run_id) == ["legal", "finance", "revise", "legal", "finance", "executive"]
    assert [h["visit"] for h in run["history"]] == [1, 1, 1, 2, 2, 1]


def test_contract_withdrawn_by_sales_rep(templated: Engine):
    record, run_id = new_contract(templated, 10_000)
    templated.complete(only_item(templated, "alice", run_id)["id"], by="alice", outcome="reject")
    templated.complete(only_item(templated, "sam", run_id)["id"], by="sam", outcome="withdraw", values={"amount": 10_000})
    run = templated.get_run(run_id)
    assert (run["status"], run["current_node"]) == ("completed", "withdrawn")
    assert templated.get_record("contract", record["id"])["status"] == "withdrawn"


def test_contract_draft_starts_only_when_submitted(templated: Engine):
    record, _ = new_contract(templated, 5_000, status="draft")
    assert templated.runs(orchestration="contract_approval") == []
    updated = templated.update_record("contract", record["id"], {"status": "submitted"}, by="sam")
    assert len(updated["started_runs"]) == 1
    assert templated.get_run(updated["started_runs"][0])["record"] == {"object": "contract", "id": record["id"]}


def new_refund(engine: Engine) -> tuple[dict, str]:
    record = engine.create_record(
        "service_request", {"customer": "Bea", "kind": "refund", "order_id": "A-17", "amount": 80.0, "reason": "broken"}, owner="sam"
    )
    return record, record["started_runs"][0]


def test_refund_fulfilment_updates_the_record_at_every_stage(templated: Engine):
    record, run_id = new_refund(templated)
    rid = record["id"]
    assert templated.get_record("service_request", rid)["status"] == "verifying"
    templated.complete(only_item(templated, "sue", run_id)["id"], by="sue", outcome="valid", values={"finding": "photo ok"})
    assert templated.get_record("service_request", rid)["status"] == "awaiting_return"
    warehouse = only_item(templated, "walt", run_id)
    assert warehouse["assignee"] == {"type": "queue", "value": "warehouse"}
    templated.claim(warehouse["id"], by="walt")
    templated.complete(warehouse["id"], by="walt", outcome="received", values={"condition": "used"})
    after_return = templated.get_record("service_request", rid)
    assert (after_return["status"], after_return["return_condition"]) == ("returned", "used")
    templated.complete(only_item(templated, "frank", run_id)["id"], by="frank", outcome="issued", values={"amount": 80})

    run = templated.get_run(run_id)
    assert (run["status"], run["current_node"]) == ("completed", "done")
    final = templated.get_record("service_request", rid)
    assert (final["status"], final["credit"]) == ("credited", 80.0)
    assert any(n["subject"] == "Your refund was issued" for n in templated.notifications(to="sam"))
    assert stage_order(templated, run_id) == ["verify", "returns", "credit"]


def test_refund_invalid_claim_is_closed(templated: Engine):
    record, run_id = new_refund(templated)
    templated.complete(only_item(templated, "steve", run_id)["id"], by="steve", outcome="invalid", values={"finding": "no proof"})
    run = templated.get_run(run_id)
    assert (run["status"], run["current_node"]) == ("completed", "closed")
    assert templated.get_record("service_request", record["id"])["status"] == "rejected"


def test_refund_overdue_verification_is_reassigned(templated: Engine, clock):
    _, run_id = new_refund(templated)
    item = only_item(templated, "sue", run_id)
    clock.advance("P1DT1M")
    assert templated.get_work_item(item["id"])["overdue"] is True
    assert templated.get_work_item(item["id"])["assignee"]["type"] == "group"
    clock.advance("PT3H59M")
    moved = templated.get_work_item(item["id"])
    assert moved["assignee"] == {"type": "queue", "value": "support_escalations"}
    assert [i["id"] for i in templated.work_items(assignee="sue")] == []
    assert any(n["kind"] == "escalation" for n in templated.notifications(to="steve"))


def test_project_development_waits_for_requirements_signoff(templated: Engine, clock):
    record = templated.create_record("project", {"name": "Portal"}, owner="dave")
    run_id = record["started_runs"][0]
    templated.complete(only_item(templated, "dave", run_id)["id"], by="dave", outcome="done", values={"document_url": "https://x/req"})
    run = templated.get_run(run_id)
    assert {s["id"]: s["status"] for s in run["stages"]}["development"] == "not_started"
    templated.complete(only_item(templated, "pat", run_id)["id"], by="pat", outcome="needs_work")
    assert templated.get_run(run_id)["current_stage"] == "requirements"
    templated.complete(only_item(templated, "dave", run_id)["id"], by="dave", outcome="done", values={"document_url": "https://x/req2"})
    templated.complete(only_item(templated, "pat", run_id)["id"], by="pat", outcome="complete")

    run = templated.get_run(run_id)
    assert run["current_stage"] == "development"
    assert run["vars"]["requirement_rounds"] == 2
    assert templated.get_record("project", record["id"])["status"] == "in_development"
    templated.complete(only_item(templated, "dave", run_id)["id"], by="dave", outcome="done")
    templated.complete(only_item(templated, "pat", run_id)["id"], by="pat", outcome="accepted")
    assert templated.get_run(run_id)["current_stage"] == "release"
    assert templated.work_items(assignee="pat") == []  # stabilising: go-live waits for the timer

    clock.advance("P1D")
    assert templated.work_items(assignee="pat") == []
    clock.advance("P1D")
    templated.complete(only_item(templated, "pat", run_id)["id"], by="pat", outcome="go", values={"go_live_on": "2026-02-01"})
    run = templated.get_run(run_id)
    assert run["status"] == "completed"
    assert templated.get_record("project", record["id"])["status"] == "live"
    assert stage_order(templated, run_id) == ["requirements", "requirements", "development", "release"]
