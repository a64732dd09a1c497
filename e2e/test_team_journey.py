"""A team adopts Overture, each person in their own browser: the admin sets up a group and a
new member in /admin, starts a manual run from the UI with the form its inputs make, the
member signs in for the first time and completes the run's step (it has no record) from
My work, and the admin watches the run end — every hop through the shell's links."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e.fixtures.admin_pages import AdminPage
from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import LoginPage, RunPage
from e2e.fixtures.shell_pages import Shell
from e2e.fixtures.work_pages import MyWorkPage

SHOTS = "/tmp/team-journey"


def test_admin_sets_up_a_member_starts_a_run_and_the_member_completes_it(login_as, anonymous_context, api):
    n = uuid.uuid4().hex[:6]
    group, username, name, password = f"onboarders_{n}", f"olga_{n}", f"Olga Onboarder {n}", f"welcome aboard {n}"

    # The admin adds the group and the person in /admin.
    admin_page = login_as("admin").new_page()
    admin = AdminPage(admin_page).open("groups")
    admin.new_group(group, f"Onboarders {n}")
    admin.go_to("people")
    admin.new_person(username, name, password, groups=(f"Onboarders {n} (group)",))
    expect(admin.person(username)).to_contain_text("Active")

    # An orchestration started by hand whose step is the new group's (drawn by API: the
    # canvas has its own journeys), with a required input.
    key, label = unique_key("welcome"), f"Welcome call {n}"
    document = one_stage(key, label)
    document["inputs"] = [{"name": "customer", "type": "string", "required": True, "label": "Customer"}]
    step = document["nodes"][2]
    step.update(
        label="Call the customer",
        assignee={"type": "group", "value": group},
        form={
            "fields": [{"name": "notes", "type": "textarea", "label": "Call notes", "required": True}],
            "outcomes": [{"value": "done", "label": "Call made"}],
        },
    )
    api("admin").create_orchestration(document)
    api("admin").activate(key)

    # The admin starts it from the orchestrations list, through the shell.
    Shell(admin_page).go("Orchestrations")
    admin_page.get_by_role("link", name=f"Start run of {label}").click()
    expect(admin_page.get_by_role("heading", level=1, name=f"Start a run: {label}")).to_be_visible()
    admin_page.get_by_role("button", name="Start run").click()
    expect(admin_page.get_by_text("Customer is required")).to_be_visible()
    admin_page.get_by_label("Customer *").fill(f"Initech {n}")
    admin_page.get_by_role("button", name="Start run").click()
    expect(admin_page).to_have_url(re.compile(r"/runs/[^/]+$"))
    run_id = admin_page.url.rsplit("/", 1)[1]
    admin_page.screenshot(path=f"{SHOTS}-admin-run.png", full_page=True)

    # The new member signs in for the first time, in their own browser, and does the step.
    member_page = anonymous_context.new_page()
    LoginPage(member_page).open("/").sign_in(username, password)
    Shell(member_page).go("My work")
    work = MyWorkPage(member_page)
    item = work.open_item("Call the customer")
    expect(member_page.get_by_role("region", name="What the run was started with")).to_contain_text(f"Initech {n}")
    member_page.get_by_role("button", name="Claim it").click()
    expect(item.assignment).to_contain_text("claimed by you")
    item.choose("Call made")
    expect(item.field_error("Call notes")).to_be_visible()  # required, checked before it is sent
    item.fill("Call notes", "Walked them through the first week.")
    item.choose("Call made")
    expect(item.notice).to_have_text("Done: Call the customer — Call made.")
    member_page.screenshot(path=f"{SHOTS}-member-done.png", full_page=True)

    # The admin's run page follows the run live to its end, and names who did the step.
    expect(RunPage(admin_page).status).to_have_text("Completed")
    run = api("admin").wait_for_run(run_id, status="completed")
    assert run["inputs"] == {"customer": f"Initech {n}"} and run["started_by"] == "ada"
    done = api("admin").get(f"/api/work-items/{item_id(api, run_id)}")
    assert (done["completed_by"], done["completed_by_name"], done["outcome"]) == (username, name, "done")


def item_id(api, run_id: str) -> str:
    (item,) = api("admin").work_items(run=run_id, status="completed")
    return str(item["id"])
