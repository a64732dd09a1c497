"""CEL expressions: compiled once, evaluated many times, never Python ``eval``.

Every condition, ``set`` assignment, action input, correlation key and assignee
expression of a document goes through :func:`compile_expression` when the document
is validated, and the compiled :class:`Expression` is kept in the immutable spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cel

#: Root names an expression may use (ARCHITECTURE §2). ``event`` and ``secrets`` only
#: where documented (``secrets`` in a background step's action inputs: runtime/secrets.py).
ROOT_NAMES = frozenset({"record", "inputs", "vars", "steps", "stages", "run", "now", "event", "secrets"})

_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
STRING_LITERAL = re.compile(r"""(?s)[rRbB]*('''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")""")
_MEMBER = re.compile(r"(?<![\w.])(steps|stages|inputs|vars|secrets)\s*\.\s*([A-Za-z_]\w*)")
_ROOT = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\b(?!\s*\()")
#: Characters in one expression.
MAX_SOURCE = 4000


class ExpressionSyntaxError(ValueError):
    """An expression that does not compile; ``column`` is 1-based."""

    def __init__(self, message: str, column: int | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.line = line


class ExpressionError(RuntimeError):
    """An expression that compiled but failed while evaluating (missing key, bad types...)."""


@dataclass(frozen=True)
class Expression:
    """A compiled CEL program and the source it came from."""

    source: str
    program: Any = field(repr=False, compare=False)
    roots: frozenset[str] = frozenset()
    members: frozenset[tuple[str, str]] = frozenset()
    #: For ``steps`` and ``stages``: the only members the expression reads, when it
    #: reads them all as ``steps.<id>``; absent when it uses the whole map.
    narrow: Mapping[str, frozenset[str]] = field(default_factory=dict, compare=False)
    #: Why the expression may not run: over the cost budget (ARCHITECTURE §2
    #: "Expressions and limits"), in a version stored before the budget was lowered.
    refused: str | None = field(default=None, compare=False)

    def evaluate(self, scope: cel.Context | Mapping[str, Any]) -> Any:
        """Evaluate against a scope made by :func:`make_scope` (or a plain mapping)."""
        if self.refused is not None:
            raise ExpressionError(f"`{self.source}`: {self.refused}")
        try:
            return self.program.execute(scope)
        except Exception as exc:  # the binding raises KeyError, TypeError, RuntimeError...
            raise ExpressionError(_describe_failure(self.source, exc)) from None


def compile_expression(source: str) -> Expression:
    """Compile ``source`` or raise :class:`ExpressionSyntaxError` with its column."""
    if not isinstance(source, str):
        raise ExpressionSyntaxError("must be a CEL expression (a string)")
    if not source.strip():
        raise ExpressionSyntaxError("must not be empty")
    if len(source) > MAX_SOURCE:
        raise ExpressionSyntaxError(f"is longer than {MAX_SOURCE} characters")
    try:
        program = cel.compile(source)
    except Exception as exc:
        raise _syntax_error(str(exc)) from None
    stripped = STRING_LITERAL.sub(lambda m: " " * len(m.group(0)), source)
    members = frozenset((str(m.group(1)), str(m.group(2))) for m in _MEMBER.finditer(stripped))
    roots = frozenset(program.variables()) & _candidate_roots(stripped)
    narrow: dict[str, frozenset[str]] = {}
    for root in ("steps", "stages"):
        uses = len(re.findall(rf"(?<![\w.]){root}\b", stripped))
        named = frozenset(member for r, member in members if r == root)
        if root in roots and uses == sum(1 for m in _MEMBER.finditer(stripped) if m.group(1) == root):
            narrow[root] = named
    return Expression(source=source, program=program, roots=roots, members=members, narrow=narrow)


def _candidate_roots(stripped: str) -> frozenset[str]:
    # program.variables() also lists comprehension variables (the x in all(x, ...));
    # those appear after the macro's opening parenthesis, roots do not need filtering
    # beyond that, so keep every identifier that is not a function call.
    return frozenset(m.group(1) for m in _ROOT.finditer(stripped))


def unknown_roots(expression: Expression, allowed: frozenset[str]) -> list[str]:
    """Root names used by ``expression`` that are not in ``allowed``.

    Comprehension variables (``x`` in ``list.all(x, x > 1)``) are not roots: a name
    bound by a macro in the same expression is ignored.
    """
    bound = set(re.findall(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,", expression.source))
    bound |= set(re.findall(r"\b(?:all|exists|exists_one|map|filter)\s*\(\s*[^,()]+,\s*([A-Za-z_]\w*)\s*,", expression.source))
    return sorted(name for name in expression.roots if name not in allowed and name not in bound)


def make_scope(values: Mapping[str, Any]) -> cel.Context:
    """A reusable evaluation scope; building it once per evaluation round is cheapest."""
    return cel.Context(dict(values))


def _syntax_error(text: str) -> ExpressionSyntaxError:
    match = _POSITION.search(text)
    if not match:
        return ExpressionSyntaxError(text.splitlines()[0] if text else "does not compile")
    line, column, message = int(match.group(1)), int(match.group(2)), match.group(3).strip()
    message = message[0].lower() + message[1:] if message else "does not compile"
    return ExpressionSyntaxError(f"{message} (line {line}, column {column})", column=column, line=line)


def _describe_failure(source: str, exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"`{source}`: no such key {exc.args[0]!r}"
    text = str(exc).split(". ")[0]
    return f"`{source}`: {text}"
