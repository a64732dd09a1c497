"""Ops repair a run in error (docs/ARCHITECTURE.md §3): Retry says it failed again, ops
edit the failing step's input, retry and see the run complete; a member sees no repair."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.fixtures.axe import check_accessibility
from e2e.fixtures.documents import one_step, unique_key
from e2e.fixtures.pages import MonitorPage, RunPage


def update_orchestration(admin, label: str, fields: str) -> str:
    """An active orchestration whose one step (``label``) runs record.update with ``fields``; its key."""
    key = unique_key("repair")
    step = {
        "id": "update",
        "type": "background",
        "label": label,
        "action": "record.update",
        "inputs": {"fields": fields},
        "retry": {"max_attempts": 1},
    }
    admin.create_orchestration(one_step(key, step, label="E2E repair", stage="Work"))
    admin.activate(key)
    return key


def test_ops_fix_a_failed_step_input_retry_and_see_it_complete(login_as, api):
    admin = api("admin")
    type_name = unique_key("ticket")
    admin.post(
        "/api/record-types", {"name": type_name, "label": "E2E ticket", "fields": [{"name": "title", "type": "string", "required": True}]}
    )
    record = admin.post(f"/api/records/{type_name}", {"fields": {"title": "Printer on fire"}})
    key = update_orchestration(admin, "Set priority", "{'priority': 'high'}")
    run_id = admin.start_run(key, record={"object": type_name, "id": record["id"]})["id"]
    admin.wait_for_run(run_id, status="error")

    run = RunPage(login_as("otto").new_page()).open(run_id)
    expect(run.failing_step).to_have_text("Set priority")
    run.control("Retry")  # nothing changed: it fails again, and says so
    expect(run.notice).to_contain_text("Retry: failed again")
    expect(run.notice).to_contain_text("the fields do not fit the record type")
    expect(run.status).to_have_text("In error")

    expect(run.repair).to_be_visible()
    check_accessibility(run.page, "run in error with its repair moves")
    run.edit_input("Set priority", "fields", '{"title": "Printer fixed"}')
    expect(run.notice).to_contain_text("Inputs of Set priority: saved")
    expect(run.repair).to_contain_text('now: {"title":"Printer fixed"}')
    run.page.screenshot(path="/tmp/run-repair-edited.png", full_page=True)
    run.control("Retry")
    expect(run.notice).to_have_text("Retry: the run completed.")
    expect(run.status).to_have_text("Completed")
    expect(run.repair).to_have_count(0)
    expect(run.timeline_entries("update").first).to_contain_text("inputs edited by Otto Ops")
    run.page.screenshot(path="/tmp/run-repair-done.png", full_page=True)
    assert admin.get(f"/api/records/{type_name}/{record['id']}")["fields"]["title"] == "Printer fixed"
    edits = [e for e in admin.get(f"/api/runs/{run_id}/events?limit=200")["items"] if e["type"] == "step.inputs_edited"]
    assert [(e["by"], e["data"]["changes"][0]["new"]) for e in edits] == [("otto", {"title": "Printer fixed"})]


def test_a_member_sees_no_repair_moves(login_as, api):
    admin = api("admin")
    key = update_orchestration(admin, "Update nothing", "{'status': 'x'}")  # no record: fails at once
    run_id = api("fiona").start_run(key)["id"]  # fiona started it, so she may see it
    admin.wait_for_run(run_id, status="error")
    run = RunPage(login_as("fiona").new_page()).open(run_id)
    expect(run.status).to_have_text("In error")
    expect(run.error).to_be_visible()
    expect(run.repair).to_have_count(0)
    expect(run.page.get_by_role("form", name="Inputs of Update nothing")).to_have_count(0)
    assert api("fiona").status_of("PATCH", f"/api/runs/{run_id}/steps/update/inputs", {"inputs": {"fields": {}}}) == 403


def test_the_monitor_flags_a_stage_in_error_with_icons_that_render_and_a_legend(login_as, api):
    admin = api("admin")
    key = update_orchestration(admin, "Update nothing", "{'status': 'x'}")  # no record: fails at once
    admin.wait_for_run(admin.start_run(key)["id"], status="error")

    monitor = MonitorPage(login_as("otto").new_page()).open(key).wait_until_live()
    monitor.expect_figure("work", "error", 1)
    # No time spent anywhere (nothing completed): the stage in error is flagged all the same.
    expect(monitor.page.get_by_test_id("flagged")).to_have_text("Needs attention: Update nothing 1 in error · Work 1 in error")
    expect(monitor.node("work").locator(".node--stage, .node").first).to_have_class(re.compile(r"heat--error"))
    figures = monitor.page.get_by_test_id("figures-work")
    expect(figures.locator("svg[data-icon=waiting]")).to_have_count(1)
    assert not re.search("[\u23f8\u23f0]", figures.inner_text())
    legend = monitor.page.get_by_role("list", name="Legend", exact=True)
    for words in ("Active now", "Waiting now", "In error now", "Overdue work items", "Runs in error here"):
        expect(legend).to_contain_text(words)
    check_accessibility(monitor.page, "monitor with a flagged stage and the legend")
    monitor.page.screenshot(path="/tmp/monitor-flagged.png", full_page=True)
