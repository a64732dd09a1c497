"""runtime.values: input/variable types and form field values."""

from __future__ import annotations

import pytest

from runtime.values import FORM_FIELD_TYPES, INPUT_TYPES, check_form_value, check_type


def test_type_names():
    assert INPUT_TYPES == ("string", "number", "integer", "boolean", "date", "datetime", "list", "map")
    assert FORM_FIELD_TYPES == ("text", "textarea", "number", "integer", "boolean", "date", "datetime", "email", "select", "multiselect")


FITS = [
    ("string", ""),
    ("string", "hello"),
    ("number", 0),
    ("number", -3),
    ("number", 2.5),
    ("integer", 7),
    ("integer", 7.0),
    ("integer", -2),
    ("boolean", True),
    ("boolean", False),
    ("date", "2024-02-29"),
    ("datetime", "2024-05-01T09:30:00Z"),
    ("datetime", "2024-05-01T09:30:00.123+02:00"),
    ("datetime", "2024-05-01T09:30Z"),
    ("datetime", "2024-05-01t09:30:00z"),
    ("list", []),
    ("list", [1, "a", None]),
    ("map", {}),
    ("map", {"a": [1]}),
]


@pytest.mark.parametrize(("type_name", "value"), FITS)
def test_values_that_fit(type_name, value):
    assert check_type(type_name, value) is None


MISFITS = [
    ("string", 1, "must be a string"),
    ("string", None, "must be a string"),
    ("number", True, "must be a number"),
    ("number", "1", "must be a number"),
    ("number", float("nan"), "must be a number"),
    ("number", float("inf"), "must be a number"),
    ("number", None, "must be a number"),
    ("integer", 1.5, "must be an integer"),
    ("integer", False, "must be an integer"),
    ("integer", "3", "must be an integer"),
    ("boolean", 1, "must be true or false"),
    ("boolean", "true", "must be true or false"),
    ("date", "2024-02-30", "YYYY-MM-DD"),
    ("date", "2024-2-3", "YYYY-MM-DD"),
    ("date", "2024-05-01T00:00:00Z", "YYYY-MM-DD"),
    ("date", 20240501, "YYYY-MM-DD"),
    ("datetime", "2024-05-01T09:30:00", "with an offset"),
    ("datetime", "2024-05-01", "with an offset"),
    ("datetime", "2024-05-01T25:00:00Z", "with an offset"),
    ("datetime", "2024-05-01 09:30:00Z", "with an offset"),
    ("datetime", "yesterday", "with an offset"),
    ("datetime", 1714555800, "with an offset"),
    ("list", (1, 2), "must be a list"),
    ("list", "abc", "must be a list"),
    ("list", {}, "must be a list"),
    ("map", [], "must be an object"),
    ("map", None, "must be an object"),
]


@pytest.mark.parametrize(("type_name", "value", "fragment"), MISFITS)
def test_values_that_do_not_fit(type_name, value, fragment):
    message = check_type(type_name, value)
    assert message is not None and fragment in message


def test_unknown_type():
    message = check_type("money", 1)
    assert message is not None and "unknown type 'money'" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ({"type": "text"}, "hello"),
        ({"type": "textarea"}, ""),
        ({"type": "number"}, 3.5),
        ({"type": "integer"}, 4),
        ({"type": "boolean"}, False),
        ({"type": "date"}, "2024-01-31"),
        ({"type": "datetime"}, "2024-01-31T08:00:00+01:00"),
        ({"type": "email"}, "ann@example.com"),
        ({"type": "email"}, "first.last+tag@mail.example.co.uk"),
        ({"type": "select", "options": ["low", "high"]}, "high"),
        ({"type": "multiselect", "options": ["a", "b", "c"]}, ["c", "a"]),
        ({"type": "multiselect", "options": ["a", "b"]}, []),
    ],
)
def test_form_values_that_fit(field, value):
    assert check_form_value(field, value) is None


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ({"type": "text"}, 5, "must be text"),
        ({"type": "textarea"}, None, "must be text"),
        ({"type": "number"}, "5", "must be a number"),
        ({"type": "integer"}, 2.5, "must be an integer"),
        ({"type": "boolean"}, "no", "true or false"),
        ({"type": "date"}, "31/01/2024", "YYYY-MM-DD"),
        ({"type": "datetime"}, "2024-01-31T08:00:00", "with an offset"),
        ({"type": "email"}, "ann", "email address"),
        ({"type": "email"}, "ann@example", "email address"),
        ({"type": "email"}, "ann @example.com", "email address"),
        ({"type": "email"}, "ann@@example.com", "email address"),
        ({"type": "email"}, "a@" + "b" * 250 + ".com", "email address"),
        ({"type": "email"}, 42, "email address"),
        ({"type": "select", "options": ["low", "high"]}, "medium", "must be one of: low, high"),
        ({"type": "select", "options": ["1", "2"]}, 1, "must be one of: 1, 2"),
        ({"type": "select"}, "x", "must be one of: (none)"),
        ({"type": "multiselect", "options": ["a", "b"]}, "a", "must be a list of options"),
        ({"type": "multiselect", "options": ["a", "b"]}, ["a", "z"], "'z', which is not one of: a, b"),
        ({"type": "multiselect", "options": ["a", "b"]}, ["a", "a"], "'a' more than once"),
        ({"type": "multiselect", "options": ["a", "b"]}, [["a"]], "not one of"),
        ({"type": "signature"}, "x", "unknown type 'signature'"),
        ({}, "x", "unknown type None"),
        ("not a field", "x", "unknown type"),
    ],
)
def test_form_values_that_do_not_fit(field, value, fragment):
    message = check_form_value(field, value)
    assert message is not None and fragment in message
