"""Every work item opens on its own page (``/work/<id>``) and can be completed there:
one of a run without a record, the right one of two runs on one record, one a
colleague completes first while it is open, and one opened from the bell."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.work_pages import ItemPage, MyWorkPage, RecordPage

SHOTS = "/tmp/items"


def _contract(api: Callable[[str], Any], title: str) -> tuple[dict[str, Any], str]:
    """sam submits a contract: contract approval starts, with legal (alice). The record and its run."""
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": title, "customer": "Initrode", "amount": 9000, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]
    return record, run_id


def _item_of(api: Callable[[str], Any], person: str, run_id: str) -> dict[str, Any]:
    (item,) = [i for i in api(person).work_items(mine=1) if i["run_id"] == run_id]
    return item


def _onboarding(api: Callable[[str], Any]) -> str:
    """A manual orchestration without a record, like the demo's customer onboarding (whose
    CRM push fails, which would add a run in error that other tests count): sales checks
    the customer's details. Its key."""
    key = unique_key("onboarding")
    document = one_stage(key, "E2E onboarding")
    document["inputs"] = [{"name": "customer", "type": "string", "required": True}]
    stage, step = document["nodes"][1], document["nodes"][2]
    stage["label"] = "Check details"
    step.update(
        label="Check customer details",
        assignee={"type": "group", "value": "sales"},
        due="P1D",
        form={
            "fields": [{"name": "notes", "type": "textarea", "label": "Notes", "required": False}],
            "outcomes": [{"value": "confirmed", "label": "Details confirmed"}],
        },
    )
    api("admin").create_orchestration(document)
    api("admin").activate(key)
    return key


def test_a_member_completes_an_item_of_a_run_without_a_record(login_as, api):
    customer = f"E2E customer {uuid.uuid4().hex[:6]}"
    run = api("sam").start_run(_onboarding(api), {"customer": customer})
    item = _item_of(api, "sam", run["id"])

    sam = login_as("sam").new_page()
    work = MyWorkPage(sam).open()
    expect(work.item_row(item["id"]).get_by_role("cell").nth(1)).to_have_text("none")  # no record
    page = work.open_item_id(item["id"])
    page.expect_step("Check customer details")
    expect(page.about).to_contain_text("E2E onboarding")
    expect(page.about).to_contain_text("started by you")
    expect(page.page.get_by_role("region", name="What the run was started with")).to_contain_text(customer)
    expect(page.assignment).to_contain_text("For the Sales group")
    expect(page.assignment).to_contain_text("due ")
    page.expect_stage("Check details")
    sam.screenshot(path=f"{SHOTS}-item-page.png", full_page=True)

    page.fill("Notes", "VAT number checked.")
    page.choose("Details confirmed")
    expect(page.notice).to_have_text("Done: Check customer details — Details confirmed.")
    expect(page.completed).to_contain_text("Completed by you")
    expect(page.completed).to_contain_text("Details confirmed")
    expect(page.step.get_by_role("button", name="Details confirmed")).to_have_count(0)
    sam.screenshot(path=f"{SHOTS}-item-done.png", full_page=True)

    page.onward.get_by_role("link", name="Back to My work").click()
    expect(work.heading).to_be_visible()
    expect(work.item_row(item["id"])).to_have_count(0)
    done = api("sam").get(f"/api/work-items/{item['id']}")
    assert (done["status"], done["completed_by"], done["values"]) == ("completed", "sam", {"notes": "VAT number checked."})
    assert api("sam").wait_for_run(run["id"], status="completed")["record"] is None


def test_two_steps_of_two_runs_on_one_record_each_open_the_right_step(login_as, api):
    title = f"E2E two runs {uuid.uuid4().hex[:6]}"
    record, approval_run = _contract(api, title)
    # A second orchestration on the same contract, with a step for legal too.
    key = unique_key("second_look")
    api("admin").create_orchestration(one_stage(key, "E2E second look"))
    api("admin").activate(key)
    second_run = api("sam").start_run(key, record={"object": "contract", "id": record["id"]})["id"]
    review, check = _item_of(api, "alice", approval_run), _item_of(api, "alice", second_run)

    alice = login_as("alice").new_page()
    # The contract's page shows both steps, each with its orchestration and its own form.
    contract = RecordPage(alice).open("contract", record["id"])
    expect(contract.step).to_have_count(2)
    first, second = contract.step_of("Contract approval"), contract.step_of("E2E second look")
    expect(first.get_by_role("heading", name="Your step now: Review contract terms")).to_be_visible()
    expect(second.get_by_role("heading", name="Your step now: Check it")).to_be_visible()
    expect(first.get_by_role("region", name="Contract approval: progress")).to_contain_text("Legal review")
    expect(second.get_by_role("region", name="E2E second look: progress")).to_contain_text("Review")
    expect(second.get_by_role("button", name="Done", exact=True)).to_be_visible()
    alice.screenshot(path=f"{SHOTS}-record-two-steps.png", full_page=True)

    # From My work, each row opens its own step.
    work = MyWorkPage(alice).open()
    page = work.open_item_id(check["id"])
    page.expect_step("Check it")
    expect(page.about).to_contain_text("E2E second look")
    expect(page.about.get_by_role("link", name=title)).to_have_attribute("href", f"/records/contract/{record['id']}")
    expect(page.page.get_by_role("region", name=f"Contract: {title}")).to_contain_text("Initrode")
    page.choose("Done")
    expect(page.notice).to_have_text("Done: Check it — Done.")

    page.onward.get_by_role("link", name="Back to My work").click()
    page = work.open_item_id(review["id"])
    page.expect_step("Review contract terms")
    expect(page.about).to_contain_text("Contract approval")
    page.fill("Notes", "Standard terms.")
    page.choose("Approve")
    expect(page.notice).to_have_text("Done: Review contract terms — Approve.")
    page.expect_stage("Finance review")

    assert api("admin").run(second_run)["status"] == "completed"
    assert api("admin").run(approval_run)["current_stage"] == "finance"
    contract = RecordPage(alice).open("contract", record["id"])
    expect(contract.nothing).to_be_visible()
    expect(contract.guide.get_by_role("region", name="E2E second look: progress")).to_contain_text("Finished")


