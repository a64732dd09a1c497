"""The scenario step `migrate`: a tester proves, in `overture test`, that a run moves to a
new version and goes on there, or that it is refused and why, before doing it in production."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import pytest

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine, Plan
from runtime.store.memory import InMemoryStore
from runtime.testing import DocumentSource, Scenario, ScenarioFormatError, load_scenario, run_scenario
from runtime.testing.replay import scenario_from_run
from runtime.testing.suite import run_suite
from tests.runtime.docs import document, step

DONE = {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}
DECIDE = {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "escalate", "label": "Escalate"}]}


def contract(*, compliance: bool = False, finance: str = "finance", approve: str = "approve") -> dict:
    """legal -> finance (-> compliance) -> end; each stage one people step."""
    nodes = [
        {"id": "legal", "type": "stage", "label": "Legal"},
        step("review", stage="legal", label="Legal review", assignee={"type": "group", "value": "legal"}, form=DONE),
        {"id": finance, "type": "stage", "label": "Budget check" if finance != "finance" else "Finance"},
        step(approve, stage=finance, label="Budget approval", assignee={"type": "group", "value": "finance"}, form=DECIDE),
    ]
    edges: list[tuple[str, ...]] = [("start", "legal"), ("legal", finance)]
    if compliance:
        nodes += [
            {"id": "compliance", "type": "stage", "label": "Compliance"},
            step("check", stage="compliance", label="Compliance check", assignee={"type": "group", "value": "compliance"}, form=DONE),
        ]
        edges += [(finance, "compliance"), ("compliance", "end")]
    else:
        edges.append((finance, "end"))
    return document(nodes, edges, key="contract", label="Contract")


HEAD = """\
scenario: 1
name: {name}
orchestration: contract
document: contract.json
versions:
  2: contract-v2.json
personas:
  legal: {{user: alice, groups: [legal]}}
  finance: {{user: fiona, groups: [finance]}}
  compliance: {{user: carl, groups: [compliance]}}
  ops: {{user: otto}}
"""

TO_FINANCE = """\
steps:
  - start: {}
  - as: legal
    complete: review
  - expect: {stage: finance, version: 1}
"""


def files(tmp_path: Path, v2: dict, text: str, name: str = "move.scenario.yaml") -> Path:
    (tmp_path / "contract.json").write_text(json.dumps(contract()))
    (tmp_path / "contract-v2.json").write_text(json.dumps(v2))
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def results(path: Path) -> list:
    """What `overture test <file>` ran, scenario by scenario."""
    return [f.result for f in run_suite([path]).files]


def test_a_run_at_finance_moves_to_a_version_with_compliance_and_completes_there(tmp_path: Path):
    path = files(
        tmp_path,
        contract(compliance=True),
        HEAD.format(name="Runs at finance move to the version with compliance")
        + TO_FINANCE
        + """\
  - as: ops
    migrate: {to: 2, recompute: [assignee], timers: keep}
  - expect: {stage: finance, version: 2, ball: [{group: finance}]}
  - as: finance
    complete: approve
    outcome: approve
  - expect: {stage: compliance, ball: [{group: compliance}], visible: {compliance: [check], finance: []}}
  - as: compliance
    complete: check
  - expect: {status: completed, stages_visited: [legal, finance, compliance]}
""",
    )

    (result,) = results(path)
    assert result.passed, result.report()
    assert result.path == ["legal", "finance", "compliance"]


def test_a_renamed_stage_moves_with_a_map(tmp_path: Path):
    path = files(
        tmp_path,
        contract(compliance=True, finance="budget", approve="sign_off"),
        HEAD.format(name="Finance was renamed")
        + TO_FINANCE
        + """\
  - migrate: {to: 2, map: {finance: budget, approve: sign_off}}
  - expect: {stage: budget, version: 2}
  - as: finance
    complete: sign_off
    outcome: approve
  - expect: {stage: compliance}
