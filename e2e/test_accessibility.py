"""axe-core on every page of the app, in light and in dark mode: no serious or critical
violation (contrast, names of controls, landmarks, headings...).

The pages are data (``PAGES``): append one with who opens it, its path (``{run}``,
``{record}``, ``{key}`` are filled from ``Ids``) and what shows it is ready."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from e2e.fixtures.api import Api
from e2e.fixtures.axe import check_accessibility
from e2e.fixtures.pages import BuilderPage


@dataclass(frozen=True)
class Ids:
    """What the pages' paths need: a contract (its record and the run it started), an orchestration."""

    record: str
    run: str
    item: str
    key: str = "contract_approval"


def heading(name: str | re.Pattern[str]) -> Callable[[Page], None]:
    def ready(page: Page) -> None:
        expect(page.get_by_role("heading", name=name, level=1, exact=isinstance(name, str))).to_be_visible()

    return ready


def builder_ready(page: Page) -> None:
    BuilderPage(page).wait_until_ready()


@dataclass(frozen=True)
class AppPage:
    name: str
    #: Who opens it ("admin", "ops", "member" or a demo user name); None: nobody signed in.
    who: str | None
    path: str
    ready: Callable[[Page], None]


PAGES: list[AppPage] = [
    AppPage("sign-in", None, "/login", heading("Sign in to Overture")),
    AppPage("sign-in, session ended", None, "/login?next=%2Fwork&ended=1", heading("Sign in to Overture")),
    AppPage("orchestrations", "admin", "/", heading("Orchestrations")),
    AppPage("builder", "admin", "/builder/{key}", builder_ready),
    AppPage("monitor", "ops", "/monitor/{key}", heading(re.compile(r"^Monitor"))),
    AppPage("runs", "ops", "/runs", heading("Runs")),
    AppPage("run", "ops", "/runs/{run}", heading(re.compile(r"^Run "))),
    AppPage("move runs", "ops", "/orchestrations/{key}/migrate", heading(re.compile(r"^Move runs of "))),
    AppPage("my work", "alice", "/work", heading("My work")),
    AppPage("record types", "member", "/records", heading("Records")),
    AppPage("records", "member", "/records/contract", heading("Contract")),
    AppPage("record", "member", "/records/contract/{record}", heading(re.compile(r"^Axe "))),
    AppPage("work item", "alice", "/work/{item}", heading(re.compile(r"^Review contract"))),
    AppPage("start run", "member", "/orchestrations/customer_onboarding/start", heading("Start a run: Customer onboarding")),
    AppPage("start run, record-triggered", "member", "/orchestrations/{key}/start", heading("How Contract approval starts")),
    AppPage("profile", "member", "/profile", heading("Your profile")),
    AppPage("admin: people", "admin", "/admin/people", heading("Administration")),
    AppPage("admin: groups", "admin", "/admin/groups", heading("Administration")),
    AppPage("admin: tokens", "admin", "/admin/tokens", heading("Administration")),
    AppPage("admin: record types", "admin", "/admin/record-types", heading("Administration")),
    AppPage("admin: secrets", "admin", "/admin/secrets", heading("Administration")),
    AppPage("not found", "member", "/no/such/page", heading("Page not found")),
    AppPage("not found, signed out", None, "/no/such/page", heading("Page not found")),
]


@pytest.fixture(scope="module")
def ids(live_server) -> Ids:
    sam = Api(live_server.url).sign_in("sam")
    try:
        record = sam.post(
            "/api/records/contract",
            {
                "fields": {
                    "title": f"Axe {uuid.uuid4().hex[:6]}",
                    "customer": "Initrode",
                    "amount": 5000,
                    "status": "submitted",
                }
            },
        )
        (run,) = record["started_runs"]
        (item,) = sam.get(f"/api/runs/{run}")["work_items"]
    finally:
        sam.http.close()
    return Ids(record=record["id"], run=run, item=item["id"])


def settled(page: Page) -> None:
    """Nothing still loading: what axe sees is what a person reads."""
    expect(page.locator("[aria-busy='true']")).to_have_count(0)


@pytest.mark.parametrize("app_page", PAGES, ids=[p.name for p in PAGES])
def test_no_serious_accessibility_violation_in_light_or_dark_mode(app_page: AppPage, ids: Ids, login_as, anonymous_context):
    context = anonymous_context if app_page.who is None else login_as(app_page.who)
    page = context.new_page()
    path = app_page.path.format(run=ids.run, record=ids.record, item=ids.item, key=ids.key)
    page.goto(path)
    for theme in ("light", "dark"):
        # The theme store reads it on start (frontend/src/store/theme-store.ts).
        page.evaluate("(theme) => localStorage.setItem('overture.theme', theme)", theme)
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        app_page.ready(page)
        settled(page)
        check_accessibility(page, f"{app_page.name} ({path}, {theme})")
