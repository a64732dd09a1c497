"""People, groups and queues, and API tokens (admins manage; ops read).

Deactivating a person hands their open work over in the same transaction: items they
claimed from a group or queue go back to it, items assigned to them personally go
where the admin says (``reassign_to``). Nobody may leave the app without an active
admin, and an admin may not deactivate themselves.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify
from marshmallow import fields, validate
from sqlalchemy import select

from builder import accounts, audit, passwords, sessions
from builder.api.work_items import AssigneeIn
from builder.auth import caller, current, roles
from builder.errors import ApiError
from builder.extensions import db, engine, state
from builder.requests import NoBody, StrictSchema, body, optional_body, paginate, uses
from builder.tables import ApiTokenRow
from runtime.store.base import Transaction
from runtime.store.tables import GroupRow, UserRow

bp = Blueprint("users", __name__, url_prefix="/api")


#: The rest of the rules (length at least, common, built on the name) are builder/passwords.py's.
PASSWORD_LENGTH = validate.Length(max=passwords.MAX_LENGTH, error="must be at most {max} characters")


class UserIn(StrictSchema):
    username = fields.String(required=True)
    password = fields.String(load_default=None, validate=PASSWORD_LENGTH)
    role = fields.String(required=True, validate=validate.OneOf(accounts.ROLES))
    groups = fields.List(fields.String(), load_default=list)
    display_name = fields.String(load_default=None, validate=validate.Length(max=200))


class UserChange(StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(accounts.ROLES))
    groups = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=500))


class DeactivateIn(StrictSchema):
    reassign_to = fields.Nested(AssigneeIn, required=True, allow_none=True)


class PasswordResetIn(StrictSchema):
    password = fields.String(required=True, validate=PASSWORD_LENGTH)


class GroupChange(StrictSchema):
    label = fields.String(validate=validate.Length(min=1, max=200))
    members = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=5000))


class GroupIn(StrictSchema):
    name = fields.String(required=True)
    kind = fields.String(load_default="group", validate=validate.OneOf(accounts.GROUP_KINDS))
    label = fields.String(load_default=None, validate=validate.Length(max=200))


class TokenIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


def _user_state(view: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a person (never a password)."""
    return {
        "display_name": view["display_name"],
        "role": view["role"],
        "active": view["active"],
        "groups": sorted(g["name"] for g in view["groups"]),
    }


def _group_state(view: dict[str, Any]) -> dict[str, Any]:
    return {"label": view["label"], "members": sorted(view["members"])}


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
        user = accounts.create_user(
            s, data["username"], role=data["role"], password=data["password"], groups=data["groups"], display_name=data["display_name"]
        )
        s.flush()
        view = accounts.user_view(s, user)
        audit.record(s, "user.created", "user", user.id, label=user.display_name, after=_user_state(view))
    return jsonify(view), 201


@bp.get("/users/<username>")
@roles("admin", "ops")
def get_user(username: str) -> Any:
    with db()() as s:
        return jsonify(accounts.user_detail(s, accounts.require_user(s, username)))


@bp.patch("/users/<username>")
@uses(UserChange)
@roles("admin")
def update_user(username: str) -> Any:
    data = body(UserChange())
    with db().begin() as s:
        before = _user_state(accounts.user_view(s, accounts.require_user(s, username)))
        user = accounts.update_user(s, username, display_name=data.get("display_name"), role=data.get("role"), groups=data.get("groups"))
        s.flush()
        view = accounts.user_detail(s, user)
        audit.record(s, "user.changed", "user", user.id, label=user.display_name, before=before, after=_user_state(view))
    return jsonify(view)


def _check_assignee(to: dict[str, str], leaving: str) -> None:
    """422 unless ``to`` is an active person other than ``leaving``, or an existing group or queue."""
    with db()() as s:
        if to["type"] == "user":
            user = s.get(UserRow, to["value"])
            problem = (
                f"there is no person {to['value']}"
                if user is None
                else f"{user.id} is inactive"
                if not user.active
                else f"{user.id} is the person being deactivated"
                if user.id == leaving
                else None
            )
        else:
            group = s.get(GroupRow, to["value"])
            problem = f"there is no {to['type']} {to['value']}" if group is None or group.kind != to["type"] else None
    if problem:
        raise ApiError(422, "invalid", f"reassign_to: {problem}", {"reassign_to": {"value": [problem]}})


