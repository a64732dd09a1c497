"""Moving runs (ARCHITECTURE §3, "Migrating runs"), the states and refusals
tests/runtime/test_migration.py does not walk: a stage waiting on its entry condition, an
approval with a vote in, and each remaining reason a run cannot move (in error, waiting
for a child run, a node whose kind changed, a step moved to another stage, two steps under
way merged, an approval rule changed, a variable whose type changed)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.actions import Action, ActionFailed
from runtime.engine import Engine, Plan
from runtime.errors import InvalidInput
from tests.runtime.docs import document, one_stage, step

APPROVE = {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]}


def reasons(engine: Engine, plan: Plan) -> list[tuple[str, str | None]]:
    (run,) = engine.check_migration(plan)["runs"]
    return [(r["code"], r["node"]) for r in run["reasons"]]


def test_a_stage_waiting_on_its_entry_condition_moves_and_opens_when_it_holds(engine: Engine):
    gated = {"id": "s1", "type": "stage", "label": "Gated", "entry": {"condition": "record.ready == true"}}
    engine.deploy(document([gated, step("a")], [("start", "s1"), ("s1", "end")]))
    record = engine.create_record("thing", {"ready": False}, owner="sam")
    run_id = engine.start("t", record={"object": "thing", "id": record["id"]})
    engine.deploy(document([{**gated, "label": "Gated (v2)"}, step("a"), step("b")], [("start", "s1"), ("s1", "end")]))
    assert engine.migrate(Plan("t", 2))["moved"] == 1
    run = engine.get_run(run_id)
    assert (run["version"], run["stages"][0]["status"]) == (2, "waiting")  # re-evaluated: still closed
    engine.update_record("thing", record["id"], {"ready": True})
    assert {i["step_id"] for i in engine.work_items(run=run_id)} == {"a", "b"}


def test_an_approval_with_a_vote_in_moves_and_counts_the_vote(engine: Engine):
    vote = step("vote", assignee={"type": "group", "value": "executives"}, form=APPROVE, approval={"policy": "all"})
    engine.deploy(one_stage(vote))
    run_id = engine.start("t")
    first = engine.work_items(run=run_id)[0]
    engine.complete(first["id"], by=first["assignee"]["value"], outcome="approve")
    engine.deploy(one_stage({**vote, "label": "Board vote"}))
    assert engine.migrate(Plan("t", 2))["moved"] == 1
    for item in engine.work_items(run=run_id):
        assert item["label"] == "Board vote"
        engine.complete(item["id"], by=item["assignee"]["value"], outcome="approve")
    run = engine.get_run(run_id)
    assert run["status"] == "completed"
    assert run["steps"][0]["outputs"]["approvals"] == 3


def test_a_run_in_error_is_refused_until_repaired(engine: Engine):
    def fail(ctx: Any, inputs: dict) -> dict:
        raise ActionFailed("no", retryable=False)

    engine.actions.register(Action("test.fail", fail, (), ()))
    engine.deploy(one_stage(step("pay", "background", action="test.fail", retry={"max_attempts": 1})))
    run_id = engine.start("t")
    assert engine.get_run(run_id)["status"] == "error"
    engine.deploy(one_stage(step("pay", "background", action="test.fail", retry={"max_attempts": 1}, label="Pay")))
    assert ("error", "s1") in reasons(engine, Plan("t", 2))


def test_a_parent_waiting_for_a_child_run_is_refused(engine: Engine):
    engine.deploy(one_stage(step("child_work", assignee={"type": "user", "value": "bob"}), key="child"))
    spawn = step("spawn", "background", action="orchestration.start", inputs={"orchestration": "'child'", "wait": "true"})
    engine.deploy(one_stage(spawn, key="parent"))
    engine.start("parent")
    engine.deploy(one_stage({**spawn, "label": "Spawn"}, key="parent"))
    assert ("children", "s1") in reasons(engine, Plan("parent", 2))


def test_a_step_under_way_whose_kind_changed_is_refused(engine: Engine):
    engine.deploy(one_stage(step("a")))
    engine.start("t")
    engine.deploy(one_stage(step("a", "wait", timer={"duration": "PT1H"})))
    assert reasons(engine, Plan("t", 2)) == [("type_changed", "a")]


def test_a_step_under_way_moved_to_another_stage_is_refused(engine: Engine):
    engine.deploy(one_stage(step("a")))
    engine.start("t")
    two = document(
        [{"id": "s1", "type": "stage", "label": "One"}, step("b"), {"id": "s2", "type": "stage", "label": "Two"}, step("a", stage="s2")],
        [("start", "s1"), ("s1", "s2"), ("s2", "end")],
    )
    engine.deploy(two)
    assert reasons(engine, Plan("t", 2)) == [("moved_stage", "a")]


def test_two_steps_under_way_merged_into_one_are_refused_by_the_plan(engine: Engine):
    engine.deploy(one_stage(step("a"), step("b")))
    engine.start("t")
    engine.deploy(one_stage(step("ab")))
    refused = engine.check_migration(Plan("t", 2))
    assert {g["code"] for g in refused["groups"]} == {"removed"}
    with pytest.raises(InvalidInput) as merged:  # the plan itself: two nodes on one
        engine.check_migration(Plan("t", 2, mapping={"a": "ab", "b": "ab"}))
    assert any("both map to 'ab'" in message for message in merged.value.details["mapping"].values())


def test_an_approval_whose_rule_changed_is_refused(engine: Engine):
    vote = step("vote", assignee={"type": "group", "value": "executives"}, form=APPROVE, approval={"policy": "all"})
    engine.deploy(one_stage(vote))
    engine.start("t")
    engine.deploy(one_stage({**vote, "approval": {"policy": "any"}}))
    assert reasons(engine, Plan("t", 2)) == [("approval", "vote")]


def test_a_variable_whose_type_changed_is_refused_with_its_value(engine: Engine):
    engine.deploy(
        one_stage(
            step("a", set={"note": "'ok'"}),
            step("b", start={"when": "after", "steps": ["a"]}),
            variables=[{"name": "note", "type": "string"}],
        )
    )
    run_id = engine.start("t")
    (first,) = engine.work_items(run=run_id)
    engine.complete(first["id"], by="alice")
    engine.deploy(one_stage(step("a"), step("b", start={"when": "after", "steps": ["a"]}), variables=[{"name": "note", "type": "integer"}]))
    (run,) = engine.check_migration(Plan("t", 2))["runs"]
    assert [r["code"] for r in run["reasons"]] == ["variable"]
    assert run["reasons"][0]["message"].startswith("variable note ")
