"""Administration end to end: an admin sets up a group and a person who then signs in
in their own browser, resets a password, hands out and revokes an API token, and
deactivates someone whose open work goes to a colleague; a member is turned away."""

from __future__ import annotations

import re
import uuid

import requests
from playwright.sync_api import expect

from e2e.fixtures.admin_pages import AdminPage
from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import LoginPage
from e2e.fixtures.work_pages import MyWorkPage


def _suffix() -> str:
    return uuid.uuid4().hex[:6]


#: The password of the members these tests make (the demo's is too weak for the password rules).
MEMBER_PASSWORD = "members of the e2e suite"


def _members(admin_api, people: dict[str, str]) -> None:
    """New members (user name -> display name) with MEMBER_PASSWORD."""
    for username, display in people.items():
        admin_api.post("/api/users", {"username": username, "display_name": display, "password": MEMBER_PASSWORD, "role": "member"})


def _personal_step(admin_api, label: str, username: str) -> dict:
    """An active one-step orchestration whose step ``label`` is ``username``'s, and a run of it."""
    key = unique_key("personal")
    document = one_stage(key, f"Personal {label}")
    step = next(node for node in document["nodes"] if node["id"] == "check")
    step.update(label=label, assignee={"type": "user", "value": username})
    admin_api.create_orchestration(document)
    admin_api.activate(key)
    return admin_api.start_run(key)


def test_an_admin_adds_a_group_and_a_member_who_signs_in_and_gets_a_new_password(login_as, anonymous_context, new_context):
    n = _suffix()
    group, username, name = f"auditors_{n}", f"newbie_{n}", f"Nina Newbie {n}"
    admin = AdminPage(login_as("admin").new_page()).open("groups")
    admin.new_group(group, f"Auditors {n}")
    expect(admin.group(group)).to_contain_text("No members")

    admin.go_to("people")
    admin.new_person(username, name, "first secret phrase 1", groups=(f"Auditors {n} (group)",))
    expect(admin.person(username)).to_contain_text(f"Auditors {n}")
    expect(admin.person(username)).to_contain_text("Active")
    admin.go_to("groups")
    expect(admin.group(group)).to_contain_text(name)  # the members column names them

    # The new member signs in in their own browser and reaches My work.
    member = anonymous_context.new_page()
    LoginPage(member).open("/work").sign_in(username, "first secret phrase 1")
    expect(member.get_by_role("heading", name="My work", exact=True)).to_be_visible()

    admin.go_to("people")
    admin.reset_password(name, "second secret phrase 2")
    again = new_context().new_page()
    login = LoginPage(again).open("/work")
    login.sign_in(username, "first secret phrase 1")
    expect(login.error).to_contain_text("wrong password")
    login.sign_in(username, "second secret phrase 2")
    expect(again.get_by_role("heading", name="My work", exact=True)).to_be_visible()


