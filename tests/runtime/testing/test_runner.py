"""The scenario runner: steps, assertions, mocks, the virtual clock, negative checks."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

import pytest

from runtime.directory import InMemoryDirectory
from runtime.templates import load
from runtime.testing import Coverage, DocumentSource, Scenario, load_scenario, run_scenario
from runtime.testing.runner import HANDLERS, Runner
from runtime.testing.scenario_format import ACTING, ACTIONS
from tests.runtime.testing import ORDER_PERSONAS, order_flow, run_text

HEAD = "scenario: 1\nname: test\norchestration: order_flow\n" + ORDER_PERSONAS


def steps(*parts: str) -> str:
    """YAML of a ``steps:`` list made of parts, each dedented on its own, indented under ``steps:``."""
    return "steps:\n" + textwrap.indent("".join(textwrap.dedent(part) for part in parts), "  ")


def order(*parts: str, mocks: str = "", extra: str = "", **options):
    """Run an order-flow scenario made of HEAD, optional mocks/extra keys and the steps ``parts`` (YAML)."""
    return run_text(HEAD + textwrap.dedent(extra) + textwrap.dedent(mocks) + steps(*parts), document=order_flow(), **options)


START = "- start: {inputs: {amount: 10, order_id: A1}, as: clerk}\n"
APPROVE = START + "- as: reviewer\n  complete: approve\n  outcome: approve\n"
CHARGE_OK = "mocks:\n  - step: charge\n    result: {status: 200}\n"


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of the test scenario file that contains ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def white_box(text: str, document: dict) -> Runner:
    """Run a scenario and keep the runner, to look at its engine."""
    runner = Runner(load_scenario(text), environment=None, directory=None)
    runner.run(document, DocumentSource())
    return runner


# ---------------------------------------------------------------------- steps


def test_every_action_of_the_scenario_format_has_a_handler():
    """The runner dispatches actions through HANDLERS: every action done as a person or on the run has one and
    nothing else does; the other actions of the format are the steps the runner does itself."""
    assert set(HANDLERS) == set(ACTING)
    assert set(ACTIONS) - set(HANDLERS) == {"expect", "mock", "advance"}
    assert all(callable(handler) and handler.__qualname__.startswith("Runner.") for handler in HANDLERS.values())


def test_a_whole_path_passes_with_every_kind_of_step():
    result = order(
        APPROVE,
        """\
        - expect: {stage: payment, steps: {charge: completed, confirm: waiting}, ball: [{system: wait}]}
        - event: {name: payment_confirmed, correlation: A1, payload: {receipt: r-1}}
        - expect: {stage: cooling, vars: {paid: true, receipt: r-1}}
        - advance: next
        - expect: {status: completed, node: done, stage: null, stages_visited: [review, payment, cooling]}
        """,
        mocks=CHARGE_OK,
    )
    assert result.passed, result.report()
    assert result.steps_run == 7
    assert result.path == ["review", "payment", "cooling"]
    assert result.run_id


def test_claim_release_and_reassign_steps():
    result = order(
        START,
        """\
        - as: reviewer
          claim: approve
        - expect: {visible: {reviewer: [approve], manager: []}}
        - as: reviewer
          release: approve
        - as: manager
          reassign: approve
          to: {persona: manager}
        - expect: {ball: [{user: mona}], visible: {manager: [approve], reviewer: []}}
        - as: manager
          reassign: approve
          to: {group: reviewers}
        - expect: {ball: [{group: reviewers}]}
        - as: reviewer
          complete: approve
          outcome: reject
          claim: true
        - expect: {status: completed, node: rejected}
        """,
    )
    assert result.passed, result.report()


def test_record_steps_on_a_template():
    text = """\
        scenario: 1
        name: record
        orchestration: service_request
        personas:
          customer: {user: carla}
          support: {user: sue, groups: [support]}
        steps:
          - start:
              record: {object: service_request, owner: customer, fields: {customer: C, kind: refund}}
          - update_record: {as: customer, fields: {reason: broken}}
          - expect: {record: {reason: broken, status: verifying, kind: refund}}
        """
    result = run_text(text)
    assert result.passed, result.report()


def test_ops_steps_suspend_resume_cancel():
    result = order(
        START,
        """\
        - suspend: true
        - expect: {status: suspended}
        - as: reviewer
          complete: approve
          outcome: approve
          expect_error: conflict
        - resume: true
        - cancel: true
        - expect: {status: cancelled, steps: {approve: discontinued}}
        """,
    )
    assert result.passed, result.report()


def test_a_mock_step_replaces_a_mock_from_that_point_on():
    result = order(
        START,
        """\
        - mock: {step: charge, fail: declined, retryable: false}
        - mock: {step: charge, result: {status: 201}}
        - as: reviewer
          complete: approve
          outcome: approve
        - expect: {steps: {charge: completed}}
        """,
    )
    assert result.passed, result.report()


def test_retry_after_a_failure_that_a_new_mock_fixes():
    doc = order_flow()
    del doc["edges"][5], doc["nodes"][-1]  # no fault path: a failed charge puts the run in error
    text = (
        HEAD
        + "mocks:\n  - step: charge\n    fail: gateway down\n    retryable: false\n"
        + steps(
            APPROVE,
            """\
        - expect: {status: error, error: {step: charge, message: gateway down}}
        - mock: {step: charge, result: {status: 200}}
        - as: manager
          retry: true
        - expect: {status: in_progress, stage: payment, steps: {charge: completed, confirm: waiting}}
        - retry: true
          expect_error: only a run in error can be retried
        """,
        )
    )
    result = run_text(text, document=doc)
    assert result.passed, result.report()


def test_start_with_inputs_that_do_not_fit_is_an_action_failure():
    result = order("- start: {inputs: {amount: ten, order_id: A1}}\n")
    (failure,) = result.failures
    assert failure.kind == "action" and failure.step == 0
    assert "start failed: the inputs do not fit the orchestration" in failure.message
    assert "amount" in failure.message


def test_a_record_triggered_start_that_starts_nothing_fails():
    text = """\
        scenario: 1
        name: no run
        orchestration: service_request
        steps:
          - start:
              record: {object: service_request, fields: {customer: C, kind: exchange}}
          - expect: {status: in_progress}
        """
    (failure,) = run_text(text).failures
    assert failure.kind == "action" and failure.step == 0 and failure.line == 5
    assert "creating the service_request record started no run of service_request" in failure.message
    assert "record.kind == 'refund'" in failure.message


def test_an_unknown_step_id_is_reported_at_run_time_with_its_line():
    text = HEAD + steps(START, "- as: reviewer\n  complete: aprove\n  outcome: approve\n")
    result = run_text(text, document=order_flow())
    (failure,) = result.failures
    assert failure.step == 1
    assert failure.line == line_of(text, "- as: reviewer")
    assert failure.kind == "action"
    assert "order_flow has no step 'aprove' with work items (interactive steps: approve)" in failure.message
    assert "test.scenario.yaml:%d: step 2:" % failure.line in result.report()


def test_completing_a_step_without_an_open_item_says_so():
    result = order(START + "- as: reviewer\n  complete: confirm\n")
    assert "step 'confirm' is wait, not interactive" in result.failures[0].message
    result = order(APPROVE + "- as: reviewer\n  complete: approve\n  outcome: approve\n", mocks=CHARGE_OK)
    assert "step approve has no open work item (the step is completed)" in result.failures[0].message


def test_the_runner_stops_at_the_first_failing_step():
    result = order(START + "- expect: {stage: payment}\n- expect: {stage: nowhere}\n")
    assert result.steps_run == 2
    assert [f.step for f in result.failures] == [1]


# ---------------------------------------------------------------------- assertions

ALL_WRONG = """\
- expect:
    status: completed
    stage: payment
    node: done
    steps: {approve: completed, nope: waiting}
    outcomes: {approve: approve}
    stages_visited: [review, payment]
    vars: {paid: true, ghost: 1}
    record: {status: x}
    ball: [{group: managers}]
    notifications: [{to: {group: reviewers}, subject: Paid}]
    notification_count: 5
    visible: {manager: [approve], reviewer: []}
    error: {step: charge}
