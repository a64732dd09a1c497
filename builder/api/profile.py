"""Each person's profile (display name, e-mail, notifications, password) and out of
office; admins set these for others."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify
from marshmallow import fields, validate
from sqlalchemy.orm import Session

from builder import accounts, audit, profiles, sessions
from builder.api.users import PASSWORD_LENGTH
from builder.auth import caller, check_throttle, record_attempt, require_session, roles, throttled, timeouts
from builder.auth import now as session_now
from builder.errors import ApiError
from builder.extensions import db, engine
from builder.requests import StrictSchema, body, uses
from runtime.store.tables import UserRow

bp = Blueprint("profile", __name__, url_prefix="/api")


class ProfileIn(StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    email_mode = fields.String(validate=validate.OneOf(profiles.EMAIL_MODES))


class EmailSettingsIn(StrictSchema):
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    email_mode = fields.String(validate=validate.OneOf(profiles.EMAIL_MODES))


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(max=1000))
    new_password = fields.String(required=True, validate=PASSWORD_LENGTH)


class OutOfOfficeIn(StrictSchema):
    delegate = fields.String(required=True, validate=validate.Length(min=1, max=64))
    starts_at = fields.AwareDateTime(required=True, format="iso")
    ends_at = fields.AwareDateTime(required=True, format="iso")


def _now() -> Any:
    return engine().clock.now()


def _self_or_admin(username: str) -> None:
    principal = caller()
    if principal.name != username and principal.role != "admin":
        raise ApiError(403, "forbidden", "only the person themselves or an admin may change this")


def _settings_changed(s: Session, user: UserRow, changes: dict[str, Any]) -> None:
    """Apply a person's settings, with the audit entry of what changed."""
    before = {"display_name": user.display_name, "email": user.email, "email_mode": user.email_mode}
    profiles.update_settings(user, changes)
    after = {"display_name": user.display_name, "email": user.email, "email_mode": user.email_mode}
    audit.record(s, "user.changed", "user", user.id, label=user.display_name, before=before, after=after)


def _away(view: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the audit log keeps of an out-of-office period: to whom and when."""
    return None if view is None else {k: view[k] for k in ("delegate", "starts_at", "ends_at")}


@bp.get("/profile")
@roles("admin", "ops", "member")
def get_profile() -> Any:
    with db()() as s:
        return jsonify(profiles.profile_view(s, profiles.get_user(s, caller().name), _now()))


@bp.patch("/profile")
@uses(ProfileIn)
@roles("admin", "ops", "member")
def update_profile() -> Any:
    changes = body(ProfileIn())
    with db().begin() as s:
        user = profiles.get_user(s, caller().name)
        _settings_changed(s, user, changes)
        s.flush()
        view = profiles.profile_view(s, user, _now())
    return jsonify(view)


@bp.post("/profile/password")
@uses(PasswordChangeIn)
@roles("admin", "ops", "member")
@throttled
def change_password() -> Any:
    """A new password for oneself, given the current one; one's other sessions end."""
    data = body(PasswordChangeIn())
    name = require_session().name
    check_throttle(name, "wrong passwords")
    with db()() as s:
        right = profiles.check_password(profiles.get_user(s, name), data["current_password"])
    record_attempt(name, right)
    if not right:
        raise ApiError(
            403, "wrong_password", "the current password is wrong; nothing was changed", {"current_password": ["wrong password"]}
        )
    with db().begin() as s:
        user = accounts.set_password(s, name, data["new_password"], field="new_password", keep_session=g.session_id)
        audit.record(s, "user.password_changed", "user", name, label=user.display_name)  # never a password
    return jsonify({"changed": True})


@bp.get("/profile/sessions")
@roles("admin", "ops", "member")
def list_sessions() -> Any:
    """Where one is signed in: this browser and any other, newest use first."""
    name = require_session().name
    idle, longest = timeouts()
    with db()() as s:
        items = sessions.of_user(s, name, current=g.session_id, now=session_now(), idle=idle, longest=longest)
    return jsonify({"items": items})


@bp.delete("/profile/sessions")
@roles("admin", "ops", "member")
def end_other_sessions() -> Any:
    """Sign out everywhere else: every session of one's own but this one ends."""
    name = require_session().name
    with db().begin() as s:
        ended = sessions.end_all(s, name, keep=g.session_id)
        user = profiles.get_user(s, name)
        audit.record(s, "user.signed_out_everywhere", "user", name, label=user.display_name, after={"sessions_ended": ended})
    return jsonify({"username": name, "ended": ended})


@bp.get("/profile/people")
@roles("admin", "ops", "member")
def list_people() -> Any:
    """Active people by display name, for choosing a delegate (members cannot list users)."""
    with db()() as s:
        return jsonify({"items": profiles.people(s)})


@bp.patch("/users/<username>/email-settings")
@uses(EmailSettingsIn)
@roles("admin")
def update_email_settings(username: str) -> Any:
    changes = body(EmailSettingsIn())
    with db().begin() as s:
        user = profiles.get_user(s, username)
        _settings_changed(s, user, changes)
        s.flush()
        view = profiles.profile_view(s, user, _now())
    return jsonify(view)


@bp.get("/users/<username>/out-of-office")
@roles("admin", "ops", "member")
def get_out_of_office(username: str) -> Any:
    _self_or_admin(username)
    with db()() as s:
        profiles.get_user(s, username)
        return jsonify({"out_of_office": profiles.out_of_office_view(s, username, _now())})


@bp.put("/users/<username>/out-of-office")
@uses(OutOfOfficeIn)
@roles("admin", "ops", "member")
def set_out_of_office(username: str) -> Any:
    _self_or_admin(username)
    data = body(OutOfOfficeIn())
    now = _now()
    with db().begin() as s:
        before = _away(profiles.out_of_office_view(s, username, now))
        profiles.set_out_of_office(
            s, username, delegate=data["delegate"], starts_at=data["starts_at"], ends_at=data["ends_at"], by=caller().name, now=now
        )
        s.flush()
        view = profiles.out_of_office_view(s, username, now)
        label = profiles.get_user(s, username).display_name
        audit.record(s, "user.out_of_office_set", "user", username, label=label, before=before, after=_away(view))
    return jsonify({"out_of_office": view})


@bp.delete("/users/<username>/out-of-office")
@roles("admin", "ops", "member")
def clear_out_of_office(username: str) -> Any:
    _self_or_admin(username)
    with db().begin() as s:
        before = _away(profiles.out_of_office_view(s, username, _now()))
        profiles.clear_out_of_office(s, username)
        if before is not None:  # clearing what is not set changes nothing
            label = profiles.get_user(s, username).display_name
            audit.record(s, "user.out_of_office_cleared", "user", username, label=label, before=before)
    return jsonify({"out_of_office": None})
