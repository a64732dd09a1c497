"""The contract journey of the Work Guide & monitoring issue, with several people at once:
sam submits a contract in the UI, legal approves, finance rejects, sam revises, it goes
round again and erin signs — while otto watches the Monitor move live. Then: finance's
work is finance's alone, and a run whose background step fails is fixed and retried."""

from __future__ import annotations

import re
import uuid
from datetime import date

from playwright.sync_api import Page, expect

from e2e.fixtures.documents import one_step, unique_key
from e2e.fixtures.pages import MonitorPage, RunPage
from e2e.fixtures.work_pages import ItemPage, MyWorkPage, RecordsPage

#: The interactive steps of contract approval whose figures otto watches.
WATCHED = ("legal_review", "finance_review", "revise_contract", "sign")


def _figures(monitor: MonitorPage) -> dict[tuple[str, str], int]:
    return {(node, figure): monitor.figure(node, figure) for node in WATCHED for figure in ("active", "completed")}


def _expect_figures(monitor: MonitorPage, base: dict[tuple[str, str], int], **changes: int) -> None:
    """Every watched figure is its baseline plus the change named ``<node>__<figure>``."""
    for (node, figure), value in base.items():
        monitor.expect_figure(node, figure, value + changes.get(f"{node}__{figure}", 0))


def _open_from_my_work(page: Page, title: str, label: str) -> ItemPage:
    work = MyWorkPage(page).open()
    expect(work.row(title)).to_be_visible()
    step = work.open_item(title)
    step.expect_step(label)
    return step


def test_a_contract_goes_round_twice_and_is_signed_while_ops_watch_live(login_as, api):
    title = f"E2E journey {uuid.uuid4().hex[:6]}"

    # otto has the monitor open the whole time; it must never reload.
    monitor = MonitorPage(login_as("otto").new_page()).open("contract_approval").wait_until_live()
    monitor.page.evaluate("window.__notReloaded = true")
    expect(monitor.figure_of("legal_review", "completed")).to_be_visible()
    base = _figures(monitor)

    # sam creates the contract in the UI: contract approval starts, the ball is with legal.
    sam = login_as("sam").new_page()
    records = RecordsPage(sam).open("contract", "Contract")
    record_id = records.create("Contract", {"Title": title, "Customer": "Initrode", "Amount": "12000", "Status": "submitted"})
    expect(records.started_runs).to_contain_text("Contract approval")
    (run,) = api("sam").get(f"/api/records/contract/{record_id}")["runs"]
    run_id = run["id"]
    _expect_figures(monitor, base, legal_review__active=1)

    # alice (legal) finds it in My work and approves in the Work Guide.
    alice = login_as("alice").new_page()
    step = _open_from_my_work(alice, title, "Review contract terms")
    step.fill("Notes", "Standard terms.")
    step.choose("Approve")
    expect(step.notice).to_contain_text("Done: Review contract terms")
    step.expect_stage("Finance review")
    _expect_figures(monitor, base, legal_review__completed=1, finance_review__active=1)

    # fiona (finance) rejects it.
    fiona = login_as("fiona").new_page()
    step = _open_from_my_work(fiona, title, "Check pricing and terms")
    step.fill("Reason", "Discount too deep.")
    step.choose("Reject")
    expect(step.notice).to_contain_text("Done: Check pricing and terms")
    step.expect_stage("Sales rep revises")
    _expect_figures(monitor, base, legal_review__completed=1, finance_review__completed=1, revise_contract__active=1)

    # sam sees it come back (My work) and revises it on its page.
    api("otto").wait_for_run(run_id, stage="revise")
    step = _open_from_my_work(sam, title, "Revise the contract")
    step.expect_stage("Sales rep revises")
    expect(sam).to_have_url(re.compile(r"/work/[^/]+$"))
    expect(step.about.get_by_role("link", name=title)).to_have_attribute("href", f"/records/contract/{record_id}")
    step.fill("Amount", "9500")
    step.fill("What changed", "Smaller discount.")
    step.choose("Resubmit")
    expect(step.notice).to_contain_text("Done: Revise the contract")
    step.expect_stage("Legal review")
    _expect_figures(
        monitor, base, legal_review__active=1, legal_review__completed=1, finance_review__completed=1, revise_contract__completed=1
    )
    fields = api("sam").get(f"/api/records/contract/{record_id}")["fields"]
    assert (fields["amount"], fields["status"]) == (9500, "submitted"), fields

    # Round two: alice approves, fiona approves.
    step = _open_from_my_work(alice, title, "Review contract terms")
    step.choose("Approve")
    step.expect_stage("Finance review")
    _expect_figures(
        monitor, base, legal_review__completed=2, finance_review__active=1, finance_review__completed=1, revise_contract__completed=1
    )

    step = _open_from_my_work(fiona, title, "Check pricing and terms")
    step.fill("Margin (%)", "28")
    step.choose("Approve")
    step.expect_stage("Executive signature")  # under 50k: no VP
    _expect_figures(monitor, base, legal_review__completed=2, finance_review__completed=2, revise_contract__completed=1, sign__active=1)

    # erin (executive) signs.
    erin = login_as("erin").new_page()
    step = _open_from_my_work(erin, title, "Sign contract")
    step.fill("Signed on", date.today().isoformat())
    step.choose("Sign")
    expect(step.notice).to_contain_text("Done: Sign contract")
    _expect_figures(monitor, base, legal_review__completed=2, finance_review__completed=2, revise_contract__completed=1, sign__completed=1)
    assert monitor.page.evaluate("window.__notReloaded") is True  # all of it live, no reload

    done = api("otto").wait_for_run(run_id, status="completed")
    assert done["status"] == "completed"
    fields = api("sam").get(f"/api/records/contract/{record_id}")["fields"]
    assert fields["status"] == "signed", fields
    assert fields["signed_on"] == date.today().isoformat(), fields

    # The run detail: completed, every step with who did it (by display name).
    detail = RunPage(monitor.page).open(run_id)
    expect(detail.status).to_have_text("Completed")
    legal = detail.timeline_entries("legal_review")
    expect(legal).to_have_count(2)
    expect(legal.nth(0)).to_contain_text("by Alice Legal")
    expect(legal.nth(0)).to_contain_text("outcome Approve")
    expect(legal.nth(1)).to_contain_text("by Alice Legal")
    finance = detail.timeline_entries("finance_review")
    expect(finance).to_have_count(2)
    expect(finance.nth(0)).to_contain_text("by Fiona Finance")
    expect(finance.nth(0)).to_contain_text("outcome Reject")
    expect(finance.nth(1)).to_contain_text("by Fiona Finance")
    expect(finance.nth(1)).to_contain_text("outcome Approve")
    expect(detail.timeline_entries("revise_contract")).to_contain_text("by Sam Sales")
    expect(detail.timeline_entries("revise_contract")).to_contain_text("outcome Resubmit")
    expect(detail.timeline_entries("sign")).to_contain_text("by Erin Executive")
    expect(detail.timeline_entries("mark_signed")).to_contain_text("completed")
    for node in ("legal_review", "finance_review", "revise_contract", "sign", "mark_signed"):
        expect(detail.path_mark(node)).to_contain_text("✓")


