"""FEEL / JUEL / Python conditions of BPMN sequence flows -> CEL (issue 17).

Only simple comparisons and boolean logic are translated: names, dotted names,
numbers, strings, true/false/null, ``== != < <= > >=`` (and JUEL's ``eq ne lt le gt
ge``, FEEL's single ``=``), ``and or not`` / ``&& || !``, ``+ - * /`` and brackets.
Anything else (function calls, indexing, scripts) is not translated: ``translate``
returns None and the importer keeps the text and reports it. Names become process
variables, read as ``vars.<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runtime.expressions import ExpressionSyntaxError, compile_expression

__all__ = ["Translation", "translate"]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>=!()+\-*/])
  )""",
    re.VERBOSE,
)

_WORDS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
}
_LITERALS = {"true": "true", "false": "false", "null": "null", "True": "true", "False": "false", "None": "null"}
# CEL's reserved words cannot be a field name after `vars.` in every position; keep such conditions as text.
_CEL_RESERVED = {
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


@dataclass
class Translation:
    cel: str
    language: str
    #: variable name -> a type guessed from what it is compared with ("number", "string", "boolean"), or None
    names: dict[str, str | None] = field(default_factory=dict)


def _strip(text: str, language: str | None) -> tuple[str, str]:
    text = text.strip()
    lang = (language or "").lower()
    if (text.startswith("${") or text.startswith("#{")) and text.endswith("}"):
        return text[2:-1].strip(), "juel"
    if text.startswith("="):
        return text[1:].strip(), "feel"
    if "feel" in lang:
        return text, "feel"
    if "python" in lang:
        return text, "python"
    if "juel" in lang or "java" in lang:
        return text, "juel"
    return text, "feel" if re.search(r"(?<![=!<>])=(?!=)", text) else "python"


def translate(text: str, language: str | None = None) -> Translation | None:
    """The CEL of a simple condition, or None when it is not simple enough to translate."""
    body, lang = _strip(text, language)
    if not body:
        return None
    out: list[str] = []
    names: dict[str, str | None] = {}
    pos = 0
    depth = 0
    kinds: list[str] = []  # token kinds, to guess types: name op literal
    values: list[str] = []
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if match is None or match.end() == pos:
            if body[pos:].strip() == "":
                break
            return None
        pos = match.end()
        if match.group("number") is not None:
            out.append(match.group("number"))
            kinds.append("number")
        elif match.group("string") is not None:
            raw = match.group("string")[1:-1]
            out.append("'" + raw.replace('\\"', '"').replace("'", "\\'") + "'")
            kinds.append("string")
        elif match.group("name") is not None:
            word = match.group("name")
            if word in _WORDS:
                out.append(_WORDS[word])
                kinds.append("op")
            elif word in _LITERALS:
                out.append(_LITERALS[word])
                kinds.append("boolean" if word.lower() in ("true", "false") else "null")
            else:
                if pos < len(body) and body[pos:].lstrip().startswith("("):
                    return None  # a function or method call
                root = word.split(".")[0]
                out.append(f"vars.{word}")
                if "." in word:
                    names[root] = "map"
                    kinds.append("dotted")
                else:
                    names.setdefault(root, None)
                    kinds.append("name:" + root)
        else:
            op = match.group("op")
            if op == "=":
                if lang != "feel":
                    return None  # an assignment, not a comparison
                op = "=="
            if op == "(":
                depth += 1
            elif op == ")":
                depth -= 1
                if depth < 0:
                    return None
            out.append(op)
            kinds.append("op")
        values.append(out[-1])
    if depth != 0:
        return None
    # Operands and operators must alternate: `in stock` is prose, not a condition.
    previous = "op"
    for kind, value in zip(kinds, values, strict=True):
        operand = kind != "op"
        if operand and previous == "operand":
            return None
        if value == ")":
            previous = "operand"
        elif value == "(" or kind == "op":
            previous = "op"
        else:
            previous = "operand"
    if previous != "operand":
        return None
    # Guess each name's type from the literal it is compared with.
    for i, value in enumerate(values):
        if value in _COMPARISONS and 0 < i < len(values) - 1:
            left, right = kinds[i - 1], kinds[i + 1]
            for a, b in ((left, right), (right, left)):
                if a.startswith("name:") and b in ("number", "string", "boolean"):
                    names[a[5:]] = names[a[5:]] or b
    for i, kind in enumerate(kinds):  # a bare name used as a boolean: `approved && ...`, `!approved`
        if kind.startswith("name:"):
            before = values[i - 1] if i > 0 else None
            after = values[i + 1] if i + 1 < len(values) else None
            if before in (None, "&&", "||", "!", "(") and after in (None, "&&", "||", ")"):
                names[kind[5:]] = names[kind[5:]] or "boolean"
    cel = " ".join(out).replace("( ", "(").replace(" )", ")").replace("! ", "!")
    if any(root in _CEL_RESERVED for root in names):
        return None
    try:
        compile_expression(cel)
    except ExpressionSyntaxError:
        return None
    return Translation(cel, lang, names)
