"""The builder's Tests panel in a real browser against a real server: an admin runs an
orchestration's stored scenarios, sees a failing one's diff after breaking it, has a bad
file refused by line, and draws coverage on the canvas next to production's figures
(runtime/testing/SCENARIOS.md, "In the builder").
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from e2e.fixtures.documents import unique_key
from e2e.fixtures.pages import BuilderPage

TEMPLATE_SCENARIOS = Path(__file__).resolve().parent.parent / "runtime" / "templates" / "scenarios" / "contract_approval"


def replacing(old: str, new: str):
    """A change of a scenario file: ``old`` (which must be there) becomes ``new``, once."""

    def change(text: str) -> str:
        assert old in text, f"{old!r} is not in the scenario file:\n{text}"
        return text.replace(old, new, 1)

    return change


def copy_of_contract_approval(admin, key: str) -> None:
    """A new orchestration from the shipped contract approval template (never activated, so
    records other tests create start no run of it), with two of the template's scenarios."""
    document = admin.get("/api/templates/contract_approval")["document"]
    admin.create_orchestration({**document, "key": key, "label": f"Contract approval {key}"})
    for name in ("small_deal_signed", "big_deal_withdrawn"):
        source = (TEMPLATE_SCENARIOS / f"{name}.scenario.yaml").read_text(encoding="utf-8")
        source = source.replace("orchestration: contract_approval", f"orchestration: {key}")
        admin.put(f"/api/orchestrations/{key}/scenarios/{name.replace('_', '-')}", {"source": source})


def open_copy_in_builder(login_as, api, prefix: str) -> tuple[str, BuilderPage]:
    """A fresh copy of contract approval (see above) open in the builder, its Tests panel showing."""
    key = unique_key(prefix)
    copy_of_contract_approval(api("admin"), key)
    builder = BuilderPage(login_as("admin").new_page()).open(key)
    builder.open_tests()
    return key, builder


def test_admin_runs_scenarios_sees_a_failing_diff_and_the_coverage(login_as, api):
    key, builder = open_copy_in_builder(login_as, api, "tested")
    panel = builder.tests_panel
    tally = panel.get_by_test_id("tests-tally")
    expect(tally).to_have_text("0 passed, 0 failed, 2 not run")

    builder.run_tests()
    expect(tally).to_have_text("2 passed, 0 failed")
    expect(builder.scenario("small-deal-signed")).to_have_attribute("data-result", "passed")
    expect(builder.scenario("big-deal-withdrawn")).to_have_attribute("data-result", "passed")
    expect(panel.get_by_test_id("coverage-summary")).to_contain_text("Nodes100 % (20 of 20)")

    # Both scenarios together go through every node but not every edge: the VP never approves.
    builder.show_coverage()
    expect(builder.coverage_of_node("vp")).to_have_attribute("data-coverage", "covered")
    expect(builder.coverage_of_edge("e_vp_ok")).to_have_attribute("data-coverage", "uncovered")
    expect(builder.node("vp_ok").locator("li.decision__outcome--default")).to_have_attribute("data-coverage", "uncovered")
    # Never activated: no production figures, and the panel says so.
    expect(panel).to_contain_text("No production figures")

    # One scenario alone: the big deal's stages are left uncovered, drawn dashed and marked ○.
    builder.run_scenario("small-deal-signed")
    expect(panel.get_by_text("Of the last run: 1 scenario against the draft.")).to_be_visible()
    expect(builder.coverage_of_node("vp")).to_have_attribute("data-coverage", "uncovered")
    expect(builder.coverage_of_node("vp")).to_contain_text("○ untested")
    expect(builder.node("vp").locator(".node--stage")).to_have_class(re.compile(r"\bcoverage--uncovered\b"))
    expect(builder.coverage_of_node("legal")).to_have_attribute("data-coverage", "covered")
    expect(builder.coverage_of_node("withdrawn")).to_have_attribute("data-coverage", "uncovered")

    # A file about another orchestration is refused, the problem shown with its line.
    editor = builder.edit_scenario("small-deal-signed", replacing(f"orchestration: {key}", "orchestration: elsewhere"))
    problems = editor.get_by_role("alert")
    expect(problems).to_contain_text("orchestration")
    expect(problems.get_by_role("button", name="line 7")).to_be_visible()
    editor.get_by_role("button", name="Cancel").click()

    # Expect the wrong stage after legal approves: the run fails there, with a diff.
    builder.edit_scenario("small-deal-signed", replacing("  - expect:\n      stage: finance\n", "  - expect:\n      stage: vp\n"))
    expect(panel.get_by_role("form")).to_have_count(0)
    expect(builder.scenario("small-deal-signed")).to_contain_text("(changed since)")
    builder.run_scenario("small-deal-signed")
    failed = builder.scenario("small-deal-signed")
    expect(failed).to_have_attribute("data-result", "failed")
    expect(tally).to_have_text("1 passed, 1 failed")
    failure = failed.get_by_test_id("test-failure")
    expect(failure).to_contain_text(re.compile(r"Step \d+ \(line 41\)"))
    diff = failure.get_by_label("Expected and actual")
    expect(diff).to_contain_text("vp")
    expect(diff).to_contain_text("finance")
    assert "monospace" in diff.evaluate("e => getComputedStyle(e).fontFamily")


