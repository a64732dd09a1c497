"""Sessions end when they should, in the browser too: a member changes their password in
the profile and their other browser is signed out; an admin signs a person out everywhere;
after signing out, neither the back button nor the old cookie gets back in."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.fixtures.pages import LoginPage
from e2e.fixtures.shell_pages import Shell

FIRST_PASSWORD = "sessions journey first phrase"
NEW_PASSWORD = "sessions journey second phrase"
ENDED = "Your session ended — sign in again."


@pytest.fixture
def member(api) -> tuple[str, str]:
    """A new member of their own (user name, display name): changing a demo person's password
    would change it for every other test."""
    n = uuid.uuid4().hex[:6]
    username, name = f"sessions_{n}", f"Sasha Sessions {n}"
    api("admin").post("/api/users", {"username": username, "display_name": name, "password": FIRST_PASSWORD, "role": "member"})
    return username, name


def h1(page: Page, name: str) -> object:
    return page.get_by_role("heading", level=1, name=name, exact=True)


def expect_session_ended(page: Page) -> LoginPage:
    login = LoginPage(page)
    expect(page.get_by_role("heading", name="Sign in to Overture")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(ENDED)
    return login


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_changing_ones_password_signs_out_ones_other_browser(login_as, member, tmp_path):
    username, name = member
    laptop: BrowserContext = login_as(username, FIRST_PASSWORD)
    phone: BrowserContext = login_as(username, FIRST_PASSWORD)
    other = phone.new_page()
    other.goto("/work")
    expect(h1(other, "My work")).to_be_visible()

    profile = laptop.new_page()
    profile.goto("/profile")
    expect(h1(profile, "Your profile")).to_be_visible()
    sessions = profile.get_by_role("region", name="Where you are signed in")
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    expect(sessions.get_by_text("This browser")).to_have_count(1)

    # A common password is refused, with the reason, and nothing changes.
    profile.get_by_label("Current password").fill(FIRST_PASSWORD)
    profile.get_by_label("New password", exact=True).fill("password password")
    profile.get_by_label("New password again").fill("password password")
    profile.get_by_role("button", name="Change password").click()
    expect(profile.get_by_role("alert")).to_contain_text("The new password is too easy to guess")
    expect(sessions.get_by_role("listitem")).to_have_count(2)

    profile.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    profile.get_by_label("New password again").fill(NEW_PASSWORD)
    profile.get_by_role("button", name="Change password").click()
    expect(profile.get_by_role("status").filter(has_text="Your password is changed")).to_have_text(
        "Your password is changed. You stay signed in here; everywhere else you were signed out."
    )
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    screenshot(profile, "profile-after-password-change", tmp_path)

    # The other browser's next step lands on the sign-in page, which says why and leads back.
    Shell(other).nav_link("Records").click()
    login = expect_session_ended(other)
    screenshot(other, "signed-out-elsewhere", tmp_path)
    login.sign_in(username, FIRST_PASSWORD)
    expect(login.error).to_contain_text("wrong password")
    login.sign_in(username, NEW_PASSWORD)
    expect(h1(other, "Records")).to_be_visible()
    expect(other).to_have_url(re.compile(r"/records$"))

    # The laptop kept its session throughout.
    profile.reload()
    expect(h1(profile, "Your profile")).to_be_visible()
    expect(profile.get_by_role("region", name="Where you are signed in").get_by_role("listitem")).to_have_count(2)


def test_an_admin_signs_a_person_out_everywhere(login_as, member, tmp_path):
    username, name = member
    theirs = login_as(username, FIRST_PASSWORD).new_page()
    theirs.goto("/work")
    expect(h1(theirs, "My work")).to_be_visible()

    admin = login_as("admin").new_page()
    admin.goto("/admin/people")
    admin.get_by_role("button", name=f"Sign out everywhere: {name}").click()
    expect(admin.get_by_role("status")).to_have_text(f"{name} is signed out everywhere (1 session ended).")
    screenshot(admin, "admin-signed-out-everywhere", tmp_path)

    theirs.reload()
    login = expect_session_ended(theirs)
    login.sign_in(username, FIRST_PASSWORD)  # they may sign in again
    expect(h1(theirs, "My work")).to_be_visible()


def test_after_signing_out_neither_the_back_button_nor_the_old_cookie_gets_back_in(login_as, new_context):
    context = login_as("member")
    page = context.new_page()
    page.goto("/work")
    expect(h1(page, "My work")).to_be_visible()
    Shell(page).go("Records")
    expect(h1(page, "Records")).to_be_visible()
    copied = context.cookies()

    Shell(page).sign_out()
    page.go_back()
    expect(page.get_by_role("heading", name="Sign in to Overture")).to_be_visible()
    expect(h1(page, "Records")).to_have_count(0)

    # Someone who copied the cookie before the sign-out gets nothing with it.
    thief = new_context()
    thief.add_cookies(copied)  # type: ignore[arg-type]
    assert thief.request.get("/api/work-items?mine=1").status == 401
    stolen = thief.new_page()
    stolen.goto("/work")
    expect_session_ended(stolen)
    expect(h1(stolen, "My work")).to_have_count(0)
