"""Who may change a record, as the record page shows it: alice reviewed sam's contract
for legal; while it sits in finance review she reads it and is offered no Edit, while sam,
its owner, edits it."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from e2e.fixtures.work_pages import RecordPage


def test_a_past_reviewer_reads_the_contract_but_is_offered_no_edit(login_as, api):
    title = f"E2E rights {uuid.uuid4().hex[:6]}"
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": title, "customer": "Initrode", "amount": 12000, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]
    (legal,) = api("alice").work_items(run=run_id)
    api("alice").complete(legal["id"], "approve", {"notes": "Standard terms."})
    api("otto").wait_for_run(run_id, stage="finance")

    alice = RecordPage(login_as("alice").new_page()).open("contract", record["id"])
    alice.expect_stage("Finance review")  # the run's version reads for her, without its action inputs
    details = alice.page.get_by_role("region", name="Record")
    expect(details.get_by_text(title)).to_be_visible()
    expect(details.get_by_test_id("record-read-only")).to_contain_text("Read only")
    expect(details.get_by_role("button", name="Edit")).to_have_count(0)
    alice.page.screenshot(path="/tmp/record-read-only.png", full_page=True)
    # The API says the same as the page.
    assert api("alice").status_of("PATCH", f"/api/records/contract/{record['id']}", {"fields": {"amount": 1}}) == 403

    sam = RecordPage(login_as("sam").new_page()).open("contract", record["id"])
    sam.page.get_by_role("region", name="Record").get_by_role("button", name="Edit").click()
    expect(sam.page.get_by_label("Amount")).to_be_editable()


def test_an_open_step_edits_only_the_record_fields_its_form_asks_for(login_as, api):
    title = f"E2E revise {uuid.uuid4().hex[:6]}"
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": title, "customer": "Initrode", "amount": 12000, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]
    (legal,) = api("alice").work_items(run=run_id)
    api("alice").complete(legal["id"], "approve")
    api("otto").wait_for_run(run_id, stage="finance")
    (finance,) = api("fiona").work_items(run=run_id)
    api("fiona").complete(finance["id"], "reject", {"reason": "Too deep a discount."})
    api("otto").wait_for_run(run_id, stage="revise")
    # The revise step (its form asks for the amount) is handed to alice.
    (revise,) = [i for i in api("otto").work_items(run=run_id) if i["step_id"] == "revise_contract"]
    api("otto").post(f"/api/work-items/{revise['id']}/reassign", {"to": {"type": "user", "value": "alice"}})

    alice = RecordPage(login_as("alice").new_page()).open("contract", record["id"])
    details = alice.page.get_by_role("region", name="Record")
    details.get_by_role("button", name="Edit").click()
    expect(details.get_by_label("Amount")).to_be_editable()
    expect(details.get_by_label("Title * (read only)")).not_to_be_editable()
    expect(details.get_by_label("Status * (read only)")).not_to_be_editable()
    details.get_by_label("Amount").fill("11000")
    alice.page.screenshot(path="/tmp/record-partly-editable.png", full_page=True)
    details.get_by_role("button", name="Save changes").click()
    expect(details.get_by_role("status")).to_contain_text("Saved.")
    assert api("sam").get(f"/api/records/contract/{record['id']}")["fields"]["amount"] == 11000
