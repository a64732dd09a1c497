#!/usr/bin/env python3
"""Expression cost: the slowest evaluation an expression within the budget can take.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.

CEL runs in Rust without an interrupt, so Overture bounds an evaluation statically
(ARCHITECTURE §2 "Expressions and limits"): values are capped (runtime/limits.py)
and an expression whose estimated cost (runtime/expression_cost.py) is over the
budget is refused when the document is validated. This script checks the bound
holds in practice. For each family of costly expressions (nested comprehensions,
``map`` and ``filter``, which cel rebuilds their list for at each step, membership
tests and equality of whole lists in a loop, selections that copy a list in a loop,
chains of list concatenation), it grows the expression's parameter to the largest
value the budget accepts, fills the scope with the worst data the caps allow (every
list as long as OVERTURE_MAX_LIST_ITEMS), and times the evaluation (best of
``--repeat``). Figures: estimated cost, time, and nanoseconds per cost unit; the
last line is the worst time, which is what one evaluation can hold a worker for.

    .venv/bin/python bench/expression_cost.py
    OVERTURE_EXPRESSION_BUDGET=4000000 .venv/bin/python bench/expression_cost.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime import limits as limits_module
from runtime.expression_cost import estimate
from runtime.expressions import MAX_SOURCE, compile_expression, make_scope


def _literal(count: int) -> str:
    return "[" + ", ".join(str(n) for n in range(count)) + "]"


@dataclass(frozen=True)
class Family:
    """Expressions with one growing parameter ``n``; ``sizes`` and ``scope`` may depend on it."""

    build: Callable[[int], str]
    sizes: Callable[[int], dict[tuple[str, str], int]] = lambda n: {}
    scope: Callable[[int], dict[str, Any]] | None = None


def _distinct_items(n: int, total: int) -> list[list[int]]:
    """``n`` lists that differ only in their last value, all values together within ``total``."""
    length = max(total // max(n, 1) - 1, 1)
    return [[0] * (length - 1) + [k] for k in range(n)]


def _families(limits: limits_module.Limits) -> dict[str, Family]:
    return {
        "nested all over a literal of n items (x3)": Family(
            lambda n: f"{_literal(n)}.all(a, {_literal(n)}.all(b, {_literal(n)}.all(c, a + b + c >= 0)))"
        ),
        "map over the input": Family(lambda n: "inputs.items.map(x, x * 2).size() >= 0"),
        "membership in the input, loop of n": Family(lambda n: f"{_literal(n)}.all(x, !(x + 1000000 in inputs.items))"),
        "list equality, loop of n": Family(lambda n: f"{_literal(n)}.all(x, inputs.items == inputs.other)"),
        "selection copying a list, loop of n": Family(lambda n: f"{_literal(n)}.all(x, size(inputs.nested.items) > 0)"),
        "chain of n list concatenations": Family(lambda n: "size(" + " + ".join(["inputs.items"] * n) + ") > 0"),
        "list literal of n lists in a loop": Family(lambda n: f"[{', '.join(['inputs.items'] * n)}].all(x, size(x) > 0)"),
        "all distinct, n long lists (max_items n)": Family(
            lambda n: "inputs.items.all(x, inputs.items.exists_one(y, y == x))",
            sizes=lambda n: {("inputs", "items"): n},
            scope=lambda n: {"inputs": {"items": _distinct_items(n, limits.max_value_items)}},
        ),
    }


def _fits(family: Family, n: int, budget: int) -> bool:
    source = family.build(n)
    return len(source) <= MAX_SOURCE and estimate(source, sizes=family.sizes(n)).total <= budget


def _largest(family: Family, budget: int, ceiling: int) -> int:
    """The largest ``n`` up to ``ceiling`` that is accepted (cost and length), by doubling then bisecting; 0 if none."""
    if not _fits(family, 1, budget):
        return 0
    low, high = 1, 2
    while high <= ceiling and _fits(family, high, budget):
        low, high = high, high * 2
    high = min(high, ceiling + 1)
    while high - low > 1:
        middle = (low + high) // 2
        if _fits(family, middle, budget):
            low = middle
        else:
            high = middle
    return low


def _time(source: str, scope: dict[str, Any], repeat: int) -> float:
    expression = compile_expression(source)
    context = make_scope(scope)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        expression.evaluate(context)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="evaluations per expression; the best is kept (3)")
    args = parser.parse_args()
    limits = limits_module.current()
    size = limits.max_list_items
    items = list(range(size))
    full = {"inputs": {"items": items, "other": list(items), "nested": {"items": items}}}
    print(f"budget {limits.expression_budget:,} units; lists of {size:,} items (OVERTURE_MAX_LIST_ITEMS)")
    print(f"{'family':48} {'n':>6} {'cost':>12} {'ms':>9} {'ns/unit':>8}")
    worst = 0.0
    for name, family in _families(limits).items():
        ceiling = size if family.scope is not None else 1 << 20
        n = _largest(family, limits.expression_budget, ceiling)
        if n == 0:
            print(f"{name:48} {'-':>6} {'refused even with n = 1':>31}")
            continue
        source = family.build(n)
        cost = estimate(source, sizes=family.sizes(n)).total
        seconds = _time(source, family.scope(n) if family.scope is not None else full, args.repeat)
        worst = max(worst, seconds)
        shown = "-" if n >= 1 << 20 else str(n)  # the family does not grow with n
        print(f"{name:48} {shown:>6} {cost:>12,} {seconds * 1000:>9.1f} {seconds * 1e9 / cost:>8.1f}")
    print(f"worst evaluation within the budget: {worst * 1000:.1f} ms")


if __name__ == "__main__":
    main()
