"""Accounts: people with a role, groups and queues, and API tokens for systems.

Passwords are hashed with scrypt (werkzeug); tokens are random and only their
SHA-256 is stored, so a leaked database reveals neither.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from runtime.errors import Conflict, InvalidInput, NotFound
from runtime.store.tables import ApiTokenRow, GroupRow, MembershipRow, UserRow

ROLES = ("admin", "ops", "member")
GROUP_KINDS = ("group", "queue")
NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
MIN_PASSWORD = 8
#: werkzeug method for new hashes; tests lower its cost, production keeps scrypt.
HASH_METHOD = "scrypt"
# Compared against when a user does not exist, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not a real password")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidInput(f"{kind} name must be 1-64 lower-case letters, digits, '_', '.' or '-', starting with a letter")
    return name


def create_user(
    session: Session, username: str, *, role: str, password: str | None, groups: Iterable[str] = (), display_name: str | None = None
) -> UserRow:
    check_name("user", username)
    if role not in ROLES:
        raise InvalidInput(f"role must be one of: {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD} characters")
    if session.get(UserRow, username) is not None:
        raise Conflict(f"user {username} already exists")
    user = UserRow(
        id=username, role=role, password_hash=generate_password_hash(password, method=HASH_METHOD) if password else None,
        display_name=display_name or username, active=True, created_at=_now(),
    )
    session.add(user)
    set_groups(session, username, groups)
    return user


def set_groups(session: Session, username: str, groups: Iterable[str]) -> None:
    names = list(dict.fromkeys(groups))
    missing = [g for g in names if session.get(GroupRow, g) is None]
    if missing:
        raise NotFound(f"no such group or queue: {', '.join(missing)}")
    for membership in session.scalars(select(MembershipRow).where(MembershipRow.user_id == username)):
        session.delete(membership)
    session.flush()
    for name in names:
        session.add(MembershipRow(user_id=username, group_id=name))


def create_group(session: Session, name: str, *, kind: str = "group", label: str | None = None) -> GroupRow:
    check_name("group", name)
    if kind not in GROUP_KINDS:
        raise InvalidInput("kind must be group or queue")
    if session.get(GroupRow, name) is not None:
        raise Conflict(f"group {name} already exists")
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
        select(GroupRow).join(MembershipRow, MembershipRow.group_id == GroupRow.id)
        .where(MembershipRow.user_id == username).order_by(GroupRow.id)
    )
    return [{"name": g.id, "kind": g.kind} for g in session.scalars(statement)]


def user_view(session: Session, user: UserRow) -> dict[str, Any]:
    return {
        "username": user.id, "role": user.role, "display_name": user.display_name, "active": user.active,
        "groups": groups_of(session, user.id),
    }


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
        "id": row.id, "name": row.name, "created_by": row.created_by, "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
    }
