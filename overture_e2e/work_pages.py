"""Page objects of the Work Guide: My work (``/work``), a work item's own page
(``/work/<id>``), a record type's list and create form (``/records/<object>``), and a
record's page with the Work Guide on top (``/records/<object>/<id>``). They find
things as a person does: roles, labels, names."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


class Nav:
    """The shell's bar on every signed-in page: My work with its live count, the bell
    (the rest of the shell: ``shell_pages.Shell``)."""

    def __init__(self, page: Page):
        self.page = page
        self.bar = page.get_by_role("banner")
        self.work_count = self.bar.get_by_role("navigation", name="Main").get_by_test_id("work-count")
        self.bell = self.bar.get_by_role("button", name=re.compile(r"^Notifications"))

    def count(self) -> int:
        """The open-item count on the My work badge (waits for the inbox socket's first message)."""
        expect(self.work_count).to_be_visible()
        return int(self.work_count.inner_text())

    def expect_count(self, check: str) -> None:
        """Wait until the count matches a regular expression (the badge is updated live)."""
        expect(self.work_count).to_have_text(re.compile(check))


class MyWorkPage:
    """``/work``: my open work items, soonest due first."""

    title = "My work"

    def __init__(self, page: Page):
        self.page = page
        self.nav = Nav(page)
        self.rows = page.locator("tr.work-row")

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name=self.title, exact=True)

    def open(self) -> MyWorkPage:
        self.page.goto("/work")
        expect(self.heading).to_be_visible()
        return self

    def row(self, text: str) -> Locator:
        """The row of an item whose step or record says ``text``."""
        return self.rows.filter(has_text=text)

    def search(self, text: str) -> None:
        self.page.get_by_role("searchbox", name="Search").fill(text)

    def claim(self, text: str) -> None:
        self.row(text).get_by_role("button", name="Claim").click()
        expect(self.row(text).get_by_role("button", name="Release")).to_be_visible()

    def release(self, text: str) -> None:
        self.row(text).get_by_role("button", name="Release").click()
        expect(self.row(text).get_by_role("button", name="Claim")).to_be_visible()

    @property
    def shown(self) -> Locator:
        """How many items are shown of how many ("50 of 60 shown")."""
        return self.page.get_by_test_id("work-shown")

    @property
    def load_more(self) -> Locator:
        return self.page.get_by_role("button", name="Load more")

    def item_row(self, item_id: str) -> Locator:
        """The row of one work item, by its id."""
        return self.page.get_by_test_id(f"work-item-{item_id}")

    def open_item(self, text: str) -> ItemPage:
        """Follow the step's link of the item whose step or record says ``text`` to its own page."""
        return self._follow(self.row(text))

    def open_item_id(self, item_id: str) -> ItemPage:
        """Follow the step's link of one work item, by its id, to its own page."""
        return self._follow(self.item_row(item_id))

    def _follow(self, row: Locator) -> ItemPage:
        expect(row).to_have_count(1)
        step = row.get_by_role("cell").first.get_by_role("link")
        label = step.inner_text()
        step.click()
        item = ItemPage(self.page)
        expect(self.page).to_have_url(re.compile(r"/work/[^/]+$"))
        item.expect_step(label)
        return item


class StepActions:
    """What a person does with one step of the Work Guide: fill its form and choose an outcome."""

    step: Locator

    def fill(self, label: str, value: str) -> None:
        self.step.get_by_label(label).fill(value)

    def comment(self, text: str) -> None:
        self.step.get_by_label("Comment").fill(text)

    def choose(self, outcome: str) -> None:
        """Press an outcome button (the form is checked first)."""
        self.step.get_by_role("button", name=outcome, exact=True).click()

    def field_error(self, label: str) -> Locator:
        return self.step.locator(".field-error").filter(has_text=label)


