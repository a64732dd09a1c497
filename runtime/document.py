"""Validation of the orchestration document (ARCHITECTURE §2, runtime/FORMAT.md).

The builder calls :func:`validate` on every save and the engine calls :func:`check`
on activation; both get every problem at once, as :class:`ValidationIssue` objects
that point at a node (or an edge), a field path inside it and, for expressions, a
column. Nothing here raises on bad input, whatever its shape.

The checks run in three layers:

1. **Structure** — marshmallow schemas, one per node type and sub-object, with
   unknown fields rejected. Values keep their JSON types (``"1"`` is not a number,
   ``true`` is not ``1``).
2. **Graph** — one start, reachable ends, edge counts per node type, decision
   outcomes, no cycle of stages without a decision.
3. **Semantics** — references between nodes, declared inputs and variables,
   actions and their inputs, and every CEL expression compiled with the names
   in scope where it is evaluated.

Issues are recorded against a path in the document (``("nodes", 3, "form",
"fields", 0, "type")``), then located (node id ``review``, field
``form.fields[0].type``) and sorted by their position in the document. A layer
skips what an earlier layer already found broken, so one mistake gives one issue.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import Equal, Length

from runtime import limits
from runtime.actions import ActionRegistry, default_registry
from runtime.durations import MAX_YEARS, moment_problem, parse_duration
from runtime.errors import ValidationIssue
from runtime.expression_cost import estimate
from runtime.expressions import (
    STRING_LITERAL,
    Expression,
    ExpressionError,
    ExpressionSyntaxError,
    compile_expression,
    unknown_roots,
)
from runtime.values import FORM_FIELD_TYPES, INPUT_TYPES, check_form_value, check_type

__all__ = ["Checked", "check", "validate", "NODE_TYPES", "STEP_TYPES"]

FORMAT = 1
STEP_TYPES = ("interactive", "background", "wait")
NODE_TYPES = ("start", "stage", *STEP_TYPES, "decision", "end")

#: Names in scope in expressions (FORMAT.md "Expressions").
SCOPE = frozenset({"record", "inputs", "vars", "steps", "stages", "run", "now"})
TRIGGER_SCOPE = frozenset({"record", "now"})
EVENT_SCOPE = SCOPE | {"event"}
#: A background step's action inputs may also name secrets (runtime/secrets.py).
ACTION_INPUT_SCOPE = SCOPE | {"secrets"}

#: Shapes of credentials typed into a document, and what each is (a warning names it).
_CREDENTIAL_SHAPES = (
    (re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), "an Authorization header value"),
    (re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}"), "an API key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), "a Google API key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "a JSON Web Token"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"(?i)\bhttps?://[^/\s:@'\"]+:[^/\s@'\"]+@"), "a password in a URL"),
)
#: A map key that names a credential, given a literal string in an expression:
#: ``{'api_key': 'abc123'}``. ``{'api_key': secrets.crm}`` is what it should be.
_CREDENTIAL_KEY = re.compile(
    r"""(?i)(['"])(password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|api[_-]?key|apikey|"""
    r"""authorization|x-api-key|private_key)\1\s*:\s*(?:'[^']+'|"[^"]+")\s*[,}]"""
)
_CREDENTIAL_ADVICE = (
    "it is stored with every version and shown to whoever reads the document: keep it in the "
    "secrets store (Admin, Secrets) and write secrets.<name> in the action's inputs instead"
)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER_RULE = "a letter or _ followed by letters, digits or _ (at most 64 characters)"
_SHOWN = 40

Path = tuple[Any, ...]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Checked:
    """What :func:`check` found.

    Attributes:
        issues: Errors and warnings, every problem at once, in document order.
        expressions: Every expression that compiled, keyed by (node id or ``None``
            for the top level, field path) exactly as issues name them, e.g.
            ``("size", "outcomes[0].condition")`` or ``(None, "trigger.condition")``.
    """

    issues: list[ValidationIssue]
    expressions: dict[tuple[str | None, str], Expression] = field(default_factory=dict)
    #: Errors that are not about an expression's cost.
    other_errors: int = 0

    @property
    def ok(self) -> bool:
        """True when no issue is an error (warnings do not block activation)."""
        return not any(issue.severity == "error" for issue in self.issues)

    @property
    def runnable(self) -> bool:
        """True when the only errors are expressions over the cost budget.

        A version stored before the budget was lowered still loads, so that its runs
        can be read and cancelled; its costly expressions are refused when evaluated.
        """
        return self.other_errors == 0


def check(
    document: Any,
    *,
    actions: ActionRegistry | None = None,
    now: datetime | None = None,
    secrets: Collection[str] | None = None,
    record_types: Mapping[str, Collection[Mapping[str, Any]]] | None = None,
) -> Checked:
    """Check an orchestration document completely.

    Args:
        document: The decoded JSON document, of any shape.
        actions: The registry background steps are checked against; default: the
            built-in actions (without plug-ins).
        now: When given, a constant timer ``at`` time must be within
            ``MAX_YEARS`` years of it (the runtime checks computed ones as it starts
            the timer).
        secrets: The names in the secrets store: ``secrets.<name>`` naming none of
            them is a warning (None: not checked, as at activation).
        record_types: The record types by name, each a list of its fields
            (``{"name", "type", "options"...}``): a record trigger on a type that does
            not exist, or whose condition compares a field with options to a value
            outside them, is a warning (None: not checked, as at activation).

    Returns:
        The issues found and the compiled expressions.
    """
    checker = _Checker(document, actions if actions is not None else _builtin_actions(), now, secrets, record_types)
    checker.run()
    return checker.result()


def validate(
    document: Any,
    *,
    actions: ActionRegistry | None = None,
    now: datetime | None = None,
    secrets: Collection[str] | None = None,
    record_types: Mapping[str, Collection[Mapping[str, Any]]] | None = None,
) -> list[ValidationIssue]:
    """The issues of :func:`check`: errors and warnings, in document order."""
    return check(document, actions=actions, now=now, secrets=secrets, record_types=record_types).issues


_BUILTIN_ACTIONS: ActionRegistry | None = None


def _builtin_actions() -> ActionRegistry:
    global _BUILTIN_ACTIONS
    if _BUILTIN_ACTIONS is None:
        _BUILTIN_ACTIONS = default_registry(plugins=False)
    return _BUILTIN_ACTIONS


def _credential_in(text: str, *, expression: bool) -> tuple[str, int | None] | None:
    """(what it looks like, 1-based column in an expression) of the first credential in ``text``."""
    if expression:
        key = _CREDENTIAL_KEY.search(text)
        if key is not None:
            return f"a credential (a literal value for the key {key.group(2)!r})", key.start() + 1
        literals = [(m.start(1), m.group(1)) for m in STRING_LITERAL.finditer(text)]
    else:
        literals = [(0, text)]
    for start, literal in literals:
        for shape, what in _CREDENTIAL_SHAPES:
            match = shape.search(literal)
            if match is not None:
                return what, (start + match.start() + 1) if expression else None
    return None


def _column_of(name: str, source: str) -> int | None:
    """1-based column of the first use of the root name ``name`` in ``source`` (outside string literals)."""
    stripped = STRING_LITERAL.sub(lambda m: " " * len(m.group(0)), source)
    match = re.search(rf"(?<![\w.]){re.escape(name)}\b", stripped)
    return match.start() + 1 if match else None


#: A string literal in CEL, its text in group 2 (no escapes inside: those are rare in names).
_LITERAL = r"""(?:'([^'\\]*)'|"([^"\\]*)")"""


def _compared_literals(source: str, reference: str) -> Iterator[tuple[str, str, int]]:
    """(name, literal, 1-based column of the literal) for each ``<reference> == 'x'``,
    ``'x' == <reference>``, ``!=`` and ``<reference> in ['x', 'y']`` in ``source``.

    ``reference`` is a regular expression whose first group is the name (the field or
    the step id), matched where it is not part of a longer name.
    """
    ref = rf"(?<![\w.]){reference}(?![\w(])"
    patterns = (
        rf"{ref}\s*(?:==|!=)\s*{_LITERAL}",
        rf"{_LITERAL}\s*(?:==|!=)\s*{ref}",
    )
    for number, pattern in enumerate(patterns):
        for match in re.finditer(pattern, source):
            name = match.group(1) if number == 0 else match.group(3)
            group = 2 if number == 0 else 1
            text = match.group(group) if match.group(group) is not None else match.group(group + 1)
            start = match.start(group) if match.group(group) is not None else match.start(group + 1)
            yield name, text, start
    for match in re.finditer(rf"{ref}\s+in\s*\[([^\]]*)\]", source):
        for literal in re.finditer(_LITERAL, match.group(2)):
            which = 1 if literal.group(1) is not None else 2
            yield match.group(1), literal.group(which), match.start(2) + literal.start(which)


def _show(value: Any) -> str:
    """A short repr for messages: documents may hold megabytes of garbage."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _a(word: str) -> str:
    """``word`` with its indefinite article: "a stage", "an interactive"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _one_of(choices: Any) -> str:
    return "must be one of: " + ", ".join(choices)


def _identifier_problem(value: Any) -> str | None:
    if isinstance(value, str) and _IDENTIFIER.match(value):
        return None
    return f"must be an identifier: {_IDENTIFIER_RULE}"


# --------------------------------------------------------------------------- fields
# Strict JSON fields with messages that say what is expected. marshmallow's own
# String/Integer/Boolean coerce ("1" -> 1, 1 -> True); a document must not.


class _Field(fields.Field[Any]):
    default_error_messages = {"required": "is required", "null": "must not be null", "validator_failed": "is not valid"}


class _Text(_Field):
    def __init__(self, *, min_length: int = 0, max_length: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.min_length, self.max_length = min_length, max_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("must be a string")
        if len(value) < self.min_length:
            raise ValidationError("must not be empty")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(f"must be at most {self.max_length} characters")
        return value


class _Identifier(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and _identifier_problem(value) is None:
            return value
        raise ValidationError(str(_identifier_problem(value)))


class _Key(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not (isinstance(value, str) and _KEY.match(value)):
            raise ValidationError("must be a lower-case identifier: a letter a-z followed by a-z, 0-9 or _ (at most 64 characters)")
        return value


class _Choice(_Field):
    def __init__(self, choices: tuple[str, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not (isinstance(value, str) and value in self.choices):
            raise ValidationError(_one_of(self.choices))
        return value


class _Boolean(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class _Integer(_Field):
    def __init__(self, *, minimum: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be an integer")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"must be at least {self.minimum}")
        return value


class _Number(_Field):
    def __init__(self, *, minimum: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum = minimum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if check_type("number", value):
            raise ValidationError("must be a number")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"must be at least {self.minimum}")
        number: float = value  # an int or a float: check_type said so
        return number


class _Cel(_Field):
    """A CEL expression; it is compiled by the semantic layer, which knows its scope."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("must be a CEL expression (a string)")
        return value


class _Duration(_Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            parse_duration(value)
        except ValueError as exc:
            if isinstance(value, str) and "longer than" in str(exc):
                raise ValidationError(f"must be at most {MAX_YEARS} years, not {_show(value)}") from None
            raise ValidationError(f"must be an ISO-8601 duration such as P2D, PT4H or P1M, not {_show(value)}") from None
        text: str = value  # parse_duration took it, so a string
        return text


class _Any(_Field):
    def __init__(self, **kwargs: Any):
        super().__init__(allow_none=True, **kwargs)


class _FreeForm(_Field):
    """``ui``: any object, never looked into."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("must be an object")
        return value


class _Object(_Field, fields.Nested):
    default_error_messages = {"type": "must be an object"}


class _List(_Field, fields.List[Any]):
    default_error_messages = {"invalid": "must be a list"}


class _ExpressionMap(_Field):
    """``{"<name>": "<cel>"}``: a step's ``set`` and a background step's ``inputs``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("must be an object mapping names to CEL expressions")
        errors: dict[Any, list[str]] = {}
        for name, source in value.items():
            problem = _identifier_problem(name)
            if problem is None and not isinstance(source, str):
                problem = "must be a CEL expression (a string)"
            if problem:
                errors[name] = [problem]
        if errors:
            raise ValidationError(errors)
        return dict(value)


class _Variant(_Field):
    """An object whose schema depends on one field of it (``when``, ``type``)."""

    def __init__(self, tag: str, schemas: dict[str, Schema], **kwargs: Any):
        super().__init__(**kwargs)
        self.tag, self.schemas = tag, schemas

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValidationError("must be an object")
        if self.tag not in value:
            raise ValidationError({self.tag: ["is required"]})
        choice = value[self.tag]
        schema = self.schemas.get(choice) if isinstance(choice, str) else None
        if schema is None:
            raise ValidationError({self.tag: [_one_of(self.schemas)]})
        loaded: dict[str, Any] = schema.load(value)  # marshmallow types a load as Any
        return loaded


def _unique(items: list[Any]) -> None:
    seen: list[Any] = []
    for item in items:
        if item in seen:
            raise ValidationError(f"lists {_show(item)} more than once")
        seen.append(item)


# --------------------------------------------------------------------------- schemas


class _Strict(Schema):
    error_messages = {"unknown": "unknown field", "type": "must be an object"}

    class Meta:
        unknown = RAISE


class _ManualTrigger(_Strict):
    type = _Choice(("manual",), required=True)


class _RecordTrigger(_Strict):
    type = _Choice(("record",), required=True)
    object = _Identifier(required=True)
    on = _List(
        _Choice(("create", "update")),
        required=True,
        validate=[Length(min=1, error="must not be empty: list create, update or both"), _unique],
    )
    condition = _Cel()


class _InputSchema(_Strict):
    name = _Identifier(required=True)
    type = _Choice(INPUT_TYPES, required=True)
    required = _Boolean()
    max_items = _Integer(minimum=0)
    label = _Text(max_length=200)
    description = _Text()
    default = _Any()


class _VariableSchema(_Strict):
    name = _Identifier(required=True)
    type = _Choice(INPUT_TYPES, required=True)
    max_items = _Integer(minimum=0)
    label = _Text(max_length=200)
    description = _Text()
    default = _Any()


class _DocumentSchema(_Strict):
    format = _Integer(required=True, validate=Equal(FORMAT, error=f"must be {FORMAT}, the only format this runtime reads"))
    key = _Key(required=True)
    label = _Text(required=True, min_length=1, max_length=200)
    description = _Text()
    trigger = _Variant("type", {"manual": _ManualTrigger(), "record": _RecordTrigger()})
    inputs = _List(_Object(_InputSchema))
    variables = _List(_Object(_VariableSchema))
    # Nodes and edges are loaded one by one, each with the schema of its type.
    nodes = _Any(required=True)
    edges = _Any(required=True)
    ui = _FreeForm()


class _AssigneeSchema(_Strict):
    type = _Choice(("user", "group", "queue", "expression"), required=True)
    value = _Text(required=True, min_length=1)


class _FormFieldSchema(_Strict):
    name = _Identifier(required=True)
    type = _Choice(FORM_FIELD_TYPES, required=True)
    label = _Text(max_length=200)
    required = _Boolean()
    options = _List(_Text(min_length=1), validate=[Length(min=1, error="must list at least one option"), _unique])
    help = _Text()
    default = _Any()


class _FormOutcomeSchema(_Strict):
    value = _Identifier(required=True)
    label = _Text(max_length=200)


class _FormSchema(_Strict):
    # A field named like Schema.fields (the declared fields), which marshmallow allows.
    fields = _List(_Object(_FormFieldSchema))  # type: ignore[assignment]
    outcomes = _List(
        _Object(_FormOutcomeSchema),
        required=True,
        validate=Length(min=1, error="needs at least one outcome (what the person can answer)"),
    )


class _EscalationSchema(_Strict):
    after = _Duration()
    action = _Choice(("notify", "reassign"), required=True)
    to = _Object(_AssigneeSchema)


class _ApprovalSchema(_Strict):
    policy = _Choice(("any", "all", "quorum"), required=True)
    approvers = _List(
        _Object(_AssigneeSchema),
        validate=Length(min=1, error="must not be empty; leave it out to use the assignee"),
    )
    quorum = _Integer(minimum=1)
    approve_outcome = _Identifier()


class _RetrySchema(_Strict):
    max_attempts = _Integer(minimum=1)
    backoff = _Duration()
    multiplier = _Number(minimum=1)
    max_backoff = _Duration()


class _EventSchema(_Strict):
    name = _Identifier(required=True)
    correlation = _Cel(required=True)
    buffer = _Boolean()


class _TimerSchema(_Strict):
    duration = _Duration()
    at = _Cel()


class _DecisionOutcomeSchema(_Strict):
    id = _Identifier(required=True)
    label = _Text(max_length=200)
    condition = _Cel(required=True)


class _EntrySchema(_Strict):
    condition = _Cel(required=True)


class _WhenSchema(_Strict):
    when = _Choice(("all_steps", "stage_start"), required=True)


class _ConditionSchema(_Strict):
    when = _Choice(("condition",), required=True)
    condition = _Cel(required=True)


class _AfterSchema(_Strict):
    when = _Choice(("after",), required=True)
    steps = _List(_Identifier(), required=True, validate=Length(min=1, error="must list at least one step"))


class _NodeSchema(_Strict):
    id = _Identifier(required=True)
    type = _Choice(NODE_TYPES, required=True)
    label = _Text(max_length=200)
    description = _Text()
    ui = _FreeForm()


class _StartSchema(_NodeSchema):
    pass


class _EndSchema(_NodeSchema):
    pass


class _StageSchema(_NodeSchema):
    label = _Text(required=True, min_length=1, max_length=200)
    entry = _Object(_EntrySchema, allow_none=True)
    exit = _Variant("when", {"all_steps": _WhenSchema(), "condition": _ConditionSchema()})


class _StepSchema(_NodeSchema):
    label = _Text(required=True, min_length=1, max_length=200)
    stage = _Identifier(required=True)
    start = _Variant("when", {"stage_start": _WhenSchema(), "after": _AfterSchema(), "condition": _ConditionSchema()})
    set = _ExpressionMap()


class _InteractiveSchema(_StepSchema):
    assignee = _Object(_AssigneeSchema, required=True)
    form = _Object(_FormSchema, required=True)
    due = _Duration()
    escalation = _Object(_EscalationSchema)
    approval = _Object(_ApprovalSchema)


class _BackgroundSchema(_StepSchema):
    action = _Text(required=True, min_length=1)
    inputs = _ExpressionMap()
    retry = _Object(_RetrySchema)


class _WaitSchema(_StepSchema):
    until = _Cel()
    event = _Object(_EventSchema)
    timer = _Object(_TimerSchema)


class _DecisionSchema(_NodeSchema):
    outcomes = _List(_Object(_DecisionOutcomeSchema))


class _EdgeSchema(_Strict):
    id = _Identifier(required=True)
    source = _Identifier(required=True)
    target = _Identifier(required=True)
    outcome = _Identifier()
    kind = _Choice(("error",))
    label = _Text(max_length=200)
    ui = _FreeForm()


_DOCUMENT_SCHEMA = _DocumentSchema()
_EDGE_SCHEMA = _EdgeSchema()
_NODE_SCHEMAS: dict[str, Schema] = {
    "start": _StartSchema(),
    "end": _EndSchema(),
    "stage": _StageSchema(),
    "interactive": _InteractiveSchema(),
    "background": _BackgroundSchema(),
    "wait": _WaitSchema(),
    "decision": _DecisionSchema(),
}


def _load(schema: Schema, raw: Any) -> tuple[dict[str, Any], dict[Any, Any]]:
    """Load ``raw``; return what loaded cleanly and marshmallow's nested errors."""
    try:
        return schema.load(raw), {}
    except ValidationError as exc:
        data = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return data, errors


def _flatten(errors: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """marshmallow's nested error dict as (path, message) pairs."""
    if isinstance(errors, dict):
        for key, sub in errors.items():
            yield from _flatten(sub, path if key == "_schema" else (*path, key))
    elif isinstance(errors, list):
        for item in errors:
            yield from _flatten(item, path)
    else:
        yield path, str(errors)


def _clean(errors: Any, path: Path) -> bool:
    """True when marshmallow reported nothing at ``path`` or under it."""
    for part in path:
        if not isinstance(errors, dict) or "_schema" in errors:
            return False
        if part not in errors:
            return True
        errors = errors[part]
    return not errors


# --------------------------------------------------------------------------- model


@dataclass
class _Item:
    """One node or edge as loaded: its id if usable, what loaded, what did not."""

    section: str
    index: int
    raw: dict[str, Any]
    id: str | None
    type: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[Any, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return (self.section, self.index)

    def at(self, *parts: Any) -> Path:
        return (self.section, self.index, *parts)

    def ok(self, *parts: Any) -> bool:
        """The value at ``parts`` loaded without any structural error."""
        return _clean(self.errors, parts)

    @property
    def key(self) -> str:
        """The id of a node known to have one: found in ``by_id``, or once every node has one."""
        assert self.id is not None
        return self.id

    def get(self, name: str, default: Any = None) -> Any:
        """A top-level field, if present and structurally sound."""
        return self.data.get(name, default) if self.ok(name) else default

    @property
    def is_step(self) -> bool:
        return self.type in STEP_TYPES


@dataclass
class _Finding:
    path: Path
    message: str
    severity: str = "error"
    column: int | None = None
    costly: bool = False


# --------------------------------------------------------------------------- checker


class _Checker:
    """One validation pass over one document; use :func:`check`."""

    def __init__(
        self,
        document: Any,
        actions: ActionRegistry,
        now: datetime | None = None,
        secrets: Collection[str] | None = None,
        record_types: Mapping[str, Collection[Mapping[str, Any]]] | None = None,
    ):
        self.document = document
        self.record_types = record_types
        self.actions = actions
        self.now = now
        self.secret_names = frozenset(secrets) if secrets is not None else None
        self.findings: list[_Finding] = []
        self.compiled: dict[Path, Expression] = {}
        # Every expression's source, compiled or not: what reads a step's outcome (_check_unread_outcomes).
        self.sources: dict[Path, str] = {}
        self.top: dict[str, Any] = {}
        self.top_errors: dict[Any, Any] = {}
        self.nodes: list[_Item] | None = None
        self.edges: list[_Item] | None = None
        self.by_id: dict[str, _Item] = {}
        # Nodes and edges by their position in the document, to locate issues.
        self.items: dict[str, dict[int, _Item]] = {}
        self.steps_in: dict[str, list[_Item]] = defaultdict(list)
        self.nodes_complete = False
        self.stages_of_steps_known = False
        self.input_names: set[str] | None = None
        self.variable_names: set[str] | None = None
        self.sizes: tuple[frozenset[tuple[str, str]], dict[tuple[str, str], int]] | None = None

    # ---- recording

    def error(self, path: Path, message: str, *, column: int | None = None, costly: bool = False) -> None:
        self.findings.append(_Finding(path, message, "error", column, costly))

    def warning(self, path: Path, message: str, *, column: int | None = None) -> None:
        self.findings.append(_Finding(path, message, "warning", column))

    def result(self) -> Checked:
        located = [(self._position(f.path), n, f) for n, f in enumerate(self.findings)]
        located.sort(key=lambda entry: (entry[0], entry[1]))
        issues = []
        for _, _, finding in located:
            node, edge, field_path = self._locate(finding.path)
            issues.append(ValidationIssue(node, field_path, finding.message, edge, finding.column, finding.severity))
        expressions = {}
        for path, expression in self.compiled.items():
            node, _, field_path = self._locate(path)
            expressions[(node, field_path)] = expression
        other_errors = sum(1 for f in self.findings if f.severity == "error" and not f.costly)
        return Checked(issues, expressions, other_errors)

    def _locate(self, path: Path) -> tuple[str | None, str | None, str]:
        """(node id, edge id, field path) of a document path."""
        items = self.items.get(path[0]) if path else None
        item = items.get(path[1]) if items is not None and len(path) >= 2 and isinstance(path[1], int) else None
        if item is not None and item.id is not None:
            field_path = _field_path(item.raw, path[2:])
            return (item.id, None, field_path) if item.section == "nodes" else (None, item.id, field_path)
        return None, None, _field_path(self.document, path)

    def _position(self, path: Path) -> tuple[int, ...]:
        position = []
        current = self.document
        for part in path:
            if isinstance(current, dict):
                keys = list(current)
                position.append(keys.index(part) if part in current else len(keys))
                current = current.get(part)
            elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
                position.append(part)
                current = current[part]
            else:
                position.append(0)
                current = None
        return tuple(position)

    # ---- driver

    def run(self) -> None:
        if not isinstance(self.document, dict):
            self.error((), "must be an object: an orchestration document with format, key, label, nodes and edges")
            return
        self._load_top()
        self.nodes = self._load_nodes()
        self.edges = self._load_edges()
        self._check_declarations("inputs")
        self._check_declarations("variables")
        self._check_trigger()
        if self.nodes is None:
            return
        self._check_node_counts()
        for node in self.nodes:
            self._check_node(node)
        self._check_after_cycles()
        if self.edges is not None:
            _GraphCheck(self).run()
        self._check_unread_outcomes()
        self._check_credentials((), self.document)

    def _load_top(self) -> None:
        self.top, self.top_errors = _load(_DOCUMENT_SCHEMA, self.document)
        for path, message in _flatten(self.top_errors, ()):
            self.error(path, message)
        self.input_names = self._declared_names("inputs")
        self.variable_names = self._declared_names("variables")

    def _declared_names(self, section: str) -> set[str] | None:
        """Names of inputs or variables; None when some entry has no usable name."""
        entries = self.document.get(section, [])
        if not isinstance(entries, list):
            return None
        names = set()
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or _identifier_problem(name):
                return None
            names.add(name)
        return names

    def _load_nodes(self) -> list[_Item] | None:
        raw_nodes = self.document.get("nodes")
        if "nodes" in self.document and not isinstance(raw_nodes, list):
            self.error(("nodes",), "must be a list of nodes")
        if not isinstance(raw_nodes, list):
            return None
        items = self._identify("nodes", raw_nodes)
        for item in items:
            self._load_node(item)
        self.by_id = {item.id: item for item in items if item.id is not None}
        self.items["nodes"] = {item.index: item for item in items}
        for item in items:
            if item.is_step and isinstance(item.get("stage"), str):
                self.steps_in[item.get("stage")].append(item)
        self.nodes_complete = len(items) == len(raw_nodes) and all(i.id and i.type for i in items)
        self.stages_of_steps_known = all(i.ok("stage") for i in items if i.is_step)
        return items

    def _identify(self, section: str, raw_items: list[Any]) -> list[_Item]:
        """Items with their ids; a missing, invalid or repeated id is not usable."""
        kind = "node" if section == "nodes" else "edge"
        first: dict[str, int] = {}
        items = []
        for index, raw in enumerate(raw_items):
            if not isinstance(raw, dict):
                self.error((section, index), f"must be an object (a {kind})")
                continue
            item_id = raw.get("id")
            if not isinstance(item_id, str) or _identifier_problem(item_id) is not None:
                item_id = None
            elif item_id in first:
                self.error((section, index, "id"), f"duplicate {kind} id {item_id!r}: {section}[{first[item_id]}] has it too")
                item_id = None
            else:
                first[item_id] = index
            items.append(_Item(section, index, raw, item_id))
        return items

    def _load_node(self, item: _Item) -> None:
        node_type = item.raw.get("type")
        schema = _NODE_SCHEMAS.get(node_type) if isinstance(node_type, str) else None
        if schema is None:
            # Without a type there is no schema to check the rest against.
            self.error(item.at("type"), "is required" if "type" not in item.raw else _one_of(NODE_TYPES))
            problem = _identifier_problem(item.raw.get("id"))
            if problem:
                self.error(item.at("id"), "is required" if "id" not in item.raw else problem)
            return
        item.type = node_type
        item.data, item.errors = _load(schema, item.raw)
        for path, message in _flatten(item.errors, item.path):
            self.error(path, message)

    def _load_edges(self) -> list[_Item] | None:
        raw_edges = self.document.get("edges")
        if "edges" in self.document and not isinstance(raw_edges, list):
            self.error(("edges",), "must be a list of edges")
        if not isinstance(raw_edges, list):
            return None
        items = self._identify("edges", raw_edges)
        self.items["edges"] = {item.index: item for item in items}
        for item in items:
            item.data, item.errors = _load(_EDGE_SCHEMA, item.raw)
            for path, message in _flatten(item.errors, item.path):
                self.error(path, message)
        return items

    # ---- top level

    def _check_declarations(self, section: str) -> None:
        """Inputs or variables: unique names, defaults that fit the type."""
        entries = self.document.get(section)
        if not isinstance(entries, list):
            return
        kind = "input" if section == "inputs" else "variable"
        first: dict[str, int] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            name = entry.get("name")
            if isinstance(name, str) and _identifier_problem(name) is None:
                if name in first:
                    self.error((section, index, "name"), f"duplicate {kind} name {name!r}: {section}[{first[name]}] has it too")
                else:
                    first[name] = index
            self._check_default(section, index, entry, kind)
            self._check_max_items(section, index, entry)

    def _check_max_items(self, section: str, index: int, entry: dict[str, Any]) -> None:
        maximum = entry.get("max_items")
        if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum < 0:
            return  # absent, or the schema said what is wrong
        cap = limits.current().max_list_items
        if entry.get("type") not in ("list", "map"):
            self.error((section, index, "max_items"), f"only applies to lists and maps, not to {entry.get('type')}")
        elif maximum > cap:
            self.error((section, index, "max_items"), f"must be at most {cap:,} (OVERTURE_MAX_LIST_ITEMS)")
        elif isinstance(entry.get("default"), (list, dict)) and len(entry["default"]) > maximum:
            self.error((section, index, "default"), f"has {len(entry['default'])} items, more than max_items ({maximum})")

    def _check_default(self, section: str, index: int, entry: dict[str, Any], kind: str) -> None:
        type_name = entry.get("type")
        if "default" not in entry or not isinstance(type_name, str) or type_name not in INPUT_TYPES:
            return
        default = entry["default"]
        if default is None and kind == "variable":
            return
        problem = check_type(type_name, default)
        if problem:
            self.error((section, index, "default"), f"{problem}: the {kind} is of type {type_name}")

    def _check_trigger(self) -> None:
        trigger = self.top.get("trigger")
        if not _clean(self.top_errors, ("trigger",)) or not isinstance(trigger, dict):
            return
        if trigger.get("type") == "record" and "condition" in trigger:
            self.compile(("trigger", "condition"), trigger["condition"], TRIGGER_SCOPE)
        if trigger.get("type") == "record" and self.record_types is not None:
            self._check_trigger_record(trigger)

    def _check_trigger_record(self, trigger: dict[str, Any]) -> None:
        """Warn where a record trigger can never start a run: an unknown record type, or a
        condition comparing a field with options to a value outside them (``'Refund'``)."""
        assert self.record_types is not None
        object_name = trigger["object"]
        if object_name not in self.record_types:
            known = ", ".join(sorted(self.record_types)) or "none is defined yet"
            self.warning(
                ("trigger", "object"),
                f"there is no record type {object_name!r}: no run starts until an admin "
                f"defines it under Admin, Record types (record types: {known})",
            )
            return
        source = trigger.get("condition")
        if ("trigger", "condition") not in self.compiled or not isinstance(source, str):
            return
        options = {
            f["name"]: f["options"]
            for f in self.record_types[object_name]
            if isinstance(f, Mapping) and isinstance(f.get("name"), str) and isinstance(f.get("options"), (list, tuple))
        }
        for name, value, column in _compared_literals(source, r"record\s*\.\s*(\w+)"):
            if name in options and value not in options[name]:
                close = [o for o in options[name] if isinstance(o, str) and o.casefold() == value.casefold()]
                hint = f"write {close[0]!r}" if close else f"compare with one of: {', '.join(map(repr, options[name]))}"
                self.warning(
                    ("trigger", "condition"),
                    f"record.{name} is never {value!r}: the {object_name} field {name} takes only "
                    f"{', '.join(map(repr, options[name]))}, so this comparison never holds as written and "
                    f"no run starts the way it is meant to; {hint}",
                    column=column,
                )

    def _check_node_counts(self) -> None:
        assert self.nodes is not None
        starts = [n for n in self.nodes if n.type == "start"]
        if not starts and self.nodes_complete:
            self.error(("nodes",), "needs a start node (exactly one)")
        for extra in starts[1:]:
            first = starts[0].id or f"nodes[{starts[0].index}]"
            self.error(extra.at("type"), f"is a second start node ({first} is the first); an orchestration has exactly one")
        if self.nodes_complete and not any(n.type == "end" for n in self.nodes):
            self.error(("nodes",), "needs at least one end node")

    # ---- expressions

    def compile(self, path: Path, source: Any, scope: frozenset[str]) -> Expression | None:
        """Compile one expression and check the names it uses."""
        if isinstance(source, str):
            self.sources[path] = source
        try:
            expression = compile_expression(source)
        except ExpressionSyntaxError as exc:
            self.error(path, exc.message, column=exc.column)
            return None
        self.compiled[path] = expression
        self._check_cost(path, source)
        expression = self.compiled[path]
        for name in unknown_roots(expression, scope):
            self.error(path, self._unknown_root_message(name, scope), column=_column_of(name, source))
        for root, name in sorted(expression.members):
            if root in scope:
                problem = self._member_problem(root, name)
                if problem:
                    self.error(path, f"`{root}.{name}`: {problem}")
        return expression

    def _check_cost(self, path: Path, source: str) -> None:
        """Refuse an expression that could run too long (ARCHITECTURE §2 "Expressions and limits")."""
        budget = limits.current().expression_budget
        if self.sizes is None:
            self.sizes = self._declared_sizes()
        scalars, sizes = self.sizes
        cost = estimate(source, scalars=scalars, sizes=sizes)
        if cost.total <= budget:
            return
        line = source.count("\n", 0, cost.offset) + 1
        column = cost.offset - (source.rfind("\n", 0, cost.offset) + 1) + 1
        where = f"line {line}, column {column}" if line > 1 else f"column {column}"
        if cost.macro is not None:
            nested = f"{cost.depth} nested comprehensions" if cost.depth > 1 else "a comprehension"
            cause = f"`.{cost.macro}()` at {where} starts {nested}, each repeating what is inside it for every item of its list"
        else:
            cause = f"the costliest part is at {where}"
        message = (
            f"could take up to {cost.total:,} operations to evaluate, over the budget of {budget:,}: {cause}; "
            "nest fewer comprehensions or compare fewer whole lists"
        )
        self.error(path, message, column=column, costly=True)
        self.compiled[path] = replace(self.compiled[path], refused=message)

    def _declared_sizes(self) -> tuple[frozenset[tuple[str, str]], dict[tuple[str, str], int]]:
        """Inputs and variables by (root, name): those of a type that holds no list or
        map, and the lists and maps with a ``max_items`` (the cost estimate uses both)."""
        scalars, sizes = set(), {}
        for section, root in (("inputs", "inputs"), ("variables", "vars")):
            entries = self.document.get(section)
            for entry in entries if isinstance(entries, list) else []:  # not a list: reported elsewhere
                if not (isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry.get("type") in INPUT_TYPES):
                    continue
                maximum = entry.get("max_items")
                if entry["type"] not in ("list", "map"):
                    scalars.add((root, entry["name"]))
                elif isinstance(maximum, int) and not isinstance(maximum, bool) and 0 <= maximum <= limits.current().max_list_items:
                    sizes[(root, entry["name"])] = maximum
        return frozenset(scalars), sizes

    @staticmethod
    def _unknown_root_message(name: str, scope: frozenset[str]) -> str:
        if name == "event":
            return "`event` is only in scope in an event correlation and in the `set` of a wait step that waits for an event"
        if name == "secrets":
            return "`secrets` is only in scope in the inputs of a background step's action (secrets.<name>)"
        if scope == TRIGGER_SCOPE:
            return f"unknown name `{name}`: only record and now are in scope in a trigger condition"
        return f"unknown name `{name}`; names in scope: {', '.join(sorted(scope))}"

    def _member_problem(self, root: str, name: str) -> str | None:
        if root == "secrets":
            return None  # a secret added later is a warning (_check_secrets), not an error
        if root == "inputs":
            known = self.input_names
            return None if known is None or name in known else f"no input {name!r} is declared"
        if root == "vars":
            known = self.variable_names
            return None if known is None or name in known else f"no variable {name!r} is declared"
        wanted = "stage" if root == "stages" else "step"
        node = self.by_id.get(name)
        if node is None:
            return f"there is no {wanted} {name!r}" if self.nodes_complete else None
        is_wanted = node.type == "stage" if wanted == "stage" else node.is_step
        if is_wanted or node.type is None:
            return None
        return f"{name!r} is {_a(node.type)} node, not a {wanted}"

    # ---- nodes

    def _check_node(self, node: _Item) -> None:
        if node.id is None or node.type is None:
            return
        if node.is_step:
            self._check_step(node)
        check = {
            "stage": self._check_stage,
            "interactive": self._check_interactive,
            "background": self._check_background,
            "wait": self._check_wait,
            "decision": self._check_decision,
        }.get(node.type)
        if check:
            check(node)

    def _check_stage(self, node: _Item) -> None:
        entry = node.get("entry")
        if isinstance(entry, dict):
            self.compile(node.at("entry", "condition"), entry["condition"], SCOPE)
        exit_ = node.get("exit")
        if isinstance(exit_, dict) and exit_.get("when") == "condition":
            self.compile(node.at("exit", "condition"), exit_["condition"], SCOPE)
        if self.nodes_complete and self.stages_of_steps_known and not self.steps_in[node.key]:
            self.warning(node.path, "the stage has no steps: it completes as soon as it starts (or when its exit condition holds)")

    def _check_step(self, node: _Item) -> None:
        stage_id = node.get("stage")
        if stage_id is not None:
            stage = self.by_id.get(stage_id)
            if stage is None:
                if self.nodes_complete:  # otherwise it may be the node whose id is broken
                    self.error(node.at("stage"), f"there is no stage {stage_id!r}")
            elif stage.type not in ("stage", None):
                self.error(node.at("stage"), f"{stage_id!r} is {_a(stage.type)} node, not a stage")
        start = node.get("start")
        if isinstance(start, dict) and start["when"] == "after":
            self._check_after(node, start["steps"])
        elif isinstance(start, dict) and start["when"] == "condition":
            self.compile(node.at("start", "condition"), start["condition"], SCOPE)
        self._check_set(node)

    def _check_after(self, node: _Item, step_ids: list[str]) -> None:
        stage_id = node.get("stage")
        seen: set[str] = set()
        for index, step_id in enumerate(step_ids):
            path = node.at("start", "steps", index)
            other = self.by_id.get(step_id)
            if step_id in seen:
                self.error(path, f"lists {step_id!r} more than once")
            elif step_id == node.id:
                self.error(path, "a step cannot start after itself")
            elif other is None:
                if self.nodes_complete:
                    self.error(path, f"there is no step {step_id!r}")
            elif other.type is not None and not other.is_step:
                self.error(path, f"{step_id!r} is {_a(other.type)} node, not a step")
            elif other.ok("stage") and stage_id is not None and other.get("stage") != stage_id:
                self.error(
                    path, f"{step_id!r} is a step of stage {other.get('stage')!r}: `after` names steps of the same stage ({stage_id!r})"
                )
            seen.add(step_id)

    def _check_set(self, node: _Item) -> None:
        assignments = node.get("set") or {}
        scope = EVENT_SCOPE if node.type == "wait" and "event" in node.raw else SCOPE
        for name, source in assignments.items():
            if self.variable_names is not None and name not in self.variable_names:
                self.error(node.at("set", name), f"no variable {name!r} is declared; declare it under variables")
            self.compile(node.at("set", name), source, scope)

    def _check_after_cycles(self) -> None:
        """Steps that start after each other in a loop never start."""
        assert self.nodes is not None
        graph: dict[str, list[str]] = {}
        for node in self.nodes:
            start = node.get("start") if node.id and node.is_step else None
            if isinstance(start, dict) and start["when"] == "after":
                graph[node.key] = [s for s in start["steps"] if s != node.id and self._same_stage(node, s)]
        for cycle in _cycles(graph, order=[n.id for n in self.nodes if n.id in graph]):
            first = self.by_id[cycle[0]]
            self.error(
                first.at("start", "steps"), f"steps start after each other in a cycle, so none of them can start: {' → '.join(cycle)}"
            )

    def _same_stage(self, node: _Item, other_id: str) -> bool:
        other = self.by_id.get(other_id)
        return other is not None and other.is_step and other.get("stage") == node.get("stage")

    def _check_interactive(self, node: _Item) -> None:
        self._check_assignee(node.at("assignee"), node.get("assignee"))
        if node.ok("form"):
            self._check_form(node, node.data["form"])
        escalation = node.get("escalation")
        if isinstance(escalation, dict):
            self._check_escalation(node, escalation)
        approval = node.get("approval")
        if isinstance(approval, dict):
            self._check_approval(node, approval)

    def _check_assignee(self, path: Path, assignee: Any) -> None:
        if isinstance(assignee, dict) and assignee.get("type") == "expression":
            self.compile((*path, "value"), assignee["value"], SCOPE)

    def _check_form(self, node: _Item, form: dict[str, Any]) -> None:
        first: dict[str, int] = {}
        for index, form_field in enumerate(form.get("fields", [])):
            path = node.at("form", "fields", index)
            name = form_field["name"]
            if name in first:
                self.error((*path, "name"), f"duplicate field name {name!r}: form.fields[{first[name]}] has it too")
            first.setdefault(name, index)
            self._check_form_field(path, form_field)
        values: dict[str, int] = {}
        for index, outcome in enumerate(form["outcomes"]):
            value = outcome["value"]
            if value in values:
                self.error(
                    node.at("form", "outcomes", index, "value"), f"duplicate outcome {value!r}: form.outcomes[{values[value]}] has it too"
                )
            values.setdefault(value, index)

    def _check_form_field(self, path: Path, form_field: dict[str, Any]) -> None:
        has_options = form_field["type"] in ("select", "multiselect")
        if has_options and "options" not in form_field:
            self.error((*path, "options"), f"is required for a {form_field['type']} field")
        elif not has_options and "options" in form_field:
            self.error((*path, "options"), f"only applies to select and multiselect fields, not to {form_field['type']}")
        elif "default" in form_field and form_field["default"] is not None:
            problem = check_form_value(form_field, form_field["default"])
            if problem:
                self.error((*path, "default"), problem)

    def _check_escalation(self, node: _Item, escalation: dict[str, Any]) -> None:
        if "due" not in node.raw:
            self.error(node.at("escalation"), "needs `due` on the step: an escalation is counted from the due date")
        if escalation["action"] == "reassign" and "to" not in escalation:
            self.error(node.at("escalation", "to"), "is required when the action is reassign: whom the work goes to")
        self._check_assignee(node.at("escalation", "to"), escalation.get("to"))

    def _check_approval(self, node: _Item, approval: dict[str, Any]) -> None:
        approvers = approval.get("approvers")
        if approval["policy"] == "quorum":
            quorum = approval.get("quorum")
            if quorum is None:
                self.error(node.at("approval", "quorum"), "is required when the policy is quorum")
            elif approvers is not None and quorum > len(approvers):
                self.error(node.at("approval", "quorum"), f"must be between 1 and the number of approvers ({len(approvers)})")
        elif "quorum" in approval:
            self.error(node.at("approval", "quorum"), f"only applies to the quorum policy, not to {approval['policy']}")
        for index, approver in enumerate(approvers or []):
            self._check_assignee(node.at("approval", "approvers", index), approver)
        outcome = approval.get("approve_outcome")
        if outcome is not None and node.ok("form"):
            values = [o["value"] for o in node.data["form"]["outcomes"]]
            if outcome not in values:
                self.error(node.at("approval", "approve_outcome"), f"must be one of the form outcomes: {', '.join(values)}")

    def _check_background(self, node: _Item) -> None:
        name = node.get("action")
        action = self.actions.get(name) if name is not None else None
        if name is not None and action is None:
            known = ", ".join(self.actions.names()) or "(none)"
            self.error(node.at("action"), f"no action {name!r} is registered; registered actions: {known}")
        mapping = node.get("inputs")
        if action is not None and node.ok("inputs"):
            self._check_action_inputs(node, action, mapping or {})
        for input_name, source in (mapping or {}).items():
            expression = self.compile(node.at("inputs", input_name), source, ACTION_INPUT_SCOPE)
            if expression is not None and "secrets" in expression.roots:
                self._check_secrets(node.at("inputs", input_name), expression, action)

    def _check_secrets(self, path: Path, expression: Expression, action: Any) -> None:
        if action is not None and not action.secrets:
            takers = ", ".join(a.name for a in map(self.actions.get, self.actions.names()) if a is not None and a.secrets)
            self.error(
                path,
                f"action {action.name} keeps its inputs where people read them: secrets go only to "
                f"actions that send them on to another system ({takers or 'none is registered'})",
            )
        for root, name in sorted(expression.members):
            if root == "secrets" and self.secret_names is not None and name not in self.secret_names:
                self.warning(path, f"there is no secret {name!r} yet: runs stop at this step until an admin adds it under Admin, Secrets")

    def _check_unread_outcomes(self) -> None:
        """Warn about a step's outcomes that nothing tells apart (ARCHITECTURE §2 "Validation").

        An interactive step's outcome only changes where a run goes when an expression
        reads ``steps.<id>.outcome``: a decision, a stage's entry or exit, a step's start,
        a wait, a ``set``, an action input. Edges never carry a step's outcome. When no
        expression reads it, every outcome leads where the first (or the approval's
        approve outcome) does: a rejected claim still gets refunded. Reading the whole
        step (``steps.review``) or the ``steps`` map by key counts as reading it.
        """
        if not self.nodes_complete:
            return  # a node without a usable id may be the one that reads it
        read, compared = self._outcome_reads()
        for node in self.nodes or []:
            if node.type != "interactive" or not node.ok("form") or node.id is None:
                continue
            outcomes = node.data["form"]["outcomes"]
            values = [o["value"] for o in outcomes]
            for value, path, column in compared.get(node.id, []):
                if value not in values:
                    self.warning(
                        path,
                        f"steps.{node.id}.outcome is never {value!r}: the outcomes of step {node.id!r} are "
                        f"{', '.join(map(repr, values))}; compare with one of them",
                        column=column,
                    )
            if len(values) < 2 or read is None or node.id in read:
                continue
            approval = node.get("approval")
            usual = approval.get("approve_outcome", values[0]) if isinstance(approval, dict) else values[0]
            label = {o["value"]: o.get("label") or o["value"] for o in outcomes}
            stage = node.get("stage")
            after = f" after stage {stage!r}" if isinstance(stage, str) else ""
            for index, value in enumerate(values):
                if value == usual:
                    continue
                self.warning(
                    node.at("form", "outcomes", index, "value"),
                    f"outcome {value!r} ({label[value]}) is never read: no decision, condition or stage exit looks at "
                    f"steps.{node.id}.outcome, so choosing it changes nothing: a run goes on exactly as after "
                    f"{usual!r} ({label[usual]}); add a decision{after} with the condition "
                    f"steps.{node.id}.outcome == {value!r}, or remove the outcome if it means the same",
                )

    def _outcome_reads(self) -> tuple[set[str] | None, dict[str, list[tuple[str, Path, int]]]]:
        """(ids of the steps whose outcome some expression reads, or None when one reads the
        ``steps`` map by key; per step, the literals its outcome is compared with)."""
        read: set[str] = set()
        compared: dict[str, list[tuple[str, Path, int]]] = defaultdict(list)
        for path, source in self.sources.items():
            stripped = STRING_LITERAL.sub(lambda m: " " * len(m.group(0)), source)
            for match in re.finditer(r"(?<![\w.])steps\b(\s*\.\s*(\w+)(\s*\.\s*(\w+))?)?", stripped):
                step_id, member = match.group(2), match.group(4)
                if step_id is None:
                    return None, compared  # steps[...], steps.all(...): any step's outcome may be read
                if member is None or member == "outcome":
                    read.add(step_id)
            for step_id, value, column in _compared_literals(source, r"steps\s*\.\s*(\w+)\s*\.\s*outcome"):
                compared[step_id].append((value, path, column))
        return read, compared

    def _check_credentials(self, path: Path, value: Any) -> None:
        """Warn where a string (an expression's literal or any text of a node) looks like a credential."""
        pending: list[tuple[Path, Any]] = [(path, value)]  # a stack, not recursion: documents may nest deep
        while pending:
            where, item = pending.pop()
            if isinstance(item, dict):
                pending.extend(((*where, k), v) for k, v in reversed(list(item.items())))
            elif isinstance(item, list):
                pending.extend(((*where, i), v) for i, v in reversed(list(enumerate(item))))
            elif isinstance(item, str):
                found = _credential_in(item, expression=where in self.compiled)
                if found is not None:
                    what, column = found
                    self.warning(where, f"looks like {what} typed in: {_CREDENTIAL_ADVICE}", column=column)

    def _check_action_inputs(self, node: _Item, action: Any, mapping: dict[str, Any]) -> None:
        declared = ", ".join(f.name for f in action.inputs) or "(none)"
        if not action.open_inputs:
            for input_name in mapping:
                if action.input(input_name) is None:
                    self.error(node.at("inputs", input_name), f"action {action.name} has no input {input_name!r}; its inputs: {declared}")
        for declared_field in action.inputs:
            if declared_field.required and declared_field.name not in mapping:
                self.error(node.at("inputs"), f"misses the required input {declared_field.name!r} of action {action.name}")

    def _check_wait(self, node: _Item) -> None:
        present = [name for name in node.raw if name in ("until", "event", "timer")]
        if not present:
            self.error(node.path, "a wait step needs exactly one of: until, event, timer")
        for extra in present[1:]:
            self.error(node.at(extra), f"conflicts with `{present[0]}`: a wait step has exactly one of until, event, timer")
        if node.get("until") is not None:
            self.compile(node.at("until"), node.data["until"], SCOPE)
        event = node.get("event")
        if isinstance(event, dict):
            self.compile(node.at("event", "correlation"), event["correlation"], EVENT_SCOPE)
        timer = node.get("timer")
        if isinstance(timer, dict):
            self._check_timer(node, timer)

    def _check_timer(self, node: _Item, timer: dict[str, Any]) -> None:
        if "duration" not in timer and "at" not in timer:
            self.error(node.at("timer"), "needs exactly one of: duration, at")
        elif "duration" in timer and "at" in timer:
            self.error(node.at("timer", "at"), "conflicts with `duration`: a timer has exactly one of duration, at")
        elif "at" in timer:
            expression = self.compile(node.at("timer", "at"), timer["at"], SCOPE)
            if expression is not None and not expression.roots and expression.refused is None:
                self._check_constant_moment(node.at("timer", "at"), expression)

    def _check_constant_moment(self, path: Path, expression: Expression) -> None:
        """An ``at`` that names nothing in scope is the same time for every run: check it now."""
        try:
            value = expression.evaluate({})
        except ExpressionError as exc:
            self.error(path, f"does not give a time: {exc}")
            return
        problem = moment_problem(value, self.now)
        if problem:
            self.error(path, problem)

    def _check_decision(self, node: _Item) -> None:
        outcomes = node.raw.get("outcomes", [])
        if not (node.ok("outcomes") or isinstance(node.errors.get("outcomes"), dict)):
            return  # not a list at all
        first: dict[str, int] = {}
        for index, outcome in enumerate(outcomes):
            if not node.ok("outcomes", index):
                continue  # checked outcome by outcome: one broken outcome does not hide the others
            path = node.at("outcomes", index)
            outcome_id = outcome["id"]
            if outcome_id == "default":
                self.error((*path, "id"), "`default` is implicit in every decision and must not be declared")
            elif outcome_id in first:
                self.error((*path, "id"), f"duplicate outcome id {outcome_id!r}: outcomes[{first[outcome_id]}] has it too")
            first.setdefault(outcome_id, index)
            self.compile((*path, "condition"), outcome["condition"], SCOPE)
        if node.ok("outcomes") and not outcomes:
            self.warning(node.at("outcomes"), "the decision has no outcomes: it always takes the default edge")


# --------------------------------------------------------------------------- graph


class _GraphCheck:
    """Edges, edge counts per node, reachability and cycles of stages."""

    def __init__(self, checker: _Checker):
        self.checker = checker
        self.nodes: list[_Item] = checker.nodes or []
        self.edges: list[_Item] = checker.edges or []
        self.by_id = checker.by_id
        # Edges whose two ends are known nodes; reachability needs all of them.
        self.usable: list[tuple[_Item, _Item, _Item]] = []
        # Edges by source, whatever their target: a broken target is still an edge.
        self.outgoing: dict[str, list[_Item]] = defaultdict(list)
        # Sources with an edge too broken to count, so their edge counts are not judged.
        self.uncertain: set[str] = set()
        # An edge whose source is unknown may be the one a node seems to lack.
        self.lost_source = False
        # A missing edge makes what lies behind it unreachable: say it once.
        self.missing_edge = False

    def run(self) -> None:
        for edge in self.edges:
            self._check_edge(edge)
        for node in self.nodes:
            if node.id is not None and node.id not in self.uncertain:
                self._check_outgoing(node, self.outgoing[node.id])
        complete = self.checker.nodes_complete and len(self.usable) == len(self.checker.document["edges"])
        if complete and not self.missing_edge:
            self._check_reachability()
        self._check_stage_cycles()

    def _check_edge(self, edge: _Item) -> None:
        source = self._end_node(edge, "source")
        target = self._end_node(edge, "target")
        target_ok = target is not None and self._check_target(edge, target)
        if source is None:
            self.lost_source = True
            return
        if not self._check_source(edge, source):
            return
        self.outgoing[source.key].append(edge)
        if not (edge.ok("kind") and edge.ok("outcome")):
            self.uncertain.add(source.key)
        self._check_labels(edge, source)
        if target is not None and target_ok:
            self.usable.append((edge, source, target))

    def _end_node(self, edge: _Item, end: str) -> _Item | None:
        node_id = edge.get(end)
        if node_id is None:
            return None
        node = self.by_id.get(node_id)
        if node is None and self.checker.nodes_complete:
            self.checker.error(edge.at(end), f"there is no node {node_id!r}")
        return node

    def _check_source(self, edge: _Item, source: _Item) -> bool:
        if source.is_step:
            self.checker.error(edge.at("source"), f"{source.id!r} is a step, and steps have no edges; connect its stage instead")
        elif source.type == "end":
            self.checker.error(edge.at("source"), f"{source.id!r} is an end node, and an end has no outgoing edge")
        return source.type in ("start", "stage", "decision")

    def _check_target(self, edge: _Item, target: _Item) -> bool:
        if target.type == "start":
            self.checker.error(edge.at("target"), "an edge cannot lead to the start node")
        elif target.is_step:
            self.checker.error(edge.at("target"), f"{target.id!r} is a step, and steps have no edges; target its stage instead")
        return target.type in ("stage", "decision", "end")

    def _check_labels(self, edge: _Item, source: _Item) -> None:
        """``kind`` only on stage edges; ``outcome`` only and always on decision edges."""
        assert source.type is not None  # _check_source accepted it
        if "kind" in edge.raw and edge.ok("kind") and source.type != "stage":
            self.checker.error(edge.at("kind"), f"only edges leaving a stage have a kind; {source.id!r} is {_a(source.type)} node")
        if source.type == "decision" and "outcome" not in edge.raw:
            self.checker.error(edge.at("outcome"), f"is required on an edge leaving decision {source.id!r}: one of its outcomes or default")
            self.uncertain.add(source.key)
        elif source.type != "decision" and "outcome" in edge.raw:
            self.checker.error(
                edge.at("outcome"), f"only edges leaving a decision have an outcome; {source.id!r} is {_a(source.type)} node"
            )

    def _check_outgoing(self, node: _Item, edges: list[_Item]) -> None:
        if node.type == "start":
            self._exactly_one(node, edges, "the start node needs exactly one outgoing edge, to the first stage")
        elif node.type == "stage":
            normal = [e for e in edges if "kind" not in e.raw]
            faults = [e for e in edges if "kind" in e.raw]
            self._exactly_one(node, normal, "the stage needs one outgoing edge (besides an error edge) to a stage, decision or end")
            for extra in faults[1:]:
                self.checker.error(
                    extra.at("kind"), f"stage {node.id!r} already has an error edge ({faults[0].id}); a stage has at most one"
                )
        elif node.type == "decision" and node.ok("outcomes"):
            self._check_decision_edges(node, edges)

    def _exactly_one(self, node: _Item, edges: list[_Item], missing: str) -> None:
        if not edges and not self.lost_source:
            self.checker.error(node.path, missing)
            self.missing_edge = True
        for extra in edges[1:]:
            self.checker.error(
                extra.at("source"),
                f"{node.id!r} already has an outgoing edge ({edges[0].id}); a {node.type} has exactly one (use a decision to branch)",
            )

    def _check_decision_edges(self, node: _Item, edges: list[_Item]) -> None:
        outcomes = [o["id"] for o in node.data.get("outcomes", [])]
        names = [*outcomes, "default"]
        taken: dict[str, _Item] = {}
        misnamed = False
        for edge in edges:
            outcome = edge.get("outcome")
            if outcome is None:
                continue
            if outcome not in names:
                self.checker.error(edge.at("outcome"), f"decision {node.id!r} has no outcome {outcome!r}; its outcomes: {', '.join(names)}")
                misnamed = True
            elif outcome in taken:
                self.checker.error(
                    edge.at("outcome"), f"outcome {outcome!r} of decision {node.id!r} already has an edge ({taken[outcome].id})"
                )
            else:
                taken[outcome] = edge
        if misnamed or self.lost_source:
            return  # the misnamed (or lost) edge is probably meant for the outcome that lacks one
        for index, outcome in enumerate(outcomes):
            if outcome not in taken and outcome != "default":
                self.checker.error(node.at("outcomes", index), f"outcome {outcome!r} has no edge; every outcome needs exactly one")
                self.missing_edge = True
        if "default" not in taken:
            self.checker.error(node.at("outcomes"), 'the default outcome has no edge; add one with "outcome": "default"')
            self.missing_edge = True

    def _check_reachability(self) -> None:
        start = next((n for n in self.nodes if n.type == "start"), None)
        if start is None:
            return
        forward: dict[str, list[str]] = defaultdict(list)
        backward: dict[str, list[str]] = defaultdict(list)
        for _, source, target in self.usable:
            forward[source.key].append(target.key)
            backward[target.key].append(source.key)
        reached = _reach([start.key], forward)
        graph_nodes = [n for n in self.nodes if n.type in ("stage", "decision", "end")]
        for node in graph_nodes:
            if node.id not in reached:
                self.checker.error(node.path, "is not reachable from start")
        ends = [n.id for n in graph_nodes if n.type == "end" and n.id in reached]
        if not ends:
            return
        finishing = _reach(ends, backward)
        for node in graph_nodes:
            if node.id in reached and node.id not in finishing:
                self.checker.warning(node.path, "no end can be reached from here: a run that gets here never completes")

    def _check_stage_cycles(self) -> None:
        graph: dict[str, list[str]] = defaultdict(list)
        for _, source, target in self.usable:
            if source.type == "stage" and target.type == "stage":
                graph[source.key].append(target.key)
        order = [n.id for n in self.nodes if n.type == "stage" and n.id in graph]
        for cycle in _cycles(graph, order):
            self.checker.error(
                self.by_id[cycle[0]].path,
                f"stages form a cycle that passes through no decision: {' → '.join(cycle)}; a loop must go through a decision so that it can end",
            )


def _reach(roots: list[str], graph: Mapping[str, list[str]]) -> set[str]:
    seen = set(roots)
    queue = deque(roots)
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _cycles(graph: Mapping[str, list[str]], order: list[str]) -> list[list[str]]:
    """One cycle per strongly connected component that has one, as ``[a, b, ..., a]``.

    Each cycle starts at its component's first node in ``order``. Iterative, so a
    long chain of nodes does not hit the recursion limit.
    """
    rank = {node: position for position, node in enumerate(order)}
    cycles = []
    for component in _components(graph, order):
        first = min(component, key=lambda node: rank.get(node, len(rank)))
        path = _path_back(first, graph, component)
        if path:
            cycles.append(path)
    cycles.sort(key=lambda cycle: rank.get(cycle[0], len(rank)))
    return cycles


def _components(graph: Mapping[str, list[str]], order: list[str]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in order:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _path_back(first: str, graph: Mapping[str, list[str]], component: set[str]) -> list[str] | None:
    """A shortest path from ``first`` back to itself inside ``component``."""
    parents: dict[str, str] = {}
    queue = deque([first])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, ()):
            if nxt == first:
                path = [node]
                while path[-1] != first:
                    path.append(parents[path[-1]])
                return [*reversed(path), first]
            if nxt in component and nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return None


# --------------------------------------------------------------------------- field paths


def _field_path(container: Any, parts: Path) -> str:
    """``("form", "fields", 0, "type")`` → ``form.fields[0].type``.

    List positions are written ``[i]``; names that are not plain identifiers are
    quoted (``set['a b']``).
    """
    text = ""
    current = container
    for part in parts:
        if isinstance(current, list) or (current is None and isinstance(part, int)):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_NAME.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{_show(part)}]"
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return text
