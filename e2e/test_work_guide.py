"""The Work Guide end to end: a sales rep creates a contract in the UI, which starts
contract approval; legal sees it in My work (the badge counts it) and in the bell (its
notification opens the record), opens the record and approves in the Work Guide; the
progress moves on to Finance."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e.fixtures.work_pages import MyWorkPage, RecordPage, RecordsPage


def test_a_contract_created_in_the_ui_is_approved_by_legal_in_the_work_guide(login_as, api):
    title = f"E2E contract {uuid.uuid4().hex[:6]}"

    sam = login_as("sam").new_page()
    records = RecordsPage(sam).open("contract", "Contract")
    record_id = records.create("Contract", {"Title": title, "Customer": "Initrode", "Amount": "12000", "Status": "submitted"})
    expect(records.started_runs).to_contain_text("Contract approval")
    # The run the save started is a link to it, named by its orchestration.
    expect(records.started_runs.get_by_role("link", name="Contract approval")).to_have_attribute("href", re.compile(r"^/runs/"))

    alice = login_as("alice").new_page()
    work = MyWorkPage(alice).open()
    expect(work.row(title)).to_be_visible()
    assert work.nav.count() > 0
    before = work.nav.count()

    # The bell's notification of the new work opens the contract's page.
    work.nav.bell.click()
    alice.get_by_role("region", name="Notifications").locator(f'a[href="/records/contract/{record_id}"]').click()
    expect(alice).to_have_url(re.compile(rf"/records/contract/{record_id}$"))
    RecordPage(alice).expect_step("Review contract terms")
    work.open()

    record = work.open_item(title)
    record.expect_step("Review contract terms")
    record.expect_stage("Legal review")
    expect(record.next_stages).to_contain_text("Finance review")
    record.fill("Notes", "Standard terms.")
    record.comment("Fine by legal.")
    record.choose("Approve")

    expect(record.notice).to_contain_text("Done: Review contract terms")
    record.expect_stage("Finance review")
    expect(record.nothing).to_be_visible()  # alice has nothing more to do on it
    work.nav.expect_count(rf"^{before - 1}$")

    (run,) = [r for r in api("admin").get(f"/api/records/contract/{record_id}")["runs"]]
    assert api("admin").run(run["id"])["current_stage"] == "finance"


def test_the_work_guide_says_so_when_a_colleague_completes_the_step_first(login_as, api):
    sam, alice, frank = api("sam"), api("alice"), api("frank")
    title = f"E2E race {uuid.uuid4().hex[:6]}"
    record = sam.post("/api/records/contract", {"fields": {"title": title, "customer": "Vandelay", "amount": 9000, "status": "submitted"}})
    (run_id,) = record["started_runs"]
    (legal,) = [i for i in alice.work_items(mine=1) if i["run_id"] == run_id]
    alice.complete(legal["id"], "approve")
    api("admin").wait_for_run(run_id, stage="finance")

    fiona = login_as("fiona").new_page()
    work = MyWorkPage(fiona).open()
    page = work.open_item(title)
    page.expect_step("Check pricing and terms")

    (finance,) = [i for i in frank.work_items(mine=1) if i["run_id"] == run_id]
    frank.complete(finance["id"], "approve", {"margin": 30})  # while fiona's form is open

    expect(page.notice).to_contain_text("frank completed this step meanwhile")
    expect(page.nothing).to_be_visible()
    page.expect_stage("Executive signature")