class ItemPage(StepActions):
    """``/work/<id>``: one work item — its step and form, what the run knows, its progress."""

    def __init__(self, page: Page):
        self.page = page
        self.nav = Nav(page)
        self.heading = page.get_by_role("heading", level=1)
        self.guide = page.get_by_role("region", name="Work Guide")
        self.step = self.guide.get_by_test_id("work-guide-step")
        self.assignment = self.step.get_by_test_id("work-guide-assignment")
        self.notice = self.guide.locator(".notice")
        #: Who completed it and how, once it is done (or that it was cancelled).
        self.completed = self.step.get_by_test_id("work-guide-completed")
        #: The links onward after completing: back to My work, the next step of mine on the run.
        self.onward = page.get_by_role("navigation", name="Where next")
        self.about = page.get_by_test_id("item-orchestration")
        self.earlier_steps = page.get_by_test_id("item-earlier-steps")
        self.not_found = page.get_by_test_id("item-not-found")
        self.progress = page.get_by_role("region", name="Progress")
        self.current_stage = self.progress.get_by_test_id("progress-current")
        self.next_stages = self.progress.get_by_test_id("progress-next")

    def open(self, item_id: str) -> ItemPage:
        self.page.goto(f"/work/{item_id}")
        expect(self.heading).to_be_visible()
        return self

    def expect_step(self, label: str) -> None:
        expect(self.heading).to_have_text(label)

    def expect_stage(self, label: str) -> None:
        """Wait until the run's current stage is ``label`` (the page follows the run live)."""
        expect(self.current_stage).to_have_text(label)


class RecordsPage:
    """``/records/<object>``: the records of a type, and "New <type>"."""

    def __init__(self, page: Page):
        self.page = page
        self.nav = Nav(page)
        self.saved = page.get_by_role("status")
        self.started_runs = page.get_by_test_id("started-runs")

    def open(self, object: str, title: str) -> RecordsPage:
        self.page.goto(f"/records/{object}")
        expect(self.page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        return self

    def create(self, type_label: str, fields: dict[str, str]) -> str:
        """Fill "New <type>" (field label -> text) and create it; the new record's id."""
        self.page.get_by_role("button", name=f"New {type_label.lower()}").click()
        form = self.page.get_by_role("region", name=f"New {type_label}")
        for label, value in fields.items():
            form.get_by_label(label).fill(value)
        form.get_by_role("button", name=f"Create {type_label.lower()}").click()
        # The saved notice links the record, then the runs its save started.
        link = self.saved.locator('a[href^="/records/"]')
        expect(link).to_be_visible()
        href = link.get_attribute("href") or ""
        return href.rsplit("/", 1)[-1]


class RecordPage(StepActions):
    """``/records/<object>/<id>``: the Work Guide (my steps now, the runs' progress) and the record.

    ``step`` and the step actions act on the only step of mine on the record; with
    several, :meth:`step_of` finds one by its orchestration's label."""

    def __init__(self, page: Page):
        self.page = page
        self.nav = Nav(page)
        self.guide = page.get_by_role("region", name="Work Guide")
        self.step = self.guide.get_by_test_id("work-guide-step")
        self.nothing = self.guide.get_by_test_id("work-guide-nothing")
        self.progress = page.get_by_role("region", name="Progress")
        self.current_stage = self.progress.get_by_test_id("progress-current")
        self.next_stages = self.progress.get_by_test_id("progress-next")
        self.notice = self.guide.locator(".notice")

    def open(self, object: str, record_id: str) -> RecordPage:
        self.page.goto(f"/records/{object}/{record_id}")
        expect(self.guide).to_be_visible()
        return self

    def expect_step(self, label: str) -> None:
        expect(self.step.get_by_role("heading")).to_have_text(f"Your step now: {label}")

    def step_of(self, orchestration: str) -> Locator:
        """My step on the run of the orchestration labelled ``orchestration`` (its section: step and progress)."""
        return self.guide.get_by_role("region", name=re.compile(rf"^{re.escape(orchestration)}: ")).filter(
            has=self.page.get_by_test_id("work-guide-step")
        )

    def expect_stage(self, label: str) -> None:
        """Wait until the run's current stage is ``label`` (the page follows the run live)."""
        expect(self.current_stage).to_have_text(label)
