"""E-mail and out of office end to end: a member turns on e-mail on their profile and
new work for them arrives at the test's SMTP server with a link that opens the item; a person
who is away sets a delegate, whose My work shows the work "for" them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.work_pages import MyWorkPage


def personal_work(api: Any, user: str, label: str) -> str:
    """An orchestration whose one step is assigned to ``user`` personally, active; its key."""
    key = unique_key("mail")
    document = one_stage(key, label=f"Mail {label}")
    check = next(n for n in document["nodes"] if n["id"] == "check")
    check.update({"label": label, "assignee": {"type": "user", "value": user}, "due": "P2D"})
    admin = api("admin")
    admin.create_orchestration(document)
    admin.activate(key)
    return key


def open_profile(page: Page) -> None:
    page.goto("/profile")
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()


def test_new_work_is_e_mailed_to_a_member_who_turned_e_mail_on(login_as, api, smtp_sink, base_url):
    frank = api("frank")
    frank.request("PATCH", "/api/profile", {"email_mode": "off"})  # starts with in-app only

    page = login_as("frank").new_page()
    open_profile(page)
    expect(page.get_by_label("E-mail address")).to_have_value("frank@example.com")
    expect(page.get_by_role("radio", name="In-app only")).to_be_checked()
    page.get_by_role("radio", name="E-mail immediately").check()
    page.get_by_role("button", name="Save notifications").click()
    expect(page.get_by_role("status")).to_have_text("Notifications saved: E-mail immediately.")
    page.screenshot(path="/tmp/email-profile.png", full_page=True)
    assert frank.get("/api/profile")["email_mode"] == "immediate"

    key = personal_work(api, "frank", "Check the invoice")
    run = api("admin").start_run(key)
    (item,) = [i for i in frank.work_items(mine=1) if i["run_id"] == run["id"]]

    message = smtp_sink.wait_for(
        lambda ms: next((m for m in ms if "frank@example.com" in str(m["To"]) and f"/work/{item['id']}" in m.get_content()), None)
    )
    assert message["Subject"] == "New work: Check the invoice — Mail Check the invoice"
    body = message.get_content()
    assert f"Open it: {base_url}/work/{item['id']}\n" in body
    assert "Step: Check the invoice" in body and "Due: " in body

    # The link opens that very step, ready to complete, in frank's browser.
    link = next(line.removeprefix("Open it: ") for line in body.splitlines() if line.startswith("Open it: "))
    page.goto(link)
    expect(page.get_by_role("heading", name="Check the invoice", level=1)).to_be_visible()
    expect(page.get_by_test_id("work-guide-step")).to_be_visible()


def test_a_delegate_gets_personal_work_for_the_person_who_is_away(login_as, api):
    now = datetime.now(UTC)
    pat_page = login_as("pat").new_page()
    open_profile(pat_page)
    away = pat_page.get_by_role("region", name="Out of office")
    expect(away.get_by_text("Not set.")).to_be_visible()
    away.get_by_label("Delegate").select_option(label="Dana Developer")
    away.get_by_label("From").fill((now - timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M"))
    away.get_by_label("Until").fill((now + timedelta(days=5)).astimezone().strftime("%Y-%m-%dT%H:%M"))
    away.get_by_role("button", name="Save out of office").click()
    expect(away.get_by_role("status")).to_have_text("Out of office saved.")
    expect(away).to_contain_text("goes to Dana Developer")
    pat_page.screenshot(path="/tmp/email-out-of-office.png", full_page=True)
    try:
        key = personal_work(api, "pat", "Approve the milestone plan")
        run = api("admin").start_run(key)
        assert [i for i in api("pat").work_items(mine=1) if i["run_id"] == run["id"]] == []
        (item,) = [i for i in api("dana").work_items(mine=1) if i["run_id"] == run["id"]]
        assert item["on_behalf_of"] == "pat" and item["assignee"] == {"type": "user", "value": "dana"}

        dana = MyWorkPage(login_as("dana").new_page()).open()
        row = dana.row("Approve the milestone plan")
        expect(row).to_contain_text("you (for Pat PM)")
        dana.page.screenshot(path="/tmp/email-delegate-my-work.png", full_page=True)
    finally:
        api("pat").request("DELETE", "/api/users/pat/out-of-office")
