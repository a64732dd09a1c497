"""My work a page at a time: a member of a busy team sees the first page of their work at
once with how many there are in all, loads the next page from the keyboard, and opens an
item that was only on that page; the status filter is applied by the server."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.work_pages import ItemPage, MyWorkPage

#: The password of the member this test makes (the demo's is too weak for the password rules).
PASSWORD = "members of the e2e suite"
RUNS = 60  # more than a page (50)


def test_a_member_with_more_than_a_page_of_work_loads_more_and_opens_an_item(login_as, api, tmp_path):
    admin = api("admin")
    team, member = unique_key("busy_team"), unique_key("busy")
    admin.post("/api/groups", {"name": team, "label": "Busy team"})
    admin.post("/api/users", {"username": member, "display_name": "Bea Busy", "password": PASSWORD, "role": "member", "groups": [team]})
    key = unique_key("busy_flow")
    document = one_stage(key, "Busy flow")
    step = next(node for node in document["nodes"] if node["id"] == "check")
    step.update(label="Sort the post", assignee={"type": "group", "value": team})
    admin.create_orchestration(document)
    admin.activate(key)
    for _ in range(RUNS):
        admin.start_run(key)

    page = login_as(member, PASSWORD).new_page()
    work = MyWorkPage(page).open()
    expect(work.shown).to_have_text(f"50 of {RUNS} shown")
    expect(work.rows).to_have_count(50)
    page.screenshot(path=tmp_path / "1-first-page.png")
    work.shown.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "2-first-page-end.png")

    # The oldest first (no due dates): the last items started are on the second page only.
    everything = admin.get(f"/api/work-items?mine=0&orchestration={key}&limit=200")["items"]
    assert len(everything) == RUNS
    latest = everything[-1]
    expect(work.item_row(latest["id"])).to_have_count(0)

    work.load_more.focus()
    page.keyboard.press("Enter")
    expect(work.shown).to_have_text(f"{RUNS} of {RUNS} shown")
    expect(work.rows).to_have_count(RUNS)
    expect(work.load_more).to_have_count(0)  # nothing more to load
    expect(work.item_row(latest["id"])).to_be_visible()
    work.shown.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "3-all-loaded-end.png")

    # The server filters: none of these is claimed yet.
    page.get_by_role("combobox", name="Status").select_option("claimed")
    expect(page.get_by_text("No work item matches these filters.")).to_be_visible()
    page.get_by_role("combobox", name="Status").select_option("")
    expect(work.shown).to_have_text(f"50 of {RUNS} shown")
    work.load_more.click()
    expect(work.item_row(latest["id"])).to_be_visible()

    work.item_row(latest["id"]).get_by_role("link", name="Sort the post").click()
    expect(page).to_have_url(re.compile(rf"/work/{latest['id']}$"))
    ItemPage(page).expect_step("Sort the post")
    page.screenshot(path=tmp_path / "4-item.png")
