"""Issue 16's journey, each person in their own browser: a run of legal -> finance -> end sits
at finance (an open item for the finance group); the admin deploys version 2, which adds a
Compliance stage after Finance; ops finds "Move runs to version 2…" on the runs list, reads
the mapping and the dry run ("1 can move"), applies and watches it complete; the finance
person completes their item; the compliance reviewer then has the new stage's work in My
work, and the run page shows Compliance."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from e2e.fixtures.axe import check_accessibility
from e2e.fixtures.documents import unique_key
from e2e.fixtures.pages import RunPage
from e2e.fixtures.shell_pages import Shell
from e2e.fixtures.work_pages import MyWorkPage

SHOTS = "/tmp/migrate-runs"


def _stage(stage_id: str, label: str, x: int) -> dict[str, Any]:
    return {
        "id": stage_id,
        "type": "stage",
        "label": label,
        "entry": None,
        "exit": {"when": "all_steps"},
        "ui": {"x": x, "y": 0, "width": 280, "height": 200},
    }


def _step(step_id: str, stage: str, label: str, assignee: dict[str, str], outcome: tuple[str, str]) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "interactive",
        "stage": stage,
        "label": label,
        "start": {"when": "stage_start"},
        "assignee": assignee,
        "form": {"fields": [], "outcomes": [{"value": outcome[0], "label": outcome[1]}]},
        "ui": {"x": 24, "y": 56},
    }


def version_1(key: str, label: str) -> dict[str, Any]:
    """start -> Legal (Legal review, the legal group) -> Finance (Approve budget, the finance group) -> Done."""
    return {
        "format": 1,
        "key": key,
        "label": label,
        "trigger": {"type": "manual"},
        "nodes": [
            {"id": "start", "type": "start", "ui": {"x": 0, "y": 100}},
            _stage("legal", "Legal", 120),
            _step("legal_review", "legal", "Legal review", {"type": "group", "value": "legal"}, ("ok", "Looks fine")),
            _stage("finance", "Finance", 460),
            _step("approve_budget", "finance", "Approve budget", {"type": "group", "value": "finance"}, ("approved", "Approve")),
            {"id": "done", "type": "end", "label": "Done", "ui": {"x": 820, "y": 100}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "legal"},
            {"id": "e2", "source": "legal", "target": "finance"},
            {"id": "e3", "source": "finance", "target": "done"},
        ],
    }


def version_2(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 with a Compliance stage after Finance (Compliance check, for Erin)."""
    v2 = copy.deepcopy(document)
    done = next(n for n in v2["nodes"] if n["id"] == "done")
    done["ui"]["x"] = 1160
    v2["nodes"][-1:-1] = [
        _stage("compliance", "Compliance", 800),
        _step("compliance_check", "compliance", "Compliance check", {"type": "user", "value": "erin"}, ("cleared", "Cleared")),
    ]
    v2["edges"] = [
        {"id": "e1", "source": "start", "target": "legal"},
        {"id": "e2", "source": "legal", "target": "finance"},
        {"id": "e3", "source": "finance", "target": "compliance"},
        {"id": "e4", "source": "compliance", "target": "done"},
    ]
    return v2


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


