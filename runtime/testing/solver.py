"""Solving CEL conditions for generated path tests.

A generated path test must choose inputs, record fields, form values and outcomes that
make each decision on the path take the chosen outcome. This module does that for the
part of CEL that business conditions use: comparisons (``< <= > >= == !=``) of a value
with a constant (numbers, with ``double()``/``int()`` casts, strings, booleans, null),
``x + c`` offsets, ``in [..]`` membership, ``&&``, ``||``, ``!`` and ``? :``.

It works in three steps:

1. :func:`parse` reads an expression into a small syntax tree (the ``cel`` binding
   compiles to an opaque program and exposes no tree, so the grammar of the CEL
   specification is implemented here for what conditions need);
2. :func:`reduce` substitutes what is known — constants, and :class:`Sym` for the
   values a scenario may choose — and folds what can be computed;
3. :func:`to_formula` turns the result into a :class:`Formula` over atoms such as
   ``record.amount >= 50000``; :func:`solve` searches values that make a list of
   formulas true, or explains why none exist.

Whatever is beyond it (``size(x)``, ``x.startsWith(..)``, ``now``, comparing two
chosen values) becomes an :class:`Unknown` literal: the search assumes it can be made
true, reports its text in :attr:`Solution.unsolved` and gives the values only it
mentions the placeholder :data:`TODO`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

#: The value of a choice the solver could not make.
TODO = "TODO"

_MISSING: Any = object()


class CelSyntaxError(ValueError):
    """An expression outside the CEL grammar this module reads."""


# ---------------------------------------------------------------------------- syntax


@dataclass(frozen=True)
class Node:
    """A node of a parsed (or reduced) expression; ``text`` is its source."""

    text: str = field(default="", compare=False, kw_only=True)


@dataclass(frozen=True)
class Lit(Node):
    """A constant."""

    value: Any


@dataclass(frozen=True)
class Ref(Node):
    """A dotted name such as ``record.amount`` (``record['amount']`` reads the same)."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Sym(Node):
    """A value the scenario chooses, by name (``record.amount``, ``steps.review.outcome#2``)."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    """A function call; ``target`` is the receiver of a method call (``x.startsWith(..)``)."""

    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "!" or "-"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # || && == != < <= > >= in + - * / %
    left: Node
    right: Node


@dataclass(frozen=True)
class Cond(Node):
    test: Node
    then: Node
    other: Node


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class MapLit(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True)
class Select(Node):
    """Member access on something that is not a plain name (``f(x).y``)."""

    operand: Node
    name: str


@dataclass(frozen=True)
class Index(Node):
    operand: Node
    index: Node


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!?:.,()\[\]{}+\-*/%])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v"}
_RELATIONS = ("==", "!=", "<", "<=", ">", ">=", "in")


def parse(source: str) -> Node:
    """Parse a CEL expression.

    Args:
        source: The expression.

    Returns:
        Its syntax tree.

    Raises:
        CelSyntaxError: naming the position of the first token it cannot read.
    """
    return _Parser(source).parse()


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens: list[tuple[str, str, int, int]] = []
        pos = 0
        while pos < len(source):
            match = _TOKEN.match(source, pos)
            if not match:
                raise CelSyntaxError(f"unexpected character {source[pos]!r} at column {pos + 1}")
            kind = match.lastgroup or ""
            if kind != "space":
                self.tokens.append((kind, match.group(), match.start(), match.end()))
            pos = match.end()
        self.i = 0

    def parse(self) -> Node:
        node = self.expr()
        if self.i < len(self.tokens):
            raise self.error("unexpected")
        return node

    # -- helpers
    def peek(self) -> tuple[str, str, int, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def accept(self, *values: str) -> str | None:
        token = self.peek()
        if token and token[0] in ("op", "ident") and token[1] in values:
            self.i += 1
            return token[1]
        return None

    def expect(self, value: str) -> None:
        if not self.accept(value):
            raise self.error(f"expected {value!r}")

    def error(self, what: str) -> CelSyntaxError:
        token = self.peek()
        if token is None:
            return CelSyntaxError(f"{what}: the expression ends too early")
        return CelSyntaxError(f"{what} {token[1]!r} at column {token[2] + 1}")

    def text(self, start: int) -> str:
        end = self.tokens[self.i - 1][3] if self.i else 0
        return self.source[start:end]

    def start(self) -> int:
        token = self.peek()
        return token[2] if token else len(self.source)

    # -- grammar (CEL spec: Expr, ConditionalOr, ConditionalAnd, Relation, Addition...)
    def expr(self) -> Node:
        begin = self.start()
        test = self.logical("||", self.conjunction)
        if self.accept("?"):
            then = self.logical("||", self.conjunction)
            self.expect(":")
            other = self.expr()
            return Cond(test, then, other, text=self.text(begin))
        return test

    def conjunction(self) -> Node:
        return self.logical("&&", self.relation)

    def logical(self, op: str, operand: Callable[[], Node]) -> Node:
        begin = self.start()
        node = operand()
        while self.accept(op):
            node = Binary(op, node, operand(), text=self.text(begin))
        return node

    def relation(self) -> Node:
        begin = self.start()
        node = self.addition()
        while (op := self.accept(*_RELATIONS)) is not None:
            node = Binary(op, node, self.addition(), text=self.text(begin))
        return node

    def addition(self) -> Node:
        begin = self.start()
        node = self.multiplication()
        while (op := self.accept("+", "-")) is not None:
            node = Binary(op, node, self.multiplication(), text=self.text(begin))
        return node

    def multiplication(self) -> Node:
        begin = self.start()
        node = self.unary()
        while (op := self.accept("*", "/", "%")) is not None:
            node = Binary(op, node, self.unary(), text=self.text(begin))
        return node

    def unary(self) -> Node:
        begin = self.start()
        op = self.accept("!", "-")
        if op is None:
            return self.member()
        operand = self.unary()
        if op == "-" and isinstance(operand, Lit) and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
            return Lit(-operand.value, text=self.text(begin))
        return Unary(op, operand, text=self.text(begin))

    def member(self) -> Node:
        begin = self.start()
        node = self.primary()
        while True:
            if self.accept("."):
                token = self.peek()
                if token is None or token[0] != "ident":
                    raise self.error("expected a field name after '.', got")
                self.i += 1
                name = token[1]
                if self.accept("("):
                    node = Call(name, node, self.arguments(")"), text=self.text(begin))
                elif isinstance(node, Ref):
                    node = Ref((*node.path, name), text=self.text(begin))
                else:
                    node = Select(node, name, text=self.text(begin))
            elif self.accept("["):
                index = self.expr()
                self.expect("]")
                if isinstance(node, Ref) and isinstance(index, Lit) and isinstance(index.value, str):
                    node = Ref((*node.path, index.value), text=self.text(begin))
                else:
                    node = Index(node, index, text=self.text(begin))
            else:
                return node

    def arguments(self, close: str) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.accept(close):
            return ()
        while True:
            args.append(self.expr())
            if self.accept(close):
                return tuple(args)
            self.expect(",")
            if self.accept(close):  # trailing comma
                return tuple(args)

    def primary(self) -> Node:
        begin = self.start()
        token = self.peek()
        if token is None:
            raise self.error("expected a value")
        kind, value = token[0], token[1]
        if kind == "string":
            self.i += 1
            return Lit(_string_value(value), text=value)
        if kind == "number":
            self.i += 1
            return Lit(_number_value(value), text=value)
        if kind == "ident":
            self.i += 1
            if value in ("true", "false"):
                return Lit(value == "true", text=value)
            if value == "null":
                return Lit(None, text=value)
            if self.accept("("):
                return Call(value, None, self.arguments(")"), text=self.text(begin))
            return Ref((value,), text=value)
        if self.accept("("):
            node = self.expr()
            self.expect(")")
            return node
        if self.accept("["):
            return ListLit(self.arguments("]"), text=self.text(begin))
        if self.accept("{"):
            entries: list[tuple[Node, Node]] = []
            while not self.accept("}"):
                key = self.expr()
                self.expect(":")
                entries.append((key, self.expr()))
                if not self.accept(","):
                    self.expect("}")
                    break
            return MapLit(tuple(entries), text=self.text(begin))
        if self.accept("."):  # a leading dot names the root scope: .record.amount
            return self.primary()
        raise self.error("unexpected")


def _string_value(token: str) -> str:
    prefix = re.match(r"[rRbB]*", token).group()  # type: ignore[union-attr]
    body = token[len(prefix):]
    quote = body[:3] if body[:3] in ("'''", '"""') else body[0]
    body = body[len(quote):-len(quote)]
    if "r" in prefix.lower():
        return body
    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)",
                  lambda m: _unescape(m.group(1)), body, flags=re.DOTALL)


