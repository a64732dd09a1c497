"""Page objects: what a person does on each view, in the app's own words.

They find things the way a person does (roles, labels, button names), by the
``data-testid``s the front end promises to keep (:mod:`overture_e2e.contract`) and, on
the canvas, by React Flow's attributes (``data-testid="rf__node-<id>"``, handles'
``data-nodeid``/``data-handleid``, edges' ``aria-label="Edge from a to b"``). They wait
for conditions (``expect``), never for a fixed time.

Here: signing in, the orchestrations, the builder, the monitor and a run's page; My
work, a work item's page and a record's page with its Work Guide are in
:mod:`overture_e2e.work_pages`, the shell in :mod:`overture_e2e.shell_pages`,
Administration in :mod:`overture_e2e.admin_pages`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

# The Work Guide's views (My work, records, a record's page) live in their own module.
from overture_e2e.work_pages import MyWorkPage, Nav, RecordPage, RecordsPage  # noqa: F401 (re-exported)


@dataclass
class Point:
    x: float
    y: float


def centre(locator: Locator) -> Point:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not visible"
    return Point(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


class LoginPage:
    def __init__(self, page: Page):
        self.page = page
        self.username = page.get_by_label("User name")
        self.password = page.get_by_label("Password")
        self.submit = page.get_by_role("button", name="Sign in")
        self.error = page.get_by_role("alert")

    def open(self, next_path: str | None = None) -> LoginPage:
        self.page.goto("/login" + (f"?next={next_path}" if next_path else ""))
        expect(self.page.get_by_role("heading", name="Sign in to Overture")).to_be_visible()
        return self

    def sign_in(self, username: str, password: str) -> None:
        self.username.fill(username)
        self.password.fill(password)
        self.submit.click()


class HomePage:
    """``/``: the orchestrations."""

    def __init__(self, page: Page):
        self.page = page

    def open(self) -> HomePage:
        self.page.goto("/")
        expect(self.page.get_by_role("heading", name="Orchestrations")).to_be_visible()
        return self

    def orchestration_link(self, label: str) -> Locator:
        return self.page.get_by_role("link", name=label, exact=True)

    def create_orchestration(self, label: str, key: str, start_from: str = "Blank canvas") -> BuilderPage:
        """ "New orchestration": ``start_from`` is the starting point's name ("Blank canvas",
        "Template: Contract approval"...); the builder it opens, once ready."""
        self.page.get_by_role("button", name="New orchestration", exact=True).click()
        form = self.page.get_by_role("form", name="New orchestration")
        form.get_by_role("radio", name=re.compile(rf"^{re.escape(start_from)}")).check()
        form.get_by_label("Label", exact=True).fill(label)
        form.get_by_label("Key", exact=True).fill(key)
        form.get_by_role("button", name="Create orchestration").click()
        expect(self.page).to_have_url(re.compile(rf"/builder/{re.escape(key)}$"))
        builder = BuilderPage(self.page)
        builder.wait_until_ready()
        return builder


class BuilderPage:
    """``/builder/<key>``: the palette, the canvas, the toolbar, the issues panel and the Tests panel."""

    def __init__(self, page: Page):
        self.page = page
        self.canvas = page.locator(".react-flow")
        self.pane = page.locator(".react-flow__pane")
        self.palette = page.get_by_role("navigation", name="Add to the orchestration")
        self.status = page.locator(".toolbar__status")
        self.issues_panel = page.locator("section.issues")
        self.issues = self.issues_panel.locator("button.issue")
        #: The properties panel: the selected node's (or edge's) properties, else the document's settings.
        self.inspector = page.locator("section.inspector")

    # ------------------------------------------------------------------ opening

    def open(self, key: str) -> BuilderPage:
        self.page.goto(f"/builder/{key}")
        self.wait_until_ready()
        return self

    def wait_until_ready(self) -> None:
        expect(self.page.locator("header.toolbar h1")).to_be_visible()
        expect(self.canvas).to_be_visible()
        # React Flow hides a node until it has measured it.
        self.page.wait_for_function("() => [...document.querySelectorAll('.react-flow__node')].every(n => n.style.visibility !== 'hidden')")
        # The canvas fits the document into view (readably: a big flow from its start) once React
        # Flow has measured it: wait for that fit
        # (the viewport leaves React Flow's initial translate(0, 0) scale(1)), so that zooming,
        # panning and ``flow_point`` start from the view that stays.
        self.page.wait_for_function(
            r"""() => {
                const t = document.querySelector('.react-flow__viewport')?.style.transform ?? '';
                const m = /translate\(\s*(-?[\d.e-]+)px,\s*(-?[\d.e-]+)px\)\s*scale\(\s*([\d.e-]+)\s*\)/.exec(t);
                return m !== null && !(Number(m[1]) === 0 && Number(m[2]) === 0 && Number(m[3]) === 1);
            }"""
        )

    @property
    def refusal(self) -> Locator:
        """What the page says when the draft cannot be opened (e.g. a member: 403)."""
        return self.page.get_by_role("alert")

    # ------------------------------------------------------------------ canvas elements

    def node(self, node_id: str) -> Locator:
        return self.page.get_by_test_id(f"rf__node-{node_id}")

    def nodes(self, node_type: str | None = None) -> Locator:
        return self.page.locator(f".react-flow__node-{node_type}" if node_type else ".react-flow__node")

    def node_ids(self, node_type: str | None = None) -> list[str]:
        return [i for i in self.nodes(node_type).evaluate_all("els => els.map(e => e.dataset.id)")]

    def edge(self, source: str, target: str) -> Locator:
        return self.page.locator(f'.react-flow__edge[aria-label="Edge from {source} to {target}"]')

    def edges(self) -> Locator:
        return self.page.locator(".react-flow__edge")

    def handle(self, node_id: str, kind: str, handle_id: str | None = None) -> Locator:
        """A node's handle: ``kind`` is "source" or "target"; ``handle_id`` e.g. "next", "error", an outcome."""
        selector = f'.react-flow__handle.{kind}[data-nodeid="{node_id}"]'
        if handle_id is not None:
            selector += f'[data-handleid="{handle_id}"]'
        return self.page.locator(selector).first

    def position(self, node_id: str) -> Point:
        """Where the node is drawn, in canvas coordinates (its CSS transform)."""
        transform = self.node(node_id).evaluate("n => n.style.transform")
        found = re.search(r"translate\(\s*(-?[\d.]+)px,\s*(-?[\d.]+)px\)", transform)
        assert found, f"unexpected transform {transform!r}"
        return Point(float(found.group(1)), float(found.group(2)))

    def is_selected(self, node_id: str) -> bool:
        return "selected" in (self.node(node_id).get_attribute("class") or "").split()

    def expect_selected(self, node_id: str) -> None:
        expect(self.node(node_id)).to_have_class(re.compile(r"(^|\s)selected(\s|$)"))

    # ------------------------------------------------------------------ gestures

    def pane_point(self, fx: float, fy: float) -> Point:
        """A point of the visible canvas, as fractions of its width and height."""
        box = self.pane.bounding_box()
        assert box is not None
        return Point(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)

    def drag_from_palette(self, label: str, at: Point) -> str:
        """Drag a palette item (e.g. "Stage", "End") onto the canvas at a page point; the new node's id.

        The new node's top-left corner lands where it is dropped (``pane_point`` gives a
        point of the visible canvas; ``centre(builder.node(id))`` one inside a stage).
        """
        before = set(self.node_ids())
        box = self.pane.bounding_box()
        assert box is not None
        self.palette.get_by_role("button", name=label, exact=True).drag_to(
            self.pane, target_position={"x": at.x - box["x"], "y": at.y - box["y"]}
        )
        self.page.wait_for_function("n => document.querySelectorAll('.react-flow__node').length > n", arg=len(before))
        added = [i for i in self.node_ids() if i not in before]
        assert len(added) == 1, f"expected one new node, got {added}"
        return added[0]

    def drag_mouse(self, start: Point, end: Point, steps: int = 12) -> None:
        mouse = self.page.mouse
        mouse.move(start.x, start.y)
        mouse.down()
        # A few small moves first: React Flow starts a drag or a connection after a threshold.
        mouse.move(start.x + 4, start.y + 4, steps=2)
        mouse.move(end.x, end.y, steps=steps)
        mouse.up()

    def connect(self, source: str, target: str, source_handle: str | None = "next") -> None:
        """Draw an edge by dragging from ``source``'s handle to ``target``'s target handle."""
        # A selected stage shows its resize controls over its handles: select nothing first.
        self.deselect_all()
        start = self.handle(source, "source", source_handle)
        end = self.handle(target, "target")
        expect(start).to_be_visible()
        expect(end).to_be_visible()
        self.drag_mouse(centre(start), centre(end))
        expect(self.edge(source, target)).to_have_count(1)

    def move_node(self, node_id: str, dx: float, dy: float) -> None:
        """Drag a node by its header (or body) by (dx, dy) screen pixels."""
        node = self.node(node_id)
        header = node.locator(".node__header, .node__label").first
        grip = header if header.count() else node
        start = centre(grip)
        self.drag_mouse(start, Point(start.x + dx, start.y + dy))

    def deselect_all(self) -> None:
        """Click an empty corner of the canvas."""
        self.pane.click(position={"x": 8, "y": 8})
        expect(self.page.locator(".react-flow__node.selected")).to_have_count(0)

    def zoom_out(self, times: int = 1) -> None:
        for _ in range(times):
            self.page.get_by_role("button", name="Zoom Out").click()

    # ------------------------------------------------------------------ viewport (pan and zoom)

    def viewport(self) -> tuple[float, float, float]:
        """React Flow's pan and zoom: (x, y, zoom) of its viewport's transform."""
        transform = self.page.locator(".react-flow__viewport").evaluate("v => v.style.transform")
        found = re.search(r"translate\(\s*(-?[\d.]+)px,\s*(-?[\d.]+)px\)\s*scale\(\s*([\d.]+)\s*\)", transform)
        assert found, f"unexpected viewport transform {transform!r}"
        return float(found.group(1)), float(found.group(2)), float(found.group(3))

    def flow_point(self, x: float, y: float) -> Point:
        """Where a point of the canvas (canvas coordinates, as ``ui.x``/``ui.y``) is on the page now."""
        box = self.canvas.bounding_box()
        assert box is not None
        tx, ty, zoom = self.viewport()
        return Point(box["x"] + tx + x * zoom, box["y"] + ty + y * zoom)

    def show_area(self, left: float, top: float, right: float, bottom: float, margin: float = 0.08) -> None:
        """Zoom out (the Zoom Out control) until this rectangle of canvas coordinates fits the
        visible canvas, then pan (drag the canvas by its empty top edge) to centre it.

        For a canvas that is still nearly empty (a new orchestration): the top band of the
        view must hold no node, so that the drag pans rather than moves one.
        """
        box = self.pane.bounding_box()
        assert box is not None
        width, height = box["width"] * (1 - 2 * margin), box["height"] * (1 - 2 * margin)
        for _ in range(20):
            zoom = self.viewport()[2]
            if (right - left) * zoom <= width and (bottom - top) * zoom <= height:
                break
            self.page.get_by_role("button", name="Zoom Out").click()
            self.page.wait_for_function(
                "z => !document.querySelector('.react-flow__viewport').style.transform.includes(`scale(${z})`)", arg=zoom
            )
        else:
            raise AssertionError(f"cannot zoom out far enough to show ({left}, {top})–({right}, {bottom})")
        now = self.flow_point((left + right) / 2, (top + bottom) / 2)
        target = Point(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        dx, dy = target.x - now.x, target.y - now.y
        if abs(dx) < 1 and abs(dy) < 1:
            return
        grab = Point(target.x - dx / 2, box["y"] + 16 + max(0.0, -dy))
        assert box["y"] <= grab.y + dy <= box["y"] + box["height"], f"cannot pan by {dy:.0f} px vertically"
        self.drag_mouse(grab, Point(grab.x + dx, grab.y + dy))
        moved = self.flow_point((left + right) / 2, (top + bottom) / 2)
        assert abs(moved.x - target.x) < 4 and abs(moved.y - target.y) < 4, f"the canvas did not pan: {moved} is not {target}"

    def select_node(self, node_id: str) -> None:
        node = self.node(node_id)
        label = node.locator(".node__label").first
        (label if label.count() else node).click()
        self.expect_selected(node_id)

    def drop_step_in_stage(self, label: str, stage_id: str) -> str:
        """Drag a step from the palette ("Interactive step", "Background step", "Wait step")
        into a stage, below its title; the new step's id."""
        box = self.node(stage_id).bounding_box()
        assert box is not None
        step = self.drag_from_palette(label, Point(box["x"] + box["width"] * 0.04, box["y"] + box["height"] * 0.35))
        # It joined the stage: drawn inside the stage's box (which grows to hold it).
        self.page.wait_for_function(
            """([stage, step]) => {
                const box = (id) => document.querySelector(`[data-testid="rf__node-${id}"]`)?.getBoundingClientRect();
                const [a, b] = [box(stage), box(step)];
                return a && b && b.left >= a.left - 1 && b.right <= a.right + 1 && b.top >= a.top - 1 && b.bottom <= a.bottom + 1;
            }""",
            arg=[stage_id, step],
        )
        return step

    def press(self, keys: str) -> None:
        """A keyboard shortcut (Playwright key names: "Control+z", "Control+Shift+z", "Delete")."""
        self.page.keyboard.press(keys)

    def undo(self) -> None:
        self.press("Control+z")

    def redo(self) -> None:
        self.press("Control+Shift+z")

    # ------------------------------------------------------------------ toolbar

    def button(self, name: str) -> Locator:
        return self.page.locator("header.toolbar").get_by_role("button", name=name, exact=True)

    def save(self) -> int:
        """Save the draft (the toolbar button); the revision the server gave."""
        self.button("Save draft").click()
        expect(self.status).to_contain_text(re.compile(r"Saved \(revision \d+\)"))
        found = re.search(r"Saved \(revision (\d+)\)", self.status.inner_text())
        assert found
        return int(found.group(1))

    def activate(self) -> None:
        self.button("Activate").click()

    def check_for_issues(self) -> None:
        self.button("Check for issues").click()
        expect(self.button("Check for issues")).to_be_enabled()

    def tidy_up(self) -> None:
        self.button("Tidy up layout").click()

    # ------------------------------------------------------------------ issues panel

    def issue(self, node_or_text: str) -> Locator:
        """The issue about a node id (or whose text contains this)."""
        return self.issues.filter(has_text=node_or_text)

    def issue_at(self, node_id: str | None, field: str) -> Locator:
        """The issues about one field of a node (``None``: of the document), as the server
        names them: ``issue_at("step_1", "assignee")``, ``issue_at("decision_1", "outcomes[0]")``."""
        where = f"{node_id or 'document'} · {field}"
        return self.issues.filter(has=self.page.locator(".issue__where", has_text=re.compile(rf"^{re.escape(where)}(,|$)")))

    def errors(self) -> Locator:
        """The error issues listed (not the warnings)."""
        return self.issues_panel.locator("button.issue.issue--error")

    # ------------------------------------------------------------------ side panels

    def panel_toggle(self, side: str) -> Locator:
        """The collapse button of the ``"left"`` (palette, versions) or ``"right"`` (properties, tests) panel."""
        name = "Palette and versions" if side == "left" else "Properties, tests and test run"
        return self.page.get_by_role("button", name=name, exact=True)

    def collapse_panel(self, side: str, collapsed: bool = True) -> None:
        toggle = self.panel_toggle(side)
        if (toggle.get_attribute("aria-expanded") == "false") != collapsed:
            toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "false" if collapsed else "true")

    # ------------------------------------------------------------------ properties panel (inspector)
    #
    # They act on the node the properties panel shows: ``inspect(node_id)`` selects one first.

    def inspect(self, node_id: str) -> None:
        """Select a node and wait until the properties panel shows it."""
        self.select_node(node_id)
        expect(self.inspector.locator("#inspector-title .inspector__id")).to_have_text(node_id)

    def set_label(self, text: str) -> str:
        """The node's label ("Label"); the canvas shows it. Returns the node's id afterwards:
        a new node's id follows its label when the field is left ("Legal review" → legal_review)."""
        field = self.inspector.get_by_label("Label", exact=True)
        field.fill(text)
        field.blur()
        expect(self.inspector.get_by_label("Label", exact=True)).to_have_value(text)
        return self.inspector.get_by_label("Id", exact=True).input_value()

    def set_assignee(self, kind: str, value: str, field: str = "Assignee") -> None:
        """An assignee: ``kind`` "user", "group" or "queue" picks ``value`` from the pick list
        (the directory's people, groups, queues); "expression" types CEL (``record.owner``).
        ``field`` names the assignee field ("Assignee", "Approver 1", "Reassign to"...)."""
        self.inspector.get_by_label(f"{field} type", exact=True).select_option(kind)
        if kind == "expression":
            self.inspector.get_by_label(f"{field} expression", exact=True).fill(value)
        else:
            # A pick list (a <select>) once the directory has loaded; select_option waits for the option.
            self.inspector.get_by_role("combobox", name=f"{field} {kind}", exact=True).select_option(value)

    def _form_fields(self) -> Locator:
        return self.inspector.locator("li.list-item").filter(has=self.page.get_by_label("Field name", exact=True))

    def add_form_field(self, name: str, field_type: str = "text", label: str | None = None, required: bool = False) -> None:
        """ "Add field" to an interactive step's form, then name it, type it ("text", "textarea",
        "number", "select"...) and label it."""
        fields = self._form_fields()
        count = fields.count()
        self.inspector.get_by_role("button", name="Add field", exact=True).click()
        expect(fields).to_have_count(count + 1)
        field = fields.nth(count)
        field.get_by_label("Field name", exact=True).fill(name)
        field.get_by_label("Field type", exact=True).select_option(field_type)
        if label is not None:
            field.get_by_label("Field label", exact=True).fill(label)
        if required:
            field.get_by_label("Required", exact=True).check()

    def _outcomes(self) -> Locator:
        # A step's form outcomes ("Outcome value") or a decision's outcomes ("Outcome id").
        return self.inspector.locator("li.list-item").filter(has=self.page.get_by_label(re.compile(r"^Outcome (value|id)$")))

    def set_outcome(self, index: int, value: str, label: str | None = None) -> None:
        """Rename the outcome at ``index`` (0-based) of the step's form or of the decision
        (a decision's edge follows its outcome), and label it."""
        outcome = self._outcomes().nth(index)
        outcome.get_by_label(re.compile(r"^Outcome (value|id)$")).fill(value)
        if label is not None:
            outcome.get_by_label("Outcome label", exact=True).fill(label)

    def add_outcome(self, value: str, label: str | None = None) -> None:
        """ "Add outcome" to the step's form or to the decision, then name and label it.
        A new decision outcome gets its own handle on the canvas (draw its edge with
        ``connect(decision, target, source_handle=value)``) and an empty condition."""
        outcomes = self._outcomes()
        count = outcomes.count()
        self.inspector.get_by_role("button", name="Add outcome", exact=True).click()
        expect(outcomes).to_have_count(count + 1)
        self.set_outcome(count, value, label)

    def condition(self, legend: str) -> Locator:
        """A condition field by its legend: "Condition of Rejected" (a decision outcome, by
        its label), "Entry condition", "Exit condition", "Start condition", "Until"."""
        return self.inspector.locator("fieldset.condition").filter(
            has=self.page.locator("legend", has_text=re.compile(rf"^{re.escape(legend)}( \*)?$"))
        )

    def set_condition(self, legend: str, field: str, operator: str, value: str, value_type: str = "string") -> None:
        """Add a row to a condition with the condition builder: ``field`` (a CEL path such as
        ``steps.review.outcome``), ``operator`` ("==", "!=", "<", "<=", ">", ">=",
        "contains", "startsWith", "endsWith"), ``value`` of ``value_type`` ("string",
        "number", "boolean", "null", or "field" for another path). An enumerated field's
        value (a step's outcome, a select, a record field with options) is picked from its list."""
        condition = self.condition(legend)
        n = self.add_condition_row(legend)
        name = condition.get_by_label(f"Field {n}", exact=True)
        name.fill(field)
        name.press("Escape")  # closes the suggestions
        condition.get_by_label(f"Operator {n}", exact=True).select_option(operator)
        condition.get_by_label(f"Value type {n}", exact=True).select_option(value_type)
        box = condition.get_by_label(f"Value {n}", exact=True)
        if value_type == "boolean" or box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        elif value_type != "null":
            box.fill(value)

    def add_condition_row(self, legend: str) -> int:
        """ "Add condition" to a condition field; the new row's number (1 for the first)."""
        condition = self.condition(legend)
        rows = condition.locator(".condition__row")
        count = rows.count()
        condition.get_by_role("button", name="Add condition", exact=True).click()
        expect(rows).to_have_count(count + 1)
        return count + 1

    def suggestions(self, legend: str, box: str) -> Locator:
        """The suggestions of a condition's name box ("Field 1", "Value 1"): a listbox of options."""
        controls = self.condition(legend).get_by_role("combobox", name=box, exact=True).get_attribute("aria-controls")
        return self.page.locator(f'[id="{controls}"]')

    def choose_name(self, legend: str, box: str, typed: str, option: str | re.Pattern[str]) -> None:
        """In a condition's name box ("Field 1", or "Value 1" of another field), type ``typed``
        and click the suggestion whose label is ``option`` ("Triage › Approved?")."""
        combobox = self.condition(legend).get_by_role("combobox", name=box, exact=True)
        combobox.click()
        combobox.press_sequentially(typed)
        listbox = self.suggestions(legend, box)
        expect(listbox).to_be_visible()
        listbox.get_by_role("option").filter(has=self.page.locator(".name-combobox__label", has_text=option)).click()
        expect(listbox).to_be_hidden()

    def condition_cel(self, legend: str) -> Locator:
        """The CEL the condition builder wrote (shown under its rows)."""
        return self.condition(legend).locator("code.condition__cel")

    # ------------------------------------------------------------------ Tests panel (scenario tests, coverage)

    @property
    def tests_panel(self) -> Locator:
        return self.page.locator("section.tests-panel")

    def open_tests(self) -> Locator:
        """Show the Tests panel (its tab beside the properties) once it has read the scenarios."""
        self.page.get_by_role("tab", name="Tests", exact=True).click()
        expect(self.tests_panel.get_by_role("list", name="Scenarios")).to_be_visible()
        return self.tests_panel

    def scenario(self, name: str) -> Locator:
        """A stored scenario in the Tests panel; its ``data-result`` is passed, failed, not-run or running."""
        return self.tests_panel.get_by_test_id(f"scenario-{name}")

    def run_tests(self, target: str | None = None) -> None:
        """ "Run all" (against the option labelled ``target``, e.g. "The draft"), until every one has run."""
        if target is not None:
            self.tests_panel.get_by_label("Run against").select_option(label=target)
        self.tests_panel.get_by_role("button", name="Run all", exact=True).click()
        expect(self.tests_panel.get_by_role("button", name="Run all", exact=True)).to_be_enabled()

    def run_scenario(self, name: str) -> None:
        self.scenario(name).get_by_role("button", name=f"Run {name}", exact=True).click()
        expect(self.scenario(name)).not_to_have_attribute("data-result", "running")
        expect(self.tests_panel.get_by_role("button", name="Run all", exact=True)).to_be_enabled()

    def edit_scenario(self, name: str, change: Callable[[str], str]) -> Locator:
        """Open a scenario's file, change its text with ``change`` and save it; the editor (still
        open when the server refused the file: its problems are listed in it)."""
        self.scenario(name).get_by_role("button", name=f"Edit {name}", exact=True).click()
        editor = self.tests_panel.get_by_role("form", name=f"Edit {name}")
        source = editor.get_by_label("Scenario file (YAML)")
        source.fill(change(source.input_value()))
        editor.get_by_role("button", name="Save scenario").click()
        # Saved: the editor closes; refused: it stays, listing the problems.
        expect(editor.get_by_role("button", name="Saving…")).to_have_count(0)
        return editor

    def show_coverage(self, on: bool = True) -> None:
        self.tests_panel.get_by_label("Show coverage on the canvas").set_checked(on)

    def coverage_of_node(self, node_id: str) -> Locator:
        """A node's coverage mark; ``data-coverage`` is covered, uncovered or hot-untested."""
        return self.page.get_by_test_id(f"coverage-node-{node_id}")

    def coverage_of_edge(self, edge_id: str) -> Locator:
        return self.page.get_by_test_id(f"coverage-edge-{edge_id}")


