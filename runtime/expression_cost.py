"""Static cost of a CEL expression (ARCHITECTURE §2, "Expressions and limits").

The ``cel`` package runs an expression as one Rust call: nothing can interrupt it,
and under any serving model a long call holds its worker. So an expression is
refused when it is validated if the work it *could* do, with every collection as
large as :mod:`runtime.limits` lets it be, exceeds a budget.

Why tokens and not an AST: the package exposes no syntax tree (``Program`` only has
``variables()``, ``functions()`` and ``references()``), and writing a second CEL
parser would be a second grammar to keep in step with the Rust one. Tokens suffice
because the estimate runs only on sources ``cel.compile`` accepted, so brackets
balance, and the only CEL constructs that repeat work are the comprehension macros,
always written ``receiver.all(x, body)`` (``exists``, ``exists_one``, ``map``,
``filter``): the body, inside the macro's parentheses, runs once per item of the
receiver. Bracket nesting therefore *is* comprehension nesting. What tokens do not
give is the type of an operand, so every operation that may touch a whole collection
or string is charged as if it did (a bound, not a guess).

The unit is one element operation (copying or comparing one value: 10–45 ns in
cel 0.10, as bench/expression_cost.py measures). Charges, each multiplied by the
sizes of the comprehensions around the site:

- a comprehension over ``r`` items: ``STEP`` per item; ``map`` and ``filter`` also
  ``2r²``, since they rebuild their result list at each step; and, when the body
  reads into its item (``x.f``, ``x[0]``) or compares it (``x == y``), the cap on
  all values of one input, once: all items together hold no more;
- ``in``, ``==`` and ``!=`` (but for two items or a literal scalar), a field
  selection or index not on a comprehension item,
  a list or map literal's element, and the built-ins that scan a string or list
  (``size``, ``contains``, ``matches``...): the list cap ``S`` each;
- ``+``: ``S`` times the number of ``+`` in the expression, since a chain of ``k``
  concatenations copies ``k²/2`` collections;
- any other token: 1.

``r`` is the item count of a list or map literal receiver, the ``max_items`` of an
input or variable declared with one, else ``S`` (times one plus the ``+`` in the
receiver, which may concatenate lists). A declared ``max_items`` also replaces ``S``
when that input or variable is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from runtime.limits import Limits, current

MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
#: Built-ins whose work grows with the size of an argument.
LINEAR_FUNCTIONS = frozenset({"size", "contains", "startsWith", "endsWith", "matches", "string", "bytes"})
#: A comprehension step against one element operation (bench/expression_cost.py).
STEP = 5

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<string>
        (?:[bB][rR]|[rR][bB]|[rR])(?:'''.*?'''|\"\"\".*?\"\"\"|'[^'\n]*'|"[^"\n]*")
      | [bB]?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")
    )
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>&&|\|\||==|!=|<=|>=|\?\.|[-+*/%!<>?:.,()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


@dataclass(frozen=True)
class Token:
    kind: str  # string, number, ident, punct, other
    text: str
    offset: int


@dataclass(frozen=True)
class Cost:
    """The estimate: ``total`` units; ``offset`` is where the costliest part starts.

    ``offset`` points at the outermost comprehension whose own cost is over the
    budget it was estimated against, else at the single costliest site.
    """

    total: int
    offset: int
    depth: int
    macro: str | None


def tokenize(source: str) -> list[Token]:
    """CEL's tokens, without spaces and comments; a character no rule knows is one token."""
    tokens = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            tokens.append(Token("other", source[position], position))
            position += 1
            continue
        kind = match.lastgroup or "other"
        if kind != "space":
            tokens.append(Token(kind, match.group(0), position))
        position = match.end()
    return tokens


def estimate(
    source: str,
    *,
    limits: Limits | None = None,
    scalars: frozenset[tuple[str, str]] = frozenset(),
    sizes: Mapping[tuple[str, str], int] | None = None,
) -> Cost:
    """The static cost of ``source`` (a source ``cel.compile`` accepted).

    Args:
        source: The expression.
        limits: The caps sizes are taken from; default: :func:`runtime.limits.current`.
        scalars: ``(root, name)`` pairs known to hold no collection (``("inputs",
            "amount")`` for a declared number); reading them costs 1, not ``S``.
        sizes: ``(root, name)`` of lists and maps declared with ``max_items``: that
            size replaces ``S`` when they are read or iterated.
    """
    return _Estimate(tokenize(source), limits or current(), scalars, sizes or {}).run()


@dataclass(frozen=True)
class _Comprehension:
    index: int  # the macro name's token
    macro: str
    variable: str | None
    body_start: int
    body_end: int  # the closing parenthesis
    range: int
    reads_item: bool

    def holds(self, index: int) -> bool:
        return self.body_start <= index <= self.body_end