def _unescape(code: str) -> str:
    if code[0] in "xuU":
        return chr(int(code[1:], 16))
    if code[0].isdigit():
        return chr(int(code, 8))
    return _ESCAPES.get(code, "\\" + code)


def _number_value(token: str) -> int | float:
    text = token.rstrip("uU")
    if text.lower().startswith("0x"):
        return int(text, 16)
    if any(c in text for c in ".eE"):
        return float(text)
    return int(text)


# ------------------------------------------------------------------------- reduction

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
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        return method(node) if method else node

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
        if all(isinstance(i, Lit) for i in items):
            return Lit([i.value for i in items], text=node.text)  # type: ignore[union-attr]
        return ListLit(items, text=node.text)

    def _maplit(self, node: MapLit) -> Node:
        entries = tuple((self.run(k), self.run(v)) for k, v in node.entries)
        if all(isinstance(k, Lit) and isinstance(v, Lit) for k, v in entries):
            return Lit({k.value: v.value for k, v in entries}, text=node.text)  # type: ignore[union-attr]
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
            if node.op == "-" and _is_number(operand.value):
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fold(op: str, a: Any, b: Any) -> Any:
    try:
        if op in ("==", "!="):
            same = _equal(a, b)
            return same if op == "==" else not same
        if op in ("<", "<=", ">", ">="):
            if not (_is_number(a) and _is_number(b)) and type(a) is not type(b):
                return _MISSING
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op == "in":
            if isinstance(b, (list, dict)):
                return any(_equal(a, x) for x in b)
            return _MISSING
        if op == "+" and (_is_number(a) and _is_number(b) or type(a) is type(b) and isinstance(a, (str, list))):
            return a + b
        if _is_number(a) and _is_number(b):
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


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b) or (a is None and b is None)


