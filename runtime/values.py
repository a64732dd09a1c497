"""Value checks shared by the validator and the engine.

Two families of types appear in an orchestration document:

- the types of ``inputs`` and ``variables`` (:data:`INPUT_TYPES`), checked with
  :func:`check_type`;
- the types of interactive form fields (:data:`FORM_FIELD_TYPES`), checked with
  :func:`check_form_value`.

Both functions answer ``None`` when a value fits and a short message otherwise
("must be a number"), so that callers can put the message after a field name.
``None`` (JSON ``null``) fits no type here: whether a missing value is allowed is
the caller's decision (a variable default may be null, a required input may not).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

INPUT_TYPES = ("string", "number", "integer", "boolean", "date", "datetime", "list", "map")

FORM_FIELD_TYPES = ("text", "textarea", "number", "integer", "boolean", "date", "datetime", "email", "select", "multiselect")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is the mailer's concern.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_MAX_EMAIL = 254

_EXPECTED = {
    "string": "must be a string",
    "number": "must be a number",
    "integer": "must be an integer",
    "boolean": "must be true or false",
    "date": "must be a date (YYYY-MM-DD)",
    "datetime": "must be a date and time in ISO-8601 with an offset (2024-05-01T09:30:00Z)",
    "list": "must be a list",
    "map": "must be an object (a map)",
}


def check_type(type_name: str, value: Any) -> str | None:
    """Check ``value`` against an input or variable type.

    Args:
        type_name: One of :data:`INPUT_TYPES`.
        value: A JSON value.

    Returns:
        ``None`` when the value fits, else a short message such as "must be a number".
    """
    if type_name not in _EXPECTED:
        return f"has an unknown type {type_name!r}; expected one of: {', '.join(INPUT_TYPES)}"
    return None if _FITS[type_name](value) else _EXPECTED[type_name]


def check_form_value(field: Mapping[str, Any], value: Any) -> str | None:
    """Check ``value`` against one form field definition of an interactive step.

    Args:
        field: The field as written in the document (``type``, ``options``...).
        value: The value a person entered.

    Returns:
        ``None`` when the value fits, else a short message.
    """
    field_type = field.get("type") if isinstance(field, Mapping) else None
    if field_type in ("text", "textarea"):
        return None if isinstance(value, str) else "must be text"
    if field_type == "email":
        return _check_email(value)
    if field_type in ("select", "multiselect"):
        options = field.get("options")
        options = list(options) if isinstance(options, (list, tuple)) else []
        return _check_select(value, options) if field_type == "select" else _check_multiselect(value, options)
    if field_type in FORM_FIELD_TYPES:  # number, integer, boolean, date, datetime
        return check_type(field_type, value)
    return f"belongs to a field of unknown type {field_type!r}"


def _is_number(value: Any) -> bool:
    # math.isfinite() overflows on an int beyond a double's range; such an int is no number we keep.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value) <= sys.float_info.max if isinstance(value, int) else math.isfinite(value)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_date(value: Any) -> bool:
    if not (isinstance(value, str) and _DATE.match(value)):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: Any) -> bool:
    if not (isinstance(value, str) and _DATETIME.match(value)):
        return False
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return moment.tzinfo is not None


_FITS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "date": _is_date,
    "datetime": _is_datetime,
    "list": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
}


def _check_email(value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= _MAX_EMAIL and _EMAIL.match(value):
        return None
    return "must be an email address (name@example.com)"


def _options_text(options: list[Any]) -> str:
    return ", ".join(str(o) for o in options) if options else "(none)"


def _is_option(value: Any, options: list[Any]) -> bool:
    # Options are strings: comparing by type first keeps True from matching 1.
    return isinstance(value, str) and value in options


def _check_select(value: Any, options: list[Any]) -> str | None:
    if _is_option(value, options):
        return None
    return f"must be one of: {_options_text(options)}"


def _check_multiselect(value: Any, options: list[Any]) -> str | None:
    if not isinstance(value, list):
        return f"must be a list of options from: {_options_text(options)}"
    seen: list[str] = []
    for item in value:
        if not _is_option(item, options):
            return f"contains {item!r}, which is not one of: {_options_text(options)}"
        if item in seen:
            return f"contains {item!r} more than once"
        seen.append(item)
    return None
