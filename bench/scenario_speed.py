#!/usr/bin/env python3
"""Scenario speed: how long one ~20-step scenario takes in the scenario runner.

A benchmark, not a test: it prints figures and never asserts a wall-clock time. The
target is "a 20-step scenario well under 100 ms".

The scenario is the shipped ``contract_approval`` template's long path: a 60k contract
is rejected by finance, the sales rep revises it to 45k and resubmits, legal and finance
approve again, the executive signs; with assertions between the actions, a persona who
is refused (``expect_error``), a clock ``advance`` that fires legal's escalation, and a
mocked step. Each run builds a fresh in-memory engine (the compiled spec is cached, as it
is for a suite), and negative checks are on (the default) unless ``--no-negative``.

Figures: median and p95 ms per scenario over ``--runs`` runs (after a warm-up run), and
scenario steps per second.

Usage: ``.venv/bin/python bench/scenario_speed.py [--runs 200] [--no-negative]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.templates import load  # noqa: E402
from runtime.testing import Scenario, run_scenario  # noqa: E402


def long_path(negative_checks: bool) -> Scenario:
    """The contract's revise loop as a 21-step scenario."""
    fields = {"title": "Globex renewal", "customer": "Globex", "amount": 60000, "status": "submitted"}
    return (
        Scenario("Rejected, revised, signed", orchestration="contract_approval", negative_checks=negative_checks)
        .persona("requester", user="sam", groups=["sales"])
        .persona("legal", user="alice", groups=["legal"])
        .persona("finance", user="fiona", groups=["finance"])
        .persona("exec", user="erin", groups=["executives"])
        .mock(step="mark_signed", result={"record": {"status": "signed"}})
        .start(record={"object": "contract", "owner": "requester", "fields": fields})
        .expect(stage="legal", ball=[{"group": "legal"}], visible={"legal": ["legal_review"], "requester": []})
        .as_("requester")
        .complete("legal_review", outcome="approve", expect_error="forbidden")
        .advance("P3D")
        .expect(notifications=[{"to": {"group": "legal"}, "kind": "escalation"}])
        .as_("legal")
        .complete("legal_review", outcome="approve", values={"notes": "ok"})
        .expect(stage="finance")
        .as_("finance")
        .complete("finance_review", outcome="reject", values={"reason": "margin"})
        .expect(stage="revise", record={"status": "in_revision"}, ball=[{"user": "sam"}])
        .as_("requester")
        .complete("revise_contract", outcome="resubmit", values={"amount": 45000})
        .expect(stage="legal", vars={"rounds": 1}, record={"amount": 45000})
        .as_("legal")
        .claim("legal_review")
        .as_("legal")
        .complete("legal_review", outcome="approve")
        .expect(stage="finance")
        .as_("finance")
        .complete("finance_review", outcome="approve")
        .expect(stage="executive", ball=[{"group": "executives"}])
        .as_("exec")
        .complete("sign", outcome="sign", values={"signed_on": "2026-01-12"})
        .expect(status="completed", node="signed")
        .expect(stages_visited=["legal", "finance", "revise", "legal", "finance", "executive"])
        .expect(steps={"mark_signed": "completed", "vp_approval": "not_started"})
        .expect(outcomes={"sign": "sign"})
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="scenario runs to time (default 200)")
    parser.add_argument("--no-negative", action="store_true", help="turn negative checks off")
    options = parser.parse_args()

    scenario = long_path(not options.no_negative)
    document = load("contract_approval")
    warm = run_scenario(scenario, document=document)
    if not warm.passed:
        raise SystemExit(warm.report())
    times = []
    for _ in range(options.runs):
        began = time.perf_counter()
        run_scenario(scenario, document=document)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    steps = len(scenario.steps)
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"scenario: {scenario.name!r}, {steps} steps, negative checks {'off' if options.no_negative else 'on'}")
    print(f"runs: {options.runs}")
    print(f"ms per scenario: median {median:.2f}, p95 {p95:.2f}, min {times[0]:.2f}, max {times[-1]:.2f}")
    print(f"scenario steps/s: {steps * 1000 / statistics.mean(times):,.0f}")


if __name__ == "__main__":
    main()
