"""The e2e fixtures themselves: the API helper (sessions, bearer tokens, waiting for a
run by polling the API), several people at once, and the views that are still stubs."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import MonitorPage, MyWorkPage


def test_api_helper_starts_a_run_and_waits_for_it_stage_by_stage(api, system_api):
    admin = api("admin")
    key = unique_key("api")
    admin.create_orchestration(one_stage(key))
    assert admin.activate(key) == 1

    run = system_api.start_run(key)  # a system, with a bearer token
    at_review = admin.wait_for_run(run["id"], stage="review", status="in_progress")
    assert at_review["ball"][0]["value"] == "legal"

    alice = api("alice")
    item = next(i for i in alice.work_items(mine=1) if i["run_id"] == run["id"])
    alice.complete(item["id"], "done")
    done = admin.wait_for_run(run["id"], status="completed")
    assert [s["status"] for s in done["stages"]] == ["completed"]
    assert next(s for s in done["steps"] if s["id"] == "check")["completed_by"] == "alice"


def test_several_people_at_once_each_in_their_own_context(persona):
    # The plugin's personas: here the demo people (e2e/fixtures/browser.py).
    admin = persona("admin")
    ops = persona("ops")
    assert persona("admin") is admin and admin.context is not ops.context
    admin.goto("/")
    ops.goto("/builder/contract_approval")  # ops may read a draft
    expect(admin.locator("a[href='/builder/contract_approval']")).to_have_text("Contract approval")
    expect(ops.get_by_test_id("rf__node-legal")).to_be_visible()


def test_my_work_and_monitor_deep_links_survive_a_reload(login_as):
    page = login_as("member").new_page()
    work = MyWorkPage(page).open()
    page.reload()
    expect(work.heading).to_be_visible()
    monitor = MonitorPage(login_as("ops").new_page()).open("contract_approval")  # the monitor is for ops
    monitor.page.reload()
    expect(monitor.heading).to_be_visible()
    expect(work.nav.work_count).to_be_visible()  # the badge: the inbox socket answered
