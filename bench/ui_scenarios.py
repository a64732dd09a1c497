#!/usr/bin/env python3
"""Every shipped template's scenarios and generated path tests through the real UI, timed.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.

Setup: ``overture serve`` on a free port with a freshly seeded demo database and a test
clock (``OVERTURE_TEST_CLOCK=1``, ``e2e/fixtures/server.py``), or ``--url`` for a server
already running (``make run`` with the variable set; the demo's accounts). Debian's
Chromium, headless; each persona in its own browser context (``runtime/testing/ui``).

For each scenario file under ``runtime/templates/scenarios`` (the hand-written ones and
those in ``generated/``): PASS/FAIL/SKIP, the time through the UI (signing the personas
in, every page, every check), the time of the same scenario on the in-memory engine, and
the ratio. The HTML report with a screenshot per step is written under ``--report``.

    .venv/bin/python bench/ui_scenarios.py [--url URL] [-k TEXT] [--report DIR]
"""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from e2e.fixtures.server import LiveServer
from runtime.testing.ui import report
from runtime.testing.ui.personas import demo_accounts
from runtime.testing.ui.runner import UiResult
from runtime.testing.ui.suite import run_ui

SCENARIOS = REPO / "runtime" / "templates" / "scenarios"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one with a test clock)")
    parser.add_argument("-k", dest="keyword", help="only scenarios whose name or file contains TEXT")
    parser.add_argument("--report", type=Path, default=REPO / "test-results" / "ui-bench", help="where the HTML report goes")
    args = parser.parse_args()

    server = nullcontext(None) if args.url else LiveServer(env={"OVERTURE_TEST_CLOCK": "1"})
    with server as started:
        url = args.url or started.url  # type: ignore[union-attr]
        print(f"server {url}; scenarios under {SCENARIOS.relative_to(REPO)}")
        print(f"{'result':6} {'UI s':>7} {'memory ms':>10} {'ratio':>8}  scenario")

        def heard(result: UiResult) -> None:
            memory = result.memory_ms
            ratio = f"{result.result.duration_ms / memory:8.0f}" if memory and result.status != "skipped" else f"{'-':>8}"
            shown = f"{memory:10.1f}" if memory is not None else f"{'-':>10}"
            name = Path(result.result.source or result.result.name).name
            print(f"{report.MARKS[result.status]:6} {result.result.duration_ms / 1000:7.1f} {shown} {ratio}  {name}", flush=True)
            if result.status != "passed":
                print("\n".join("       " + line for line in report.line(result).splitlines()[1:]), flush=True)

        suite = run_ui(url, demo_accounts(), args.report, paths=[SCENARIOS], keyword=args.keyword, compare_memory=True, progress=heard)
    ran = [r for r in suite.results if r.status != "skipped"]
    ui_s = sum(r.result.duration_ms for r in ran) / 1000
    memory_ms = sum(r.memory_ms or 0 for r in ran)
    print(report.summary(suite.results))
    if ran:
        print(f"through the UI: {ui_s:.1f} s in all, {ui_s / len(ran):.1f} s a scenario; in memory: {memory_ms:.0f} ms in all")
    print(f"report: {suite.html}")


if __name__ == "__main__":
    main()
