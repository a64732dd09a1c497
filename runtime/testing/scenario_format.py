"""The scenario format: reading scenario files — YAML with line numbers, the JSON Schema, and
the rules beyond it (SCENARIOS.md). Not the orchestration document's format (``runtime/FORMAT.md``,
``runtime/document.py``): "format" alone names that one.

A scenario file is parsed with PyYAML into nodes (each carries the line it starts on),
turned into plain data, checked against ``scenario.schema.json`` (draft 2020-12) and
then against the rules a schema cannot say well (one action per step, the fields each
action takes, personas that exist). Every problem is collected, with the 1-based line
of the key or item it is about, and raised together as :class:`ScenarioFormatError`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from runtime.durations import parse_duration
from runtime.text import lone_surrogate

#: Where a value is in a scenario file: keys and list indexes from the top, ``("steps", 2, "complete")``
#: (not a file path: files are ``pathlib.Path`` everywhere).
KeyPath = tuple[Any, ...]

#: The action keys of a step; exactly one per step.
ACTIONS = (
    "start",
    "complete",
    "claim",
    "release",
    "reassign",
    "event",
    "update_record",
    "advance",
    "mock",
    "retry",
    "resume",
    "suspend",
    "cancel",
    "migrate",
    "expect",
)
#: Actions done as a person or on the run: they may carry ``expect_error``.
ACTING = frozenset(
    {"start", "complete", "claim", "release", "reassign", "event", "update_record", "retry", "resume", "suspend", "cancel", "migrate"}
)
#: The keys each action takes beside its own (``as`` for start/update_record goes inside them).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "start": ("expect_error",),
    "complete": ("as", "outcome", "values", "comment", "claim", "expect_error"),
    "claim": ("as", "expect_error"),
    "release": ("as", "expect_error"),
    "reassign": ("as", "to", "expect_error"),
    "event": ("expect_error",),
    "update_record": ("expect_error",),
    "advance": (),
    "mock": (),
    "retry": ("as", "expect_error"),
    "resume": ("as", "expect_error"),
    "suspend": ("as", "expect_error"),
    "cancel": ("as", "expect_error"),
    "migrate": ("as", "expect_error"),
    "expect": (),
}
#: Actions that need a persona to act as.
NEEDS_PERSONA = frozenset({"complete", "claim", "release"})
#: Steps that may come before ``start`` (they need no run).
BEFORE_START = frozenset({"mock", "advance", "event"})
#: The persona every scenario has unless it declares one of that name.
OUTSIDER = "outsider"

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class ScenarioFormatError(ValueError):
    """A scenario file that cannot be run; ``problems`` lists every problem found.

    Each problem is ``{"line": int | None, "path": "steps[2].complete", "message": str}``
    with 1-based lines.
    """

    def __init__(self, problems: list[dict[str, Any]], source: str | None = None):
        self.problems = sorted(problems, key=lambda p: (p["line"] is None, p["line"] or 0, p["path"]))
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        where = self.source or "<scenario>"
        lines = []
        for p in self.problems:
            place = f"{where}:{p['line']}" if p["line"] is not None else where
            lines.append(f"{place}: {p['path'] or '(file)'}: {p['message']}")
        return "\n".join(lines)


def path_text(path: Iterable[Any]) -> str:
    """``("steps", 2, "complete")`` -> ``"steps[2].complete"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def actions_of(step: Mapping[str, Any]) -> list[str]:
    """The action keys of a step (one in a valid file); ``claim: true`` beside ``complete`` is a field."""
    return [key for key in ACTIONS if key in step and not (key == "claim" and "complete" in step)]


