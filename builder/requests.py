"""Request helpers below every blueprint (``builder/api/*``, the live stream, sign-in in
``builder/auth.py``): JSON bodies, query strings, the ``@uses`` declarations the OpenAPI
document is made from, cursor pagination and sort keys.

It imports nothing of ``builder`` but ``builder.errors``, so any module may use it without
a cycle; who is calling is ``builder.auth.caller``.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Response, current_app, request
from marshmallow import RAISE, Schema, ValidationError, fields

from builder.errors import ApiError, too_large
from runtime.text import lone_surrogate

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: Deeper bodies are refused: no document nests near this, and recursion has limits.
MAX_DEPTH = 64
#: Query arguments every list takes (read by ``paginate``).
PAGING = ("cursor", "limit")
#: The largest numbers the database columns hold (a larger one is a 4xx, not a driver error).
MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class StrictSchema(Schema):
    """Unknown fields are an error, at every entry point."""

    class Meta:
        unknown = RAISE


class Bool(fields.Boolean):
    """JSON ``true`` or ``false`` and nothing else: marshmallow's Boolean also takes ``1``,
    ``"yes"``, ``"on"``... (and ``1 in {True}`` holds, so truthy sets alone cannot refuse 1)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Flag(fields.Boolean):
    """A yes/no query argument: ``true``/``1`` or ``false``/``0`` (query strings are text)."""

    truthy = {"true", "1"}
    falsy = {"false", "0"}


class Int(fields.Integer):
    """A JSON integer: not ``"12"``, not ``2.0``, not ``true``."""

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)


class NoBody(StrictSchema):
    """No body, or an empty object (ops controls, claim, release)."""


@dataclass(frozen=True)
class Uses:
    """What a view reads from the request, as ``GET /api/openapi.json`` documents it."""

    body: type[Schema] | None = None
    query: type[Schema] | None = None
    optional: bool = False  # the body may be left out
    paged: bool = False  # takes ``cursor`` and ``limit``
    empty: bool = False  # answers 204 with no body (:func:`no_content`)


def uses(
    body: type[Schema] | None = None, *, query: type[Schema] | None = None, optional: bool = False, paged: bool = False, empty: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the schemas a view loads (put it under the route decorator).

    ``body()`` and ``query()`` refuse a schema the view did not declare, so the
    OpenAPI document cannot drift from what the views really load.
    """

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        vars(view)["uses"] = Uses(body, query, optional, paged, empty)  # read with getattr
        return view

    return mark


def declared(kind: str, schema: Schema) -> None:
    """Fail loudly (a bug of ours, not bad input) when the view did not declare ``schema``."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(getattr(view, "uses", None), kind, None) is not type(schema):
        raise RuntimeError(
            f"{request.endpoint} loads {type(schema).__name__} from the {kind} "
            f"without declaring it: add @uses({kind}={type(schema).__name__})"
        )


def body(schema: Schema) -> Any:
    """The request's JSON body, loaded with ``schema`` (422 with details when it does not fit)."""
    declared("body", schema)
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)")
    payload = _json(raw_body())
    if payload is None:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON")
    return schema.load(payload)


def no_content() -> Response:
    """A 204: no body, hence no Content-Type (Flask would call the nothing text/html).
    Views answering so declare ``@uses(empty=True)`` for the OpenAPI document."""
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    return response


def raw_body() -> bytes:
    """The request's body. Werkzeug cuts a chunked body (no Content-Length) off at
    ``MAX_CONTENT_LENGTH`` without a word; one that reaches the limit is a 413 here."""
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(raw) >= limit:
        raise too_large()
    return raw


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: Python reads infinity, which JSON cannot say back
        raise ValueError(f"{text} is out of range")
    return value


def _whole(text: str) -> int:
    value = int(text)
    if abs(value) > _LARGEST:  # a 400-digit integer: no double holds it, and number checks overflow
        raise ValueError(f"{text[:20]}... is out of range")
    return value


_LARGEST = int(sys.float_info.max)


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any) -> bool:
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ())]
        if not level:
            return False
    return True


