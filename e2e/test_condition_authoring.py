"""Conditions written without the manual: an admin picks every name from suggestions.

An admin adds an option to a record type's enumerated field in Admin › Record types; in the
builder they choose the trigger's record type from a pick list, then write the decision after
the first stage only by clicking suggestions: a form field of the earlier step (its label and
type shown, a yes/no compared with true) and a record field whose value comes from the field's
options (the new one among them). The draft saves without an issue, and runs really branch by
the condition: a record that fits it takes the fast track, one that does not the default path.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from e2e.fixtures.admin_pages import AdminPage
from e2e.fixtures.axe import check_accessibility
from e2e.fixtures.documents import unique_key
from e2e.fixtures.pages import BuilderPage

DECISION = "Condition of Fast track"


def refund_document(key: str) -> dict[str, Any]:
    """start → Intake (Triage: a form with "Approved?" and a note) → Route (Fast track | default) → Refund or Review → end.
    Started manually for now: the admin makes it record-triggered in the builder."""

    def stage(node_id: str, label: str, x: int) -> dict[str, Any]:
        return {
            "id": node_id,
            "type": "stage",
            "label": label,
            "entry": None,
            "exit": {"when": "all_steps"},
            "ui": {"x": x, "y": 0, "width": 300, "height": 160},
        }

    def step(node_id: str, stage_id: str, label: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": node_id,
            "type": "interactive",
            "stage": stage_id,
            "label": label,
            "start": {"when": "stage_start"},
            "assignee": {"type": "user", "value": "ada"},
            "form": {"fields": fields, "outcomes": [{"value": "done", "label": "Done"}]},
            "ui": {"x": 20, "y": 60},
        }

    return {
        "format": 1,
        "key": key,
        "label": "Refund requests",
        "trigger": {"type": "manual"},
        "nodes": [
            {"id": "start", "type": "start", "ui": {"x": 0, "y": 60}},
            stage("intake", "Intake", 120),
            step(
                "triage",
                "intake",
                "Triage",
                [{"name": "approved", "type": "boolean", "label": "Approved?"}, {"name": "note", "type": "text", "label": "Note"}],
            ),
            {
                "id": "route",
                "type": "decision",
                "label": "Route",
                "outcomes": [{"id": "fast", "label": "Fast track", "condition": ""}],
                "ui": {"x": 480, "y": 60},
            },
            stage("refund", "Refund", 660),
            step("pay", "refund", "Pay out", [{"name": "paid", "type": "boolean", "label": "Paid?"}]),
            stage("review", "Review", 660),
            step("second_look", "review", "Second look", []),
            {"id": "done", "type": "end", "label": "Done", "ui": {"x": 1040, "y": 60}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "intake"},
            {"id": "e2", "source": "intake", "target": "route"},
            {"id": "e3", "source": "route", "target": "refund", "outcome": "fast"},
            {"id": "e4", "source": "route", "target": "review", "outcome": "default"},
            {"id": "e5", "source": "refund", "target": "done"},
            {"id": "e6", "source": "review", "target": "done"},
        ],
    }


def set_theme(page: Page, theme: str) -> None:
    # The theme store reads it on start (frontend/src/store/theme-store.ts).
    page.evaluate("(theme) => localStorage.setItem('overture.theme', theme)", theme)
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", theme)


def test_an_admin_writes_a_condition_from_suggestions_only_and_runs_follow_it(login_as, api):
    admin_api = api("admin")
    record_type = unique_key("request")
    admin_api.post(
        "/api/record-types",
        {
            "name": record_type,
            "label": f"Request {record_type[-6:]}",
            "fields": [
                {"name": "title", "type": "string", "required": True},
                {"name": "kind", "type": "string", "label": "Kind", "required": True, "options": ["refund", "exchange"]},
            ],
        },
    )
    key = unique_key("refunds")
    admin_api.create_orchestration(refund_document(key))
    page = login_as("admin").new_page()

    # Admin › Record types: "repair" becomes an option of Kind.
    admin = AdminPage(page).open("record-types")
    admin.add_record_type_option(record_type, "Kind", "repair", screenshot="/tmp/conditions-admin-editor.png")
    expect(admin.record_type(record_type).get_by_role("row").filter(has_text="Kind")).to_contain_text("refund, exchange, repair")
    page.screenshot(path="/tmp/conditions-admin-options.png")
    card = admin.record_type(record_type)
    for theme in ("light", "dark"):
        set_theme(page, theme)
        card.get_by_role("button", name=re.compile(r"^Edit fields of ")).click()
        expect(card.get_by_role("list", name="Options of Kind")).to_contain_text("repair")
        check_accessibility(page, f"the record type editor ({theme})")
        card.screenshot(path=f"/tmp/conditions-admin-editor-{theme}.png")
        card.get_by_role("button", name="Cancel", exact=True).click()
    set_theme(page, "light")

    # The trigger's record type, from a pick list of the types an admin defined.
    builder = BuilderPage(page).open(key)
    inspector = builder.inspector
    inspector.get_by_label("Started", exact=True).select_option("record")
    record_types = inspector.get_by_label("Record type", exact=True)
    expect(record_types.locator("option", has_text=record_type)).to_have_count(1)
    record_types.select_option(record_type)

    # The decision after Intake: every name clicked from the suggestions.
    builder.inspect("route")
    assert builder.add_condition_row(DECISION) == 1
    listbox = builder.suggestions(DECISION, "Field 1")
    builder.condition(DECISION).get_by_role("combobox", name="Field 1", exact=True).click()
    expect(listbox.get_by_role("option").filter(has_text="steps.triage.outputs.approved")).to_contain_text("Triage › Approved?")
    expect(listbox.get_by_role("option").filter(has_text="steps.triage.outputs.approved")).to_contain_text("yes/no")
    # Steps after the decision have not finished when it is evaluated: not offered.
    expect(listbox.get_by_role("option").filter(has_text="steps.pay.")).to_have_count(0)
    page.keyboard.press("Escape")
    builder.choose_name(DECISION, "Field 1", "approved", "Triage › Approved?")
    condition = builder.condition(DECISION)
    expect(condition.get_by_label("Value 1", exact=True)).to_have_value("true")  # a yes/no compares with true/false

    assert builder.add_condition_row(DECISION) == 2
    builder.choose_name(DECISION, "Field 2", "kind", "› Kind")
    value = condition.get_by_label("Value 2", exact=True)
    expect(value.locator("option")).to_have_text(["Choose a value…", "refund", "exchange", "repair"])
    value.select_option("refund")
    expected = "steps.triage.outputs.approved == true && record.kind == 'refund'"
    expect(builder.condition_cel(DECISION)).to_have_text(f"As CEL: {expected}")
    page.screenshot(path="/tmp/conditions-decision-light.png")

    # The suggestions open again, light and dark, for a look at them.
    condition.get_by_role("combobox", name="Field 2", exact=True).click()
    expect(builder.suggestions(DECISION, "Field 2")).to_be_visible()
    page.screenshot(path="/tmp/conditions-suggestions-light.png")
    check_accessibility(page, "the condition builder's suggestions (light)")
    page.keyboard.press("Escape")

    builder.save()
    builder.check_for_issues()
    expect(builder.errors()).to_have_count(0)
    saved = admin_api.orchestration(key)["draft"]["document"]
    assert saved["trigger"]["object"] == record_type
    assert next(n for n in saved["nodes"] if n["id"] == "route")["outcomes"][0]["condition"] == expected

    set_theme(page, "dark")
    builder.wait_until_ready()
    builder.inspect("route")
    builder.condition(DECISION).get_by_role("combobox", name="Field 2", exact=True).click()
    expect(builder.suggestions(DECISION, "Field 2")).to_be_visible()
    page.screenshot(path="/tmp/conditions-suggestions-dark.png")
    check_accessibility(page, "the condition builder's suggestions (dark)")
    page.keyboard.press("Escape")
    set_theme(page, "light")

    # The condition really decides: a refund approved takes the fast track, an exchange does not.
    admin_api.activate(key)

    def run_for(kind: str) -> str:
        saved_record = admin_api.post(f"/api/records/{record_type}", {"fields": {"title": f"A {kind}", "kind": kind}})
        (run_id,) = saved_record["started_runs"]
        admin_api.wait_for_run(run_id, stage="intake")
        (item,) = admin_api.work_items(run=run_id)
        admin_api.complete(item["id"], "done", {"approved": True, "note": "fine"})
        return run_id

    admin_api.wait_for_run(run_for("refund"), stage="refund")
    admin_api.wait_for_run(run_for("exchange"), stage="review")