def _call(function: str, target: Any, args: list[Any]) -> Any:
    try:
        if target is _MISSING:
            if len(args) != 1:
                return _MISSING
            (value,) = args
            if function == "double" and (_is_number(value) or isinstance(value, str)):
                return float(value)
            if function in ("int", "uint") and (_is_number(value) or isinstance(value, str)):
                return int(value) if not isinstance(value, float) else math.trunc(value)
            if function == "string" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
            if function == "size" and isinstance(value, (str, list, dict)):
                return len(value)
            return _MISSING
        if isinstance(target, str) and len(args) == 1 and isinstance(args[0], str):
            methods = {"startsWith": target.startswith, "endsWith": target.endswith,
                       "contains": target.__contains__, "matches": lambda p: re.search(p, target) is not None}
            if function in methods:
                return bool(methods[function](args[0]))
        if function == "size" and not args and isinstance(target, (str, list, dict)):
            return len(target)
    except (ValueError, TypeError, re.error):
        pass
    return _MISSING


# --------------------------------------------------------------------------- formulas


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
    if isinstance(node, Binary) and node.op in _RELATIONS:
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
    if op not in ("==", "!=") and not _is_number(value):
        return _unknown(node, origin)  # ordering text (dates...) is beyond the solver
    offset = _offset(left)
    if offset is None:
        return _unknown(node, origin)
    name, delta, sign = offset
    if delta or sign < 0:
        if not _is_number(value):
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
        if isinstance(node.right, Lit) and _is_number(node.right.value):
            inner = _offset(node.left)
            if inner is None:
                return None
            name, delta, sign = inner
            return name, delta + (node.right.value if node.op == "+" else -node.right.value), sign
        if isinstance(node.left, Lit) and _is_number(node.left.value):
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
    return _nnf(formula, True)


