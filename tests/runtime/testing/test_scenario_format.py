"""Scenario files: parsing with line numbers, the schema, the rules beyond it, and round trips."""

from __future__ import annotations

import textwrap

import pytest
from jsonschema import Draft202012Validator

from runtime.testing import Scenario, ScenarioFormatError, load_scenario
from runtime.testing.scenario_format import path_text, schema

GOOD = """\
scenario: 1
name: Small deal
orchestration: contract_approval
start_time: "2026-01-05T09:00:00Z"
personas:
  requester: {user: sam}
  legal: {user: alice, groups: [legal]}
steps:
  - start:
      record: {object: contract, owner: requester, fields: {title: T, customer: C, amount: 1, status: submitted, signed_on: 2026-01-06}}
  - as: legal
    complete: legal_review
    outcome: approve
  - expect: {status: completed}
"""


def problems(text: str) -> list[tuple[int | None, str, str]]:
    """(line, path, message) of every problem in ``text``."""
    with pytest.raises(ScenarioFormatError) as caught:
        load_scenario(textwrap.dedent(text), source="bad.scenario.yaml")
    return [(p["line"], p["path"], p["message"]) for p in caught.value.problems]


def with_steps(steps: str, personas: str = "  legal: {user: alice, groups: [legal]}\n") -> str:
    return (
        "scenario: 1\nname: x\norchestration: contract_approval\npersonas:\n"
        + personas
        + "steps:\n"
        + textwrap.indent(textwrap.dedent(steps), "  ")
    )


def test_the_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(schema())


def test_a_good_file_loads_with_the_line_of_each_step():
    scenario = load_scenario(GOOD, source="good.scenario.yaml")
    assert scenario.name == "Small deal" and scenario.orchestration == "contract_approval"
    assert scenario.source == "good.scenario.yaml"
    assert [scenario.line("steps", i) for i in range(3)] == [9, 11, 14]
    assert scenario.line("steps", 1, "outcome") == 13
    assert scenario.line("steps", 1, "values") == 11  # not there: the nearest ancestor's line
    # YAML timestamps stay the text they were written as (the engine wants ISO strings).
    assert scenario.steps[0]["start"]["record"]["fields"]["signed_on"] == "2026-01-06"
    assert scenario.start_time == "2026-01-05T09:00:00Z"
    assert scenario.negative_checks is True


def test_a_yaml_syntax_error_has_its_line():
    assert problems("scenario: 1\nname: x\nsteps:\n  - start: {inputs: [1, 2}\n") == [
        (4, "", "not valid YAML: while parsing a flow sequence expected ',' or ']', but got '}'")
    ]
    ((line, _, message),) = problems("scenario: 1\nname: x\n  bad: indent\n")
    assert line == 3 and message == "not valid YAML: mapping values are not allowed here"


def test_an_empty_file_and_a_file_that_is_not_a_mapping():
    assert problems("") == [(1, "", "the file is empty")]
    assert problems("- 1\n- 2\n") == [(1, "", "a scenario is a mapping of keys (scenario, name, orchestration, steps...), not a list")]


def test_unknown_keys_are_named_with_their_line_and_a_suggestion():
    text = GOOD.replace("start_time:", "descripton: typo\nstart_time:").replace("outcome: approve", "outcome: approve\n    colour: red")
    assert problems(text) == [
        (4, "descripton", "unknown key `descripton`; did you mean `description`?"),
        (
            15,
            "steps[1].colour",
            "unknown key `colour`; known keys: start, complete, claim, release, reassign, event, "
            "update_record, advance, mock, retry, resume, suspend, cancel, migrate, expect, as, outcome, values, "
            "comment, to, expect_error",
        ),
    ]
    assert problems(with_steps("- start: {}\n- expect: {stage: legal, stages: [legal]}\n")) == [
        (8, "steps[1].expect.stages", "unknown key `stages`; did you mean `stage`?")
    ]


def test_missing_required_keys():
    assert problems("scenario: 1\norchestration: x\n") == [(1, "", "missing required key `name`"), (1, "", "missing required key `steps`")]
    assert problems(with_steps("- event: {payload: {}}\n- start: {}\n")) == [(7, "steps[0].event", "missing required key `name`")]


