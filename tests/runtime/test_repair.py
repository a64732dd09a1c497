"""Repairing a run in error (ARCHITECTURE §3): what a retry led to, a failed step's
inputs or the run's variables edited before the retry, a failed step skipped."""

from __future__ import annotations

import pytest

from runtime.actions import Action, ActionFailed, ActionField
from runtime.engine import Engine
from runtime.errors import Conflict, InvalidInput
from runtime.secrets import MASK
from tests.runtime.docs import one_stage, step


def charge(calls: list[dict]):
    def handler(ctx, inputs):
        calls.append(dict(inputs))
        if inputs["amount"] <= 0:
            raise ActionFailed(f"amount {inputs['amount']} is not positive", retryable=False)
        return {"charged": inputs["amount"]}

    return handler


@pytest.fixture
def failing(engine: Engine) -> tuple[Engine, str, list[dict]]:
    """A run in error at step ``pay``: it charged ``inputs.amount`` = 0."""
    calls: list[dict] = []
    engine.actions.register(
        Action(
            "test.charge",
            charge(calls),
            (ActionField("amount", "integer", True), ActionField("memo", "string")),
            (ActionField("charged", "integer"),),
        )
    )
    engine.deploy(
        one_stage(
            step(
                "pay", "background", action="test.charge", inputs={"amount": "inputs.amount", "memo": "'rent'"}, retry={"max_attempts": 1}
            ),
            inputs=[{"name": "amount", "type": "integer"}],
            variables=[
                {"name": "paid", "type": "integer"},
                {"name": "note", "type": "string"},
                {"name": "tags", "type": "list", "max_items": 2},
            ],
        )
    )
    run_id = engine.start("t", {"amount": 0})
    assert engine.get_run(run_id)["status"] == "error"
    return engine, run_id, calls


def test_retry_says_it_failed_again_with_the_new_error(failing):
    engine, run_id, calls = failing
    outcome = engine.retry(run_id, by="otto")
    assert outcome == {
        "result": "failed",
        "status": "error",
        "error": {"node": "pay", "field": None, "message": "amount 0 is not positive"},
    }
    assert len(calls) == 2


def test_edited_input_is_used_by_the_retry_and_logged_with_who(failing):
    engine, run_id, calls = failing
    engine.edit_step_inputs(run_id, "pay", {"amount": 40}, by="otto")
    edited = [e for e in engine.events(run_id) if e["type"] == "step.inputs_edited"]
    assert len(edited) == 1 and edited[0]["by"] == "otto" and edited[0]["node"] == "pay"
    assert edited[0]["data"]["changes"] == [{"name": "amount", "old": {"expression": "inputs.amount"}, "new": 40}]
    assert engine.get_run(run_id)["status"] == "error"  # nothing runs before the retry

    assert engine.retry(run_id, by="otto") == {"result": "completed", "status": "completed", "error": None}
    assert calls[-1] == {"amount": 40, "memo": "rent"}  # the other input still comes from its expression
    assert engine.get_run(run_id)["steps"][0]["outputs"] == {"charged": 40}


def test_a_second_edit_logs_the_first_override_as_old_and_none_removes_it(failing):
    engine, run_id, calls = failing
    engine.edit_step_inputs(run_id, "pay", {"amount": 5}, by="otto")
    engine.edit_step_inputs(run_id, "pay", {"amount": 7}, by="ada")
    engine.edit_step_inputs(run_id, "pay", {"amount": None}, by="ada")
    changes = [(e["by"], e["data"]["changes"][0]) for e in engine.events(run_id) if e["type"] == "step.inputs_edited"]
    assert changes[1] == ("ada", {"name": "amount", "old": 5, "new": 7})
    assert changes[2] == ("ada", {"name": "amount", "old": 7, "new": {"expression": "inputs.amount"}})
    assert engine.retry(run_id)["result"] == "failed"
    assert calls[-1]["amount"] == 0


