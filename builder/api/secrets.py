"""The secrets store (admins only): credentials that action inputs name as
``secrets.<name>`` instead of typing them into a document.

A value goes in (create, replace) and never comes out: every answer lists names, who
created and last changed each secret and when. Values are encrypted at rest with a key
derived from the server key (runtime/store/secrets.py) and masked in whatever a run
records (runtime/secrets.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from builder import audit
from builder.auth import caller, roles
from builder.extensions import db, engine, state
from builder.names import display_names
from builder.requests import StrictSchema, body, no_content, paginate, uses
from runtime.errors import Conflict, NotFound
from runtime.secrets import NAME
from runtime.store.tables import SecretRow

bp = Blueprint("secrets", __name__, url_prefix="/api/secrets")

#: Long enough for a private key or a service account's JSON.
MAX_VALUE = 16_384


class SecretValue(StrictSchema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=MAX_VALUE))


class SecretIn(SecretValue):
    name = fields.String(
        required=True,
        validate=validate.Regexp(
            NAME, error="must be an identifier (letters, digits, _; not starting with a digit), as secrets.<name> reads it"
        ),
    )


def _views(rows: list[SecretRow]) -> list[dict[str, Any]]:
    """Names and dates, with the display names of who created and changed each: never a value."""
    people, _ = display_names({n for r in rows for n in (r.created_by, r.updated_by) if n}, set())
    return [
        {
            "name": r.name,
            "created_at": r.created_at.isoformat(),
            "created_by": r.created_by,
            "created_by_name": people.get(r.created_by, r.created_by) if r.created_by else None,
            "updated_at": r.updated_at.isoformat(),
            "updated_by": r.updated_by,
            "updated_by_name": people.get(r.updated_by, r.updated_by) if r.updated_by else None,
        }
        for r in rows
    ]


def _stored(name: str, value: str, *, new: bool) -> dict[str, Any]:
    taken = Conflict(f"there is already a secret {name}; replace its value with PUT /api/secrets/{name}")
    try:
        with db().begin() as s:
            exists = s.get(SecretRow, name) is not None
            if new and exists:
                raise taken
            if not new and not exists:
                raise NotFound(f"there is no secret {name}")
            row, _created = state().secrets.put(s, name, value, by=caller().name, now=engine().clock.now())
            s.flush()
            # Never the value: that it was set is all an entry says.
            if new:
                audit.record(s, "secret.created", "secret", name, label=name, after={"value": "set"})
            else:
                audit.record(s, "secret.replaced", "secret", name, label=name, before={"value": "old"}, after={"value": "new"})
            (view,) = _views([row])
    except IntegrityError:  # another admin added the same name at the same moment
        raise taken from None
    return view


@bp.get("")
@uses(paged=True)
@roles("admin")
def list_secrets() -> Any:
    """The secrets' names, by name, with who created and last changed each (never a value)."""
    with db()() as s:
        rows = list(s.scalars(select(SecretRow).order_by(SecretRow.name)))
    return jsonify(paginate(_views(rows), lambda v: [v["name"]]))


@bp.post("")
@uses(SecretIn)
@roles("admin")
def create_secret() -> Any:
    """Add a secret (409 when the name is taken); the answer has no value."""
    data = body(SecretIn())
    return jsonify(_stored(data["name"], data["value"], new=True)), 201


@bp.put("/<name>")
@uses(SecretValue)
@roles("admin")
def replace_secret(name: str) -> Any:
    """Give a secret a new value (runs read it from their next action on)."""
    data = body(SecretValue())
    return jsonify(_stored(name, data["value"], new=False))


@bp.delete("/<name>")
@uses(empty=True)
@roles("admin")
def delete_secret(name: str) -> Any:
    """Delete a secret: steps that name it fail until it is added again."""
    with db().begin() as s:
        row = s.get(SecretRow, name)
        if row is None:
            raise NotFound(f"there is no secret {name}")
        s.delete(row)
        audit.record(s, "secret.deleted", "secret", name, label=name, before={"value": "set"})
    return no_content()
