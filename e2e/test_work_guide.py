"""The Work Guide end to end: a sales rep creates a contract in the UI, which starts
contract approval; legal sees it in My work (the badge counts it) and in the bell (its
notification opens the step), opens the step from My work and approves it; the
progress moves on to Finance, and the contract's page has nothing more for legal."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e.fixtures.work_pages import ItemPage, MyWorkPage, RecordPage, RecordsPage


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

    # The bell's notification of the new work opens the step; its page names the contract.
    (run,) = api("sam").get(f"/api/records/contract/{record_id}")["runs"]
    (legal,) = [i for i in api("alice").work_items(mine=1) if i["run_id"] == run["id"]]
    work.nav.bell.click()
    alice.get_by_role("region", name="Notifications").locator(f'a[href="/work/{legal["id"]}"]').click()
    expect(alice).to_have_url(re.compile(rf"/work/{legal['id']}$"))
    ItemPage(alice).expect_step("Review contract terms")
    expect(ItemPage(alice).about.get_by_role("link", name=title)).to_have_attribute("href", f"/records/contract/{record_id}")
    work.open()

    item = work.open_item(title)
    item.expect_step("Review contract terms")
    item.expect_stage("Legal review")
    expect(item.next_stages).to_contain_text("Finance review")
    item.fill("Notes", "Standard terms.")
    item.comment("Fine by legal.")
    item.choose("Approve")

    expect(item.notice).to_contain_text("Done: Review contract terms")
    item.expect_stage("Finance review")
    expect(item.completed).to_contain_text("Completed by you")
    work.nav.expect_count(rf"^{before - 1}$")
    record = RecordPage(alice).open("contract", record_id)
    expect(record.nothing).to_be_visible()  # alice has nothing more to do on it
    record.expect_stage("Finance review")

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

    expect(page.notice).to_contain_text("Frank Finance completed this step meanwhile")
    expect(page.completed).to_contain_text("Completed by Frank Finance")
    expect(page.step.get_by_role("button", name="Approve")).to_have_count(0)
    page.expect_stage("Executive signature")