""",
    )

    (result,) = results(path)

    assert result.passed, result.report()


def test_a_migrate_that_is_refused_fails_the_scenario_with_every_reason(tmp_path: Path):
    # Version 2 renames finance to budget: without a map the run sitting on finance cannot move.
    path = files(
        tmp_path,
        contract(compliance=True, finance="budget", approve="sign_off"),
        HEAD.format(name="Finance renamed, no map") + TO_FINANCE + "  - migrate: {to: 2}\n  - expect: {stage: budget}\n",
    )

    (result,) = results(path)

    assert not result.passed
    (failure,) = result.failures
    assert (failure.step, failure.kind, failure.line) == (3, "action", 17)
    assert failure.message.startswith("migrate failed: migrate to version 2: the run cannot move: ")
    assert "sits on Finance, removed in version 2 without a mapping" in failure.message
    assert result.steps_run == 4  # stopped there: the expect after it never ran


def test_a_refusal_can_be_the_expected_result(tmp_path: Path):
    path = files(
        tmp_path,
        contract(compliance=True, finance="budget", approve="sign_off"),
        HEAD.format(name="Refused as expected")
        + TO_FINANCE
        + """\
  - migrate: {to: 2}
    expect_error: removed in version 2 without a mapping
  - migrate: {to: 2}
    expect_error: conflict
  - migrate: {to: 2, map: {finance: nowhere}}
    expect_error: invalid
  - expect: {stage: finance, version: 1}