@pytest.mark.parametrize(
    "inputs, where, says",
    [
        ({"amount": "forty"}, "amount", "integer"),
        ({"nope": 1}, "nope", "is not an input of the action test.charge"),
        ({"amount": None, "memo": 3}, "memo", "string"),
        ({}, "inputs", "at least one"),
    ],
)
def test_bad_input_values_are_refused_with_where_and_change_nothing(failing, inputs, where, says):
    engine, run_id, _calls = failing
    before = len(engine.events(run_id))
    with pytest.raises(InvalidInput) as caught:
        engine.edit_step_inputs(run_id, "pay", inputs, by="otto")
    assert says in caught.value.details["inputs"][where]
    assert len(engine.events(run_id)) == before


def test_repairs_are_refused_unless_the_run_is_in_error_at_that_step(failing, engine: Engine):
    engine_, run_id, _calls = failing
    with pytest.raises(Conflict, match="not in error"):
        engine.edit_step_inputs(run_id, "nope", {"amount": 1})
    engine.edit_step_inputs(run_id, "pay", {"amount": 1})
    engine.retry(run_id)
    for attempt in (
        lambda: engine.edit_step_inputs(run_id, "pay", {"amount": 2}),
        lambda: engine.edit_variables(run_id, {"note": "x"}),
        lambda: engine.skip_step(run_id, "pay"),
    ):
        with pytest.raises(Conflict, match="completed"):
            attempt()


def test_variables_edited_are_checked_logged_and_kept(failing):
    engine, run_id, _calls = failing
    with pytest.raises(InvalidInput) as caught:
        engine.edit_variables(run_id, {"note": 3, "tags": [1, 2, 3], "ghost": 1}, by="otto")
    errors = caught.value.details["values"]
    assert "string" in errors["note"] and "max_items" in errors["tags"] and "not a variable" in errors["ghost"]
    engine.edit_variables(run_id, {"note": "paid by cheque"}, by="otto")
    event = [e for e in engine.events(run_id) if e["type"] == "variables.edited"][0]
    assert (event["by"], event["data"]["changes"]) == ("otto", [{"name": "note", "old": None, "new": "paid by cheque"}])
    assert engine.get_run(run_id)["vars"]["note"] == "paid by cheque"


def test_skip_ends_the_step_with_the_chosen_outcome_and_the_run_goes_on(failing):
    engine, run_id, calls = failing
    assert engine.skip_step(run_id, "pay", outcome="paid_by_hand", by="otto") == {
        "result": "completed",
        "status": "completed",
        "error": None,
    }
    run = engine.get_run(run_id)
    pay = run["steps"][0]
    assert (pay["status"], pay["outcome"], pay["completed_by"]) == ("completed", "paid_by_hand", "otto")
    skipped = [e for e in engine.events(run_id) if e["type"] == "step.skipped"][0]
    assert (skipped["by"], skipped["data"]) == ("otto", {"outcome": "paid_by_hand", "error": "amount 0 is not positive"})
    assert len(calls) == 1  # skipping does not run the action


def test_an_input_that_reads_a_secret_cannot_be_overridden_and_secret_values_are_masked_in_the_log(engine: Engine):
    from runtime.secrets import MockSecrets

    engine.secrets = MockSecrets({"token": "s3cr3t-value"})
    engine.actions.register(
        Action("test.charge", charge([]), (ActionField("amount", "integer", True), ActionField("memo", "string")), secrets=True)
    )
    engine.deploy(
        one_stage(
            step("pay", "background", action="test.charge", inputs={"amount": "0", "memo": "secrets.token"}, retry={"max_attempts": 1}),
            variables=[{"name": "note", "type": "string"}],
        )
    )
    run_id = engine.start("t")
    with pytest.raises(InvalidInput) as caught:
        engine.edit_step_inputs(run_id, "pay", {"memo": "x"})
    assert "secret" in caught.value.details["inputs"]["memo"]
    engine.edit_variables(run_id, {"note": "pasted s3cr3t-value by mistake"}, by="otto")
    event = [e for e in engine.events(run_id) if e["type"] == "variables.edited"][0]
    assert event["data"]["changes"][0]["new"] == f"pasted {MASK} by mistake"
    assert "s3cr3t-value" not in str(engine.events(run_id))