def test_wrong_types_and_values():
    text = """\
        scenario: 2
        name: 5
        orchestration: contract_approval
        version: two
        negative_checks: sometimes
        personas:
          legal: {user: alice, groups: legal}
        steps:
          - start: {}
          - as: legal
            complete: legal_review
            values: [1]
          - expect: {status: done, steps: {legal_review: finished}, notification_count: -1}
          - advance: 3 days
        """
    assert problems(text) == [
        (1, "scenario", "must be 1, not the number 2"),
        (2, "name", "must be a string, not the number 5"),
        (4, "version", "must be an integer, not the string 'two'"),
        (5, "negative_checks", "must be true or false, not the string 'sometimes'"),
        (7, "personas.legal.groups", "must be a list, not the string 'legal'"),
        (12, "steps[1].values", "must be a mapping, not a list"),
        (13, "steps[2].expect.notification_count", "must be at least 0"),
        (13, "steps[2].expect.status", "must be one of: in_progress, completed, error, suspended, cancelled; not the string 'done'"),
        (
            13,
            "steps[2].expect.steps.legal_review",
            "must be one of: not_started, waiting, in_progress, completed, discontinued, error; not the string 'finished'",
        ),
        (14, "steps[3].advance", "'3 days' is neither an ISO-8601 duration (P3D, PT4H) nor `next`"),
    ]


def test_unknown_personas_are_reported_where_they_are_used():
    text = (
        with_steps("""\
        - start: {as: requestor, record: {object: contract, owner: nobody, fields: {}}}
        - as: legl
          complete: legal_review
        - as: legal
          reassign: legal_review
          to: {persona: finance}
        - expect: {visible: {exec: []}}
        """)
        + "environments:\n  demo: {legal: alice, ghost: g}\n"
    )
    assert problems(text) == [
        (7, "steps[0].start.as", "unknown persona `requestor`; personas: legal, outsider"),
        (7, "steps[0].start.record.owner", "unknown persona `nobody`; personas: legal, outsider"),
        (8, "steps[1].as", "unknown persona `legl`; did you mean `legal`?"),
        (12, "steps[2].to.persona", "unknown persona `finance`; personas: legal, outsider"),
        (13, "steps[3].expect.visible.exec", "unknown persona `exec`; personas: legal, outsider"),
        (15, "environments.demo.ghost", "unknown persona `ghost`; personas: legal, outsider"),
    ]


def test_outsider_is_always_a_persona():
    load_scenario(with_steps("- start: {}\n- as: outsider\n  claim: legal_review\n  expect_error: forbidden\n"))


def test_wrong_action_combinations():
    text = with_steps("""\
        - start: {}
        - as: legal
          complete: legal_review
          claim: legal_review
        - as: legal
          claim: legal_review
          outcome: approve
        - outcome: approve
        - advance: P1D
          expect: {status: completed}
        - complete: legal_review
        - reassign: legal_review
        - as: legal
          start: {}
        - as: legal
          update_record: {fields: {}}
        - advance: P1D
          expect_error: nope
        """)
    assert problems(text) == [
        (10, "steps[1].claim", "in a `complete` step, `claim` is true or false (claim the item first)"),
        (13, "steps[2].outcome", "`outcome` does not belong to a `claim` step (it takes: as, expect_error)"),
        (
            14,
            "steps[3]",
            "a step needs one action: start, complete, claim, release, reassign, event, update_record, "
            "advance, mock, retry, resume, suspend, cancel, migrate, expect",
        ),
        (15, "steps[4]", "a step has exactly one action; this one has `advance` and `expect`"),
        (17, "steps[5]", "a `complete` step needs `as: <persona>` (who does it)"),
        (18, "steps[6]", "a `reassign` step needs `to: {user|group|queue|persona: name}`"),
        (19, "steps[7]", "a scenario starts exactly one run; step 0 already has `start`"),
        (19, "steps[7].as", "`as` goes inside `start` here: start: {as: persona, ...}"),
        (21, "steps[8].as", "`as` goes inside `update_record` here: update_record: {as: persona, ...}"),
        (24, "steps[9].expect_error", "`expect_error` does not belong to an `advance` step (it takes nothing else)"),
    ]


