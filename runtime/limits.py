"""Size limits on the values expressions read, and the cost budget of an expression.

ARCHITECTURE §2 "Expressions and limits": CEL runs in Rust without an interrupt, so an
evaluation is kept short by bounding both sides of it — the data it can see (this
module's caps, checked wherever values enter a run: run inputs, record fields, event
payloads, ``set`` results and action outputs) and the work the expression can do with
that data (:mod:`runtime.expression_cost`, checked when a document is validated).

Every limit can be changed with an ``OVERTURE_*`` environment variable, read once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """The caps; :func:`current` gives the ones in force."""

    #: Items in one list, or entries in one object.
    max_list_items: int = 1_000
    #: Values in one input, record field, event payload... counted at every depth.
    max_value_items: int = 10_000
    #: Lists and objects nested in each other.
    max_depth: int = 32
    #: Characters in one string.
    max_text_length: int = 100_000
    #: Static cost an expression may have (runtime/expression_cost.py counts it).
    expression_budget: int = 3_000_000

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Limits:
        """The defaults, each replaced by its ``OVERTURE_*`` variable when set to a positive integer."""
        values = {}
        for name, variable in _VARIABLES.items():
            raw = environ.get(variable)
            if raw is None or not raw.strip():
                continue
            try:
                number = int(raw)
            except ValueError:
                raise ValueError(f"{variable} must be a positive integer, not {raw!r}") from None
            if number < 1:
                raise ValueError(f"{variable} must be a positive integer, not {raw!r}")
            values[name] = number
        return cls(**values)


_VARIABLES = {
    "max_list_items": "OVERTURE_MAX_LIST_ITEMS",
    "max_value_items": "OVERTURE_MAX_VALUE_ITEMS",
    "max_depth": "OVERTURE_MAX_VALUE_DEPTH",
    "max_text_length": "OVERTURE_MAX_TEXT_LENGTH",
    "expression_budget": "OVERTURE_EXPRESSION_BUDGET",
}

_CURRENT: Limits | None = None


def current() -> Limits:
    """The limits in force: the environment's, read on first use."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Limits.from_environ(os.environ)
    return _CURRENT


def use(limits: Limits | None) -> None:
    """Put ``limits`` in force (``None``: read the environment again on next use)."""
    global _CURRENT
    _CURRENT = limits


def size_problem(value: Any, limits: Limits | None = None) -> tuple[str, str] | None:
    """Where ``value`` breaks a cap, as (path inside it, message); ``None`` when it fits.

    The path is written like a field path (``items[3].tags``), empty for the value
    itself. Iterative, so a value nested far too deep does not hit the recursion limit.
    """
    limits = limits or current()
    count = 0
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        count += 1
        if count > limits.max_value_items:
            return "", f"holds more than {limits.max_value_items:,} values in all (OVERTURE_MAX_VALUE_ITEMS)"
        if isinstance(item, str):
            if len(item) > limits.max_text_length:
                return path, f"is longer than {limits.max_text_length:,} characters (OVERTURE_MAX_TEXT_LENGTH)"
            continue
        if not isinstance(item, (list, dict)):
            continue
        if depth >= limits.max_depth:
            return path, f"nests lists and objects more than {limits.max_depth} deep (OVERTURE_MAX_VALUE_DEPTH)"
        if len(item) > limits.max_list_items:
            kind = "items" if isinstance(item, list) else "entries"
            return path, f"has {len(item):,} {kind}; at most {limits.max_list_items:,} are allowed (OVERTURE_MAX_LIST_ITEMS)"
        if isinstance(item, dict) and any(len(str(key)) > limits.max_text_length for key in item):
            return path, f"has a key longer than {limits.max_text_length:,} characters (OVERTURE_MAX_TEXT_LENGTH)"
        if isinstance(item, list):
            children = [(child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item)]
        else:
            children = [(child, _member(path, key), depth + 1) for key, child in item.items()]
        stack.extend(reversed(children))
    return None


def full_path(where: str, problem: tuple[str, str]) -> str:
    """The path of a problem found inside the value at ``where`` (``items[0].tags``)."""
    inner = problem[0]
    if not inner:
        return where
    return f"{where}{inner}" if inner.startswith("[") else f"{where}.{inner}" if where else inner


def describe(where: str, problem: tuple[str, str]) -> str:
    """The problem as said after the name of the value at ``where``: "has 2,000 items; …"
    for the value itself, "items[0].tags has 1,001 items; …" for a part of it (so that a
    form can show it next to its field and still say where)."""
    return problem[1] if not problem[0] else f"{full_path(where, problem)} {problem[1]}"


def _member(path: str, key: Any) -> str:
    text = str(key)
    if text.isidentifier():
        return f"{path}.{text}" if path else text
    return f"{path}[{text!r}]"