class _Loader(yaml.SafeLoader):
    """Safe YAML where timestamps stay the strings they were written as.

    Dates in record fields and form values are ISO strings to the engine; YAML would
    otherwise turn ``2026-01-06`` into a ``date``.
    """


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def parse(text: str, source: str | None = None) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML into plain data and a map of each key's / item's path to its 1-based line.

    Raises:
        ScenarioFormatError: the text is not YAML, or has a key twice in one mapping.
    """
    try:
        loader = _Loader(text)  # reads the whole text first: refuses control characters here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise ScenarioFormatError(
            [{"line": line, "path": "", "message": f"not valid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})"}],
            source,
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioFormatError([{"line": 1, "path": "", "message": "the file is empty"}], source)
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        problems: list[dict[str, Any]] = []
        _walk(node, (), lines, problems, [_MAX_VALUES])
        if problems:
            raise ScenarioFormatError(problems, source)
        data = loader.construct_document(node)
        half = lone_surrogate(data)
        if half is not None:  # YAML may escape half of a UTF-16 pair ("\ud800"); no text of ours holds one
            raise ScenarioFormatError(
                [
                    {
                        "line": lines.get(half),
                        "path": path_text(half),
                        "message": "has a lone surrogate (half of a UTF-16 pair): write valid Unicode text",
                    }
                ],
                source,
            )
    except _TooBig as exc:
        raise ScenarioFormatError([{"line": exc.line, "path": "", "message": str(exc)}], source) from None
    except RecursionError:
        raise ScenarioFormatError([{"line": None, "path": "", "message": "the file is nested too deeply"}], source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = " ".join(str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part)
        raise ScenarioFormatError(
            [{"line": mark.line + 1 if mark else None, "path": "", "message": f"not valid YAML: {message or exc}"}], source
        ) from None
    finally:
        loader.dispose()
    return data, lines


#: Values a file may hold once its aliases are expanded, and how deep it may nest: a hostile
#: file (a "billion laughs" of aliases, thousands of brackets) is refused, not expanded.
_MAX_VALUES = 100_000
_MAX_DEPTH = 64


class _TooBig(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], problems: list[dict[str, Any]], budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(f"the file holds more than {_MAX_VALUES:,} values (with its aliases expanded)", node.start_mark.line + 1)
    if len(path) > _MAX_DEPTH:
        raise _TooBig(f"the file nests deeper than {_MAX_DEPTH} levels", node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append({"line": line, "path": path_text((*path, key)), "message": f"`{key}` is given twice"})
                continue
            seen.add(key)
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, problems, budget)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, problems, budget)


def line_of(lines: Mapping[KeyPath, int], path: Iterable[Any]) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    parts = tuple(path)
    while True:
        if parts in lines:
            return lines[parts]
        if not parts:
            return None
        parts = parts[:-1]


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (``runtime/testing/scenario.schema.json``)."""
    loaded: dict[str, Any] = json.loads(resources.files("runtime.testing").joinpath("scenario.schema.json").read_text())
    return loaded


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def validate(data: Any, lines: Mapping[KeyPath, int] | None = None, source: str | None = None) -> None:
    """Check scenario data against the schema and the rules of SCENARIOS.md.

    Raises:
        ScenarioFormatError: with every problem, each with its line when ``lines`` knows it.
    """
    lines = lines or {}
    problems: list[dict[str, Any]] = []

    def add(path: KeyPath, message: str) -> None:
        problem = {"line": line_of(lines, path), "path": path_text(path), "message": message}
        if problem not in problems:  # jsonschema reports each missing key once per `required` list
            problems.append(problem)

    if not isinstance(data, dict):
        add((), f"a scenario is a mapping of keys (scenario, name, orchestration, steps...), not {_describe(data)}")
        raise ScenarioFormatError(problems, source)
    for error in _validator().iter_errors(data):
        for path, message in _explain(error):
            add(path, message)
    _check_rules(data, add)
    if problems:
        raise ScenarioFormatError(problems, source)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


#: Messages of the schema keywords that need only the keyword's value.
_SIMPLE_MESSAGES: dict[str, Callable[[Any, ValidationError], str]] = {
    "minLength": lambda value, error: "must not be empty",
    "minProperties": lambda value, error: "must not be empty",
    "maxLength": lambda value, error: f"must be at most {value} characters long",
    "minimum": lambda value, error: f"must be at least {value}",
    "uniqueItems": lambda value, error: "must not list an item twice",
    "minItems": lambda value, error: f"must have at least {value} item{'s' if value != 1 else ''}",
    "maxProperties": lambda value, error: f"must have exactly one key (one of: {', '.join(_schema_of(error).get('properties', {}))})",
    "pattern": lambda value, error: f"{_describe(error.instance)} is not a valid name (letters, digits, _ . -; not starting with a digit)",
}


