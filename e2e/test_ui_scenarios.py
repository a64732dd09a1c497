"""Scenarios through the real UI (``overture test --ui``): the shipped templates' scenarios and
generated path tests pass against a demo server with a test clock, each persona in its own
browser; a deliberately broken release (a form field renamed) fails with the step, the
persona, the page, a screenshot and a clear message.

A representative subset (a hand-written scenario with a clock step and a refused completion,
and a generated path): ``bench/ui_scenarios.py`` runs them all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.fixtures.api import Api
from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.server import LiveServer
from runtime.templates import load
from runtime.testing.scenario import load_scenario
from runtime.testing.suite import load_file
from runtime.testing.ui.personas import demo_accounts
from runtime.testing.ui.runner import UiResult, UiSession, side_by_side
from runtime.testing.ui.suite import generated

SCENARIOS = Path(__file__).resolve().parents[1] / "runtime" / "templates" / "scenarios"


@pytest.fixture(scope="module")
def clocked_server(pytestconfig: pytest.Config) -> Iterator[LiveServer]:
    """A demo server of its own whose clock admins may move (the scenarios jump days ahead)."""
    output = Path(pytestconfig.getoption("--output"))
    with LiveServer(keep_log_at=output / "ui-scenarios-server.log", env={"OVERTURE_TEST_CLOCK": "1"}) as server:
        yield server


@pytest.fixture(scope="module")
def ui_session(clocked_server: LiveServer, browser: Any, pytestconfig: pytest.Config) -> Iterator[UiSession]:
    artifacts = Path(pytestconfig.getoption("--output")) / "ui-scenarios"
    with UiSession(clocked_server.url, demo_accounts(), artifacts, browser=browser) as session:
        yield session


def explain(result: UiResult) -> str:
    from runtime.testing.ui.report import line

    return line(result)


def test_a_scenario_and_a_generated_path_pass_through_the_ui(ui_session: UiSession) -> None:
    assert ui_session.test_clock
    result = ui_session.run(load_file(SCENARIOS / "contract_approval" / "small_deal_signed.scenario.yaml"))  # type: ignore[arg-type]
    assert result.status == "passed", explain(result)
    assert not [s for s in result.steps if s.status == "skipped"], explain(result)  # advance P3D moved the server's clock
    completed = [s for s in result.steps if s.action == "complete" and "must fail" not in s.did]
    assert [(s.persona, s.user) for s in completed] == [("legal", "alice"), ("finance", "fiona"), ("exec", "erin")]
    assert all("/work/" in (s.page or "") for s in completed)  # each in their own browser, on the item's page
    assert all(s.screenshot and Path(s.screenshot).exists() for s in result.steps if s.page)

    name, scenario = next((n, s) for n, s in generated(load("service_request")) if "rejected" in n)
    result = ui_session.run(scenario, name=name)
    assert result.status == "passed", explain(result)


def test_a_broken_release_fails_with_the_step_persona_page_and_screenshot(ui_session: UiSession, clocked_server: LiveServer) -> None:
    # Version 2 of Project milestones renames the requirements form's field the path test fills.
    admin = Api(clocked_server.url).sign_in("ada")
    document = copy.deepcopy(load("project_milestones"))
    gather = next(n for n in document["nodes"] if n["id"] == "gather_requirements")
    field = next(f for f in gather["form"]["fields"] if f["name"] == "document_url")
    field["name"], field["label"] = "spec_link", "Spec link"
    admin.save_draft(document)
    assert admin.activate("project_milestones") == 2
    name, scenario = generated(load("project_milestones"))[0]  # written for version 1

    result = ui_session.run(scenario, name=name)

    assert result.status == "failed"
    (failure,) = result.result.failures
    step = result.steps[failure.step or 0]
    assert step.action == "complete" and step.persona == "requester" and step.status == "failed"
    # The requirements and the sign-off are in a row, by different personas, but the sign-off opens
    # only when the requirements are in: the runner checked and played them one after another.
    assert side_by_side(scenario.steps)[0] == [2, 3] and not [s for s in result.steps if s.alongside]
    assert f"step {failure.step + 1} (complete gather_requirements" in failure.message  # type: ignore[operator]
    assert f"as requester ({step.user})" in failure.message and "/work/" in failure.message
    assert "has no field document_url" in failure.message
    assert failure.expected == "document_url" and "spec_link" in failure.actual
    assert step.screenshot and Path(step.screenshot).exists()
    assert result.trace and Path(result.trace).exists()


WAITS = """
scenario: 1
name: Started by hand, checked a day later
orchestration: {key}
personas:
  sales: {{user: sam}}
  legal: {{user: alice, groups: [legal]}}