"""


def test_every_assertion_kind_passes():
    result = order(
        START,
        """\
        - expect:
            status: in_progress
            stage: review
            node: review
            steps: {approve: in_progress, charge: not_started}
            outcomes: {approve: null}
            stages_visited: [review]
            vars: {paid: false, receipt: null}
            record: {status: x}
            ball: [{group: reviewers}]
            notifications: [{to: {group: reviewers}, kind: assignment, subject: Approve the order, body: Order flow}]
            notification_count: 1
            visible: {reviewer: [approve], manager: [], clerk: [], outsider: []}
        """,
    )
    # `record` on a run without one compares with null: the one mismatch here.
    (failure,) = result.failures
    assert failure.message == 'record: expected {"status": "x"}, got null'


def test_every_assertion_kind_reports_its_mismatch_with_step_line_and_diff():
    text = HEAD + steps(START, ALL_WRONG)
    result = run_text(text, document=order_flow())
    line = line_of(text, "- expect:")
    assert {f.step for f in result.failures} == {1}
    assert {f.line for f in result.failures} == {line}
    assert {f.kind for f in result.failures} == {"expect"}
    by_key = {f.message.split(":")[0]: f for f in result.failures}
    assert sorted(by_key) == sorted(
        [
            "status",
            "stage",
            "node",
            "steps",
            "outcomes",
            "stages_visited",
            "vars",
            "record",
            "ball",
            "notifications",
            "notification_count",
            "visible",
            "error",
        ]
    )
    assert by_key["status"].message == "status: expected 'completed', got 'in_progress'"
    assert by_key["status"].diff() == "--- expected\n+++ actual\n@@ -1 +1 @@\n-completed\n+in_progress"
    assert by_key["steps"].actual == {"approve": "in_progress", "nope": "(missing)"}
    assert "approve: expected 'completed', got 'in_progress'" in by_key["steps"].message
    assert by_key["outcomes"].actual == {"approve": None}
    assert by_key["stages_visited"].actual == ["review"]
    assert "-- payment" in by_key["stages_visited"].diff()
    assert by_key["vars"].actual == {"paid": False, "ghost": "(missing)"}
    assert by_key["ball"].actual == [{"group": "reviewers"}]
    assert "+- group: reviewers" in by_key["ball"].diff()
    assert "no notification matches" in by_key["notifications"].message
    assert by_key["notifications"].actual[0]["subject"] == "New work: Approve the order"
    assert by_key["notification_count"].actual == 1
    assert by_key["visible"].actual == {"manager": [], "reviewer": ["approve"]}
    assert by_key["error"].message == 'error: expected {"step": "charge"}, got no step in error'
    report = result.report()
    assert f"test.scenario.yaml:{line}: step 2: expect: status: expected 'completed'" in report
    assert json.loads(json.dumps(result.to_dict()))["failures"][0]["diff"]


def test_ball_and_visible_compare_as_sets():
    result = order(START + "- expect: {ball: [{group: reviewers}], visible: {reviewer: [approve]}}\n")
    assert result.passed, result.report()


def test_error_assertion_matches_the_failed_step_and_a_message_substring():
    mocks = "mocks:\n  - step: charge\n    fail: card declined\n    retryable: false\n"
    doc = order_flow()
    del doc["edges"][5]  # no fault path: the run goes to error
    del doc["nodes"][-1]
    text = (
        HEAD
        + mocks
        + steps(
            APPROVE,
            """\
        - expect: {status: error, error: {step: charge, message: CARD DECLINED}}
        - expect: {error: {step: approve}}
        """,
        )
    )
    result = run_text(text, document=doc)
    (failure,) = result.failures
    assert failure.step == 3
    assert failure.actual == {"step": "charge", "message": "card declined"}


# ---------------------------------------------------------------------- mocks


def test_a_result_mock_answers_the_action():
    runner = white_box(HEAD + "mocks:\n  - step: charge\n    result: {status: 200, body: {id: ch_1}}\n" + steps(APPROVE), order_flow())
    assert runner.result.passed, runner.result.report()
    charge = next(s for s in runner.engine.get_run(runner.run_id)["steps"] if s["id"] == "charge")
    assert charge["outputs"] == {"status": 200, "body": {"id": "ch_1"}}
    assert charge["attempts"] == 1


def test_a_failing_mock_fails_every_attempt_with_backoff_taken_on_the_virtual_clock():
    runner = white_box(
        HEAD
        + "mocks:\n  - step: charge\n    fail: card declined\n"
        + steps(APPROVE, "- expect: {status: completed, node: failed, stages_visited: [review, payment]}\n"),
        order_flow(),
    )
    assert runner.result.passed, runner.result.report()
    failed = [e for e in runner.engine.events(runner.run_id) if e["type"] == "action.failed"]
    assert [e["data"]["error"] for e in failed] == ["card declined"] * 3
    # Backoff PT10S then PT20S: the runner moved the clock instead of waiting.
    assert [e["at"] for e in failed] == ["2026-01-05T09:00:00+00:00", "2026-01-05T09:00:10+00:00", "2026-01-05T09:00:30+00:00"]


def test_a_mock_that_is_not_retryable_fails_once():
    runner = white_box(
        HEAD + "mocks:\n  - step: charge\n    fail: no such card\n    retryable: false\n" + steps(APPROVE, "- expect: {node: failed}\n"),
        order_flow(),
    )
    assert runner.result.passed, runner.result.report()
    assert sum(e["type"] == "action.failed" for e in runner.engine.events(runner.run_id)) == 1


def test_a_timeout_mock_fails_with_timed_out():
    result = order(APPROVE + "- expect: {node: done}\n", mocks="mocks:\n  - action: http.request\n    timeout: true\n")
    (failure,) = result.failures
    assert failure.actual == "failed"
    runner = white_box(HEAD + "mocks:\n  - action: http.request\n    timeout: true\n" + steps(APPROVE), order_flow())
    errors = [e["data"]["error"] for e in runner.engine.events(runner.run_id) if e["type"] == "action.failed"]
    assert errors == ["http.request: timed out"] * 3


def test_fail_times_then_succeed():
    runner = white_box(
        HEAD
        + "mocks:\n  - step: charge\n    fail_times: 2\n    result: {status: 200}\n"
        + steps(APPROVE, "- expect: {stage: payment, steps: {charge: completed}}\n"),
        order_flow(),
    )
    assert runner.result.passed, runner.result.report()
    events = runner.engine.events(runner.run_id)
    assert [e["data"]["error"] for e in events if e["type"] == "action.failed"] == ["mock failure", "mock failure"]
    assert sum(e["type"] == "action.succeeded" for e in events) == 1


def test_a_step_mock_wins_over_an_action_mock():
    mocks = "mocks:\n  - action: http.request\n    fail: down\n    retryable: false\n  - step: charge\n    result: {status: 200}\n"
    result = order(APPROVE + "- expect: {steps: {charge: completed}}\n", mocks=mocks)
    assert result.passed, result.report()
    result = order(APPROVE + "- expect: {node: failed}\n", mocks=mocks.replace("step: charge", "step: charge_other"))
    assert result.failures[0].kind == "mock"
    assert "no such background step (background steps: charge)" in result.failures[0].message


def test_a_missing_mock_for_http_request_fails_the_scenario():
    text = HEAD + steps(APPROVE, "- expect: {stage: payment}\n")
    result = run_text(text, document=order_flow())
    (failure,) = result.failures
    assert failure.kind == "mock"
    assert failure.step == 1 and failure.line == line_of(text, "- as: reviewer")
    assert failure.message == "step charge runs action http.request, which has no mock"


def test_a_mock_of_an_unknown_action_is_a_setup_failure():
    result = order(START, mocks="mocks:\n  - action: smtp.send\n    result: {}\n")
    (failure,) = result.failures
    assert failure.kind == "mock" and failure.step is None
    assert "mock for action 'smtp.send': no such action" in failure.message


# ---------------------------------------------------------------------- the virtual clock


def test_advance_fires_a_due_date_escalation():
    result = order(
        START,
        """\
        - advance: PT23H
        - expect: {notification_count: 1}
        - advance: P3D
        - expect:
            notifications: [{to: {group: managers}, kind: escalation, subject: "Overdue: Approve the order"}]
            notification_count: 2
        """,
    )
    assert result.passed, result.report()


def test_advance_next_fires_the_next_timer_and_fails_when_there_is_none():
    text = (
        HEAD
        + CHARGE_OK
        + steps(
            APPROVE,
            """\
        - event: {name: payment_confirmed, correlation: A1, payload: {receipt: r}}
        - advance: next
        - expect: {status: completed}
        - advance: next
        """,
        )
    )
    result = run_text(text, document=order_flow())
    (failure,) = result.failures
    assert failure.step == 5 and failure.line == len(text.splitlines())
    assert failure.message == "advance: next: no timer is waiting to fire"


def test_advance_fires_timers_at_their_own_time():
    runner = white_box(
        HEAD
        + CHARGE_OK
        + steps(
            APPROVE,
            """\
        - event: {name: payment_confirmed, correlation: A1, payload: {receipt: r}}
        - advance: P10D
        - expect: {status: completed}
        """,
            "  ",
        ),
        order_flow(),
    )
    assert runner.result.passed, runner.result.report()
    fired = next(e for e in runner.engine.events(runner.run_id) if e["type"] == "timer.fired")
    assert fired["at"] == "2026-01-07T09:00:00+00:00"
    assert runner.clock.now() == datetime(2026, 1, 15, 9, tzinfo=UTC)


def test_start_time_sets_the_clock():
    result = order(START + "- advance: P1D\n- expect: {notification_count: 2}\n", extra='start_time: "2026-06-01T12:00:00+02:00"\n')
    assert result.passed, result.report()


# ---------------------------------------------------------------------- negative checks


def test_negative_checks_pass_when_only_the_group_can_act():
    result = order(START + "- expect: {stage: review}\n")
    assert result.passed, result.report()


def test_a_directory_that_lets_an_outsider_act_is_a_negative_failure():
    broken = InMemoryDirectory({"rita": ["reviewers"], "outsider": ["reviewers"]})
    result = order(START + "- expect: {stage: review}\n", directory=broken)
    (failure,) = result.failures
    assert failure.kind == "negative" and failure.step == 0
    assert failure.message.startswith(
        "persona outsider (user outsider) may not act on step approve "
        "(assigned to group reviewers), but sees it in their work items and could claim it"
    )
    assert failure.expected == "forbidden"


def test_a_persona_the_file_does_not_put_in_the_group_is_checked_too():
    broken = InMemoryDirectory({"rita": ["reviewers"], "carl": ["reviewers", "clerks"]})
    result = order(START, directory=broken)
    assert "persona clerk (user carl) may not act on step approve" in result.failures[0].message


def test_negative_checks_can_be_turned_off():
    broken = InMemoryDirectory({"rita": ["reviewers"], "outsider": ["reviewers"]})
    result = order(START + "- expect: {stage: review}\n", directory=broken, extra="negative_checks: false\n")
    assert result.passed, result.report()


# ---------------------------------------------------------------------- expect_error


@pytest.mark.parametrize("wanted", ["forbidden", "not the assignee", "NOT THE ASSIGNEE"])
def test_expect_error_matches_a_kind_or_a_message(wanted):
    result = order(
        START
        + f"- as: clerk\n  complete: approve\n  outcome: approve\n  expect_error: {wanted}\n"
        + "- expect: {stage: review, steps: {approve: in_progress}}\n"
    )
    assert result.passed, result.report()


def test_expect_error_with_another_error_fails():
    result = order(START + "- as: clerk\n  complete: approve\n  outcome: approve\n  expect_error: conflict\n")
    (failure,) = result.failures
    assert failure.kind == "action"
    assert failure.message.startswith("complete failed, but not as expected: carl is not the assignee")
    assert failure.expected == "conflict" and failure.actual.startswith("forbidden: ")


def test_expect_error_on_an_action_that_succeeds_fails():
    result = order(START + "- as: reviewer\n  complete: approve\n  outcome: reject\n  expect_error: forbidden\n")
    (failure,) = result.failures
    assert failure.message == "complete succeeded, but was expected to fail with 'forbidden'"


def test_an_action_that_fails_without_expect_error_fails_the_scenario():
    result = order(START + "- as: reviewer\n  complete: approve\n  outcome: maybe\n")
    (failure,) = result.failures
    assert failure.kind == "action"
    assert failure.message.startswith("complete failed: the form is not filled in correctly")
    assert "must be one of: approve, reject" in failure.message


# ---------------------------------------------------------------------- environments and documents

ENV_TEXT = """\
scenario: 1
name: env
orchestration: contract_approval
personas:
  requester: {user: sam, groups: [sales]}
  legal: {user: alice, groups: [legal]}
