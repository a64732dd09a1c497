"""Which steps of a scenario the UI runner plays side by side (each persona in a browser of its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.testing.results import ScenarioResult
from runtime.testing.scenario import load_scenario
from runtime.testing.suite import load_file
from runtime.testing.ui.report import line, write_html
from runtime.testing.ui.runner import BrowserThread, StepRecord, UiResult, side_by_side

SCENARIOS = Path(__file__).resolve().parents[3] / "runtime" / "templates" / "scenarios"


def steps(text: str) -> list[dict]:
    """The steps after the start."""
    head = "scenario: 1\nname: s\norchestration: o\npersonas: {a: {user: a}, b: {user: b}, c: {user: c}}\nsteps:\n"
    return load_scenario(head + "  - start: {as: a}\n" + text).steps[1:]


def test_completions_of_different_personas_in_a_row_go_side_by_side():
    assert side_by_side(
        steps(
            """
  - {as: a, complete: draft}
  - {as: b, complete: legal}
  - {as: c, complete: finance, claim: true, values: {margin: 3}}
  - expect: {status: completed}
"""
        )
    ) == [[0, 1, 2]]


def test_anything_else_a_persona_twice_or_an_expected_error_ends_a_group():
    assert side_by_side(
        steps(
            """
  - {as: a, complete: x}
  - {as: b, complete: y}
  - {as: a, complete: z}
  - {as: c, complete: w}
  - expect: {stage: s}
  - {as: a, complete: x}
  - advance: P1D
  - {as: b, complete: y}
  - {as: c, complete: z, expect_error: forbidden}
  - {as: a, complete: w}
  - event: {name: paid}
  - {as: b, complete: v}
"""
        )
    ) == [[0, 1], [2, 3]]


def test_several_approvers_of_one_step_go_side_by_side_but_not_a_claim_and_its_completion():
    assert side_by_side(
        steps(
            """
  - {as: a, complete: approve}
  - {as: b, complete: approve}
  - expect: {stage: s}
  - {as: c, claim: review}
  - {as: a, complete: review}
  - {as: b, release: other}
"""
        )
    ) == [[0, 1], [4, 5]]


def test_the_rule_reads_the_steps_only_the_run_says_whether_the_items_are_open():
    # Legal's and finance's reviews are in a row, by different personas: the rule offers them,
    # but finance's item opens only once legal's is done, so the runner plays them one after
    # another (it checks every item is open before it plays a group side by side).
    scenario = load_file(SCENARIOS / "contract_approval" / "big_deal_withdrawn.scenario.yaml")
    groups = side_by_side(scenario.steps)  # type: ignore[union-attr]
    assert [[scenario.steps[i]["complete"] for i in group] for group in groups] == [["legal_review", "finance_review"]]  # type: ignore[union-attr]


def test_the_report_says_which_steps_ran_side_by_side(tmp_path):
    result = UiResult(ScenarioResult("Both sign", "s.scenario.yaml", "o"), None)
    result.steps = [
        StepRecord(0, "start", "a", "sam", "start"),
        StepRecord(1, "complete", "a", "sam", "complete x", alongside=[2, 3]),
        StepRecord(2, "complete", "b", "bea", "complete y", alongside=[1, 3]),
        StepRecord(3, "complete", "c", "cy", "complete z", alongside=[1, 2]),
    ]
    assert "  side by side: steps 2, 3 and 4" in line(result).splitlines()
    write_html([result], tmp_path / "report.html", server="http://example.test")
    page = (tmp_path / "report.html").read_text()
    assert "passed · 0.0 s · side by side with steps 3 and 4" in page and "side by side with steps 2 and 3" in page


def test_a_browser_thread_that_cannot_launch_answers_each_step_and_stops():
    thread = BrowserThread({"executable_path": "/nonexistent/chromium", "headless": True})
    heard: list[tuple[Any, Any]] = []
    done = thread.submit(lambda browser, failed: heard.append((browser, failed)))
    assert done.wait(30)
    ((browser, failed),) = heard
    assert browser is None and "/nonexistent/chromium" in str(failed)
    thread.stop()
    assert not thread.thread.is_alive()


def test_a_step_not_done_in_time_fails_at_its_step_and_the_runner_goes_on(tmp_path, monkeypatch):
    import threading
    from types import SimpleNamespace

    from runtime.testing.ui import runner

    stuck = SimpleNamespace(submit=lambda job: threading.Event())  # a thread that never answers
    dropped: list[object] = []
    session = SimpleNamespace(admin=None, artifacts=tmp_path, browser_threads=lambda n: [stuck] * n, drop=dropped.append)
    scenario = load_scenario(
        "scenario: 1\nname: s\norchestration: o\npersonas: {a: {user: a}, b: {user: b}}\nsteps:\n"
        "  - start: {as: a}\n  - {as: a, complete: x}\n  - {as: b, complete: y}\n"
    )
    run = runner.ScenarioRun(session, scenario, "s")  # type: ignore[arg-type]
    run.ui.personas = {"a": ("sam", "file"), "b": ("bea", "file")}
    run._apis = {name: (user, None) for name, (user, _) in run.ui.personas.items()}
    monkeypatch.setattr(runner, "GROUP_WAIT", 0.1)
    monkeypatch.setattr(run, "_play", lambda record, step: True)

    assert run._side_by_side([1, 2]) is False
    first, second = run.ui.steps
    assert (first.index, first.status, first.alongside) == (1, "passed", [2])
    assert second.status == "failed" and "step 3 (complete y) as b (bea): not done after 0 s side by side with steps 2" in second.message
    assert [f.step for f in run.ui.result.failures] == [2] and dropped == [stuck]
