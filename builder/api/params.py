"""Request helpers shared by the resource blueprints: the caller, query strings,
optional bodies and sort keys."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from flask import request
from marshmallow import Schema, ValidationError, fields

from builder.api.common import body, declared, raw_body
from builder.auth import Principal, current
from builder.errors import ApiError

#: Query arguments every list takes (read by ``paginate``).
PAGING = ("cursor", "limit")
#: The largest numbers the database columns hold (a larger one is a 4xx, not a driver error).
MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def caller() -> Principal:
    """Who is calling, in a view that ``roles()`` has let in."""
    principal = current()
    if principal is None:
        raise ApiError(401, "unauthenticated", "sign in first (POST /api/session) or send a bearer token")
    return principal


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


class CommaSeparated(fields.Field):
    """``open,claimed`` -> ``("open", "claimed")``, each one of ``choices``."""

    def __init__(self, choices: Sequence[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        parts = tuple(p.strip() for p in value.split(",") if p.strip()) if isinstance(value, str) else ()
        if not parts or any(p not in self.choices for p in parts):
            raise ValidationError(f"give one or more of {', '.join(self.choices)}, separated by commas")
        return parts
