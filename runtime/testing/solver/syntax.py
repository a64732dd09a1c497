"""The CEL syntax tree and its parser, for the part of CEL that conditions use.

The ``cel`` binding compiles an expression to an opaque program and exposes no tree,
so the grammar of the CEL specification is implemented here for what business
conditions need: literals, dotted names, calls, ``! -`` and the binary operators,
``? :``, lists, maps, member access and indexing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class CelSyntaxError(ValueError):
    """An expression outside the CEL grammar this module reads."""


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
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
RELATIONS = ("==", "!=", "<", "<=", ">", ">=", "in")


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
        while (op := self.accept(*RELATIONS)) is not None:
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
    prefix = token[: len(token) - len(token.lstrip("rRbB"))]
    body = token[len(prefix) :]
    quote = body[:3] if body[:3] in ("'''", '"""') else body[0]
    body = body[len(quote) : -len(quote)]
    if "r" in prefix.lower():
        return body
    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", lambda m: _unescape(m.group(1)), body, flags=re.DOTALL)


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
