"""Reducing a parsed expression: what is known put in, what can be computed folded.

Known values are constants (:class:`Lit`) and the values a scenario may choose
(:class:`Sym`); what is left is an expression over the chosen values, which
:mod:`~runtime.testing.solver.formulas` turns into a condition. Folding follows CEL's
value rules (:func:`equal`: ``1 == 1.0`` but ``true != 1``; integer division truncates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from runtime.testing.solver.syntax import (
    Binary,
    Call,
    Cond,
    Index,
    ListLit,
    Lit,
    MapLit,
    Node,
    Ref,
    Select,
    Sym,
    Unary,
)

_MISSING: Any = object()

#: Resolves a dotted name to what is known of it: a :class:`Lit`, a :class:`Sym`, any
#: other node (an opaque value), or ``None`` when nothing is known.
Lookup = Callable[[tuple[str, ...]], "Node | None"]

_CASTS = {"double", "int", "uint"}


def reduce(node: Node, lookup: Lookup) -> Node:
    """Substitute what ``lookup`` knows into ``node`` and fold what can be computed.

    Args:
        node: A parsed expression.
        lookup: What each dotted name stands for.

    Returns:
        An equivalent node: a :class:`Lit` when everything was known.
    """
    return _Reducer(lookup).run(node)


class _Reducer:
    def __init__(self, lookup: Lookup):
        self.lookup = lookup

    def run(self, node: Node) -> Node:
        reduce_node = _REDUCERS.get(type(node))
        return reduce_node(self, node) if reduce_node is not None else node

    def _ref(self, node: Ref) -> Node:
        for size in range(len(node.path), 0, -1):
            found = self.lookup(node.path[:size])
            if found is None:
                continue
            for key in node.path[size:]:
                found = _member(found, key)
                if found is None:
                    return node
            return found if found.text else _with_text(found, node.text)
        return node

    def _sym(self, node: Sym) -> Node:
        return node

    def _lit(self, node: Lit) -> Node:
        return node

    def _listlit(self, node: ListLit) -> Node:
        items = tuple(self.run(i) for i in node.items)
        lits = [i for i in items if isinstance(i, Lit)]
        if len(lits) == len(items):
            return Lit([i.value for i in lits], text=node.text)
        return ListLit(items, text=node.text)

    def _maplit(self, node: MapLit) -> Node:
        entries = tuple((self.run(k), self.run(v)) for k, v in node.entries)
        pairs = [(k, v) for k, v in entries if isinstance(k, Lit) and isinstance(v, Lit)]
        if len(pairs) == len(entries):
            return Lit({k.value: v.value for k, v in pairs}, text=node.text)
        return MapLit(entries, text=node.text)

    def _select(self, node: Select) -> Node:
        operand = self.run(node.operand)
        found = _member(operand, node.name)
        return found if found is not None else Select(operand, node.name, text=node.text)

    def _index(self, node: Index) -> Node:
        operand, index = self.run(node.operand), self.run(node.index)
        if isinstance(operand, Lit) and isinstance(index, Lit):
            try:
                return Lit(operand.value[index.value], text=node.text)
            except (KeyError, IndexError, TypeError):
                pass
        return Index(operand, index, text=node.text)

    def _unary(self, node: Unary) -> Node:
        operand = self.run(node.operand)
        if isinstance(operand, Lit):
            if node.op == "!" and isinstance(operand.value, bool):
                return Lit(not operand.value, text=node.text)
            if node.op == "-" and is_number(operand.value):
                return Lit(-operand.value, text=node.text)
        if node.op == "!" and isinstance(operand, Unary) and operand.op == "!":
            return operand.operand
        return Unary(node.op, operand, text=node.text)

    def _cond(self, node: Cond) -> Node:
        test = self.run(node.test)
        if isinstance(test, Lit) and isinstance(test.value, bool):
            return self.run(node.then if test.value else node.other)
        return Cond(test, self.run(node.then), self.run(node.other), text=node.text)

    def _binary(self, node: Binary) -> Node:
        left = self.run(node.left)
        if node.op in ("&&", "||"):
            stop = node.op == "||"  # the value that decides alone
            if isinstance(left, Lit) and left.value is stop:
                return Lit(stop, text=node.text)
            right = self.run(node.right)
            if isinstance(right, Lit) and right.value is stop:
                return Lit(stop, text=node.text)
            if isinstance(left, Lit) and left.value is (not stop):
                return right
            if isinstance(right, Lit) and right.value is (not stop):
                return left
            return Binary(node.op, left, right, text=node.text)
        right = self.run(node.right)
        if isinstance(left, Lit) and isinstance(right, Lit):
            folded = _fold(node.op, left.value, right.value)
            if folded is not _MISSING:
                return Lit(folded, text=node.text)
        return Binary(node.op, left, right, text=node.text)

    def _call(self, node: Call) -> Node:
        if node.function == "has" and node.target is None and len(node.args) == 1:
            arg = self.run(node.args[0])
            if isinstance(arg, (Lit, Sym)):
                return Lit(True, text=node.text)
            return Call("has", None, (arg,), text=node.text)
        target = self.run(node.target) if node.target is not None else None
        args = tuple(self.run(a) for a in node.args)
        if target is None and len(args) == 1 and node.function in _CASTS and isinstance(args[0], Sym):
            return args[0]  # a cast of a chosen number: choose a number that needs none
        values = [a.value for a in args if isinstance(a, Lit)]
        if len(values) == len(args) and (target is None or isinstance(target, Lit)):
            folded = _call(node.function, target.value if isinstance(target, Lit) else _MISSING, values)
            if folded is not _MISSING:
                return Lit(folded, text=node.text)
        return Call(node.function, target, args, text=node.text)


#: How each kind of node reduces (every :class:`Node` class of the syntax tree has one).
_REDUCERS: dict[type[Node], Callable[[_Reducer, Any], Node]] = {
    Lit: _Reducer._lit,
    Ref: _Reducer._ref,
    Sym: _Reducer._sym,
    Call: _Reducer._call,
    Unary: _Reducer._unary,
    Binary: _Reducer._binary,
    Cond: _Reducer._cond,
    ListLit: _Reducer._listlit,
    MapLit: _Reducer._maplit,
    Select: _Reducer._select,
    Index: _Reducer._index,
}


def _member(found: Node, key: str) -> Node | None:
    """``found.key`` when ``found`` is a known map that has it."""
    if isinstance(found, Lit) and isinstance(found.value, dict) and key in found.value:
        return Lit(found.value[key])
    if isinstance(found, MapLit):
        for entry, value in found.entries:
            if isinstance(entry, Lit) and entry.value == key:
                return value
    return None


def _with_text(node: Node, text: str) -> Node:
    return type(node)(**{**{f: getattr(node, f) for f in node.__dataclass_fields__ if f != "text"}, "text": text})


def is_number(value: Any) -> bool:
    """A CEL number: an int or a float, never a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fold(op: str, a: Any, b: Any) -> Any:
    try:
        if op in ("==", "!="):
            same = equal(a, b)
            return same if op == "==" else not same
        if op in ("<", "<=", ">", ">="):
            if not (is_number(a) and is_number(b)) and type(a) is not type(b):
                return _MISSING
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op == "in":
            if isinstance(b, (list, dict)):
                return any(equal(a, x) for x in b)
            return _MISSING
        if op == "+" and (is_number(a) and is_number(b) or type(a) is type(b) and isinstance(a, (str, list))):
            return a + b
        if is_number(a) and is_number(b):
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op in ("/", "%") and b != 0:
                if isinstance(a, int) and isinstance(b, int):  # CEL truncates toward zero
                    quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
                    return quotient if op == "/" else a - b * quotient
                return a / b if op == "/" else math.fmod(a, b)
    except TypeError:
        pass
    return _MISSING


def equal(a: Any, b: Any) -> bool:
    """CEL equality of values: ``1 == 1.0``, but ``true != 1`` and ``"1" != 1``."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if is_number(a) and is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b) or (a is None and b is None)


def _call(function: str, target: Any, args: list[Any]) -> Any:
    try:
        if target is _MISSING:
            if len(args) != 1:
                return _MISSING
            (value,) = args
            if function == "double" and (is_number(value) or isinstance(value, str)):
                return float(value)
            if function in ("int", "uint") and (is_number(value) or isinstance(value, str)):
                return int(value) if not isinstance(value, float) else math.trunc(value)
            if function == "string" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
            if function == "size" and isinstance(value, (str, list, dict)):
                return len(value)
            return _MISSING
        if isinstance(target, str) and len(args) == 1 and isinstance(args[0], str):
            methods: dict[str, Callable[[Any], Any]] = {
                "startsWith": target.startswith,
                "endsWith": target.endswith,
                "contains": target.__contains__,
                "matches": lambda p: re.search(p, target) is not None,
            }
            if function in methods:
                return bool(methods[function](args[0]))
        if function == "size" and not args and isinstance(target, (str, list, dict)):
            return len(target)
    except (ValueError, TypeError, re.error):
        pass
    return _MISSING
