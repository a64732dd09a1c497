"""The Monitor and the run detail, as ops see them: live figures that move without a
reload, and a run in error with its error and failing step."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from e2e.fixtures.pages import MonitorPage, RunPage
from runtime.testing import load_scenario, run_scenario


def submit_contract(api: Any, title: str, customer: str, amount: int) -> tuple[str, Any, dict[str, Any]]:
    """sam submits a contract; returns its run, alice's API client and her legal review item."""
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": title, "customer": customer, "amount": amount, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]
    alice = api("alice")
    alice.wait_for_run(run_id, stage="legal")
    (item,) = [i for i in alice.work_items(mine=1) if i["run_id"] == run_id]
    return run_id, alice, item


def test_node_counts_change_live_when_alice_completes_a_review(login_as, api):
    monitor = MonitorPage(login_as("ops").new_page()).open("contract_approval").wait_until_live()
    page = monitor.page
    page.evaluate("window.__notReloaded = true")

    # sam submits a contract: a new run waits in legal review (the seed's runs are there too).
    run_id, alice, item = submit_contract(api, "Monitor e2e", "Globex", 1000)

    expect(monitor.figure_of("legal_review", "completed")).to_be_visible()
    completed = monitor.figure("legal_review", "completed")
    active = monitor.figure("legal_review", "active")
    alice.complete(item["id"], "approve", {"notes": "fine"})

    monitor.expect_figure("legal_review", "completed", completed + 1)
    monitor.expect_figure("legal_review", "active", active - 1)
    assert page.evaluate("window.__notReloaded") is True  # moved live, no reload


def test_ops_see_a_run_in_error_with_its_failing_step(login_as, api):
    (failed,) = api("ops").get("/api/runs", params={"status": "error", "orchestration": "customer_onboarding"})["items"]
    run = RunPage(login_as("ops").new_page()).open(failed["id"])
    expect(run.status).to_have_text("In error")
    expect(run.error).to_contain_text("not on the allowlist")
    expect(run.failing_step).to_have_text("Create customer in CRM")
    expect(run.path_mark("push_to_crm")).to_contain_text("✗")
    expect(run.path_mark("check")).to_contain_text("✓")
    expect(run.timeline_entries("push_to_crm")).to_contain_text("error")
    expect(run.page.get_by_role("toolbar", name="Run controls").get_by_role("button", name="Retry")).to_be_visible()


def test_ops_suspend_and_resume_runs_in_bulk_after_confirming(login_as, api):
    sam = api("sam")
    runs = [
        sam.post("/api/records/contract", {"fields": {"title": f"Bulk {n}", "customer": "Initech", "amount": 500, "status": "submitted"}})[
            "started_runs"
        ][0]
        for n in (1, 2)
    ]
    monitor = MonitorPage(login_as("ops").new_page()).open("contract_approval")
    for run_id in runs:
        expect(monitor.run_row(run_id)).to_contain_text("Legal review")
        expect(monitor.run_row(run_id)).to_contain_text("group Legal")  # the ball is with the legal group, by its name
        monitor.select_run(run_id)
    monitor.bulk("Suspend")
    for run_id in runs:
        expect(monitor.run_row(run_id)).to_contain_text("Suspended")
        assert api("ops").run(run_id)["status"] == "suspended"
        monitor.select_run(run_id)
    monitor.bulk("Resume")
    for run_id in runs:
        expect(monitor.run_row(run_id)).to_contain_text("In progress")


def test_ops_follow_a_run_and_reassign_its_work(login_as, api):
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": "Reassign e2e", "customer": "Umbrella", "amount": 800, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]
    run = RunPage(login_as("ops").new_page()).open(run_id)
    expect(run.current_stage).to_have_text("Legal review")
    expect(run.path_mark("legal")).to_contain_text("●")
    expect(run.timeline_entries("legal_review")).to_contain_text("with group Legal")  # by its label, not its id

    # The reassign form offers people by display name: nobody types a user name.
    run.reassign("Review contract terms", "user", "Alice Legal")
    expect(run.page.get_by_role("status")).to_contain_text("reassigned to Alice Legal")
    expect(run.timeline_entries("legal_review")).to_contain_text("with Alice Legal")
    (item,) = api("ops").work_items(run=run_id)
    assert item["assignee"] == {"type": "user", "value": "alice"}
    # The timeline follows the run live: alice approves, the next stage appears.
    api("alice").complete(item["id"], "approve", {"notes": "ok"})
    expect(run.timeline_entries("legal_review")).to_contain_text("by Alice Legal")
    expect(run.current_stage).to_have_text("Finance review")


#: Keeps every websocket the page opens (and its URL), so that a test can drop one.
RECORD_SOCKETS = """
const Native = window.WebSocket;
window.__sockets = [];
window.WebSocket = class extends Native {
  constructor(url, protocols) { super(url, protocols); window.__sockets.push(this); }
};
"""


def test_the_overlay_resumes_after_a_dropped_connection_without_missing_a_change(login_as, api):
    page = login_as("ops").new_page()
    page.add_init_script(RECORD_SOCKETS)
    monitor = MonitorPage(page).open("contract_approval").wait_until_live()
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": "Reconnect e2e", "customer": "Hooli", "amount": 700, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]
    alice = api("alice")
    alice.wait_for_run(run_id, stage="legal")
    (item,) = [i for i in alice.work_items(mine=1) if i["run_id"] == run_id]
    completed = monitor.figure("legal_review", "completed")

    # The stream drops; the change happens while the page reconnects.
    page.evaluate("window.__sockets.filter(s => s.url.includes('/ws/live')).forEach(s => s.close())")
    alice.complete(item["id"], "approve", {"notes": "while offline"})

    monitor.expect_figure("legal_review", "completed", completed + 1)
    urls = page.evaluate("window.__sockets.map(s => s.url).filter(u => u.includes('/ws/live'))")
    assert len(urls) >= 2 and "after=" in urls[-1], urls
    expect(monitor.live_state).to_have_text("Live")
    monitor.expect_figure("legal_review", "completed", completed + 1)  # counted once


def test_ops_download_a_run_as_a_test_that_replays_it(login_as, api, tmp_path):
    run_id, alice, item = submit_contract(api, "Replay e2e", "Hooli", 900)
    alice.complete(item["id"], "approve", {"notes": "replay me"})

    run = RunPage(login_as("ops").new_page()).open(run_id)
    expect(run.current_stage).to_have_text("Finance review")
    with run.page.expect_download() as caught:
        run.page.get_by_role("toolbar", name="Run controls").get_by_role("link", name="Download as test").click()
    download = caught.value
    assert download.suggested_filename == f"contract_approval-{run_id[:8]}.scenario.yaml"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = path.read_text()
    assert "orchestration: contract_approval" in text

    scenario = load_scenario(text, source=str(path))
    assert {"complete": "legal_review", "as": "alice", "outcome": "approve", "values": {"notes": "replay me"}} in scenario.steps
    version = api("ops").get(f"/api/orchestrations/contract_approval/versions/{scenario.version}")
    result = run_scenario(scenario, document=version["document"])
    assert result.passed, result.report()
    assert result.path == ["legal", "finance"]
