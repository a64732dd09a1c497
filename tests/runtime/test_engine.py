"""Engine rules of ARCHITECTURE §3, one behaviour per test."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.errors import Conflict, DocumentInvalid, Forbidden, InvalidInput, NotFound
from runtime.spec import compile_document
from tests.runtime.docs import document, one_stage, step


def items_of(engine: Engine, run_id: str, **kw) -> list[dict]:
    return engine.work_items(run=run_id, **kw)


def step_status(engine: Engine, run_id: str) -> dict[str, str]:
    return {s["id"]: s["status"] for s in engine.get_run(run_id)["steps"]}


def event_types(engine: Engine, run_id: str) -> list[str]:
    return [e["type"] for e in engine.events(run_id)]


# -- deploy and start ------------------------------------------------------------------


def test_deploy_rejects_invalid_document_with_every_error(engine: Engine):
    bad = one_stage(step("a", assignee={"type": "robot", "value": "x"}))
    bad["nodes"].append({"id": "dangling", "type": "stage", "label": "Nobody gets here"})
    with pytest.raises(DocumentInvalid) as caught:
        engine.deploy(bad)
    nodes = {d["node"] for d in caught.value.details if d["severity"] == "error"}
    assert {"a", "dangling"} <= nodes


def test_install_activates_a_compiled_spec_under_its_own_number_once(engine: Engine):
    spec = compile_document(one_stage(step("a")), 7)
    engine.install(spec)
    assert engine.orchestrations() == [{"key": "t", "label": spec.label, "active_version": 7}]
    assert engine.get_run(engine.start("t"))["version"] == 7
    with pytest.raises(Conflict):
        engine.install(spec)


def test_versions_pin_runs(engine: Engine):
    doc = one_stage(step("a"))
    assert engine.deploy(doc) == 1
    assert engine.deploy(doc) == 1  # same document, same version
    first = engine.start("t")
    doc["nodes"][1]["label"] = "Renamed"
    assert engine.deploy(doc) == 2
    second = engine.start("t")
    assert engine.get_run(first)["version"] == 1
    assert engine.get_run(second)["version"] == 2
    assert engine.get_run(first)["stages"][0]["label"] == "Stage one"
    assert engine.get_run(second)["stages"][0]["label"] == "Renamed"


def test_start_checks_inputs(engine: Engine):
    engine.deploy(
        one_stage(
            step("a"),
            inputs=[
                {"name": "amount", "type": "number", "required": True},
                {"name": "note", "type": "string", "default": "none"},
            ],
        )
    )
    with pytest.raises(InvalidInput) as caught:
        engine.start("t", {"amount": "lots", "colour": "red"})
    assert caught.value.details == {"inputs": {"amount": "must be a number", "colour": "is not an input of this orchestration"}}
    with pytest.raises(InvalidInput) as caught:
        engine.start("t", {})
    assert caught.value.details == {"inputs": {"amount": "is required"}}
    run_id = engine.start("t", {"amount": 3})
    assert engine.get_run(run_id)["inputs"] == {"amount": 3, "note": "none"}
    with pytest.raises(NotFound):
        engine.start("nope")


# -- statuses and transitions ------------------------------------------------------------


def test_every_status_transition_is_logged(engine: Engine):
    engine.deploy(one_stage(step("a")))
    run_id = engine.start("t", started_by="sam")
    assert engine.get_run(run_id)["status"] == "in_progress"
    assert step_status(engine, run_id) == {"a": "in_progress"}
    engine.complete(items_of(engine, run_id)[0]["id"], by="alice")
    run = engine.get_run(run_id)
    assert (run["status"], run["stages"][0]["status"], run["steps"][0]["status"]) == ("completed", "completed", "completed")
    assert event_types(engine, run_id) == [
        "run.started",
        "edge.taken",
        "stage.started",
        "step.started",
        "work_item.created",
        "work_item.completed",
        "step.completed",
        "stage.completed",
        "edge.taken",
        "end.reached",
        "run.completed",
    ]
    seqs = [e["seq"] for e in engine.events(run_id)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert engine.events(run_id, after=seqs[4])[0]["type"] == "work_item.completed"


def test_stage_entry_condition_waits_for_record_change(engine: Engine):
    doc = document(
        [{"id": "s1", "type": "stage", "label": "Gated", "entry": {"condition": "record.ready == true"}}, step("a")],
        [("start", "s1"), ("s1", "end")],
    )
    engine.deploy(doc)
    record = engine.create_record("thing", {"ready": False}, owner="sam")
    run_id = engine.start("t", record={"object": "thing", "id": record["id"]})
    assert engine.get_run(run_id)["stages"][0]["status"] == "waiting"
    assert items_of(engine, run_id) == []
    engine.update_record("thing", record["id"], {"ready": True})
    assert engine.get_run(run_id)["stages"][0]["status"] == "in_progress"
    assert len(items_of(engine, run_id)) == 1


def test_stage_exit_condition_discontinues_open_steps(engine: Engine):
    doc = one_stage(
        step("quick", assignee={"type": "group", "value": "legal"}),
        step("slow", assignee={"type": "group", "value": "finance"}),
        exit={"when": "condition", "condition": "steps.quick.status == 'completed'"},
    )
    engine.deploy(doc)
    run_id = engine.start("t")
    quick = next(i for i in items_of(engine, run_id) if i["step_id"] == "quick")
    slow = next(i for i in items_of(engine, run_id) if i["step_id"] == "slow")
    engine.complete(quick["id"], by="alice")
    assert engine.get_run(run_id)["status"] == "completed"
    assert step_status(engine, run_id) == {"quick": "completed", "slow": "discontinued"}
    assert engine.get_work_item(slow["id"])["status"] == "cancelled"
    with pytest.raises(Conflict):
        engine.complete(slow["id"], by="fiona")


def test_parallel_steps_and_after(engine: Engine):
    doc = one_stage(
        step("legal_check", assignee={"type": "group", "value": "legal"}),
        step("finance_check", assignee={"type": "group", "value": "finance"}),
        step("sign", assignee={"type": "group", "value": "executives"}, start={"when": "after", "steps": ["legal_check", "finance_check"]}),
    )
    engine.deploy(doc)
    run_id = engine.start("t")
    assert step_status(engine, run_id) == {"legal_check": "in_progress", "finance_check": "in_progress", "sign": "not_started"}
    engine.complete(engine.work_items(assignee="fiona")[0]["id"], by="fiona")
    assert step_status(engine, run_id)["sign"] == "not_started"
    engine.complete(engine.work_items(assignee="alice")[0]["id"], by="alice")
    assert step_status(engine, run_id)["sign"] == "in_progress"


def test_step_start_condition_on_variables(engine: Engine):
    doc = one_stage(
        step(
            "first",
            form={"fields": [{"name": "big", "type": "boolean", "label": "Big?"}], "outcomes": [{"value": "ok", "label": "OK"}]},
            set={"big": "steps.first.outputs.big"},
        ),
        step("extra", assignee={"type": "group", "value": "finance"}, start={"when": "condition", "condition": "vars.big == true"}),
        exit={"when": "condition", "condition": "steps.first.status == 'completed' && (!vars.big || steps.extra.status == 'completed')"},
        variables=[{"name": "big", "type": "boolean", "default": False}],
    )
    engine.deploy(doc)
    small = engine.start("t")
    engine.complete(items_of(engine, small)[0]["id"], by="alice", values={"big": False})
    assert engine.get_run(small)["status"] == "completed"
    assert step_status(engine, small)["extra"] == "not_started"
    big = engine.start("t")
    engine.complete(items_of(engine, big)[0]["id"], by="alice", values={"big": True})
    assert step_status(engine, big)["extra"] == "in_progress"
    assert engine.get_run(big)["vars"] == {"big": True}


def test_decision_routes_back_with_new_visits(engine: Engine):
    doc = document(
        [
            {"id": "s1", "type": "stage", "label": "Draft"},
            step("write", stage="s1", assignee={"type": "user", "value": "sam"}, set={"tries": "vars.tries + 1"}),
            {"id": "s2", "type": "stage", "label": "Review"},
            step(
                "review", stage="s2", form={"fields": [], "outcomes": [{"value": "ok", "label": "OK"}, {"value": "redo", "label": "Redo"}]}
            ),
            {
                "id": "d",
                "type": "decision",
                "label": "OK?",
                "outcomes": [{"id": "redo", "label": "Redo", "condition": "steps.review.outcome == 'redo'"}],
            },
        ],
        [("start", "s1"), ("s1", "s2"), ("s2", "d"), ("d", "s1", "redo"), ("d", "end", "default")],
        variables=[{"name": "tries", "type": "integer", "default": 0}],
    )
    engine.deploy(doc)
    run_id = engine.start("t")
    for round_ in range(3):
        engine.complete(items_of(engine, run_id)[0]["id"], by="sam")
        engine.complete(items_of(engine, run_id)[0]["id"], by="alice", outcome="redo" if round_ < 2 else "ok")
    run = engine.get_run(run_id)
    assert run["status"] == "completed"
    assert {s["id"]: s["visits"] for s in run["stages"]} == {"s1": 3, "s2": 3}
    assert [(h["stage"], h["visit"]) for h in run["history"]] == [("s1", 1), ("s2", 1), ("s1", 2), ("s2", 2), ("s1", 3), ("s2", 3)]
    assert all(h["status"] == "completed" for h in run["history"])
    assert run["vars"]["tries"] == 3
    taken = [e["data"]["outcome"] for e in engine.events(run_id) if e["type"] == "decision.taken"]
    assert taken == ["redo", "redo", "default"]


# -- work items -----------------------------------------------------------------------


def test_form_values_are_validated(engine: Engine):
    engine.deploy(
        one_stage(
            step(
                "a",
                form={
                    "fields": [
                        {"name": "amount", "type": "number", "label": "Amount", "required": True},
                        {"name": "kind", "type": "select", "label": "Kind", "options": ["a", "b"]},
                    ],
                    "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}],
                },
            )
        )
    )
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    with pytest.raises(InvalidInput) as caught:
        engine.complete(item, by="alice", outcome="maybe", values={"amount": "x", "kind": "c", "extra": 1})
    assert caught.value.details == {
        "fields": {
            "outcome": "must be one of: approve, reject",
            "extra": "is not a field of this form",
            "amount": "must be a number",
            "kind": "must be one of: a, b",
        }
    }
    with pytest.raises(InvalidInput) as caught:
        engine.complete(item, by="alice", outcome="approve", values={})
    assert caught.value.details == {"fields": {"amount": "is required"}}
    assert engine.get_work_item(item)["status"] == "open"  # nothing was written
    engine.complete(item, by="alice", outcome="approve", values={"amount": 5, "kind": "b"}, comment="ok")
    done = engine.get_work_item(item)
    assert (done["status"], done["outcome"], done["values"], done["comment"]) == ("completed", "approve", {"amount": 5, "kind": "b"}, "ok")


def test_permissions_on_work_items(engine: Engine):
    engine.deploy(one_stage(step("a", assignee={"type": "group", "value": "finance"})))
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    assert engine.work_items(assignee="alice") == []
    assert [i["id"] for i in engine.work_items(assignee="fiona")] == [item]
    for outsider in ("alice", "mallory", ""):
        with pytest.raises(Forbidden):
            engine.complete(item, by=outsider)
        with pytest.raises(Forbidden):
            engine.claim(item, by=outsider)
    assert not engine.may_act("alice", item)
    assert engine.may_act("frank", item)


def test_claim_release_and_claimed_items_are_reserved(engine: Engine):
    engine.deploy(one_stage(step("a", assignee={"type": "queue", "value": "warehouse"})))
    assert isinstance(engine.directory, InMemoryDirectory)
    engine.directory.add_user("wendy", queues=["warehouse"])
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    assert engine.claim(item, by="walt")["claimed_by"] == "walt"
    with pytest.raises(Conflict, match="claimed by walt"):
        engine.claim(item, by="wendy")
    with pytest.raises(Conflict, match="claimed by walt"):
        engine.complete(item, by="wendy")
    with pytest.raises(Conflict):
        engine.release(item, by="wendy")
    assert engine.release(item, by="walt")["status"] == "open"
    engine.claim(item, by="wendy")
    engine.complete(item, by="wendy")
    assert engine.get_run(run_id)["status"] == "completed"
    types = event_types(engine, run_id)
    assert types.count("work_item.claimed") == 2 and types.count("work_item.released") == 1


def test_reassign_moves_the_item(engine: Engine):
    engine.deploy(one_stage(step("a", assignee={"type": "user", "value": "alice"})))
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    engine.reassign(item, {"type": "user", "value": "bob"}, by="ops")
    with pytest.raises(Forbidden):
        engine.complete(item, by="alice")
    engine.complete(item, by="bob")
    assert engine.get_run(run_id)["status"] == "completed"
    assert any(n["kind"] == "reassignment" for n in engine.notifications(to="bob"))
    with pytest.raises(InvalidInput):
        engine.reassign(item, {"type": "robot", "value": "x"})


def test_hand_over_releases_claimed_items_and_reassigns_personal_ones_in_one_go(engine: Engine):
    engine.deploy(one_stage(step("a", assignee={"type": "group", "value": "legal"})))
    engine.deploy(one_stage(step("b", assignee={"type": "user", "value": "alice"}), key="mine"))
    claimed_run, personal_run, untouched_run = engine.start("t"), engine.start("mine"), engine.start("t")
    claimed = items_of(engine, claimed_run)[0]["id"]
    personal = items_of(engine, personal_run)[0]["id"]
    engine.claim(claimed, by="alice")
    engine.claim(personal, by="alice")  # claimed or not, a personal item goes to the new assignee

    # Nobody named for her own items: refused, and neither the caller's writes nor any move happen.
    written: list[str] = []
    with pytest.raises(InvalidInput, match="1 open work item assigned to them personally"):
        engine.hand_over("alice", None, by="admin", also=lambda tx: written.append("inside"))
    assert written == ["inside"]
    assert engine.get_work_item(claimed)["claimed_by"] == "alice"
    with pytest.raises(InvalidInput):
        engine.hand_over("alice", {"type": "user", "value": "alice"}, by="admin")

    moved = engine.hand_over("alice", {"type": "user", "value": "bob"}, by="admin")
    assert moved == {"released": 1, "reassigned": 1}
    back, given = engine.get_work_item(claimed), engine.get_work_item(personal)
    assert (back["status"], back["claimed_by"], back["assignee"]) == ("open", None, {"type": "group", "value": "legal"})
    assert (given["status"], given["assignee"]) == ("open", {"type": "user", "value": "bob"})
    assert items_of(engine, untouched_run)[0]["status"] == "open"
    released = [e for e in engine.events(claimed_run) if e["type"] == "work_item.released"]
    assert [(e["by"], e["data"]["claimed_by"]) for e in released] == [("admin", "alice")]
    assert [e["by"] for e in engine.events(personal_run) if e["type"] == "work_item.reassigned"] == ["admin"]
    assert any(n["work_item_id"] == personal for n in engine.notifications(to="bob"))
    assert engine.hand_over("alice", None, by="admin") == {"released": 0, "reassigned": 0}


def test_completing_twice_gives_a_clear_conflict(engine: Engine):
    engine.deploy(one_stage(step("a")))
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    engine.complete(item, by="alice")
    with pytest.raises(Conflict, match="already completed by alice"):
        engine.complete(item, by="bob")
    with pytest.raises(NotFound):
        engine.complete("missing", by="bob")


def test_concurrent_completion_exactly_one_wins(engine: Engine):
    engine.deploy(one_stage(step("a")))
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    barrier = threading.Barrier(8)
    results: list[str] = []

    def attempt(user: str) -> None:
        barrier.wait()
        try:
            engine.complete(item, by=user)
            results.append("won")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=attempt, args=("alice" if i % 2 else "bob",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["won"]
    assert event_types(engine, run_id).count("work_item.completed") == 1
    assert event_types(engine, run_id).count("run.completed") == 1


# -- approvals ------------------------------------------------------------------------

APPROVE = {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]}


def approval_doc(policy: str, quorum: int | None = None) -> dict:
    approval: dict[str, Any] = {"policy": policy}
    if quorum:
        approval["quorum"] = quorum
    return one_stage(step("vote", assignee={"type": "group", "value": "executives"}, form=APPROVE, approval=approval))


def vote(engine: Engine, run_id: str, user: str, outcome: str) -> None:
    item = next(i for i in items_of(engine, run_id) if i["assignee"]["value"] == user)
    engine.complete(item["id"], by=user, outcome=outcome)


def test_approval_all_is_unanimous(engine: Engine):
    engine.deploy(approval_doc("all"))
    run_id = engine.start("t")
    assert sorted(i["assignee"]["value"] for i in items_of(engine, run_id)) == ["ed", "erin", "eve"]
    vote(engine, run_id, "ed", "approve")
    vote(engine, run_id, "erin", "approve")
    assert step_status(engine, run_id)["vote"] == "in_progress"
    vote(engine, run_id, "eve", "approve")
    step_ = engine.get_run(run_id)["steps"][0]
    assert (step_["status"], step_["outcome"], step_["outputs"]["approvals"]) == ("completed", "approve", 3)
    assert [r["by"] for r in step_["outputs"]["responses"]] == ["ed", "erin", "eve"]


def test_approval_all_any_reject_rejects(engine: Engine):
    engine.deploy(approval_doc("all"))
    run_id = engine.start("t")
    vote(engine, run_id, "ed", "approve")
    vote(engine, run_id, "erin", "reject")
    step_ = engine.get_run(run_id)["steps"][0]
    assert (step_["status"], step_["outcome"]) == ("completed", "reject")
    assert [i["status"] for i in engine.work_items(run=run_id, status=None) if i["assignee"]["value"] == "eve"] == ["cancelled"]


def test_approval_quorum(engine: Engine):
    engine.deploy(approval_doc("quorum", 2))
    run_id = engine.start("t")
    vote(engine, run_id, "ed", "reject")
    assert step_status(engine, run_id)["vote"] == "in_progress"
    vote(engine, run_id, "eve", "approve")
    assert step_status(engine, run_id)["vote"] == "in_progress"
    vote(engine, run_id, "erin", "approve")
    assert engine.get_run(run_id)["steps"][0]["outcome"] == "approve"

    second = engine.start("t")
    vote(engine, second, "ed", "reject")
    vote(engine, second, "erin", "reject")  # two of three against: quorum of 2 is out of reach
    assert engine.get_run(second)["steps"][0]["outcome"] == "reject"


def test_approval_any_first_answer_decides(engine: Engine):
    engine.deploy(approval_doc("any"))
    run_id = engine.start("t")
    vote(engine, run_id, "eve", "reject")
    assert engine.get_run(run_id)["steps"][0]["outcome"] == "reject"
    assert items_of(engine, run_id) == []


def test_assignee_expression_is_the_record_owner(engine: Engine):
    engine.deploy(one_stage(step("a", assignee={"type": "expression", "value": "record.owner"})))
    record = engine.create_record("deal", {"name": "x"}, owner="sam")
    run_id = engine.start("t", record={"object": "deal", "id": record["id"]})
    assert items_of(engine, run_id)[0]["assignee"] == {"type": "user", "value": "sam"}


def test_bad_assignee_expression_puts_run_in_error(engine: Engine):
    engine.deploy(one_stage(step("a", assignee={"type": "expression", "value": "inputs.who"}), inputs=[{"name": "who", "type": "integer"}]))
    run_id = engine.start("t", {"who": 7})
    run = engine.get_run(run_id)
    assert run["status"] == "error"
    assert run["error"]["node"] == "a" and "not a user name" in run["error"]["message"]


# -- background actions ------------------------------------------------------------------


def flaky(fail_times: int, retryable: bool = True):
    from runtime.actions import ActionFailed

    calls: list[str] = []

    def handler(ctx, inputs):
        calls.append(ctx.idempotency_key)
        if len(calls) <= fail_times:
            raise ActionFailed("upstream down", retryable=retryable)
        return {"echo": inputs.get("value")}

    return handler, calls


def register(engine: Engine, name: str, handler) -> None:
    from runtime.actions import Action, ActionField

    engine.actions.register(Action(name, handler, (ActionField("value", "any"),), (ActionField("echo", "any"),)))


def test_background_retries_with_backoff_then_succeeds(engine: Engine, clock):
    handler, calls = flaky(2)
    register(engine, "test.flaky", handler)
    engine.deploy(
        one_stage(
            step(
                "call",
                "background",
                action="test.flaky",
                inputs={"value": "inputs.x"},
                retry={"max_attempts": 3, "backoff": "PT10S", "multiplier": 2},
            ),
            inputs=[{"name": "x", "type": "string"}],
        )
    )
    run_id = engine.start("t", {"x": "hi"})
    assert len(calls) == 1
    clock.advance(timedelta(seconds=9))
    assert len(calls) == 1
    clock.advance(timedelta(seconds=1))
    assert len(calls) == 2
    clock.advance(timedelta(seconds=19))
    assert len(calls) == 2
    clock.advance(timedelta(seconds=1))
    assert calls == [f"{run_id}:call:1:1", f"{run_id}:call:1:2", f"{run_id}:call:1:3"]
    run = engine.get_run(run_id)
    assert run["status"] == "completed"
    assert run["steps"][0]["outputs"] == {"echo": "hi"}
    assert run["steps"][0]["attempts"] == 3


def test_background_failure_takes_fault_path(engine: Engine):
    handler, _ = flaky(99, retryable=False)
    register(engine, "test.broken", handler)
    doc = document(
        [
            {"id": "s1", "type": "stage", "label": "Call"},
            step("call", "background", action="test.broken"),
            step("parallel_work", stage="s1"),
            {"id": "fix", "type": "stage", "label": "Handle failure"},
            step("handle", stage="fix", assignee={"type": "group", "value": "support"}),
        ],
        [("start", "s1"), ("s1", "end"), ("s1", "fix", "error"), ("fix", "end")],
    )
    engine.deploy(doc)
    run_id = engine.start("t")
    run = engine.get_run(run_id)
    assert run["status"] == "in_progress"
    assert run["current_stage"] == "fix"
    statuses = {s["id"]: s["status"] for s in run["stages"]}
    assert statuses == {"s1": "error", "fix": "in_progress"}
    assert step_status(engine, run_id)["parallel_work"] == "discontinued"
    assert step_status(engine, run_id)["call"] == "error"


def test_background_failure_without_fault_path_errors_the_run_and_retry_resumes(engine: Engine, clock):
    handler, calls = flaky(2)
    register(engine, "test.flaky", handler)
    engine.deploy(one_stage(step("call", "background", action="test.flaky", retry={"max_attempts": 1})))
    run_id = engine.start("t")
    run = engine.get_run(run_id)
    assert (run["status"], run["stages"][0]["status"], run["steps"][0]["status"]) == ("error", "error", "error")
    assert run["error"] == {"node": "call", "field": None, "message": "upstream down"}
    engine.retry(run_id, by="ops")  # fails once more (second call), error again
    assert engine.get_run(run_id)["status"] == "error"
    engine.retry(run_id, by="ops")
    run = engine.get_run(run_id)
    assert run["status"] == "completed"
    assert calls == [f"{run_id}:call:1:{n}" for n in (1, 2, 3)]
    with pytest.raises(Conflict):
        engine.retry(run_id)


def test_action_exception_is_a_step_failure(engine: Engine):
    def boom(ctx, inputs):
        raise ZeroDivisionError("oops")

    register(engine, "test.boom", boom)
    engine.deploy(one_stage(step("call", "background", action="test.boom", retry={"max_attempts": 1})))
    run_id = engine.start("t")
    assert engine.get_run(run_id)["error"]["message"] == "ZeroDivisionError: oops"


# -- waits: timers, events, conditions ------------------------------------------------------


def test_wait_timer_fires_with_the_clock(engine: Engine, clock):
    engine.deploy(one_stage(step("pause", "wait", timer={"duration": "P3D"})))
    run_id = engine.start("t")
    assert step_status(engine, run_id) == {"pause": "waiting"}
    clock.advance("P2DT23H")
    assert engine.get_run(run_id)["status"] == "in_progress"
    clock.advance("PT1H")
    assert engine.get_run(run_id)["status"] == "completed"
    assert "timer.fired" in event_types(engine, run_id)


def test_wait_timer_at_expression(engine: Engine, clock):
    engine.deploy(
        one_stage(
            step("pause", "wait", timer={"at": "timestamp(inputs.when)"}), inputs=[{"name": "when", "type": "datetime", "required": True}]
        )
    )
    run_id = engine.start("t", {"when": "2026-01-10T00:00:00Z"})
    clock.advance("P4D")
    assert engine.get_run(run_id)["status"] == "in_progress"
    clock.advance("P1D")
    assert engine.get_run(run_id)["status"] == "completed"


def test_wait_until_condition_reevaluates_on_record_change(engine: Engine):
    engine.deploy(one_stage(step("paid", "wait", until="record.paid == true")))
    record = engine.create_record("invoice", {"paid": False})
    run_id = engine.start("t", record={"object": "invoice", "id": record["id"]})
    assert engine.get_run(run_id)["status"] == "in_progress"
    engine.update_record("invoice", record["id"], {"paid": True})
    assert engine.get_run(run_id)["status"] == "completed"


def test_event_correlation_by_key(engine: Engine):
    engine.deploy(
        one_stage(
            step(
                "payment", "wait", event={"name": "payment_received", "correlation": "inputs.order"}, set={"paid": "event.payload.amount"}
            ),
            inputs=[{"name": "order", "type": "string", "required": True}],
            variables=[{"name": "paid", "type": "number"}],
        )
    )
    a = engine.start("t", {"order": "A-1"})
    b = engine.start("t", {"order": "B-2"})
    assert engine.publish_event("payment_received", "C-3", {"amount": 1}) == []
    assert engine.publish_event("payment_received", "B-2", {"amount": 42.5}) == [b]
    assert engine.get_run(b)["status"] == "completed"
    assert engine.get_run(b)["vars"]["paid"] == 42.5
    assert engine.get_run(a)["status"] == "in_progress"


def test_event_correlation_predicate(engine: Engine):
    engine.deploy(
        one_stage(
            step("big_payment", "wait", event={"name": "payment", "correlation": "event.payload.amount >= inputs.min"}),
            inputs=[{"name": "min", "type": "number", "required": True}],
        )
    )
    run_id = engine.start("t", {"min": 100})
    assert engine.publish_event("payment", None, {"amount": 50}) == []
    assert engine.publish_event("payment", None, {"note": "no amount"}) == []
    assert engine.publish_event("payment", None, {"amount": 150}) == [run_id]


def test_early_event_is_buffered_only_when_asked(engine: Engine):
    first = document(
        [
            {"id": "s1", "type": "stage", "label": "Work"},
            step("w", stage="s1"),
            {"id": "s2", "type": "stage", "label": "Wait"},
            step("ship", "wait", stage="s2", event={"name": "shipped", "correlation": "inputs.order", "buffer": True}),
        ],
        [("start", "s1"), ("s1", "s2"), ("s2", "end")],
        inputs=[{"name": "order", "type": "string", "required": True}],
    )
    engine.deploy(first)
    run_id = engine.start("t", {"order": "X"})
    assert engine.publish_event("shipped", "X", {}) == []  # nobody waits yet: buffered
    engine.complete(items_of(engine, run_id)[0]["id"], by="alice")
    assert engine.get_run(run_id)["status"] == "completed"
    received = [e for e in engine.events(run_id) if e["type"] == "event.received"]
    assert received[0]["data"]["buffered"] is True

    unbuffered = document(
        [
            {"id": "s1", "type": "stage", "label": "Work"},
            step("w", stage="s1"),
            {"id": "s2", "type": "stage", "label": "Wait"},
            step("ship", "wait", stage="s2", event={"name": "delivered", "correlation": "inputs.order"}),
        ],
        [("start", "s1"), ("s1", "s2"), ("s2", "end")],
        key="u",
        inputs=[{"name": "order", "type": "string", "required": True}],
    )
    engine.deploy(unbuffered)
    other = engine.start("u", {"order": "Y"})
    engine.publish_event("delivered", "Y", {})
    engine.complete(items_of(engine, other)[0]["id"], by="alice")
    assert step_status(engine, other)["ship"] == "waiting"


# -- due dates and escalation ------------------------------------------------------------


def test_escalation_notifies_when_overdue(engine: Engine, clock):
    engine.deploy(
        one_stage(step("a", due="P2D", escalation={"after": "PT1H", "action": "notify", "to": {"type": "user", "value": "erin"}}))
    )
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]
    assert item["due_at"] == "2026-01-07T09:00:00+00:00"
    clock.advance("P2D")
    assert engine.get_work_item(item["id"])["overdue"] is False
    clock.advance("PT30M")
    assert engine.get_work_item(item["id"])["overdue"] is True
    assert not any(n["kind"] == "escalation" for n in engine.notifications(to="erin"))
    clock.advance("PT30M")
    assert [n["kind"] for n in engine.notifications(to="erin")] == ["escalation"]
    assert engine.get_work_item(item["id"])["escalated_at"] is not None
    engine.complete(item["id"], by="alice")
    clock.advance("P10D")
    assert len(engine.notifications(to="erin")) == 1  # no escalation after completion


def test_completed_item_is_never_escalated(engine: Engine, clock):
    engine.deploy(one_stage(step("a", due="PT1H", escalation={"action": "reassign", "to": {"type": "user", "value": "bob"}})))
    run_id = engine.start("t")
    engine.complete(items_of(engine, run_id)[0]["id"], by="alice")
    clock.advance("PT2H")
    assert "work_item.escalated" not in event_types(engine, run_id)


# -- suspend, resume, cancel ---------------------------------------------------------------


def test_suspend_blocks_work_and_resume_continues(engine: Engine):
    engine.deploy(one_stage(step("a")))
    run_id = engine.start("t")
    item = items_of(engine, run_id)[0]["id"]
    engine.suspend(run_id, by="ops")
    with pytest.raises(Conflict, match="suspended"):
        engine.complete(item, by="alice")
    with pytest.raises(Conflict):
        engine.suspend(run_id)
    engine.resume(run_id, by="ops")
    engine.complete(item, by="alice")
    assert engine.get_run(run_id)["status"] == "completed"
    with pytest.raises(Conflict):
        engine.resume(run_id)


def test_cancel_closes_everything(engine: Engine, clock):
    engine.deploy(one_stage(step("a", due="P1D", escalation={"action": "notify"}), step("w", "wait", timer={"duration": "P1D"})))
    run_id = engine.start("t")
    engine.cancel(run_id, by="ops", reason="customer left")
    run = engine.get_run(run_id)
    assert run["status"] == "cancelled"
    assert {s["status"] for s in run["steps"]} == {"discontinued"}
    assert run["stages"][0]["status"] == "discontinued"
    assert engine.work_items(run=run_id) == []
    clock.advance("P5D")
    assert not any(e["type"] in ("timer.fired", "work_item.escalated") for e in engine.events(run_id))
    with pytest.raises(Conflict):
        engine.cancel(run_id)


# -- records, triggers and child runs --------------------------------------------------------


def test_record_trigger_condition(engine: Engine):
    doc = one_stage(
        step("a"), key="big_orders", trigger={"type": "record", "object": "order", "on": ["create"], "condition": "record.total > 100"}
    )
    engine.deploy(doc)
    small = engine.create_record("order", {"total": 5})
    big = engine.create_record("order", {"total": 500})
    no_total = engine.create_record("order", {"note": "x"})
    assert small["started_runs"] == [] and no_total["started_runs"] == []
    assert len(big["started_runs"]) == 1
    assert engine.get_run(big["started_runs"][0])["record"]["id"] == big["id"]


def test_record_type_fields_are_checked(engine: Engine):
    engine.define_record_type("ticket", [{"name": "title", "type": "string", "required": True}, {"name": "n", "type": "integer"}])
    with pytest.raises(InvalidInput) as caught:
        engine.create_record("ticket", {"n": "x", "other": 1})
    assert caught.value.details == {"fields": {"n": "must be an integer", "other": "is not a field of ticket", "title": "is required"}}
    ticket = engine.create_record("ticket", {"title": "a"})
    with pytest.raises(InvalidInput):
        engine.update_record("ticket", ticket["id"], {"n": 1.5})
    with pytest.raises(NotFound):
        engine.update_record("ticket", "nope", {"n": 1})


def test_child_run_waited_for(engine: Engine):
    engine.deploy(
        one_stage(
            step("child_work", assignee={"type": "user", "value": "bob"}),
            key="child",
            inputs=[{"name": "n", "type": "integer"}],
            variables=[{"name": "doubled", "type": "integer"}],
        )
    )
    engine.deploy(
        one_stage(
            step(
                "spawn",
                "background",
                action="orchestration.start",
                inputs={"orchestration": "'child'", "inputs": "{'n': 2}", "wait": "true"},
            ),
            key="parent",
        )
    )
    parent = engine.start("parent")
    assert step_status(engine, parent)["spawn"] == "in_progress"
    (child,) = engine.runs(orchestration="child")
    assert child["parent_run_id"] == parent
    engine.complete(items_of(engine, child["id"])[0]["id"], by="bob")
    run = engine.get_run(parent)
    assert run["status"] == "completed"
    assert run["steps"][0]["outputs"]["run_id"] == child["id"]


def test_child_run_fire_and_forget(engine: Engine):
    engine.deploy(one_stage(step("child_work", assignee={"type": "user", "value": "bob"}), key="child"))
    engine.deploy(one_stage(step("spawn", "background", action="orchestration.start", inputs={"orchestration": "'child'"}), key="parent"))
    parent = engine.start("parent")
    assert engine.get_run(parent)["status"] == "completed"
    assert engine.runs(orchestration="child")[0]["status"] == "in_progress"


def test_vars_set_and_notify_actions(engine: Engine):
    engine.deploy(
        one_stage(
            step("setv", "background", action="vars.set", inputs={"total": "inputs.a * 2"}),
            step(
                "tell",
                "background",
                action="notify",
                start={"when": "after", "steps": ["setv"]},
                inputs={"to": "'alice'", "subject": "'Total ' + string(vars.total)"},
            ),
            inputs=[{"name": "a", "type": "integer", "required": True}],
            variables=[{"name": "total", "type": "integer"}],
        )
    )
    run_id = engine.start("t", {"a": 21})
    assert engine.get_run(run_id)["vars"] == {"total": 42}
    assert [n["subject"] for n in engine.notifications(to="alice")] == ["Total 42"]


def test_set_with_wrong_type_puts_run_in_error(engine: Engine):
    engine.deploy(one_stage(step("a", set={"count": "'many'"}), variables=[{"name": "count", "type": "integer"}]))
    run_id = engine.start("t")
    engine.complete(items_of(engine, run_id)[0]["id"], by="alice")
    run = engine.get_run(run_id)
    assert run["status"] == "error"
    assert run["error"]["field"] == "set.count"


def test_runtime_expression_error_points_at_node_and_can_be_retried(engine: Engine):
    doc = document(
        [
            {"id": "s1", "type": "stage", "label": "One"},
            step("a"),
            {
                "id": "d",
                "type": "decision",
                "label": "Region",
                "outcomes": [{"id": "eu", "label": "EU", "condition": "record.region == 'eu'"}],
            },
        ],
        [("start", "s1"), ("s1", "d"), ("d", "end", "eu"), ("d", "end", "default")],
    )
    engine.deploy(doc)
    record = engine.create_record("acct", {"name": "no region"})
    run_id = engine.start("t", record={"object": "acct", "id": record["id"]})
    engine.complete(items_of(engine, run_id)[0]["id"], by="alice")
    run = engine.get_run(run_id)
    assert run["status"] == "error"
    assert run["error"]["node"] == "d" and "region" in run["error"]["message"]
    engine.update_record("acct", record["id"], {"region": "eu"})
    engine.retry(run_id, by="ops")
    assert engine.get_run(run_id)["status"] == "completed"
