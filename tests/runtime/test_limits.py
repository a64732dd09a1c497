"""Size caps on values that enter a run (ARCHITECTURE §2 "Expressions and limits"):
the check itself, with hypothesis, and the engine's places that were open before —
`set` results and action outputs put the run in error naming the step and field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import limits
from runtime.actions import Action, ActionField
from runtime.clock import ManualClock
from runtime.engine import Engine
from runtime.errors import InvalidInput
from tests.runtime.docs import one_stage, step

SMALL = limits.Limits(max_list_items=5, max_value_items=40, max_depth=4, max_text_length=20)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=8) | st.dictionaries(st.text(max_size=6), children, max_size=8),
    max_leaves=60,
)


def _count(value: Any) -> int:
    if isinstance(value, list):
        return 1 + sum(_count(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(_count(v) for v in value.values())
    return 1


def _depth(value: Any) -> int:
    children = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else None
    return 0 if children is None else 1 + max((_depth(c) for c in children), default=0)


def _fits(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= SMALL.max_text_length
    if isinstance(value, (list, dict)):
        if len(value) > SMALL.max_list_items:
            return False
        if isinstance(value, dict) and any(len(k) > SMALL.max_text_length for k in value):
            return False
        return all(_fits(v) for v in (value if isinstance(value, list) else value.values()))
    return True


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_a_value_is_refused_exactly_when_it_breaks_a_cap(value):
    within = _fits(value) and _count(value) <= SMALL.max_value_items and _depth(value) <= SMALL.max_depth
    assert (limits.size_problem(value, SMALL) is None) == within


def _at(value: Any, path: str) -> Any:
    """Follow a path such as ``[0].a[2]`` (only plain keys, as the generator below makes)."""
    import re

    for index, key in re.findall(r"\[(\d+)\]|\.?([A-Za-z_]\w*)", path):
        value = value[int(index)] if index else value[key]
    return value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=0, max_size=2), st.integers(min_value=0, max_value=3))
def test_the_path_names_the_list_that_is_too_long(keys, position):
    too_long = list(range(SMALL.max_list_items + 1))
    value: Any = too_long
    for key in reversed(keys):
        value = {key: value}
    value = [None] * position + [value]
    where, message = limits.size_problem(value, SMALL) or ("", "")
    assert _at(value, where) is too_long and "at most 5" in message


def test_the_limits_come_from_the_environment():
    env = {"OVERTURE_MAX_LIST_ITEMS": "20", "OVERTURE_EXPRESSION_BUDGET": "5000"}
    assert limits.Limits.from_environ(env) == limits.Limits(max_list_items=20, expression_budget=5000)
    for bad in ("0", "-1", "many"):
        with pytest.raises(ValueError, match="OVERTURE_MAX_VALUE_DEPTH must be a positive integer"):
            limits.Limits.from_environ({"OVERTURE_MAX_VALUE_DEPTH": bad})


def test_a_set_that_builds_a_list_over_the_cap_puts_the_run_in_error(engine: Engine):
    engine.deploy(
        one_stage(
            step("grow", "wait", timer={"duration": "PT1M"}, set={"both": "inputs.items + inputs.items"}),
            inputs=[{"name": "items", "type": "list"}],
            variables=[{"name": "both", "type": "list"}],
        )
    )
    run_id = engine.start("t", {"items": list(range(600))})
    from datetime import timedelta

    assert isinstance(engine.clock, ManualClock)
    engine.clock.advance(timedelta(minutes=1))
    run = engine.get_run(run_id)
    assert run["status"] == "error"
    assert (run["error"]["node"], run["error"]["field"]) == ("grow", "set.both")
    assert "has 1,200 items; at most 1,000" in run["error"]["message"]


def test_an_action_result_over_the_cap_is_not_kept_and_puts_the_run_in_error(engine: Engine):
    engine.actions.register(Action("test.flood", lambda ctx, inputs: {"rows": list(range(1001))}, (), (ActionField("rows", "any"),)))
    engine.deploy(one_stage(step("call", "background", action="test.flood")))
    run = engine.get_run(engine.start("t", {}))
    assert run["status"] == "error"
    assert (run["error"]["node"], run["error"]["field"]) == ("call", "outputs")
    assert (
        run["error"]["message"]
        == "the result of action test.flood: outputs.rows has 1,001 items; at most 1,000 are allowed (OVERTURE_MAX_LIST_ITEMS)"
    )
    assert run["steps"][0]["outputs"] == {}


def test_a_form_value_over_the_cap_is_refused(engine: Engine):
    engine.deploy(
        one_stage(
            step(
                "note",
                assignee={"type": "user", "value": "sam"},
                form={"fields": [{"name": "text", "type": "textarea"}], "outcomes": [{"value": "done"}]},
            )
        )
    )
    run_id = engine.start("t", {})
    item = engine.work_items(run=run_id)[0]
    with pytest.raises(InvalidInput) as refused:
        engine.complete(item["id"], by="sam", outcome="done", values={"text": "x" * 100_001})
    assert refused.value.details == {"fields": {"text": "is longer than 100,000 characters (OVERTURE_MAX_TEXT_LENGTH)"}}
