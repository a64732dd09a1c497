"""Accounts: people with a role, groups and queues, and API tokens for systems.

Passwords are hashed with scrypt (werkzeug); tokens are random and only their
SHA-256 is stored, so a leaked database reveals neither.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from builder import passwords, sessions
from builder.cpu import check_password_hash, generate_password_hash
from builder.tables import ApiTokenRow
from runtime.errors import Conflict, InvalidInput, NotFound
from runtime.states import OPEN_ITEM
from runtime.store.tables import (
    GroupRow,
    MembershipRow,
    OrchestrationRow,
    RecordTypeRow,
    UserRow,
    VersionRow,
    WorkItemRow,
)

ROLES = ("admin", "ops", "member")
GROUP_KINDS = ("group", "queue")
NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
#: werkzeug method for new hashes; tests lower its cost, production keeps scrypt.
HASH_METHOD = "scrypt"
# Compared against when a user does not exist, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not a real password")


def _now() -> datetime:
    return datetime.now(UTC)


def check_name(kind: str, name: Any, field: str = "name") -> str:
    if not isinstance(name, str) or not NAME.match(name):
        message = f"{kind} name must be 1-64 lower-case letters, digits, '_', '.' or '-', starting with a letter"
        raise InvalidInput(message, {field: [message]})
    return name


def check_password(password: str, *context: str | None, field: str = "password") -> str:
    """``password`` if the password rules (builder/passwords.py) allow it for a person
    known by ``context`` (user name, display name, e-mail address); else a 422 on ``field``."""
    shortest = current_app.config["PASSWORD_MIN_LENGTH"] if has_app_context() else passwords.DEFAULT_MIN_LENGTH
    return passwords.check(password, passwords.context_words(*context), field=field, shortest=shortest)


def _hash(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def create_user(
    session: Session,
    username: str,
    *,
    role: str,
    password: str | None,
    groups: Iterable[str] = (),
    display_name: str | None = None,
    check_strength: bool = True,
) -> UserRow:
    """A new person; ``check_strength=False`` only for the demo's published password (builder/seed.py)."""
    check_name("user", username, "username")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of: {', '.join(ROLES)}", {"role": [f"one of: {', '.join(ROLES)}"]})
    if session.get(UserRow, username) is not None:
        raise Conflict(f"user {username} already exists", {"username": ["this user name is taken"]})
    if password is not None and check_strength:
        check_password(password, username, display_name)
    user = UserRow(
        id=username,
        role=role,
        password_hash=_hash(password) if password is not None else None,
        display_name=display_name or username,
        active=True,
        created_at=_now(),
    )
    session.add(user)
    set_groups(session, username, groups)
    return user


def _replace_memberships(
    session: Session, side: Any, value: str, others: Iterable[str], *, other: type[UserRow] | type[GroupRow], field: str, what: str
) -> None:
    """Make ``value`` (a user or a group, by ``side``) a member of exactly ``others``; unknown
    names are a 422 on ``field`` and nothing changes."""
    names = list(dict.fromkeys(others))
    missing = [n for n in names if session.get(other, n) is None]
    if missing:
        message = f"no such {what}: {', '.join(missing)}"
        raise InvalidInput(message, {field: [message]})
    for membership in session.scalars(select(MembershipRow).where(side == value)):
        session.delete(membership)
    session.flush()
    for name in names:
        pair = (value, name) if side is MembershipRow.user_id else (name, value)
        session.add(MembershipRow(user_id=pair[0], group_id=pair[1]))


def set_groups(session: Session, username: str, groups: Iterable[str]) -> None:
    _replace_memberships(session, MembershipRow.user_id, username, groups, other=GroupRow, field="groups", what="group or queue")


def create_group(session: Session, name: str, *, kind: str = "group", label: str | None = None) -> GroupRow:
    check_name("group", name)
    if kind not in GROUP_KINDS:
        raise InvalidInput("kind must be group or queue", {"kind": ["group or queue"]})
    if session.get(GroupRow, name) is not None:
        raise Conflict(f"group {name} already exists", {"name": ["this name is taken"]})
    group = GroupRow(id=name, kind=kind, label=label or name.replace("_", " ").title(), created_at=_now())
    session.add(group)
    return group


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    user = session.get(UserRow, username) if isinstance(username, str) else None
    if user is None or not user.active or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password) else None