def test_a_path_production_takes_but_no_scenario_reaches_stands_out(login_as):
    """The demo's contract approval: runs went through the VP and back to the rep; a
    scenario of a small deal alone leaves those paths untested — hot, untested."""
    page = login_as("admin").new_page()
    builder = BuilderPage(page).open("contract_approval")
    panel = builder.open_tests()
    expect(builder.scenario("small_deal_signed")).to_be_visible()
    # The active version: other tests may change the draft; running tests writes nothing.
    panel.get_by_label("Run against").select_option(value="active")
    builder.run_scenario("small_deal_signed")
    expect(builder.scenario("small_deal_signed")).to_have_attribute("data-result", "passed")

    builder.show_coverage()
    hot = panel.get_by_test_id("hot-untested")
    expect(hot).to_contain_text(re.compile(r"\d+ paths? taken in production ha(s|ve) no test"))
    expect(hot.get_by_role("button", name="Deal size → VP approval (big)")).to_be_visible()
    expect(builder.coverage_of_edge("e_big")).to_have_attribute("data-coverage", "hot-untested")
    expect(builder.coverage_of_node("vp")).to_have_attribute("data-coverage", "hot-untested")
    expect(builder.coverage_of_node("vp")).to_contain_text("⚠ hot, untested")
    expect(builder.coverage_of_node("legal")).to_contain_text(re.compile(r"✓ 1 · \d+ in prod\."))

    # Choosing a hot path selects its edge on the canvas.
    hot.get_by_role("button", name="Deal size → VP approval (big)").click()
    expect(page.get_by_test_id("rf__edge-e_big")).to_have_class(re.compile(r"\bselected\b"))

    builder.show_coverage(False)
    expect(page.locator("[data-coverage]")).to_have_count(0)


def test_admin_generates_path_tests_and_saves_one(login_as, api):
    key, builder = open_copy_in_builder(login_as, api, "generated")
    panel = builder.tests_panel
    panel.get_by_role("button", name="Generate path tests").click()
    proposed = panel.get_by_role("region", name="Generated path tests")
    expect(proposed).to_contain_text(re.compile(r"\d+ path tests proposed"))
    items = proposed.locator("li.generated__item")
    first = items.first
    expect(first).to_contain_text("Stages: Legal review → Finance review → Executive signature")
    name = first.get_by_role("checkbox").evaluate("box => box.parentElement.textContent.trim()")
    boxes = proposed.get_by_role("checkbox")
    for index in range(1, boxes.count()):
        boxes.nth(index).uncheck()
    proposed.get_by_role("button", name="Save 1 selected").click()
    expect(proposed).to_have_count(0)
    expect(builder.scenario(name)).to_be_visible()
    stored = [item["name"] for item in api("admin").get(f"/api/orchestrations/{key}/scenarios")["items"]]
    assert name in stored and len(stored) == 3

    builder.run_scenario(name)
    expect(builder.scenario(name)).to_have_attribute("data-result", "passed")