def test_a_token_is_shown_once_copied_works_and_stops_after_revoke(login_as, live_server):
    context = login_as("admin")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    admin = AdminPage(page).open("tokens")
    name = f"e2e-crm-{_suffix()}"
    secret = admin.create_token(name)
    assert secret.startswith("ovt_")
    admin.copy_token()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    expect(admin.token(name)).to_contain_text("Never")  # not used yet

    event = {"name": f"e2e_nobody_waits_{_suffix()}", "correlation": "x"}
    used = requests.post(f"{live_server.url}/api/events", json=event, headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    assert used.ok, used.text

    # The secret is not shown again once the admin says it is stored, nor after a reload.
    page.get_by_role("button", name="I have stored it").click()
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    page.reload()
    expect(admin.token(name)).not_to_contain_text("Never")  # its last use is shown
    assert secret not in page.content()

    admin.revoke_token(name)
    refused = requests.post(f"{live_server.url}/api/events", json=event, headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"


def test_deactivating_someone_sends_their_open_item_to_a_colleague(login_as, api):
    n = _suffix()
    admin_api = api("admin")
    leaver, taker = f"leaver_{n}", f"taker_{n}"
    _members(admin_api, {leaver: f"Lee Leaver {n}", taker: f"Tara Taker {n}"})
    run = _personal_step(admin_api, f"Check the hand-over {n}", leaver)
    (item,) = [i for i in admin_api.work_items() if i["run_id"] == run["id"]]
    assert item["assignee"] == {"type": "user", "value": leaver}

    admin = AdminPage(login_as("admin").new_page()).open("people")
    counted = admin.deactivate(f"Lee Leaver {n}", send_to=f"Tara Taker {n} ({taker})")
    assert counted.startswith(f"Lee Leaver {n} has 1 open item: 1 item assigned to them personally")
    expect(admin.moved(f"Lee Leaver {n}")).to_have_text(f"1 item went to Tara Taker {n}.")
    admin.page.screenshot(path="/tmp/admin-deactivated.png")
    admin.close_dialog(f"Lee Leaver {n} is deactivated")
    expect(admin.person(leaver)).to_contain_text("Inactive")
    expect(admin.person(leaver).get_by_role("button", name=f"Reactivate Lee Leaver {n}")).to_be_visible()

    work = MyWorkPage(login_as(taker, MEMBER_PASSWORD).new_page()).open()
    expect(work.row(f"Check the hand-over {n}")).to_be_visible()
    events = admin_api.get(f"/api/runs/{run['id']}/events")["items"]
    (moved,) = [e for e in events if e["type"] == "work_item.reassigned"]
    assert moved["by"] == "ada" and moved["data"]["to"] == {"type": "user", "value": taker}


def test_an_admin_sets_out_of_office_for_someone_and_their_personal_work_goes_to_the_delegate(login_as, api):
    n = _suffix()
    admin_api = api("admin")
    away, stand_in = f"away_{n}", f"standin_{n}"
    _members(admin_api, {away: f"Avery Away {n}", stand_in: f"Sid Standin {n}"})

    admin = AdminPage(login_as("admin").new_page()).open("people")
    admin.person(away).get_by_role("button", name=f"Edit Avery Away {n}").click()
    section = admin.dialog(f"Edit Avery Away {n}").get_by_role("region", name="Out of office")
    expect(section).to_contain_text("Not set.")
    section.get_by_label("Delegate").select_option(label=f"Sid Standin {n}")
    section.get_by_role("button", name="Save out of office").click()
    expect(section.get_by_role("status")).to_have_text("Out of office saved.")
    expect(section).to_contain_text(f"goes to Sid Standin {n}")
    admin.page.screenshot(path="/tmp/admin-out-of-office.png")
    assert admin_api.get(f"/api/users/{away}/out-of-office")["out_of_office"]["set_by"] == "ada"

    _personal_step(admin_api, f"Sign the form {n}", away)
    work = MyWorkPage(login_as(stand_in, MEMBER_PASSWORD).new_page()).open()
    expect(work.row(f"Sign the form {n}")).to_contain_text(f"(for Avery Away {n})")


def test_a_member_who_opens_admin_is_told_it_is_for_admins(login_as):
    page = login_as("member").new_page()
    page.goto("/admin/people")
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Administration is for admins")
    expect(page.get_by_role("table")).to_have_count(0)
    page.get_by_role("link", name="Go to My work").click()
    expect(page).to_have_url(re.compile(r"/work$"))


def test_each_section_has_its_own_link_and_reads_well(login_as):
    """Screenshots of every section (looked at by whoever changes this page), and the
    record types' triggers linking to the builder."""
    page = login_as("admin").new_page()
    admin = AdminPage(page)
    page.goto("/admin")
    expect(page.get_by_role("heading", name="People", level=2)).to_be_visible()
    expect(admin.person("ada")).to_contain_text("Admin")
    page.screenshot(path="/tmp/admin-people.png", full_page=True)
    page.get_by_role("button", name="New person").click()
    expect(admin.dialog("New person").get_by_label("Finance (group)")).to_be_visible()
    page.screenshot(path="/tmp/admin-people-new.png")
    admin.dialog("New person").get_by_role("button", name="Cancel").click()

    ready = {
        "groups": lambda: admin.group("finance"),
        "tokens": lambda: page.get_by_label("Token name"),
        "record-types": lambda: admin.record_type("contract"),
    }
    for section, shown in ready.items():
        admin.go_to(section)
        expect(page).to_have_url(re.compile(rf"/admin/{section}$"))
        expect(shown()).to_be_visible()
        page.screenshot(path=f"/tmp/admin-{section}.png", full_page=True)
    contract = admin.record_type("contract")
    expect(contract).to_contain_text("Title")
    link = contract.get_by_role("link", name="Contract approval")
    expect(link).to_have_attribute("href", "/builder/contract_approval")
    page.reload()  # the deep link survives a reload
    expect(page.get_by_role("heading", name="Record types", level=2)).to_be_visible()
    expect(admin.record_type("contract")).to_be_visible()
    page.emulate_media(color_scheme="dark")
    page.screenshot(path="/tmp/admin-record-types-dark.png")
    admin.go_to("people")
    expect(admin.person("ada")).to_be_visible()
    page.screenshot(path="/tmp/admin-people-dark.png")