environments:
  staging: {requester: s.miller, legal: a.jones}
steps:
  - start:
      record: {object: contract, owner: requester, fields: {title: T, customer: C, amount: 10, status: submitted}}
  - as: legal
    complete: legal_review
    outcome: reject
  - expect: {stage: revise, ball: [{user: s.miller}], visible: {requester: [revise_contract], legal: []}}
"""


def test_an_environment_rebinds_personas_to_its_users():
    assert run_text(ENV_TEXT, environment="staging").passed
    (failure,) = run_text(ENV_TEXT).failures
    assert failure.message.startswith("ball: expected")
    assert failure.actual == [{"user": "sam"}]


def test_an_unknown_environment_is_a_setup_failure():
    (failure,) = run_text(ENV_TEXT, environment="prod").failures
    assert failure.kind == "setup" and failure.step is None
    assert failure.message == "no environment 'prod' in the scenario (environments: staging)"


def test_documents_come_from_the_path_a_key_file_upwards_templates_or_a_database(tmp_path):
    flow = order_flow()
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "nested").mkdir()
    (tmp_path / "flows" / "order.json").write_text(json.dumps(flow))
    (tmp_path / "order_flow.json").write_text(json.dumps(flow))
    text = HEAD + steps(START, "- expect: {stage: review}\n")
    source = DocumentSource()

    with_path = load_scenario(
        text.replace("orchestration: order_flow\n", "orchestration: order_flow\ndocument: ../order.json\n"),
        source=str(tmp_path / "flows" / "nested" / "a.scenario.yaml"),
    )
    assert source.resolve(with_path) == flow
    upwards = load_scenario(text, source=str(tmp_path / "flows" / "nested" / "b.scenario.yaml"))
    assert run_scenario(upwards, documents=source).passed
    assert source.resolve(load_scenario(text.replace("order_flow", "contract_approval"))) == load("contract_approval")
    database = DocumentSource(database=lambda key, version: flow if key == "order_flow" else None, templates=False)
    assert run_scenario(load_scenario(text), documents=database).passed

    (tmp_path / "order_flow.json").unlink()
    (failure,) = run_scenario(load_scenario(text, source=str(tmp_path / "x.scenario.yaml"))).failures
    assert failure.kind == "setup"
    assert failure.message.startswith(f"no document for orchestration 'order_flow'; looked in: order_flow.json in {tmp_path}")
    assert failure.message.endswith("; the shipped templates")
    bad_path = load_scenario(
        text.replace("orchestration: order_flow\n", "orchestration: order_flow\ndocument: nope.json\n"),
        source=str(tmp_path / "c.scenario.yaml"),
    )
    assert "`document: nope.json` does not exist" in run_scenario(bad_path).failures[0].message


def test_a_document_of_another_orchestration_is_a_setup_failure():
    result = run_text(HEAD + steps(START), document=load("contract_approval"))
    assert result.failures[0].message == "the document is orchestration 'contract_approval', but the scenario tests 'order_flow'"


def test_an_invalid_document_is_a_setup_failure():
    doc = order_flow()
    doc["nodes"][2]["assignee"] = {"type": "group"}
    (failure,) = run_text(HEAD + steps(START), document=doc).failures
    assert failure.kind == "setup" and "approve.assignee" in failure.message


# ---------------------------------------------------------------------- results, python API


def test_a_scenario_built_in_python_runs_the_same():
    s = (
        Scenario("Python", orchestration="order_flow")
        .persona("reviewer", user="rita", groups=["reviewers"])
        .persona("clerk", user="carl")
        .mock(step="charge", result={"status": 200})
        .start(inputs={"amount": 5, "order_id": "B2"}, as_="clerk")
        .expect(stage="review", ball=[{"group": "reviewers"}])
        .as_("reviewer")
        .complete("approve", outcome="approve", values={"note": "ok"})
        .event("payment_confirmed", correlation="B2", payload={"receipt": "r"})
        .advance("next")
        .expect(status="completed")
    )
    coverage = Coverage()
    result = run_scenario(s, document=order_flow(), coverage=coverage)
    assert result.passed, result.report()
    assert coverage.report() == result.coverage.report()
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["passed"] and data["steps_run"] == 6 and data["path"] == ["review", "payment", "cooling"]
    assert data["coverage"]["orchestrations"]["order_flow"]["nodes"]["missed"] == ["rejected", "failed"]
    assert result.report().startswith("PASS Python [order_flow] ")


def test_a_failure_in_a_python_scenario_has_no_line():
    s = Scenario("No lines", orchestration="order_flow").start(inputs={"amount": 1, "order_id": "x"}).expect(stage="payment")
    (failure,) = run_scenario(s, document=order_flow()).failures
    assert (failure.step, failure.line) == (1, None)
    assert "<scenario>: step 2: expect: stage" in run_scenario(s, document=order_flow()).report()


def test_child_runs_are_followed_for_coverage():
    parent = {
        "format": 1,
        "key": "parent_flow",
        "label": "Parent",
        "trigger": {"type": "manual"},
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "go", "type": "stage", "label": "Go"},
            {
                "id": "spawn",
                "type": "background",
                "stage": "go",
                "label": "Spawn",
                "action": "orchestration.start",
                "inputs": {"orchestration": "'order_flow'", "inputs": "{'amount': 1, 'order_id': 'C3'}"},
            },
            {"id": "end", "type": "end"},
        ],
        "edges": [{"id": "p1", "source": "start", "target": "go"}, {"id": "p2", "source": "go", "target": "end"}],
    }
    docs = {"parent_flow": parent, "order_flow": order_flow()}
    source = DocumentSource(database=lambda key, version: docs.get(key), templates=False)
    s = Scenario("Parent", orchestration="parent_flow").start().expect(status="completed")
    result = run_scenario(s, documents=source)
    assert result.passed, result.report()
    report = result.coverage.report()["orchestrations"]
    assert report["order_flow"]["nodes"]["hits"]["approve"] == 1
    assert report["parent_flow"]["nodes"]["percent"] == 100.0
