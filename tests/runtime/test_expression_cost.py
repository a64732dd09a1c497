"""Static cost of expressions (ARCHITECTURE §2 "Expressions and limits"): costly ones are
refused at validation with node, field and column; the estimator is checked with hypothesis."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import limits
from runtime.document import validate
from runtime.engine import Engine
from runtime.errors import DocumentInvalid
from runtime.expression_cost import STEP, estimate, tokenize
from runtime.expressions import compile_expression

LIMITS = limits.Limits()
TEN = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
SEVEN_NESTED = f"{TEN}.all(a, {TEN}.all(b, {TEN}.all(c, {TEN}.all(d, {TEN}.all(e, {TEN}.all(f, {TEN}.all(g, true)))))))"
ALL_DISTINCT = "inputs.items.all(x, inputs.items.exists_one(y, y == x))"


def decision(condition: str, inputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format": 1,
        "key": "costly",
        "label": "Costly",
        "inputs": inputs if inputs is not None else [{"name": "items", "type": "list"}, {"name": "amount", "type": "number"}],
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "size",
                "type": "decision",
                "label": "Check",
                "outcomes": [
                    {"id": "cheap", "label": "Cheap", "condition": "inputs.amount > 1"},
                    {"id": "big", "label": "Big", "condition": condition},
                ],
            },
            {"id": "done", "type": "end"},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "size"},
            {"id": "e2", "source": "size", "target": "done", "outcome": "cheap"},
            {"id": "e3", "source": "size", "target": "done", "outcome": "big"},
            {"id": "e4", "source": "size", "target": "done", "outcome": "default"},
        ],
    }


def errors(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [i.to_dict() for i in validate(document) if i.severity == "error"]


def test_seven_nested_all_over_ten_items_is_refused_with_node_field_and_column():
    found = errors(decision(SEVEN_NESTED))
    assert len(found) == 1
    issue = found[0]
    assert (issue["node"], issue["field"], issue["column"]) == ("size", "outcomes[1].condition", len(TEN) + 1)
    assert "over the budget of 3,000,000" in issue["message"]
    assert f"`.all()` at column {len(TEN) + 1} starts 7 nested comprehensions" in issue["message"]


def test_all_distinct_over_a_list_input_is_refused_at_validation():
    found = errors(decision(ALL_DISTINCT))
    assert [(i["node"], i["field"], i["column"]) for i in found] == [("size", "outcomes[1].condition", 13)]
    assert "2 nested comprehensions" in found[0]["message"]


def test_the_column_of_a_comprehension_on_a_later_line_is_on_its_line():
    found = errors(decision("inputs.amount > 1 ||\n  " + ALL_DISTINCT))
    assert found[0]["column"] == 15 and "line 2, column 15" in found[0]["message"]


def test_usual_expressions_stay_well_within_the_budget():
    usual = [
        "inputs.amount >= 50000",
        "record.status == 'submitted' && record.amount > 1000",
        "inputs.items.all(x, x.amount > inputs.amount)",
        "inputs.items.exists(x, x.sku == 'A-1')",
        "inputs.items.map(x, x.amount).size() > 0",
        "inputs.items.filter(x, x.amount > 10).size() < 3",
        "steps.review.outcome == 'approve' && stages.legal.visits < 3",
        "size(inputs.items) <= 20",
    ]
    for source in usual:
        assert not [i for i in errors(decision(source)) if "budget" in i["message"]], source


def test_a_smaller_budget_is_honoured():
    limits.use(limits.Limits(expression_budget=1_000))
    try:
        assert errors(decision("inputs.items.all(x, x > 1)"))
    finally:
        limits.use(None)
    assert errors(decision("inputs.items.all(x, x > 1)")) == []


def test_an_input_declared_a_number_is_cheap_to_read_in_a_loop():
    loop = "inputs.items.all(x, x > inputs.amount)"
    as_number = estimate(loop, limits=LIMITS, scalars=frozenset({("inputs", "amount")})).total
    unknown = estimate(loop, limits=LIMITS).total
    assert unknown - as_number >= LIMITS.max_list_items * (LIMITS.max_list_items - 1)


# ---- hypothesis: the estimator

identifiers = st.sampled_from(["inputs.items", "vars.list", "record.lines", "event.payload.rows"])
scalar_bodies = st.sampled_from(["true", "v > 1", "v == 'a'", "v.amount < 10", "size(v) > 0"])
macros = st.sampled_from(["all", "exists", "exists_one", "map", "filter"])


@st.composite
def nested(draw: Any) -> tuple[str, int]:
    """A chain of comprehensions over collections of unknown size, and its depth."""
    depth = draw(st.integers(min_value=1, max_value=4))
    body = draw(scalar_bodies).replace("v", f"v{depth - 1}")
    for level in reversed(range(depth)):
        body = f"{draw(identifiers)}.{draw(macros)}(v{level}, {body})"
        if draw(st.booleans()):
            body = f"({body}) == true" if draw(st.booleans()) else f"size([{body}]) > 0"
    return body, depth


@settings(max_examples=60, deadline=None)
@given(nested())
def test_cost_grows_with_the_size_cap_to_the_power_of_the_nesting(case):
    source, depth = case
    compile_expression(source)  # the generator writes real CEL
    assert estimate(source, limits=LIMITS).total >= STEP * LIMITS.max_list_items**depth


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc.,()[]{} '\"\\all(exists_one")), max_size=40))
def test_text_inside_a_string_literal_costs_as_any_string(text):
    quoted = "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ") + "'"
    plain = estimate("inputs.items.exists(x, x.name == 'z')", limits=LIMITS).total
    assert estimate(f"inputs.items.exists(x, x.name == {quoted})", limits=LIMITS).total == plain


@settings(max_examples=60, deadline=None)
@given(nested(), st.integers(min_value=1, max_value=12))
def test_a_literal_receiver_counts_its_items_not_the_cap(case, count):
    source, depth = case
    literal = "[" + ", ".join(str(n) for n in range(count)) + "]"
    over_literal = f"{literal}.all(w, {source})"
    over_input = f"inputs.items.all(w, {source})"
    compile_expression(over_literal)
    assert estimate(over_literal, limits=LIMITS).total < estimate(over_input, limits=LIMITS).total


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_an_estimate_without_failing(text):
    cost = estimate(text, limits=LIMITS)
    assert cost.total >= len(tokenize(text)) and 0 <= cost.offset <= max(len(text) - 1, 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["1", "x", "inputs.items", "'s'", "(a + b)"]), min_size=1, max_size=8))
def test_adding_a_term_never_lowers_the_cost(terms):
    shorter = " + ".join(terms)
    longer = shorter + " + inputs.items"
    assert estimate(longer, limits=LIMITS).total > estimate(shorter, limits=LIMITS).total


# ---- declared sizes


def test_the_all_distinct_check_fits_when_the_input_declares_a_small_max_items():
    declared: list[dict[str, Any]] = [{"name": "items", "type": "list", "max_items": 200}, {"name": "amount", "type": "number"}]
    assert errors(decision(ALL_DISTINCT, declared)) == []
    declared[0]["max_items"] = 1000
    assert [i["field"] for i in errors(decision(ALL_DISTINCT, declared))] == ["outcomes[1].condition"]


def test_max_items_is_checked_where_it_is_declared():
    declared = [
        {"name": "items", "type": "list", "max_items": 1001},
        {"name": "amount", "type": "number", "max_items": 3},
        {"name": "tags", "type": "list", "max_items": 1, "default": ["a", "b"]},
        {"name": "flags", "type": "map", "max_items": -1},
    ]
    found = [(i["field"], i["message"]) for i in errors(decision("inputs.amount > 1", declared))]
    assert found == [
        ("inputs[0].max_items", "must be at most 1,000 (OVERTURE_MAX_LIST_ITEMS)"),
        ("inputs[1].max_items", "only applies to lists and maps, not to number"),
        ("inputs[2].default", "has 2 items, more than max_items (1)"),
        ("inputs[3].max_items", "must be at least 0"),
    ]


@settings(max_examples=60, deadline=None)
@given(nested(), st.integers(min_value=0, max_value=LIMITS.max_list_items))
def test_a_declared_size_never_costs_more_than_the_cap(case, declared):
    source, _ = case
    sizes = {("inputs", "items"): declared, ("vars", "list"): declared}
    assert estimate(source, limits=LIMITS, sizes=sizes).total <= estimate(source, limits=LIMITS).total


def test_a_costly_constant_timer_at_is_refused_for_its_cost_and_never_evaluated():
    doc = decision("inputs.amount > 1")
    doc["nodes"].insert(1, {"id": "s", "type": "stage", "label": "Wait"})
    doc["nodes"].insert(
        2,
        {
            "id": "w",
            "type": "wait",
            "stage": "s",
            "label": "Until",
            "timer": {"at": f"{SEVEN_NESTED} ? '2030-01-01T00:00:00Z' : '2031-01-01T00:00:00Z'"},
        },
    )
    doc["edges"][0] = {"id": "e1", "source": "start", "target": "s"}
    doc["edges"].append({"id": "e5", "source": "s", "target": "size"})
    found = errors(doc)
    assert [(i["node"], i["field"]) for i in found] == [("w", "timer.at")]
    assert "over the budget" in found[0]["message"]


def test_a_stored_version_over_a_lowered_budget_still_loads_and_its_runs_fail_cleanly(store, clock, directory):
    engine = Engine(store, clock, directory)
    doc = decision("inputs.items.all(x, x > 1)")
    doc["inputs"][0]["required"] = True
    engine.deploy(doc)
    limits.use(limits.Limits(expression_budget=1_000))
    try:
        restarted = Engine(store, clock, directory)  # a new process: nothing compiled yet
        with pytest.raises(DocumentInvalid):
            restarted.deploy({**doc, "label": "Costly again"})
        run = restarted.get_run(restarted.start("costly", {"items": [1, 2], "amount": 0}))
    finally:
        limits.use(None)
    assert run["status"] == "error"
    assert (run["error"]["node"], run["error"]["field"]) == ("size", "outcome big")
    assert "over the budget of 1,000" in run["error"]["message"]


@st.composite
def literal_program(draw: Any, depth: int = 0) -> tuple[str, int]:
    """Real CEL over list literals only, and how many comprehension steps it can take at most."""
    kind = draw(st.sampled_from(["leaf", "comprehension", "both", "chained"] if depth < 3 else ["leaf"]))
    variable = f"v{depth}"
    if kind == "leaf":
        return draw(st.sampled_from(["true", "1 < 2", "'a' != 'b'"])), 0
    if kind == "both":
        left, left_steps = draw(literal_program(depth + 1))
        right, right_steps = draw(literal_program(depth + 1))
        return f"({left}) && ({right})", left_steps + right_steps
    count = draw(st.integers(min_value=0, max_value=6))
    literal = "[" + ", ".join(str(n) for n in range(count)) + "]"
    body, body_steps = draw(literal_program(depth + 1))
    macro = draw(st.sampled_from(["all", "exists", "exists_one"]))
    if kind == "chained":  # a comprehension in the receiver of another: not nested in it
        return f"{literal}.map({variable}, {variable}).{macro}({variable}x, {body})", count + count + count * body_steps
    return f"{literal}.{macro}({variable}, {body})", count + count * body_steps


@settings(max_examples=150, deadline=None)
@given(literal_program())
def test_the_estimate_bounds_the_steps_a_program_over_literals_can_take(case):
    source, steps = case
    expression = compile_expression(source)
    assert isinstance(expression.evaluate({}), bool)
    assert estimate(source, limits=LIMITS).total >= STEP * steps


@pytest.mark.parametrize("section", ["inputs", "variables"])
def test_inputs_or_variables_that_are_not_a_list_are_reported_not_a_crash(section: str):
    document = {**decision("1 == 1"), section: True}  # the fuzz suite found a 500 here
    assert any(issue["field"] == section for issue in errors(document))