def test_a_colleague_completes_a_group_step_first_while_it_is_open(login_as, api):
    title = f"E2E race {uuid.uuid4().hex[:6]}"
    _, run_id = _contract(api, title)
    api("alice").complete(_item_of(api, "alice", run_id)["id"], "approve")
    api("admin").wait_for_run(run_id, stage="finance")
    item = _item_of(api, "fiona", run_id)

    fiona = ItemPage(login_as("fiona").new_page()).open(item["id"])
    fiona.expect_step("Check pricing and terms")
    expect(fiona.assignment).to_contain_text("For the Finance group")
    expect(fiona.step.get_by_role("button", name="Approve")).to_be_visible()

    frank = ItemPage(login_as("frank").new_page()).open(item["id"])
    frank.fill("Margin (%)", "30")
    frank.choose("Approve")
    expect(frank.notice).to_have_text("Done: Check pricing and terms — Approve.")

    # fiona's page follows the run: she is told, and the form is gone.
    expect(fiona.notice).to_have_text("Frank Finance completed this step meanwhile; there is nothing more for you to do on it.")
    expect(fiona.completed).to_contain_text("Completed by Frank Finance")
    expect(fiona.step.get_by_role("button", name="Approve")).to_have_count(0)
    fiona.expect_stage("Executive signature")
    fiona.page.screenshot(path=f"{SHOTS}-item-taken.png", full_page=True)

    # Someone the step was never for finds nothing there.
    outsider = ItemPage(login_as("sue").new_page())
    outsider.page.goto(f"/work/{item['id']}")
    expect(outsider.not_found).to_contain_text("not yours")


def test_a_notification_in_the_bell_opens_the_step(login_as, api):
    title = f"E2E bell {uuid.uuid4().hex[:6]}"
    _, run_id = _contract(api, title)
    item = _item_of(api, "alice", run_id)

    alice = login_as("alice").new_page()
    work = MyWorkPage(alice).open()
    work.nav.bell.click()
    bell = alice.get_by_role("region", name="Notifications")
    link = bell.locator(f'a[href="/work/{item["id"]}"]')
    expect(link).to_have_text("Open step")
    link.click()
    expect(alice).to_have_url(re.compile(rf"/work/{item['id']}$"))
    page = ItemPage(alice)
    page.expect_step("Review contract terms")
    expect(page.about.get_by_role("link", name=title)).to_be_visible()
    expect(page.step.get_by_role("button", name="Approve")).to_be_visible()


def test_mark_all_read_in_one_browser_holds_in_the_next(login_as, api):
    title = f"E2E read {uuid.uuid4().hex[:6]}"
    _contract(api, title)

    first = login_as("alice").new_page()
    work = MyWorkPage(first).open()
    expect(work.nav.bell).to_have_accessible_name("Notifications (new)")
    work.nav.bell.click()
    bell = first.get_by_role("region", name="Notifications")
    expect(bell.locator("li.bell__new").first).to_be_visible()
    bell.get_by_role("button", name="Mark all read").click()
    expect(bell.get_by_role("status")).to_have_text("All notifications are marked read.")
    expect(bell.locator("li.bell__new")).to_have_count(0)
    expect(bell.get_by_role("button", name="Mark all read")).to_be_disabled()
    expect(work.nav.bell).to_have_accessible_name("Notifications")
    first.screenshot(path="/tmp/traps-mark-all-read.png")

    # Another browser (nothing in its local storage): the server says they are read.
    second = login_as("alice").new_page()
    again = MyWorkPage(second).open()
    expect(again.nav.bell).to_have_accessible_name("Notifications")
    again.nav.bell.click()
    listed = second.get_by_role("region", name="Notifications")
    expect(listed.locator("li").first).to_be_visible()
    expect(listed.locator("li.bell__new")).to_have_count(0)
    expect(listed.get_by_role("button", name="Mark all read")).to_be_disabled()