class MonitorPage:
    """``/monitor/<key>`` (ops, admins): the canvas with each node's live figures (a heat
    map of time spent), the bottleneck, metrics and the runs with their filters."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name=re.compile(r"^Monitor"))

    @property
    def live_state(self) -> Locator:
        return self.page.get_by_test_id("live-state")

    @property
    def bottleneck(self) -> Locator:
        return self.page.get_by_test_id("bottleneck")

    def open(self, key: str, *, version: int | None = None, window: str | None = None) -> MonitorPage:
        query = "&".join(f"{k}={v}" for k, v in (("version", version), ("window", window)) if v is not None)
        self.page.goto(f"/monitor/{key}" + (f"?{query}" if query else ""))
        expect(self.heading).to_be_visible()
        return self

    def wait_until_live(self) -> MonitorPage:
        expect(self.live_state).to_have_text("Live")
        return self

    def node(self, node_id: str) -> Locator:
        return self.page.get_by_test_id(f"rf__node-{node_id}")

    def figure_of(self, node_id: str, figure: str) -> Locator:
        """One figure a node shows: ``active``, ``waiting``, ``completed``, ``error``, ``overdue``."""
        return self.page.get_by_test_id(f"figures-{node_id}").locator(f"[data-figure={figure}]")

    def figure(self, node_id: str, figure: str) -> int:
        expect(self.page.get_by_test_id(f"figures-{node_id}")).to_be_visible()  # drawn, with figures
        locator = self.figure_of(node_id, figure)
        if locator.count() == 0:  # error and overdue show only when not zero
            return 0
        return int(re.sub(r"\D", "", locator.inner_text()))

    def expect_figure(self, node_id: str, figure: str, value: int) -> None:
        expect(self.figure_of(node_id, figure)).to_have_text(re.compile(rf"(^|\D){value}$"))

    def edge_taken(self, edge_id: str) -> Locator:
        return self.page.get_by_test_id(f"taken-{edge_id}")

    def choose_version(self, label: str) -> None:
        self.page.get_by_label(re.compile(r"^Version")).select_option(label=label)

    def choose_window(self, label: str) -> None:
        self.page.get_by_label(re.compile(r"^Time window")).select_option(label=label)

    # -- the runs below the canvas

    def run_row(self, run_id: str) -> Locator:
        return self.page.get_by_test_id(f"run-{run_id}")

    def select_run(self, run_id: str) -> None:
        self.run_row(run_id).get_by_role("checkbox").check()

    def bulk(self, action: str) -> None:
        """``Cancel``, ``Suspend`` or ``Resume`` the selected runs, confirming in the dialog."""
        self.page.get_by_role("button", name=f"{action} selected").click()
        dialog = self.page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name=f"{action} runs").click()
        expect(dialog).to_be_hidden()


class RunPage:
    """``/runs/<id>``: the run's path on its version's canvas, its timeline, data, open
    work and (ops) the controls; a run in error shows the error and the failing step."""

    def __init__(self, page: Page):
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name=re.compile(r"^Run "))

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("run-status")

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("run-error")

    @property
    def failing_step(self) -> Locator:
        return self.page.get_by_test_id("failing-step")

    @property
    def current_stage(self) -> Locator:
        return self.page.get_by_test_id("current-stage")

    def open(self, run_id: str) -> RunPage:
        self.page.goto(f"/runs/{run_id}")
        expect(self.heading).to_be_visible()
        return self

    def node(self, node_id: str) -> Locator:
        return self.page.get_by_test_id(f"rf__node-{node_id}")

    def path_mark(self, node_id: str) -> Locator:
        """How the run went through a node: ✓ visited, ● here now, ✗ failed (×n visits)."""
        return self.page.get_by_test_id(f"path-{node_id}")

    def timeline_entries(self, node_id: str) -> Locator:
        return self.page.get_by_test_id(f"timeline-{node_id}")

    def control(self, name: str) -> None:
        """``Suspend``, ``Resume``, ``Retry`` or ``Cancel run``, confirming in the dialog."""
        self.page.get_by_role("toolbar", name="Run controls").get_by_role("button", name=name).click()
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_role("button", name=name).click()
        expect(dialog).to_be_hidden()

    @property
    def repair(self) -> Locator:
        """The repair moves of a run in error (ops and admins)."""
        return self.page.get_by_role("region", name="Repair this run")

    @property
    def notice(self) -> Locator:
        """What the last action led to (``Retry: failed again — ...``)."""
        return self.page.get_by_test_id("run-notice")

    def edit_input(self, step_label: str, name: str, value: str) -> None:
        form = self.page.get_by_role("form", name=f"Inputs of {step_label}")
        form.get_by_label(re.compile(rf"^{re.escape(name)}\b")).fill(value)
        form.get_by_role("button", name="Save").click()

    def reassign(self, item_label: str, kind: str, name: str) -> None:
        """Reassigns by the name people read: a person's display name, a group's or queue's label."""
        form = self.page.get_by_role("form", name=f"Reassign {item_label}")
        form.get_by_label(re.compile(r"^Reassign to")).select_option(kind)
        form.get_by_label("Name").select_option(label=name)
        form.get_by_role("button", name="Reassign").click()