def groups_of(session: Session, username: str) -> list[dict[str, str]]:
    statement = (
        select(GroupRow)
        .join(MembershipRow, MembershipRow.group_id == GroupRow.id)
        .where(MembershipRow.user_id == username)
        .order_by(GroupRow.id)
    )
    return [{"name": g.id, "kind": g.kind} for g in session.scalars(statement)]


def user_view(session: Session, user: UserRow) -> dict[str, Any]:
    return {
        "username": user.id,
        "role": user.role,
        "display_name": user.display_name,
        "active": user.active,
        "groups": groups_of(session, user.id),
    }


def require_user(session: Session, username: str) -> UserRow:
    user = session.get(UserRow, username)
    if user is None:
        raise NotFound(f"user {username} does not exist")
    return user


def require_group(session: Session, name: str) -> GroupRow:
    group = session.get(GroupRow, name)
    if group is None:
        raise NotFound(f"group or queue {name} does not exist")
    return group


def _other_active_admins(session: Session, username: str) -> int:
    statement = select(func.count()).select_from(UserRow).where(UserRow.role == "admin", UserRow.active.is_(True), UserRow.id != username)
    return int(session.scalar(statement) or 0)


def _keep_an_admin(session: Session, user: UserRow, doing: str) -> None:
    """Refuse to leave nobody able to manage people (an admin nobody can replace)."""
    if user.role == "admin" and user.active and _other_active_admins(session, user.id) == 0:
        raise Conflict(f"{user.id} is the last active admin; make someone else an admin before {doing}")


def update_user(
    session: Session,
    username: str,
    *,
    display_name: str | None = None,
    role: str | None = None,
    groups: Iterable[str] | None = None,
) -> UserRow:
    """Change what is given; ``groups`` (group and queue names) replaces the memberships."""
    user = require_user(session, username)
    if role is not None and role != user.role:
        if role not in ROLES:
            raise InvalidInput(f"role must be one of: {', '.join(ROLES)}", {"role": [f"one of: {', '.join(ROLES)}"]})
        if user.role == "admin":
            _keep_an_admin(session, user, "taking the admin role from them")
        user.role = role
    if display_name is not None:
        if not display_name.strip():
            raise InvalidInput("display name must not be blank", {"display_name": ["must not be blank"]})
        user.display_name = display_name.strip()
    if groups is not None:
        set_groups(session, username, groups)
    return user


def deactivate(session: Session, username: str, *, by: str) -> UserRow:
    """Mark a person inactive: they can no longer sign in, and their sessions end."""
    user = require_user(session, username)
    if username == by:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    if not user.active:
        raise Conflict(f"{username} is already inactive")
    _keep_an_admin(session, user, "deactivating them")
    user.active = False
    sessions.end_all(session, username)
    return user


def reactivate(session: Session, username: str) -> UserRow:
    user = require_user(session, username)
    user.active = True
    return user


def set_password(session: Session, username: str, password: str, *, field: str = "password", keep_session: str | None = None) -> UserRow:
    """A new password (checked against the rules): every session of the person ends but
    ``keep_session``, the one of a person changing their own."""
    user = require_user(session, username)
    check_password(password, user.id, user.display_name, user.email, field=field)
    user.password_hash = _hash(password)
    sessions.end_all(session, username, keep=keep_session)
    return user


def open_items(session: Session, username: str) -> dict[str, int]:
    """Open work items a person holds: ``assigned`` to them personally (open or claimed),
    and ``claimed`` by them from a group or queue (or another person)."""
    open_ = WorkItemRow.status.in_(OPEN_ITEM)
    personal = and_(WorkItemRow.assignee_type == "user", WorkItemRow.assignee_value == username)
    assigned = session.scalar(select(func.count()).select_from(WorkItemRow).where(open_, personal))
    claimed = session.scalar(
        select(func.count()).select_from(WorkItemRow).where(WorkItemRow.status == "claimed", WorkItemRow.claimed_by == username, ~personal)
    )
    return {"assigned": int(assigned or 0), "claimed": int(claimed or 0)}