def _schema_of(error: ValidationError) -> Mapping[str, Any]:
    """The schema part an error broke: jsonschema's types allow a bool or Unset, which a
    validation error of this schema never has."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _explain(error: ValidationError) -> list[tuple[KeyPath, str]]:
    """Turn one jsonschema error into (path, message) pairs a person can act on."""
    path: KeyPath = tuple(error.absolute_path)
    kind, instance = str(error.validator), error.instance
    value: Any = error.validator_value
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list((_schema_of(error).get("properties") or {}).keys())
        pairs = []
        for key in instance:
            if key in allowed:
                continue
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            known = f"did you mean `{hint[0]}`?" if hint else f"known keys: {', '.join(allowed)}" if allowed else ""
            pairs.append(((*path, key), f"unknown key `{key}`" + (f"; {known}" if known else "")))
        return pairs
    if kind == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        return [(path, f"missing required key `{name}`") for name in missing]
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        wanted = " or ".join(_TYPE_NAMES.get(t, str(t)) for t in types)
        return [(path, f"must be {wanted}, not {_describe(instance)}")]
    if kind == "const":
        return [(path, f"must be {json.dumps(value)}, not {_describe(instance)}")]
    if kind == "enum":
        return [(path, f"must be one of: {', '.join(str(v) for v in value)}; not {_describe(instance)}")]
    simple = _SIMPLE_MESSAGES.get(kind)
    if simple is not None:
        return [(path, simple(value, error))]
    return [(path, error.message)]


def _check_rules(data: dict[str, Any], add: Any) -> None:
    """The rules of SCENARIOS.md beyond the schema; defensive about types the schema reports."""
    personas = data.get("personas")
    if not isinstance(personas, dict):
        personas = {}
    known = set(personas) | {OUTSIDER}

    def persona_ref(path: KeyPath, name: Any) -> None:
        if isinstance(name, str) and name not in known:
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            add(path, f"unknown persona `{name}`" + (f"; did you mean `{hint[0]}`?" if hint else f"; personas: {', '.join(sorted(known))}"))

    start_time = data.get("start_time")
    if isinstance(start_time, str) and start_time:
        try:
            if datetime.fromisoformat(start_time.replace("Z", "+00:00")).tzinfo is None:
                add(("start_time",), "needs a time zone, e.g. 2026-01-05T09:00:00Z")
        except ValueError:
            add(("start_time",), f"{start_time!r} is not an ISO-8601 timestamp such as 2026-01-05T09:00:00Z")

    versions = data.get("versions")
    own = data.get("version") if isinstance(data.get("version"), int) else 1
    if isinstance(versions, dict):
        for key in versions:
            number = version_number(key)
            if number is None:
                add(("versions", str(key)), f"`{key}` is not a version number: write the number of each version (2: v2.json)")
            elif number == own:
                add(("versions", str(key)), f"version {number} is the one the run starts on (`document`); list the other versions here")

    environments = data.get("environments")
    if isinstance(environments, dict):
        for env, mapping in environments.items():
            if isinstance(mapping, dict):
                for persona in mapping:
                    if persona not in personas:
                        persona_ref(("environments", env, persona), persona)

    mocks = data.get("mocks")
    if isinstance(mocks, list):
        for index, mock in enumerate(mocks):
            _check_mock(mock, ("mocks", index), add)

    steps = data.get("steps")
    if not isinstance(steps, list):
        return
    started_at: int | None = None
    for index, step in enumerate(steps):
        path: KeyPath = ("steps", index)
        if not isinstance(step, dict):
            continue
        present = actions_of(step)
        if not present:
            add(path, f"a step needs one action: {', '.join(ACTIONS)}")
            continue
        if len(present) > 1:
            add(path, f"a step has exactly one action; this one has {' and '.join(f'`{k}`' for k in present)}")
            continue
        action = present[0]
        allowed = STEP_FIELDS[action]
        for key in step:
            if key != action and key not in allowed and key in _step_keys():
                if key == "as" and action in ("start", "update_record"):
                    add((*path, key), f"`as` goes inside `{action}` here: {action}: {{as: persona, ...}}")
                else:
                    takes = f"it takes: {', '.join(allowed)}" if allowed else "it takes nothing else"
                    add((*path, key), f"`{key}` does not belong to {_a(action)} step ({takes})")
        if action in NEEDS_PERSONA and "as" not in step:
            add(path, f"{_a(action)} step needs `as: <persona>` (who does it)")
        if action == "complete" and "claim" in step and not isinstance(step["claim"], bool):
            add((*path, "claim"), "in a `complete` step, `claim` is true or false (claim the item first)")
        if action == "claim" and not isinstance(step["claim"], str):
            add((*path, "claim"), "`claim` names the step whose work item to claim")
        if action == "reassign" and "to" not in step:
            add(path, "a `reassign` step needs `to: {user|group|queue|persona: name}`")
        if "as" in step:
            persona_ref((*path, "as"), step["as"])
        to = step.get("to")
        if isinstance(to, dict) and "persona" in to:
            persona_ref((*path, "to", "persona"), to["persona"])
        body = step[action]
        if action == "start":
            if started_at is not None:
                add(path, f"a scenario starts exactly one run; step {started_at} already has `start`")
            started_at = index if started_at is None else started_at
            if isinstance(body, dict):
                persona_ref((*path, "start", "as"), body.get("as"))
                _check_record(body.get("record"), (*path, "start", "record"), add, persona_ref)
        elif started_at is None and action not in BEFORE_START:
            add(path, f"`{action}` needs the run, but it comes before the `start` step")
        if action == "update_record" and isinstance(body, dict):
            persona_ref((*path, "update_record", "as"), body.get("as"))
        if action == "advance" and isinstance(body, str) and body != "next":
            try:
                parse_duration(body)
            except ValueError:
                add((*path, "advance"), f"{body!r} is neither an ISO-8601 duration (P3D, PT4H) nor `next`")
        if action == "mock":
            _check_mock(body, (*path, "mock"), add)
        if action == "migrate" and isinstance(body, dict) and body.get("to") == own:
            add((*path, "migrate", "to"), f"the run starts on version {own}; migrate it to another version (one of `versions`)")
        if action == "expect" and isinstance(body, dict) and isinstance(body.get("visible"), dict):
            for persona in body["visible"]:
                persona_ref((*path, "expect", "visible", persona), persona)
    if started_at is None and isinstance(steps, list) and steps:
        add(("steps",), "no `start` step: a scenario starts exactly one run")


def version_number(key: Any) -> int | None:
    """A key of ``versions`` as a version number (YAML reads ``2:`` as a number, JSON as ``"2"``), or None."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key if key >= 1 else None
    if isinstance(key, str) and key.isascii() and key.isdigit() and not key.startswith("0"):
        return int(key)
    return None


