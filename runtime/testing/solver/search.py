"""Solving: choosing values that make a list of formulas true, or saying why none exist.

:func:`solve` expands each formula into clauses and backtracks over one clause per
formula, narrowing each chosen value's domain by the atoms of the clauses taken.
Unknown parts are assumed satisfiable: their text is reported in
:attr:`Solution.unsolved` and the values only they mention get :data:`TODO`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.testing.solver.formulas import (
    And,
    Atom,
    Const,
    Formula,
    Literal,
    Not,
    Or,
    Unknown,
    clauses,
    normal_form,
    to_formula,
)
from runtime.testing.solver.reduction import equal, is_number, reduce
from runtime.testing.solver.syntax import Lit, Node, Ref, Sym, parse

#: The value of a choice the solver could not make.
TODO = "TODO"

_MISSING: Any = object()


@dataclass(frozen=True)
class Var:
    """A value a scenario may choose.

    Attributes:
        name: Its name (``record.amount``, ``steps.review.outcome#1``).
        type: ``string``, ``number``, ``integer``, ``boolean``, ``date``, ``datetime``,
            ``list``, ``map`` or ``any``.
        options: When not empty, the only values it may take (outcomes, select options).
        preferred: The value chosen when nothing constrains it.
    """

    name: str
    type: str = "any"
    options: tuple[Any, ...] = ()
    preferred: Any = None


@dataclass
class Solution:
    """The result of :func:`solve`.

    Attributes:
        satisfiable: Whether values were found.
        values: The chosen value of every variable (``TODO`` for those only unsolved
            conditions mention).
        unsolved: Descriptions of the conditions beyond the solver that the values may
            not satisfy.
        conflict: When not satisfiable, why (the conditions that contradict each other).
    """

    satisfiable: bool
    values: dict[str, Any] = field(default_factory=dict)
    unsolved: list[str] = field(default_factory=list)
    conflict: str | None = None


class _Domain:
    """What is known of one variable: the atoms that constrain it."""

    __slots__ = ("var", "atoms")

    def __init__(self, var: Var, atoms: tuple[Atom, ...] = ()):
        self.var = var
        self.atoms = atoms

    def with_atom(self, atom: Atom) -> _Domain:
        return _Domain(self.var, (*self.atoms, atom))

    def allows(self, value: Any) -> bool:
        var = self.var
        if var.options and not any(equal(value, o) for o in var.options):
            return False
        if not _fits(var.type, value):
            return False
        return all(_holds(atom, value) for atom in self.atoms)

    def pick(self) -> Any:
        """A value satisfying every atom, or ``_MISSING``."""
        for value in self._candidates():
            if self.allows(value):
                return value
        return _MISSING

    def _candidates(self) -> Iterator[Any]:
        var = self.var
        equal = [a.value for a in self.atoms if a.op == "=="]
        if equal:
            yield from equal
            return
        members = [a.value for a in self.atoms if a.op == "in"]
        if members:
            yield from members[0]
            return
        if var.options:
            if var.preferred is not None:
                yield var.preferred
            yield from var.options
            return
        if var.preferred is not None:
            yield var.preferred
        if var.type == "boolean":
            yield from (True, False)
            return
        numeric = var.type in ("number", "integer") or any(a.op in ("<", "<=", ">", ">=") for a in self.atoms)
        if numeric:
            yield from self._numbers()
            return
        base = var.preferred if isinstance(var.preferred, str) else "value"
        yield from (f"{base} {n}" for n in range(2, len(self.atoms) + 3))

    def _numbers(self) -> Iterator[Any]:
        bounds: list[float] = []
        for atom in self.atoms:
            if atom.op in ("<", "<=", ">", ">=", "==", "!=") and is_number(atom.value):
                bounds.append(atom.value)
        seeds: list[float] = []
        for b in bounds:
            seeds += [b, math.floor(b) + 1, math.ceil(b) - 1, b + 0.5, b - 0.5]
        lows = [a.value for a in self.atoms if a.op in (">", ">=") and is_number(a.value)]
        highs = [a.value for a in self.atoms if a.op in ("<", "<=") and is_number(a.value)]
        if lows and highs:
            low, high = max(lows), min(highs)
            seeds.insert(0, (low + high) / 2)
            seeds.insert(0, math.floor((low + high) / 2))
        seeds += [0, 1, 100, 1000]
        for seed in seeds:
            value = int(seed) if float(seed).is_integer() else seed
            yield value
            for step in range(1, len(self.atoms) + 2):  # past values excluded by !=
                yield value + step
                yield value - step


_FITS: dict[str, Callable[[Any], bool]] = {
    "number": is_number,
    "integer": lambda v: is_number(v) and float(v).is_integer(),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str),
    "datetime": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
}


def _fits(type_name: str, value: Any) -> bool:
    """Whether a chosen value has the variable's type (null fits: whether it may be null is the engine's call)."""
    check = _FITS.get(type_name)
    return value is None or check is None or check(value)


def _holds(atom: Atom, value: Any) -> bool:
    if atom.op == "==":
        return equal(value, atom.value)
    if atom.op == "!=":
        return not equal(value, atom.value)
    if atom.op == "in":
        return any(equal(value, x) for x in atom.value)
    if atom.op == "notin":
        return not any(equal(value, x) for x in atom.value)
    if not (is_number(value) and is_number(atom.value)):
        return False
    return bool({"<": value < atom.value, "<=": value <= atom.value, ">": value > atom.value, ">=": value >= atom.value}[atom.op])


_MAX_STEPS = 20000


def solve(formulas: Sequence[Formula], variables: Mapping[str, Var]) -> Solution:
    """Choose values for ``variables`` that make every formula true.

    Args:
        formulas: Conditions that must all hold (``Not`` for one that must not).
        variables: Every variable the formulas may mention.

    Returns:
        A :class:`Solution`: values, or the conflict that makes it impossible.
    """
    expanded = [clauses(f) for f in formulas]
    for options in expanded:
        if not options:
            return Solution(False, conflict="a condition that can never hold")
    domains = {name: _Domain(var) for name, var in variables.items()}
    search = _Search(expanded, variables)
    found = search.run(0, domains, ())
    if found is None:
        return Solution(False, conflict=search.conflict or "the conditions cannot all hold")
    chosen, unknowns = found
    values: dict[str, Any] = {}
    constrained = {a.var for d in chosen.values() for a in d.atoms}
    unsolved: list[str] = []
    todo: set[str] = set()
    for unknown in unknowns:
        text = unknown.describe()
        if text not in unsolved:
            unsolved.append(text)
        todo |= {s for s in unknown.syms if s not in constrained}
    for name, domain in chosen.items():
        values[name] = TODO if name in todo else domain.pick()
    return Solution(True, values, unsolved)


class _Search:
    """Backtracking over one clause per formula; ``conflict`` explains the last dead end."""

    def __init__(self, expanded: list[list[tuple[Literal, ...]]], variables: Mapping[str, Var]):
        self.expanded = expanded
        self.variables = variables
        self.steps = 0
        self.conflict: str | None = None

    def run(
        self, index: int, domains: dict[str, _Domain], unknowns: tuple[Unknown, ...]
    ) -> tuple[dict[str, _Domain], tuple[Unknown, ...]] | None:
        if index == len(self.expanded):
            return domains, unknowns
        for clause in self.expanded[index]:
            self.steps += 1
            if self.steps > _MAX_STEPS:
                self.conflict = self.conflict or "the conditions have too many combinations to search"
                return None
            narrowed = self._apply(clause, domains)
            if narrowed is None:
                continue
            found = self.run(index + 1, narrowed, unknowns + tuple(x for x in clause if isinstance(x, Unknown)))
            if found is not None:
                return found
        return None

    def _apply(self, clause: tuple[Literal, ...], domains: dict[str, _Domain]) -> dict[str, _Domain] | None:
        result = dict(domains)
        for literal in clause:
            if isinstance(literal, Unknown):
                continue
            domain = result.get(literal.var) or _Domain(self.variables.get(literal.var) or Var(literal.var))
            narrowed = domain.with_atom(literal)
            if narrowed.pick() is _MISSING:
                self.conflict = _explain(narrowed, literal)
                return None
            result[literal.var] = narrowed
        return result


def _explain(domain: _Domain, last: Atom) -> str:
    others = [a for a in domain.atoms if a is not last]
    var = domain.var
    if not others:
        if var.options:
            return f"{last.describe()} can never hold: {var.name} is one of {', '.join(map(repr, var.options))}"
        return f"{last.describe()} can never hold ({var.name} is a {var.type})"
    listed = ", ".join(a.describe() for a in others)
    return f"{last.describe()} contradicts {listed}"


def solve_conditions(
    conditions: Iterable[tuple[str, bool]] | Mapping[str, bool],
    variables: Iterable[Var] | Mapping[str, Var] = (),
) -> Solution:
    """Solve CEL conditions over dotted names, each required true or false.

    Every dotted name that is a declared variable (``Var("inputs.amount", "number")``)
    is a value to choose; other names are unknown.

    Args:
        conditions: ``[(source, must_hold)]`` or ``{source: must_hold}``.
        variables: The values to choose.

    Returns:
        The :class:`Solution`.

    Raises:
        CelSyntaxError: for a condition that does not parse.
    """
    table = dict(variables) if isinstance(variables, Mapping) else {v.name: v for v in variables}
    items = conditions.items() if isinstance(conditions, Mapping) else conditions

    def lookup(path: tuple[str, ...]) -> Node | None:
        name = ".".join(path)
        return Sym(name) if name in table else None

    formulas = []
    for source, must_hold in items:
        formula = to_formula(reduce(parse(source), lookup), origin=source)
        formulas.append(formula if must_hold else Not(formula))
    return solve(formulas, table)


def evaluate(node: Node, values: Mapping[str, Any]) -> Node:
    """``node`` with the chosen ``values`` put in for its symbols, folded."""

    return reduce(_substitute(node, values), _knows_nothing)


def _knows_nothing(path: tuple[str, ...]) -> Node | None:
    return None


def _substitute(node: Node, values: Mapping[str, Any]) -> Node:
    if isinstance(node, Sym):
        return Lit(values[node.name], text=node.text) if node.name in values and values[node.name] != TODO else node
    if not isinstance(node, Node) or isinstance(node, (Lit, Ref)):
        return node
    changes: dict[str, Any] = {}
    for name in node.__dataclass_fields__:
        if name == "text":
            continue
        value = getattr(node, name)
        if isinstance(value, Node):
            changes[name] = _substitute(value, values)
        elif isinstance(value, tuple):
            changes[name] = tuple(
                tuple(_substitute(x, values) for x in v) if isinstance(v, tuple) else _substitute(v, values) if isinstance(v, Node) else v
                for v in value
            )
        else:
            changes[name] = value
    return type(node)(**changes, text=node.text)


def holds(formula: Formula, values: Mapping[str, Any]) -> bool | None:
    """Whether ``formula`` holds for ``values`` (None when an unknown part decides)."""
    f = normal_form(formula)
    if isinstance(f, Const):
        return f.value
    if isinstance(f, Atom):
        if f.var not in values or values[f.var] == TODO:
            return None
        return _holds(f, values[f.var])
    if isinstance(f, Unknown):
        return None
    assert isinstance(f, (And, Or))  # what normal_form leaves: no Not
    results = [holds(p, values) for p in f.parts]
    if isinstance(f, And):
        return False if False in results else None if None in results else True
    return True if True in results else None if None in results else False