def test_the_start_step_is_required_once_and_first_for_steps_that_need_the_run():
    assert (
        problems(with_steps("- expect: {status: completed}\n"))
        == [
            (7, "steps[0]", "`expect` needs the run, but it comes before the `start` step"),
            (6, "steps", "no `start` step: a scenario starts exactly one run"),
        ][::-1]
    )
    load_scenario(with_steps("- mock: {action: http.request, result: {}}\n- advance: P1D\n- event: {name: e}\n- start: {}\n"))


def test_records_made_here_or_earlier():
    text = with_steps("""\
        - start: {record: {object: contract}}
        - start: {record: {object: contract, id: r1, owner: legal, fields: {}}}
        """)
    assert problems(text)[:2] == [
        (
            7,
            "steps[0].start.record",
            "a record is either made here (`fields`, optional `owner`) or one made earlier (`id`), not both nor neither",
        ),
        (8, "steps[1]", "a scenario starts exactly one run; step 0 already has `start`"),
    ]


def test_mock_combinations():
    text = with_steps("""\
        - start: {}
        - mock: {result: {}}
        - mock: {step: a, action: b, fail: x, timeout: true}
        - mock: {step: a}
        - mock: {step: a, result: {}, fail: x}
        - mock: {step: a, result: {}, retryable: false}
        - mock: {step: a, fail_times: 0}
        """)
    assert problems(text) == [
        (8, "steps[1].mock", "a mock matches either a `step` or an `action` (exactly one of them)"),
        (9, "steps[2].mock", "a mock matches either a `step` or an `action` (exactly one of them)"),
        (9, "steps[2].mock", "a mock either fails (`fail`) or times out (`timeout`), not both"),
        (10, "steps[3].mock", "a mock needs `result`, `fail`, `timeout` or `fail_times`"),
        (11, "steps[4].mock.result", "`result` is never used: every attempt fails (add `fail_times` to succeed after some)"),
        (12, "steps[5].mock.retryable", "`retryable` only applies to a mock that fails"),
        (13, "steps[6].mock.fail_times", "must be at least 1"),
    ]


def test_start_time_needs_a_zone():
    text = GOOD.replace('"2026-01-05T09:00:00Z"', '"2026-01-05T09:00:00"')
    assert problems(text) == [(4, "start_time", "needs a time zone, e.g. 2026-01-05T09:00:00Z")]
    assert problems(GOOD.replace('"2026-01-05T09:00:00Z"', "soon"))[0][2] == (
        "'soon' is not an ISO-8601 timestamp such as 2026-01-05T09:00:00Z"
    )


def test_a_key_given_twice():
    assert problems(GOOD.replace("name: Small deal\n", "name: Small deal\nname: Again\n")) == [(3, "name", "`name` is given twice")]


def test_the_error_lists_every_problem_as_file_line_path_message():
    with pytest.raises(ScenarioFormatError) as caught:
        load_scenario(with_steps("- start: {}\n- as: legl\n  claim: legal_review\n"), source="flows/x.scenario.yaml")
    assert str(caught.value) == "flows/x.scenario.yaml:8: steps[1].as: unknown persona `legl`; did you mean `legal`?"
    with pytest.raises(ScenarioFormatError) as caught:
        load_scenario("")
    assert str(caught.value) == "<scenario>:1: (file): the file is empty"


def test_path_text():
    assert path_text(("steps", 2, "complete")) == "steps[2].complete"
    assert path_text(()) == ""


# ---------------------------------------------------------------------- the builder and round trips


def full_scenario() -> Scenario:
    return (
        Scenario(
            "Everything",
            orchestration="contract_approval",
            description="All the steps.",
            document="../contract_approval.json",
            version=2,
            start_time="2026-01-05T09:00:00Z",
            negative_checks=False,
        )
        .persona("requester", user="sam", groups=["sales"])
        .persona("legal", user="alice", groups=["legal"])
        .persona("ops", queues=["ops"])
        .environment("staging", {"requester": "s.miller"})
        .record_type("contract", [{"name": "title", "type": "string", "required": True}])
        .mock(step="mark_signed", fail_times=1, fail="down", result={"ok": True})
        .mock(action="http.request", timeout=True, retryable=False)
        .as_("requester")
        .start(record={"object": "contract", "owner": "requester", "fields": {"title": "T"}})
        .expect(stage="legal", ball=[{"group": "legal"}], visible={"legal": ["legal_review"]})
        .mock(step="mark_in_revision", result={})
        .as_("legal")
        .claim("legal_review")
        .as_("legal")
        .release("legal_review")
        .as_("ops")
        .reassign("legal_review", {"persona": "legal"})
        .as_("legal")
        .complete("legal_review", outcome="reject", values={"notes": "no"}, comment="c", claim=True)
        .as_("legal")
        .complete("legal_review", outcome="approve", expect_error="not_found")
        .event("signed", correlation="c-1", payload={"by": "x"})
        .as_("requester")
        .update_record({"title": "T2"})
        .update_record({"title": "T3"}, expect_error="invalid")
        .advance("P3D")
        .advance("next")
        .as_("ops")
        .suspend()
        .as_("ops")
        .resume()
        .retry(expect_error="conflict")
        .as_("ops")
        .cancel()
        .expect(status="cancelled", error={"step": "x", "message": "y"}, notifications=[{"to": {"user": "sam"}}])
    )


