"""Issue 17's journey, each person in their own browser: an admin brings a Bizagi-style
claims process in with New orchestration → Import BPMN, reads the report beside the canvas
(what did not map, and where it was), fixes the one issue left on the canvas and activates
it; ops exports the active version as a BPMN file from the builder, and that file imports
back to the same document; a member is offered no import at all."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.fixtures.axe import check_accessibility
from e2e.fixtures.documents import unique_key
from e2e.fixtures.pages import BuilderPage
from runtime.bpmn import import_bpmn

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "runtime" / "bpmn" / "bizagi_claims.bpmn"
SHOTS = "/tmp/bpmn"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


def test_an_admin_imports_a_bpmn_file_fixes_it_on_the_canvas_and_ops_exports_it(login_as, api, tmp_path):
    key = unique_key("claims")

    # The admin picks the file: the label is the process's name, the key is the admin's.
    admin = login_as("admin").new_page()
    admin.goto("/")
    admin.get_by_role("button", name="New orchestration", exact=True).click()
    form = admin.get_by_role("form", name="New orchestration")
    form.get_by_label("Import BPMN").set_input_files(str(FIXTURE))
    expect(form.get_by_role("radio", name="BPMN file: bizagi_claims.bpmn")).to_be_checked()
    expect(form.get_by_label("Label", exact=True)).to_have_value("Claims handling")
    form.get_by_label("Key", exact=True).fill(key)
    shot(admin, "1-new-orchestration")
    form.get_by_role("button", name="Create orchestration").click()
    expect(admin).to_have_url(re.compile(rf"/builder/{key}$"))
    builder = BuilderPage(admin)
    builder.wait_until_ready()

    # The report is beside the canvas: what did not map, each with where it was and why.
    report = admin.get_by_role("region", name="Imported from bizagi_claims.bpmn")
    expect(admin.get_by_role("tab", name="Import report")).to_have_attribute("aria-selected", "true")
    expect(report.get_by_test_id("bpmn-report-summary")).to_contain_text("36 of 51 elements mapped; 15 not mapped")
    unmapped = report.get_by_role("list", name="Elements not mapped").get_by_role("listitem")
    expect(unmapped).to_have_count(15)
    expect(unmapped.filter(has_text="Claim form")).to_contain_text("message flow")
    expect(unmapped.filter(has_text="Claim form")).to_contain_text("Overture has no pools")
    expect(report.get_by_role("img", name=re.compile("The file's diagram: 15 elements not mapped"))).to_be_visible()
    # Hovering an element marks it on the sketch of the file's diagram.
    unmapped.first.hover()
    expect(report.locator(".bpmn-sketch__shape--focused")).to_have_count(1)
    shot(admin, "2-report")
    check_accessibility(admin, "builder: BPMN import report")

    # A mapped element leads to its node; the one issue left is that background step's action.
    report.get_by_text("Mapped (36)").click()
    report.get_by_role("list", name="Elements mapped").get_by_role("button", name="Fraud score").click()
    builder.expect_selected("fraud_score")
    admin.get_by_role("tab", name="Properties").click()
    expect(builder.issue_at("fraud_score", "action")).to_be_visible()
    builder.inspector.get_by_label("Action", exact=True).select_option("vars.set")
    builder.save()
    builder.check_for_issues()
    expect(builder.errors()).to_have_count(0)
    builder.activate()
    expect(builder.status).to_contain_text("Version 1 is active")
    shot(admin, "3-fixed-and-active")
    # The report stays until dismissed, and is gone for good once it is.
    admin.get_by_role("tab", name="Import report").click()
    report.get_by_role("button", name="Dismiss report").click()
    expect(admin.get_by_role("tab", name="Import report")).to_have_count(0)
    admin.reload()
    builder.wait_until_ready()
    expect(admin.get_by_role("tab", name="Import report")).to_have_count(0)

    # Ops exports version 1 from the builder (read only): a BPMN file that imports back the same.
    ops = login_as("ops").new_page()
    ops.goto(f"/builder/{key}?version=1")
    BuilderPage(ops).wait_until_ready()
    expect(ops.locator(".toolbar__status")).to_contain_text("Version 1 · read only")
    with ops.expect_download() as download:
        BuilderPage(ops).button("Export BPMN").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"{key}-v1.bpmn"
    xml = saved.read_bytes()
    assert b"http://www.omg.org/spec/BPMN/20100524/MODEL" in xml and b"BPMNDiagram" in xml
    expect(ops.locator(".toolbar__status")).to_contain_text(f"Exported Claims handling version 1 as BPMN 2.0: {key}-v1.bpmn")
    shot(ops, "4-ops-exported")
    version = api("admin").get(f"/api/orchestrations/{key}/versions/1")
    assert import_bpmn(xml).document == version["document"]

    # A member is offered neither New orchestration nor its import.
    member = login_as("alice").new_page()
    member.goto("/")
    expect(member.get_by_role("heading", name="Orchestrations")).to_be_visible()
    expect(member.get_by_role("button", name="New orchestration")).to_have_count(0)