def user_detail(session: Session, user: UserRow) -> dict[str, Any]:
    return {**user_view(session, user), "open_items": open_items(session, user.id)}


def members_of(session: Session, name: str) -> list[UserRow]:
    statement = (
        select(UserRow).join(MembershipRow, MembershipRow.user_id == UserRow.id).where(MembershipRow.group_id == name).order_by(UserRow.id)
    )
    return list(session.scalars(statement))


def group_view(session: Session, group: GroupRow) -> dict[str, Any]:
    """A group or queue with its members' user names (the listing's shape)."""
    return {"name": group.id, "kind": group.kind, "label": group.label, "members": [u.id for u in members_of(session, group.id)]}


def group_views(session: Session) -> list[dict[str, Any]]:
    """Every group and queue as :func:`group_view` has it, in two queries."""
    members: dict[str, list[str]] = {}
    for user_id, group_id in session.execute(select(MembershipRow.user_id, MembershipRow.group_id).order_by(MembershipRow.user_id)):
        members.setdefault(group_id, []).append(user_id)
    return [
        {"name": g.id, "kind": g.kind, "label": g.label, "members": members.get(g.id, [])}
        for g in session.scalars(select(GroupRow).order_by(GroupRow.id))
    ]


def group_detail(session: Session, group: GroupRow) -> dict[str, Any]:
    members = [{"username": u.id, "display_name": u.display_name, "active": u.active} for u in members_of(session, group.id)]
    return {"name": group.id, "kind": group.kind, "label": group.label, "members": members}


def update_group(session: Session, name: str, *, label: str | None = None, members: Iterable[str] | None = None) -> GroupRow:
    """Change the label, and replace the members when ``members`` (user names) is given."""
    group = require_group(session, name)
    if label is not None:
        if not label.strip():
            raise InvalidInput("label must not be blank", {"label": ["must not be blank"]})
        group.label = label.strip()
    if members is not None:
        _replace_memberships(session, MembershipRow.group_id, name, members, other=UserRow, field="members", what="user")
    return group


def record_triggers(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Record type name -> the orchestrations whose active version a save of that type starts."""
    statement = (
        select(OrchestrationRow, VersionRow)
        .join(VersionRow, and_(VersionRow.orchestration == OrchestrationRow.id, VersionRow.number == OrchestrationRow.active_version))
        .where(VersionRow.trigger_object.is_not(None))
        .order_by(OrchestrationRow.id)
    )
    triggers: dict[str, list[dict[str, Any]]] = {}
    for orchestration, version in session.execute(statement):
        trigger = version.document.get("trigger") or {}
        triggers.setdefault(str(version.trigger_object), []).append(
            {
                "orchestration": orchestration.id,
                "label": version.document.get("label") or orchestration.label,
                "version": version.number,
                "on": list(trigger.get("on") or []),
                "condition": trigger.get("condition"),
            }
        )
    return triggers


def record_type_view(row: RecordTypeRow, triggers: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"name": row.id, "label": row.label, "fields": row.fields, "triggers": triggers.get(row.id, [])}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, *, created_by: str | None) -> tuple[ApiTokenRow, str]:
    """A new token; the secret is returned once and never stored."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("token name must be 1-100 characters")
    token_id = secrets.token_hex(6)
    secret = f"ovt_{token_id}_{secrets.token_urlsafe(32)}"
    row = ApiTokenRow(id=token_id, name=name.strip(), token_hash=_token_hash(secret), created_by=created_by, created_at=_now())
    session.add(row)
    return row, secret


def token_owner(session: Session, secret: str) -> ApiTokenRow | None:
    row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = _now()
    return row


def revoke_token(session: Session, token_id: str) -> ApiTokenRow:
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = _now()
    return row


def token_view(row: ApiTokenRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
    }