def test_ops_moves_a_run_at_finance_to_a_version_with_compliance_and_the_next_person_sees_it(login_as, api):
    n = uuid.uuid4().hex[:6]
    key, label = unique_key("purchase"), f"Purchase approval {n}"

    # Version 1, and a run that legal has passed: it sits at Finance, with Fiona's group's item open.
    admin = api("admin")
    v1 = version_1(key, label)
    admin.create_orchestration(v1)
    assert admin.activate(key) == 1
    run_id = admin.start_run(key)["id"]
    (legal_item,) = api("alice").work_items(run=run_id, mine=1)
    api("alice").complete(legal_item["id"], "ok")
    admin.wait_for_run(run_id, stage="finance")

    # The admin deploys version 2: a Compliance stage after Finance.
    admin.save_draft(version_2(v1))
    assert admin.activate(key) == 2

    # Ops finds the action on the runs list, once the orchestration is chosen.
    ops = login_as("ops").new_page()
    ops.goto("/")
    Shell(ops).go("Runs")
    ops.get_by_role("combobox", name="Orchestration").select_option(label=label)
    action = ops.get_by_role("link", name="Move runs to version 2…")
    expect(action).to_be_visible()
    expect(ops.get_by_test_id("migration-action")).to_contain_text("Some runs are still on version 1.")
    shot(ops, "1-runs-list")
    action.click()

    # Step 1: from version 1 (the only one with live runs) to version 2 (the active one).
    expect(ops.get_by_role("heading", level=1, name=f"Move runs of {label} to version 2")).to_be_visible()
    expect(ops.get_by_role("navigation", name="Breadcrumb")).to_contain_text(label)
    expect(ops.get_by_role("checkbox", name="Version 1")).to_be_checked()
    expect(ops.get_by_label("To version")).to_have_value("2")
    shot(ops, "2-versions")

    # Step 2: both versions side by side; every node of version 1 keeps its place, Compliance is new.
    ops.get_by_role("button", name="Next: mapping").click()
    expect(ops.get_by_role("heading", name="Where each node lands")).to_be_visible()
    before = ops.get_by_role("figure", name="Version 1 (now)")
    after = ops.get_by_role("figure", name="Version 2 (after the move)")
    expect(before.get_by_text("Finance", exact=False).first).to_be_visible()
    expect(after.get_by_text("Compliance (new)")).to_be_visible()
    expect(ops.get_by_test_id("unmapped")).to_have_count(0)
    expect(ops.get_by_test_id("new-nodes")).to_have_text("New in version 2: Compliance, Compliance check.")
    expect(ops.get_by_role("combobox", name="Where Finance goes in version 2")).to_have_value("finance")
    shot(ops, "3-mapping")
    check_accessibility(ops, "migrate: mapping")
    # On a window narrower than two readable canvases they are one above the other; side by side on demand.
    ops.get_by_role("button", name="Show side by side").click()
    expect(ops.get_by_role("button", name="Show one above the other")).to_be_visible()
    shot(ops, "3b-mapping-side-by-side")

    # Step 3: the dry run says it can move, and names the run and where it sits.
    ops.get_by_role("button", name="Next: dry run").click()
    expect(ops.get_by_test_id("dry-run-summary")).to_have_text(re.compile(r"^1 can move"))
    runs_table = ops.get_by_role("region", name="Dry run").get_by_role("table")
    expect(runs_table.get_by_role("row").nth(1)).to_contain_text("Finance")
    expect(runs_table.get_by_role("row").nth(1)).to_contain_text("Yes")
    shot(ops, "4-dry-run")
    check_accessibility(ops, "migrate: dry run")

    # Step 4: apply after the confirmation; the progress ends with it moved.
    ops.get_by_role("button", name="Next: apply").click()
    ops.get_by_role("button", name="Move 1 run…").click()
    dialog = ops.get_by_role("dialog", name="Move 1 run to version 2?")
    expect(dialog).to_be_visible()
    shot(ops, "5-confirm")
    dialog.get_by_role("button", name="Move runs").click()
    progress = ops.get_by_test_id("migration-progress")
    expect(progress.get_by_role("status")).to_contain_text("Done.", timeout=30_000)
    expect(progress.get_by_role("status")).to_contain_text("moved 1 of 1")
    expect(progress.get_by_role("cell", name="Moved")).to_be_visible()
    expect(progress.get_by_test_id("migration-summary")).to_have_text("1 run moved to version 2.")
    shot(ops, "6-done")
    assert admin.run(run_id)["version"] == 2

    # The way back: the runs list on version 2 shows the run there.
    ops.get_by_role("link", name="See the runs on version 2").click()
    expect(ops).to_have_url(re.compile(rf"/runs\?orchestration={key}&version=2$"))
    expect(ops.get_by_test_id(f"run-{run_id}")).to_contain_text("Finance")

    # Fiona (finance) completes her item in the Work Guide, in her own browser.
    fiona = login_as("fiona").new_page()
    MyWorkPage(fiona).open()
    item = MyWorkPage(fiona).open_item(label)
    item.choose("Approve")
    expect(item.notice).to_contain_text("Done: Approve budget")

    # Erin, the compliance reviewer, now has the new stage's work.
    erin = login_as("erin").new_page()
    work = MyWorkPage(erin).open()
    expect(work.row(label)).to_contain_text("Compliance check")
    shot(erin, "7-erin-my-work")
    check = work.open_item(label)
    check.expect_stage("Compliance")

    # The run page shows it at Compliance, on version 2.
    run_page = RunPage(ops).open(run_id)
    expect(run_page.current_stage).to_have_text("Compliance")
    # Its timeline says, at the stage it was in, who moved it to which version.
    expect(ops.get_by_test_id("timeline-finance")).to_contain_text("moved from version 1 to version 2 by Otto Ops")
    shot(ops, "8-run-page")