""",
    )

    (result,) = results(path)

    assert result.passed, result.report()


def test_a_bad_map_is_an_invalid_step_naming_the_node(tmp_path: Path):
    path = files(
        tmp_path,
        contract(compliance=True),
        HEAD.format(name="Bad map") + TO_FINANCE + "  - migrate: {to: 2, map: {finance: nowhere}}\n",
    )

    (result,) = results(path)

    (failure,) = result.failures
    assert "the node mapping is not valid" in failure.message
    assert "maps to 'nowhere', which is not a node of version 2" in failure.message


def test_a_version_the_scenario_does_not_have_is_a_clear_failure(tmp_path: Path):
    path = files(tmp_path, contract(compliance=True), HEAD.format(name="No v3") + TO_FINANCE + "  - migrate: {to: 3}\n")

    (result,) = results(path)

    (failure,) = result.failures
    assert failure.kind == "setup"
    assert "version 3 of 'contract' is not in the scenario's `versions`" in failure.message


def test_a_missing_version_file_fails_the_setup(tmp_path: Path):
    path = files(tmp_path, contract(compliance=True), HEAD.format(name="Missing file") + TO_FINANCE)
    (tmp_path / "contract-v2.json").unlink()

    (result,) = results(path)

    (failure,) = result.failures
    assert failure.kind == "setup" and "`versions: 2: contract-v2.json` does not exist" in failure.message


def test_the_format_checks_versions_and_migrate_steps():
    text = textwrap.dedent(
        """\
        scenario: 1
        name: bad
        orchestration: contract
        versions:
          1: v1.json
          two: v2.json
        steps:
          - start: {}
          - migrate: {to: 1, timers: later, recompute: [owner]}
          - migrate: {map: {a: b}}
          - expect: {version: 0}
        """
    )

    with pytest.raises(ScenarioFormatError) as error:
        load_scenario(text, source="bad.scenario.yaml")

    problems = {(p["line"], p["path"], p["message"]) for p in error.value.problems}
    assert (5, "versions.1", "version 1 is the one the run starts on (`document`); list the other versions here") in problems
    assert (6, "versions.two", "`two` is not a version number: write the number of each version (2: v2.json)") in problems
    assert (9, "steps[1].migrate.timers", "must be one of: keep, recompute; not the string 'later'") in problems
    assert (9, "steps[1].migrate.recompute[0]", "must be one of: assignee, due; not the string 'owner'") in problems
    assert (9, "steps[1].migrate.to", "the run starts on version 1; migrate it to another version (one of `versions`)") in problems
    assert (10, "steps[2].migrate", "missing required key `to`") in problems
    assert (11, "steps[3].expect.version", "must be at least 1") in problems


def test_the_python_builder_writes_the_same_file_and_runs_with_an_inline_version():
    built = (
        Scenario("Inline v2", orchestration="contract")
        .with_version(2, contract(compliance=True))
        .persona("legal", user="alice", groups=["legal"])
        .persona("finance", user="fiona", groups=["finance"])
        .persona("compliance", user="carl", groups=["compliance"])
        .start()
        .as_("legal")
        .complete("review")
        .as_("finance")
        .migrate(2, timers="keep")
        .expect(version=2, stage="finance")
        .as_("finance")
        .complete("approve", outcome="approve")
        .expect(stage="compliance")
    )

    assert load_scenario(built.to_yaml()) == built
    assert built.versions == {2: contract(compliance=True)}
    result = run_scenario(built, document=contract())
    assert result.passed, result.report()
    # JSON keeps version numbers as strings; they read the same.
    from_json = Scenario.from_dict(json.loads(json.dumps(built.to_dict())))
    assert run_scenario(from_json, document=contract()).passed


def test_without_versions_the_target_comes_from_the_database():
    """`overture test --database URL` and the builder's Tests panel: `migrate: {to: 2}` moves the run
    to the stored version 2 when the scenario does not give one."""
    asked: list[tuple[str, int | None]] = []

    def database(key: str, version: int | None) -> dict | None:
        asked.append((key, version))
        return contract(compliance=True) if version == 2 else None

    text = HEAD.replace("document: contract.json\nversions:\n  2: contract-v2.json\n", "").format(name="From the database")
    scenario = load_scenario(
        text
        + TO_FINANCE
        + "  - migrate: {to: 2}\n  - as: finance\n    complete: approve\n    outcome: approve\n"
        + "  - expect: {stage: compliance, version: 2}\n  - migrate: {to: 3}\n"
    )

    result = run_scenario(scenario, document=contract(), documents=DocumentSource(database=database, templates=False))

    (failure,) = result.failures
    assert failure.step == 6 and "version 3 of 'contract' is neither in the scenario's `versions` nor in the database" in failure.message
    assert asked == [("contract", 2), ("contract", 3)]


def test_a_migrated_run_replays_as_a_scenario_with_its_migrate_step():
    """ "Download as test" of a run that moved: it starts on the version it moved from, and a
    `migrate` step (with the plan's map and recompute) moves it where the original went."""
    engine = Engine(InMemoryStore(), ManualClock(), InMemoryDirectory({"alice": ["legal"], "fiona": ["finance"], "carl": ["compliance"]}))
    engine.deploy(contract())
    run_id = engine.start("contract", started_by="sam")
    (item,) = engine.work_items(run=run_id)
    engine.complete(item["id"], by="alice", outcome="done")
    engine.deploy(contract(compliance=True, finance="budget", approve="sign_off"))
    plan = Plan("contract", 2, mapping={"finance": "budget", "approve": "sign_off"}, recompute=("assignee",))
    assert engine.migrate(plan, by="otto")["moved"] == 1
    (item,) = engine.work_items(run=run_id)
    engine.complete(item["id"], by="fiona", outcome="approve")

    scenario = scenario_from_run(engine, run_id)

    assert scenario.version == 1
    (migrate,) = [s for s in scenario.steps if "migrate" in s]
    assert migrate == {"migrate": {"to": 2, "map": {"finance": "budget", "approve": "sign_off"}, "recompute": ["assignee"]}, "as": "otto"}
    stored = DocumentSource(database=lambda key, version: engine.spec(key, version).document, templates=False)
    result = run_scenario(load_scenario(scenario.to_yaml()), document=contract(), documents=stored)
    assert result.passed, result.report() + "\n" + scenario.to_yaml()
    assert result.path == ["legal", "budget", "compliance"]


def test_a_version_that_does_not_compile_or_is_another_orchestration_fails_the_setup():
    broken = contract(compliance=True)
    broken["edges"] = [e for e in broken["edges"] if e["target"] != "compliance"]  # finance leads nowhere
    other = {**contract(compliance=True), "key": "invoice"}
    base = Scenario("Bad versions", orchestration="contract").persona("legal", user="alice", groups=["legal"]).start()

    unreachable = run_scenario(copy.deepcopy(base).with_version(2, broken), document=contract())
    elsewhere = run_scenario(copy.deepcopy(base).with_version(2, other), document=contract())

    assert [(f.kind, f.step) for f in unreachable.failures] == [("setup", None)]
    assert unreachable.failures[0].message == (
        "version 2: the orchestration document has 1 error: finance: the stage needs one outgoing edge "
        "(besides an error edge) to a stage, decision or end"
    )
    assert [f.message for f in elsewhere.failures] == ["version 2 is a document of orchestration 'invoice', not 'contract'"]
