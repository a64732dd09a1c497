"""CEL condition solving for generated path tests (runtime.testing.solver)."""

from __future__ import annotations

import cel
import pytest

from runtime.testing.solver import syntax
from runtime.testing.solver.formulas import And, Atom, Not, Unknown, negate, to_formula
from runtime.testing.solver.reduction import _REDUCERS, reduce
from runtime.testing.solver.search import TODO, Var, evaluate, holds, solve_conditions
from runtime.testing.solver.syntax import CelSyntaxError, Lit, Sym, parse

AMOUNT = Var("inputs.amount", "number", preferred=1000)
COUNT = Var("inputs.count", "integer", preferred=1)
KIND = Var("inputs.kind", "string", preferred="Sample kind")
URGENT = Var("inputs.urgent", "boolean", preferred=True)
OUTCOME = Var("steps.review.outcome", "string", options=("approve", "reject"), preferred="approve")
ALL = [AMOUNT, COUNT, KIND, URGENT, OUTCOME]


def solved(conditions, variables=ALL):
    """Solve and check that every condition really evaluates as required with CEL itself."""
    solution = solve_conditions(conditions, variables)
    assert solution.satisfiable, solution.conflict
    assert solution.unsolved == []
    scope = _scope(solution.values)
    for source, must_hold in conditions.items():
        assert cel.evaluate(source, scope) is must_hold, (source, solution.values)
    return solution.values


def _scope(values):
    scope: dict = {}
    for name, value in values.items():
        root, *rest = name.split(".")
        target = scope.setdefault(root, {})
        for key in rest[:-1]:
            target = target.setdefault(key, {})
        target[rest[-1]] = value
    return scope


# ------------------------------------------------------------------ parsing and folding


@pytest.mark.parametrize(
    "source",
    [
        "1 + 2 * 3 == 7",
        "7 / 2",
        "-7 / 2",
        "-7 % 3",
        "[1, 2][1]",
        "{'a': {'b': 3}}.a.b",
        "true ? 'x' : 'y'",
        "double(3) / 2.0",
        "int(3.9)",
        "'abc'.startsWith('ab')",
        "'abc'.endsWith('bc')",
        "'abc'.contains('b')",
        "size([1, 2, 3])",
        "size('ab')",
        "2 in [1, 2]",
        "'q' in {'q': 1}",
        "!(1 < 2) || 3 >= 3",
        "1.5e2",
        "0x10",
        "'it\\'s'",
        "r'a\\n'",
        '"""x"""',
        "string(5)",
        "1 == 1.0",
        "null == null",
        "-(3)",
        "!!true",
        "3u",
        ".5",
        "'a' + 'b' == 'ab'",
        "[1] + [2] == [1, 2]",
        "false && (1 / 0 == 1)",
        "true || (1 / 0 == 1)",
    ],
)
def test_constant_expressions_fold_as_cel_evaluates_them(source):
    folded = reduce(parse(source), lambda path: None)
    assert isinstance(folded, Lit)
    assert folded.value == cel.evaluate(source, {})


def test_names_resolve_through_the_lookup_and_unknown_ones_stay():
    known = {("record", "amount"): Lit(20000), ("steps", "review", "outcome"): Sym("steps.review.outcome#2")}
    node = reduce(parse("record.amount >= 50000 || steps.review.outcome == 'reject' || now > 3"), known.get)
    formula = to_formula(node)
    assert holds(formula, {"steps.review.outcome#2": "reject"}) is True
    assert holds(formula, {"steps.review.outcome#2": "approve"}) is None  # `now > 3` decides
    assert reduce(parse("record['amount'] + 1"), known.get) == Lit(20001)


def test_syntax_errors_name_the_column():
    with pytest.raises(CelSyntaxError, match="unexpected .[)]. at column 10"):
        parse("a.b == 1 ) ")
    with pytest.raises(CelSyntaxError, match="ends too early"):
        parse("a.b == ")
    with pytest.raises(CelSyntaxError, match="unexpected character"):
        parse("a # b")


# ------------------------------------------------------------------ each operator


@pytest.mark.parametrize(
    "source, must_hold, expected",
    [
        ("inputs.amount >= 50000", True, 50000),
        ("inputs.amount > 50000", True, 50001),
        ("inputs.amount < 500", True, 499),
        ("inputs.amount <= 500", True, 500),
        ("inputs.amount == 42", True, 42),
        ("inputs.amount != 1000", True, 1001),
        ("inputs.amount >= 50000", False, 1000),
        ("50000 <= inputs.amount", True, 50000),
        ("double(inputs.amount) >= 50000.0", True, 50000),
        ("int(inputs.amount) < 10", True, 9),
        ("inputs.amount + 100 > 1000", True, 1000),
        ("inputs.amount - 5 == 10", True, 15),
        ("100 - inputs.amount > 90", True, 9),
    ],
)
def test_numbers(source, must_hold, expected):
    assert solved({source: must_hold})["inputs.amount"] == expected


def test_an_interval_gives_a_value_inside_it():
    assert 10 < solved({"inputs.amount > 10 && inputs.amount < 11": True})["inputs.amount"] < 11
    assert solved({"inputs.count > 10 && inputs.count < 13": True})["inputs.count"] in (11, 12)


def test_integers_have_no_room_between_neighbours():
    solution = solve_conditions({"inputs.count > 1 && inputs.count < 2": True}, ALL)
    assert not solution.satisfiable
    assert "inputs.count < 2" in solution.conflict and "inputs.count > 1" in solution.conflict


