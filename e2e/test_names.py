"""Names, not ids, where a person reads: the runs list names the orchestration, the record
and the current stage and filters by pick lists of names; the bell names the record a
notification is about ("Contract approval for <title>"). Each person in their own context."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e.fixtures.work_pages import MyWorkPage


def test_the_runs_list_and_the_bell_show_names(login_as, api):
    title = f"E2E names {uuid.uuid4().hex[:6]}"
    record = api("sam").post(
        "/api/records/contract", {"fields": {"title": title, "customer": "Initrode", "amount": 9000, "status": "submitted"}}
    )
    (run_id,) = record["started_runs"]

    ops = login_as("ops").new_page()
    ops.goto("/runs")
    filters = ops.get_by_role("form", name="Filter runs")
    # Pick lists of names: the orchestration, then its stages, then who holds work.
    filters.get_by_label("Orchestration").select_option(label="Contract approval")
    filters.get_by_label("Current stage").select_option(label="Legal review")
    filters.get_by_label("Assignee").select_option(label="Legal (group)")
    expect(ops).to_have_url(re.compile(r"orchestration=contract_approval.*stage=legal.*assignee=legal"))
    rows = ops.locator("table.runs__table tbody tr")
    expect(rows.filter(has_not_text="Legal review")).to_have_count(0)  # the list follows the pick lists
    row = ops.get_by_test_id(f"run-{run_id}")
    expect(row).to_contain_text("Contract approval")
    expect(row).to_contain_text("Legal review")
    expect(row).to_contain_text("group Legal")
    expect(row).not_to_contain_text("contract_approval")
    ops.screenshot(path="/tmp/names-runs.png", full_page=True)
    row.get_by_role("link", name=title).click()
    expect(ops).to_have_url(re.compile(rf"/records/contract/{record['id']}$"))
    expect(ops.get_by_role("heading", name=title, level=1)).to_be_visible()

    # A member's pick list of assignees names who holds open work on the runs she may see
    # (builder/queries.py, open_holders): alice is in legal, which holds the new run.
    alice_context = login_as("alice")
    member = alice_context.new_page()
    member.goto("/runs")
    member_filters = member.get_by_role("form", name="Filter runs")
    member_filters.get_by_label("Assignee").select_option(label="Legal (group)")
    expect(member).to_have_url(re.compile(r"assignee=legal"))
    expect(member.get_by_test_id(f"run-{run_id}")).to_contain_text("group Legal")
    member.screenshot(path="/tmp/names-runs-member.png", full_page=True)

    alice = alice_context.new_page()
    work = MyWorkPage(alice).open()
    work.nav.bell.click()
    bell = alice.get_by_role("region", name="Notifications")
    expect(bell.get_by_text(f"Contract approval for {title}")).to_be_visible()
    alice.screenshot(path="/tmp/names-bell.png")
