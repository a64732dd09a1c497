"""Issue 13's minor points, walked: dark mode on every page (charts and minimaps too),
the builder's side panels collapsing at 1024 px, chart legends that say their values,
and a field's stale issue clearing when it is edited. (Reassigning by name and the
timeline's display names: test_monitor.py.)"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import BuilderPage
from e2e.fixtures.shell_pages import Shell
from e2e.test_accessibility import PAGES, ids, settled  # noqa: F401 (ids: the module's fixture)

#: Relative luminance of a CSS colour (rgb(), rgba() or color(srgb ...)); None when mostly transparent.
LUMINANCE = """
const luminance = (css) => {
  let r, g, b, a = 1;
  const rgb = /^rgba?\\(([^)]+)\\)/.exec(css);
  const srgb = /^color\\(srgb ([^)]+)\\)/.exec(css);
  if (rgb) [r, g, b, a = 1] = rgb[1].split(/[ ,/]+/).map(Number).map((v, i) => (i < 3 ? v / 255 : v));
  else if (srgb) [r, g, b, a = 1] = srgb[1].split(/[ /]+/).map(Number);
  else return null;
  if (a < 0.5) return null;
  const f = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
"""

#: Visible boxes with a light background on a dark page: "light islands".
LIGHT_ISLANDS = (
    "() => {"
    + LUMINANCE
    + """
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    const lum = luminance(style.backgroundColor);
    if (lum === null || lum < 0.4) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 6 || box.height < 6 || box.width * box.height < 300 || style.visibility === 'hidden') continue;
    found.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent ?? '').trim().slice(0, 30)}" ${style.backgroundColor}`);
  }
  return found;
}"""
)

PAGE_BACKGROUND = (
    "() => {"
    + LUMINANCE
    + """
  return luminance(getComputedStyle(document.documentElement).backgroundColor);
}"""
)


def expect_dark(page: Page, name: str) -> None:
    settled(page)
    page.screenshot(path=f"/tmp/polish-dark-{re.sub(r'[^a-z]+', '-', name)}.png", full_page=True)
    assert page.evaluate(PAGE_BACKGROUND) < 0.05, f"{name}: the page's background is not dark"
    assert page.evaluate(LIGHT_ISLANDS) == [], f"{name}: light boxes on a dark page"


def minimap_luminances(page: Page) -> list[float]:
    """How light each node of the minimap is drawn (0 black, 1 white)."""
    expect(page.locator(".react-flow__minimap-node").first).to_be_attached()
    return page.locator(".react-flow__minimap-node").evaluate_all(
        "(nodes) => {" + LUMINANCE + " return nodes.map((n) => luminance(getComputedStyle(n).fill)); }"
    )


#: How many pixels of a chart's canvas are (nearly) this colour.
PIXELS_OF = """([selector, rgb]) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 100 && Math.abs(data[i] - rgb[0]) < 12 && Math.abs(data[i + 1] - rgb[1]) < 12 && Math.abs(data[i + 2] - rgb[2]) < 12) count++;
  }
  return count;
}"""
RUNS_CHART = ".metrics__charts figure:first-child canvas"
ACCENT_LIGHT, ACCENT_DARK = (0x4F, 0x46, 0xE5), (0x81, 0x8C, 0xF8)  # frontend/src/lib/chart-theme.ts


def test_dark_mode_from_the_user_menu_reaches_every_page_its_charts_and_minimaps(login_as, ids):  # noqa: F811
    page = login_as("admin").new_page()
    page.goto("/monitor/contract_approval")
    expect(page.get_by_role("heading", name=re.compile(r"^Monitor"), level=1)).to_be_visible()
    expect(page.locator(RUNS_CHART)).to_be_visible()
    assert max(minimap_luminances(page)) > 0.3
    assert page.evaluate(PIXELS_OF, [RUNS_CHART, list(ACCENT_LIGHT)]) > 0
    assert page.evaluate(LIGHT_ISLANDS), "the light-box check finds none even on a light page: it checks nothing"

    # Live: the chart and the minimap are drawn again in the dark colours, no reload.
    Shell(page).set_dark(True)  # from the person's menu
    page.keyboard.press("Escape")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.wait_for_function(f"() => ({PIXELS_OF})(['{RUNS_CHART}', {list(ACCENT_DARK)}]) > 0")
    assert page.evaluate(PIXELS_OF, [RUNS_CHART, list(ACCENT_LIGHT)]) == 0
    assert max(minimap_luminances(page)) < 0.3, "the minimap kept light nodes on a dark page"
    # The legend says the numbers without a cursor over the chart.
    expect(page.get_by_role("list", name="Runs started per day (last 30 days): legend")).to_have_text(
        re.compile(r"Runs started: \d+ runs? in all")
    )
    expect(page.get_by_role("list", name="Time spent per stage: legend")).to_contain_text(re.compile(r"Median: (highest \d|none yet)"))
    expect_dark(page, "monitor")

    for app_page in PAGES:
        if app_page.who is None or app_page.name == "monitor":
            continue
        page.goto(app_page.path.format(run=ids.run, record=ids.record, item=ids.item, key=ids.key))
        app_page.ready(page)
        if app_page.name in ("builder", "run"):
            assert max(minimap_luminances(page)) < 0.3, f"{app_page.name}: the minimap kept light nodes"
        expect_dark(page, app_page.name)
        if app_page.name == "builder":  # what opens over a page: a dialog, the bell, the person's menu
            page.keyboard.press("?")
            expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
            expect_dark(page, "builder, shortcuts")
            page.keyboard.press("Escape")
            page.get_by_role("button", name=re.compile(r"^Notifications")).click()
            expect(page.get_by_role("region", name="Notifications")).to_be_visible()
            expect_dark(page, "builder, notifications")
            page.get_by_role("region", name="Notifications").get_by_role("button", name="Close").click()
            Shell(page).open_user_menu()
            expect_dark(page, "builder, account menu")
            page.keyboard.press("Escape")

    # Signed out, the sign-in page stays dark (the choice is the browser's).
    Shell(page).sign_out()
    expect_dark(page, "sign-in")


def canvas_width(page: Page) -> float:
    box = page.locator(".canvas-area").bounding_box()
    assert box is not None
    return box["width"]


def test_both_side_panels_of_the_builder_collapse_at_1024_px_and_stay_collapsed(login_as):
    page = login_as("admin").new_page()
    page.set_viewport_size({"width": 1024, "height": 768})
    builder = BuilderPage(page).open("contract_approval")
    before = canvas_width(page)
    left, right = builder.panel_toggle("left"), builder.panel_toggle("right")
    expect(left).to_have_attribute("aria-expanded", "true")
    builder.collapse_panel("left")
    page.keyboard.press("]")  # the right one by its shortcut
    expect(left).to_have_attribute("aria-expanded", "false")
    expect(right).to_have_attribute("aria-expanded", "false")
    expect(builder.palette).to_have_count(0)
    expect(builder.inspector).to_have_count(0)
    page.wait_for_function("() => document.querySelector('.canvas-area').getBoundingClientRect().width >= 900")
    page.screenshot(path="/tmp/polish-builder-collapsed.png")
    assert before < 500 <= 900 <= canvas_width(page), (before, canvas_width(page))

    page.reload()
    builder.wait_until_ready()
    expect(right).to_have_attribute("aria-expanded", "false")
    assert canvas_width(page) >= 900

    # A node's properties: a double-click away even with the panel collapsed.
    builder.node("legal_review").dblclick()
    expect(right).to_have_attribute("aria-expanded", "true")
    expect(builder.inspector.locator("#inspector-title .inspector__id")).to_have_text("legal_review")
    page.screenshot(path="/tmp/polish-builder-properties.png")
    # The help lists both shortcuts.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("Collapse or expand the left panel")
    page.keyboard.press("Escape")
    left.click()
    expect(builder.palette).to_be_visible()


def test_picking_a_group_clears_the_stale_assignee_error(login_as, api):
    key = unique_key("polish")
    document = one_stage(key, "Stale issue")
    document["nodes"][2]["assignee"] = {"type": "group", "value": ""}
    api("admin").create_orchestration(document)
    page = login_as("admin").new_page()
    builder = BuilderPage(page).open(key)
    builder.inspect("check")
    assignee = builder.inspector.locator("fieldset.assignee")
    expect(assignee.locator(".field-issue")).to_contain_text("must not be empty")
    expect(builder.issue_at("check", "assignee.value")).to_have_count(1)

    builder.set_assignee("group", "legal")
    expect(assignee.locator(".field-issue")).to_have_count(0)
    expect(builder.issue_at("check", "assignee.value")).to_have_count(0)
    page.screenshot(path="/tmp/polish-assignee-cleared.png")
    # Saved and checked again, it does not come back.
    expect(builder.status).to_contain_text(re.compile(r"Saved"))
    assert not [i for i in api("admin").orchestration(key)["draft"]["issues"] if i["node"] == "check"]
    expect(assignee.locator(".field-issue")).to_have_count(0)