def _json(raw: bytes) -> Any:
    """Strict JSON: no NaN or Infinity, no numbers out of a double's range, bounded nesting
    (Python's json module accepts the first two and overflows the stack on the last)."""
    try:
        payload = json.loads(raw, parse_float=_finite, parse_int=_whole, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return None
    if _too_deep(payload):
        raise ApiError(400, "too_deep", f"the request body nests deeper than {MAX_DEPTH} levels")
    half = lone_surrogate(payload)
    if half is not None:
        where = ".".join(str(part) for part in half)
        # JSON may escape half of a UTF-16 pair ("\ud800"); no text of ours can hold one
        # (the database, YAML and e-mail all refuse it), so it is refused here, once.
        raise ApiError(
            422,
            "invalid_text",
            f"{where or 'the body'} has a lone surrogate (half of a UTF-16 pair): send valid Unicode text",
            {where or "_body": ["has a lone surrogate"]},
        )
    return payload


def client_address() -> str:
    """The caller's address: the peer's, or what ``OVERTURE_TRUSTED_PROXIES`` proxies say it
    is (``builder.auth`` puts werkzeug's ProxyFix in front of the app for them)."""
    return request.remote_addr or ""


def limit_arg() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    # isdigit() alone lets "²" through to int(), and int() refuses very long numbers
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> list[Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out") from None
    if not isinstance(value, list):
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out")
    return value


def paginate(items: list[T], key: Callable[[T], Sequence[Any]]) -> dict[str, Any]:
    """A page of ``items`` (already in ``key`` order) after the request's cursor.

    The cursor is the sort key of the last item given, so pages stay stable while new
    items arrive.
    """
    limit = limit_arg()
    after = decode_cursor(request.args.get("cursor"))
    if after is not None:
        try:
            items = [i for i in items if list(key(i)) > after]
        except TypeError:  # a list, but not one of our sort keys: ["x"] against [-micros, id]
            raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out") from None
    page = items[:limit]
    more = len(items) > limit
    return {"items": page, "next_cursor": encode_cursor(key(page[-1])) if more and page else None}


def cursor_arg(*shape: type) -> list[Any] | None:
    """The request's cursor for a list paged in SQL, checked to be a sort key of ``shape``
    (one type per part) so a query never sees a value of the wrong kind; 400 otherwise."""
    after = decode_cursor(request.args.get("cursor"))
    if after is not None and (len(after) != len(shape) or not all(type(v) is t for v, t in zip(after, shape, strict=True))):
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out")
    return after


def keyset_page(rows: list[T], limit: int, key: Callable[[T], Sequence[Any]]) -> tuple[list[T], str | None]:
    """A page of ``rows`` - a query's answer to ``LIMIT limit + 1`` - and the cursor of the
    next page (the last row's sort key), None when no row follows."""
    page = rows[:limit]
    return page, encode_cursor(key(page[-1])) if len(rows) > limit and page else None


def newest_first_after(after: list[Any] | None) -> tuple[datetime, str] | None:
    """The (time, id) a :func:`newest_first` cursor stands for, for a keyset query."""
    if after is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=-after[0]), after[1]
    except OverflowError:
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out") from None


def query(schema: Schema) -> Any:
    """The query string loaded with ``schema`` (400 with details when it does not fit)."""
    declared("query", schema)
    args = {name: value for name, value in request.args.items() if name not in PAGING}
    try:
        return schema.load(args)
    except ValidationError as exc:
        raise ApiError(400, "bad_query", "the query string does not fit: see details", exc.messages) from None


def optional_body(schema: Schema) -> Any:
    """Like ``body``, but an empty request body counts as ``{}``."""
    if not raw_body():
        declared("body", schema)
        return schema.load({})
    return body(schema)


def newest_first(when: datetime | str | None, ident: str) -> list[Any]:
    """A sort key (and cursor) that puts the newest first: ascending in minus microseconds."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    micros = (when - _EPOCH) // timedelta(microseconds=1) if when is not None else 0
    return [-micros, ident]


class CommaSeparated(fields.Field[tuple[str, ...]]):
    """``open,claimed`` -> ``("open", "claimed")``, each one of ``choices``."""

    def __init__(self, choices: Sequence[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        parts = tuple(p.strip() for p in value.split(",") if p.strip()) if isinstance(value, str) else ()
        if not parts or any(p not in self.choices for p in parts):
            raise ValidationError(f"give one or more of {', '.join(self.choices)}, separated by commas")
        return parts
