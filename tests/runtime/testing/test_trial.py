"""Trial runs (runtime.testing.trial): the builder's Test run replays steps and shows the state."""

from __future__ import annotations

import pytest

from runtime.templates import load
from runtime.testing.trial import MAX_STEPS, StepRefused, personas_of, play

CONTRACT = {
    "object": "contract",
    "owner": "requester",
    "fields": {"title": "Acme MSA", "customer": "Acme", "amount": 20000, "status": "submitted"},
}


def test_personas_come_from_the_assignees():
    personas = personas_of(load("service_request"))
    assert personas["requester"] == {"user": "requester"}
    assert personas["support"] == {"user": "support_user", "groups": ["support"]}
    assert personas["warehouse"]["user"] == "warehouse_user" and personas["warehouse"]["queues"] == ["warehouse"]
    assert personas["support_escalations"] == {"user": "support_escalations_user", "queues": ["support_escalations"]}
    assert "outsider" not in personas


def test_the_state_after_the_steps_names_who_may_act():
    document = load("contract_approval")
    trial = play(document, [{"start": {"record": CONTRACT}}])
    assert trial.run is not None and trial.run["current_stage"] == "legal"
    (item,) = trial.work_items
    assert item["step_id"] == "legal_review" and item["personas"] == ["legal"] and item["form"]["outcomes"]
    assert trial.events[0]["type"] == "run.started" and trial.next_timer is not None  # legal's due date
    later = play(document, [{"start": {"record": CONTRACT}}, {"advance": "next"}])
    assert later.now == trial.next_timer


def test_before_any_step_there_is_no_run_and_no_scenario():
    trial = play(load("contract_approval"), [])
    assert trial.run is None and trial.scenario is None and "legal" in trial.personas


def test_a_step_that_cannot_be_applied_is_refused_with_its_index():
    document = load("contract_approval")
    with pytest.raises(StepRefused) as refused:
        play(document, [{"start": {"record": CONTRACT}}, {"as": "finance", "complete": "finance_review", "outcome": "approve"}])
    assert refused.value.index == 1 and refused.value.kind == "action" and "no open work item" in refused.value.message
    with pytest.raises(StepRefused) as refused:
        play(document, [{"start": {"record": CONTRACT}}, {"teleport": True}])
    assert refused.value.index == 1 and refused.value.kind == "format"
    with pytest.raises(StepRefused) as refused:
        play(document, [{"advance": "P1D"}] * (MAX_STEPS + 1))
    assert refused.value.index is None