class _Estimate:
    def __init__(self, tokens: list[Token], limits: Limits, scalars: frozenset[tuple[str, str]], sizes: Mapping[tuple[str, str], int]):
        self.tokens, self.limits, self.scalars, self.sizes = tokens, limits, scalars, sizes
        self.size = limits.max_list_items
        self.closing, self.enclosing = _match_brackets(tokens)
        self.opening = {close: open_ for open_, close in self.closing.items()}
        self.chain_starts: dict[int, int] = {}
        self.pluses = sum(1 for t in tokens if _is(t, "+"))
        self.comprehensions: list[_Comprehension] = []
        self.bound: set[str] = set()

    def run(self) -> Cost:
        tokens = self.tokens
        self.comprehensions = [c for c in map(self._comprehension, range(len(tokens))) if c is not None]
        self.bound = {c.variable for c in self.comprehensions if c.variable}
        factor = self._factors()
        charges = [factor[index] * self._site_charge(index) for index in range(len(tokens))]
        for comp in self.comprehensions:
            own = STEP * comp.range + (2 * comp.range * comp.range if comp.macro in ("map", "filter") else 0)
            if comp.reads_item:
                own += self.limits.max_value_items
            charges[comp.index] += factor[comp.index] * own
        return self._locate(charges)

    # ---- structure

    def _comprehension(self, index: int) -> _Comprehension | None:
        tokens = self.tokens
        token = tokens[index]
        if not (token.kind == "ident" and token.text in MACROS and _is(_at(tokens, index - 1), ".") and _is(_at(tokens, index + 1), "(")):
            return None
        close = self.closing[index + 1]
        variable_token = _at(tokens, index + 2)
        variable = variable_token.text if variable_token is not None and variable_token.kind == "ident" else None
        comma = next((k for k in range(index + 2, close) if _is(tokens[k], ",") and self.enclosing[k] == index + 1), None)
        body_start = comma + 1 if comma is not None else close
        reads_item = variable is not None and any(
            tokens[k].kind == "ident"
            and tokens[k].text == variable
            and not _is(_at(tokens, k - 1), ".")
            and (_is(_at(tokens, k + 1), ".") or _is(_at(tokens, k + 1), "[") or self._compared(k))
            for k in range(body_start, close)
        )
        return _Comprehension(index, token.text, variable, body_start, close, self._receiver_range(index - 2), reads_item)

    def _chain_start(self, end: int) -> int:
        """Index of the first token of the postfix chain ending at ``end`` (``a.b[c](d)``).

        Every position walked through has the same start: remembered, so that the
        selections of a long chain cost linear time, not quadratic.
        """
        tokens = self.tokens
        index = end
        walked = []
        while index > 0:
            if index in self.chain_starts:
                index = self.chain_starts[index]
                break
            walked.append(index)
            token = tokens[index]
            if token.kind == "punct" and token.text in _CLOSE:
                index = self.opening.get(index, index)
                if tokens[index].text in "([" and _ends_operand(_at(tokens, index - 1)):
                    index -= 1  # a call or an index: what it applies to belongs to the chain
                    continue
            if _is(_at(tokens, index - 1), ".") or _is(_at(tokens, index - 1), "?."):
                index -= 2
                continue
            break
        start = max(index, 0)
        for position in walked:
            self.chain_starts[position] = start
        return start

    def _receiver_range(self, end: int) -> int:
        if end < 0:
            return self.size
        start = self._chain_start(end)
        first = self.tokens[start]
        if first.kind == "punct" and first.text in ("[", "{") and self.closing.get(start) == end:
            if end == start + 1:
                return 0
            commas = sum(1 for k in range(start + 1, end) if _is(self.tokens[k], ",") and self.enclosing[k] == start)
            return commas + (0 if _is(self.tokens[end - 1], ",") else 1)
        pluses = sum(1 for k in range(start, end + 1) if _is(self.tokens[k], "+"))
        return self._declared(start, end, self.size) * (1 + pluses)

    def _declared(self, start: int, end: int, otherwise: int) -> int:
        """The declared size of ``inputs.x`` / ``vars.x`` spanning tokens start..end, else ``otherwise``."""
        if end == start + 2 and _is(self.tokens[start + 1], ".") and self.tokens[end].kind == "ident":
            return self.sizes.get((self.tokens[start].text, self.tokens[end].text), otherwise)
        return otherwise

    def _factors(self) -> list[int]:
        """For each token, the product of the ranges of the comprehension bodies around it."""
        factor = []
        open_bodies: list[_Comprehension] = []
        by_start: dict[int, list[_Comprehension]] = {}
        for comp in self.comprehensions:
            by_start.setdefault(comp.body_start, []).append(comp)
        product = 1
        for index in range(len(self.tokens)):
            changed = False
            while open_bodies and open_bodies[-1].body_end < index:
                open_bodies.pop()
                changed = True
            for comp in by_start.get(index, ()):
                open_bodies.append(comp)
                changed = True
            if changed:
                product = 1
                for comp in open_bodies:
                    product *= comp.range
            factor.append(product)
        return factor

    # ---- charges

    def _site_charge(self, index: int) -> int:
        tokens, size = self.tokens, self.size
        token = tokens[index]
        before, after = _at(tokens, index - 1), _at(tokens, index + 1)
        if token.kind == "ident":
            if token.text == "in" and not _is(before, "."):
                return size
            if token.text in LINEAR_FUNCTIONS and _is(after, "("):
                return size
            if (_is(before, ".") or _is(before, "?.")) and not _is(after, "("):
                return self._selection_charge(index, index - 2)
            return 1
        if token.kind != "punct":
            return 1
        if token.text in ("==", "!="):
            # Comparing with a literal scalar stops at the literal's size; comparing two
            # comprehension items is paid once by their comprehensions, like reads into them.
            scalar = ("string", "number")
            if any(t is not None and (t.kind in scalar or t.text in ("true", "false", "null")) for t in (before, after)):
                return 1
            if self._bare_item(index - 1) and self._bare_item(index + 1):
                return 1
            return size
        if token.text == "+":
            return size * self.pluses
        if token.text == "[" and _ends_operand(before):
            return self._selection_charge(index, index - 1)
        if token.text in ("[", "{") or (token.text == "," and self._in_literal(index)):
            # A literal copies each element it holds: a whole collection, unless the
            # element is itself a literal number, string, true, false or null.
            if after is not None and (after.kind in ("string", "number") or after.text in ("true", "false", "null", "-", "]", "}")):
                return 1
            return size
        return 1

    def _bare_item(self, index: int) -> bool:
        """The token is a comprehension item on its own (not ``x.f``, ``x[0]``, ``a.x``), or a literal."""
        token = _at(self.tokens, index)
        if token is None:
            return False
        if token.kind in ("string", "number") or token.text in ("true", "false", "null"):
            return True
        return (
            token.kind == "ident"
            and token.text in self.bound
            and not any(_is(_at(self.tokens, index - 1), p) for p in (".", "?."))
            and not any(_is(_at(self.tokens, index + 1), p) for p in (".", "?.", "[", "("))
        )

    def _compared(self, index: int) -> bool:
        """The token is an operand of ``==`` or ``!=``."""
        return any(_is(_at(self.tokens, k), op) for k in (index - 1, index + 1) for op in ("==", "!="))

    def _selection_charge(self, index: int, operand_end: int) -> int:
        """Selecting a field or an item copies it: ``S``, unless it is known to be small.

        Reads into a comprehension item are paid once by the comprehension (all items
        together hold at most the cap on values); ``inputs.amount`` declared a number is 1.
        """
        start = self._chain_start(operand_end)
        head = self.tokens[start]
        if head.kind == "ident" and head.text in self.bound:
            return 1
        if start == index - 2 and (head.text, self.tokens[index].text) in self.scalars:
            return 1
        return self._declared(start, index, self.size)

    def _in_literal(self, comma: int) -> bool:
        """The comma separates elements of a list or map literal."""
        bracket = self.enclosing[comma]
        return bracket >= 0 and self.tokens[bracket].text in ("[", "{") and not _ends_operand(_at(self.tokens, bracket - 1))

    def _locate(self, charges: list[int]) -> Cost:
        total = sum(charges)
        if not self.tokens:
            return Cost(total, 0, 0, None)
        comps = self.comprehensions
        nesting = {c.index: sum(1 for o in comps if o.holds(c.index)) for c in comps}
        running = [0]
        for charge in charges:
            running.append(running[-1] + charge)
        for comp in comps:  # in source order: outermost first
            if charges[comp.index] + running[comp.body_end + 1] - running[comp.body_start] > self.limits.expression_budget:
                depth = max(nesting[c.index] - nesting[comp.index] + 1 for c in comps if c is comp or comp.holds(c.index))
                return Cost(total, self.tokens[comp.index - 1].offset, depth, comp.macro)
        costliest = max(range(len(self.tokens)), key=lambda k: charges[k])
        return Cost(total, self.tokens[costliest].offset, 0, None)


def _match_brackets(tokens: list[Token]) -> tuple[dict[int, int], list[int]]:
    """Opening bracket → its closing bracket (an unclosed one closes at the end), and for
    each token the innermost bracket open around it (-1: none)."""
    closing: dict[int, int] = {}
    enclosing: list[int] = []
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind == "punct" and token.text in _CLOSE and stack and tokens[stack[-1]].text == _CLOSE[token.text]:
            closing[stack.pop()] = index
        enclosing.append(stack[-1] if stack else -1)
        if token.kind == "punct" and token.text in _OPEN:
            stack.append(index)
    for index in stack:
        closing[index] = len(tokens) - 1
    return closing, enclosing


def _is(token: Token | None, text: str) -> bool:
    return token is not None and token.kind == "punct" and token.text == text


def _at(tokens: list[Token], index: int) -> Token | None:
    return tokens[index] if 0 <= index < len(tokens) else None


def _ends_operand(token: Token | None) -> bool:
    """The token can end an operand, so a ``[`` or ``(`` after it indexes or calls."""
    if token is None:
        return False
    if token.kind in ("ident", "string", "number"):
        return token.text != "in"
    return token.kind == "punct" and token.text in (")", "]", "}")