def test_strings_booleans_and_null():
    assert solved({"inputs.kind == 'refund'": True})["inputs.kind"] == "refund"
    assert solved({"inputs.kind != 'Sample kind'": True})["inputs.kind"] not in ("Sample kind", TODO)
    assert solved({"inputs.urgent": True})["inputs.urgent"] is True
    assert solved({"inputs.urgent == false": True})["inputs.urgent"] is False
    assert solved({"!inputs.urgent": True})["inputs.urgent"] is False
    assert solve_conditions({"inputs.kind == null": True}, ALL).values["inputs.kind"] is None


def test_membership():
    assert solved({"inputs.kind in ['a', 'b'] && inputs.kind != 'a'": True})["inputs.kind"] == "b"
    assert solved({"inputs.kind in ['a', 'b']": False})["inputs.kind"] not in ("a", "b")
    assert solved({"steps.review.outcome in ['reject']": True})["steps.review.outcome"] == "reject"


def test_outcomes_are_one_of_the_form_outcomes():
    assert solved({"steps.review.outcome == 'approve'": False})["steps.review.outcome"] == "reject"
    solution = solve_conditions({"steps.review.outcome == 'aprove'": True}, ALL)
    assert not solution.satisfiable
    assert "'approve', 'reject'" in solution.conflict


def test_boolean_combinations_and_negation():
    values = solved({"inputs.urgent || inputs.amount > 5000": False})
    assert values["inputs.urgent"] is False and values["inputs.amount"] <= 5000
    values = solved({"!(inputs.amount < 100 || inputs.kind == 'x') && inputs.count >= 3": True})
    assert values["inputs.amount"] >= 100 and values["inputs.kind"] != "x" and values["inputs.count"] >= 3
    values = solved({"(inputs.amount > 10 && inputs.amount < 5) || inputs.kind == 'fallback'": True})
    assert values["inputs.kind"] == "fallback"
    assert solved({"(inputs.urgent ? 'a' : 'b') == 'b'": True})["inputs.urgent"] is False


def test_conditions_on_one_value_accumulate():
    values = solved({"inputs.amount >= 10000": True, "inputs.amount >= 50000": False, "inputs.amount != 10000": True})
    assert 10000 < values["inputs.amount"] < 50000


def test_contradictions_are_reported_with_both_conditions():
    solution = solve_conditions({"inputs.amount >= 50000": True, "inputs.amount < 10000": True}, ALL)
    assert not solution.satisfiable
    assert solution.conflict == "`inputs.amount < 10000` contradicts `inputs.amount >= 50000`"
    assert not solve_conditions({"1 == 2": True}, ALL).satisfiable
    assert not solve_conditions({"inputs.kind == 'a' && inputs.kind == 'b'": True}, ALL).satisfiable
    assert not solve_conditions({"inputs.amount == 'many'": True}, ALL).satisfiable  # a number is never text


def test_what_is_beyond_the_solver_gets_a_placeholder_and_a_message():
    solution = solve_conditions({"size(inputs.kind) > 3 && inputs.amount > 5000": True}, ALL)
    assert solution.satisfiable
    assert solution.values["inputs.kind"] == TODO
    assert solution.values["inputs.amount"] == 5001
    assert solution.unsolved == ["`size(inputs.kind) > 3` (size(inputs.kind) > 3 && inputs.amount > 5000)"]
    solution = solve_conditions({"inputs.kind.startsWith('A')": False}, ALL)
    assert solution.unsolved == ["`!(inputs.kind.startsWith('A'))`"]
    assert solution.values["inputs.kind"] == TODO


def test_ordering_of_text_is_beyond_the_solver():
    solution = solve_conditions({"inputs.kind < '2026-02-01'": True}, ALL)
    assert solution.satisfiable and solution.values["inputs.kind"] == TODO
    assert solution.unsolved == ["`inputs.kind < '2026-02-01'`"]


def test_a_value_constrained_elsewhere_keeps_its_value_next_to_an_unsolved_part():
    solution = solve_conditions({"inputs.amount > 7000": True, "inputs.amount * 2 == inputs.count": True}, ALL)
    assert solution.values["inputs.amount"] == 7001
    assert solution.values["inputs.count"] == TODO
    assert solution.unsolved == ["`inputs.amount * 2 == inputs.count`"]


def test_solvable_alternatives_win_over_unsolvable_ones():
    solution = solve_conditions({"size(inputs.kind) > 3 || inputs.amount > 5": True}, ALL)
    assert solution.unsolved == [] and solution.values["inputs.amount"] > 5


def test_negate_and_holds():
    formula = to_formula(
        reduce(parse("inputs.amount > 5 && inputs.kind in ['a']"), lambda p: Sym(".".join(p)) if p[0] == "inputs" else None)
    )
    assert isinstance(formula, And)
    negated = negate(formula)
    assert holds(negated, {"inputs.amount": 1, "inputs.kind": "a"}) is True
    assert holds(negated, {"inputs.amount": 9, "inputs.kind": "a"}) is False
    assert holds(Not(Atom("x", "==", 1)), {"x": 2}) is True
    assert holds(Unknown("size(x) > 1"), {}) is None


def test_evaluate_puts_chosen_values_in():
    node = reduce(parse("inputs.kind == 'withdraw' ? 'withdrawn' : 'submitted'"), lambda p: Sym(".".join(p)) if p[0] == "inputs" else None)
    assert evaluate(node, {"inputs.kind": "withdraw"}) == Lit("withdrawn")
    assert evaluate(node, {"inputs.kind": "resubmit"}) == Lit("submitted")
    assert not isinstance(evaluate(node, {}), Lit)


def test_every_kind_of_node_has_a_reducer():
    """Reduction dispatches through a table by node class: a node class without an entry would pass through unreduced."""
    kinds = {
        value for value in vars(syntax).values() if isinstance(value, type) and issubclass(value, syntax.Node) and value is not syntax.Node
    }
    assert kinds == set(_REDUCERS)
    assert len(kinds) == 11