def test_finance_work_is_invisible_to_others_and_they_cannot_complete_it(login_as, api):
    sam, alice, fiona = api("sam"), api("alice"), api("fiona")
    tag = uuid.uuid4().hex[:6]
    at_finance, at_legal = f"E2E finance only {tag}", f"E2E still legal {tag}"
    run_id = sam.post(
        "/api/records/contract", {"fields": {"title": at_finance, "customer": "Initech", "amount": 3000, "status": "submitted"}}
    )["started_runs"][0]
    sam.post("/api/records/contract", {"fields": {"title": at_legal, "customer": "Initech", "amount": 3000, "status": "submitted"}})
    (legal,) = [i for i in alice.work_items(mine=1) if i["run_id"] == run_id]
    alice.complete(legal["id"], "approve")
    api("admin").wait_for_run(run_id, stage="finance")
    (item,) = [i for i in fiona.work_items(mine=1) if i["run_id"] == run_id]

    # fiona sees it in My work; alice sees her own legal item but not finance's.
    expect(MyWorkPage(login_as("fiona").new_page()).open().row(at_finance)).to_be_visible()
    work = MyWorkPage(login_as("alice").new_page()).open()
    expect(work.row(at_legal)).to_be_visible()
    expect(work.row(at_finance)).to_have_count(0)
    assert not [i for i in alice.work_items(mine=1) if i["run_id"] == run_id]

    # Neither alice (legal) nor sam (who owns the record) may complete it.
    for outsider in (alice, sam):
        assert outsider.status_of("GET", f"/api/work-items/{item['id']}") == 404
        status = outsider.status_of("POST", f"/api/work-items/{item['id']}/complete", {"outcome": "approve", "values": {}})
        assert status in (403, 404), (outsider.user, status)
    still = api("admin").run(run_id)
    assert (still["current_stage"], still["status"]) == ("finance", "in_progress")
    assert [i["id"] for i in fiona.work_items(mine=1) if i["run_id"] == run_id] == [item["id"]]


def test_ops_retry_a_run_after_the_admin_fixes_the_record_type(login_as, api):
    admin = api("admin")
    type_name = unique_key("ticket")
    admin.post(
        "/api/record-types", {"name": type_name, "label": "E2E ticket", "fields": [{"name": "title", "type": "string", "required": True}]}
    )
    record = admin.post(f"/api/records/{type_name}", {"fields": {"title": "Printer on fire"}})

    key = unique_key("triage")
    step = {
        "id": "set_priority",
        "type": "background",
        "label": "Set priority",
        "action": "record.update",
        "inputs": {"fields": "{'priority': 'high'}"},
    }
    admin.create_orchestration(one_step(key, step, label="E2E triage", stage="Triage", end="Triaged"))
    admin.activate(key)
    run_id = admin.start_run(key, record={"object": type_name, "id": record["id"]})["id"]
    failed = admin.wait_for_run(run_id, status="error")
    assert "priority" in str(failed["error"]), failed["error"]

    # otto sees the error and the failing step.
    run = RunPage(login_as("otto").new_page()).open(run_id)
    expect(run.status).to_have_text("In error")
    expect(run.error).to_contain_text("priority")
    expect(run.failing_step).to_have_text("Set priority")
    expect(run.path_mark("set_priority")).to_contain_text("✗")

    # The admin adds the field; otto retries in the run detail; the run completes.
    admin.post(
        "/api/record-types",
        {
            "name": type_name,
            "label": "E2E ticket",
            "fields": [{"name": "title", "type": "string", "required": True}, {"name": "priority", "type": "string"}],
        },
    )
    run.control("Retry")
    expect(run.status).to_have_text("Completed")
    expect(run.path_mark("set_priority")).to_contain_text("✓")
    assert admin.wait_for_run(run_id, status="completed")["status"] == "completed"
    assert admin.get(f"/api/records/{type_name}/{record['id']}")["fields"]["priority"] == "high"
