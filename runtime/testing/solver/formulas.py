"""Formulas: the conditions a reduced expression states about the values a scenario chooses.

:func:`to_formula` turns a reduced expression into a :class:`Formula` over atoms such as
``record.amount >= 50000`` (comparisons of one chosen value, maybe offset by a constant,
with a constant; ``in`` a list); whatever is beyond that is an :class:`Unknown`.
:func:`clauses` expands a formula into the ways it can hold, for the search.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from runtime.testing.solver.reduction import is_number, reduce
from runtime.testing.solver.syntax import RELATIONS, Binary, Cond, Lit, Node, Sym, Unary


class Formula:
    """A condition over chosen values."""


@dataclass(frozen=True)
class Const(Formula):
    value: bool


TRUE, FALSE = Const(True), Const(False)


@dataclass(frozen=True)
class Atom(Formula):
    """``var op value``; ``op`` is one of ``== != < <= > >= in notin``."""

    var: str
    op: str
    value: Any
    text: str = field(default="", compare=False)
    origin: str = field(default="", compare=False)
    #: Whether the atom is the negation of the condition ``text`` (it then reads ``!(text)``).
    negated: bool = field(default=False, compare=False)

    def describe(self) -> str:
        text = (f"!({self.text})" if self.negated else self.text) if self.text else self.plain()
        where = f" ({self.origin})" if self.origin and self.origin != text else ""
        return f"`{text}`{where}"

    def plain(self) -> str:
        op = {"in": "in", "notin": "not in"}.get(self.op, self.op)
        return f"{self.var} {op} {self.value!r}"


@dataclass(frozen=True)
class Unknown(Formula):
    """A part the solver cannot reason about; ``syms`` are the chosen values in it."""

    text: str
    syms: frozenset[str] = frozenset()
    negated: bool = False
    origin: str = field(default="", compare=False)

    def describe(self) -> str:
        text = f"!({self.text})" if self.negated else self.text
        return f"`{text}` ({self.origin})" if self.origin and self.origin != self.text else f"`{text}`"


@dataclass(frozen=True)
class And(Formula):
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Or(Formula):
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Not(Formula):
    part: Formula


_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<", "in": "notin", "notin": "in"}


def to_formula(node: Node, origin: str = "") -> Formula:
    """The condition a reduced expression states about chosen values.

    Args:
        node: The result of :func:`reduce`.
        origin: Where the condition comes from, for messages ("decision big_deal: yes").
    """
    if isinstance(node, Lit):
        if isinstance(node.value, bool):
            return Const(node.value)
        return Unknown(f"{node.text or node.value!r} is not true or false", origin=origin)
    if isinstance(node, Sym):
        return Atom(node.name, "==", True, node.text or node.name, origin)
    if isinstance(node, Unary) and node.op == "!":
        return Not(to_formula(node.operand, origin))
    if isinstance(node, Binary) and node.op in ("&&", "||"):
        parts = (to_formula(node.left, origin), to_formula(node.right, origin))
        return And(parts) if node.op == "&&" else Or(parts)
    if isinstance(node, Cond):
        test = to_formula(node.test, origin)
        return Or((And((test, to_formula(node.then, origin))), And((Not(test), to_formula(node.other, origin)))))
    if isinstance(node, Binary) and node.op in RELATIONS:
        return _relation(node, origin)
    return _unknown(node, origin)


def _unknown(node: Node, origin: str) -> Unknown:
    return Unknown(node.text or type(node).__name__, frozenset(symbols(node)), origin=origin)


def symbols(node: Node) -> Iterator[str]:
    """The names of the :class:`Sym` in ``node``."""
    if isinstance(node, Sym):
        yield node.name
        return
    for name in getattr(node, "__dataclass_fields__", {}):
        value = getattr(node, name)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, tuple):
                for sub in child:
                    yield from symbols(sub)
            elif isinstance(child, Node):
                yield from symbols(child)


def _relation(node: Binary, origin: str) -> Formula:
    left, right, op = node.left, node.right, node.op
    text = node.text
    for side, other in ((left, right), (right, left)):
        if isinstance(side, Cond) and op != "in":  # (t ? a : b) == k  ->  t && a == k || !t && b == k

            def branch(value: Node) -> Node:
                return Binary(op, value, other, text=text) if side is left else Binary(op, other, value, text=text)

            reduced_then, reduced_other = reduce(branch(side.then), _no_lookup), reduce(branch(side.other), _no_lookup)
            test = to_formula(side.test, origin)
            return Or((And((test, to_formula(reduced_then, origin))), And((Not(test), to_formula(reduced_other, origin)))))
    if op == "in":
        if isinstance(left, Sym) and isinstance(right, Lit) and isinstance(right.value, (list, dict)):
            return Atom(left.name, "in", tuple(right.value), text, origin)
        return _unknown(node, origin)
    if isinstance(left, Lit) and not isinstance(right, Lit):
        left, right, op = right, left, _FLIP[op]
    if not isinstance(right, Lit):
        return _unknown(node, origin)
    value = right.value
    if op not in ("==", "!=") and not is_number(value):
        return _unknown(node, origin)  # ordering text (dates...) is beyond the solver
    offset = _offset(left)
    if offset is None:
        return _unknown(node, origin)
    name, delta, sign = offset
    if delta or sign < 0:
        if not is_number(value):
            return _unknown(node, origin)
        value = (value - delta) * sign
        if sign < 0:
            op = _FLIP[op]
    return Atom(name, op, value, text, origin)


def _no_lookup(path: tuple[str, ...]) -> Node | None:
    return None


def _offset(node: Node) -> tuple[str, float, int] | None:
    """``x``, ``x + c``, ``x - c``, ``c + x``, ``c - x`` as (name, c', sign): node = sign*x + c'."""
    if isinstance(node, Sym):
        return node.name, 0, 1
    if isinstance(node, Binary) and node.op in ("+", "-"):
        if isinstance(node.right, Lit) and is_number(node.right.value):
            inner = _offset(node.left)
            if inner is None:
                return None
            name, delta, sign = inner
            return name, delta + (node.right.value if node.op == "+" else -node.right.value), sign
        if isinstance(node.left, Lit) and is_number(node.left.value):
            inner = _offset(node.right)
            if inner is None:
                return None
            name, delta, sign = inner
            if node.op == "+":
                return name, delta + node.left.value, sign
            return name, node.left.value - delta, -sign
    return None


def negate(formula: Formula) -> Formula:
    """``formula`` in negation normal form, negated."""
    return normal_form(formula, True)


def normal_form(f: Formula, negated: bool = False) -> Formula:
    """``f`` in negation normal form (``Not`` only inside atoms and unknowns); negated when ``negated``."""
    if isinstance(f, Const):
        return Const(f.value != negated)
    if isinstance(f, Atom):
        return Atom(f.var, _NEGATE[f.op], f.value, f.text, f.origin, not f.negated) if negated else f
    if isinstance(f, Unknown):
        return Unknown(f.text, f.syms, f.negated != negated, f.origin) if negated else f
    if isinstance(f, Not):
        return normal_form(f.part, not negated)
    if isinstance(f, (And, Or)):
        parts = tuple(normal_form(p, negated) for p in f.parts)
        conjunction = isinstance(f, And) != negated
        return And(parts) if conjunction else Or(parts)
    raise TypeError(f"not a formula: {f!r}")


Literal = Atom | Unknown
_MAX_CLAUSES = 256


class _TooComplex(Exception):
    pass


def _dnf(f: Formula) -> list[tuple[Literal, ...]]:
    if isinstance(f, Const):
        return [()] if f.value else []
    if isinstance(f, (Atom, Unknown)):
        return [(f,)]
    if isinstance(f, Or):
        clauses = [c for p in f.parts for c in _dnf(p)]
    elif isinstance(f, And):
        clauses = [()]
        for part in f.parts:
            clauses = [a + b for a in clauses for b in _dnf(part)]
            if len(clauses) > _MAX_CLAUSES:
                raise _TooComplex
    else:
        raise TypeError(f"not in negation normal form: {f!r}")
    if len(clauses) > _MAX_CLAUSES:
        raise _TooComplex
    return clauses


def clauses(formula: Formula) -> list[tuple[Literal, ...]]:
    """The ways ``formula`` can hold: a disjunction of conjunctions of literals.

    Clauses the solver fully understands come first. A formula too large to expand
    becomes one :class:`Unknown`.
    """
    try:
        found = _dnf(normal_form(formula, False))
    except _TooComplex:
        return [(Unknown("a condition too large to expand", origin=_first_origin(formula)),)]
    return sorted(found, key=lambda c: (sum(isinstance(x, Unknown) for x in c), len(c)))


def _first_origin(f: Formula) -> str:
    if isinstance(f, (Atom, Unknown)):
        return f.origin
    for part in getattr(f, "parts", ()) or ((f.part,) if isinstance(f, Not) else ()):
        origin = _first_origin(part)
        if origin:
            return origin
    return ""
