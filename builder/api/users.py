"""People, groups and queues, and API tokens (admins manage; ops read)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate
from sqlalchemy import select

from builder import accounts
from builder.api.common import StrictSchema, body, paginate, uses
from builder.auth import current, roles
from builder.extensions import db
from runtime.store.tables import ApiTokenRow, GroupRow, UserRow

bp = Blueprint("users", __name__, url_prefix="/api")


class UserIn(StrictSchema):
    username = fields.String(required=True)
    password = fields.String(load_default=None, validate=validate.Length(min=accounts.MIN_PASSWORD, max=200))
    role = fields.String(required=True, validate=validate.OneOf(accounts.ROLES))
    groups = fields.List(fields.String(), load_default=list)
    display_name = fields.String(load_default=None, validate=validate.Length(max=200))


class GroupIn(StrictSchema):
    name = fields.String(required=True)
    kind = fields.String(load_default="group", validate=validate.OneOf(accounts.GROUP_KINDS))
    label = fields.String(load_default=None, validate=validate.Length(max=200))


class TokenIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


@bp.get("/users")
@uses(paged=True)
@roles("admin", "ops")
def list_users() -> Any:
    with db()() as s:
        users = [accounts.user_view(s, u) for u in s.scalars(select(UserRow).order_by(UserRow.id))]
    return jsonify(paginate(users, lambda u: [u["username"]]))


@bp.post("/users")
@uses(UserIn)
@roles("admin")
def create_user() -> Any:
    data = body(UserIn())
    with db().begin() as s:
        user = accounts.create_user(s, data["username"], role=data["role"], password=data["password"],
                                    groups=data["groups"], display_name=data["display_name"])
        s.flush()
        view = accounts.user_view(s, user)
    return jsonify(view), 201


@bp.get("/groups")
@uses(paged=True)
@roles("admin", "ops", "member")
def list_groups() -> Any:
    with db()() as s:
        groups = []
        for group in s.scalars(select(GroupRow).order_by(GroupRow.id)):
            groups.append({"name": group.id, "kind": group.kind, "label": group.label})
    return jsonify(paginate(groups, lambda g: [g["name"]]))


@bp.post("/groups")
@uses(GroupIn)
@roles("admin")
def create_group() -> Any:
    data = body(GroupIn())
    with db().begin() as s:
        group = accounts.create_group(s, data["name"], kind=data["kind"], label=data["label"])
        view = {"name": group.id, "kind": group.kind, "label": group.label}
    return jsonify(view), 201


@bp.get("/tokens")
@uses(paged=True)
@roles("admin")
def list_tokens() -> Any:
    with db()() as s:
        tokens = [accounts.token_view(t) for t in s.scalars(select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id))]
    return jsonify(paginate(tokens, lambda t: [t["created_at"], t["id"]]))


@bp.post("/tokens")
@uses(TokenIn)
@roles("admin")
def create_token() -> Any:
    data = body(TokenIn())
    principal = current()
    with db().begin() as s:
        row, secret = accounts.create_token(s, data["name"], created_by=principal.name if principal else None)
        view = {**accounts.token_view(row), "token": secret}
    return jsonify(view), 201


@bp.delete("/tokens/<token_id>")
@roles("admin")
def revoke_token(token_id: str) -> Any:
    with db().begin() as s:
        view = accounts.token_view(accounts.revoke_token(s, token_id))
    return jsonify(view)
