#!/usr/bin/env python3
"""Canvas speed: a 500-node orchestration in the builder, in headless Chromium.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.
Targets: open + render + fit < 1.5 s; "Tidy up layout" < 1 s.

Setup: the production build (``builder/static/app``, ``npm run build``; the dev server
is never used) served by a real ``overture serve`` on a free port with a fresh SQLite
database (``e2e/fixtures/server.py``). A generated document — by default 50 stages of
8 steps (interactive, background and wait), 48 decisions between them, a start and an
end: 500 nodes, 147 edges, every node placed (``ui``), so opening it needs no layout —
is saved as a draft through the API. Debian's Chromium (``/usr/bin/chromium``), headless,
1400x900, signed in as the demo admin.

Figures (milliseconds from the navigation's start, ``performance.now()`` in the page,
read by a requestAnimationFrame poll in the page, so to within a frame):
- **open**: the draft's JSON arrived (resource timing); every node is in the DOM and
  measured (React Flow shows a node only once measured) and the viewport has been fitted
  (its transform left the initial ``translate(0, 0) scale(1)``). Then whether every node
  is really in view; if not (the canvas's fitView missed), how long the Fit View control
  takes, and a NOTE. First visit (nothing cached) and ``--repeat - 1`` more visits
  (scripts cached), each a fresh page.
- **drag**: a stage with its steps dragged 400 px in 60 mouse moves (at the fitted zoom);
  the intervals between animation frames meanwhile (p50, p95, max; frames over 50 ms: a
  blocked main thread delays them), and how long the moves took (Playwright waits until
  the page has handled each one).
- **layout**: from the click on "Tidy up layout" until the nodes have moved (elkjs, in a
  web worker, placed every node and the canvas drew it), the fitView animation (300 ms)
  after it not included. The builder lays the graph out ahead when the page is idle and
  keeps the result while the graph is unchanged (moving nodes does not change it). On
  each of ``--layout-pages`` fresh pages (the draft reset to the generated positions):
  *first use*, clicked ``--settle`` ms after the canvas showed (median of the pages);
  *repeat* (undo, tidy again: the graph unchanged); *changed graph* (undo, delete a step,
  tidy: elkjs runs again, its code warm). One more fresh page is clicked the moment the
  canvas showed (the layout ahead may not have started: elkjs loads and runs cold).
  For each click, the longest interval between animation frames from the click until the
  nodes had moved: while elkjs works in the worker the page keeps drawing (near 16 ms),
  so it is mostly the time the page takes to apply the placements and draw them. For
  each page, how long elkjs took each time it ran (the ``overture:layout`` User Timing
  entries of frontend/src/lib/layout.ts: request to result).

    .venv/bin/python bench/canvas_speed.py
    .venv/bin/python bench/canvas_speed.py --stages 20 --steps 5 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import BrowserContext, Page, sync_playwright  # noqa: E402

from e2e.fixtures.api import Api  # noqa: E402
from e2e.fixtures.browser import VIEWPORT, launch_options  # noqa: E402
from e2e.fixtures.server import APP_INDEX, DEMO_PASSWORD, LiveServer  # noqa: E402

KEY = "canvas_speed"
READABLE_ZOOM = 11 / 13  # frontend/src/lib/fit.ts: node labels (13 px) no smaller than 11 px
STEP_TYPES = ("interactive", "background", "wait")
STAGE_W, STAGE_HEADER, STEP_W, STEP_H, STEP_GAP, PAD = 320, 56, 280, 56, 12, 20


def generate(stages: int, steps: int, decisions: int) -> dict[str, Any]:
    """start -> stage 1 -> [decision] -> stage 2 -> ... -> end, decisions after the first stages.

    A decision's "again" outcome goes back to the stage before it (a loop through a
    decision, as FORMAT.md allows); its default goes on.
    """
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "start", "ui": {"x": 0, "y": 0}}]
    edges: list[dict[str, Any]] = []
    per_row = 8
    stage_h = STAGE_HEADER + steps * (STEP_H + STEP_GAP) + PAD
    previous = "start"
    for s in range(1, stages + 1):
        row, col = divmod(s - 1, per_row)
        x, y = 200 + col * 720, row * (stage_h + 160)
        stage = f"stage_{s}"
        nodes.append(
            {
                "id": stage,
                "type": "stage",
                "label": f"Stage {s}",
                "entry": None,
                "exit": {"when": "all_steps"},
                "ui": {"x": x, "y": y, "width": STAGE_W, "height": stage_h},
            }
        )
        for t in range(1, steps + 1):
            kind = STEP_TYPES[(t - 1) % len(STEP_TYPES)]
            step: dict[str, Any] = {
                "id": f"s{s}_step_{t}",
                "type": kind,
                "stage": stage,
                "label": f"Step {s}.{t}",
                "start": {"when": "stage_start"} if t == 1 else {"when": "after", "steps": [f"s{s}_step_{t - 1}"]},
                "ui": {"x": PAD, "y": STAGE_HEADER + (t - 1) * (STEP_H + STEP_GAP)},
            }
            if kind == "interactive":
                step.update(
                    assignee={"type": "group", "value": "legal"}, form={"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}
                )
            elif kind == "background":
                step.update(action="vars.set", inputs={"name": "'n'", "value": str(t)})
            else:
                step.update(timer={"duration": "PT1H"})
            nodes.append(step)
        edges.append({"id": f"e_{previous}_{stage}", "source": previous, "target": stage})
        previous = stage
        if s <= decisions and s < stages:
            decision = f"decision_{s}"
            nodes.append(
                {
                    "id": decision,
                    "type": "decision",
                    "label": f"Decision {s}",
                    "outcomes": [{"id": "again", "label": "Again", "condition": f"stages.{stage}.visits < 2"}],
                    "ui": {"x": x + STAGE_W + 120, "y": y + 40},
                }
            )
            edges.append({"id": f"e_{stage}_{decision}", "source": stage, "target": decision})
            edges.append({"id": f"e_{decision}_again", "source": decision, "target": stage, "outcome": "again"})
            previous = decision
    nodes.append({"id": "end", "type": "end", "label": "End", "ui": {"x": 200 + per_row * 720, "y": 0}})
    edges.append({"id": f"e_{previous}_end", "source": previous, "target": "end"})
    # Decisions' default edges go on to the next stage (or the end).
    fixed = []
    for edge in edges:
        if edge["source"].startswith("decision_") and "outcome" not in edge:
            edge["outcome"] = "default"
        fixed.append(edge)
    return {"format": 1, "key": KEY, "label": "Canvas speed", "trigger": {"type": "manual"}, "nodes": nodes, "edges": fixed}


OPENED = """(n) => {
  const nodes = document.querySelectorAll('.react-flow__node');
  if (nodes.length !== n) return false;
  for (const node of nodes) if (node.style.visibility === 'hidden') return false;
  const viewport = document.querySelector('.react-flow__viewport');
  if (!viewport || /translate\\(0px, 0px\\) scale\\(1\\)/.test(viewport.style.transform)) return false;
  window.__opened = performance.now();
  return true;
}"""

MARKS = """(key) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const draft = performance.getEntriesByType('resource').find((r) => r.name.endsWith('/api/orchestrations/' + key));
  return {
    html: nav ? nav.responseEnd : null,
    dom_content_loaded: nav ? nav.domContentLoadedEventEnd : null,
    draft_json: draft ? draft.responseEnd : null,
    opened: window.__opened,
    zoom: Number((document.querySelector('.react-flow__viewport').style.transform.match(/scale\\(([\\d.]+)\\)/) || [0, 0])[1]),
  };
}"""


IN_VIEW = """() => {
  const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
  const nodes = [...document.querySelectorAll('.react-flow__node')];
  const inside = nodes.filter((n) => {
    const r = n.getBoundingClientRect();
    return r.left >= pane.left - 1 && r.right <= pane.right + 1 && r.top >= pane.top - 1 && r.bottom <= pane.bottom + 1;
  });
  return inside.length;
}"""

VISIBLE_STAGE = """(wanted) => {
  const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
  const shown = (n) => {
    const r = n.getBoundingClientRect();
    return r.left >= pane.left && r.right <= pane.right && r.top >= pane.top && r.bottom <= pane.bottom;
  };
  const stages = [...document.querySelectorAll('.react-flow__node-stage')].filter(shown).map((n) => n.dataset.id);
  return stages.includes(wanted) ? wanted : stages[stages.length - 1];
}"""

FIT_BUTTON = """() => new Promise((resolve) => {
  const viewport = document.querySelector('.react-flow__viewport');
  const before = viewport.style.transform;
  const t0 = performance.now();
  document.querySelector('.react-flow__controls-fitview').click();
  const poll = () => (viewport.style.transform !== before ? resolve(performance.now() - t0) : requestAnimationFrame(poll));
  requestAnimationFrame(poll);
})"""


def open_builder(page: Page, base: str, node_count: int) -> dict[str, float]:
    page.goto(f"{base}/builder/{KEY}", wait_until="commit")
    page.wait_for_function(OPENED, arg=node_count, polling="raf", timeout=120_000)
    marks = page.evaluate(MARKS, KEY)
    # Whether the canvas's own fitView showed every node; if not, what the Fit View control takes.
    page.wait_for_timeout(300)
    marks["in_view"] = page.evaluate(IN_VIEW)
    marks["fit_button"] = None
    # The canvas fits readably (frontend/src/lib/fit.ts): a flow too big to read whole is shown
    # from its start at the lowest readable zoom, so fewer nodes in view is no miss then.
    readable_fit = marks["zoom"] >= READABLE_ZOOM - 1e-3
    if marks["in_view"] < node_count and not readable_fit:
        marks["fit_button"] = page.evaluate(FIT_BUTTON)
        page.wait_for_timeout(100)
        marks["in_view_after_button"] = page.evaluate(IN_VIEW)
    return marks


def drag(page: Page, node_id: str, distance: float = 400, moves: int = 60) -> dict[str, float]:
    header = page.locator(f'[data-testid="rf__node-{node_id}"] .node__header').first
    box = header.bounding_box()
    assert box is not None
    x, y = box["x"] + 10, box["y"] + box["height"] / 2
    page.evaluate("""() => {
      window.__frames = [];
      window.__recording = true;
      const tick = (t) => { if (!window.__recording) return; window.__frames.push(t); requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    }""")
    page.wait_for_function("() => window.__frames.length > 5", polling="raf")
    started = time.perf_counter()
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5, steps=2)
    page.mouse.move(x + distance, y + distance / 4, steps=moves)
    page.mouse.up()
    took = (time.perf_counter() - started) * 1000
    page.wait_for_timeout(100)  # a few more frames: the drop's re-render
    frames: list[float] = page.evaluate("() => { window.__recording = false; return window.__frames; }")
    gaps = sorted(b - a for a, b in zip(frames, frames[1:]))
    return {
        "moves_ms": took,
        "frames": len(frames),
        "p50": statistics.median(gaps),
        "p95": gaps[int(len(gaps) * 0.95) - 1],
        "max": gaps[-1],
        "over_50ms": sum(g > 50 for g in gaps),
    }


TIDY = """(probe) => new Promise((resolve, reject) => {
  const node = document.querySelector(`[data-testid="rf__node-${probe}"]`);
  const before = node.style.transform;
  const button = [...document.querySelectorAll('header.toolbar button')].find((b) => b.textContent === 'Tidy up layout');
  const t0 = performance.now();
  const frames = [t0];
  button.click();
  const poll = (t) => {
    frames.push(t);
    const now = document.querySelector(`[data-testid="rf__node-${probe}"]`);
    if (now && now.style.transform !== before) {
      // A blocked main thread spaces frames out; the last stretch (the frame's start until
      // the nodes had moved) counts too.
      const end = performance.now();
      const gaps = [...frames.slice(1), end].map((f, i) => f - frames[i]);
      resolve({ took: end - t0, longest_frame: Math.max(...gaps), frames: frames.length - 1 });
    } else if (performance.now() - t0 > 60000) reject(new Error(`${probe} did not move within 60 s of "Tidy up layout"`));
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})"""


def tidy_up(page: Page, probe: str) -> dict[str, float]:
    return page.evaluate(TIDY, probe)


def layout_page(context: BrowserContext, admin: Api, base: str, document: dict[str, Any], settle_ms: int) -> dict[str, Any]:
    """A fresh page on the generated draft: "Tidy up" (first use), undo and again (repeat),
    undo, delete a step and again (changed graph); with elkjs's own times on the page."""
    admin.save_draft(document)
    page = context.new_page()
    open_builder(page, base, len(document["nodes"]))
    if settle_ms:
        page.wait_for_timeout(settle_ms)
    probe = f"stage_{sum(n['type'] == 'stage' for n in document['nodes'])}"
    figures: dict[str, Any] = {"first": tidy_up(page, probe)}
    if settle_ms:
        page.wait_for_timeout(500)  # the fitView animation
        page.keyboard.press("Control+z")  # back to the generated positions
        page.wait_for_timeout(300)
        figures["repeat"] = tidy_up(page, probe)
        page.wait_for_timeout(500)
        page.keyboard.press("Control+z")
        page.wait_for_timeout(300)
        page.locator(".react-flow__controls-fitview").click()  # the undone positions, in view
        page.wait_for_timeout(500)
        page.locator('[data-testid="rf__node-s1_step_1"]').click()
        page.keyboard.press("Delete")
        page.wait_for_function("() => !document.querySelector('[data-testid=\"rf__node-s1_step_1\"]')")
        figures["changed"] = tidy_up(page, probe)
    figures["elk_runs"] = page.evaluate("() => performance.getEntriesByName('overture:layout').map((e) => e.duration)")
    page.wait_for_timeout(2000)  # the autosave, before the page goes
    page.close()
    return figures


def describe_layout(label: str, figures: dict[str, float]) -> str:
    return (
        f"  {label:<24}{figures['took']:>7.0f} ms   {figures['frames']:>3} frames meanwhile, "
        f"the longest {figures['longest_frame']:>4.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", type=int, default=50)
    parser.add_argument("--steps", type=int, default=8, help="steps per stage")
    parser.add_argument("--decisions", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=3, help="visits for the open figure (the first is cold)")
    parser.add_argument("--layout-pages", type=int, default=5, help="fresh pages for the first-use layout figure")
    parser.add_argument("--settle", type=int, default=1000, help='ms on the page before the first "Tidy up"')
    parser.add_argument("--screenshot", help="save a PNG of the opened canvas here")
    args = parser.parse_args()

    index = APP_INDEX.read_text() if APP_INDEX.exists() else ""
    if "/assets/" not in index or "@vite/client" in index:
        sys.exit(f"{APP_INDEX}: no production build; run `npm run build` (or make setup) first")

    document = generate(args.stages, args.steps, args.decisions)
    node_count, edge_count = len(document["nodes"]), len(document["edges"])
    print(
        f"document: {node_count} nodes ({args.stages} stages x {args.steps} steps, "
        f"{sum(n['type'] == 'decision' for n in document['nodes'])} decisions, start, end), {edge_count} edges; "
        f"{len(json.dumps(document)) / 1024:.0f} KiB of JSON"
    )

    with LiveServer() as server, sync_playwright() as playwright:
        admin = Api(server.url).sign_in("ada")
        admin.create_orchestration(document)
        browser = playwright.chromium.launch(**launch_options())
        request = playwright.request.new_context(base_url=server.url)
        request.post("/api/session", data={"username": "ada", "password": DEMO_PASSWORD})
        state = request.storage_state()
        request.dispose()
        context = browser.new_context(storage_state=state, viewport=VIEWPORT)
        context.set_default_timeout(120_000)
        print(f"Chromium {browser.version}, headless, {VIEWPORT['width']}x{VIEWPORT['height']}; server {server.url}")

        print("\nopen + render + fit (ms from navigation start; target < 1500)")
        print(
            f"  {'visit':<7}{'html':>8}{'DOMContentLoaded':>18}{'draft JSON':>12}{'all nodes + fit':>17}{'zoom':>7}"
            f"{'in view':>9}  Fit View control"
        )
        opened = []
        notes: list[str] = []
        page = None
        for visit in range(1, args.repeat + 1):
            if page is not None:
                page.close()
            page = context.new_page()
            marks = open_builder(page, server.url, node_count)
            opened.append(marks["opened"])
            label = "cold" if visit == 1 else f"warm {visit - 1}"
            print(
                f"  {label:<7}{marks['html']:>8.0f}{marks['dom_content_loaded']:>18.0f}{marks['draft_json'] or 0:>12.0f}"
                f"{marks['opened']:>17.0f}{marks['zoom']:>7.2f}{marks['in_view']:>9}  "
                + (
                    f"{marks['fit_button']:.0f} ms, then {marks['in_view_after_button']} in view"
                    if marks["fit_button"] is not None
                    else "not needed"
                )
            )
            if marks["fit_button"] is not None and visit == 1:
                notes.append(
                    f"the canvas opened at zoom {marks['zoom']:.2f} with {marks['in_view']} of {node_count} nodes "
                    "in view: its own fitView did not fit the graph (the Fit View control does)"
                )
        if args.screenshot:
            page.screenshot(path=args.screenshot)
        if len(opened) > 1:
            print(f"  warm median: {statistics.median(opened[1:]):.0f} ms")

        assert page is not None
        # The middle stage, or (the canvas showing the flow's start, readable) the last one in view.
        stage = page.evaluate(VISIBLE_STAGE, f"stage_{max(1, args.stages // 2)}")
        d = drag(page, stage)
        print(f"\ndrag {stage} (with its {args.steps} steps) 400 px in 60 moves")
        print(
            f"  moves took {d['moves_ms']:.0f} ms ({d['moves_ms'] / 62:.0f} ms per pointer move, dispatch to ack); {d['frames']} frames; frame interval p50 {d['p50']:.1f} ms, "
            f"p95 {d['p95']:.1f} ms, max {d['max']:.1f} ms; {d['over_50ms']} frames over 50 ms"
        )

        page.wait_for_timeout(2000)  # the autosave, before the page goes
        page.close()

        print("\nTidy up layout (elkjs in a web worker), click to nodes moved (target < 1000)")
        runs: dict[str, list[float]] = {"first": [], "repeat": [], "changed": []}
        for number in range(1, args.layout_pages + 1):
            figures = layout_page(context, admin, server.url, document, args.settle)
            for kind, label in (("first", "first use"), ("repeat", "repeat"), ("changed", "changed graph")):
                runs[kind].append(figures[kind]["took"])
                print(describe_layout(f"page {number} {label}", figures[kind]))
            print(f"  {'':<24}elkjs ran: " + ", ".join(f"{ms:.0f} ms" for ms in figures["elk_runs"]))
        at_once = layout_page(context, admin, server.url, document, 0)
        print(describe_layout("clicked at once", at_once["first"]))
        print(f"  {'':<24}elkjs ran: " + ", ".join(f"{ms:.0f} ms" for ms in at_once["elk_runs"]))
        for kind, label in (
            ("first", f"first use ({args.settle} ms after the canvas showed)"),
            ("repeat", "repeat"),
            ("changed", "changed graph"),
        ):
            times = runs[kind]
            print(
                f"  {label}: median {statistics.median(times):.0f} ms (min {min(times):.0f}, max {max(times):.0f}, "
                f"{len(times)} fresh pages)"
            )
        print(f"  clicked at once: {at_once['first']['took']:.0f} ms")
        for note in notes:
            print(f"\nNOTE: {note}")
        context.close()
        browser.close()


if __name__ == "__main__":
    main()
