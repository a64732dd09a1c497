"""Starting runs from the UI and the builder's Test run, in real browsers: an admin starts a
run from the orchestrations list with the form generated from its inputs; a member starts
one from the list and is told the first step is theirs; the monitor and the builder offer
"Start run" only for active orchestrations started by hand; a Test run walks a draft to
its end as two personas and is saved as a scenario that the Tests panel lists.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import BuilderPage


def with_inputs(key: str, label: str, assignee: dict[str, str] | None = None) -> dict[str, Any]:
    """``one_stage`` with a required number input and an optional text one (with a default)."""
    document = one_stage(key, label)
    document["inputs"] = [
        {"name": "amount", "type": "number", "required": True, "label": "Amount", "description": "In euros, VAT included"},
        {"name": "reason", "type": "string", "label": "Reason", "default": "travel"},
    ]
    if assignee is not None:
        document["nodes"][2]["assignee"] = assignee
    return document


def two_stages(key: str, label: str) -> dict[str, Any]:
    """``with_inputs`` plus a second stage whose step the finance group does."""
    document = with_inputs(key, label)
    document["nodes"][3:3] = [
        {"id": "payment", "type": "stage", "label": "Payment", "ui": {"x": 560, "y": 0, "width": 320, "height": 200}},
        {
            "id": "pay",
            "type": "interactive",
            "stage": "payment",
            "label": "Pay it",
            "assignee": {"type": "group", "value": "finance"},
            "form": {
                "fields": [{"name": "reference", "type": "text", "label": "Payment reference", "required": True}],
                "outcomes": [{"value": "paid", "label": "Paid"}],
            },
            "ui": {"x": 24, "y": 56},
        },
    ]
    document["nodes"][-1]["ui"] = {"x": 1000, "y": 100}
    document["edges"] = [
        {"id": "e1", "source": "start", "target": "review"},
        {"id": "e2", "source": "review", "target": "payment"},
        {"id": "e3", "source": "payment", "target": "done"},
    ]
    return document


def deployed(admin: Any, document: dict[str, Any]) -> str:
    admin.create_orchestration(document)
    admin.activate(document["key"])
    return str(document["key"])


def start_from_the_list(page: Page, label: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=f"Start run of {label}").click()
    expect(page.get_by_role("heading", level=1, name=f"Start a run: {label}")).to_be_visible()


def test_admin_starts_a_run_from_the_list_with_the_generated_form(login_as, api):
    label = f"Expense {unique_key('x')}"
    key = deployed(api("admin"), with_inputs(unique_key("expense"), label))
    page = login_as("admin").new_page()
    start_from_the_list(page, label)
    expect(page.get_by_label("Reason")).to_have_value("travel")
    expect(page.get_by_text("In euros, VAT included")).to_be_visible()

    page.get_by_role("button", name="Start run").click()
    amount = page.get_by_label("Amount *")
    expect(page.get_by_text("Amount is required")).to_be_visible()
    expect(amount).to_have_attribute("aria-invalid", "true")
    page.screenshot(path="/tmp/startrun-required.png", full_page=True)

    amount.fill("120")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    run = api("admin").run(run_id)
    assert run["orchestration"] == key and run["inputs"] == {"amount": 120, "reason": "travel"} and run["started_by"] == "ada"
    page.screenshot(path="/tmp/startrun-run.png", full_page=True)


def test_a_member_starts_a_run_and_is_told_the_first_step_is_theirs(login_as, api):
    label = f"Leave {unique_key('x')}"
    key = deployed(api("admin"), with_inputs(unique_key("leave"), label, {"type": "user", "value": "sam"}))
    page = login_as("sam").new_page()
    start_from_the_list(page, label)
    page.get_by_label("Amount *").fill("3")
    page.get_by_role("button", name="Start run").click()
    notice = page.get_by_test_id("started-with-work")
    expect(notice).to_contain_text("Check it")
    page.screenshot(path="/tmp/startrun-member.png", full_page=True)
    notice.get_by_role("link", name="See the run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]+$"))
    assert api("sam").run(page.url.rsplit("/", 1)[1])["orchestration"] == key


def test_start_run_is_offered_only_for_active_orchestrations_started_by_hand(login_as, api):
    admin = api("admin")
    manual = deployed(admin, with_inputs(unique_key("manual"), f"Manual {unique_key('x')}"))
    never = unique_key("never")
    admin.create_orchestration(with_inputs(never, f"Never {never}"))
    page = login_as("admin").new_page()

    page.goto(f"/monitor/{manual}")
    expect(page.get_by_role("link", name="Start run")).to_have_attribute("href", f"/orchestrations/{manual}/start")
    page.goto("/monitor/contract_approval")  # seeded active, started by a contract's save
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contract approval")
    expect(page.get_by_role("link", name="Open in the builder")).to_be_visible()
    expect(page.get_by_role("link", name="Start run")).to_have_count(0)

    BuilderPage(page).open(manual)
    expect(page.get_by_role("link", name="Start run")).to_be_visible()
    BuilderPage(page).open(never)
    expect(page.get_by_role("button", name="Test run", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Start run")).to_have_count(0)

    # The list: the record-triggered template says what starts it; its page links to creating a record.
    page.goto("/")
    expect(page.get_by_role("link", name=f"Start run of Never {never}")).to_have_count(0)
    page.get_by_role("link", name="Starts on a contract record (Contract approval)").click()
    expect(page.get_by_test_id("record-trigger")).to_contain_text("Starts when a Contract is created or updated with")
    page.screenshot(path="/tmp/startrun-record-trigger.png", full_page=True)
    page.get_by_role("link", name="Create a contract").click()
    expect(page).to_have_url(re.compile(r"/records/contract$"))


def test_a_test_run_walks_the_draft_as_two_personas_and_becomes_a_scenario(login_as, api):
    key = unique_key("walk")
    api("admin").create_orchestration(two_stages(key, f"Walk {key}"))
    page = login_as("admin").new_page()
    builder = BuilderPage(page).open(key)
    page.get_by_role("button", name="Test run", exact=True).click()
    panel = page.locator("section.test-run")
    expect(panel.get_by_role("heading", name="Test run of the draft")).to_be_visible()

    panel.get_by_label("Amount *").fill("80")
    panel.get_by_role("button", name="Start test run").click()
    review = panel.get_by_test_id("test-run-item-check")
    expect(review).to_contain_text("Check it")
    expect(review.get_by_label("Act as")).to_have_value("legal")
    # The canvas shows where the run is.
    expect(page.get_by_test_id("path-review")).to_be_visible()
    review.get_by_role("button", name="Done").click()

    payment = panel.get_by_test_id("test-run-item-pay")
    expect(payment.get_by_label("Act as")).to_have_value("finance")
    payment.get_by_role("button", name="Paid").click()
    expect(payment.get_by_text("Payment reference is required")).to_be_visible()
    payment.get_by_label("Payment reference *").fill("PAY-1")
    payment.get_by_role("button", name="Paid").click()

    expect(panel.get_by_test_id("test-run-state")).to_have_attribute("data-status", "completed")
    expect(panel.get_by_test_id("test-run-log").locator("li")).to_have_text(
        [
            'Started with {"amount":80,"reason":"travel"}',
            "legal completed Check it: done",
            'finance completed Pay it: paid {"reference":"PAY-1"}',
        ]
    )
    page.screenshot(path="/tmp/startrun-test-run.png", full_page=True)

    panel.get_by_label("Scenario name").fill("Paid after review")
    panel.get_by_role("button", name="Save as scenario").click()
    expect(panel.get_by_role("status").filter(has_text="Saved as scenario")).to_contain_text("paid-after-review")
    builder.open_tests()
    expect(builder.scenario("paid-after-review")).to_be_visible()
    builder.run_scenario("paid-after-review")
    expect(builder.scenario("paid-after-review")).to_have_attribute("data-result", "passed")
    # Nothing of the test run was stored as a run.
    assert api("admin").get(f"/api/runs?orchestration={key}")["items"] == []
