"""The audit log end to end: an admin changes something, opens Admin -> Audit log, filters,
and finds the entry with names and the change; the builder's versions panel leads to who
activated a version and to its diff; a member cannot open the log."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e.fixtures.admin_pages import AdminPage
from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import BuilderPage


def test_an_admin_finds_who_changed_what_and_a_member_cannot_look(login_as, api):
    n = uuid.uuid4().hex[:6]
    page = login_as("admin").new_page()
    admin = AdminPage(page).open("groups")
    admin.new_group(f"auditors_{n}", f"Auditors {n}")
    # Two versions of an orchestration, activated by the same admin (through the API).
    ada = api("admin")
    key = unique_key("audited")
    document = one_stage(key, f"Audited {n}")
    ada.create_orchestration(document)
    ada.activate(key)
    ada.save_draft({**document, "label": f"Audited {n} (second)"})
    ada.activate(key)

    admin.go_to("audit")
    page.get_by_label("Who").select_option(label="Ada Admin")
    page.get_by_label("Action").select_option(label="Group created")
    page.get_by_role("button", name="Show entries").click()
    expect(page).to_have_url(re.compile(r"/admin/audit\?actor=ada&action=group.created$"))
    entry = page.locator('tr[data-action="group.created"]').filter(has_text=f"Auditors {n}")
    expect(entry).to_contain_text("Ada Admin")
    expect(entry).to_contain_text(f"label: — → Auditors {n}")
    expect(page.locator("tbody tr:not([data-action='group.created'])")).to_have_count(0)
    page.screenshot(path="/tmp/audit-filtered.png", full_page=True)

    # From the builder: who activated version 2, and what changed.
    BuilderPage(page).open(key)
    page.screenshot(path="/tmp/audit-versions.png")
    page.get_by_role("link", name="Audit entry: who activated version 2").click()
    activation = page.locator('tr[data-action="version.activated"]')
    expect(activation).to_have_count(1)
    expect(activation).to_contain_text("Ada Admin")
    expect(activation).to_contain_text("active_version: 1 → 2")
    page.screenshot(path="/tmp/audit-activation.png", full_page=True)
    activation.get_by_role("link", name="Show changes from version 1 to 2").click()
    expect(page).to_have_url(re.compile(rf"/builder/{key}\?compare=1\.\.2$"))

    # A member is turned away, in the page and by the API.
    member = login_as("member").new_page()
    member.goto("/admin/audit")
    expect(member.get_by_role("alert")).to_contain_text("Administration is for admins")
    member.screenshot(path="/tmp/audit-member.png")
    assert api("member").status_of("GET", "/api/audit") == 403