def test_a_stage_removed_without_a_mapping_is_refused_until_ops_maps_it(login_as, api):
    """Version 2 renames Finance (a new id): the run sitting there cannot move until ops maps
    the old stage and its step to the new ones; the dry run says why, by name, then that it can."""
    n = uuid.uuid4().hex[:6]
    key, label = unique_key("purchase"), f"Purchase renamed {n}"
    admin = api("admin")
    v1 = version_1(key, label)
    admin.create_orchestration(v1)
    admin.activate(key)
    run_id = admin.start_run(key)["id"]
    (legal_item,) = api("alice").work_items(run=run_id, mine=1)
    api("alice").complete(legal_item["id"], "ok")
    admin.wait_for_run(run_id, stage="finance")
    v2 = copy.deepcopy(v1)
    for node in v2["nodes"]:
        if node["id"] == "finance":
            node.update(id="budget_review", label="Budget review")
        elif node["id"] == "approve_budget":
            node.update(id="sign_off", stage="budget_review", label="Sign off the budget")
    for edge in v2["edges"]:
        edge["source"] = "budget_review" if edge["source"] == "finance" else edge["source"]
        edge["target"] = "budget_review" if edge["target"] == "finance" else edge["target"]
    admin.save_draft(v2)
    assert admin.activate(key) == 2

    # From the monitor this time.
    ops = login_as("ops").new_page()
    ops.goto(f"/monitor/{key}")
    ops.get_by_role("link", name="Move runs to version 2…").click()
    # By keyboard: the next step takes the focus.
    ops.get_by_role("button", name="Next: mapping").focus()
    ops.keyboard.press("Enter")
    expect(ops.get_by_role("region", name="Where each node lands")).to_be_focused()
    expect(ops.get_by_test_id("unmapped")).to_contain_text("2 nodes of version 1 have no place in version 2")
    expect(ops.get_by_role("figure", name="Version 1 (now)").get_by_text("Finance — removed, map it")).to_be_visible()
    shot(ops, "r1-removed")

    # The dry run refuses it and says why, by name.
    ops.get_by_role("button", name="Next: dry run").click()
    expect(ops.get_by_test_id("dry-run-summary")).to_contain_text("0 can move; 1 cannot")
    expect(ops.get_by_test_id("refusal-groups")).to_contain_text("1 sits on Finance, removed in version 2 without a mapping")
    expect(ops.get_by_text("No run can move with this plan")).to_be_visible()
    expect(ops.get_by_role("button", name="Next: apply")).to_be_disabled()
    shot(ops, "r2-refused")

    # Ops maps Finance and its step, and the dry run again says it can move.
    ops.get_by_test_id("refusal-groups").get_by_role("button", name="Map it").click()
    ops.get_by_role("combobox", name="Where Finance goes in version 2").select_option(label="Budget review")
    ops.get_by_role("combobox", name="Where Approve budget goes in version 2").select_option(label="Sign off the budget (in Budget review)")
    expect(ops.get_by_test_id("unmapped")).to_have_count(0)
    expect(ops.get_by_role("figure", name="Version 2 (after the move)").get_by_text("Budget review (mapped)")).to_be_visible()
    shot(ops, "r3-mapped")
    ops.get_by_role("button", name="Next: dry run").click()
    expect(ops.get_by_test_id("dry-run-summary")).to_have_text(re.compile(r"^1 can move"))
    ops.get_by_role("button", name="Next: apply").click()
    ops.get_by_role("button", name="Move 1 run…").click()
    ops.get_by_role("dialog").get_by_role("button", name="Move runs").click()
    expect(ops.get_by_test_id("migration-summary")).to_have_text("1 run moved to version 2.", timeout=30_000)
    run = admin.wait_for_run(run_id, stage="budget_review")
    assert run["version"] == 2