def _nnf(f: Formula, negated: bool) -> Formula:
    if isinstance(f, Const):
        return Const(f.value != negated)
    if isinstance(f, Atom):
        return Atom(f.var, _NEGATE[f.op], f.value, f.text, f.origin, not f.negated) if negated else f
    if isinstance(f, Unknown):
        return Unknown(f.text, f.syms, f.negated != negated, f.origin) if negated else f
    if isinstance(f, Not):
        return _nnf(f.part, not negated)
    if isinstance(f, (And, Or)):
        parts = tuple(_nnf(p, negated) for p in f.parts)
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
        found = _dnf(_nnf(formula, False))
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


# ---------------------------------------------------------------------------- solving


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

    def with_atom(self, atom: Atom) -> "_Domain":
        return _Domain(self.var, (*self.atoms, atom))

    def allows(self, value: Any) -> bool:
        var = self.var
        if var.options and not any(_equal(value, o) for o in var.options):
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
            if atom.op in ("<", "<=", ">", ">=", "==", "!=") and _is_number(atom.value):
                bounds.append(atom.value)
        seeds: list[float] = []
        for b in bounds:
            seeds += [b, math.floor(b) + 1, math.ceil(b) - 1, b + 0.5, b - 0.5]
        lows = [a.value for a in self.atoms if a.op in (">", ">=") and _is_number(a.value)]
        highs = [a.value for a in self.atoms if a.op in ("<", "<=") and _is_number(a.value)]
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
    "number": _is_number,
    "integer": lambda v: _is_number(v) and float(v).is_integer(),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str), "date": lambda v: isinstance(v, str),
    "datetime": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, list), "map": lambda v: isinstance(v, dict),
}


def _fits(type_name: str, value: Any) -> bool:
    """Whether a chosen value has the variable's type (null fits: whether it may be null is the engine's call)."""
    check = _FITS.get(type_name)
    return value is None or check is None or check(value)


def _holds(atom: Atom, value: Any) -> bool:
    if atom.op == "==":
        return _equal(value, atom.value)
    if atom.op == "!=":
        return not _equal(value, atom.value)
    if atom.op == "in":
        return any(_equal(value, x) for x in atom.value)
    if atom.op == "notin":
        return not any(_equal(value, x) for x in atom.value)
    if not (_is_number(value) and _is_number(atom.value)):
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

    def run(self, index: int, domains: dict[str, _Domain], unknowns: tuple[Unknown, ...]
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

    def lookup(path: tuple[str, ...]) -> Node | None:
        return None

    return _Reducer(lookup).run(_substitute(node, values))


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
    f = _nnf(formula, False)
    if isinstance(f, Const):
        return f.value
    if isinstance(f, Atom):
        if f.var not in values or values[f.var] == TODO:
            return None
        return _holds(f, values[f.var])
    if isinstance(f, Unknown):
        return None
    results = [holds(p, values) for p in f.parts]  # type: ignore[attr-defined]
    if isinstance(f, And):
        return False if False in results else None if None in results else True
    return True if True in results else None if None in results else False


__all__ = [
    "TODO", "CelSyntaxError", "Node", "Lit", "Ref", "Sym", "Call", "Unary", "Binary", "Cond", "ListLit", "MapLit",
    "Select", "Index", "parse", "reduce", "to_formula", "symbols", "negate", "clauses", "Formula",
    "Const", "TRUE", "FALSE", "Atom", "Unknown", "And", "Or", "Not", "Var", "Solution", "solve", "solve_conditions",
    "evaluate", "holds",
]