@bp.post("/users/<username>/deactivate")
@uses(DeactivateIn)
@roles("admin")
def deactivate_user(username: str) -> Any:
    to = body(DeactivateIn())["reassign_to"]
    admin = caller().name
    if to is not None:
        _check_assignee(to, username)

    def mark_inactive(tx: Transaction) -> None:
        # The engine's own transaction, so the person and their work change together.
        with state().store.session(tx) as s:
            user = accounts.deactivate(s, username, by=admin)
            audit.record(s, "user.deactivated", "user", username, label=user.display_name, before={"active": True}, after=after)

    after: dict[str, Any] = {"active": False, "work_to": to}
    moved = engine().hand_over(username, to, by=admin, also=mark_inactive)
    with db()() as s:
        view = accounts.user_detail(s, accounts.require_user(s, username))
    return jsonify({**view, **moved})


@bp.post("/users/<username>/reactivate")
@uses(NoBody, optional=True)
@roles("admin")
def reactivate_user(username: str) -> Any:
    optional_body(NoBody())  # no body, or an empty object
    with db().begin() as s:
        user = accounts.reactivate(s, username)
        s.flush()
        audit.record(s, "user.reactivated", "user", username, label=user.display_name, before={"active": False}, after={"active": True})
        view = accounts.user_detail(s, user)
    return jsonify(view)


@bp.post("/users/<username>/password")
@uses(PasswordResetIn)
@roles("admin")
def reset_password(username: str) -> Any:
    """A new password chosen by an admin; the person's sessions end (they sign in with it),
    but the admin's own when it is their own password."""
    data = body(PasswordResetIn())
    own = g.get("session_id") if caller().name == username else None
    with db().begin() as s:
        user = accounts.set_password(s, username, data["password"], keep_session=own)
        view = accounts.user_view(s, user)
        audit.record(s, "user.password_reset", "user", username, label=user.display_name)  # never the password
    return jsonify(view)


@bp.delete("/users/<username>/sessions")
@roles("admin")
def end_sessions(username: str) -> Any:
    """Sign a person out everywhere: every browser they signed in from must sign in again."""
    with db().begin() as s:
        user = accounts.require_user(s, username)
        ended = sessions.end_all(s, username)
        audit.record(s, "user.signed_out_everywhere", "user", username, label=user.display_name, after={"sessions_ended": ended})
    return jsonify({"username": username, "ended": ended})


@bp.get("/groups")
@uses(paged=True)
@roles("admin", "ops", "member")
def list_groups() -> Any:
    with db()() as s:
        groups = accounts.group_views(s)
    return jsonify(paginate(groups, lambda g: [g["name"]]))


@bp.get("/groups/<group>")
@roles("admin", "ops")
def get_group(group: str) -> Any:
    with db()() as s:
        return jsonify(accounts.group_detail(s, accounts.require_group(s, group)))


@bp.patch("/groups/<group>")
@uses(GroupChange)
@roles("admin")
def update_group(group: str) -> Any:
    data = body(GroupChange())
    with db().begin() as s:
        before = _group_state(accounts.group_view(s, accounts.require_group(s, group)))
        row = accounts.update_group(s, group, label=data.get("label"), members=data.get("members"))
        s.flush()
        view = accounts.group_detail(s, row)
        after = _group_state(accounts.group_view(s, row))
        audit.record(s, f"{row.kind}.changed", row.kind, row.id, label=row.label, before=before, after=after)
    return jsonify(view)


@bp.post("/groups")
@uses(GroupIn)
@roles("admin")
def create_group() -> Any:
    data = body(GroupIn())
    with db().begin() as s:
        group = accounts.create_group(s, data["name"], kind=data["kind"], label=data["label"])
        s.flush()
        view = accounts.group_view(s, group)
        audit.record(s, f"{group.kind}.created", group.kind, group.id, label=group.label, after=_group_state(view))
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
        audit.record(s, "token.created", "token", row.id, label=row.name, after={"name": row.name})  # never the token
    return jsonify(view), 201


@bp.delete("/tokens/<token_id>")
@roles("admin")
def revoke_token(token_id: str) -> Any:
    with db().begin() as s:
        row = s.get(ApiTokenRow, token_id)
        revoked = row is not None and row.revoked_at is not None
        view = accounts.token_view(accounts.revoke_token(s, token_id))
        audit.record(s, "token.revoked", "token", token_id, label=view["name"], before={"revoked": revoked}, after={"revoked": True})
    return jsonify(view)