def test_to_yaml_round_trips_exactly():
    scenario = full_scenario()
    text = scenario.to_yaml()
    again = load_scenario(text)
    assert again == scenario
    assert again.to_dict() == scenario.to_dict()
    assert again.to_yaml() == text
    assert Scenario.from_dict(scenario.to_dict()) == scenario


def test_the_builder_writes_what_a_person_would():
    data = full_scenario().to_dict()
    assert list(data) == [
        "scenario",
        "name",
        "description",
        "orchestration",
        "document",
        "version",
        "start_time",
        "negative_checks",
        "personas",
        "environments",
        "record_types",
        "mocks",
        "steps",
    ]
    assert data["personas"]["ops"] == {"queues": ["ops"]}
    assert data["mocks"] == [
        {"step": "mark_signed", "result": {"ok": True}, "fail": "down", "fail_times": 1},
        {"action": "http.request", "timeout": True, "retryable": False},
    ]
    assert data["steps"][0] == {
        "start": {"record": {"object": "contract", "owner": "requester", "fields": {"title": "T"}}, "as": "requester"}
    }
    assert data["steps"][2] == {"mock": {"step": "mark_in_revision", "result": {}}}
    assert data["steps"][6] == {
        "as": "legal",
        "complete": "legal_review",
        "outcome": "reject",
        "values": {"notes": "no"},
        "comment": "c",
        "claim": True,
    }
    assert data["steps"][-2] == {"as": "ops", "cancel": True}
    assert data["steps"][-3] == {"retry": True, "expect_error": "conflict"}
    assert "groups: [legal]" in full_scenario().to_yaml()


def test_from_dict_validates_without_lines():
    with pytest.raises(ScenarioFormatError) as caught:
        Scenario.from_dict({"scenario": 1, "name": "x", "orchestration": "k", "steps": [{"as": "ghost", "claim": "s"}]})
    assert [(p["line"], p["path"]) for p in caught.value.problems] == [(None, "steps"), (None, "steps[0]"), (None, "steps[0].as")]


def test_changing_a_loaded_scenario_forgets_its_lines():
    scenario = load_scenario(GOOD)
    assert scenario.line("steps", 0) == 9
    scenario.expect(status="completed")
    assert scenario.line("steps", 0) is None


def test_hostile_files_are_refused_not_expanded():
    # A "billion laughs": nine levels of nine aliases would expand to 387 million strings.
    laughs = 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    for level in "bcdefghi":
        laughs += f"{level}: &{level} [" + ", ".join([f"*{chr(ord(level) - 1)}"] * 9) + "]\n"
    with pytest.raises(ScenarioFormatError) as error:
        load_scenario(laughs)
    assert error.value.problems[0]["message"] == "the file holds more than 100,000 values (with its aliases expanded)"

    nested = "scenario: 1\nname: n\norchestration: o\nsteps:\n- expect: {vars: {v: " + "[" * 100 + "]" * 100 + "}}\n"
    with pytest.raises(ScenarioFormatError) as error:
        load_scenario(nested)
    assert error.value.problems == [{"line": 5, "path": "", "message": "the file nests deeper than 64 levels"}]

    with pytest.raises(ScenarioFormatError) as error:
        load_scenario("[" * 5000 + "]" * 5000)
    assert error.value.problems[0]["message"] in ("the file is nested too deeply", "the file nests deeper than 64 levels")