def _a(action: str) -> str:
    """ "a `claim`", "an `advance`"."""
    return f"{'an' if action[0] in 'aeiou' else 'a'} `{action}`"


@lru_cache(maxsize=1)
def _step_keys() -> frozenset[str]:
    return frozenset(schema()["$defs"]["step"]["properties"])


def _check_record(record: Any, path: KeyPath, add: Any, persona_ref: Any) -> None:
    if not isinstance(record, dict):
        return
    if ("fields" in record) == ("id" in record):
        add(path, "a record is either made here (`fields`, optional `owner`) or one made earlier (`id`), not both nor neither")
    if "id" in record and "owner" in record:
        add((*path, "owner"), "`owner` is only for a record made here (with `fields`)")
    persona_ref((*path, "owner"), record.get("owner"))


def _check_mock(mock: Any, path: KeyPath, add: Any) -> None:
    if not isinstance(mock, dict):
        return
    if ("step" in mock) == ("action" in mock):
        add(path, "a mock matches either a `step` or an `action` (exactly one of them)")
    if "fail" in mock and "timeout" in mock:
        add(path, "a mock either fails (`fail`) or times out (`timeout`), not both")
    if "fail_times" not in mock:
        if not any(key in mock for key in ("result", "fail", "timeout")):
            add(path, "a mock needs `result`, `fail`, `timeout` or `fail_times`")
        elif "result" in mock and ("fail" in mock or "timeout" in mock):
            add((*path, "result"), "`result` is never used: every attempt fails (add `fail_times` to succeed after some)")
    if "retryable" in mock and not any(key in mock for key in ("fail", "timeout", "fail_times")):
        add((*path, "retryable"), "`retryable` only applies to a mock that fails")