steps:
  - start: {{as: sales, inputs: {{amount: 120, reason: a trip}}}}
  - advance: P1D
  - expect: {{stage: review, ball: [{{group: legal}}]}}
  - as: legal
    complete: check
  - expect: {{status: completed}}
  - advance: next
"""


def test_start_run_and_without_a_test_clock_advance_steps_are_skipped(live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    key = unique_key("by_hand")
    document = one_stage(key, f"By hand {key}")
    document["inputs"] = [
        {"name": "amount", "type": "number", "required": True, "label": "Amount"},
        {"name": "reason", "type": "string", "label": "Reason"},
    ]
    admin = Api(live_server.url).sign_in("ada")
    admin.create_orchestration(document)
    admin.activate(key)
    with UiSession(live_server.url, demo_accounts(), tmp_path, browser=browser) as session:
        assert not session.test_clock
        result = session.run(load_scenario(WAITS.format(key=key)))
    assert result.status == "passed", explain(result)  # what does not need the time still ran and held
    start = result.steps[0]
    assert start.did == "start (Start run)" and (start.page or "").endswith(f"/orchestrations/{key}/start")
    run = admin.run(result.result.run_id or "")
    assert run["inputs"] == {"amount": 120, "reason": "a trip"} and run["started_by"] == "sam"
    skipped = [s for s in result.steps if s.status == "skipped"]
    assert [s.action for s in skipped] == ["advance", "advance"]
    assert "the server has no test clock (start it with OVERTURE_TEST_CLOCK=1" in skipped[0].message


BOTH = """
scenario: 1
name: Legal and finance at once
orchestration: {key}
personas:
  sales: {{user: sam}}
  legal: {{user: alice, groups: [legal]}}
  finance: {{user: fiona, groups: [finance]}}
steps:
  - start: {{as: sales}}
  - expect: {{stage: review, visible: {{legal: [check], finance: [sign]}}}}
  - as: legal
    complete: check
  - as: finance
    complete: sign
    outcome: {sign}
  - expect: {{status: completed}}
"""


def test_parallel_steps_of_different_personas_play_side_by_side(live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    from runtime.testing.ui.report import line

    key = unique_key("both")
    document = one_stage(key, f"Both {key}")
    check = next(n for n in document["nodes"] if n["id"] == "check")
    document["nodes"].append({**check, "id": "sign", "label": "Sign it", "assignee": {"type": "group", "value": "finance"}})
    admin = Api(live_server.url).sign_in("ada")
    admin.create_orchestration(document)
    admin.activate(key)
    with UiSession(live_server.url, demo_accounts(), tmp_path, browser=browser) as session:
        both = session.run(load_scenario(BOTH.format(key=key, sign="done")), name="side by side")
        session.parallel = False
        serial = session.run(load_scenario(BOTH.format(key=key, sign="done")), name="one after another")
        session.parallel = True
        broken = session.run(load_scenario(BOTH.format(key=key, sign="refuse")), name="finance fails")

    assert both.status == "passed", explain(both)
    assert [(s.index, s.alongside) for s in both.steps if s.alongside] == [(2, [3]), (3, [2])]
    assert "  side by side: steps 3 and 4" in line(both).splitlines()
    assert all("/work/" in (s.page or "") and s.screenshot and Path(s.screenshot).exists() for s in both.steps[2:4])
    assert admin.run(both.result.run_id or "")["status"] == "completed"
    seconds = f"{both.result.duration_ms / 1000:.1f} s, one after another {serial.result.duration_ms / 1000:.1f} s"
    print(f"\nlegal and finance side by side: {seconds}")

    assert serial.status == "passed", explain(serial)
    assert not [s for s in serial.steps if s.alongside] and "side by side" not in line(serial)

    # Finance's step fails in its thread: reported as a step of its own, and legal's result too.
    assert broken.status == "failed"
    (failure,) = broken.result.failures
    legal, finance = broken.steps[2:4]
    assert legal.status == "passed" and finance.status == "failed" and failure.step == 3
    assert "step 4 (complete sign → refuse) as finance (fiona) on" in failure.message and "offers no outcome refuse" in failure.message
    assert finance.screenshot and Path(finance.screenshot).exists()
    assert broken.trace and broken.trace.endswith("trace-finance.zip") and Path(broken.trace).exists()
    assert len(broken.steps) == 4  # the scenario stops after the group
