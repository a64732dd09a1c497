"""Helpers shared by the API blueprints: JSON bodies, schemas, cursor pagination."""

from __future__ import annotations

import base64
import json
from typing import Any, Callable, Sequence, TypeVar

from flask import request
from marshmallow import RAISE, Schema

from builder.errors import ApiError

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class StrictSchema(Schema):
    """Unknown fields are an error, at every entry point."""

    class Meta:
        unknown = RAISE


def body(schema: Schema) -> Any:
    """The request's JSON body, loaded with ``schema`` (422 with details when it does not fit)."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)")
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON")
    return schema.load(payload)


def limit_arg() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
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
        items = [i for i in items if list(key(i)) > after]
    page = items[:limit]
    more = len(items) > limit
    return {"items": page, "next_cursor": encode_cursor(key(page[-1])) if more and page else None}
