"""Modelling traps in the builder: a step outcome nothing reads is a warning on its step.

A claim check that can reject, in a stage whose next node treats every outcome the same,
refunds rejected claims too. The server's validation says so (ARCHITECTURE §2,
"Validation"); here an admin sees it where they work: a mark on the step, the issue in
the Issues panel, and the message under the outcome in the properties panel.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import BuilderPage


def test_a_rejected_outcome_that_leads_nowhere_shows_a_warning_on_its_step(login_as, api):
    key = unique_key("claims")
    document = one_stage(key, "Refund claims")
    check = next(n for n in document["nodes"] if n["id"] == "check")
    check["label"] = "Verify claim"
    check["form"]["outcomes"] = [{"value": "valid", "label": "Claim is valid"}, {"value": "invalid", "label": "Reject claim"}]
    api("admin").create_orchestration(document)

    page = login_as("admin").new_page()
    builder = BuilderPage(page).open(key)
    builder.wait_until_ready()

    # The step carries the warning mark; the Issues panel names the step and the outcome.
    expect(builder.node("check").locator(".issue-mark--warning")).to_be_visible()
    issue = builder.issue_at("check", "form.outcomes[1].value")
    expect(issue).to_have_count(1)
    expect(issue).to_have_class(re.compile("issue--warning"))
    expect(issue).to_contain_text("outcome 'invalid' (Reject claim) is never read")
    expect(issue).to_contain_text("add a decision after stage 'review' with the condition steps.check.outcome == 'invalid'")

    # Choosing it selects the step; the properties panel shows the warning under that outcome.
    issue.click()
    builder.expect_selected("check")
    outcome = builder.inspector.locator("li.list-item").filter(has=page.get_by_label("Outcome value", exact=True)).nth(1)
    expect(outcome.locator(".field-issue--warning")).to_contain_text("is never read")
    page.screenshot(path="/tmp/traps-unread-outcome.png")

    # A warning does not block: the version activates.
    builder.activate()
    expect(builder.status).to_contain_text("Version 1 is active")
    page.screenshot(path="/tmp/traps-activated.png")
    assert api("admin").orchestration(key)["active_version"] == 1
