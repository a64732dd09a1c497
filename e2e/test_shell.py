"""The app shell: every page reachable from every other through the navigation and the
breadcrumbs (admin, ops and member, each in their own browser), sign-out, the 404 page,
what a member is not offered, and dark mode."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from e2e.fixtures.api import Api
from e2e.fixtures.pages import BuilderPage
from e2e.fixtures.shell_pages import NotFoundView, Shell

NAV = {
    "admin": ["My work", "Records", "Orchestrations", "Runs", "Admin"],
    "ops": ["My work", "Records", "Orchestrations", "Runs"],
    "member": ["My work", "Records", "Orchestrations", "My runs"],
}


@dataclass(frozen=True)
class Contract:
    title: str
    record: str
    run: str


@pytest.fixture(scope="module")
def contract(live_server) -> Contract:
    """A contract sam (a member) created: its record, and the contract approval run it started."""
    sam = Api(live_server.url).sign_in("sam")
    try:
        title = f"Shell {uuid.uuid4().hex[:6]}"
        record = sam.post(
            "/api/records/contract", {"fields": {"title": title, "customer": "Initrode", "amount": 7000, "status": "submitted"}}
        )
    finally:
        sam.http.close()
    (run,) = record["started_runs"]
    return Contract(title, record["id"], run)


def builder_settled(page: Page, role: str) -> None:
    """The builder is open; for an admin the draft laid out on opening has saved itself,
    so leaving asks nothing (ops only read the draft)."""
    BuilderPage(page).wait_until_ready()
    if role == "admin":
        expect(page.get_by_test_id("save-state")).to_have_text(re.compile(r"^Saved"))


def h1(page: Page, name: str | re.Pattern[str]):
    return page.get_by_role("heading", level=1, name=name, exact=isinstance(name, str))


@pytest.mark.parametrize("role", ["admin", "ops", "member"])
def test_every_page_is_reachable_from_every_other_through_the_shell(role, login_as, contract):
    page = login_as(role).new_page()
    page.goto("/work")  # the only address typed: everything else is followed
    shell = Shell(page)
    main = page.get_by_role("main")
    expect(h1(page, "My work")).to_be_visible()
    assert shell.nav_labels() == NAV[role]

    # Records › Contract › the contract, and back up by the breadcrumbs.
    shell.go("Records")
    expect(h1(page, "Records")).to_be_visible()
    main.get_by_role("link", name="Contract", exact=True).click()
    expect(h1(page, "Contract")).to_be_visible()
    shell.expect_trail("Records", "Contract")
    main.get_by_role("link", name=contract.title, exact=True).click()
    expect(h1(page, contract.title)).to_be_visible()
    shell.expect_trail("Records", "Contract", contract.title)
    shell.back_to("Contract")
    expect(h1(page, "Contract")).to_be_visible()
    shell.back_to("Records")
    expect(h1(page, "Records")).to_be_visible()

    shell.go("Orchestrations")
    expect(h1(page, "Orchestrations")).to_be_visible()
    if role == "member":
        # Sees the orchestrations by name, but is offered no builder, Monitor or New orchestration.
        expect(main.get_by_text("Contract approval", exact=True)).to_be_visible()
        # Only links to start runs (members may) and to how the others start.
        expect(main.locator("a[href^='/builder/'], a[href^='/monitor/']")).to_have_count(0)
        main.get_by_role("link", name="Starts on a contract record (Contract approval)").click()
        expect(h1(page, "How Contract approval starts")).to_be_visible()
        shell.expect_trail("Orchestrations", "Contract approval", "How it starts")
        shell.back_to("Orchestrations")
        expect(page.get_by_role("button", name="New orchestration")).to_have_count(0)
    else:
        main.get_by_role("link", name="Contract approval", exact=True).click()
        builder_settled(page, role)
        expect(shell.nav).to_be_visible()  # the compact shell stays on the builder
        shell.back_to("Orchestrations")
        expect(h1(page, "Orchestrations")).to_be_visible()
        main.get_by_role("link", name="Monitor Contract approval").click()
        expect(h1(page, "Monitor: Contract approval")).to_be_visible()
        shell.expect_trail("Orchestrations", "Contract approval", "Monitor")
        shell.back_to("Contract approval")
        builder_settled(page, role)
        expect(page).to_have_url(re.compile(r"/builder/contract_approval$"))

    runs = NAV[role][3]
    shell.go(runs)
    expect(h1(page, runs)).to_be_visible()
    page.get_by_test_id(f"run-{contract.run}").get_by_role("link", name=contract.run[:8], exact=True).click()
    expect(h1(page, re.compile(r"^Run "))).to_be_visible()
    expect(shell.breadcrumbs.get_by_role("listitem").nth(0)).to_have_text(runs)
    expect(shell.breadcrumbs.get_by_role("listitem").nth(1)).to_have_text("Contract approval")
    shell.back_to("Contract approval")
    expect(h1(page, runs)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/runs\?orchestration=contract_approval$"))
    expect(page.get_by_test_id(f"run-{contract.run}")).to_be_visible()

    if role == "admin":
        expect(shell.nav_link("Admin")).to_have_attribute("href", "/admin")
    shell.go("My work")
    expect(h1(page, "My work")).to_be_visible()


def test_a_member_is_offered_no_design_links_no_bulk_actions_and_no_run_controls(login_as, contract):
    page = login_as("member").new_page()
    page.goto("/")
    shell = Shell(page)
    expect(h1(page, "Orchestrations")).to_be_visible()
    expect(page.get_by_text("Contract approval", exact=True)).to_be_visible()
    expect(page.locator("main a[href^='/builder/'], main a[href^='/monitor/']")).to_have_count(0)
    expect(page.get_by_role("button", name="New orchestration")).to_have_count(0)
    expect(page.get_by_label("Import from file")).to_have_count(0)

    shell.go("My runs")
    expect(page.get_by_test_id(f"run-{contract.run}")).to_be_visible()
    expect(page.get_by_role("toolbar", name="Selected runs")).to_have_count(0)
    expect(page.get_by_role("checkbox", name=re.compile(r"^Select run"))).to_have_count(0)

    page.get_by_test_id(f"run-{contract.run}").get_by_role("link", name=contract.run[:8], exact=True).click()
    expect(h1(page, re.compile(r"^Run "))).to_be_visible()
    expect(page.get_by_test_id("run-status")).to_be_visible()
    expect(page.get_by_role("toolbar", name="Run controls")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Monitor"))).to_have_count(0)
    expect(page.get_by_role("button", name="Reassign")).to_have_count(0)


def test_sign_out_from_the_user_menu_ends_access(login_as):
    context = login_as("ops")
    page = context.new_page()
    page.goto("/runs")
    shell = Shell(page)
    expect(h1(page, "Runs")).to_be_visible()
    assert context.request.get("/api/session").status == 200

    shell.sign_out()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert context.request.get("/api/session").status == 401
    assert context.request.get("/api/runs").status == 401
    page.goto("/work")
    expect(page.get_by_role("heading", name="Sign in to Overture")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fwork$"))


def test_an_unknown_address_shows_page_not_found_with_a_way_back(login_as, anonymous_context):
    page = login_as("member").new_page()
    response = page.goto("/orchestrashuns/typo")
    assert response is not None and response.status == 404
    not_found = NotFoundView(page)
    expect(not_found.heading).to_be_visible()
    expect(Shell(page).nav).to_be_visible()
    not_found.way_back().click()
    expect(h1(page, "Orchestrations")).to_be_visible()

    # Nobody signed in: the same page, plain, with a way to sign in that comes back here.
    stranger = anonymous_context.new_page()
    assert stranger.goto("/orchestrashuns/typo").status == 404
    expect(NotFoundView(stranger).heading).to_be_visible()
    expect(stranger.get_by_role("navigation", name="Main")).to_have_count(0)
    stranger.get_by_role("link", name="Sign in to Overture").click()
    expect(stranger.get_by_role("heading", name="Sign in to Overture")).to_be_visible()

    # The API keeps answering JSON.
    api_answer = page.request.get("/api/no-such-thing")
    assert api_answer.status == 404 and api_answer.json()["error"]["code"] == "not_found"


def test_the_user_menu_works_from_the_keyboard_and_dark_mode_lasts_across_a_reload(login_as):
    page = login_as("member").new_page()
    page.goto("/work")
    shell = Shell(page)
    expect(h1(page, "My work")).to_be_visible()

    shell.user_button.focus()
    page.keyboard.press("Enter")
    expect(shell.user_button).to_have_attribute("aria-expanded", "true")
    expect(shell.user_panel.get_by_role("link", name="Profile")).to_have_attribute("href", "/profile")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(shell.user_button).to_have_attribute("aria-expanded", "false")
    expect(shell.user_button).to_be_focused()

    shell.set_dark(True)
    assert shell.theme() == "dark"
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(h1(page, "My work")).to_be_visible()
    shell.open_user_menu()
    expect(shell.dark_switch).to_have_attribute("aria-checked", "true")
    shell.set_dark(False)
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
