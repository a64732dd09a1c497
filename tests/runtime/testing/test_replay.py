"""Turning a run into a scenario (runtime/testing/replay.py): the round trip.

Each test drives a real run with several people (on the memory and SQLite stores),
turns it into a scenario, writes it as YAML, reads it back and runs it: the replay
must pass, visit the same stages in the same order and end in the same state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from runtime.actions import ActionContext, ActionFailed, ActionRegistry, default_registry
from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.errors import Conflict, NotFound
from runtime.templates import RECORD_TYPES, load
from runtime.testing import Scenario, load_scenario, run_scenario
from runtime.testing.replay import scenario_dict_from_run, scenario_from_run


def only_item(engine: Engine, user: str, run_id: str) -> str:
    (item,) = [i for i in engine.work_items(assignee=user) if i["run_id"] == run_id]
    return str(item["id"])


def act(engine: Engine, user: str, run_id: str, outcome: str, values: dict[str, Any] | None = None, **kw: Any) -> None:
    engine.complete(only_item(engine, user, run_id), by=user, outcome=outcome, values=values, **kw)


def replay(engine: Engine, run_id: str, document: dict[str, Any]) -> Scenario:
    """Generate, write, read back and run the replay; it must reproduce the run."""
    scenario = scenario_from_run(engine, run_id)
    text = scenario.to_yaml()
    loaded = load_scenario(text, source="replay.scenario.yaml")
    assert loaded == scenario
    result = run_scenario(loaded, document=document)
    assert result.passed, result.report() + "\n" + text
    original = engine.get_run(run_id)
    assert result.path == [visit["stage"] for visit in original["history"]]
    # The final expect holds the original's end state, and the replay passed it.
    end = loaded.steps[-1]["expect"]
    assert end["status"] == original["status"] and end["vars"] == original["vars"]
    assert end.get("node") == original["current_node"]
    return loaded


def steps_of(scenario: Scenario, key: str) -> list[dict[str, Any]]:
    return [s for s in scenario.steps if key in s]


# ----------------------------------------------------------------------------- the shipped templates


def test_a_contract_sent_back_by_finance_revised_and_signed_replays(templated: Engine, clock: ManualClock):
    record = templated.create_record(
        "contract", {"title": "Acme MSA", "customer": "Acme", "amount": 60_000, "status": "submitted"}, owner="sam"
    )
    (run_id,) = record["started_runs"]
    clock.advance("PT3H")
    templated.claim(only_item(templated, "alice", run_id), by="alice")
    act(templated, "alice", run_id, "approve", {"notes": "standard terms"}, comment="ok")
    clock.advance("P1DT2H30M")
    act(templated, "fiona", run_id, "reject", {"reason": "margin too thin"})
    clock.advance("PT45M")
    act(templated, "sam", run_id, "resubmit", {"amount": 45_000, "changes": "discount"})
    clock.advance("P3D")  # legal is overdue the second time round: the escalation notifies legal
    act(templated, "bob", run_id, "approve")
    act(templated, "frank", run_id, "approve", {"margin": 12})
    clock.advance("PT10M")
    act(templated, "eve", run_id, "sign", {"signed_on": "2026-01-09"})
    assert templated.get_run(run_id)["status"] == "completed"

    scenario = replay(templated, run_id, load("contract_approval"))
    assert scenario.personas["sam"] == {"user": "sam", "groups": ["sales"]}
    assert scenario.personas["alice"] == {"user": "alice", "groups": ["legal"]}
    assert scenario.start_time == "2026-01-05T09:00:00Z"
    assert scenario.steps[0] == {
        "start": {
            "record": {
                "object": "contract",
                "fields": {"title": "Acme MSA", "customer": "Acme", "amount": 60_000, "status": "submitted"},
                "owner": "sam",
            }
        }
    }
    assert scenario.steps[1:4] == [
        {"advance": "PT3H"},
        {"claim": "legal_review", "as": "alice"},
        {"complete": "legal_review", "as": "alice", "outcome": "approve", "values": {"notes": "standard terms"}, "comment": "ok"},
    ]
    assert {"advance": "P1DT2H30M"} in scenario.steps and {"advance": "P3D"} in scenario.steps
    # The run's own record updates (in revision, resubmitted, signed) are not steps: the replay makes them.
    assert steps_of(scenario, "update_record") == [] and "mocks" not in scenario.to_dict()
    assert scenario.steps[-1]["expect"]["stages_visited"] == ["legal", "finance", "revise", "legal", "finance", "executive"]


def test_a_big_contract_with_ops_suspending_reassigning_and_cancelling_replays(templated: Engine, clock: ManualClock):
    record = templated.create_record(
        "contract", {"title": "Big deal", "customer": "Initech", "amount": 80_000, "status": "submitted"}, owner="sam"
    )
    (run_id,) = record["started_runs"]
    templated.suspend(run_id, by="otto")
    clock.advance("PT1H")
    templated.resume(run_id, by="otto")
    item = only_item(templated, "alice", run_id)
    templated.claim(item, by="alice")
    templated.release(item, by="alice")
    templated.reassign(item, {"type": "user", "value": "bob"}, by="otto")
    act(templated, "bob", run_id, "approve")
    act(templated, "fiona", run_id, "approve")
    clock.advance("PT5H")
    act(templated, "ed", run_id, "reject")  # the VP says no: back to the sales rep
    templated.update_record("contract", record["id"], {"title": "Big deal (v2)"}, by="sam")
    clock.advance("P2D")
    templated.cancel(run_id, by="otto", reason="customer walked away")
    assert templated.get_run(run_id)["status"] == "cancelled"

    scenario = replay(templated, run_id, load("contract_approval"))
    assert {"suspend": True, "as": "otto"} in scenario.steps and {"resume": True, "as": "otto"} in scenario.steps
    assert {"reassign": "legal_review", "as": "otto", "to": {"user": "bob"}} in scenario.steps
    assert {"release": "legal_review", "as": "alice"} in scenario.steps
    assert steps_of(scenario, "update_record") == [{"update_record": {"fields": {"title": "Big deal (v2)"}, "as": "sam"}}]
    assert scenario.steps[-2:] == [
        {"cancel": True, "as": "otto"},
        {
            "expect": {
                "stages_visited": ["legal", "finance", "vp", "revise"],
                "status": "cancelled",
                "node": "revise",
                "vars": {"rounds": 0, "legal_notes": ""},
            }
        },
    ]
    assert "groups" not in scenario.personas["otto"]  # otto is in no group of the test directory


def test_a_refund_escalated_to_the_escalation_queue_replays(templated: Engine, clock: ManualClock):
    record = templated.create_record(
        "service_request", {"customer": "Hooli", "kind": "refund", "order_id": "O-7", "amount": 80.0}, owner="sam"
    )
    (run_id,) = record["started_runs"]
    clock.advance("P1DT5H")  # due after a day, escalated 4 hours later: reassigned to the support_escalations queue
    act(templated, "steve", run_id, "valid", {"finding": "broken on arrival"})
    clock.advance("P2D")
    act(templated, "walt", run_id, "received", {"condition": "damaged"})
    act(templated, "fiona", run_id, "issued", {"amount": 80})
    assert templated.get_run(run_id)["status"] == "completed"

    scenario = replay(templated, run_id, load("service_request"))
    assert scenario.personas["steve"] == {"user": "steve", "groups": ["support"], "queues": ["support_escalations"]}
    assert scenario.personas["walt"] == {"user": "walt", "groups": ["warehouse"], "queues": ["warehouse"]}
    assert scenario.steps[-1]["expect"]["vars"] == {"credit": 80.0}


def test_a_project_sent_back_waiting_two_days_in_staging_replays(templated: Engine, clock: ManualClock):
    record = templated.create_record("project", {"name": "Website", "status": "planned"}, owner="dave")
    (run_id,) = record["started_runs"]
    act(templated, "dave", run_id, "done", {"document_url": "https://docs/1"})
    clock.advance("PT4H30M")
    act(templated, "pat", run_id, "needs_work", {"comments": "no NFRs"})
    act(templated, "dave", run_id, "done", {"document_url": "https://docs/2"})
    act(templated, "pat", run_id, "complete")
    act(templated, "dave", run_id, "done")
    act(templated, "pat", run_id, "accepted")
    clock.advance("P3D")  # the two days in staging pass
    act(templated, "pat", run_id, "go", {"go_live_on": "2026-01-12"})
    assert templated.get_run(run_id)["status"] == "completed"

    scenario = replay(templated, run_id, load("project_milestones"))
    assert scenario.steps[-1]["expect"]["stages_visited"] == ["requirements", "requirements", "development", "release"]
    assert {"advance": "PT4H30M"} in scenario.steps and {"advance": "P3D"} in scenario.steps


# ----------------------------------------------------------------------------- actions, events and timers

#: An order is pushed to a CRM (http.request), then waits for its payment and a cooling-off
#: period; the warehouse packs it.
FULFILMENT: dict[str, Any] = {
    "format": 1,
    "key": "fulfilment",
    "label": "Order fulfilment",
    "inputs": [{"name": "order", "type": "string", "required": True}],
    "variables": [{"name": "crm_status", "type": "integer"}, {"name": "paid", "type": "number"}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "sync", "type": "stage", "label": "Sync"},
        {
            "id": "push",
            "type": "background",
            "stage": "sync",
            "label": "Push to CRM",
            "action": "http.request",
            "inputs": {"url": "'https://crm.example.com/orders/' + inputs.order", "method": "'POST'"},
            "retry": {"max_attempts": 3, "backoff": "PT30S", "multiplier": 2},
            "set": {"crm_status": "steps.push.outputs.status"},
        },
        {"id": "payment", "type": "stage", "label": "Payment"},
        {
            "id": "paid",
            "type": "wait",
            "stage": "payment",
            "label": "Payment received",
            "event": {"name": "payment_received", "correlation": "inputs.order", "buffer": True},
            "set": {"paid": "double(event.payload.amount)"},
        },
        {
            "id": "cool_off",
            "type": "wait",
            "stage": "payment",
            "label": "Cooling-off period",
            "start": {"when": "after", "steps": ["paid"]},
            "timer": {"duration": "PT6H"},
        },
        {"id": "ship", "type": "stage", "label": "Ship"},
        {
            "id": "pack",
            "type": "interactive",
            "stage": "ship",
            "label": "Pack the order",
            "assignee": {"type": "queue", "value": "warehouse"},
            "form": {
                "fields": [{"name": "boxes", "type": "integer", "label": "Boxes", "required": True}],
                "outcomes": [{"value": "packed", "label": "Packed"}],
            },
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "sync"},
        {"id": "e2", "source": "sync", "target": "payment"},
        {"id": "e3", "source": "payment", "target": "ship"},
        {"id": "e4", "source": "ship", "target": "done"},
    ],
}


def scripted_http(answers: list[Any]) -> ActionRegistry:
    """The default actions with http.request answered from ``answers`` in turn (an
    exception is raised, anything else returned): the original run never calls out."""
    base = default_registry()
    registry = ActionRegistry()
    for name in base.names():
        action = base.get(name)
        assert action is not None
        if name == "http.request":

            def handler(ctx: ActionContext, inputs: dict[str, Any]) -> Any:
                answer = answers.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer

            action = dataclasses.replace(action, handler=handler)
        registry.register(action)
    return registry


@pytest.fixture
def with_http(store, clock, directory) -> Callable[..., Engine]:
    def make(*answers: Any) -> Engine:
        engine = Engine(store, clock, directory, actions=scripted_http(list(answers)))
        engine.deploy(FULFILMENT)
        return engine

    return make


def test_an_action_that_failed_twice_an_event_and_a_timer_replay(with_http, clock: ManualClock):
    engine = with_http(ActionFailed("503 from CRM"), ActionFailed("timed out"), {"status": 201, "body": {"id": 7}})
    run_id = engine.start("fulfilment", {"order": "A-1"}, started_by="sam")
    clock.advance("PT30S")  # the first retry
    clock.advance("PT1M")  # the second: it succeeds
    assert engine.get_run(run_id)["current_stage"] == "payment"
    clock.advance("PT2H")
    assert engine.publish_event("payment_received", "A-1", {"amount": 120}) == [run_id]
    clock.advance("PT7H")  # the cooling-off timer fires on the way
    act(engine, "walt", run_id, "packed", {"boxes": 2})
    assert engine.get_run(run_id)["status"] == "completed"

    scenario = replay(engine, run_id, FULFILMENT)
    assert scenario.mocks == [{"step": "push", "fail": "timed out", "fail_times": 2, "result": {"status": 201, "body": {"id": 7}}}]
    assert scenario.steps[:5] == [
        {"start": {"inputs": {"order": "A-1"}, "as": "sam"}},
        {"advance": "PT2H"},  # the retries' backoff (1m30s) is taken by the runner itself
        {"event": {"name": "payment_received", "correlation": "A-1", "payload": {"amount": 120}}},
        {"advance": "PT7H"},
        {"complete": "pack", "as": "walt", "outcome": "packed", "values": {"boxes": 2}},
    ]
    assert scenario.steps[-1]["expect"]["vars"] == {"crm_status": 201, "paid": 120.0}


def test_an_event_that_came_before_the_wait_is_published_before_it_starts(with_http, clock: ManualClock):
    engine = with_http({"status": 200})
    assert engine.publish_event("payment_received", "B-2", {"amount": 5}) == []  # kept: fulfilment buffers it
    clock.advance("PT1M")
    run_id = engine.start("fulfilment", {"order": "B-2"}, started_by="sam")
    assert engine.get_run(run_id)["current_stage"] == "payment"
    scenario = replay(engine, run_id, FULFILMENT)
    assert scenario.steps[0] == {"event": {"name": "payment_received", "correlation": "B-2", "payload": {"amount": 5}}}
    assert scenario.steps[-1]["expect"]["stages_visited"] == ["sync", "payment"]


def test_a_run_in_error_retried_by_ops_replays(with_http, clock: ManualClock):
    failures = [ActionFailed("CRM down")] * 3
    engine = with_http(*failures, {"status": 202})
    run_id = engine.start("fulfilment", {"order": "C-3"}, started_by="sam")
    clock.advance("PT30S")
    clock.advance("PT1M")
    run = engine.get_run(run_id)
    assert run["status"] == "error" and run["error"]["message"] == "CRM down"
    clock.advance("PT20M")
    engine.retry(run_id, by="otto")  # the CRM is back
    assert engine.get_run(run_id)["current_stage"] == "payment"

    scenario = replay(engine, run_id, FULFILMENT)
    assert scenario.mocks == [{"step": "push", "fail": "CRM down", "fail_times": 3, "result": {"status": 202}}]
    assert {"retry": True, "as": "otto"} in scenario.steps
    assert scenario.steps[-1]["expect"]["status"] == "in_progress"


def test_a_run_still_in_error_replays_to_its_error(with_http, clock: ManualClock):
    engine = with_http(ActionFailed("bad request", retryable=False))
    run_id = engine.start("fulfilment", {"order": "D-4"}, started_by="sam")
    assert engine.get_run(run_id)["status"] == "error"
    scenario = replay(engine, run_id, FULFILMENT)
    assert scenario.mocks == [{"step": "push", "fail": "bad request", "retryable": False}]


def test_a_step_whose_visits_were_answered_differently_gets_a_mock_step(with_http, clock: ManualClock):
    document = {
        **FULFILMENT,
        "key": "twice",
        "nodes": [
            *[n for n in FULFILMENT["nodes"] if n["id"] not in ("ship", "pack", "done")],
            {
                "id": "again",
                "type": "decision",
                "label": "Again?",
                "outcomes": [{"id": "yes", "label": "Once more", "condition": "stages.sync.visits < 2"}],
            },
            {"id": "done", "type": "end"},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "sync"},
            {"id": "e2", "source": "sync", "target": "payment"},
            {"id": "e3", "source": "payment", "target": "again"},
            {"id": "e4", "source": "again", "target": "sync", "outcome": "yes"},
            {"id": "e5", "source": "again", "target": "done", "outcome": "default"},
        ],
    }
    engine = with_http({"status": 200}, ActionFailed("flaky"), {"status": 201})
    engine.deploy(document)
    run_id = engine.start("twice", {"order": "E-5"}, started_by="sam")
    engine.publish_event("payment_received", "E-5", {"amount": 1})
    clock.advance("PT6H")  # cooling off; round two pushes again, fails once
    clock.advance("PT30S")
    engine.publish_event("payment_received", "E-5", {"amount": 2})
    clock.advance("PT6H")
    assert engine.get_run(run_id)["status"] == "completed"

    scenario = replay(engine, run_id, document)
    assert scenario.mocks == [{"step": "push", "result": {"status": 200}}]
    assert {"mock": {"step": "push", "fail": "flaky", "fail_times": 1, "result": {"status": 201}}} in scenario.steps


# ----------------------------------------------------------------------------- details


def test_a_person_who_acted_before_a_late_timer_fired_acts_before_it_in_the_replay(store, clock, directory):
    # A worker that fires timers late: alice claims after the escalation fell due, before it fired.
    engine = Engine(store, clock, directory, autoprocess=False)
    engine.define_record_type("contract", RECORD_TYPES["contract"])
    engine.deploy(load("contract_approval"))
    record = engine.create_record("contract", {"title": "T", "customer": "C", "amount": 5, "status": "submitted"}, owner="sam")
    (run_id,) = record["started_runs"]
    clock.advance("P2DT1H")
    engine.claim(only_item(engine, "alice", run_id), by="alice")
    assert engine.process() == 1  # now the escalation fires
    act(engine, "alice", run_id, "approve")
    types = [e["type"] for e in engine.events(run_id)]
    assert types.index("work_item.claimed") < types.index("work_item.escalated")

    scenario = replay(engine, run_id, load("contract_approval"))
    assert scenario.steps[1:3] == [{"advance": "P1DT23H59M59.999999S"}, {"claim": "legal_review", "as": "alice"}]
    assert scenario.steps[3] == {"advance": "PT1H0.000001S"}  # then the escalation fires, then alice approves


def test_work_created_by_a_late_timer_is_done_before_its_escalation_in_the_replay(with_http, clock: ManualClock):
    # The replay fires the cooling-off timer when it falls due, not a day later as the original
    # did: packing's due date comes a day earlier there, yet walt still packs before it passes.
    document = {
        **FULFILMENT,
        "key": "escalating",
        "nodes": [
            {**n, "due": "PT2H", "escalation": {"action": "reassign", "to": {"type": "group", "value": "finance"}}}
            if n["id"] == "pack"
            else n
            for n in FULFILMENT["nodes"]
        ],
    }
    engine = with_http({"status": 200})
    engine.deploy(document)
    run_id = engine.start("escalating", {"order": "F-6"}, started_by="sam")
    engine.publish_event("payment_received", "F-6", {"amount": 3})
    clock.advance("P1D")
    clock.advance("PT1H30M")
    act(engine, "walt", run_id, "packed", {"boxes": 1})
    scenario = replay(engine, run_id, document)
    assert scenario.steps[2] == {"advance": "PT7H59M59.999999S"}  # the cooling-off (6h), then packing's 2h, less a tick


def test_an_approval_by_every_member_replays_with_each_member_as_a_persona(engine: Engine):
    document = {
        "format": 1,
        "key": "budget",
        "label": "Budget sign-off",
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "board", "type": "stage", "label": "Board"},
            {
                "id": "sign_off",
                "type": "interactive",
                "stage": "board",
                "label": "Sign off",
                "assignee": {"type": "group", "value": "executives"},
                "approval": {"policy": "quorum", "quorum": 2},
                "form": {"fields": [], "outcomes": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
            },
            {"id": "done", "type": "end"},
        ],
        "edges": [{"id": "e1", "source": "start", "target": "board"}, {"id": "e2", "source": "board", "target": "done"}],
    }
    engine.deploy(document)
    run_id = engine.start("budget", started_by="sam")
    act(engine, "ed", run_id, "yes")
    act(engine, "erin", run_id, "yes")  # two of three: eve's item is cancelled
    scenario = replay(engine, run_id, document)
    # eve never acted, but the step gave her an item: the replay has her, so it splits the same way.
    assert scenario.personas["eve"] == {"user": "eve", "groups": ["executives"]}
    assert set(scenario.personas) == {"ed", "erin", "eve", "sam"}


def test_events_keyed_on_the_original_run_or_record_refer_to_the_replay_s_own_ids(engine: Engine):
    document = {
        "format": 1,
        "key": "delivery",
        "label": "Delivery",
        "trigger": {"type": "record", "object": "contract", "on": ["create"]},
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "ship", "type": "stage", "label": "Ship"},
            {"id": "signed", "type": "wait", "stage": "ship", "label": "Signed", "event": {"name": "signed", "correlation": "record.id"}},
            {
                "id": "paid",
                "type": "wait",
                "stage": "ship",
                "label": "Paid",
                "start": {"when": "after", "steps": ["signed"]},
                "event": {"name": "paid", "correlation": "event.payload.run == run.id"},
            },
            {"id": "done", "type": "end"},
        ],
        "edges": [{"id": "e1", "source": "start", "target": "ship"}, {"id": "e2", "source": "ship", "target": "done"}],
    }
    engine.define_record_type("contract", RECORD_TYPES["contract"])
    engine.deploy(document)
    record = engine.create_record("contract", {"title": "T", "customer": "C", "amount": 5, "status": "new"}, owner="sam")
    (run_id,) = record["started_runs"]
    engine.publish_event("signed", record["id"])
    engine.publish_event("paid", None, {"run": run_id, "amount": 5})
    assert engine.get_run(run_id)["status"] == "completed"
    scenario = replay(engine, run_id, document)
    assert [s["event"] for s in steps_of(scenario, "event")] == [
        {"name": "signed", "correlation": {"ref": "record.id"}},
        {"name": "paid", "payload": {"run": {"ref": "run.id"}, "amount": 5}},
    ]


def test_personas_are_named_after_their_users_and_record_types_travel_when_they_differ(templated: Engine):
    assert isinstance(templated.directory, InMemoryDirectory)
    templated.directory.add_user("j.doe@example.com", groups=["legal"])
    templated.define_record_type(
        "contract",
        [
            {"name": "title", "type": "string", "required": True},
            {"name": "status", "type": "string"},
            {"name": "amount", "type": "number", "label": "Amount"},
        ],
    )
    record = templated.create_record("contract", {"title": "T", "status": "submitted", "amount": 5}, owner="sam")
    (run_id,) = record["started_runs"]
    act(templated, "j.doe@example.com", run_id, "approve")
    data = scenario_dict_from_run(templated, run_id, name="Legal approves a small contract")
    assert data["name"] == "Legal approves a small contract"
    assert data["personas"]["u_j.doe_example.com"] == {"user": "j.doe@example.com", "groups": ["legal"]}
    assert data["record_types"] == {
        "contract": [
            {"name": "title", "type": "string", "required": True},
            {"name": "status", "type": "string"},
            {"name": "amount", "type": "number", "label": "Amount"},
        ]
    }
    scenario = Scenario.from_dict(data)
    assert run_scenario(scenario, document=load("contract_approval")).passed


def test_an_unknown_run_is_not_found(templated: Engine):
    with pytest.raises(NotFound):
        scenario_from_run(templated, "nothing")


def test_a_log_that_does_not_say_the_starting_record_uses_the_record_as_it_is(templated: Engine, monkeypatch):
    record = templated.create_record("contract", {"title": "Old", "customer": "C", "amount": 5, "status": "submitted"}, owner="sam")
    (run_id,) = record["started_runs"]
    logged = templated.events

    def older_log(run: str, **kw: Any) -> list[dict[str, Any]]:  # as logs written before run.started said it
        events = logged(run, **kw)
        for event in events:
            if event["type"] == "run.started":
                event["data"] = {"inputs": event["data"]["inputs"], "version": event["data"]["version"]}
        return events

    monkeypatch.setattr(templated, "events", older_log)
    scenario = replay(templated, run_id, load("contract_approval"))
    assert scenario.steps[0]["start"]["record"]["fields"]["title"] == "Old"
    assert "as it was when this was generated" in (scenario.description or "")


def test_a_log_that_does_not_begin_with_the_start_cannot_be_replayed(templated: Engine, monkeypatch):
    record = templated.create_record("contract", {"title": "T", "customer": "C", "amount": 5, "status": "submitted"}, owner="sam")
    (run_id,) = record["started_runs"]
    logged = templated.events
    monkeypatch.setattr(templated, "events", lambda run, **kw: logged(run, **kw)[1:])
    with pytest.raises(Conflict, match="does not begin with run.started"):
        scenario_from_run(templated, run_id)
